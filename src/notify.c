/*
 * notify.c: the outbox's sender (notify.h).
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/hmac.h>

#include "log.h"
#include "notify.h"
#include "ocsf.h"
#include "redact.h"
#include "util.h"
#include "vault.h"
#include "views.h"

#define LEASE_SECONDS	120
#define REPLY_MAX	4096

/* -- addresses ------------------------------------------------------------ */

static bool
v4_public(uint32_t a)
{
	static const struct { uint32_t net, mask; } no[] = {
		{ 0x00000000, 0xff000000 },	/* 0/8: this network */
		{ 0x0a000000, 0xff000000 },	/* 10/8: private */
		{ 0x64400000, 0xffc00000 },	/* 100.64/10: shared */
		{ 0x7f000000, 0xff000000 },	/* 127/8: loopback */
		{ 0xa9fe0000, 0xffff0000 },	/* 169.254/16: link-local */
		{ 0xac100000, 0xfff00000 },	/* 172.16/12: private */
		{ 0xc0000000, 0xffffff00 },	/* 192.0.0/24: protocols */
		{ 0xc0000200, 0xffffff00 },	/* 192.0.2/24: documentation */
		{ 0xc0a80000, 0xffff0000 },	/* 192.168/16: private */
		{ 0xc6120000, 0xfffe0000 },	/* 198.18/15: benchmarking */
		{ 0xc6336400, 0xffffff00 },	/* 198.51.100/24: documentation */
		{ 0xcb007100, 0xffffff00 },	/* 203.0.113/24: documentation */
		{ 0xe0000000, 0xf0000000 },	/* 224/4: multicast */
		{ 0xf0000000, 0xf0000000 },	/* 240/4: reserved, broadcast */
	};
	size_t	 i;

	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if ((a & no[i].mask) == no[i].net)
			return false;
	return true;
}

bool
notify_addr_public(const struct sockaddr *sa)
{
	const unsigned char	*b;
	uint32_t		 v4;
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0xff, 0xff };
	static const unsigned char zero[16];

	if (sa->sa_family == AF_INET)
		return v4_public(ntohl(((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr.s_addr));
	if (sa->sa_family != AF_INET6)
		return false;
	b = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
	/* A v4 address in v6 clothes is judged as itself. */
	if (memcmp(b, mapped, 12) == 0 || (b[0] == 0x00 && b[1] == 0x64 &&
	    b[2] == 0xff && b[3] == 0x9b && memcmp(b + 4, zero, 8) == 0)) {
		memcpy(&v4, b + 12, 4);
		return v4_public(ntohl(v4));
	}
	if (memcmp(b, zero, 15) == 0 && (b[15] == 0 || b[15] == 1))
		return false;			/* ::, ::1 */
	if ((b[0] & 0xfe) == 0xfc)		/* fc00::/7 unique-local */
		return false;
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)	/* fe80::/10 */
		return false;
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)	/* fec0::/10 */
		return false;
	if (b[0] == 0xff)			/* multicast */
		return false;
	if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)
		return false;			/* 2001:db8::/32 */
	if (memcmp(b, zero, 12) == 0)		/* ::a.b.c.d, deprecated */
		return false;
	return true;
}

int
notify_url_check(const struct conf *c, const char *url, char *pin,
    size_t pinlen, char *err, size_t errlen)
{
	struct addrinfo	 hints, *res = NULL, *ai;
	CURLU		*u = curl_url();
	char		*scheme = NULL, *host = NULL, *port = NULL;
	char		 addr[INET6_ADDRSTRLEN], bare[256];
	int		 rc = -1, e;
	bool		 allow = c->alert_allow_private != 0, first = true;

	if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK) {
		snprintf(err, errlen, "that is not a URL");
		goto out;
	}
	if (strcasecmp(scheme, "https") != 0 && !(allow &&
	    strcasecmp(scheme, "http") == 0)) {
		snprintf(err, errlen, "the URL must be https");
		goto out;
	}
	/* curl keeps an IPv6 literal's brackets. */
	snprintf(bare, sizeof(bare), "%s", host);
	if (bare[0] == '[' && bare[strlen(bare) - 1] == ']') {
		memmove(bare, bare + 1, strlen(bare));
		bare[strlen(bare) - 1] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((e = getaddrinfo(bare, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "the URL's host %.100s does not resolve: "
		    "%s", bare, gai_strerror(e));
		goto out;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, addr, sizeof(addr),
		    NULL, 0, NI_NUMERICHOST) != 0)
			continue;
		if (!allow && !notify_addr_public(ai->ai_addr)) {
			snprintf(err, errlen, "the URL's host %.100s is %s, not "
			    "a public address: refused (the operator's "
			    "alert_allow_private lifts this)", bare, addr);
			goto out;
		}
		if (first && pin != NULL)
			snprintf(pin, pinlen, ai->ai_family == AF_INET6 ?
			    "%s:%s:[%s]" : "%s:%s:%s", bare, port, addr);
		first = false;
	}
	if (first) {
		snprintf(err, errlen, "the URL's host %.100s has no address",
		    bare);
		goto out;
	}
	rc = 0;
