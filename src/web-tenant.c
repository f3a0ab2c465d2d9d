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
#include "token.h"
#include "web.h"

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
	web_add_when(o, "created_at", now_s());
	web_add_when(o, "last_login_at", now_s());
	json_array_append_new(x->a, o);
	return 0;
}

static void
accounts_page(struct call *c, int status, const char *error)
{
	struct rows_ctx	 x = { json_array(), c->r->account };

	if (DB_QUERY(c->r->db, SQL_ACCOUNT_LIST, account_row, &x,
	    DV_I(c->r->tenant)) < 0) {
		json_decref(x.a);
		call_db_error(c, "accounts");
		return;
	}
	web_page(c, status, "accounts", "Accounts", json_pack("{s:o, s:o}",
	    "data", x.a, "error", error != NULL ? json_string(error) :
	    json_null()));
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
	char		 enc[PASSWD_ENCODED_MAX];
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
	http_redirect(c->r, "/accounts?done=role_changed");
}

void
web_account_delete(struct call *c)
{
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
	http_redirect(c->r, "/accounts?done=account_removed");
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
	char		 tok[TOKEN_LEN + 1];
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
	tokens_page(c, 200, NULL, tok);
	wipe(tok, sizeof(tok));
}

void
web_token_revoke(struct call *c)
{
	if (DB_EXEC(c->r->db, SQL_TOKEN_REVOKE_TENANT, DV_I(now_s()),
	    DV_I(c->id), DV_I(c->r->tenant)) != 0) {
		call_db_error(c, "token revoke");
		return;
	}
	if (db_affected(c->r->db) == 0) {
		web_error(c, 404, "There is no such active token.");
		return;
	}
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

