/*
 * route.c: see route.h.  The table, the lists' routes made from the list
 * table, the path matcher, and the gate.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "activity.h"
#include "cache.h"
#include "ingest.h"
#include "list.h"
#include "log.h"
#include "pages.h"
#include "route.h"
#include "session.h"
#include "token.h"
#include "web.h"

#define PATH_MAX_LEN	512
#define FORM_MAX	(64 * 1024)
#define API_PREFIX	"/api/v1/"

#define ROUTE_PARAM_SPEC(e, name, kind)	[e] = { name, kind },
static const struct qspec params[P__MAX] = {
	ROUTE_PARAMS(ROUTE_PARAM_SPEC)
};
#undef ROUTE_PARAM_SPEC

/* What every dashboard and API route answers with, by kind. */
#define PAGE		(R_SESSION)
#define OWNER_PAGE	(R_SESSION | R_OWNER)
#define ORG_PAGE	(R_SESSION | R_ORG)
#define ORG_OWNER_PAGE	(R_SESSION | R_ORG | R_OWNER)
#define API		(R_TOKEN | R_API)
#define ORG_API		(R_TOKEN | R_API | R_ORG)

#define LIST		(P(P_LIMIT) | P(P_CURSOR))

static const struct route fixed[] = {
	/* The dashboard (web-*.c). */
	{ "/", M_GET, 0, 0, web_root, NULL, 0 },
	{ "/login", M_GET, 0, P(P_DONE), web_login_form, NULL, 0 },
	{ "/login", M_POST, R_PRECSRF, P(P_CSRF) | P(P_EMAIL) | P(P_PASSWORD),
	    web_login, NULL, 0 },
	{ "/login/totp", M_GET, PAGE | R_STAGE1, 0, web_login_totp_form, NULL,
	    0 },
	{ "/login/totp", M_POST, PAGE | R_STAGE1, P(P_CSRF) | P(P_CODE),
	    web_login_totp, NULL, 0 },
	{ "/logout", M_POST, PAGE | R_STAGE1 | R_STAGE2, P(P_CSRF), web_logout,
	    NULL, 0 },
	{ "/reset", M_GET, 0, P(P_TOKEN), web_reset_form, NULL, 0 },
	{ "/reset", M_POST, R_PRECSRF, P(P_CSRF) | P(P_TOKEN) |
	    P(P_NEW_PASSWORD), web_reset, NULL, 0 },
	{ "/account", M_GET, PAGE | R_STAGE2, P(P_DONE), web_account, NULL,
	    0 },
	{ "/account/password", M_POST, PAGE, P(P_CSRF) | P(P_PASSWORD) |
	    P(P_NEW_PASSWORD), web_account_password, NULL, 0 },
	{ "/account/totp", M_POST, PAGE | R_STAGE2, P(P_CSRF),
	    web_account_totp_begin, NULL, 0 },
	{ "/account/totp/confirm", M_POST, PAGE | R_STAGE2, P(P_CSRF) |
	    P(P_CODE), web_account_totp_confirm, NULL, 0 },
	{ "/account/totp/remove", M_POST, PAGE, P(P_CSRF) | P(P_PASSWORD) |
	    P(P_CODE), web_account_totp_remove, NULL, 0 },
	{ "/account/sessions/end", M_POST, PAGE, P(P_CSRF),
	    web_account_sessions_end, NULL, 0 },
	{ "/orgs", M_GET, PAGE, P(P_DONE), web_orgs, NULL, 0 },
	{ "/orgs/new", M_GET, OWNER_PAGE, 0, web_connect_form, NULL, 0 },
	{ "/orgs/new", M_POST, OWNER_PAGE, P(P_CSRF) | P(P_NAME) | P(P_KEY),
	    web_connect, NULL, 0 },
	{ "/orgs/:org", M_GET, ORG_PAGE, P(P_DONE), web_org, NULL, 0 },
	{ "/orgs/:org/key", M_POST, ORG_OWNER_PAGE, P(P_CSRF) | P(P_KEY),
	    web_replace_key, NULL, 0 },
	{ "/orgs/:org/disconnect", M_POST, ORG_OWNER_PAGE, P(P_CSRF),
	    web_disconnect, NULL, 0 },
	{ "/orgs/:org/usage", M_GET, ORG_PAGE, 0, web_usage, NULL, 0 },
	{ "/usage", M_GET, PAGE, 0, web_tenant_usage, NULL, 0 },
	{ "/orgs/:org/packs", M_GET, ORG_PAGE, P(P_CURSOR) | P(P_DONE),
	    web_packs, NULL, 0 },
	{ "/orgs/:org/packs", M_POST, ORG_OWNER_PAGE, P(P_CSRF) | P(P_SINCE) |
	    P(P_UNTIL), web_pack_create, NULL, 0 },
	{ "/orgs/:org/packs/:id", M_GET, ORG_PAGE, 0, web_pack_get, NULL, 0 },
	{ "/accounts", M_GET, OWNER_PAGE, P(P_DONE), web_accounts, NULL, 0 },
	{ "/accounts", M_POST, OWNER_PAGE, P(P_CSRF) | P(P_EMAIL) |
	    P(P_ROLE) | P(P_PASSWORD), web_account_add, NULL, 0 },
	{ "/accounts/:id/role", M_POST, OWNER_PAGE, P(P_CSRF) | P(P_ROLE),
	    web_account_role, NULL, 0 },
	{ "/accounts/:id/delete", M_POST, OWNER_PAGE, P(P_CSRF),
	    web_account_delete, NULL, 0 },
	{ "/accounts/:id/reset", M_POST, OWNER_PAGE, P(P_CSRF),
	    web_account_reset, NULL, 0 },
	{ "/accounts/totp-policy", M_POST, OWNER_PAGE, P(P_CSRF) | P(P_REQUIRE),
	    web_totp_policy, NULL, 0 },
	{ "/activity", M_GET, OWNER_PAGE, P(P_CURSOR) | P(P_ACTION) |
	    P(P_SINCE) | P(P_UNTIL), web_activity, NULL, 0 },
	{ "/findings", M_GET, PAGE, 0, web_findings, NULL, 0 },
	{ "/tokens", M_GET, OWNER_PAGE, P(P_DONE), web_tokens, NULL, 0 },
	{ "/tokens", M_POST, OWNER_PAGE, P(P_CSRF) | P(P_NAME) | P(P_SCOPE),
	    web_token_add, NULL, 0 },
	{ "/tokens/:id/revoke", M_POST, OWNER_PAGE, P(P_CSRF),
	    web_token_revoke, NULL, 0 },
	{ "/billing", M_GET, OWNER_PAGE, 0, web_billing, NULL, 0 },
	{ "/notifications", M_GET, OWNER_PAGE, P(P_DONE), web_notifications,
	    NULL, 0 },
	{ "/notifications", M_POST, OWNER_PAGE, P(P_CSRF) | P(P_CHANNEL_TYPE) |
	    P(P_NAME) | P(P_URL) | P(P_TO) | P(P_SECRET) | P(P_TRIGGERS) |
	    P(P_MIN_SEVERITY) | P(P_FORMAT) | P(P_DIGEST), web_alert_add,
	    NULL, 0 },
	{ "/notifications/:id/remove", M_POST, OWNER_PAGE, P(P_CSRF),
	    web_alert_remove, NULL, 0 },
	{ "/notifications/:id/test", M_POST, OWNER_PAGE, P(P_CSRF),
	    web_alert_test, NULL, 0 },
	{ "/notifications/messages/:id/resend", M_POST, OWNER_PAGE, P(P_CSRF),
	    web_alert_resend, NULL, 0 },

	/* The JSON API (api.c). */
	{ "/api/v1/health", M_GET, R_API | R_NODB, 0, api_health, NULL, 0 },
	{ "/api/v1/signing-key", M_GET, R_API | R_NODB, 0, api_signing_key,
	    NULL, 0 },
	{ "/api/v1/billing", M_GET, API, 0, api_billing, NULL, 0 },
	{ "/api/v1/openai/orgs", M_GET, API, LIST, api_orgs, NULL, 0 },
	{ "/api/v1/openai/orgs/:org", M_GET, ORG_API, 0, api_org, NULL, 0 },
	{ "/api/v1/openai/orgs/:org/events.jsonl", M_GET, ORG_API,
	    LIST | P(P_AFTER_SEQ), api_export, NULL, INT64_MAX },
	{ "/api/v1/openai/evidence-packs", M_GET, API, LIST | P(P_ORG_ID),
	    api_packs, NULL, 0 },
	{ "/api/v1/openai/evidence-packs", M_POST, API | R_OWNER, 0,
	    api_pack_create, NULL, 0 },
	{ "/api/v1/jobs/:id", M_GET, API, 0, api_job, NULL, 0 },
	{ "/api/v1/findings/summary", M_GET, API, 0, api_findings_summary,
	    NULL, 0 },
	{ "/api/v1/activity", M_GET, API | R_OWNER, LIST | P(P_ACTION) |
	    P(P_SINCE) | P(P_UNTIL), api_activity, NULL, 0 },
	{ "/api/v1/openai/evidence-packs/:id", M_GET, API, 0, api_pack_get,
	    NULL, 0 },
	{ "/api/v1/openai/orgs/:org/events.ocsf.jsonl", M_GET, ORG_API,
	    P(P_LIMIT) | P(P_AFTER_SEQ), api_ocsf_events, NULL, INT64_MAX },
	{ "/api/v1/openai/orgs/:org/findings.ocsf.jsonl", M_GET, ORG_API,
	    P(P_LIMIT) | P(P_AFTER_ID), api_ocsf_findings, NULL, INT64_MAX },
	{ "/api/v1/openai/orgs/:org/costs", M_GET, ORG_API, P(P_DAY_SINCE) |
	    P(P_DAY_UNTIL) | P(P_COST_GROUPS), api_costs, NULL, 0 },
	{ "/api/v1/openai/orgs/:org/usage", M_GET, ORG_API, P(P_ENDPOINT) |
	    P(P_DAY_SINCE) | P(P_DAY_UNTIL) | P(P_USAGE_GROUPS), api_usage,
	    NULL, 0 },
	{ "/api/v1/openai/orgs/:org/unmapped", M_GET, ORG_API, P(P_DAY_SINCE) |
	    P(P_DAY_UNTIL), api_unmapped, NULL, 0 },
};

