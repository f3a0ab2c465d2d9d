/*
 * bill-stripe.c: see bill-stripe.h.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "log.h"
#include "oa-client.h"
#include "redact.h"
#include "retry.h"
#include "bill-stripe.h"
#include "version.h"

#define STRIPE_BODY_MAX	(16u * 1024 * 1024)
#define STRIPE_KEY_MAX	255

struct stripe {
	CURL			*easy;
	char			*auth;		/* holds the key: wiped on free */
	char			*base;
	char			 version_hdr[96];
	struct retry_policy	 policy;
	long			 timeout, connect_timeout;
	long			 requests, retries, posts;
	int64_t			 kill_after;	/* tests only; see below */
};

/* What one attempt brought back. */
struct attempt {
	struct buf	 body;
	bool		 too_big;
	char		 request_id[64];
	char		 should_retry[8];
	char		 replayed[8];
	char		 ra[32];
};

static size_t
on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct attempt	*a = arg;

	if (a->body.len + sz * n > STRIPE_BODY_MAX) {
		a->too_big = true;
		return 0;
	}
	buf_add(&a->body, p, sz * n);
	return sz * n;
}

static size_t
on_header(char *p, size_t sz, size_t n, void *arg)
{
	struct attempt	*a = arg;

	oa_hdr(p, sz * n, "request-id", a->request_id, sizeof(a->request_id));
	oa_hdr(p, sz * n, "stripe-should-retry", a->should_retry,
	    sizeof(a->should_retry));
	oa_hdr(p, sz * n, "idempotent-replayed", a->replayed,
	    sizeof(a->replayed));
	oa_hdr(p, sz * n, "retry-after", a->ra, sizeof(a->ra));
	return sz * n;
}

static bool
key_ok(const char *k)
{
	size_t	 n = strlen(k);

	if (n < 8 || n > STRIPE_KEY_MAX || (strncmp(k, "sk_", 3) != 0 &&
	    strncmp(k, "rk_", 3) != 0))
		return false;
	for (; *k != '\0'; k++)
		if (!isalnum((unsigned char)*k) && *k != '_')
			return false;
	return true;
}

