/*
 * web-orgs.c: the tenant's orgs, connecting one (or replacing its admin
 * key) with its capability checklist, disconnecting, and an org's
 * overview: keys by age of last use and each stream's last pull.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cache.h"
#include "connect.h"
#include "list.h"
#include "log.h"
#include "pages.h"
#include "web.h"

void
web_orgs(struct call *c)
{
	json_t	*out = NULL, *o;
	size_t	 i;

	if (list_orgs(c->r->db, c->r->tenant, NULL, 1000, &out) != LIST_OK) {
		call_db_error(c, "orgs");
		return;
	}
	json_array_foreach(json_object_get(out, "data"), i, o) {
		web_add_when(json_object_get(o, "last_run"), "started_at",
		    now_s());
		web_add_short(o, "name");
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

void
web_connect_form(struct call *c)
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
connect_run(struct call *c, int64_t org)
{
	struct connect_result	 res;
	char			 loc[64];
	int			 status;

	if (!c->q[P_KEY].set) {
		web_page(c, 400, "connect", "Connect an org",
		    connect_page(NULL, "Paste the admin key.", org));
		return;
	}
	if (connect_org(c->r->db, c->r->conf, c->r->tenant, org,
	    c->q[P_NAME].set ? c->q[P_NAME].s : NULL,
	    key_trim(c->q[P_KEY].s), &res) == 0) {
		snprintf(loc, sizeof(loc), "org:%" PRId64, res.org_id);
		call_note(c, 0, org ? "org.key_replaced" : "org.connected", loc,
		    "ok");
		snprintf(loc, sizeof(loc), "/orgs/%" PRId64 "?done=%s",
		    res.org_id, org ? "replaced" : "connected");
		http_redirect(c->r, loc);
		return;
	}
	status = res.outcome == CONNECT_UNREACHABLE ? 503 :
	    res.outcome == CONNECT_FAILED ? 500 : 400;
	if (res.outcome == CONNECT_FAILED)
		log_err("web: connect: %s", res.error);
	if (org != 0)
		snprintf(loc, sizeof(loc), "org:%" PRId64, org);
	call_note(c, 0, org ? "org.key_replaced" : "org.connected", org ?
	    loc : NULL, "refused");
	web_page(c, status, "connect", org ? "Replace the admin key" :
	    "Connect an org", connect_page(&res, res.outcome ==
	    CONNECT_FAILED ? "The org could not be stored; nothing was "
	    "saved. Try again, or ask the operator to check the log." :
	    res.error, org));
}

void
web_connect(struct call *c)
{
	connect_run(c, 0);
}

void
web_replace_key(struct call *c)
{
	connect_run(c, c->org);
}

void
web_disconnect(struct call *c)
{
	char	 loc[64];

	if (connect_disconnect(c->r->db, c->r->tenant, c->org,
	    now_s()) < 0) {
		call_db_error(c, "disconnect");
		return;
	}
	snprintf(loc, sizeof(loc), "org:%" PRId64, c->org);
	call_note(c, 0, "org.disconnected", loc, "ok");
	snprintf(loc, sizeof(loc), "/orgs/%" PRId64 "?done=disconnected",
	    c->org);
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
	    "service_accounts", "project_users", "admin_api_keys", "invites",
	    "model_permissions", "project_spend_alerts", "spend_alerts",
	    "data_retention", "project_data_retention", "rate_limits", "roles",
	    "user_roles" };
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
				web_add_when(row, "pulled_at", now);
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

void
web_org(struct call *c)
{
	json_t	*ages = NULL, *runs = NULL, *page, *org;
	char	 key[CACHE_KEY_MAX];
	bool	 keep;

	/*
	 * The page follows the pull in progress, so only the age chart (a
	 * count over every key) is kept, until the keys or the day change.
	 */
	keep = call_cache_key(c, "ages", key, sizeof(key));
	if ((!keep || (ages = cache_get(key)) == NULL) && list_key_ages(
	    c->r->db, c->r->tenant, c->org, &ages) == LIST_OK && keep)
		cache_put(key, ages);
	if (ages == NULL || list_runs(c->r->db, c->r->tenant, c->org, NULL, 1,
	    &runs) != LIST_OK ||
	    (page = web_org_page(c, "", json_object())) == NULL) {
		json_decref(ages);
		json_decref(runs);
		call_db_error(c, "org");
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

/*
 * The findings of every org of the tenant: open counts by org and
 * severity, the time each rule's findings took to resolve, and a line of
 * the open count over the last 30 days (inline SVG, no script).
 */
void
web_findings(struct call *c)
{
	json_t		*s = NULL, *days, *d, *orgs, *row, *o;
	struct buf	 pts = { 0 };
	int64_t		 max = 1, v;
	size_t		 i, n;
	const char	*sev;

	if (list_findings_summary(c->r->db, c->r->tenant, now_s(), &s) !=
	    LIST_OK) {
		call_db_error(c, "findings");
		return;
	}
	/* Per org: high, medium, low. */
	orgs = json_array();
	json_array_foreach(json_object_get(s, "open"), i, row) {
		o = json_array_size(orgs) ? json_array_get(orgs,
		    json_array_size(orgs) - 1) : NULL;
		if (o == NULL || json_integer_value(json_object_get(o, "id")) !=
		    json_integer_value(json_object_get(row, "org_id"))) {
			o = json_pack("{s:O, s:O, s:I, s:I, s:I}", "id",
			    json_object_get(row, "org_id"), "name",
			    json_object_get(row, "org_name"), "high", 0,
			    "medium", 0, "low", 0);
			json_array_append_new(orgs, o);
		}
		sev = json_string_value(json_object_get(row, "severity"));
		if (sev != NULL && json_is_integer(json_object_get(o, sev)))
			json_object_set_new(o, sev, json_integer(
			    json_integer_value(json_object_get(o, sev)) +
			    json_integer_value(json_object_get(row, "open"))));
	}
	days = json_object_get(s, "open_over_30_days");
	n = json_array_size(days);
	json_array_foreach(days, i, d)
		if ((v = json_integer_value(json_object_get(d, "open"))) > max)
			max = v;
	json_array_foreach(days, i, d)
		buf_printf(&pts, "%s%zu,%" PRId64, i ? " " : "", n > 1 ?
		    i * 300 / (n - 1) : 0, (int64_t)(90 - json_integer_value(
		    json_object_get(d, "open")) * 80 / max));
	/* Days with one decimal, rounded, in integers. */
	json_array_foreach(json_object_get(s, "time_to_resolve_90_days"), i,
	    row) {
		v = (json_integer_value(json_object_get(row,
		    "mean_seconds_to_resolve")) + 4320) / 8640;
		json_object_set_new(row, "mean_days", json_sprintf("%" PRId64
		    ".%" PRId64, v / 10, v % 10));
	}
	json_object_set_new(s, "orgs", orgs);
	json_object_set_new(s, "has_open", json_boolean(json_array_size(orgs) >
	    0));
	json_object_set_new(s, "chart", json_pack("{s:s, s:I, s:I}", "points",
	    pts.p != NULL ? pts.p : "", "max", (json_int_t)max, "now",
	    n ? json_integer_value(json_object_get(json_array_get(days,
	    n - 1), "open")) : 0));
	buf_free(&pts);
	web_page(c, 200, "findings-overview", "Findings", s);
}
