/*
 * job.h: heavy work as jobs.  The web, the API and cron ask for an
 * evidence pack; orgaudit-worker makes it, one job per tenant at a time,
 * reporting progress as it goes.  A request whose inputs (pack.h:
 * pack_inputs()) match a stored pack is answered with that pack, one that
 * matches a job queued or running with that job: no work is done twice.
 * A tenant may ask for pack_jobs_per_hour packs an hour and keep
 * pack_quota packs.
 */
#ifndef ORGAUDIT_JOB_H
#define ORGAUDIT_JOB_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "conf.h"
#include "db.h"

struct job_req {
	int64_t		 tenant, org;
	int64_t		 start, end;	/* the period, Unix seconds */
	const char	*made_by;	/* "api", "web", "monthly" */
	const char	*requested_by;	/* "account:7", "token:3", "cron" */
};

enum job_answer_kind {
	JOB_QUEUED,	/* a job (new, or the same one live): job_id */
	JOB_PACK,	/* the same pack exists: pack_id */
	JOB_REFUSED,	/* status, error (and retry_after for 429) */
};

struct job_answer {
	enum job_answer_kind	 kind;
	int64_t			 job_id, pack_id;
	bool			 existed;	/* JOB_QUEUED: it was live */
	int			 status;	/* 400 404 409 429 503 507 */
	int64_t			 retry_after;
	char			 error[512];
};

/*
 * Asks for a pack of rq; key_fp is the signing key's fingerprint.
 * Answers in ans; returns 0, or -1 on a database failure (ans says 503
 * or 500).
 */
int	 job_ask_pack(struct db *db, const struct conf *c, const char *key_fp,
	    const struct job_req *rq, struct job_answer *ans);

/*
 * A job as JSON (a new reference) into *out: 1, 0 when the tenant has no
 * such job, -1 on a database failure.
 */
int	 job_get(struct db *db, int64_t tenant, int64_t id, json_t **out);
/* The org's live jobs and those ended within a day: a JSON array. */
int	 job_recent(struct db *db, int64_t tenant, int64_t org, json_t **out);

/* -- the worker's side ------------------------------------------------- */

struct job {
	int64_t	 id, tenant, org, start, end;
	char	 made_by[17];
};

/*
 * Takes the oldest queued job of a tenant with no job running (after
 * putting back jobs whose worker died).  1 with *j filled, 0 for none,
 * -1 on a database failure.
 */
int	 job_lease(struct db *db, const struct conf *c, const char *owner,
	    struct job *j);
/* Records progress and renews the lease.  0 or -1. */
int	 job_progress(struct db *db, const struct conf *c, int64_t id,
	    const char *owner, int64_t done, int64_t total);
/* Ends a job: done with its pack, or failed with error.  0 or -1. */
int	 job_finish(struct db *db, int64_t id, const char *owner,
	    int64_t pack_id, const char *error);

#endif