out:
	if (res != NULL)
		freeaddrinfo(res);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

void
notify_sign(const char *secret, int64_t t, const char *body, size_t len,
    char *out, size_t outlen)
{
	unsigned char	 mac[32];
	unsigned int	 maclen = sizeof(mac);
	char		 hex[65], ts[24];

	snprintf(ts, sizeof(ts), "%" PRId64 ".", t);
	/* HMAC-SHA256(secret, "<t>.<body>") in one pass. */
	{
		struct buf	 m = { 0 };

		buf_adds(&m, ts);
		buf_add(&m, body, len);
		HMAC(EVP_sha256(), secret, (int)strlen(secret),
		    (const unsigned char *)m.p, m.len, mac, &maclen);
		buf_free(&m);
	}
	hex_encode(mac, 32, hex);
	snprintf(out, outlen, "t=%" PRId64 ",v1=%s", t, hex);
}

int64_t
notify_backoff(int attempts, unsigned jitter)
{
	int64_t	 s = 30;
	int	 i;

	for (i = 0; i < attempts && s < 3600; i++)
		s *= 2;
	if (s > 3600)
		s = 3600;
	/* Up to a quarter more, so that failed messages spread out. */
	return s + (int64_t)(jitter % (unsigned)(s / 4 + 1));
}

/* -- one delivery ------------------------------------------------------- */

struct msg {
	int64_t		 id, tenant, org, channel, ref, created, attempts;
	char		 event_id[64], kind[32], type[16], format[8];
	char		 channel_name[201];
	bool		 removed;
	struct buf	 body, target_sealed, secret_sealed;
};

static int
msg_row(const struct db_row *r, void *arg)
{
	struct msg	*m = arg;

	m->id = db_row_int(r, 0);
	m->tenant = db_row_int(r, 1);
	m->org = db_row_int(r, 2);
	m->channel = db_row_int(r, 3);
	snprintf(m->event_id, sizeof(m->event_id), "%s", db_row_str(r, 4));
	snprintf(m->kind, sizeof(m->kind), "%s", db_row_str(r, 5));
	m->ref = db_row_int(r, 6);
	if (!db_row_null(r, 7))
		buf_add(&m->body, r->v[7], r->len[7]);
	m->created = db_row_int(r, 8);
	m->attempts = db_row_int(r, 9);
	snprintf(m->type, sizeof(m->type), "%s", db_row_str(r, 10));
	if (!db_row_null(r, 11))
		buf_add(&m->target_sealed, r->v[11], r->len[11]);
	if (!db_row_null(r, 12))
		buf_add(&m->secret_sealed, r->v[12], r->len[12]);
	snprintf(m->format, sizeof(m->format), "%s", db_row_str(r, 13));
	m->removed = !db_row_null(r, 14);
	snprintf(m->channel_name, sizeof(m->channel_name), "%s",
	    db_row_str(r, 15));
	return 1;
}

static void
msg_free(struct msg *m)
{
	buf_free(&m->body);
	buf_free(&m->target_sealed);
	buf_free(&m->secret_sealed);
}

/* The org of the last audit message, kept for the pass. */
struct org_info {
	int64_t	 org;		/* 0: none read yet */
	char	 name[201], openai_org[129], tenant_name[201];
	int64_t	 tenant;
};

static int
org_info_row(const struct db_row *r, void *arg)
{
	struct org_info	*o = arg;

	snprintf(o->name, sizeof(o->name), "%s", db_row_str(r, 1));
	snprintf(o->openai_org, sizeof(o->openai_org), "%s", db_row_str(r, 2));
	o->tenant = db_row_int(r, 3);
	snprintf(o->tenant_name, sizeof(o->tenant_name), "%s",
	    db_row_str(r, 4));
	return 1;
}

