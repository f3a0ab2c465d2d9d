/*
 * web-session.c: signing in and out.  A session lives in its cookie and
 * as a hash in the database (session.h); sign-in failures are counted
 * per login and per address, and either count locks sign-in for a while.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/sha.h>

#include "log.h"
#include "pages.h"
#include "passwd.h"
#include "redact.h"
#include "session.h"
#include "web.h"

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

void
web_session_load(struct call *c)
{
	struct req		*r = c->r;
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
login_page(struct call *c, int status, const char *error)
{
	web_page(c, status, "login", "Sign in", json_pack("{s:o}", "error",
	    error != NULL ? json_string(error) : json_null()));
}

void
web_login_form(struct call *c)
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

void
web_login(struct call *c)
{
	struct req	*r = c->r;
	struct acct_row	 a = { .found = 0 };
	unsigned char	 by_login[32], by_ip[32];
	char		 sha[EMAIL_HASH_HEX], prefix[EMAIL_PREFIX_MAX];
	char		 msg[160];
	int64_t		 w1, w2;

	if (!c->q[P_EMAIL].set || !c->q[P_PASSWORD].set) {
		login_page(c, 400, "Enter your email address and password.");
		return;
	}
	email_hash(c->q[P_EMAIL].s, sha, prefix);
	throttle_subject("login", sha, by_login);
	throttle_subject("ip", r->remote_addr, by_ip);
	if ((w1 = throttle_wait(r->db, by_login)) < 0 ||
	    (w2 = throttle_wait(r->db, by_ip)) < 0) {
		call_db_error(c, "login throttle");
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
		call_db_error(c, "login");
		return;
	}
	/* The same work whether or not the account exists. */
	if (!passwd_verify(a.found ? a.hash : NULL, c->q[P_PASSWORD].s)) {
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
		call_db_error(c, "session");
		return;
	}
	DB_EXEC(r->db, SQL_ACCOUNT_LOGGED_IN, DV_I(now_s()), DV_I(a.id));
	/* Sessions that expired unseen go now, a sign-in at a time. */
	DB_EXEC(r->db, SQL_SESSION_PURGE, DV_I(now_s()), DV_I(now_s() -
	    r->conf->session_idle_seconds));
	http_redirect(r, "/orgs");
}

void
web_logout(struct call *c)
{
	session_end(c->r);
	http_redirect(c->r, "/login?done=signed_out");
}

void
web_root(struct call *c)
{
	http_redirect(c->r, c->r->account != 0 ? "/orgs" : "/login");
}

