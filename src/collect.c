/*
 * collect.c: see collect.h.
 *
 * A run is a set of streams.  Each stream walks one cursor chain (org
 * streams) or one per project (per-project streams, started once the
 * projects stream is complete).  Pages arrive through oa callbacks; rows
 * are written a page per transaction under the stream's new generation.
 * Keys are held until the users stream has ended, because whether a key
 * is an orphan depends on the users of the same pull.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bill-calc.h"
#include "collect.h"
#include "findings.h"
#include "ingest.h"
#include "ingest-posture.h"
#include "log.h"
#include "oa-client.h"
#include "oa-page.h"
#include "redact.h"
#include "rules.h"
#include "strset.h"
#include "usage-collect.h"
#include "vault.h"
#include "wq.h"
#include "collect-int.h"

const char *const state_names[] = {
	"pending", "running", "fetched", "ok", "skipped", "failed", "idle"
};

static int row_user(struct run *, struct stream *, json_t *, const char *,
    struct db_val *, struct rows *, char *, size_t);
static int row_project(struct run *, struct stream *, json_t *,
    const char *, struct db_val *, struct rows *, char *, size_t);
static int row_invite(struct run *, struct stream *, json_t *,
    const char *, struct db_val *, struct rows *, char *, size_t);
static int row_svcacct(struct run *, struct stream *, json_t *,
    const char *, struct db_val *, struct rows *, char *, size_t);
static int row_projuser(struct run *, struct stream *, json_t *,
    const char *, struct db_val *, struct rows *, char *, size_t);
static int row_key(struct run *, struct stream *, json_t *, const char *,
    struct db_val *, struct rows *, char *, size_t);
static int row_model_perm(struct run *, struct stream *, json_t *,
    const char *, struct db_val *, struct rows *, char *, size_t);
static int row_alert(struct run *, struct stream *, json_t *,
    const char *, struct db_val *, struct rows *, char *, size_t);
static int row_retention(struct run *, struct stream *, json_t *,
    const char *, struct db_val *, struct rows *, char *, size_t);
static int row_rate_limit(struct run *, struct stream *, json_t *,
    const char *, struct db_val *, struct rows *, char *, size_t);
static int row_role(struct run *, struct stream *, json_t *,
    const char *, struct db_val *, struct rows *, char *, size_t);
static int row_user_role(struct run *, struct stream *, json_t *,
    const char *, struct db_val *, struct rows *, char *, size_t);

#define NCOLS_USER	9
#define NCOLS_PROJECT	8
#define NCOLS_KEY	20
#define NCOLS_SVCACCT	8
#define NCOLS_PROJUSER	9
#define NCOLS_INVITE	11
#define NCOLS_MAX	20
#define NCOLS_MODEL_PERM	6
#define NCOLS_ORG_ALERT	9
#define NCOLS_PROJECT_ALERT	10
#define NCOLS_ORG_RETENTION	4
#define NCOLS_PROJECT_RETENTION	5
#define NCOLS_RATE_LIMIT	12
#define NCOLS_ROLE	9
#define NCOLS_USER_ROLE	8
#define NCOLS_KEY_COUNT	7
#define KEY_BATCH	500

static const struct stream_def defs[ST__MAX] = {
	[ST_USERS] = { "users", "/organization/users", NULL, NULL,
	    false, false, false, SQL_USER_INS, NCOLS_USER, SQL_USER_PURGE,
	    row_user },
	[ST_PROJECTS] = { "projects", "/organization/projects", NULL,
	    "include_archived=true", false, false, false, SQL_PROJECT_INS,
	    NCOLS_PROJECT, SQL_PROJECT_PURGE, row_project },
	[ST_ADMIN_KEYS] = { "admin_api_keys", "/organization/admin_api_keys",
	    NULL, NULL, false, false, true, SQL_KEY_INS, NCOLS_KEY,
	    SQL_KEY_PURGE, row_key },
	[ST_INVITES] = { "invites", "/organization/invites", NULL, NULL,
	    false, false, false, SQL_INVITE_INS, NCOLS_INVITE,
	    SQL_INVITE_PURGE, row_invite },
	[ST_API_KEYS] = { "api_keys", NULL, "/api_keys",
	    "owner_project_access=any", true, false, true, SQL_KEY_INS,
	    NCOLS_KEY, SQL_KEY_PURGE, row_key },
	[ST_SVCACCTS] = { "service_accounts", NULL, "/service_accounts", NULL,
	    true, true, false, SQL_SVCACCT_INS, NCOLS_SVCACCT,
	    SQL_SVCACCT_PURGE, row_svcacct },
	[ST_PROJUSERS] = { "project_users", NULL, "/users", NULL,
	    true, true, false, SQL_PROJUSER_INS, NCOLS_PROJUSER,
	    SQL_PROJUSER_PURGE, row_projuser },
	/* Not a snapshot: appended to the org's chain (audit-collect.c). */
	[ST_AUDIT] = { .name = "audit_logs", .path = "/organization/audit_logs",
	    .append = true },
	/* Posture: the org's settings, active projects only. */
	[ST_MODEL_PERMS] = { .name = "model_permissions",
	    .suffix = "/model_permissions", .per_project = true,
	    .skip_archived = true, .single = true, .absent_unknown = true,
	    .insert = SQL_MODEL_PERM_INS, .ncols = NCOLS_MODEL_PERM,
	    .purge = SQL_MODEL_PERM_PURGE, .row = row_model_perm },
	[ST_PROJECT_ALERTS] = { .name = "project_spend_alerts",
	    .suffix = "/spend_alerts", .per_project = true,
	    .skip_archived = true, .insert = SQL_PROJECT_ALERT_INS,
	    .ncols = NCOLS_PROJECT_ALERT, .purge = SQL_PROJECT_ALERT_PURGE,
	    .row = row_alert },
	[ST_ORG_ALERTS] = { .name = "spend_alerts",
	    .path = "/organization/spend_alerts", .insert = SQL_ORG_ALERT_INS,
	    .ncols = NCOLS_ORG_ALERT, .purge = SQL_ORG_ALERT_PURGE,
	    .row = row_alert },
	[ST_ORG_RETENTION] = { .name = "data_retention",
	    .path = "/organization/data_retention", .single = true,
	    .insert = SQL_ORG_RETENTION_INS, .ncols = NCOLS_ORG_RETENTION,
	    .purge = SQL_ORG_RETENTION_PURGE, .row = row_retention },
	[ST_PROJECT_RETENTION] = { .name = "project_data_retention",
	    .suffix = "/data_retention", .per_project = true,
	    .skip_archived = true, .single = true,
	    .insert = SQL_PROJECT_RETENTION_INS,
	    .ncols = NCOLS_PROJECT_RETENTION,
	    .purge = SQL_PROJECT_RETENTION_PURGE, .row = row_retention },
	[ST_RATE_LIMITS] = { .name = "rate_limits", .suffix = "/rate_limits",
	    .per_project = true, .skip_archived = true,
	    .insert = SQL_RATE_LIMIT_INS, .ncols = NCOLS_RATE_LIMIT,
	    .purge = SQL_RATE_LIMIT_PURGE, .row = row_rate_limit },
	[ST_ROLES] = { .name = "roles", .path = "/organization/roles",
	    .insert = SQL_ROLE_INS, .ncols = NCOLS_ROLE,
	    .purge = SQL_ROLE_PURGE, .row = row_role },
	/* Who holds which role: each listed user's roles. */
	[ST_USER_ROLES] = { .name = "user_roles",
	    .path = "/organization/users/", .suffix = "/roles",
	    .per_user = true, .insert = SQL_USER_ROLE_INS,
	    .ncols = NCOLS_USER_ROLE, .purge = SQL_USER_ROLE_PURGE,
	    .row = row_user_role },
	/* Usage and costs: buckets upserted as they come (usage-collect.c). */
