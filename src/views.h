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

/* Columns of SQL_ORG_GET and SQL_ORG_PAGE. */
enum org_col {
	OC_ID, OC_NAME, OC_OPENAI_ORG, OC_STATUS, OC_KEY_HINT, OC_CAPS,
	OC_CONNECTED_AT, OC_DISCONNECTED_AT, OC_LAST_RUN_ID, OC_USERS,
	OC_PROJECTS, OC_KEYS, OC_STALE, OC_ORPHAN, OC_RUN_STATUS,
	OC_RUN_STARTED_MS, OC_RUN_ENDED_MS, OC_AUDIT_REACHABLE,
	OC_AUDIT_POPULATED, OC_AUDIT_EVENTS, OC_AUDIT_CHECKED_AT
};

/* Columns of SQL_KEY_PAGE and the SQL_KEY_SORT_* statements. */
enum key_col {
	KC_ID, KC_STREAM, KC_PROJECT_ID, KC_PROJECT_NAME, KC_TYPE,
	KC_REDACTED, KC_NAME, KC_CREATED_AT, KC_LAST_USED_AT, KC_EXPIRES_AT,
	KC_OWNER_TYPE, KC_OWNER_ID, KC_OWNER_EMAIL_PREFIX, KC_OWNER_ACCESS,
	KC_STALE, KC_STALE_REASON, KC_ORPHAN, KC_ORPHAN_REASON, KC_AS_OF,
	KC_OWNER_NAME, KC_CREATED_BY
};

/* Columns of SQL_USER_PAGE. */
enum user_col {
	UC_ID, UC_EMAIL_SHA256, UC_EMAIL_PREFIX, UC_ROLE, UC_ADDED_AT,
	UC_IS_SERVICE_ACCOUNT, UC_PULLED_AT, UC_ADDED_BY
};

/* Columns of SQL_PROJECT_PAGE. */
enum project_col {
	PC_ID, PC_NAME, PC_STATUS, PC_CREATED_AT, PC_ARCHIVED_AT, PC_KEYS,
	PC_STALE, PC_ORPHAN, PC_PULLED_AT, PC_CREATED_BY
};

/* Columns of SQL_RUN_PAGE and SQL_RUN_STREAMS. */
enum run_col {
	RC_ID, RC_STARTED_MS, RC_ENDED_MS, RC_STATUS, RC_REQUESTS, RC_ERROR
};
enum run_stream_col {
	RSC_RUN_ID, RSC_STREAM, RSC_STARTED_MS, RSC_ENDED_MS, RSC_PAGES,
	RSC_ROWS, RSC_REQUESTS, RSC_RETRIES, RSC_STATUS, RSC_HTTP_STATUS,
	RSC_ERROR
};

json_t	*view_org(const struct db_row *r);
json_t	*view_key(const struct db_row *r, int64_t now);
json_t	*view_user(const struct db_row *r);
json_t	*view_project(const struct db_row *r);
json_t	*view_run(const struct db_row *r);
json_t	*view_run_stream(const struct db_row *r);

/* Columns of SQL_EVENT_PAGE. */
enum event_col {
	EC_SEQ, EC_ID, EC_EFFECTIVE_AT, EC_TYPE, EC_ACTOR_TYPE, EC_ACTOR_ID,
	EC_ACTOR_KEY_ID, EC_ACTOR_EMAIL_PREFIX, EC_PROJECT_ID, EC_TARGET_ID,
	EC_BODY, EC_PREV_HASH, EC_HASH
};

json_t	*view_event(const struct db_row *r);

/* An evidence pack (SQL PACK_COLS). */
enum pack_col {
	PK_ID, PK_ORG, PK_START, PK_END, PK_AS_OF, PK_SHA256, PK_MANIFEST,
	PK_PREVIOUS, PK_KEY, PK_BYTES, PK_EVENTS, PK_PATH, PK_MADE_BY,
	PK_CREATED
};
json_t	*view_pack(const struct db_row *r);

#endif
