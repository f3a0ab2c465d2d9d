/*
 * test-seal.c: unit tests for src/seal.h (AES-256-GCM envelopes, boxes
 * sealed to an X25519 public key, the associated data, the master key
 * file).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "seal.h"

static const char	 secret[] = "sk-admin-AbCdEf0123456789ghIJklMNopQR";

static void
key_fill(struct seal_key *k, unsigned char byte)
{
	memset(k->k, byte, sizeof(k->k));
	seal_key_id(k);
}

/* Seals secret for tenant 1, org 2 into blob. */
static void
seal_secret(const struct seal_key *k, struct buf *blob)
{
	struct buf	 aad = { 0 };

	seal_aad(&aad, 1, 2, SEAL_PURPOSE_ADMIN_KEY);
	assert_int_equal(seal(k, &aad, secret, strlen(secret), blob), 0);
	buf_free(&aad);
}

/* Tries to open blob as tenant 1, org 2's admin key; 0 or -1. */
static int
open_secret(const struct seal_key *k, const void *blob, size_t len)
{
	struct buf	 aad = { 0 }, pt = { 0 };
	int		 rc;

	seal_aad(&aad, 1, 2, SEAL_PURPOSE_ADMIN_KEY);
	rc = seal_open(k, &aad, blob, len, &pt);
	if (rc == 0 && (pt.len != strlen(secret) ||
	    memcmp(pt.p, secret, pt.len) != 0))
		rc = 99;	/* opened to the wrong plaintext */
	buf_free(&aad);
	buf_free(&pt);
	return rc;
}

/* Flips one bit of blob[at] and tries to open the result. */
static int
open_flipped(const struct seal_key *k, const struct buf *blob, size_t at)
{
	unsigned char	*copy = malloc(blob->len);
	int		 rc;

	memcpy(copy, blob->p, blob->len);
	copy[at] ^= 0x01;
	rc = open_secret(k, copy, blob->len);
	free(copy);
	return rc;
}

static void
test_seal_round_trip(void **state)
{
	struct seal_key	 k;
	struct buf	 blob = { 0 };

	(void)state;
	key_fill(&k, 0x42);
	seal_secret(&k, &blob);
	assert_int_equal(blob.len, SEAL_OVERHEAD + strlen(secret));
	assert_int_equal((unsigned char)blob.p[0], 1);
	assert_int_equal(open_secret(&k, blob.p, blob.len), 0);
	buf_free(&blob);
}

static void
test_seal_round_trip_empty_plaintext(void **state)
{
	struct seal_key	 k;
	struct buf	 aad = { 0 }, blob = { 0 }, pt = { 0 };

	(void)state;
	key_fill(&k, 0x43);
	seal_aad(&aad, 7, 0, SEAL_PURPOSE_DATA_KEY);
	assert_int_equal(seal(&k, &aad, "", 0, &blob), 0);
	assert_int_equal(blob.len, SEAL_OVERHEAD);
	assert_int_equal(seal_open(&k, &aad, blob.p, blob.len, &pt), 0);
	assert_int_equal(pt.len, 0);
	buf_free(&aad);
	buf_free(&blob);
	buf_free(&pt);
}

static void
test_seal_ciphertext_does_not_contain_plaintext(void **state)
{
	struct seal_key	 k;
	struct buf	 blob = { 0 };

	(void)state;
	key_fill(&k, 0x44);
	seal_secret(&k, &blob);
	assert_null(memmem(blob.p, blob.len, "sk-admin", 8));
	assert_null(memmem(blob.p, blob.len, "0123456789", 10));
	buf_free(&blob);
}

static void
test_seal_two_seals_differ(void **state)
{
	struct seal_key	 k;
	struct buf	 a = { 0 }, b = { 0 };

	(void)state;
	key_fill(&k, 0x45);
	seal_secret(&k, &a);
	seal_secret(&k, &b);
	assert_int_equal(a.len, b.len);
	/* Fresh nonce each time, so the whole blob differs. */
	assert_memory_not_equal(a.p + 1, b.p + 1, SEAL_NONCE_LEN);
	assert_memory_not_equal(a.p + 1 + SEAL_NONCE_LEN,
	    b.p + 1 + SEAL_NONCE_LEN, a.len - 1 - SEAL_NONCE_LEN);
	assert_int_equal(open_secret(&k, a.p, a.len), 0);
	assert_int_equal(open_secret(&k, b.p, b.len), 0);
	buf_free(&a);
	buf_free(&b);
}

