/*
 * web-tenant.c: what owners manage for their tenant: its accounts and
 * their roles, its API tokens (each shown once, when made), and the
 * month's billing estimate.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bill-push.h"
#include "log.h"
#include "pages.h"
#include "passwd.h"
#include "redact.h"
#include "session.h"
#include "token.h"
#include "web.h"

#define RESET_SECONDS	86400	/* a reset link lives a day */

/* The action's target: "account:7", "token:3". */
static const char *
target_of(const char *kind, int64_t id, char *out, size_t n)
{
	snprintf(out, n, "%s:%" PRId64, kind, id);
	return out;
}

struct rows_ctx {
	json_t	*a;
	int64_t	 self;
};

static int
account_row(const struct db_row *r, void *arg)
{
	struct rows_ctx	*x = arg;
	json_t		*o;

	o = json_pack("{s:I, s:s, s:s, s:I, s:o, s:b, s:b, s:b}",
	    "id", (json_int_t)db_row_int(r, 0),
	    "login_prefix", db_row_str(r, 1),
	    "role", db_row_str(r, 2),
	    "created_at", (json_int_t)db_row_int(r, 3),
	    "last_login_at", db_row_null(r, 4) ? json_null() :
	    json_integer(db_row_int(r, 4)),
	    "is_self", db_row_int(r, 0) == x->self,
	    "is_owner", strcmp(db_row_str(r, 2), "owner") == 0,
	    "totp", !db_row_null(r, 5));
	web_add_when(o, "created_at", now_s());
	web_add_when(o, "last_login_at", now_s());
	json_array_append_new(x->a, o);
	return 0;
}

/* The accounts page; reset_link is shown once, right after it is made. */
static void
accounts_page_with(struct call *c, int status, const char *error,
    const char *reset_link, const char *reset_for)
{
	struct rows_ctx	 x = { json_array(), c->r->account };
	int64_t		 required = 0;

	if (DB_QUERY(c->r->db, SQL_ACCOUNT_LIST, account_row, &x,
	    DV_I(c->r->tenant)) < 0 || DB_QUERY(c->r->db, SQL_TENANT_TOTP_GET,
	    db_row_first_int, &required, DV_I(c->r->tenant)) < 0) {
		json_decref(x.a);
		call_db_error(c, "accounts");
		return;
	}
	web_page(c, status, "accounts", "Accounts", json_pack("{s:o, s:o, s:b,"
	    " s:o}", "data", x.a, "error", error != NULL ? json_string(error) :
	    json_null(), "totp_required", required != 0, "reset",
	    reset_link != NULL ? json_pack("{s:s, s:s}", "link", reset_link,
	    "login_prefix", reset_for) : json_null()));
}

static void
accounts_page(struct call *c, int status, const char *error)
{
	accounts_page_with(c, status, error, NULL, NULL);
}

void
web_accounts(struct call *c)
{
	accounts_page(c, 200, NULL);
}

void
web_account_add(struct call *c)
{
	char		 sha[EMAIL_HASH_HEX], prefix[EMAIL_PREFIX_MAX];
	char		 enc[PASSWD_ENCODED_MAX], tgt[32];
	const char	*why;

	if (!c->q[P_EMAIL].set || !c->q[P_ROLE].set ||
	    !c->q[P_PASSWORD].set) {
		accounts_page(c, 400, "Give an email address, a role and a "
		    "password.");
		return;
	}
	if ((why = passwd_refusal(c->q[P_PASSWORD].s)) != NULL) {
		accounts_page(c, 400, why);
		return;
	}
	email_hash(c->q[P_EMAIL].s, sha, prefix);
	if (passwd_hash(c->q[P_PASSWORD].s, enc) != 0 ||
	    DB_EXEC(c->r->db, SQL_ACCOUNT_ADD, DV_I(c->r->tenant), DV_S(sha),
	    DV_S(prefix), DV_S(c->q[P_ROLE].s), DV_S(enc),
	    DV_I(now_s())) != 0) {
		if (db_errno(c->r->db) == 1062)
			accounts_page(c, 400, "An account with that email "
			    "address exists.");
		else
			call_db_error(c, "account add");
		return;
	}
	call_note(c, 0, "account.added", target_of("account",
	    db_insert_id(c->r->db), tgt, sizeof(tgt)), "ok");
	http_redirect(c->r, "/accounts?done=account_added");
}

