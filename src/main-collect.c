/*
 * main-collect.c: orgaudit-collect, run by a timer every 15 minutes.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "collect.h"
#include "log.h"
#include "util.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: orgaudit-collect [--conf FILE] (--org ID | --all) "
	    "[--concurrency N] [--verbose]\n\n"
	    "Pulls each connected OpenAI org into MariaDB: users, projects, "
	    "project API keys,\nservice accounts, project users, admin API "
	    "keys, invites, the org's settings\nand the audit log (the "
	    "inventory), and usage (ten endpoints) and costs.\n\n"
	    "  --org ID         pull every stream of this org now\n"
	    "  --all            pull what is due of every active org: the "
	    "inventory every\n"
	    "                   inventory_interval_seconds (1 h), usage and "
	    "costs every\n"
	    "                   usage_interval_seconds (15 min); run it every "
	    "15 minutes.\n"
	    "                   Collectors on several hosts may run at once: "
	    "each org is leased\n"
	    "  --concurrency N  requests in flight (default: "
	    "collect_concurrency)\n"
	    "  --verbose        log every retry\n\n"
	    "Exit codes: 0 every stream stored (or skipped: the key cannot "
	    "read it),\n1 some stream failed (the others are stored), 2 bad "
	    "usage or configuration.\n");
}

/* Pulls one leased org, releases it, and folds its result into rc. */
static int
collect_one(struct db *db, const struct conf *c, int64_t org,
    enum collect_what what, const char *owner)
{
	struct collect_result	 res;
	int			 rc;

	rc = collect_org(db, c, org, what, &res);
	collect_release(db, org, res.run_id, owner);
	if (rc == 0 && res.idle) {
		printf("org %" PRId64 ": nothing due\n", org);
		return EXIT_OK;
	}
	if (rc < 0) {
		log_err("collect: org %" PRId64 ": %s", org, res.error);
		fprintf(stderr, "orgaudit-collect: org %" PRId64 ": %s\n", org,
		    res.error);
		return EXIT_FAIL;
	}
	printf("org %" PRId64 ": run %" PRId64 ": %d streams ok, %d skipped, "
	    "%d failed; %ld rows, %ld requests (%ld retries) in %.2f s\n", org,
	    res.run_id, res.ok, res.skipped, res.failed, res.rows,
	    res.requests, res.retries, (double)res.ms / 1000.0);
	return rc == 0 ? EXIT_OK : EXIT_FAIL;
}

struct args {
	int64_t	 org, conc;
	int	 all, verbose;
};

static int
arg(void *ctx, int ch, const char *v)
{
	struct args	*a = ctx;

	switch (ch) {
	case 'o':
		if (parse_i64(v, 1, INT64_MAX, &a->org) == 0)
			return 0;
		fprintf(stderr, "orgaudit-collect: --org must be an org ID (a "
		    "positive number)\n");
		return EXIT_USAGE;
	case 'a':
		a->all = 1;
		return 0;
	case 'n':
		if (parse_i64(v, 1, 256, &a->conc) == 0)
			return 0;
		fprintf(stderr, "orgaudit-collect: --concurrency must be 1 to "
		    "256\n");
		return EXIT_USAGE;
	default:
		a->verbose = 1;
		return 0;
	}
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "org", required_argument, NULL, 'o' },
		{ "all", no_argument, NULL, 'a' },
		{ "concurrency", required_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 }
	};
	struct args	 a = { 0, 0, 0, 0 };
	const struct app app = { "orgaudit-collect", usage, opts, arg, &a, 0 };
	struct conf	 c;
	struct db	*db;
	const char	*conf_file = NULL;
	char		 owner[192], host[128], err[512];
	int64_t		 org, pass;
	int		 rc = EXIT_OK, r;

	if ((rc = app_start(&app, argc, argv, &conf_file)) != APP_RUN)
		return rc;
	rc = EXIT_OK;
	org = a.org;
	if (optind != argc || (org == 0) == (a.all == 0)) {
		fprintf(stderr, "orgaudit-collect: give exactly one of --org ID "
		    "and --all\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (app_conf("orgaudit-collect", conf_file, &c) != 0)
		return EXIT_USAGE;
	if (a.conc > 0)
		c.collect_concurrency = a.conc;
	if (a.verbose)
		log_set_level(LOG_DEBUG);
	if ((db = app_db(&c)) == NULL) {
		conf_free(&c);
		return EXIT_USAGE;
	}
	if (gethostname(host, sizeof(host) - 1) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	snprintf(owner, sizeof(owner), "%s:%d", host, (int)getpid());

	if (org != 0) {
		if (collect_lease_one(db, &c, org, owner, err,
		    sizeof(err)) != 0) {
			fprintf(stderr, "orgaudit-collect: %s\n", err);
			rc = EXIT_FAIL;
		} else
			rc = collect_one(db, &c, org, COLLECT_ALL, owner);
	} else {
		pass = now_ms();
		while ((r = collect_lease_next(db, &c, pass, owner, &org)) > 0)
			if (collect_one(db, &c, org, COLLECT_DUE, owner) !=
			    EXIT_OK)
				rc = EXIT_FAIL;
		if (r < 0)
			rc = EXIT_FAIL;
	}
	db_close(db);
	conf_free(&c);
	return rc;
}
