/*
 * cli-org.c: the verbs for connected orgs: org (connect, disconnect,
 * list), orgs, keys (a table of an org's keys and findings), events
 * verify (the audit chain).
 */
#include <ctype.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "audit-chain.h"
#include "cli.h"
#include "connect.h"
#include "list.h"
#include "log.h"
#include "redact.h"
#include "util.h"

/* Reads one key from a file ("-" = stdin): trimmed, at most 1 KiB. */
static int
read_key_file(const char *path, struct buf *key)
{
	struct buf	 tmp = { 0 };
	size_t		 s = 0, e;
	int		 rc = -1;

	if (strcmp(path, "-") == 0)
		path = "/dev/stdin";
	if (file_read(path, 1024, &tmp) != 0) {
		fprintf(stderr, "orgaudit: cannot read the key file %s: %m\n",
		    path);
		goto out;
	}
	e = tmp.len;
	while (s < e && (tmp.p[s] == ' ' || tmp.p[s] == '\t' ||
	    tmp.p[s] == '\n' || tmp.p[s] == '\r'))
		s++;
	while (e > s && (tmp.p[e - 1] == ' ' || tmp.p[e - 1] == '\t' ||
	    tmp.p[e - 1] == '\n' || tmp.p[e - 1] == '\r'))
		e--;
	if (s == e) {
		fprintf(stderr, "orgaudit: the key file %s is empty\n", path);
		goto out;
	}
	buf_add(key, tmp.p + s, e - s);
	rc = 0;
out:
	buf_free(&tmp);
	return rc;
}

static void
print_checklist(const struct connect_result *res)
{
	static const char *const mark[] = { "  ?  ", " ok  ", "empty",
	    " --  ", "fail " };
	int	 i;

	for (i = 0; i < CAP__MAX; i++) {
		if (res->caps[i].status == CAP_UNKNOWN &&
		    res->caps[i].detail[0] == '\0')
			continue;
		printf("  [%s] %-18s %s\n", mark[res->caps[i].status],
		    cap_label((enum cap_id)i), res->caps[i].detail);
	}
}

static int
org_connect(struct cli_ctx *x, const char *tenant, const char *org,
    const char *name, const char *key_file)
{
	struct connect_result	 res;
	struct tenant_hit	 t;
	struct db		*db;
	struct buf		 key = { 0 };
	int64_t			 org_id = 0;
	int			 rc = EXIT_FAIL;

	if (key_file == NULL) {
		fprintf(stderr, "orgaudit: org connect needs --key-file FILE "
		    "(or - for standard input) holding the admin key\n");
		return EXIT_USAGE;
	}
	if (org != NULL && cli_need_id(org, "--org", &org_id) != 0)
		return EXIT_USAGE;
	if (name != NULL && (*name == '\0' || strlen(name) > 200)) {
		fprintf(stderr, "orgaudit: --name has 1 to 200 characters\n");
		return EXIT_USAGE;
	}
	if (read_key_file(key_file, &key) != 0)
		return EXIT_USAGE;
	if (cli_open_db(x, &db) != 0)
		goto out;
	if (cli_tenant_resolve(db, tenant, &t) != 0)
		goto out;
	if (connect_org(db, &x->conf, t.id, org_id, name, key.p, &res) != 0) {
		if (res.outcome != CONNECT_BAD_KEY)
			print_checklist(&res);
		fprintf(stderr, "orgaudit: org connect: %s\n", res.error);
		rc = res.outcome == CONNECT_BAD_KEY ||
		    res.outcome == CONNECT_REJECTED ? EXIT_REFUSED : EXIT_FAIL;
		goto out;
	}
	printf("key %s accepted%s%s; capabilities:\n", res.key_hint,
	    res.openai_org[0] ? " for OpenAI organization " : "",
	    res.openai_org);
	print_checklist(&res);
	cli_note(db, t.id, org_id ? "org.key_replaced" : "org.connected",
	    "org", res.org_id);
	printf("%s org %" PRId64 "\n", org_id ? "replaced the key of" :
	    "connected", res.org_id);
	printf("%" PRId64 "\n", res.org_id);
	rc = EXIT_OK;
out:
	buf_free(&key);
	db_close(db);
	return rc;
}

