/*
 * seal.c: see seal.h.  OpenSSL EVP, AES-256-GCM.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/sha.h>

#include "seal.h"

void
seal_key_id(struct seal_key *key)
{
	unsigned char	 md[SHA256_DIGEST_LENGTH];

	SHA256(key->k, sizeof(key->k), md);
	hex_encode(md, 8, key->id);
}

void
seal_key_wipe(struct seal_key *key)
{
	wipe(key, sizeof(*key));
}

int
seal_master_load(const char *path, struct seal_key *out, char *err,
    size_t errlen)
{
	struct stat	 st;
	ssize_t		 n;
	unsigned char	 extra;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "cannot open master key %s: %s (create "
		    "one with 'orgaudit master-key create')", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || (st.st_mode & 077) != 0) {
		snprintf(err, errlen, "master key %s is readable by group or "
		    "others; run 'chmod 600 %s'", path, path);
		close(fd);
		return -1;
	}
	n = read(fd, out->k, sizeof(out->k));
	if (n != (ssize_t)sizeof(out->k) || read(fd, &extra, 1) != 0) {
		snprintf(err, errlen, "master key %s must hold exactly %d "
		    "bytes", path, SEAL_KEY_LEN);
		close(fd);
		seal_key_wipe(out);
		return -1;
	}
	close(fd);
	seal_key_id(out);
	return 0;
}

int
seal_master_create(const char *path, char *err, size_t errlen)
{
	unsigned char	 k[SEAL_KEY_LEN];
	int		 fd, rc = -1;

	if (rand_bytes(k, sizeof(k)) != 0) {
		snprintf(err, errlen, "no randomness available");
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create master key %s: %s%s",
		    path, strerror(errno), errno == EEXIST ?
		    " (refusing to overwrite an existing key)" : "");
		goto out;
	}
	if (write(fd, k, sizeof(k)) != (ssize_t)sizeof(k) || fsync(fd) != 0) {
		snprintf(err, errlen, "cannot write master key %s: %s", path,
		    strerror(errno));
		close(fd);
		unlink(path);
		goto out;
	}
	close(fd);
	rc = 0;
out:
	wipe(k, sizeof(k));
	return rc;
}

void
seal_aad(struct buf *aad, int64_t tenant, int64_t org, const char *purpose)
{
	buf_reset(aad);
	buf_printf(aad, "orgaudit/v1 tenant=%" PRId64 " org=%" PRId64
	    " purpose=%s", tenant, org, purpose);
}

/*
 * AES-256-GCM under the 32-byte key k: appends nonce | ciphertext | tag
 * to out.  0 or -1.
 */
static int
gcm_seal(const unsigned char *k, const struct buf *aad, const void *pt,
    size_t ptlen, struct buf *out)
{
	EVP_CIPHER_CTX	*ctx;
	unsigned char	 nonce[SEAL_NONCE_LEN], tag[SEAL_TAG_LEN];
	unsigned char	*ct = NULL;
	int		 n, fin, rc = -1;

	if (ptlen > 65536 || rand_bytes(nonce, sizeof(nonce)) != 0)
		return -1;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	ct = xmalloc(ptlen + 16);
	if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SEAL_NONCE_LEN,
	    NULL) != 1 ||
	    EVP_EncryptInit_ex(ctx, NULL, NULL, k, nonce) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &n, (const unsigned char *)aad->p,
	    (int)aad->len) != 1 ||
	    EVP_EncryptUpdate(ctx, ct, &n, pt, (int)ptlen) != 1 ||
	    EVP_EncryptFinal_ex(ctx, ct + n, &fin) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SEAL_TAG_LEN,
	    tag) != 1)
		goto out;
	buf_add(out, nonce, sizeof(nonce));
	buf_add(out, ct, (size_t)(n + fin));
	buf_add(out, tag, sizeof(tag));
	rc = 0;
out:
	wipe(ct, ptlen + 16);
	free(ct);
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