#define USAGE_DEF(id, ep) \
	[id] = { .name = "usage." ep, .path = "/organization/usage/" ep, \
	    .usage = true }
	USAGE_DEF(ST_U_COMPLETIONS, "completions"),
	USAGE_DEF(ST_U_EMBEDDINGS, "embeddings"),
	USAGE_DEF(ST_U_MODERATIONS, "moderations"),
	USAGE_DEF(ST_U_IMAGES, "images"),
	USAGE_DEF(ST_U_AUDIO_SPEECHES, "audio_speeches"),
	USAGE_DEF(ST_U_AUDIO_TRANSCRIPTIONS, "audio_transcriptions"),
	USAGE_DEF(ST_U_VECTOR_STORES, "vector_stores"),
	USAGE_DEF(ST_U_CODE_INTERPRETER, "code_interpreter_sessions"),
	USAGE_DEF(ST_U_FILE_SEARCH, "file_search_calls"),
	USAGE_DEF(ST_U_WEB_SEARCH, "web_search_calls"),
#undef USAGE_DEF
	[ST_COSTS] = { .name = "costs", .path = "/organization/costs",
	    .usage = true },
};

/* "usage.<endpoint>": the endpoint, or NULL for another stream. */
static const char *
usage_endpoint_of(const struct stream_def *d)
{
	return d->usage && d->name != NULL && strncmp(d->name, "usage.", 6) ==
	    0 ? d->name + 6 : NULL;
}

bool
collect_usage_endpoint(const char *name)
{
	const char	*ep;
	size_t		 i;

	for (i = 0; i < ST__MAX; i++)
		if ((ep = usage_endpoint_of(&defs[i])) != NULL &&
		    strcmp(ep, name) == 0)
			return true;
	return false;
}

void
collect_usage_endpoints(char *buf, size_t len)
{
	const char	*ep;
	size_t		 i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < ST__MAX && n < len; i++)
		if ((ep = usage_endpoint_of(&defs[i])) != NULL)
			n += (size_t)snprintf(buf + n, len - n, "%s%s",
			    n > 0 ? ", " : "", ep);
}

/* NULL for an empty string: optional columns store NULL, not "". */
static const char *
nz(const char *s)
{
	return s == NULL || *s == '\0' ? NULL : s;
}

static struct db_val
ts_val(int64_t t)
{
	return t > 0 ? DV_I(t) : DV_NULL;
}

/*
 * Deletes every generation of the stream but keep and those kept as a
 * month's last pull; db is the caller's.
 */
static int
stream_purge(struct db *db, struct run *run, const struct stream_def *d,
    int64_t keep)
{
	int	 rc;

	if (d->purge == SQL_KEY_PURGE)
		rc = DB_EXEC(db, SQL_KEY_PURGE, DV_I(run->org), DV_S(d->name),
		    DV_I(keep), DV_I(run->org), DV_S(d->name)) != 0 ||
		    (!d->per_project ? 0 : DB_EXEC(db, SQL_KEY_COUNT_PURGE,
		    DV_I(run->org), DV_I(keep), DV_I(run->org),
		    DV_S(d->name))) != 0 ? -1 : 0;
	else
		rc = DB_EXEC(db, d->purge, DV_I(run->org), DV_I(keep),
		    DV_I(run->org), DV_S(d->name));
	if (rc != 0)
		log_err("collect: org %" PRId64 ": %s: purge: %s", run->org,
		    d->name, db_error(db));
	return rc;
}

static int
stream_gen_row(const struct db_row *r, void *arg)
{
	struct stream	*st = arg;

	st->prev_gen = db_row_int(r, 0);
	st->prev_rows = db_row_int(r, 1);
	return 1;
}

/*
 * Before the pull: reads the stream's current generation and clears what
 * a crashed run may have left under a newer one.
 */
static void
stream_prepare(struct run *run, struct stream *st)
{
	if (st->def->append) {
		audit_stream_prepare(run, st);
		return;
	}
	if (st->def->usage) {
		usage_stream_prepare(run, st);
		return;
	}
	st->prev_gen = 0;
	st->prev_rows = -1;
	if (DB_QUERY(run->db, SQL_STREAM_GEN, stream_gen_row, st,
	    DV_I(run->org), DV_S(st->def->name)) < 0 ||
	    stream_purge(run->db, run, st->def, st->prev_gen) != 0) {
		log_err("collect: org %" PRId64 ": %s: %s", run->org,
		    st->def->name, db_error(run->db));
		st->state = SS_FAILED;
		snprintf(st->error, sizeof(st->error), "storage error; see "
		    "the collector log");
		return;
	}
	st->gen = st->prev_gen + 1;
}

void
stream_write_error(void *arg, const char *why)
{
	struct stream	*st = arg;

	if (!st->write_failed)
		log_err("collect: org %" PRId64 ": %s: store: %s", st->run->org,
		    st->def->name, why);
	st->write_failed = true;
	snprintf(st->write_error, sizeof(st->write_error), "storage error; "
	    "see the collector log");
}

/*
 * The write thread: ends a stream.  A fetched stream whose rows all
 * stored becomes current with one UPDATE and older generations go;
 * otherwise its partial rows go and the previous generation stays.
 * Either way the run gets the stream's record.
 */
