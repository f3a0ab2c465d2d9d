/*
 * test-retry.c: unit tests for src/retry.h (which statuses to retry, the
 * server's Retry-After wish, backoff with jitter, the retry budget).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "retry.h"

/* "Wed, 21 Oct 2015 07:28:00 GMT" */
#define DATE_STR	"Wed, 21 Oct 2015 07:28:00 GMT"
#define DATE_T		INT64_C(1445412480)

static const struct retry_policy pol = {
	.max_attempts = 5, .max_ms = 20000, .base_ms = 500, .cap_ms = 8000,
};

/* ---- retry_status ---- */

static void
test_retry_status_success_not_retried(void **state)
{
	(void)state;
	assert_false(retry_status(200));
	assert_false(retry_status(0));
}

static void
test_retry_status_client_errors_not_retried(void **state)
{
	(void)state;
	assert_false(retry_status(400));
	assert_false(retry_status(401));
	assert_false(retry_status(403));
	assert_false(retry_status(404));
}

static void
test_retry_status_timeout_conflict_rate_limit_retried(void **state)
{
	(void)state;
	assert_true(retry_status(408));
	assert_true(retry_status(409));
	assert_true(retry_status(429));
}

static void
test_retry_status_server_errors_retried(void **state)
{
	(void)state;
	assert_true(retry_status(500));
	assert_true(retry_status(503));
	assert_true(retry_status(599));
}

static void
test_retry_status_outside_5xx_not_retried(void **state)
{
	(void)state;
	assert_false(retry_status(499));
	assert_false(retry_status(600));
	assert_false(retry_status(410));
}

/* ---- retry_after_hint ---- */

static void
test_retry_after_hint_ms_wins_over_seconds(void **state)
{
	(void)state;
	assert_int_equal(retry_after_hint("1500", "30", DATE_T), 1500);
}

static void
test_retry_after_hint_ms_alone(void **state)
{
	(void)state;
	assert_int_equal(retry_after_hint("250", NULL, DATE_T), 250);
	assert_int_equal(retry_after_hint("0", NULL, DATE_T), 0);
}

static void
test_retry_after_hint_seconds(void **state)
{
	(void)state;
	assert_int_equal(retry_after_hint(NULL, "30", DATE_T), 30000);
	assert_int_equal(retry_after_hint(NULL, "0", DATE_T), 0);
}

static void
test_retry_after_hint_bad_ms_falls_back_to_seconds(void **state)
{
	(void)state;
	assert_int_equal(retry_after_hint("soon", "2", DATE_T), 2000);
	assert_int_equal(retry_after_hint("", "2", DATE_T), 2000);
}

static void
test_retry_after_hint_http_date_in_future(void **state)
{
	(void)state;
	assert_int_equal(retry_after_hint(NULL, DATE_STR, DATE_T - 10), 10000);
}

static void
test_retry_after_hint_http_date_in_past(void **state)
{
	(void)state;
	assert_int_equal(retry_after_hint(NULL, DATE_STR, DATE_T + 3600), 0);
	assert_int_equal(retry_after_hint(NULL, DATE_STR, DATE_T), 0);
}

static void
test_retry_after_hint_garbage(void **state)
{
	(void)state;
	assert_int_equal(retry_after_hint(NULL, "soon", DATE_T), -1);
	assert_int_equal(retry_after_hint(NULL, "", DATE_T), -1);
	assert_int_equal(retry_after_hint(NULL, "1.5", DATE_T), -1);
	assert_int_equal(retry_after_hint(NULL, "-5", DATE_T), -1);
	assert_int_equal(retry_after_hint(NULL, " 5", DATE_T), -1);
	assert_int_equal(retry_after_hint(NULL, DATE_STR " trailing", DATE_T),
	    -1);
	assert_int_equal(retry_after_hint("x", "y", DATE_T), -1);
}

static void
test_retry_after_hint_negative_ms_ignored(void **state)
{
	(void)state;
	assert_int_equal(retry_after_hint("-100", NULL, DATE_T), -1);
}

static void
test_retry_after_hint_both_null(void **state)
{
	(void)state;
	assert_int_equal(retry_after_hint(NULL, NULL, DATE_T), -1);
}

/* ---- retry_backoff ---- */

static void
test_retry_backoff_doubles(void **state)
{
	(void)state;
	assert_int_equal(retry_backoff(&pol, 1, 0), 500);
	assert_int_equal(retry_backoff(&pol, 2, 0), 1000);
	assert_int_equal(retry_backoff(&pol, 3, 0), 2000);
	assert_int_equal(retry_backoff(&pol, 4, 0), 4000);
	assert_int_equal(retry_backoff(&pol, 5, 0), 8000);
}

static void
test_retry_backoff_capped(void **state)
{
	(void)state;
	assert_int_equal(retry_backoff(&pol, 6, 0), 8000);
	assert_int_equal(retry_backoff(&pol, 60, 0), 8000);
	assert_int_equal(retry_backoff(&pol, 1000000, 0), 8000);
}

static void
test_retry_backoff_cap_not_a_power_of_two_multiple(void **state)
{
	const struct retry_policy	 p = { 5, 100000, 300, 1000 };

	(void)state;
	assert_int_equal(retry_backoff(&p, 2, 0), 600);
	assert_int_equal(retry_backoff(&p, 3, 0), 1000);
}

