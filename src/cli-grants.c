/*
 * cli-grants.c: orgaudit grants --web USER@HOST: the GRANT statements
 * that give the web's database user what it needs and nothing more,
 * from the schema as it is now.  The web reads every table but the
 * columns that hold sealed secrets, and writes only the tables below.
 * Run after every 'orgaudit migrate'; pipe the output into the mariadb
 * client as an administrator.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "cli.h"
#include "db.h"
#include "util.h"

/* What the web may change, and what it may never read. */
static const struct {
	const char	*table;
	const char	*writes;	/* privileges, or NULL */
	const char	*hidden;	/* columns it may not read ("a b"), or
					   NULL */
} web_tables[] = {
	{ "session", "INSERT, UPDATE, DELETE", NULL },
	{ "login_throttle", "INSERT, UPDATE, DELETE", NULL },
	{ "account", "INSERT, UPDATE, DELETE", NULL },
	{ "account_recovery", "INSERT, UPDATE, DELETE", NULL },
	{ "account_reset", "INSERT, DELETE", NULL },
	{ "tenant", "UPDATE (`require_totp_owners`)", NULL },
	{ "api_token", "INSERT, UPDATE", NULL },
	{ "org", "INSERT, UPDATE", "key_sealed" },
	{ "org_connection", "INSERT, UPDATE", NULL },
	{ "job", "INSERT", NULL },
	{ "activity", "INSERT", NULL },
	{ "activity_head", "INSERT, UPDATE", NULL },
	{ "tenant_key", NULL, "wrapped" },
	{ "alert_channel", "INSERT, UPDATE", "target_sealed secret_sealed" },
	{ "alert_outbox", "INSERT, UPDATE", NULL },
};

#define NWEB	(sizeof(web_tables) / sizeof(web_tables[0]))

struct grants {
	const char	*db, *user;
	char		 table[65];
	struct buf	 cols;		/* the current table's readable ones */
	int		 hides;		/* it has a hidden column */
};

/* The web's rules for a table, or -1. */
static int
rules_of(const char *table)
{
	size_t	 i;

	for (i = 0; i < NWEB; i++)
		if (strcmp(web_tables[i].table, table) == 0)
			return (int)i;
	return -1;
}

/* Is w one of the space-separated words of list? */
static bool
word_in(const char *list, const char *w)
{
	size_t	 n = strlen(w);
	const char *p;

	for (p = list; (p = strstr(p, w)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

/*
 * Appends s as a quoted identifier.  GRANT takes no bound parameters, so
 * the names read from information_schema are quoted here, a backtick in
 * one doubled: no name can end the statement it is printed in.
 */
static void
ident(struct buf *b, const char *s)
{
	buf_addc(b, '`');
	for (; *s != '\0'; s++) {
		if (*s == '`')
			buf_addc(b, '`');
		buf_addc(b, *s);
	}
	buf_addc(b, '`');
}

/* `db`.`table` */
static void
object(struct buf *b, const struct grants *g)
{
	ident(b, g->db);
	buf_addc(b, '.');
	ident(b, g->table);
}

/* Prints the grants of the table just read. */
static void
table_done(struct grants *g)
{
	struct buf	 s = { 0 };
	int		 k = rules_of(g->table);

	if (g->table[0] == '\0')
		return;
	buf_adds(&s, "GRANT SELECT ");
	if (g->hides)
		buf_printf(&s, "(%s) ", g->cols.p);
	buf_adds(&s, "ON ");
	object(&s, g);
	buf_printf(&s, " TO %s;\n", g->user);
	if (k >= 0 && web_tables[k].writes != NULL) {
		buf_printf(&s, "GRANT %s ON ", web_tables[k].writes);
		object(&s, g);
		buf_printf(&s, " TO %s;\n", g->user);
	}
	fputs(s.p, stdout);
	buf_free(&s);
}

static int
column_row(const struct db_row *r, void *arg)
{
	struct grants	*g = arg;
	const char	*t = db_row_str(r, 0), *col = db_row_str(r, 1);
	int		 k;

	if (strcmp(t, g->table) != 0) {
		table_done(g);
		snprintf(g->table, sizeof(g->table), "%s", t);
		buf_reset(&g->cols);
		g->hides = 0;
	}
	k = rules_of(t);
	if (k >= 0 && web_tables[k].hidden != NULL &&
	    word_in(web_tables[k].hidden, col)) {
		g->hides = 1;
		return 0;
	}
	if (g->cols.len > 0)
		buf_adds(&g->cols, ", ");
	ident(&g->cols, col);
	return 0;
}

/* A MariaDB account name part: letters, digits, _ . % - only. */
static bool
name_ok(const char *s, size_t n)
{
	return n > 0 && n < 80 && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.%-") >= n;
}

int
cli_grants(struct cli_ctx *x, int argc, char **argv)
{
	struct grants	 g;
	struct db	*db;
	char		 user[200];
	const char	*at;
	int		 rc = EXIT_FAIL;

	if (argc != 3 || strcmp(argv[1], "--web") != 0 ||
	    (at = strchr(argv[2], '@')) == NULL ||
	    !name_ok(argv[2], (size_t)(at - argv[2])) ||
	    !name_ok(at + 1, strlen(at + 1)) ||
	    !name_ok(x->conf.db_name, strlen(x->conf.db_name))) {
		fprintf(stderr, "usage: orgaudit grants --web USER@HOST\n"
		    "Prints the GRANT statements for the web's database user "
		    "(for example\norgaudit_web@localhost): every table to "
		    "read but the sealed secrets'\ncolumns, and the few it "
		    "writes.  Pipe it into 'mariadb' as an administrator\n"
		    "after each 'orgaudit migrate'.\n");
		return EXIT_USAGE;
	}
	snprintf(user, sizeof(user), "'%.*s'@'%s'", (int)(at - argv[2]),
	    argv[2], at + 1);
	if (cli_open_db(x, &db) != 0)
		return EXIT_FAIL;
	memset(&g, 0, sizeof(g));
	g.db = x->conf.db_name;
	g.user = user;
	printf("-- orgaudit grants for the web's database user %s\n"
	    "REVOKE ALL PRIVILEGES, GRANT OPTION FROM %s;\n", user, user);
	if (DB_QUERY(db, SQL_SCHEMA_COLUMNS, column_row, &g) < 0) {
		fprintf(stderr, "orgaudit: grants: %s\n", db_error(db));
		goto out;
	}
	table_done(&g);
	rc = EXIT_OK;
out:
	buf_free(&g.cols);
	db_close(db);
	return rc;
}
