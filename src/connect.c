/*
 * connect.c: see connect.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "connect.h"
#include "log.h"
#include "oa-client.h"
#include "oa-page.h"
#include "seal.h"
#include "vault.h"

static const struct {
	const char	*name;
	const char	*label;
	const char	*path;		/* NULL: built by the code */
	bool		 single;	/* the answer is one object */
} caps[CAP__MAX] = {
	[CAP_ADMIN] = { "admin", "admin key accepted", NULL },
	[CAP_USERS] = { "users", "users", "/organization/users?limit=1" },
	[CAP_PROJECTS] = { "projects", "projects",
	    "/organization/projects?limit=1&include_archived=true" },
	[CAP_KEYS] = { "api_keys", "project API keys", NULL },
	[CAP_AUDIT_LOGS] = { "audit_logs", "audit logs",
	    "/organization/audit_logs?limit=1" },
	[CAP_ADMIN_KEYS] = { "admin_api_keys", "admin API keys",
	    "/organization/admin_api_keys?limit=1" },
	[CAP_COSTS] = { "costs", "costs", NULL },
	[CAP_USAGE] = { "usage", "usage", NULL },
	[CAP_SPEND_ALERTS] = { "spend_alerts", "spend alerts",
	    "/organization/spend_alerts?limit=1" },
	[CAP_DATA_RETENTION] = { "data_retention", "data retention",
	    "/organization/data_retention", true },
	[CAP_ROLES] = { "roles", "roles", "/organization/roles?limit=1" },
};

static const char *const status_names[] = {
	"unknown", "ok", "empty", "denied", "error"
};

const char *
cap_name(enum cap_id id)
{
	return caps[id].name;
}

const char *
cap_label(enum cap_id id)
{
	return caps[id].label;
}

const char *
cap_status_name(enum cap_status s)
{
	return status_names[s];
}

struct probe {
	struct connect_result	*res;
	enum cap_id		 id;
};

static struct probe	*probe_new(struct connect_result *, enum cap_id);
static void		 probe_done(struct oa *, struct oa_call *, void *);

/* Is the answer a list (or usage page) with something in it? */
static int
body_populated(const struct oa_call *call)
{
	struct oa_page	 pg;
	char		 err[128];
	int		 n;

	if (oa_page_parse(call->body.p ? call->body.p : "", call->body.len, &pg,
	    err, sizeof(err)) != 0)
		return -1;
	n = json_array_size(pg.data) > 0;
	/* Usage and cost pages hold buckets; count their results. */
	if (n && json_is_object(json_array_get(pg.data, 0)) &&
	    json_object_get(json_array_get(pg.data, 0), "results") != NULL) {
		size_t	 i;
		json_t	*b;

		n = 0;
		json_array_foreach(pg.data, i, b)
			n += json_array_size(json_object_get(b, "results")) > 0;
	}
	oa_page_free(&pg);
	return n > 0;
}

/* Is the answer one JSON object (the settings that are not lists)? */
static bool
body_is_object(const struct oa_call *call)
{
	json_error_t	 je;
	json_t		*o;
	bool		 ok;

	o = json_loadb(call->body.p ? call->body.p : "", call->body.len, 0,
	    &je);
	ok = json_is_object(o);
	json_decref(o);
	return ok;
}

/* The keys probe needs one project id from the projects probe. */
static void
probe_keys(struct oa *oa, struct connect_result *res,
    const struct oa_call *projects)
{
	struct capability	*cap = &res->caps[CAP_KEYS];
	struct oa_page		 pg;
	struct buf		 path = { 0 };
	const char		*id;
	char			 err[128];

	if (!oa_ok(projects) || oa_page_parse(projects->body.p ?
	    projects->body.p : "", projects->body.len, &pg, err,
	    sizeof(err)) != 0) {
		cap->status = CAP_UNKNOWN;
		snprintf(cap->detail, sizeof(cap->detail), "not probed: the "
		    "projects list is not readable");
		return;
	}
	id = json_string_value(json_object_get(json_array_get(pg.data, 0),
	    "id"));
	if (id == NULL) {
		cap->status = CAP_EMPTY;
		snprintf(cap->detail, sizeof(cap->detail), "no project to "
		    "read keys from");
		oa_page_free(&pg);
		return;
	}
	buf_adds(&path, "/organization/projects/");
	oa_escape(id, &path);
	buf_adds(&path, "/api_keys?limit=1&owner_project_access=any");
	oa_get(oa, path.p, true, probe_done, probe_new(res, CAP_KEYS));
	buf_free(&path);
	oa_page_free(&pg);
}

