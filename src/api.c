/*
 * api.c: see api.h.  Routes are a table; every handler receives a
 * request whose method, tenant, org and parameters are already checked.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/sha.h>

#include "api.h"
#include "bill-push.h"
#include "pack.h"
#include "sign.h"
#include "lists.h"
#include "log.h"
#include "query.h"
#include "token.h"
#include "views.h"

#define API_PREFIX	"/api/v1/"
#define PATH_MAX_LEN	512
#define SEGS_MAX	8

/* Every route's parameters start with limit and cursor, in that order. */
enum param { P_LIMIT, P_CURSOR };

enum key_param { KP_STALE = 2, KP_ORPHAN, KP_TYPE, KP_PROJECT, KP__MAX };
enum event_param {
	EP_TYPE = 2, EP_ACTOR, EP_ACTOR_EMAIL, EP_PROJECT, EP_TARGET,
	EP_SINCE, EP_UNTIL, EP__MAX
};
enum export_param { XP_AFTER_SEQ = 2, XP__MAX };
enum pack_param { PP_ORG = 2, PP__MAX };

#define PARAMS_MAX	EP__MAX

static const struct qspec list_params[] = {
	[P_LIMIT] = { "limit", Q_LIMIT },
	[P_CURSOR] = { "cursor", Q_CURSOR },
};

static const struct qspec key_params[KP__MAX] = {
	[P_LIMIT] = { "limit", Q_LIMIT },
	[P_CURSOR] = { "cursor", Q_CURSOR },
	[KP_STALE] = { "stale", Q_BOOL },
	[KP_ORPHAN] = { "orphan", Q_BOOL },
	[KP_TYPE] = { "type", Q_KEY_TYPE },
	[KP_PROJECT] = { "project", Q_OA_ID },
};

static const struct qspec event_params[EP__MAX] = {
	[P_LIMIT] = { "limit", Q_LIMIT },
	[P_CURSOR] = { "cursor", Q_CURSOR },
	[EP_TYPE] = { "type", Q_EVENT_TYPE },
	[EP_ACTOR] = { "actor", Q_OA_ID },
	[EP_ACTOR_EMAIL] = { "actor_email", Q_EMAIL },
	[EP_PROJECT] = { "project", Q_OA_ID },
	[EP_TARGET] = { "target", Q_OA_ID },
	[EP_SINCE] = { "since", Q_TIME },
	[EP_UNTIL] = { "until", Q_TIME },
};

/* The export pages by position, not cursor; limit is optional. */
static const struct qspec export_params[XP__MAX] = {
	[P_LIMIT] = { "limit", Q_LIMIT },
	[P_CURSOR] = { "cursor", Q_CURSOR },
	[XP_AFTER_SEQ] = { "after_seq", Q_SEQ },
};

static const struct qspec pack_params[PP__MAX] = {
	[P_LIMIT] = { "limit", Q_LIMIT },
	[P_CURSOR] = { "cursor", Q_CURSOR },
	[PP_ORG] = { "org_id", Q_ID },
};

struct call {
	struct req	*r;
	int64_t		 org;
	int64_t		 id;		/* a route's ":id" that is not an org */
	struct qval	 q[PARAMS_MAX];
	int64_t		 limit;
};

static void	api_health(struct call *);
static void	api_orgs(struct call *);
static void	api_org(struct call *);
static void	api_keys(struct call *);
static void	api_users(struct call *);
static void	api_projects(struct call *);
static void	api_runs(struct call *);
static void	api_events(struct call *);
static void	api_export(struct call *);
static void	api_billing(struct call *);
static void	api_pack_create(struct call *);
static void	api_packs(struct call *);
static void	api_pack_get(struct call *);
static void	api_signing_key(struct call *);

#define PARAMS(a)	a, sizeof(a) / sizeof(a[0])

