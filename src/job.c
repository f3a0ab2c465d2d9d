/*
 * job.c: see job.h.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "job.h"
#include "log.h"
#include "pack.h"
#include "views.h"

#define HOUR	3600

static int
refuse(struct job_answer *ans, int status, const char *fmt, ...)
    PRINTF_LIKE(3, 4);

static int
refuse(struct job_answer *ans, int status, const char *fmt, ...)
{
	va_list	 ap;

	ans->kind = JOB_REFUSED;
	ans->status = status;
	va_start(ap, fmt);
	vsnprintf(ans->error, sizeof(ans->error), fmt, ap);
	va_end(ap);
	return 0;
}

static int
db_failed(struct db *db, struct job_answer *ans, const char *what)
{
	log_err("job: %s: %s", what, db_error(db));
	refuse(ans, db_unavailable(db) ? 503 : 500, "database error (see the "
	    "log)");
	return -1;
}

static int
id_row(const struct db_row *r, void *arg)
{
	*(int64_t *)arg = db_row_int(r, 0);
	return 1;
}

static int
rate_row(const struct db_row *r, void *arg)
{
	((int64_t *)arg)[0] = db_row_int(r, 0);
	((int64_t *)arg)[1] = db_row_int(r, 1);
	return 1;
}

/* The limits on what a tenant asks for; 0 within them, else refused. */
static int
within_quota(struct db *db, const struct conf *c, const struct job_req *rq,
    struct job_answer *ans, int64_t now)
{
	int64_t	 rate[2] = { 0, 0 }, stored = 0;

	if (strcmp(rq->made_by, "monthly") == 0)
		return 0;
	if (DB_QUERY(db, SQL_JOB_RATE, rate_row, rate, DV_I(rq->tenant),
	    DV_I(now - HOUR)) < 0 || DB_QUERY(db, SQL_PACK_COUNT,
	    db_row_first_int, &stored, DV_I(rq->tenant)) < 0)
		return db_failed(db, ans, "quota");
	if (rate[0] >= c->pack_jobs_per_hour) {
		ans->retry_after = rate[1] + HOUR - now > 0 ? rate[1] + HOUR -
		    now : 1;
		refuse(ans, 429, "this tenant asked for %" PRId64 " packs in "
		    "the last hour, the most it may; try again in %" PRId64
		    " s", rate[0], ans->retry_after);
		return 1;
	}
	if (stored >= c->pack_quota) {
		refuse(ans, 507, "this tenant keeps %" PRId64 " packs, the most "
		    "it may; ask the operator to raise pack_quota", stored);
		return 1;
	}
	return 0;
}

int
job_ask_pack(struct db *db, const struct conf *c, const char *key_fp,
    const struct job_req *rq, struct job_answer *ans)
{
	struct pack_req		 pr = { .tenant = rq->tenant, .org = rq->org,
	    .start = rq->start, .end = rq->end, .made_by = rq->made_by };
	struct pack_result	 res;
	int64_t			 now = now_s(), id = 0;
	int			 q;

	memset(ans, 0, sizeof(*ans));
	if (pack_inputs(db, &pr, key_fp, &res) != 0)
		return refuse(ans, res.status, "%s", res.error), res.status >=
		    500 ? -1 : 0;
	/* The same pack is stored: nothing to do. */
	if (DB_QUERY(db, SQL_PACK_BY_INPUTS, id_row, &id, DV_I(rq->tenant),
	    DV_I(rq->org), DV_S(res.inputs)) < 0)
		return db_failed(db, ans, "pack lookup");
	if (id != 0) {
		ans->kind = JOB_PACK;
		ans->pack_id = id;
		return 0;
	}
	/* The same job is queued or running: that one. */
	if (DB_QUERY(db, SQL_JOB_LIVE, id_row, &id, DV_I(rq->tenant),
	    DV_I(rq->org), DV_S(res.inputs)) < 0)
		return db_failed(db, ans, "job lookup");
	if (id == 0) {
		if ((q = within_quota(db, c, rq, ans, now)) != 0)
			return q < 0 ? -1 : 0;
		if (DB_EXEC(db, SQL_JOB_ADD, DV_I(rq->tenant), DV_I(rq->org),
		    DV_I(rq->start), DV_I(rq->end), DV_S(res.inputs),
		    DV_S(rq->made_by), DV_S(rq->requested_by),
		    DV_I(now)) != 0)
			return db_failed(db, ans, "job add");
		/* 0 rows: an identical request was stored meanwhile. */
		if ((id = db_insert_id(db)) == 0 && (DB_QUERY(db, SQL_JOB_LIVE,
		    id_row, &id, DV_I(rq->tenant), DV_I(rq->org),
		    DV_S(res.inputs)) < 0 || id == 0))
			return db_failed(db, ans, "job add");
	} else
		ans->existed = true;
	ans->kind = JOB_QUEUED;
	ans->job_id = id;
	return 0;
}