#define NFIXED	(sizeof(fixed) / sizeof(fixed[0]))

/* Fixed routes, then two per list (its API route and its page). */
static struct route	*table;
static size_t		 ntable;

/* A list's route pattern under prefix ("/api/v1/openai" or ""). */
static char *
list_pattern(const char *prefix, const struct list_def *d)
{
	struct buf	 b = { 0 };

	buf_printf(&b, "%s/orgs/:org/%s%s", prefix, d->per_project ?
	    "projects/*project/" : "", d->name);
	return buf_take(&b);
}

/* Builds the table once; it lives as long as the process. */
static void
table_init(void)
{
	const struct list_def	*d;
	size_t			 i;

	if (table != NULL)
		return;
	ntable = NFIXED + 2 * list_count();
	table = xcalloc(ntable, sizeof(*table));
	memcpy(table, fixed, sizeof(fixed));
	for (i = 0; i < list_count(); i++) {
		d = list_at(i);
		table[NFIXED + 2 * i] = (struct route){ list_pattern(
		    "/api/v1/openai", d), M_GET, ORG_API, LIST | d->api_params,
		    api_list, d, 0 };
		table[NFIXED + 2 * i + 1] = (struct route){ list_pattern("", d),
		    M_GET, ORG_PAGE, P(P_CURSOR) | P(P_DONE) | d->page_params,
		    d->page != NULL ? d->page : web_list, d, 0 };
	}
}