static const struct route {
	const char		*pattern;	/* after /api/v1/; ":org" = ID */
	void			(*fn)(struct call *);
	bool			 auth;
	const struct qspec	*params;
	size_t			 nparams;
	int64_t			 limit_max;	/* 0: api_page_max */
	const char		*method;	/* NULL: GET (and HEAD) */
	bool			 not_org;	/* the ":id" is not an org */
} routes[] = {
	/* pattern, handler, auth, params, limit_max, method, not_org */
	{ "health", api_health, false, NULL, 0, 0, NULL, false },
	{ "openai/orgs", api_orgs, true, PARAMS(list_params), 0, NULL, false },
	{ "openai/orgs/:org", api_org, true, NULL, 0, 0, NULL, false },
	{ "openai/orgs/:org/keys", api_keys, true, PARAMS(key_params), 0,
	    NULL, false },
	{ "openai/orgs/:org/users", api_users, true, PARAMS(list_params), 0,
	    NULL, false },
	{ "openai/orgs/:org/projects", api_projects, true, PARAMS(list_params),
	    0, NULL, false },
	{ "openai/orgs/:org/runs", api_runs, true, PARAMS(list_params), 0,
	    NULL, false },
	{ "openai/orgs/:org/events", api_events, true, PARAMS(event_params),
	    0, NULL, false },
	{ "openai/orgs/:org/events.jsonl", api_export, true,
	    PARAMS(export_params), INT64_MAX, NULL, false },
	{ "billing", api_billing, true, NULL, 0, 0, NULL, false },
	{ "openai/evidence-packs", api_packs, true, PARAMS(pack_params), 0,
	    NULL, false },
	{ "openai/evidence-packs", api_pack_create, true, NULL, 0, 0, "POST",
	    false },
	{ "openai/evidence-packs/:pack", api_pack_get, true, NULL, 0, 0, NULL,
	    true },
	{ "signing-key", api_signing_key, false, NULL, 0, 0, NULL, false },
};

/* Answers a database failure: 503 when it is away, else 500. */
static void
db_failed_req(struct req *r, const char *what)
{
	log_err("api: %s: %s (request %s)", what, db_error(r->db),
	    r->request_id);
	if (db_unavailable(r->db))
		http_error(r, 503, "unavailable", "Retry-After: 5\r\n", "the "
		    "database is unavailable; try again shortly");
	else
		http_error(r, 500, "internal", NULL, "internal error (request "
		    "%s)", r->request_id);
}

/* Sends a list builder's answer, or the error it stands for. */
static void
list_send(struct call *c, enum list_rc rc, json_t *out, const char *what)
{
	switch (rc) {
	case LIST_OK:
		http_json(c->r, 200, out, NULL);
		break;
	case LIST_BAD_CURSOR:
		http_error(c->r, 400, "invalid_parameter", NULL, "cursor is not "
		    "a cursor this list returned");
		break;
	case LIST_NOT_FOUND:
		http_error(c->r, 404, "not_found", NULL, "no such resource");
		break;
	case LIST_DB:
		db_failed_req(c->r, what);
		break;
	}
}

static const char *
cursor_of(struct call *c)
{
	return c->q[P_CURSOR].set ? c->q[P_CURSOR].s : NULL;
}

static void
api_health(struct call *c)
{
	if (c->r->db == NULL || db_ping(c->r->db) != 0) {
		http_error(c->r, 503, "unavailable", "Retry-After: 5\r\n", "the "
		    "database is unavailable");
		return;
	}
	http_json(c->r, 200, json_pack("{s:s}", "status", "ok"), NULL);
}

#define PACK_BODY_MAX	4096

/* Answers with a stored pack, headers naming it. */
static void
send_pack(struct req *r, int status, const struct pack_file *pf)
{
	char	 extra[640];
	size_t	 n;

	pack_headers(pf, extra, sizeof(extra));
	n = strlen(extra);
	snprintf(extra + n, sizeof(extra) - n, "Location: "
	    "/api/v1/openai/evidence-packs/%" PRId64 "\r\n", pf->id);
	if (http_file(r, status, "application/gzip", pf->path, extra) != 0)
		http_error(r, 500, "internal", NULL, "the pack's file cannot be "
		    "read (request %s)", r->request_id);
}