static void
stream_finish(struct db *db, void *arg)
{
	struct ending	*e = arg;
	struct bill_month month;
	struct stream	*st = e->st;
	struct run	*run = st->run;
	const char	*error = e->error[0] ? e->error : NULL;
	int64_t		 ended = now_ms();
	long		 rows = e->rows;

	st->final = e->state == SS_FETCHED ? SS_OK : e->state;
	if (st->write_failed) {
		st->final = SS_FAILED;
		error = st->write_error;
	}
	if (st->def->append) {
		/* The chain needs no flip: each page committed as it came. */
		rows = audit_stream_end(db, st, st->final);
	} else if (st->def->usage) {
		/* Each page committed as it came, with its cursor. */
		rows = usage_stream_end(db, st, st->final);
	} else {
		bill_month_of(run->now, &month);
		if (st->final == SS_OK && (DB_EXEC(db, SQL_STREAM_KEEP,
		    DV_I(run->org), DV_S(st->def->name),
		    DV_I(month.start)) != 0 ||
		    DB_EXEC(db, SQL_STREAM_SET,
		    DV_I(run->tenant), DV_I(run->org), DV_S(st->def->name),
		    DV_I(e->gen), DV_I(run->now), DV_I(run->run_id),
		    DV_I(e->rows),
		    st->id == ST_USERS ? DV_I(e->humans) : DV_NULL,
		    st->id == ST_PROJECTS ? DV_I(e->active) : DV_NULL,
		    st->def->keys ? DV_I(e->stale) : DV_NULL,
		    st->def->keys ? DV_I(e->orphan) : DV_NULL) != 0)) {
			log_err("collect: org %" PRId64 ": %s: make current: "
			    "%s", run->org, st->def->name, db_error(db));
			st->final = SS_FAILED;
			error = "storage error; see the collector log";
		}
		stream_purge(db, run, st->def, st->final == SS_OK ? e->gen :
		    e->prev_gen);
	}
	if (DB_EXEC(db, SQL_RUN_STREAM_ADD, DV_I(run->run_id),
	    DV_I(run->tenant), DV_I(run->org), DV_S(st->def->name),
	    DV_I(e->started_ms), DV_I(ended), DV_I(e->pages), DV_I(rows),
	    DV_I(e->requests), DV_I(e->retries),
	    DV_S(state_names[st->final]),
	    e->http_status ? DV_I(e->http_status) : DV_NULL,
	    DV_S(error)) != 0)
		log_err("collect: org %" PRId64 ": %s: record: %s", run->org,
		    st->def->name, db_error(db));
	if (st->final == SS_OK)
		log_info("collect: org %" PRId64 ": %s: ok, %ld pages, %ld "
		    "rows, %ld requests, %.1f s", run->org, st->def->name,
		    e->pages, rows, e->requests,
		    (double)(ended - e->started_ms) / 1000.0);
	else
		log_warn("collect: org %" PRId64 ": %s: %s: %s", run->org,
		    st->def->name, state_names[st->final], error ? error : "");
	free(e);
}

void
stream_hand_over(struct run *run, struct stream *st)
{
	struct ending	*e = xcalloc(1, sizeof(*e));

	e->st = st;
	e->state = st->state;
	e->gen = st->gen;
	e->prev_gen = st->prev_gen;
	e->started_ms = st->started_ms ? st->started_ms : now_ms();
	e->pages = st->pages;
	e->rows = st->rows;
	e->requests = st->requests;
	e->retries = st->retries;
	e->http_status = st->http_status;
	e->humans = st->humans;
	e->active = st->active;
	e->stale = st->stale;
	e->orphan = st->orphan;
	memcpy(e->error, st->error, sizeof(e->error));
	wq_call(run->wq, stream_finish, e, sizeof(*e));
}

static void	stream_settled(struct run *run, struct stream *st);
static void	keys_flush(struct run *run, struct stream *st);

/* Does a queued request belong to stream st? */
static bool
chain_of(void *arg, void *st)
{
	return ((struct chain *)arg)->st == st;
}

void
stream_count_call(struct stream *st, const struct oa_call *call)
{
	st->requests += call->attempts;
	st->retries += call->attempts > 0 ? call->attempts - 1 : 0;
}

void
stream_call_failed(struct run *run, struct stream *st,
    const struct oa_call *call, const char *where)
{
	if (call->status == 403 || call->status == 404)
		stream_stop(run, st, SS_SKIPPED, call->status, "the key cannot "
		    "read this stream: %s", call->err);
	else
		stream_stop(run, st, SS_FAILED, call->status, "%s%s%s",
		    where != NULL ? where : "", where != NULL ? ": " : "",
		    call->err);
}

void
stream_stop(struct run *run, struct stream *st, enum stream_state state,
    long http_status, const char *fmt, ...)
{
	va_list	 ap;

	if (st->state != SS_RUNNING && st->state != SS_PENDING)
		return;
	st->state = state;
	st->http_status = http_status;
	va_start(ap, fmt);
	vsnprintf(st->error, sizeof(st->error), fmt, ap);
	va_end(ap);
	stream_hand_over(run, st);
	stream_settled(run, st);
	/* Its queued requests are not wanted any more. */
	if (run->oa != NULL)
		oa_cancel(run->oa, chain_of, st);
}

static void	per_project_start(struct run *run);
static void	per_user_start(struct run *run);

/* A stream's fetching is over: start what waited for it. */
static void
stream_settled(struct run *run, struct stream *st)
{
	enum stream_id	 i;

	if (st->id == ST_PROJECTS)
		per_project_start(run);
	if (st->id == ST_USERS)
		per_user_start(run);
	if (st->id == ST_USERS)
		for (i = 0; i < ST__MAX; i++)
			if (run->st[i].def->keys &&
			    run->st[i].state == SS_FETCHED)
				keys_flush(run, &run->st[i]);
}

/* One chain (or the fan-out hold) let go; the last one ends st. */
static void
stream_release(struct run *run, struct stream *st)
{
	enum stream_state	 us = run->st[ST_USERS].state;

	if (--st->outstanding > 0 || st->state != SS_RUNNING)
		return;
	st->state = SS_FETCHED;
	if (!st->def->keys)
		stream_hand_over(run, st);
	else if (us != SS_RUNNING && us != SS_PENDING)
		keys_flush(run, st);
	stream_settled(run, st);
}

static void
chain_end(struct chain *ch)
{
	struct stream	*st = ch->st;
	struct run	*run = ch->run;

	oa_chain_free(&ch->seen);
	free(ch->project);
	free(ch);
	stream_release(run, st);
}

static void	chain_page(struct oa *oa, struct oa_call *call, void *arg);

/* Queues the request for the chain's next page (after may be NULL). */
static void
chain_request(struct chain *ch, const char *after, bool front)
{
	const struct stream_def	*d = ch->st->def;
	struct buf		 path = { 0 };

	if (d->per_project || d->per_user) {
		buf_adds(&path, d->per_user ? d->path :
		    "/organization/projects/");
		oa_escape(ch->project, &path);
		buf_adds(&path, d->suffix);
	} else
		buf_adds(&path, d->path);
	if (d->single) {
		/* One object: no paging parameters. */
		oa_get(ch->run->oa, path.p, front, chain_page, ch);
		buf_free(&path);
		return;
	}
	buf_printf(&path, "?limit=%" PRId64, ch->run->conf->page_limit);
	if (d->query != NULL)
		buf_printf(&path, "&%s", d->query);
	if (after != NULL) {
		buf_adds(&path, "&after=");
		oa_escape(after, &path);
	}
	oa_get(ch->run->oa, path.p, front, chain_page, ch);
	buf_free(&path);
}

static void
chain_start(struct run *run, struct stream *st, const char *project)
{
	struct chain	*ch = xcalloc(1, sizeof(*ch));

	ch->run = run;
	ch->st = st;
	ch->project = project != NULL ? xstrdup(project) : NULL;
	st->outstanding++;
	chain_request(ch, NULL, false);
}

static const char	*rows_own(struct rows *, char *);

/* The columns every snapshot row starts with: tenant, org, generation. */
static struct db_val *
row_head(struct run *run, struct stream *st, struct db_val *v)
{
	v[0] = DV_I(run->tenant);
	v[1] = DV_I(run->org);
	v[2] = DV_I(st->gen);
	return v + 3;
}

/* Keeps s (copied) until the batch is queued; NULL stays NULL. */
static const char *
rows_copy(struct rows *rs, const char *s)
{
	return s == NULL ? NULL : rows_own(rs, xstrdup(s));
}

