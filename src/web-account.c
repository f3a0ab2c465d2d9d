/*
 * web-account.c: one's own account: its password, its second factor
 * (TOTP and recovery codes), its sessions; and the page a reset link
 * opens.  Each change is on the activity trail.  A new password ends
 * every other session of the account; a reset ends all of them.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/sha.h>

#include "log.h"
#include "pages.h"
#include "passwd.h"
#include "session.h"
#include "totp.h"
#include "web.h"

#define RESET_SECONDS	86400	/* a reset link lives a day */

struct acct_ctx {
	int	 have_totp;
	int64_t	 totp_since;
	int64_t	 codes_left;
	int	 required;	/* the tenant requires it of this account */
};

static int
sess_list_row(const struct db_row *r, void *arg)
{
	json_t	*o;

	o = json_pack("{s:I, s:I, s:s, s:s, s:b, s:b}",
	    "created_at", (json_int_t)db_row_int(r, 0),
	    "last_seen_at", (json_int_t)db_row_int(r, 1),
	    "address", db_row_str(r, 2),
	    "user_agent", db_row_str(r, 3),
	    "half_signed_in", db_row_int(r, 4) != 0,
	    "current", db_row_int(r, 5) != 0);
	web_add_when(o, "created_at", now_s());
	web_add_when(o, "last_seen_at", now_s());
	json_array_append_new(arg, o);
	return 0;
}

static int
totp_row(const struct db_row *r, void *arg)
{
	struct acct_ctx	*x = arg;

	x->have_totp = !db_row_null(r, 1);
	x->totp_since = db_row_int(r, 5);
	x->required = db_row_int(r, 4) != 0 &&
	    strcmp(db_row_str(r, 3), "owner") == 0;
	return 1;
}

/*
 * The account page.  enroll, when set, is the secret being enrolled
 * (base32); codes, the recovery codes just made (shown once).
 */
static void
account_page(struct call *c, int status, const char *error,
    const char *enroll, json_t *codes)
{
	struct req	*r = c->r;
	struct acct_ctx	 x = { 0 };
	unsigned char	 hash[32];
	json_t		*sessions = json_array(), *page;
	struct buf	 uri = { 0 };

	if (web_session_hash(r, hash) != 0 ||
	    DB_QUERY(r->db, SQL_ACCOUNT_AUTH, totp_row, &x,
	    DV_I(r->account)) < 0 ||
	    DB_QUERY(r->db, SQL_RECOVERY_LEFT, db_row_first_int,
	    &x.codes_left, DV_I(r->account)) < 0 ||
	    DB_QUERY(r->db, SQL_SESSION_LIST, sess_list_row, sessions,
	    DV_B(hash, 32), DV_I(r->account), DV_I(r->tenant),
	    DV_B(hash, 32)) < 0) {
		json_decref(sessions);
		json_decref(codes);
		call_db_error(c, "account");
		return;
	}
	/* What an authenticator app takes (Key Uri Format). */
	if (enroll != NULL)
		buf_printf(&uri, "otpauth://totp/orgaudit?secret=%s&issuer="
		    "orgaudit&algorithm=SHA1&digits=6&period=30", enroll);
	page = json_pack("{s:s, s:s, s:b, s:o, s:I, s:b, s:b, s:o, s:o, s:o,"
	    " s:o, s:o}",
	    "login_prefix", r->login_prefix, "role", r->role,
	    "totp", x.have_totp,
	    "totp_since", x.totp_since > 0 ? json_integer(x.totp_since) :
	    json_null(),
	    "codes_left", (json_int_t)x.codes_left,
	    "totp_required", x.required,
	    "must_enroll", r->stage == 2,
	    "enroll", enroll != NULL ? json_pack("{s:s, s:s}", "secret",
	    enroll, "uri", uri.p) : json_null(),
	    "recovery_codes", codes != NULL ? codes : json_null(),
	    "sessions", sessions,
	    "other_sessions", json_boolean(json_array_size(sessions) > 1),
	    "error", error != NULL ? json_string(error) : json_null());
	buf_free(&uri);
	json_object_set_new(page, "has_codes", json_boolean(codes != NULL));
	if (x.totp_since > 0)
		web_add_when(page, "totp_since", now_s());
	web_page(c, status, "account", "Your account", page);
}

void
web_account(struct call *c)
{
	account_page(c, 200, NULL, NULL, NULL);
}

