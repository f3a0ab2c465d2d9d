/*
 * test-findings.c: unit tests for src/findings.h (stale and orphan keys,
 * and the reasons given for them).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "findings.h"

#define NOW	INT64_C(1800000000)
#define DAY	INT64_C(86400)

/* A user-owned key, still in the org with access, created a year ago. */
static struct finding_key
fresh_key(void)
{
	struct finding_key	 k;

	memset(&k, 0, sizeof(k));
	k.created_at = NOW - 365 * DAY;
	k.last_used_at = NOW - DAY;
	k.owner_is_user = true;
	k.owner_in_org = true;
	k.access_inactive = false;
	return k;
}

static void
test_findings_recently_used_key_clean(void **state)
{
	struct finding_key	 k = fresh_key();
	struct finding		 f;

	(void)state;
	finding_eval(&k, NOW, 90, &f);
	assert_false(f.stale);
	assert_false(f.orphan);
	assert_string_equal(f.stale_reason, "");
	assert_string_equal(f.orphan_reason, "");
}

static void
test_findings_stale_by_last_use_91_days(void **state)
{
	struct finding_key	 k = fresh_key();
	struct finding		 f;

	(void)state;
	k.last_used_at = NOW - 91 * DAY;
	finding_eval(&k, NOW, 90, &f);
	assert_true(f.stale);
	assert_string_equal(f.stale_reason, "last used 91 days ago");
	assert_false(f.orphan);
}

static void
test_findings_not_stale_at_89_days(void **state)
{
	struct finding_key	 k = fresh_key();
	struct finding		 f;

	(void)state;
	k.last_used_at = NOW - 89 * DAY;
	finding_eval(&k, NOW, 90, &f);
	assert_false(f.stale);
	assert_string_equal(f.stale_reason, "");
}

static void
test_findings_last_use_exactly_at_boundary_not_stale(void **state)
{
	struct finding_key	 k = fresh_key();
	struct finding		 f;

	(void)state;
	k.last_used_at = NOW - 90 * DAY;
	finding_eval(&k, NOW, 90, &f);
	assert_false(f.stale);
}

static void
test_findings_last_use_one_second_past_boundary_stale(void **state)
{
	struct finding_key	 k = fresh_key();
	struct finding		 f;

	(void)state;
	k.last_used_at = NOW - 90 * DAY - 1;
	finding_eval(&k, NOW, 90, &f);
	assert_true(f.stale);
	assert_string_equal(f.stale_reason, "last used more than 90 days ago");
}

static void
test_findings_more_than_wording_when_days_round_down(void **state)
{
	struct finding_key	 k = fresh_key();
	struct finding		 f;

	(void)state;
	k.last_used_at = NOW - 90 * DAY - 20 * 3600;
	finding_eval(&k, NOW, 90, &f);
	assert_true(f.stale);
	assert_string_equal(f.stale_reason, "last used more than 90 days ago");
}

static void
test_findings_never_used_created_200_days_ago_stale(void **state)
{
	struct finding_key	 k = fresh_key();
	struct finding		 f;

	(void)state;
	k.last_used_at = 0;
	k.created_at = NOW - 200 * DAY;
	finding_eval(&k, NOW, 90, &f);
	assert_true(f.stale);
	assert_string_equal(f.stale_reason, "never used; created 200 days ago");
}

static void
test_findings_never_used_created_10_days_ago_not_stale(void **state)
{
	struct finding_key	 k = fresh_key();
	struct finding		 f;

	(void)state;
	k.last_used_at = 0;
	k.created_at = NOW - 10 * DAY;
	finding_eval(&k, NOW, 90, &f);
	assert_false(f.stale);
	assert_string_equal(f.stale_reason, "");
}

static void
test_findings_never_used_created_exactly_at_boundary_not_stale(void **state)
{
	struct finding_key	 k = fresh_key();
	struct finding		 f;

	(void)state;
	k.last_used_at = 0;
	k.created_at = NOW - 90 * DAY;
	finding_eval(&k, NOW, 90, &f);
	assert_false(f.stale);
}

static void
test_findings_never_used_more_than_wording(void **state)
{
	struct finding_key	 k = fresh_key();
	struct finding		 f;

	(void)state;
	k.last_used_at = 0;
	k.created_at = NOW - 90 * DAY - 3600;
	finding_eval(&k, NOW, 90, &f);
	assert_true(f.stale);
	assert_string_equal(f.stale_reason,
	    "never used; created more than 90 days ago");
}

static void
test_findings_recent_use_beats_old_creation(void **state)
{
	struct finding_key	 k = fresh_key();
	struct finding		 f;

	(void)state;
	k.created_at = NOW - 1000 * DAY;
	k.last_used_at = NOW - 5 * DAY;
	finding_eval(&k, NOW, 90, &f);
	assert_false(f.stale);
}

static void
test_findings_orphan_owner_left_org(void **state)
{
	struct finding_key	 k = fresh_key();
	struct finding		 f;

	(void)state;
	k.owner_in_org = false;
	finding_eval(&k, NOW, 90, &f);
	assert_true(f.orphan);
	assert_string_equal(f.orphan_reason, "owner left the organization");
	assert_false(f.stale);
}

static void
test_findings_orphan_access_inactive(void **state)
{
	struct finding_key	 k = fresh_key();
	struct finding		 f;

	(void)state;
	k.access_inactive = true;
	finding_eval(&k, NOW, 90, &f);
	assert_true(f.orphan);
	assert_string_equal(f.orphan_reason,
	    "owner no longer has access to the project");
}