static int
event_row(const struct db_row *r, void *arg)
{
	*(json_t **)arg = view_cols(r, SQL_OUTBOX_EVENT, "orgaudit.event");
	return 1;
}

/*
 * An audit event's message, made from the stored event; the org's names
 * are read once per org and pass (a burst is one org's).
 */
static int
audit_body(struct db *db, const struct conf *c, struct msg *m,
    struct org_info *oi)
{
	const struct org_info	*o = oi;
	json_t			*ev = NULL, *b;
	char			*s;

	if (oi->org != m->org) {
		memset(oi, 0, sizeof(*oi));
		if (DB_QUERY(db, SQL_ALERT_ORG, org_info_row, oi,
		    DV_I(m->org)) < 0)
			return -1;
		oi->org = m->org;
	}
	if (DB_QUERY(db, SQL_OUTBOX_EVENT, event_row, &ev, DV_I(m->org),
	    DV_I(m->ref)) < 0 || ev == NULL) {
		json_decref(ev);
		return -1;
	}
	b = json_pack("{s:s, s:s, s:I, s:{s:I, s:s}, s:{s:I, s:s, s:s?}, s:o,"
	    " s:o}", "id", m->event_id, "type", "audit_event",
	    "created", (json_int_t)m->created,
	    "tenant", "id", (json_int_t)o->tenant, "name", o->tenant_name,
	    "org", "id", (json_int_t)m->org, "name", o->name, "openai_org",
	    o->openai_org[0] ? o->openai_org : NULL, "data", ev,
	    "dashboard_url", json_sprintf("%s/orgs/%" PRId64 "/events?target="
	    "%s", c->public_origin, m->org, json_string_value(json_object_get(
	    ev, "target_id")) ? json_string_value(json_object_get(ev,
	    "target_id")) : ""));
	s = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(b);
	if (s == NULL)
		return -1;
	buf_adds(&m->body, s);
	free(s);
	return 0;
}

/* One line for people: what the message says. */
static void
summary(const json_t *b, struct buf *out)
{
	const json_t	*d = json_object_get(b, "data");
	const char	*type = json_string_value(json_object_get(b, "type"));
	const char	*org = json_string_value(json_object_get(
	    json_object_get(b, "org"), "name"));

	if (type != NULL && strncmp(type, "finding.", 8) == 0)
		buf_printf(out, "%s finding %s: %s (%s %s) in %s",
		    strcmp(type, "finding.opened") == 0 ? "New" : "Resolved",
		    json_string_value(json_object_get(d, "rule")),
		    json_string_value(json_object_get(d, "message")),
		    json_string_value(json_object_get(json_object_get(d,
		    "subject"), "type")),
		    json_string_value(json_object_get(json_object_get(d,
		    "subject"), "id")), org ? org : "?");
	else if (type != NULL && strcmp(type, "audit_event") == 0)
		buf_printf(out, "OpenAI audit log: %s (%s) in %s",
		    json_string_value(json_object_get(d, "type")),
		    json_string_value(json_object_get(d, "target_id")) ?
		    json_string_value(json_object_get(d, "target_id")) : "-",
		    org ? org : "?");
	else
		buf_printf(out, "%s", json_string_value(json_object_get(d,
		    "message")) ? json_string_value(json_object_get(d,
		    "message")) : "orgaudit");
}

struct reply {
	size_t	 n;
	long	 retry_after;
};

static size_t
reply_body(char *p, size_t sz, size_t n, void *arg)
{
	struct reply	*r = arg;

	(void)p;
	r->n += sz * n;
	return r->n > REPLY_MAX ? 0 : sz * n;
}

static size_t
reply_header(char *p, size_t sz, size_t n, void *arg)
{
	struct reply	*r = arg;
	size_t		 len = sz * n;
	char		 line[128];

	if (len < sizeof(line) && strncasecmp(p, "retry-after:", 12) == 0) {
		memcpy(line, p + 12, len - 12);
		line[len - 12] = '\0';
		r->retry_after = strtol(line, NULL, 10);
	}
	return len;
}

/* How a try ended. */
enum outcome { O_SENT, O_RETRY, O_DEAD };

struct tried {
	enum outcome	 how;
	long		 status;
	long		 retry_after;
	char		 error[300];
};

