/*
 * views.c: see views.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "util.h"
#include "views.h"

json_t *
view_str(const struct db_row *r, size_t c)
{
	json_t	*v;

	if (db_row_null(r, c))
		return json_null();
	/* MariaDB holds valid UTF-8; should a byte not be, say nothing. */
	v = json_stringn(r->v[c], r->len[c]);
	return v != NULL ? v : json_null();
}

json_t *
view_day(const struct db_row *r, size_t c)
{
	char	 day[11];

	if (db_row_null(r, c))
		return json_null();
	fmt_day(db_row_int(r, c), day);
	return json_string(day);
}

/* A DECIMAL column as its exact canonical text ("1.5"), or null. */
static json_t *
jdec(const struct db_row *r, size_t c)
{
	char	 out[DEC_TEXT_MAX], err[64];

	if (db_row_null(r, c) || dec_canon(r->v[c], r->len[c], out,
	    sizeof(out), err, sizeof(err)) != 0)
		return json_null();
	return json_string(out);
}

/* A column as a JSON integer, or null. */
static json_t *
jint(const struct db_row *r, size_t c)
{
	return db_row_null(r, c) ? json_null() :
	    json_integer(db_row_int(r, c));
}

/* Milliseconds column as whole seconds, or null. */
static json_t *
jsec(const struct db_row *r, size_t c)
{
	return db_row_null(r, c) ? json_null() :
	    json_integer(db_row_int(r, c) / 1000);
}

/* A 32-byte column as hex, or null. */
static json_t *
jhex(const struct db_row *r, size_t c)
{
	char	 hex[65];

	if (db_row_null(r, c) || r->len[c] != 32)
		return json_null();
	hex_encode((const unsigned char *)r->v[c], 32, hex);
	return json_string(hex);
}
static json_t *
jbool(const struct db_row *r, size_t c)
{
	return json_boolean(db_row_int(r, c) != 0);
}

json_t *
view_origin(const struct db_row *r, size_t c)
{
	char	*f[5], *copy, *p;
	json_t	*v;
	int	 n = 0;

	if (db_row_null(r, c))
		return json_null();
	copy = xstrdup(db_row_str(r, c));
	for (p = copy; n < 5; n++) {
		f[n] = p;
		if ((p = strchr(p, '\t')) == NULL) {
			n++;
			break;
		}
		*p++ = '\0';
	}
	if (n != 5) {
		free(copy);
		return json_null();
	}
	v = json_pack("{s:{s:s?, s:s?, s:s?}, s:I, s:s}", "actor",
	    "type", *f[0] ? f[0] : NULL, "id", *f[1] ? f[1] : NULL,
	    "email_prefix", *f[2] ? f[2] : NULL,
	    "at", (json_int_t)strtoll(f[3], NULL, 10), "event_id", f[4]);
	free(copy);
	return v != NULL ? v : json_null();
}

/* The audit log as the org's last pull found it, and what it implies. */
static json_t *
org_audit(const struct db_row *r, json_t **findings)
{
	const char	*status;

	*findings = json_array();
	if (db_row_null(r, OC_AUDIT_CHECKED_AT) ||
	    db_row_int(r, OC_AUDIT_CHECKED_AT) == 0)
		status = "unknown";
	else if (!db_row_int(r, OC_AUDIT_REACHABLE))
		status = "denied";
	else if (!db_row_int(r, OC_AUDIT_POPULATED))
		status = "empty";
	else
		status = "ok";
	if (strcmp(status, "empty") == 0)
		json_array_append_new(*findings, json_pack("{s:s, s:s}", "kind",
		    "audit_logging_off", "message", "The audit log is readable "
		    "but has never held an event: audit logging is probably "
		    "not enabled. An Organization Owner turns it on in "
		    "Settings, Data controls, Data retention."));
	if (strcmp(status, "denied") == 0)
		json_array_append_new(*findings, json_pack("{s:s, s:s}", "kind",
		    "audit_log_unreadable", "message", "The admin key cannot "
		    "read the audit log, so who created which key is unknown."));
	return json_pack("{s:s, s:o, s:o}", "status", status,
	    "events", jint(r, OC_AUDIT_EVENTS),
	    "checked_at", jint(r, OC_AUDIT_CHECKED_AT));
}

