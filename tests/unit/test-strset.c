/*
 * test-strset.c: unit tests for src/strset.h (a set of owned strings).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "strset.h"

static void
test_strset_empty_has_nothing(void **state)
{
	struct strset	 s = { 0 };

	(void)state;
	assert_false(strset_has(&s, "a"));
	assert_false(strset_has(&s, ""));
	strset_free(&s);
}

static void
test_strset_add_then_has(void **state)
{
	struct strset	 s = { 0 };

	(void)state;
	assert_true(strset_add(&s, "user_abc"));
	assert_true(strset_has(&s, "user_abc"));
	assert_false(strset_has(&s, "user_abd"));
	assert_false(strset_has(&s, "user_ab"));
	assert_false(strset_has(&s, "user_abcd"));
	assert_int_equal(s.n, 1);
	strset_free(&s);
}

static void
test_strset_duplicate_add_returns_false(void **state)
{
	struct strset	 s = { 0 };

	(void)state;
	assert_true(strset_add(&s, "x"));
	assert_false(strset_add(&s, "x"));
	assert_int_equal(s.n, 1);
	assert_true(strset_add(&s, "y"));
	assert_false(strset_add(&s, "y"));
	assert_int_equal(s.n, 2);
	strset_free(&s);
}

static void
test_strset_keeps_its_own_copy(void **state)
{
	struct strset	 s = { 0 };
	char		 v[16];

	(void)state;
	strcpy(v, "proj_1");
	assert_true(strset_add(&s, v));
	strcpy(v, "proj_2");
	assert_true(strset_has(&s, "proj_1"));
	assert_false(strset_has(&s, "proj_2"));
	strset_free(&s);
}

static void
test_strset_empty_string_is_a_member(void **state)
{
	struct strset	 s = { 0 };

	(void)state;
	assert_true(strset_add(&s, ""));
	assert_true(strset_has(&s, ""));
	assert_false(strset_add(&s, ""));
	strset_free(&s);
}

static void
test_strset_100000_distinct_strings(void **state)
{
	struct strset	 s = { 0 };
	char		 v[32];
	int		 i, missing = 0, dup = 0;

	(void)state;
	for (i = 0; i < 100000; i++) {
		snprintf(v, sizeof(v), "key_%d", i);
		if (!strset_add(&s, v))
			dup++;
	}
	assert_int_equal(dup, 0);
	assert_int_equal(s.n, 100000);
	assert_true(s.cap >= 100000);
	assert_int_equal(s.cap & (s.cap - 1), 0);
	for (i = 0; i < 100000; i++) {
		snprintf(v, sizeof(v), "key_%d", i);
		if (!strset_has(&s, v))
			missing++;
	}
	assert_int_equal(missing, 0);
	strset_free(&s);
}

static void
test_strset_absent_strings_not_found(void **state)
{
	struct strset	 s = { 0 };
	char		 v[32];
	int		 i, found = 0;

	(void)state;
	for (i = 0; i < 100000; i++) {
		snprintf(v, sizeof(v), "key_%d", i);
		strset_add(&s, v);
	}
	for (i = 100000; i < 200000; i++) {
		snprintf(v, sizeof(v), "key_%d", i);
		if (strset_has(&s, v))
			found++;
	}
	assert_int_equal(found, 0);
	assert_false(strset_has(&s, "key_"));
	assert_false(strset_has(&s, "key_-1"));
	assert_false(strset_has(&s, "KEY_1"));
	strset_free(&s);
}

static void
test_strset_readd_after_many_still_duplicate(void **state)
{
	struct strset	 s = { 0 };
	char		 v[32];
	int		 i, added = 0;

	(void)state;
	for (i = 0; i < 5000; i++) {
		snprintf(v, sizeof(v), "u%d", i);
		strset_add(&s, v);
	}
	for (i = 0; i < 5000; i++) {
		snprintf(v, sizeof(v), "u%d", i);
		if (strset_add(&s, v))
			added++;
	}
	assert_int_equal(added, 0);
	assert_int_equal(s.n, 5000);
	strset_free(&s);
}

static void
test_strset_free_resets_and_is_reusable(void **state)
{
	struct strset	 s = { 0 };

	(void)state;
	strset_add(&s, "a");
	strset_add(&s, "b");
	strset_free(&s);
	assert_null(s.slot);
	assert_int_equal(s.n, 0);
	assert_int_equal(s.cap, 0);
	assert_false(strset_has(&s, "a"));
	assert_true(strset_add(&s, "a"));
	assert_true(strset_has(&s, "a"));
	strset_free(&s);
	strset_free(&s);	/* freeing an empty set is harmless */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strset_empty_has_nothing),
		cmocka_unit_test(test_strset_add_then_has),
		cmocka_unit_test(test_strset_duplicate_add_returns_false),
		cmocka_unit_test(test_strset_keeps_its_own_copy),
		cmocka_unit_test(test_strset_empty_string_is_a_member),
		cmocka_unit_test(test_strset_100000_distinct_strings),
		cmocka_unit_test(test_strset_absent_strings_not_found),
		cmocka_unit_test(test_strset_readd_after_many_still_duplicate),
		cmocka_unit_test(test_strset_free_resets_and_is_reusable),
	};

	return cmocka_run_group_tests_name("strset", tests, NULL, NULL);
}