static int
org_disconnect(struct cli_ctx *x, const char *tenant, const char *org)
{
	struct tenant_hit	 t;
	struct db		*db;
	int64_t			 id;
	int			 r, rc = EXIT_FAIL;

	if (cli_need_id(org, "--org", &id) != 0)
		return EXIT_USAGE;
	if (cli_open_db(x, &db) != 0)
		return EXIT_FAIL;
	if (cli_tenant_resolve(db, tenant, &t) != 0)
		goto out;
	if ((r = connect_disconnect(db, t.id, id, now_s())) < 0) {
		fprintf(stderr, "orgaudit: %s\n", db_error(db));
		goto out;
	}
	if (r == 0) {
		fprintf(stderr, "orgaudit: tenant %" PRId64 " has no connected "
		    "org %" PRId64 "\n", t.id, id);
		goto out;
	}
	cli_note(db, t.id, "org.disconnected", "org", id);
	printf("disconnected org %" PRId64 ": its admin key is erased and it "
	    "is no longer collected; the data already pulled is kept\n", id);
	rc = EXIT_OK;
out:
	db_close(db);
	return rc;
}

int
cli_org(struct cli_ctx *x, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tenant", required_argument, NULL, 't' },
		{ "org", required_argument, NULL, 'o' },
		{ "name", required_argument, NULL, 'n' },
		{ "key-file", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*tenant = NULL, *org = NULL, *name = NULL;
	const char	*key_file = NULL;
	int		 ch;

	if (argc < 2)
		goto usage;
	optind = 2;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1)
		switch (ch) {
		case 't':
			tenant = optarg;
			break;
		case 'o':
			org = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'k':
			key_file = optarg;
			break;
		default:
			goto usage;
		}
	if (optind != argc)
		goto usage;
	if (strcmp(argv[1], "connect") == 0)
		return org_connect(x, tenant, org, name, key_file);
	if (strcmp(argv[1], "disconnect") == 0)
		return org_disconnect(x, tenant, org);
	if (strcmp(argv[1], "list") == 0)
		return cli_orgs(x, 1, argv);
usage:
	fprintf(stderr, "usage: orgaudit org connect --tenant T --key-file F "
	    "[--name NAME] [--org ID]\n"
	    "       orgaudit org disconnect --tenant T --org ID\n"
	    "       orgaudit org list\n"
	    "--org with connect replaces the key of an existing org.\n");
	return EXIT_USAGE;
}

static int
org_list_row(const struct db_row *r, void *arg)
{
	char	 when[21] = "never";

	(void)arg;
	if (db_row_int(r, 6) > 0)
		fmt_rfc3339(db_row_int(r, 6) / 1000, when);
	printf("%-6s %-6s ", db_row_str(r, 0), db_row_str(r, 1));
	term_put(stdout, db_row_str(r, 2), 16);
	putchar(' ');
	term_put(stdout, db_row_str(r, 3), 24);
	printf(" %-12s %-16s %s\n", db_row_str(r, 4), db_row_str(r, 5), when);
	return 0;
}

int
cli_orgs(struct cli_ctx *x, int argc, char **argv)
{
	struct db	*db;
	int		 rc = EXIT_FAIL;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: orgaudit orgs\n");
		return EXIT_USAGE;
	}
	if (cli_open_db(x, &db) != 0)
		return EXIT_FAIL;
	printf("%-6s %-6s %-16s %-24s %-12s %-16s %s\n", "ORG", "TENANT",
	    "TENANT NAME", "NAME", "STATUS", "KEY", "LAST COLLECTED");
	if (DB_QUERY(db, SQL_ORG_ALL, org_list_row, NULL) < 0)
		fprintf(stderr, "orgaudit: %s\n", db_error(db));
	else
		rc = EXIT_OK;
	db_close(db);
	return rc;
}