static void
test_seal_open_rejects_flipped_version(void **state)
{
	struct seal_key	 k;
	struct buf	 blob = { 0 };

	(void)state;
	key_fill(&k, 0x46);
	seal_secret(&k, &blob);
	assert_int_equal(open_flipped(&k, &blob, 0), -1);
	blob.p[0] = 2;
	assert_int_equal(open_secret(&k, blob.p, blob.len), -1);
	blob.p[0] = 0;
	assert_int_equal(open_secret(&k, blob.p, blob.len), -1);
	buf_free(&blob);
}

static void
test_seal_open_rejects_flipped_nonce(void **state)
{
	struct seal_key	 k;
	struct buf	 blob = { 0 };
	size_t		 i;

	(void)state;
	key_fill(&k, 0x47);
	seal_secret(&k, &blob);
	for (i = 1; i < 1 + SEAL_NONCE_LEN; i++)
		assert_int_equal(open_flipped(&k, &blob, i), -1);
	buf_free(&blob);
}

static void
test_seal_open_rejects_flipped_ciphertext(void **state)
{
	struct seal_key	 k;
	struct buf	 blob = { 0 };
	size_t		 i;

	(void)state;
	key_fill(&k, 0x48);
	seal_secret(&k, &blob);
	for (i = 1 + SEAL_NONCE_LEN; i < blob.len - SEAL_TAG_LEN; i++)
		assert_int_equal(open_flipped(&k, &blob, i), -1);
	buf_free(&blob);
}

static void
test_seal_open_rejects_flipped_tag(void **state)
{
	struct seal_key	 k;
	struct buf	 blob = { 0 };
	size_t		 i;

	(void)state;
	key_fill(&k, 0x49);
	seal_secret(&k, &blob);
	for (i = blob.len - SEAL_TAG_LEN; i < blob.len; i++)
		assert_int_equal(open_flipped(&k, &blob, i), -1);
	buf_free(&blob);
}

static void
test_seal_open_rejects_truncation(void **state)
{
	struct seal_key	 k;
	struct buf	 blob = { 0 };
	size_t		 len;

	(void)state;
	key_fill(&k, 0x4a);
	seal_secret(&k, &blob);
	for (len = 0; len < blob.len; len++)
		assert_int_equal(open_secret(&k, blob.p, len), -1);
	buf_free(&blob);
}

static void
test_seal_open_rejects_appended_byte(void **state)
{
	struct seal_key	 k;
	struct buf	 blob = { 0 };

	(void)state;
	key_fill(&k, 0x4b);
	seal_secret(&k, &blob);
	buf_addc(&blob, 0);
	assert_int_equal(open_secret(&k, blob.p, blob.len), -1);
	buf_free(&blob);
}

static void
test_seal_open_rejects_other_tenant(void **state)
{
	struct seal_key	 k;
	struct buf	 blob = { 0 }, aad = { 0 }, pt = { 0 };

	(void)state;
	key_fill(&k, 0x4c);
	seal_secret(&k, &blob);
	seal_aad(&aad, 3, 2, SEAL_PURPOSE_ADMIN_KEY);
	assert_int_equal(seal_open(&k, &aad, blob.p, blob.len, &pt), -1);
	assert_int_equal(pt.len, 0);
	buf_free(&blob);
	buf_free(&aad);
	buf_free(&pt);
}

static void
test_seal_open_rejects_other_org(void **state)
{
	struct seal_key	 k;
	struct buf	 blob = { 0 }, aad = { 0 }, pt = { 0 };

	(void)state;
	key_fill(&k, 0x4d);
	seal_secret(&k, &blob);
	seal_aad(&aad, 1, 3, SEAL_PURPOSE_ADMIN_KEY);
	assert_int_equal(seal_open(&k, &aad, blob.p, blob.len, &pt), -1);
	seal_aad(&aad, 1, 0, SEAL_PURPOSE_ADMIN_KEY);
	assert_int_equal(seal_open(&k, &aad, blob.p, blob.len, &pt), -1);
	assert_int_equal(pt.len, 0);
	buf_free(&blob);
	buf_free(&aad);
	buf_free(&pt);
}

