/*
 * http.h: one FastCGI request and its response.  A request owns nothing
 * that outlives it; every response goes out through http_json() or
 * http_error(), which set the status, the content type and the headers
 * every answer carries.
 */
#ifndef ORGAUDIT_HTTP_H
#define ORGAUDIT_HTTP_H

#include <stdint.h>

#include <fcgiapp.h>
#include <jansson.h>

#include "conf.h"
#include "db.h"
#include "util.h"

struct req {
	FCGX_Request		*fcgi;
	const struct conf	*conf;
	struct db		*db;		/* NULL while MariaDB is away */
	const char		*method;
	const char		*path;
	const char		*query;
	const char		*request_id;
	int64_t			 tenant;	/* 0 until authenticated */
	int			 status;	/* as sent */
};

/* A CGI variable of the request ("HTTP_AUTHORIZATION"), or NULL. */
const char	*http_param(const struct req *r, const char *name);

/* Sends body (a reference the call steals) with status. */
void		 http_json(struct req *r, int status, json_t *body,
		    const char *extra_headers);
/*
 * Sends {"error":{"code":code,"message":…}}.  The message is for the
 * client: it never holds internals; log those separately.
 */
void		 http_error(struct req *r, int status, const char *code,
		    const char *extra_headers, const char *fmt, ...)
		    PRINTF_LIKE(5, 6);

#endif