size_t
route_count(void)
{
	table_init();
	return ntable;
}

const struct route *
route_at(size_t i)
{
	table_init();
	return i < ntable ? &table[i] : NULL;
}

const struct qspec *
route_param(enum param p)
{
	return &params[p];
}

json_t *
route_json(void)
{
	const struct route	*rt;
	json_t			*a = json_array(), *ps, *ms;
	size_t			 i, k;

	for (i = 0; i < route_count(); i++) {
		rt = route_at(i);
		ps = json_array();
		for (k = 0; k < P__MAX; k++)
			if (rt->params & P(k))
				json_array_append_new(ps,
				    json_string(params[k].name));
		ms = json_array();
		if (rt->methods & M_GET)
			json_array_append_new(ms, json_string("GET"));
		if (rt->methods & M_POST)
			json_array_append_new(ms, json_string("POST"));
		json_array_append_new(a, json_pack("{s:s, s:o, s:b, s:b, s:b,"
		    " s:b, s:b, s:b, s:o, s:s?}", "pattern", rt->pattern,
		    "methods", ms,
		    "session", (rt->flags & R_SESSION) != 0,
		    "token", (rt->flags & R_TOKEN) != 0,
		    "owner", (rt->flags & R_OWNER) != 0,
		    "org", (rt->flags & R_ORG) != 0,
		    "api", (rt->flags & R_API) != 0,
		    "public", (rt->flags & (R_SESSION | R_TOKEN)) == 0,
		    "params", ps,
		    "list", rt->list != NULL ? rt->list->name : NULL));
	}
	return a;
}