static void
test_seal_open_rejects_other_purpose(void **state)
{
	struct seal_key	 k;
	struct buf	 blob = { 0 }, aad = { 0 }, pt = { 0 };

	(void)state;
	key_fill(&k, 0x4e);
	seal_secret(&k, &blob);
	seal_aad(&aad, 1, 2, SEAL_PURPOSE_DATA_KEY);
	assert_int_equal(seal_open(&k, &aad, blob.p, blob.len, &pt), -1);
	assert_int_equal(pt.len, 0);
	buf_free(&blob);
	buf_free(&aad);
	buf_free(&pt);
}

static void
test_seal_open_rejects_other_key(void **state)
{
	struct seal_key	 k, other;
	struct buf	 blob = { 0 };

	(void)state;
	key_fill(&k, 0x4f);
	key_fill(&other, 0x4f);
	other.k[SEAL_KEY_LEN - 1] ^= 0x80;
	seal_secret(&k, &blob);
	assert_int_equal(open_secret(&other, blob.p, blob.len), -1);
	assert_int_equal(open_secret(&k, blob.p, blob.len), 0);
	buf_free(&blob);
}

static void
test_seal_aad_exact_string(void **state)
{
	struct buf	 aad = { 0 };

	(void)state;
	seal_aad(&aad, 12, 345, SEAL_PURPOSE_ADMIN_KEY);
	assert_string_equal(aad.p,
	    "orgaudit/v1 tenant=12 org=345 purpose=openai-admin-key");
	assert_int_equal(aad.len, strlen(aad.p));
	buf_free(&aad);
}

static void
test_seal_aad_no_org_and_replaces_contents(void **state)
{
	struct buf	 aad = { 0 };

	(void)state;
	buf_adds(&aad, "left over from before");
	seal_aad(&aad, 9, 0, SEAL_PURPOSE_DATA_KEY);
	assert_string_equal(aad.p, "orgaudit/v1 tenant=9 org=0 purpose=data-key");
	buf_free(&aad);
}

static void
test_seal_key_id_known_value(void **state)
{
	struct seal_key	 k;

	(void)state;
	/* sha256 of 32 zero bytes starts 66687aadf862bd77. */
	key_fill(&k, 0);
	assert_string_equal(k.id, "66687aadf862bd77");
}

static void
test_seal_key_id_shape_and_distinct(void **state)
{
	struct seal_key	 a, b;
	size_t		 i;

	(void)state;
	assert_int_equal(rand_bytes(a.k, sizeof(a.k)), 0);
	memcpy(b.k, a.k, sizeof(b.k));
	b.k[0] ^= 1;
	seal_key_id(&a);
	seal_key_id(&b);
	assert_int_equal(strlen(a.id), SEAL_KEY_ID_LEN - 1);
	assert_int_equal(strlen(a.id), 16);
	for (i = 0; i < 16; i++)
		assert_non_null(strchr("0123456789abcdef", a.id[i]));
	assert_string_not_equal(a.id, b.id);
}

static void
test_seal_key_wipe_clears_key(void **state)
{
	struct seal_key	 k, zero;

	(void)state;
	key_fill(&k, 0x5a);
	memset(&zero, 0, sizeof(zero));
	seal_key_wipe(&k);
	assert_memory_equal(&k, &zero, sizeof(k));
}

/* ---- master key file ---- */

struct tmp {
	char	 dir[64];
	char	 path[128];
};

static void
tmp_make(struct tmp *t)
{
	strcpy(t->dir, "/tmp/orgaudit-test-seal-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/master.key", t->dir);
}

static void
tmp_done(struct tmp *t)
{
	unlink(t->path);
	rmdir(t->dir);
}

static void
write_file(const char *path, const void *p, size_t n, mode_t mode)
{
	int	 fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
}

static void
test_seal_master_create_then_load(void **state)
{
	struct tmp	 t;
	struct seal_key	 k, zero;
	struct buf	 blob = { 0 };
	char		 err[256] = "";
	int		 rc1, rc2;

	(void)state;
	tmp_make(&t);
	rc1 = seal_master_create(t.path, err, sizeof(err));
	rc2 = seal_master_load(t.path, &k, err, sizeof(err));
	tmp_done(&t);
	assert_int_equal(rc1, 0);
	assert_int_equal(rc2, 0);
	memset(&zero, 0, sizeof(zero));
	assert_memory_not_equal(k.k, zero.k, sizeof(k.k));
	assert_int_equal(strlen(k.id), 16);
	seal_secret(&k, &blob);
	assert_int_equal(open_secret(&k, blob.p, blob.len), 0);
	buf_free(&blob);
}

