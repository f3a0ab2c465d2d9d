/*
 * app.c: see app.h.
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "app.h"
#include "log.h"
#include "util.h"
#include "version.h"

/* A process that may hold an admin key leaves no copy of its memory. */
static void
app_harden(void)
{
	struct rlimit	 none = { 0, 0 };

	umask(077);
	setrlimit(RLIMIT_CORE, &none);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	signal(SIGPIPE, SIG_IGN);
}

int
app_start(const struct app *a, int argc, char **argv, const char **conf_path)
{
	static const struct option common[] = {
		{ "conf", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
	};
	struct option	*all;
	size_t		 n = 0, k;
	int		 ch, rc = APP_RUN;

	app_harden();
	while (a->opts != NULL && a->opts[n].name != NULL)
		n++;
	all = xcalloc(n + 4, sizeof(*all));
	memcpy(all, common, sizeof(common));
	for (k = 0; k < n; k++)
		all[3 + k] = a->opts[k];
	optind = 1;
	while (rc == APP_RUN && (ch = getopt_long(argc, argv,
	    a->stop_at_operand ? "+" : "", all, NULL)) != -1)
		switch (ch) {
		case 'c':
			*conf_path = optarg;
			break;
		case 'h':
			a->usage(stdout);
			rc = EXIT_OK;
			break;
		case 'V':
			printf("%s %s\n", a->prog, ORGAUDIT_VERSION);
			rc = EXIT_OK;
			break;
		case '?':
			a->usage(stderr);
			rc = EXIT_USAGE;
			break;
		default:
			if ((rc = a->opt(a->ctx, ch, optarg)) == 0)
				rc = APP_RUN;
			break;
		}
	free(all);
	return rc;
}

int
app_conf(const char *prog, const char *explicit_path, struct conf *c)
{
	char		 err[512];
	const char	*path = conf_path(explicit_path);

	conf_defaults(c);
	if (conf_load(c, path, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return -1;
	}
	if (log_open(prog, c->log_file) != 0) {
		fprintf(stderr, "%s: cannot open log_file %s: %m\n", prog,
		    c->log_file);
		return -1;
	}
	log_set_level(strcmp(c->log_level, "error") == 0 ? LOG_ERR :
	    strcmp(c->log_level, "warning") == 0 ? LOG_WARN :
	    strcmp(c->log_level, "debug") == 0 ? LOG_DEBUG : LOG_INFO);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "%s: libcurl did not initialise\n", prog);
		return -1;
	}
	return 0;
}

struct db *
app_db(const struct conf *c)
{
	struct db	*db;
	char		 err[768];

	if ((db = db_open(c, err, sizeof(err))) == NULL) {
		log_err("%s", err);
		fprintf(stderr, "orgaudit: %s\n", err);
	}
	return db;
}

const struct option app_loop_opts[] = {
	{ "loop", no_argument, NULL, 'l' },
	{ "interval", required_argument, NULL, 'i' },
	{ NULL, 0, NULL, 0 }
};

int
app_loop_opt(void *ctx, int ch, const char *v)
{
	struct app_loop	*l = ctx;

	if (ch == 'l') {
		l->loop = 1;
		return 0;
	}
	if (parse_i64(v, 1, 3600, &l->interval) == 0)
		return 0;
	fprintf(stderr, "%s: --interval is 1 to 3600 seconds\n", l->prog);
	return EXIT_USAGE;
}

void
app_loop_wait(const struct app_loop *l)
{
	struct timespec	 ts = { (time_t)l->interval, 0 };

	nanosleep(&ts, NULL);
}
