/*
 * test-oa-page.c: unit tests for src/oa-page.h (OpenAI's list envelope and the
 * guard against cursors that do not advance).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "oa-page.h"

static int
parse(const char *body, struct oa_page *pg, char *err, size_t errlen)
{
	return oa_page_parse(body, strlen(body), pg, err, errlen);
}

static void
test_page_parse_normal_page(void **state)
{
	struct oa_page	 pg;
	char		 err[256] = "";

	(void)state;
	assert_int_equal(parse("{\"object\":\"list\",\"data\":[{\"id\":\"a\"},"
	    "{\"id\":\"b\"}],\"first_id\":\"a\",\"last_id\":\"b\","
	    "\"has_more\":true}", &pg, err, sizeof(err)), 0);
	assert_true(pg.has_more);
	assert_non_null(pg.next);
	assert_string_equal(pg.next, "b");
	assert_int_equal(json_array_size(pg.data), 2);
	oa_page_free(&pg);
	assert_null(pg.root);
}

static void
test_page_parse_last_id_wins_over_last_element(void **state)
{
	struct oa_page	 pg;
	char		 err[256] = "";

	(void)state;
	assert_int_equal(parse("{\"data\":[{\"id\":\"a\"},{\"id\":\"b\"}],"
	    "\"last_id\":\"cursor_z\",\"has_more\":true}", &pg, err,
	    sizeof(err)), 0);
	assert_string_equal(pg.next, "cursor_z");
	assert_true(pg.has_more);
	oa_page_free(&pg);
}

static void
test_page_parse_missing_last_id_uses_last_element(void **state)
{
	struct oa_page	 pg;
	char		 err[256] = "";

	(void)state;
	assert_int_equal(parse("{\"object\":\"list\",\"data\":[{\"id\":"
	    "\"key_1\"},{\"id\":\"key_2\"},{\"id\":\"key_3\"}],\"has_more\":"
	    "true}", &pg, err, sizeof(err)), 0);
	assert_non_null(pg.next);
	assert_string_equal(pg.next, "key_3");
	assert_true(pg.has_more);
	oa_page_free(&pg);
}

static void
test_page_parse_null_last_id_uses_last_element(void **state)
{
	struct oa_page	 pg;
	char		 err[256] = "";

	(void)state;
	assert_int_equal(parse("{\"data\":[{\"id\":\"key_1\"}],\"last_id\":"
	    "null,\"has_more\":true}", &pg, err, sizeof(err)), 0);
	assert_string_equal(pg.next, "key_1");
	assert_true(pg.has_more);
	oa_page_free(&pg);
}

static void
test_page_parse_next_list_uses_next(void **state)
{
	struct oa_page	 pg;
	char		 err[256] = "";

	(void)state;
	assert_int_equal(parse("{\"object\":\"list\",\"data\":[{\"id\":\"a\"},"
	    "{\"id\":\"b\"}],\"has_more\":true,\"next\":\"cur_9\"}", &pg, err,
	    sizeof(err)), 0);
	assert_true(pg.has_more);
	assert_string_equal(pg.next, "cur_9");
	oa_page_free(&pg);
}

static void
test_page_parse_has_more_false(void **state)
{
	struct oa_page	 pg;
	char		 err[256] = "";

	(void)state;
	assert_int_equal(parse("{\"data\":[{\"id\":\"a\"}],\"last_id\":\"a\","
	    "\"has_more\":false}", &pg, err, sizeof(err)), 0);
	assert_false(pg.has_more);
	assert_int_equal(json_array_size(pg.data), 1);
	oa_page_free(&pg);
}

static void
test_page_parse_has_more_absent_is_false(void **state)
{
	struct oa_page	 pg;
	char		 err[256] = "";

	(void)state;
	assert_int_equal(parse("{\"data\":[{\"id\":\"a\"}]}", &pg, err,
	    sizeof(err)), 0);
	assert_false(pg.has_more);
	oa_page_free(&pg);
}

static void
test_page_parse_empty_data_with_has_more_is_last_page(void **state)
{
	struct oa_page	 pg;
	char		 err[256] = "";

	(void)state;
	assert_int_equal(parse("{\"object\":\"list\",\"data\":[],\"first_id\":"
	    "null,\"last_id\":null,\"has_more\":true}", &pg, err,
	    sizeof(err)), 0);
	assert_false(pg.has_more);
	assert_int_equal(json_array_size(pg.data), 0);
	oa_page_free(&pg);
}

static void
test_page_parse_has_more_without_any_cursor_is_last_page(void **state)
{
	struct oa_page	 pg;
	char		 err[256] = "";

	(void)state;
	/* Neither last_id nor an id on the last element. */
	assert_int_equal(parse("{\"data\":[{\"name\":\"x\"}],\"has_more\":true}",
	    &pg, err, sizeof(err)), 0);
	assert_null(pg.next);
	assert_false(pg.has_more);
	oa_page_free(&pg);
}

