/*
 * web-session.c: signing in and out.  A session lives in its cookie and
 * as a hash in the database (session.h).  Before one exists, a
 * pre-session cookie carries the token the sign-in form's CSRF token
 * comes from.  A sign-in is a password, then, when the account has one,
 * a second factor (stage 1 of the session); an owner of a tenant that
 * requires a second factor enrolls one before anything else (stage 2).
 * Failures are counted per login and address together (growing delays:
 * a stranger elsewhere cannot lock a user out) and per address alone.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/sha.h>

#include "activity.h"
#include "log.h"
#include "pages.h"
#include "passwd.h"
#include "redact.h"
#include "session.h"
#include "totp.h"
#include "web.h"

struct sess_row {
	int64_t	 account, tenant, created, seen;
	char	 role[17], prefix[17], tenant_name[201];
	int	 stage;
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
	s->stage = (int)db_row_int(r, 7);
	s->found = 1;
	return 1;
}

/* Without a session: the pre-session token, if the browser has one. */
static void
pre_load(struct req *r)
{
	unsigned char	 hash[32];
	char		 tok[64];

	if (cookie_get(http_param(r, "HTTP_COOKIE"), PRE_COOKIE, tok,
	    sizeof(tok)) == 0 && session_hash(tok, hash) == 0) {
		snprintf(r->pre, sizeof(r->pre), "%.43s", tok);
		session_csrf(tok, r->csrf);
	}
	wipe(tok, sizeof(tok));
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
	    sizeof(tok)) != 0 || session_hash(tok, hash) != 0) {
		pre_load(r);
		goto out;
	}
	if (DB_QUERY(r->db, SQL_SESSION_GET, sess_row, &s,
	    DV_B(hash, sizeof(hash))) < 0 || !s.found) {
		pre_load(r);
		goto out;
	}
	if (!session_alive(s.created, s.seen, now, cf->session_idle_seconds,
	    cf->session_max_seconds)) {
		DB_EXEC(r->db, SQL_SESSION_DELETE, DV_B(hash, sizeof(hash)));
		session_cookie_clear(&r->headers);
		pre_load(r);
		goto out;
	}
	/* Idle time counts from the last request, a minute at a time. */
	if (now - s.seen >= 60)
		DB_EXEC(r->db, SQL_SESSION_TOUCH, DV_I(now),
		    DV_B(hash, sizeof(hash)));
	r->account = s.account;
	r->tenant = s.tenant;
	r->stage = s.stage;
	snprintf(r->role, sizeof(r->role), "%s", s.role);
	snprintf(r->login_prefix, sizeof(r->login_prefix), "%s", s.prefix);
	snprintf(r->tenant_name, sizeof(r->tenant_name), "%s", s.tenant_name);
	snprintf(r->session, sizeof(r->session), "%.43s", tok);
	session_csrf(tok, r->csrf);
out:
	wipe(tok, sizeof(tok));
}

/* The request's session token's hash; -1 without a session. */
int
web_session_hash(const struct req *r, unsigned char hash[32])
{
	return r->session[0] != '\0' ? session_hash(r->session, hash) : -1;
}

