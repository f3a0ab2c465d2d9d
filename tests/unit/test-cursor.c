/*
 * test-cursor.c: unit tests for the list cursors of src/list.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "list.h"
#include "util.h"

#define CUR_MAX	420	/* what list.c uses */

/* The base64url of raw bytes, as a forged cursor. */
static void
forge(const char *raw, size_t n, char *out)
{
	b64url_encode((const unsigned char *)raw, n, out);
}

static void
test_cursor_round_trip_two_parts(void **state)
{
	char	 cur[CUR_MAX], a[129], b[33];

	(void)state;
	cursor_encode('k', "key_abc", "proj_1", cur, sizeof(cur));
	assert_string_equal(cur, "awprZXlfYWJjCnByb2pfMQ");
	assert_int_equal(cursor_decode(cur, 'k', a, sizeof(a), b, sizeof(b)),
	    0);
	assert_string_equal(a, "key_abc");
	assert_string_equal(b, "proj_1");
}

static void
test_cursor_round_trip_user_kind(void **state)
{
	char	 cur[CUR_MAX], a[129];

	(void)state;
	cursor_encode('u', "user_abc", NULL, cur, sizeof(cur));
	assert_string_equal(cur, "dQp1c2VyX2FiYw");
	assert_int_equal(cursor_decode(cur, 'u', a, sizeof(a), NULL, 0), 0);
	assert_string_equal(a, "user_abc");
}

static void
test_cursor_round_trip_org_kind(void **state)
{
	char	 cur[CUR_MAX], a[32];

	(void)state;
	cursor_encode('o', "42", NULL, cur, sizeof(cur));
	assert_string_equal(cur, "bwo0Mg");
	assert_int_equal(cursor_decode(cur, 'o', a, sizeof(a), NULL, 0), 0);
	assert_string_equal(a, "42");
}

static void
test_cursor_round_trip_longest_ids(void **state)
{
	char	 cur[CUR_MAX], ia[129], ib[129], a[129], b[129];

	(void)state;
	memset(ia, 'a', 128);
	ia[128] = '\0';
	memset(ib, 'b', 128);
	ib[128] = '\0';
	cursor_encode('k', ia, ib, cur, sizeof(cur));
	assert_true(strlen(cur) > 0);
	assert_true(strlen(cur) < 400);
	assert_int_equal(cursor_decode(cur, 'k', a, sizeof(a), b, sizeof(b)),
	    0);
	assert_string_equal(a, ia);
	assert_string_equal(b, ib);
}

static void
test_cursor_output_is_url_safe(void **state)
{
	char	 cur[CUR_MAX];
	size_t	 i;

	(void)state;
	/*
	 * '>' and '?' bytes give the digits 62 and 63: '-' and '_', never
	 * '+' or '/'; and there is no '=' padding.
	 */
	cursor_encode('k', "key_>>>???", "p", cur, sizeof(cur));
	for (i = 0; cur[i] != '\0'; i++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
		    "opqrstuvwxyz0123456789-_", cur[i]));
}

static void
test_cursor_decode_wrong_kind(void **state)
{
	char	 cur[CUR_MAX], a[129], b[33];

	(void)state;
	cursor_encode('u', "user_abc", NULL, cur, sizeof(cur));
	assert_int_equal(cursor_decode(cur, 'o', a, sizeof(a), NULL, 0), -1);
	cursor_encode('k', "key_abc", "proj_1", cur, sizeof(cur));
	assert_int_equal(cursor_decode(cur, 'u', a, sizeof(a), b, sizeof(b)),
	    -1);
}

static void
test_cursor_decode_two_parts_where_one_expected(void **state)
{
	char	 cur[CUR_MAX], a[129];

	(void)state;
	cursor_encode('u', "user_abc", "user_def", cur, sizeof(cur));
	assert_int_equal(cursor_decode(cur, 'u', a, sizeof(a), NULL, 0), -1);
}

