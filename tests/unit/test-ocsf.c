/*
 * test-ocsf.c: unit tests for src/ocsf.h: each class's mapping, the
 * classification of each of the 145 audit event types, and findings as
 * Detection Findings.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocsf.h"

#define TYPES_FILE	"tests/data/ocsf/audit-event-types.txt"

static const struct ocsf_ctx ctx = {
	.tenant_id = 3, .tenant_name = "Acme", .org_id = 7,
	.org_name = "Production", .openai_org = "org-abc",
	.product_version = "9.9.9",
};

/* An event as GET …/events shows it, around entry (stolen). */
static json_t *
event(const char *type, const char *actor_type, const char *actor_id,
    const char *key_id, const char *target, json_t *entry)
{
	return json_pack("{s:s, s:s, s:I, s:s, s:I, s:{s:s?, s:s?, s:s?,"
	    " s:n}, s:n, s:s?, s:s, s:s, s:o}", "id", "audit_log-abc",
	    "object", "orgaudit.event", "seq", (json_int_t)41, "type", type,
	    "effective_at", (json_int_t)1795461650, "actor", "type",
	    actor_type, "id", actor_id, "key_id", key_id, "email_prefix",
	    "project_id", "target_id", target, "prev_hash", "00", "hash", "11",
	    "entry", entry);
}

