/*
 * http.c: see http.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "log.h"

static const char *
http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 414: return "URI Too Long";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

const char *
http_param(const struct req *r, const char *name)
{
	return FCGX_GetParam(name, r->fcgi->envp);
}

void
http_json(struct req *r, int status, json_t *body, const char *extra)
{
	struct buf	 head = { 0 };
	char		*s = NULL;
	size_t		 n;

	if (body == NULL || (s = json_dumps(body, JSON_COMPACT)) == NULL) {
		log_err("http: %s %s: cannot encode the response", r->method,
		    r->path);
		status = 500;
		s = xstrdup("{\"error\":{\"code\":\"internal\",\"message\":"
		    "\"internal error\"}}");
	}
	n = strlen(s);
	r->status = status;
	/* libfcgi's own printf lacks C99 length modifiers: format here. */
	buf_printf(&head, "Status: %d %s\r\n"
	    "Content-Type: application/json; charset=utf-8\r\n"
	    "Content-Length: %zu\r\n"
	    "Cache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n%s\r\n", status,
	    http_reason(status), n + 1, extra != NULL ? extra : "");
	FCGX_PutStr(head.p, (int)head.len, r->fcgi->out);
	if (strcmp(r->method, "HEAD") != 0) {
		FCGX_PutStr(s, (int)n, r->fcgi->out);
		FCGX_PutChar('\n', r->fcgi->out);
	}
	buf_free(&head);
	free(s);
	json_decref(body);
}

void
http_error(struct req *r, int status, const char *code, const char *extra,
    const char *fmt, ...)
{
	char	 msg[512];
	va_list	 ap;

	char	*p;

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