/* Takes s (malloc'ed) to free once the batch is queued. */
static const char *
rows_own(struct rows *rs, char *s)
{
	if (s == NULL)
		return NULL;
	rs->keep = xrealloc(rs->keep, (rs->nkeep + 1) * sizeof(*rs->keep));
	rs->keep[rs->nkeep++] = s;
	return s;
}

static void
rows_free(struct rows *rs)
{
	size_t	 i;

	for (i = 0; i < rs->nkeep; i++)
		free(rs->keep[i]);
	free(rs->keep);
	free(rs->v);
	memset(rs, 0, sizeof(*rs));
}

/* Turns a page's objects into rows and queues them as one batch. */
static void
page_store(struct chain *ch, json_t *data)
{
	struct run		*run = ch->run;
	struct stream		*st = ch->st;
	const struct stream_def	*d = st->def;
	struct rows		 rs = { 0 };
	size_t			 i;
	json_t			*o;
	char			 why[256];

	rs.ncols = d->ncols;
	rs.v = xcalloc(json_array_size(data) + 1, d->ncols * sizeof(*rs.v));
	json_array_foreach(data, i, o) {
		if (d->row(run, st, o, ch->project, rs.v + rs.n * d->ncols, &rs,
		    why, sizeof(why)) == 0) {
			rs.n++;
			continue;
		}
		if (st->bad_rows++ < 5)
			log_warn("collect: org %" PRId64 ": %s: skipped a row: "
			    "%s", run->org, d->name, why);
	}
	st->rows += (long)rs.n;
	if (!d->keys)
		wq_rows(run->wq, d->insert, rs.v, rs.n, d->ncols,
		    stream_write_error, st);
	rows_free(&rs);
}

/*
 * Stores one object as the stream's page: o (borrowed), or for NULL the
 * row of unknowns of an absent_unknown stream.
 */
static void
single_store(struct chain *ch, json_t *o)
{
	json_t	*data = json_array();

	json_array_append_new(data, o != NULL ? json_incref(o) : json_null());
	ch->st->pages++;
	page_store(ch, data);
	json_decref(data);
}

/* A single object's answer: parsed and stored, or the stream fails. */
static void
single_page(struct chain *ch, const struct oa_call *call)
{
	json_error_t	 je;
	json_t		*o;

	o = json_loadb(call->body.p ? call->body.p : "", call->body.len, 0,
	    &je);
	if (!json_is_object(o)) {
		stream_stop(ch->run, ch->st, SS_FAILED, call->status,
		    "%s%s%s", ch->project != NULL ? ch->project : "",
		    ch->project != NULL ? ": " : "", o == NULL ?
		    "response is not JSON" : "response is not an object");
		json_decref(o);
		return;
	}
	single_store(ch, o);
	json_decref(o);
}

static void
chain_page(struct oa *oa, struct oa_call *call, void *arg)
{
	struct chain	*ch = arg;
	struct stream	*st = ch->st;
	struct run	*run = ch->run;
	struct oa_page	 pg;
	char		 err[256];

	(void)oa;
	if (call->openai_org[0] != '\0' && run->openai_org[0] == '\0')
		snprintf(run->openai_org, sizeof(run->openai_org), "%s",
		    call->openai_org);
	/* A stream that has ended keeps no account of late answers. */
	if (st->state != SS_RUNNING)
		goto end;
	stream_count_call(st, call);
	if (st->def->absent_unknown && call->status == 404) {
		single_store(ch, NULL);
		goto end;
	}
	if (!oa_ok(call)) {
		stream_call_failed(run, st, call, ch->project);
		goto end;
	}
	if (st->def->single) {
		single_page(ch, call);
		goto end;
	}
	if (oa_page_parse(call->body.p ? call->body.p : "", call->body.len, &pg,
	    err, sizeof(err)) != 0) {
		stream_stop(run, st, SS_FAILED, call->status, "page %ld: %s",
		    st->pages + 1, err);
		goto end;
	}
	st->pages++;
	page_store(ch, pg.data);
	if (pg.has_more) {
		if (oa_chain_follow(&ch->seen, pg.next, err,
		    sizeof(err)) != 0) {
			stream_stop(run, st, SS_FAILED, call->status, "%s", err);
			oa_page_free(&pg);
			goto end;
		}
		chain_request(ch, pg.next, true);
		oa_page_free(&pg);
		return;
	}
	oa_page_free(&pg);
end:
	chain_end(ch);
}

/* Starts every per-user stream, or ends them if users did not. */
static void
per_user_start(struct run *run)
{
	struct stream	*ust = &run->st[ST_USERS];
	enum stream_id	 i;
	size_t		 u;

	for (i = 0; i < ST__MAX; i++) {
		struct stream	*st = &run->st[i];

		if (!st->def->per_user || st->state != SS_PENDING)
			continue;
		if (ust->state != SS_FETCHED) {
			stream_stop(run, st, ust->state, 0, "not pulled: the "
			    "users stream %s", state_names[ust->state]);
			continue;
		}
		st->state = SS_RUNNING;
		st->started_ms = now_ms();
		st->outstanding++;	/* hold while fanning out */
		for (u = 0; u < run->nuser_ids; u++)
			chain_start(run, st, run->user_ids[u]);
		stream_release(run, st);
	}
}

/* Starts every per-project stream, or ends them if projects did not. */
static void
per_project_start(struct run *run)
{
	struct stream	*pst = &run->st[ST_PROJECTS];
	enum stream_id	 i;
	size_t		 p;

	for (i = 0; i < ST__MAX; i++) {
		struct stream	*st = &run->st[i];

		if (!st->def->per_project || st->state != SS_PENDING)
			continue;
		if (pst->state != SS_FETCHED) {
			stream_stop(run, st, pst->state, 0, "not pulled: the "
			    "projects stream %s", state_names[pst->state]);
			continue;
		}
		st->state = SS_RUNNING;
		st->started_ms = now_ms();
		st->outstanding++;	/* hold while fanning out */
		for (p = 0; p < run->nprojects; p++)
			if (!(st->def->skip_archived && run->archived[p]))
				chain_start(run, st, run->projects[p]);
		/* Release the hold: an org without projects ends here. */
		stream_release(run, st);
	}
}

static int
row_user(struct run *run, struct stream *st, json_t *o, const char *project,
    struct db_val *v, struct rows *rs, char *err, size_t errlen)
{
	struct row_user	 r;

	(void)project;
	if (ingest_user(o, &r, err, errlen) != 0)
		return 1;
	v = row_head(run, st, v);
	v[0] = DV_S(r.id);
	v[1] = DV_S(rows_copy(rs, nz(r.email_sha256)));
	v[2] = DV_S(rows_copy(rs, nz(r.email_prefix)));
	v[3] = DV_S(r.role);
	v[4] = ts_val(r.added_at);
	v[5] = DV_I(r.is_service_account);
	strset_add(&run->users, r.id);
	run->user_ids = xrealloc(run->user_ids, (run->nuser_ids + 1) *
	    sizeof(*run->user_ids));
	run->user_ids[run->nuser_ids++] = xstrdup(r.id);
	st->humans += !r.is_service_account;
	return 0;
}

