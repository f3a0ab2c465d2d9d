/*
 * test-util.c: unit tests for src/util.h (the byte buffer, hex and
 * base64url codecs, number parsing, time formatting, xstrndup).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "util.h"

/* Deterministic test bytes. */
static void
fill(unsigned char *p, size_t n, unsigned seed)
{
	size_t	 i;
	uint32_t x = seed * 2654435761u + 1;

	for (i = 0; i < n; i++) {
		x = x * 1664525u + 1013904223u;
		p[i] = (unsigned char)(x >> 24);
	}
}

/* ---- hex ---- */

static void
test_hex_known_vector(void **state)
{
	static const unsigned char	 in[] = { 0x00, 0xff, 0x10, 0xab, 0x7e };
	char				 out[11];
	unsigned char			 back[5];

	(void)state;
	hex_encode(in, sizeof(in), out);
	assert_string_equal(out, "00ff10ab7e");
	assert_int_equal(hex_decode("00ff10ab7e", back, sizeof(back)), 5);
	assert_memory_equal(back, in, 5);
}

static void
test_hex_decode_accepts_upper_case(void **state)
{
	unsigned char	 back[2];

	(void)state;
	assert_int_equal(hex_decode("ABcd", back, sizeof(back)), 2);
	assert_int_equal(back[0], 0xab);
	assert_int_equal(back[1], 0xcd);
}

static void
test_hex_round_trip_lengths_0_to_40(void **state)
{
	unsigned char	 in[40], back[40];
	char		 enc[81];
	size_t		 n;

	(void)state;
	for (n = 0; n <= 40; n++) {
		fill(in, n, (unsigned)n);
		memset(enc, 'Z', sizeof(enc));
		hex_encode(in, n, enc);
		assert_int_equal(strlen(enc), 2 * n);
		assert_int_equal(hex_decode(enc, back, n), (long)n);
		assert_memory_equal(back, in, n);
	}
}

static void
test_hex_decode_rejects_odd_length(void **state)
{
	unsigned char	 back[4];

	(void)state;
	assert_int_equal(hex_decode("abc", back, sizeof(back)), -1);
	assert_int_equal(hex_decode("a", back, sizeof(back)), -1);
}

static void
test_hex_decode_rejects_bad_chars(void **state)
{
	unsigned char	 back[4];

	(void)state;
	assert_int_equal(hex_decode("0g", back, sizeof(back)), -1);
	assert_int_equal(hex_decode("g0", back, sizeof(back)), -1);
	assert_int_equal(hex_decode("0 ", back, sizeof(back)), -1);
	assert_int_equal(hex_decode("-1", back, sizeof(back)), -1);
}

static void
test_hex_decode_rejects_small_output(void **state)
{
	unsigned char	 back[4];

	(void)state;
	memset(back, 0x5a, sizeof(back));
	assert_int_equal(hex_decode("0011223344", back, 4), -1);
	assert_int_equal(back[0], 0x5a);
	assert_int_equal(hex_decode("00112233", back, 4), 4);
}

static void
test_hex_empty(void **state)
{
	unsigned char	 back[1] = { 0x5a };
	char		 out[1] = { 'Z' };

	(void)state;
	hex_encode(back, 0, out);
	assert_string_equal(out, "");
	assert_int_equal(hex_decode("", back, 0), 0);
}

/* ---- base64url ---- */

static void
test_b64url_rfc4648_vectors(void **state)
{
	static const struct {
		const char	*in, *out;
	} v[] = {
		{ "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" },
		{ "foobar", "Zm9vYmFy" },
	};
	char		 enc[16];
	unsigned char	 back[8];
	size_t		 i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(v); i++) {
		b64url_encode((const unsigned char *)v[i].in, strlen(v[i].in),
		    enc);
		assert_string_equal(enc, v[i].out);
		assert_int_equal(b64url_decode(v[i].out, strlen(v[i].out), back,
		    sizeof(back)), (long)strlen(v[i].in));
		assert_memory_equal(back, v[i].in, strlen(v[i].in));
	}
}

