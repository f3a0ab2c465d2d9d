/*
 * list.h: the view model of every list and detail orgaudit shows, and
 * the list table.  The JSON API returns these objects as they are; the
 * dashboard renders the same objects through its templates.  Every
 * function reads only the given tenant's rows.
 *
 * The list table has one row per list under an org: its statement, how
 * it pages, its cursor letter, its view, its filters, its path (the API
 * route /api/v1/openai/orgs/{id}/<name> and the page /orgs/{id}/<name>
 * come from it, route.h), its tab, template and title.  Adding a list is
 * its statement and columns (sql.h, sql.c), a row here, a template.
 *
 * Builders return LIST_OK and set *out (a new reference), or
 * LIST_BAD_CURSOR (the cursor was not made by this list), LIST_DB (see
 * db_error()) or LIST_NOT_FOUND.
 */
#ifndef ORGAUDIT_LIST_H
#define ORGAUDIT_LIST_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "db.h"
#include "route.h"

enum list_rc { LIST_OK, LIST_BAD_CURSOR, LIST_DB, LIST_NOT_FOUND };

/* A list's own builder: the page of c's list after cursor. */
typedef enum list_rc (*list_build_fn)(struct call *c, const char *cursor,
    int64_t limit, json_t **out);
/* What a page (not the API) adds to a built list. */
typedef void (*list_decorate_fn)(struct call *c, json_t *data);

#define LIST_FILTERS_MAX	4

/*
 * One list.  Without build, the list pages its statement by the OpenAI
 * id in its first column, ascending, bound as (tenant, org, [the stream's
 * current generation], [the project of the path], after, each filter as
 * (value, value), limit + 1).
 */
struct list_def {
	const char		*name;		/* the path's last segment */
	const char		*title;
	const char		*tab;		/* the org's tab; NULL: none */
	const char		*tpl;		/* the page's template */
	char			 cursor;	/* the cursors' kind letter */
	enum sql_stmt		 stmt;
	const char		*stream;	/* its generation is bound */
	const char		*object;	/* view_cols()'s "object" */
	json_t			*(*view)(const struct db_row *); /* or NULL */
	enum param		 filters[LIST_FILTERS_MAX];	/* P__MAX: none */
	uint64_t		 api_params;	/* beyond limit and cursor */
	uint64_t		 page_params;	/* beyond cursor and done */
	bool			 per_project;	/* under /projects/{project}/ */
	list_build_fn		 build;		/* or NULL */
	route_fn		 page;		/* the page's handler, or NULL */
	list_decorate_fn	 decorate;	/* or NULL */
	/* The finding subject types of its rows: their live findings join
	 * each row's "findings" (list_build).  NULL: none. */
	const char		*subject, *subject2;
	/* Its answers, the API's and the page's, change only with the
	 * org's stamp (route.h call_cache_key): a web process may keep
	 * them. */
	bool			 cached;
};

/* The list table. */
size_t			 list_count(void);
const struct list_def	*list_at(size_t i);
/* The cursor letters lists and other paging use, for a uniqueness test. */
const char		*list_cursor_kinds(void);

/* The page of c's list (c->rt->list) after cursor. */
enum list_rc	 list_build(struct call *c, const char *cursor, int64_t limit,
		    json_t **out);
/*
 * Each row of page's "data" gains the live findings of d's subject types
 * with its id in its "findings" array: {"kind": rule, "severity",
 * "reason": message}, leaving out a rule the row's own columns show.
 */
enum list_rc	 list_add_findings(struct call *c, const struct list_def *d,
		    json_t *page);

/* Optional key filters: a NULL / negative field is "any". */
struct key_filter {
	int		 stale;		/* -1 any, 0, 1 */
	int		 orphan;
	const char	*type;
	const char	*project;
	const char	*finding;	/* a rule with an open finding */
};

/* {"data":[org…], "next_cursor": …} */
enum list_rc	 list_orgs(struct db *db, int64_t tenant, const char *cursor,
		    int64_t limit, json_t **out);
/* One org with its streams' last pulls; LIST_NOT_FOUND if not ours. */
enum list_rc	 list_org(struct db *db, int64_t tenant, int64_t org,
		    json_t **out);
/* {"data":[key…], "next_cursor": …}, ordered by id. */
enum list_rc	 list_keys(struct db *db, int64_t tenant, int64_t org,
		    const struct key_filter *f, const char *cursor,
		    int64_t limit, json_t **out);
/*
 * {"data":[key…], "total":N, "page":p, "pages":P}: keys in a chosen order
 * (sort: last_used, created, name, project, type), a page at a time.
 */
enum list_rc	 list_keys_sorted(struct db *db, int64_t tenant, int64_t org,
		    const struct key_filter *f, const char *sort, bool desc,
		    int64_t page, int64_t per_page, json_t **out);
/* Runs newest first, each with its streams. */
enum list_rc	 list_runs(struct db *db, int64_t tenant, int64_t org,
		    const char *cursor, int64_t limit, json_t **out);
/* Optional event filters: NULL / 0 is "any". */
struct event_filter {
	const char	*type;
	const char	*actor;		/* user, service account or key id */
	const char	*actor_email;	/* an address: matched by its hash */
	const char	*project;
	const char	*target;
	int64_t		 since;		/* effective_at >= since, if > 0 */
	int64_t		 until;		/* effective_at < until, if > 0 */
};

/* {"data":[event…], "next_cursor": …}: the org's audit log, newest first. */
enum list_rc	 list_events(struct db *db, int64_t tenant, int64_t org,
		    const struct event_filter *f, const char *cursor,
		    int64_t limit, json_t **out);

/* {"data":[pack…], "next_cursor": …}: newest first; org 0 is every org. */
enum list_rc	 list_packs(struct db *db, int64_t tenant, int64_t org,
		    const char *cursor, int64_t limit, json_t **out);

/* Counts of keys by age of last use: [{"label","count"}…], six buckets. */
/* An org's findings; NULL is any (status: open). */
struct finding_filter {
	const char	*status;	/* open, resolved, all */
	const char	*rule;
	const char	*severity;
	const char	*subject;	/* a subject's id */
};
enum list_rc	 list_findings(struct db *db, int64_t tenant, int64_t org,
		    const struct finding_filter *f, const char *cursor,
		    int64_t limit, json_t **out);
/* The tenant's findings: open counts, time to resolve, open over time. */
enum list_rc	 list_findings_summary(struct db *db, int64_t tenant,
		    int64_t now, json_t **out);

/* orgaudit's own trail; action NULL, since / until < 0: any. */
enum list_rc	 list_activity(struct db *db, int64_t tenant,
		    const char *action, int64_t since, int64_t until,
		    const char *cursor, int64_t limit, json_t **out);
/*
 * How many of the org's current keys were last used within 7, 30, 90 and
 * 365 days of the start of today (UTC), longer ago, or never: the same
 * answer all day, so a web process may keep it.
 */
enum list_rc	 list_key_ages(struct db *db, int64_t tenant, int64_t org,
		    json_t **out);
/* The org's projects as [{"id","name"}…], for filters. */
enum list_rc	 list_project_names(struct db *db, int64_t tenant,
		    int64_t org, json_t **out);

/*
 * Opaque list cursors: base64url of "<kind>\n<key>[\n<key2>]".  Encodes
 * into out (at least 400 bytes); decode returns -1 for anything this API
 * did not make for that kind of list.
 */
void	 cursor_encode(char kind, const char *a, const char *b, char *out,
	    size_t outlen);
int	 cursor_decode(const char *s, char kind, char *a, size_t alen,
	    char *b, size_t blen);

#endif