static int
row_project(struct run *run, struct stream *st, json_t *o,
    const char *project, struct db_val *v, struct rows *rs, char *err,
    size_t errlen)
{
	struct row_project	 r;

	(void)project;
	if (ingest_project(o, &r, err, errlen) != 0)
		return 1;
	v = row_head(run, st, v);
	v[0] = DV_S(r.id);
	v[1] = DV_S(rows_own(rs, r.name));
	v[2] = DV_S(r.status);
	v[3] = ts_val(r.created_at);
	v[4] = ts_val(r.archived_at);
	run->projects = xrealloc(run->projects, (run->nprojects + 1) *
	    sizeof(*run->projects));
	run->archived = xrealloc(run->archived, (run->nprojects + 1) *
	    sizeof(*run->archived));
	run->projects[run->nprojects] = xstrdup(r.id);
	run->archived[run->nprojects++] = r.archived;
	st->active += !r.archived;
	return 0;
}

static int
row_invite(struct run *run, struct stream *st, json_t *o,
    const char *project, struct db_val *v, struct rows *rs, char *err,
    size_t errlen)
{
	struct row_invite	 r;

	(void)project;
	if (ingest_invite(o, &r, err, errlen) != 0)
		return 1;
	v = row_head(run, st, v);
	v[0] = DV_S(r.id);
	v[1] = DV_S(rows_copy(rs, nz(r.email_sha256)));
	v[2] = DV_S(rows_copy(rs, nz(r.email_prefix)));
	v[3] = DV_S(r.role);
	v[4] = DV_S(r.status);
	v[5] = ts_val(r.created_at);
	v[6] = ts_val(r.expires_at);
	v[7] = ts_val(r.accepted_at);
	return 0;
}

static int
row_svcacct(struct run *run, struct stream *st, json_t *o,
    const char *project, struct db_val *v, struct rows *rs, char *err,
    size_t errlen)
{
	struct row_svcacct	 r;

	if (ingest_svcacct(o, &r, err, errlen) != 0)
		return 1;
	v = row_head(run, st, v);
	v[0] = DV_S(r.id);
	v[1] = DV_S(project);
	v[2] = DV_S(rows_own(rs, r.name));
	v[3] = DV_S(r.role);
	v[4] = ts_val(r.created_at);
	return 0;
}

static int
row_projuser(struct run *run, struct stream *st, json_t *o,
    const char *project, struct db_val *v, struct rows *rs, char *err,
    size_t errlen)
{
	struct row_projuser	 r;

	if (ingest_projuser(o, &r, err, errlen) != 0)
		return 1;
	v = row_head(run, st, v);
	v[0] = DV_S(project);
	v[1] = DV_S(r.user_id);
	v[2] = DV_S(rows_copy(rs, nz(r.email_sha256)));
	v[3] = DV_S(rows_copy(rs, nz(r.email_prefix)));
	v[4] = DV_S(r.role);
	v[5] = ts_val(r.added_at);
	return 0;
}

/* Keys are held whole (they own their strings) until users is known. */
static int
row_key(struct run *run, struct stream *st, json_t *o, const char *project,
    struct db_val *v, struct rows *rs, char *err, size_t errlen)
{
	struct key_row	 r;

	(void)run;
	(void)v;
	(void)rs;
	if ((project != NULL ? ingest_project_key(o, project, &r, err, errlen) :
	    ingest_admin_key(o, &r, err, errlen)) != 0)
		return 1;
	if (st->nkeys == st->capkeys) {
		st->capkeys = st->capkeys ? st->capkeys * 2 : 256;
		st->keys = xrealloc(st->keys, st->capkeys * sizeof(*st->keys));
	}
	st->keys[st->nkeys++] = r;
	return 0;
}

/* A 404 (o is null) is a project whose policy OpenAI does not tell. */
static int
row_model_perm(struct run *run, struct stream *st, json_t *o,
    const char *project, struct db_val *v, struct rows *rs, char *err,
    size_t errlen)
{
	struct row_model_perm	 r = { 0 };

	if (!json_is_null(o) && ingest_model_perm(o, &r, err, errlen) != 0)
		return 1;
	v = row_head(run, st, v);
	v[0] = DV_S(project);
	v[1] = DV_S(r.mode);
	v[2] = DV_S(rows_own(rs, r.model_ids));
	return 0;
}

/* An org alert (project NULL) or a project's. */
static int
row_alert(struct run *run, struct stream *st, json_t *o,
    const char *project, struct db_val *v, struct rows *rs, char *err,
    size_t errlen)
{
	struct row_spend_alert	 r;

	(void)rs;
	if (ingest_spend_alert(o, &r, err, errlen) != 0)
		return 1;
	v = row_head(run, st, v);
	if (project != NULL)
		*v++ = DV_S(project);
	v[0] = DV_S(r.id);
	v[1] = DV_I(r.threshold_cents);
	v[2] = DV_S(r.currency);
	v[3] = DV_S(r.interval);
	v[4] = DV_S(r.channel);
	v[5] = DV_I(r.recipients);
	return 0;
}

/* The org's retention (project NULL) or a project's. */
static int
row_retention(struct run *run, struct stream *st, json_t *o,
    const char *project, struct db_val *v, struct rows *rs, char *err,
    size_t errlen)
{
	const char	*type;

	(void)rs;
	if (ingest_retention(o, &type, err, errlen) != 0)
		return 1;
	v = row_head(run, st, v);
	if (project != NULL)
		*v++ = DV_S(project);
	v[0] = DV_S(type);
	return 0;
}

static int
row_rate_limit(struct run *run, struct stream *st, json_t *o,
    const char *project, struct db_val *v, struct rows *rs, char *err,
    size_t errlen)
{
	struct row_rate_limit	 r;
	int			 i;

	(void)rs;
	if (ingest_rate_limit(o, &r, err, errlen) != 0)
		return 1;
	v = row_head(run, st, v);
	v[0] = DV_S(project);
	v[1] = DV_S(r.id);
	v[2] = DV_S(r.model);
	for (i = 0; i < RL__MAX; i++)
		v[3 + i] = r.has[i] ? DV_I(r.max[i]) : DV_NULL;
	return 0;
}

static int
row_role(struct run *run, struct stream *st, json_t *o, const char *project,
    struct db_val *v, struct rows *rs, char *err, size_t errlen)
{
	struct row_role	 r;

	(void)project;
	if (ingest_role(o, &r, err, errlen) != 0)
		return 1;
	v = row_head(run, st, v);
	v[0] = DV_S(r.id);
	v[1] = DV_S(r.name);
	v[2] = DV_S(r.description);
	v[3] = DV_S(rows_own(rs, r.permissions));
	v[4] = DV_S(r.resource_type);
	v[5] = DV_I(r.predefined);
	return 0;
}

/* One role a user holds; user is the id the path was made from. */
static int
row_user_role(struct run *run, struct stream *st, json_t *o,
    const char *user, struct db_val *v, struct rows *rs, char *err,
    size_t errlen)
{
	struct row_user_role	 r;

	if (ingest_user_role(o, &r, err, errlen) != 0)
		return 1;
	v = row_head(run, st, v);
	v[0] = DV_S(user);
	v[1] = DV_S(r.role_id);
	v[2] = DV_S(r.role_name);
	v[3] = DV_I(r.direct);
	v[4] = DV_S(rows_own(rs, r.group_ids));
	return 0;
}

static int
user_id_row(const struct db_row *r, void *arg)
{
	strset_add(arg, db_row_str(r, 0));
	return 0;
}

