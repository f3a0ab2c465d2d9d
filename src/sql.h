/*
 * sql.h: every SQL statement orgaudit runs, by name.  The text lives in
 * one table in sql.c; db.c prepares each on first use.
 *
 * The columns of a statement that feeds a view are declared here once,
 * as an X-macro X(ENUM, "sql expression", "json.name", kind) with S the
 * separator: sql.c makes the SELECT list and a column table of it
 * (sql_cols()), a view either reads the table (views.c: view_cols(),
 * "a.b" nesting b inside a) or indexes a row with the enum it yields.
 * Order is defined in one place, so the two never disagree.
 */
#ifndef ORGAUDIT_SQL_H
#define ORGAUDIT_SQL_H

#include <stddef.h>

/* How a column becomes JSON (views.c). */
enum col_kind {
	COL_STR,	/* a string, or null */
	COL_INT,	/* an integer, or null */
	COL_BOOL,	/* non-zero */
	COL_SEC,	/* milliseconds, shown as whole seconds */
	COL_ORIGIN,	/* "who did it" (ORIGIN_COL): an object, or null */
	COL_HEX,	/* 32 bytes as hex, or null */
	COL_JSON,	/* JSON text, parsed, or null */
};

struct sql_col {
	const char	*json;
	enum col_kind	 kind;
};

/* The X-macro expanders. */
#define COL_ENUM(e, expr, json, kind)	e,
#define COL_EXPR(e, expr, json, kind)	" " expr
#define COL_DESC(e, expr, json, kind)	{ json, kind },

/* An org and its counts (SQL_ORG_GET, SQL_ORG_PAGE; views.c view_org). */
#define ORG_COLUMNS(X, S) \
	X(OC_ID, "o.id", "id", COL_INT) S \
	X(OC_NAME, "o.name", "name", COL_STR) S \
	X(OC_OPENAI_ORG, "o.openai_org", "openai_org", COL_STR) S \
	X(OC_STATUS, "o.status", "status", COL_STR) S \
	X(OC_KEY_HINT, "o.key_hint", "key_hint", COL_STR) S \
	X(OC_CAPS, "o.capabilities", "capabilities", COL_JSON) S \
	X(OC_CONNECTED_AT, "o.connected_at", "connected_at", COL_INT) S \
	X(OC_DISCONNECTED_AT, "o.disconnected_at", "disconnected_at", \
	    COL_INT) S \
	X(OC_LAST_RUN_ID, "o.last_run_id", "last_run.id", COL_INT) S \
	X(OC_USERS, STREAM_SUM("humans", "'users'"), "counts.users", \
	    COL_INT) S \
	X(OC_PROJECTS, STREAM_SUM("active", "'projects'"), "counts.projects", \
	    COL_INT) S \
	X(OC_KEYS, STREAM_SUM("row_count", "'api_keys', 'admin_api_keys'"), \
	    "counts.keys", COL_INT) S \
	X(OC_STALE, STREAM_SUM("stale", "'api_keys', 'admin_api_keys'"), \
	    "counts.stale_keys", COL_INT) S \
	X(OC_ORPHAN, STREAM_SUM("orphan", "'api_keys', 'admin_api_keys'"), \
	    "counts.orphan_keys", COL_INT) S \
	X(OC_RUN_STATUS, "r.status", "last_run.status", COL_STR) S \
	X(OC_RUN_STARTED_MS, "r.started_at_ms", "last_run.started_at", \
	    COL_SEC) S \
	X(OC_RUN_ENDED_MS, "r.ended_at_ms", "last_run.ended_at", COL_SEC) S \
	X(OC_AUDIT_REACHABLE, "a.reachable", "audit.reachable", COL_BOOL) S \
	X(OC_AUDIT_POPULATED, "a.populated", "audit.populated", COL_BOOL) S \
	X(OC_AUDIT_EVENTS, "a.head_seq", "audit.events", COL_INT) S \
	X(OC_AUDIT_CHECKED_AT, "a.checked_at", "audit.checked_at", COL_INT)

/*
 * A key with its project, owner and origin (the key pages; views.c
 * view_key).
 */