/* -- matching ---------------------------------------------------------- */

int
route_match(const char *pattern, const char *path, int64_t ids[2],
    char oaid[129])
{
	const char	*p = pattern, *s = path, *pe, *se;
	size_t		 k = 0, n;
	int		 bad = 0;
	char		 seg[130];

	ids[0] = ids[1] = 0;
	oaid[0] = '\0';
	for (;;) {
		if ((pe = strchr(p, '/')) == NULL)
			pe = p + strlen(p);
		if ((se = strchr(s, '/')) == NULL)
			se = s + strlen(s);
		n = (size_t)(se - s);
		if (*p == ':' || *p == '*') {
			if (n == 0 || n >= sizeof(seg) || (*p == ':' && k >= 2))
				bad = 1;
			else {
				memcpy(seg, s, n);
				seg[n] = '\0';
				if (*p == '*') {
					if (ingest_id_ok(seg))
						memcpy(oaid, seg, n + 1);
					else
						bad = 1;
				} else if (seg[0] == '0' || parse_i64(seg, 1,
				    INT64_MAX, &ids[k++]) != 0)
					bad = 1;
			}
		} else if ((size_t)(pe - p) != n || strncmp(p, s, n) != 0)
			return 0;
		if (*pe == '\0' || *se == '\0')
			return *pe == '\0' && *se == '\0' ? (bad ? -1 : 1) : 0;
		p = pe + 1;
		s = se + 1;
	}
}

static bool
method_is(const struct req *r, unsigned m)
{
	if (m & M_POST && strcmp(r->method, "POST") == 0)
		return true;
	return (m & M_GET) != 0 && (strcmp(r->method, "GET") == 0 ||
	    strcmp(r->method, "HEAD") == 0);
}

/*
 * Finds the route for r's path and method into c.  0; or the status to
 * answer: 404, 400 (a malformed number), 405 with allow filled.
 */
static int
route_find(struct call *c, char *allow, size_t allowlen)
{
	const struct route	*rt;
	int64_t			 ids[2];
	char			 oaid[129];
	bool			 other = false, bad = false;
	size_t			 i;
	int			 m;

	allow[0] = '\0';
	if (strlen(c->r->path) > PATH_MAX_LEN)
		return 404;
	for (i = 0; i < route_count(); i++) {
		rt = route_at(i);
		if ((m = route_match(rt->pattern, c->r->path, ids, oaid)) == 0)
			continue;
		if (m < 0) {
			bad = true;
			continue;
		}
		snprintf(allow + strlen(allow), allowlen - strlen(allow),
		    "%s%s", allow[0] ? ", " : "", rt->methods & M_POST ? "POST" :
		    "GET, HEAD");
		if (!method_is(c->r, rt->methods)) {
			other = true;
			continue;
		}
		c->rt = rt;
		c->org = rt->flags & R_ORG ? ids[0] : 0;
		c->id = rt->flags & R_ORG ? ids[1] : ids[0];
		memcpy(c->oaid, oaid, sizeof(oaid));
		return 0;
	}
	return other ? 405 : bad ? 400 : 404;
}