/*
 * Who is in the org, for orphan findings: this pull's users when that
 * stream was fetched, else the stored snapshot.  false when neither.
 */
static bool
users_for_findings(struct run *run)
{
	long	 n;

	if (run->users_known)
		return true;
	if (run->st[ST_USERS].state == SS_FETCHED) {
		run->users_known = true;
		return true;
	}
	strset_free(&run->users);
	n = DB_QUERY(run->db, SQL_USER_IDS, user_id_row, &run->users,
	    DV_I(run->org));
	if (n <= 0) {
		log_warn("collect: org %" PRId64 ": no users list: keys whose "
		    "owner left cannot be told this run", run->org);
		return false;
	}
	log_warn("collect: org %" PRId64 ": users stream %s: findings use "
	    "the stored users list", run->org,
	    state_names[run->st[ST_USERS].state]);
	run->users_known = true;
	return true;
}

/* One key's row, findings included; reasons are kept in rs. */
static void
key_row_values(struct run *run, struct stream *st, const struct key_row *k,
    bool membership, struct db_val *v, struct rows *rs)
{
	struct finding_key	 fk;
	struct finding		 f;

	fk.created_at = k->created_at;
	fk.last_used_at = k->last_used_at;
	fk.owner_is_user = k->owner_type != NULL &&
	    strcmp(k->owner_type, "user") == 0 && k->owner_id != NULL;
	fk.owner_in_org = !membership || !fk.owner_is_user ||
	    strset_has(&run->users, k->owner_id);
	fk.access_inactive = k->owner_access != NULL &&
	    strcmp(k->owner_access, "inactive") == 0;
	finding_eval(&fk, run->now, run->conf->stale_days, &f);
	st->stale += f.stale;
	st->orphan += f.orphan;
	v[0] = DV_I(run->tenant);
	v[1] = DV_I(run->org);
	v[2] = DV_S(st->def->name);
	v[3] = DV_I(st->gen);
	v[4] = DV_S(k->id);
	v[5] = DV_S(k->project_id);
	v[6] = DV_S(key_type_name(k->type));
	v[7] = DV_S(k->redacted);
	v[8] = DV_S(k->name);
	v[9] = ts_val(k->created_at);
	v[10] = ts_val(k->last_used_at);
	v[11] = ts_val(k->expires_at);
	v[12] = DV_S(k->owner_type);
	v[13] = DV_S(k->owner_id);
	v[14] = DV_S(k->owner_access);
	v[15] = DV_I(f.stale);
	v[16] = DV_S(rows_copy(rs, nz(f.stale_reason)));
	v[17] = DV_I(f.orphan);
	v[18] = DV_S(rows_copy(rs, nz(f.orphan_reason)));
	v[19] = DV_I(run->now);
}

static int
key_by_project(const void *a, const void *b)
{
	const struct key_row	*x = *(const struct key_row *const *)a;
	const struct key_row	*y = *(const struct key_row *const *)b;

	return strcmp(x->project_id, y->project_id);
}

/*
 * Queues, under the stream's generation, each project's count of keys
 * and of stale and orphan keys (oa_key_count): the projects page joins
 * them instead of counting.  flags[i] holds key i's findings (1 stale,
 * 2 orphan).
 */
static void
key_counts(struct run *run, struct stream *st, const unsigned char *flags)
{
	const struct key_row	**by;
	struct db_val		*v, *x = NULL;
	size_t			 i, n = 0, nrows = 0;

	by = xcalloc(st->nkeys + 1, sizeof(*by));
	for (i = 0; i < st->nkeys; i++)
		if (st->keys[i].project_id != NULL)
			by[n++] = &st->keys[i];
	qsort(by, n, sizeof(*by), key_by_project);
	v = xcalloc(n + 1, NCOLS_KEY_COUNT * sizeof(*v));
	for (i = 0; i < n; i++) {
		size_t	 k = (size_t)(by[i] - st->keys);

		if (i == 0 || strcmp(by[i]->project_id,
		    by[i - 1]->project_id) != 0) {
			x = v + nrows++ * NCOLS_KEY_COUNT;
			row_head(run, st, x);
			x[3] = DV_S(by[i]->project_id);
			x[4] = x[5] = x[6] = DV_I(0);
		}
		x[4].i++;
		x[5].i += (flags[k] & 1) != 0;
		x[6].i += (flags[k] & 2) != 0;
	}
	if (nrows > 0)
		wq_rows(run->wq, SQL_KEY_COUNT_INS, v, nrows, NCOLS_KEY_COUNT,
		    stream_write_error, st);
	free(v);
	free(by);
}

/* Evaluates a fetched key stream and queues its rows, then its end. */
static void
keys_flush(struct run *run, struct stream *st)
{
	bool		 membership = users_for_findings(run);
	struct rows	 rs = { 0 };
	unsigned char	*flags = xcalloc(st->nkeys + 1, 1);
	size_t		 i;

	rs.ncols = NCOLS_KEY;
	rs.v = xcalloc(KEY_BATCH, NCOLS_KEY * sizeof(*rs.v));
	for (i = 0; i < st->nkeys; i++) {
		key_row_values(run, st, &st->keys[i], membership,
		    rs.v + rs.n * NCOLS_KEY, &rs);
		flags[i] = (rs.v[rs.n * NCOLS_KEY + 15].i ? 1 : 0) |
		    (rs.v[rs.n * NCOLS_KEY + 17].i ? 2 : 0);
		if (++rs.n == KEY_BATCH || i + 1 == st->nkeys) {
			wq_rows(run->wq, SQL_KEY_INS, rs.v, rs.n, NCOLS_KEY,
			    stream_write_error, st);
			rows_free(&rs);
			rs.ncols = NCOLS_KEY;
			rs.v = xcalloc(KEY_BATCH, NCOLS_KEY * sizeof(*rs.v));
		}
	}
	rows_free(&rs);
	if (st->def->per_project)
		key_counts(run, st, flags);
	free(flags);
	stream_hand_over(run, st);
}

static void
run_free(struct run *run)
{
	size_t		 i, k;

	for (i = 0; i < ST__MAX; i++) {
		for (k = 0; k < run->st[i].nkeys; k++)
			key_row_free(&run->st[i].keys[k]);
		free(run->st[i].keys);
	}
	audit_stream_free(&run->st[ST_AUDIT]);
	for (i = 0; i < ST__MAX; i++)
		usage_stream_free(&run->st[i]);
	for (i = 0; i < run->nprojects; i++)
		free(run->projects[i]);
	free(run->projects);
	free(run->archived);
	for (i = 0; i < run->nuser_ids; i++)
		free(run->user_ids[i]);
	free(run->user_ids);
	strset_free(&run->users);
	oa_free(run->oa);
}

/* Opens the admin key and makes the client; the key never outlives it. */
static int
run_client(struct run *run, struct collect_result *res)
{
	struct buf	 key = { 0 };
	char		 err[sizeof(res->error)];

	if (vault_open_admin_key(run->db, run->conf, run->org, &run->tenant,
	    &key, err, sizeof(err)) != 0) {
		snprintf(res->error, sizeof(res->error), "%s", err);
		return -1;
	}
	run->oa = oa_new(run->conf, run->conf->openai_base_url, key.p);
	buf_free(&key);
	if (run->oa == NULL) {
		snprintf(res->error, sizeof(res->error), "libcurl did not "
		    "start");
		return -1;
	}
	return 0;
}