/* A POST of body to url, its host pinned to the address checked. */
static void
post(const struct conf *c, const char *url, const char *body, size_t len,
    struct curl_slist *headers, struct tried *t)
{
	struct curl_slist	*pin = NULL;
	struct reply		 r = { 0, -1 };
	char			 p[400], err[300];
	CURLcode		 cc;
	CURL			*e;

	if (notify_url_check(c, url, p, sizeof(p), err, sizeof(err)) != 0) {
		t->how = O_DEAD;
		snprintf(t->error, sizeof(t->error), "refused: %.250s", err);
		return;
	}
	if ((e = curl_easy_init()) == NULL) {
		t->how = O_RETRY;
		snprintf(t->error, sizeof(t->error), "out of memory");
		return;
	}
	pin = curl_slist_append(pin, p);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_RESOLVE, pin);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, c->alert_allow_private ?
	    "http,https" : "https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)c->http_timeout);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, (long)c->connect_timeout);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "orgaudit-notify");
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, reply_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, reply_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, &r);
	cc = curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &t->status);
	t->retry_after = r.retry_after;
	if (cc != CURLE_OK && !(cc == CURLE_WRITE_ERROR && t->status > 0)) {
		t->how = O_RETRY;
		t->status = 0;
		snprintf(t->error, sizeof(t->error), "%s",
		    curl_easy_strerror(cc));
	} else if (t->status >= 200 && t->status < 300)
		t->how = O_SENT;
	else if (t->status == 408 || t->status == 429 || t->status >= 500 ||
	    (t->status >= 300 && t->status < 400)) {
		/* A redirect is not followed: the receiver must fix it. */
		t->how = t->status >= 300 && t->status < 400 ? O_DEAD : O_RETRY;
		snprintf(t->error, sizeof(t->error), "HTTP %ld%s", t->status,
		    t->status < 400 ? ": redirects are not followed" : "");
	} else {
		t->how = O_DEAD;
		snprintf(t->error, sizeof(t->error), "HTTP %ld: the receiver "
		    "refused the message", t->status);
	}
	curl_slist_free_all(pin);
	curl_easy_cleanup(e);
}

/*
 * A channel that asked for OCSF gets the finding or the event as an OCSF
 * event (ocsf.h) instead of the native body; a test message stays
 * native.  0, or -1 when the body cannot be turned.
 */
static int
ocsf_body(struct msg *m)
{
	json_t		*b = json_loadb(m->body.p, m->body.len, 0, NULL), *o;
	json_t		*org = json_object_get(b, "org");
	json_t		*tenant = json_object_get(b, "tenant");
	const char	*type = json_string_value(json_object_get(b, "type"));
	struct ocsf_ctx	 ctx;
	char		*s;

	/* A test and a digest have no OCSF class: sent as they are. */
	if (b == NULL || type == NULL || strcmp(type, "test") == 0 ||
	    strcmp(type, "digest") == 0) {
		json_decref(b);
		return b == NULL ? -1 : 0;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.tenant_id = json_integer_value(json_object_get(tenant, "id"));
	ctx.tenant_name = json_string_value(json_object_get(tenant, "name"));
	ctx.org_id = json_integer_value(json_object_get(org, "id"));
	ctx.org_name = json_string_value(json_object_get(org, "name"));
	ctx.openai_org = json_string_value(json_object_get(org, "openai_org"));
	o = strcmp(type, "audit_event") == 0 ? ocsf_audit_event(json_object_get(
	    b, "data"), &ctx) : ocsf_finding(json_object_get(b, "data"), &ctx);
	s = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	json_decref(b);
	if (s == NULL)
		return -1;
	buf_reset(&m->body);
	buf_adds(&m->body, s);
	free(s);
	return 0;
}

static void
send_webhook(const struct conf *c, struct msg *m, const char *url,
    const char *secret, struct tried *t)
{
	struct curl_slist	*h = NULL;
	char			 sig[128], hdr[200];

	if (strcmp(m->format, "ocsf") == 0 && ocsf_body(m) != 0) {
		t->how = O_DEAD;
		snprintf(t->error, sizeof(t->error), "the message cannot be "
		    "written as OCSF");
		return;
	}
	notify_sign(secret != NULL ? secret : "", now_s(), m->body.p,
	    m->body.len, sig, sizeof(sig));
	snprintf(hdr, sizeof(hdr), "Orgaudit-Signature: %s", sig);
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, hdr);
	snprintf(hdr, sizeof(hdr), "Orgaudit-Delivery: dlv_%" PRId64, m->id);
	h = curl_slist_append(h, hdr);
	post(c, url, m->body.p, m->body.len, h, t);
	curl_slist_free_all(h);
}