#define KEY_COLUMNS(X, S) \
	X(KC_ID, "k.id", "id", COL_STR) S \
	X(KC_STREAM, "k.stream", "stream", COL_STR) S \
	X(KC_PROJECT_ID, "k.project_id", "project.id", COL_STR) S \
	X(KC_PROJECT_NAME, "p.name", "project.name", COL_STR) S \
	X(KC_TYPE, "k.type", "type", COL_STR) S \
	X(KC_REDACTED, "k.redacted", "redacted_value", COL_STR) S \
	X(KC_NAME, "k.name", "name", COL_STR) S \
	X(KC_CREATED_AT, "k.created_at", "created_at", COL_INT) S \
	X(KC_LAST_USED_AT, "k.last_used_at", "last_used_at", COL_INT) S \
	X(KC_EXPIRES_AT, "k.expires_at", "expires_at", COL_INT) S \
	X(KC_OWNER_TYPE, "k.owner_type", "owner.type", COL_STR) S \
	X(KC_OWNER_ID, "k.owner_id", "owner.id", COL_STR) S \
	X(KC_OWNER_EMAIL_PREFIX, "u.email_prefix", "owner.email_prefix", \
	    COL_STR) S \
	X(KC_OWNER_ACCESS, "k.owner_access", "owner_project_access", \
	    COL_STR) S \
	X(KC_STALE, "k.stale", "stale", COL_BOOL) S \
	X(KC_STALE_REASON, "k.stale_reason", "stale_reason", COL_STR) S \
	X(KC_ORPHAN, "k.orphan", "orphan", COL_BOOL) S \
	X(KC_ORPHAN_REASON, "k.orphan_reason", "orphan_reason", COL_STR) S \
	X(KC_AS_OF, "k.as_of", "as_of", COL_INT) S \
	X(KC_OWNER_NAME, "sa.name", "owner.name", COL_STR) S \
	X(KC_CREATED_BY, ORIGIN_COL("o"), "created_by", COL_ORIGIN) S \
	X(KC_SPEND_30D, "ks.spend_30d", "spend_30d", COL_STR) S \
	X(KC_REQUESTS_30D, "ks.requests_30d", "requests_30d", COL_INT) S \
	X(KC_LAST_USAGE_DAY, "ks.last_usage_day", "last_usage_day", COL_INT) S \
	X(KC_SPIKE, "f_sp.message", "usage_spike", COL_STR) S \
	X(KC_DORMANT_USED, "f_du.message", "dormant_key_used", COL_STR)

/* A user of the org (SQL_USER_PAGE). */
#define USER_COLUMNS(X, S) \
	X(UC_ID, "u.id", "id", COL_STR) S \
	X(UC_EMAIL_SHA256, "u.email_sha256", "email_sha256", COL_STR) S \
	X(UC_EMAIL_PREFIX, "u.email_prefix", "email_prefix", COL_STR) S \
	X(UC_ROLE, "u.role", "role", COL_STR) S \
	X(UC_ADDED_AT, "u.added_at", "added_at", COL_INT) S \
	X(UC_IS_SERVICE_ACCOUNT, "u.is_service_account", \
	    "is_service_account", COL_BOOL) S \
	X(UC_PULLED_AT, "s_u.pulled_at", "as_of", COL_INT) S \
	X(UC_ADDED_BY, ORIGIN_COL("o"), "added_by", COL_ORIGIN)

/* A project with its key counts (SQL_PROJECT_PAGE). */
#define PROJECT_COLUMNS(X, S) \
	X(PC_ID, "p.id", "id", COL_STR) S \
	X(PC_NAME, "p.name", "name", COL_STR) S \
	X(PC_STATUS, "p.status", "status", COL_STR) S \
	X(PC_CREATED_AT, "p.created_at", "created_at", COL_INT) S \
	X(PC_ARCHIVED_AT, "p.archived_at", "archived_at", COL_INT) S \
	X(PC_KEYS, "COALESCE(kc.total, 0)", "keys.total", COL_INT) S \
	X(PC_STALE, "COALESCE(kc.stale, 0)", "keys.stale", COL_INT) S \
	X(PC_ORPHAN, "COALESCE(kc.orphan, 0)", "keys.orphan", COL_INT) S \
	X(PC_PULLED_AT, "s_p.pulled_at", "as_of", COL_INT) S \
	X(PC_CREATED_BY, ORIGIN_COL("o"), "created_by", COL_ORIGIN)

