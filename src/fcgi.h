/*
 * fcgi.h: one FastCGI request and its response.  A request owns nothing
 * that outlives it; every answer goes out through http_json(),
 * http_error(), http_html() or http_redirect(), which set the status, the
 * content type, the headers every answer carries and any headers queued
 * in r->headers (cookies).
 */
#ifndef ORGAUDIT_FCGI_H
#define ORGAUDIT_FCGI_H

#include <stdbool.h>
#include <stdint.h>

#include <fcgiapp.h>
#include <jansson.h>

#include "conf.h"
#include "db.h"
#include "session.h"
#include "util.h"

struct mustache;
struct signer;

struct req {
	FCGX_Request		*fcgi;
	const struct conf	*conf;
	struct db		*db;		/* NULL while MariaDB is away */
	const struct mustache	*tpl;		/* the dashboard's templates */
	const struct signer	*signer;	/* NULL: no signing key */
	const char		*method;
	const char		*path;
	const char		*query;
	const char		*request_id;
	const char		*remote_addr;
	struct buf		 body;		/* read by http_read_body() */
	struct buf		 headers;	/* extra response header lines */
	int64_t			 tenant;	/* 0 until authenticated */
	int64_t			 token;		/* the API token's id, or 0 */
	char			 scope[9];	/* the token's scope */
	int			 status;	/* as sent */
	/* A dashboard session, when the request carries a live one. */
	int64_t			 account;
	int			 stage;		/* 0, or a factor awaited */
	char			 role[17];
	char			 login_prefix[17];
	char			 tenant_name[201];
	char			 session[SESSION_TOKEN_LEN + 1];
	char			 csrf[CSRF_TOKEN_LEN + 1];
	/* Before a session: the pre-session token (login CSRF). */
	char			 pre[SESSION_TOKEN_LEN + 1];
};

/* A CGI variable of the request ("HTTP_AUTHORIZATION"), or NULL. */
const char	*http_param(const struct req *r, const char *name);
/*
 * Reads the request body (at most max bytes) into r->body.  0, or -1 when
 * it is larger or shorter than its Content-Length says.
 */
int		 http_read_body(struct req *r, size_t max);
/* Frees what a request holds (wipes the body). */
void		 http_req_free(struct req *r);

/* Sends body (a reference the call steals) with status. */
void		 http_json(struct req *r, int status, json_t *body,
		    const char *extra_headers);
/* Sends n bytes of JSON already encoded (http_json_text's output). */
void		 http_json_bytes(struct req *r, int status, const char *p,
		    size_t n);
/* body encoded as http_json sends it, newline-ended; NULL if it cannot. */
char		*http_json_text(const json_t *body, size_t *n);
/*
 * Sends {"error":{"code":code,"message":…}}.  The message is for the
 * client: it never holds internals; log those separately.
 */
void		 http_error(struct req *r, int status, const char *code,
		    const char *extra_headers, const char *fmt, ...)
		    PRINTF_LIKE(5, 6);
/*
 * Sends the file at path, in chunks, with its length; -1 (nothing sent)
 * when it cannot be opened.
 */
int		 http_file(struct req *r, int status, const char *type,
		    const char *path, const char *extra_headers);
/* Sends an HTML page. */
void		 http_html(struct req *r, int status, const struct buf *page);
/* 303 See Other to a path of this site (it must start with '/'). */
void		 http_redirect(struct req *r, const char *location);

/* Does the request ask for JSON rather than a page? */
bool		 http_wants_json(const struct req *r);

#endif