static json_int_t
iget(json_t *o, const char *path)
{
	json_t	*v = json_object_get(o, path);

	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static const char *
sget(json_t *o, const char *key)
{
	const char	*s = json_string_value(json_object_get(o, key));

	assert_non_null(s);
	return s;
}

/* What every mapped event holds, whatever its class. */
static void
assert_frame(json_t *o, int cls, int activity)
{
	json_t	*md = json_object_get(o, "metadata");

	assert_int_equal(iget(o, "class_uid"), cls);
	assert_int_equal(iget(o, "activity_id"), activity);
	assert_int_equal(iget(o, "category_uid"), cls / 1000);
	assert_int_equal(iget(o, "type_uid"), cls * 100 + activity);
	assert_string_equal(sget(md, "version"), OCSF_VERSION);
	assert_string_equal(sget(json_object_get(md, "product"), "name"),
	    "orgaudit");
	assert_string_equal(sget(json_object_get(md, "product"), "version"),
	    "9.9.9");
	assert_string_equal(sget(json_object_get(json_object_get(o, "cloud"),
	    "org"), "uid"), "org-abc");
}

static void
test_api_key_created_is_entity_management_create(void **state)
{
	json_t	*e, *o, *ent;

	(void)state;
	e = event("api_key.created", "api_key", "user-1", "key_9", "key_new",
	    json_pack("{s:s, s:{s:{s:[s]}}}", "id", "audit_log-abc",
	    "api_key.created", "data", "scopes", "/v1/*"));
	o = ocsf_audit_event(e, &ctx);
	assert_non_null(o);
	assert_frame(o, 3004, 1);
	ent = json_object_get(o, "entity");
	assert_string_equal(sget(ent, "uid"), "key_new");
	assert_string_equal(sget(ent, "type"), "API Key");
	assert_string_equal(sget(json_object_get(o, "metadata"), "uid"),
	    "audit_log-abc");
	assert_int_equal(iget(json_object_get(o, "metadata"), "sequence"), 41);
	assert_int_equal(iget(o, "time"), 1795461650000LL);
	json_decref(o);
	json_decref(e);
}

static void
test_api_key_actor_is_its_user_with_the_key_as_credential(void **state)
{
	json_t	*e, *o, *u;

	(void)state;
	e = event("api_key.deleted", "api_key", "user-1", "key_9", "key_old",
	    json_pack("{s:{s:s, s:{s:s}}}", "actor", "type", "api_key",
	    "api_key", "type", "user"));
	o = ocsf_audit_event(e, &ctx);
	assert_frame(o, 3004, 4);
	u = json_object_get(json_object_get(o, "actor"), "user");
	assert_string_equal(sget(u, "uid"), "user-1");
	assert_string_equal(sget(u, "credential_uid"), "key_9");
	assert_int_equal(iget(u, "type_id"), 1);
	json_decref(o);
	json_decref(e);
}

static void
test_service_account_key_actor_is_typed_service_account(void **state)
{
	json_t	*e, *o, *u;

	(void)state;
	e = event("project.archived", "api_key", "svc_1", "key_s", "proj_1",
	    json_pack("{s:{s:s, s:{s:s}}}", "actor", "type", "api_key",
	    "api_key", "type", "service_account"));
	o = ocsf_audit_event(e, &ctx);
	assert_frame(o, 3004, 99);
	assert_string_equal(sget(o, "activity_name"), "archived");
	u = json_object_get(json_object_get(o, "actor"), "user");
	assert_string_equal(sget(u, "type"), "Service Account");
	assert_int_equal(iget(u, "type_id"), 99);
	json_decref(o);
	json_decref(e);
}

static void
test_user_role_change_is_account_change(void **state)
{
	json_t	*e, *o;

	(void)state;
	e = event("user.updated", "session", "user-1", NULL, "user-2",
	    json_pack("{s:{s:{s:s}}}", "user.updated", "changes_requested",
	    "role", "owner"));
	o = ocsf_audit_event(e, &ctx);
	assert_frame(o, 3001, 99);
	assert_string_equal(sget(json_object_get(o, "user"), "uid"), "user-2");
	json_decref(o);
	json_decref(e);
}

static void
test_role_assignment_attaches_to_its_principal(void **state)
{
	json_t	*e, *o, *u;

	(void)state;
	e = event("role.assignment.created", "session", "user-1", NULL,
	    "ra_1", json_pack("{s:{s:s, s:s, s:s}}", "role.assignment.created",
	    "id", "ra_1", "principal_id", "user-5", "principal_type", "user"));
	o = ocsf_audit_event(e, &ctx);
	assert_frame(o, 3001, 7);
	u = json_object_get(o, "user");
	assert_string_equal(sget(u, "uid"), "user-5");
	json_decref(o);
	json_decref(e);
}

static void
test_failed_login_is_authentication_failure(void **state)
{
	json_t	*e, *o;

	(void)state;
	e = event("login.failed", "session", "user-1", NULL, NULL,
	    json_pack("{s:{s:s, s:{s:s}}, s:{s:s}}", "actor", "type",
	    "session", "session", "ip_address", "203.0.113.9", "login.failed",
	    "error_code", "invalid_credentials"));
	o = ocsf_audit_event(e, &ctx);
	assert_frame(o, 3002, 1);
	assert_int_equal(iget(o, "status_id"), 2);
	assert_int_equal(iget(o, "severity_id"), 2);
	assert_string_equal(sget(o, "status_detail"), "invalid_credentials");
	assert_string_equal(sget(json_object_get(o, "user"), "uid"), "user-1");
	assert_string_equal(sget(json_object_get(o, "src_endpoint"), "ip"),
	    "203.0.113.9");
	assert_string_equal(sget(json_object_get(o, "service"), "uid"),
	    "org-abc");
	json_decref(o);
	json_decref(e);
}

static void
test_logout_is_logoff(void **state)
{
	int	 a;

	(void)state;
	assert_int_equal(ocsf_event_class("logout.succeeded", &a), 3002);
	assert_int_equal(a, 2);
}

static void
test_other_event_is_api_activity_with_required_objects(void **state)
{
	json_t	*e, *o;

	(void)state;
	e = event("rate_limit.updated", "api_key", "user-1", "key_9", "rl-1",
	    json_object());
	o = ocsf_audit_event(e, &ctx);
	assert_frame(o, 6003, 3);
	assert_string_equal(sget(json_object_get(o, "api"), "operation"),
	    "rate_limit.updated");
	assert_non_null(json_object_get(o, "src_endpoint"));
	assert_non_null(json_object_get(o, "actor"));
	assert_string_equal(sget(json_array_get(json_object_get(o,
	    "resources"), 0), "type"), "rate_limit");
	json_decref(o);
	json_decref(e);
}

static void
test_unknown_type_is_api_activity(void **state)
{
	int	 a;

	(void)state;
	assert_int_equal(ocsf_event_class("tenant.workspace.ghost_mode."
	    "enabled", &a), 6003);
	assert_int_equal(a, 3);
	assert_int_equal(ocsf_event_class("nodot", &a), 6003);
}

static void
test_unmapped_keeps_the_entry_and_its_chain(void **state)
{
	json_t	*e, *o, *u;

	(void)state;
	e = event("invite.sent", "session", "user-1", NULL, "invite-1",
	    json_pack("{s:s, s:s}", "id", "audit_log-abc", "x", "kept"));
	o = ocsf_audit_event(e, &ctx);
	u = json_object_get(o, "unmapped");
	assert_true(json_equal(json_object_get(u, "entry"),
	    json_object_get(e, "entry")));
	assert_int_equal(iget(u, "seq"), 41);
	assert_string_equal(sget(u, "hash"), "11");
	assert_int_equal(iget(json_object_get(u, "tenant"), "id"), 3);
	json_decref(o);
	json_decref(e);
}

static void
test_actorless_event_names_openai(void **state)
{
	json_t	*e, *o;

	(void)state;
	e = event("scim.enabled", NULL, NULL, NULL, NULL, json_object());
	o = ocsf_audit_event(e, &ctx);
	assert_string_equal(sget(json_object_get(o, "actor"), "app_name"),
	    "OpenAI");
	assert_null(json_object_get(o, "resources"));
	json_decref(o);
	json_decref(e);
}

static void
test_event_without_type_is_refused(void **state)
{
	json_t	*e = json_pack("{s:s}", "id", "audit_log-abc");

	(void)state;
	assert_null(ocsf_audit_event(e, &ctx));
	assert_null(ocsf_audit_event(NULL, &ctx));
	json_decref(e);
}

/* The class each of the 145 types is expected to have, by pattern. */
static int
expected_class(const char *t)
{
	static const char *const account[] = { "user.", "role.",
	    "tenant.user.added", "tenant.user.updated", "tenant.user.removed",
	    "tenant.membership.revoked", "tenant.custom_role.",
	    "tenant.role.", "tenant.role_assignment.",
	    "tenant.resource_role_assignment.", NULL };
	static const char *const entity[] = { "api_key.", "service_account.",
	    "project.", "invite.", "tenant.admin_api_key.",
	    "tenant.project_api_key.", "tenant.service_account.",
	    "tenant.api_organization_invite.",
	    "tenant.chatgpt_workspace_invite.", "tenant.user.invited",
	    "tenant.membership.accepted", "tenant.membership.declined", NULL };
	size_t	 i;

	if (strncmp(t, "login.", 6) == 0 || strncmp(t, "logout.", 7) == 0)
		return 3002;
	for (i = 0; entity[i] != NULL; i++)
		if (strncmp(t, entity[i], strlen(entity[i])) == 0)
			return 3004;
	for (i = 0; account[i] != NULL; i++)
		if (strncmp(t, account[i], strlen(account[i])) == 0)
			return 3001;
	return 6003;
}

/* An activity id the class defines (OCSF 1.3.0), or 99. */
static int
activity_ok(int cls, int a)
{
	if (a == 99)
		return 1;
	switch (cls) {
	case 3001:
		return a >= 1 && a <= 11;
	case 3002:
		return a >= 1 && a <= 6;
	default:
		return a >= 1 && a <= 4;
	}
}

static void
test_each_of_the_145_types_has_its_class(void **state)
{
	FILE	*f = fopen(TYPES_FILE, "r");
	char	 line[160];
	int	 n = 0, a, cls;
	json_t	*e, *o;

	(void)state;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0')
			continue;
		cls = ocsf_event_class(line, &a);
		if (cls != expected_class(line))
			fail_msg("%s: class %d, expected %d", line, cls,
			    expected_class(line));
		if (!activity_ok(cls, a))
			fail_msg("%s: activity %d of class %d", line, a, cls);
		e = event(line, "session", "user-1", NULL, "x-1",
		    json_object());
		o = ocsf_audit_event(e, &ctx);
		assert_non_null(o);
		assert_int_equal(iget(o, "type_uid"), cls * 100 + a);
		json_decref(o);
		json_decref(e);
		n++;
	}
	fclose(f);
	assert_int_equal(n, 145);
}

