/*
 * api.c: see api.h.  Routes are a table; every handler receives a
 * request whose method, tenant, org and parameters are already checked.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/sha.h>

#include "api.h"
#include "ingest.h"
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

void
cursor_encode(char kind, const char *a, const char *b, char *out,
    size_t outlen)
{
	char	 raw[300];
	int	 n;

	n = snprintf(raw, sizeof(raw), "%c\n%s%s%s", kind, a, b ? "\n" : "",
	    b ? b : "");
	/* base64url of n bytes is ceil(4n/3) characters, plus the NUL. */
	if (n < 0 || (size_t)n >= sizeof(raw) ||
	    ((size_t)n * 4 + 2) / 3 + 1 > outlen) {
		out[0] = '\0';
		return;
	}
	b64url_encode((const unsigned char *)raw, (size_t)n, out);
}

int
cursor_decode(const char *s, char kind, char *a, size_t alen, char *b,
    size_t blen)
{
	char	 raw[301], *nl;
	long	 n;

	n = b64url_decode(s, strlen(s), (unsigned char *)raw, sizeof(raw) - 1);
	if (n < 3 || raw[0] != kind || raw[1] != '\n')
		return -1;
	raw[n] = '\0';
	if (memchr(raw, '\0', (size_t)n) != NULL)
		return -1;
	nl = strchr(raw + 2, '\n');
	if ((nl != NULL) != (b != NULL))
		return -1;
	if (nl != NULL)
		*nl = '\0';
	if (!ingest_id_ok(raw + 2) || strlen(raw + 2) >= alen)
		return -1;
	snprintf(a, alen, "%s", raw + 2);
	if (nl != NULL) {
		if (!ingest_id_ok(nl + 1) || strlen(nl + 1) >= blen)
			return -1;
		snprintf(b, blen, "%s", nl + 1);
	}
	return 0;
}

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

static void
db_failed(struct call *c, const char *what)
{
	db_failed_req(c->r, what);
}

/* A page of a list: rows become views until the one past the limit. */
struct page_out {
	struct call	*c;
	json_t		*data;
	json_t		*(*view)(const struct db_row *);
	char		 kind;
	int64_t		 now;
	char		 cursor[420];
	bool		 more;
	char		 last_a[129], last_b[33];
};

static int
page_row(const struct db_row *row, void *arg)
{
	struct page_out	*p = arg;

	if ((int64_t)json_array_size(p->data) == p->c->limit) {
		p->more = true;
		return 1;
	}
	json_array_append_new(p->data, p->kind == 'k' ? view_key(row,
	    p->now) : p->view(row));
	snprintf(p->last_a, sizeof(p->last_a), "%s", db_row_str(row, 0));
	if (p->kind == 'k')
		snprintf(p->last_b, sizeof(p->last_b), "%s",
		    db_row_str(row, KC_STREAM));
	return 0;
}

/* Sends {"data": [...], "next_cursor": ...}. */
static void
page_send(struct page_out *p)
{
	json_t	*next = json_null();

	if (p->more) {
		cursor_encode(p->kind, p->last_a, p->kind == 'k' ? p->last_b :
		    NULL, p->cursor, sizeof(p->cursor));
		next = json_string(p->cursor);
	}
	http_json(p->c->r, 200, json_pack("{s:o, s:o}", "data", p->data,
	    "next_cursor", next), NULL);
}

/* Decodes the cursor parameter; 0, or -1 after answering 400. */
static int
cursor_param(struct call *c, char kind, char *a, size_t alen, char *b,
    size_t blen)
{
	a[0] = '\0';
	if (b != NULL)
		b[0] = '\0';
	if (!c->q[P_CURSOR].set)
		return 0;
	if (cursor_decode(c->q[P_CURSOR].s, kind, a, alen, b, blen) == 0)
		return 0;
	http_error(c->r, 400, "invalid_parameter", NULL, "cursor is not a "
	    "cursor this list returned");
	return -1;
}