/* -- answering --------------------------------------------------------- */

const char *
call_str(const struct call *c, enum param p)
{
	return c->q[p].set ? c->q[p].s : NULL;
}

/* Does the request speak to the API (by route, or by path when none)? */
static bool
call_api(const struct call *c)
{
	if (c->rt != NULL)
		return (c->rt->flags & R_API) != 0;
	return strncmp(c->r->path, API_PREFIX, strlen(API_PREFIX)) == 0 ||
	    strcmp(c->r->path, "/api/v1") == 0;
}

void
call_error(struct call *c, int status, const char *code,
    const char *extra_headers, const char *fmt, ...)
{
	char	 msg[512];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (call_api(c))
		http_error(c->r, status, code, extra_headers, "%s", msg);
	else
		web_error_page(c, status, extra_headers, msg);
}

void
call_db_error(struct call *c, const char *what)
{
	log_err("%s: %s: %s (request %s)", call_api(c) ? "api" : "web", what,
	    c->r->db != NULL ? db_error(c->r->db) : "no connection",
	    c->r->request_id);
	if (c->r->db == NULL || db_unavailable(c->r->db))
		call_error(c, 503, "unavailable", "Retry-After: 5\r\n",
		    call_api(c) ? "the database is unavailable; try again "
		    "shortly" : "The database is unavailable; try again in a "
		    "moment.");
	else
		call_error(c, 500, "internal", NULL, call_api(c) ?
		    "internal error (request %s)" : "Something went wrong on "
		    "our side (request %s).", c->r->request_id);
}

bool
call_cache_key(struct call *c, const char *what, char *key, size_t n)
{
	struct req	*r = c->r;
	int		 len = -1;

	if (cache_enabled() && c->stamp[0] != '\0')
		len = snprintf(key, n, "%s|%" PRId64 "|%" PRId64 "|%s|%s|%"
		    PRId64 "|%s?%s", what, r->tenant, c->org, c->stamp,
		    r->token != 0 ? r->scope : r->role, now_s() / 86400,
		    r->path, r->query != NULL ? r->query : "");
	if (len < 0 || (size_t)len >= n) {
		if (n > 0)
			key[0] = '\0';
		return false;
	}
	return true;
}

void
call_note(struct call *c, int64_t tenant, const char *action,
    const char *target, const char *outcome)
{
	struct req	*r = c->r;
	struct act	 a;
	char		 id[24];

	if (r->db == NULL)
		return;
	a.tenant = tenant != 0 ? tenant : r->tenant;
	if (r->account != 0) {
		a.actor_type = "account";
		snprintf(id, sizeof(id), "%" PRId64, r->account);
		a.actor_id = id;
	} else if (r->token != 0) {
		a.actor_type = "token";
		snprintf(id, sizeof(id), "%" PRId64, r->token);
		a.actor_id = id;
	} else {
		a.actor_type = "anonymous";
		a.actor_id = NULL;
	}
	a.address = r->remote_addr;
	a.action = action;
	a.target = target;
	a.outcome = outcome;
	activity_log(r->db, &a);
}

/* -- the gate ---------------------------------------------------------- */

static int
token_row(const struct db_row *r, void *arg)
{
	struct req	*q = arg;

	q->token = db_row_int(r, 0);
	q->tenant = db_row_int(r, 1);
	snprintf(q->scope, sizeof(q->scope), "%s", db_row_str(r, 2));
	return 1;
}

/* Finds the bearer token's tenant; 0, or -1 after answering. */
static int
gate_token(struct call *c)
{
	static const char	 challenge[] =
	    "WWW-Authenticate: Bearer realm=\"orgaudit\"\r\n";
	struct req		*r = c->r;
	const char		*h = http_param(r, "HTTP_AUTHORIZATION");
	unsigned char		 hash[SHA256_DIGEST_LENGTH];

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0) {
		http_error(r, 401, "unauthorized", challenge, "send an API "
		    "token: 'Authorization: Bearer <token>' (orgaudit token "
		    "add makes one)");
		return -1;
	}
	h += 7;
	while (*h == ' ')
		h++;
	if (token_hash(h, strlen(h), hash) == 0 && DB_QUERY(r->db,
	    SQL_TOKEN_AUTH, token_row, r, DV_B(hash, sizeof(hash))) < 0) {
		call_db_error(c, "token lookup");
		return -1;
	}
	if (r->tenant == 0) {
		http_error(r, 401, "unauthorized", challenge, "the API token "
		    "is not valid or was revoked");
		return -1;
	}
	return 0;
}