/* Would account id's change leave the tenant without an owner? */
static int
last_owner(struct call *c, int64_t id)
{
	int64_t	 others = 0;

	if (DB_QUERY(c->r->db, SQL_ACCOUNT_OWNERS, db_row_first_int, &others,
	    DV_I(c->r->tenant), DV_I(id)) < 0)
		return -1;
	return others == 0;
}

void
web_account_role(struct call *c)
{
	char	 tgt[32];
	int	 last;

	if (!c->q[P_ROLE].set) {
		accounts_page(c, 400, "Choose a role.");
		return;
	}
	if (strcmp(c->q[P_ROLE].s, "viewer") == 0 &&
	    (last = last_owner(c, c->id)) != 0) {
		if (last < 0)
			call_db_error(c, "account role");
		else
			accounts_page(c, 400, "That is the last owner; make "
			    "another account an owner first.");
		return;
	}
	if (DB_EXEC(c->r->db, SQL_ACCOUNT_SET_ROLE, DV_S(c->q[P_ROLE].s),
	    DV_I(c->id), DV_I(c->r->tenant)) != 0) {
		call_db_error(c, "account role");
		return;
	}
	if (db_affected(c->r->db) == 0) {
		web_error(c, 404, "There is no such account.");
		return;
	}
	call_note(c, 0, strcmp(c->q[P_ROLE].s, "owner") == 0 ?
	    "account.made_owner" : "account.made_viewer", target_of("account",
	    c->id, tgt, sizeof(tgt)), "ok");
	http_redirect(c->r, "/accounts?done=role_changed");
}

void
web_account_delete(struct call *c)
{
	char	 tgt[32];

	if (c->id == c->r->account) {
		accounts_page(c, 400, "You cannot remove your own account; "
		    "ask another owner.");
		return;
	}
	if (DB_EXEC(c->r->db, SQL_SESSION_DELETE_ACCOUNT, DV_I(c->id),
	    DV_I(c->r->tenant)) != 0 || DB_EXEC(c->r->db, SQL_ACCOUNT_DELETE,
	    DV_I(c->id), DV_I(c->r->tenant)) != 0) {
		call_db_error(c, "account delete");
		return;
	}
	if (db_affected(c->r->db) == 0) {
		web_error(c, 404, "There is no such account.");
		return;
	}
	call_note(c, 0, "account.removed", target_of("account", c->id, tgt,
	    sizeof(tgt)), "ok");
	http_redirect(c->r, "/accounts?done=account_removed");
}

static int
prefix_row(const struct db_row *r, void *arg)
{
	snprintf(arg, 17, "%s", db_row_str(r, 0));
	return 1;
}

/*
 * A one-time link for another account's new password, shown once to
 * the owner who asked, who hands it over.  Only its hash is kept.
 */
