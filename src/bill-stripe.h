/*
 * bill-stripe.h: a small client for Stripe's REST API over libcurl.
 *
 * Requests are form-encoded (bracketed nested keys), one at a time, with
 * the pinned Stripe-Version.  A call is retried under the configured
 * retry policy on connection errors, 409 idempotency_key_in_use, 429 and
 * 5xx, and never on another 4xx; Stripe-Should-Retry, when present,
 * decides.  Errors are described from Stripe's envelope (type, code,
 * message, param) with the Request-Id; the secret key is never part of
 * any message.
 */
#ifndef ORGAUDIT_BILL_STRIPE_H
#define ORGAUDIT_BILL_STRIPE_H

#include <stdbool.h>

#include <jansson.h>

#include "conf.h"
#include "util.h"

struct stripe;

struct stripe_resp {
	long	 status;		/* final HTTP status; 0 = no answer */
	json_t	*json;			/* the parsed body, if any */
	int	 attempts;
	bool	 replayed;		/* Idempotent-Replayed: true */
	char	 request_id[64];
	char	 type[64];		/* error.type */
	char	 code[64];		/* error.code */
	char	 err[1024];		/* for people, when not 2xx */
};

/*
 * A client for base_url with the secret key read from key_file (sk_… or
 * rk_…).  NULL with the reason in err.
 */
struct stripe	*stripe_new(const struct conf *c, char *err, size_t errlen);
void		 stripe_free(struct stripe *s);

/* Appends key=value (value percent-encoded) to a form body. */
void		 stripe_form(struct buf *form, const char *key,
		    const char *value);

/*
 * POST path with form (may be empty) and an Idempotency-Key, or GET path
 * (its query in path) when form is NULL.  0 on a 2xx answer, -1 otherwise
 * with res->err set.  Free res with stripe_resp_free().
 */
int		 stripe_call(struct stripe *s, const char *path,
		    const struct buf *form, const char *idempotency_key,
		    struct stripe_resp *res);
void		 stripe_resp_free(struct stripe_resp *res);
/*
 * Reads Stripe's error envelope {"error":{type, code, message, param}}
 * of res->json (any JSON, or NULL) into res->type and res->code, and
 * describes the failure in res->err: what (the request), res->status,
 * the envelope's strings redacted, and res->request_id.
 */
void		 stripe_describe(struct stripe_resp *res, const char *what);

/* Requests sent, retries among them, since stripe_new(). */
long		 stripe_requests(const struct stripe *s);
long		 stripe_retries(const struct stripe *s);

#endif