static void
probe_done(struct oa *oa, struct oa_call *call, void *arg)
{
	struct probe		*p = arg;
	struct capability	*cap = &p->res->caps[p->id];
	int			 pop;

	cap->http_status = call->status;
	if (call->openai_org[0] != '\0' && p->res->openai_org[0] == '\0')
		snprintf(p->res->openai_org, sizeof(p->res->openai_org), "%s",
		    call->openai_org);
	if (oa_ok(call) && caps[p->id].single) {
		pop = body_is_object(call);
		cap->status = pop ? CAP_OK : CAP_ERROR;
		snprintf(cap->detail, sizeof(cap->detail), "%s", pop ?
		    "reachable" : "reachable, but the answer is not an object");
	} else if (oa_ok(call)) {
		pop = body_populated(call);
		cap->status = pop > 0 ? CAP_OK : pop == 0 ? CAP_EMPTY :
		    CAP_ERROR;
		snprintf(cap->detail, sizeof(cap->detail), "%s", pop > 0 ?
		    "reachable" : pop == 0 ? "reachable, nothing there yet" :
		    "reachable, but the answer is not a list");
		if (p->id == CAP_AUDIT_LOGS && pop == 0)
			snprintf(cap->detail, sizeof(cap->detail), "reachable "
			    "but empty: an Organization Owner may need to turn "
			    "on audit logging (Settings, Data controls)");
	} else {
		cap->status = call->status == 403 || call->status == 404 ?
		    CAP_DENIED : CAP_ERROR;
		snprintf(cap->detail, sizeof(cap->detail), "%s", call->err);
	}
	if (p->id == CAP_USERS) {
		/* The users probe also says whether the key is accepted. */
		struct capability	*admin = &p->res->caps[CAP_ADMIN];

		admin->http_status = call->status;
		admin->status = oa_ok(call) ? CAP_OK : call->status == 0 ?
		    CAP_ERROR : CAP_DENIED;
		snprintf(admin->detail, sizeof(admin->detail), "%s",
		    oa_ok(call) ? "OpenAI accepted the key" : call->err);
	}
	if (p->id == CAP_PROJECTS)
		probe_keys(oa, p->res, call);
	free(p);
}

static struct probe *
probe_new(struct connect_result *res, enum cap_id id)
{
	struct probe	*p = xcalloc(1, sizeof(*p));

	p->res = res;
	p->id = id;
	return p;
}

/* Runs every probe concurrently; the key is wiped with the client. */
static int
probe_all(const struct conf *c, const char *key, struct connect_result *res)
{
	struct conf	 pc = *c;
	struct oa	*oa;
	struct buf	 path = { 0 };
	int64_t		 since = now_s() - 7 * 86400;
	int		 i;

	/* Probes answer a person waiting: keep their retry budget short. */
	if (pc.retry_max_seconds > 20)
		pc.retry_max_seconds = 20;
	if (pc.retry_max_attempts > 4)
		pc.retry_max_attempts = 4;
	if ((oa = oa_new(&pc, c->openai_base_url, key)) == NULL)
		return -1;
	for (i = 0; i < CAP__MAX; i++)
		if (caps[i].path != NULL)
			oa_get(oa, caps[i].path, false, probe_done,
			    probe_new(res, (enum cap_id)i));
	buf_printf(&path, "/organization/costs?start_time=%" PRId64
	    "&bucket_width=1d&limit=1", since);
	oa_get(oa, path.p, false, probe_done, probe_new(res, CAP_COSTS));
	buf_reset(&path);
	buf_printf(&path, "/organization/usage/completions?start_time=%" PRId64
	    "&bucket_width=1d&limit=1&group_by%%5B%%5D=user_id", since);
	oa_get(oa, path.p, false, probe_done, probe_new(res, CAP_USAGE));
	buf_free(&path);
	oa_run(oa);
	oa_free(oa);
	return 0;
}

json_t *
connect_caps_json(const struct connect_result *res)
{
	json_t	*a = json_array();
	int	 i;

	for (i = 0; i < CAP__MAX; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:o, s:s}",
		    "name", caps[i].name, "label", caps[i].label,
		    "status", status_names[res->caps[i].status],
		    "http_status", res->caps[i].http_status ?
		    json_integer(res->caps[i].http_status) : json_null(),
		    "detail", res->caps[i].detail));
	return a;
}

struct store {
	int64_t			 tenant, org_id;
	const char		*name, *key, *caps;
	struct connect_result	*res;
	int64_t			 stored;	/* the org's id once stored */
	bool			 failed;	/* res->error says why */
};

/* The org's row, its connection and its sealed key as one transaction,
 * run again whole after a conflict. */