void
web_account_reset(struct call *c)
{
	struct req	*r = c->r;
	struct buf	 link = { 0 };
	unsigned char	 hash[32];
	char		 tok[SESSION_TOKEN_LEN + 1], prefix[17] = "", tgt[32];
	int64_t		 now = now_s();

	if (c->id == r->account) {
		accounts_page(c, 400, "Change your own password on your "
		    "account page.");
		return;
	}
	if (DB_QUERY(r->db, SQL_ACCOUNT_OF_TENANT, prefix_row, prefix,
	    DV_I(c->id), DV_I(r->tenant)) < 0) {
		call_db_error(c, "reset");
		return;
	}
	if (prefix[0] == '\0') {
		web_error(c, 404, "There is no such account.");
		return;
	}
	/* One live link per account: a new one replaces the old. */
	if (session_new(tok, hash) != 0) {
		wipe(tok, sizeof(tok));
		call_db_error(c, "reset");
		return;
	} else {
		struct db_step	 s[] = {
			DB_STEP(SQL_RESET_CLEAR, DV_I(c->id)),
			DB_STEP(SQL_RESET_ADD, DV_B(hash, 32), DV_I(r->tenant),
			    DV_I(c->id), DV_I(r->account), DV_I(now),
			    DV_I(now + RESET_SECONDS)),
		};

		if (db_tx_steps(r->db, s, 2) != 0) {
			wipe(tok, sizeof(tok));
			call_db_error(c, "reset");
			return;
		}
	}
	call_note(c, 0, "account.reset_link_made", target_of("account", c->id,
	    tgt, sizeof(tgt)), "ok");
	buf_printf(&link, "%s/reset?token=%s", r->conf->public_origin, tok);
	wipe(tok, sizeof(tok));
	accounts_page_with(c, 200, NULL, link.p, prefix);
	wipe(link.p, link.cap);
	buf_free(&link);
}

/*
 * Owners must have a second factor.  Turning it on needs one's own, and
 * sends every other owner without one to enroll it at their next page.
 */
void
web_totp_policy(struct call *c)
{
	struct req	*r = c->r;
	struct web_auth	 a;
	int		 on = c->q[P_REQUIRE].set && c->q[P_REQUIRE].b;
	char		 tgt[32];

	if (!c->q[P_REQUIRE].set) {
		accounts_page(c, 400, "Choose whether owners need a second "
		    "factor.");
		return;
	}
	if (web_account_auth(r, &a) != 0) {
		call_db_error(c, "second factor policy");
		return;
	}
	if (on && a.secret_len == 0) {
		wipe(&a, sizeof(a));
		accounts_page(c, 400, "Enroll a second factor for your own "
		    "account first (Your account).");
		return;
	}
	wipe(&a, sizeof(a));
	{
		/* Turned on, every session of the tenant must enroll. */
		struct db_step	 s[] = {
			DB_STEP(SQL_TENANT_TOTP_POLICY, DV_I(on),
			    DV_I(r->tenant)),
			DB_STEP(SQL_SESSION_MUST_ENROLL, DV_I(r->tenant)),
		};

		if (db_tx_steps(r->db, s, on ? 2 : 1) != 0) {
			call_db_error(c, "second factor policy");
			return;
		}
	}
	call_note(c, 0, on ? "tenant.totp_required" : "tenant.totp_optional",
	    target_of("tenant", r->tenant, tgt, sizeof(tgt)), "ok");
	http_redirect(r, on ? "/accounts?done=totp_required_on" :
	    "/accounts?done=totp_required_off");
}

/* The tenant's trail: who did what, newest first. */
void
web_activity(struct call *c)
{
	struct buf	 next = { 0 };
	enum list_rc	 rc;
	json_t		*out = NULL, *row;
	size_t		 i;

	rc = list_activity(c->r->db, c->r->tenant, call_str(c, P_ACTION),
	    c->q[P_SINCE].set ? c->q[P_SINCE].i : -1, c->q[P_UNTIL].set ?
	    c->q[P_UNTIL].i : -1, call_str(c, P_CURSOR), WEB_PER_PAGE, &out);
	if (rc == LIST_BAD_CURSOR) {
		web_error(c, 400, "That page link is not valid; start from the "
		    "first page.");
		return;
	}
	if (rc != LIST_OK) {
		call_db_error(c, "activity");
		return;
	}
	json_array_foreach(json_object_get(out, "data"), i, row)
		web_add_when(row, "at", now_s());
	if (json_is_string(json_object_get(out, "next_cursor"))) {
		buf_printf(&next, "/activity");
		web_carry_params(c, &next);
		web_url_param(&next, "cursor", json_string_value(
		    json_object_get(out, "next_cursor")));
		json_object_set_new(out, "next_url", json_string(next.p));
		buf_free(&next);
	}
	json_object_set_new(out, "action", json_string(call_str(c, P_ACTION) ?
	    call_str(c, P_ACTION) : ""));
	json_object_set_new(out, "has_rows", json_boolean(json_array_size(
	    json_object_get(out, "data")) > 0));
	web_page(c, 200, "activity", "Activity", out);
}