json_t *
view_org(const struct db_row *r)
{
	json_t	*o, *caps, *run = json_null(), *findings, *audit;

	caps = json_loads(db_row_str(r, OC_CAPS), 0, NULL);
	if (caps == NULL)
		caps = json_array();
	if (!db_row_null(r, OC_LAST_RUN_ID))
		run = json_pack("{s:o, s:o, s:o, s:o}",
		    "id", jint(r, OC_LAST_RUN_ID),
		    "status", view_str(r, OC_RUN_STATUS),
		    "started_at", jsec(r, OC_RUN_STARTED_MS),
		    "ended_at", jsec(r, OC_RUN_ENDED_MS));
	o = json_pack("{s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o,"
	    " s:{s:o, s:o, s:o, s:o, s:o}}",
	    "id", jint(r, OC_ID),
	    "object", "orgaudit.org",
	    "name", view_str(r, OC_NAME),
	    "openai_org", view_str(r, OC_OPENAI_ORG),
	    "status", view_str(r, OC_STATUS),
	    "key_hint", view_str(r, OC_KEY_HINT),
	    "connected_at", jint(r, OC_CONNECTED_AT),
	    "disconnected_at", jint(r, OC_DISCONNECTED_AT),
	    "capabilities", caps,
	    "last_run", run,
	    "counts",
	    "users", jint(r, OC_USERS),
	    "projects", jint(r, OC_PROJECTS),
	    "keys", jint(r, OC_KEYS),
	    "stale_keys", jint(r, OC_STALE),
	    "orphan_keys", jint(r, OC_ORPHAN));
	audit = org_audit(r, &findings);
	json_object_set_new(o, "audit", audit);
	json_object_set_new(o, "findings", findings);
	return o;
}

/* How a person reads the owner: "jane…", a service account's name. */
static json_t *
owner_label(const struct db_row *r)
{
	char	 s[200];
	json_t	*v;

	if (strcmp(db_row_str(r, KC_OWNER_TYPE), "service_account") == 0)
		snprintf(s, sizeof(s), "%s", db_row_null(r, KC_OWNER_NAME) ?
		    "service account" : db_row_str(r, KC_OWNER_NAME));
	else if (!db_row_null(r, KC_OWNER_EMAIL_PREFIX))
		snprintf(s, sizeof(s), "%s\xe2\x80\xa6",
		    db_row_str(r, KC_OWNER_EMAIL_PREFIX));
	else
		snprintf(s, sizeof(s), "a former member");
	/* A name cut mid-character is not UTF-8: fall back to the kind. */
	if ((v = json_string(s)) == NULL)
		v = json_string("service account");
	return v;
}

/*
 * Sets a key's spend_30d (exact decimal text, "0" without costs),
 * requests_30d and last_usage_day ("YYYY-MM-DD" or null) on o.
 */
static void
key_usage(json_t *o, const struct db_row *r)
{
	json_t	*spend = jdec(r, KC_SPEND_30D);

	if (json_is_null(spend)) {
		json_decref(spend);
		spend = json_string("0");
	}
	json_object_set_new(o, "spend_30d", spend);
	json_object_set_new(o, "requests_30d", json_integer(db_row_null(r,
	    KC_REQUESTS_30D) ? 0 : db_row_int(r, KC_REQUESTS_30D)));
	json_object_set_new(o, "last_usage_day", view_day(r,
	    KC_LAST_USAGE_DAY));
}

