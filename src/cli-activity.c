/*
 * cli-activity.c: the operator's side of orgaudit's own trail: what the
 * CLI does is recorded as done by the operator (the Unix user, or the
 * user sudo ran it for), and 'orgaudit activity verify' recomputes a
 * tenant's chain, or every tenant's.
 */
#include <getopt.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "activity.h"
#include "app.h"
#include "cli.h"
#include "db.h"
#include "util.h"

const char *
cli_operator(char *out, size_t n)
{
	const char	*s = getenv("SUDO_USER");
	struct passwd	*pw;

	if (s == NULL || *s == '\0')
		s = (pw = getpwuid(getuid())) != NULL ? pw->pw_name : NULL;
	if (s == NULL)
		snprintf(out, n, "uid %ld", (long)getuid());
	else
		snprintf(out, n, "%.60s", s);
	return out;
}

void
cli_note(struct db *db, int64_t tenant, const char *action,
    const char *kind, int64_t id)
{
	struct act	 a = { tenant, "operator", NULL, "cli", action, NULL,
	    "ok" };
	char		 who[64], target[48];

	a.actor_id = cli_operator(who, sizeof(who));
	if (kind != NULL) {
		snprintf(target, sizeof(target), "%s:%" PRId64, kind, id);
		a.target = target;
	}
	activity_log(db, &a);
}

struct ids {
	int64_t	*v;
	size_t	 n, cap;
};

static void
ids_add(struct ids *l, int64_t id)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = id;
}

static int
tenant_id_row(const struct db_row *r, void *arg)
{
	ids_add(arg, db_row_int(r, 0));
	return 0;
}

/* Verifies one tenant's chain and says how it is; 0 sound, 1 not, -1. */
static int
verify_one(struct db *db, int64_t tenant)
{
	struct activity_report	 rep;

	if (activity_verify(db, tenant, &rep) != 0) {
		fprintf(stderr, "orgaudit: activity verify: %s\n",
		    db_error(db));
		return -1;
	}
	if (rep.ok) {
		printf("tenant %" PRId64 ": activity chain of %" PRId64
		    " rows verified\n", tenant, rep.rows);
		return 0;
	}
	printf("tenant %" PRId64 ": activity chain BROKEN at row %" PRId64
	    ": %s\n", tenant, rep.bad_seq, rep.reason);
	return 1;
}

int
cli_activity(struct cli_ctx *x, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tenant", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	struct ids		 all = { NULL, 0, 0 };
	struct tenant_hit	 t;
	struct db		*db;
	const char		*tenant = NULL;
	size_t			 i;
	int			 ch, r, bad = 0, rc = EXIT_FAIL;

	if (argc < 2 || strcmp(argv[1], "verify") != 0)
		goto usage;
	optind = 2;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1)
		switch (ch) {
		case 't':
			tenant = optarg;
			break;
		default:
			goto usage;
		}
	if (optind != argc)
		goto usage;
	if (cli_open_db(x, &db) != 0)
		return EXIT_FAIL;
	if (tenant != NULL) {
		if (cli_tenant_resolve(db, tenant, &t) != 0)
			goto out;
		ids_add(&all, t.id);
	} else if (DB_QUERY(db, SQL_ACTIVITY_TENANTS, tenant_id_row, &all) <
	    0) {
		fprintf(stderr, "orgaudit: activity verify: %s\n",
		    db_error(db));
		goto out;
	}
	for (i = 0; i < all.n; i++) {
		if ((r = verify_one(db, all.v[i])) < 0)
			goto out;
		bad += r;
	}
	if (all.n == 0)
		printf("no activity recorded yet\n");
	rc = bad > 0 ? EXIT_FAIL : EXIT_OK;
out:
	free(all.v);
	db_close(db);
	return rc;
usage:
	fprintf(stderr, "usage: orgaudit activity verify [--tenant T]\n"
	    "Recomputes the tenant's activity chain (every tenant's without "
	    "--tenant)\nand names the first broken row.\n");
	return EXIT_USAGE;
}