/*
 * A cursor over numeric ids: *out stays at its default when no cursor is
 * given.  0, or -1 after answering 400.
 */
static int
cursor_int(struct call *c, char kind, int64_t *out)
{
	char	 id[32];

	if (cursor_param(c, kind, id, sizeof(id), NULL, 0) != 0)
		return -1;
	if (id[0] == '\0' || parse_i64(id, 1, INT64_MAX, out) == 0)
		return 0;
	http_error(c->r, 400, "invalid_parameter", NULL, "cursor is not a "
	    "cursor this list returned");
	return -1;
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
	struct page_out	 p = { c, json_array(), view_org, 'o', 0, "", false,
	    "", "" };
	int64_t		 after_id = 0;

	if (cursor_int(c, 'o', &after_id) != 0)
		goto out;
	if (DB_QUERY(c->r->db, SQL_ORG_PAGE, page_row, &p, DV_I(c->r->tenant),
	    DV_I(after_id), DV_I(c->limit + 1)) < 0) {
		db_failed(c, "orgs");
		goto out;
	}
	page_send(&p);
	return;
out:
	json_decref(p.data);
}

static int
streams_row(const struct db_row *r, void *arg)
{
	json_array_append_new(arg, json_pack("{s:s, s:I, s:I, s:I}",
	    "stream", db_row_str(r, 0), "pulled_at",
	    (json_int_t)db_row_int(r, 1), "run_id",
	    (json_int_t)db_row_int(r, 2), "rows",
	    (json_int_t)db_row_int(r, 3)));
	return 0;
}

static int
org_row(const struct db_row *r, void *arg)
{
	*(json_t **)arg = view_org(r);
	return 1;
}

static void
api_org(struct call *c)
{
	json_t	*org = NULL, *streams = json_array();

	if (DB_QUERY(c->r->db, SQL_ORG_GET, org_row, &org, DV_I(c->r->tenant),
	    DV_I(c->org)) < 0 || DB_QUERY(c->r->db, SQL_STREAM_LIST,
	    streams_row, streams, DV_I(c->r->tenant), DV_I(c->org)) < 0) {
		json_decref(org);
		json_decref(streams);
		db_failed(c, "org");
		return;
	}
	json_object_set_new(org, "streams", streams);
	http_json(c->r, 200, org, NULL);
}

static void
api_keys(struct call *c)
{
	struct page_out	 p = { c, json_array(), NULL, 'k', now_s(), "", false,
	    "", "" };
	char		 after[129], stream[33];
	struct qval	*q = c->q;

	if (cursor_param(c, 'k', after, sizeof(after), stream,
	    sizeof(stream)) != 0)
		goto out;
	if (DB_QUERY(c->r->db, SQL_KEY_PAGE, page_row, &p, DV_I(c->r->tenant),
	    DV_I(c->org), DV_S(after), DV_S(after), DV_S(stream),
	    q[P_STALE].set ? DV_I(q[P_STALE].b) : DV_NULL, DV_I(q[P_STALE].b),
	    q[P_ORPHAN].set ? DV_I(q[P_ORPHAN].b) : DV_NULL,
	    DV_I(q[P_ORPHAN].b),
	    q[P_TYPE].set ? DV_S(q[P_TYPE].s) : DV_NULL, DV_S(q[P_TYPE].s),
	    q[P_PROJECT].set ? DV_S(q[P_PROJECT].s) : DV_NULL,
	    DV_S(q[P_PROJECT].s), DV_I(c->limit + 1)) < 0) {
		db_failed(c, "keys");
		goto out;
	}
	page_send(&p);
	return;
out:
	json_decref(p.data);
}

