/*
 * web-lists.c: the page of a list under an org (the list table, list.h):
 * its rows with times people read, a link to the next page that keeps
 * the filters, the org's header; the keys page, which sorts and pages by
 * number; the audit log's filter form.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "list.h"
#include "pages.h"
#include "rules.h"
#include "web.h"

/*
 * Beside each row's times (members ending in "_at", and the "at" of
 * members ending in "_by") the forms people read, and a short name.
 */
static void
rows_for_people(json_t *rows, int64_t now)
{
	json_t		*o, *v, *names;
	const char	*k;
	size_t		 i, n;

	json_array_foreach(rows, i, o) {
		names = json_array();
		json_object_foreach(o, k, v)
			if (strlen(k) > 3 && (strcmp(k + strlen(k) - 3, "_at") ==
			    0 || strcmp(k + strlen(k) - 3, "_by") == 0))
				json_array_append_new(names, json_string(k));
		json_array_foreach(names, n, v) {
			k = json_string_value(v);
			if (k[strlen(k) - 1] == 't')
				web_add_when(o, k, now);
			else
				web_add_when(json_object_get(o, k), "at", now);
		}
		json_decref(names);
		web_add_short(o, "name");
	}
}

void
web_list_page(struct call *c, const char *tab, const char *tpl,
    const char *title, list_build_fn build, list_decorate_fn decorate,
    const char *key)
{
	json_t		*data = NULL, *page;
	enum list_rc	 rc;
	struct buf	 next = { 0 };
	char		 body[64];

	rc = build(c, call_str(c, P_CURSOR), WEB_PER_PAGE, &data);
	if (rc == LIST_BAD_CURSOR) {
		web_error(c, 400, "That page link is not valid any more.");
		return;
	}
	if (rc != LIST_OK) {
		call_db_error(c, tpl);
		return;
	}
	if (decorate != NULL)
		decorate(c, data);
	rows_for_people(json_object_get(data, "data"), now_s());
	if (json_is_string(json_object_get(data, "next_cursor"))) {
		buf_adds(&next, c->r->path);
		web_carry_params(c, &next);
		web_url_param(&next, "cursor", json_string_value(
		    json_object_get(data, "next_cursor")));
		json_object_set_new(data, "next_href", json_string(next.p));
		buf_free(&next);
	}
	json_object_set_new(data, "empty", json_boolean(json_array_size(
	    json_object_get(data, "data")) == 0));
	if (c->oaid[0] != '\0')
		json_object_set_new(data, "project_id", json_string(c->oaid));
	if ((page = web_org_page(c, tab, data)) == NULL) {
		call_db_error(c, tpl);
		return;
	}
	snprintf(body, sizeof(body), "%s-body", tpl);
	web_page_keep(c, key != NULL ? key : "", tpl, body, title, page);
}

/* A list of the list table under an org, as a page. */
void
web_list(struct call *c)
{
	const struct list_def	*d = c->rt->list;
	char			 tab[64], key[CACHE_KEY_MAX] = "";

	if (d->cached && web_page_cached(c, d->title, key))
		return;
	snprintf(tab, sizeof(tab), "/%s", d->name);
	web_list_page(c, tab, d->tpl, d->title, list_build, d->decorate, key);
}

/* The audit log's form shows the filters in force. */
void
web_events_filters(struct call *c, json_t *data)
{
	char	 since[16], until[16];

	json_object_set_new(data, "filters", json_pack("{s:s?, s:s?, s:s?,"
	    " s:s?, s:s?, s:s?}", "event_type", call_str(c,
	    P_FORM_EVENT_TYPE), "actor", call_str(c, P_ACTOR), "project",
	    call_str(c, P_PROJECT), "target", call_str(c, P_TARGET),
	    "since", c->q[P_SINCE].set ? web_utc_date(c->q[P_SINCE].i,
	    since) : NULL, "until", c->q[P_UNTIL].set ? web_utc_date(
	    c->q[P_UNTIL].i, until) : NULL));
}

/*
 * The findings page's form shows the filters in force, and each row how
 * long it was open and its evidence as text.
 */
