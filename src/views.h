/*
 * views.h: the view model.  Each function turns one row of its statement
 * into a JSON object (a new reference); the JSON API returns these
 * objects, the CLI prints them, the dashboard renders them, so the three
 * never disagree.
 */
#ifndef ORGAUDIT_VIEWS_H
#define ORGAUDIT_VIEWS_H

#include <stdint.h>

#include <jansson.h>

#include "db.h"

/*
 * A row as an object built from its statement's declared columns
 * (sql.h): {"id", "object": object, …} with "a.b" names nested.  A new
 * reference.
 */
json_t	*view_cols(const struct db_row *r, enum sql_stmt stmt,
	    const char *object);

/* Column c as a JSON string; a day (Unix seconds) as "YYYY-MM-DD"; or null. */
json_t	*view_str(const struct db_row *r, size_t c);
json_t	*view_day(const struct db_row *r, size_t c);

/* Views with more than their columns: org, key, run, pack. */
json_t	*view_org(const struct db_row *r);
json_t	*view_key(const struct db_row *r, int64_t now);
json_t	*view_run(const struct db_row *r);
json_t	*view_run_stream(const struct db_row *r);
json_t	*view_pack(const struct db_row *r);
/* A row of FINDING_COLUMNS as the API shows it: "id" is "fnd_<n>". */
json_t	*view_finding(const struct db_row *r);

/*
 * "Who did it" from an ORIGIN_COL column: {"actor": {"type", "id",
 * "email_prefix"}, "at", "event_id"}, or null.
 */
json_t	*view_origin(const struct db_row *r, size_t c);

#endif