/* A finding as GET …/findings shows it. */
static json_t *
finding(const char *severity, json_t *resolved_at)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:s, s:I,"
	    " s:I, s:o, s:{s:i}}", "id", "fnd_812", "object",
	    "orgaudit.finding", "rule", "too_many_owners", "severity",
	    severity, "subject", "type", "org", "id", "org-abc", "name",
	    "Acme", "message", "5 owners", "opened_at",
	    (json_int_t)1796216400, "last_seen_at", (json_int_t)1796221800,
	    "resolved_at", resolved_at, "evidence", "owners", 5);
}

static void
test_open_finding_is_new_detection_finding(void **state)
{
	json_t	*f = finding("medium", json_null()), *o, *fi, *r;

	(void)state;
	o = ocsf_finding(f, &ctx);
	assert_non_null(o);
	assert_frame(o, 2004, 1);
	assert_int_equal(iget(o, "severity_id"), 3);
	assert_int_equal(iget(o, "status_id"), 1);
	assert_string_equal(sget(o, "status"), "New");
	fi = json_object_get(o, "finding_info");
	assert_string_equal(sget(fi, "uid"), "fnd_812");
	assert_string_equal(sget(fi, "title"), "too_many_owners");
	assert_string_equal(sget(fi, "desc"), "5 owners");
	assert_int_equal(iget(fi, "created_time"), 1796216400000LL);
	assert_int_equal(iget(fi, "first_seen_time"), 1796216400000LL);
	assert_int_equal(iget(fi, "last_seen_time"), 1796221800000LL);
	assert_int_equal(iget(o, "time"), 1796221800000LL);
	r = json_array_get(json_object_get(o, "resources"), 0);
	assert_string_equal(sget(r, "uid"), "org-abc");
	assert_string_equal(sget(r, "type"), "org");
	assert_int_equal(iget(json_object_get(o, "metadata"), "sequence"),
	    812);
	assert_true(json_equal(json_object_get(json_object_get(o, "unmapped"),
	    "finding"), f));
	json_decref(o);
	json_decref(f);
}