static void
test_b64url_uses_url_alphabet(void **state)
{
	static const unsigned char	 in[] = { 0xfb, 0xff };
	static const unsigned char	 in2[] = { 0xfb, 0xef, 0xbe };
	char				 enc[8];
	unsigned char			 back[4];

	(void)state;
	b64url_encode(in, sizeof(in), enc);
	assert_string_equal(enc, "-_8");
	b64url_encode(in2, sizeof(in2), enc);
	assert_string_equal(enc, "----");
	assert_int_equal(b64url_decode("-_8", 3, back, sizeof(back)), 2);
	assert_memory_equal(back, in, 2);
}

static void
test_b64url_round_trip_lengths_0_to_40(void **state)
{
	unsigned char	 in[40], back[40];
	char		 enc[4 * 14 + 1];
	size_t		 n;

	(void)state;
	for (n = 0; n <= 40; n++) {
		fill(in, n, (unsigned)n + 100);
		b64url_encode(in, n, enc);
		assert_int_equal(strlen(enc), (4 * n + 2) / 3);
		assert_null(strchr(enc, '='));
		assert_null(strchr(enc, '+'));
		assert_null(strchr(enc, '/'));
		assert_int_equal(b64url_decode(enc, strlen(enc), back, n),
		    (long)n);
		assert_memory_equal(back, in, n);
	}
}

static void
test_b64url_decode_rejects_standard_alphabet(void **state)
{
	unsigned char	 back[8];

	(void)state;
	assert_int_equal(b64url_decode("+/8", 3, back, sizeof(back)), -1);
	assert_int_equal(b64url_decode("ab/c", 4, back, sizeof(back)), -1);
}

static void
test_b64url_decode_rejects_padding(void **state)
{
	unsigned char	 back[8];

	(void)state;
	assert_int_equal(b64url_decode("Zg==", 4, back, sizeof(back)), -1);
	assert_int_equal(b64url_decode("Zm8=", 4, back, sizeof(back)), -1);
}

static void
test_b64url_decode_rejects_bad_chars(void **state)
{
	unsigned char	 back[8];

	(void)state;
	assert_int_equal(b64url_decode("Zm 9", 4, back, sizeof(back)), -1);
	assert_int_equal(b64url_decode("Zm.9", 4, back, sizeof(back)), -1);
	assert_int_equal(b64url_decode("Zm\n9", 4, back, sizeof(back)), -1);
	assert_int_equal(b64url_decode("Zm\0009", 4, back, sizeof(back)), -1);
}

static void
test_b64url_decode_rejects_bad_length(void **state)
{
	unsigned char	 back[8];

	(void)state;
	assert_int_equal(b64url_decode("Z", 1, back, sizeof(back)), -1);
	assert_int_equal(b64url_decode("Zm9vY", 5, back, sizeof(back)), -1);
}

static void
test_b64url_decode_rejects_non_canonical_trailing_bits(void **state)
{
	unsigned char	 back[8];

	(void)state;
	/* "f" is "Zg"; "Zh" has a 1 in the discarded bits. */
	assert_int_equal(b64url_decode("Zh", 2, back, sizeof(back)), -1);
	assert_int_equal(b64url_decode("Zm9", 3, back, sizeof(back)), -1);
	assert_int_equal(b64url_decode("Zm8", 3, back, sizeof(back)), 2);
}

static void
test_b64url_decode_rejects_small_output(void **state)
{
	unsigned char	 back[8];

	(void)state;
	memset(back, 0x5a, sizeof(back));
	assert_int_equal(b64url_decode("Zm9v", 4, back, 2), -1);
	assert_int_equal(back[0], 0x5a);
	assert_int_equal(b64url_decode("Zm9vYg", 6, back, 3), -1);
	assert_int_equal(b64url_decode("Zm9v", 4, back, 3), 3);
}

static void
test_b64url_decode_uses_length_not_nul(void **state)
{
	unsigned char	 back[8];

	(void)state;
	assert_int_equal(b64url_decode("Zm9vYmFy", 4, back, sizeof(back)), 3);
	assert_memory_equal(back, "foo", 3);
}

/* ---- parse_i64 ---- */