/*
 * POST …/evidence-packs {"org_id":N,"period_start":T,"period_end":T}:
 * makes (or finds) the pack and answers with it.
 */
static void
api_pack_create(struct call *c)
{
	struct req		*r = c->r;
	struct pack_req		 rq = { r->tenant, 0, 0, 0, "api", NULL };
	struct pack_result	 res;
	json_t			*body, *org;
	json_error_t		 jerr;
	const char		*s, *e, *len;
	int64_t			 big;

	if (r->signer == NULL) {
		http_error(r, 503, "not_configured", NULL, "evidence packs are "
		    "off: this server has no signing key");
		return;
	}
	if (http_read_body(r, PACK_BODY_MAX) != 0) {
		if ((len = http_param(r, "CONTENT_LENGTH")) != NULL &&
		    parse_i64(len, PACK_BODY_MAX + 1, INT64_MAX, &big) == 0)
			http_error(r, 413, "body_too_large", NULL, "the request "
			    "body is larger than 4 KiB");
		else
			http_error(r, 400, "invalid_body", NULL, "the request "
			    "body is not as long as its Content-Length says");
		return;
	}
	body = json_loadb(r->body.p ? r->body.p : "", r->body.len, 0, &jerr);
	org = json_object_get(body, "org_id");
	s = json_string_value(json_object_get(body, "period_start"));
	e = json_string_value(json_object_get(body, "period_end"));
	if (!json_is_object(body) || !json_is_integer(org) ||
	    json_integer_value(org) <= 0 || s == NULL || e == NULL ||
	    json_object_size(body) != 3) {
		json_decref(body);
		http_error(r, 400, "invalid_body", NULL, "send a JSON object "
		    "with org_id (a number), period_start and period_end "
		    "(RFC 3339 dates or times, UTC), and nothing else");
		return;
	}
	rq.org = (int64_t)json_integer_value(org);
	if (query_time(s, &rq.start) != 0 || query_time(e, &rq.end) != 0) {
		json_decref(body);
		http_error(r, 400, "invalid_parameter", NULL, "period_start "
		    "and period_end are dates (2026-10-01) or times "
		    "(2026-10-01T00:00:00Z), UTC");
		return;
	}
	json_decref(body);
	if (pack_create(r->db, r->conf, r->signer, &rq, &res) != 0) {
		http_error(r, res.status, res.status == 409 ? "conflict" :
		    res.status == 400 ? "invalid_period" : res.status == 404 ?
		    "not_found" : res.status == 503 ? "unavailable" :
		    "internal", res.status == 503 ? "Retry-After: 5\r\n" : NULL,
		    "%s", res.error);
		return;
	}
	log_info("api: tenant %" PRId64 ": pack %" PRId64 " of org %" PRId64
	    "%s", r->tenant, res.id, rq.org, res.existed ? " (existing)" : "");
	{
		struct pack_file	 pf = { res.id, rq.org, rq.start, rq.end,
		    "", "" };

		snprintf(pf.sha256, sizeof(pf.sha256), "%s", res.sha256);
		snprintf(pf.path, sizeof(pf.path), "%s", res.path);
		send_pack(r, res.existed ? 200 : 201, &pf);
	}
}

static void
api_packs(struct call *c)
{
	enum list_rc	 rc;
	json_t		*out = NULL;

	rc = list_packs(c->r->db, c->r->tenant, c->q[PP_ORG].set ?
	    c->q[PP_ORG].i : 0, cursor_of(c), c->limit, &out);
	list_send(c, rc, out, "evidence packs");
}