static int
token_row(const struct db_row *r, void *arg)
{
	json_t	*o;

	o = json_pack("{s:I, s:s, s:I, s:b, s:s}", "id",
	    (json_int_t)db_row_int(r, 0), "name", db_row_str(r, 1),
	    "created_at", (json_int_t)db_row_int(r, 2), "revoked",
	    !db_row_null(r, 3), "scope", db_row_str(r, 4));
	web_add_when(o, "created_at", now_s());
	json_array_append_new(arg, o);
	return 0;
}

/* The tokens page; new_token is shown once, right after it is made. */
static void
tokens_page(struct call *c, int status, const char *error,
    const char *new_token)
{
	json_t	*a = json_array();

	if (DB_QUERY(c->r->db, SQL_TOKEN_LIST, token_row, a,
	    DV_I(c->r->tenant)) < 0) {
		json_decref(a);
		call_db_error(c, "tokens");
		return;
	}
	web_page(c, status, "tokens", "API tokens", json_pack("{s:b, s:o, s:o,"
	    " s:o}", "has_tokens", json_array_size(a) > 0, "data", a,
	    "error", error ? json_string(error) : json_null(),
	    "new_token", new_token ? json_string(new_token) : json_null()));
}

void
web_tokens(struct call *c)
{
	tokens_page(c, 200, NULL, NULL);
}

void
web_token_add(struct call *c)
{
	char		 tok[TOKEN_LEN + 1], tgt[32];
	unsigned char	 hash[32];

	if (!c->q[P_NAME].set) {
		tokens_page(c, 400, "Name the token after what will use it.",
		    NULL);
		return;
	}
	if (token_new(tok, hash) != 0 || DB_EXEC(c->r->db, SQL_TOKEN_ADD,
	    DV_I(c->r->tenant), DV_S(c->q[P_NAME].s), DV_B(hash, 32),
	    DV_I(now_s()), DV_S(c->q[P_SCOPE].set ? c->q[P_SCOPE].s :
	    "read")) != 0) {
		call_db_error(c, "token add");
		return;
	}
	call_note(c, 0, "token.created", target_of("token", db_insert_id(
	    c->r->db), tgt, sizeof(tgt)), "ok");
	tokens_page(c, 200, NULL, tok);
	wipe(tok, sizeof(tok));
}

void
web_token_revoke(struct call *c)
{
	char	 tgt[32];

	if (DB_EXEC(c->r->db, SQL_TOKEN_REVOKE_TENANT, DV_I(now_s()),
	    DV_I(c->id), DV_I(c->r->tenant)) != 0) {
		call_db_error(c, "token revoke");
		return;
	}
	if (db_affected(c->r->db) == 0) {
		web_error(c, 404, "There is no such active token.");
		return;
	}
	call_note(c, 0, "token.revoked", target_of("token", c->id, tgt,
	    sizeof(tgt)), "ok");
	http_redirect(c->r, "/tokens?done=token_revoked");
}

void
web_billing(struct call *c)
{
	json_t	*view;

	if (billing_view(c->r->db, c->r->tenant, now_s(), &view) != 0) {
		call_db_error(c, "billing");
		return;
	}
	json_object_set_new(json_object_get(view, "estimate"), "has_orgs",
	    json_boolean(json_array_size(json_object_get(json_object_get(view,
	    "estimate"), "orgs")) > 0));
	json_object_set_new(view, "has_invoices", json_boolean(
	    json_array_size(json_object_get(view, "invoices")) > 0));
	web_page(c, 200, "billing", "Billing", view);
}

