/*
 * cli-tenant.c: the verbs for customers and their access: tenant (add,
 * list, stripe-customer), token (add, list, revoke), account (add,
 * list).
 */
#include <ctype.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "app.h"
#include "cli.h"
#include "passwd.h"
#include "query.h"
#include "redact.h"
#include "seal.h"
#include "token.h"
#include "util.h"
#include "vault.h"

static int
tenant_list_row(const struct db_row *r, void *arg)
{
	(void)arg;
	printf("%-6s ", db_row_str(r, 0));
	term_put(stdout, db_row_str(r, 1), 32);
	printf(" %s\n", db_row_str(r, 3));
	return 0;
}

/* Sets (or clears, "none") the Stripe customer a tenant is billed as. */
static int
tenant_customer(struct cli_ctx *x, const char *tenant, const char *cus)
{
	struct tenant_hit	 t;
	struct db		*db;
	const char		*p;
	bool			 none = strcmp(cus, "none") == 0;
	int			 rc = EXIT_FAIL;

	for (p = cus + 4; !none && *p != '\0'; p++)
		if (!isalnum((unsigned char)*p))
			break;
	if (!none && (strncmp(cus, "cus_", 4) != 0 || *p != '\0' ||
	    strlen(cus) < 5 || strlen(cus) > 255)) {
		fprintf(stderr, "orgaudit: a Stripe customer ID looks like "
		    "cus_ followed by letters and digits (or 'none')\n");
		return EXIT_USAGE;
	}
	if (cli_open_db(x, &db) != 0)
		return EXIT_FAIL;
	if (cli_tenant_resolve(db, tenant, &t) != 0)
		goto out;
	if (DB_EXEC(db, SQL_TENANT_SET_CUSTOMER, DV_S(none ? NULL : cus),
	    DV_I(t.id)) != 0) {
		fprintf(stderr, "orgaudit: %s\n", db_error(db));
		goto out;
	}
	cli_note(db, t.id, none ? "billing.customer_cleared" :
	    "billing.customer_set", "tenant", t.id);
	if (none)
		printf("tenant %" PRId64 " is no longer billed through "
		    "Stripe\n", t.id);
	else
		printf("tenant %" PRId64 " is billed as Stripe customer %s\n",
		    t.id, cus);
	rc = EXIT_OK;
out:
	db_close(db);
	return rc;
}

struct tenant_add {
	const struct seal_key	*master;
	const char		*name;
	int64_t			 id;
	char			 err[512];	/* a reason not the database's */
};

/* The tenant and its key pair, as one transaction. */
static int
tenant_add_tx(struct db *db, void *arg)
{
	struct tenant_add	*ta = arg;

	ta->err[0] = '\0';
	if (DB_EXEC(db, SQL_TENANT_ADD, DV_S(ta->name), DV_I(now_s())) != 0)
		return -1;
	ta->id = db_insert_id(db);
	if (vault_tenant_key_create(db, ta->master, ta->id, ta->err,
	    sizeof(ta->err)) != 0)
		return db_errno(db) != 0 ? -1 : 1;
	return 0;
}

int
cli_tenant(struct cli_ctx *x, int argc, char **argv)
{
	struct seal_key	 master;
	struct db	*db;
	struct tenant_add ta = { 0 };
	char		 err[512];
	int		 rc = EXIT_FAIL;

	if (argc == 2 && strcmp(argv[1], "list") == 0) {
		if (cli_open_db(x, &db) != 0)
			return EXIT_FAIL;
		printf("%-6s %-32s %s\n", "ID", "NAME", "ACTIVE ORGS");
		if (DB_QUERY(db, SQL_TENANT_LIST, tenant_list_row, NULL) < 0)
			fprintf(stderr, "orgaudit: %s\n", db_error(db));
		else
			rc = EXIT_OK;
		db_close(db);
		return rc;
	}
	if (argc == 4 && strcmp(argv[1], "stripe-customer") == 0)
		return tenant_customer(x, argv[2], argv[3]);
	if (argc != 3 || strcmp(argv[1], "add") != 0) {
		fprintf(stderr, "usage: orgaudit tenant add NAME\n"
		    "       orgaudit tenant list\n"
		    "       orgaudit tenant stripe-customer TENANT "
		    "(cus_… | none)\n");
		return EXIT_USAGE;
	}
	if (argv[2][0] == '\0' || strlen(argv[2]) > 200) {
		fprintf(stderr, "orgaudit: a tenant name has 1 to 200 "
		    "characters\n");
		return EXIT_USAGE;
	}
	if (seal_master_load(x->conf.master_key_file, &master, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "orgaudit: %s\n", err);
		return EXIT_FAIL;
	}
	if (cli_open_db(x, &db) != 0)
		goto out;
	ta.master = &master;
	ta.name = argv[2];
	if (db_tx(db, tenant_add_tx, &ta) != 0) {
		fprintf(stderr, "orgaudit: tenant add: %s\n", ta.err[0] ? ta.err :
		    db_errno(db) == 1062 ? "a tenant with that name exists" :
		    db_error(db));
		goto out;
	}
	cli_note(db, ta.id, "tenant.added", "tenant", ta.id);
	printf("%" PRId64 "\n", ta.id);
	rc = EXIT_OK;
out:
	seal_key_wipe(&master);
	db_close(db);
	return rc;
}