/* GET …/evidence-packs/{id}: the stored pack again. */
static void
api_pack_get(struct call *c)
{
	struct pack_file	 pf;
	int			 found;

	if ((found = pack_lookup(c->r->db, c->r->tenant, c->id, &pf)) < 0) {
		db_failed_req(c->r, "pack");
		return;
	}
	if (!found) {
		http_error(c->r, 404, "not_found", NULL, "no evidence pack %"
		    PRId64 " for this token", c->id);
		return;
	}
	send_pack(c->r, 200, &pf);
}

/* GET /api/v1/signing-key: the public key packs are signed with. */
static void
api_signing_key(struct call *c)
{
	if (c->r->signer == NULL) {
		http_error(c->r, 503, "not_configured", NULL, "this server has "
		    "no signing key");
		return;
	}
	http_json(c->r, 200, json_pack("{s:s, s:s, s:s}", "algorithm",
	    "Ed25519", "fingerprint", sign_fingerprint(c->r->signer),
	    "public_key_pem", sign_public_pem(c->r->signer)), NULL);
}

/* The tenant's current month's estimate and its invoices. */
static void
api_billing(struct call *c)
{
	json_t	*out;

	if (billing_view(c->r->db, c->r->tenant, now_s(), &out) != 0) {
		db_failed_req(c->r, "billing");
		return;
	}
	http_json(c->r, 200, out, NULL);
}

static void
api_orgs(struct call *c)
{
	enum list_rc	 rc;
	json_t		*out = NULL;

	rc = list_orgs(c->r->db, c->r->tenant, cursor_of(c), c->limit,
	    &out);
	list_send(c, rc, out, "orgs");
}

static void
api_org(struct call *c)
{
	enum list_rc	 rc;
	json_t		*out = NULL;

	rc = list_org(c->r->db, c->r->tenant, c->org, &out);
	list_send(c, rc, out, "org");
}

static void
api_keys(struct call *c)
{
	struct key_filter	 f;
	struct qval		*q = c->q;
	enum list_rc		 rc;
	json_t			*out = NULL;

	f.stale = q[KP_STALE].set ? q[KP_STALE].b : -1;
	f.orphan = q[KP_ORPHAN].set ? q[KP_ORPHAN].b : -1;
	f.type = q[KP_TYPE].set ? q[KP_TYPE].s : NULL;
	f.project = q[KP_PROJECT].set ? q[KP_PROJECT].s : NULL;
	rc = list_keys(c->r->db, c->r->tenant, c->org, &f,
	    cursor_of(c), c->limit, &out);
	list_send(c, rc, out, "keys");
}

static void
api_users(struct call *c)
{
	enum list_rc	 rc;
	json_t		*out = NULL;

	rc = list_users(c->r->db, c->r->tenant, c->org, cursor_of(c),
	    c->limit, &out);
	list_send(c, rc, out, "users");
}

static void
api_projects(struct call *c)
{
	enum list_rc	 rc;
	json_t		*out = NULL;

	rc = list_projects(c->r->db, c->r->tenant, c->org,
	    cursor_of(c), c->limit, &out);
	list_send(c, rc, out, "projects");
}

static void
api_runs(struct call *c)
{
	enum list_rc	 rc;
	json_t		*out = NULL;

	rc = list_runs(c->r->db, c->r->tenant, c->org, cursor_of(c),
	    c->limit, &out);
	list_send(c, rc, out, "runs");
}

struct auth {
	int64_t	 tenant;
};

static int
auth_row(const struct db_row *r, void *arg)
{
	((struct auth *)arg)->tenant = db_row_int(r, 1);
	return 1;
}

static const char *
qs(const struct call *c, int p)
{
	return c->q[p].set ? c->q[p].s : NULL;
}

