/*
 * oa-client.h: the OpenAI Admin API client.  GET requests run concurrently over
 * one libcurl multi handle, at most 'collect_concurrency' at a time; each
 * is retried on 408/409/429/5xx and connection errors under the retry
 * policy, honouring Retry-After, and completes exactly once through its
 * callback.
 */
#ifndef ORGAUDIT_OA_CLIENT_H
#define ORGAUDIT_OA_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "util.h"

struct oa;

/* One logical request.  Owned by the client; valid inside the callback. */
struct oa_call {
	char		*path;		/* relative to the base URL */
	long		 status;	/* final HTTP status; 0 = no response */
	struct buf	 body;
	char		 err[320];	/* set when status is not 2xx */
	char		 err_code[64];	/* OpenAI error.code or type, if any */
	int		 attempts;
	char		 openai_org[128];
	/* Internal. */
	void		(*cb)(struct oa *, struct oa_call *, void *);
	void		*arg;
	void		*easy;
	int64_t		 first_ms;
	int64_t		 not_before;
	char		 ra[32], ra_ms[32], should_retry[8];
	struct oa_call	*next;
};

typedef void (*oa_done_cb)(struct oa *oa, struct oa_call *call, void *arg);

/*
 * A client for base_url authenticating with admin_key.  The key is copied
 * into the request header and wiped when the client is freed; the caller
 * may wipe its own copy at once.  NULL if libcurl cannot start.
 */
struct oa	*oa_new(const struct conf *c, const char *base_url,
		    const char *admin_key);
void		 oa_free(struct oa *oa);

/*
 * Queues GET path (with its query).  front puts it ahead of other queued
 * requests, so a stream's next page is not starved by a wide fan-out.
 * cb runs once, from inside oa_run(); it may queue more requests.
 */
void		 oa_get(struct oa *oa, const char *path, bool front,
		    oa_done_cb cb, void *arg);
/*
 * Completes every queued (not yet running) request whose callback
 * argument matches, with status 0 and err "cancelled".
 */
void		 oa_cancel(struct oa *oa, bool (*match)(void *arg, void *ctx),
		    void *ctx);
/* Runs until nothing is queued, running or waiting to retry. */
void		 oa_run(struct oa *oa);

/* Counters since oa_new(). */
long		 oa_requests(const struct oa *oa);
long		 oa_retries(const struct oa *oa);

/* Percent-encodes s for a query value or path segment into out. */
void		 oa_escape(const char *s, struct buf *out);

/*
 * For libcurl header callbacks: copies the value of the header line
 * (len bytes, not terminated) into out when its name is 'name'.
 */
void		 oa_hdr(const char *line, size_t len, const char *name,
		    char *out, size_t outlen);
/* Is the CURLcode a transport failure worth another attempt? */
bool		 oa_transport_retryable(int code);

/* Is status a success? */
static inline bool
oa_ok(const struct oa_call *c)
{
	return c->status >= 200 && c->status <= 299;
}

#endif
