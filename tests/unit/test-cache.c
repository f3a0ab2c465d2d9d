/*
 * test-cache.c: unit tests for src/cache.h (answers kept per process).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cache.h"

/* The string kept under key, or NULL; frees the copy. */
static int
kept(const char *key, const char *want)
{
	json_t	*v = cache_get(key);
	int	 ok;

	if (v == NULL)
		return want == NULL;
	ok = want != NULL && strcmp(json_string_value(v), want) == 0;
	json_decref(v);
	return ok;
}

static void
put(const char *key, const char *s)
{
	json_t	*v = json_string(s);

	cache_put(key, v);
	json_decref(v);
}

static void
test_cache_keeps_a_copy(void **state)
{
	json_t	*v = json_pack("{s:i}", "n", 1), *got;

	(void)state;
	cache_limit(CACHE_SLOTS);
	cache_put("obj", v);
	json_object_set_new(v, "n", json_integer(2));	/* the caller's */
	got = cache_get("obj");
	assert_non_null(got);
	assert_int_equal(json_integer_value(json_object_get(got, "n")), 1);
	json_object_set_new(got, "n", json_integer(3));	/* the copy's */
	json_decref(got);
	got = cache_get("obj");
	assert_int_equal(json_integer_value(json_object_get(got, "n")), 1);
	json_decref(got);
	json_decref(v);
}

static void
test_cache_replaces_the_same_key(void **state)
{
	(void)state;
	cache_limit(CACHE_SLOTS);
	put("k", "old");
	put("k", "new");
	assert_true(kept("k", "new"));
	assert_true(kept("k2", NULL));
}

static void
test_cache_drops_the_least_recently_used(void **state)
{
	char	 key[32];
	int	 i;

	(void)state;
	cache_limit(4);
	for (i = 0; i < 4; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		put(key, key);
	}
	assert_true(kept("k0", "k0"));		/* k1 is now the oldest */
	put("k4", "k4");
	assert_true(kept("k1", NULL));
	assert_true(kept("k0", "k0"));
	assert_true(kept("k2", "k2"));
	assert_true(kept("k3", "k3"));
	assert_true(kept("k4", "k4"));
}

static void
test_cache_limit_zero_keeps_nothing(void **state)
{
	(void)state;
	cache_limit(CACHE_SLOTS);
	put("a", "a");
	cache_limit(0);
	assert_false(cache_enabled());
	assert_true(kept("a", NULL));
	put("b", "b");
	assert_true(kept("b", NULL));
	cache_limit(CACHE_SLOTS);
	assert_true(cache_enabled());
	assert_true(kept("a", NULL));		/* dropped, not hidden */
}

static void
test_cache_refuses_a_key_too_long(void **state)
{
	char	 key[CACHE_KEY_MAX + 1];

	(void)state;
	cache_limit(CACHE_SLOTS);
	memset(key, 'x', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	put(key, "v");
	assert_true(kept(key, NULL));
	key[CACHE_KEY_MAX - 1] = '\0';		/* the longest that fits */
	put(key, "v");
	assert_true(kept(key, "v"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache_keeps_a_copy),
		cmocka_unit_test(test_cache_replaces_the_same_key),
		cmocka_unit_test(test_cache_drops_the_least_recently_used),
		cmocka_unit_test(test_cache_limit_zero_keeps_nothing),
		cmocka_unit_test(test_cache_refuses_a_key_too_long),
	};
	int	 rc;

	rc = cmocka_run_group_tests_name("cache", tests, NULL, NULL);
	cache_limit(0);				/* frees every entry */
	return rc;
}
