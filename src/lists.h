/*
 * lists.h: the view model of every list and detail orgaudit shows.  The
 * JSON API returns these objects as they are; the dashboard renders the
 * same objects through its templates.  Every function reads only the
 * given tenant's rows.
 *
 * Each returns LIST_OK and sets *out (a new reference), or LIST_BAD_CURSOR
 * (the cursor was not made by this list) or LIST_DB (see db_error()).
 */
#ifndef ORGAUDIT_LISTS_H
#define ORGAUDIT_LISTS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "db.h"

enum list_rc { LIST_OK, LIST_BAD_CURSOR, LIST_DB, LIST_NOT_FOUND };

/* Optional key filters: a NULL / negative field is "any". */
struct key_filter {
	int		 stale;		/* -1 any, 0, 1 */
	int		 orphan;
	const char	*type;
	const char	*project;
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
enum list_rc	 list_users(struct db *db, int64_t tenant, int64_t org,
		    const char *cursor, int64_t limit, json_t **out);
enum list_rc	 list_projects(struct db *db, int64_t tenant, int64_t org,
		    const char *cursor, int64_t limit, json_t **out);
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
