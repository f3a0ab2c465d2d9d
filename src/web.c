/*
 * web.c: see web.h.  What every dashboard page shares: the layout and
 * its flash messages, errors, links that keep a page's filters, times
 * as people read them, the org's header and tabs.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache.h"
#include "list.h"
#include "log.h"
#include "mustache.h"
#include "oa-client.h"
#include "web.h"

/* Messages after a redirect: ?done=<code>, never text from the URL. */
static const struct {
	const char	*code;
	const char	*text;
} flashes[] = {
	{ "connected", "The org is connected. The first collection runs "
	    "within the hour; the capability checklist is below." },
	{ "replaced", "The admin key was replaced." },
	{ "disconnected", "The org is disconnected: its admin key is erased "
	    "and it is no longer collected. Its data is kept." },
	{ "account_added", "The account was added." },
	{ "account_removed", "The account was removed and signed out." },
	{ "role_changed", "The role was changed." },
	{ "token_revoked", "The token was revoked." },
	{ "pack_asked", "The evidence pack is being made; this page shows "
	    "how far it is and offers it for download when it is done." },
	{ "pack_queued", "That pack is already being made; this page shows "
	    "how far it is." },
	{ "pack_same", "A pack of that period with the same content was "
	    "made before; it is below." },
	{ "signed_out", "You are signed out." },
	{ "password_changed", "Your password was changed; your other "
	    "sessions were signed out." },
	{ "password_reset", "Your new password is set; sign in with it." },
	{ "totp_removed", "The second factor was removed." },
	{ "totp_required", "Your tenant requires owners to have a second "
	    "factor: enroll one to go on." },
	{ "sessions_ended", "Your other sessions were signed out." },
	{ "totp_required_on", "Owners now need a second factor; those "
	    "without one enroll it at their next page." },
	{ "totp_required_off", "Owners no longer need a second factor." },
	{ "channel_added", "The channel was added; send it a test message to "
	    "check it." },
	{ "channel_removed", "The channel was removed." },
	{ "test_queued", "A test message is queued; it is sent within the "
	    "minute." },
	{ "resent", "The message is queued again." },
};


/* -- rendering --------------------------------------------------------- */

static const char *
flash_text(const struct call *c)
{
	size_t	 i;

	if (!c->q[P_DONE].set)
		return NULL;
	for (i = 0; i < sizeof(flashes) / sizeof(flashes[0]); i++)
		if (strcmp(c->q[P_DONE].s, flashes[i].code) == 0)
			return flashes[i].text;
	return NULL;
}

/* The layout's data around a page's view model. */
static json_t *
layout(struct call *c, const char *title, json_t *page)
{
	struct req	*r = c->r;
	json_t		*vm, *account = json_null();
	const char	*flash = flash_text(c);

	if (r->account != 0)
		account = json_pack("{s:s, s:s, s:b, s:b}", "login_prefix",
		    r->login_prefix, "role", r->role, "is_owner",
		    strcmp(r->role, "owner") == 0, "signed_in", r->stage == 0);
	vm = json_pack("{s:s, s:o, s:o, s:s, s:s, s:o}",
	    "title", title,
	    "page", page,
	    "account", account,
	    "tenant_name", r->tenant_name,
	    "csrf", r->csrf,
	    "flash", flash != NULL ? json_string(flash) : json_null());
	json_object_set_new(vm, "is_owner", json_boolean(r->account != 0 &&
	    strcmp(r->role, "owner") == 0));
	/* A page watching work in progress reloads itself, without script. */
	json_object_set_new(vm, "refresh", json_boolean(json_is_true(
	    json_object_get(json_object_get(page, "data"), "refresh"))));
	return vm;
}

/*
 * Answers a page: its view model as JSON when asked for, else rendered
 * through template tpl inside the layout.  Takes page.
 */
void
web_page(struct call *c, int status, const char *tpl, const char *title,
    json_t *page)
{
	struct buf	 out = { 0 };
	json_t		*vm;

	if (http_wants_json(c->r)) {
		http_json(c->r, status, page, NULL);
		return;
	}
	vm = layout(c, title, page);
	if (mustache_render(c->r->tpl, tpl, vm, &out) != 0) {
		log_err("web: template '%s' missing or past the render "
		    "limits", tpl);
		buf_reset(&out);
		buf_adds(&out, "<!doctype html><title>orgaudit</title><p>"
		    "This page cannot be shown.</p>");
		status = 500;
	}
	http_html(c->r, status, &out);
	buf_free(&out);
	json_decref(vm);
}