/* Users and projects: the same paging over an OpenAI id. */
static void
api_id_list(struct call *c, char kind, enum sql_stmt stmt,
    json_t *(*view)(const struct db_row *))
{
	struct page_out	 p = { c, json_array(), view, kind, 0, "", false,
	    "", "" };
	char		 after[129];

	if (cursor_param(c, kind, after, sizeof(after), NULL, 0) != 0)
		goto out;
	if (DB_QUERY(c->r->db, stmt, page_row, &p, DV_I(c->r->tenant),
	    DV_I(c->org), DV_S(after), DV_I(c->limit + 1)) < 0) {
		db_failed(c, kind == 'u' ? "users" : "projects");
		goto out;
	}
	page_send(&p);
	return;
out:
	json_decref(p.data);
}

static void
api_users(struct call *c)
{
	api_id_list(c, 'u', SQL_USER_PAGE, view_user);
}

static void
api_projects(struct call *c)
{
	api_id_list(c, 'p', SQL_PROJECT_PAGE, view_project);
}

/* Attaches each stream row to its run in the page. */
static int
run_stream_row(const struct db_row *r, void *arg)
{
	json_t	*runs = arg, *run;
	size_t	 i;

	json_array_foreach(runs, i, run)
		if (json_integer_value(json_object_get(run, "id")) ==
		    db_row_int(r, RSC_RUN_ID))
			json_array_append_new(json_object_get(run, "streams"),
			    view_run_stream(r));
	return 0;
}

static void
api_runs(struct call *c)
{
	struct page_out	 p = { c, json_array(), view_run, 'r', 0, "", false,
	    "", "" };
	int64_t		 before_id = INT64_MAX, hi, lo;
	size_t		 n;

	if (cursor_int(c, 'r', &before_id) != 0)
		goto out;
	if (DB_QUERY(c->r->db, SQL_RUN_PAGE, page_row, &p, DV_I(c->r->tenant),
	    DV_I(c->org), DV_I(before_id), DV_I(c->limit + 1)) < 0)
		goto dberr;
	if ((n = json_array_size(p.data)) > 0) {
		hi = json_integer_value(json_object_get(json_array_get(p.data,
		    0), "id"));
		lo = json_integer_value(json_object_get(json_array_get(p.data,
		    n - 1), "id"));
		if (DB_QUERY(c->r->db, SQL_RUN_STREAMS, run_stream_row, p.data,
		    DV_I(c->r->tenant), DV_I(c->org), DV_I(hi), DV_I(lo)) < 0)
			goto dberr;
	}
	page_send(&p);
	return;
dberr:
	db_failed(c, "runs");
out:
	json_decref(p.data);
}

/*
 * Matches path (after the prefix) against pattern; sets *org for ":org".
 * Returns 1 on a match, 0 on none, -1 when only the org ID is malformed.
 */
static int
route_match(const char *pattern, const char *path, int64_t *org)
{
	const char	*p = pattern, *s = path, *pe, *se;
	int		 bad_id = 0;

	for (;;) {
		pe = strchr(p, '/');
		se = strchr(s, '/');
		if (pe == NULL)
			pe = p + strlen(p);
		if (se == NULL)
			se = s + strlen(s);
		if (pe - p == 4 && strncmp(p, ":org", 4) == 0) {
			char	 id[24];

			if (se - s == 0 || se - s >= (long)sizeof(id))
				bad_id = 1;
			else {
				memcpy(id, s, (size_t)(se - s));
				id[se - s] = '\0';
				if (parse_i64(id, 1, INT64_MAX, org) != 0 ||
				    id[0] == '0')
					bad_id = 1;
			}
		} else if (pe - p != se - s || strncmp(p, s,
		    (size_t)(pe - p)) != 0)
			return 0;
		if (*pe == '\0' || *se == '\0')
			return *pe == '\0' && *se == '\0' ? (bad_id ? -1 : 1) :
			    0;
		p = pe + 1;
		s = se + 1;
	}
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
		if ((m = route_match(routes[i].pattern, r->path +
		    strlen(API_PREFIX), &c.org)) != 0) {
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
			db_failed(&c, "org lookup");
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