/* A service account of a project (SQL_SVCACCT_PAGE). */
#define SVCACCT_COLUMNS(X, S) \
	X(SC_ID, "s.id", "id", COL_STR) S \
	X(SC_NAME, "s.name", "name", COL_STR) S \
	X(SC_ROLE, "s.role", "role", COL_STR) S \
	X(SC_PROJECT_ID, "s.project_id", "project.id", COL_STR) S \
	X(SC_PROJECT_NAME, "p.name", "project.name", COL_STR) S \
	X(SC_CREATED_AT, "s.created_at", "created_at", COL_INT) S \
	X(SC_PULLED_AT, "s_s.pulled_at", "as_of", COL_INT) S \
	X(SC_CREATED_BY, ORIGIN_COL("o"), "created_by", COL_ORIGIN)

/* An invitation (SQL_INVITE_PAGE). */
#define INVITE_COLUMNS(X, S) \
	X(IC_ID, "i.id", "id", COL_STR) S \
	X(IC_EMAIL_SHA256, "i.email_sha256", "email_sha256", COL_STR) S \
	X(IC_EMAIL_PREFIX, "i.email_prefix", "email_prefix", COL_STR) S \
	X(IC_ROLE, "i.role", "role", COL_STR) S \
	X(IC_STATUS, "i.status", "status", COL_STR) S \
	X(IC_CREATED_AT, "i.created_at", "created_at", COL_INT) S \
	X(IC_EXPIRES_AT, "i.expires_at", "expires_at", COL_INT) S \
	X(IC_ACCEPTED_AT, "i.accepted_at", "accepted_at", COL_INT) S \
	X(IC_PULLED_AT, "s_i.pulled_at", "as_of", COL_INT) S \
	X(IC_INVITED_BY, ORIGIN_COL("o"), "invited_by", COL_ORIGIN)

/* A member of a project (SQL_MEMBER_PAGE). */
#define MEMBER_COLUMNS(X, S) \
	X(MC_ID, "m.user_id", "id", COL_STR) S \
	X(MC_PROJECT_ID, "m.project_id", "project_id", COL_STR) S \
	X(MC_EMAIL_SHA256, "m.email_sha256", "email_sha256", COL_STR) S \
	X(MC_EMAIL_PREFIX, "m.email_prefix", "email_prefix", COL_STR) S \
	X(MC_ROLE, "m.role", "role", COL_STR) S \
	X(MC_ADDED_AT, "m.added_at", "added_at", COL_INT) S \
	X(MC_PULLED_AT, "s_m.pulled_at", "as_of", COL_INT) S \
	X(MC_ADDED_BY, ORIGIN_COL("o"), "added_by", COL_ORIGIN)

/* A collector run (SQL_RUN_PAGE; views.c view_run). */
#define RUN_COLUMNS(X, S) \
	X(RC_ID, "id", "id", COL_INT) S \
	X(RC_STARTED_MS, "started_at_ms", "started_at", COL_SEC) S \
	X(RC_ENDED_MS, "ended_at_ms", "ended_at", COL_SEC) S \
	X(RC_STATUS, "status", "status", COL_STR) S \
	X(RC_REQUESTS, "requests", "requests", COL_INT) S \
	X(RC_ERROR, "error", "error", COL_STR)

/* One stream of a run (SQL_RUN_STREAMS; views.c view_run_stream). */
#define RUN_STREAM_COLUMNS(X, S) \
	X(RSC_RUN_ID, "run_id", "run_id", COL_INT) S \
	X(RSC_STREAM, "stream", "stream", COL_STR) S \
	X(RSC_STARTED_MS, "started_at_ms", "started_at", COL_SEC) S \
	X(RSC_ENDED_MS, "ended_at_ms", "ended_at", COL_SEC) S \
	X(RSC_PAGES, "pages", "pages", COL_INT) S \
	X(RSC_ROWS, "row_count", "rows", COL_INT) S \
	X(RSC_REQUESTS, "requests", "requests", COL_INT) S \
	X(RSC_RETRIES, "retries", "retries", COL_INT) S \
	X(RSC_STATUS, "status", "status", COL_STR) S \
	X(RSC_HTTP_STATUS, "http_status", "http_status", COL_INT) S \
	X(RSC_ERROR, "error", "error", COL_STR)