bool
web_page_cached(struct call *c, const char *title, char *key)
{
	json_t	*html;

	key[0] = '\0';
	if (http_wants_json(c->r) || !call_cache_key(c, "page", key,
	    CACHE_KEY_MAX) || (html = cache_get(key)) == NULL)
		return false;
	web_page(c, 200, "cached", title, json_pack("{s:o}", "html", html));
	return true;
}

void
web_page_keep(struct call *c, const char *key, const char *tpl,
    const char *body_tpl, const char *title, json_t *page)
{
	struct buf	 body = { 0 };
	json_t		*vm, *html;

	if (key[0] == '\0') {
		web_page(c, 200, tpl, title, page);
		return;
	}
	vm = json_pack("{s:o}", "page", page);
	if (mustache_render(c->r->tpl, body_tpl, vm, &body) != 0) {
		json_decref(vm);
		buf_free(&body);
		web_page(c, 500, "error", "Error", json_pack("{s:i, s:s}",
		    "status", 500, "message", "This page cannot be shown."));
		log_err("web: template '%s' missing or past the render "
		    "limits", body_tpl);
		return;
	}
	json_decref(vm);
	html = json_stringn_nocheck(body.p != NULL ? body.p : "", body.len);
	buf_free(&body);
	cache_put(key, html);
	web_page(c, 200, "cached", title, json_pack("{s:o}", "html", html));
}

void
web_error_page(struct call *c, int status, const char *extra_headers,
    const char *msg)
{
	if (extra_headers != NULL)
		buf_adds(&c->r->headers, extra_headers);
	web_page(c, status, "error", "Error", json_pack("{s:i, s:s}",
	    "status", status, "message", msg));
}

void
web_error(struct call *c, int status, const char *msg)
{
	web_error_page(c, status, NULL, msg);
}

/* Appends "?k=v" or "&k=v", the value percent-encoded. */
void
web_url_param(struct buf *b, const char *k, const char *v)
{
	if (v == NULL || *v == '\0')
		return;
	buf_addc(b, strchr(b->p != NULL ? b->p : "", '?') ? '&' : '?');
	buf_adds(b, k);
	buf_addc(b, '=');
	oa_escape(v, b);
}

/* "today", "yesterday", "412 days ago"; "never" for 0. */
static void
ago(int64_t now, int64_t t, char *out, size_t n)
{
	int64_t	 d;

	if (t <= 0) {
		snprintf(out, n, "never");
		return;
	}
	d = t >= now ? 0 : (now - t) / 86400;
	if (d == 0)
		snprintf(out, n, "today");
	else if (d == 1)
		snprintf(out, n, "yesterday");
	else
		snprintf(out, n, "%" PRId64 " days ago", d);
}

/*
 * Adds "<name>_ago", "<name>_on" (the date) and "<name>_iso" (RFC 3339)
 * next to a Unix time member.
 */
void
web_add_when(json_t *o, const char *name, int64_t now)
{
	char	 key[64], s[32], d[21];
	json_t	*t = json_object_get(o, name);

	snprintf(key, sizeof(key), "%s_ago", name);
	ago(now, json_integer_value(t), s, sizeof(s));
	json_object_set_new(o, key, json_string(s));
	snprintf(key, sizeof(key), "%s_on", name);
	if (json_is_integer(t) && json_integer_value(t) > 0) {
		fmt_rfc3339(json_integer_value(t), d);
		snprintf(key, sizeof(key), "%s_iso", name);
		json_object_set_new(o, key, json_string(d));
		snprintf(key, sizeof(key), "%s_on", name);
		d[10] = '\0';
		json_object_set_new(o, key, json_string(d));
	} else
		json_object_set_new(o, key, json_string("never"));
}

/*
 * Adds "<name>_short": at most 80 characters of a member, cut on a
 * character boundary with "…" after.  Pages show it; a 10 kB name must
 * not take over a table.  JSON keeps the whole name.
 */