/* Starts a new session for account at stage: a fresh token, a cookie. */
static int
session_start(struct req *r, int64_t account, int64_t tenant, int stage)
{
	unsigned char	 hash[32];
	char		 tok[SESSION_TOKEN_LEN + 1];
	const char	*ua = http_param(r, "HTTP_USER_AGENT");
	char		 agent[201];
	int64_t		 now = now_s();
	int		 rc = -1;

	if (session_new(tok, hash) != 0)
		return -1;
	snprintf(agent, sizeof(agent), "%s", ua != NULL ? ua : "");
	if (DB_EXEC(r->db, SQL_SESSION_ADD, DV_B(hash, sizeof(hash)),
	    DV_I(account), DV_I(tenant), DV_I(now), DV_I(now),
	    DV_I(now + r->conf->session_max_seconds), DV_I(stage),
	    DV_S(r->remote_addr), DV_S(agent[0] ? agent : NULL)) == 0) {
		session_cookie_set(&r->headers, tok,
		    r->conf->session_max_seconds);
		session_pre_cookie_clear(&r->headers);
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

	if (web_session_hash(r, hash) == 0)
		DB_EXEC(r->db, SQL_SESSION_DELETE, DV_B(hash, sizeof(hash)));
	session_cookie_clear(&r->headers);
}

void
web_pre_session(struct call *c)
{
	struct req	*r = c->r;
	unsigned char	 hash[32];
	char		 tok[SESSION_TOKEN_LEN + 1];

	if (r->pre[0] != '\0' || r->account != 0 || session_new(tok,
	    hash) != 0)
		return;
	session_pre_cookie_set(&r->headers, tok);
	snprintf(r->pre, sizeof(r->pre), "%s", tok);
	session_csrf(tok, r->csrf);
	wipe(tok, sizeof(tok));
}

/* -- throttling -------------------------------------------------------- */

/* The throttle subject of a login at an address, or of an address. */
static void
throttle_subject(const char *login_sha, const char *addr,
    unsigned char out[32])
{
	struct buf	 b = { 0 };

	if (login_sha != NULL)
		buf_printf(&b, "pair:%s|%s", login_sha, addr);
	else
		buf_printf(&b, "ip:%s", addr);
	SHA256((const unsigned char *)b.p, b.len, out);
	buf_free(&b);
}

static int
throttle_row(const struct db_row *r, void *arg)
{
	*(int64_t *)arg = db_row_int(r, 2);
	return 1;
}

/* Seconds a subject stays locked; 0 when it may try; -1 on error. */
static int64_t
throttle_wait(struct db *db, const unsigned char subject[32])
{
	int64_t	 until = 0, now = now_s();

	if (DB_QUERY(db, SQL_THROTTLE_GET, throttle_row, &until,
	    DV_B(subject, 32)) < 0)
		return -1;
	return until > now ? until - now : 0;
}

/* A failure: the pair's delay grows, the address counts towards a lock. */
static void
throttle_fail(struct req *r, const unsigned char pair[32],
    const unsigned char ip[32])
{
	const struct conf	*cf = r->conf;
	int64_t			 now = now_s(), w = cf->login_lock_seconds;

	if (DB_EXEC(r->db, SQL_THROTTLE_FAIL_GROW, DV_B(pair, 32), DV_I(now),
	    DV_I(w), DV_I(w), DV_I(cf->login_max_failures),
	    DV_I(cf->login_lock_seconds), DV_I(cf->login_delay_seconds),
	    DV_I(cf->login_max_failures)) != 0 ||
	    DB_EXEC(r->db, SQL_THROTTLE_FAIL, DV_B(ip, 32), DV_I(now), DV_I(w),
	    DV_I(w), DV_I(cf->login_ip_max_failures),
	    DV_I(cf->login_lock_seconds)) != 0)
		log_err("web: login throttle: %s", db_error(r->db));
}

/* -- signing in --------------------------------------------------------- */

static void
login_page(struct call *c, int status, const char *error)
{
	web_page(c, status, "login", "Sign in", json_pack("{s:o}", "error",
	    error != NULL ? json_string(error) : json_null()));
}

void
web_login_form(struct call *c)
{
	if (c->r->account != 0 && c->r->stage == 0) {
		http_redirect(c->r, "/orgs");
		return;
	}
	web_pre_session(c);
	login_page(c, 200, NULL);
}

struct acct_row {
	int64_t	 id, tenant;
	char	 role[17];
	char	 hash[PASSWD_ENCODED_MAX];
	bool	 totp, required;
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
	a->totp = !db_row_null(r, 4);
	a->required = db_row_int(r, 5) != 0;
	a->found = 1;
	return 1;
}

/* A sign-in failure, on the trail of the login's tenant (or none). */
static void
note_failure(struct call *c, const struct acct_row *a, const char *sha,
    const char *why)
{
	struct act	 act = { a->found ? a->tenant : 0, "anonymous", NULL,
	    c->r->remote_addr, "account.sign_in_failed", NULL, why };
	char		 target[80];

	snprintf(target, sizeof(target), "login:%.64s", sha);
	act.target = target;
	activity_log(c->r->db, &act);
}

/* Where a session of this stage goes first. */
static const char *
stage_home(int stage)
{
	return stage == 1 ? "/login/totp" : stage == 2 ?
	    "/account?done=totp_required" : "/orgs";
}

void
web_login(struct call *c)
{
	struct req	*r = c->r;
	struct acct_row	 a = { .found = 0 };
	unsigned char	 pair[32], ip[32];
	char		 sha[EMAIL_HASH_HEX], prefix[EMAIL_PREFIX_MAX];
	char		 msg[160], target[32];
	int64_t		 w1, w2;
	int		 stage;

	if (!c->q[P_EMAIL].set || !c->q[P_PASSWORD].set) {
		login_page(c, 400, "Enter your email address and password.");
		return;
	}
	email_hash(c->q[P_EMAIL].s, sha, prefix);
	throttle_subject(sha, r->remote_addr, pair);
	throttle_subject(NULL, r->remote_addr, ip);
	if ((w1 = throttle_wait(r->db, pair)) < 0 ||
	    (w2 = throttle_wait(r->db, ip)) < 0) {
		call_db_error(c, "login throttle");
		return;
	}
	if (DB_QUERY(r->db, SQL_ACCOUNT_BY_LOGIN, acct_row, &a,
	    DV_S(sha)) < 0) {
		call_db_error(c, "login");
		return;
	}
	if (w1 > 0 || w2 > 0) {
		note_failure(c, &a, sha, "refused");
		snprintf(msg, sizeof(msg), "Too many failed sign-ins. Try "
		    "again in %" PRId64 " seconds.", w1 > w2 ? w1 : w2);
		login_page(c, 429, msg);
		return;
	}
	/* The same work whether or not the account exists. */
	if (!passwd_verify(a.found ? a.hash : NULL, c->q[P_PASSWORD].s)) {
		throttle_fail(r, pair, ip);
		note_failure(c, &a, sha, "failed");
		log_info("web: failed sign-in from %s", r->remote_addr);
		login_page(c, 401, "The email address or the password is "
		    "wrong.");
		return;
	}
	DB_EXEC(r->db, SQL_THROTTLE_CLEAR, DV_B(pair, 32));
	/* A new session on every sign-in; any old one ends. */
	session_end(r);
	buf_reset(&r->headers);
	stage = a.totp ? 1 : a.required && strcmp(a.role, "owner") == 0 ? 2 :
	    0;
	if (session_start(r, a.id, a.tenant, stage) != 0) {
		call_db_error(c, "session");
		return;
	}
	r->account = a.id;
	snprintf(target, sizeof(target), "account:%" PRId64, a.id);
	call_note(c, a.tenant, stage == 1 ? "account.password_accepted" :
	    "account.signed_in", target, "ok");
	if (stage != 1)
		DB_EXEC(r->db, SQL_ACCOUNT_LOGGED_IN, DV_I(now_s()),
		    DV_I(a.id));
	/* Sessions that expired unseen go now, a sign-in at a time. */
	DB_EXEC(r->db, SQL_SESSION_PURGE, DV_I(now_s()), DV_I(now_s() -
	    r->conf->session_idle_seconds));
	http_redirect(r, stage_home(stage));
}

/* -- the second factor --------------------------------------------------- */

static void
totp_page(struct call *c, int status, const char *error)
{
	web_page(c, status, "totp", "Second factor", json_pack("{s:o}",
	    "error", error != NULL ? json_string(error) : json_null()));
}

void
web_login_totp_form(struct call *c)
{
	if (c->r->stage != 1) {
		http_redirect(c->r, stage_home(c->r->stage));
		return;
	}
	totp_page(c, 200, NULL);
}

struct auth_row {
	char		 hash[PASSWD_ENCODED_MAX];
	unsigned char	 secret[32];
	size_t		 secret_len;
	int64_t		 last_step;
	int		 found;
};

static int
auth_row(const struct db_row *r, void *arg)
{
	struct auth_row	*a = arg;

	snprintf(a->hash, sizeof(a->hash), "%s", db_row_str(r, 0));
	a->secret_len = db_row_null(r, 1) || r->len[1] > sizeof(a->secret) ? 0 :
	    r->len[1];
	memcpy(a->secret, r->v[1], a->secret_len);
	a->last_step = db_row_int(r, 2);
	a->found = 1;
	return 1;
}

int
web_account_auth(struct req *r, struct web_auth *out)
{
	struct auth_row	 a = { .found = 0 };
	int		 found;

	memset(out, 0, sizeof(*out));
	if (DB_QUERY(r->db, SQL_ACCOUNT_AUTH, auth_row, &a,
	    DV_I(r->account)) < 0)
		return -1;
	snprintf(out->hash, sizeof(out->hash), "%s", a.hash);
	memcpy(out->secret, a.secret, a.secret_len);
	out->secret_len = a.secret_len;
	out->last_step = a.last_step;
	found = a.found;
	wipe(&a, sizeof(a));
	return found ? 0 : -1;
}

/* The stored form of a recovery code: SHA-256 hex of its letters. */
void
web_recovery_hash(const char *norm, char out[65])
{
	unsigned char	 h[32];

	SHA256((const unsigned char *)norm, strlen(norm), h);
	hex_encode(h, sizeof(h), out);
}

int
web_second_factor(struct req *r, const struct web_auth *a, const char *typed)
{
	char		 norm[64], hash[65];
	int64_t		 step;

	if (a->secret_len == 0)
		return -1;
	step = totp_check(a->secret, a->secret_len, typed, now_s(),
	    a->last_step);
	if (step > 0) {
		/* Used once: a second request with the code finds it spent. */
		if (DB_EXEC(r->db, SQL_ACCOUNT_TOTP_STEP, DV_I(step),
		    DV_I(r->account), DV_I(step)) != 0 || db_affected(r->db) != 1)
			return -1;
		return 0;
	}
	totp_recovery_norm(typed, norm, sizeof(norm));
	if (strlen(norm) != 16)
		return -1;
	web_recovery_hash(norm, hash);
	wipe(norm, sizeof(norm));
	if (DB_EXEC(r->db, SQL_RECOVERY_USE, DV_I(now_s()), DV_I(r->account),
	    DV_S(hash)) != 0 || db_affected(r->db) != 1)
		return -1;
	return 1;
}

void
web_login_totp(struct call *c)
{
	struct req	*r = c->r;
	struct web_auth	 a;
	unsigned char	 pair[32], ip[32], hash[32];
	char		 target[32], sub[40];
	int64_t		 w;
	int		 how;

	if (r->stage != 1) {
		http_redirect(r, stage_home(r->stage));
		return;
	}
	snprintf(sub, sizeof(sub), "account:%" PRId64, r->account);
	throttle_subject(sub, r->remote_addr, pair);
	throttle_subject(NULL, r->remote_addr, ip);
	if ((w = throttle_wait(r->db, pair)) < 0 || web_account_auth(r, &a) !=
	    0) {
		call_db_error(c, "second factor");
		return;
	}
	snprintf(target, sizeof(target), "account:%" PRId64, r->account);
	if (w > 0) {
		call_note(c, 0, "account.sign_in_failed", target, "refused");
		totp_page(c, 429, "Too many wrong codes; wait a moment.");
		goto out;
	}
	if (!c->q[P_CODE].set || (how = web_second_factor(r, &a,
	    c->q[P_CODE].s)) < 0) {
		throttle_fail(r, pair, ip);
		call_note(c, 0, "account.sign_in_failed", target, "failed");
		totp_page(c, 401, "That code is not right, or was used already.");
		goto out;
	}
	DB_EXEC(r->db, SQL_THROTTLE_CLEAR, DV_B(pair, 32));
	if (web_session_hash(r, hash) != 0 || DB_EXEC(r->db,
	    SQL_SESSION_STAGE, DV_I(0), DV_B(hash, 32)) != 0) {
		call_db_error(c, "session");
		goto out;
	}
	call_note(c, 0, "account.signed_in", target, "ok");
	if (how == 1)
		call_note(c, 0, "account.recovery_code_used", target, "ok");
	DB_EXEC(r->db, SQL_ACCOUNT_LOGGED_IN, DV_I(now_s()), DV_I(r->account));
	http_redirect(r, "/orgs");
out:
	wipe(&a, sizeof(a));
}

void
web_logout(struct call *c)
{
	char	 target[32];

	snprintf(target, sizeof(target), "account:%" PRId64, c->r->account);
	call_note(c, 0, "account.signed_out", target, "ok");
	session_end(c->r);
	http_redirect(c->r, "/login?done=signed_out");
}

void
web_root(struct call *c)
{
	http_redirect(c->r, c->r->account != 0 ? stage_home(c->r->stage) :
	    "/login");
}