static void
test_parse_i64_plain_values(void **state)
{
	int64_t	 v = 77;

	(void)state;
	assert_int_equal(parse_i64("0", 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_i64("42", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse_i64("-17", -100, 100, &v), 0);
	assert_int_equal(v, -17);
	assert_int_equal(parse_i64("007", 0, 100, &v), 0);
	assert_int_equal(v, 7);
}

static void
test_parse_i64_extremes(void **state)
{
	int64_t	 v = 0;

	(void)state;
	assert_int_equal(parse_i64("9223372036854775807", INT64_MIN, INT64_MAX,
	    &v), 0);
	assert_true(v == INT64_MAX);
	assert_int_equal(parse_i64("-9223372036854775808", INT64_MIN,
	    INT64_MAX, &v), 0);
	assert_true(v == INT64_MIN);
}

static void
test_parse_i64_overflow(void **state)
{
	int64_t	 v = 77;

	(void)state;
	assert_int_equal(parse_i64("9223372036854775808", INT64_MIN, INT64_MAX,
	    &v), -1);
	assert_int_equal(parse_i64("-9223372036854775809", INT64_MIN,
	    INT64_MAX, &v), -1);
	assert_int_equal(parse_i64("99999999999999999999999", INT64_MIN,
	    INT64_MAX, &v), -1);
	assert_int_equal(v, 77);
}

static void
test_parse_i64_range(void **state)
{
	int64_t	 v = 77;

	(void)state;
	assert_int_equal(parse_i64("1", 1, 4, &v), 0);
	assert_int_equal(parse_i64("4", 1, 4, &v), 0);
	assert_int_equal(v, 4);
	assert_int_equal(parse_i64("0", 1, 4, &v), -1);
	assert_int_equal(parse_i64("5", 1, 4, &v), -1);
	assert_int_equal(v, 4);
}

static void
test_parse_i64_rejects_junk(void **state)
{
	static const char	*bad[] = {
		"", " 1", "1 ", "+1", "0x10", "1e3", "1.0", "-", "--1", "1-",
		"abc", "\t5", "5\n", "\xd9\xa1",
	};
	int64_t			 v = 77;
	size_t			 i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(bad); i++)
		assert_int_equal(parse_i64(bad[i], INT64_MIN, INT64_MAX, &v),
		    -1);
	assert_int_equal(parse_i64(NULL, INT64_MIN, INT64_MAX, &v), -1);
	assert_int_equal(v, 77);
}

/* ---- buf ---- */

static void
test_buf_add_and_nul_termination(void **state)
{
	struct buf	 b = { 0 };

	(void)state;
	buf_add(&b, "abc", 3);
	buf_addc(&b, 'd');
	buf_adds(&b, "ef");
	assert_int_equal(b.len, 6);
	assert_string_equal(b.p, "abcdef");
	buf_add(&b, "", 0);
	assert_int_equal(b.len, 6);
	buf_free(&b);
	assert_null(b.p);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
}

static void
test_buf_add_zero_bytes_to_empty_buffer(void **state)
{
	struct buf	 b = { 0 };

	(void)state;
	buf_add(&b, "", 0);
	assert_non_null(b.p);
	assert_string_equal(b.p, "");
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

static void
test_buf_add_binary_with_nul(void **state)
{
	struct buf	 b = { 0 };

	(void)state;
	buf_add(&b, "a\0b", 3);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.p, "a\0b\0", 4);
	buf_free(&b);
}

static void
test_buf_printf_grows_past_1mb(void **state)
{
	struct buf	 b = { 0 };
	char		 want[16];
	int		 i;

	(void)state;
	for (i = 0; i < 200000; i++)
		buf_printf(&b, "%06d,", i);
	assert_int_equal(b.len, 200000 * 7);
	assert_true(b.len > 1024 * 1024);
	assert_true(b.cap > b.len);
	assert_int_equal(b.p[b.len], '\0');
	assert_memory_equal(b.p, "000000,000001,", 14);
	snprintf(want, sizeof(want), "%06d,", 123456);
	assert_memory_equal(b.p + 123456 * 7, want, 7);
	assert_memory_equal(b.p + b.len - 7, "199999,", 7);
	buf_free(&b);
}

static void
test_buf_add_large_block(void **state)
{
	struct buf	 b = { 0 };
	size_t		 n = 3 * 1024 * 1024 + 17;
	unsigned char	*blk = malloc(n);

	(void)state;
	assert_non_null(blk);
	fill(blk, n, 9);
	buf_adds(&b, "head:");
	buf_add(&b, blk, n);
	assert_int_equal(b.len, n + 5);
	assert_memory_equal(b.p, "head:", 5);
	assert_memory_equal(b.p + 5, blk, n);
	assert_int_equal(b.p[b.len], '\0');
	free(blk);
	buf_free(&b);
}

static void
test_buf_printf_single_huge_string(void **state)
{
	struct buf	 b = { 0 };
	size_t		 n = 2 * 1024 * 1024;
	char		*s = malloc(n + 1);

	(void)state;
	assert_non_null(s);
	memset(s, 'q', n);
	s[n] = '\0';
	buf_printf(&b, "<%s>", s);
	assert_int_equal(b.len, n + 2);
	assert_int_equal(b.p[0], '<');
	assert_int_equal(b.p[n + 1], '>');
	assert_int_equal(b.p[n + 2], '\0');
	free(s);
	buf_free(&b);
}

static void
test_buf_reset_keeps_storage(void **state)
{
	struct buf	 b = { 0 };

	(void)state;
	buf_adds(&b, "something");
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.p, "");
	assert_true(b.cap > 0);
	buf_adds(&b, "x");
	assert_string_equal(b.p, "x");
	buf_free(&b);
}

