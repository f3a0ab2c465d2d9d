/*
 * test-totp.c: unit tests for src/totp.h against RFC 4226's and RFC
 * 6238's test vectors, and the checks around them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "totp.h"

static const unsigned char rfc_secret[] = "12345678901234567890";

/* RFC 4226, appendix D: the HOTP values of counters 0 to 9. */
static void
test_hotp_rfc4226_vectors(void **state)
{
	static const uint32_t	 want[] = { 755224, 287082, 359152, 969429,
	    338314, 254676, 287922, 162583, 399871, 520489 };
	uint64_t		 c;

	(void)state;
	for (c = 0; c < 10; c++)
		assert_int_equal(totp_code(rfc_secret, 20, c), want[c]);
}

/* RFC 6238, appendix B (SHA-1 rows), truncated to 6 digits. */
static void
test_totp_rfc6238_vectors(void **state)
{
	static const struct { int64_t t; uint32_t code; } v[] = {
		{ 59, 287082 }, { 1111111109, 81804 }, { 1111111111, 50471 },
		{ 1234567890, 5924 }, { 2000000000, 279037 },
		{ 20000000000LL, 353130 } };
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_int_equal(totp_code(rfc_secret, 20,
		    (uint64_t)(v[i].t / TOTP_STEP)), v[i].code);
}

static void
test_check_accepts_a_step_either_side_once(void **state)
{
	int64_t	 now = 1111111109, step = now / TOTP_STEP;

	(void)state;
	assert_int_equal(totp_check(rfc_secret, 20, "081804", now, 0), step);
	assert_int_equal(totp_check(rfc_secret, 20, "081 804", now + 30, 0),
	    step);
	assert_int_equal(totp_check(rfc_secret, 20, "081804", now - 30, 0),
	    step);
	assert_int_equal(totp_check(rfc_secret, 20, "081804", now + 90, 0), -1);
	/* Used once: not again, nor an older step. */
	assert_int_equal(totp_check(rfc_secret, 20, "081804", now, step), -1);
}

static void
test_check_refuses_malformed_codes(void **state)
{
	const char	*bad[] = { "", "12345", "1234567", "12a456", "-12345",
	    "081804 1" };
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(totp_check(rfc_secret, 20, bad[i], 1111111109,
		    0), -1);
}

/* RFC 4648, section 10, without padding. */
static void
test_base32_rfc4648_vectors(void **state)
{
	static const char *const v[][2] = { { "f", "MY" }, { "fo", "MZXQ" },
	    { "foo", "MZXW6" }, { "foob", "MZXW6YQ" }, { "fooba", "MZXW6YTB" },
	    { "foobar", "MZXW6YTBOI" } };
	char	 out[TOTP_B32_MAX];
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		totp_b32((const unsigned char *)v[i][0], strlen(v[i][0]), out,
		    sizeof(out));
		assert_string_equal(out, v[i][1]);
	}
	totp_b32(rfc_secret, 20, out, sizeof(out));
	assert_string_equal(out, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
}

static void
test_recovery_codes_shape_and_normal_form(void **state)
{
	char	 a[TOTP_RECOVERY_LEN], b[TOTP_RECOVERY_LEN], n[32];

	(void)state;
	assert_int_equal(totp_recovery_new(a), 0);
	assert_int_equal(totp_recovery_new(b), 0);
	assert_int_equal(strlen(a), 19);
	assert_true(a[4] == '-' && a[9] == '-' && a[14] == '-');
	assert_string_not_equal(a, b);
	totp_recovery_norm(" AbCd-eFgh-2345-6789 ", n, sizeof(n));
	assert_string_equal(n, "abcdefgh23456789");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hotp_rfc4226_vectors),
		cmocka_unit_test(test_totp_rfc6238_vectors),
		cmocka_unit_test(test_check_accepts_a_step_either_side_once),
		cmocka_unit_test(test_check_refuses_malformed_codes),
		cmocka_unit_test(test_base32_rfc4648_vectors),
		cmocka_unit_test(test_recovery_codes_shape_and_normal_form),
	};

	return cmocka_run_group_tests_name("totp", tests, NULL, NULL);
}