/* Opens nonce | ciphertext | tag (len bytes) under k into pt.  0 or -1. */
static int
gcm_open(const unsigned char *k, const struct buf *aad,
    const unsigned char *b, size_t len, struct buf *pt)
{
	EVP_CIPHER_CTX		*ctx;
	unsigned char		*out = NULL;
	size_t			 ctlen;
	int			 n, fin, rc = -1;

	if (len < SEAL_NONCE_LEN + SEAL_TAG_LEN)
		return -1;
	ctlen = len - SEAL_NONCE_LEN - SEAL_TAG_LEN;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	out = xmalloc(ctlen + 16);
	if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SEAL_NONCE_LEN,
	    NULL) != 1 ||
	    EVP_DecryptInit_ex(ctx, NULL, NULL, k, b) != 1 ||
	    EVP_DecryptUpdate(ctx, NULL, &n, (const unsigned char *)aad->p,
	    (int)aad->len) != 1 ||
	    EVP_DecryptUpdate(ctx, out, &n, b + SEAL_NONCE_LEN,
	    (int)ctlen) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SEAL_TAG_LEN,
	    (void *)(b + len - SEAL_TAG_LEN)) != 1 ||
	    EVP_DecryptFinal_ex(ctx, out + n, &fin) != 1)
		goto out;
	buf_add(pt, out, (size_t)(n + fin));
	rc = 0;
out:
	wipe(out, ctlen + 16);
	free(out);
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

int
seal(const struct seal_key *key, const struct buf *aad, const void *pt,
    size_t ptlen, struct buf *out)
{
	unsigned char	 version = 1;
	size_t		 mark = out->len;

	buf_add(out, &version, 1);
	if (gcm_seal(key->k, aad, pt, ptlen, out) != 0) {
		out->len = mark;
		return -1;
	}
	return 0;
}

int
seal_open(const struct seal_key *key, const struct buf *aad,
    const void *blob, size_t bloblen, struct buf *pt)
{
	const unsigned char	*b = blob;

	if (bloblen < SEAL_OVERHEAD || b[0] != 1)
		return -1;
	return gcm_open(key->k, aad, b + 1, bloblen - 1, pt);
}

int
seal_keypair(unsigned char priv[SEAL_X25519_LEN],
    unsigned char pub[SEAL_X25519_LEN])
{
	EVP_PKEY_CTX	*ctx;
	EVP_PKEY	*k = NULL;
	size_t		 n = SEAL_X25519_LEN, m = SEAL_X25519_LEN;
	int		 rc = -1;

	if ((ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, NULL)) == NULL)
		return -1;
	if (EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_keygen(ctx, &k) == 1 &&
	    EVP_PKEY_get_raw_private_key(k, priv, &n) == 1 &&
	    EVP_PKEY_get_raw_public_key(k, pub, &m) == 1 &&
	    n == SEAL_X25519_LEN && m == SEAL_X25519_LEN)
		rc = 0;
	EVP_PKEY_free(k);
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

int
seal_public_of(const unsigned char priv[SEAL_X25519_LEN],
    unsigned char pub[SEAL_X25519_LEN])
{
	EVP_PKEY	*k;
	size_t		 n = SEAL_X25519_LEN;
	int		 rc;

	if ((k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv,
	    SEAL_X25519_LEN)) == NULL)
		return -1;
	rc = EVP_PKEY_get_raw_public_key(k, pub, &n) == 1 &&
	    n == SEAL_X25519_LEN ? 0 : -1;
	EVP_PKEY_free(k);
	return rc;
}

/*
 * The AES key of a sealed box: HKDF-SHA256 over X25519(priv, peer),
 * salt = the ephemeral public key then the recipient's, fixed info.
 */