static void
test_buf_take_hands_over_bytes(void **state)
{
	struct buf	 b = { 0 };
	char		*s;

	(void)state;
	buf_printf(&b, "n=%d", 5);
	s = buf_take(&b);
	assert_null(b.p);
	assert_int_equal(b.len, 0);
	assert_string_equal(s, "n=5");
	free(s);
	s = buf_take(&b);
	assert_string_equal(s, "");
	free(s);
}

/* ---- time ---- */

static void
test_fmt_rfc3339_known_values(void **state)
{
	char	 out[21];

	(void)state;
	fmt_rfc3339(0, out);
	assert_string_equal(out, "1970-01-01T00:00:00Z");
	fmt_rfc3339(1700000000, out);
	assert_string_equal(out, "2023-11-14T22:13:20Z");
	fmt_rfc3339(951782400, out);
	assert_string_equal(out, "2000-02-29T00:00:00Z");
	fmt_rfc3339(INT64_C(4102444799), out);
	assert_string_equal(out, "2099-12-31T23:59:59Z");
}

static void
test_fmt_rfc3339_stays_in_21_bytes(void **state)
{
	char	 out[32];

	(void)state;
	memset(out, 'Z', sizeof(out));
	/* Year 10000 does not fit the format: a fixed fallback, no overflow. */
	fmt_rfc3339(INT64_C(253402300800), out);
	assert_int_equal(strlen(out), 20);
	assert_memory_equal(out + 21, "ZZZZZZZZZZZ", 11);
}

static void
test_now_functions_agree(void **state)
{
	int64_t	 s = now_s(), ms = now_ms();

	(void)state;
	assert_true(s > INT64_C(1600000000));
	assert_true(ms / 1000 - s <= 1 && ms / 1000 - s >= 0);
	assert_true(mono_ms() >= 0);
}

/* ---- xstrndup / xstrdup / xasprintf ---- */

static void
test_xstrndup_copies_prefix(void **state)
{
	char	*p;

	(void)state;
	p = xstrndup("abcdef", 3);
	assert_string_equal(p, "abc");
	free(p);
	p = xstrndup("abcdef", 0);
	assert_string_equal(p, "");
	free(p);
	p = xstrndup("abcdef", 6);
	assert_string_equal(p, "abcdef");
	free(p);
}

static void
test_xstrndup_terminates_copy(void **state)
{
	char	*p;

	(void)state;
	p = xstrndup("ab\0cd", 2);
	assert_memory_equal(p, "ab\0", 3);
	free(p);
}

static void
child_xstrndup_longer_n(int fd)
{
	char	*src = malloc(3), *p;

	memcpy(src, "ab", 3);
	p = xstrndup(src, 16);	/* n past the string's end, as strndup allows */
	if (write(fd, p, strlen(p)) < 0)
		_exit(3);
	free(p);
	free(src);
}