/* An audit event as the API shows it (SQL_EVENT_PAGE*). */
#define EVENT_COLUMNS(X, S) \
	X(EC_SEQ, "seq", "seq", COL_INT) S \
	X(EC_ID, "id", "id", COL_STR) S \
	X(EC_EFFECTIVE_AT, "effective_at", "effective_at", COL_INT) S \
	X(EC_TYPE, "type", "type", COL_STR) S \
	X(EC_ACTOR_TYPE, "actor_type", "actor.type", COL_STR) S \
	X(EC_ACTOR_ID, "actor_id", "actor.id", COL_STR) S \
	X(EC_ACTOR_KEY_ID, "actor_key_id", "actor.key_id", COL_STR) S \
	X(EC_ACTOR_EMAIL_PREFIX, "actor_email_prefix", "actor.email_prefix", \
	    COL_STR) S \
	X(EC_PROJECT_ID, "project_id", "project_id", COL_STR) S \
	X(EC_TARGET_ID, "target_id", "target_id", COL_STR) S \
	X(EC_PREV_HASH, "prev_hash", "prev_hash", COL_HEX) S \
	X(EC_HASH, "hash", "hash", COL_HEX) S \
	X(EC_BODY, "body", "entry", COL_JSON)

/* An evidence pack (SQL_PACK_GET, SQL_PACK_PAGE; views.c view_pack). */
#define PACK_COLUMNS(X, S) \
	X(PK_ID, "p.id", "id", COL_INT) S \
	X(PK_ORG, "p.org_id", "org_id", COL_INT) S \
	X(PK_START, "p.period_start", "period_start", COL_INT) S \
	X(PK_END, "p.period_end", "period_end", COL_INT) S \
	X(PK_AS_OF, "p.as_of", "as_of", COL_INT) S \
	X(PK_SHA256, "p.sha256", "sha256", COL_STR) S \
	X(PK_MANIFEST, "p.manifest_sha256", "manifest_sha256", COL_STR) S \
	X(PK_PREVIOUS, "p.previous_manifest_sha256", \
	    "previous_manifest_sha256", COL_STR) S \
	X(PK_KEY, "p.key_fingerprint", "signing_key_fingerprint", COL_STR) S \
	X(PK_BYTES, "p.bytes", "bytes", COL_INT) S \
	X(PK_EVENTS, "p.events", "events", COL_INT) S \
	X(PK_PATH, "p.path", "path", COL_STR) S \
	X(PK_MADE_BY, "p.made_by", "made_by", COL_STR) S \
	X(PK_CREATED, "p.created_at", "created_at", COL_INT)

/* A job (SQL_JOB_*; job.c). */
#define JOB_COLUMNS(X, S) \
	X(JC_ID, "j.id", "id", COL_INT) S \
	X(JC_ORG, "j.org_id", "org_id", COL_INT) S \
	X(JC_KIND, "j.kind", "kind", COL_STR) S \
	X(JC_STATUS, "j.status", "status", COL_STR) S \
	X(JC_START, "j.period_start", "period_start", COL_INT) S \
	X(JC_END, "j.period_end", "period_end", COL_INT) S \
	X(JC_DONE, "j.done", "progress.done", COL_INT) S \
	X(JC_TOTAL, "j.total", "progress.total", COL_INT) S \
	X(JC_PACK, "j.pack_id", "pack_id", COL_INT) S \
	X(JC_ERROR, "j.error", "error", COL_STR) S \
	X(JC_MADE_BY, "j.made_by", "made_by", COL_STR) S \
	X(JC_CREATED, "j.created_at", "created_at", COL_INT) S \
	X(JC_STARTED, "j.started_at", "started_at", COL_INT) S \
	X(JC_ENDED, "j.ended_at", "ended_at", COL_INT)

/* A finding with its life (SQL_FINDING_PAGE; list.c view_finding). */
#define FINDING_COLUMNS(X, S) \
	X(FC_ID, "f.id", "id", COL_INT) S \
	X(FC_RULE, "f.rule", "rule", COL_STR) S \
	X(FC_SEVERITY, "f.severity", "severity", COL_STR) S \
	X(FC_SUBJECT_TYPE, "f.subject_type", "subject.type", COL_STR) S \
	X(FC_SUBJECT_ID, "f.subject_id", "subject.id", COL_STR) S \
	X(FC_SUBJECT_NAME, "f.subject_name", "subject.name", COL_STR) S \
	X(FC_MESSAGE, "f.message", "message", COL_STR) S \
	X(FC_OPENED, "f.opened_at", "opened_at", COL_INT) S \
	X(FC_SEEN, "f.last_seen_at", "last_seen_at", COL_INT) S \
	X(FC_RESOLVED, "f.resolved_at", "resolved_at", COL_INT) S \
	X(FC_EVIDENCE, "f.evidence", "evidence", COL_JSON) S \
	X(FC_ORG, "f.org_id", "org_id", COL_INT)

