/*
 * oa-client.c: see oa-client.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>

#include "log.h"
#include "oa-client.h"
#include "redact.h"
#include "retry.h"
#include "version.h"

#define OA_BODY_MAX	(64u * 1024 * 1024)
#define OA_USER_AGENT	"orgaudit/" ORGAUDIT_VERSION

struct oa {
	CURLM			*multi;
	struct curl_slist	*headers;	/* holds the key: wiped on free */
	char			*base;
	struct retry_policy	 policy;
	long			 timeout, connect_timeout;
	int			 max_running;
	int			 running;
	struct oa_call		*queue;		/* waiting to start */
	struct oa_call		*queue_tail;
	CURL			**idle;		/* reusable easy handles */
	int			 nidle;
	long			 requests, retries;
};

static size_t
oa_write(char *p, size_t sz, size_t n, void *arg)
{
	struct oa_call	*call = arg;

	if (call->body.len + sz * n > OA_BODY_MAX)
		return 0;	/* aborts the transfer */
	buf_add(&call->body, p, sz * n);
	return sz * n;
}

void
oa_hdr(const char *line, size_t len, const char *name, char *out,
    size_t outlen)
{
	size_t	 n = strlen(name), v;

	if (len <= n + 1 || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return;
	line += n + 1;
	len -= n + 1;
	while (len > 0 && (*line == ' ' || *line == '\t'))
		line++, len--;
	while (len > 0 && isspace((unsigned char)line[len - 1]))
		len--;
	v = len < outlen - 1 ? len : outlen - 1;
	memcpy(out, line, v);
	out[v] = '\0';
}

static size_t
oa_header(char *p, size_t sz, size_t n, void *arg)
{
	struct oa_call	*call = arg;

	oa_hdr(p, sz * n, "retry-after", call->ra, sizeof(call->ra));
	oa_hdr(p, sz * n, "retry-after-ms", call->ra_ms, sizeof(call->ra_ms));
	oa_hdr(p, sz * n, "x-should-retry", call->should_retry,
	    sizeof(call->should_retry));
	oa_hdr(p, sz * n, "openai-organization", call->openai_org,
	    sizeof(call->openai_org));
	return sz * n;
}

struct oa *
oa_new(const struct conf *c, const char *base_url, const char *admin_key)
{
	struct oa	*oa;
	struct buf	 auth = { 0 };

	oa = xcalloc(1, sizeof(*oa));
	if ((oa->multi = curl_multi_init()) == NULL) {
		free(oa);
		return NULL;
	}
	oa->base = url_base(base_url);
	retry_policy_conf(c, &oa->policy);
	oa->timeout = (long)c->http_timeout;
	oa->connect_timeout = (long)c->connect_timeout;
	oa->max_running = (int)c->collect_concurrency;
	buf_printf(&auth, "Authorization: Bearer %s", admin_key);
	oa->headers = curl_slist_append(NULL, auth.p);
	buf_free(&auth);
	oa->headers = curl_slist_append(oa->headers,
	    "Accept: application/json");
	curl_multi_setopt(oa->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
	    (long)oa->max_running);
	oa->idle = xcalloc((size_t)oa->max_running, sizeof(*oa->idle));
	return oa;
}

static void
oa_call_free(struct oa_call *call)
{
	free(call->path);
	buf_free(&call->body);
	free(call);
}

void
oa_free(struct oa *oa)
{
	struct curl_slist	*h;
	struct oa_call		*c, *next;
	int			 i;

	if (oa == NULL)
		return;
	for (c = oa->queue; c != NULL; c = next) {
		next = c->next;
		oa_call_free(c);
	}
	for (i = 0; i < oa->nidle; i++)
		curl_easy_cleanup(oa->idle[i]);
	free(oa->idle);
	curl_multi_cleanup(oa->multi);
	for (h = oa->headers; h != NULL; h = h->next)
		wipe(h->data, strlen(h->data));
	curl_slist_free_all(oa->headers);
	free(oa->base);
	free(oa);
}

long
oa_requests(const struct oa *oa)
{
	return oa->requests;
}

long
oa_retries(const struct oa *oa)
{
	return oa->retries;
}

void
oa_escape(const char *s, struct buf *out)
{
	for (; *s != '\0'; s++) {
		if (isalnum((unsigned char)*s) || strchr("-._~", *s) != NULL)
			buf_addc(out, *s);
		else
			buf_printf(out, "%%%02X", (unsigned char)*s);
	}
}

static void
oa_enqueue(struct oa *oa, struct oa_call *call, bool front)
{
	call->next = NULL;
	if (oa->queue == NULL) {
		oa->queue = oa->queue_tail = call;
	} else if (front) {
		call->next = oa->queue;
		oa->queue = call;
	} else {
		oa->queue_tail->next = call;
		oa->queue_tail = call;
	}
}

void
oa_get(struct oa *oa, const char *path, bool front, oa_done_cb cb,
    void *arg)
{
	struct oa_call	*call = xcalloc(1, sizeof(*call));

	call->path = xstrdup(path);
	call->cb = cb;
	call->arg = arg;
	oa_enqueue(oa, call, front);
}

static CURL *
oa_easy(struct oa *oa)
{
	CURL	*e;

	if (oa->nidle > 0) {
		e = oa->idle[--oa->nidle];
		curl_easy_reset(e);
	} else if ((e = curl_easy_init()) == NULL)
		return NULL;
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, oa->headers);
	curl_easy_setopt(e, CURLOPT_USERAGENT, OA_USER_AGENT);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, oa->timeout);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, oa->connect_timeout);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, oa_write);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, oa_header);
	return e;
}