static int
store_tx(struct db *db, void *arg)
{
	struct store		*st = arg;
	struct connect_result	*res = st->res;
	struct buf		 blob = { 0 };
	char			 why[384];
	int64_t			 org_id = st->org_id;
	int			 rc = -1;

	st->failed = false;
	if (org_id == 0) {
		if (DB_EXEC(db, SQL_ORG_ADD, DV_I(st->tenant), DV_S(st->name !=
		    NULL ? st->name : res->openai_org[0] ? res->openai_org :
		    "OpenAI org"), DV_S(res->key_hint), DV_S(st->caps),
		    DV_I(now_s()), DV_S(res->openai_org[0] ? res->openai_org :
		    NULL)) != 0)
			goto out;
		org_id = db_insert_id(db);
	} else if (DB_EXEC(db, SQL_ORG_REPLACE_KEY, DV_S(res->key_hint),
	    DV_S(st->caps), DV_I(org_id), DV_I(st->tenant)) != 0)
		goto out;
	else if (db_affected(db) != 1) {
		snprintf(res->error, sizeof(res->error), "no org %" PRId64
		    " in this tenant", org_id);
		st->failed = true;
		rc = 1;
		goto out;
	}
	if (DB_EXEC(db, SQL_CONN_OPEN, DV_I(st->tenant), DV_I(org_id),
	    DV_I(now_s()), DV_I(org_id)) != 0)
		goto out;
	/* Sealed to the tenant's public key: opened only where the master
	 * key is (the collector, the CLI), never here. */
	if (vault_seal_admin_key(db, st->tenant, org_id, st->key, &blob, why,
	    sizeof(why)) != 0) {
		snprintf(res->error, sizeof(res->error), "%s", why);
		st->failed = true;
		/* a failed read stays -1: db_tx retries what it can */
		rc = db_errno(db) != 0 ? -1 : 1;
		goto out;
	}
	if (DB_EXEC(db, SQL_ORG_SET_KEY, DV_B(blob.p, blob.len), DV_I(org_id),
	    DV_I(st->tenant)) != 0)
		goto out;
	st->stored = org_id;
	rc = 0;
out:
	buf_free(&blob);
	return rc;
}

/* Seals and stores in one transaction; the org exists only if all did. */
static int
connect_store(struct db *db, int64_t tenant,
    int64_t org_id, const char *name, const char *key,
    struct connect_result *res)
{
	struct store	 st = { tenant, org_id, name, key, NULL, res, 0, false };
	json_t		*capj;
	char		*capstr;
	int		 rc;

	capj = connect_caps_json(res);
	capstr = json_dumps(capj, JSON_COMPACT);
	json_decref(capj);
	st.caps = capstr;
	if ((rc = db_tx(db, store_tx, &st)) == 0)
		res->org_id = st.stored;
	else if (!st.failed) {
		log_err("connect: %s", db_error(db));
		snprintf(res->error, sizeof(res->error), "cannot store the "
		    "org: database error (see the log)");
	}
	free(capstr);
	return rc == 0 ? 0 : -1;
}

static int
disconnect_tx(struct db *db, void *arg)
{
	const int64_t	*v = arg;	/* tenant, org, now */

	if (DB_EXEC(db, SQL_ORG_DISCONNECT, DV_I(v[2]), DV_I(v[1]),
	    DV_I(v[0])) != 0)
		return -1;
	if (db_affected(db) != 1)
		return 1;		/* no such org, or already gone */
	return DB_EXEC(db, SQL_CONN_CLOSE, DV_I(v[2]), DV_I(v[1]),
	    DV_I(v[0])) != 0 ? -1 : 0;
}

int
connect_disconnect(struct db *db, int64_t tenant, int64_t org_id, int64_t now)
{
	int64_t		 v[3] = { tenant, org_id, now };

	switch (db_tx(db, disconnect_tx, v)) {
	case 0:
		return 1;
	case 1:
		return 0;
	default:
		return -1;
	}
}

int
connect_org(struct db *db, const struct conf *c, int64_t tenant,
    int64_t org_id, const char *name, const char *key,
    struct connect_result *res)
{
	const char		*why;
	struct capability	*admin = &res->caps[CAP_ADMIN];

	memset(res, 0, sizeof(*res));
	if ((why = key_admin_refusal(key)) != NULL) {
		res->outcome = CONNECT_BAD_KEY;
		snprintf(res->error, sizeof(res->error), "%s", why);
		return -1;
	}
	key_redact(key, KEY_ADMIN, res->key_hint);
	if (probe_all(c, key, res) != 0) {
		res->outcome = CONNECT_FAILED;
		snprintf(res->error, sizeof(res->error), "libcurl did not "
		    "start");
		return -1;
	}
	if (admin->status != CAP_OK) {
		res->outcome = admin->http_status == 0 ? CONNECT_UNREACHABLE :
		    CONNECT_REJECTED;
		snprintf(res->error, sizeof(res->error), admin->http_status ==
		    0 ? "cannot reach OpenAI at %s: %s" : admin->http_status ==
		    401 ? "OpenAI rejected the key (%s%s): check that it was "
		    "copied whole and has not been revoked" : "OpenAI did not "
		    "accept the key (%s%s)", admin->http_status == 0 ?
		    c->openai_base_url : admin->detail, admin->http_status ==
		    0 ? admin->detail : "");
		return -1;
	}
	if (connect_store(db, tenant, org_id, name, key, res) != 0) {
		res->outcome = CONNECT_FAILED;
		return -1;
	}
	res->outcome = CONNECT_OK;
	return 0;
}