static void
test_cursor_decode_one_part_where_two_expected(void **state)
{
	char	 cur[CUR_MAX], a[129], b[33];

	(void)state;
	cursor_encode('k', "key_abc", NULL, cur, sizeof(cur));
	assert_int_equal(cursor_decode(cur, 'k', a, sizeof(a), b, sizeof(b)),
	    -1);
}

static void
test_cursor_decode_empty(void **state)
{
	char	 a[129];

	(void)state;
	assert_int_equal(cursor_decode("", 'u', a, sizeof(a), NULL, 0), -1);
}

static void
test_cursor_decode_garbage(void **state)
{
	static const char	*bad[] = { "!!!!", "dQp1c2VyX2FiYw==",
				    "dQp1c2VyX2FiYw.", "d", "dQ", "dQp",
				    "not a cursor", "dQp1c2VyX2FiY", NULL };
	char			 a[129];
	size_t			 i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++)
		if (cursor_decode(bad[i], 'u', a, sizeof(a), NULL, 0) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
}

static void
test_cursor_decode_tampered_kind_byte(void **state)
{
	char	 cur[CUR_MAX], a[129];

	(void)state;
	cursor_encode('u', "user_abc", NULL, cur, sizeof(cur));
	/* 'd' carries the top bits of the kind byte 'u'. */
	cur[0] = 'e';
	assert_int_equal(cursor_decode(cur, 'u', a, sizeof(a), NULL, 0), -1);
}

static void
test_cursor_decode_tampered_truncated(void **state)
{
	char	 cur[CUR_MAX], a[129];
	size_t	 n;

	(void)state;
	cursor_encode('u', "user_abc", NULL, cur, sizeof(cur));
	n = strlen(cur);
	cur[n - 1] = '\0';	/* 13 characters: no base64url length */
	assert_int_equal(cursor_decode(cur, 'u', a, sizeof(a), NULL, 0), -1);
}

static void
test_cursor_decode_rejects_invalid_id_characters(void **state)
{
	static const char	*raw[] = { "u\nuser abc", "u\n../x", "u\nx/y",
				    "u\nuser_abc\r", "u\nuser%20", "u\n\"x\"",
				    "u\n", "u\n\n", NULL };
	char			 cur[CUR_MAX], a[129];
	size_t			 i;

	(void)state;
	for (i = 0; raw[i] != NULL; i++) {
		forge(raw[i], strlen(raw[i]), cur);
		if (cursor_decode(cur, 'u', a, sizeof(a), NULL, 0) != -1)
			fail_msg("accepted raw \"%s\"", raw[i]);
	}
}

static void
test_cursor_decode_rejects_embedded_nul(void **state)
{
	char	 cur[CUR_MAX], a[129];

	(void)state;
	forge("u\nab\0cd", 7, cur);
	assert_int_equal(cursor_decode(cur, 'u', a, sizeof(a), NULL, 0), -1);
}

static void
test_cursor_decode_rejects_bad_second_part(void **state)
{
	static const char	*raw[] = { "k\nkey_1\n", "k\nkey_1\nproj 1",
				    "k\nkey_1\nproj_1\nx", "k\n\nproj_1", NULL };
	char			 cur[CUR_MAX], a[129], b[33];
	size_t			 i;

	(void)state;
	for (i = 0; raw[i] != NULL; i++) {
		forge(raw[i], strlen(raw[i]), cur);
		if (cursor_decode(cur, 'k', a, sizeof(a), b, sizeof(b)) != -1)
			fail_msg("accepted raw \"%s\"", raw[i]);
	}
}

static void
test_cursor_decode_rejects_overlong_id(void **state)
{
	char	 raw[140], cur[CUR_MAX], a[200];

	(void)state;
	raw[0] = 'u';
	raw[1] = '\n';
	memset(raw + 2, 'x', 129);	/* one past ingest_id_ok()'s 128 */
	forge(raw, 131, cur);
	assert_int_equal(cursor_decode(cur, 'u', a, sizeof(a), NULL, 0), -1);
}