static void
test_resolved_finding_is_closed(void **state)
{
	json_t	*f = finding("high", json_integer(1796300000)), *o;

	(void)state;
	o = ocsf_finding(f, &ctx);
	assert_frame(o, 2004, 3);
	assert_int_equal(iget(o, "severity_id"), 4);
	assert_int_equal(iget(o, "status_id"), 4);
	assert_string_equal(sget(o, "status"), "Resolved");
	assert_int_equal(iget(o, "time"), 1796300000000LL);
	json_decref(o);
	json_decref(f);
}

static void
test_finding_severities(void **state)
{
	static const struct { const char *s; int id; } m[] = {
		{ "low", 2 }, { "medium", 3 }, { "high", 4 }, { "critical", 5 },
		{ "bogus", 0 },
	};
	json_t	*f, *o;
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		f = finding(m[i].s, json_null());
		o = ocsf_finding(f, &ctx);
		assert_int_equal(iget(o, "severity_id"), m[i].id);
		json_decref(o);
		json_decref(f);
	}
}

static void
test_finding_without_id_is_refused(void **state)
{
	json_t	*f = json_pack("{s:s}", "rule", "key_stale");

	(void)state;
	assert_null(ocsf_finding(f, &ctx));
	assert_null(ocsf_finding(NULL, &ctx));
	json_decref(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_api_key_created_is_entity_management_create),
		cmocka_unit_test(test_api_key_actor_is_its_user_with_the_key_as_credential),
		cmocka_unit_test(test_service_account_key_actor_is_typed_service_account),
		cmocka_unit_test(test_user_role_change_is_account_change),
		cmocka_unit_test(test_role_assignment_attaches_to_its_principal),
		cmocka_unit_test(test_failed_login_is_authentication_failure),
		cmocka_unit_test(test_logout_is_logoff),
		cmocka_unit_test(test_other_event_is_api_activity_with_required_objects),
		cmocka_unit_test(test_unknown_type_is_api_activity),
		cmocka_unit_test(test_unmapped_keeps_the_entry_and_its_chain),
		cmocka_unit_test(test_actorless_event_names_openai),
		cmocka_unit_test(test_event_without_type_is_refused),
		cmocka_unit_test(test_each_of_the_145_types_has_its_class),
		cmocka_unit_test(test_open_finding_is_new_detection_finding),
		cmocka_unit_test(test_resolved_finding_is_closed),
		cmocka_unit_test(test_finding_severities),
		cmocka_unit_test(test_finding_without_id_is_refused),
	};

	return cmocka_run_group_tests_name("ocsf", tests, NULL, NULL);
}
