/*
 * cli.c: see cli.h.  What the verbs share (the database, a tenant by ID
 * or name, numeric arguments), and the schema and master key verbs.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "cli.h"
#include "migrate.h"
#include "util.h"
#include "vault.h"

int
cli_open_db(struct cli_ctx *x, struct db **db)
{
	if ((*db = app_db(&x->conf)) == NULL)
		return EXIT_FAIL;
	return EXIT_OK;
}

static int
tenant_row(const struct db_row *r, void *arg)
{
	struct tenant_hit	*t = arg;

	t->id = db_row_int(r, 0);
	snprintf(t->name, sizeof(t->name), "%s", db_row_str(r, 1));
	return 1;
}

/* A tenant by ID or name.  Prints why and returns -1 when none. */
int
cli_tenant_resolve(struct db *db, const char *arg, struct tenant_hit *t)
{
	int64_t	 id = 0;

	memset(t, 0, sizeof(*t));
	if (arg == NULL) {
		fprintf(stderr, "orgaudit: --tenant is required (an ID or a "
		    "name; 'orgaudit tenant list' shows them)\n");
		return -1;
	}
	parse_i64(arg, 1, INT64_MAX, &id);
	if (DB_QUERY(db, SQL_TENANT_FIND, tenant_row, t, DV_I(id), DV_S(arg),
	    DV_I(id)) < 0) {
		fprintf(stderr, "orgaudit: %s\n", db_error(db));
		return -1;
	}
	if (t->id == 0) {
		fprintf(stderr, "orgaudit: no tenant '%s'; 'orgaudit tenant "
		    "list' shows them\n", arg);
		return -1;
	}
	return 0;
}

int
cli_need_id(const char *arg, const char *what, int64_t *out)
{
	if (arg == NULL || parse_i64(arg, 1, INT64_MAX, out) != 0) {
		fprintf(stderr, "orgaudit: %s must be a positive number\n",
		    what);
		return -1;
	}
	return 0;
}

int
cli_migrate(struct cli_ctx *x, int argc, char **argv)
{
	struct db	*db;
	char		 err[512];
	long		 keys, tenants;
	int		 from, to;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: orgaudit migrate\n");
		return EXIT_USAGE;
	}
	if (cli_open_db(x, &db) != 0)
		return EXIT_FAIL;
	if (migrate_run(db, &from, &to, err, sizeof(err)) != 0) {
		fprintf(stderr, "orgaudit: migrate: %s\n", err);
		db_close(db);
		return EXIT_FAIL;
	}
	if (from == to)
		printf("schema is at version %d; nothing to do\n", to);
	else
		printf("schema migrated from version %d to %d\n", from, to);
	/* Tenants of the old kind get a key pair; their keys are re-sealed. */
	if ((keys = vault_upgrade(db, &x->conf, &tenants, err,
	    sizeof(err))) < 0) {
		fprintf(stderr, "orgaudit: migrate: re-sealing: %s (what was "
		    "done is kept; run it again once fixed)\n", err);
		db_close(db);
		return EXIT_FAIL;
	}
	if (tenants > 0)
		printf("gave %ld tenant%s a key pair and re-sealed %ld admin "
		    "key%s to it\n", tenants, tenants == 1 ? "" : "s", keys,
		    keys == 1 ? "" : "s");
	db_close(db);
	return EXIT_OK;
}

int
cli_master_key(struct cli_ctx *x, int argc, char **argv)
{
	struct seal_key	 old, new;
	struct db	*db;
	char		 err[512];
	long		 n;

	if (argc == 2 && strcmp(argv[1], "create") == 0) {
		if (seal_master_create(x->conf.master_key_file, err,
		    sizeof(err)) != 0) {
			fprintf(stderr, "orgaudit: %s\n", err);
			return EXIT_FAIL;
		}
		printf("created master key %s (mode 0600); back it up: "
		    "without it no stored admin key can be opened\n",
		    x->conf.master_key_file);
		return EXIT_OK;
	}
	if (argc != 3 || strcmp(argv[1], "rotate") != 0) {
		fprintf(stderr, "usage: orgaudit master-key create\n"
		    "       orgaudit master-key rotate NEW-KEY-FILE\n");
		return EXIT_USAGE;
	}
	if (seal_master_load(x->conf.master_key_file, &old, err,
	    sizeof(err)) != 0 ||
	    seal_master_load(argv[2], &new, err, sizeof(err)) != 0) {
		fprintf(stderr, "orgaudit: %s\n", err);
		return EXIT_FAIL;
	}
	if (cli_open_db(x, &db) != 0)
		return EXIT_FAIL;
	n = vault_rotate(db, &old, &new, err, sizeof(err));
	seal_key_wipe(&old);
	seal_key_wipe(&new);
	db_close(db);
	if (n < 0) {
		fprintf(stderr, "orgaudit: rotate: %s (nothing was changed)\n",
		    err);
		return EXIT_FAIL;
	}
	printf("re-wrapped %ld tenant keys under %s; now point "
	    "master_key_file at it\n", n, argv[2]);
	return EXIT_OK;
}
