/*
 * web.c: see web.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "bill-calc.h"
#include "bill-push.h"
#include "connect.h"
#include "pack.h"
#include "sign.h"
#include "lists.h"
#include "log.h"
#include "mustache.h"
#include "oa-client.h"
#include "passwd.h"
#include "query.h"
#include "redact.h"
#include "token.h"
#include "views.h"
#include "web.h"

#define FORM_MAX	(64 * 1024)
#define KEYS_PER_PAGE	50
#define LIST_PER_PAGE	50

/* Every parameter any page or form takes; a route declares its own. */
enum wparam {
	WP_CSRF, WP_EMAIL, WP_PASSWORD, WP_NAME, WP_KEY, WP_ROLE,
	WP_STALE, WP_ORPHAN, WP_TYPE, WP_PROJECT, WP_SORT, WP_DIR, WP_PAGE,
	WP_CURSOR, WP_DONE, WP_ETYPE, WP_ACTOR, WP_TARGET, WP_SINCE,
	WP_UNTIL, WP__MAX
};

static const struct qspec wparams[WP__MAX] = {
	[WP_CSRF] = { "csrf", Q_CSRF },
	[WP_EMAIL] = { "email", Q_EMAIL },
	[WP_PASSWORD] = { "password", Q_SECRET },
	[WP_NAME] = { "name", Q_TEXT },
	[WP_KEY] = { "key", Q_SECRET },
	[WP_ROLE] = { "role", Q_ROLE },
	[WP_STALE] = { "stale", Q_TRISTATE },
	[WP_ORPHAN] = { "orphan", Q_TRISTATE },
	[WP_TYPE] = { "type", Q_KEY_TYPE },
	[WP_PROJECT] = { "project", Q_OA_ID },
	[WP_SORT] = { "sort", Q_SORT },
	[WP_DIR] = { "dir", Q_DIR },
	[WP_PAGE] = { "page", Q_PAGE },
	[WP_CURSOR] = { "cursor", Q_CURSOR },
	[WP_DONE] = { "done", Q_TEXT },
	[WP_ETYPE] = { "event_type", Q_EVENT_TYPE },
	[WP_ACTOR] = { "actor", Q_OA_ID },
	[WP_TARGET] = { "target", Q_OA_ID },
	[WP_SINCE] = { "since", Q_TIME },
	[WP_UNTIL] = { "until", Q_TIME },
};

#define P(x)	(1u << (x))

enum need { NEED_NONE, NEED_SESSION, NEED_OWNER };

struct wcall {
	struct req		*r;
	const struct wroute	*rt;
	int64_t			 ids[2];	/* :org or :id, in order */
	struct qval		 q[WP__MAX];
};

struct wroute {
	const char	*method;
	const char	*pattern;	/* without the leading '/' */
	enum need	 need;
	unsigned	 params;	/* P(WP_…) bits */
	void		(*fn)(struct wcall *);
};

static void	w_root(struct wcall *);
static void	w_login_form(struct wcall *);
static void	w_login(struct wcall *);
static void	w_logout(struct wcall *);
static void	w_orgs(struct wcall *);
static void	w_connect_form(struct wcall *);
static void	w_connect(struct wcall *);
static void	w_org(struct wcall *);
static void	w_replace_key(struct wcall *);
static void	w_disconnect(struct wcall *);
static void	w_keys(struct wcall *);
static void	w_users(struct wcall *);
static void	w_projects(struct wcall *);
static void	w_runs(struct wcall *);
static void	w_events(struct wcall *);
static void	w_accounts(struct wcall *);
static void	w_account_add(struct wcall *);
static void	w_account_role(struct wcall *);
static void	w_account_delete(struct wcall *);
static void	w_tokens(struct wcall *);
static void	w_token_add(struct wcall *);
static void	w_token_revoke(struct wcall *);
static void	w_billing(struct wcall *);
static void	w_packs(struct wcall *);
static void	w_pack_create(struct wcall *);
static void	w_pack_get(struct wcall *);

static const struct wroute wroutes[] = {
	{ "GET", "", NEED_NONE, 0, w_root },
	{ "GET", "login", NEED_NONE, P(WP_DONE), w_login_form },
	{ "POST", "login", NEED_NONE, P(WP_EMAIL) | P(WP_PASSWORD), w_login },
	{ "POST", "logout", NEED_SESSION, P(WP_CSRF), w_logout },
	{ "GET", "orgs", NEED_SESSION, P(WP_DONE), w_orgs },
	{ "GET", "orgs/new", NEED_OWNER, 0, w_connect_form },
	{ "POST", "orgs/new", NEED_OWNER, P(WP_CSRF) | P(WP_NAME) | P(WP_KEY),
	    w_connect },
	{ "GET", "orgs/:org", NEED_SESSION, P(WP_DONE), w_org },
	{ "POST", "orgs/:org/key", NEED_OWNER, P(WP_CSRF) | P(WP_KEY),
	    w_replace_key },
	{ "POST", "orgs/:org/disconnect", NEED_OWNER, P(WP_CSRF),
	    w_disconnect },
	{ "GET", "orgs/:org/keys", NEED_SESSION, P(WP_STALE) | P(WP_ORPHAN) |
	    P(WP_TYPE) | P(WP_PROJECT) | P(WP_SORT) | P(WP_DIR) | P(WP_PAGE),
	    w_keys },
	{ "GET", "orgs/:org/users", NEED_SESSION, P(WP_CURSOR), w_users },
	{ "GET", "orgs/:org/projects", NEED_SESSION, P(WP_CURSOR),
	    w_projects },
	{ "GET", "orgs/:org/runs", NEED_SESSION, P(WP_CURSOR), w_runs },
	{ "GET", "orgs/:org/events", NEED_SESSION, P(WP_CURSOR) | P(WP_ETYPE) |
	    P(WP_ACTOR) | P(WP_PROJECT) | P(WP_TARGET) | P(WP_SINCE) |
	    P(WP_UNTIL), w_events },
	{ "GET", "orgs/:org/packs", NEED_SESSION, P(WP_CURSOR) | P(WP_DONE),
	    w_packs },
	{ "POST", "orgs/:org/packs", NEED_SESSION, P(WP_CSRF) | P(WP_SINCE) |
	    P(WP_UNTIL), w_pack_create },
	{ "GET", "orgs/:org/packs/:id", NEED_SESSION, 0, w_pack_get },
	{ "GET", "accounts", NEED_OWNER, P(WP_DONE), w_accounts },
	{ "POST", "accounts", NEED_OWNER, P(WP_CSRF) | P(WP_EMAIL) |
	    P(WP_ROLE) | P(WP_PASSWORD), w_account_add },
	{ "POST", "accounts/:id/role", NEED_OWNER, P(WP_CSRF) | P(WP_ROLE),
	    w_account_role },
	{ "POST", "accounts/:id/delete", NEED_OWNER, P(WP_CSRF),
	    w_account_delete },
	{ "GET", "tokens", NEED_OWNER, P(WP_DONE), w_tokens },
	{ "POST", "tokens", NEED_OWNER, P(WP_CSRF) | P(WP_NAME), w_token_add },
	{ "POST", "tokens/:id/revoke", NEED_OWNER, P(WP_CSRF),
	    w_token_revoke },
	{ "GET", "billing", NEED_OWNER, 0, w_billing },
};

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
	{ "pack_made", "The evidence pack is made; download it below." },
	{ "pack_same", "A pack of that period with the same content was "
	    "made before; it is below." },
	{ "signed_out", "You are signed out." },
};

