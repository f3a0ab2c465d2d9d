/*
 * sign.c: see sign.h.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "sign.h"
#include "util.h"

struct signer {
	EVP_PKEY	*key;
	bool		 can_sign;	/* the private key is loaded */
	char		*pub_pem;
	char		 fp[SIGN_FP_LEN + 1];
};

/* The fingerprint of a public key: SHA-256 of its SPKI DER, in hex. */
static int
fingerprint(EVP_PKEY *k, char fp[SIGN_FP_LEN + 1])
{
	unsigned char	*der = NULL, md[32];
	int		 n;

	if ((n = i2d_PUBKEY(k, &der)) <= 0)
		return -1;
	sha256_2(der, (size_t)n, NULL, 0, md);
	OPENSSL_free(der);
	hex_encode(md, sizeof(md), fp);
	return 0;
}

int
sign_keygen(const char *path, bool force, char *err, size_t errlen)
{
	EVP_PKEY	*k = NULL;
	BIO		*b = NULL;
	char		*pem = NULL, tmp[4096];
	long		 n = 0;
	int		 fd = -1, rc = -1;

	if (!force && access(path, F_OK) == 0) {
		snprintf(err, errlen, "%s exists; a new key makes every pack "
		    "signed so far need the old public key (use --force to "
		    "replace it)", path);
		return -1;
	}
	if ((k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL ||
	    (b = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) ||
	    (n = BIO_get_mem_data(b, &pem)) <= 0) {
		snprintf(err, errlen, "OpenSSL cannot make an Ed25519 key");
		goto out;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >=
	    sizeof(tmp)) {
		snprintf(err, errlen, "the path is too long");
		goto out;
	}
	unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0 ||
	    write(fd, pem, (size_t)n) != n || fsync(fd) != 0 ||
	    close(fd) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", tmp,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		goto out;
	}
	/* Without force, link() refuses a key made meanwhile. */
	if ((force ? rename(tmp, path) : link(tmp, path)) != 0) {
		if (errno == EEXIST)
			snprintf(err, errlen, "%s exists (use --force to "
			    "replace it)", path);
		else
			snprintf(err, errlen, "cannot move %s to %s: %s", tmp,
			    path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (!force)
		unlink(tmp);
	rc = 0;
out:
	if (pem != NULL)
		OPENSSL_cleanse(pem, n > 0 ? (size_t)n : 0);
	BIO_free(b);
	EVP_PKEY_free(k);
	return rc;
}

struct signer *
sign_load(const char *path, char *err, size_t errlen)
{
	struct signer	*s;
	struct stat	 sb;
	FILE		*f;
	BIO		*b;
	char		*pem;
	long		 n;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "cannot read the signing key %s: %s "
		    "(make one with 'orgaudit keygen')", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &sb) == 0 && (sb.st_mode & 077) != 0) {
		snprintf(err, errlen, "the signing key %s may be read by "
		    "others (mode %03o); chmod 600 it", path,
		    (unsigned)(sb.st_mode & 0777));
		fclose(f);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (s->key == NULL || EVP_PKEY_get_id(s->key) != EVP_PKEY_ED25519) {
		snprintf(err, errlen, "%s does not hold an Ed25519 private "
		    "key", path);
		sign_free(s);
		return NULL;
	}
	if ((b = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_PUBKEY(b, s->key) ||
	    (n = BIO_get_mem_data(b, &pem)) <= 0 ||
	    fingerprint(s->key, s->fp) != 0) {
		BIO_free(b);
		snprintf(err, errlen, "cannot derive the public key");
		sign_free(s);
		return NULL;
	}
	s->pub_pem = xstrndup(pem, (size_t)n);
	s->can_sign = true;
	BIO_free(b);
	return s;
}

struct signer *
sign_load_public(const char *path, char *err, size_t errlen)
{
	struct signer	*s;
	struct buf	 pem = { 0 };
	char		 fp[SIGN_FP_LEN + 1];
	unsigned char	 nosig[SIGN_LEN] = { 0 };

	if (file_read(path, 64 * 1024, &pem) != 0) {
		snprintf(err, errlen, "cannot read the signing public key %s "
		    "(written by 'orgaudit keygen')", path);
		return NULL;
	}
	if (sign_verify(pem.p, pem.len, "", 0, nosig, SIGN_LEN, fp) < 0) {
		snprintf(err, errlen, "%s does not hold an Ed25519 public key",
		    path);
		buf_free(&pem);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->pub_pem = xstrndup(pem.p, pem.len);
	memcpy(s->fp, fp, sizeof(fp));
	buf_free(&pem);
	return s;
}

int
sign_write_public(const struct signer *s, const char *path, char *err,
    size_t errlen)
{
	char	 tmp[4096];
	size_t	 n = strlen(s->pub_pem);
	int	 fd;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >=
	    sizeof(tmp)) {
		snprintf(err, errlen, "the path is too long");
		return -1;
	}
	unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644)) < 0 ||
	    fchmod(fd, 0644) != 0 || write(fd, s->pub_pem, n) != (ssize_t)n ||
	    fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		return -1;
	}
	return 0;
}

void
sign_free(struct signer *s)
{
	if (s == NULL)
		return;
	EVP_PKEY_free(s->key);
	free(s->pub_pem);
	free(s);
}

int
sign_message(const struct signer *s, const void *msg, size_t len,
    unsigned char sig[SIGN_LEN])
{
	EVP_MD_CTX	*ctx;
	size_t		 n = SIGN_LEN;
	int		 ok;

	if (!s->can_sign || (ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	ok = EVP_DigestSignInit(ctx, NULL, NULL, NULL, s->key) == 1 &&
	    EVP_DigestSign(ctx, sig, &n, msg, len) == 1 && n == SIGN_LEN;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

const char *
sign_public_pem(const struct signer *s)
{
	return s->pub_pem;
}

const char *
sign_fingerprint(const struct signer *s)
{
	return s->fp;
}

int
sign_verify(const char *pem, size_t len, const void *msg, size_t mlen,
    const unsigned char *sig, size_t siglen, char fp[SIGN_FP_LEN + 1])
{
	EVP_MD_CTX	*ctx;
	EVP_PKEY	*k;
	BIO		*b;
	int		 ok;

	fp[0] = '\0';
	if (len > INT32_MAX || (b = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return -1;
	k = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
	BIO_free(b);
	if (k == NULL || EVP_PKEY_get_id(k) != EVP_PKEY_ED25519 ||
	    fingerprint(k, fp) != 0) {
		EVP_PKEY_free(k);
		return -1;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL) {
		EVP_PKEY_free(k);
		return -1;
	}
	ok = siglen == SIGN_LEN &&
	    EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k) == 1 &&
	    EVP_DigestVerify(ctx, sig, siglen, msg, mlen) == 1;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(k);
	return ok ? 1 : 0;
}
