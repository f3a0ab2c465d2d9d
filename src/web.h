/*
 * web.h: what the dashboard's pages (web-*.c) share.  A page builds a
 * view model (JSON, from list.h) and answers it through web_page(): as
 * JSON when the client asks for it ("Accept: application/json"), else
 * rendered by its template inside the layout.  The gate (route.h) has
 * checked the session, the form, the role and the org before any of it.
 */
#ifndef ORGAUDIT_WEB_H
#define ORGAUDIT_WEB_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "list.h"
#include "route.h"
#include "util.h"

#define WEB_PER_PAGE	50

/* Answers a page through template tpl; takes page. */
void		 web_page(struct call *c, int status, const char *tpl,
		    const char *title, json_t *page);
/*
 * A page that is the same for every viewer of the tenant until the org's
 * data moves is kept rendered, all but the layout, in the process's
 * cache (cache.h) under call_cache_key().  web_page_cached() answers it
 * from there and returns true; else it leaves the key (or "" when the
 * page is not to be kept, as for a JSON view model) in key[CACHE_KEY_MAX]
 * for web_page_keep(), which renders page with template body_tpl (the
 * page's template without the layout), keeps it and answers it inside the
 * layout.  Takes page.
 */
bool		 web_page_cached(struct call *c, const char *title,
		    char *key);
void		 web_page_keep(struct call *c, const char *key,
		    const char *tpl, const char *body_tpl, const char *title,
		    json_t *page);
/* The error page with status and a message for people. */
void		 web_error(struct call *c, int status, const char *msg);
/* The same with extra header lines (CRLF-ended), or NULL. */
void		 web_error_page(struct call *c, int status,
		    const char *extra_headers, const char *msg);

/*
 * A page under an org: {"active", "org", "tabs", "data": data}; takes
 * data.  NULL on a database error (data is then freed).
 */
json_t		*web_org_page(struct call *c, const char *tab, json_t *data);

/* Appends "?k=v" or "&k=v" to b, v percent-encoded; nothing for "". */
void		 web_url_param(struct buf *b, const char *k, const char *v);
/*
 * Appends the route's parameters the request set (not cursor, page,
 * done or csrf) to b, so a page's links keep its filters.
 */
void		 web_carry_params(const struct call *c, struct buf *b);
/* A <select>'s options [{"value","label","selected"}…] (new reference). */
json_t		*web_options(const char *const (*opts)[2], size_t n,
		    const char *current);
/* A tristate parameter as a select's value: "", "true" or "false". */
const char	*web_tristate(const struct call *c, enum param p);

/*
 * Adds "<name>_ago", "<name>_on" and "<name>_iso" beside the Unix time
 * member name of o.
 */
void		 web_add_when(json_t *o, const char *name, int64_t now);
/* Adds "<name>_short": at most 80 characters of the member, then "…". */
void		 web_add_short(json_t *o, const char *name);
/*
 * web-usage.c: adds a key's spend_30d rounded to cents
 * ("spend_30d_display") and its last_usage_day as a date
 * ("last_usage_day_on") beside them, when they are set.
 */
void		 web_add_usage(json_t *k);
/* t as YYYY-MM-DD (UTC) in out, for a date input's value. */
const char	*web_utc_date(int64_t t, char out[16]);

/*
 * web-lists.c: answers a page of a list under an org (build's page at
 * the request's cursor, decorate's additions, the org's header, a link
 * to the next page) through tpl; kept under key as web_page_keep() does
 * (with tpl's body, "<tpl>-body") unless key is NULL or "".
 */
void		 web_list_page(struct call *c, const char *tab,
		    const char *tpl, const char *title, list_build_fn build,
		    list_decorate_fn decorate, const char *key);

/* web-session.c: fills the request's session fields from its cookie. */
void		 web_session_load(struct call *c);
/* The request's session token's hash; -1 without a session. */
int		 web_session_hash(const struct req *r, unsigned char hash[32]);
/* Gives a browser without a session a pre-session token (login CSRF). */
void		 web_pre_session(struct call *c);

/* What proves the signed-in account: its password hash, its TOTP. */
struct web_auth {
	char		 hash[128];
	unsigned char	 secret[32];
	size_t		 secret_len;	/* 0: no second factor */
	int64_t		 last_step;
};
/* Reads the request's account's proofs (the caller wipes).  0 or -1. */
int		 web_account_auth(struct req *r, struct web_auth *out);
/*
 * Checks a second factor typed for the request's account: a TOTP code
 * (0) or an unused recovery code (1), either spent by the check; -1
 * when it is neither.
 */
int		 web_second_factor(struct req *r, const struct web_auth *a,
		    const char *typed);
/* The stored form of a normalised recovery code (SHA-256, hex). */
void		 web_recovery_hash(const char *norm, char out[65]);

#endif