/* -- rendering ------------------------------------------------------- */

static const char *
flash_text(const struct wcall *c)
{
	size_t	 i;

	if (!c->q[WP_DONE].set)
		return NULL;
	for (i = 0; i < sizeof(flashes) / sizeof(flashes[0]); i++)
		if (strcmp(c->q[WP_DONE].s, flashes[i].code) == 0)
			return flashes[i].text;
	return NULL;
}

/* The layout's data around a page's view model. */
static json_t *
layout(struct wcall *c, const char *title, json_t *page)
{
	struct req	*r = c->r;
	json_t		*vm, *account = json_null();
	const char	*flash = flash_text(c);

	if (r->account != 0)
		account = json_pack("{s:s, s:s, s:b}", "login_prefix",
		    r->login_prefix, "role", r->role, "is_owner",
		    strcmp(r->role, "owner") == 0);
	vm = json_pack("{s:s, s:o, s:o, s:s, s:s, s:o}",
	    "title", title,
	    "page", page,
	    "account", account,
	    "tenant_name", r->tenant_name,
	    "csrf", r->csrf,
	    "flash", flash != NULL ? json_string(flash) : json_null());
	json_object_set_new(vm, "is_owner", json_boolean(r->account != 0 &&
	    strcmp(r->role, "owner") == 0));
	return vm;
}

/*
 * Answers a page: its view model as JSON when asked for, else rendered
 * through template tpl inside the layout.  Takes page.
 */
static void
web_page(struct wcall *c, int status, const char *tpl, const char *title,
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
		log_err("web: no template '%s'", tpl);
		buf_reset(&out);
		buf_adds(&out, "<!doctype html><title>orgaudit</title><p>"
		    "This page cannot be shown.</p>");
		status = 500;
	}
	http_html(c->r, status, &out);
	buf_free(&out);
	json_decref(vm);
}

static void
web_error(struct wcall *c, int status, const char *msg)
{
	web_page(c, status, "error", "Error", json_pack("{s:i, s:s}",
	    "status", status, "message", msg));
}

static void
web_db_error(struct wcall *c, const char *what)
{
	char	 msg[160];

	log_err("web: %s: %s (request %s)", what, db_error(c->r->db),
	    c->r->request_id);
	if (db_unavailable(c->r->db)) {
		web_error(c, 503, "The database is unavailable; try again in "
		    "a moment.");
		return;
	}
	snprintf(msg, sizeof(msg), "Something went wrong on our side "
	    "(request %s).", c->r->request_id);
	web_error(c, 500, msg);
}

/* Appends "?k=v" or "&k=v", the value percent-encoded. */
static void
url_param(struct buf *b, const char *k, const char *v)
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
static void
add_when(json_t *o, const char *name, int64_t now)
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
static void
add_short(json_t *o, const char *name)
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

/* The org's tabs, the current one marked. */
static json_t *
org_tabs(int64_t org, const char *current)
{
	static const char *const tabs[][2] = {
		{ "", "Overview" }, { "/keys", "Keys" }, { "/users", "Users" },
		{ "/projects", "Projects" }, { "/events", "Audit log" },
		{ "/runs", "Runs" }, { "/packs", "Evidence packs" }
	};
	json_t	*a = json_array();
	char	 href[64];
	size_t	 i;

	for (i = 0; i < sizeof(tabs) / sizeof(tabs[0]); i++) {
		snprintf(href, sizeof(href), "/orgs/%" PRId64 "%s", org,
		    tabs[i][0]);
		json_array_append_new(a, json_pack("{s:s, s:s, s:b}", "href",
		    href, "label", tabs[i][1], "current",
		    strcmp(tabs[i][0], current) == 0));
	}
	return a;
}

/* A page under an org: the org, its tabs, and the page's own data. */
static json_t *
org_page(struct wcall *c, const char *tab, json_t *data)
{
	json_t	*org = NULL;

	if (list_org(c->r->db, c->r->tenant, c->ids[0], &org) != LIST_OK) {
		json_decref(data);
		return NULL;
	}
	add_when(org, "connected_at", now_s());
	add_short(org, "name");
	return json_pack("{s:b, s:o, s:o, s:o}", "active", strcmp(
	    json_string_value(json_object_get(org, "status")), "active") == 0,
	    "org", org, "tabs", org_tabs(c->ids[0], tab), "data", data);
}

/* -- sessions -------------------------------------------------------- */

struct sess_row {
	int64_t	 account, tenant, created, seen;
	char	 role[17], prefix[17], tenant_name[201];
	int	 found;
};

static int
sess_row(const struct db_row *r, void *arg)
{
	struct sess_row	*s = arg;

	s->account = db_row_int(r, 0);
	s->tenant = db_row_int(r, 1);
	s->created = db_row_int(r, 2);
	s->seen = db_row_int(r, 3);
	snprintf(s->role, sizeof(s->role), "%s", db_row_str(r, 4));
	snprintf(s->prefix, sizeof(s->prefix), "%s", db_row_str(r, 5));
	snprintf(s->tenant_name, sizeof(s->tenant_name), "%s",
	    db_row_str(r, 6));
	s->found = 1;
	return 1;
}

/* Fills r's session fields from a live session cookie, if any. */
static void
session_load(struct req *r)
{
	const struct conf	*cf = r->conf;
	struct sess_row		 s = { .found = 0 };
	unsigned char		 hash[32];
	char			 tok[64];
	int64_t			 now = now_s();

	if (cookie_get(http_param(r, "HTTP_COOKIE"), SESSION_COOKIE, tok,
	    sizeof(tok)) != 0 || session_hash(tok, hash) != 0)
		return;
	if (DB_QUERY(r->db, SQL_SESSION_GET, sess_row, &s,
	    DV_B(hash, sizeof(hash))) < 0 || !s.found)
		goto out;
	if (!session_alive(s.created, s.seen, now, cf->session_idle_seconds,
	    cf->session_max_seconds)) {
		DB_EXEC(r->db, SQL_SESSION_DELETE, DV_B(hash, sizeof(hash)));
		session_cookie_clear(&r->headers);
		goto out;
	}
	/* Idle time counts from the last request, a minute at a time. */
	if (now - s.seen >= 60)
		DB_EXEC(r->db, SQL_SESSION_TOUCH, DV_I(now),
		    DV_B(hash, sizeof(hash)));
	r->account = s.account;
	r->tenant = s.tenant;
	snprintf(r->role, sizeof(r->role), "%s", s.role);
	snprintf(r->login_prefix, sizeof(r->login_prefix), "%s", s.prefix);
	snprintf(r->tenant_name, sizeof(r->tenant_name), "%s", s.tenant_name);
	snprintf(r->session, sizeof(r->session), "%.43s", tok);
	session_csrf(tok, r->csrf);
out:
	wipe(tok, sizeof(tok));
}

