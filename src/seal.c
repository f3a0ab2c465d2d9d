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

int
seal(const struct seal_key *key, const struct buf *aad, const void *pt,
    size_t ptlen, struct buf *out)
{
	EVP_CIPHER_CTX	*ctx;
	unsigned char	 nonce[SEAL_NONCE_LEN], tag[SEAL_TAG_LEN];
	unsigned char	*ct = NULL;
	unsigned char	 version = 1;
	int		 n, fin, rc = -1;

	if (ptlen > 65536 || rand_bytes(nonce, sizeof(nonce)) != 0)
		return -1;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	ct = xmalloc(ptlen + 16);
	if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SEAL_NONCE_LEN,
	    NULL) != 1 ||
	    EVP_EncryptInit_ex(ctx, NULL, NULL, key->k, nonce) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &n, (const unsigned char *)aad->p,
	    (int)aad->len) != 1 ||
	    EVP_EncryptUpdate(ctx, ct, &n, pt, (int)ptlen) != 1 ||
	    EVP_EncryptFinal_ex(ctx, ct + n, &fin) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SEAL_TAG_LEN,
	    tag) != 1)
		goto out;
	buf_add(out, &version, 1);
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

int
seal_open(const struct seal_key *key, const struct buf *aad,
    const void *blob, size_t bloblen, struct buf *pt)
{
	const unsigned char	*b = blob;
	EVP_CIPHER_CTX		*ctx;
	unsigned char		*out = NULL;
	size_t			 ctlen;
	int			 n, fin, rc = -1;

	if (bloblen < SEAL_OVERHEAD || b[0] != 1)
		return -1;
	ctlen = bloblen - SEAL_OVERHEAD;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	out = xmalloc(ctlen + 16);
	if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SEAL_NONCE_LEN,
	    NULL) != 1 ||
	    EVP_DecryptInit_ex(ctx, NULL, NULL, key->k, b + 1) != 1 ||
	    EVP_DecryptUpdate(ctx, NULL, &n, (const unsigned char *)aad->p,
	    (int)aad->len) != 1 ||
	    EVP_DecryptUpdate(ctx, out, &n, b + 1 + SEAL_NONCE_LEN,
	    (int)ctlen) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SEAL_TAG_LEN,
	    (void *)(b + bloblen - SEAL_TAG_LEN)) != 1 ||
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