static void
api_events(struct call *c)
{
	struct event_filter	 f;
	enum list_rc		 rc;
	json_t			*out = NULL;

	f.type = qs(c, EP_TYPE);
	f.actor = qs(c, EP_ACTOR);
	f.actor_email = qs(c, EP_ACTOR_EMAIL);
	f.project = qs(c, EP_PROJECT);
	f.target = qs(c, EP_TARGET);
	f.since = c->q[EP_SINCE].set ? c->q[EP_SINCE].i : 0;
	f.until = c->q[EP_UNTIL].set ? c->q[EP_UNTIL].i : 0;
	rc = list_events(c->r->db, c->r->tenant, c->org, &f, cursor_of(c),
	    c->limit, &out);
	list_send(c, rc, out, "events");
}

struct export {
	struct req	*r;
	bool		 started;
	int64_t		 rows;
};

/* One JSON line per event, written as it is read: memory stays flat. */
static int
export_row(const struct db_row *row, void *arg)
{
	struct export	*x = arg;
	struct buf	 line = { 0 };
	char		 prev[65], hash[65];

	if (!x->started) {
		x->r->status = 200;
		FCGX_PutS("Status: 200 OK\r\n"
		    "Content-Type: application/x-ndjson; charset=utf-8\r\n"
		    "Cache-Control: no-store\r\n"
		    "X-Content-Type-Options: nosniff\r\n\r\n",
		    x->r->fcgi->out);
		x->started = true;
	}
	hex_encode((const unsigned char *)row->v[2], row->len[2] == 32 ? 32 : 0,
	    prev);
	hex_encode((const unsigned char *)row->v[3], row->len[3] == 32 ? 32 : 0,
	    hash);
	/* The body is canonical JSON already: it goes in as it is. */
	buf_printf(&line, "{\"seq\":%s,\"prev_hash\":\"%s\",\"hash\":"
	    "\"%s\",\"entry\":", db_row_str(row, 0), prev, hash);
	buf_add(&line, row->v[1], row->len[1]);
	buf_adds(&line, "}\n");
	FCGX_PutStr(line.p, (int)line.len, x->r->fcgi->out);
	buf_free(&line);
	x->rows++;
	return 0;
}

/*
 * GET …/events.jsonl?after_seq=N[&limit=M]: the chain from position N
 * on, oldest first, streamed.  A SIEM resumes with the last seq it read.
 */
static void
api_export(struct call *c)
{
	struct export	 x = { c->r, false, 0 };
	int64_t		 after = c->q[XP_AFTER_SEQ].set ?
	    c->q[XP_AFTER_SEQ].i : 0;
	int64_t		 limit = c->q[P_LIMIT].set ? c->q[P_LIMIT].i :
	    INT64_MAX;

	if (strcmp(c->r->method, "HEAD") == 0) {
		http_error(c->r, 405, "method_not_allowed", "Allow: GET\r\n",
		    "use GET for the export");
		return;
	}
	if (DB_QUERY(c->r->db, SQL_EVENT_EXPORT, export_row, &x,
	    DV_I(c->r->tenant), DV_I(c->org), DV_I(after), DV_I(limit)) < 0) {
		if (!x.started)
			db_failed_req(c->r, "export");
		else
			log_err("api: export broke off after %" PRId64 " rows: "
			    "%s", x.rows, db_error(c->r->db));
		return;
	}
	if (!x.started) {
		/* Nothing after that position: an empty, complete answer. */
		c->r->status = 200;
		FCGX_PutS("Status: 200 OK\r\n"
		    "Content-Type: application/x-ndjson; charset=utf-8\r\n"
		    "Cache-Control: no-store\r\n"
		    "X-Content-Type-Options: nosniff\r\n\r\n",
		    c->r->fcgi->out);
	}
}

