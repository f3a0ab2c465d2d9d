/*
 * sign.h: the Ed25519 key that signs evidence packs.  The private key is
 * a PKCS#8 PEM file (mode 0600, made by 'orgaudit keygen'); the public
 * key is derived from it and published as an SPKI PEM, named by its
 * fingerprint: the SHA-256 of its DER encoding, in hex.
 */
#ifndef ORGAUDIT_SIGN_H
#define ORGAUDIT_SIGN_H

#include <stdbool.h>
#include <stddef.h>

#define SIGN_LEN	64
#define SIGN_FP_LEN	64

struct signer;

/*
 * Makes a new key at path (refusing to replace one unless force), mode
 * 0600.  0, or -1 with the reason in err.
 */
int		 sign_keygen(const char *path, bool force, char *err,
		    size_t errlen);
/* Loads the private key; NULL with the reason in err. */
struct signer	*sign_load(const char *path, char *err, size_t errlen);
/*
 * Loads only the public key (an SPKI PEM file): enough to show it and
 * its fingerprint, not to sign.  The web uses this.
 */
struct signer	*sign_load_public(const char *path, char *err,
		    size_t errlen);
/* Writes s's public key to path (mode 0644, replacing).  0 or -1. */
int		 sign_write_public(const struct signer *s, const char *path,
		    char *err, size_t errlen);
void		 sign_free(struct signer *s);
/* Signs msg (Ed25519, the message itself); 0 or -1 (also without the
 * private key). */
int		 sign_message(const struct signer *s, const void *msg,
		    size_t len, unsigned char sig[SIGN_LEN]);
/* The public key as PEM ("-----BEGIN PUBLIC KEY-----…"), and its name. */
const char	*sign_public_pem(const struct signer *s);
const char	*sign_fingerprint(const struct signer *s);

/*
 * Checks sig over msg with the Ed25519 public key in pem (len bytes);
 * writes the key's fingerprint into fp (SIGN_FP_LEN + 1) when it can be
 * read.  1 valid, 0 not valid, -1 when pem is not an Ed25519 public key.
 */
int		 sign_verify(const char *pem, size_t len, const void *msg,
		    size_t mlen, const unsigned char *sig, size_t siglen,
		    char fp[SIGN_FP_LEN + 1]);

#endif