void
web_add_short(json_t *o, const char *name)
{
	const char	*s = json_string_value(json_object_get(o, name));
	char		 key[64];
	size_t		 i = 0, chars = 0;
	struct buf	 b = { 0 };

	if (s == NULL)
		return;
	while (s[i] != '\0' && chars < 80) {
		i++;
		while (((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		chars++;
	}
	buf_add(&b, s, i);
	if (s[i] != '\0')
		buf_adds(&b, "\xe2\x80\xa6");
	snprintf(key, sizeof(key), "%s_short", name);
	json_object_set_new(o, key, json_stringn(b.p, b.len));
	buf_free(&b);
}

static json_t *
tab(int64_t org, const char *suffix, const char *label, const char *current)
{
	char	 href[96];

	snprintf(href, sizeof(href), "/orgs/%" PRId64 "%s", org, suffix);
	return json_pack("{s:s, s:s, s:b}", "href", href, "label", label,
	    "current", strcmp(suffix, current) == 0);
}

/*
 * The org's tabs, the current one marked: the overview, each list with
 * a tab in the list table's order, usage and costs, the evidence packs.
 */
static json_t *
org_tabs(int64_t org, const char *current)
{
	const struct list_def	*d;
	json_t			*a = json_array();
	char			 suffix[64];
	size_t			 i;

	json_array_append_new(a, tab(org, "", "Overview", current));
	for (i = 0; i < list_count(); i++) {
		d = list_at(i);
		if (d->tab == NULL)
			continue;
		snprintf(suffix, sizeof(suffix), "/%s", d->name);
		json_array_append_new(a, tab(org, suffix, d->tab, current));
	}
	json_array_append_new(a, tab(org, "/usage", "Usage and costs",
	    current));
	json_array_append_new(a, tab(org, "/packs", "Evidence packs",
	    current));
	return a;
}

/* A page under an org: the org, its tabs, and the page's own data. */
json_t *
web_org_page(struct call *c, const char *tab, json_t *data)
{
	json_t	*org = NULL;

	if (list_org(c->r->db, c->r->tenant, c->org, &org) != LIST_OK) {
		json_decref(data);
		return NULL;
	}
	web_add_when(org, "connected_at", now_s());
	web_add_short(org, "name");
	return json_pack("{s:b, s:o, s:o, s:o}", "active", strcmp(
	    json_string_value(json_object_get(org, "status")), "active") == 0,
	    "org", org, "tabs", org_tabs(c->org, tab), "data", data);
}

json_t *
web_options(const char *const (*opts)[2], size_t n, const char *current)
{
	json_t	*a = json_array();
	size_t	 i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:b}", "value",
		    opts[i][0], "label", opts[i][1], "selected",
		    strcmp(opts[i][0], current != NULL ? current : "") == 0));
	return a;
}

const char *
web_tristate(const struct call *c, enum param p)
{
	return !c->q[p].set ? "" : c->q[p].b ? "true" : "false";
}

/*
 * Appends the route's query parameters the request set (not cursor,
 * page or done) to b, so a page's links keep its filters.
 */
void
web_carry_params(const struct call *c, struct buf *b)
{
	const struct qval	*v;
	char			 n[24];
	size_t			 i;

	for (i = 0; i < P__MAX; i++) {
		const struct qspec	*sp = route_param((enum param)i);

		v = &c->q[i];
		if (!(c->rt->params & P(i)) || !v->set || i == P_CURSOR ||
		    i == P_PAGE || i == P_DONE || i == P_CSRF)
			continue;
		switch (sp->kind) {
		case Q_TRISTATE:
		case Q_BOOL:
			web_url_param(b, sp->name, v->b ? "true" : "false");
			break;
		case Q_TIME:
		case Q_PAGE:
		case Q_ID:
		case Q_SEQ:
			snprintf(n, sizeof(n), "%" PRId64, v->i);
			web_url_param(b, sp->name, n);
			break;
		default:
			web_url_param(b, sp->name, v->s);
			break;
		}
	}
}

/* t as YYYY-MM-DD (UTC) in out, for a date input's value. */
const char *
web_utc_date(int64_t t, char out[16])
{
	time_t		 tt = (time_t)t;
	struct tm	 tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, 16, "%Y-%m-%d", &tm) == 0)
		snprintf(out, 16, "%s", "");
	return out;
}

