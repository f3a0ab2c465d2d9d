/*
 * api.c: see api.h.  Routes are a table; every handler receives a
 * request whose method, tenant, org and parameters are already checked.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/sha.h>

#include "api.h"
#include "lists.h"
#include "log.h"
#include "query.h"
#include "token.h"
#include "views.h"

#define API_PREFIX	"/api/v1/"
#define PATH_MAX_LEN	512
#define SEGS_MAX	8

enum param {
	P_LIMIT, P_CURSOR, P_STALE, P_ORPHAN, P_TYPE, P_PROJECT, P__MAX
};

static const struct qspec list_params[] = {
	[P_LIMIT] = { "limit", Q_LIMIT },
	[P_CURSOR] = { "cursor", Q_CURSOR },
	[P_STALE] = { "stale", Q_BOOL },
	[P_ORPHAN] = { "orphan", Q_BOOL },
	[P_TYPE] = { "type", Q_KEY_TYPE },
	[P_PROJECT] = { "project", Q_OA_ID },
};

struct call {
	struct req	*r;
	int64_t		 org;
	struct qval	 q[P__MAX];
	int64_t		 limit;
};

static void	api_health(struct call *);
static void	api_orgs(struct call *);
static void	api_org(struct call *);
static void	api_keys(struct call *);
static void	api_users(struct call *);
static void	api_projects(struct call *);
static void	api_runs(struct call *);

static const struct route {
	const char	*pattern;	/* after /api/v1/; ":org" = an org ID */
	void		(*fn)(struct call *);
	bool		 auth;
	size_t		 nparams;	/* a prefix of list_params */
} routes[] = {
	{ "health", api_health, false, 0 },
	{ "openai/orgs", api_orgs, true, 2 },
	{ "openai/orgs/:org", api_org, true, 0 },
	{ "openai/orgs/:org/keys", api_keys, true, P__MAX },
	{ "openai/orgs/:org/users", api_users, true, 2 },
	{ "openai/orgs/:org/projects", api_projects, true, 2 },
	{ "openai/orgs/:org/runs", api_runs, true, 2 },
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

	f.stale = q[P_STALE].set ? q[P_STALE].b : -1;
	f.orphan = q[P_ORPHAN].set ? q[P_ORPHAN].b : -1;
	f.type = q[P_TYPE].set ? q[P_TYPE].s : NULL;
	f.project = q[P_PROJECT].set ? q[P_PROJECT].s : NULL;
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
	if ((qe = query_parse(r->query, list_params, rt->nparams,
	    r->conf->api_page_max, c.q, msg, sizeof(msg))) != QUERY_OK) {
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