static void
test_page_parse_not_json(void **state)
{
	struct oa_page	 pg;
	char		 err[256] = "";

	(void)state;
	assert_int_equal(parse("<html>502 Bad Gateway</html>", &pg, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "not JSON"));
	assert_null(pg.root);
}

static void
test_page_parse_empty_body(void **state)
{
	struct oa_page	 pg;
	char		 err[256] = "";

	(void)state;
	assert_int_equal(oa_page_parse("", 0, &pg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not JSON"));
}

static void
test_page_parse_two_documents_rejected(void **state)
{
	struct oa_page	 pg;
	char		 err[256] = "";

	(void)state;
	assert_int_equal(parse("{\"data\":[{\"id\":\"a\"}],\"has_more\":false}"
	    "{\"data\":[{\"id\":\"b\"}],\"has_more\":false}", &pg, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "more than one"));
	assert_null(pg.root);
}

static void
test_page_parse_trailing_garbage_rejected(void **state)
{
	struct oa_page	 pg;
	char		 err[256] = "";

	(void)state;
	assert_int_equal(parse("{\"data\":[]} x", &pg, err, sizeof(err)), -1);
	assert_true(err[0] != '\0');
}

static void
test_page_parse_trailing_whitespace_accepted(void **state)
{
	struct oa_page	 pg;
	char		 err[256] = "";

	(void)state;
	assert_int_equal(parse("{\"data\":[],\"has_more\":false}\r\n", &pg,
	    err, sizeof(err)), 0);
	oa_page_free(&pg);
}

static void
test_page_parse_length_bounds_the_body(void **state)
{
	const char	*body = "{\"data\":[],\"has_more\":false}GARBAGE";
	struct oa_page	 pg;
	char		 err[256] = "";

	(void)state;
	assert_int_equal(oa_page_parse(body, strlen(body) - 7, &pg, err,
	    sizeof(err)), 0);
	oa_page_free(&pg);
}

static void
test_page_parse_missing_data_array(void **state)
{
	struct oa_page	 pg;
	char		 err[256] = "";

	(void)state;
	assert_int_equal(parse("{\"object\":\"list\",\"has_more\":false}", &pg,
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "'data'"));
	assert_null(pg.root);
}

static void
test_page_parse_data_not_array(void **state)
{
	struct oa_page	 pg;
	char		 err[256] = "";

	(void)state;
	assert_int_equal(parse("{\"data\":{\"id\":\"a\"}}", &pg, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "'data'"));
}

static void
test_page_parse_top_level_array(void **state)
{
	struct oa_page	 pg;
	char		 err[256] = "";

	(void)state;
	assert_int_equal(parse("[{\"id\":\"a\"}]", &pg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a list"));
}

static void
test_page_parse_has_more_not_boolean(void **state)
{
	struct oa_page	 pg;
	char		 err[256] = "";

	(void)state;
	assert_int_equal(parse("{\"data\":[{\"id\":\"a\"}],\"has_more\":"
	    "\"true\"}", &pg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "has_more"));
	assert_int_equal(parse("{\"data\":[{\"id\":\"a\"}],\"has_more\":1}",
	    &pg, err, sizeof(err)), -1);
	assert_null(pg.root);
}

static void
test_page_parse_error_message_fits_buffer(void **state)
{
	struct oa_page	 pg;
	char		 err[12];

	(void)state;
	memset(err, 'Z', sizeof(err));
	assert_int_equal(parse("nope", &pg, err, 8), -1);
	assert_int_equal(strlen(err), 7);
	assert_int_equal(err[8], 'Z');
}

/* ---- oa_chain_follow ---- */

static void
test_page_chain_accepts_new_cursors(void **state)
{
	struct oa_chain	 c = { 0 };
	char			 err[256] = "";

	(void)state;
	assert_int_equal(oa_chain_follow(&c, "a", err, sizeof(err)), 0);
	assert_int_equal(oa_chain_follow(&c, "b", err, sizeof(err)), 0);
	assert_int_equal(oa_chain_follow(&c, "c", err, sizeof(err)), 0);
	assert_int_equal(c.n, 3);
	oa_chain_free(&c);
	assert_int_equal(c.n, 0);
	assert_null(c.seen);
}

static void
test_page_chain_rejects_repeated_cursor(void **state)
{
	struct oa_chain	 c = { 0 };
	char			 err[256] = "";
	int			 rc;

	(void)state;
	assert_int_equal(oa_chain_follow(&c, "key_1", err, sizeof(err)), 0);
	assert_int_equal(oa_chain_follow(&c, "key_2", err, sizeof(err)), 0);
	rc = oa_chain_follow(&c, "key_1", err, sizeof(err));
	oa_chain_free(&c);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "does not advance"));
	assert_non_null(strstr(err, "key_1"));
}

static void
test_page_chain_rejects_immediate_repeat(void **state)
{
	struct oa_chain	 c = { 0 };
	char			 err[256] = "";
	int			 rc;

	(void)state;
	assert_int_equal(oa_chain_follow(&c, "x", err, sizeof(err)), 0);
	rc = oa_chain_follow(&c, "x", err, sizeof(err));
	oa_chain_free(&c);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "does not advance"));
}

