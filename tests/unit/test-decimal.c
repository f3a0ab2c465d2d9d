/*
 * test-decimal.c: unit tests for src/decimal.h (exact amounts).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "decimal.h"

static void
canon_is(const char *in, const char *want)
{
	char	 out[DEC_TEXT_MAX], err[128];

	if (dec_canon(in, strlen(in), out, sizeof(out), err, sizeof(err)) != 0)
		fail_msg("%s: refused: %s", in, err);
	if (strcmp(out, want) != 0)
		fail_msg("%s: got %s, want %s", in, out, want);
}

static void
refused(const char *in, const char *why)
{
	char	 out[DEC_TEXT_MAX], err[128];

	if (dec_canon(in, strlen(in), out, sizeof(out), err, sizeof(err)) == 0)
		fail_msg("%s: accepted as %s", in, out);
	if (strstr(err, why) == NULL)
		fail_msg("%s: error \"%s\" lacks \"%s\"", in, err, why);
}

static void
test_decimal_plain_numbers_keep_every_digit(void **state)
{
	(void)state;
	canon_is("0", "0");
	canon_is("0.06", "0.06");
	canon_is("75.38441804", "75.38441804");
	canon_is("12.345678901234", "12.345678901234");
	canon_is("-3.5", "-3.5");
	canon_is("-0", "0");
	canon_is("-0.000", "0");
	canon_is("100", "100");
	canon_is("99999999999999999999.999999999999999999",
	    "99999999999999999999.999999999999999999");
}

static void
test_decimal_trailing_zeros_of_a_string_are_dropped(void **state)
{
	(void)state;
	canon_is("0.001589850000000000000000000000", "0.00158985");
	canon_is("1.500000000000", "1.5");
	canon_is("10.0", "10");
}

/* 0.1 + 0.2 through a double is 0.30000000000000004; here it is not. */
static void
test_decimal_sums_are_exact(void **state)
{
	dec_t	 a, b, s;
	char	 out[DEC_TEXT_MAX], err[64];

	(void)state;
	assert_int_equal(dec_parse("0.1", 3, &a, err, sizeof(err)), 0);
	assert_int_equal(dec_parse("0.2", 3, &b, err, sizeof(err)), 0);
	assert_true(dec_add(a, b, &s));
	dec_format(s, out, sizeof(out));
	assert_string_equal(out, "0.3");
}

static void
test_decimal_exponents_move_the_point(void **state)
{
	(void)state;
	canon_is("1e-5", "0.00001");
	canon_is("1.25E2", "125");
	canon_is("5e+3", "5000");
	canon_is("123456789e-18", "0.000000000123456789");
	canon_is("0e400", "0");
}

static void
test_decimal_refuses_what_is_not_a_decimal(void **state)
{
	(void)state;
	refused("abc", "not a decimal");
	refused("NaN", "not a decimal");
	refused("Infinity", "not a decimal");
	refused("", "not a decimal");
	refused("-", "not a decimal");
	refused("1.", "not a decimal");
	refused(".5", "not a decimal");
	refused("01", "leading zero");
	refused("1e", "not a decimal");
	refused("1 ", "not a decimal");
	refused("0x10", "not a decimal");
}

static void
test_decimal_refuses_what_does_not_fit(void **state)
{
	(void)state;
	refused("0.0000000000000000001", "18 decimal places");
	refused("1e-19", "18 decimal places");
	refused("123456789012345678901", "20 digits");
	refused("1e20", "20 digits");
	/* Zeros beyond the 18th place are not precision. */
	canon_is("0.1000000000000000000000", "0.1");
}

static void
test_decimal_run_rate_is_truncated_not_rounded(void **state)
{
	dec_t	 a, r;
	char	 out[DEC_TEXT_MAX], err[64];

	(void)state;
	assert_int_equal(dec_parse("10", 2, &a, err, sizeof(err)), 0);
	assert_true(dec_muldiv(a, 30, 7, &r));
	dec_format(r, out, sizeof(out));
	assert_string_equal(out, "42.857142857142857142");
	assert_true(dec_muldiv(a, 0, 7, &r));
	assert_true(r == 0);
	assert_false(dec_muldiv(a, 1, 0, &r));
}

static void
test_decimal_add_refuses_overflow(void **state)
{
	dec_t	 a, s;
	char	 err[64];
	const char *big = "99999999999999999999.999999999999999999";

	(void)state;
	assert_int_equal(dec_parse(big, strlen(big), &a, err, sizeof(err)), 0);
	assert_false(dec_add(a, a, &s));
	assert_true(dec_add(a, -a, &s));
	assert_true(s == 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decimal_plain_numbers_keep_every_digit),
		cmocka_unit_test(test_decimal_trailing_zeros_of_a_string_are_dropped),
		cmocka_unit_test(test_decimal_sums_are_exact),
		cmocka_unit_test(test_decimal_exponents_move_the_point),
		cmocka_unit_test(test_decimal_refuses_what_is_not_a_decimal),
		cmocka_unit_test(test_decimal_refuses_what_does_not_fit),
		cmocka_unit_test(test_decimal_run_rate_is_truncated_not_rounded),
		cmocka_unit_test(test_decimal_add_refuses_overflow),
	};

	return cmocka_run_group_tests_name("decimal", tests, NULL, NULL);
}