/* Finds the token's tenant; 0, or -1 after answering. */
static int
api_auth(struct req *r)
{
	static const char	 challenge[] =
	    "WWW-Authenticate: Bearer realm=\"orgaudit\"\r\n";
	const char		*h = http_param(r, "HTTP_AUTHORIZATION");
	unsigned char		 hash[SHA256_DIGEST_LENGTH];
	struct auth		 a = { 0 };

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0) {
		http_error(r, 401, "unauthorized", challenge, "send an API "
		    "token: 'Authorization: Bearer <token>' (orgaudit token "
		    "add makes one)");
		return -1;
	}
	h += 7;
	while (*h == ' ')
		h++;
	if (token_hash(h, strlen(h), hash) == 0) {
		if (DB_QUERY(r->db, SQL_TOKEN_AUTH, auth_row, &a,
		    DV_B(hash, sizeof(hash))) < 0) {
			db_failed_req(r, "token lookup");
			return -1;
		}
	}
	if (a.tenant == 0) {
		http_error(r, 401, "unauthorized", challenge, "the API token "
		    "is not valid or was revoked");
		return -1;
	}
	r->tenant = a.tenant;
	return 0;
}

void
api_handle(struct req *r)
{
	const struct route	*rt = NULL;
	struct call		 c;
	char			 msg[256], allow[64];
	const char		*meth;
	int			 m = 0, mm;
	int64_t			 owned = 0;
	size_t			 i;
	enum query_err		 qe;

	memset(&c, 0, sizeof(c));
	c.r = r;
	if (strlen(r->path) > PATH_MAX_LEN || strncmp(r->path, API_PREFIX,
	    strlen(API_PREFIX)) != 0) {
		http_error(r, 404, "not_found", NULL, "no such resource");
		return;
	}
	/* The path picks the routes; the method picks one of them. */
	allow[0] = '\0';
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if ((mm = http_route_match(routes[i].pattern, r->path +
		    strlen(API_PREFIX), &c.org, 1)) == 0)
			continue;
		m = mm;
		meth = routes[i].method ? routes[i].method : "GET";
		snprintf(allow + strlen(allow), sizeof(allow) - strlen(allow),
		    "%s%s%s", allow[0] ? ", " : "", meth,
		    routes[i].method ? "" : ", HEAD");
		if (strcmp(r->method, meth) == 0 || (routes[i].method == NULL &&
		    strcmp(r->method, "HEAD") == 0))
			rt = &routes[i];
	}
	if (m == 0) {
		http_error(r, 404, "not_found", NULL, "no such resource");
		return;
	}
	if (m < 0) {
		http_error(r, 400, "invalid_id", NULL, "an ID is a positive "
		    "number");
		return;
	}
	if (rt == NULL) {
		char	 hdr[96];

		snprintf(hdr, sizeof(hdr), "Allow: %s\r\n", allow);
		http_error(r, 405, "method_not_allowed", hdr, "%.16s is not "
		    "allowed here; use %s", r->method, allow);
		return;
	}
	if (rt->not_org) {
		c.id = c.org;
		c.org = 0;
	}
	if ((qe = query_parse(r->query, rt->params, rt->nparams,
	    rt->limit_max ? rt->limit_max : r->conf->api_page_max, c.q, msg,
	    sizeof(msg))) != QUERY_OK) {
		http_error(r, qe == QUERY_TOO_LONG ? 414 : 400, qe ==
		    QUERY_UNKNOWN ? "unknown_parameter" : "invalid_parameter",
		    NULL, "%s", msg);
		return;
	}
	c.limit = c.q[P_LIMIT].set ? c.q[P_LIMIT].i : r->conf->api_page_default;
	if (rt->auth && r->db == NULL) {
		http_error(r, 503, "unavailable", "Retry-After: 5\r\n", "the "
		    "database is unavailable; try again shortly");
		return;
	}
	if (rt->auth && api_auth(r) != 0)
		return;
	if (c.org != 0) {
		if (DB_QUERY(r->db, SQL_ORG_OWNED, db_row_first_int, &owned,
		    DV_I(r->tenant), DV_I(c.org)) < 0) {
			db_failed_req(r, "org lookup");
			return;
		}
		if (!owned) {
			http_error(r, 404, "not_found", NULL, "no org %" PRId64
			    " for this token", c.org);
			return;
		}
	}
	rt->fn(&c);
}