static int
token_list_row(const struct db_row *r, void *arg)
{
	char	 when[21];

	(void)arg;
	fmt_rfc3339(db_row_int(r, 2), when);
	printf("%-6s ", db_row_str(r, 0));
	term_put(stdout, db_row_str(r, 1), 32);
	printf(" %s %-6s %s\n", when, db_row_str(r, 4), db_row_null(r, 3) ?
	    "active" : "revoked");
	return 0;
}

int
cli_token(struct cli_ctx *x, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tenant", required_argument, NULL, 't' },
		{ "name", required_argument, NULL, 'n' },
		{ "scope", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	struct tenant_hit	 t;
	struct db		*db = NULL;
	const char		*tenant = NULL, *name = NULL, *verb;
	const char		*scope = "read";
	char			 tok[TOKEN_LEN + 1];
	unsigned char		 hash[SHA256_DIGEST_LENGTH];
	int64_t			 id;
	int			 ch, rc = EXIT_FAIL;

	if (argc < 2)
		goto usage;
	verb = argv[1];
	optind = 2;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1)
		switch (ch) {
		case 't':
			tenant = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 's':
			if (!token_scope_ok(optarg)) {
				fprintf(stderr, "orgaudit: --scope is read, "
				    "review or admin\n");
				return EXIT_USAGE;
			}
			scope = optarg;
			break;
		default:
			goto usage;
		}
	if (strcmp(verb, "revoke") == 0) {
		if (optind != argc - 1 || cli_need_id(argv[optind], "the token ID",
		    &id) != 0)
			goto usage;
		if (cli_open_db(x, &db) != 0)
			return EXIT_FAIL;
		if (DB_EXEC(db, SQL_TOKEN_REVOKE, DV_I(now_s()), DV_I(id)) != 0)
			fprintf(stderr, "orgaudit: %s\n", db_error(db));
		else if (db_affected(db) != 1)
			fprintf(stderr, "orgaudit: no active token %" PRId64
			    "\n", id);
		else {
			int64_t	 owner = 0;

			if (DB_QUERY(db, SQL_TOKEN_TENANT, db_row_first_int,
			    &owner, DV_I(id)) >= 0)
				cli_note(db, owner, "token.revoked", "token", id);
			printf("revoked token %" PRId64 "\n", id);
			rc = EXIT_OK;
		}
		db_close(db);
		return rc;
	}
	if (optind != argc || (strcmp(verb, "add") != 0 &&
	    strcmp(verb, "list") != 0))
		goto usage;
	if (cli_open_db(x, &db) != 0)
		return EXIT_FAIL;
	if (cli_tenant_resolve(db, tenant, &t) != 0)
		goto out;
	if (strcmp(verb, "list") == 0) {
		printf("%-6s %-32s %-20s %-6s %s\n", "ID", "NAME", "CREATED",
		    "SCOPE", "STATE");
		if (DB_QUERY(db, SQL_TOKEN_LIST, token_list_row, NULL,
		    DV_I(t.id)) >= 0)
			rc = EXIT_OK;
		goto out;
	}
	if (name == NULL || *name == '\0' || strlen(name) > 200) {
		fprintf(stderr, "orgaudit: token add needs --name (1 to 200 "
		    "characters) saying what the token is for\n");
		rc = EXIT_USAGE;
		goto out;
	}
	if (token_new(tok, hash) != 0 ||
	    DB_EXEC(db, SQL_TOKEN_ADD, DV_I(t.id), DV_S(name),
	    DV_B(hash, sizeof(hash)), DV_I(now_s()), DV_S(scope)) != 0) {
		fprintf(stderr, "orgaudit: token add: %s\n", db_error(db));
		goto out;
	}
	cli_note(db, t.id, "token.created", "token", db_insert_id(db));
	printf("token %" PRId64 " for tenant %" PRId64 ", scope %s (shown "
	    "once, store it now):\n%s\n", db_insert_id(db), t.id, scope, tok);
	rc = EXIT_OK;
out:
	wipe(tok, sizeof(tok));
	db_close(db);
	return rc;
usage:
	fprintf(stderr, "usage: orgaudit token add --tenant T --name NAME "
	    "[--scope read|review|admin]\n"
	    "       orgaudit token list --tenant T\n"
	    "       orgaudit token revoke ID\n");
	return EXIT_USAGE;
}