/* A row of orgaudit's own trail (SQL_ACTIVITY_PAGE; activity.c). */
#define ACTIVITY_COLUMNS(X, S) \
	X(AC_SEQ, "a.seq", "seq", COL_INT) S \
	X(AC_AT, "a.at", "at", COL_INT) S \
	X(AC_ACTOR_TYPE, "a.actor_type", "actor.type", COL_STR) S \
	X(AC_ACTOR_ID, "a.actor_id", "actor.id", COL_STR) S \
	X(AC_ADDRESS, "a.address", "address", COL_STR) S \
	X(AC_ACTION, "a.action", "action", COL_STR) S \
	X(AC_TARGET, "a.target", "target", COL_STR) S \
	X(AC_OUTCOME, "a.outcome", "outcome", COL_STR) S \
	X(AC_PREV_HASH, "a.prev_hash", "prev_hash", COL_HEX) S \
	X(AC_HASH, "a.hash", "hash", COL_HEX)

enum org_col { ORG_COLUMNS(COL_ENUM, ) OC__MAX };
enum key_col { KEY_COLUMNS(COL_ENUM, ) KC__MAX };
enum run_col { RUN_COLUMNS(COL_ENUM, ) RC__MAX };
enum run_stream_col { RUN_STREAM_COLUMNS(COL_ENUM, ) RSC__MAX };
enum event_col { EVENT_COLUMNS(COL_ENUM, ) EC__MAX };
enum pack_col { PACK_COLUMNS(COL_ENUM, ) PK__MAX };
enum job_col { JOB_COLUMNS(COL_ENUM, ) JC__MAX };
enum finding_col { FINDING_COLUMNS(COL_ENUM, ) FC__MAX };

enum sql_stmt {
	SQL_SCHEMA_VERSION,
	SQL_SCHEMA_VERSION_ADD,
	SQL_LOCK_TABLE,
	SQL_LOCK_ADD,
	SQL_LOCK_TAKE,
	SQL_LOCK_OWNER,
	SQL_LOCK_STEAL,
	SQL_LOCK_RENEW,
	SQL_LOCK_RELEASE,
	SQL_SCHEMA_COLUMNS,

	SQL_TENANT_ADD,
	SQL_TENANT_FIND,
	SQL_TENANT_LIST,
	SQL_TENANT_KEY_ADD,
	SQL_TENANT_KEY_GET,
	SQL_TENANT_KEY_ALL,
	SQL_TENANT_KEY_REWRAP,
	SQL_TENANT_PUBLIC_KEY,
	SQL_TENANT_KEY_V1,
	SQL_TENANT_KEY_UPGRADE,
	SQL_ORG_SEALED_OF_TENANT,
	SQL_ORG_RESEAL,

	SQL_TOKEN_ADD,
	SQL_TOKEN_AUTH,
	SQL_TOKEN_LIST,
	SQL_TOKEN_REVOKE,

	SQL_ORG_ADD,
	SQL_ORG_SET_KEY,
	SQL_ORG_REPLACE_KEY,
	SQL_ORG_DISCONNECT,
	SQL_ORG_GET,
	SQL_ORG_STAMP,
	SQL_ORG_VIEW_BUMP,
	SQL_ORG_PAGE,
	SQL_ORG_ALL,
	SQL_ORG_SEALED,
	SQL_ORG_SET_OPENAI,
	SQL_ORG_LEASE_NEXT,
	SQL_ORG_LEASE_ONE,
	SQL_ORG_LEASE_TAKE,
	SQL_ORG_LEASE_RELEASE,

	SQL_RUN_ADD,
	SQL_RUN_END,
	SQL_RUN_STREAM_ADD,
	SQL_RUN_PAGE,
	SQL_RUN_STREAMS,

	SQL_STREAM_GEN,
	SQL_ANALYZE_SNAPSHOTS,
	SQL_STREAM_KEEP,
	SQL_STREAM_AS_OF,
	SQL_STREAM_SET,
	SQL_STREAM_LIST,