static void
note_self(struct call *c, const char *action, const char *outcome)
{
	char	 target[32];

	snprintf(target, sizeof(target), "account:%" PRId64, c->r->account);
	call_note(c, 0, action, target, outcome);
}

/* Checks the password typed for the request's account; 1 right. */
static int
password_right(struct call *c, const char *typed, struct web_auth *a)
{
	if (web_account_auth(c->r, a) != 0)
		return -1;
	return typed != NULL && passwd_verify(a->hash, typed);
}

void
web_account_password(struct call *c)
{
	struct req	*r = c->r;
	struct web_auth	 a;
	unsigned char	 hash[32];
	char		 enc[PASSWD_ENCODED_MAX];
	const char	*why;
	int		 ok;

	if (!c->q[P_PASSWORD].set || !c->q[P_NEW_PASSWORD].set) {
		account_page(c, 400, "Type your password and the new one.",
		    NULL, NULL);
		return;
	}
	if ((ok = password_right(c, c->q[P_PASSWORD].s, &a)) < 0) {
		call_db_error(c, "password");
		goto out;
	}
	if (!ok) {
		note_self(c, "account.password_change_failed", "failed");
		account_page(c, 403, "Your current password is not right.",
		    NULL, NULL);
		goto out;
	}
	if ((why = passwd_refusal(c->q[P_NEW_PASSWORD].s)) != NULL) {
		account_page(c, 400, why, NULL, NULL);
		goto out;
	}
	/* The new password, and every other session ends, together. */
	if (passwd_hash(c->q[P_NEW_PASSWORD].s, enc) != 0 ||
	    web_session_hash(r, hash) != 0) {
		call_db_error(c, "password");
		goto out;
	} else {
		struct db_step	 s[] = {
			DB_STEP(SQL_ACCOUNT_SET_PASSWORD, DV_S(enc),
			    DV_I(now_s()), DV_I(r->account), DV_I(r->tenant)),
			DB_STEP(SQL_SESSION_END_OTHERS, DV_I(r->account),
			    DV_B(hash, 32)),
			DB_STEP(SQL_RESET_CLEAR, DV_I(r->account)),
		};

		if (db_tx_steps(r->db, s, 3) != 0) {
			call_db_error(c, "password");
			goto out;
		}
	}
	note_self(c, "account.password_changed", "ok");
	http_redirect(r, "/account?done=password_changed");
out:
	wipe(enc, sizeof(enc));
	wipe(&a, sizeof(a));
}

/* -- the second factor --------------------------------------------------- */

void
web_account_totp_begin(struct call *c)
{
	struct req	*r = c->r;
	unsigned char	 secret[TOTP_SECRET_LEN], hash[32];
	char		 b32[TOTP_B32_MAX];
	struct acct_ctx	 x = { 0 };

	if (DB_QUERY(r->db, SQL_ACCOUNT_AUTH, totp_row, &x,
	    DV_I(r->account)) < 0) {
		call_db_error(c, "second factor");
		return;
	}
	if (x.have_totp) {
		account_page(c, 400, "Your account has a second factor; remove "
		    "it first to enroll another.", NULL, NULL);
		return;
	}
	if (totp_secret_new(secret) != 0 || web_session_hash(r, hash) != 0 ||
	    DB_EXEC(r->db, SQL_SESSION_PENDING_SET, DV_B(secret,
	    sizeof(secret)), DV_B(hash, 32)) != 0) {
		call_db_error(c, "second factor");
		goto out;
	}
	totp_b32(secret, sizeof(secret), b32, sizeof(b32));
	account_page(c, 200, NULL, b32, NULL);
out:
	wipe(secret, sizeof(secret));
	wipe(b32, sizeof(b32));
}

/* Makes and stores the recovery codes; their list (shown once), or NULL. */
static json_t *
recovery_codes(struct req *r)
{
	char	 code[TOTP_RECOVERY_LEN], norm[32], hash[65];
	json_t	*a = json_array();
	int	 i;

	if (DB_EXEC(r->db, SQL_RECOVERY_CLEAR, DV_I(r->account)) != 0)
		goto fail;
	for (i = 0; i < TOTP_RECOVERY; i++) {
		if (totp_recovery_new(code) != 0)
			goto fail;
		totp_recovery_norm(code, norm, sizeof(norm));
		web_recovery_hash(norm, hash);
		if (DB_EXEC(r->db, SQL_RECOVERY_ADD, DV_I(r->tenant),
		    DV_I(r->account), DV_I(i), DV_S(hash)) != 0)
			goto fail;
		json_array_append_new(a, json_string(code));
	}
	wipe(code, sizeof(code));
	wipe(norm, sizeof(norm));
	return a;
fail:
	wipe(code, sizeof(code));
	wipe(norm, sizeof(norm));
	json_decref(a);
	return NULL;
}