static void
test_retry_backoff_jitter_zero_is_full_step(void **state)
{
	(void)state;
	assert_int_equal(retry_backoff(&pol, 3, 0), 2000);
}

static void
test_retry_backoff_jitter_max_keeps_three_quarters(void **state)
{
	int64_t	 d;

	(void)state;
	d = retry_backoff(&pol, 3, 0xffffffffu);
	assert_in_range(d, 1500, 1999);
	d = retry_backoff(&pol, 1, 0xffffffffu);
	assert_in_range(d, 375, 499);
	d = retry_backoff(&pol, 30, 0xffffffffu);
	assert_in_range(d, 6000, 7999);
}

static void
test_retry_backoff_jitter_midpoint(void **state)
{
	(void)state;
	/* 2000 * 0.25 * 0.5 = 250 off. */
	assert_int_equal(retry_backoff(&pol, 3, 0x80000000u), 1750);
}

static void
test_retry_backoff_jitter_range_over_many_values(void **state)
{
	uint32_t	 r;
	int64_t		 d;
	int		 i;

	(void)state;
	for (i = 0, r = 12345; i < 1000; i++, r = r * 1103515245u + 12345u) {
		d = retry_backoff(&pol, 2, r);
		assert_in_range(d, 750, 1000);
	}
}

/* ---- retry_delay ---- */

static void
test_retry_delay_first_retry_uses_backoff(void **state)
{
	(void)state;
	assert_int_equal(retry_delay(&pol, 1, 0, -1, 0), 500);
	assert_int_equal(retry_delay(&pol, 3, 100, -1, 0), 2000);
}

static void
test_retry_delay_gives_up_at_max_attempts(void **state)
{
	(void)state;
	assert_int_equal(retry_delay(&pol, 4, 0, -1, 0), 4000);
	assert_int_equal(retry_delay(&pol, 5, 0, -1, 0), -1);
	assert_int_equal(retry_delay(&pol, 6, 0, -1, 0), -1);
	assert_int_equal(retry_delay(&pol, 5, 0, 10, 0), -1);
}

static void
test_retry_delay_gives_up_when_wait_passes_budget(void **state)
{
	(void)state;
	/* 3rd retry waits 2000 ms: 18500 + 2000 > 20000. */
	assert_int_equal(retry_delay(&pol, 3, 18500, -1, 0), -1);
}

static void
test_retry_delay_wait_ending_exactly_at_budget_allowed(void **state)
{
	(void)state;
	assert_int_equal(retry_delay(&pol, 3, 18000, -1, 0), 2000);
}

static void
test_retry_delay_honours_hint_that_fits(void **state)
{
	(void)state;
	assert_int_equal(retry_delay(&pol, 1, 1000, 3000, 0), 3000);
	/* Longer than the backoff cap, still inside the budget. */
	assert_int_equal(retry_delay(&pol, 1, 0, 15000, 0), 15000);
	assert_int_equal(retry_delay(&pol, 2, 0, 0, 0), 0);
}

static void
test_retry_delay_gives_up_on_hint_that_does_not_fit(void **state)
{
	(void)state;
	assert_int_equal(retry_delay(&pol, 1, 1000, 19500, 0), -1);
	assert_int_equal(retry_delay(&pol, 1, 0, 20001, 0), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retry_status_success_not_retried),
		cmocka_unit_test(test_retry_status_client_errors_not_retried),
		cmocka_unit_test(test_retry_status_timeout_conflict_rate_limit_retried),
		cmocka_unit_test(test_retry_status_server_errors_retried),
		cmocka_unit_test(test_retry_status_outside_5xx_not_retried),
		cmocka_unit_test(test_retry_after_hint_ms_wins_over_seconds),
		cmocka_unit_test(test_retry_after_hint_ms_alone),
		cmocka_unit_test(test_retry_after_hint_seconds),
		cmocka_unit_test(test_retry_after_hint_bad_ms_falls_back_to_seconds),
		cmocka_unit_test(test_retry_after_hint_http_date_in_future),
		cmocka_unit_test(test_retry_after_hint_http_date_in_past),
		cmocka_unit_test(test_retry_after_hint_garbage),
		cmocka_unit_test(test_retry_after_hint_negative_ms_ignored),
		cmocka_unit_test(test_retry_after_hint_both_null),
		cmocka_unit_test(test_retry_backoff_doubles),
		cmocka_unit_test(test_retry_backoff_capped),
		cmocka_unit_test(test_retry_backoff_cap_not_a_power_of_two_multiple),
		cmocka_unit_test(test_retry_backoff_jitter_zero_is_full_step),
		cmocka_unit_test(test_retry_backoff_jitter_max_keeps_three_quarters),
		cmocka_unit_test(test_retry_backoff_jitter_midpoint),
		cmocka_unit_test(test_retry_backoff_jitter_range_over_many_values),
		cmocka_unit_test(test_retry_delay_first_retry_uses_backoff),
		cmocka_unit_test(test_retry_delay_gives_up_at_max_attempts),
		cmocka_unit_test(test_retry_delay_gives_up_when_wait_passes_budget),
		cmocka_unit_test(test_retry_delay_wait_ending_exactly_at_budget_allowed),
		cmocka_unit_test(test_retry_delay_honours_hint_that_fits),
		cmocka_unit_test(test_retry_delay_gives_up_on_hint_that_does_not_fit),
	};

	return cmocka_run_group_tests_name("retry", tests, NULL, NULL);
}