/* Starts a new session for account: a fresh token, a cookie. */
static int
session_start(struct req *r, int64_t account, int64_t tenant)
{
	unsigned char	 hash[32];
	char		 tok[SESSION_TOKEN_LEN + 1];
	int64_t		 now = now_s();
	int		 rc = -1;

	if (session_new(tok, hash) != 0)
		return -1;
	if (DB_EXEC(r->db, SQL_SESSION_ADD, DV_B(hash, sizeof(hash)),
	    DV_I(account), DV_I(tenant), DV_I(now), DV_I(now),
	    DV_I(now + r->conf->session_max_seconds)) == 0) {
		session_cookie_set(&r->headers, tok,
		    r->conf->session_max_seconds);
		rc = 0;
	}
	wipe(tok, sizeof(tok));
	return rc;
}

/* Ends the request's session, in the database and in the browser. */
static void
session_end(struct req *r)
{
	unsigned char	 hash[32];

	if (r->session[0] != '\0' && session_hash(r->session, hash) == 0)
		DB_EXEC(r->db, SQL_SESSION_DELETE, DV_B(hash, sizeof(hash)));
	session_cookie_clear(&r->headers);
}

/* -- login ----------------------------------------------------------- */

/* The throttle subject for a string ("login:<hash>", "ip:<addr>"). */
static void
throttle_subject(const char *kind, const char *v, unsigned char out[32])
{
	struct buf	 b = { 0 };

	buf_printf(&b, "%s:%s", kind, v);
	SHA256((const unsigned char *)b.p, b.len, out);
	buf_free(&b);
}

struct throttle {
	int64_t	 locked_until;
};

static int
throttle_row(const struct db_row *r, void *arg)
{
	((struct throttle *)arg)->locked_until = db_row_int(r, 2);
	return 1;
}

/* Seconds a subject stays locked; 0 when it may try; -1 on error. */
static int64_t
throttle_wait(struct db *db, const unsigned char subject[32])
{
	struct throttle	 t = { 0 };
	int64_t		 now = now_s();

	if (DB_QUERY(db, SQL_THROTTLE_GET, throttle_row, &t,
	    DV_B(subject, 32)) < 0)
		return -1;
	return t.locked_until > now ? t.locked_until - now : 0;
}

static void
throttle_fail(struct req *r, const unsigned char subject[32], int64_t max)
{
	int64_t	 window = r->conf->login_lock_seconds;

	if (DB_EXEC(r->db, SQL_THROTTLE_FAIL, DV_B(subject, 32),
	    DV_I(now_s()), DV_I(window), DV_I(window), DV_I(max),
	    DV_I(r->conf->login_lock_seconds)) != 0)
		log_err("web: login throttle: %s", db_error(r->db));
}

static void
login_page(struct wcall *c, int status, const char *error)
{
	web_page(c, status, "login", "Sign in", json_pack("{s:o}", "error",
	    error != NULL ? json_string(error) : json_null()));
}

static void
w_login_form(struct wcall *c)
{
	if (c->r->account != 0) {
		http_redirect(c->r, "/orgs");
		return;
	}
	login_page(c, 200, NULL);
}

struct acct_row {
	int64_t	 id, tenant;
	char	 role[17];
	char	 hash[PASSWD_ENCODED_MAX];
	int	 found;
};

static int
acct_row(const struct db_row *r, void *arg)
{
	struct acct_row	*a = arg;

	a->id = db_row_int(r, 0);
	a->tenant = db_row_int(r, 1);
	snprintf(a->role, sizeof(a->role), "%s", db_row_str(r, 2));
	snprintf(a->hash, sizeof(a->hash), "%s", db_row_str(r, 3));
	a->found = 1;
	return 1;
}

static void
w_login(struct wcall *c)
{
	struct req	*r = c->r;
	struct acct_row	 a = { .found = 0 };
	unsigned char	 by_login[32], by_ip[32];
	char		 sha[EMAIL_HASH_HEX], prefix[EMAIL_PREFIX_MAX];
	char		 msg[160];
	int64_t		 w1, w2;

	if (!c->q[WP_EMAIL].set || !c->q[WP_PASSWORD].set) {
		login_page(c, 400, "Enter your email address and password.");
		return;
	}
	email_hash(c->q[WP_EMAIL].s, sha, prefix);
	throttle_subject("login", sha, by_login);
	throttle_subject("ip", r->remote_addr, by_ip);
	if ((w1 = throttle_wait(r->db, by_login)) < 0 ||
	    (w2 = throttle_wait(r->db, by_ip)) < 0) {
		web_db_error(c, "login throttle");
		return;
	}
	if (w1 > 0 || w2 > 0) {
		snprintf(msg, sizeof(msg), "Too many failed sign-ins. Try "
		    "again in %" PRId64 " minutes.", ((w1 > w2 ? w1 : w2) +
		    59) / 60);
		login_page(c, 429, msg);
		return;
	}
	if (DB_QUERY(r->db, SQL_ACCOUNT_BY_LOGIN, acct_row, &a,
	    DV_S(sha)) < 0) {
		web_db_error(c, "login");
		return;
	}
	/* The same work whether or not the account exists. */
	if (!passwd_verify(a.found ? a.hash : NULL, c->q[WP_PASSWORD].s)) {
		throttle_fail(r, by_login, r->conf->login_max_failures);
		throttle_fail(r, by_ip, r->conf->login_ip_max_failures);
		log_info("web: failed sign-in from %s", r->remote_addr);
		login_page(c, 401, "The email address or the password is "
		    "wrong.");
		return;
	}
	DB_EXEC(r->db, SQL_THROTTLE_CLEAR, DV_B(by_login, 32));
	/* A new session on every sign-in; any old one ends. */
	session_end(r);
	buf_reset(&r->headers);
	if (session_start(r, a.id, a.tenant) != 0) {
		web_db_error(c, "session");
		return;
	}
	DB_EXEC(r->db, SQL_ACCOUNT_LOGGED_IN, DV_I(now_s()), DV_I(a.id));
	/* Sessions that expired unseen go now, a sign-in at a time. */
	DB_EXEC(r->db, SQL_SESSION_PURGE, DV_I(now_s()), DV_I(now_s() -
	    r->conf->session_idle_seconds));
	http_redirect(r, "/orgs");
}

static void
w_logout(struct wcall *c)
{
	session_end(c->r);
	http_redirect(c->r, "/login?done=signed_out");
}

static void
w_root(struct wcall *c)
{
	http_redirect(c->r, c->r->account != 0 ? "/orgs" : "/login");
}

/* -- orgs ------------------------------------------------------------ */

