/*
 * test-ingest-posture.c: unit tests for src/ingest-posture.h (the org's
 * settings to rows: exact amounts, no addresses, strict identifiers).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ingest-posture.h"

static json_t *
js(const char *text)
{
	json_error_t	 e;
	json_t		*o = json_loads(text, 0, &e);

	if (o == NULL)
		fail_msg("bad test JSON: %s", e.text);
	return o;
}

static void
test_model_perm_allow_list(void **state)
{
	struct row_model_perm	 r;
	char			 err[128];
	json_t			*o = js("{\"object\":\"project.model_permissions\","
	    "\"mode\":\"allow_list\",\"model_ids\":[\"gpt-4.1\",\"o3\"]}");

	(void)state;
	assert_int_equal(ingest_model_perm(o, &r, err, sizeof(err)), 0);
	assert_string_equal(r.mode, "allow_list");
	assert_string_equal(r.model_ids, "[\"gpt-4.1\",\"o3\"]");
	free(r.model_ids);
	json_decref(o);
}

static void
test_model_perm_rejects_unknown_mode(void **state)
{
	struct row_model_perm	 r;
	char			 err[128];
	json_t			*o = js("{\"mode\":\"everything\","
	    "\"model_ids\":[]}");

	(void)state;
	assert_int_equal(ingest_model_perm(o, &r, err, sizeof(err)), -1);
	assert_null(r.model_ids);
	json_decref(o);
}

static void
test_model_perm_rejects_model_ids_not_strings(void **state)
{
	struct row_model_perm	 r;
	char			 err[128];
	json_t			*o = js("{\"mode\":\"deny_list\","
	    "\"model_ids\":[1]}");

	(void)state;
	assert_int_equal(ingest_model_perm(o, &r, err, sizeof(err)), -1);
	json_decref(o);
}

static void
test_spend_alert_exact_cents_and_no_address(void **state)
{
	struct row_spend_alert	 r;
	char			 err[128];
	json_t			*o = js("{\"id\":\"alert_abc\","
	    "\"object\":\"project.spend_alert\","
	    "\"threshold_amount\":9007199254740993,\"currency\":\"USD\","
	    "\"interval\":\"month\",\"notification_channel\":{\"type\":"
	    "\"email\",\"recipients\":[\"a@x.io\",\"b@x.io\"]}}");

	(void)state;
	assert_int_equal(ingest_spend_alert(o, &r, err, sizeof(err)), 0);
	/* 2^53 + 1: a double would have lost the last cent. */
	assert_true(r.threshold_cents == INT64_C(9007199254740993));
	assert_string_equal(r.id, "alert_abc");
	assert_string_equal(r.currency, "USD");
	assert_string_equal(r.interval, "month");
	assert_string_equal(r.channel, "email");
	assert_int_equal(r.recipients, 2);
	json_decref(o);
}