static int
box_key(const unsigned char priv[SEAL_X25519_LEN],
    const unsigned char peer[SEAL_X25519_LEN],
    const unsigned char eph_pub[SEAL_X25519_LEN],
    const unsigned char to_pub[SEAL_X25519_LEN], unsigned char out[32])
{
	static const char	 info[] = "orgaudit seal/v2 AES-256-GCM";
	EVP_PKEY		*a = NULL, *b = NULL;
	EVP_PKEY_CTX		*dctx = NULL, *kctx = NULL;
	unsigned char		 shared[SEAL_X25519_LEN], salt[64];
	size_t			 n = sizeof(shared), outlen = 32;
	int			 rc = -1;

	memcpy(salt, eph_pub, SEAL_X25519_LEN);
	memcpy(salt + SEAL_X25519_LEN, to_pub, SEAL_X25519_LEN);
	if ((a = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv,
	    SEAL_X25519_LEN)) == NULL || (b = EVP_PKEY_new_raw_public_key(
	    EVP_PKEY_X25519, NULL, peer, SEAL_X25519_LEN)) == NULL ||
	    (dctx = EVP_PKEY_CTX_new(a, NULL)) == NULL ||
	    EVP_PKEY_derive_init(dctx) != 1 ||
	    EVP_PKEY_derive_set_peer(dctx, b) != 1 ||
	    EVP_PKEY_derive(dctx, shared, &n) != 1 || n != sizeof(shared))
		goto out;
	if ((kctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL)) == NULL ||
	    EVP_PKEY_derive_init(kctx) != 1 ||
	    EVP_PKEY_CTX_set_hkdf_md(kctx, EVP_sha256()) != 1 ||
	    EVP_PKEY_CTX_set1_hkdf_salt(kctx, salt, sizeof(salt)) != 1 ||
	    EVP_PKEY_CTX_set1_hkdf_key(kctx, shared, sizeof(shared)) != 1 ||
	    EVP_PKEY_CTX_add1_hkdf_info(kctx, (const unsigned char *)info,
	    sizeof(info) - 1) != 1 ||
	    EVP_PKEY_derive(kctx, out, &outlen) != 1 || outlen != 32)
		goto out;
	rc = 0;
out:
	wipe(shared, sizeof(shared));
	EVP_PKEY_CTX_free(kctx);
	EVP_PKEY_CTX_free(dctx);
	EVP_PKEY_free(b);
	EVP_PKEY_free(a);
	return rc;
}

int
seal_to(const unsigned char pub[SEAL_X25519_LEN], const struct buf *aad,
    const void *pt, size_t ptlen, struct buf *out)
{
	unsigned char	 eph[SEAL_X25519_LEN], eph_pub[SEAL_X25519_LEN];
	unsigned char	 k[32], version = 2;
	size_t		 mark = out->len;
	int		 rc = -1;

	if (seal_keypair(eph, eph_pub) != 0 ||
	    box_key(eph, pub, eph_pub, pub, k) != 0)
		goto out;
	buf_add(out, &version, 1);
	buf_add(out, eph_pub, sizeof(eph_pub));
	if (gcm_seal(k, aad, pt, ptlen, out) != 0) {
		out->len = mark;
		goto out;
	}
	rc = 0;
out:
	wipe(eph, sizeof(eph));
	wipe(k, sizeof(k));
	return rc;
}

int
seal_open_with(const unsigned char priv[SEAL_X25519_LEN],
    const struct buf *aad, const void *blob, size_t bloblen, struct buf *pt)
{
	const unsigned char	*b = blob;
	unsigned char		 pub[SEAL_X25519_LEN], k[32];
	int			 rc = -1;

	if (bloblen < SEAL_BOX_OVERHEAD || b[0] != 2 ||
	    seal_public_of(priv, pub) != 0 ||
	    box_key(priv, b + 1, b + 1, pub, k) != 0)
		goto out;
	rc = gcm_open(k, aad, b + 1 + SEAL_X25519_LEN, bloblen - 1 -
	    SEAL_X25519_LEN, pt);
out:
	wipe(k, sizeof(k));
	return rc;
}
