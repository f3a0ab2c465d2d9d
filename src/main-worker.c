/*
 * main-worker.c: orgaudit-worker, which does the heavy work the web and
 * cron ask for (job.h): today, making evidence packs.  It holds the
 * signing key; the web does not.  Run it as a service with --loop, or
 * from a timer for one pass over the queue.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "job.h"
#include "activity.h"
#include "log.h"
#include "pack.h"
#include "sign.h"
#include "util.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: orgaudit-worker [--conf FILE] [--loop] "
	    "[--interval SECONDS]\n\n"
	    "Makes the evidence packs the dashboard, the API and 'orgaudit "
	    "pack monthly' ask\nfor, one job per tenant at a time, and "
	    "records each job's progress.  It signs\nthe packs with "
	    "signing_key_file, which only it and the operator's CLI read.\n\n"
	    "  --loop           keep waiting for jobs (a service); without "
	    "it, one pass over\n"
	    "                   the queue, then exit (a timer)\n"
	    "  --interval N     with --loop, look for jobs every N seconds "
	    "(default 2)\n\n"
	    "Exit codes: 0 every job taken was done, 1 some job failed "
	    "(its error is on the\njob, and in the log), 2 bad usage or "
	    "configuration.\n");
}

/* What a running pack reports, through the worker's second connection. */
struct ticker {
	struct db		*db;
	const struct conf	*c;
	int64_t			 job;
	const char		*owner;
};

static void
tick(void *arg, int64_t done, int64_t total)
{
	struct ticker	*t = arg;

	job_progress(t->db, t->c, t->job, t->owner, done, total);
}

/* The worker's part on the tenant's trail. */
static void
note(struct db *db, const struct job *j, const char *owner, int64_t pack,
    const char *outcome)
{
	struct act	 a = { j->tenant, "worker", owner, NULL, "pack.made",
	    NULL, outcome };
	char		 target[32];

	snprintf(target, sizeof(target), pack ? "pack:%" PRId64 :
	    "org:%" PRId64, pack ? pack : j->org);
	a.target = target;
	activity_log(db, &a);
}

/* Makes one job's pack; 0 done, -1 failed (recorded on the job). */
static int
run_job(struct db *db, struct db *side, const struct conf *c,
    const struct signer *sg, const char *owner, const struct job *j)
{
	struct ticker		 t = { side, c, j->id, owner };
	struct pack_req		 rq = { .tenant = j->tenant, .org = j->org,
	    .start = j->start, .end = j->end, .made_by = j->made_by,
	    .tick = tick, .tick_arg = &t };
	struct pack_result	 res;
	int64_t			 t0 = now_ms();

	log_info("worker: job %" PRId64 ": pack of org %" PRId64, j->id,
	    j->org);
	if (pack_create(db, c, sg, &rq, &res) != 0) {
		log_warn("worker: job %" PRId64 ": %s", j->id, res.error);
		job_finish(side, j->id, owner, 0, res.error);
		note(side, j, owner, 0, "failed");
		return -1;
	}
	job_finish(side, j->id, owner, res.id, NULL);
	note(side, j, owner, res.id, "ok");
	log_info("worker: job %" PRId64 ": pack %" PRId64 "%s, %" PRId64
	    " events, %.1f s", j->id, res.id, res.existed ? " (existing)" : "",
	    res.events, (double)(now_ms() - t0) / 1000.0);
	printf("job %" PRId64 ": pack %" PRId64 " of org %" PRId64 "%s\n",
	    j->id, res.id, j->org, res.existed ? " (the same was stored)" : "");
	fflush(stdout);
	return 0;
}

int
main(int argc, char **argv)
{
	struct app_loop		 a = { "orgaudit-worker", 0, 2 };
	const struct app	 app = { "orgaudit-worker", usage, app_loop_opts,
	    app_loop_opt, &a, 0 };
	struct conf		 c;
	struct db		*db = NULL, *side = NULL;
	struct signer		*sg;
	struct job		 j;
	const char		*conf_file = NULL;
	char			 owner[192], host[128], err[600];
	int			 rc, r;

	if ((rc = app_start(&app, argc, argv, &conf_file)) != APP_RUN)
		return rc;
	if (optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (app_conf("orgaudit-worker", conf_file, &c) != 0)
		return EXIT_USAGE;
	if ((sg = sign_load(c.signing_key_file, err, sizeof(err))) == NULL) {
		fprintf(stderr, "orgaudit-worker: %s\n", err);
		conf_free(&c);
		return EXIT_USAGE;
	}
	if ((db = app_db(&c)) == NULL || (side = app_db(&c)) == NULL) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (gethostname(host, sizeof(host) - 1) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	snprintf(owner, sizeof(owner), "%s:%d", host, (int)getpid());
	rc = EXIT_OK;
	for (;;) {
		if ((r = job_lease(db, &c, owner, &j)) < 0) {
			rc = EXIT_FAIL;
			if (!a.loop)
				break;
		} else if (r > 0) {
			if (run_job(db, side, &c, sg, owner, &j) != 0)
				rc = EXIT_FAIL;
			continue;
		} else if (!a.loop)
			break;
		app_loop_wait(&a);
	}
out:
	db_close(side);
	db_close(db);
	sign_free(sg);
	conf_free(&c);
	return rc;
}