	SQL_USER_INS,
	SQL_USER_PURGE,
	SQL_USER_IDS,
	SQL_USER_PAGE,
	SQL_SVCACCT_PAGE,
	SQL_ADMIN_KEY_PAGE,
	SQL_INVITE_PAGE,
	SQL_MEMBER_PAGE,
	SQL_PROJECT_INS,
	SQL_PROJECT_PURGE,
	SQL_PROJECT_PAGE,
	SQL_KEY_INS,
	SQL_KEY_PURGE,
	SQL_KEY_COUNT_INS,
	SQL_KEY_COUNT_PURGE,
	SQL_KEY_PAGE,
	SQL_KEY_PAGE_PROJECT,
	SQL_SVCACCT_INS,
	SQL_SVCACCT_PURGE,
	SQL_PROJUSER_INS,
	SQL_PROJUSER_PURGE,
	SQL_INVITE_INS,
	SQL_INVITE_PURGE,

	SQL_ACCOUNT_ADD,
	SQL_ACCOUNT_BY_LOGIN,
	SQL_ACCOUNT_LIST,
	SQL_ACCOUNT_DELETE,
	SQL_ACCOUNT_SET_ROLE,
	SQL_ACCOUNT_OWNERS,
	SQL_ACCOUNT_LOGGED_IN,
	SQL_SESSION_ADD,
	SQL_SESSION_STAGE,
	SQL_SESSION_PENDING_SET,
	SQL_SESSION_PENDING_GET,
	SQL_SESSION_LIST,
	SQL_SESSION_END_OTHERS,
	SQL_ACCOUNT_AUTH,
	SQL_ACCOUNT_SET_PASSWORD,
	SQL_ACCOUNT_TOTP_STEP,
	SQL_ACCOUNT_TOTP_SET,
	SQL_RECOVERY_CLEAR,
	SQL_RECOVERY_ADD,
	SQL_RECOVERY_LEFT,
	SQL_RECOVERY_USE,
	SQL_RESET_ADD,
	SQL_RESET_GET,
	SQL_RESET_CLEAR,
	SQL_TENANT_TOTP_POLICY,
	SQL_SESSION_MUST_ENROLL,
	SQL_TENANT_TOTP_GET,
	SQL_ACCOUNT_OF_TENANT,
	SQL_THROTTLE_FAIL_GROW,
	SQL_SESSION_GET,
	SQL_SESSION_TOUCH,
	SQL_SESSION_DELETE,
	SQL_SESSION_DELETE_ACCOUNT,
	SQL_SESSION_PURGE,
	SQL_THROTTLE_GET,
	SQL_THROTTLE_FAIL,
	SQL_THROTTLE_CLEAR,
	SQL_TENANT_NAME,
	SQL_TOKEN_REVOKE_TENANT,

	/* The keys table of the dashboard: one statement per sort order. */
	SQL_KEY_GENS,
	SQL_KEY_COUNT,
	SQL_KEY_SORT_LAST_USED,
	SQL_KEY_SORT_LAST_USED_DESC,
	SQL_KEY_SORT_CREATED,
	SQL_KEY_SORT_CREATED_DESC,
	SQL_KEY_SORT_NAME,
	SQL_KEY_SORT_NAME_DESC,
	SQL_KEY_SORT_PROJECT,
	SQL_KEY_SORT_PROJECT_DESC,
	SQL_KEY_SORT_TYPE,
	SQL_KEY_SORT_TYPE_DESC,
	SQL_KEY_AGES,
	SQL_PROJECT_IDS,

	SQL_AUDIT_STATE_INIT,
	SQL_AUDIT_STATE_GET,
	SQL_AUDIT_STATE_HEAD,
	SQL_AUDIT_STATE_CHECKED,
	SQL_AUDIT_IDS_BETWEEN,
	SQL_AUDIT_INS,
	SQL_ORIGIN_INS,
	SQL_AUDIT_CHAIN,
	SQL_EVENT_PAGE,
	SQL_EVENT_PAGE_TYPE,
	SQL_EVENT_PAGE_ACTOR,
	SQL_EVENT_PAGE_KEY,
	SQL_EVENT_PAGE_EMAIL,
	SQL_EVENT_PAGE_PROJECT,
	SQL_EVENT_PAGE_TARGET,
	SQL_EVENT_PAGE_TIME,
	SQL_EVENT_EXPORT,