struct stripe *
stripe_new(const struct conf *c, char *err, size_t errlen)
{
	struct stripe	*s;
	struct stat	 sb;
	struct buf	 key = { 0 }, hdr = { 0 };
	const char	*v;

	if (c->stripe_secret_key_file[0] == '\0') {
		snprintf(err, errlen, "stripe_secret_key_file is not set");
		return NULL;
	}
	if (stat(c->stripe_secret_key_file, &sb) == 0 &&
	    (sb.st_mode & 077) != 0) {
		snprintf(err, errlen, "the Stripe secret key %s may be read by "
		    "others (mode %03o); chmod 600 it",
		    c->stripe_secret_key_file, (unsigned)(sb.st_mode & 0777));
		return NULL;
	}
	if (file_read(c->stripe_secret_key_file, 4096, &key) != 0) {
		snprintf(err, errlen, "cannot read the Stripe secret key from "
		    "%s (stripe_secret_key_file)", c->stripe_secret_key_file);
		buf_free(&key);		/* a part may have been read */
		return NULL;
	}
	while (key.len > 0 && isspace((unsigned char)key.p[key.len - 1]))
		key.p[--key.len] = '\0';
	if (key.p == NULL || !key_ok(key.p)) {
		snprintf(err, errlen, "%s does not hold a Stripe secret key "
		    "(sk_… or rk_…, one line)", c->stripe_secret_key_file);
		buf_free(&key);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	if ((s->easy = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "libcurl cannot start");
		buf_free(&key);
		free(s);
		return NULL;
	}
	buf_printf(&hdr, "Authorization: Bearer %s", key.p);
	s->auth = buf_take(&hdr);
	buf_free(&key);
	s->base = url_base(c->stripe_base_url);
	snprintf(s->version_hdr, sizeof(s->version_hdr), "Stripe-Version: %s",
	    c->stripe_api_version);
	retry_policy_conf(c, &s->policy);
	s->timeout = (long)c->http_timeout;
	s->connect_timeout = (long)c->connect_timeout;
	/*
	 * For the crash tests only: the process kills itself (SIGKILL, no
	 * clean-up) once the N-th POST has its answer, before the caller
	 * can record it.  Unset in production.
	 */
	if ((v = getenv("ORGAUDIT_TEST_BILL_KILL_AFTER")) != NULL &&
	    parse_i64(v, 1, INT64_MAX, &s->kill_after) != 0)
		s->kill_after = 0;
	return s;
}

void
stripe_free(struct stripe *s)
{
	if (s == NULL)
		return;
	if (s->easy != NULL)
		curl_easy_cleanup(s->easy);
	if (s->auth != NULL) {
		wipe(s->auth, strlen(s->auth));
		free(s->auth);
	}
	free(s->base);
	free(s);
}

long
stripe_requests(const struct stripe *s)
{
	return s->requests;
}

long
stripe_retries(const struct stripe *s)
{
	return s->retries;
}

void
stripe_form(struct buf *form, const char *key, const char *value)
{
	if (form->len > 0)
		buf_addc(form, '&');
	oa_escape(key, form);
	buf_addc(form, '=');
	oa_escape(value, form);
}

void
stripe_resp_free(struct stripe_resp *res)
{
	json_decref(res->json);
	res->json = NULL;
}

void
stripe_describe(struct stripe_resp *res, const char *what)
{
	json_t		*e = json_object_get(res->json, "error");
	const char	*msg = NULL, *v;
	char		 clean[320], param[64] = "";

	res->type[0] = res->code[0] = '\0';
	if (json_is_object(e)) {
		if ((v = json_string_value(json_object_get(e, "type"))) != NULL)
			redact_text_to(v, res->type, sizeof(res->type));
		if ((v = json_string_value(json_object_get(e, "code"))) != NULL)
			redact_text_to(v, res->code, sizeof(res->code));
		msg = json_string_value(json_object_get(e, "message"));
		if ((v = json_string_value(json_object_get(e, "param"))) != NULL)
			redact_text_to(v, param, sizeof(param));
	}
	redact_text_to(msg != NULL ? msg : "no error message", clean,
	    sizeof(clean));
	snprintf(res->err, sizeof(res->err), "%s: HTTP %ld %s%s%s%s%s%s: %s "
	    "(request %s)", what, res->status,
	    res->type[0] ? res->type : "error", res->code[0] ? " " : "",
	    res->code, param[0] ? " (param " : "", param,
	    param[0] ? ")" : "", clean,
	    res->request_id[0] ? res->request_id : "without an ID");
}

/* One attempt; fills a and returns the CURLcode. */
static CURLcode
attempt(struct stripe *s, const char *url, const struct buf *form,
    struct curl_slist *hdrs, struct attempt *a)
{
	CURL	*e = s->easy;

	curl_easy_reset(e);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "orgaudit/" ORGAUDIT_VERSION);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, s->timeout);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, s->connect_timeout);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, a);
	if (form != NULL) {
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, form->p ? form->p : "");
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)form->len);
	}
	s->requests++;
	return curl_easy_perform(e);
}

/* The request's headers: the key (copied, wiped when freed) and more. */
static struct curl_slist *
call_headers(const struct stripe *s, bool post, const char *idem)
{
	struct curl_slist	*h;
	struct buf		 line = { 0 };

	h = curl_slist_append(NULL, s->auth);
	h = curl_slist_append(h, s->version_hdr);
	h = curl_slist_append(h, "Accept: application/json");
	h = curl_slist_append(h, "Expect:");
	if (post) {
		h = curl_slist_append(h, "Content-Type: "
		    "application/x-www-form-urlencoded");
		if (idem != NULL) {
			buf_printf(&line, "Idempotency-Key: %s", idem);
			h = curl_slist_append(h, line.p);
		}
	}
	buf_free(&line);
	return h;
}

static void
headers_free(struct curl_slist *hdrs)
{
	struct curl_slist	*h;

	for (h = hdrs; h != NULL; h = h->next)
		wipe(h->data, strlen(h->data));
	curl_slist_free_all(hdrs);
}

/*
 * Reads one attempt's outcome into res.  true: done (res->json is the
 * answer); else *again says whether to try again, *hint is the server's
 * Retry-After in ms (or -1).
 */