/* Slack's mrkdwn needs &, < and > escaped. */
static void
mrkdwn(struct buf *b, const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if (*s == '&')
			buf_adds(b, "&amp;");
		else if (*s == '<')
			buf_adds(b, "&lt;");
		else if (*s == '>')
			buf_adds(b, "&gt;");
		else
			buf_addc(b, *s);
}

static void
send_slack(const struct conf *c, struct msg *m, const char *url,
    struct tried *t)
{
	struct curl_slist	*h = NULL;
	struct buf		 line = { 0 }, md = { 0 };
	json_t			*b = json_loadb(m->body.p, m->body.len, 0, NULL);
	json_t			*msg;
	const char		*link;
	char			*s;

	summary(b, &line);
	mrkdwn(&md, line.p);
	link = json_string_value(json_object_get(b, "dashboard_url"));
	msg = json_pack("{s:s, s:[{s:s, s:{s:s, s:s}}, {s:s, s:[{s:s, s:s}]}]}",
	    "text", line.p,
	    "blocks", "type", "section", "text", "type", "mrkdwn", "text",
	    md.p, "type", "context", "elements", "type", "mrkdwn", "text",
	    m->event_id);
	if (link != NULL && *link != '\0')
		json_array_append_new(json_object_get(msg, "blocks"), json_pack(
		    "{s:s, s:[{s:s, s:{s:s, s:s}, s:s}]}", "type", "actions",
		    "elements", "type", "button", "text", "type", "plain_text",
		    "text", "Open in orgaudit", "url", link));
	s = json_dumps(msg, JSON_COMPACT);
	h = curl_slist_append(h, "Content-Type: application/json");
	post(c, url, s, strlen(s), h, t);
	curl_slist_free_all(h);
	free(s);
	json_decref(msg);
	json_decref(b);
	buf_free(&line);
	buf_free(&md);
}

struct mail {
	struct buf	 text;
	size_t		 off;
};

static size_t
mail_read(char *p, size_t sz, size_t n, void *arg)
{
	struct mail	*m = arg;
	size_t		 left = m->text.len - m->off;

	if (left > sz * n)
		left = sz * n;
	memcpy(p, m->text.p + m->off, left);
	m->off += left;
	return left;
}

static void
send_email(const struct conf *c, struct msg *msg, const char *to,
    struct tried *t)
{
	struct curl_slist	*rcpt = NULL;
	struct mail		 m = { { 0 }, 0 };
	struct buf		 line = { 0 }, pw = { 0 }, from = { 0 };
	json_t			*b = json_loadb(msg->body.p, msg->body.len, 0,
	    NULL);
	char			 date[64], *pretty;
	time_t			 now = time(NULL);
	struct tm		 tm;
	CURLcode		 cc;
	CURL			*e;

