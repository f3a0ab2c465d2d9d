/*
 * seal.h: AES-256-GCM envelope encryption for admin keys.
 *
 * A master key (32 random bytes in a 0600 file) wraps one data key per
 * tenant; the data key seals each org's admin key.  Every seal uses a
 * fresh random 96-bit nonce and binds its context as associated data, so
 * a sealed blob moved to another tenant, org or purpose fails to open.
 *
 * Blob layout: version (1 byte, 1) | nonce (12) | ciphertext | tag (16).
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

#define SEAL_PURPOSE_DATA_KEY	"data-key"
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

#endif