static void
test_page_chain_enforces_max_pages(void **state)
{
	struct oa_chain	 c = { 0 };
	char			 err[256] = "", cur[16];
	int			 i, rc;

	(void)state;
	c.max_pages = 3;
	for (i = 0; i < 3; i++) {
		snprintf(cur, sizeof(cur), "c%d", i);
		assert_int_equal(oa_chain_follow(&c, cur, err, sizeof(err)),
		    0);
	}
	rc = oa_chain_follow(&c, "c3", err, sizeof(err));
	oa_chain_free(&c);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "3 pages"));
}

static void
test_page_chain_default_max_allows_many(void **state)
{
	struct oa_chain	 c = { 0 };
	char			 err[256] = "", cur[16];
	int			 i, rc = 0;

	(void)state;
	for (i = 0; i < 1000 && rc == 0; i++) {
		snprintf(cur, sizeof(cur), "c%d", i);
		rc = oa_chain_follow(&c, cur, err, sizeof(err));
	}
	oa_chain_free(&c);
	assert_int_equal(rc, 0);
	assert_int_equal(i, 1000);
}

static void
test_page_chain_message_quotes_bounded_cursor(void **state)
{
	struct oa_chain	 c = { 0 };
	char			 err[512] = "", cur[300];
	int			 rc;

	(void)state;
	memset(cur, 'q', sizeof(cur) - 1);
	cur[sizeof(cur) - 1] = '\0';
	assert_int_equal(oa_chain_follow(&c, cur, err, sizeof(err)), 0);
	rc = oa_chain_follow(&c, cur, err, sizeof(err));
	oa_chain_free(&c);
	assert_int_equal(rc, -1);
	assert_true(strlen(err) < 200);
}

