/*
 * sql.c: the statement table.  Snapshot reads join org_stream so that
 * only the current generation of each stream is ever visible.
 */
#include <stddef.h>

#include "sql.h"

/* Current generation of stream S for table alias T. */
#define CUR(T, S) \
	" JOIN org_stream s_" T " ON s_" T ".org_id = " T ".org_id" \
	" AND s_" T ".stream = " S " AND s_" T ".gen = " T ".gen "

/* Counts as of each stream's current pull (see org_stream). */
#define STREAM_SUM(col, streams) \
	" (SELECT SUM(" col ") FROM org_stream x WHERE x.org_id = o.id" \
	"   AND x.stream IN (" streams "))"

/* An org's columns and the joins they read (sql.h ORG_COLUMNS). */
#define ORG_FROM \
	" FROM org o LEFT JOIN collect_run r ON r.id = o.last_run_id" \
	" LEFT JOIN audit_state a ON a.org_id = o.id "

/*
 * Who did it: the row's origin (audit_origin, the first event of a
 * creating type whose target is the row's id, over the org (scope '') or
 * within one project), joined by its primary key as alias o, and read as "actor_type TAB actor_id TAB email_prefix TAB
 * effective_at TAB event id", or NULL (views.c: first_event()).
 */
#define ORIGIN_JOIN(o, alias, type, scope) \
	" LEFT JOIN audit_origin " o " ON " o ".org_id = " alias ".org_id" \
	"   AND " o ".target_id = " alias ".id AND " o ".type = " type \
	"   AND " o ".scope = " scope " "
#define ORIGIN_COL(o) \
	" IF(" o ".seq IS NULL, NULL, CONCAT_WS('\\t'," \
	"   COALESCE(" o ".actor_type, ''), COALESCE(" o ".actor_id, '')," \
	"   COALESCE(" o ".actor_email_prefix, ''), " o ".effective_at," \
	"   " o ".event_id))"

/*
 * The ids of one field (col: api_key_id, user_id, project_id) in an
 * org's daily usage or costs over a range, as (kind, id, amount,
 * requests, first day, last day).  Bound: (tenant, org, since, until).
 */
#define UNMAPPED_USAGE(kind, col) \
	" SELECT '" kind "' AS kind, " col " AS id," \
	" CAST(0 AS DECIMAL(38,18)) AS amount," \
	" SUM(COALESCE(requests, 0)) AS req, MIN(start_time) AS d0," \
	" MAX(start_time) AS d1 FROM usage_bucket" \
	" WHERE tenant_id = ? AND org_id = ? AND width = '1d'" \
	" AND start_time >= ? AND start_time < ? AND " col " IS NOT NULL" \
	" GROUP BY " col
#define UNMAPPED_COSTS(kind, col) \
	" SELECT '" kind "', " col ", SUM(amount), 0, MIN(start_time)," \
	" MAX(start_time) FROM cost_bucket" \
	" WHERE tenant_id = ? AND org_id = ?" \
	" AND start_time >= ? AND start_time < ? AND " col " IS NOT NULL" \
	" GROUP BY " col
/* Is t.id in the current pull of the inventory table of that stream? */
#define UNMAPPED_LISTED(table, a, streams) \
	" EXISTS (SELECT 1 FROM org_stream s JOIN " table " " a \
	" ON " a ".org_id = s.org_id AND " a ".gen = s.gen" \
	" WHERE s.org_id = ? AND s.stream IN (" streams ")" \
	" AND " a ".id = t.id"
/*
 * An id column's values with their first and last day: a loose index
 * scan, which MariaDB picks only with the constant columns grouped too.
 */
#define UNMAPPED_IDS(table, col, width, groups) \
	" SELECT " col " AS id, MIN(start_time) AS d0, MAX(start_time) AS d1" \
	" FROM " table " WHERE org_id = ?" width \
	" GROUP BY org_id" groups ", " col \
	" HAVING " col " IS NOT NULL"
/*
 * For usage_unmapped (usage-collect.c), kind by kind: the ids of col in
 * the daily usage and in the costs that the lists lack, with their first
 * and last day; and one such id's spend and requests.  listed closes the
 * EXISTS of UNMAPPED_LISTED.  Bound: (org) three times; (tenant, org,
 * id, org, id, org, id, first, last).
 */
#define UNMAPPED_BOTH_IDS(col, listed) \
	"SELECT t.id, t.d0, t.d1 FROM (SELECT c.id, MIN(c.d0) AS d0," \
	" MAX(c.d1) AS d1 FROM (" \
	UNMAPPED_IDS("usage_bucket", col, " AND width = '1d'", ", width") \
	" UNION ALL" UNMAPPED_IDS("cost_bucket", col, "", "") ") c" \
	" GROUP BY c.id) t WHERE NOT" listed
#define UNMAPPED_PUT(kind, col) \
	"INSERT INTO usage_unmapped (tenant_id, org_id, kind, id, amount," \
	" requests, first_day, last_day)" \
	" SELECT ?, ?, '" kind "', ?," \
	" (SELECT COALESCE(SUM(amount), 0) FROM cost_bucket" \
	"  WHERE org_id = ? AND " col " = ?)," \
	" (SELECT COALESCE(SUM(COALESCE(requests, 0)), 0) FROM usage_bucket" \
	"  WHERE org_id = ? AND width = '1d' AND " col " = ?), ?, ?"

/* The findings engine's statements (rules.c) share these parts. */
#define FINDING_UPSERT \
	"INSERT INTO finding (tenant_id, org_id, rule, severity, subject_type," \
	" subject_id, subject_name, message, evidence, opened_at, opened_run," \
	" last_seen_at, last_seen_run, live)"
#define FINDING_SEEN \
	" ON DUPLICATE KEY UPDATE severity = VALUES(severity)," \
	" subject_name = VALUES(subject_name), message = VALUES(message)," \
	" evidence = VALUES(evidence), last_seen_at = VALUES(last_seen_at)," \
	" last_seen_run = VALUES(last_seen_run)"
/* A stream's current keys, as k: bound (org). */
#define KEYS_OF(stream) \
	" FROM org_stream s JOIN oa_key k ON k.org_id = s.org_id" \
	" AND k.stream = s.stream AND k.gen = s.gen" \
	" WHERE s.org_id = ? AND s.stream = '" stream "'"
/* A rule over one key stream: message (one ?), stream, condition. */
#define KEY_RULE(msg, stream, cond) FINDING_UPSERT \
	" SELECT k.tenant_id, k.org_id, ?, ?, ?, k.id, LEFT(k.name, 256)," \
	msg "," KEY_EVIDENCE ", ?, ?, ?, ?, 1" KEYS_OF(stream) cond FINDING_SEEN
#define KEY_EVIDENCE \
	" JSON_OBJECT('project_id', k.project_id, 'type', k.type," \
	" 'redacted', k.redacted, 'created_at', k.created_at," \
	" 'last_used_at', k.last_used_at, 'owner_type', k.owner_type," \
	" 'owner_id', k.owner_id, 'owner_project_access', k.owner_access)"

/* The event filters, each optional; the actor is a user or a key. */
#define EVENT_FILTERS \
	" AND (? IS NULL OR type = ?)" \
	" AND (? IS NULL OR actor_id = ?)" \
	" AND (? IS NULL OR actor_key_id = ?)" \
	" AND (? IS NULL OR actor_email_sha256 = ?)" \
	" AND (? IS NULL OR project_id = ?)" \
	" AND (? IS NULL OR target_id = ?)"

/* A page of events by seq through one index (SQL_EVENT_PAGE*). */
#define EVENT_PAGE(index) \
	"SELECT" COLS(EVENT_COLUMNS) " FROM audit_event FORCE INDEX (" \
	index ") WHERE tenant_id = ? AND org_id = ? AND seq < ?" \
	EVENT_FILTERS " ORDER BY seq DESC LIMIT ?"

/* A key row's project and owner, from the current pulls. */
#define KEY_JOINS \
	" LEFT JOIN org_stream s_p ON s_p.org_id = k.org_id" \
	"   AND s_p.stream = 'projects'" \
	" LEFT JOIN oa_project p ON p.org_id = k.org_id" \
	"   AND p.gen = s_p.gen AND p.id = k.project_id" \
	" LEFT JOIN org_stream s_u ON s_u.org_id = k.org_id" \
	"   AND s_u.stream = 'users'" \
	" LEFT JOIN oa_user u ON u.org_id = k.org_id AND u.gen = s_u.gen" \
	"   AND u.id = k.owner_id AND k.owner_type = 'user'" \
	" LEFT JOIN org_stream s_s ON s_s.org_id = k.org_id" \
	"   AND s_s.stream = 'service_accounts'" \
	" LEFT JOIN oa_service_account sa ON sa.org_id = k.org_id" \
	"   AND sa.gen = s_s.gen AND sa.id = k.owner_id" \
	"   AND k.owner_type = 'service_account'" \
	USAGE_KEY_JOINS

/*
 * A key's usage of the last 30 days and its two usage findings, each
 * joined by a primary or unique key (usage_key_stat's, finding_live's):
 * one row read per key, never a subquery per row.
 */
#define USAGE_KEY_JOINS \
	" LEFT JOIN usage_key_stat ks ON ks.org_id = k.org_id" \
	"   AND ks.api_key_id = k.id" \
	USAGE_FINDING_JOIN("f_sp", "usage_spike") \
	USAGE_FINDING_JOIN("f_du", "dormant_key_used")
#define USAGE_FINDING_JOIN(f, rule) \
	" LEFT JOIN finding " f " ON " f ".org_id = k.org_id" \
	"   AND " f ".rule = '" rule "' AND " f ".subject_type = 'api_key'" \
	"   AND " f ".subject_id = k.id AND " f ".live = 1"

/* Optional filters: each is (value IS NULL OR column = value). */
#define KEY_FILTERS \
	" AND (? IS NULL OR k.stale = ?)" \
	" AND (? IS NULL OR k.orphan = ?)" \
	" AND (? IS NULL OR k.type = ?)" \
	" AND (? IS NULL OR k.project_id = ?)" \
	" AND (? IS NULL OR EXISTS (SELECT 1 FROM finding f" \
	"   WHERE f.org_id = k.org_id AND f.rule = ?" \
	"   AND f.subject_type IN ('api_key', 'admin_api_key')" \
	"   AND f.subject_id = k.id AND f.live = 1))"

/*
 * The current generations of the two key streams, bound as parameters
 * (from SQL_KEY_GENS) rather than joined row by row: a page of 20,000
 * keys then costs one range scan and one sort.
 */
#define KEY_CURRENT \
	" AND ((k.stream = 'api_keys' AND k.gen = ?)" \
	"   OR (k.stream = 'admin_api_keys' AND k.gen = ?))"

/*
 * A page of keys in some order.  The inner query picks the page's keys
 * from oa_key alone, carrying only their primary key so the sort stays
 * narrow; the outer one joins the chosen rows back to their full selves,
 * their project and their owner.  inner_join and order name the inner
 * query's columns (alias k, and pp for projects); outer repeats the
 * order over the outer aliases.  NULL sorts first ascending, last
 * descending: never-used keys come first among the oldest.
 */
#define KEY_SORTED_FROM(inner_join, order, outer) \
	"SELECT" COLS(KEY_COLUMNS) \
	" FROM (SELECT k.org_id, k.stream, k.gen, k.id" \
	" FROM oa_key k" inner_join \
	" WHERE k.tenant_id = ? AND k.org_id = ?" KEY_CURRENT KEY_FILTERS \
	" ORDER BY " order " LIMIT ? OFFSET ?) pick" \
	" JOIN oa_key k ON k.org_id = pick.org_id AND k.stream = pick.stream" \
	"   AND k.gen = pick.gen AND k.id = pick.id" KEY_JOINS \
	ORIGIN_JOIN("o", "k", "'api_key.created'", "''") " ORDER BY " outer

#define KEY_SORTED(order) KEY_SORTED_FROM("", order, order)

/*
 * A page of keys by id: the index is read in order from the cursor, the
 * current generations bound (SQL_KEY_GENS), every join by a primary
 * key, so a page reads its rows and the few it skips, whatever the
 * statistics say.  oa_key_project serves the project filter.
 */
#define KEY_PAGE(index) \
	"SELECT STRAIGHT_JOIN" COLS(KEY_COLUMNS) \
	" FROM oa_key k FORCE INDEX (" index ")" KEY_JOINS \
	ORIGIN_JOIN("o", "k", "'api_key.created'", "''") \
	" WHERE k.tenant_id = ? AND k.org_id = ?" KEY_CURRENT \
	" AND k.id >= ? AND (k.id > ? OR k.stream > ?)" KEY_FILTERS \
	" ORDER BY k.id, k.stream LIMIT ?"

/* Sorting by project name joins the projects inside. */
#define KEY_BY_PROJECT \
	" LEFT JOIN org_stream s_pp ON s_pp.org_id = k.org_id" \
	"   AND s_pp.stream = 'projects'" \
	" LEFT JOIN oa_project pp ON pp.org_id = k.org_id" \
	"   AND pp.gen = s_pp.gen AND pp.id = k.project_id"

/*
 * A purge spares the generations kept as a month's last pull; it takes
 * the org and the stream once more.
 */
#define KEPT \
	" AND gen NOT IN (SELECT gen FROM org_stream_kept" \
	" WHERE org_id = ? AND stream = ?)"

#define PACK_KEY_COLS \
	" created_at, expires_at, id, last_used_at, name, orphan," \
	" orphan_reason, owner_access, owner_id, owner_type, project_id," \
	" redacted, stale, stale_reason, type "
/* A SELECT list from a column X-macro of sql.h. */
#define COLS(columns)	columns(COL_EXPR, ",")

#define STMT(id, text) [id] = { #id, text, NULL, 0 }
/* A statement whose columns a view reads by name (views.c view_cols). */
#define STMT_COLS(id, columns, text) [id] = { #id, text, \
	(const struct sql_col[]){ columns(COL_DESC, ) }, \
	sizeof((const struct sql_col[]){ columns(COL_DESC, ) }) / \
	sizeof(struct sql_col) }

