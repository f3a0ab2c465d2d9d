/*
 * test-session.c: session tokens, cookies, CSRF tokens and lifetimes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <openssl/sha.h>

#include "session.h"
#include "util.h"

static void
test_session_new_is_43_url_safe_chars_and_hashed(void **state)
{
	char		 tok[SESSION_TOKEN_LEN + 1];
	unsigned char	 hash[32], again[32], want[32];
	size_t		 i;

	(void)state;
	assert_int_equal(session_new(tok, hash), 0);
	assert_int_equal(strlen(tok), 43);
	for (i = 0; i < 43; i++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
		    "nopqrstuvwxyz0123456789-_", tok[i]));
	SHA256((const unsigned char *)tok, 43, want);
	assert_memory_equal(hash, want, 32);
	assert_int_equal(session_hash(tok, again), 0);
	assert_memory_equal(again, hash, 32);
}

static void
test_session_tokens_differ(void **state)
{
	char		 a[SESSION_TOKEN_LEN + 1], b[SESSION_TOKEN_LEN + 1];
	unsigned char	 h[32];

	(void)state;
	session_new(a, h);
	session_new(b, h);
	assert_string_not_equal(a, b);
}

static void
test_session_hash_rejects_malformed(void **state)
{
	unsigned char	 h[32];
	char		 tok[SESSION_TOKEN_LEN + 2], bad[SESSION_TOKEN_LEN + 2];

	(void)state;
	session_new(tok, h);
	assert_int_equal(session_hash("", h), -1);
	/* Each differs from a good token in one way only. */
	strcpy(bad, tok);
	bad[42] = '\0';
	assert_int_equal(session_hash(bad, h), -1);		/* short */
	strcpy(bad, tok);
	strcat(bad, "A");
	assert_int_equal(session_hash(bad, h), -1);		/* long */
	strcpy(bad, tok);
	bad[20] = '=';
	assert_int_equal(session_hash(bad, h), -1);		/* '=' */
	bad[20] = ' ';
	assert_int_equal(session_hash(bad, h), -1);		/* space */
	bad[20] = '/';
	assert_int_equal(session_hash(bad, h), -1);		/* not url-safe */
	assert_int_equal(session_hash(tok, h), 0);
}

static void
test_csrf_is_derived_and_bound_to_the_session(void **state)
{
	char		 a[SESSION_TOKEN_LEN + 1], b[SESSION_TOKEN_LEN + 1];
	char		 ca[CSRF_TOKEN_LEN + 1], ca2[CSRF_TOKEN_LEN + 1];
	char		 cb[CSRF_TOKEN_LEN + 1];
	unsigned char	 h[32];

	(void)state;
	session_new(a, h);
	session_new(b, h);
	session_csrf(a, ca);
	session_csrf(a, ca2);
	session_csrf(b, cb);
	assert_int_equal(strlen(ca), CSRF_TOKEN_LEN);
	assert_string_equal(ca, ca2);
	assert_string_not_equal(ca, cb);
	assert_string_not_equal(ca, a);	/* not the session token itself */
	assert_true(session_csrf_ok(a, ca));
	assert_false(session_csrf_ok(b, ca));
}

static void
test_csrf_rejects_missing_short_and_altered(void **state)
{
	char		 tok[SESSION_TOKEN_LEN + 1], c[CSRF_TOKEN_LEN + 1];
	unsigned char	 h[32];

	(void)state;
	session_new(tok, h);
	session_csrf(tok, c);
	assert_false(session_csrf_ok(tok, NULL));
	assert_false(session_csrf_ok(tok, ""));
	c[42] = c[42] == 'A' ? 'B' : 'A';
	assert_false(session_csrf_ok(tok, c));
	c[42] = '\0';
	assert_false(session_csrf_ok(tok, c));
}

static void
test_cookie_get_finds_the_named_cookie(void **state)
{
	char	 v[64];

	(void)state;
	assert_int_equal(cookie_get("a=1; __Host-orgaudit=xyz; b=2",
	    "__Host-orgaudit", v, sizeof(v)), 0);
	assert_string_equal(v, "xyz");
	assert_int_equal(cookie_get("__Host-orgaudit=first", "__Host-orgaudit",
	    v, sizeof(v)), 0);
	assert_string_equal(v, "first");
	assert_int_equal(cookie_get("x=1;__Host-orgaudit=tight ", 
	    "__Host-orgaudit", v, sizeof(v)), 0);
	assert_string_equal(v, "tight");
}

static void
test_cookie_get_refuses_absent_prefixed_repeated_long(void **state)
{
	char	 v[8];

	(void)state;
	assert_int_equal(cookie_get(NULL, "c", v, sizeof(v)), -1);
	assert_int_equal(cookie_get("", "c", v, sizeof(v)), -1);
	assert_int_equal(cookie_get("cc=1", "c", v, sizeof(v)), -1);
	assert_int_equal(cookie_get("xc=1", "c", v, sizeof(v)), -1);
	/* Two cookies of one name (one may be planted): trust neither. */
	assert_int_equal(cookie_get("c=1; c=2", "c", v, sizeof(v)), -1);
	assert_int_equal(cookie_get("c=12345678", "c", v, sizeof(v)), -1);
}

static void
test_cookie_lines_carry_every_attribute(void **state)
{
	struct buf	 b = { 0 };

	(void)state;
	session_cookie_set(&b, "tok", 3600);
	assert_string_equal(b.p, "Set-Cookie: __Host-orgaudit=tok; Path=/; "
	    "Max-Age=3600; Secure; HttpOnly; SameSite=Lax\r\n");
	buf_reset(&b);
	session_cookie_clear(&b);
	assert_non_null(strstr(b.p, "__Host-orgaudit=;"));
	assert_non_null(strstr(b.p, "Max-Age=0"));
	assert_non_null(strstr(b.p, "Secure"));
	buf_free(&b);
}

static void
test_session_alive_idle_and_absolute(void **state)
{
	(void)state;
	/* created 1000, idle limit 100, absolute limit 500 */
	assert_true(session_alive(1000, 1000, 1050, 100, 500));
	assert_true(session_alive(1000, 1400, 1499, 100, 500));
	assert_false(session_alive(1000, 1000, 1100, 100, 500));	/* idle */
	assert_false(session_alive(1000, 1450, 1500, 100, 500));	/* age */
	assert_false(session_alive(1000, 1000, 999, 100, 500));	/* clock */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session_new_is_43_url_safe_chars_and_hashed),
		cmocka_unit_test(test_session_tokens_differ),
		cmocka_unit_test(test_session_hash_rejects_malformed),
		cmocka_unit_test(test_csrf_is_derived_and_bound_to_the_session),
		cmocka_unit_test(test_csrf_rejects_missing_short_and_altered),
		cmocka_unit_test(test_cookie_get_finds_the_named_cookie),
		cmocka_unit_test(test_cookie_get_refuses_absent_prefixed_repeated_long),
		cmocka_unit_test(test_cookie_lines_carry_every_attribute),
		cmocka_unit_test(test_session_alive_idle_and_absolute),
	};

	return cmocka_run_group_tests_name("session", tests, NULL, NULL);
}