static void
test_seal_master_create_mode_0600(void **state)
{
	struct tmp	 t;
	struct stat	 st;
	char		 err[256] = "";
	int		 rc, src;

	(void)state;
	tmp_make(&t);
	rc = seal_master_create(t.path, err, sizeof(err));
	src = stat(t.path, &st);
	tmp_done(&t);
	assert_int_equal(rc, 0);
	assert_int_equal(src, 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, SEAL_KEY_LEN);
}

static void
test_seal_master_create_refuses_overwrite(void **state)
{
	struct tmp	 t;
	struct seal_key	 before, after;
	char		 err[256] = "";
	int		 rc;

	(void)state;
	tmp_make(&t);
	assert_int_equal(seal_master_create(t.path, err, sizeof(err)), 0);
	assert_int_equal(seal_master_load(t.path, &before, err, sizeof(err)),
	    0);
	rc = seal_master_create(t.path, err, sizeof(err));
	assert_int_equal(seal_master_load(t.path, &after, err + 128, 128), 0);
	tmp_done(&t);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "refusing to overwrite"));
	assert_memory_equal(before.k, after.k, SEAL_KEY_LEN);
	assert_string_equal(before.id, after.id);
}

static void
test_seal_master_create_missing_directory_fails(void **state)
{
	char	 err[256] = "";

	(void)state;
	assert_int_equal(seal_master_create(
	    "/nonexistent-orgaudit-dir/master.key", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent-orgaudit-dir/master.key"));
}

static void
test_seal_master_load_refuses_mode_0644(void **state)
{
	struct tmp	 t;
	struct seal_key	 k;
	unsigned char	 raw[SEAL_KEY_LEN];
	char		 err[256] = "";
	int		 rc;

	(void)state;
	memset(raw, 0x11, sizeof(raw));
	tmp_make(&t);
	write_file(t.path, raw, sizeof(raw), 0644);
	rc = seal_master_load(t.path, &k, err, sizeof(err));
	tmp_done(&t);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "chmod 600"));
}

static void
test_seal_master_load_refuses_group_readable(void **state)
{
	struct tmp	 t;
	struct seal_key	 k;
	unsigned char	 raw[SEAL_KEY_LEN];
	char		 err[256] = "";
	int		 rc;

	(void)state;
	memset(raw, 0x12, sizeof(raw));
	tmp_make(&t);
	write_file(t.path, raw, sizeof(raw), 0640);
	rc = seal_master_load(t.path, &k, err, sizeof(err));
	tmp_done(&t);
	assert_int_equal(rc, -1);
}

static void
test_seal_master_load_accepts_0400(void **state)
{
	struct tmp	 t;
	struct seal_key	 k, want;
	unsigned char	 raw[SEAL_KEY_LEN];
	char		 err[256] = "";
	int		 rc;

	(void)state;
	memset(raw, 0x13, sizeof(raw));
	tmp_make(&t);
	write_file(t.path, raw, sizeof(raw), 0400);
	rc = seal_master_load(t.path, &k, err, sizeof(err));
	tmp_done(&t);
	assert_int_equal(rc, 0);
	key_fill(&want, 0x13);
	assert_memory_equal(k.k, want.k, SEAL_KEY_LEN);
	assert_string_equal(k.id, want.id);
}

static void
test_seal_master_load_refuses_31_bytes(void **state)
{
	struct tmp	 t;
	struct seal_key	 k;
	unsigned char	 raw[SEAL_KEY_LEN];
	char		 err[256] = "";
	int		 rc;

	(void)state;
	memset(raw, 0x14, sizeof(raw));
	tmp_make(&t);
	write_file(t.path, raw, SEAL_KEY_LEN - 1, 0600);
	rc = seal_master_load(t.path, &k, err, sizeof(err));
	tmp_done(&t);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "exactly 32 bytes"));
}