/* A page without a session: to the sign-in page, or 403 for a POST. */
static int
gate_session(struct call *c, bool post)
{
	const struct req	*r = c->r;
	unsigned		 f = c->rt->flags;
	const char		*to;

	if (r->account != 0 && (r->stage == 0 || (r->stage == 1 &&
	    f & R_STAGE1) || (r->stage == 2 && f & R_STAGE2)))
		return 0;
	/* Half signed in: the second factor first, or its enrollment. */
	to = r->account == 0 ? "/login" : r->stage == 1 ? "/login/totp" :
	    "/account?done=totp_required";
	if (post)
		call_error(c, 403, "forbidden", NULL, r->account == 0 ?
		    "Your session has ended; sign in again." : "Finish signing "
		    "in first.");
	else
		http_redirect(c->r, to);
	return -1;
}

/*
 * Does a POST come from this site?  With public_origin set, the Origin
 * header must be exactly it; without, its host must be the request's
 * (nginx passes the host without the port).  No Origin: the CSRF token
 * and SameSite cookies decide.
 */
static bool
same_origin(const struct req *r)
{
	const char	*origin = http_param(r, "HTTP_ORIGIN");
	const char	*host = http_param(r, "HTTP_HOST");
	const char	*p;
	size_t		 n;

	if (origin == NULL)
		return true;
	if (r->conf->public_origin[0] != '\0')
		return strcmp(origin, r->conf->public_origin) == 0;
	if (host == NULL || (p = strstr(origin, "://")) == NULL)
		return false;
	p += 3;
	n = strcspn(p, ":/");
	return strlen(host) == n && strncmp(p, host, n) == 0;
}

/* A browser's POST: from this site, its form read.  0 or -1. */
static int
gate_form(struct call *c)
{
	struct req	*r = c->r;

	if (!same_origin(r)) {
		log_warn("web: %s %s: Origin %.100s does not match Host %.100s",
		    r->method, r->path, http_param(r, "HTTP_ORIGIN"),
		    http_param(r, "HTTP_HOST") ? http_param(r, "HTTP_HOST") :
		    "(none)");
		call_error(c, 403, "forbidden", NULL, "This form was sent from "
		    "another site.");
		return -1;
	}
	if (http_read_body(r, FORM_MAX) != 0) {
		call_error(c, 413, "body_too_large", NULL, "The form is too "
		    "large.");
		return -1;
	}
	return 0;
}

/* Parses the route's declared parameters from src.  0 or -1. */
static int
gate_params(struct call *c, const char *src)
{
	struct qspec	 spec[P__MAX];
	struct qval	 vals[P__MAX];
	enum param	 map[P__MAX];
	enum query_err	 qe;
	size_t		 n = 0, i;
	char		 msg[256];

	for (i = 0; i < P__MAX; i++)
		if (c->rt->params & P(i)) {
			map[n] = (enum param)i;
			spec[n++] = params[i];
		}
	qe = query_parse(src, spec, n, c->rt->limit_max ? c->rt->limit_max :
	    c->r->conf->api_page_max, vals, msg, sizeof(msg));
	for (i = 0; i < n; i++)
		c->q[map[i]] = vals[i];
	wipe(vals, sizeof(vals));
	if (qe != QUERY_OK) {
		call_error(c, qe == QUERY_TOO_LONG ? 414 : 400, qe ==
		    QUERY_UNKNOWN ? "unknown_parameter" : "invalid_parameter",
		    NULL, "%s", msg);
		return -1;
	}
	c->limit = c->q[P_LIMIT].set ? c->q[P_LIMIT].i :
	    c->r->conf->api_page_default;
	return 0;
}