json_t *
view_key(const struct db_row *r, int64_t now)
{
	json_t	*o, *findings = json_array(), *project = json_null();
	json_t	*owner = json_null(), *days = json_null();
	int64_t	 last;

	if (db_row_int(r, KC_STALE))
		json_array_append_new(findings, json_pack("{s:s, s:o}",
		    "kind", "stale", "reason", view_str(r, KC_STALE_REASON)));
	if (db_row_int(r, KC_ORPHAN))
		json_array_append_new(findings, json_pack("{s:s, s:o}",
		    "kind", "orphan", "reason", view_str(r, KC_ORPHAN_REASON)));
	if (!db_row_null(r, KC_SPIKE))
		json_array_append_new(findings, json_pack("{s:s, s:o}",
		    "kind", "usage_spike", "reason", view_str(r, KC_SPIKE)));
	if (!db_row_null(r, KC_DORMANT_USED))
		json_array_append_new(findings, json_pack("{s:s, s:o}",
		    "kind", "dormant_key_used", "reason", view_str(r,
		    KC_DORMANT_USED)));
	if (!db_row_null(r, KC_PROJECT_ID))
		project = json_pack("{s:o, s:o}", "id", view_str(r, KC_PROJECT_ID),
		    "name", view_str(r, KC_PROJECT_NAME));
	if (!db_row_null(r, KC_OWNER_ID))
		owner = json_pack("{s:o, s:o, s:o, s:o, s:o}",
		    "type", view_str(r, KC_OWNER_TYPE),
		    "id", view_str(r, KC_OWNER_ID),
		    "email_prefix", view_str(r, KC_OWNER_EMAIL_PREFIX),
		    "name", view_str(r, KC_OWNER_NAME),
		    "label", owner_label(r));
	if (!db_row_null(r, KC_LAST_USED_AT)) {
		last = db_row_int(r, KC_LAST_USED_AT);
		days = json_integer(last >= now ? 0 : (now - last) / 86400);
	}
	o = json_pack("{s:o, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o,"
	    " s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "id", view_str(r, KC_ID),
	    "object", "orgaudit.key",
	    "kind", strcmp(db_row_str(r, KC_STREAM), "admin_api_keys") == 0 ?
	    "admin_api_key" : "project_api_key",
	    "type", view_str(r, KC_TYPE),
	    "redacted_value", view_str(r, KC_REDACTED),
	    "name", view_str(r, KC_NAME),
	    "project", project,
	    "owner", owner,
	    "owner_project_access", view_str(r, KC_OWNER_ACCESS),
	    "created_at", jint(r, KC_CREATED_AT),
	    "last_used_at", jint(r, KC_LAST_USED_AT),
	    "days_since_last_use", days,
	    "expires_at", jint(r, KC_EXPIRES_AT),
	    "stale", jbool(r, KC_STALE),
	    "orphan", jbool(r, KC_ORPHAN),
	    "findings", findings,
	    "as_of", jint(r, KC_AS_OF));
	json_object_set_new(o, "created_by", view_origin(r, KC_CREATED_BY));
	key_usage(o, r);
	return o;
}

static json_t *
duration(const struct db_row *r, size_t start, size_t end)
{
	if (db_row_null(r, start) || db_row_null(r, end))
		return json_null();
	return json_integer(db_row_int(r, end) - db_row_int(r, start));
}

json_t *
view_run(const struct db_row *r)
{
	return json_pack("{s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:[]}",
	    "id", jint(r, RC_ID),
	    "object", "orgaudit.run",
	    "status", view_str(r, RC_STATUS),
	    "started_at", jsec(r, RC_STARTED_MS),
	    "ended_at", jsec(r, RC_ENDED_MS),
	    "duration_ms", duration(r, RC_STARTED_MS, RC_ENDED_MS),
	    "requests", jint(r, RC_REQUESTS),
	    "error", view_str(r, RC_ERROR),
	    "streams");
}