static void
test_seal_master_load_refuses_33_bytes(void **state)
{
	struct tmp	 t;
	struct seal_key	 k;
	unsigned char	 raw[SEAL_KEY_LEN + 1];
	char		 err[256] = "";
	int		 rc;

	(void)state;
	memset(raw, 0x15, sizeof(raw));
	tmp_make(&t);
	write_file(t.path, raw, sizeof(raw), 0600);
	rc = seal_master_load(t.path, &k, err, sizeof(err));
	tmp_done(&t);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "exactly 32 bytes"));
}

static void
test_seal_master_load_missing_file(void **state)
{
	struct tmp	 t;
	struct seal_key	 k;
	char		 err[256] = "";
	int		 rc;

	(void)state;
	tmp_make(&t);
	rc = seal_master_load(t.path, &k, err, sizeof(err));
	tmp_done(&t);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, t.path));
	assert_non_null(strstr(err, "master-key create"));
}

/* -- sealed to a public key (version 2) ------------------------------ */

static void
box_secret(const unsigned char pub[SEAL_X25519_LEN], struct buf *blob)
{
	struct buf	 aad = { 0 };

	seal_aad(&aad, 1, 2, SEAL_PURPOSE_ADMIN_KEY);
	assert_int_equal(seal_to(pub, &aad, secret, strlen(secret), blob), 0);
	buf_free(&aad);
}

static int
box_open(const unsigned char priv[SEAL_X25519_LEN], int64_t tenant,
    const void *blob, size_t len)
{
	struct buf	 aad = { 0 }, pt = { 0 };
	int		 rc;

	seal_aad(&aad, tenant, 2, SEAL_PURPOSE_ADMIN_KEY);
	rc = seal_open_with(priv, &aad, blob, len, &pt);
	if (rc == 0 && (pt.len != strlen(secret) ||
	    memcmp(pt.p, secret, pt.len) != 0))
		rc = 99;
	buf_free(&aad);
	buf_free(&pt);
	return rc;
}

/* RFC 7748, 6.1: Alice's private key gives Alice's public key. */
static void
test_box_public_key_known_value(void **state)
{
	static const unsigned char alice[32] = {
		0x77, 0x07, 0x6d, 0x0a, 0x73, 0x18, 0xa5, 0x7d, 0x3c, 0x16,
		0xc1, 0x72, 0x51, 0xb2, 0x66, 0x45, 0xdf, 0x4c, 0x2f, 0x87,
		0xeb, 0xc0, 0x99, 0x2a, 0xb1, 0x77, 0xfb, 0xa5, 0x1d, 0xb9,
		0x2c, 0x2a };
	static const unsigned char want[32] = {
		0x85, 0x20, 0xf0, 0x09, 0x89, 0x30, 0xa7, 0x54, 0x74, 0x8b,
		0x7d, 0xdc, 0xb4, 0x3e, 0xf7, 0x5a, 0x0d, 0xbf, 0x3a, 0x0d,
		0x26, 0x38, 0x1a, 0xf4, 0xeb, 0xa4, 0xa9, 0x8e, 0xaa, 0x9b,
		0x4e, 0x6a };
	unsigned char	 pub[32];

	(void)state;
	assert_int_equal(seal_public_of(alice, pub), 0);
	assert_memory_equal(pub, want, 32);
}

static void
test_box_round_trip_and_fresh_each_time(void **state)
{
	unsigned char	 priv[32], pub[32], pub2[32];
	struct buf	 a = { 0 }, b = { 0 };

	(void)state;
	assert_int_equal(seal_keypair(priv, pub), 0);
	assert_int_equal(seal_public_of(priv, pub2), 0);
	assert_memory_equal(pub, pub2, 32);
	box_secret(pub, &a);
	box_secret(pub, &b);
	assert_int_equal(a.len, SEAL_BOX_OVERHEAD + strlen(secret));
	assert_int_equal(((unsigned char *)a.p)[0], 2);
	assert_memory_not_equal(a.p, b.p, a.len);
	assert_null(memmem(a.p, a.len, secret, strlen(secret)));
	assert_int_equal(box_open(priv, 1, a.p, a.len), 0);
	assert_int_equal(box_open(priv, 1, b.p, b.len), 0);
	buf_free(&a);
	buf_free(&b);
}