static const struct {
	const char		*name;
	const char		*text;
	const struct sql_col	*cols;
	size_t			 ncols;
} stmts[SQL__MAX] = {
	STMT(SQL_SCHEMA_VERSION,
	    "SELECT COALESCE(MAX(version), 0) FROM schema_version"),
	STMT(SQL_SCHEMA_VERSION_ADD,
	    "INSERT INTO schema_version (version, name, applied_at)"
	    " VALUES (?, ?, ?)"),
	STMT(SQL_LOCK_TABLE,
	    "SELECT COUNT(*) FROM information_schema.tables"
	    " WHERE table_schema = DATABASE() AND table_name = 'orgaudit_lock'"),
	/* Lock rows (lock.c): a lease taken by a conditional UPDATE. */
	STMT(SQL_LOCK_ADD,
	    "INSERT IGNORE INTO orgaudit_lock (name, owner, until_ms)"
	    " VALUES (?, NULL, 0)"),
	STMT(SQL_LOCK_TAKE,
	    "UPDATE orgaudit_lock SET owner = ?, until_ms = ?"
	    " WHERE name = ? AND (until_ms < ? OR owner = ?)"),
	STMT(SQL_LOCK_OWNER,
	    "SELECT owner FROM orgaudit_lock WHERE name = ? AND until_ms >= ?"),
	STMT(SQL_LOCK_STEAL,
	    "UPDATE orgaudit_lock SET owner = ?, until_ms = ?"
	    " WHERE name = ? AND owner = ?"),
	STMT(SQL_LOCK_RENEW,
	    "UPDATE orgaudit_lock SET until_ms = ?"
	    " WHERE name = ? AND owner = ? AND until_ms >= ?"),
	STMT(SQL_LOCK_RELEASE,
	    "UPDATE orgaudit_lock SET owner = NULL, until_ms = 0"
	    " WHERE name = ? AND owner = ?"),
	STMT(SQL_SCHEMA_COLUMNS,
	    "SELECT table_name, column_name FROM information_schema.columns"
	    " WHERE table_schema = DATABASE()"
	    " ORDER BY table_name, ordinal_position"),

	STMT(SQL_TENANT_ADD,
	    "INSERT INTO tenant (name, created_at) VALUES (?, ?)"),
	STMT(SQL_TENANT_FIND,
	    "SELECT id, name FROM tenant WHERE id = ? OR name = ?"
	    " ORDER BY id = ? DESC LIMIT 1"),
	STMT(SQL_TENANT_LIST,
	    "SELECT t.id, t.name, t.created_at,"
	    " (SELECT COUNT(*) FROM org o WHERE o.tenant_id = t.id"
	    "   AND o.status = 'active')"
	    " FROM tenant t ORDER BY t.id"),
	STMT(SQL_TENANT_KEY_ADD,
	    "INSERT INTO tenant_key (tenant_id, master_key_id, wrapped,"
	    " created_at, scheme, public_key) VALUES (?, ?, ?, ?, 2, ?)"),
	STMT(SQL_TENANT_KEY_GET,
	    "SELECT master_key_id, wrapped, scheme FROM tenant_key"
	    " WHERE tenant_id = ?"),
	/* What the web may read: the public half only. */
	STMT(SQL_TENANT_PUBLIC_KEY,
	    "SELECT public_key FROM tenant_key WHERE tenant_id = ?"
	    " AND scheme = 2"),
	STMT(SQL_TENANT_KEY_ALL,
	    "SELECT tenant_id, master_key_id, wrapped, scheme FROM tenant_key"
	    " ORDER BY tenant_id FOR UPDATE"),
	STMT(SQL_TENANT_KEY_REWRAP,
	    "UPDATE tenant_key SET master_key_id = ?, wrapped = ?,"
	    " rewrapped_at = ? WHERE tenant_id = ? AND master_key_id = ?"),
	STMT(SQL_TENANT_KEY_V1,
	    "SELECT tenant_id FROM tenant_key WHERE scheme = 1"
	    " ORDER BY tenant_id"),
	STMT(SQL_TENANT_KEY_UPGRADE,
	    "UPDATE tenant_key SET scheme = 2, wrapped = ?, public_key = ?,"
	    " rewrapped_at = ? WHERE tenant_id = ? AND scheme = 1"),
	STMT(SQL_ORG_SEALED_OF_TENANT,
	    "SELECT id, key_sealed FROM org WHERE tenant_id = ?"
	    " AND key_sealed <> '' ORDER BY id FOR UPDATE"),
	STMT(SQL_ORG_RESEAL,
	    "UPDATE org SET key_sealed = ? WHERE id = ? AND tenant_id = ?"),

	STMT(SQL_TOKEN_ADD,
	    "INSERT INTO api_token (tenant_id, name, token_hash, created_at,"
	    " scope) VALUES (?, ?, ?, ?, ?)"),
	STMT(SQL_TOKEN_AUTH,
	    "SELECT id, tenant_id, scope FROM api_token"
	    " WHERE token_hash = ? AND revoked_at IS NULL"),
	STMT(SQL_TOKEN_LIST,
	    "SELECT id, name, created_at, revoked_at, scope FROM api_token"
	    " WHERE tenant_id = ? ORDER BY id"),
	STMT(SQL_TOKEN_REVOKE,
	    "UPDATE api_token SET revoked_at = ?"
	    " WHERE id = ? AND revoked_at IS NULL"),

	STMT(SQL_ORG_ADD,
	    "INSERT INTO org (tenant_id, name, status, key_sealed, key_hint,"
	    " capabilities, connected_at, openai_org)"
	    " VALUES (?, ?, 'active', '', ?, ?, ?, ?)"),
	STMT(SQL_ORG_SET_KEY,
	    "UPDATE org SET key_sealed = ? WHERE id = ? AND tenant_id = ?"),
	STMT(SQL_ORG_REPLACE_KEY,
	    "UPDATE org SET key_hint = ?, capabilities = ?, status = 'active',"
	    " disconnected_at = NULL WHERE id = ? AND tenant_id = ?"),
	STMT(SQL_ORG_DISCONNECT,
	    "UPDATE org SET status = 'disconnected', disconnected_at = ?,"
	    " key_sealed = '' WHERE id = ? AND tenant_id = ?"
	    " AND status = 'active'"),
	STMT(SQL_ORG_GET,
	    "SELECT" COLS(ORG_COLUMNS) ORG_FROM
	    " WHERE o.tenant_id = ? AND o.id = ?"),
	/*
	 * What an org's pages are made of, as one digest: its own columns
	 * the header shows, each stream's generation, the audit chain's
	 * head and org_view's generation (022_org_view.sql).  Every read by
	 * primary key.  No row: the org is not the tenant's (the gate's
	 * check, route.c gate_org).
	 */
	STMT(SQL_ORG_STAMP,
	    "SELECT MD5(CONCAT_WS('|', o.name, COALESCE(o.openai_org, ''),"
	    " o.status, o.key_hint, o.connected_at,"
	    " COALESCE(o.disconnected_at, ''),"
	    " (SELECT GROUP_CONCAT(s.stream, ':', s.gen ORDER BY s.stream)"
	    "  FROM org_stream s WHERE s.org_id = o.id),"
	    " COALESCE((SELECT a.head_seq FROM audit_state a"
	    "  WHERE a.org_id = o.id), 0),"
	    " COALESCE((SELECT v.gen FROM org_view v"
	    "  WHERE v.org_id = o.id), 0)))"
	    " FROM org o WHERE o.tenant_id = ? AND o.id = ?"),
	STMT(SQL_ORG_VIEW_BUMP,
	    "INSERT INTO org_view (org_id, tenant_id, gen)"
	    " SELECT id, tenant_id, 1 FROM org WHERE id = ?"
	    " ON DUPLICATE KEY UPDATE gen = org_view.gen + 1"),
	STMT(SQL_ORG_PAGE,
	    "SELECT" COLS(ORG_COLUMNS) ORG_FROM
	    " WHERE o.tenant_id = ? AND o.id > ?"
	    " ORDER BY o.id LIMIT ?"),
	STMT(SQL_ORG_ALL,
	    "SELECT o.id, o.tenant_id, t.name, o.name, o.status, o.key_hint,"
	    " o.collected_at_ms, o.lease_until, o.lease_owner"
	    " FROM org o JOIN tenant t ON t.id = o.tenant_id ORDER BY o.id"),
	STMT(SQL_ORG_SEALED,
	    "SELECT tenant_id, key_sealed, status FROM org WHERE id = ?"),
	STMT(SQL_ORG_SET_OPENAI,
	    "UPDATE org SET openai_org = ? WHERE id = ?"
	    " AND NOT (openai_org <=> ?)"),
	STMT(SQL_ORG_LEASE_NEXT,
	    "SELECT id FROM org WHERE status = 'active' AND lease_until < ?"
	    " AND collected_at_ms < ? ORDER BY collected_at_ms, id LIMIT 1"
	    " FOR UPDATE SKIP LOCKED"),
	STMT(SQL_ORG_LEASE_ONE,
	    "SELECT id, status, lease_until, lease_owner FROM org"
	    " WHERE id = ? FOR UPDATE"),
	STMT(SQL_ORG_LEASE_TAKE,
	    "UPDATE org SET lease_until = ?, lease_owner = ?,"
	    " collected_at_ms = ? WHERE id = ?"
	    " AND (lease_until < ? OR lease_owner = ?)"),
	STMT(SQL_ORG_LEASE_RELEASE,
	    "UPDATE org SET lease_until = 0, lease_owner = NULL,"
	    " last_run_id = COALESCE(?, last_run_id)"
	    " WHERE id = ? AND lease_owner = ?"),

	STMT(SQL_RUN_ADD,
	    "INSERT INTO collect_run (tenant_id, org_id, started_at_ms,"
	    " status, host) VALUES (?, ?, ?, 'running', ?)"),
	STMT(SQL_RUN_END,
	    "UPDATE collect_run SET ended_at_ms = ?, status = ?,"
	    " requests = ?, error = ? WHERE id = ?"),
	STMT(SQL_RUN_STREAM_ADD,
	    "INSERT INTO collect_run_stream (run_id, tenant_id, org_id,"
	    " stream, started_at_ms, ended_at_ms, pages, row_count, requests,"
	    " retries, status, http_status, error)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
	STMT(SQL_RUN_PAGE,
	    "SELECT" COLS(RUN_COLUMNS) " FROM collect_run WHERE tenant_id = ? AND org_id = ? AND id < ?"
	    " ORDER BY id DESC LIMIT ?"),
	STMT(SQL_RUN_STREAMS,
	    "SELECT" COLS(RUN_STREAM_COLUMNS) " FROM collect_run_stream WHERE tenant_id = ? AND org_id = ?"
	    " AND run_id <= ? AND run_id >= ? ORDER BY run_id DESC, stream"),

	STMT(SQL_STREAM_GEN,
	    "SELECT gen, row_count FROM org_stream"
	    " WHERE org_id = ? AND stream = ?"),
	STMT(SQL_ANALYZE_SNAPSHOTS,
	    "ANALYZE TABLE oa_user, oa_project, oa_key, oa_key_count,"
	    " oa_service_account, oa_project_user, oa_invite, audit_event,"
	    " audit_origin, org_stream"),
	/*
	 * Before a pull becomes current: the current one is kept if it was
	 * made before the new pull's UTC month (its month's last pull).
	 */
	STMT(SQL_STREAM_KEEP,
	    "INSERT IGNORE INTO org_stream_kept (tenant_id, org_id, stream,"
	    " gen, pulled_at, run_id, row_count)"
	    " SELECT tenant_id, org_id, stream, gen, pulled_at, run_id,"
	    " row_count FROM org_stream"
	    " WHERE org_id = ? AND stream = ? AND pulled_at < ?"),
	/* The newest pull of a stream at or before a time. */
	STMT(SQL_STREAM_AS_OF,
	    "SELECT gen, pulled_at, run_id, row_count FROM"
	    " (SELECT gen, pulled_at, run_id, row_count FROM org_stream"
	    "  WHERE org_id = ? AND stream = ?"
	    "  UNION ALL SELECT gen, pulled_at, run_id, row_count"
	    "  FROM org_stream_kept WHERE org_id = ? AND stream = ?) g"
	    " WHERE pulled_at <= ? ORDER BY pulled_at DESC LIMIT 1"),
	STMT(SQL_STREAM_SET,
	    "INSERT INTO org_stream (tenant_id, org_id, stream, gen,"
	    " pulled_at, run_id, row_count, humans, active, stale, orphan)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	    " ON DUPLICATE KEY UPDATE gen = VALUES(gen),"
	    " pulled_at = VALUES(pulled_at), run_id = VALUES(run_id),"
	    " row_count = VALUES(row_count), humans = VALUES(humans),"
	    " active = VALUES(active), stale = VALUES(stale),"
	    " orphan = VALUES(orphan)"),
	STMT(SQL_STREAM_LIST,
	    "SELECT stream, pulled_at, run_id, row_count FROM org_stream"
	    " WHERE tenant_id = ? AND org_id = ? ORDER BY stream"),

	STMT(SQL_USER_INS,
	    "INSERT INTO oa_user (tenant_id, org_id, gen, id, email_sha256,"
	    " email_prefix, role, added_at, is_service_account)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
	    " ON DUPLICATE KEY UPDATE id = id"),
	STMT(SQL_USER_PURGE,
	    "DELETE FROM oa_user WHERE org_id = ? AND gen <> ?"
	    KEPT),
	STMT(SQL_USER_IDS,
	    "SELECT u.id FROM oa_user u" CUR("u", "'users'")
	    " WHERE u.org_id = ?"),
	STMT_COLS(SQL_USER_PAGE, USER_COLUMNS,
	    "SELECT" COLS(USER_COLUMNS)
	    " FROM oa_user u JOIN org_stream s_u ON s_u.org_id = u.org_id"
	    "   AND s_u.stream = 'users'"
	    ORIGIN_JOIN("o", "u", "'user.added'", "''")
	    " WHERE u.tenant_id = ? AND u.org_id = ? AND u.gen = ? AND u.id > ?"
	    " ORDER BY u.id LIMIT ?"),
	STMT_COLS(SQL_SVCACCT_PAGE, SVCACCT_COLUMNS,
	    "SELECT" COLS(SVCACCT_COLUMNS)
	    " FROM oa_service_account s JOIN org_stream s_s"
	    "   ON s_s.org_id = s.org_id AND s_s.stream = 'service_accounts'"
	    " LEFT JOIN org_stream s_p ON s_p.org_id = s.org_id"
	    "   AND s_p.stream = 'projects'"
	    " LEFT JOIN oa_project p ON p.org_id = s.org_id AND p.gen = s_p.gen"
	    "   AND p.id = s.project_id"
	    ORIGIN_JOIN("o", "s", "'service_account.created'", "''")
	    " WHERE s.tenant_id = ? AND s.org_id = ? AND s.gen = ? AND s.id > ?"
	    " AND (? IS NULL OR s.project_id = ?)"
	    " ORDER BY s.id LIMIT ?"),
	STMT(SQL_ADMIN_KEY_PAGE,
	    "SELECT STRAIGHT_JOIN" COLS(KEY_COLUMNS)
	    " FROM oa_key k FORCE INDEX (PRIMARY)" KEY_JOINS
	    ORIGIN_JOIN("o", "k", "'api_key.created'", "''")
	    " WHERE k.tenant_id = ? AND k.org_id = ?"
	    " AND k.stream = 'admin_api_keys' AND k.gen = ? AND k.id > ?"
	    " AND (? IS NULL OR k.stale = ?) AND (? IS NULL OR k.orphan = ?)"
	    " ORDER BY k.id LIMIT ?"),
	STMT_COLS(SQL_INVITE_PAGE, INVITE_COLUMNS,
	    "SELECT" COLS(INVITE_COLUMNS)
	    " FROM oa_invite i JOIN org_stream s_i ON s_i.org_id = i.org_id"
	    "   AND s_i.stream = 'invites'"
	    ORIGIN_JOIN("o", "i", "'invite.sent'", "''")
	    " WHERE i.tenant_id = ? AND i.org_id = ? AND i.gen = ? AND i.id > ?"
	    " AND (? IS NULL OR i.status = ?)"
	    " ORDER BY i.id LIMIT ?"),
	/* A project's members: who added them, in that project. */
	STMT_COLS(SQL_MEMBER_PAGE, MEMBER_COLUMNS,
	    "SELECT" COLS(MEMBER_COLUMNS)
	    " FROM oa_project_user m JOIN org_stream s_m"
	    "   ON s_m.org_id = m.org_id AND s_m.stream = 'project_users'"
	    " LEFT JOIN audit_origin o ON o.org_id = m.org_id"
	    "   AND o.target_id = m.user_id AND o.type = 'user.added'"
	    "   AND o.scope = m.project_id"
	    " WHERE m.tenant_id = ? AND m.org_id = ? AND m.gen = ?"
	    " AND m.project_id = ? AND m.user_id > ?"
	    " ORDER BY m.user_id LIMIT ?"),
	STMT(SQL_PROJECT_INS,
	    "INSERT INTO oa_project (tenant_id, org_id, gen, id, name, status,"
	    " created_at, archived_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
	    " ON DUPLICATE KEY UPDATE id = id"),
	STMT(SQL_PROJECT_PURGE,
	    "DELETE FROM oa_project WHERE org_id = ? AND gen <> ?"
	    KEPT),
	/* Key counts from the api_keys pull now current (oa_key_count). */
	STMT_COLS(SQL_PROJECT_PAGE, PROJECT_COLUMNS,
	    "SELECT" COLS(PROJECT_COLUMNS)
	    " FROM oa_project p JOIN org_stream s_p ON s_p.org_id = p.org_id"
	    "   AND s_p.stream = 'projects'"
	    " LEFT JOIN org_stream s_k ON s_k.org_id = p.org_id"
	    "   AND s_k.stream = 'api_keys'"
	    " LEFT JOIN oa_key_count kc ON kc.org_id = p.org_id"
	    "   AND kc.gen = s_k.gen AND kc.project_id = p.id"
	    ORIGIN_JOIN("o", "p", "'project.created'", "''")
	    " WHERE p.tenant_id = ? AND p.org_id = ? AND p.gen = ? AND p.id > ?"
	    " ORDER BY p.id LIMIT ?"),
	STMT(SQL_KEY_INS,
	    "INSERT INTO oa_key (tenant_id, org_id, stream, gen, id,"
	    " project_id, type, redacted, name, created_at, last_used_at,"
	    " expires_at, owner_type, owner_id, owner_access, stale,"
	    " stale_reason, orphan, orphan_reason, as_of)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
	    " ?) ON DUPLICATE KEY UPDATE id = id"),
	STMT(SQL_KEY_PURGE,
	    "DELETE FROM oa_key WHERE org_id = ? AND stream = ? AND gen <> ?"
	    KEPT),
	STMT(SQL_KEY_COUNT_INS,
	    "INSERT INTO oa_key_count (tenant_id, org_id, gen, project_id,"
	    " total, stale, orphan) VALUES (?, ?, ?, ?, ?, ?, ?)"
	    " ON DUPLICATE KEY UPDATE project_id = project_id"),
	/* The counts go with the api_keys pulls they describe. */
	STMT(SQL_KEY_COUNT_PURGE,
	    "DELETE FROM oa_key_count WHERE org_id = ? AND gen <> ?" KEPT),
	STMT(SQL_KEY_PAGE, KEY_PAGE("oa_key_list")),
	/* Filtered by project: that project's keys, in the same order. */
	STMT(SQL_KEY_PAGE_PROJECT, KEY_PAGE("oa_key_project")),
	STMT(SQL_SVCACCT_INS,
	    "INSERT INTO oa_service_account (tenant_id, org_id, gen, id,"
	    " project_id, name, role, created_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE id = id"),
	STMT(SQL_SVCACCT_PURGE,
	    "DELETE FROM oa_service_account WHERE org_id = ? AND gen <> ?"
	    KEPT),
	STMT(SQL_PROJUSER_INS,
	    "INSERT INTO oa_project_user (tenant_id, org_id, gen, project_id,"
	    " user_id, email_sha256, email_prefix, role, added_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
	    " ON DUPLICATE KEY UPDATE user_id = user_id"),
	STMT(SQL_PROJUSER_PURGE,
	    "DELETE FROM oa_project_user WHERE org_id = ? AND gen <> ?"
	    KEPT),
	STMT(SQL_INVITE_INS,
	    "INSERT INTO oa_invite (tenant_id, org_id, gen, id, email_sha256,"
	    " email_prefix, role, status, created_at, expires_at, accepted_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	    " ON DUPLICATE KEY UPDATE id = id"),
	STMT(SQL_INVITE_PURGE,
	    "DELETE FROM oa_invite WHERE org_id = ? AND gen <> ?"
	    KEPT),

	STMT(SQL_ACCOUNT_ADD,
	    "INSERT INTO account (tenant_id, login_sha256, login_prefix, role,"
	    " password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)"),
	STMT(SQL_ACCOUNT_BY_LOGIN,
	    "SELECT a.id, a.tenant_id, a.role, a.password_hash, a.totp_secret,"
	    " t.require_totp_owners FROM account a JOIN tenant t"
	    " ON t.id = a.tenant_id WHERE a.login_sha256 = ?"),
	STMT(SQL_ACCOUNT_LIST,
	    "SELECT id, login_prefix, role, created_at, last_login_at,"
	    " totp_enabled_at FROM account WHERE tenant_id = ? ORDER BY id"),
	STMT(SQL_ACCOUNT_DELETE,
	    "DELETE FROM account WHERE id = ? AND tenant_id = ?"),
	STMT(SQL_ACCOUNT_SET_ROLE,
	    "UPDATE account SET role = ? WHERE id = ? AND tenant_id = ?"),
	STMT(SQL_ACCOUNT_OWNERS,
	    "SELECT COUNT(*) FROM account WHERE tenant_id = ?"
	    " AND role = 'owner' AND id <> ?"),
	STMT(SQL_ACCOUNT_LOGGED_IN,
	    "UPDATE account SET last_login_at = ? WHERE id = ?"),
	STMT(SQL_SESSION_ADD,
	    "INSERT INTO session (token_hash, account_id, tenant_id,"
	    " created_at, last_seen_at, expires_at, stage, address,"
	    " user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
	STMT(SQL_SESSION_GET,
	    "SELECT s.account_id, s.tenant_id, s.created_at, s.last_seen_at,"
	    " a.role, a.login_prefix, t.name, s.stage FROM session s"
	    " JOIN account a ON a.id = s.account_id AND a.tenant_id = s.tenant_id"
	    " JOIN tenant t ON t.id = s.tenant_id WHERE s.token_hash = ?"),
	STMT(SQL_SESSION_STAGE,
	    "UPDATE session SET stage = ?, totp_pending = NULL"
	    " WHERE token_hash = ?"),
	STMT(SQL_SESSION_PENDING_SET,
	    "UPDATE session SET totp_pending = ? WHERE token_hash = ?"),
	STMT(SQL_SESSION_PENDING_GET,
	    "SELECT totp_pending FROM session WHERE token_hash = ?"),
	/* The account's sessions; this one first. */
	STMT(SQL_SESSION_LIST,
	    "SELECT created_at, last_seen_at, address, user_agent, stage,"
	    " token_hash = ? FROM session WHERE account_id = ?"
	    " AND tenant_id = ? ORDER BY token_hash = ? DESC, last_seen_at DESC"),
	STMT(SQL_SESSION_END_OTHERS,
	    "DELETE FROM session WHERE account_id = ? AND token_hash <> ?"),
	STMT(SQL_ACCOUNT_AUTH,
	    "SELECT a.password_hash, a.totp_secret, a.totp_last_step,"
	    " a.role, t.require_totp_owners, a.totp_enabled_at FROM account a"
	    " JOIN tenant t ON t.id = a.tenant_id WHERE a.id = ?"),
	STMT(SQL_ACCOUNT_SET_PASSWORD,
	    "UPDATE account SET password_hash = ?, password_changed_at = ?"
	    " WHERE id = ? AND tenant_id = ?"),
	STMT(SQL_ACCOUNT_TOTP_STEP,
	    "UPDATE account SET totp_last_step = ? WHERE id = ?"
	    " AND totp_last_step < ?"),
	STMT(SQL_ACCOUNT_TOTP_SET,
	    "UPDATE account SET totp_secret = ?, totp_last_step = ?,"
	    " totp_enabled_at = ? WHERE id = ? AND tenant_id = ?"),
	STMT(SQL_RECOVERY_CLEAR,
	    "DELETE FROM account_recovery WHERE account_id = ?"),
	STMT(SQL_RECOVERY_ADD,
	    "INSERT INTO account_recovery (tenant_id, account_id, n,"
	    " code_hash) VALUES (?, ?, ?, ?)"),
	STMT(SQL_RECOVERY_LEFT,
	    "SELECT COUNT(*) FROM account_recovery WHERE account_id = ?"
	    " AND used_at IS NULL"),
	/* A code is 80 random bits: its SHA-256 is looked up, once. */
	STMT(SQL_RECOVERY_USE,
	    "UPDATE account_recovery SET used_at = ? WHERE account_id = ?"
	    " AND code_hash = ? AND used_at IS NULL"),
	STMT(SQL_RESET_ADD,
	    "INSERT INTO account_reset (token_hash, tenant_id, account_id,"
	    " created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)"),
	STMT(SQL_RESET_GET,
	    "SELECT r.account_id, r.tenant_id, a.login_prefix FROM"
	    " account_reset r JOIN account a ON a.id = r.account_id"
	    " WHERE r.token_hash = ? AND r.expires_at > ?"),
	STMT(SQL_RESET_CLEAR,
	    "DELETE FROM account_reset WHERE account_id = ?"),
	STMT(SQL_TENANT_TOTP_POLICY,
	    "UPDATE tenant SET require_totp_owners = ? WHERE id = ?"),
	/* Owners without a second factor enroll one at their next page. */
	STMT(SQL_SESSION_MUST_ENROLL,
	    "UPDATE session s JOIN account a ON a.id = s.account_id"
	    " SET s.stage = 2 WHERE s.tenant_id = ? AND s.stage = 0"
	    " AND a.role = 'owner' AND a.totp_secret IS NULL"),
	STMT(SQL_TENANT_TOTP_GET,
	    "SELECT require_totp_owners FROM tenant WHERE id = ?"),
	STMT(SQL_ACCOUNT_OF_TENANT,
	    "SELECT login_prefix FROM account WHERE id = ? AND tenant_id = ?"),
	STMT(SQL_SESSION_TOUCH,
	    "UPDATE session SET last_seen_at = ? WHERE token_hash = ?"),
	STMT(SQL_SESSION_DELETE,
	    "DELETE FROM session WHERE token_hash = ?"),
	STMT(SQL_SESSION_DELETE_ACCOUNT,
	    "DELETE FROM session WHERE account_id = ? AND tenant_id = ?"),
	STMT(SQL_SESSION_PURGE,
	    "DELETE FROM session WHERE expires_at < ? OR last_seen_at < ?"),
	STMT(SQL_THROTTLE_GET,
	    "SELECT failures, window_start, locked_until FROM login_throttle"
	    " WHERE subject = ?"),
	STMT(SQL_THROTTLE_FAIL,
	    "INSERT INTO login_throttle (subject, failures, window_start,"
	    " locked_until) VALUES (?, 1, ?, 0) ON DUPLICATE KEY UPDATE"
	    " failures = IF(window_start < VALUES(window_start) - ?, 1,"
	    "   failures + 1),"
	    " window_start = IF(window_start < VALUES(window_start) - ?,"
	    "   VALUES(window_start), window_start),"
	    " locked_until = IF(failures >= ?, VALUES(window_start) + ?,"
	    "   locked_until)"),
	/*
	 * A login at an address: after max failures in the window, each
	 * failure locks it for delay seconds, doubled each time, at most
	 * cap.  Failures elsewhere never lock it.
	 */
	STMT(SQL_THROTTLE_FAIL_GROW,
	    "INSERT INTO login_throttle (subject, failures, window_start,"
	    " locked_until) VALUES (?, 1, ?, 0) ON DUPLICATE KEY UPDATE"
	    " failures = IF(window_start < VALUES(window_start) - ?, 1,"
	    "   failures + 1),"
	    " window_start = IF(window_start < VALUES(window_start) - ?,"
	    "   VALUES(window_start), window_start),"
	    " locked_until = IF(failures >= ?, VALUES(window_start) +"
	    "   LEAST(?, ? * POW(2, LEAST(failures - ?, 20))), locked_until)"),
	STMT(SQL_THROTTLE_CLEAR,
	    "DELETE FROM login_throttle WHERE subject = ?"),
	STMT(SQL_TENANT_NAME, "SELECT name FROM tenant WHERE id = ?"),
	STMT(SQL_TOKEN_REVOKE_TENANT,
	    "UPDATE api_token SET revoked_at = ?"
	    " WHERE id = ? AND tenant_id = ? AND revoked_at IS NULL"),

	STMT(SQL_KEY_GENS,
	    "SELECT COALESCE(MAX(IF(stream = 'api_keys', gen, NULL)), 0),"
	    " COALESCE(MAX(IF(stream = 'admin_api_keys', gen, NULL)), 0)"
	    " FROM org_stream WHERE tenant_id = ? AND org_id = ?"),
	STMT(SQL_KEY_COUNT,
	    "SELECT COUNT(*) FROM oa_key k"
	    " WHERE k.tenant_id = ? AND k.org_id = ?" KEY_CURRENT KEY_FILTERS),
	STMT(SQL_KEY_SORT_LAST_USED, KEY_SORTED(
	    "k.last_used_at, k.id, k.stream")),
	STMT(SQL_KEY_SORT_LAST_USED_DESC, KEY_SORTED(
	    "k.last_used_at DESC, k.id DESC, k.stream DESC")),
	STMT(SQL_KEY_SORT_CREATED, KEY_SORTED(
	    "k.created_at, k.id, k.stream")),
	STMT(SQL_KEY_SORT_CREATED_DESC, KEY_SORTED(
	    "k.created_at DESC, k.id DESC, k.stream DESC")),
	STMT(SQL_KEY_SORT_NAME, KEY_SORTED("k.name, k.id, k.stream")),
	STMT(SQL_KEY_SORT_NAME_DESC, KEY_SORTED(
	    "k.name DESC, k.id DESC, k.stream DESC")),
	STMT(SQL_KEY_SORT_PROJECT, KEY_SORTED_FROM(KEY_BY_PROJECT,
	    "pp.name, k.project_id, k.id, k.stream",
	    "p.name, k.project_id, k.id, k.stream")),
	STMT(SQL_KEY_SORT_PROJECT_DESC, KEY_SORTED_FROM(KEY_BY_PROJECT,
	    "pp.name DESC, k.project_id DESC, k.id DESC, k.stream DESC",
	    "p.name DESC, k.project_id DESC, k.id DESC, k.stream DESC")),
	STMT(SQL_KEY_SORT_TYPE, KEY_SORTED("k.type, k.id, k.stream")),
	STMT(SQL_KEY_SORT_TYPE_DESC, KEY_SORTED(
	    "k.type DESC, k.id DESC, k.stream DESC")),
	/* Keys by age of last use: never, <7 d, <30 d, <90 d, <1 y, older. */
	STMT(SQL_KEY_AGES,
	    "SELECT CASE WHEN k.last_used_at IS NULL THEN 0"
	    " WHEN ? - k.last_used_at < 7 * 86400 THEN 1"
	    " WHEN ? - k.last_used_at < 30 * 86400 THEN 2"
	    " WHEN ? - k.last_used_at < 90 * 86400 THEN 3"
	    " WHEN ? - k.last_used_at < 365 * 86400 THEN 4 ELSE 5 END AS b,"
	    " COUNT(*) FROM oa_key k" CUR("k", "k.stream")
	    " WHERE k.tenant_id = ? AND k.org_id = ? GROUP BY b ORDER BY b"),
	STMT(SQL_PROJECT_IDS,
	    "SELECT p.id, p.name FROM oa_project p" CUR("p", "'projects'")
	    " WHERE p.tenant_id = ? AND p.org_id = ? ORDER BY p.name, p.id"),

	STMT(SQL_AUDIT_STATE_INIT,
	    "INSERT INTO audit_state (tenant_id, org_id, head_seq, head_hash)"
	    " VALUES (?, ?, 0, ?) ON DUPLICATE KEY UPDATE org_id = org_id"),
	STMT(SQL_AUDIT_STATE_GET,
	    "SELECT head_seq, head_hash, anchor_id, anchor_at,"
	    " (SELECT COALESCE(MAX(effective_at), 0) FROM audit_event"
	    "   WHERE org_id = ?)"
	    " FROM audit_state WHERE org_id = ?"),
	/* Moves the head only from where this run found it. */
	STMT(SQL_AUDIT_STATE_HEAD,
	    "UPDATE audit_state SET head_seq = ?, head_hash = ?,"
	    " anchor_id = COALESCE(?, anchor_id),"
	    " anchor_at = COALESCE(?, anchor_at),"
	    " populated = populated OR ? WHERE org_id = ? AND head_seq = ?"),
	STMT(SQL_AUDIT_STATE_CHECKED,
	    "UPDATE audit_state SET reachable = ?, checked_at = ?"
	    " WHERE org_id = ?"),
	STMT(SQL_AUDIT_IDS_BETWEEN,
	    "SELECT id FROM audit_event WHERE org_id = ?"
	    " AND effective_at BETWEEN ? AND ?"),
	STMT(SQL_AUDIT_INS,
	    "INSERT INTO audit_event (tenant_id, org_id, seq, id, effective_at,"
	    " type, actor_type, actor_id, actor_key_id, actor_email_sha256,"
	    " actor_email_prefix, project_id, target_id, body, prev_hash, hash,"
	    " stored_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
	    " ?, ?)"),
	/* In chain order: of an object's creating events the first wins. */
	STMT(SQL_ORIGIN_INS,
	    "INSERT IGNORE INTO audit_origin (tenant_id, org_id, target_id,"
	    " type, scope, seq, event_id, effective_at, actor_type, actor_id,"
	    " actor_email_prefix) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
	/*
	 * Newest first, each filter optional: (? IS NULL OR …).  Left to
	 * itself MariaDB may walk the primary key backwards for the ORDER BY
	 * and LIMIT and test each row against a rare actor: the whole chain
	 * for a page.  So the page names the index of one filter it has
	 * (list.c picks the narrowest kind), and every page is a range read
	 * of (org, that value, seq) backwards.
	 */
	STMT_COLS(SQL_EVENT_PAGE, EVENT_COLUMNS, EVENT_PAGE("PRIMARY")),
	STMT_COLS(SQL_EVENT_PAGE_TYPE, EVENT_COLUMNS,
	    EVENT_PAGE("audit_event_type")),
	STMT_COLS(SQL_EVENT_PAGE_ACTOR, EVENT_COLUMNS,
	    EVENT_PAGE("audit_event_actor")),
	STMT_COLS(SQL_EVENT_PAGE_KEY, EVENT_COLUMNS,
	    EVENT_PAGE("audit_event_key")),
	STMT_COLS(SQL_EVENT_PAGE_EMAIL, EVENT_COLUMNS,
	    EVENT_PAGE("audit_event_email")),
	STMT_COLS(SQL_EVENT_PAGE_PROJECT, EVENT_COLUMNS,
	    EVENT_PAGE("audit_event_project")),
	STMT_COLS(SQL_EVENT_PAGE_TARGET, EVENT_COLUMNS,
	    EVENT_PAGE("audit_event_target")),
	/*
	 * With a time range: newest first by time, so the time index both
	 * bounds and orders the page (ordered by seq, a range in the distant
	 * past would be found only after every newer row).
	 */
	STMT_COLS(SQL_EVENT_PAGE_TIME, EVENT_COLUMNS,
	    "SELECT" COLS(EVENT_COLUMNS) " FROM audit_event"
	    " WHERE tenant_id = ? AND org_id = ?"
	    " AND effective_at >= ? AND effective_at < ?"
	    " AND effective_at <= ? AND (effective_at < ? OR seq < ?)"
	    EVENT_FILTERS " ORDER BY effective_at DESC, seq DESC LIMIT ?"),
	/* Oldest first from a position, for SIEMs; streamed. */
	STMT(SQL_EVENT_EXPORT,
	    "SELECT seq, body, prev_hash, hash FROM audit_event"
	    " WHERE tenant_id = ? AND org_id = ? AND seq > ?"
	    " ORDER BY seq LIMIT ?"),
	STMT(SQL_AUDIT_CHAIN,
	    "SELECT seq, id, body, prev_hash, hash, type, effective_at"
	    " FROM audit_event WHERE org_id = ? ORDER BY seq"),

	/* Billing: when an org was connected, and its counts per day. */
	STMT(SQL_CONN_OPEN,
	    "INSERT INTO org_connection (tenant_id, org_id, connected_at)"
	    " SELECT ?, ?, ? FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM"
	    " org_connection WHERE org_id = ? AND disconnected_at IS NULL)"
	    " ON DUPLICATE KEY UPDATE disconnected_at = NULL"),
	STMT(SQL_CONN_CLOSE,
	    "UPDATE org_connection SET disconnected_at = ?"
	    " WHERE org_id = ? AND tenant_id = ? AND disconnected_at IS NULL"),
	/*
	 * The counts the users and projects streams hold as current, as the
	 * day's snapshot; a later pull of the same day replaces it.
	 */
	STMT(SQL_DAY_PUT,
	    "INSERT INTO org_day (tenant_id, org_id, day, users, projects,"
	    " run_id, pulled_at)"
	    " SELECT u.tenant_id, u.org_id, ?, u.humans, p.active, ?, ?"
	    " FROM org_stream u JOIN org_stream p ON p.org_id = u.org_id"
	    " AND p.stream = 'projects'"
	    " WHERE u.org_id = ? AND u.stream = 'users'"
	    " AND u.humans IS NOT NULL AND p.active IS NOT NULL"
	    " ON DUPLICATE KEY UPDATE"
	    " users = IF(VALUES(pulled_at) >= org_day.pulled_at,"
	    "  VALUES(users), org_day.users),"
	    " projects = IF(VALUES(pulled_at) >= org_day.pulled_at,"
	    "  VALUES(projects), org_day.projects),"
	    " run_id = IF(VALUES(pulled_at) >= org_day.pulled_at,"
	    "  VALUES(run_id), org_day.run_id),"
	    " pulled_at = GREATEST(org_day.pulled_at, VALUES(pulled_at))"),
	STMT(SQL_TENANT_SET_CUSTOMER,
	    "UPDATE tenant SET stripe_customer = ? WHERE id = ?"),
	STMT(SQL_BILL_CONNS,
	    "SELECT c.tenant_id, c.org_id, c.connected_at, c.disconnected_at,"
	    " o.name, o.openai_org, t.name, t.stripe_customer"
	    " FROM org_connection c JOIN org o ON o.id = c.org_id"
	    " JOIN tenant t ON t.id = c.tenant_id"
	    " WHERE c.connected_at < ?"
	    " AND (c.disconnected_at IS NULL OR c.disconnected_at >= ?)"
	    " AND (? = 0 OR c.tenant_id = ?)"
	    " ORDER BY c.tenant_id, c.org_id, c.connected_at"),
	STMT(SQL_BILL_DAYS,
	    "SELECT org_id, DAYOFMONTH(day), users, projects FROM org_day"
	    " WHERE day BETWEEN ? AND ? AND (? = 0 OR tenant_id = ?)"),
	/*
	 * An org's last snapshot before the month, to carry into it: one
	 * dive into the primary key, asked only for the orgs that need it.
	 */
	STMT(SQL_BILL_CARRY,
	    "SELECT users, projects FROM org_day WHERE org_id = ? AND day < ?"
	    " ORDER BY day DESC LIMIT 1"),
	/* The month before, oldest first: for many orgs at once. */
	STMT(SQL_BILL_CARRY_RECENT,
	    "SELECT org_id, users, projects FROM org_day"
	    " WHERE day >= ? AND day < ? AND (? = 0 OR tenant_id = ?)"
	    " ORDER BY day"),
	/* The ledger. */
	STMT(SQL_BILL_INV_GET,
	    "SELECT customer, orgs, amount_cents, invoice_started_at,"
	    " invoice_id, items_started_at, finalized_at, number, status"
	    " FROM bill_invoice WHERE tenant_id = ? AND month = ?"),
	STMT(SQL_BILL_INV_ADD,
	    "INSERT INTO bill_invoice (tenant_id, month, customer, orgs,"
	    " amount_cents, planned_at) VALUES (?, ?, ?, ?, ?, ?)"),
	STMT(SQL_BILL_INV_STARTED,
	    "UPDATE bill_invoice SET invoice_started_at = ?"
	    " WHERE tenant_id = ? AND month = ? AND invoice_started_at IS NULL"),
	/* Until the invoice exists, the tenant's customer may be corrected. */
	STMT(SQL_BILL_INV_SET_CUSTOMER,
	    "UPDATE bill_invoice SET customer = ?"
	    " WHERE tenant_id = ? AND month = ? AND invoice_id IS NULL"),
	STMT(SQL_BILL_INV_SET_ID,
	    "UPDATE bill_invoice SET invoice_id = ?"
	    " WHERE tenant_id = ? AND month = ? AND invoice_id IS NULL"),
	STMT(SQL_BILL_ITEMS_STARTED,
	    "UPDATE bill_invoice SET items_started_at = ?"
	    " WHERE tenant_id = ? AND month = ? AND items_started_at IS NULL"),
	STMT(SQL_BILL_INV_FINAL,
	    "UPDATE bill_invoice SET finalized_at = ?, number = ?, status = ?"
	    " WHERE tenant_id = ? AND month = ?"),
	STMT(SQL_BILL_ITEM_ADD,
	    "INSERT INTO bill_item (tenant_id, month, org_id, openai_org, days,"
	    " month_days, user_days, project_days, amount_cents, description)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
	STMT(SQL_BILL_ITEMS,
	    "SELECT org_id, openai_org, days, month_days, user_days,"
	    " project_days, amount_cents, description, item_id"
	    " FROM bill_item WHERE tenant_id = ? AND month = ? ORDER BY org_id"),
	STMT(SQL_BILL_ITEM_SET_ID,
	    "UPDATE bill_item SET item_id = ?, created_at = ?"
	    " WHERE tenant_id = ? AND month = ? AND org_id = ?"
	    " AND item_id IS NULL"),
	/*
	 * Evidence packs: one pull of each stream, columns in the order of
	 * their JSON names (the lines are written with sorted keys).
	 */
	STMT(SQL_PACK_ORG,
	    "SELECT name, openai_org FROM org WHERE tenant_id = ? AND id = ?"),
	STMT(SQL_PACK_ORG_TENANT, "SELECT tenant_id FROM org WHERE id = ?"),
	STMT(SQL_PACK_USERS,
	    "SELECT added_at, email_prefix, email_sha256, id,"
	    " is_service_account, role FROM oa_user"
	    " WHERE org_id = ? AND gen = ? ORDER BY id"),
	STMT(SQL_PACK_PROJECTS,
	    "SELECT archived_at, created_at, id, name, status FROM oa_project"
	    " WHERE org_id = ? AND gen = ? ORDER BY id"),
	STMT(SQL_PACK_API_KEYS,
	    "SELECT" PACK_KEY_COLS "FROM oa_key WHERE org_id = ?"
	    " AND stream = 'api_keys' AND gen = ? ORDER BY id"),
	STMT(SQL_PACK_ADMIN_KEYS,
	    "SELECT" PACK_KEY_COLS "FROM oa_key WHERE org_id = ?"
	    " AND stream = 'admin_api_keys' AND gen = ? ORDER BY id"),
	STMT(SQL_PACK_SVCACCTS,
	    "SELECT created_at, id, name, project_id, role"
	    " FROM oa_service_account WHERE org_id = ? AND gen = ?"
	    " ORDER BY id"),
	/* Each stale or orphan key of the two key streams' pulls. */
	/*
	 * Every finding open at any time in [start, end), as of end: a
	 * resolution after the end is not shown, so the pack of a period
	 * that is over never changes.  Bound (end, end, org, end, start).
	 */
	STMT(SQL_PACK_FINDINGS,
	    "SELECT f.evidence, CONCAT('fnd_', f.id), f.message,"
	    " f.resolved_at IS NULL OR f.resolved_at >= ?, f.opened_at,"
	    " IF(f.resolved_at < ?, f.resolved_at, NULL), f.rule, f.severity,"
	    " f.subject_id, f.subject_name, f.subject_type FROM finding f"
	    " WHERE f.org_id = ? AND f.opened_at < ?"
	    " AND (f.resolved_at IS NULL OR f.resolved_at >= ?) ORDER BY f.id"),
	STMT(SQL_PACK_FINDINGS_SUM,
	    "SELECT COUNT(*), COALESCE(MAX(id), 0) FROM finding"
	    " WHERE org_id = ? AND opened_at < ?"
	    " AND (resolved_at IS NULL OR resolved_at >= ?)"),
	/* The latest pack whose period ends at or before a start. */
	STMT(SQL_PACK_PREVIOUS,
	    "SELECT manifest_sha256 FROM evidence_pack"
	    " WHERE org_id = ? AND period_end <= ?"
	    " ORDER BY period_end DESC, id DESC LIMIT 1"),
	STMT(SQL_PACK_ADD,
	    "INSERT IGNORE INTO evidence_pack (tenant_id, org_id, period_start,"
	    " period_end, as_of, sha256, manifest_sha256,"
	    " previous_manifest_sha256, key_fingerprint, bytes, events, path,"
	    " made_by, created_at, inputs)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
	STMT(SQL_PACK_HEAD,
	    "SELECT head_seq, head_hash FROM audit_state WHERE org_id = ?"),
	STMT(SQL_PACK_BY_INPUTS,
	    "SELECT" COLS(PACK_COLUMNS) " FROM evidence_pack p"
	    " WHERE p.tenant_id = ? AND p.org_id = ? AND p.inputs = ?"
	    " ORDER BY p.id LIMIT 1"),
	STMT(SQL_PACK_SAME,
	    "SELECT id, path FROM evidence_pack WHERE org_id = ?"
	    " AND period_start = ? AND period_end = ? AND sha256 = ?"),
	STMT(SQL_PACK_GET,
	    "SELECT" COLS(PACK_COLUMNS) " FROM evidence_pack p"
	    " WHERE p.tenant_id = ? AND p.id = ?"),
	STMT(SQL_PACK_PAGE,
	    "SELECT" COLS(PACK_COLUMNS) " FROM evidence_pack p"
	    " WHERE p.tenant_id = ? AND (? = 0 OR p.org_id = ?) AND p.id < ?"
	    " ORDER BY p.id DESC LIMIT ?"),
	/* orgaudit's own trail (activity.c). */
	STMT(SQL_ACTIVITY_HEAD_INIT,
	    "INSERT IGNORE INTO activity_head (tenant_id, seq, hash)"
	    " VALUES (?, 0, ?)"),
	STMT(SQL_ACTIVITY_HEAD,
	    "SELECT seq, hash FROM activity_head WHERE tenant_id = ?"
	    " FOR UPDATE"),
	STMT(SQL_ACTIVITY_HEAD_GET,
	    "SELECT seq, hash FROM activity_head WHERE tenant_id = ?"),
	STMT(SQL_ACTIVITY_ADD,
	    "INSERT INTO activity (tenant_id, seq, at, actor_type, actor_id,"
	    " address, action, target, outcome, body, prev_hash, hash)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
	/* Moves the head only from where this writer found it. */
	STMT(SQL_ACTIVITY_HEAD_MOVE,
	    "UPDATE activity_head SET seq = ?, hash = ?"
	    " WHERE tenant_id = ? AND seq = ?"),
	STMT(SQL_ACTIVITY_CHAIN,
	    "SELECT seq, body, prev_hash, hash, at, actor_type, actor_id,"
	    " address, action, target, outcome FROM activity"
	    " WHERE tenant_id = ? ORDER BY seq"),
	STMT(SQL_ACTIVITY_PERIOD,
	    "SELECT seq, body, prev_hash, hash FROM activity"
	    " WHERE tenant_id = ? AND at >= ? AND at < ? ORDER BY seq"),
	STMT_COLS(SQL_ACTIVITY_PAGE, ACTIVITY_COLUMNS,
	    "SELECT" COLS(ACTIVITY_COLUMNS) " FROM activity a"
	    " WHERE a.tenant_id = ? AND a.seq < ?"
	    " AND (? IS NULL OR a.action = ?)"
	    " AND (? IS NULL OR a.at >= ?) AND (? IS NULL OR a.at < ?)"
	    " ORDER BY a.seq DESC LIMIT ?"),
	/*
	 * The findings engine (rules.c).  A rule's statement inserts what
	 * fires now, bound as (rule, severity, subject type, message, now,
	 * run, now, run, org[, threshold]); an open finding of the same
	 * subject is only seen again.
	 */
	STMT(SQL_RULE_KEY_STALE, KEY_RULE(" COALESCE(k.stale_reason, ?)",
	    "api_keys", " AND k.stale = 1")),
	STMT(SQL_RULE_KEY_ORPHAN, KEY_RULE(" COALESCE(k.orphan_reason, ?)",
	    "api_keys", " AND k.orphan = 1")),
	STMT(SQL_RULE_KEY_LEGACY, KEY_RULE(" ?", "api_keys",
	    " AND k.type = 'user'")),
	STMT(SQL_RULE_SVCACCT_KEY_OLD, KEY_RULE(" ?", "api_keys",
	    " AND k.type = 'service_account' AND k.created_at < ?")),
	STMT(SQL_RULE_ADMIN_STALE, KEY_RULE(" COALESCE(k.stale_reason, ?)",
	    "admin_api_keys", " AND k.stale = 1")),
	STMT(SQL_RULE_ADMIN_OLD, KEY_RULE(" ?", "admin_api_keys",
	    " AND k.created_at < ?")),
	STMT(SQL_RULE_ADMIN_ORPHAN, KEY_RULE(" COALESCE(k.orphan_reason, ?)",
	    "admin_api_keys", " AND k.orphan = 1")),
	/* Readable, and never held an event. */
	STMT(SQL_RULE_AUDIT_OFF, FINDING_UPSERT
	    " SELECT o.tenant_id, o.id, ?, ?, ?, COALESCE(o.openai_org,"
	    " CONCAT('org:', o.id)), LEFT(o.name, 256), ?,"
	    " JSON_OBJECT('audit_log_checked_at', a.checked_at,"
	    " 'readable', a.reachable = 1, 'events', 0), ?, ?, ?, ?, 1"
	    " FROM org o JOIN audit_state a ON a.org_id = o.id"
	    " WHERE o.id = ? AND a.checked_at > 0 AND a.reachable = 1"
	    " AND a.populated = 0" FINDING_SEEN),
	STMT(SQL_RULE_OWNERS, FINDING_UPSERT
	    " SELECT o.tenant_id, o.id, ?, ?, ?, COALESCE(o.openai_org,"
	    " CONCAT('org:', o.id)), LEFT(o.name, 256), CONCAT(c.n, ?),"
	    " JSON_OBJECT('owners', c.n, 'owner_ids', c.ids), ?, ?, ?, ?, 1"
	    " FROM org o JOIN (SELECT u.org_id, COUNT(*) AS n,"
	    "   JSON_ARRAYAGG(u.id ORDER BY u.id) AS ids"
	    "   FROM org_stream s JOIN oa_user u ON u.org_id = s.org_id"
	    "   AND u.gen = s.gen WHERE s.org_id = ? AND s.stream = 'users'"
	    "   AND u.role = 'owner' GROUP BY u.org_id) c ON c.org_id = o.id"
	    " WHERE c.n > ?" FINDING_SEEN),
	STMT(SQL_RULE_INVITE_STALE, FINDING_UPSERT
	    " SELECT i.tenant_id, i.org_id, ?, ?, ?, i.id, i.email_prefix, ?,"
	    " JSON_OBJECT('email_prefix', i.email_prefix, 'role', i.role,"
	    " 'status', i.status, 'created_at', i.created_at,"
	    " 'expires_at', i.expires_at), ?, ?, ?, ?, 1"
	    " FROM org_stream s JOIN oa_invite i ON i.org_id = s.org_id"
	    " AND i.gen = s.gen WHERE s.org_id = ? AND s.stream = 'invites'"
	    " AND i.status = 'pending' AND i.created_at < ?" FINDING_SEEN),
	/*
	 * An active project whose policy is known and is not an allow list
	 * (a 404 is stored as unknown: no evidence either way).
	 */
	STMT(SQL_RULE_NO_ALLOWLIST, FINDING_UPSERT
	    " SELECT p.tenant_id, p.org_id, ?, ?, ?, p.id, LEFT(p.name, 256), ?,"
	    " JSON_OBJECT('mode', m.mode, 'model_ids',"
	    " JSON_QUERY(COALESCE(m.model_ids, '[]'), '$')), ?, ?, ?, ?, 1"
	    " FROM org_stream s JOIN oa_project p ON p.org_id = s.org_id"
	    " AND p.gen = s.gen JOIN org_stream sm ON sm.org_id = p.org_id"
	    " AND sm.stream = 'model_permissions' JOIN oa_model_permission m"
	    " ON m.org_id = p.org_id AND m.gen = sm.gen AND m.project_id = p.id"
	    " WHERE s.org_id = ? AND s.stream = 'projects'"
	    " AND p.status = 'active' AND m.mode IS NOT NULL"
	    " AND m.mode <> 'allow_list'" FINDING_SEEN),
	/* An active project without a spend alert, in an org without one. */
	STMT(SQL_RULE_NO_SPEND_ALERT, FINDING_UPSERT
	    " SELECT p.tenant_id, p.org_id, ?, ?, ?, p.id, LEFT(p.name, 256), ?,"
	    " JSON_OBJECT('project_spend_alerts', 0, 'org_spend_alerts', 0),"
	    " ?, ?, ?, ?, 1"
	    " FROM org_stream s JOIN oa_project p ON p.org_id = s.org_id"
	    " AND p.gen = s.gen WHERE s.org_id = ? AND s.stream = 'projects'"
	    " AND p.status = 'active'"
	    " AND NOT EXISTS (SELECT 1 FROM org_stream sa"
	    "   JOIN oa_project_spend_alert a ON a.org_id = sa.org_id"
	    "   AND a.gen = sa.gen WHERE sa.org_id = p.org_id"
	    "   AND sa.stream = 'project_spend_alerts' AND a.project_id = p.id)"
	    " AND NOT EXISTS (SELECT 1 FROM org_stream so"
	    "   JOIN oa_org_spend_alert o ON o.org_id = so.org_id"
	    "   AND o.gen = so.gen WHERE so.org_id = p.org_id"
	    "   AND so.stream = 'spend_alerts')" FINDING_SEEN),
	/* Every key of both streams with the actor of its creating event. */
	STMT(SQL_RULE_KEY_CREATORS,
	    "SELECT k.tenant_id, k.stream, k.id, LEFT(k.name, 256), k.redacted,"
	    " o.actor_type, o.actor_id, o.actor_email_prefix,"
	    " e.actor_email_sha256, o.event_id, o.seq, o.effective_at"
	    " FROM org_stream s JOIN oa_key k ON k.org_id = s.org_id"
	    " AND k.stream = s.stream AND k.gen = s.gen"
	    " JOIN audit_origin o ON o.org_id = k.org_id AND o.target_id = k.id"
	    " AND o.type = 'api_key.created' AND o.scope = ''"
	    " LEFT JOIN audit_event e ON e.org_id = o.org_id AND e.seq = o.seq"
	    " WHERE s.org_id = ? AND s.stream IN ('api_keys', 'admin_api_keys')"
	    " ORDER BY k.stream, k.id"),
	/* One finding a function found: (tenant, org, rule, severity, type,
	 * id, name, message, evidence, now, run, now, run). */
	STMT(SQL_FINDING_PUT, FINDING_UPSERT
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)" FINDING_SEEN),
	/* What this run did not see again is resolved by it. */
	STMT(SQL_FINDING_RESOLVE,
	    "UPDATE finding SET live = NULL, resolved_at = ?, resolved_run = ?"
	    " WHERE org_id = ? AND rule = ? AND live = 1 AND last_seen_run <> ?"),
	/*
	 * An org's findings, newest first: status open (live), resolved or
	 * all; rule, severity and subject each optional.
	 */
	STMT_COLS(SQL_FINDING_PAGE, FINDING_COLUMNS,
	    "SELECT" COLS(FINDING_COLUMNS) " FROM finding f"
	    " WHERE f.tenant_id = ? AND f.org_id = ? AND f.id < ?"
	    " AND (? = 'all' OR (? = 'open' AND f.live = 1)"
	    "   OR (? = 'resolved' AND f.live IS NULL))"
	    " AND (? IS NULL OR f.rule = ?) AND (? IS NULL OR f.severity = ?)"
	    " AND (? IS NULL OR f.subject_id = ?)"
	    " ORDER BY f.id DESC LIMIT ?"),
	STMT(SQL_FINDING_OPEN_COUNTS,
	    "SELECT f.org_id, o.name, f.rule, f.severity, COUNT(*)"
	    " FROM finding f JOIN org o ON o.id = f.org_id"
	    " WHERE f.tenant_id = ? AND f.live = 1 AND o.tenant_id = f.tenant_id"
	    " GROUP BY f.org_id, o.name, f.rule, f.severity"
	    " ORDER BY f.org_id, f.rule, f.severity"),
	/* Resolved since: count and total seconds open, per rule. */
	STMT(SQL_FINDING_MTTR,
	    "SELECT rule, COUNT(*), SUM(resolved_at - opened_at) FROM finding"
	    " WHERE tenant_id = ? AND live IS NULL AND resolved_at >= ?"
	    " GROUP BY rule ORDER BY rule"),
	/* Open findings at the end of each of the days before (from, step). */
	STMT(SQL_FINDING_OVER_TIME,
	    "WITH RECURSIVE d (t) AS (SELECT ? UNION ALL SELECT t - 86400"
	    " FROM d WHERE t - 86400 > ?)"
	    " SELECT d.t, COUNT(f.id) FROM d LEFT JOIN finding f"
	    " ON f.tenant_id = ? AND f.opened_at <= d.t"
	    " AND (f.resolved_at IS NULL OR f.resolved_at > d.t)"
	    " GROUP BY d.t ORDER BY d.t"),
	/* Alert channels and their outbox (alert.c, notify.c). */
	STMT(SQL_ALERT_ADD,
	    "INSERT INTO alert_channel (tenant_id, type, name, hint, triggers,"
	    " min_severity, format, created_at, created_by, digest)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
	STMT(SQL_ALERT_SEAL,
	    "UPDATE alert_channel SET target_sealed = ?, secret_sealed = ?"
	    " WHERE id = ?"),
	STMT(SQL_ALERT_REMOVE,
	    "UPDATE alert_channel SET removed_at = ? WHERE id = ?"
	    " AND (? = 0 OR tenant_id = ?) AND removed_at IS NULL"),
	STMT(SQL_ALERT_LIST,
	    "SELECT c.id, c.type, c.name, c.hint, c.triggers, c.min_severity,"
	    " c.format, c.created_at, c.created_by,"
	    " (SELECT MAX(o.sent_at) FROM alert_outbox o"
	    "   WHERE o.channel_id = c.id),"
	    " (SELECT COUNT(*) FROM alert_outbox o WHERE o.channel_id = c.id"
	    "   AND o.status = 'dead'), c.tenant_id, c.digest"
	    " FROM alert_channel c WHERE (? = 0 OR c.tenant_id = ?)"
	    " AND c.removed_at IS NULL ORDER BY c.id"),
	/* The org's login.failed events stored in an hour (alert.c). */
	STMT(SQL_ALERT_LOGIN_FAILED,
	    "SELECT COUNT(*) FROM audit_event WHERE org_id = ?"
	    " AND type = 'login.failed' AND effective_at >= ?"
	    " AND effective_at < ?"),
	STMT(SQL_ALERT_ROUTES,
	    "SELECT id, triggers, min_severity, digest FROM alert_channel"
	    " WHERE tenant_id = ? AND removed_at IS NULL ORDER BY id"),
	STMT(SQL_ALERT_ORG,
	    "SELECT o.connected_at, o.name, o.openai_org, t.id, t.name"
	    " FROM org o JOIN tenant t ON t.id = o.tenant_id WHERE o.id = ?"),
	STMT(SQL_ALERT_CHANNEL_TENANT,
	    "SELECT tenant_id FROM alert_channel WHERE id = ?"
	    " AND (? = 0 OR tenant_id = ?) AND removed_at IS NULL"),
	/* (tenant, org, channel, event id, ref, created, next). */
	STMT(SQL_OUTBOX_AUDIT_INS,
	    "INSERT IGNORE INTO alert_outbox (tenant_id, org_id, channel_id,"
	    " event_id, kind, ref, body, created_at, status, next_at)"
	    " VALUES (?, ?, ?, ?, 'audit_event', ?, NULL, ?, 'pending', ?)"),
	/* A message with its body; status pending, or held for a digest. */
	STMT(SQL_OUTBOX_PUT,
	    "INSERT IGNORE INTO alert_outbox (tenant_id, org_id, channel_id,"
	    " event_id, kind, ref, body, created_at, status, next_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
	/* Channels whose oldest held message was queued before a time. */
	STMT(SQL_DIGEST_DUE,
	    "SELECT o.channel_id, MIN(o.tenant_id), MIN(o.org_id)"
	    " FROM alert_outbox o JOIN alert_channel c ON c.id = o.channel_id"
	    " WHERE o.status = 'held' AND c.removed_at IS NULL"
	    " GROUP BY o.channel_id HAVING MIN(o.created_at) <= ?"),
	STMT(SQL_DIGEST_HELD,
	    "SELECT id, body FROM alert_outbox WHERE channel_id = ?"
	    " AND status = 'held' ORDER BY id FOR UPDATE"),
	STMT(SQL_DIGEST_DONE,
	    "UPDATE alert_outbox SET status = 'digested'"
	    " WHERE channel_id = ? AND status = 'held' AND id <= ?"),
	STMT_COLS(SQL_ALERT_FINDINGS, FINDING_COLUMNS,
	    "SELECT" COLS(FINDING_COLUMNS) " FROM finding f WHERE f.org_id = ?"
	    " AND (f.opened_run = ? OR f.resolved_run = ?) ORDER BY f.id"),
	STMT(SQL_RUN_BEFORE,
	    "SELECT COUNT(*) FROM collect_run WHERE org_id = ? AND id < ?"),
	STMT(SQL_OUTBOX_DUE,
	    "SELECT id, channel_id FROM alert_outbox WHERE status = 'pending'"
	    " AND next_at <= ? AND lease_until < ? ORDER BY channel_id, id"
	    " LIMIT ?"),
	STMT(SQL_OUTBOX_TAKE,
	    "UPDATE alert_outbox SET lease_owner = ?, lease_until = ?"
	    " WHERE id = ? AND status = 'pending' AND lease_until < ?"),
	STMT(SQL_OUTBOX_GET,
	    "SELECT o.id, o.tenant_id, o.org_id, o.channel_id, o.event_id,"
	    " o.kind, o.ref, o.body, o.created_at, o.attempts, c.type,"
	    " c.target_sealed, c.secret_sealed, c.format, c.removed_at, c.name"
	    " FROM alert_outbox o JOIN alert_channel c ON c.id = o.channel_id"
	    " WHERE o.id = ?"),
	STMT(SQL_OUTBOX_SENT,
	    "UPDATE alert_outbox SET status = 'sent', sent_at = ?,"
	    " last_status = ?, last_error = NULL, attempts = attempts + 1,"
	    " lease_owner = NULL, lease_until = 0"
	    " WHERE id = ? AND lease_owner = ?"),
	STMT(SQL_OUTBOX_RETRY,
	    "UPDATE alert_outbox SET attempts = attempts + 1, next_at = ?,"
	    " last_status = ?, last_error = ?, lease_owner = NULL,"
	    " lease_until = 0 WHERE id = ? AND lease_owner = ?"),
	STMT(SQL_OUTBOX_DEAD,
	    "UPDATE alert_outbox SET status = 'dead', attempts = attempts + 1,"
	    " last_status = ?, last_error = ?, lease_owner = NULL,"
	    " lease_until = 0 WHERE id = ? AND lease_owner = ?"),
	STMT(SQL_OUTBOX_RESEND,
	    "UPDATE alert_outbox SET status = 'pending', next_at = ?,"
	    " created_at = ?, attempts = 0 WHERE id = ? AND tenant_id = ?"
	    " AND status = 'dead'"),
	STMT(SQL_OUTBOX_LIST,
	    "SELECT o.id, o.channel_id, c.name, c.type, o.event_id, o.kind,"
	    " o.status, o.attempts, o.created_at, o.sent_at, o.last_status,"
	    " o.last_error FROM alert_outbox o"
	    " JOIN alert_channel c ON c.id = o.channel_id"
	    " WHERE o.tenant_id = ? ORDER BY o.id DESC LIMIT ?"),
	STMT_COLS(SQL_OUTBOX_EVENT, EVENT_COLUMNS,
	    "SELECT" COLS(EVENT_COLUMNS) " FROM audit_event"
	    " WHERE org_id = ? AND seq = ?"),
	STMT(SQL_ACTIVITY_LAST_BEFORE,
	    "SELECT seq, hash FROM activity WHERE tenant_id = ? AND at < ?"
	    " ORDER BY seq DESC LIMIT 1"),
	STMT(SQL_TOKEN_TENANT,
	    "SELECT tenant_id FROM api_token WHERE id = ?"),
	STMT(SQL_ACTIVITY_TENANTS,
	    "SELECT tenant_id FROM activity_head ORDER BY tenant_id"),

	/* Jobs (job.c). */
	STMT(SQL_JOB_ADD,
	    "INSERT IGNORE INTO job (tenant_id, org_id, kind, period_start,"
	    " period_end, inputs, status, made_by, requested_by, created_at,"
	    " live) VALUES (?, ?, 'pack', ?, ?, ?, 'queued', ?, ?, ?, 1)"),
	STMT_COLS(SQL_JOB_LIVE, JOB_COLUMNS,
	    "SELECT" COLS(JOB_COLUMNS) " FROM job j"
	    " WHERE j.tenant_id = ? AND j.org_id = ? AND j.inputs = ?"
	    " AND j.live = 1"),
	STMT_COLS(SQL_JOB_GET, JOB_COLUMNS,
	    "SELECT" COLS(JOB_COLUMNS) " FROM job j"
	    " WHERE j.tenant_id = ? AND j.id = ?"),
	STMT_COLS(SQL_JOB_RECENT, JOB_COLUMNS,
	    "SELECT" COLS(JOB_COLUMNS) " FROM job j"
	    " WHERE j.tenant_id = ? AND j.org_id = ?"
	    " AND (j.live = 1 OR j.ended_at >= ?)"
	    " ORDER BY j.id DESC LIMIT 20"),
	/* Requests in the last hour: their count and the oldest's time. */
	STMT(SQL_JOB_RATE,
	    "SELECT COUNT(*), COALESCE(MIN(created_at), 0) FROM job"
	    " WHERE tenant_id = ? AND created_at >= ? AND made_by <> 'monthly'"),
	STMT(SQL_PACK_COUNT,
	    "SELECT COUNT(*) FROM evidence_pack WHERE tenant_id = ?"),
	/* A job whose worker stopped renewing its lease is taken again. */
	STMT(SQL_JOB_REQUEUE,
	    "UPDATE job SET status = IF(attempts >= 3, 'failed', 'queued'),"
	    " live = IF(attempts >= 3, NULL, 1),"
	    " error = IF(attempts >= 3, 'the worker running it stopped three"
	    " times', NULL), ended_at = IF(attempts >= 3, ?, NULL),"
	    " lease_owner = NULL WHERE status = 'running' AND lease_until < ?"),
	STMT(SQL_JOB_NEXT,
	    "SELECT j.id, j.tenant_id FROM job j WHERE j.status = 'queued'"
	    " AND NOT EXISTS (SELECT 1 FROM job r WHERE r.tenant_id ="
	    " j.tenant_id AND r.status = 'running') ORDER BY j.id LIMIT 1"
	    " FOR UPDATE SKIP LOCKED"),
	STMT(SQL_JOB_TENANT_LOCK,
	    "SELECT id FROM tenant WHERE id = ? FOR UPDATE"),
	STMT(SQL_JOB_TENANT_BUSY,
	    "SELECT COUNT(*) FROM job WHERE tenant_id = ? AND status = 'running'"),
	STMT(SQL_JOB_TAKE,
	    "UPDATE job SET status = 'running', attempts = attempts + 1,"
	    " lease_owner = ?, lease_until = ?, started_at = ?, done = 0"
	    " WHERE id = ? AND status = 'queued'"),
	STMT(SQL_JOB_PROGRESS,
	    "UPDATE job SET done = ?, total = ?, lease_until = ?"
	    " WHERE id = ? AND lease_owner = ? AND status = 'running'"),
	STMT(SQL_JOB_FINISH,
	    "UPDATE job SET status = ?, pack_id = ?, error = ?, ended_at = ?,"
	    " live = NULL, lease_owner = NULL, lease_until = 0,"
	    " done = IF(? = 'done', total, done)"
	    " WHERE id = ? AND lease_owner = ? AND status = 'running'"),
	/* Orgs connected at some time of a period, for the monthly packs. */
	STMT(SQL_PACK_ORGS_IN,
	    "SELECT DISTINCT c.tenant_id, c.org_id FROM org_connection c"
	    " WHERE c.connected_at < ?"
	    " AND (c.disconnected_at IS NULL OR c.disconnected_at >= ?)"
	    " ORDER BY c.org_id"),
	STMT(SQL_BILL_INVOICES,
	    "SELECT month, orgs, amount_cents, invoice_id, number, status,"
	    " finalized_at FROM bill_invoice WHERE tenant_id = ?"
	    " ORDER BY month DESC LIMIT 24"),
	/*
	 * 016_posture.  Every insert is a no-op when the row is there: a
	 * retried batch stores each row once.
	 */
	STMT(SQL_MODEL_PERM_INS,
	    "INSERT INTO oa_model_permission (tenant_id, org_id, gen,"
	    " project_id, mode, model_ids) VALUES (?, ?, ?, ?, ?, ?)"
	    " ON DUPLICATE KEY UPDATE project_id = project_id"),
	STMT(SQL_MODEL_PERM_PURGE,
	    "DELETE FROM oa_model_permission WHERE org_id = ? AND gen <> ?"
	    KEPT),
	STMT(SQL_ORG_ALERT_INS,
	    "INSERT INTO oa_org_spend_alert (tenant_id, org_id, gen, id,"
	    " threshold_cents, currency, period, channel, recipients)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE id = id"),
	STMT(SQL_ORG_ALERT_PURGE,
	    "DELETE FROM oa_org_spend_alert WHERE org_id = ? AND gen <> ?"
	    KEPT),
	STMT(SQL_PROJECT_ALERT_INS,
	    "INSERT INTO oa_project_spend_alert (tenant_id, org_id, gen,"
	    " project_id, id, threshold_cents, currency, period, channel,"
	    " recipients) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	    " ON DUPLICATE KEY UPDATE id = id"),
	STMT(SQL_PROJECT_ALERT_PURGE,
	    "DELETE FROM oa_project_spend_alert WHERE org_id = ? AND gen <> ?"
	    KEPT),
	STMT(SQL_ORG_RETENTION_INS,
	    "INSERT INTO oa_org_data_retention (tenant_id, org_id, gen, type)"
	    " VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE gen = gen"),
	STMT(SQL_ORG_RETENTION_PURGE,
	    "DELETE FROM oa_org_data_retention WHERE org_id = ? AND gen <> ?"
	    KEPT),
	STMT(SQL_PROJECT_RETENTION_INS,
	    "INSERT INTO oa_project_data_retention (tenant_id, org_id, gen,"
	    " project_id, type) VALUES (?, ?, ?, ?, ?)"
	    " ON DUPLICATE KEY UPDATE project_id = project_id"),
	STMT(SQL_PROJECT_RETENTION_PURGE,
	    "DELETE FROM oa_project_data_retention WHERE org_id = ?"
	    " AND gen <> ?" KEPT),
	STMT(SQL_RATE_LIMIT_INS,
	    "INSERT INTO oa_rate_limit (tenant_id, org_id, gen, project_id, id,"
	    " model, max_requests_per_1_minute, max_tokens_per_1_minute,"
	    " max_images_per_1_minute, max_audio_megabytes_per_1_minute,"
	    " max_requests_per_1_day, batch_1_day_max_input_tokens)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	    " ON DUPLICATE KEY UPDATE id = id"),
	STMT(SQL_RATE_LIMIT_PURGE,
	    "DELETE FROM oa_rate_limit WHERE org_id = ? AND gen <> ?" KEPT),
	STMT(SQL_ROLE_INS,
	    "INSERT INTO oa_role (tenant_id, org_id, gen, id, name,"
	    " description, permissions, resource_type, predefined)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE id = id"),
	STMT(SQL_ROLE_PURGE,
	    "DELETE FROM oa_role WHERE org_id = ? AND gen <> ?" KEPT),
	STMT(SQL_USER_ROLE_INS,
	    "INSERT INTO oa_user_role (tenant_id, org_id, gen, user_id,"
	    " role_id, role_name, direct, group_ids)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
	    " ON DUPLICATE KEY UPDATE role_id = role_id"),
	STMT(SQL_USER_ROLE_PURGE,
	    "DELETE FROM oa_user_role WHERE org_id = ? AND gen <> ?" KEPT),
	STMT(SQL_ANALYZE_POSTURE,
	    "ANALYZE TABLE oa_model_permission, oa_org_spend_alert,"
	    " oa_project_spend_alert, oa_org_data_retention,"
	    " oa_project_data_retention, oa_rate_limit, oa_role, oa_user_role"),

	/* Usage and costs, as the collector stores them (usage-collect.c). */
	STMT(SQL_ORG_DUE,
	    "SELECT inventory_at, usage_at FROM org WHERE id = ?"),
	STMT(SQL_ORG_DUE_SET,
	    "UPDATE org SET inventory_at = IF(?, ?, inventory_at),"
	    " usage_at = IF(?, ?, usage_at) WHERE id = ?"),
	STMT(SQL_USAGE_CURSOR_GET,
	    "SELECT width, from_time, through FROM usage_cursor"
	    " WHERE org_id = ? AND stream = ?"),
	/* The backfill's start stays; the cursor only moves ahead. */
	/* rollup_from: the earliest day a page changed since the roll-ups
	 * were last summed (NULL leaves it). */
	STMT(SQL_USAGE_CURSOR_PUT,
	    "INSERT INTO usage_cursor (tenant_id, org_id, stream, width,"
	    " from_time, through, updated_at, rollup_from)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
	    " ON DUPLICATE KEY UPDATE through = GREATEST(through,"
	    " VALUES(through)), updated_at = VALUES(updated_at),"
	    " rollup_from = COALESCE(LEAST(rollup_from, VALUES(rollup_from)),"
	    " rollup_from, VALUES(rollup_from))"),
	STMT(SQL_USAGE_ROLLUP_FROM,
	    "SELECT rollup_from FROM usage_cursor WHERE org_id = ?"
	    " AND stream = ? AND width = '1d' AND rollup_from IS NOT NULL"
	    " FOR UPDATE"),
	STMT(SQL_USAGE_ROLLUP_DONE,
	    "UPDATE usage_cursor SET rollup_from = NULL WHERE org_id = ?"
	    " AND stream = ? AND width = '1d'"),
	STMT(SQL_COST_CURRENCY,
	    "SELECT currency FROM cost_bucket WHERE org_id = ?"
	    " ORDER BY start_time DESC LIMIT 1"),
	/*
	 * The latest value of a bucket row.  A closed bucket (it had ended
	 * when read) that changes counts a revision; assignments run left
	 * to right, so the tests see the old values.
	 */
	STMT(SQL_USAGE_PUT,
	    "INSERT INTO usage_bucket (tenant_id, org_id, endpoint, width,"
	    " start_time, grp, project_id, user_id, api_key_id, model,"
	    " requests, input_tokens, output_tokens, counters, extra, closed,"
	    " first_seen, run_id)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	    " ON DUPLICATE KEY UPDATE"
	    " revisions = revisions + IF(closed = 1 AND (counters <>"
	    " VALUES(counters) OR NOT extra <=> VALUES(extra)), 1, 0),"
	    " revised_at = IF(closed = 1 AND (counters <> VALUES(counters)"
	    " OR NOT extra <=> VALUES(extra)), VALUES(first_seen), revised_at),"
	    " requests = VALUES(requests), input_tokens = VALUES(input_tokens),"
	    " output_tokens = VALUES(output_tokens),"
	    " counters = VALUES(counters), extra = VALUES(extra),"
	    " closed = VALUES(closed), run_id = VALUES(run_id)"),
	STMT(SQL_COST_PUT,
	    "INSERT INTO cost_bucket (tenant_id, org_id, start_time, grp,"
	    " project_id, line_item, api_key_id, amount, currency, quantity,"
	    " quantity_unit, extra, closed, first_seen, run_id)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	    " ON DUPLICATE KEY UPDATE"
	    " revisions = revisions + IF(closed = 1 AND amount <>"
	    " VALUES(amount), 1, 0),"
	    " revised_at = IF(closed = 1 AND amount <> VALUES(amount),"
	    " VALUES(first_seen), revised_at),"
	    " amount = VALUES(amount), currency = VALUES(currency),"
	    " quantity = VALUES(quantity), quantity_unit = VALUES(quantity_unit),"
	    " extra = VALUES(extra), closed = VALUES(closed),"
	    " run_id = VALUES(run_id)"),
	/* Rows of buckets just served that the serving no longer holds. */
	STMT(SQL_USAGE_VANISHED,
	    "DELETE FROM usage_bucket WHERE org_id = ? AND endpoint = ?"
	    " AND width = ? AND start_time BETWEEN ? AND ? AND run_id <> ?"),
	STMT(SQL_COST_VANISHED,
	    "DELETE FROM cost_bucket WHERE org_id = ?"
	    " AND start_time BETWEEN ? AND ? AND run_id <> ?"),
	STMT(SQL_COST_DAY_CLEAR,
	    "DELETE FROM cost_day_project WHERE org_id = ?"
	    " AND start_time BETWEEN ? AND ?"),
	STMT(SQL_COST_DAY_SUM,
	    "INSERT INTO cost_day_project (tenant_id, org_id, start_time,"
	    " project_id, amount, currency)"
	    " SELECT MIN(tenant_id), org_id, start_time,"
	    " COALESCE(project_id, ''), SUM(amount), MIN(currency)"
	    " FROM cost_bucket WHERE org_id = ? AND start_time BETWEEN ? AND ?"
	    " GROUP BY org_id, start_time, COALESCE(project_id, '')"),
	STMT(SQL_USAGE_HOURLY_PURGE,
	    "DELETE FROM usage_bucket WHERE org_id = ? AND endpoint = ?"
	    " AND width = '1h' AND start_time < ?"),
	STMT(SQL_USAGE_KEY_STAT_CLEAR,
	    "DELETE FROM usage_key_stat WHERE org_id = ?"),
	/* Per key: spend and requests of the 30 days to now, last day used. */
	STMT(SQL_USAGE_KEY_STAT_SUM,
	    "INSERT INTO usage_key_stat (tenant_id, org_id, api_key_id,"
	    " spend_30d, requests_30d, last_usage_day, as_of)"
	    " SELECT ?, ?, k, SUM(spend), SUM(req), MAX(last_day), ? FROM ("
	    "  SELECT api_key_id AS k, CAST(0 AS DECIMAL(38,18)) AS spend,"
	    "  SUM(IF(start_time >= ?, COALESCE(requests, 0), 0)) AS req,"
	    "  MAX(start_time) AS last_day"
	    "  FROM usage_bucket WHERE org_id = ? AND width = '1d'"
	    "  AND api_key_id IS NOT NULL GROUP BY api_key_id"
	    "  UNION ALL"
	    "  SELECT api_key_id, SUM(amount), 0, NULL FROM cost_bucket"
	    "  WHERE org_id = ? AND start_time >= ? AND api_key_id IS NOT NULL"
	    "  GROUP BY api_key_id) t GROUP BY k"),
	STMT(SQL_USAGE_UNMAPPED_CLEAR,
	    "DELETE FROM usage_unmapped WHERE org_id = ?"),
	/*
	 * Unmapped activity of every stored day, as SQL_API_UNMAPPED without
	 * a range, kind by kind.  First the ids the lists lack, with their
	 * first and last day, from loose index scans (a few index rows per
	 * id: usage_bucket_key, _user, _project, cost_bucket_key, _project);
	 * then each one's sums, by the same indexes.  Bound: (org) as often
	 * as it appears.
	 */
	STMT(SQL_USAGE_UNMAPPED_KEY_IDS,
	    UNMAPPED_BOTH_IDS("api_key_id", UNMAPPED_LISTED("oa_key", "k",
	    "'api_keys', 'admin_api_keys'") " AND k.stream = s.stream)")),
	STMT(SQL_USAGE_UNMAPPED_PROJECT_IDS,
	    UNMAPPED_BOTH_IDS("project_id", UNMAPPED_LISTED("oa_project", "p",
	    "'projects'") ")")),
	STMT(SQL_USAGE_UNMAPPED_USER_IDS,
	    "SELECT t.id, t.d0, t.d1 FROM ("
	    UNMAPPED_IDS("usage_bucket", "user_id", " AND width = '1d'",
	    ", width") ") t"
	    " WHERE NOT" UNMAPPED_LISTED("oa_user", "u", "'users'") ")"),
	STMT(SQL_USAGE_UNMAPPED_KEY_PUT, UNMAPPED_PUT("api_key", "api_key_id")),
	STMT(SQL_USAGE_UNMAPPED_PROJECT_PUT,
	    UNMAPPED_PUT("project", "project_id")),
	/*
	 * A user's spend is that of the keys its usage carries; its days,
	 * those of its usage and of those keys' costs.  The keys first, each
	 * one's costs by cost_bucket_key.  Bound: (tenant, org, id, org, id,
	 * first, first, last, last, org, id, org).
	 */
	STMT(SQL_USAGE_UNMAPPED_USER_PUT,
	    "INSERT INTO usage_unmapped (tenant_id, org_id, kind, id, amount,"
	    " requests, first_day, last_day)"
	    " SELECT STRAIGHT_JOIN ?, ?, 'user', ?, COALESCE(SUM(b.amount), 0),"
	    " (SELECT COALESCE(SUM(COALESCE(u.requests, 0)), 0)"
	    "  FROM usage_bucket u WHERE u.org_id = ? AND u.width = '1d'"
	    "  AND u.user_id = ?),"
	    " LEAST(?, COALESCE(MIN(b.start_time), ?)),"
	    " GREATEST(?, COALESCE(MAX(b.start_time), ?))"
	    " FROM (SELECT DISTINCT api_key_id FROM usage_bucket"
	    "  WHERE org_id = ? AND width = '1d' AND user_id = ?"
	    "  AND api_key_id IS NOT NULL) k"
	    " LEFT JOIN cost_bucket b FORCE INDEX (cost_bucket_key)"
	    "  ON b.org_id = ? AND b.api_key_id = k.api_key_id"),
	/*
	 * The per-day roll-ups (020_usage_rollups.sql), summed again from
	 * the stream's rollup_from on.  Bound: (org, day).
	 */
	STMT(SQL_ROLL_COST_DAY_CLEAR,
	    "DELETE FROM cost_day WHERE org_id = ? AND start_time >= ?"),
	STMT(SQL_ROLL_COST_DAY_SUM,
	    "INSERT INTO cost_day (tenant_id, org_id, start_time, amount,"
	    " currency) SELECT MIN(tenant_id), org_id, start_time, SUM(amount),"
	    " MIN(currency) FROM cost_day_project WHERE org_id = ?"
	    " AND start_time >= ? GROUP BY org_id, start_time"),
	STMT(SQL_ROLL_COST_CUM_CLEAR,
	    "DELETE FROM cost_cum_project WHERE org_id = ? AND start_time >= ?"),
	/*
	 * From day lo on, every project's running sum: the day before lo's
	 * (unchanged) plus each day's.  The projects: those with a sum on
	 * that day (every project seen before lo) and those with costs from
	 * lo on, each from its first day.  Bound: (org, org, lo, org, lo,
	 * org, lo, org, lo).
	 */
	STMT(SQL_ROLL_COST_CUM_SUM,
	    "INSERT INTO cost_cum_project (tenant_id, org_id, start_time,"
	    " project_id, amount, n, currency)"
	    " SELECT d.tenant_id, d.org_id, d.start_time, p.project_id,"
	    " COALESCE(b.amount, 0) + SUM(COALESCE(c.amount, 0)) OVER w,"
	    " COALESCE(b.n, 0) + SUM(c.start_time IS NOT NULL) OVER w,"
	    " d.currency FROM cost_day d"
	    " JOIN (SELECT project_id, MIN(f) AS first FROM ("
	    "  SELECT project_id, 0 AS f FROM cost_cum_project"
	    "  WHERE org_id = ? AND start_time = (SELECT MAX(start_time)"
	    "  FROM cost_day WHERE org_id = ? AND start_time < ?)"
	    "  UNION ALL SELECT project_id, start_time FROM cost_day_project"
	    "  WHERE org_id = ? AND start_time >= ?) q GROUP BY project_id) p"
	    "  ON d.start_time >= p.first"
	    " LEFT JOIN cost_day_project c ON c.org_id = d.org_id"
	    "  AND c.start_time = d.start_time AND c.project_id = p.project_id"
	    " LEFT JOIN cost_cum_project b ON b.org_id = d.org_id"
	    "  AND b.project_id = p.project_id AND b.start_time ="
	    "  (SELECT MAX(start_time) FROM cost_day WHERE org_id = ?"
	    "   AND start_time < ?)"
	    " WHERE d.org_id = ? AND d.start_time >= ?"
	    " WINDOW w AS (PARTITION BY p.project_id ORDER BY d.start_time)"),
	STMT(SQL_ROLL_MODEL_CLEAR,
	    "DELETE FROM usage_day_model WHERE org_id = ? AND start_time >= ?"),
	STMT(SQL_ROLL_MODEL_SUM,
	    "INSERT INTO usage_day_model (tenant_id, org_id, start_time, model,"
	    " requests, input_tokens, output_tokens)"
	    " SELECT MIN(tenant_id), org_id, start_time, COALESCE(model, ''),"
	    " SUM(COALESCE(requests, 0)), SUM(COALESCE(input_tokens, 0)),"
	    " SUM(COALESCE(output_tokens, 0)) FROM usage_bucket"
	    " WHERE org_id = ? AND endpoint = 'completions' AND width = '1d'"
	    " AND start_time >= ?"
	    " GROUP BY org_id, start_time, COALESCE(model, '')"),
	/* Each key's requests per day of the window, oldest first. */
	STMT(SQL_RULE_USAGE_DAYS,
	    "SELECT api_key_id, start_time, SUM(COALESCE(requests, 0))"
	    " FROM usage_bucket WHERE org_id = ? AND width = '1d'"
	    " AND api_key_id IS NOT NULL AND start_time >= ?"
	    " GROUP BY api_key_id, start_time ORDER BY api_key_id, start_time"),
	/* The listed project keys, and whether their owner left the org. */
	STMT(SQL_RULE_USAGE_KEYS,
	    "SELECT k.id, LEFT(k.name, 256), k.redacted, k.created_at,"
	    " k.last_used_at, k.stale, k.owner_type = 'user' AND u.id IS NULL"
	    " AND s_u.gen IS NOT NULL, k.owner_id, k.project_id, k.owner_type"
	    " FROM org_stream s JOIN oa_key k ON k.org_id = s.org_id"
	    " AND k.stream = s.stream AND k.gen = s.gen"
	    " LEFT JOIN org_stream s_u ON s_u.org_id = k.org_id"
	    "   AND s_u.stream = 'users'"
	    " LEFT JOIN oa_user u ON u.org_id = k.org_id AND u.gen = s_u.gen"
	    "   AND u.id = k.owner_id"
	    " WHERE s.org_id = ? AND s.stream = 'api_keys'"),
	/* When each user was removed from the org, by the audit log. */
	STMT(SQL_RULE_USER_LEFT,
	    "SELECT target_id, MAX(effective_at) FROM audit_event"
	    " WHERE org_id = ? AND type = 'user.deleted'"
	    " AND target_id IS NOT NULL GROUP BY target_id"),
	/* Costs ingested, usage ingested, usage that names users. */
	STMT(SQL_USAGE_FACTS,
	    "SELECT EXISTS (SELECT 1 FROM cost_bucket WHERE org_id = ?),"
	    " EXISTS (SELECT 1 FROM usage_bucket WHERE org_id = ?),"
	    " EXISTS (SELECT 1 FROM usage_bucket WHERE org_id = ?"
	    " AND width = '1d' AND user_id IS NOT NULL)"),
	STMT(SQL_ORG_CAPS_GET, "SELECT capabilities FROM org WHERE id = ?"),
	STMT(SQL_ORG_CAPS_SET, "UPDATE org SET capabilities = ? WHERE id = ?"),
	STMT(SQL_ANALYZE_USAGE,
	    "ANALYZE TABLE usage_bucket, cost_bucket, cost_day_project,"
	    " usage_key_stat"),
	/*
	 * Costs summed exactly (DECIMAL) by the chosen fields, each bound
	 * as a flag: a field not grouped by is NULL.  Bound: (day?,
	 * project?, line_item?, api_key?, tenant, org, since, until).
	 */
	STMT(SQL_API_COSTS,
	    "SELECT IF(?, start_time, NULL) AS g_day,"
	    " IF(?, project_id, NULL) AS g_project,"
	    " IF(?, line_item, NULL) AS g_item,"
	    " IF(?, api_key_id, NULL) AS g_key, SUM(amount), MIN(currency)"
	    " FROM cost_bucket WHERE tenant_id = ? AND org_id = ?"
	    " AND start_time >= ? AND start_time < ?"
	    " GROUP BY g_day, g_project, g_item, g_key"
	    " ORDER BY g_day, g_project, g_item, g_key"),
	/*
	 * The same rows when grouped by no more than day and project, from
	 * the daily roll-up (cost_day_project: '' is "no project").  Bound:
	 * (day?, project?, tenant, org, since, until).
	 */
	STMT(SQL_API_COSTS_DAY,
	    "SELECT IF(?, start_time, NULL) AS g_day,"
	    " IF(?, NULLIF(project_id, ''), NULL) AS g_project,"
	    " NULL, NULL, SUM(amount), MIN(currency)"
	    " FROM cost_day_project WHERE tenant_id = ? AND org_id = ?"
	    " AND start_time >= ? AND start_time < ?"
	    " GROUP BY g_day, g_project ORDER BY g_day, g_project"),
	/* By day alone: cost_day.  Bound: (tenant, org, since, until). */
	STMT(SQL_API_COSTS_BY_DAY,
	    "SELECT start_time, NULL, NULL, NULL, amount, currency FROM cost_day"
	    " WHERE tenant_id = ? AND org_id = ? AND start_time >= ?"
	    " AND start_time < ? ORDER BY start_time"),
	/* The last day with costs before until, and before since. */
	STMT(SQL_API_COSTS_EDGES,
	    "SELECT (SELECT MAX(start_time) FROM cost_day WHERE org_id = ?"
	    " AND start_time < ?), (SELECT MAX(start_time) FROM cost_day"
	    " WHERE org_id = ? AND start_time < ?)"),
	/*
	 * By project alone: the running sums at the last day of the range
	 * (hi) less those at the last day before it (lo), for projects with
	 * a cost row in between.  Bound: (hi, tenant, org, hi, lo, hi).
	 */
	STMT(SQL_API_COSTS_BY_PROJECT,
	    "SELECT NULL, NULLIF(project_id, ''), NULL, NULL,"
	    " SUM(IF(start_time = ?, amount, -amount)), MIN(currency)"
	    " FROM cost_cum_project WHERE tenant_id = ? AND org_id = ?"
	    " AND start_time IN (?, ?) GROUP BY project_id"
	    " HAVING SUM(IF(start_time = ?, n, -n)) > 0 ORDER BY project_id"),
	/*
	 * An endpoint's daily buckets, their group fields NULL where not
	 * grouped by, in group order: api-usage.c sums each run of equal
	 * groups' counters.  Bound: (day?, project?, user?, api_key?,
	 * model?, tenant, org, endpoint, since, until).
	 */
	STMT(SQL_API_USAGE,
	    "SELECT IF(?, start_time, NULL) AS g_day,"
	    " IF(?, project_id, NULL) AS g_project,"
	    " IF(?, user_id, NULL) AS g_user,"
	    " IF(?, api_key_id, NULL) AS g_key,"
	    " IF(?, model, NULL) AS g_model, counters"
	    " FROM usage_bucket WHERE tenant_id = ? AND org_id = ?"
	    " AND endpoint = ? AND width = '1d'"
	    " AND start_time >= ? AND start_time < ?"
	    " ORDER BY g_day, g_project, g_user, g_key, g_model"),
	/*
	 * Keys, users and projects in the range's usage or costs that the
	 * current key, user and project pulls do not list: their requests
	 * (usage), amount (costs of that key or project; of a user, the
	 * costs of the keys whose usage carries that user) and first and
	 * last day in either.  Bound: (tenant, org, since, until) seven
	 * times (the user branch twice: costs, then usage), then (org)
	 * three times.
	 */
	STMT(SQL_API_UNMAPPED,
	    "SELECT t.kind, t.id, SUM(t.amount), SUM(t.req), MIN(t.d0),"
	    " MAX(t.d1) FROM ("
	    UNMAPPED_USAGE("api_key", "api_key_id") " UNION ALL"
	    UNMAPPED_USAGE("user", "user_id") " UNION ALL"
	    UNMAPPED_USAGE("project", "project_id") " UNION ALL"
	    UNMAPPED_COSTS("api_key", "api_key_id") " UNION ALL"
	    UNMAPPED_COSTS("project", "project_id") " UNION ALL"
	    " SELECT 'user', m.user_id, SUM(c.amount), 0, MIN(c.start_time),"
	    " MAX(c.start_time) FROM cost_bucket c JOIN"
	    " (SELECT DISTINCT api_key_id, user_id FROM usage_bucket"
	    "  WHERE tenant_id = ? AND org_id = ? AND width = '1d'"
	    "  AND start_time >= ? AND start_time < ?"
	    "  AND api_key_id IS NOT NULL AND user_id IS NOT NULL) m"
	    " ON m.api_key_id = c.api_key_id"
	    " WHERE c.tenant_id = ? AND c.org_id = ?"
	    " AND c.start_time >= ? AND c.start_time < ?"
	    " GROUP BY m.user_id) t"
	    " WHERE NOT ((t.kind = 'api_key' AND" UNMAPPED_LISTED("oa_key", "k",
	    "'api_keys', 'admin_api_keys'") " AND k.stream = s.stream))"
	    " OR (t.kind = 'user' AND" UNMAPPED_LISTED("oa_user", "u",
	    "'users'") "))"
	    " OR (t.kind = 'project' AND" UNMAPPED_LISTED("oa_project", "p",
	    "'projects'") ")))"
	    " GROUP BY t.kind, t.id ORDER BY t.kind, t.id"),
	/* The OCSF export: events oldest first from a position, streamed. */
	STMT_COLS(SQL_EVENT_OCSF, EVENT_COLUMNS,
	    "SELECT" COLS(EVENT_COLUMNS) " FROM audit_event"
	    " WHERE tenant_id = ? AND org_id = ? AND seq > ?"
	    " ORDER BY seq LIMIT ?"),
	/* Every finding of an org, open and resolved, in id order. */
	STMT_COLS(SQL_FINDING_OCSF, FINDING_COLUMNS,
	    "SELECT" COLS(FINDING_COLUMNS) " FROM finding f"
	    " WHERE f.tenant_id = ? AND f.org_id = ? AND f.id > ?"
	    " ORDER BY f.id LIMIT ?"),

	/*
	 * The dashboard's usage and costs (web-usage.c).  Spend per day
	 * from a day on (cost_day's primary key).
	 */
	STMT(SQL_DASH_DAYS,
	    "SELECT start_time, amount, currency FROM cost_day"
	    " WHERE tenant_id = ? AND org_id = ? AND start_time >= ?"
	    " ORDER BY start_time"),
	/* The chart's projects' days: (tenant, org, from, 8 project ids). */
	STMT(SQL_DASH_DAY_PROJECTS,
	    "SELECT start_time, project_id, amount FROM cost_day_project"
	    " WHERE tenant_id = ? AND org_id = ? AND start_time >= ?"
	    " AND project_id IN (?, ?, ?, ?, ?, ?, ?, ?)"),
	/* Requests and tokens per model of the daily completions buckets. */
	STMT(SQL_DASH_MODELS,
	    "SELECT model, SUM(requests), SUM(input_tokens), SUM(output_tokens)"
	    " FROM usage_day_model WHERE tenant_id = ? AND org_id = ?"
	    " AND start_time >= ? GROUP BY model ORDER BY 2 DESC, 1 LIMIT 50"),
	/* The first and last day of every stored daily bucket and cost,
	 * each an end of an index.  Bound: (org) four times. */
	STMT(SQL_USAGE_DAYS_SPAN,
	    "SELECT LEAST(COALESCE(a0, b0), COALESCE(b0, a0)),"
	    " GREATEST(COALESCE(a1, b1), COALESCE(b1, a1)) FROM (SELECT"
	    " (SELECT MIN(start_time) FROM usage_bucket WHERE org_id = ?"
	    "  AND width = '1d') AS a0,"
	    " (SELECT MAX(start_time) FROM usage_bucket WHERE org_id = ?"
	    "  AND width = '1d') AS a1,"
	    " (SELECT MIN(start_time) FROM cost_bucket WHERE org_id = ?) AS b0,"
	    " (SELECT MAX(start_time) FROM cost_bucket WHERE org_id = ?) AS b1"
	    ") x"),
	/*
	 * The live findings of a page's rows: their ids a JSON array, each
	 * looked up by finding_subject.  Bound: (ids, org, tenant, subject
	 * type, subject type).
	 */
	STMT(SQL_LIST_FINDINGS,
	    "SELECT STRAIGHT_JOIN f.subject_id, f.rule, f.severity, f.message"
	    " FROM JSON_TABLE(?, '$[*]' COLUMNS (id VARCHAR(128)"
	    "  CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PATH '$')) j"
	    " JOIN finding f FORCE INDEX (finding_subject) ON f.org_id = ?"
	    "  AND f.subject_id = j.id AND f.live = 1"
	    " WHERE f.tenant_id = ? AND f.subject_type IN (?, ?)"
	    " ORDER BY f.subject_id, f.rule"),
	/* The usage page's unmapped activity, kept by each pull. */
	STMT(SQL_DASH_UNMAPPED,
	    "SELECT kind, id, amount, requests, first_day, last_day"
	    " FROM usage_unmapped WHERE tenant_id = ? AND org_id = ?"
	    " ORDER BY kind, id"),
	/*
	 * The keys that spent most over the 30 days to the last pull
	 * (usage_key_stat, as the keys page shows them), with what the
	 * inventory says of them (NULL when it lists no such key) and their
	 * live findings' rules.
	 */
	STMT(SQL_DASH_TOP_KEYS,
	    "SELECT c.api_key_id, c.spend, (SELECT MIN(currency) FROM cost_day d"
	    "  WHERE d.org_id = c.org_id), k.name, k.redacted,"
	    " k.owner_type, k.owner_id, u.email_prefix, sa.name, k.project_id,"
	    " p.name, (SELECT GROUP_CONCAT(DISTINCT f.rule ORDER BY f.rule"
	    "  SEPARATOR ' ') FROM finding f FORCE INDEX (finding_subject)"
	    "  WHERE f.org_id = c.org_id"
	    "  AND f.subject_id = c.api_key_id AND f.live = 1)"
	    " FROM (SELECT org_id, api_key_id, spend_30d AS spend"
	    "  FROM usage_key_stat WHERE tenant_id = ? AND org_id = ?"
	    "  AND spend_30d <> 0 ORDER BY spend DESC, api_key_id LIMIT ?) c"
	    " LEFT JOIN org_stream s_k ON s_k.org_id = c.org_id"
	    "   AND s_k.stream = 'api_keys'"
	    " LEFT JOIN oa_key k ON k.org_id = c.org_id AND k.stream = 'api_keys'"
	    "   AND k.gen = s_k.gen AND k.id = c.api_key_id"
	    " LEFT JOIN org_stream s_p ON s_p.org_id = c.org_id"
	    "   AND s_p.stream = 'projects'"
	    " LEFT JOIN oa_project p ON p.org_id = c.org_id AND p.gen = s_p.gen"
	    "   AND p.id = k.project_id"
	    " LEFT JOIN org_stream s_u ON s_u.org_id = c.org_id"
	    "   AND s_u.stream = 'users'"
	    " LEFT JOIN oa_user u ON u.org_id = c.org_id AND u.gen = s_u.gen"
	    "   AND u.id = k.owner_id AND k.owner_type = 'user'"
	    " LEFT JOIN org_stream s_s ON s_s.org_id = c.org_id"
	    "   AND s_s.stream = 'service_accounts'"
	    " LEFT JOIN oa_service_account sa ON sa.org_id = c.org_id"
	    "   AND sa.gen = s_s.gen AND sa.id = k.owner_id"
	    "   AND k.owner_type = 'service_account'"
	    " ORDER BY c.spend DESC, c.api_key_id"),
	/* Per org of the tenant: spend from two days on (month, 30 days). */
	STMT(SQL_DASH_TENANT,
	    "SELECT o.id, o.name, o.status,"
	    " COALESCE(SUM(IF(c.start_time >= ?, c.amount, 0)), 0),"
	    " COALESCE(SUM(IF(c.start_time >= ?, c.amount, 0)), 0),"
	    " MIN(c.currency)"
	    " FROM org o LEFT JOIN cost_day c ON c.org_id = o.id"
	    "   AND c.start_time >= LEAST(?, ?)"
	    " WHERE o.tenant_id = ? GROUP BY o.id, o.name, o.status"
	    " ORDER BY o.name, o.id"),
	/* A pack's usage.jsonl and costs.jsonl: the period's daily rows. */
	STMT(SQL_DASH_PACK_USAGE,
	    "SELECT api_key_id, counters, start_time, endpoint, model,"
	    " project_id, user_id FROM usage_bucket"
	    " WHERE org_id = ? AND width = '1d' AND start_time >= ?"
	    " AND start_time < ? ORDER BY start_time, endpoint, grp"),
	STMT(SQL_DASH_PACK_COSTS,
	    "SELECT amount, api_key_id, currency, start_time, line_item,"
	    " project_id FROM cost_bucket"
	    " WHERE org_id = ? AND start_time >= ? AND start_time < ?"
	    " ORDER BY start_time, grp"),
	/* What those two files hold, for the pack's inputs: rows, changes. */
	STMT(SQL_DASH_PACK_SUM,
	    "SELECT CONCAT_WS(' ', (SELECT CONCAT_WS(' ', COUNT(*),"
	    "  COALESCE(SUM(revisions), 0),"
	    "  COALESCE(MAX(COALESCE(revised_at, first_seen)), 0))"
	    "  FROM usage_bucket WHERE org_id = ? AND width = '1d'"
	    "  AND start_time >= ? AND start_time < ?),"
	    " (SELECT CONCAT_WS(' ', COUNT(*), COALESCE(SUM(revisions), 0),"
	    "  COALESCE(MAX(COALESCE(revised_at, first_seen)), 0))"
	    "  FROM cost_bucket WHERE org_id = ?"
	    "  AND start_time >= ? AND start_time < ?))"),
};

const char *
sql_text(enum sql_stmt id)
{
	return id < SQL__MAX ? stmts[id].text : NULL;
}

const struct sql_col *
sql_cols(enum sql_stmt id, size_t *n)
{
	*n = id < SQL__MAX ? stmts[id].ncols : 0;
	return *n > 0 ? stmts[id].cols : NULL;
}

const char *
sql_name(enum sql_stmt id)
{
	return id < SQL__MAX && stmts[id].name != NULL ? stmts[id].name +
	    sizeof("SQL_") - 1 : "?";
}
