/*
 * seal.h: envelope encryption for admin keys and other secrets.
 *
 * A master key (32 random bytes in a 0600 file) wraps one X25519 private
 * key per tenant (seal()); anything may seal a secret to the tenant's
 * public key (seal_to(): an ephemeral X25519 key, HKDF-SHA256, AES-256-
 * GCM), but only a holder of the master key opens it.  So the web seals
 * a pasted admin key without being able to open any.  Every seal uses a
 * fresh random 96-bit nonce and binds its context as associated data, so
 * a sealed blob moved to another tenant, org or purpose fails to open.
 *
 * Blob layouts: version 1 (symmetric): 1 | nonce (12) | ciphertext |
 * tag (16); version 2 (to a public key): 2 | ephemeral public key (32) |
 * nonce (12) | ciphertext | tag (16).
 */
#ifndef ORGAUDIT_SEAL_H
#define ORGAUDIT_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define SEAL_KEY_LEN	32
#define SEAL_NONCE_LEN	12
#define SEAL_TAG_LEN	16
#define SEAL_OVERHEAD	(1 + SEAL_NONCE_LEN + SEAL_TAG_LEN)
#define SEAL_KEY_ID_LEN	17	/* 16 hex + NUL */

#define SEAL_X25519_LEN	32
#define SEAL_BOX_OVERHEAD (1 + SEAL_X25519_LEN + SEAL_NONCE_LEN + SEAL_TAG_LEN)

#define SEAL_PURPOSE_DATA_KEY	"data-key"	/* version 1 tenant keys */
#define SEAL_PURPOSE_PRIVATE_KEY "tenant-private-key"
#define SEAL_PURPOSE_ADMIN_KEY	"openai-admin-key"

/* A key and its public identifier (hex of SHA-256(key)[0..8)). */
struct seal_key {
	unsigned char	 k[SEAL_KEY_LEN];
	char		 id[SEAL_KEY_ID_LEN];
};

/*
 * Loads the master key file: exactly 32 bytes, owner-only permissions.
 * On failure returns -1 with a message saying what to fix.
 */
int	 seal_master_load(const char *path, struct seal_key *out, char *err,
	    size_t errlen);
/* Creates a new master key file (never overwrites one), mode 0600. */
int	 seal_master_create(const char *path, char *err, size_t errlen);
/* Sets id from k. */
void	 seal_key_id(struct seal_key *key);
/* Wipes the key material. */
void	 seal_key_wipe(struct seal_key *key);

/* The associated data "orgaudit/v1 tenant=T org=O purpose=P" (org 0 = none). */
void	 seal_aad(struct buf *aad, int64_t tenant, int64_t org,
	    const char *purpose);

/* Seals pt under key with aad; appends the blob to out.  0 or -1. */
int	 seal(const struct seal_key *key, const struct buf *aad,
	    const void *pt, size_t ptlen, struct buf *out);
/*
 * Opens a blob; appends the plaintext to pt (a buffer the caller wipes
 * with buf_free).  Returns -1 if the blob is malformed or was altered, or
 * the key or context differ.
 */
int	 seal_open(const struct seal_key *key, const struct buf *aad,
	    const void *blob, size_t bloblen, struct buf *pt);

/* A new X25519 key pair.  0 or -1. */
int	 seal_keypair(unsigned char priv[SEAL_X25519_LEN],
	    unsigned char pub[SEAL_X25519_LEN]);
/* The public half of an X25519 private key.  0 or -1. */
int	 seal_public_of(const unsigned char priv[SEAL_X25519_LEN],
	    unsigned char pub[SEAL_X25519_LEN]);
/* Seals pt to the public key pub with aad; appends a version 2 blob. */
int	 seal_to(const unsigned char pub[SEAL_X25519_LEN],
	    const struct buf *aad, const void *pt, size_t ptlen,
	    struct buf *out);
/* Opens a version 2 blob with the private key; as seal_open(). */
int	 seal_open_with(const unsigned char priv[SEAL_X25519_LEN],
	    const struct buf *aad, const void *blob, size_t bloblen,
	    struct buf *pt);

#endif