static void
test_spend_alert_rejects_fractional_amount(void **state)
{
	struct row_spend_alert	 r;
	char			 err[128];
	json_t			*o = js("{\"id\":\"alert_abc\","
	    "\"threshold_amount\":100.5}");

	(void)state;
	assert_int_equal(ingest_spend_alert(o, &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cents"));
	json_decref(o);
}

static void
test_spend_alert_rejects_string_amount(void **state)
{
	struct row_spend_alert	 r;
	char			 err[128];
	json_t			*o = js("{\"id\":\"alert_abc\","
	    "\"threshold_amount\":\"100\"}");

	(void)state;
	assert_int_equal(ingest_spend_alert(o, &r, err, sizeof(err)), -1);
	json_decref(o);
}

static void
test_spend_alert_rejects_bad_id(void **state)
{
	struct row_spend_alert	 r;
	char			 err[128];
	json_t			*o = js("{\"id\":\"../x\","
	    "\"threshold_amount\":1}");

	(void)state;
	assert_int_equal(ingest_spend_alert(o, &r, err, sizeof(err)), -1);
	json_decref(o);
}

static void
test_retention_type(void **state)
{
	const char	*type;
	char		 err[128];
	json_t		*o = js("{\"object\":\"project.data_retention\","
	    "\"type\":\"organization_default\"}");
	json_t		*bad = js("{\"object\":\"project.data_retention\"}");

	(void)state;
	assert_int_equal(ingest_retention(o, &type, err, sizeof(err)), 0);
	assert_string_equal(type, "organization_default");
	assert_int_equal(ingest_retention(bad, &type, err, sizeof(err)), -1);
	assert_null(type);
	json_decref(o);
	json_decref(bad);
}

static void
test_rate_limit_optional_fields(void **state)
{
	struct row_rate_limit	 r;
	char			 err[128];
	json_t			*o = js("{\"object\":\"project.rate_limit\","
	    "\"id\":\"rl-gpt-4o\",\"model\":\"gpt-4o\","
	    "\"max_requests_per_1_minute\":10000,"
	    "\"max_tokens_per_1_minute\":30000000,"
	    "\"batch_1_day_max_input_tokens\":15000000000}");

	(void)state;
	assert_int_equal(ingest_rate_limit(o, &r, err, sizeof(err)), 0);
	assert_string_equal(r.model, "gpt-4o");
	assert_true(r.has[RL_REQUESTS_MIN] && r.max[RL_REQUESTS_MIN] == 10000);
	assert_true(r.has[RL_BATCH_INPUT_DAY] &&
	    r.max[RL_BATCH_INPUT_DAY] == INT64_C(15000000000));
	assert_false(r.has[RL_IMAGES_MIN]);
	assert_false(r.has[RL_REQUESTS_DAY]);
	json_decref(o);
}

static void
test_rate_limit_rejects_missing_model(void **state)
{
	struct row_rate_limit	 r;
	char			 err[128];
	json_t			*o = js("{\"id\":\"rl-x\"}");

	(void)state;
	assert_int_equal(ingest_rate_limit(o, &r, err, sizeof(err)), -1);
	json_decref(o);
}

static void
test_role_fields(void **state)
{
	struct row_role	 r;
	char		 err[128];
	json_t		*o = js("{\"object\":\"role\",\"id\":\"role_01\","
	    "\"name\":\"Owner\",\"description\":null,\"permissions\":"
	    "[\"api.groups.read\"],\"resource_type\":\"api.organization\","
	    "\"predefined_role\":true}");

	(void)state;
	assert_int_equal(ingest_role(o, &r, err, sizeof(err)), 0);
	assert_string_equal(r.name, "Owner");
	assert_null(r.description);
	assert_string_equal(r.permissions, "[\"api.groups.read\"]");
	assert_true(r.predefined);
	free(r.permissions);
	json_decref(o);
}

static void
test_user_role_direct_when_no_sources(void **state)
{
	struct row_user_role	 r;
	char			 err[128];
	json_t			*o = js("{\"id\":\"role_01\",\"name\":\"Owner\","
	    "\"assignment_sources\":null}");

	(void)state;
	assert_int_equal(ingest_user_role(o, &r, err, sizeof(err)), 0);
	assert_true(r.direct);
	assert_null(r.group_ids);
	json_decref(o);
}

static void
test_user_role_from_groups(void **state)
{
	struct row_user_role	 r;
	char			 err[128];
	json_t			*o = js("{\"id\":\"role_01\",\"name\":\"Owner\","
	    "\"assignment_sources\":[{\"principal_id\":\"group_a\","
	    "\"principal_type\":\"group\"},{\"principal_id\":\"group_b\","
	    "\"principal_type\":\"group\"}]}");

	(void)state;
	assert_int_equal(ingest_user_role(o, &r, err, sizeof(err)), 0);
	assert_false(r.direct);
	assert_string_equal(r.group_ids, "[\"group_a\",\"group_b\"]");
	free(r.group_ids);
	json_decref(o);
}

static void
test_user_role_user_source_is_direct(void **state)
{
	struct row_user_role	 r;
	char			 err[128];
	json_t			*o = js("{\"id\":\"role_01\","
	    "\"assignment_sources\":[{\"principal_id\":\"user_a\","
	    "\"principal_type\":\"user\"},{\"principal_id\":\"group_a\","
	    "\"principal_type\":\"group\"}]}");

	(void)state;
	assert_int_equal(ingest_user_role(o, &r, err, sizeof(err)), 0);
	assert_true(r.direct);
	assert_string_equal(r.group_ids, "[\"group_a\"]");
	free(r.group_ids);
	json_decref(o);
}

static void
test_user_role_rejects_non_object(void **state)
{
	struct row_user_role	 r;
	char			 err[128];
	json_t			*o = js("[1]");

	(void)state;
	assert_int_equal(ingest_user_role(o, &r, err, sizeof(err)), -1);
	json_decref(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_perm_allow_list),
		cmocka_unit_test(test_model_perm_rejects_unknown_mode),
		cmocka_unit_test(test_model_perm_rejects_model_ids_not_strings),
		cmocka_unit_test(test_spend_alert_exact_cents_and_no_address),
		cmocka_unit_test(test_spend_alert_rejects_fractional_amount),
		cmocka_unit_test(test_spend_alert_rejects_string_amount),
		cmocka_unit_test(test_spend_alert_rejects_bad_id),
		cmocka_unit_test(test_retention_type),
		cmocka_unit_test(test_rate_limit_optional_fields),
		cmocka_unit_test(test_rate_limit_rejects_missing_model),
		cmocka_unit_test(test_role_fields),
		cmocka_unit_test(test_user_role_direct_when_no_sources),
		cmocka_unit_test(test_user_role_from_groups),
		cmocka_unit_test(test_user_role_user_source_is_direct),
		cmocka_unit_test(test_user_role_rejects_non_object),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