/* oa_page_scan reads every envelope as oa_page_parse does. */
static void
test_page_scan_agrees_with_page_parse(void **state)
{
	static const char *const	 bodies[] = {
		"{\"object\":\"list\",\"data\":[{\"id\":\"a\"},{\"id\":\"b\"}],"
		    "\"first_id\":\"a\",\"last_id\":\"b\",\"has_more\":true}",
		"{\"data\":[{\"id\":\"a\"},{\"id\":\"b\"}],\"last_id\":\"z\","
		    "\"has_more\":true}",
		"{\"data\":[{\"id\":\"a\"},{\"id\":\"b\"}],\"has_more\":true}",
		"{\"data\":[{\"id\":\"a\"}],\"last_id\":null,\"has_more\":true}",
		"{\"data\":[{\"id\":\"a\"}],\"last_id\":\"\",\"has_more\":true}",
		"{\"data\":[{\"id\":\"a\"}],\"has_more\":false}",
		"{\"data\":[{\"id\":\"a\"}]}",
		"{\"data\":[],\"has_more\":true,\"last_id\":\"q\"}",
		"{\"data\":[{\"name\":\"no id\"}],\"has_more\":true}",
		"{\"data\":[{\"id\":7}],\"has_more\":true}",
		"{\"data\":[1,2,{\"id\":\"c\"}],\"has_more\":true}",
		"{\"data\":[],\"has_more\":\"yes\"}",
		"{\"data\":{}}", "{\"items\":[]}", "[]", "", "not json",
		"{\"data\":[]} {\"data\":[]}", "{\"data\":[]} x",
		"{\"data\":[]}\n\t ", "{\"data\":[{\"id\":\"a\\u00e9\"}],"
		    "\"has_more\":true}",
		"{\"data\":[],\"has_more\":true,\"data\":[{\"id\":\"d\"}]}",
	};
	struct oa_page			 a;
	struct oa_jpage			 b;
	char				 ea[256], eb[256];
	size_t				 i;
	int				 ra, rb;

	(void)state;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		ra = oa_page_parse(bodies[i], strlen(bodies[i]), &a, ea,
		    sizeof(ea));
		rb = oa_page_scan(bodies[i], strlen(bodies[i]), &b, eb,
		    sizeof(eb));
		if (ra != rb)
			fail_msg("%s: oa_page_parse %d (%s), oa_page_scan %d (%s)",
			    bodies[i], ra, ra ? ea : "", rb, rb ? eb : "");
		if (ra == 0) {
			assert_int_equal(a.has_more, b.has_more);
			assert_int_equal(json_array_size(a.data), b.count);
			if (a.next == NULL)
				assert_null(b.next);
			else
				assert_string_equal(a.next, b.next);
			oa_page_free(&a);
		}
		oa_jpage_free(&b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page_parse_normal_page),
		cmocka_unit_test(test_page_parse_last_id_wins_over_last_element),
		cmocka_unit_test(test_page_parse_missing_last_id_uses_last_element),
		cmocka_unit_test(test_page_parse_null_last_id_uses_last_element),
		cmocka_unit_test(test_page_parse_next_list_uses_next),
		cmocka_unit_test(test_page_parse_has_more_false),
		cmocka_unit_test(test_page_parse_has_more_absent_is_false),
		cmocka_unit_test(test_page_parse_empty_data_with_has_more_is_last_page),
		cmocka_unit_test(test_page_parse_has_more_without_any_cursor_is_last_page),
		cmocka_unit_test(test_page_parse_not_json),
		cmocka_unit_test(test_page_parse_empty_body),
		cmocka_unit_test(test_page_parse_two_documents_rejected),
		cmocka_unit_test(test_page_parse_trailing_garbage_rejected),
		cmocka_unit_test(test_page_parse_trailing_whitespace_accepted),
		cmocka_unit_test(test_page_parse_length_bounds_the_body),
		cmocka_unit_test(test_page_parse_missing_data_array),
		cmocka_unit_test(test_page_parse_data_not_array),
		cmocka_unit_test(test_page_parse_top_level_array),
		cmocka_unit_test(test_page_parse_has_more_not_boolean),
		cmocka_unit_test(test_page_parse_error_message_fits_buffer),
		cmocka_unit_test(test_page_scan_agrees_with_page_parse),
		cmocka_unit_test(test_page_chain_accepts_new_cursors),
		cmocka_unit_test(test_page_chain_rejects_repeated_cursor),
		cmocka_unit_test(test_page_chain_rejects_immediate_repeat),
		cmocka_unit_test(test_page_chain_enforces_max_pages),
		cmocka_unit_test(test_page_chain_default_max_allows_many),
		cmocka_unit_test(test_page_chain_message_quotes_bounded_cursor),
	};

	return cmocka_run_group_tests_name("page", tests, NULL, NULL);
}