static void
test_xstrndup_stops_at_nul_when_n_is_larger(void **state)
{
	char	 res[32];
	int	 st;

	(void)state;
	st = in_child(child_xstrndup_longer_n, res, sizeof(res));
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_string_equal(res, "ab");
}

static void
test_xstrdup_and_xasprintf(void **state)
{
	char	*p;

	(void)state;
	p = xstrdup("hello");
	assert_string_equal(p, "hello");
	free(p);
	p = xasprintf("%s-%d-%" PRId64, "a", 7, INT64_C(-9));
	assert_string_equal(p, "a-7--9");
	free(p);
}

static void
test_wipe_zeroes_bytes(void **state)
{
	unsigned char	 b[16];
	size_t		 i;

	(void)state;
	memset(b, 0xa5, sizeof(b));
	wipe(b + 4, 8);
	for (i = 0; i < sizeof(b); i++)
		assert_int_equal(b[i], i >= 4 && i < 12 ? 0 : 0xa5);
	wipe(NULL, 4);
}

static void
test_rand_bytes_fills(void **state)
{
	unsigned char	 a[32], b[32];

	(void)state;
	assert_int_equal(rand_bytes(a, sizeof(a)), 0);
	assert_int_equal(rand_bytes(b, sizeof(b)), 0);
	assert_memory_not_equal(a, b, sizeof(a));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex_known_vector),
		cmocka_unit_test(test_hex_decode_accepts_upper_case),
		cmocka_unit_test(test_hex_round_trip_lengths_0_to_40),
		cmocka_unit_test(test_hex_decode_rejects_odd_length),
		cmocka_unit_test(test_hex_decode_rejects_bad_chars),
		cmocka_unit_test(test_hex_decode_rejects_small_output),
		cmocka_unit_test(test_hex_empty),
		cmocka_unit_test(test_b64url_rfc4648_vectors),
		cmocka_unit_test(test_b64url_uses_url_alphabet),
		cmocka_unit_test(test_b64url_round_trip_lengths_0_to_40),
		cmocka_unit_test(test_b64url_decode_rejects_standard_alphabet),
		cmocka_unit_test(test_b64url_decode_rejects_padding),
		cmocka_unit_test(test_b64url_decode_rejects_bad_chars),
		cmocka_unit_test(test_b64url_decode_rejects_bad_length),
		cmocka_unit_test(test_b64url_decode_rejects_non_canonical_trailing_bits),
		cmocka_unit_test(test_b64url_decode_rejects_small_output),
		cmocka_unit_test(test_b64url_decode_uses_length_not_nul),
		cmocka_unit_test(test_parse_i64_plain_values),
		cmocka_unit_test(test_parse_i64_extremes),
		cmocka_unit_test(test_parse_i64_overflow),
		cmocka_unit_test(test_parse_i64_range),
		cmocka_unit_test(test_parse_i64_rejects_junk),
		cmocka_unit_test(test_buf_add_and_nul_termination),
		cmocka_unit_test(test_buf_add_zero_bytes_to_empty_buffer),
		cmocka_unit_test(test_buf_add_binary_with_nul),
		cmocka_unit_test(test_buf_printf_grows_past_1mb),
		cmocka_unit_test(test_buf_add_large_block),
		cmocka_unit_test(test_buf_printf_single_huge_string),
		cmocka_unit_test(test_buf_reset_keeps_storage),
		cmocka_unit_test(test_buf_take_hands_over_bytes),
		cmocka_unit_test(test_fmt_rfc3339_known_values),
		cmocka_unit_test(test_fmt_rfc3339_stays_in_21_bytes),
		cmocka_unit_test(test_now_functions_agree),
		cmocka_unit_test(test_xstrndup_copies_prefix),
		cmocka_unit_test(test_xstrndup_terminates_copy),
		cmocka_unit_test(test_xstrndup_stops_at_nul_when_n_is_larger),
		cmocka_unit_test(test_xstrdup_and_xasprintf),
		cmocka_unit_test(test_wipe_zeroes_bytes),
		cmocka_unit_test(test_rand_bytes_fills),
	};

	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