/* Every bit of the blob counts; so do the context and the key. */
static void
test_box_rejects_any_change(void **state)
{
	unsigned char	 priv[32], pub[32], other[32], opub[32];
	unsigned char	*copy;
	struct buf	 a = { 0 };
	size_t		 i;

	(void)state;
	assert_int_equal(seal_keypair(priv, pub), 0);
	assert_int_equal(seal_keypair(other, opub), 0);
	box_secret(pub, &a);
	copy = malloc(a.len + 1);
	for (i = 0; i < a.len * 8; i++) {
		memcpy(copy, a.p, a.len);
		copy[i / 8] ^= (unsigned char)(1u << (i % 8));
		assert_int_equal(box_open(priv, 1, copy, a.len), -1);
	}
	memcpy(copy, a.p, a.len);
	copy[a.len] = 0;
	assert_int_equal(box_open(priv, 1, copy, a.len + 1), -1);
	assert_int_equal(box_open(priv, 1, copy, a.len - 1), -1);
	assert_int_equal(box_open(priv, 1, copy, SEAL_BOX_OVERHEAD - 1), -1);
	assert_int_equal(box_open(priv, 7, a.p, a.len), -1);
	assert_int_equal(box_open(other, 1, a.p, a.len), -1);
	free(copy);
	buf_free(&a);
}

/* A version 1 blob is not a version 2 one, and the other way round. */
static void
test_box_and_symmetric_blobs_do_not_mix(void **state)
{
	struct seal_key	 k;
	unsigned char	 priv[32], pub[32];
	struct buf	 v1 = { 0 }, v2 = { 0 };

	(void)state;
	key_fill(&k, 0x42);
	assert_int_equal(seal_keypair(priv, pub), 0);
	seal_secret(&k, &v1);
	box_secret(pub, &v2);
	assert_int_equal(box_open(priv, 1, v1.p, v1.len), -1);
	assert_int_equal(open_secret(&k, v2.p, v2.len), -1);
	buf_free(&v1);
	buf_free(&v2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seal_round_trip),
		cmocka_unit_test(test_seal_round_trip_empty_plaintext),
		cmocka_unit_test(test_seal_ciphertext_does_not_contain_plaintext),
		cmocka_unit_test(test_seal_two_seals_differ),
		cmocka_unit_test(test_seal_open_rejects_flipped_version),
		cmocka_unit_test(test_seal_open_rejects_flipped_nonce),
		cmocka_unit_test(test_seal_open_rejects_flipped_ciphertext),
		cmocka_unit_test(test_seal_open_rejects_flipped_tag),
		cmocka_unit_test(test_seal_open_rejects_truncation),
		cmocka_unit_test(test_seal_open_rejects_appended_byte),
		cmocka_unit_test(test_seal_open_rejects_other_tenant),
		cmocka_unit_test(test_seal_open_rejects_other_org),
		cmocka_unit_test(test_seal_open_rejects_other_purpose),
		cmocka_unit_test(test_seal_open_rejects_other_key),
		cmocka_unit_test(test_seal_aad_exact_string),
		cmocka_unit_test(test_seal_aad_no_org_and_replaces_contents),
		cmocka_unit_test(test_seal_key_id_known_value),
		cmocka_unit_test(test_seal_key_id_shape_and_distinct),
		cmocka_unit_test(test_seal_key_wipe_clears_key),
		cmocka_unit_test(test_seal_master_create_then_load),
		cmocka_unit_test(test_seal_master_create_mode_0600),
		cmocka_unit_test(test_seal_master_create_refuses_overwrite),
		cmocka_unit_test(test_seal_master_create_missing_directory_fails),
		cmocka_unit_test(test_seal_master_load_refuses_mode_0644),
		cmocka_unit_test(test_seal_master_load_refuses_group_readable),
		cmocka_unit_test(test_seal_master_load_accepts_0400),
		cmocka_unit_test(test_seal_master_load_refuses_31_bytes),
		cmocka_unit_test(test_seal_master_load_refuses_33_bytes),
		cmocka_unit_test(test_seal_master_load_missing_file),
		cmocka_unit_test(test_box_public_key_known_value),
		cmocka_unit_test(test_box_round_trip_and_fresh_each_time),
		cmocka_unit_test(test_box_rejects_any_change),
		cmocka_unit_test(test_box_and_symmetric_blobs_do_not_mix),
	};

	return cmocka_run_group_tests_name("seal", tests, NULL, NULL);
}