static int
account_list_row(const struct db_row *r, void *arg)
{
	char	 when[21] = "never";

	(void)arg;
	if (!db_row_null(r, 4))
		fmt_rfc3339(db_row_int(r, 4), when);
	printf("%-6s %-10s %-8s %s\n", db_row_str(r, 0), db_row_str(r, 1),
	    db_row_str(r, 2), when);
	return 0;
}

/* Reads a password: the first line of a file, "-" for standard input. */
static int
read_password(const char *path, struct buf *pw)
{
	char	*nl;

	if (strcmp(path, "-") == 0)
		path = "/dev/stdin";
	if (file_read(path, 4096, pw) != 0) {
		fprintf(stderr, "orgaudit: cannot read the password from %s: "
		    "%m\n", path);
		return -1;
	}
	if ((nl = strpbrk(pw->p, "\r\n")) != NULL) {
		*nl = '\0';
		pw->len = (size_t)(nl - pw->p);
	}
	return 0;
}

int
cli_account(struct cli_ctx *x, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tenant", required_argument, NULL, 't' },
		{ "email", required_argument, NULL, 'e' },
		{ "role", required_argument, NULL, 'r' },
		{ "password-file", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 }
	};
	struct tenant_hit	 t;
	struct db		*db = NULL;
	struct buf		 pw = { 0 };
	const char		*tenant = NULL, *email = NULL, *role = "viewer";
	const char		*pwfile = NULL, *why;
	char			 sha[EMAIL_HASH_HEX], prefix[EMAIL_PREFIX_MAX];
	char			 enc[PASSWD_ENCODED_MAX];
	int64_t			 id;
	int			 ch, rc = EXIT_FAIL;

	if (argc < 2)
		goto usage;
	optind = 2;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1)
		switch (ch) {
		case 't':
			tenant = optarg;
			break;
		case 'e':
			email = optarg;
			break;
		case 'r':
			role = optarg;
			break;
		case 'p':
			pwfile = optarg;
			break;
		default:
			goto usage;
		}
	if (optind != argc)
		goto usage;
	if (strcmp(argv[1], "list") == 0) {
		if (cli_open_db(x, &db) != 0)
			return EXIT_FAIL;
		if (cli_tenant_resolve(db, tenant, &t) == 0) {
			printf("%-6s %-10s %-8s %s\n", "ID", "LOGIN", "ROLE",
			    "LAST SIGN-IN");
			if (DB_QUERY(db, SQL_ACCOUNT_LIST, account_list_row,
			    NULL, DV_I(t.id)) >= 0)
				rc = EXIT_OK;
		}
		db_close(db);
		return rc;
	}
	if (strcmp(argv[1], "add") != 0 || email == NULL || pwfile == NULL)
		goto usage;
	if (strcmp(role, "owner") != 0 && strcmp(role, "viewer") != 0) {
		fprintf(stderr, "orgaudit: --role is owner or viewer\n");
		return EXIT_USAGE;
	}
	if (strchr(email, '@') == NULL || strlen(email) > 254) {
		fprintf(stderr, "orgaudit: --email must be an email address\n");
		return EXIT_USAGE;
	}
	if (read_password(pwfile, &pw) != 0)
		return EXIT_USAGE;
	if ((why = passwd_refusal(pw.p)) != NULL) {
		fprintf(stderr, "orgaudit: %s\n", why);
		rc = EXIT_USAGE;
		goto out;
	}
	if (cli_open_db(x, &db) != 0 || cli_tenant_resolve(db, tenant, &t) != 0)
		goto out;
	email_hash(email, sha, prefix);
	if (passwd_hash(pw.p, enc) != 0 ||
	    DB_EXEC(db, SQL_ACCOUNT_ADD, DV_I(t.id), DV_S(sha), DV_S(prefix),
	    DV_S(role), DV_S(enc), DV_I(now_s())) != 0) {
		fprintf(stderr, "orgaudit: account add: %s\n", db_errno(db) ==
		    1062 ? "an account with that email address exists" :
		    db_error(db));
		goto out;
	}
	id = db_insert_id(db);
	cli_note(db, t.id, "account.added", "account", id);
	printf("%" PRId64 "\n", id);
	rc = EXIT_OK;
out:
	buf_free(&pw);
	db_close(db);
	return rc;
usage:
	fprintf(stderr, "usage: orgaudit account add --tenant T --email E "
	    "[--role owner|viewer] --password-file F\n"
	    "       orgaudit account list --tenant T\n"
	    "The password is the first line of F (- for standard input); "
	    "the email address\nis kept only as a hash.\n");
	return EXIT_USAGE;
}