	SQL_CONN_OPEN,
	SQL_CONN_CLOSE,
	SQL_DAY_PUT,
	SQL_TENANT_SET_CUSTOMER,
	SQL_BILL_CONNS,
	SQL_BILL_DAYS,
	SQL_BILL_CARRY,
	SQL_BILL_CARRY_RECENT,
	SQL_BILL_INV_GET,
	SQL_BILL_INV_ADD,
	SQL_BILL_INV_STARTED,
	SQL_BILL_INV_SET_CUSTOMER,
	SQL_BILL_INV_SET_ID,
	SQL_BILL_ITEMS_STARTED,
	SQL_BILL_INV_FINAL,
	SQL_BILL_ITEM_ADD,
	SQL_BILL_ITEMS,
	SQL_BILL_ITEM_SET_ID,
	SQL_BILL_INVOICES,

	SQL_PACK_ORG,
	SQL_PACK_ORG_TENANT,
	SQL_PACK_USERS,
	SQL_PACK_PROJECTS,
	SQL_PACK_API_KEYS,
	SQL_PACK_ADMIN_KEYS,
	SQL_PACK_SVCACCTS,
	SQL_PACK_FINDINGS,
	SQL_PACK_FINDINGS_SUM,
	SQL_PACK_PREVIOUS,
	SQL_PACK_ADD,
	SQL_PACK_HEAD,
	SQL_PACK_BY_INPUTS,
	SQL_PACK_SAME,
	SQL_PACK_GET,
	SQL_PACK_PAGE,
	SQL_PACK_ORGS_IN,

	SQL_ACTIVITY_HEAD_INIT,
	SQL_ACTIVITY_HEAD,
	SQL_ACTIVITY_HEAD_GET,
	SQL_ACTIVITY_ADD,
	SQL_ACTIVITY_HEAD_MOVE,
	SQL_ACTIVITY_CHAIN,
	SQL_ACTIVITY_PERIOD,
	SQL_ACTIVITY_PAGE,
	SQL_RULE_KEY_STALE,
	SQL_RULE_KEY_ORPHAN,
	SQL_RULE_KEY_LEGACY,
	SQL_RULE_SVCACCT_KEY_OLD,
	SQL_RULE_ADMIN_STALE,
	SQL_RULE_ADMIN_OLD,
	SQL_RULE_ADMIN_ORPHAN,
	SQL_RULE_AUDIT_OFF,
	SQL_RULE_OWNERS,
	SQL_RULE_INVITE_STALE,
	SQL_RULE_NO_ALLOWLIST,
	SQL_RULE_NO_SPEND_ALERT,
	SQL_RULE_KEY_CREATORS,
	SQL_FINDING_PUT,
	SQL_FINDING_RESOLVE,
	SQL_FINDING_PAGE,
	SQL_FINDING_OPEN_COUNTS,
	SQL_FINDING_MTTR,
	SQL_FINDING_OVER_TIME,
	SQL_ALERT_ADD,
	SQL_ALERT_SEAL,
	SQL_ALERT_REMOVE,
	SQL_ALERT_LIST,
	SQL_ALERT_ROUTES,
	SQL_ALERT_LOGIN_FAILED,
	SQL_ALERT_ORG,
	SQL_ALERT_CHANNEL_TENANT,
	SQL_OUTBOX_AUDIT_INS,
	SQL_OUTBOX_PUT,
	SQL_DIGEST_DUE,
	SQL_DIGEST_HELD,
	SQL_DIGEST_DONE,
	SQL_ALERT_FINDINGS,
	SQL_RUN_BEFORE,
	SQL_OUTBOX_DUE,
	SQL_OUTBOX_TAKE,
	SQL_OUTBOX_GET,
	SQL_OUTBOX_SENT,
	SQL_OUTBOX_RETRY,
	SQL_OUTBOX_DEAD,
	SQL_OUTBOX_RESEND,
	SQL_OUTBOX_LIST,
	SQL_OUTBOX_EVENT,
	SQL_ACTIVITY_LAST_BEFORE,
	SQL_TOKEN_TENANT,
	SQL_ACTIVITY_TENANTS,

	SQL_JOB_ADD,
	SQL_JOB_LIVE,
	SQL_JOB_GET,
	SQL_JOB_RECENT,
	SQL_JOB_RATE,
	SQL_PACK_COUNT,
	SQL_JOB_REQUEUE,
	SQL_JOB_NEXT,
	SQL_JOB_TENANT_LOCK,
	SQL_JOB_TENANT_BUSY,
	SQL_JOB_TAKE,
	SQL_JOB_PROGRESS,
	SQL_JOB_FINISH,
	SQL_EVENT_OCSF,
	SQL_FINDING_OCSF,

