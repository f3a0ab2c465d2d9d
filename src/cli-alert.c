/*
 * cli-alert.c: orgaudit alert add | list | remove | test: a tenant's
 * alert channels from the shell (alert.h).  The URL, address and secret
 * are sealed at once and never printed again.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "app.h"
#include "cli.h"
#include "db.h"
#include "util.h"

static void
alert_usage(void)
{
	fprintf(stderr, "usage: orgaudit alert add --tenant T --type "
	    "webhook|slack|email\n"
	    "           (--url URL | --to ADDRESS) [--name N] "
	    "[--secret-file F]\n"
	    "           [--on TRIGGER,...] [--min-severity high|medium|low] "
	    "[--format native|ocsf] [--digest]\n"
	    "       orgaudit alert list --tenant T\n"
	    "       orgaudit alert remove ID\n"
	    "       orgaudit alert test ID\n"
	    "Triggers: finding.opened, finding.resolved, audit:<event type>,\n"
	    "role.owner (a user made an owner); default\n%s.\n"
	    "--digest: findings below --min-severity come once a day, "
	    "together.\n", alert_default_triggers);
}

static int
alert_add_verb(struct cli_ctx *x, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tenant", required_argument, NULL, 't' },
		{ "type", required_argument, NULL, 'y' },
		{ "url", required_argument, NULL, 'u' },
		{ "to", required_argument, NULL, 'o' },
		{ "name", required_argument, NULL, 'n' },
		{ "secret-file", required_argument, NULL, 's' },
		{ "on", required_argument, NULL, 'e' },
		{ "min-severity", required_argument, NULL, 'm' },
		{ "format", required_argument, NULL, 'f' },
		{ "digest", no_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 }
	};
	struct alert_new	 n;
	struct tenant_hit	 t;
	struct buf		 secret = { 0 };
	struct db		*db = NULL;
	const char		*tenant = NULL, *secret_file = NULL;
	char			 err[400], by[96];
	int64_t			 id;
	int			 ch, rc = EXIT_FAIL;

	memset(&n, 0, sizeof(n));
	optind = 2;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1)
		switch (ch) {
		case 't': tenant = optarg; break;
		case 'y': n.type = optarg; break;
		case 'u': case 'o': n.target = optarg; break;
		case 'n': n.name = optarg; break;
		case 's': secret_file = optarg; break;
		case 'e': n.triggers = optarg; break;
		case 'm': n.min_severity = optarg; break;
		case 'f': n.format = optarg; break;
		case 'd': n.digest = true; break;
		default:
			alert_usage();
			return EXIT_USAGE;
		}
	if (tenant == NULL || n.type == NULL || n.target == NULL ||
	    optind != argc) {
		alert_usage();
		return EXIT_USAGE;
	}
	if (n.name == NULL)
		n.name = n.type;
	if (secret_file != NULL) {
		if (file_read(secret_file, 1024, &secret) != 0) {
			fprintf(stderr, "orgaudit: cannot read %s\n", secret_file);
			return EXIT_FAIL;
		}
		secret.p[strcspn(secret.p, "\r\n")] = '\0';
		n.secret = secret.p;
	}
	if (alert_check(&x->conf, &n, err, sizeof(err)) != 0) {
		fprintf(stderr, "orgaudit: alert add: %s\n", err);
		rc = EXIT_USAGE;
		goto out;
	}
	if (cli_open_db(x, &db) != 0 || cli_tenant_resolve(db, tenant, &t) !=
	    0)
		goto out;
	n.tenant = t.id;
	{
		char	 who[64];

		snprintf(by, sizeof(by), "operator:%s", cli_operator(who,
		    sizeof(who)));
	}
	n.created_by = by;
	if ((id = alert_add(db, &n, err, sizeof(err))) < 0) {
		fprintf(stderr, "orgaudit: alert add: %s\n", err);
		goto out;
	}
	cli_note(db, t.id, "alert.channel_added", "alert", id);
	printf("channel %" PRId64 " (%s) for tenant %" PRId64 "; its %s is "
	    "sealed and not shown again\n%" PRId64 "\n", id, n.type, t.id,
	    strcmp(n.type, "email") == 0 ? "address" : "URL", id);
	rc = EXIT_OK;
out:
	if (secret.p != NULL)
		wipe(secret.p, secret.cap);
	buf_free(&secret);
	db_close(db);
	return rc;
}

static int
alert_list_verb(struct cli_ctx *x, const char *tenant)
{
	struct tenant_hit	 t;
	struct db		*db;
	json_t			*a, *c;
	size_t			 i;
	char			*trig;
	int			 rc = EXIT_FAIL;

	if (cli_open_db(x, &db) != 0)
		return EXIT_FAIL;
	if (cli_tenant_resolve(db, tenant, &t) != 0)
		goto out;
	if ((a = alert_list(db, t.id)) == NULL) {
		fprintf(stderr, "orgaudit: %s\n", db_error(db));
		goto out;
	}
	printf("%-6s %-8s %-24s %-28s %-7s %-6s %s\n", "ID", "TYPE", "NAME",
	    "TO", "MIN", "DEAD", "TRIGGERS");
	json_array_foreach(a, i, c) {
		trig = json_dumps(json_object_get(c, "triggers"), JSON_COMPACT);
		printf("%-6" PRId64 " %-8s ", (int64_t)json_integer_value(
		    json_object_get(c, "id")), json_string_value(
		    json_object_get(c, "type")));
		term_put(stdout, json_string_value(json_object_get(c, "name")),
		    24);
		printf(" ");
		term_put(stdout, json_string_value(json_object_get(c, "hint")),
		    28);
		printf(" %-7s %-6" PRId64 " %s\n", json_string_value(
		    json_object_get(c, "min_severity")),
		    (int64_t)json_integer_value(json_object_get(c, "dead")),
		    trig != NULL ? trig : "");
		free(trig);
	}
	json_decref(a);
	rc = EXIT_OK;
out:
	db_close(db);
	return rc;
}

int
cli_alert(struct cli_ctx *x, int argc, char **argv)
{
	struct db	*db;
	int64_t		 id, owner = 0, r;
	int		 rc = EXIT_FAIL;

	if (argc >= 2 && strcmp(argv[1], "add") == 0)
		return alert_add_verb(x, argc, argv);
	if (argc == 4 && strcmp(argv[1], "list") == 0 &&
	    strcmp(argv[2], "--tenant") == 0)
		return alert_list_verb(x, argv[3]);
	if (argc != 3 || (strcmp(argv[1], "remove") != 0 &&
	    strcmp(argv[1], "test") != 0)) {
		alert_usage();
		return EXIT_USAGE;
	}
	if (cli_need_id(argv[2], "the channel ID", &id) != 0)
		return EXIT_USAGE;
	if (cli_open_db(x, &db) != 0)
		return EXIT_FAIL;
	DB_QUERY(db, SQL_ALERT_CHANNEL_TENANT, db_row_first_int, &owner,
	    DV_I(id), DV_I(0), DV_I(0));
	if (strcmp(argv[1], "remove") == 0) {
		if ((r = alert_remove(db, 0, id)) < 0)
			fprintf(stderr, "orgaudit: %s\n", db_error(db));
		else if (r == 0)
			fprintf(stderr, "orgaudit: no channel %" PRId64 "\n", id);
		else {
			cli_note(db, owner, "alert.channel_removed", "alert",
			    id);
			printf("removed channel %" PRId64 "\n", id);
			rc = EXIT_OK;
		}
	} else if ((r = alert_test(db, 0, id)) < 0)
		fprintf(stderr, "orgaudit: %s\n", db_error(db));
	else if (r == 0)
		fprintf(stderr, "orgaudit: no channel %" PRId64 "\n", id);
	else {
		cli_note(db, owner, "alert.channel_tested", "alert", id);
		printf("test message %" PRId64 " queued for channel %" PRId64
		    "; orgaudit-notify sends it\n", r, id);
		rc = EXIT_OK;
	}
	db_close(db);
	return rc;
}