static void
w_orgs(struct wcall *c)
{
	json_t	*out = NULL, *o;
	size_t	 i;

	if (list_orgs(c->r->db, c->r->tenant, NULL, 1000, &out) != LIST_OK) {
		web_db_error(c, "orgs");
		return;
	}
	json_array_foreach(json_object_get(out, "data"), i, o) {
		add_when(json_object_get(o, "last_run"), "started_at",
		    now_s());
		add_short(o, "name");
	}
	json_object_set_new(out, "empty", json_boolean(
	    json_array_size(json_object_get(out, "data")) == 0));
	web_page(c, 200, "orgs", "Organizations", out);
}

static json_t *
connect_page(const struct connect_result *res, const char *error,
    int64_t org)
{
	bool	 probed = res != NULL && res->outcome != CONNECT_BAD_KEY;

	return json_pack("{s:o, s:o, s:b, s:o}",
	    "error", error != NULL ? json_string(error) : json_null(),
	    "checklist", probed ? connect_caps_json(res) : json_array(),
	    "has_checklist", probed,
	    "org_id", org != 0 ? json_integer(org) : json_null());
}

static void
w_connect_form(struct wcall *c)
{
	web_page(c, 200, "connect", "Connect an org", connect_page(NULL,
	    NULL, 0));
}

/* Trims the pasted key in place (spaces, newlines around it). */
static char *
key_trim(char *k)
{
	size_t	 n;

	while (*k == ' ' || *k == '\t' || *k == '\r' || *k == '\n')
		k++;
	n = strlen(k);
	while (n > 0 && (k[n - 1] == ' ' || k[n - 1] == '\t' ||
	    k[n - 1] == '\r' || k[n - 1] == '\n'))
		k[--n] = '\0';
	return k;
}

/* Connects (org 0) or replaces a key; answers the page or redirects. */
static void
connect_run(struct wcall *c, int64_t org)
{
	struct connect_result	 res;
	char			 loc[64];
	int			 status;

	if (!c->q[WP_KEY].set) {
		web_page(c, 400, "connect", "Connect an org",
		    connect_page(NULL, "Paste the admin key.", org));
		return;
	}
	if (connect_org(c->r->db, c->r->conf, c->r->tenant, org,
	    c->q[WP_NAME].set ? c->q[WP_NAME].s : NULL,
	    key_trim(c->q[WP_KEY].s), &res) == 0) {
		snprintf(loc, sizeof(loc), "/orgs/%" PRId64 "?done=%s",
		    res.org_id, org ? "replaced" : "connected");
		http_redirect(c->r, loc);
		return;
	}
	status = res.outcome == CONNECT_UNREACHABLE ? 503 :
	    res.outcome == CONNECT_FAILED ? 500 : 400;
	if (res.outcome == CONNECT_FAILED)
		log_err("web: connect: %s", res.error);
	web_page(c, status, "connect", org ? "Replace the admin key" :
	    "Connect an org", connect_page(&res, res.outcome ==
	    CONNECT_FAILED ? "The org could not be stored; nothing was "
	    "saved. Try again, or ask the operator to check the log." :
	    res.error, org));
}

static void
w_connect(struct wcall *c)
{
	connect_run(c, 0);
}

static void
w_replace_key(struct wcall *c)
{
	connect_run(c, c->ids[0]);
}

static void
w_disconnect(struct wcall *c)
{
	char	 loc[64];

	if (connect_disconnect(c->r->db, c->r->tenant, c->ids[0],
	    now_s()) < 0) {
		web_db_error(c, "disconnect");
		return;
	}
	snprintf(loc, sizeof(loc), "/orgs/%" PRId64 "?done=disconnected",
	    c->ids[0]);
	http_redirect(c->r, loc);
}

/*
 * The chart of keys by age of last use, laid out here so the template
 * only places numbers: one bar per bucket, widths scaled to the largest.
 */
static json_t *
age_chart(json_t *ages)
{
	const int	 bar_x = 170, bar_max = 330, row = 28;
	json_t		*bars = json_array(), *a;
	int64_t		 max = 1, n;
	size_t		 i;

	json_array_foreach(ages, i, a)
		if ((n = json_integer_value(json_object_get(a, "count"))) > max)
			max = n;
	json_array_foreach(ages, i, a) {
		n = json_integer_value(json_object_get(a, "count"));
		json_array_append_new(bars, json_pack("{s:O, s:I, s:i, s:i, s:I,"
		    " s:I, s:s}",
		    "label", json_object_get(a, "label"),
		    "count", (json_int_t)n,
		    "y", (int)i * row,
		    "text_y", (int)i * row + 17,
		    "width", (json_int_t)(n == 0 ? 0 : n * bar_max / max + 1),
		    "count_x", (json_int_t)(bar_x + (n * bar_max / max) + 8),
		    "class", i == 0 || i >= 4 ? "bar-old" : "bar-fresh"));
	}
	json_decref(ages);
	return json_pack("{s:i, s:i, s:i, s:o}", "width", bar_x + bar_max +
	    60, "height", (int)json_array_size(bars) * row, "bar_x", bar_x,
	    "bars", bars);
}

/* Each stream's last good pull beside how the last run went. */
static json_t *
stream_status(json_t *org, json_t *runs)
{
	static const char *const names[] = { "users", "projects", "api_keys",
	    "service_accounts", "project_users", "admin_api_keys", "invites" };
	json_t		*out = json_array(), *s, *last, *row;
	size_t		 i, k;
	int64_t		 now = now_s();

	last = json_array_get(json_object_get(runs, "data"), 0);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		row = json_pack("{s:s, s:s, s:s, s:n, s:n}", "stream", names[i],
		    "status", "never pulled", "pulled_ago", "never", "rows",
		    "error");
		json_array_foreach(json_object_get(org, "streams"), k, s)
			if (strcmp(json_string_value(json_object_get(s,
			    "stream")), names[i]) == 0) {
				json_object_set(row, "rows",
				    json_object_get(s, "rows"));
				json_object_set(row, "pulled_at",
				    json_object_get(s, "pulled_at"));
				add_when(row, "pulled_at", now);
				json_object_set(row, "pulled_ago",
				    json_object_get(row, "pulled_at_ago"));
			}
		json_array_foreach(json_object_get(last, "streams"), k, s)
			if (strcmp(json_string_value(json_object_get(s,
			    "stream")), names[i]) == 0) {
				json_object_set(row, "status",
				    json_object_get(s, "status"));
				json_object_set(row, "error",
				    json_object_get(s, "error"));
			}
		json_object_set_new(row, "ok", json_boolean(strcmp(
		    json_string_value(json_object_get(row, "status")), "ok") ==
		    0));
		json_array_append_new(out, row);
	}
	return out;
}

static void
w_org(struct wcall *c)
{
	json_t	*ages = NULL, *runs = NULL, *page, *org;

	if (list_key_ages(c->r->db, c->r->tenant, c->ids[0], &ages) !=
	    LIST_OK || list_runs(c->r->db, c->r->tenant, c->ids[0], NULL, 1,
	    &runs) != LIST_OK ||
	    (page = org_page(c, "", json_object())) == NULL) {
		json_decref(ages);
		json_decref(runs);
		web_db_error(c, "org");
		return;
	}
	org = json_object_get(page, "org");
	json_object_set_new(json_object_get(page, "data"), "chart",
	    age_chart(ages));
	json_object_set_new(json_object_get(page, "data"), "streams",
	    stream_status(org, runs));
	json_decref(runs);
	web_page(c, 200, "org", json_string_value(json_object_get(org,
	    "name")), page);
}