static void
test_findings_orphan_both_reasons(void **state)
{
	struct finding_key	 k = fresh_key();
	struct finding		 f;

	(void)state;
	k.owner_in_org = false;
	k.access_inactive = true;
	finding_eval(&k, NOW, 90, &f);
	assert_true(f.orphan);
	assert_string_equal(f.orphan_reason, "owner left the organization and "
	    "has no access to the project");
}

static void
test_findings_service_account_owner_not_orphan_by_membership(void **state)
{
	struct finding_key	 k = fresh_key();
	struct finding		 f;

	(void)state;
	k.owner_is_user = false;
	k.owner_in_org = false;	/* meaningless for a service account */
	finding_eval(&k, NOW, 90, &f);
	assert_false(f.orphan);
	assert_string_equal(f.orphan_reason, "");
}

static void
test_findings_service_account_owner_orphan_by_access(void **state)
{
	struct finding_key	 k = fresh_key();
	struct finding		 f;

	(void)state;
	k.owner_is_user = false;
	k.owner_in_org = false;
	k.access_inactive = true;
	finding_eval(&k, NOW, 90, &f);
	assert_true(f.orphan);
	assert_string_equal(f.orphan_reason,
	    "owner no longer has access to the project");
}

static void
test_findings_stale_and_orphan_together(void **state)
{
	struct finding_key	 k = fresh_key();
	struct finding		 f;

	(void)state;
	k.last_used_at = NOW - 120 * DAY;
	k.owner_in_org = false;
	finding_eval(&k, NOW, 90, &f);
	assert_true(f.stale);
	assert_true(f.orphan);
	assert_string_equal(f.stale_reason, "last used 120 days ago");
	assert_string_equal(f.orphan_reason, "owner left the organization");
}

static void
test_findings_custom_threshold_30_days(void **state)
{
	struct finding_key	 k = fresh_key();
	struct finding		 f;

	(void)state;
	k.last_used_at = NOW - 31 * DAY;
	finding_eval(&k, NOW, 30, &f);
	assert_true(f.stale);
	assert_string_equal(f.stale_reason, "last used 31 days ago");
	k.last_used_at = NOW - 29 * DAY;
	finding_eval(&k, NOW, 30, &f);
	assert_false(f.stale);
	k.last_used_at = NOW - 30 * DAY - 1;
	finding_eval(&k, NOW, 30, &f);
	assert_true(f.stale);
	assert_string_equal(f.stale_reason, "last used more than 30 days ago");
}

static void
test_findings_custom_threshold_changes_verdict(void **state)
{
	struct finding_key	 k = fresh_key();
	struct finding		 f;

	(void)state;
	k.last_used_at = NOW - 60 * DAY;
	finding_eval(&k, NOW, 90, &f);
	assert_false(f.stale);
	finding_eval(&k, NOW, 30, &f);
	assert_true(f.stale);
	assert_string_equal(f.stale_reason, "last used 60 days ago");
}

static void
test_findings_future_timestamps_not_stale(void **state)
{
	struct finding_key	 k = fresh_key();
	struct finding		 f;

	(void)state;
	k.created_at = NOW + DAY;
	k.last_used_at = NOW + DAY;
	finding_eval(&k, NOW, 90, &f);
	assert_false(f.stale);
}

static void
test_findings_output_reset_each_call(void **state)
{
	struct finding_key	 k = fresh_key();
	struct finding		 f;

	(void)state;
	memset(&f, 0xff, sizeof(f));
	f.stale_reason[FINDING_REASON_MAX - 1] = '\0';
	f.orphan_reason[FINDING_REASON_MAX - 1] = '\0';
	finding_eval(&k, NOW, 90, &f);
	assert_false(f.stale);
	assert_false(f.orphan);
	assert_string_equal(f.stale_reason, "");
	assert_string_equal(f.orphan_reason, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_findings_recently_used_key_clean),
		cmocka_unit_test(test_findings_stale_by_last_use_91_days),
		cmocka_unit_test(test_findings_not_stale_at_89_days),
		cmocka_unit_test(test_findings_last_use_exactly_at_boundary_not_stale),
		cmocka_unit_test(test_findings_last_use_one_second_past_boundary_stale),
		cmocka_unit_test(test_findings_more_than_wording_when_days_round_down),
		cmocka_unit_test(test_findings_never_used_created_200_days_ago_stale),
		cmocka_unit_test(test_findings_never_used_created_10_days_ago_not_stale),
		cmocka_unit_test(test_findings_never_used_created_exactly_at_boundary_not_stale),
		cmocka_unit_test(test_findings_never_used_more_than_wording),
		cmocka_unit_test(test_findings_recent_use_beats_old_creation),
		cmocka_unit_test(test_findings_orphan_owner_left_org),
		cmocka_unit_test(test_findings_orphan_access_inactive),
		cmocka_unit_test(test_findings_orphan_both_reasons),
		cmocka_unit_test(test_findings_service_account_owner_not_orphan_by_membership),
		cmocka_unit_test(test_findings_service_account_owner_orphan_by_access),
		cmocka_unit_test(test_findings_stale_and_orphan_together),
		cmocka_unit_test(test_findings_custom_threshold_30_days),
		cmocka_unit_test(test_findings_custom_threshold_changes_verdict),
		cmocka_unit_test(test_findings_future_timestamps_not_stale),
		cmocka_unit_test(test_findings_output_reset_each_call),
	};

	return cmocka_run_group_tests_name("findings", tests, NULL, NULL);
}