	if (c->smtp_url[0] == '\0' || c->smtp_from[0] == '\0') {
		t->how = O_RETRY;
		snprintf(t->error, sizeof(t->error), "no SMTP relay: the "
		    "operator sets smtp_url and smtp_from");
		json_decref(b);
		return;
	}
	summary(b, &line);
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	pretty = json_dumps(json_object_get(b, "data"), JSON_INDENT(2) |
	    JSON_SORT_KEYS);
	buf_printf(&m.text, "From: orgaudit <%s>\r\nTo: <%s>\r\n"
	    "Subject: [orgaudit] %.150s\r\nDate: %s\r\n"
	    "Message-ID: <%s@orgaudit>\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n\r\n%s\r\n\r\n%s%s%s\r\n"
	    "\r\nMessage %s\r\n", c->smtp_from, to, line.p, date,
	    msg->event_id, line.p,
	    json_string_value(json_object_get(b, "dashboard_url")) ?
	    "In the dashboard: " : "",
	    json_string_value(json_object_get(b, "dashboard_url")) ?
	    json_string_value(json_object_get(b, "dashboard_url")) : "",
	    pretty ? "\r\n\r\n" : "", msg->event_id);
	if (pretty != NULL) {
		/* The facts, after the summary. */
		buf_adds(&m.text, pretty);
		buf_adds(&m.text, "\r\n");
	}
	free(pretty);
	if ((e = curl_easy_init()) == NULL) {
		t->how = O_RETRY;
		snprintf(t->error, sizeof(t->error), "out of memory");
		goto out;
	}
	buf_printf(&from, "<%s>", c->smtp_from);
	{
		char	 r[300];

		snprintf(r, sizeof(r), "<%s>", to);
		rcpt = curl_slist_append(rcpt, r);
	}
	curl_easy_setopt(e, CURLOPT_URL, c->smtp_url);
	curl_easy_setopt(e, CURLOPT_MAIL_FROM, from.p);
	curl_easy_setopt(e, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(e, CURLOPT_READFUNCTION, mail_read);
	curl_easy_setopt(e, CURLOPT_READDATA, &m);
	curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)c->http_timeout);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	if (c->smtp_user[0] != '\0') {
		if (file_read(c->smtp_password_file, 1024, &pw) != 0) {
			t->how = O_RETRY;
			snprintf(t->error, sizeof(t->error), "cannot read "
			    "smtp_password_file");
			curl_easy_cleanup(e);
			goto out;
		}
		pw.p[strcspn(pw.p, "\r\n")] = '\0';
		curl_easy_setopt(e, CURLOPT_USERNAME, c->smtp_user);
		curl_easy_setopt(e, CURLOPT_PASSWORD, pw.p);
	}
	cc = curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &t->status);
	if (cc == CURLE_OK)
		t->how = O_SENT;
	else {
		/* SMTP 5xx is final; anything else is tried again. */
		t->how = t->status >= 500 ? O_DEAD : O_RETRY;
		snprintf(t->error, sizeof(t->error), "SMTP: %s (%ld)",
		    curl_easy_strerror(cc), t->status);
	}
	curl_easy_cleanup(e);
out:
	if (pw.p != NULL)
		wipe(pw.p, pw.cap);
	buf_free(&pw);
	buf_free(&from);
	buf_free(&m.text);
	buf_free(&line);
	curl_slist_free_all(rcpt);
	json_decref(b);
}

/* Opens the channel's sealed parts and delivers m. */
static void
deliver(struct db *db, const struct conf *c, struct msg *m,
    struct org_info *oi, struct tried *t)
{
	struct buf	 target = { 0 }, secret = { 0 };
	char		 purpose[48], err[300];

	memset(t, 0, sizeof(*t));
	t->retry_after = -1;
	if (m->removed) {
		t->how = O_DEAD;
		snprintf(t->error, sizeof(t->error), "the channel was removed");
		return;
	}
	if (strcmp(m->kind, "audit_event") == 0 && m->body.len == 0 &&
	    audit_body(db, c, m, oi) != 0) {
		t->how = O_RETRY;
		snprintf(t->error, sizeof(t->error), "the audit event cannot be "
		    "read: %s", db_error(db));
		return;
	}
	snprintf(purpose, sizeof(purpose), "alert:%" PRId64, m->channel);
	if (vault_open(db, c, m->tenant, 0, purpose, m->target_sealed.p,
	    m->target_sealed.len, &target, err, sizeof(err)) != 0 ||
	    (m->secret_sealed.len > 0 && vault_open(db, c, m->tenant, 0,
	    purpose, m->secret_sealed.p, m->secret_sealed.len, &secret, err,
	    sizeof(err)) != 0)) {
		t->how = O_RETRY;
		snprintf(t->error, sizeof(t->error), "the channel does not "
		    "open: %.250s", err);
		goto out;
	}
	buf_addc(&target, '\0');
	buf_addc(&secret, '\0');
	if (strcmp(m->type, "webhook") == 0)
		send_webhook(c, m, target.p, secret.p, t);
	else if (strcmp(m->type, "slack") == 0)
		send_slack(c, m, target.p, t);
	else
		send_email(c, m, target.p, t);
out:
	if (target.p != NULL)
		wipe(target.p, target.cap);
	if (secret.p != NULL)
		wipe(secret.p, secret.cap);
	buf_free(&target);
	buf_free(&secret);
}

/* -- the pass ------------------------------------------------------------ */

#define DIGEST_SECONDS	86400	/* a held message waits a day at most */
#define DIGEST_LISTED	200	/* findings a digest lists in full */

struct held {
	json_t	*findings;	/* the held messages' data */
	json_t	*lines;		/* "rule subject" of the first few */
	int64_t	 last;		/* the last held row's id */
	size_t	 n;
};

