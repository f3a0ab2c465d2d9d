/*
 * fcgi.c: see fcgi.h.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi.h"
#include "log.h"

static const char *
http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 303: return "See Other";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 414: return "URI Too Long";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 507: return "Insufficient Storage";
	default: return "Unknown";
	}
}

const char *
http_param(const struct req *r, const char *name)
{
	return FCGX_GetParam(name, r->fcgi->envp);
}

int
http_read_body(struct req *r, size_t max)
{
	const char	*cl = http_param(r, "CONTENT_LENGTH");
	char		 chunk[4096];
	int64_t		 want = 0;
	int		 n;

	if (cl != NULL && *cl != '\0' && parse_i64(cl, 0, (int64_t)max,
	    &want) != 0)
		return -1;
	while ((int64_t)r->body.len < want) {
		n = FCGX_GetStr(chunk, want - (int64_t)r->body.len <
		    (int64_t)sizeof(chunk) ? (int)(want - (int64_t)r->body.len) :
		    (int)sizeof(chunk), r->fcgi->in);
		if (n <= 0)
			break;
		buf_add(&r->body, chunk, (size_t)n);
	}
	wipe(chunk, sizeof(chunk));
	if ((int64_t)r->body.len != want)
		return -1;
	if (r->body.p == NULL)
		buf_add(&r->body, "", 0);
	return 0;
}

void
http_req_free(struct req *r)
{
	buf_free(&r->body);
	buf_free(&r->headers);
	wipe(r->session, sizeof(r->session));
	wipe(r->csrf, sizeof(r->csrf));
}

/* Writes the status line, the common headers and the queued ones. */
#define HTTP_FILE_CHUNK	(64 * 1024)

static void
http_head(struct req *r, int status, const char *type, size_t len,
    const char *extra)
{
	struct buf	 head = { 0 };

	r->status = status;
	/* libfcgi's own printf lacks C99 length modifiers: format here. */
	buf_printf(&head, "Status: %d %s\r\n", status, http_reason(status));
	if (type != NULL)
		buf_printf(&head, "Content-Type: %s\r\nContent-Length: %zu\r\n",
		    type, len);
	buf_printf(&head, "Cache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n%s%s\r\n",
	    r->headers.p != NULL ? r->headers.p : "",
	    extra != NULL ? extra : "");
	FCGX_PutStr(head.p, (int)head.len, r->fcgi->out);
	buf_free(&head);
}

static void
http_body(struct req *r, const char *p, size_t n)
{
	if (strcmp(r->method, "HEAD") != 0 && n > 0)
		FCGX_PutStr(p, (int)n, r->fcgi->out);
}

int
http_file(struct req *r, int status, const char *type, const char *path,
    const char *extra)
{
	struct stat	 sb;
	FILE		*f;
	char		*chunk;
	size_t		 n;

	if ((f = fopen(path, "rb")) == NULL || fstat(fileno(f), &sb) != 0) {
		log_err("http: %s: %s", path, strerror(errno));
		if (f != NULL)
			fclose(f);
		return -1;
	}
	http_head(r, status, type, (size_t)sb.st_size, extra);
	if (strcmp(r->method, "HEAD") != 0) {
		chunk = xmalloc(HTTP_FILE_CHUNK);
		while ((n = fread(chunk, 1, HTTP_FILE_CHUNK, f)) > 0)
			if (FCGX_PutStr(chunk, (int)n, r->fcgi->out) < 0)
				break;
		free(chunk);
	}
	fclose(f);
	return 0;
}

char *
http_json_text(const json_t *body, size_t *n)
{
	char	*s;

	if (body == NULL || (s = json_dumps(body, JSON_COMPACT)) == NULL)
		return NULL;
	*n = strlen(s);
	s = xrealloc(s, *n + 2);
	s[(*n)++] = '\n';
	s[*n] = '\0';
	return s;
}

void
http_json_bytes(struct req *r, int status, const char *p, size_t n)
{
	http_head(r, status, "application/json; charset=utf-8", n, NULL);
	http_body(r, p, n);
}

void
http_json(struct req *r, int status, json_t *body, const char *extra)
{
	char	*s;
	size_t	 n;

	if ((s = http_json_text(body, &n)) == NULL) {
		log_err("http: %s %s: cannot encode the response", r->method,
		    r->path);
		status = 500;
		s = xstrdup("{\"error\":{\"code\":\"internal\",\"message\":"
		    "\"internal error\"}}\n");
		n = strlen(s);
	}
	http_head(r, status, "application/json; charset=utf-8", n, extra);
	http_body(r, s, n);
	free(s);
	json_decref(body);
}

void
http_error(struct req *r, int status, const char *code, const char *extra,
    const char *fmt, ...)
{
	char	 msg[512];
	char	*p;
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Messages may quote client input: keep them plain ASCII. */
	for (p = msg; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80 || (unsigned char)*p < 0x20)
			*p = '?';
	http_json(r, status, json_pack("{s:{s:s, s:s}}", "error", "code",
	    code, "message", msg), extra);
}

void
http_html(struct req *r, int status, const struct buf *page)
{
	http_head(r, status, "text/html; charset=utf-8", page->len, NULL);
	http_body(r, page->p, page->len);
}

void
http_redirect(struct req *r, const char *location)
{
	struct buf	 h = { 0 };

	/* Only our own paths: never an open redirect. */
	if (location[0] != '/' || location[1] == '/' || location[1] == '\\' ||
	    strpbrk(location, "\r\n") != NULL)
		location = "/";
	buf_printf(&h, "Location: %s\r\n", location);
	http_head(r, 303, NULL, 0, h.p);
	buf_free(&h);
}

bool
http_wants_json(const struct req *r)
{
	const char	*a = http_param(r, "HTTP_ACCEPT");

	return a != NULL && strncmp(a, "application/json", 16) == 0;
}
