/*
 * main-bill.c: orgaudit-bill, run by cron on the 1st of each month.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "bill-push.h"
#include "log.h"
#include "util.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: orgaudit-bill [--conf FILE] [--month YYYY-MM] "
	    "[--tenant ID] [--dry-run]\n\n"
	    "Bills each tenant for a calendar month (UTC) through Stripe: "
	    "EUR 1 per user and\nEUR 5 per active project, from the daily "
	    "counts averaged over the month, one\ninvoice per tenant with "
	    "one item per org, each pushed exactly once.\n\n"
	    "  --month YYYY-MM  the month (default: the last one); it must "
	    "be over\n"
	    "  --tenant ID      only this tenant\n"
	    "  --dry-run        print the table (days, average users, "
	    "average projects,\n"
	    "                   amount per tenant and org) and call "
	    "nothing; any month\n\n"
	    "A rerun is safe at any time: what is done is skipped, what "
	    "was cut short goes on.\n"
	    "Exit codes: 0 every tenant invoiced (or nothing to bill), 1 "
	    "some tenant not\nfinished or without a Stripe customer (run "
	    "again once fixed), 2 bad usage or\nconfiguration.\n");
}

struct args {
	const char	*month;
	int64_t		 tenant;
	int		 dry;
};

static int
arg(void *ctx, int ch, const char *v)
{
	struct args	*a = ctx;

	switch (ch) {
	case 'm':
		a->month = v;
		return 0;
	case 't':
		if (parse_i64(v, 1, INT64_MAX, &a->tenant) == 0)
			return 0;
		fprintf(stderr, "orgaudit-bill: --tenant must be a tenant ID "
		    "('orgaudit tenant list')\n");
		return EXIT_USAGE;
	default:
		a->dry = 1;
		return 0;
	}
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "month", required_argument, NULL, 'm' },
		{ "tenant", required_argument, NULL, 't' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	struct args		 a = { NULL, 0, 0 };
	const struct app	 app = { "orgaudit-bill", usage, opts, arg, &a,
	    0 };
	struct bill_month	 m, cur;
	struct bill_set		 set;
	struct bill_push_result	 res;
	struct conf		 c;
	struct db		*db;
	struct stripe		*s;
	const char		*conf_file = NULL, *month;
	char			 err[1100], end[21];
	int64_t			 tenant;
	int			 dry, rc;

	if ((rc = app_start(&app, argc, argv, &conf_file)) != APP_RUN)
		return rc;
	rc = EXIT_FAIL;
	month = a.month;
	tenant = a.tenant;
	dry = a.dry;
	if (optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	bill_month_of(now_s(), &cur);
	if (month == NULL)
		bill_month_prev(&cur, &m);
	else if (bill_month_parse(month, &m) != 0) {
		fprintf(stderr, "orgaudit-bill: --month takes YYYY-MM, for "
		    "example %s\n", cur.name);
		return EXIT_USAGE;
	}
	if (!dry && m.end > now_s()) {
		fmt_rfc3339(m.end, end);
		fprintf(stderr, "orgaudit-bill: %s is not over (it ends %s); "
		    "--dry-run shows its estimate\n", m.name, end);
		return EXIT_USAGE;
	}
	if (app_conf("orgaudit-bill", conf_file, &c) != 0)
		return EXIT_USAGE;
	if ((db = app_db(&c)) == NULL) {
		conf_free(&c);
		return EXIT_USAGE;
	}
	if (billing_load(db, &m, tenant, &set, err, sizeof(err)) != 0) {
		fprintf(stderr, "orgaudit-bill: %s\n", err);
		goto out;
	}
	if (dry) {
		printf("orgaudit-bill: dry run, nothing is sent to Stripe\n");
		if (m.end > now_s())
			printf("orgaudit-bill: %s is not over: days to come "
			    "count today's numbers\n", m.name);
		billing_print(stdout, &set);
		rc = EXIT_OK;
	} else if ((s = stripe_new(&c, err, sizeof(err))) == NULL) {
		fprintf(stderr, "orgaudit-bill: %s\n", err);
		rc = EXIT_USAGE;
	} else {
		printf("orgaudit-bill: %s: %zu tenants, %zu orgs to bill\n",
		    m.name, set.ntenants, set.nlines);
		fflush(stdout);
		if (billing_push(db, s, &set, stdout, &res) == 0) {
			printf("orgaudit-bill: %s: %d invoiced, %d not "
			    "finished, %d without a Stripe customer; %ld "
			    "items created, %ld Stripe requests (%ld "
			    "retries)\n", m.name, res.invoiced, res.failed,
			    res.no_customer, res.items, stripe_requests(s),
			    stripe_retries(s));
			rc = res.failed == 0 && res.no_customer == 0 ?
			    EXIT_OK : EXIT_FAIL;
		}
		stripe_free(s);
	}
	billing_free(&set);
out:
	db_close(db);
	conf_free(&c);
	return rc;
}
