/*
 * main-cli.c: orgaudit, the operator's command line.
 */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "cli.h"

static const struct {
	const char	*name;
	int		(*fn)(struct cli_ctx *, int, char **);
	const char	*help;
} verbs[] = {
	{ "migrate", cli_migrate, "apply the schema migrations (idempotent)" },
	{ "master-key", cli_master_key, "create | rotate NEW-FILE: the key "
	    "that wraps tenant data keys" },
	{ "tenant", cli_tenant, "add NAME | list | stripe-customer T "
	    "(cus_… | none): customers" },
	{ "token", cli_token, "add --tenant T --name N [--scope S] | list "
	    "--tenant T | revoke ID: API tokens" },
	{ "org", cli_org, "connect --tenant T --key-file F [--name N] "
	    "[--org ID] | disconnect --tenant T --org ID | list" },
	{ "orgs", cli_orgs, "list every connected org" },
	{ "account", cli_account, "add --tenant T --email E --role R "
	    "--password-file F | list --tenant T: dashboard accounts" },
	{ "events", cli_events, "verify --org ID: recompute the org's audit "
	    "chain, name the first broken row" },
	{ "activity", cli_activity, "verify [--tenant T]: recompute orgaudit's "
	    "own trail, name the first\n              broken row" },
	{ "alert", cli_alert, "add --tenant T --type webhook|slack|email --url "
	    "U|--to A [...] | list\n              --tenant T | remove ID | "
	    "test ID: alert channels" },
	{ "keygen", cli_keygen, "[--force | --public]: the Ed25519 key that "
	    "signs evidence packs" },
	{ "pack", cli_pack, "create --org ID --start D --end D [--out F] | "
	    "verify FILE\n              (--public-key PEM | --fingerprint HEX) "
	    "[--previous FILE] | monthly\n              [--month M]: "
	    "evidence packs" },
	{ "keys", cli_keys, "--org ID [--stale] [--orphan] [--type T] "
	    "[--project P]: an org's keys and findings" },
	{ "grants", cli_grants, "--web USER@HOST: the GRANT statements of the "
	    "web's database\n              user (no sealed secret, few "
	    "writes)" },
	{ "routes", cli_routes, "[--json]: every route of the web application "
	    "and what its gate checks" },
};

static void
usage(FILE *f)
{
	size_t	 i;

	fprintf(f, "usage: orgaudit [--conf FILE] VERB [ARGS]\n\n"
	    "The operator's tool for orgaudit, the OpenAI organization "
	    "audit service.\n\nVerbs:\n");
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(f, "  %-11s %s\n", verbs[i].name, verbs[i].help);
	fprintf(f, "\nConfiguration: --conf, else $ORGAUDIT_CONF, else "
	    "/etc/orgaudit/orgaudit.conf.\n"
	    "Exit codes: 0 done, 1 failed, 2 bad usage or configuration, "
	    "3 admin key refused.\n");
}

int
main(int argc, char **argv)
{
	const struct app app = { "orgaudit", usage, NULL, NULL, NULL, 1 };
	struct cli_ctx	 x;
	size_t		 i;
	int		 rc;

	memset(&x, 0, sizeof(x));
	/* The verb's options are its own: parsing stops at the verb. */
	if ((rc = app_start(&app, argc, argv, &x.conf_path)) != APP_RUN)
		return rc;
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(argv[optind], verbs[i].name) == 0)
			break;
	if (i == sizeof(verbs) / sizeof(verbs[0])) {
		fprintf(stderr, "orgaudit: unknown verb '%s'\n", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	/*
	 * Checking a pack needs no configuration: auditors run it too; nor
	 * does listing the routes.
	 */
	if ((strcmp(argv[optind], "pack") == 0 && optind + 1 < argc &&
	    strcmp(argv[optind + 1], "verify") == 0) ||
	    strcmp(argv[optind], "routes") == 0)
		return verbs[i].fn(&x, argc - optind, argv + optind);
	if (app_conf("orgaudit", x.conf_path, &x.conf) != 0)
		return EXIT_USAGE;
	rc = verbs[i].fn(&x, argc - optind, argv + optind);
	conf_free(&x.conf);
	return rc;
}