	/* 016_posture: the settings streams (collect.c). */
	SQL_MODEL_PERM_INS,
	SQL_MODEL_PERM_PURGE,
	SQL_ORG_ALERT_INS,
	SQL_ORG_ALERT_PURGE,
	SQL_PROJECT_ALERT_INS,
	SQL_PROJECT_ALERT_PURGE,
	SQL_ORG_RETENTION_INS,
	SQL_ORG_RETENTION_PURGE,
	SQL_PROJECT_RETENTION_INS,
	SQL_PROJECT_RETENTION_PURGE,
	SQL_RATE_LIMIT_INS,
	SQL_RATE_LIMIT_PURGE,
	SQL_ROLE_INS,
	SQL_ROLE_PURGE,
	SQL_USER_ROLE_INS,
	SQL_USER_ROLE_PURGE,
	SQL_ANALYZE_POSTURE,
	/* Usage and costs: the collector's side (usage-collect.c). */
	SQL_ORG_DUE,
	SQL_ORG_DUE_SET,
	SQL_USAGE_CURSOR_GET,
	SQL_USAGE_CURSOR_PUT,
	SQL_USAGE_ROLLUP_FROM,
	SQL_USAGE_ROLLUP_DONE,
	SQL_COST_CURRENCY,
	SQL_USAGE_PUT,
	SQL_COST_PUT,
	SQL_USAGE_VANISHED,
	SQL_COST_VANISHED,
	SQL_COST_DAY_CLEAR,
	SQL_COST_DAY_SUM,
	SQL_USAGE_HOURLY_PURGE,
	SQL_USAGE_KEY_STAT_CLEAR,
	SQL_USAGE_KEY_STAT_SUM,
	/* The roll-ups of 020_usage_rollups.sql, kept with each page. */
	SQL_ROLL_COST_DAY_CLEAR,
	SQL_ROLL_COST_DAY_SUM,
	SQL_ROLL_COST_CUM_CLEAR,
	SQL_ROLL_COST_CUM_SUM,
	SQL_ROLL_MODEL_CLEAR,
	SQL_ROLL_MODEL_SUM,
	SQL_USAGE_UNMAPPED_CLEAR,
	SQL_USAGE_UNMAPPED_KEY_IDS,
	SQL_USAGE_UNMAPPED_PROJECT_IDS,
	SQL_USAGE_UNMAPPED_USER_IDS,
	SQL_USAGE_UNMAPPED_KEY_PUT,
	SQL_USAGE_UNMAPPED_PROJECT_PUT,
	SQL_USAGE_UNMAPPED_USER_PUT,
	SQL_ANALYZE_USAGE,
	SQL_RULE_USAGE_DAYS,
	SQL_RULE_USAGE_KEYS,
	SQL_RULE_USER_LEFT,
	SQL_USAGE_FACTS,
	SQL_ORG_CAPS_GET,
	SQL_ORG_CAPS_SET,
	/* The dashboard's usage and costs pages (web-usage.c), packs. */
	SQL_DASH_DAYS,
	SQL_DASH_DAY_PROJECTS,
	SQL_DASH_MODELS,
	SQL_DASH_UNMAPPED,
	SQL_LIST_FINDINGS,
	SQL_USAGE_DAYS_SPAN,
	SQL_DASH_TOP_KEYS,
	SQL_DASH_TENANT,
	SQL_DASH_PACK_USAGE,
	SQL_DASH_PACK_COSTS,
	SQL_DASH_PACK_SUM,
	/* Usage and costs: the API's side (api-usage.c). */
	SQL_API_COSTS,
	SQL_API_COSTS_DAY,
	SQL_API_COSTS_BY_DAY,
	SQL_API_COSTS_BY_PROJECT,
	SQL_API_COSTS_EDGES,
	SQL_API_USAGE,
	SQL_API_UNMAPPED,

	SQL__MAX
};

/* The statement's text and a short name for log lines. */
const char	*sql_text(enum sql_stmt id);
const char	*sql_name(enum sql_stmt id);
/* The statement's declared columns (*n of them), or NULL. */
const struct sql_col *sql_cols(enum sql_stmt id, size_t *n);

#endif