static const char *
host_id(void)
{
	static char	 host[128];

	if (host[0] == '\0' && gethostname(host, sizeof(host) - 1) != 0)
		snprintf(host, sizeof(host), "unknown");
	return host;
}

/* After the pull: counts what the write thread made of each stream. */
static const char *
run_tally(struct run *run, struct collect_result *res)
{
	enum stream_id	 i;

	for (i = 0; i < ST__MAX; i++) {
		switch (run->st[i].final) {
		case SS_IDLE:
			continue;
		case SS_OK:
			res->ok++;
			break;
		case SS_SKIPPED:
			res->skipped++;
			break;
		default:
			res->failed++;
			break;
		}
		res->rows += run->st[i].rows;
	}
	return res->failed == 0 ? "ok" : res->ok + res->skipped > 0 ?
	    "partial" : "failed";
}

/*
 * Did this pull change a table enough that the optimizer's statistics
 * are out of date?  A first pull, or a stream whose rows moved by more
 * than a tenth, or an audit log that grew by more than a tenth.
 */
static bool
run_needs_analyze(const struct run *run)
{
	const struct stream	*st;
	enum stream_id		 i;
	long			 d;

	for (i = 0; i < ST__MAX; i++) {
		st = &run->st[i];
		if (st->final != SS_OK)
			continue;
		if (st->def->append) {
			if (audit_stream_grown(st))
				return true;
			continue;
		}
		d = st->rows - st->prev_rows;
		if (st->prev_rows < 0 || (d < 0 ? -d : d) * 10 > st->prev_rows)
			return true;
	}
	return false;
}

/*
 * Recomputes the statistics of the tables a pull writes, so plans follow
 * the data.  Pages do not depend on it (their joins are by primary key),
 * but counts and ranges elsewhere do.
 */
static void
run_analyze(struct run *run)
{
	if (!run_needs_analyze(run))
		return;
	if (DB_QUERY(run->db, SQL_ANALYZE_SNAPSHOTS, NULL, NULL) < 0 ||
	    DB_QUERY(run->db, SQL_ANALYZE_POSTURE, NULL, NULL) < 0)
		log_warn("collect: org %" PRId64 ": analyze: %s", run->org,
		    db_error(run->db));
}

/*
 * The findings engine over this pull: each rule whose streams were all
 * pulled in full.  Its failure is logged and leaves the findings as they
 * were; the snapshots are stored either way.
 */
static void
run_rules(struct run *run)
{
	struct rules_pull	 pull[ST__MAX];
	enum stream_id		 i;

	for (i = 0; i < ST__MAX; i++) {
		pull[i].stream = run->st[i].def->name;
		pull[i].ok = run->st[i].final == SS_OK;
	}
	rules_run(run->db, run->conf, run->org, run->run_id, run->now, pull,
	    ST__MAX);
}

/*
 * Records the day's billing snapshot: the user and project counts now
 * current, under the UTC day the run started.
 */
static void
day_put(struct run *run)
{
	time_t		 t = (time_t)run->now;
	struct tm	 tm;
	char		 day[16];

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(day, sizeof(day), "%Y-%m-%d", &tm) == 0)
		return;
	if (DB_EXEC(run->db, SQL_DAY_PUT, DV_S(day), DV_I(run->run_id),
	    DV_I(run->now), DV_I(run->org)) != 0)
		log_err("collect: org %" PRId64 ": the day's counts: %s",
		    run->org, db_error(run->db));
}

struct due {
	int64_t	 inventory_at, usage_at;
};

static int
due_row(const struct db_row *r, void *arg)
{
	struct due	*d = arg;

	d->inventory_at = db_row_int(r, 0);
	d->usage_at = db_row_int(r, 1);
	return 1;
}

/*
 * Which parts of the org are due: everything when asked for it, else the
 * inventory (with the audit log) every inventory_interval_seconds and
 * usage and costs every usage_interval_seconds, each with a tenth of
 * slack so that a timer firing a little early does not skip a turn.
 */
static void
run_due(struct run *run, enum collect_what what, bool *inventory,
    bool *usage)
{
	const struct conf	*c = run->conf;
	struct due		 d = { 0, 0 };

	*inventory = *usage = true;
	if (what == COLLECT_ALL)
		return;
	if (DB_QUERY(run->db, SQL_ORG_DUE, due_row, &d, DV_I(run->org)) < 0)
		return;
	*inventory = run->now - d.inventory_at >=
	    c->inventory_interval_seconds * 9 / 10;
	*usage = run->now - d.usage_at >= c->usage_interval_seconds * 9 / 10;
}

int
collect_org(struct db *db, const struct conf *c, int64_t org,
    enum collect_what what, struct collect_result *res)
{
	struct run	 run;
	enum stream_id	 i;
	const char	*status;
	char		 err[256];
	int64_t		 start = now_ms();
	bool		 inventory, usage;

	memset(res, 0, sizeof(*res));
	memset(&run, 0, sizeof(run));
	run.db = db;
	run.conf = c;
	run.org = org;
	run.now = now_s();
	for (i = 0; i < ST__MAX; i++) {
		run.st[i].def = &defs[i];
		run.st[i].id = i;
		run.st[i].run = &run;
	}
	run_due(&run, what, &inventory, &usage);
	if (!inventory && !usage) {
		res->idle = true;
		return 0;
	}
	for (i = 0; i < ST__MAX; i++)
		if (defs[i].usage ? !usage : !inventory)
			run.st[i].state = run.st[i].final = SS_IDLE;
	if (run_client(&run, res) != 0)
		goto fail;
	if ((run.wq = wq_start(c, err, sizeof(err))) == NULL) {
		snprintf(res->error, sizeof(res->error), "%s", err);
		goto fail;
	}
	if (DB_EXEC(db, SQL_RUN_ADD, DV_I(run.tenant), DV_I(org),
	    DV_I(now_ms()), DV_S(host_id())) != 0) {
		snprintf(res->error, sizeof(res->error), "cannot record the "
		    "run: %s", db_error(db));
		goto fail;
	}
	run.run_id = res->run_id = db_insert_id(db);
	log_info("collect: org %" PRId64 ": run %" PRId64 " started", org,
	    run.run_id);

	/* Every stream's generation first: nothing is written meanwhile. */
	for (i = 0; i < ST__MAX; i++)
		if (run.st[i].state != SS_IDLE)
			stream_prepare(&run, &run.st[i]);
	for (i = 0; i < ST__MAX; i++) {
		struct stream	*st = &run.st[i];

		if (st->state == SS_IDLE)
			continue;
		if (st->state == SS_FAILED) {
			stream_hand_over(&run, st);
			stream_settled(&run, st);
		} else if (defs[i].append) {
			audit_stream_start(&run, st);
		} else if (defs[i].usage) {
			usage_stream_start(&run, st);
		} else if (!defs[i].per_project && !defs[i].per_user) {
			st->state = SS_RUNNING;
			st->started_ms = now_ms();
			chain_start(&run, st, NULL);
		}
	}
	oa_run(run.oa);
	/* Anything unfinished here is a bug: end it as failed, say so. */
	for (i = 0; i < ST__MAX; i++)
		if (run.st[i].state == SS_PENDING ||
		    run.st[i].state == SS_RUNNING)
			stream_stop(&run, &run.st[i], SS_FAILED, 0, "stream did "
			    "not finish");
	wq_finish(run.wq);
	run.wq = NULL;