/*
 * Is the route's org the tenant's?  0, or -1 after answering 404.  The
 * org's stamp comes in the same read: a row means the org is ours, and
 * it is what call_cache_key() keys answers on.
 */
static int
gate_org(struct call *c)
{
	struct buf	 stamp = { 0 };

	if (DB_QUERY(c->r->db, SQL_ORG_STAMP, db_row_first_bytes, &stamp,
	    DV_I(c->r->tenant), DV_I(c->org)) < 0) {
		buf_free(&stamp);
		call_db_error(c, "org lookup");
		return -1;
	}
	/* A row is 32 hex digits (MD5); no row leaves c->stamp empty. */
	if (stamp.len == sizeof(c->stamp) - 1)
		memcpy(c->stamp, stamp.p, sizeof(c->stamp));
	buf_free(&stamp);
	if (c->stamp[0] == '\0') {
		if (call_api(c))
			http_error(c->r, 404, "not_found", NULL, "no org %"
			    PRId64 " for this token", c->org);
		else
			call_error(c, 404, "not_found", NULL, "There is no such "
			    "org.");
		return -1;
	}
	return 0;
}

/* Runs the gate for c's route; 0 when the handler may run. */
static int
gate(struct call *c)
{
	const struct route	*rt = c->rt;
	struct req		*r = c->r;
	bool			 post = strcmp(r->method, "POST") == 0;
	bool			 browser = !(rt->flags & R_API);
	const char		*pre;

	if (r->db == NULL && !(rt->flags & R_NODB)) {
		call_db_error(c, "connect");
		return -1;
	}
	if (browser && r->db != NULL)
		web_session_load(c);
	if (rt->flags & R_TOKEN && gate_token(c) != 0)
		return -1;
	if (rt->flags & R_SESSION && gate_session(c, post) != 0)
		return -1;
	if (browser && post && gate_form(c) != 0)
		return -1;
	if (gate_params(c, browser && post ? r->body.p : r->query) != 0)
		return -1;
	/*
	 * Every state-changing request of a session carries its token; a
	 * form before a session, that of the pre-session cookie (or of the
	 * session, when one half signed in starts again).
	 */
	pre = r->session[0] != '\0' ? r->session : r->pre;
	if (post && ((rt->flags & R_SESSION && !session_csrf_ok(r->session,
	    call_str(c, P_CSRF))) || (rt->flags & R_PRECSRF &&
	    (pre[0] == '\0' || !session_csrf_ok(pre, call_str(c,
	    P_CSRF)))))) {
		call_error(c, 403, "forbidden", NULL, "This form has expired; "
		    "reload the page and try again.");
		return -1;
	}
	if (rt->flags & R_OWNER && !(rt->flags & R_TOKEN ? strcmp(r->scope,
	    "admin") == 0 : strcmp(r->role, "owner") == 0)) {
		call_error(c, 403, "forbidden", NULL, rt->flags & R_TOKEN ?
		    "this needs a token with the admin scope (orgaudit token "
		    "add --scope admin, or an owner's Tokens page)" : "Only an "
		    "owner of this account can do that.");
		return -1;
	}
	if (rt->flags & R_ORG && gate_org(c) != 0)
		return -1;
	return 0;
}

void
route_handle(struct req *r)
{
	struct call	 c;
	char		 allow[128], hdr[160];
	int		 status;

	memset(&c, 0, sizeof(c));
	c.r = r;
	if ((status = route_find(&c, allow, sizeof(allow))) != 0) {
		if (status == 405) {
			snprintf(hdr, sizeof(hdr), "Allow: %s\r\n", allow);
			call_error(&c, 405, "method_not_allowed", hdr, "%.16s is "
			    "not allowed here; use %s", r->method, allow);
		} else if (status == 400)
			call_error(&c, 400, "invalid_id", NULL, call_api(&c) ?
			    "an ID is a positive number" : "That address has a "
			    "malformed number in it.");
		else
			call_error(&c, 404, "not_found", NULL, call_api(&c) ?
			    "no such resource" : "There is no such page.");
		return;
	}
	if (gate(&c) == 0)
		c.rt->fn(&c);
	/* Form values may be a password or an admin key. */
	wipe(c.q, sizeof(c.q));
}
