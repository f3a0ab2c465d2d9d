/*
 * test-passwd.c: Argon2id password hashing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "passwd.h"

static void
test_hash_is_argon2id_at_owasp_strength(void **state)
{
	char	 enc[PASSWD_ENCODED_MAX];

	(void)state;
	assert_int_equal(passwd_hash("correct horse battery", enc), 0);
	assert_int_equal(strncmp(enc, "$argon2id$v=19$m=65536,t=3,p=1$", 31),
	    0);
	assert_null(strstr(enc, "correct horse"));
}

static void
test_verify_accepts_the_password_only(void **state)
{
	char	 enc[PASSWD_ENCODED_MAX];

	(void)state;
	passwd_hash("correct horse battery", enc);
	assert_true(passwd_verify(enc, "correct horse battery"));
	assert_false(passwd_verify(enc, "correct horse batterY"));
	assert_false(passwd_verify(enc, "correct horse battery "));
	assert_false(passwd_verify(enc, ""));
}

static void
test_same_password_hashes_differ(void **state)
{
	char	 a[PASSWD_ENCODED_MAX], b[PASSWD_ENCODED_MAX];

	(void)state;
	passwd_hash("correct horse battery", a);
	passwd_hash("correct horse battery", b);
	assert_string_not_equal(a, b);		/* fresh salt */
	assert_true(passwd_verify(b, "correct horse battery"));
}

static void
test_verify_refuses_other_schemes_and_garbage(void **state)
{
	char	 enc[PASSWD_ENCODED_MAX];

	(void)state;
	passwd_hash("correct horse battery", enc);
	memcpy(enc, "$argon2i$", 9);
	assert_false(passwd_verify(enc, "correct horse battery"));
	assert_false(passwd_verify("plain text", "plain text"));
	assert_false(passwd_verify("", ""));
}

static void
test_missing_account_verifies_false(void **state)
{
	(void)state;
	/* No account: the same work is done, the answer is no. */
	assert_false(passwd_verify(NULL, "anything at all"));
}

static void
test_refusal_of_weak_passwords(void **state)
{
	char	 longpw[300];

	(void)state;
	assert_null(passwd_refusal("twelve chars"));
	assert_non_null(passwd_refusal("eleven char"));
	assert_non_null(passwd_refusal(""));
	assert_non_null(passwd_refusal("with a\nnewline in it"));
	memset(longpw, 'x', 257);
	longpw[257] = '\0';
	assert_non_null(passwd_refusal(longpw));
	longpw[256] = '\0';
	assert_null(passwd_refusal(longpw));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_is_argon2id_at_owasp_strength),
		cmocka_unit_test(test_verify_accepts_the_password_only),
		cmocka_unit_test(test_same_password_hashes_differ),
		cmocka_unit_test(test_verify_refuses_other_schemes_and_garbage),
		cmocka_unit_test(test_missing_account_verifies_false),
		cmocka_unit_test(test_refusal_of_weak_passwords),
	};

	return cmocka_run_group_tests_name("passwd", tests, NULL, NULL);
}