json_t *
view_run_stream(const struct db_row *r)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "stream", view_str(r, RSC_STREAM),
	    "status", view_str(r, RSC_STATUS),
	    "pages", jint(r, RSC_PAGES),
	    "rows", jint(r, RSC_ROWS),
	    "requests", jint(r, RSC_REQUESTS),
	    "retries", jint(r, RSC_RETRIES),
	    "http_status", jint(r, RSC_HTTP_STATUS),
	    "error", view_str(r, RSC_ERROR),
	    "duration_ms", duration(r, RSC_STARTED_MS, RSC_ENDED_MS));
}


json_t *
view_pack(const struct db_row *r)
{
	char	 href[96];

	snprintf(href, sizeof(href), "/api/v1/openai/evidence-packs/%s",
	    db_row_str(r, PK_ID));
	return json_pack("{s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o,"
	    " s:o, s:o, s:o, s:o, s:s}",
	    "id", jint(r, PK_ID),
	    "object", "orgaudit.evidence_pack",
	    "org_id", jint(r, PK_ORG),
	    "period_start", jint(r, PK_START),
	    "period_end", jint(r, PK_END),
	    "as_of", jint(r, PK_AS_OF),
	    "sha256", view_str(r, PK_SHA256),
	    "manifest_sha256", view_str(r, PK_MANIFEST),
	    "previous_manifest_sha256", view_str(r, PK_PREVIOUS),
	    "signing_key_fingerprint", view_str(r, PK_KEY),
	    "bytes", jint(r, PK_BYTES),
	    "events", jint(r, PK_EVENTS),
	    "made_by", view_str(r, PK_MADE_BY),
	    "created_at", jint(r, PK_CREATED),
	    "download", href);
}

/* A JSON column parsed, or null. */
static json_t *
jjson(const struct db_row *r, size_t c)
{
	json_t	*v;

	if (db_row_null(r, c))
		return json_null();
	v = json_loadb(r->v[c], r->len[c], 0, NULL);
	return v != NULL ? v : json_null();
}

static json_t *
col_value(const struct db_row *r, size_t c, enum col_kind kind)
{
	switch (kind) {
	case COL_STR:
		return view_str(r, c);
	case COL_INT:
		return jint(r, c);
	case COL_BOOL:
		return jbool(r, c);
	case COL_SEC:
		return jsec(r, c);
	case COL_ORIGIN:
		return view_origin(r, c);
	case COL_HEX:
		return jhex(r, c);
	case COL_JSON:
		return jjson(r, c);
	}
	return json_null();
}

/* Sets name ("a.b": b of the object a, made when missing) in o. */
static void
set_path(json_t *o, const char *name, json_t *v)
{
	const char	*dot;
	char		 head[64];
	json_t		*in;

	while ((dot = strchr(name, '.')) != NULL &&
	    (size_t)(dot - name) < sizeof(head)) {
		snprintf(head, sizeof(head), "%.*s", (int)(dot - name), name);
		if (!json_is_object(in = json_object_get(o, head))) {
			in = json_object();
			json_object_set_new(o, head, in);
		}
		o = in;
		name = dot + 1;
	}
	json_object_set_new(o, name, v);
}

json_t *
view_cols(const struct db_row *r, enum sql_stmt stmt, const char *object)
{
	const struct sql_col	*cols;
	json_t			*o = json_object();
	size_t			 n, i;

	cols = sql_cols(stmt, &n);
	for (i = 0; i < n; i++) {
		set_path(o, cols[i].json, col_value(r, i, cols[i].kind));
		if (i == 0 && object != NULL)
			json_object_set_new(o, "object", json_string(object));
	}
	return o;
}

/* FINDING_COLUMNS: every statement that has them shows the same object. */
json_t *
view_finding(const struct db_row *r)
{
	json_t	*o = view_cols(r, SQL_FINDING_PAGE, "orgaudit.finding");

	json_object_set_new(o, "id", json_sprintf("fnd_%s",
	    db_row_str(r, FC_ID)));
	json_object_del(o, "org_id");
	return o;
}