static bool
call_outcome(struct stripe *s, CURLcode rc, struct attempt *a,
    const char *where, struct stripe_resp *res, bool *again, int64_t *hint)
{
	*hint = -1;
	*again = false;
	if (rc != CURLE_OK) {
		snprintf(res->err, sizeof(res->err), "%s: %s", where,
		    a->too_big ? "answer too large" : curl_easy_strerror(rc));
		*again = !a->too_big && oa_transport_retryable(rc);
	} else {
		curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE,
		    &res->status);
		res->json = json_loadb(a->body.p ? a->body.p : "", a->body.len,
		    0, NULL);
		res->replayed = strcasecmp(a->replayed, "true") == 0;
		if (res->status >= 200 && res->status <= 299) {
			if (res->json != NULL)
				return true;
			snprintf(res->err, sizeof(res->err), "%s: HTTP %ld with "
			    "a body that is not JSON (request %s)", where,
			    res->status, res->request_id);
		} else {
			stripe_describe(res, where);
			*again = res->status == 429 || res->status >= 500 ||
			    (res->status == 409 && strcmp(res->code,
			    "idempotency_key_in_use") == 0);
			*hint = retry_after_hint(NULL, a->ra[0] ? a->ra : NULL,
			    now_s());
		}
	}
	/* Stripe's own word on this answer wins. */
	if (strcasecmp(a->should_retry, "false") == 0)
		*again = false;
	else if (strcasecmp(a->should_retry, "true") == 0)
		*again = true;
	return false;
}

/*
 * Waits before the next attempt under the retry policy; false when the
 * policy's budget is spent (res->err then says so).
 */
static bool
call_wait(struct stripe *s, struct stripe_resp *res, int64_t first,
    int64_t hint)
{
	struct timespec	 ts;
	int64_t		 delay;
	uint32_t	 rnd;
	char		 last[400];

	rand_bytes(&rnd, sizeof(rnd));
	delay = retry_delay(&s->policy, res->attempts, mono_ms() - first, hint,
	    rnd);
	if (delay < 0) {
		snprintf(last, sizeof(last), "%.399s", res->err);
		snprintf(res->err, sizeof(res->err), "gave up after %d attempts "
		    "in %.1f s: %s", res->attempts, (double)(mono_ms() - first) /
		    1000.0, last);
		return false;
	}
	s->retries++;
	log_info("stripe: %s; retry %d in %lld ms", res->err, res->attempts,
	    (long long)delay);
	ts.tv_sec = (time_t)(delay / 1000);
	ts.tv_nsec = (long)(delay % 1000) * 1000000;
	nanosleep(&ts, NULL);
	return true;
}

int
stripe_call(struct stripe *s, const char *path, const struct buf *form,
    const char *idem, struct stripe_resp *res)
{
	struct curl_slist	*hdrs;
	struct attempt		 a;
	struct buf		 url = { 0 };
	char			 where[300];
	int64_t			 first = mono_ms(), hint;
	bool			 again;
	CURLcode		 rc;

	memset(res, 0, sizeof(*res));
	memset(&a, 0, sizeof(a));
	buf_printf(&url, "%s%s", s->base, path);
	snprintf(where, sizeof(where), "%s %.240s", form != NULL ? "POST" :
	    "GET", path);
	hdrs = call_headers(s, form != NULL, idem);
	for (;;) {
		buf_reset(&a.body);
		a.too_big = false;
		a.request_id[0] = a.should_retry[0] = a.replayed[0] = '\0';
		a.ra[0] = '\0';
		rc = attempt(s, url.p, form, hdrs, &a);
		res->attempts++;
		res->status = 0;
		json_decref(res->json);
		res->json = NULL;
		snprintf(res->request_id, sizeof(res->request_id), "%s",
		    a.request_id);
		if (call_outcome(s, rc, &a, where, res, &again, &hint) ||
		    !again || !call_wait(s, res, first, hint))
			break;
	}
	headers_free(hdrs);
	buf_free(&url);
	buf_free(&a.body);
	if (form != NULL && res->status != 0 && s->kill_after > 0 &&
	    ++s->posts >= s->kill_after)
		raise(SIGKILL);
	return res->status >= 200 && res->status <= 299 && res->json != NULL ?
	    0 : -1;
}