struct keys_walk {
	int64_t		 now;
	long		 n, stale, orphan;
	int64_t		 as_of;
};

static void
when_put(json_t *t, int64_t now, const char *never)
{
	char	 s[32], d[21];
	int64_t	 v;

	if (!json_is_integer(t)) {
		printf("%-14s", never);
		return;
	}
	v = json_integer_value(t);
	if (now - v < 86400)
		snprintf(s, sizeof(s), "today");
	else if (now - v < 2 * 86400)
		snprintf(s, sizeof(s), "yesterday");
	else if (now - v < 60 * 86400)
		snprintf(s, sizeof(s), "%" PRId64 " days ago",
		    (now - v) / 86400);
	else {
		fmt_rfc3339(v, d);
		snprintf(s, sizeof(s), "%.10s", d);
	}
	printf("%-14s", s);
}

/* A string member, or NULL. */
static const char *
js(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Prints one key of the view model as a table row. */
static void
keys_print(struct keys_walk *w, json_t *k)
{
	json_t			*owner = json_object_get(k, "owner"), *f;
	const char		*project, *prefix;
	size_t			 i;
	char			 who[160];

	w->n++;
	w->stale += json_is_true(json_object_get(k, "stale"));
	w->orphan += json_is_true(json_object_get(k, "orphan"));
	w->as_of = json_integer_value(json_object_get(k, "as_of"));
	term_put(stdout, js(k, "id"), 22);
	putchar(' ');
	term_put(stdout, js(k, "type"), 16);
	putchar(' ');
	term_put(stdout, js(k, "redacted_value"), 17);
	putchar(' ');
	project = js(json_object_get(k, "project"), "name");
	term_put(stdout, project != NULL ? project : "(organization)", 18);
	prefix = js(owner, "email_prefix");
	snprintf(who, sizeof(who), "%s%s%s%s", prefix ? prefix : "",
	    prefix ? "\xe2\x80\xa6 " : "", js(owner, "id") ? js(owner, "id") :
	    "-", js(owner, "type") && strcmp(js(owner, "type"), "user") != 0 ?
	    " (service account)" : "");
	putchar(' ');
	term_put(stdout, who, 40);
	putchar(' ');
	when_put(json_object_get(k, "created_at"), w->now, "-");
	putchar(' ');
	when_put(json_object_get(k, "last_used_at"), w->now, "never");
	json_array_foreach(json_object_get(k, "findings"), i, f)
		printf("%s%s: %s", i ? "; " : " ", js(f, "kind"),
		    js(f, "reason"));
	putchar('\n');
}

int
cli_keys(struct cli_ctx *x, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "org", required_argument, NULL, 'o' },
		{ "stale", no_argument, NULL, 's' },
		{ "orphan", no_argument, NULL, 'r' },
		{ "type", required_argument, NULL, 't' },
		{ "project", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 }
	};
	struct keys_walk	 w;
	struct key_filter	 f;
	struct db		*db;
	const char		*type = NULL, *project = NULL, *next;
	char			*cursor = NULL;
	json_t			*page, *k;
	int64_t			 org = 0, tenant = 0;
	int			 ch, stale = 0, orphan = 0, rc = EXIT_FAIL;
	char			 asof[21];
	size_t			 i;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1)
		switch (ch) {
		case 'o':
			if (cli_need_id(optarg, "--org", &org) != 0)
				return EXIT_USAGE;
			break;
		case 's':
			stale = 1;
			break;
		case 'r':
			orphan = 1;
			break;
		case 't':
			type = optarg;
			break;
		case 'p':
			project = optarg;
			break;
		default:
			goto usage;
		}
	if (org == 0 || optind != argc)
		goto usage;
	if (type != NULL && key_type_from_name(type) == KEY_UNKNOWN) {
		fprintf(stderr, "orgaudit: --type is one of admin, project, "
		    "service_account, user\n");
		return EXIT_USAGE;
	}
	if (cli_open_db(x, &db) != 0)
		return EXIT_FAIL;
	if (DB_QUERY(db, SQL_ORG_SEALED, db_row_first_int, &tenant,
	    DV_I(org)) < 0 || tenant == 0) {
		fprintf(stderr, "orgaudit: no org %" PRId64 "\n", org);
		goto out;
	}
	memset(&w, 0, sizeof(w));
	w.now = now_s();
	f.stale = stale ? 1 : -1;
	f.orphan = orphan ? 1 : -1;
	f.type = type;
	f.project = project;
	f.finding = NULL;
	printf("%-22s %-16s %-17s %-18s %-40s %-14s %-14s %s\n", "KEY ID",
	    "TYPE", "KEY", "PROJECT", "OWNER", "CREATED", "LAST USED",
	    "FINDINGS");
	/* The API's pages, in its order: the same view model. */
	do {
		if (list_keys(db, tenant, org, &f, cursor, 500, &page) !=
		    LIST_OK) {
			fprintf(stderr, "orgaudit: %s\n", db_error(db));
			free(cursor);
			goto out;
		}
		json_array_foreach(json_object_get(page, "data"), i, k)
			keys_print(&w, k);
		free(cursor);
		next = json_string_value(json_object_get(page, "next_cursor"));
		cursor = next != NULL ? xstrdup(next) : NULL;
		json_decref(page);
	} while (cursor != NULL);
	if (w.as_of > 0)
		fmt_rfc3339(w.as_of, asof);
	printf("%ld keys, %ld stale, %ld orphan%s%s\n", w.n, w.stale,
	    w.orphan, w.as_of > 0 ? "; as of " : "", w.as_of > 0 ? asof : "");
	rc = EXIT_OK;
