/*
 * main-fcgi.c: orgaudit.fcgi, the web application, run behind nginx by
 * spawn-fcgi (or any FastCGI process manager) as a pool of processes.
 * Each process serves one request at a time over its own MariaDB
 * connection; nothing of a request outlives it.
 */
#include <stdio.h>
#include <string.h>

#include <fcgiapp.h>

#include "cache.h"
#include "route.h"
#include "app.h"
#include "fcgi.h"
#include "log.h"
#include "passwd.h"
#include "sign.h"
#include "mustache.h"


static void
usage(FILE *f)
{
	fprintf(f, "usage: orgaudit.fcgi [--conf FILE]\n\n"
	    "The orgaudit web application: a FastCGI responder on standard "
	    "input,\nstarted by spawn-fcgi behind nginx (see nginx/ and "
	    "docs/operations.md).\nIt serves the dashboard and /api/v1; each "
	    "process loads the templates\n(templates_dir) once and keeps one "
	    "MariaDB connection.\n");
}

static void
serve(FCGX_Request *fr, const struct conf *c, const struct mustache *tpl,
    const struct signer *sg, struct db **db)
{
	struct req	 r;
	char		 err[512];

	memset(&r, 0, sizeof(r));
	r.fcgi = fr;
	r.conf = c;
	r.method = FCGX_GetParam("REQUEST_METHOD", fr->envp);
	r.path = FCGX_GetParam("DOCUMENT_URI", fr->envp);
	r.query = FCGX_GetParam("QUERY_STRING", fr->envp);
	r.request_id = FCGX_GetParam("REQUEST_ID", fr->envp);
	r.remote_addr = FCGX_GetParam("REMOTE_ADDR", fr->envp);
	r.tpl = tpl;
	r.signer = sg;
	if (r.method == NULL)
		r.method = "";
	if (r.path == NULL)
		r.path = "";
	if (r.request_id == NULL)
		r.request_id = "-";
	if (r.remote_addr == NULL)
		r.remote_addr = "-";
	/* Reconnect lazily: a database restart costs one failed request. */
	if (*db == NULL && (*db = db_open(c, err, sizeof(err))) == NULL)
		log_err("fcgi: %s", err);
	r.db = *db;
	route_handle(&r);
	if (r.status >= 500)
		log_warn("fcgi: %s %s -> %d (request %s)", r.method, r.path,
		    r.status, r.request_id);
	http_req_free(&r);
}

int
main(int argc, char **argv)
{
	const struct app app = { "orgaudit.fcgi", usage, NULL, NULL, NULL, 0 };
	FCGX_Request	 fr;
	struct conf	 c;
	struct db	*db = NULL;
	struct mustache	*tpl;
	struct signer	*sg;
	char		 err[512];
	const char	*conf_file = NULL;
	int		 rc;

	err[0] = '\0';
	if ((rc = app_start(&app, argc, argv, &conf_file)) != APP_RUN)
		return rc;
	if (optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (FCGX_IsCGI()) {
		fprintf(stderr, "orgaudit.fcgi: standard input is not a "
		    "FastCGI socket; start it with spawn-fcgi (see --help)\n");
		return EXIT_USAGE;
	}
	if (app_conf("orgaudit.fcgi", conf_file, &c) != 0)
		return EXIT_USAGE;
	cache_limit((size_t)c.web_cache_entries);
	/* Templates are compiled once, here, not per request. */
	tpl = mustache_new();
	if (mustache_load_dir(tpl, c.templates_dir, err, sizeof(err)) != 0 ||
	    !mustache_has(tpl, "layout")) {
		log_err("fcgi: templates in %s: %s", c.templates_dir,
		    err[0] ? err : "no layout.mustache");
		fprintf(stderr, "orgaudit.fcgi: templates in %s: %s (set "
		    "templates_dir)\n", c.templates_dir, err[0] ? err :
		    "no layout.mustache");
		mustache_free(tpl);
		return EXIT_USAGE;
	}
	if (passwd_init() != 0) {
		log_err("fcgi: cannot hash the stand-in password (out of "
		    "memory?)");
		return EXIT_FAIL;
	}
	/*
	 * The web holds only the public key: it shows it, never signs.
	 * Without one the rest works; packs answer 503.
	 */
	if ((sg = sign_load_public(c.signing_public_key_file, err,
	    sizeof(err))) == NULL)
		log_warn("fcgi: evidence packs are off: %s", err);
	if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, 0, 0) != 0) {
		log_err("fcgi: cannot initialise libfcgi");
		return EXIT_FAIL;
	}
	log_info("fcgi: serving");
	while (FCGX_Accept_r(&fr) >= 0) {
		serve(&fr, &c, tpl, sg, &db);
		FCGX_Finish_r(&fr);
	}
	db_close(db);
	mustache_free(tpl);
	sign_free(sg);
	conf_free(&c);
	return EXIT_OK;
}