/* The factor, new recovery codes, the session's stage: one transaction. */
struct enroll {
	struct req		*r;
	const struct buf	*secret;
	const unsigned char	*hash;
	int64_t			 step;
	json_t			*codes;
};

static int
enroll_tx(struct db *db, void *arg)
{
	struct enroll	*x = arg;

	json_decref(x->codes);		/* a retried try makes new ones */
	x->codes = NULL;
	if (DB_EXEC(db, SQL_ACCOUNT_TOTP_SET, DV_B(x->secret->p,
	    x->secret->len), DV_I(x->step), DV_I(now_s()), DV_I(x->r->account),
	    DV_I(x->r->tenant)) != 0 || (x->codes = recovery_codes(x->r)) ==
	    NULL || DB_EXEC(db, SQL_SESSION_STAGE, DV_I(0), DV_B(x->hash,
	    32)) != 0)
		return -1;
	return 0;
}

void
web_account_totp_confirm(struct call *c)
{
	struct req	*r = c->r;
	struct buf	 secret = { 0 };
	unsigned char	 hash[32];
	char		 b32[TOTP_B32_MAX];
	struct enroll	 x = { r, &secret, hash, 0, NULL };

	if (web_session_hash(r, hash) != 0 || DB_QUERY(r->db,
	    SQL_SESSION_PENDING_GET, db_row_first_bytes, &secret,
	    DV_B(hash, 32)) < 0) {
		call_db_error(c, "second factor");
		goto out;
	}
	if (secret.len != TOTP_SECRET_LEN) {
		account_page(c, 400, "Start the enrollment again: no secret is "
		    "being enrolled in this session.", NULL, NULL);
		goto out;
	}
	x.step = c->q[P_CODE].set ? totp_check((unsigned char *)secret.p,
	    secret.len, c->q[P_CODE].s, now_s(), 0) : -1;
	if (x.step < 0) {
		totp_b32((unsigned char *)secret.p, secret.len, b32,
		    sizeof(b32));
		note_self(c, "account.totp_enroll_failed", "failed");
		account_page(c, 400, "That code is not right; check the time "
		    "of your device and type the code it shows now.", b32,
		    NULL);
		wipe(b32, sizeof(b32));
		goto out;
	}
	if (db_tx(r->db, enroll_tx, &x) != 0) {
		json_decref(x.codes);
		call_db_error(c, "second factor");
		goto out;
	}
	r->stage = 0;
	note_self(c, "account.totp_enabled", "ok");
	account_page(c, 200, NULL, NULL, x.codes);
out:
	wipe(secret.p, secret.cap);
	buf_free(&secret);
}

void
web_account_totp_remove(struct call *c)
{
	struct req	*r = c->r;
	struct web_auth	 a;
	struct acct_ctx	 x = { 0 };
	int		 ok;

	if ((ok = password_right(c, c->q[P_PASSWORD].s, &a)) < 0 ||
	    DB_QUERY(r->db, SQL_ACCOUNT_AUTH, totp_row, &x,
	    DV_I(r->account)) < 0) {
		call_db_error(c, "second factor");
		goto out;
	}
	if (!x.have_totp) {
		account_page(c, 400, "Your account has no second factor.", NULL,
		    NULL);
		goto out;
	}
	if (x.required) {
		account_page(c, 403, "Your tenant requires owners to have a "
		    "second factor; it cannot be removed.", NULL, NULL);
		goto out;
	}
	/* The password and a code of the factor being removed. */
	if (!ok || !c->q[P_CODE].set || web_second_factor(r, &a,
	    c->q[P_CODE].s) < 0) {
		note_self(c, "account.totp_remove_failed", "failed");
		account_page(c, 403, "The password or the code is not right.",
		    NULL, NULL);
		goto out;
	}
	{
		struct db_step	 s[] = {
			DB_STEP(SQL_ACCOUNT_TOTP_SET, DV_NULL, DV_I(0),
			    DV_NULL, DV_I(r->account), DV_I(r->tenant)),
			DB_STEP(SQL_RECOVERY_CLEAR, DV_I(r->account)),
		};

		if (db_tx_steps(r->db, s, 2) != 0) {
			call_db_error(c, "second factor");
			goto out;
		}
	}
	note_self(c, "account.totp_removed", "ok");
	http_redirect(r, "/account?done=totp_removed");
out:
	wipe(&a, sizeof(a));
}