static void
oa_release(struct oa *oa, CURL *e)
{
	curl_multi_remove_handle(oa->multi, e);
	if (oa->nidle < oa->max_running)
		oa->idle[oa->nidle++] = e;
	else
		curl_easy_cleanup(e);
}

static int
oa_start(struct oa *oa, struct oa_call *call)
{
	struct buf	 url = { 0 };
	CURL		*e;

	if ((e = oa_easy(oa)) == NULL)
		return -1;
	buf_printf(&url, "%s%s", oa->base, call->path);
	curl_easy_setopt(e, CURLOPT_URL, url.p);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, call);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, call);
	curl_easy_setopt(e, CURLOPT_PRIVATE, call);
	buf_free(&url);
	buf_reset(&call->body);
	call->ra[0] = call->ra_ms[0] = call->should_retry[0] = '\0';
	call->easy = e;
	call->attempts++;
	if (call->first_ms == 0)
		call->first_ms = mono_ms();
	if (curl_multi_add_handle(oa->multi, e) != CURLM_OK) {
		oa_release(oa, e);
		return -1;
	}
	oa->running++;
	oa->requests++;
	return 0;
}

bool
oa_transport_retryable(int code)
{
	switch ((CURLcode)code) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

/* Describes a non-2xx answer from OpenAI's error envelope, redacted. */
static void
oa_describe(struct oa_call *call)
{
	json_t		*root, *e;
	const char	*msg = NULL, *code = NULL;
	char		 clean[200];

	root = json_loadb(call->body.p ? call->body.p : "", call->body.len, 0,
	    NULL);
	e = json_object_get(root, "error");
	if (json_is_object(e)) {
		msg = json_string_value(json_object_get(e, "message"));
		code = json_string_value(json_object_get(e, "code"));
		if (code == NULL)
			code = json_string_value(json_object_get(e, "type"));
	}
	call->err_code[0] = '\0';
	if (code != NULL)
		redact_text_to(code, call->err_code, sizeof(call->err_code));
	redact_text_to(msg != NULL ? msg : "no error message", clean,
	    sizeof(clean));
	snprintf(call->err, sizeof(call->err), "HTTP %ld%s%s: %s",
	    call->status, call->err_code[0] ? " " : "", call->err_code, clean);
	json_decref(root);
}

static void
oa_finish(struct oa *oa, struct oa_call *call)
{
	call->cb(oa, call, call->arg);
	oa_call_free(call);
}

/* A transfer ended: retry it later, or complete it. */
static void
oa_done(struct oa *oa, struct oa_call *call, CURLcode rc)
{
	int64_t		 hint = -1, delay = -1, elapsed;
	uint32_t	 rnd = 0;
	bool		 again = false;

	call->status = 0;
	if (rc == CURLE_OK) {
		curl_easy_getinfo(call->easy, CURLINFO_RESPONSE_CODE,
		    &call->status);
		if (!oa_ok(call)) {
			oa_describe(call);
			again = retry_status(call->status) &&
			    strcasecmp(call->should_retry, "false") != 0;
			hint = retry_after_hint(call->ra_ms[0] ? call->ra_ms :
			    NULL, call->ra[0] ? call->ra : NULL, now_s());
		}
	} else {
		snprintf(call->err, sizeof(call->err), "%s",
		    curl_easy_strerror(rc));
		call->err_code[0] = '\0';
		again = oa_transport_retryable(rc);
	}
	if (strcasecmp(call->should_retry, "true") == 0)
		again = true;
	oa_release(oa, call->easy);
	call->easy = NULL;
	oa->running--;
	if (again) {
		elapsed = mono_ms() - call->first_ms;
		rand_bytes(&rnd, sizeof(rnd));
		delay = retry_delay(&oa->policy, call->attempts, elapsed, hint,
		    rnd);
		if (delay >= 0) {
			oa->retries++;
			log_debug("oa: %s: %s; retry %d in %lld ms",
			    call->path, call->err, call->attempts,
			    (long long)delay);
			call->not_before = mono_ms() + delay;
			oa_enqueue(oa, call, true);
			return;
		}
		/* Say why the budget ran out, keeping the last answer. */
		{
			char	 last[200];

			snprintf(last, sizeof(last), "%.199s", call->err);
			snprintf(call->err, sizeof(call->err), "gave up after "
			    "%d attempts in %.1f s: %s", call->attempts,
			    (double)elapsed / 1000.0, last);
		}
	}
	oa_finish(oa, call);
}

/* Takes c (whose predecessor is prev, or NULL) out of the queue. */
static void
oa_unlink(struct oa *oa, struct oa_call *prev, struct oa_call *c)
{
	if (prev == NULL)
		oa->queue = c->next;
	else
		prev->next = c->next;
	if (oa->queue_tail == c)
		oa->queue_tail = prev;
	c->next = NULL;
}

void
oa_cancel(struct oa *oa, bool (*match)(void *arg, void *ctx), void *ctx)
{
	struct oa_call	*c, *next, *prev = NULL, *gone = NULL;

	/* Unlink first: the callbacks may queue or cancel in turn. */
	for (c = oa->queue; c != NULL; c = next) {
		next = c->next;
		if (!match(c->arg, ctx)) {
			prev = c;
			continue;
		}
		oa_unlink(oa, prev, c);
		c->next = gone;
		gone = c;
	}
	for (c = gone; c != NULL; c = next) {
		next = c->next;
		c->status = 0;
		snprintf(c->err, sizeof(c->err), "cancelled");
		oa_finish(oa, c);
	}
}

/* Starts queued calls that are due; returns ms until the next one is. */
static long
oa_fill(struct oa *oa)
{
	struct oa_call	*c, *prev = NULL, *next;
	int64_t		 now = mono_ms(), wait = 1000;

	for (c = oa->queue; c != NULL && oa->running < oa->max_running;
	    c = next) {
		next = c->next;
		if (c->not_before > now) {
			if (c->not_before - now < wait)
				wait = c->not_before - now;
			prev = c;
			continue;
		}
		oa_unlink(oa, prev, c);
		if (oa_start(oa, c) != 0) {
			snprintf(c->err, sizeof(c->err), "cannot start a "
			    "transfer");
			c->status = 0;
			oa_finish(oa, c);
		}
	}
	return (long)wait;
}

void
oa_run(struct oa *oa)
{
	struct oa_call	*call;
	CURLMsg		*msg;
	long		 wait;
	int		 left, still, done;

	while (oa->queue != NULL || oa->running > 0) {
		wait = oa_fill(oa);
		curl_multi_perform(oa->multi, &still);
		done = 0;
		while ((msg = curl_multi_info_read(oa->multi, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			    (char **)&call);
			oa_done(oa, call, msg->data.result);
			done++;
		}
		/* Callbacks may have queued work: start it before waiting. */
		if (done > 0)
			continue;
		/*
		 * Wait for a socket, or until the first retry is due; with
		 * nothing running, only retries are left to wait for.
		 */
		curl_multi_poll(oa->multi, NULL, 0, (int)(oa->running > 0 &&
		    wait > 1000 ? 1000 : wait), NULL);
	}
}