void
web_findings_filters(struct call *c, json_t *data)
{
	static const char *const statuses[][2] = { { "open", "open" },
	    { "resolved", "resolved" }, { "all", "open and resolved" } };
	static const char *const sevs[][2] = { { "", "any severity" },
	    { "high", "high" }, { "medium", "medium" }, { "low", "low" } };
	json_t		*rules = json_array(), *row;
	const char	*rule = call_str(c, P_RULE), *status;
	int64_t		 open, until;
	size_t		 i;
	char		*ev;

	status = call_str(c, P_FINDING_STATUS) ? call_str(c, P_FINDING_STATUS) :
	    "open";
	json_array_append_new(rules, json_pack("{s:s, s:s, s:b}", "value", "",
	    "label", "any rule", "selected", rule == NULL));
	for (i = 0; i < rules_count(); i++)
		json_array_append_new(rules, json_pack("{s:s, s:s, s:b}",
		    "value", rules_at(i)->id, "label", rules_at(i)->id,
		    "selected", rule != NULL && strcmp(rule, rules_at(i)->id) ==
		    0));
	json_object_set_new(data, "filters", json_pack("{s:o, s:o, s:o, s:s?}",
	    "statuses", web_options(statuses, 3, status),
	    "severities", web_options(sevs, 4, call_str(c, P_SEVERITY) ?
	    call_str(c, P_SEVERITY) : ""),
	    "rules", rules, "subject", call_str(c, P_SUBJECT)));
	json_array_foreach(json_object_get(data, "data"), i, row) {
		open = json_integer_value(json_object_get(row, "opened_at"));
		until = json_is_integer(json_object_get(row, "resolved_at")) ?
		    json_integer_value(json_object_get(row, "resolved_at")) :
		    now_s();
		json_object_set_new(row, "open_days", json_integer((until -
		    open) / 86400));
		json_object_set_new(row, "sev_class", json_sprintf("sev-%s",
		    json_string_value(json_object_get(row, "severity"))));
		ev = json_dumps(json_object_get(row, "evidence"), JSON_COMPACT |
		    JSON_SORT_KEYS);
		json_object_set_new(row, "evidence_text", json_string(ev ? ev :
		    ""));
		free(ev);
	}
}

/* The keys page's own URL with page n, its filters kept. */
static char *
keys_href(const struct call *c, int64_t page)
{
	struct buf	 b = { 0 };
	char		 n[24];

	buf_printf(&b, "/orgs/%" PRId64 "/keys", c->org);
	web_carry_params(c, &b);
	snprintf(n, sizeof(n), "%" PRId64, page);
	web_url_param(&b, "page", page > 1 ? n : NULL);
	return buf_take(&b);
}

void
web_keys(struct call *c)
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
	char			*href, key[CACHE_KEY_MAX];

	if (web_page_cached(c, "Keys", key))
		return;
	f.stale = c->q[P_STALE].set ? c->q[P_STALE].b : -1;
	f.orphan = c->q[P_ORPHAN].set ? c->q[P_ORPHAN].b : -1;
	f.type = call_str(c, P_KEY_TYPE);
	f.project = call_str(c, P_PROJECT);
	f.finding = call_str(c, P_FINDING);
	if (list_keys_sorted(c->r->db, c->r->tenant, c->org, &f,
	    call_str(c, P_SORT), c->q[P_DIR].set && strcmp(c->q[P_DIR].s,
	    "desc") == 0, c->q[P_PAGE].set ? c->q[P_PAGE].i : 1,
	    WEB_PER_PAGE, &data) != LIST_OK ||
	    list_add_findings(c, c->rt->list, data) != LIST_OK ||
	    list_project_names(c->r->db, c->r->tenant, c->org, &projects) !=
	    LIST_OK) {
		json_decref(data);
		call_db_error(c, "keys");
		return;
	}
	json_array_foreach(json_object_get(data, "data"), i, k) {
		web_add_when(k, "created_at", now);
		web_add_when(k, "last_used_at", now);
		web_add_when(json_object_get(k, "created_by"), "at", now);
		web_add_short(k, "name");
		web_add_short(json_object_get(k, "project"), "name");
		web_add_short(json_object_get(k, "owner"), "label");
		web_add_usage(k);
	}
	json_array_foreach(projects, i, opt) {
		web_add_short(opt, "name");
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
	    "stale", web_options(tri, 3, web_tristate(c, P_STALE)),
	    "orphan", web_options(tri, 3, web_tristate(c, P_ORPHAN)),
	    "type", web_options(types, 5, call_str(c, P_KEY_TYPE)),
	    "project", projects,
	    "sort", web_options(sorts, 5, call_str(c, P_SORT) ? call_str(c,
	    P_SORT) : "last_used"),
	    "dir", web_options(dirs, 2, call_str(c, P_DIR) ? call_str(c,
	    P_DIR) : "asc"),
	    "any", f.stale >= 0 || f.orphan >= 0 || f.type || f.project));
	json_object_set_new(data, "empty", json_boolean(json_integer_value(
	    json_object_get(data, "total")) == 0));
	if ((page = web_org_page(c, "/keys", data)) == NULL) {
		call_db_error(c, "keys");
		return;
	}
	web_page_keep(c, key, "keys", "keys-body", "Keys", page);
}
