/*
 * pages.h: every route's handler, by the file that holds it.  route.c's
 * table names them; each receives a struct call the gate has checked
 * (route.h) and answers the request.
 */
#ifndef ORGAUDIT_PAGES_H
#define ORGAUDIT_PAGES_H

#include <jansson.h>

#include "route.h"

/* web-session.c: signing in and out. */
void	 web_root(struct call *);
void	 web_login_form(struct call *);
void	 web_login(struct call *);
void	 web_logout(struct call *);
void	 web_login_totp_form(struct call *);
void	 web_login_totp(struct call *);

/* web-account.c: one's own account, and a reset link's page. */
void	 web_account(struct call *);
void	 web_account_password(struct call *);
void	 web_account_totp_begin(struct call *);
void	 web_account_totp_confirm(struct call *);
void	 web_account_totp_remove(struct call *);
void	 web_account_sessions_end(struct call *);
void	 web_reset_form(struct call *);
void	 web_reset(struct call *);

/* web-orgs.c: the org list, connecting, an org's overview. */
void	 web_orgs(struct call *);
void	 web_connect_form(struct call *);
void	 web_connect(struct call *);
void	 web_org(struct call *);
void	 web_replace_key(struct call *);
void	 web_disconnect(struct call *);

/* web-lists.c: a list under an org, the keys page, the audit log's form. */
void	 web_list(struct call *);
void	 web_keys(struct call *);
void	 web_events_filters(struct call *, json_t *data);
void	 web_findings_filters(struct call *, json_t *data);

/* web-usage.c: an org's usage and costs, the tenant's spend. */
void	 web_usage(struct call *);
void	 web_tenant_usage(struct call *);

/* web-packs.c: evidence packs. */
void	 web_packs(struct call *);
void	 web_pack_create(struct call *);
void	 web_pack_get(struct call *);

/* web-tenant.c: accounts, tokens and billing (owners). */
void	 web_accounts(struct call *);
void	 web_account_add(struct call *);
void	 web_account_role(struct call *);
void	 web_account_delete(struct call *);
void	 web_tokens(struct call *);
void	 web_token_add(struct call *);
void	 web_token_revoke(struct call *);
void	 web_account_reset(struct call *);
void	 web_totp_policy(struct call *);
void	 web_activity(struct call *);
void	 web_findings(struct call *);

/* web-alerts.c: the tenant's alert channels and their messages. */
void	 web_notifications(struct call *);
void	 web_alert_add(struct call *);
void	 web_alert_remove(struct call *);
void	 web_alert_test(struct call *);
void	 web_alert_resend(struct call *);
void	 web_billing(struct call *);

/* api.c: the JSON API. */
void	 api_health(struct call *);
void	 api_signing_key(struct call *);
void	 api_billing(struct call *);
void	 api_orgs(struct call *);
void	 api_org(struct call *);
void	 api_list(struct call *);
void	 api_export(struct call *);
void	 api_packs(struct call *);
void	 api_pack_create(struct call *);
void	 api_pack_get(struct call *);
void	 api_job(struct call *);
void	 api_activity(struct call *);
void	 api_findings_summary(struct call *);
/* api-usage.c */
void	 api_costs(struct call *);
void	 api_usage(struct call *);
void	 api_unmapped(struct call *);
/*
 * The rows of SQL_API_UNMAPPED for days since to until (exclusive):
 * kind, id, amount, requests, first day, last day (the usage page
 * reads SQL_DASH_UNMAPPED, the same rows of every day from the totals).
 * db_query's result.
 */
long	 usage_unmapped(struct db *db, int64_t tenant, int64_t org,
	    int64_t since, int64_t until, db_row_cb cb, void *arg);
/*
 * The costs of days since to until (exclusive) per project, from the
 * running sums (cost_cum_project): rows as SQL_API_COSTS's (NULL, project
 * or NULL for none, NULL, NULL, amount, currency) in project order, for
 * the projects with costs in the range.  db_query's result.
 */
long	 costs_by_project(struct db *db, int64_t tenant, int64_t org,
	    int64_t since, int64_t until, db_row_cb cb, void *arg);

/* api-ocsf.c: the OCSF exports. */
void	 api_ocsf_events(struct call *);
void	 api_ocsf_findings(struct call *);

#endif