	status = run_tally(&run, res);
	res->requests = oa_requests(run.oa);
	res->retries = oa_retries(run.oa);
	if (run.st[ST_USERS].final == SS_OK ||
	    run.st[ST_PROJECTS].final == SS_OK)
		day_put(&run);
	run_analyze(&run);
	usage_after_pull(&run);
	run_rules(&run);
	if (DB_EXEC(db, SQL_ORG_DUE_SET, DV_I(inventory), DV_I(run.now),
	    DV_I(usage), DV_I(run.now), DV_I(org)) != 0)
		log_err("collect: org %" PRId64 ": when pulled: %s", org,
		    db_error(db));
	if (run.openai_org[0] != '\0')
		DB_EXEC(db, SQL_ORG_SET_OPENAI, DV_S(run.openai_org), DV_I(org),
		    DV_S(run.openai_org));
	if (DB_EXEC(db, SQL_RUN_END, DV_I(now_ms()), DV_S(status),
	    DV_I(res->requests), DV_NULL, DV_I(run.run_id)) != 0)
		log_err("collect: org %" PRId64 ": end run: %s", org,
		    db_error(db));
	res->ms = now_ms() - start;
	log_info("collect: org %" PRId64 ": run %" PRId64 " %s: %d ok, %d "
	    "skipped, %d failed, %ld rows, %ld requests (%ld retries)", org,
	    run.run_id, status, res->ok, res->skipped, res->failed, res->rows,
	    res->requests, res->retries);
	run_free(&run);
	return res->failed == 0 ? 0 : 1;
fail:
	wq_finish(run.wq);
	/* A run that could not start is still a run: record it, plainly. */
	if (run.run_id == 0 && run.tenant != 0 && DB_EXEC(db, SQL_RUN_ADD,
	    DV_I(run.tenant), DV_I(org), DV_I(start), DV_S(host_id())) == 0)
		run.run_id = res->run_id = db_insert_id(db);
	if (run.run_id > 0)
		DB_EXEC(db, SQL_RUN_END, DV_I(now_ms()), DV_S("failed"),
		    DV_I(0), DV_S("the run could not start; the operator's "
		    "collector log says why"), DV_I(run.run_id));
	run_free(&run);
	return -1;
}

struct lease {
	int64_t	 id, until;
	char	 status[17], owner[129];
	int	 found;
};

static int
lease_row(const struct db_row *r, void *arg)
{
	struct lease	*l = arg;

	l->id = db_row_int(r, 0);
	if (r->ncol > 1) {
		snprintf(l->status, sizeof(l->status), "%s", db_row_str(r, 1));
		l->until = db_row_int(r, 2);
		snprintf(l->owner, sizeof(l->owner), "%s", db_row_str(r, 3));
	}
	l->found = 1;
	return 1;
}

/* A lease transaction's arguments and what it found. */
struct lease_tx {
	const struct conf	*c;
	const char		*owner;
	int64_t			 org, pass_start, now;
	struct lease		 l;
	bool			 taken;
};

/*
 * Takes org t->org's lease if it is free or already t->owner's.  The
 * UPDATE checks that itself: on Galera the row lock of SELECT ... FOR
 * UPDATE (SKIP LOCKED) holds on one node only, so two collectors on two
 * nodes may both pick the org; both update its row, certification lets
 * one commit, and the other's retry (db_tx) matches nothing.
 */
static int
lease_take(struct db *db, struct lease_tx *t)
{
	if (DB_EXEC(db, SQL_ORG_LEASE_TAKE, DV_I(t->now + t->c->lease_seconds),
	    DV_S(t->owner), DV_I(now_ms()), DV_I(t->org), DV_I(t->now),
	    DV_S(t->owner)) != 0)
		return -1;
	t->taken = db_affected(db) == 1;
	return 0;
}

static int
lease_one_tx(struct db *db, void *arg)
{
	struct lease_tx	*t = arg;

	t->l.found = 0;
	t->taken = false;
	if (DB_QUERY(db, SQL_ORG_LEASE_ONE, lease_row, &t->l, DV_I(t->org)) < 0)
		return -1;
	if (!t->l.found || strcmp(t->l.status, "active") != 0 ||
	    (t->l.until >= t->now && strcmp(t->l.owner, t->owner) != 0))
		return 1;
	return lease_take(db, t);
}

int
collect_lease_one(struct db *db, const struct conf *c, int64_t org,
    const char *owner, char *err, size_t errlen)
{
	struct lease_tx	 t = { .c = c, .owner = owner, .org = org };
	int		 rc;

	t.now = now_s();
	if ((rc = db_tx(db, lease_one_tx, &t)) < 0) {
		snprintf(err, errlen, "cannot lease org %" PRId64 ": %s", org,
		    db_error(db));
		return -1;
	}
	if (!t.l.found) {
		snprintf(err, errlen, "no org %" PRId64 "; 'orgaudit orgs' "
		    "lists them", org);
		return -1;
	}
	if (strcmp(t.l.status, "active") != 0) {
		snprintf(err, errlen, "org %" PRId64 " is %s; connect it again "
		    "to collect it", org, t.l.status);
		return -1;
	}
	if (rc > 0 || !t.taken) {
		snprintf(err, errlen, "org %" PRId64 " is being collected by "
		    "%s (lease for %" PRId64 " s more)", org, t.l.owner,
		    t.l.until - t.now);
		return -1;
	}
	return 0;
}

static int
lease_next_tx(struct db *db, void *arg)
{
	struct lease_tx	*t = arg;

	t->l.found = 0;
	t->taken = false;
	if (DB_QUERY(db, SQL_ORG_LEASE_NEXT, lease_row, &t->l, DV_I(t->now),
	    DV_I(t->pass_start - t->c->collect_fresh_seconds * 1000)) < 0)
		return -1;
	if (!t->l.found)
		return 0;
	t->org = t->l.id;
	return lease_take(db, t);
}

int
collect_lease_next(struct db *db, const struct conf *c, int64_t pass_start,
    const char *owner, int64_t *org)
{
	struct lease_tx	 t = { .c = c, .owner = owner,
	    .pass_start = pass_start };
	int		 tries;

	/* Another node's collector may take the org picked: pick again. */
	for (tries = 0; tries < 100; tries++) {
		t.now = now_s();
		if (db_tx(db, lease_next_tx, &t) != 0) {
			log_err("collect: lease: %s", db_error(db));
			return -1;
		}
		if (!t.l.found)
			return 0;
		if (t.taken) {
			*org = t.org;
			return 1;
		}
	}
	return 0;
}

void
collect_release(struct db *db, int64_t org, int64_t run_id,
    const char *owner)
{
	if (DB_EXEC(db, SQL_ORG_LEASE_RELEASE, run_id > 0 ? DV_I(run_id) :
	    DV_NULL, DV_I(org), DV_S(owner)) != 0)
		log_err("collect: org %" PRId64 ": release lease: %s", org,
		    db_error(db));
}