/* A <select>'s options with the current one marked. */
static json_t *
options(const char *const (*opts)[2], size_t n, const char *current)
{
	json_t	*a = json_array();
	size_t	 i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:b}", "value",
		    opts[i][0], "label", opts[i][1], "selected",
		    strcmp(opts[i][0], current != NULL ? current : "") == 0));
	return a;
}

static const char *
qstr(const struct wcall *c, enum wparam p)
{
	return c->q[p].set ? c->q[p].s : NULL;
}

static const char *
tristate(const struct wcall *c, enum wparam p)
{
	return !c->q[p].set ? "" : c->q[p].b ? "true" : "false";
}

/*
 * Appends the route's query parameters the request set (not cursor,
 * page or done) to b, so a page's links keep its filters.
 */
static void
carry_params(const struct wcall *c, struct buf *b)
{
	const struct qval	*v;
	char			 n[24];
	size_t			 i;

	for (i = 0; i < WP__MAX; i++) {
		v = &c->q[i];
		if (!(c->rt->params & P(i)) || !v->set || i == WP_CURSOR ||
		    i == WP_PAGE || i == WP_DONE || i == WP_CSRF)
			continue;
		switch (wparams[i].kind) {
		case Q_TRISTATE:
		case Q_BOOL:
			url_param(b, wparams[i].name, v->b ? "true" : "false");
			break;
		case Q_TIME:
		case Q_PAGE:
		case Q_ID:
		case Q_SEQ:
			snprintf(n, sizeof(n), "%" PRId64, v->i);
			url_param(b, wparams[i].name, n);
			break;
		default:
			url_param(b, wparams[i].name, v->s);
			break;
		}
	}
}

/* The keys page's own URL with page n, its filters kept. */
static char *
keys_href(const struct wcall *c, int64_t page)
{
	struct buf	 b = { 0 };
	char		 n[24];

	buf_printf(&b, "/orgs/%" PRId64 "/keys", c->ids[0]);
	carry_params(c, &b);
	snprintf(n, sizeof(n), "%" PRId64, page);
	url_param(&b, "page", page > 1 ? n : NULL);
	return buf_take(&b);
}

static void
w_keys(struct wcall *c)
{
	static const char *const tri[][2] = { { "", "any" },
	    { "true", "yes" }, { "false", "no" } };
	static const char *const types[][2] = { { "", "any type" },
	    { "project", "project" }, { "service_account", "service account" },
	    { "user", "legacy user key" }, { "admin", "admin" } };
	static const char *const sorts[][2] = {
	    { "last_used", "last used" }, { "created", "created" },
	    { "name", "name" }, { "project", "project" }, { "type", "type" } };
	static const char *const dirs[][2] = { { "asc", "oldest / A first" },
	    { "desc", "newest / Z first" } };
	struct key_filter	 f;
	json_t			*data = NULL, *projects = NULL, *page, *k, *opt;
	int64_t			 now = now_s(), p, pages;
	size_t			 i;
	char			*href;

	f.stale = c->q[WP_STALE].set ? c->q[WP_STALE].b : -1;
	f.orphan = c->q[WP_ORPHAN].set ? c->q[WP_ORPHAN].b : -1;
	f.type = qstr(c, WP_TYPE);
	f.project = qstr(c, WP_PROJECT);
	if (list_keys_sorted(c->r->db, c->r->tenant, c->ids[0], &f,
	    qstr(c, WP_SORT), c->q[WP_DIR].set && strcmp(c->q[WP_DIR].s,
	    "desc") == 0, c->q[WP_PAGE].set ? c->q[WP_PAGE].i : 1,
	    KEYS_PER_PAGE, &data) != LIST_OK ||
	    list_project_names(c->r->db, c->r->tenant, c->ids[0], &projects) !=
	    LIST_OK) {
		json_decref(data);
		web_db_error(c, "keys");
		return;
	}
	json_array_foreach(json_object_get(data, "data"), i, k) {
		add_when(k, "created_at", now);
		add_when(k, "last_used_at", now);
		add_when(json_object_get(k, "created_by"), "at", now);
		add_short(k, "name");
		add_short(json_object_get(k, "project"), "name");
		add_short(json_object_get(k, "owner"), "label");
	}
	json_array_foreach(projects, i, opt) {
		add_short(opt, "name");
		json_object_set_new(opt, "selected", json_boolean(f.project !=
		    NULL && strcmp(f.project, json_string_value(
		    json_object_get(opt, "id"))) == 0));
	}
	p = json_integer_value(json_object_get(data, "page"));
	pages = json_integer_value(json_object_get(data, "pages"));
	if (p > 1) {
		href = keys_href(c, p - 1);
		json_object_set_new(data, "prev_href", json_string(href));
		free(href);
	}
	if (p < pages) {
		href = keys_href(c, p + 1);
		json_object_set_new(data, "next_href", json_string(href));
		free(href);
	}
	json_object_set_new(data, "filters", json_pack("{s:o, s:o, s:o, s:o,"
	    " s:o, s:o, s:b}",
	    "stale", options(tri, 3, tristate(c, WP_STALE)),
	    "orphan", options(tri, 3, tristate(c, WP_ORPHAN)),
	    "type", options(types, 5, qstr(c, WP_TYPE)),
	    "project", projects,
	    "sort", options(sorts, 5, qstr(c, WP_SORT) ? qstr(c, WP_SORT) :
	    "last_used"),
	    "dir", options(dirs, 2, qstr(c, WP_DIR) ? qstr(c, WP_DIR) : "asc"),
	    "any", f.stale >= 0 || f.orphan >= 0 || f.type || f.project));
	json_object_set_new(data, "empty", json_boolean(json_integer_value(
	    json_object_get(data, "total")) == 0));
	if ((page = org_page(c, "/keys", data)) == NULL) {
		web_db_error(c, "keys");
		return;
	}
	web_page(c, 200, "keys", "Keys", page);
}

/* A cursor list of the org's: fills *out for the given page. */
typedef enum list_rc (*org_list_fn)(struct wcall *, const char *cursor,
    int64_t limit, json_t **out);