static void
test_cursor_decode_respects_output_sizes(void **state)
{
	char	 cur[CUR_MAX], a[16], b[16];

	(void)state;
	cursor_encode('k', "key_abcdefgh", "proj_1", cur, sizeof(cur));
	/* "key_abcdefgh" needs 13 bytes. */
	assert_int_equal(cursor_decode(cur, 'k', a, 12, b, sizeof(b)), -1);
	assert_int_equal(cursor_decode(cur, 'k', a, 13, b, sizeof(b)), 0);
	assert_string_equal(a, "key_abcdefgh");
	assert_int_equal(cursor_decode(cur, 'k', a, sizeof(a), b, 6), -1);
	assert_int_equal(cursor_decode(cur, 'k', a, sizeof(a), b, 7), 0);
	assert_string_equal(b, "proj_1");
}

static void
test_cursor_decode_huge_input_rejected(void **state)
{
	char	 cur[2048], a[129];

	(void)state;
	memset(cur, 'A', sizeof(cur) - 1);
	cur[sizeof(cur) - 1] = '\0';
	assert_int_equal(cursor_decode(cur, 'u', a, sizeof(a), NULL, 0), -1);
}

static void
test_cursor_encode_small_output_writes_nothing_past_it(void **state)
{
	char	 out[64];

	(void)state;
	/* "u\nuser_abc" needs 14 characters and a NUL: 14 bytes is short. */
	memset(out, 'Z', sizeof(out));
	cursor_encode('u', "user_abc", NULL, out, 14);
	assert_string_equal(out, "");
	assert_memory_equal(out + 14, "ZZZZZZZZZZZZZZZZ", 16);
	cursor_encode('u', "user_abc", NULL, out, 15);
	assert_string_equal(out, "dQp1c2VyX2FiYw");
}

static void
test_cursor_encode_too_long_ids_gives_empty(void **state)
{
	char	 id[400], cur[CUR_MAX], a[129];

	(void)state;
	memset(id, 'x', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	cursor_encode('u', id, NULL, cur, sizeof(cur));
	assert_string_equal(cur, "");
	assert_int_equal(cursor_decode(cur, 'u', a, sizeof(a), NULL, 0), -1);
}

/* api.h: "Encodes into out (at least 400 bytes)". */
static void
test_cursor_encode_into_documented_400_bytes(void **state)
{
	char	 cur[400], a[129];

	(void)state;
	cursor_encode('u', "user_abc", NULL, cur, sizeof(cur));
	assert_string_equal(cur, "dQp1c2VyX2FiYw");
	assert_int_equal(cursor_decode(cur, 'u', a, sizeof(a), NULL, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cursor_round_trip_two_parts),
		cmocka_unit_test(test_cursor_round_trip_user_kind),
		cmocka_unit_test(test_cursor_round_trip_org_kind),
		cmocka_unit_test(test_cursor_round_trip_longest_ids),
		cmocka_unit_test(test_cursor_output_is_url_safe),
		cmocka_unit_test(test_cursor_decode_wrong_kind),
		cmocka_unit_test(test_cursor_decode_two_parts_where_one_expected),
		cmocka_unit_test(test_cursor_decode_one_part_where_two_expected),
		cmocka_unit_test(test_cursor_decode_empty),
		cmocka_unit_test(test_cursor_decode_garbage),
		cmocka_unit_test(test_cursor_decode_tampered_kind_byte),
		cmocka_unit_test(test_cursor_decode_tampered_truncated),
		cmocka_unit_test(test_cursor_decode_rejects_invalid_id_characters),
		cmocka_unit_test(test_cursor_decode_rejects_embedded_nul),
		cmocka_unit_test(test_cursor_decode_rejects_bad_second_part),
		cmocka_unit_test(test_cursor_decode_rejects_overlong_id),
		cmocka_unit_test(test_cursor_decode_respects_output_sizes),
		cmocka_unit_test(test_cursor_decode_huge_input_rejected),
		cmocka_unit_test(test_cursor_encode_small_output_writes_nothing_past_it),
		cmocka_unit_test(test_cursor_encode_too_long_ids_gives_empty),
		cmocka_unit_test(test_cursor_encode_into_documented_400_bytes),
	};

	return cmocka_run_group_tests_name("cursor", tests, NULL, NULL);
}
