/*
 * test-sign.c: unit tests for src/sign.h (the Ed25519 key of evidence
 * packs): making, loading, signing, checking, and the refusals.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sign.h"

static char	 dir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/orgaudit-test-sign-XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char	 cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
path_of(const char *name, char *out, size_t n)
{
	snprintf(out, n, "%s/%s", dir, name);
}

static void
test_keygen_is_private_and_not_replaced(void **state)
{
	struct stat	 sb;
	char		 p[128], err[600];

	(void)state;
	path_of("a.key", p, sizeof(p));
	assert_int_equal(sign_keygen(p, false, err, sizeof(err)), 0);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(sign_keygen(p, false, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "--force"));
	assert_int_equal(sign_keygen(p, true, err, sizeof(err)), 0);
}

static void
test_sign_and_verify_round_trip(void **state)
{
	struct signer	*s;
	unsigned char	 sig[SIGN_LEN];
	const char	*msg = "{\"format\":\"x\"}\n", *pem;
	char		 p[128], err[600], fp[SIGN_FP_LEN + 1];

	(void)state;
	path_of("b.key", p, sizeof(p));
	assert_int_equal(sign_keygen(p, false, err, sizeof(err)), 0);
	assert_non_null(s = sign_load(p, err, sizeof(err)));
	pem = sign_public_pem(s);
	assert_non_null(strstr(pem, "-----BEGIN PUBLIC KEY-----"));
	assert_null(strstr(pem, "PRIVATE"));
	assert_int_equal(strlen(sign_fingerprint(s)), SIGN_FP_LEN);
	assert_int_equal(sign_message(s, msg, strlen(msg), sig), 0);
	assert_int_equal(sign_verify(pem, strlen(pem), msg, strlen(msg), sig,
	    SIGN_LEN, fp), 1);
	assert_string_equal(fp, sign_fingerprint(s));
	/* One byte of the message, the signature, or its length. */
	assert_int_equal(sign_verify(pem, strlen(pem), "{\"format\":\"y\"}\n",
	    strlen(msg), sig, SIGN_LEN, fp), 0);
	sig[10] ^= 1;
	assert_int_equal(sign_verify(pem, strlen(pem), msg, strlen(msg), sig,
	    SIGN_LEN, fp), 0);
	sig[10] ^= 1;
	assert_int_equal(sign_verify(pem, strlen(pem), msg, strlen(msg), sig,
	    SIGN_LEN - 1, fp), 0);
	/* Ed25519 is deterministic: the same message, the same bytes. */
	{
		unsigned char	 again[SIGN_LEN];

		assert_int_equal(sign_message(s, msg, strlen(msg), again), 0);
		assert_memory_equal(sig, again, SIGN_LEN);
	}
	sign_free(s);
}

static void
test_another_key_does_not_verify(void **state)
{
	struct signer	*a, *b;
	unsigned char	 sig[SIGN_LEN];
	char		 pa[128], pb[128], err[600], fp[SIGN_FP_LEN + 1];

	(void)state;
	path_of("c.key", pa, sizeof(pa));
	path_of("d.key", pb, sizeof(pb));
	assert_int_equal(sign_keygen(pa, false, err, sizeof(err)), 0);
	assert_int_equal(sign_keygen(pb, false, err, sizeof(err)), 0);
	a = sign_load(pa, err, sizeof(err));
	b = sign_load(pb, err, sizeof(err));
	assert_non_null(a);
	assert_non_null(b);
	assert_string_not_equal(sign_fingerprint(a), sign_fingerprint(b));
	assert_int_equal(sign_message(a, "m", 1, sig), 0);
	assert_int_equal(sign_verify(sign_public_pem(b),
	    strlen(sign_public_pem(b)), "m", 1, sig, SIGN_LEN, fp), 0);
	assert_string_equal(fp, sign_fingerprint(b));
	sign_free(a);
	sign_free(b);
}

static void
test_refusals(void **state)
{
	FILE		*f;
	char		 p[128], err[600], fp[SIGN_FP_LEN + 1];
	unsigned char	 sig[SIGN_LEN] = { 0 };

	(void)state;
	path_of("missing.key", p, sizeof(p));
	assert_null(sign_load(p, err, sizeof(err)));
	assert_non_null(strstr(err, "orgaudit keygen"));
	/* Readable by others. */
	path_of("open.key", p, sizeof(p));
	assert_int_equal(sign_keygen(p, false, err, sizeof(err)), 0);
	assert_int_equal(chmod(p, 0644), 0);
	assert_null(sign_load(p, err, sizeof(err)));
	assert_non_null(strstr(err, "chmod 600"));
	/* Not a key. */
	path_of("junk.key", p, sizeof(p));
	assert_non_null(f = fopen(p, "w"));
	fputs("not a key\n", f);
	fclose(f);
	assert_int_equal(chmod(p, 0600), 0);
	assert_null(sign_load(p, err, sizeof(err)));
	assert_non_null(strstr(err, "Ed25519"));
	assert_int_equal(sign_verify("junk", 4, "m", 1, sig, SIGN_LEN, fp), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keygen_is_private_and_not_replaced),
		cmocka_unit_test(test_sign_and_verify_round_trip),
		cmocka_unit_test(test_another_key_does_not_verify),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests_name("sign", tests, setup, teardown);
}