/* Users, projects, runs, events: a cursor list under an org. */
static void
org_list(struct wcall *c, const char *tab, const char *tpl,
    const char *title, org_list_fn fn)
{
	json_t		*data = NULL, *page, *o;
	enum list_rc	 rc;
	struct buf	 next = { 0 };
	size_t		 i;
	int64_t		 now = now_s();

	rc = fn(c, qstr(c, WP_CURSOR), LIST_PER_PAGE, &data);
	if (rc == LIST_BAD_CURSOR) {
		web_error(c, 400, "That page link is not valid any more.");
		return;
	}
	if (rc != LIST_OK) {
		web_db_error(c, tpl);
		return;
	}
	json_array_foreach(json_object_get(data, "data"), i, o) {
		add_when(o, "added_at", now);
		add_when(o, "created_at", now);
		add_when(o, "started_at", now);
		add_when(o, "effective_at", now);
		add_when(json_object_get(o, "added_by"), "at", now);
		add_when(json_object_get(o, "created_by"), "at", now);
		add_short(o, "name");
	}
	if (json_is_string(json_object_get(data, "next_cursor"))) {
		buf_printf(&next, "/orgs/%" PRId64 "%s", c->ids[0], tab);
		carry_params(c, &next);
		url_param(&next, "cursor", json_string_value(
		    json_object_get(data, "next_cursor")));
		json_object_set_new(data, "next_href", json_string(next.p));
		buf_free(&next);
	}
	json_object_set_new(data, "empty", json_boolean(json_array_size(
	    json_object_get(data, "data")) == 0));
	if ((page = org_page(c, tab, data)) == NULL) {
		web_db_error(c, tpl);
		return;
	}
	web_page(c, 200, tpl, title, page);
}

static enum list_rc
users_of(struct wcall *c, const char *cursor, int64_t limit, json_t **out)
{
	return list_users(c->r->db, c->r->tenant, c->ids[0], cursor, limit,
	    out);
}

static enum list_rc
projects_of(struct wcall *c, const char *cursor, int64_t limit, json_t **out)
{
	return list_projects(c->r->db, c->r->tenant, c->ids[0], cursor, limit,
	    out);
}

static enum list_rc
runs_of(struct wcall *c, const char *cursor, int64_t limit, json_t **out)
{
	return list_runs(c->r->db, c->r->tenant, c->ids[0], cursor, limit,
	    out);
}

/* t as YYYY-MM-DD (UTC) in out, for a date input's value. */
static const char *
utc_date(int64_t t, char out[16])
{
	time_t		 tt = (time_t)t;
	struct tm	 tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, 16, "%Y-%m-%d", &tm) == 0)
		snprintf(out, 16, "%s", "");
	return out;
}

/* The timeline: the API's event list with the page's filters. */
static enum list_rc
events_of(struct wcall *c, const char *cursor, int64_t limit, json_t **out)
{
	struct event_filter	 f;
	enum list_rc		 rc;
	char			 since[16], until[16];

	memset(&f, 0, sizeof(f));
	f.type = qstr(c, WP_ETYPE);
	f.actor = qstr(c, WP_ACTOR);
	f.project = qstr(c, WP_PROJECT);
	f.target = qstr(c, WP_TARGET);
	f.since = c->q[WP_SINCE].set ? c->q[WP_SINCE].i : 0;
	f.until = c->q[WP_UNTIL].set ? c->q[WP_UNTIL].i : 0;
	rc = list_events(c->r->db, c->r->tenant, c->ids[0], &f, cursor,
	    limit, out);
	/* The form shows the filters in force. */
	if (rc == LIST_OK)
		json_object_set_new(*out, "filters", json_pack("{s:s?, s:s?,"
		    " s:s?, s:s?, s:s?, s:s?}", "event_type", f.type,
		    "actor", f.actor, "project", f.project, "target", f.target,
		    "since", f.since ? utc_date(f.since, since) : NULL,
		    "until", f.until ? utc_date(f.until, until) : NULL));
	return rc;
}

static void
w_users(struct wcall *c)
{
	org_list(c, "/users", "users", "Users", users_of);
}

static void
w_projects(struct wcall *c)
{
	org_list(c, "/projects", "projects", "Projects", projects_of);
}

static void
w_runs(struct wcall *c)
{
	org_list(c, "/runs", "runs", "Runs", runs_of);
}

static void
w_events(struct wcall *c)
{
	org_list(c, "/events", "events", "Audit log", events_of);
}

/* -- accounts and tokens (owners) ------------------------------------- */

struct rows_ctx {
	json_t	*a;
	int64_t	 self;
};

static int
account_row(const struct db_row *r, void *arg)
{
	struct rows_ctx	*x = arg;
	json_t		*o;

	o = json_pack("{s:I, s:s, s:s, s:I, s:o, s:b, s:b}",
	    "id", (json_int_t)db_row_int(r, 0),
	    "login_prefix", db_row_str(r, 1),
	    "role", db_row_str(r, 2),
	    "created_at", (json_int_t)db_row_int(r, 3),
	    "last_login_at", db_row_null(r, 4) ? json_null() :
	    json_integer(db_row_int(r, 4)),
	    "is_self", db_row_int(r, 0) == x->self,
	    "is_owner", strcmp(db_row_str(r, 2), "owner") == 0);
	add_when(o, "created_at", now_s());
	add_when(o, "last_login_at", now_s());
	json_array_append_new(x->a, o);
	return 0;
}

static void
accounts_page(struct wcall *c, int status, const char *error)
{
	struct rows_ctx	 x = { json_array(), c->r->account };

	if (DB_QUERY(c->r->db, SQL_ACCOUNT_LIST, account_row, &x,
	    DV_I(c->r->tenant)) < 0) {
		json_decref(x.a);
		web_db_error(c, "accounts");
		return;
	}
	web_page(c, status, "accounts", "Accounts", json_pack("{s:o, s:o}",
	    "data", x.a, "error", error != NULL ? json_string(error) :
	    json_null()));
}

static void
w_accounts(struct wcall *c)
{
	accounts_page(c, 200, NULL);
}

static void
w_account_add(struct wcall *c)
{
	char		 sha[EMAIL_HASH_HEX], prefix[EMAIL_PREFIX_MAX];
	char		 enc[PASSWD_ENCODED_MAX];
	const char	*why;

	if (!c->q[WP_EMAIL].set || !c->q[WP_ROLE].set ||
	    !c->q[WP_PASSWORD].set) {
		accounts_page(c, 400, "Give an email address, a role and a "
		    "password.");
		return;
	}
	if ((why = passwd_refusal(c->q[WP_PASSWORD].s)) != NULL) {
		accounts_page(c, 400, why);
		return;
	}
	email_hash(c->q[WP_EMAIL].s, sha, prefix);
	if (passwd_hash(c->q[WP_PASSWORD].s, enc) != 0 ||
	    DB_EXEC(c->r->db, SQL_ACCOUNT_ADD, DV_I(c->r->tenant), DV_S(sha),
	    DV_S(prefix), DV_S(c->q[WP_ROLE].s), DV_S(enc),
	    DV_I(now_s())) != 0) {
		if (db_errno(c->r->db) == 1062)
			accounts_page(c, 400, "An account with that email "
			    "address exists.");
		else
			web_db_error(c, "account add");
		return;
	}
	http_redirect(c->r, "/accounts?done=account_added");
}

/* Would account id's change leave the tenant without an owner? */
static int
last_owner(struct wcall *c, int64_t id)
{
	int64_t	 others = 0;

	if (DB_QUERY(c->r->db, SQL_ACCOUNT_OWNERS, db_row_first_int, &others,
	    DV_I(c->r->tenant), DV_I(id)) < 0)
		return -1;
	return others == 0;
}

