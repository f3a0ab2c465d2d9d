/*
 * main-notify.c: orgaudit-notify, the sender of the alert outbox
 * (notify.h).  One pass over the messages due, then exit (a timer runs it
 * every minute), or --loop.  It opens the channels' sealed URLs and
 * secrets with the master key; the web, which only seals them, does not.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "log.h"
#include "notify.h"
#include "util.h"

#define BATCH	500

static void
usage(FILE *f)
{
	fprintf(f, "usage: orgaudit-notify [--conf FILE] [--loop] "
	    "[--interval SECONDS]\n\n"
	    "Delivers the alert outbox: webhooks (signed), Slack messages and "
	    "mail through\nsmtp_url.  A message is marked sent only once its "
	    "receiver said so; failures are\ntried again with backoff for 24 "
	    "hours, then the message is dead (the\nNotifications page shows "
	    "it and can send it again).\n\n"
	    "  --loop           keep delivering (a service); without it, one "
	    "pass over what\n"
	    "                   is due, then exit (a timer)\n"
	    "  --interval N     with --loop, look for messages every N seconds "
	    "(default 2)\n\n"
	    "Exit codes: 0 nothing failed, 1 some message failed (tried again "
	    "later, or dead;\nsee the log), 2 bad usage or configuration.\n");
}

int
main(int argc, char **argv)
{
	struct app_loop		 a = { "orgaudit-notify", 0, 2 };
	const struct app	 app = { "orgaudit-notify", usage, app_loop_opts,
	    app_loop_opt, &a, 0 };
	struct notify_result	 res;
	struct conf		 c;
	struct db		*db;
	const char		*conf_file = NULL;
	char			 owner[192], host[128];
	int			 rc;

	if ((rc = app_start(&app, argc, argv, &conf_file)) != APP_RUN)
		return rc;
	if (optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (app_conf("orgaudit-notify", conf_file, &c) != 0)
		return EXIT_USAGE;
	if ((db = app_db(&c)) == NULL) {
		conf_free(&c);
		return EXIT_USAGE;
	}
	if (gethostname(host, sizeof(host) - 1) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	snprintf(owner, sizeof(owner), "%s:%d", host, (int)getpid());
	rc = EXIT_OK;
	for (;;) {
		if (notify_pass(db, &c, owner, BATCH, &res) != 0) {
			log_err("notify: %s", db_error(db));
			rc = EXIT_FAIL;
		} else {
			if (res.sent + res.retried + res.dead > 0)
				log_info("notify: %ld sent, %ld to try again, "
				    "%ld dead", res.sent, res.retried, res.dead);
			if (res.retried + res.dead > 0)
				rc = EXIT_FAIL;
			/* A full batch: more may be due at once. */
			if (res.sent + res.retried + res.dead >= BATCH)
				continue;
		}
		if (!a.loop)
			break;
		rc = EXIT_OK;
		app_loop_wait(&a);
	}
	db_close(db);
	conf_free(&c);
	return rc;
}