static int
held_row(const struct db_row *r, void *arg)
{
	struct held	*h = arg;
	json_t		*b = json_loadb(r->v[1], r->len[1], 0, NULL), *d;

	h->last = db_row_int(r, 0);
	h->n++;
	d = json_object_get(b, "data");
	if (d != NULL && json_array_size(h->findings) < DIGEST_LISTED) {
		json_array_append_new(h->findings, json_pack("{s:O, s:O}",
		    "type", json_object_get(b, "type"), "finding", d));
	}
	if (d != NULL && json_array_size(h->lines) < 5)
		json_array_append_new(h->lines, json_sprintf("%s %s",
		    json_string_value(json_object_get(d, "rule")) ?
		    json_string_value(json_object_get(d, "rule")) : "?",
		    json_string_value(json_object_get(json_object_get(d,
		    "subject"), "id")) ? json_string_value(json_object_get(
		    json_object_get(d, "subject"), "id")) : "?"));
	json_decref(b);
	return 0;
}

struct digest {
	const struct conf	*c;
	int64_t			 channel, tenant, org, now;
};

/*
 * One channel's held messages become one message of kind "digest", and
 * are marked digested, in one transaction (a db_tx_fn).  Its id comes
 * from the channel and the last row it holds: a retry writes the same.
 */
static int
digest_tx(struct db *db, void *arg)
{
	const struct digest	*g = arg;
	struct held		 h = { json_array(), json_array(), 0, 0 };
	unsigned char		 md[32];
	char			 what[64], hex[65], eid[32], *text = NULL;
	struct buf		 msg = { 0 };
	json_t			*b, *e;
	size_t			 i;
	int			 rc = -1;

	if (DB_QUERY(db, SQL_DIGEST_HELD, held_row, &h, DV_I(g->channel)) < 0)
		goto out;
	rc = 0;
	if (h.n == 0)
		goto out;
	snprintf(what, sizeof(what), "digest|%" PRId64 "|%" PRId64,
	    g->channel, h.last);
	sha256_2(what, strlen(what), NULL, 0, md);
	hex_encode(md, 32, hex);
	snprintf(eid, sizeof(eid), "evt_%.24s", hex);
	buf_printf(&msg, "%zu finding message%s below this channel's "
	    "severity in the last day:", h.n, h.n == 1 ? "" : "s");
	json_array_foreach(h.lines, i, e)
		buf_printf(&msg, "%s %s", i > 0 ? "," : "",
		    json_string_value(e));
	if (h.n > json_array_size(h.lines))
		buf_printf(&msg, ", …");
	buf_addc(&msg, '\0');
	b = json_pack("{s:s, s:s, s:I, s:{s:I}, s:{s:I, s:s, s:o}, s:o}",
	    "id", eid, "type", "digest", "created", (json_int_t)g->now,
	    "tenant", "id", (json_int_t)g->tenant,
	    "data", "count", (json_int_t)h.n, "message", msg.p,
	    "findings", h.findings,
	    "dashboard_url", json_sprintf("%s/findings", g->c->public_origin));
	h.findings = NULL;
	text = b != NULL ? json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(b);
	rc = -1;
	if (text == NULL)
		goto out;
	if (DB_EXEC(db, SQL_OUTBOX_PUT, DV_I(g->tenant), DV_I(g->org),
	    DV_I(g->channel), DV_S(eid), DV_S("digest"), DV_I(h.last),
	    DV_S(text), DV_I(g->now), DV_S("pending"), DV_I(g->now)) != 0 ||
	    DB_EXEC(db, SQL_DIGEST_DONE, DV_I(g->channel), DV_I(h.last)) != 0)
		goto out;
	rc = 0;
out:
	json_decref(h.findings);
	json_decref(h.lines);
	buf_free(&msg);
	free(text);
	return rc;
}

static int
due_digest_row(const struct db_row *r, void *arg)
{
	json_array_append_new(arg, json_pack("[I, I, I]",
	    (json_int_t)db_row_int(r, 0), (json_int_t)db_row_int(r, 1),
	    (json_int_t)db_row_int(r, 2)));
	return 0;
}

/* Each channel whose oldest held message is a day old gets its digest. */
static int
make_digests(struct db *db, const struct conf *c, int64_t now)
{
	json_t		*due = json_array(), *v;
	struct digest	 g;
	size_t		 i;
	int		 rc = 0;

	if (DB_QUERY(db, SQL_DIGEST_DUE, due_digest_row, due,
	    DV_I(now - DIGEST_SECONDS)) < 0)
		rc = -1;
	json_array_foreach(due, i, v) {
		if (rc != 0)
			break;
		g.c = c;
		g.channel = json_integer_value(json_array_get(v, 0));
		g.tenant = json_integer_value(json_array_get(v, 1));
		g.org = json_integer_value(json_array_get(v, 2));
		g.now = now;
		if (db_tx(db, digest_tx, &g) != 0)
			rc = -1;
	}
	json_decref(due);
	if (rc != 0)
		log_err("notify: digests: %s", db_error(db));
	return rc;
}

