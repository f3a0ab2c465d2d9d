/*
 * app.c: see app.h.
 */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "app.h"
#include "log.h"

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
