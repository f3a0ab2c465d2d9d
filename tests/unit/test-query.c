/*
 * test-query.c: unit tests for src/query.h (query strings parsed and
 * validated against a declared list of parameters).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "query.h"

enum { P_ARCHIVED, P_LIMIT, P_CURSOR, P_TYPE, P_PROJECT, P__N };

static const struct qspec spec[P__N] = {
	[P_ARCHIVED] = { "include_archived", Q_BOOL },
	[P_LIMIT] = { "limit", Q_LIMIT },
	[P_CURSOR] = { "cursor", Q_CURSOR },
	[P_TYPE] = { "type", Q_KEY_TYPE },
	[P_PROJECT] = { "project_id", Q_OA_ID },
};

static struct qval	 out[P__N];
static char		 msg[256];

static enum query_err
parse(const char *qs)
{
	msg[0] = '\0';
	return query_parse(qs, spec, P__N, 200, out, msg, sizeof(msg));
}

/* "name=" followed by n copies of c. */
static void
make_param(char *buf, size_t cap, const char *name, char c, size_t n)
{
	size_t	 l = strlen(name);

	assert_true(l + 1 + n < cap);
	memcpy(buf, name, l);
	buf[l] = '=';
	memset(buf + l + 1, c, n);
	buf[l + 1 + n] = '\0';
}

/* ---- the happy path ---- */

static void
test_query_parses_declared_params(void **state)
{
	(void)state;
	assert_int_equal(parse("include_archived=true&limit=25&cursor=abc-_Z9"
	    "&type=service_account&project_id=proj_abc123"), QUERY_OK);
	assert_true(out[P_ARCHIVED].set);
	assert_true(out[P_ARCHIVED].b);
	assert_true(out[P_LIMIT].set);
	assert_int_equal(out[P_LIMIT].i, 25);
	assert_true(out[P_CURSOR].set);
	assert_string_equal(out[P_CURSOR].s, "abc-_Z9");
	assert_true(out[P_TYPE].set);
	assert_string_equal(out[P_TYPE].s, "service_account");
	assert_true(out[P_PROJECT].set);
	assert_string_equal(out[P_PROJECT].s, "proj_abc123");
}

static void
test_query_absent_params_not_set(void **state)
{
	(void)state;
	assert_int_equal(parse("limit=5"), QUERY_OK);
	assert_true(out[P_LIMIT].set);
	assert_false(out[P_ARCHIVED].set);
	assert_false(out[P_CURSOR].set);
	assert_false(out[P_TYPE].set);
	assert_false(out[P_PROJECT].set);
}

static void
test_query_resets_output_slots(void **state)
{
	(void)state;
	memset(out, 0x5a, sizeof(out));
	assert_int_equal(parse("limit=5"), QUERY_OK);
	assert_false(out[P_CURSOR].set);
	assert_false(out[P_ARCHIVED].b);
	assert_int_equal(out[P_TYPE].i, 0);
}

static void
test_query_bool_false(void **state)
{
	(void)state;
	assert_int_equal(parse("include_archived=false"), QUERY_OK);
	assert_true(out[P_ARCHIVED].set);
	assert_false(out[P_ARCHIVED].b);
}

static void
test_query_null_query_string(void **state)
{
	(void)state;
	memset(out, 0x5a, sizeof(out));
	assert_int_equal(query_parse(NULL, spec, P__N, 200, out, msg,
	    sizeof(msg)), QUERY_OK);
	assert_false(out[P_LIMIT].set);
	assert_false(out[P_PROJECT].set);
}

static void
test_query_empty_query_string(void **state)
{
	(void)state;
	assert_int_equal(parse(""), QUERY_OK);
	assert_false(out[P_LIMIT].set);
}

static void
test_query_empty_segments_tolerated(void **state)
{
	(void)state;
	assert_int_equal(parse("&&limit=7&&include_archived=true&"), QUERY_OK);
	assert_int_equal(out[P_LIMIT].i, 7);
	assert_true(out[P_ARCHIVED].b);
}

/* ---- decoding ---- */

static void
test_query_percent_decoding_in_value(void **state)
{
	(void)state;
	assert_int_equal(parse("project_id=proj%5Fabc%2d1"), QUERY_OK);
	assert_string_equal(out[P_PROJECT].s, "proj_abc-1");
}

