/*
 * test-token.c: unit tests for src/token.h (API tokens and their hashes).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "token.h"
#include "util.h"

static const char	 b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* A valid token: 43 base64url characters, canonical last character. */
static const char	 tok_a[] = "oat_abcdefghijklmnopqrstuvwxyz0123456789-_ABCDE";

static void
hex_of(const unsigned char h[32], char out[65])
{
	hex_encode(h, 32, out);
}

static void
test_token_new_shape(void **state)
{
	char		 tok[TOKEN_LEN + 1];
	unsigned char	 h[32];
	size_t		 i;

	(void)state;
	memset(tok, 'Z', sizeof(tok));
	assert_int_equal(token_new(tok, h), 0);
	assert_int_equal(strlen(tok), TOKEN_LEN);
	assert_int_equal(strlen(tok), 47);
	assert_memory_equal(tok, "oat_", 4);
	for (i = 4; i < TOKEN_LEN; i++)
		if (tok[i] == '\0' || strchr(b64, tok[i]) == NULL)
			fail_msg("character %zu of %s is not base64url", i, tok);
}

static void
test_token_new_two_tokens_differ(void **state)
{
	char		 a[TOKEN_LEN + 1], b[TOKEN_LEN + 1];
	unsigned char	 ha[32], hb[32];

	(void)state;
	assert_int_equal(token_new(a, ha), 0);
	assert_int_equal(token_new(b, hb), 0);
	assert_string_not_equal(a, b);
	assert_memory_not_equal(ha, hb, 32);
}

static void
test_token_hash_of_new_token_matches(void **state)
{
	char		 tok[TOKEN_LEN + 1];
	unsigned char	 h1[32], h2[32];
	int		 i;

	(void)state;
	for (i = 0; i < 50; i++) {
		assert_int_equal(token_new(tok, h1), 0);
		memset(h2, 0, sizeof(h2));
		assert_int_equal(token_hash(tok, strlen(tok), h2), 0);
		assert_memory_equal(h1, h2, 32);
	}
}

static void
test_token_hash_known_value(void **state)
{
	unsigned char	 h[32];
	char		 hex[65];

	(void)state;
	/* sha256 of the whole token text. */
	assert_int_equal(token_hash(tok_a, strlen(tok_a), h), 0);
	hex_of(h, hex);
	assert_string_equal(hex, "de83ae78611a8d070a2425f0e7c910fe7f1160341782b8"
	    "5ad9a38f226c18aade");
}

static void
test_token_hash_all_zero_token(void **state)
{
	char		 tok[TOKEN_LEN + 1];
	unsigned char	 h[32];
	char		 hex[65];

	(void)state;
	memcpy(tok, "oat_", 4);
	memset(tok + 4, 'A', 43);
	tok[TOKEN_LEN] = '\0';
	assert_int_equal(token_hash(tok, TOKEN_LEN, h), 0);
	hex_of(h, hex);
	assert_string_equal(hex, "3018786920f6c66f1bc6305f10aaeb503c70d1987f89f4"
	    "e9c51829528ab72554");
}

static void
test_token_hash_does_not_need_nul(void **state)
{
	char		 buf[TOKEN_LEN + 8];
	unsigned char	 h1[32], h2[32];

	(void)state;
	memcpy(buf, tok_a, TOKEN_LEN);
	memcpy(buf + TOKEN_LEN, "garbage", 8);
	assert_int_equal(token_hash(tok_a, TOKEN_LEN, h1), 0);
	assert_int_equal(token_hash(buf, TOKEN_LEN, h2), 0);
	assert_memory_equal(h1, h2, 32);
}

static void
test_token_hash_rejects_wrong_prefix(void **state)
{
	static const char	*pre[] = { "oak_", "OAT_", "oat-", "sk-a",
				    "_oat" };
	char			 tok[TOKEN_LEN + 1];
	unsigned char		 h[32];
	size_t			 i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(pre); i++) {
		memcpy(tok, tok_a, sizeof(tok));
		memcpy(tok, pre[i], 4);
		assert_int_equal(token_hash(tok, TOKEN_LEN, h), -1);
	}
}

static void
test_token_hash_rejects_wrong_length(void **state)
{
	char		 tok[TOKEN_LEN + 2];
	unsigned char	 h[32];

	(void)state;
	assert_int_equal(token_hash(tok_a, TOKEN_LEN - 1, h), -1);
	memcpy(tok, tok_a, TOKEN_LEN);
	tok[TOKEN_LEN] = 'A';
	tok[TOKEN_LEN + 1] = '\0';
	assert_int_equal(token_hash(tok, TOKEN_LEN + 1, h), -1);
	assert_int_equal(token_hash("oat_", 4, h), -1);
	assert_int_equal(token_hash("", 0, h), -1);
}

static void
test_token_hash_rejects_bad_characters(void **state)
{
	static const char	 bad[] = { '+', '/', '=', ' ', '.', '~', '\n',
				    '\0', (char)0xc3 };
	char			 tok[TOKEN_LEN + 1];
	unsigned char		 h[32];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(bad); i++) {
		memcpy(tok, tok_a, sizeof(tok));
		tok[20] = bad[i];
		if (token_hash(tok, TOKEN_LEN, h) != -1)
			fail_msg("accepted byte 0x%02x", (unsigned char)bad[i]);
	}
}

static void
test_token_hash_rejects_non_canonical_last_char(void **state)
{
	char		 tok[TOKEN_LEN + 1];
	unsigned char	 h[32];

	(void)state;
	/*
	 * 43 characters carry 258 bits: the last character's low two bits
	 * are padding and must be zero, or the token does not decode to
	 * exactly 32 bytes the way token_new() made it.
	 */
	memcpy(tok, tok_a, sizeof(tok));
	tok[TOKEN_LEN - 1] = 'F';
	assert_int_equal(token_hash(tok, TOKEN_LEN, h), -1);
	tok[TOKEN_LEN - 1] = '_';
	assert_int_equal(token_hash(tok, TOKEN_LEN, h), -1);
	tok[TOKEN_LEN - 1] = 'I';
	assert_int_equal(token_hash(tok, TOKEN_LEN, h), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_new_shape),
		cmocka_unit_test(test_token_new_two_tokens_differ),
		cmocka_unit_test(test_token_hash_of_new_token_matches),
		cmocka_unit_test(test_token_hash_known_value),
		cmocka_unit_test(test_token_hash_all_zero_token),
		cmocka_unit_test(test_token_hash_does_not_need_nul),
		cmocka_unit_test(test_token_hash_rejects_wrong_prefix),
		cmocka_unit_test(test_token_hash_rejects_wrong_length),
		cmocka_unit_test(test_token_hash_rejects_bad_characters),
		cmocka_unit_test(test_token_hash_rejects_non_canonical_last_char),
	};

	return cmocka_run_group_tests_name("token", tests, NULL, NULL);
}