void
web_account_sessions_end(struct call *c)
{
	struct req	*r = c->r;
	unsigned char	 hash[32];
	int64_t		 n;

	if (web_session_hash(r, hash) != 0 || DB_EXEC(r->db,
	    SQL_SESSION_END_OTHERS, DV_I(r->account), DV_B(hash, 32)) != 0) {
		call_db_error(c, "sessions");
		return;
	}
	n = db_affected(r->db);
	note_self(c, "account.sessions_ended", "ok");
	log_info("web: account %" PRId64 " ended %" PRId64 " other sessions",
	    r->account, n);
	http_redirect(r, "/account?done=sessions_ended");
}

/* -- a reset link ---------------------------------------------------------- */

struct reset_row {
	int64_t	 account, tenant;
	char	 prefix[17];
	int	 found;
};

static int
reset_row(const struct db_row *r, void *arg)
{
	struct reset_row	*x = arg;

	x->account = db_row_int(r, 0);
	x->tenant = db_row_int(r, 1);
	snprintf(x->prefix, sizeof(x->prefix), "%s", db_row_str(r, 2));
	x->found = 1;
	return 1;
}

/* The live reset of the request's token; -1 on a database error. */
static int
reset_find(struct call *c, struct reset_row *x)
{
	unsigned char	 hash[32];
	const char	*tok = call_str(c, P_TOKEN);

	memset(x, 0, sizeof(*x));
	if (tok == NULL || session_hash(tok, hash) != 0)
		return 0;
	return DB_QUERY(c->r->db, SQL_RESET_GET, reset_row, x,
	    DV_B(hash, 32), DV_I(now_s())) < 0 ? -1 : 0;
}

static void
reset_page(struct call *c, int status, const struct reset_row *x,
    const char *error)
{
	web_page(c, status, "reset", "A new password", json_pack("{s:o, s:o,"
	    " s:o}", "token", x->found ? json_string(call_str(c, P_TOKEN)) :
	    json_null(), "login_prefix", x->found ? json_string(x->prefix) :
	    json_null(), "error", error != NULL ? json_string(error) :
	    json_null()));
}

void
web_reset_form(struct call *c)
{
	struct reset_row	 x;

	if (reset_find(c, &x) < 0) {
		call_db_error(c, "reset");
		return;
	}
	web_pre_session(c);
	reset_page(c, x.found ? 200 : 404, &x, x.found ? NULL : "This link "
	    "has expired or was used; ask an owner of your tenant for a new "
	    "one.");
}

void
web_reset(struct call *c)
{
	struct req		*r = c->r;
	struct reset_row	 x;
	char			 enc[PASSWD_ENCODED_MAX], target[32];
	const char		*why;

	if (reset_find(c, &x) < 0) {
		call_db_error(c, "reset");
		return;
	}
	if (!x.found) {
		reset_page(c, 404, &x, "This link has expired or was used; ask "
		    "an owner of your tenant for a new one.");
		return;
	}
	why = c->q[P_NEW_PASSWORD].set ? passwd_refusal(
	    c->q[P_NEW_PASSWORD].s) : "Choose a new password.";
	if (why != NULL) {
		reset_page(c, 400, &x, why);
		return;
	}
	/* The password, the link spent, every session ended: together. */
	if (passwd_hash(c->q[P_NEW_PASSWORD].s, enc) != 0) {
		wipe(enc, sizeof(enc));
		call_db_error(c, "reset");
		return;
	} else {
		struct db_step	 s[] = {
			DB_STEP(SQL_ACCOUNT_SET_PASSWORD, DV_S(enc),
			    DV_I(now_s()), DV_I(x.account), DV_I(x.tenant)),
			DB_STEP(SQL_RESET_CLEAR, DV_I(x.account)),
			DB_STEP(SQL_SESSION_DELETE_ACCOUNT, DV_I(x.account),
			    DV_I(x.tenant)),
		};

		if (db_tx_steps(r->db, s, 3) != 0) {
			wipe(enc, sizeof(enc));
			call_db_error(c, "reset");
			return;
		}
	}
	wipe(enc, sizeof(enc));
	snprintf(target, sizeof(target), "account:%" PRId64, x.account);
	call_note(c, x.tenant, "account.password_reset", target, "ok");
	http_redirect(r, "/login?done=password_reset");
}