static void
w_account_role(struct wcall *c)
{
	int	 last;

	if (!c->q[WP_ROLE].set) {
		accounts_page(c, 400, "Choose a role.");
		return;
	}
	if (strcmp(c->q[WP_ROLE].s, "viewer") == 0 &&
	    (last = last_owner(c, c->ids[0])) != 0) {
		if (last < 0)
			web_db_error(c, "account role");
		else
			accounts_page(c, 400, "That is the last owner; make "
			    "another account an owner first.");
		return;
	}
	if (DB_EXEC(c->r->db, SQL_ACCOUNT_SET_ROLE, DV_S(c->q[WP_ROLE].s),
	    DV_I(c->ids[0]), DV_I(c->r->tenant)) != 0) {
		web_db_error(c, "account role");
		return;
	}
	if (db_affected(c->r->db) == 0) {
		web_error(c, 404, "There is no such account.");
		return;
	}
	http_redirect(c->r, "/accounts?done=role_changed");
}

static void
w_account_delete(struct wcall *c)
{
	if (c->ids[0] == c->r->account) {
		accounts_page(c, 400, "You cannot remove your own account; "
		    "ask another owner.");
		return;
	}
	if (DB_EXEC(c->r->db, SQL_SESSION_DELETE_ACCOUNT, DV_I(c->ids[0]),
	    DV_I(c->r->tenant)) != 0 || DB_EXEC(c->r->db, SQL_ACCOUNT_DELETE,
	    DV_I(c->ids[0]), DV_I(c->r->tenant)) != 0) {
		web_db_error(c, "account delete");
		return;
	}
	if (db_affected(c->r->db) == 0) {
		web_error(c, 404, "There is no such account.");
		return;
	}
	http_redirect(c->r, "/accounts?done=account_removed");
}

static int
token_row(const struct db_row *r, void *arg)
{
	json_t	*o;

	o = json_pack("{s:I, s:s, s:I, s:b}", "id",
	    (json_int_t)db_row_int(r, 0), "name", db_row_str(r, 1),
	    "created_at", (json_int_t)db_row_int(r, 2), "revoked",
	    !db_row_null(r, 3));
	add_when(o, "created_at", now_s());
	json_array_append_new(arg, o);
	return 0;
}

/* The tokens page; new_token is shown once, right after it is made. */
static void
tokens_page(struct wcall *c, int status, const char *error,
    const char *new_token)
{
	json_t	*a = json_array();

	if (DB_QUERY(c->r->db, SQL_TOKEN_LIST, token_row, a,
	    DV_I(c->r->tenant)) < 0) {
		json_decref(a);
		web_db_error(c, "tokens");
		return;
	}
	web_page(c, status, "tokens", "API tokens", json_pack("{s:b, s:o, s:o,"
	    " s:o}", "has_tokens", json_array_size(a) > 0, "data", a,
	    "error", error ? json_string(error) : json_null(),
	    "new_token", new_token ? json_string(new_token) : json_null()));
}

static void
w_tokens(struct wcall *c)
{
	tokens_page(c, 200, NULL, NULL);
}

static void
w_token_add(struct wcall *c)
{
	char		 tok[TOKEN_LEN + 1];
	unsigned char	 hash[32];

	if (!c->q[WP_NAME].set) {
		tokens_page(c, 400, "Name the token after what will use it.",
		    NULL);
		return;
	}
	if (token_new(tok, hash) != 0 || DB_EXEC(c->r->db, SQL_TOKEN_ADD,
	    DV_I(c->r->tenant), DV_S(c->q[WP_NAME].s), DV_B(hash, 32),
	    DV_I(now_s())) != 0) {
		web_db_error(c, "token add");
		return;
	}
	tokens_page(c, 200, NULL, tok);
	wipe(tok, sizeof(tok));
}

static void
w_token_revoke(struct wcall *c)
{
	if (DB_EXEC(c->r->db, SQL_TOKEN_REVOKE_TENANT, DV_I(now_s()),
	    DV_I(c->ids[0]), DV_I(c->r->tenant)) != 0) {
		web_db_error(c, "token revoke");
		return;
	}
	if (db_affected(c->r->db) == 0) {
		web_error(c, 404, "There is no such active token.");
		return;
	}
	http_redirect(c->r, "/tokens?done=token_revoked");
}

static enum list_rc
packs_of(struct wcall *c, const char *cursor, int64_t limit, json_t **out)
{
	struct bill_month	 cur, last;
	enum list_rc		 rc;
	json_t			*o;
	size_t			 i;
	char			 d[16];

	rc = list_packs(c->r->db, c->r->tenant, c->ids[0], cursor, limit, out);
	if (rc != LIST_OK)
		return rc;
	json_array_foreach(json_object_get(*out, "data"), i, o) {
		json_object_set_new(o, "start_on", json_string(utc_date(
		    json_integer_value(json_object_get(o, "period_start")), d)));
		json_object_set_new(o, "end_on", json_string(utc_date(
		    json_integer_value(json_object_get(o, "period_end")), d)));
		json_object_set_new(o, "as_of_on", json_string(utc_date(
		    json_integer_value(json_object_get(o, "as_of")), d)));
		json_object_set_new(o, "href", json_sprintf("/orgs/%" PRId64
		    "/packs/%" JSON_INTEGER_FORMAT, c->ids[0],
		    json_integer_value(json_object_get(o, "id"))));
	}
	if (c->r->signer != NULL)
		json_object_set_new(*out, "signing_key", json_pack("{s:s, s:s}",
		    "fingerprint", sign_fingerprint(c->r->signer), "pem",
		    sign_public_pem(c->r->signer)));
	bill_month_of(now_s(), &cur);
	bill_month_prev(&cur, &last);
	json_object_set_new(*out, "default_start", json_sprintf("%sT00:00",
	    last.first));
	json_object_set_new(*out, "default_end", json_sprintf("%sT00:00",
	    cur.first));
	{
		char	 now[21];

		fmt_rfc3339(now_s(), now);
		now[16] = '\0';	/* "2026-11-23T18:57" */
		json_object_set_new(*out, "now", json_string(now));
	}
	return LIST_OK;
}

/* The org's packs, the form to make one, the key they are signed with. */
static void
w_packs(struct wcall *c)
{
	org_list(c, "/packs", "packs", "Evidence packs", packs_of);
}

static void
w_pack_create(struct wcall *c)
{
	struct pack_req		 rq = { c->r->tenant, c->ids[0], 0, 0, "web",
	    NULL };
	struct pack_result	 res;
	char			 loc[96];

	if (c->r->signer == NULL) {
		web_error(c, 503, "Evidence packs are off: this server has no "
		    "signing key. The operator makes one with 'orgaudit "
		    "keygen'.");
		return;
	}
	if (!c->q[WP_SINCE].set || !c->q[WP_UNTIL].set) {
		web_error(c, 400, "Give the period's first day and the day "
		    "after its last.");
		return;
	}
	rq.start = c->q[WP_SINCE].i;
	rq.end = c->q[WP_UNTIL].i;
	if (pack_create(c->r->db, c->r->conf, c->r->signer, &rq, &res) != 0) {
		web_error(c, res.status, res.error);
		return;
	}
	snprintf(loc, sizeof(loc), "/orgs/%" PRId64 "/packs?done=%s",
	    c->ids[0], res.existed ? "pack_same" : "pack_made");
	http_redirect(c->r, loc);
}