static void
test_query_percent_decoding_in_name(void **state)
{
	(void)state;
	assert_int_equal(parse("include%5farchived=true&l%69mit=3"), QUERY_OK);
	assert_true(out[P_ARCHIVED].b);
	assert_int_equal(out[P_LIMIT].i, 3);
}

static void
test_query_plus_decodes_to_space(void **state)
{
	(void)state;
	/* A space is no cursor character, so '+' became one. */
	assert_int_equal(parse("cursor=abc+def"), QUERY_INVALID);
	assert_int_equal(parse("cursor=abc%2Bdef"), QUERY_INVALID);
}

static void
test_query_decode_plus_and_percent(void **state)
{
	char	 buf[32];

	(void)state;
	assert_int_equal(query_decode("a+b%20c%41", 10, buf, sizeof(buf)), 6);
	assert_string_equal(buf, "a b cA");
}

static void
test_query_decode_respects_length(void **state)
{
	char	 buf[32];

	(void)state;
	assert_int_equal(query_decode("abc%zz", 3, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "abc");
	assert_int_equal(query_decode("", 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
}

static void
test_query_decode_output_too_small(void **state)
{
	char	 buf[8];

	(void)state;
	assert_int_equal(query_decode("abcdefgh", 8, buf, sizeof(buf)), -1);
	assert_int_equal(query_decode("abcdefg", 7, buf, sizeof(buf)), 7);
	assert_string_equal(buf, "abcdefg");
}

static void
test_query_decode_rejects_bad_percent(void **state)
{
	char	 buf[32];

	(void)state;
	assert_int_equal(query_decode("%", 1, buf, sizeof(buf)), -1);
	assert_int_equal(query_decode("%4", 2, buf, sizeof(buf)), -1);
	assert_int_equal(query_decode("%zz", 3, buf, sizeof(buf)), -1);
	assert_int_equal(query_decode("%4g", 3, buf, sizeof(buf)), -1);
	assert_int_equal(query_decode("%00", 3, buf, sizeof(buf)), -1);
	assert_int_equal(query_decode("%7f", 3, buf, sizeof(buf)), -1);
	assert_int_equal(query_decode("a\001b", 3, buf, sizeof(buf)), -1);
	/* Tab, CR and LF decode; the validators judge them. */
	assert_int_equal(query_decode("a\tb", 3, buf, sizeof(buf)), 3);
}

/* ---- errors ---- */

static void
test_query_unknown_param(void **state)
{
	(void)state;
	assert_int_equal(parse("limit=5&sort=asc"), QUERY_UNKNOWN);
	assert_non_null(strstr(msg, "sort"));
}

static void
test_query_unknown_param_message_quotes_at_most_64_bytes(void **state)
{
	char	 qs[400], want[80];

	(void)state;
	memset(qs, 'n', 300);
	strcpy(qs + 300, "=1");
	assert_int_equal(parse(qs), QUERY_UNKNOWN);
	memset(want, 'n', 64);
	want[64] = '\0';
	assert_non_null(strstr(msg, want));
	want[64] = 'n';
	want[65] = '\0';
	assert_null(strstr(msg, want));
}

static void
test_query_duplicate_param(void **state)
{
	(void)state;
	assert_int_equal(parse("limit=1&limit=2"), QUERY_DUPLICATE);
	assert_non_null(strstr(msg, "limit"));
}

static void
test_query_duplicate_param_through_encoding(void **state)
{
	(void)state;
	assert_int_equal(parse("limit=1&l%69mit=1"), QUERY_DUPLICATE);
}

static void
test_query_bad_bool(void **state)
{
	(void)state;
	assert_int_equal(parse("include_archived=yes"), QUERY_INVALID);
	assert_non_null(strstr(msg, "include_archived"));
	assert_int_equal(parse("include_archived=TRUE"), QUERY_INVALID);
	assert_int_equal(parse("include_archived=1"), QUERY_INVALID);
	assert_int_equal(parse("include_archived"), QUERY_INVALID);
	assert_int_equal(parse("include_archived="), QUERY_INVALID);
}

static void
test_query_limit_bounds(void **state)
{
	(void)state;
	assert_int_equal(parse("limit=1"), QUERY_OK);
	assert_int_equal(out[P_LIMIT].i, 1);
	assert_int_equal(parse("limit=200"), QUERY_OK);
	assert_int_equal(out[P_LIMIT].i, 200);
}

static void
test_query_limit_zero(void **state)
{
	(void)state;
	assert_int_equal(parse("limit=0"), QUERY_INVALID);
	assert_non_null(strstr(msg, "limit"));
	assert_non_null(strstr(msg, "200"));
}

static void
test_query_limit_above_max(void **state)
{
	(void)state;
	assert_int_equal(parse("limit=201"), QUERY_INVALID);
	assert_int_equal(query_parse("limit=201", spec, P__N, 500, out, msg,
	    sizeof(msg)), QUERY_OK);
	assert_int_equal(out[P_LIMIT].i, 201);
}

static void
test_query_limit_exponent(void **state)
{
	(void)state;
	assert_int_equal(parse("limit=1e3"), QUERY_INVALID);
}

static void
test_query_limit_negative(void **state)
{
	(void)state;
	assert_int_equal(parse("limit=-1"), QUERY_INVALID);
}

static void
test_query_limit_not_a_whole_number(void **state)
{
	(void)state;
	assert_int_equal(parse("limit="), QUERY_INVALID);
	assert_int_equal(parse("limit=+5"), QUERY_INVALID);
	assert_int_equal(parse("limit=5.0"), QUERY_INVALID);
	assert_int_equal(parse("limit=%205"), QUERY_INVALID);
	assert_int_equal(parse("limit=99999999999999999999999"),
	    QUERY_INVALID);
}

static void
test_query_cursor_charset(void **state)
{
	(void)state;
	assert_int_equal(parse("cursor=AZaz09-_"), QUERY_OK);
	assert_int_equal(parse("cursor=abc.def"), QUERY_INVALID);
	assert_non_null(strstr(msg, "cursor"));
	assert_int_equal(parse("cursor=abc%3D"), QUERY_INVALID);
	assert_int_equal(parse("cursor=abc%2F"), QUERY_INVALID);
	assert_int_equal(parse("cursor="), QUERY_INVALID);
}

static void
test_query_cursor_length(void **state)
{
	char	 qs[600];

	(void)state;
	make_param(qs, sizeof(qs), "cursor", 'A', 400);
	assert_int_equal(parse(qs), QUERY_OK);
	assert_int_equal(strlen(out[P_CURSOR].s), 400);
	make_param(qs, sizeof(qs), "cursor", 'A', 401);
	assert_int_equal(parse(qs), QUERY_INVALID);
}

static void
test_query_key_type_enum(void **state)
{
	(void)state;
	assert_int_equal(parse("type=admin"), QUERY_OK);
	assert_string_equal(out[P_TYPE].s, "admin");
	assert_int_equal(parse("type=project"), QUERY_OK);
	assert_int_equal(parse("type=user"), QUERY_OK);
	assert_int_equal(parse("type=service_account"), QUERY_OK);
	assert_int_equal(parse("type=svcacct"), QUERY_INVALID);
	assert_non_null(strstr(msg, "type"));
	assert_int_equal(parse("type=Admin"), QUERY_INVALID);
	/* A select left at "any" sends an empty value: as if absent. */
	assert_int_equal(parse("type="), QUERY_OK);
	assert_true(out[P_TYPE].given);
	assert_false(out[P_TYPE].set);
}

static void
test_query_openai_id_validation(void **state)
{
	char	 qs[300];

	(void)state;
	assert_int_equal(parse("project_id=proj_AbC-1.2:x"), QUERY_OK);
	assert_int_equal(parse("project_id=a%2Fb"), QUERY_INVALID);
	assert_non_null(strstr(msg, "project_id"));
	assert_int_equal(parse("project_id=a+b"), QUERY_INVALID);
	assert_int_equal(parse("project_id="), QUERY_OK);
	assert_false(out[P_PROJECT].set);
	assert_int_equal(parse("project_id=%22x%22"), QUERY_INVALID);
	make_param(qs, sizeof(qs), "project_id", 'p', 128);
	assert_int_equal(parse(qs), QUERY_OK);
	make_param(qs, sizeof(qs), "project_id", 'p', 129);
	assert_int_equal(parse(qs), QUERY_INVALID);
}

static void
test_query_malformed_lone_percent(void **state)
{
	(void)state;
	assert_int_equal(parse("limit=%"), QUERY_MALFORMED);
	assert_int_equal(parse("cursor=ab%"), QUERY_MALFORMED);
}

static void
test_query_malformed_short_percent(void **state)
{
	(void)state;
	assert_int_equal(parse("limit=%4"), QUERY_MALFORMED);
	assert_int_equal(parse("limit=%4&cursor=abc"), QUERY_MALFORMED);
}

static void
test_query_malformed_non_hex_percent(void **state)
{
	(void)state;
	assert_int_equal(parse("limit=%zz"), QUERY_MALFORMED);
	assert_int_equal(parse("%zz=1"), QUERY_MALFORMED);
}

static void
test_query_malformed_encoded_nul(void **state)
{
	(void)state;
	assert_int_equal(parse("project_id=abc%00def"), QUERY_MALFORMED);
}

/*
 * A pasted value may end in a newline, so decoding lets CR and LF
 * through; an id's validator still refuses them.
 */
static void
test_query_malformed_encoded_newline(void **state)
{
	(void)state;
	assert_int_equal(parse("project_id=abc%0adef"), QUERY_INVALID);
	assert_int_equal(parse("project_id=abc%0Ddef"), QUERY_INVALID);
}

static void
test_query_text_refuses_newline_secret_keeps_it(void **state)
{
	static const struct qspec	 spec[] = {
		{ "name", Q_TEXT }, { "key", Q_SECRET }
	};
	struct qval			 v[2];
	char				 msg[128];

	(void)state;
	assert_int_equal(query_parse("name=a%0Ab", spec, 2, 100, v, msg,
	    sizeof(msg)), QUERY_INVALID);
	assert_int_equal(query_parse("key=sk-admin-x%0A", spec, 2, 100, v,
	    msg, sizeof(msg)), QUERY_OK);
	assert_string_equal(v[1].s, "sk-admin-x\n");
	assert_int_equal(query_parse("key=a%01b", spec, 2, 100, v, msg,
	    sizeof(msg)), QUERY_MALFORMED);
}

static void
test_query_malformed_raw_control_byte(void **state)
{
	(void)state;
	assert_int_equal(parse("limit=1\x01"), QUERY_MALFORMED);
	/* A tab decodes, and no parameter is called that. */
	assert_int_equal(parse("lim\tit=1"), QUERY_UNKNOWN);
}

static void
test_query_value_longer_than_value_max(void **state)
{
	char	 qs[700];

	(void)state;
	make_param(qs, sizeof(qs), "cursor", 'A', QUERY_VALUE_MAX + 1);
	assert_int_equal(parse(qs), QUERY_MALFORMED);
}

static void
test_query_too_long(void **state)
{
	char	 qs[QUERY_MAX_LEN + 16];

	(void)state;
	make_param(qs, sizeof(qs), "limit", '&', QUERY_MAX_LEN + 1 - 6);
	assert_int_equal(strlen(qs), QUERY_MAX_LEN + 1);
	assert_int_equal(parse(qs), QUERY_TOO_LONG);
	assert_non_null(strstr(msg, "2048"));
}

static void
test_query_exactly_max_len_accepted(void **state)
{
	char	 qs[QUERY_MAX_LEN + 16];
	size_t	 n;

	(void)state;
	strcpy(qs, "limit=9");
	n = strlen(qs);
	memset(qs + n, '&', QUERY_MAX_LEN - n);
	qs[QUERY_MAX_LEN] = '\0';
	assert_int_equal(parse(qs), QUERY_OK);
	assert_int_equal(out[P_LIMIT].i, 9);
}

static void
test_query_max_params(void **state)
{
	struct qspec	 many[QUERY_MAX_PARAMS + 1];
	struct qval	 vals[QUERY_MAX_PARAMS + 1];
	char		 names[QUERY_MAX_PARAMS + 1][8], qs[512];
	size_t		 i, n = 0;

	(void)state;
	for (i = 0; i < QUERY_MAX_PARAMS + 1; i++) {
		snprintf(names[i], sizeof(names[i]), "p%zu", i);
		many[i].name = names[i];
		many[i].kind = Q_BOOL;
	}
	qs[0] = '\0';
	for (i = 0; i < QUERY_MAX_PARAMS; i++)
		n += (size_t)snprintf(qs + n, sizeof(qs) - n, "%sp%zu=true",
		    i ? "&" : "", i);
	assert_int_equal(query_parse(qs, many, QUERY_MAX_PARAMS + 1, 200,
	    vals, msg, sizeof(msg)), QUERY_OK);
	assert_true(vals[QUERY_MAX_PARAMS - 1].set);
	snprintf(qs + n, sizeof(qs) - n, "&p%d=true", QUERY_MAX_PARAMS);
	assert_int_equal(query_parse(qs, many, QUERY_MAX_PARAMS + 1, 200,
	    vals, msg, sizeof(msg)), QUERY_MALFORMED);
	assert_non_null(strstr(msg, "too many"));
}

static void
test_query_message_never_longer_than_buffer(void **state)
{
	static const char	*bad[] = {
		"limit=0", "sort=1", "limit=1&limit=1", "limit=%zz",
		"include_archived=maybe", "type=x", "project_id=a/b",
		"cursor=!!", NULL,
	};
	char			 small[20], qs[400];
	size_t			 i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++) {
		memset(small, 'Z', sizeof(small));
		assert_int_not_equal(query_parse(bad[i], spec, P__N, 200, out,
		    small, 12), QUERY_OK);
		assert_true(strlen(small) <= 11);
		assert_memory_equal(small + 12, "ZZZZZZZZ", 8);
	}
	memset(qs, 'n', 300);
	strcpy(qs + 300, "=1");
	memset(small, 'Z', sizeof(small));
	assert_int_equal(query_parse(qs, spec, P__N, 200, out, small, 12),
	    QUERY_UNKNOWN);
	assert_int_equal(strlen(small), 11);
	assert_memory_equal(small + 12, "ZZZZZZZZ", 8);
}

static void
test_query_time_forms(void **state)
{
	static const char *bad[] = {
		"", "yesterday", "2026-13-01", "2026-10-01T", "2026-10-01T25:00",
		"2026-10-01T10", "2026-10-01T10:00:00+02:00", "2026-10-01Zx",
		"2026-10-01 10:00", "1969-12-31", "2026-10-01T10:00:00ZZ",
	};
	int64_t		 t;
	size_t		 i;

	(void)state;
	assert_int_equal(query_time("1790812800", &t), 0);
	assert_int_equal(t, 1790812800);
	assert_int_equal(query_time("2026-10-01", &t), 0);
	assert_int_equal(t, 1790812800);
	assert_int_equal(query_time("2026-10-01T00:00:00Z", &t), 0);
	assert_int_equal(t, 1790812800);
	/* A browser's datetime-local: minutes, maybe seconds, no zone. */
	assert_int_equal(query_time("2026-10-01T10:30", &t), 0);
	assert_int_equal(t, 1790812800 + 10 * 3600 + 30 * 60);
	assert_int_equal(query_time("2026-10-01T10:30:15", &t), 0);
	assert_int_equal(t, 1790812800 + 10 * 3600 + 30 * 60 + 15);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(query_time(bad[i], &t), -1);
}

/* ---- days, groups and endpoints (the usage and costs API) ---- */

static const struct qspec uspec[3] = {
	{ "since", Q_DAY }, { "group_by", Q_COST_GROUPS },
	{ "endpoint", Q_ENDPOINT },
};

static enum query_err
uparse(const char *qs)
{
	return query_parse(qs, uspec, 3, 200, out, msg, sizeof(msg));
}

static void
test_query_day_is_a_real_date(void **state)
{
	(void)state;
	assert_int_equal(uparse("since=2026-11-01"), QUERY_OK);
	assert_int_equal(out[0].i, 1793491200);
	assert_int_equal(uparse("since=2026-02-30"), QUERY_INVALID);
	assert_int_equal(uparse("since=2026-13-01"), QUERY_INVALID);
	assert_int_equal(uparse("since=1793491200"), QUERY_INVALID);
	assert_int_equal(uparse("since=2026-11-01T00:00:00Z"), QUERY_INVALID);
	assert_int_equal(uparse("since="), QUERY_INVALID);
}

static void
test_query_groups_are_known_words_once(void **state)
{
	(void)state;
	assert_int_equal(uparse("group_by=day,api_key"), QUERY_OK);
	assert_int_equal(out[1].i, G_DAY | G_API_KEY);
	assert_int_equal(uparse("group_by=line_item"), QUERY_OK);
	assert_int_equal(out[1].i, G_LINE_ITEM);
	assert_int_equal(uparse("group_by=user"), QUERY_INVALID);
	assert_int_equal(uparse("group_by=day,day"), QUERY_INVALID);
	assert_int_equal(uparse("group_by=day,"), QUERY_INVALID);
	assert_int_equal(uparse("group_by="), QUERY_INVALID);
}

static void
test_query_endpoint_names_the_ten(void **state)
{
	(void)state;
	assert_int_equal(uparse("endpoint=web_search_calls"), QUERY_OK);
	assert_int_equal(uparse("endpoint=costs"), QUERY_INVALID);
	assert_int_equal(uparse("endpoint=chat"), QUERY_INVALID);
	assert_non_null(strstr(msg, "code_interpreter_sessions"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_parses_declared_params),
		cmocka_unit_test(test_query_absent_params_not_set),
		cmocka_unit_test(test_query_resets_output_slots),
		cmocka_unit_test(test_query_bool_false),
		cmocka_unit_test(test_query_null_query_string),
		cmocka_unit_test(test_query_empty_query_string),
		cmocka_unit_test(test_query_empty_segments_tolerated),
		cmocka_unit_test(test_query_percent_decoding_in_value),
		cmocka_unit_test(test_query_percent_decoding_in_name),
		cmocka_unit_test(test_query_plus_decodes_to_space),
		cmocka_unit_test(test_query_decode_plus_and_percent),
		cmocka_unit_test(test_query_decode_respects_length),
		cmocka_unit_test(test_query_decode_output_too_small),
		cmocka_unit_test(test_query_decode_rejects_bad_percent),
		cmocka_unit_test(test_query_unknown_param),
		cmocka_unit_test(test_query_unknown_param_message_quotes_at_most_64_bytes),
		cmocka_unit_test(test_query_duplicate_param),
		cmocka_unit_test(test_query_duplicate_param_through_encoding),
		cmocka_unit_test(test_query_bad_bool),
		cmocka_unit_test(test_query_limit_bounds),
		cmocka_unit_test(test_query_limit_zero),
		cmocka_unit_test(test_query_limit_above_max),
		cmocka_unit_test(test_query_limit_exponent),
		cmocka_unit_test(test_query_limit_negative),
		cmocka_unit_test(test_query_limit_not_a_whole_number),
		cmocka_unit_test(test_query_cursor_charset),
		cmocka_unit_test(test_query_cursor_length),
		cmocka_unit_test(test_query_key_type_enum),
		cmocka_unit_test(test_query_openai_id_validation),
		cmocka_unit_test(test_query_malformed_lone_percent),
		cmocka_unit_test(test_query_malformed_short_percent),
		cmocka_unit_test(test_query_malformed_non_hex_percent),
		cmocka_unit_test(test_query_malformed_encoded_nul),
		cmocka_unit_test(test_query_malformed_encoded_newline),
		cmocka_unit_test(test_query_text_refuses_newline_secret_keeps_it),
		cmocka_unit_test(test_query_malformed_raw_control_byte),
		cmocka_unit_test(test_query_value_longer_than_value_max),
		cmocka_unit_test(test_query_too_long),
		cmocka_unit_test(test_query_exactly_max_len_accepted),
		cmocka_unit_test(test_query_max_params),
		cmocka_unit_test(test_query_message_never_longer_than_buffer),
		cmocka_unit_test(test_query_time_forms),
		cmocka_unit_test(test_query_day_is_a_real_date),
		cmocka_unit_test(test_query_groups_are_known_words_once),
		cmocka_unit_test(test_query_endpoint_names_the_ten),
	};

	return cmocka_run_group_tests_name("query", tests, NULL, NULL);
}
