/*
 * api.c: see api.h.  Routes are a table; every handler receives a
 * request whose method, tenant, org and parameters are already checked.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/sha.h>

#include "api.h"
#include "billing.h"
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

struct call {
	struct req	*r;
	int64_t		 org;
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

#define PARAMS(a)	a, sizeof(a) / sizeof(a[0])

static const struct route {
	const char		*pattern;	/* after /api/v1/; ":org" = ID */
	void			(*fn)(struct call *);
	bool			 auth;
	const struct qspec	*params;
	size_t			 nparams;
	int64_t			 limit_max;	/* 0: api_page_max */
} routes[] = {
	{ "health", api_health, false, NULL, 0, 0 },
	{ "openai/orgs", api_orgs, true, PARAMS(list_params), 0 },
	{ "openai/orgs/:org", api_org, true, NULL, 0, 0 },
	{ "openai/orgs/:org/keys", api_keys, true, PARAMS(key_params), 0 },
	{ "openai/orgs/:org/users", api_users, true, PARAMS(list_params), 0 },
	{ "openai/orgs/:org/projects", api_projects, true, PARAMS(list_params),
	    0 },
	{ "openai/orgs/:org/runs", api_runs, true, PARAMS(list_params), 0 },
	{ "openai/orgs/:org/events", api_events, true, PARAMS(event_params),
	    0 },
	{ "openai/orgs/:org/events.jsonl", api_export, true,
	    PARAMS(export_params), INT64_MAX },
	{ "billing", api_billing, true, NULL, 0, 0 },
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
	char			 msg[256];
	int			 m = 0;
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
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if ((m = http_route_match(routes[i].pattern, r->path +
		    strlen(API_PREFIX), &c.org, 1)) != 0) {
			rt = &routes[i];
			break;
		}
	if (rt == NULL) {
		http_error(r, 404, "not_found", NULL, "no such resource");
		return;
	}
	if (m < 0) {
		http_error(r, 400, "invalid_id", NULL, "an org ID is a positive "
		    "number");
		return;
	}
	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
		http_error(r, 405, "method_not_allowed", "Allow: GET, HEAD\r\n",
		    "%.16s is not allowed here; use GET", r->method);
		return;
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