/* A job as the API shows it, with links to itself and its pack. */
static json_t *
job_view(const struct db_row *r)
{
	json_t		*o = view_cols(r, SQL_JOB_GET, "orgaudit.job");
	const char	*st = db_row_str(r, JC_STATUS);

	json_object_set_new(o, "url", json_sprintf("/api/v1/jobs/%s",
	    db_row_str(r, JC_ID)));
	json_object_set_new(o, "pack", db_row_null(r, JC_PACK) ? json_null() :
	    json_pack("{s:I, s:o}", "id", (json_int_t)db_row_int(r, JC_PACK),
	    "download", json_sprintf("/api/v1/openai/evidence-packs/%s",
	    db_row_str(r, JC_PACK))));
	json_object_set_new(o, "live", json_boolean(strcmp(st, "queued") == 0 ||
	    strcmp(st, "running") == 0));
	return o;
}

static int
job_one_row(const struct db_row *r, void *arg)
{
	*(json_t **)arg = job_view(r);
	return 1;
}

static int
job_list_row(const struct db_row *r, void *arg)
{
	json_array_append_new(arg, job_view(r));
	return 0;
}

int
job_get(struct db *db, int64_t tenant, int64_t id, json_t **out)
{
	*out = NULL;
	if (DB_QUERY(db, SQL_JOB_GET, job_one_row, out, DV_I(tenant),
	    DV_I(id)) < 0)
		return -1;
	return *out != NULL;
}

int
job_recent(struct db *db, int64_t tenant, int64_t org, json_t **out)
{
	*out = json_array();
	if (DB_QUERY(db, SQL_JOB_RECENT, job_list_row, *out, DV_I(tenant),
	    DV_I(org), DV_I(now_s() - 86400)) < 0) {
		json_decref(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

static int
next_row(const struct db_row *r, void *arg)
{
	((int64_t *)arg)[0] = db_row_int(r, 0);
	((int64_t *)arg)[1] = db_row_int(r, 1);
	return 1;
}

static int
job_of_row(const struct db_row *r, void *arg)
{
	struct job	*j = arg;

	j->id = db_row_int(r, JC_ID);
	j->org = db_row_int(r, JC_ORG);
	j->start = db_row_int(r, JC_START);
	j->end = db_row_int(r, JC_END);
	snprintf(j->made_by, sizeof(j->made_by), "%s", db_row_str(r,
	    JC_MADE_BY));
	return 1;
}

/* job_lease's transaction (db_tx); t->next[0] stays 0 when none is taken. */
struct job_tx {
	const struct conf	*c;
	const char		*owner;
	int64_t			 now, next[2];
	struct job		*j;
};

static int
job_lease_tx(struct db *db, void *arg)
{
	struct job_tx	*t = arg;
	int64_t		 busy = 0, tenant;

	t->next[0] = t->next[1] = 0;
	if (DB_QUERY(db, SQL_JOB_NEXT, next_row, t->next) < 0)
		return -1;
	if (t->next[0] == 0)
		return 0;
	/* One job per tenant: the tenant's row serialises the takers. */
	tenant = t->next[1];
	if (DB_QUERY(db, SQL_JOB_TENANT_LOCK, db_row_first_int, &busy,
	    DV_I(tenant)) < 0 || DB_QUERY(db, SQL_JOB_TENANT_BUSY,
	    db_row_first_int, &busy, DV_I(tenant)) < 0)
		return -1;
	if (busy > 0) {
		t->next[0] = 0;
		return 1;
	}
	if (DB_EXEC(db, SQL_JOB_TAKE, DV_S(t->owner), DV_I(t->now +
	    t->c->lease_seconds), DV_I(t->now), DV_I(t->next[0])) != 0)
		return -1;
	if (db_affected(db) != 1) {
		t->next[0] = 0;
		return 1;
	}
	return DB_QUERY(db, SQL_JOB_GET, job_of_row, t->j, DV_I(tenant),
	    DV_I(t->next[0])) < 0 ? -1 : 0;
}

int
job_lease(struct db *db, const struct conf *c, const char *owner,
    struct job *j)
{
	struct job_tx	 t = { .c = c, .owner = owner, .j = j };
	int		 rc;

	memset(j, 0, sizeof(*j));
	t.now = now_s();
	if (DB_EXEC(db, SQL_JOB_REQUEUE, DV_I(t.now), DV_I(t.now)) != 0 ||
	    (rc = db_tx(db, job_lease_tx, &t)) < 0) {
		log_err("job: lease: %s", db_error(db));
		return -1;
	}
	if (rc > 0 || t.next[0] == 0)
		return 0;
	j->tenant = t.next[1];
	return 1;
}

int
job_progress(struct db *db, const struct conf *c, int64_t id,
    const char *owner, int64_t done, int64_t total)
{
	if (DB_EXEC(db, SQL_JOB_PROGRESS, DV_I(done), DV_I(total),
	    DV_I(now_s() + c->lease_seconds), DV_I(id), DV_S(owner)) != 0) {
		log_warn("job %" PRId64 ": progress: %s", id, db_error(db));
		return -1;
	}
	return 0;
}

int
job_finish(struct db *db, int64_t id, const char *owner, int64_t pack_id,
    const char *error)
{
	const char	*status = error == NULL ? "done" : "failed";

	if (DB_EXEC(db, SQL_JOB_FINISH, DV_S(status), pack_id > 0 ?
	    DV_I(pack_id) : DV_NULL, DV_S(error), DV_I(now_s()), DV_S(status),
	    DV_I(id), DV_S(owner)) != 0) {
		log_err("job %" PRId64 ": finish: %s", id, db_error(db));
		return -1;
	}
	return 0;
}