static int
due_row(const struct db_row *r, void *arg)
{
	json_array_append_new(arg, json_pack("[I, I]",
	    (json_int_t)db_row_int(r, 0), (json_int_t)db_row_int(r, 1)));
	return 0;
}

static void
record(struct db *db, const struct msg *m, const char *owner,
    const struct tried *t, struct notify_result *res)
{
	int64_t		 now = now_s(), next;
	unsigned	 jitter = 0;

	if (t->how == O_SENT) {
		DB_EXEC(db, SQL_OUTBOX_SENT, DV_I(now), DV_I(t->status),
		    DV_I(m->id), DV_S(owner));
		res->sent++;
		return;
	}
	rand_bytes(&jitter, sizeof(jitter));
	next = now + notify_backoff((int)m->attempts, jitter);
	if (t->retry_after > 0 && now + t->retry_after > next)
		next = now + (t->retry_after < 86400 ? t->retry_after : 86400);
	if (t->how == O_RETRY && next - m->created <= NOTIFY_GIVE_UP) {
		DB_EXEC(db, SQL_OUTBOX_RETRY, DV_I(next), t->status > 0 ?
		    DV_I(t->status) : DV_NULL, DV_S(t->error), DV_I(m->id),
		    DV_S(owner));
		res->retried++;
		log_info("notify: message %" PRId64 " to channel %" PRId64 ": %s;"
		    " again in %" PRId64 " s", m->id, m->channel, t->error,
		    next - now);
		return;
	}
	{
		char	 why[300];

		snprintf(why, sizeof(why), "%s%.250s", t->how == O_RETRY ?
		    "gave up after 24 hours: " : "", t->error);
		DB_EXEC(db, SQL_OUTBOX_DEAD, t->status > 0 ? DV_I(t->status) :
		    DV_NULL, DV_S(why), DV_I(m->id), DV_S(owner));
		log_warn("notify: message %" PRId64 " to channel %" PRId64
		    " is dead: %s", m->id, m->channel, why);
	}
	res->dead++;
}

int
notify_pass(struct db *db, const struct conf *c, const char *owner,
    int64_t limit, struct notify_result *res)
{
	json_t		*ids = json_array(), *v;
	struct msg	 m;
	struct tried	 t;
	struct org_info	 oi;
	int64_t		 now = now_s(), failed_channel = -1;
	size_t		 i;
	int		 rc = 0;

	memset(res, 0, sizeof(*res));
	memset(&oi, 0, sizeof(oi));
	/* Digests first: one that is due goes out in this pass. */
	if (make_digests(db, c, now) != 0) {
		json_decref(ids);
		return -1;
	}
	if (DB_QUERY(db, SQL_OUTBOX_DUE, due_row, ids, DV_I(now), DV_I(now),
	    DV_I(limit)) < 0) {
		json_decref(ids);
		return -1;
	}
	json_array_foreach(ids, i, v) {
		int64_t	 id = json_integer_value(json_array_get(v, 0));

		/*
		 * A channel that just failed waits for its next try: its
		 * other messages are not held up behind a slow receiver,
		 * nor are the other channels'.
		 */
		if (json_integer_value(json_array_get(v, 1)) == failed_channel)
			continue;
		memset(&m, 0, sizeof(m));
		if (DB_EXEC(db, SQL_OUTBOX_TAKE, DV_S(owner), DV_I(now_s() +
		    LEASE_SECONDS), DV_I(id), DV_I(now_s())) != 0) {
			rc = -1;
			break;
		}
		if (db_affected(db) != 1)
			continue;		/* another sender has it */
		if (DB_QUERY(db, SQL_OUTBOX_GET, msg_row, &m, DV_I(id)) < 0) {
			rc = -1;
			break;
		}
		deliver(db, c, &m, &oi, &t);
		if (t.how != O_SENT)
			failed_channel = m.channel;
		record(db, &m, owner, &t, res);
		msg_free(&m);
	}
	json_decref(ids);
	return rc;
}
