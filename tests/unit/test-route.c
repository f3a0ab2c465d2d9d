/*
 * test-route.c: unit tests for src/route.h and the list table: the path
 * matcher, and the table's own rules (flags that agree with patterns,
 * cursor letters used once, every list's template present).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "list.h"
#include "route.h"

static void
test_match_literal_and_numbers(void **state)
{
	int64_t	 ids[2];
	char	 oaid[129];

	(void)state;
	assert_int_equal(route_match("/orgs/:org/keys", "/orgs/42/keys", ids,
	    oaid), 1);
	assert_int_equal(ids[0], 42);
	assert_int_equal(route_match("/orgs/:org/packs/:id", "/orgs/7/packs/9",
	    ids, oaid), 1);
	assert_int_equal(ids[0], 7);
	assert_int_equal(ids[1], 9);
	assert_int_equal(route_match("/orgs/:org/keys", "/orgs/42/users", ids,
	    oaid), 0);
	assert_int_equal(route_match("/orgs/:org/keys", "/orgs/42/keys/",
	    ids, oaid), 0);
	assert_int_equal(route_match("/", "/", ids, oaid), 1);
	assert_int_equal(route_match("/", "", ids, oaid), 0);
}

static void
test_match_malformed_numbers(void **state)
{
	int64_t		 ids[2];
	char		 oaid[129];
	const char	*bad[] = { "/orgs/0/keys", "/orgs/-1/keys",
	    "/orgs/abc/keys", "/orgs/007/keys", "/orgs//keys",
	    "/orgs/99999999999999999999999/keys" };
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(route_match("/orgs/:org/keys", bad[i], ids,
		    oaid), -1);
}

static void
test_match_openai_identifier(void **state)
{
	int64_t	 ids[2];
	char	 oaid[129], big[300];

	(void)state;
	assert_int_equal(route_match("/orgs/:org/projects/*project/members",
	    "/orgs/3/projects/proj_Ab12-x/members", ids, oaid), 1);
	assert_string_equal(oaid, "proj_Ab12-x");
	assert_int_equal(route_match("/orgs/:org/projects/*project/members",
	    "/orgs/3/projects/a%2Fb/members", ids, oaid), -1);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	{
		char	 path[400];

		snprintf(path, sizeof(path), "/orgs/3/projects/%s/members",
		    big);
		assert_int_equal(route_match(
		    "/orgs/:org/projects/*project/members", path, ids, oaid),
		    -1);
	}
}

/* A pattern with ":org" is an org route, and only then. */
static void
test_table_flags_agree_with_patterns(void **state)
{
	const struct route	*rt;
	size_t			 i;

	(void)state;
	assert_true(route_count() > 30);
	for (i = 0; i < route_count(); i++) {
		rt = route_at(i);
		assert_true((strstr(rt->pattern, ":org") != NULL) ==
		    ((rt->flags & R_ORG) != 0));
		assert_true((strncmp(rt->pattern, "/api/", 5) == 0) ==
		    ((rt->flags & R_API) != 0));
		assert_false((rt->flags & R_SESSION) && (rt->flags & R_TOKEN));
		if (rt->flags & (R_SESSION | R_TOKEN))
			assert_true(((rt->flags & R_TOKEN) != 0) ==
			    ((rt->flags & R_API) != 0));
		assert_non_null(rt->fn);
		assert_true(rt->methods == M_GET || rt->methods == M_POST);
	}
}

/* No two routes answer the same method at the same pattern. */
static void
test_table_has_no_duplicates(void **state)
{
	size_t	 i, k;

	(void)state;
	for (i = 0; i < route_count(); i++)
		for (k = i + 1; k < route_count(); k++)
			assert_false(strcmp(route_at(i)->pattern,
			    route_at(k)->pattern) == 0 && route_at(i)->methods ==
			    route_at(k)->methods);
}

static void
test_cursor_letters_are_used_once(void **state)
{
	const char	*k = list_cursor_kinds();
	size_t		 i, j;

	(void)state;
	assert_true(strlen(k) >= list_count());
	for (i = 0; k[i] != '\0'; i++)
		for (j = i + 1; k[j] != '\0'; j++)
			assert_true(k[i] != k[j]);
}

/* Each list names a template that exists, and a unique path. */
static void
test_every_list_has_its_template(void **state)
{
	char	 path[256];
	size_t	 i, k;

	(void)state;
	for (i = 0; i < list_count(); i++) {
		snprintf(path, sizeof(path), "templates/%s.mustache",
		    list_at(i)->tpl);
		assert_int_equal(access(path, R_OK), 0);
		assert_non_null(list_at(i)->title);
		for (k = i + 1; k < list_count(); k++)
			assert_string_not_equal(list_at(i)->name,
			    list_at(k)->name);
	}
}

/* A list's filters are parameters its routes declare. */
static void
test_list_filters_are_declared(void **state)
{
	const struct list_def	*d;
	size_t			 i, f;

	(void)state;
	for (i = 0; i < list_count(); i++) {
		d = list_at(i);
		for (f = 0; f < LIST_FILTERS_MAX && d->filters[f] != P__MAX;
		    f++) {
			assert_true(d->api_params & P(d->filters[f]));
			assert_true(d->page_params & P(d->filters[f]));
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_literal_and_numbers),
		cmocka_unit_test(test_match_malformed_numbers),
		cmocka_unit_test(test_match_openai_identifier),
		cmocka_unit_test(test_table_flags_agree_with_patterns),
		cmocka_unit_test(test_table_has_no_duplicates),
		cmocka_unit_test(test_cursor_letters_are_used_once),
		cmocka_unit_test(test_every_list_has_its_template),
		cmocka_unit_test(test_list_filters_are_declared),
	};

	return cmocka_run_group_tests_name("route", tests, NULL, NULL);
}