static void
w_pack_get(struct wcall *c)
{
	struct pack_file	 pf;
	char			 extra[512];
	int			 found;

	if ((found = pack_lookup(c->r->db, c->r->tenant, c->ids[1], &pf)) < 0) {
		web_db_error(c, "pack");
		return;
	}
	if (!found || pf.org != c->ids[0]) {
		web_error(c, 404, "There is no such evidence pack.");
		return;
	}
	pack_headers(&pf, extra, sizeof(extra));
	if (http_file(c->r, 200, "application/gzip", pf.path, extra) != 0)
		web_error(c, 500, "The pack's file cannot be read.");
}

/*
 * This month's estimate, with the numbers orgaudit-bill --dry-run prints,
 * and the invoices made so far.
 */
static void
w_billing(struct wcall *c)
{
	json_t	*view;

	if (billing_view(c->r->db, c->r->tenant, now_s(), &view) != 0) {
		web_db_error(c, "billing");
		return;
	}
	json_object_set_new(json_object_get(view, "estimate"), "has_orgs",
	    json_boolean(json_array_size(json_object_get(json_object_get(view,
	    "estimate"), "orgs")) > 0));
	json_object_set_new(view, "has_invoices", json_boolean(
	    json_array_size(json_object_get(view, "invoices")) > 0));
	web_page(c, 200, "billing", "Billing", view);
}

/* -- dispatch -------------------------------------------------------- */

/*
 * Does a POST come from this site?  With public_origin set, the Origin
 * header must be exactly it; without, its host must be the request's
 * (nginx passes the host without the port).  No Origin: the CSRF token
 * and SameSite cookies decide.
 */
static bool
same_origin(const struct req *r)
{
	const char	*origin = http_param(r, "HTTP_ORIGIN");
	const char	*host = http_param(r, "HTTP_HOST");
	const char	*p;
	size_t		 n;

	if (origin == NULL)
		return true;
	if (r->conf->public_origin[0] != '\0')
		return strcmp(origin, r->conf->public_origin) == 0;
	if (host == NULL || (p = strstr(origin, "://")) == NULL)
		return false;
	p += 3;
	n = strcspn(p, ":/");
	return strlen(host) == n && strncmp(p, host, n) == 0;
}

/* Parses the route's parameters from the query or the form body. */
static int
web_params(struct wcall *c, const char *src, char *msg, size_t msglen)
{
	struct qspec	 spec[WP__MAX];
	struct qval	 vals[WP__MAX];
	enum wparam	 map[WP__MAX];
	size_t		 n = 0, i;
	int		 rc;

	for (i = 0; i < WP__MAX; i++)
		if (c->rt->params & P(i)) {
			map[n] = (enum wparam)i;
			spec[n++] = wparams[i];
		}
	rc = query_parse(src, spec, n, 1, vals, msg, msglen) == QUERY_OK ?
	    0 : -1;
	for (i = 0; i < n; i++)
		c->q[map[i]] = vals[i];
	wipe(vals, sizeof(vals));
	return rc;
}

/* Finds the route; sets *allowed when only the method differs. */
static const struct wroute *
web_route(struct wcall *c, const char *path, bool *allowed, bool *bad_id)
{
	const struct wroute	*rt;
	size_t			 i;
	int			 m;

	*allowed = false;
	*bad_id = false;
	for (i = 0; i < sizeof(wroutes) / sizeof(wroutes[0]); i++) {
		rt = &wroutes[i];
		memset(c->ids, 0, sizeof(c->ids));
		if ((m = http_route_match(rt->pattern, path, c->ids, 2)) == 0)
			continue;
		if (m < 0) {
			*bad_id = true;
			continue;
		}
		if (strcmp(rt->method, c->r->method) == 0 ||
		    (strcmp(rt->method, "GET") == 0 &&
		    strcmp(c->r->method, "HEAD") == 0))
			return rt;
		*allowed = true;
	}
	return NULL;
}

void
web_handle(struct req *r)
{
	struct wcall	 c;
	bool		 allowed = false, bad_id = false, post;
	char		 msg[256];
	int64_t		 owned = 0;

	memset(&c, 0, sizeof(c));
	c.r = r;
	if (r->db == NULL) {
		web_error(&c, 503, "The database is unavailable; try again in a "
		    "moment.");
		return;
	}
	session_load(r);
	if (r->path[0] != '/' || (c.rt = web_route(&c, r->path + 1, &allowed,
	    &bad_id)) == NULL) {
		if (allowed) {
			http_error(r, 405, "method_not_allowed", NULL, "this "
			    "method is not allowed here");
			return;
		}
		web_error(&c, bad_id ? 400 : 404, bad_id ? "That address has "
		    "a malformed number in it." : "There is no such page.");
		return;
	}
	post = strcmp(r->method, "POST") == 0;
	if (c.rt->need != NEED_NONE && r->account == 0) {
		if (post)
			web_error(&c, 403, "Your session has ended; sign in "
			    "again.");
		else
			http_redirect(r, "/login");
		return;
	}
	if (post && !same_origin(r)) {
		log_warn("web: %s %s: Origin %.100s does not match Host %.100s",
		    r->method, r->path, http_param(r, "HTTP_ORIGIN"),
		    http_param(r, "HTTP_HOST") ? http_param(r, "HTTP_HOST") :
		    "(none)");
		web_error(&c, 403, "This form was sent from another site.");
		return;
	}
	if (post && http_read_body(r, FORM_MAX) != 0) {
		web_error(&c, 413, "The form is too large.");
		return;
	}
	if (web_params(&c, post ? r->body.p : r->query, msg,
	    sizeof(msg)) != 0) {
		web_error(&c, 400, msg);
		goto out;
	}
	/* Every state-changing request of a session carries its token. */
	if (post && c.rt->need != NEED_NONE &&
	    !session_csrf_ok(r->session, c.q[WP_CSRF].set ? c.q[WP_CSRF].s :
	    NULL)) {
		web_error(&c, 403, "This form has expired; reload the page and "
		    "try again.");
		goto out;
	}
	if (c.rt->need == NEED_OWNER && strcmp(r->role, "owner") != 0) {
		web_error(&c, 403, "Only an owner of this account can do "
		    "that.");
		goto out;
	}
	if (strncmp(c.rt->pattern, "orgs/:org", 9) == 0) {
		if (DB_QUERY(r->db, SQL_ORG_OWNED, db_row_first_int, &owned,
		    DV_I(r->tenant), DV_I(c.ids[0])) < 0) {
			web_db_error(&c, "org lookup");
			goto out;
		}
		if (owned == 0) {
			web_error(&c, 404, "There is no such org.");
			goto out;
		}
	}
	c.rt->fn(&c);
out:
	/* Form values may be a password or an admin key. */
	wipe(c.q, sizeof(c.q));
}