out:
	db_close(db);
	return rc;
usage:
	fprintf(stderr, "usage: orgaudit keys --org ID [--stale] [--orphan] "
	    "[--type TYPE] [--project PROJECT-ID]\n");
	return EXIT_USAGE;
}

int
cli_events(struct cli_ctx *x, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "org", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	struct chain_report	 rep;
	struct db		*db;
	int64_t			 org = 0;
	int			 ch, rc = EXIT_FAIL;

	if (argc < 2 || strcmp(argv[1], "verify") != 0)
		goto usage;
	optind = 2;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1)
		switch (ch) {
		case 'o':
			if (cli_need_id(optarg, "--org", &org) != 0)
				return EXIT_USAGE;
			break;
		default:
			goto usage;
		}
	if (org == 0 || optind != argc)
		goto usage;
	if (cli_open_db(x, &db) != 0)
		return EXIT_FAIL;
	/* One snapshot: a pull committing meanwhile moves no head. */
	if (db_begin(db) != 0 || chain_verify(db, org, &rep) != 0) {
		fprintf(stderr, "orgaudit: events verify: %s\n", db_error(db));
		db_rollback(db);
		goto out;
	}
	db_rollback(db);
	if (rep.ok) {
		printf("org %" PRId64 ": audit chain of %" PRId64 " events "
		    "verified; head %" PRId64 " %s\n", org, rep.rows,
		    rep.head_seq, rep.rows ? rep.head_hash : "(empty)");
		rc = EXIT_OK;
	} else
		printf("org %" PRId64 ": audit chain BROKEN at row %" PRId64
		    "%s%s%s: %s\n", org, rep.bad_seq, rep.bad_id[0] ?
		    " (event " : "", rep.bad_id, rep.bad_id[0] ? ")" : "",
		    rep.reason);
out:
	db_close(db);
	return rc;
usage:
	fprintf(stderr, "usage: orgaudit events verify --org ID\n"
	    "Recomputes the org's audit chain; exit 0 when every row checks, "
	    "1 naming\nthe first row that does not.\n");
	return EXIT_USAGE;
}
