/*
 * vault.h: where sealing meets the database.  A tenant's X25519 private
 * key is stored wrapped by the master key, its public key beside it; a
 * secret (an org's admin key, a webhook's) is stored sealed to the
 * public key with associated data naming tenant, org and purpose.
 * Sealing needs only the public key; opening needs the master key,
 * which the web never has.  Plaintext exists only in memory, in buffers
 * wiped when freed.
 */
#ifndef ORGAUDIT_VAULT_H
#define ORGAUDIT_VAULT_H

#include <stdint.h>

#include "conf.h"
#include "db.h"
#include "seal.h"

/*
 * Makes and stores the tenant's key pair: the X25519 private key wrapped
 * by the master key, the public key beside it.  0 or -1 with err.
 */
int	 vault_tenant_key_create(struct db *db, const struct seal_key *master,
	    int64_t tenant, char *err, size_t errlen);
/*
 * Seals len bytes of secret for (tenant, org, purpose) to the tenant's
 * public key; appends the blob to out.  Needs no master key: the web
 * calls it.  0, or -1 with err.
 */
int	 vault_seal(struct db *db, int64_t tenant, int64_t org,
	    const char *purpose, const void *secret, size_t len,
	    struct buf *out, char *err, size_t errlen);
/*
 * Opens a blob vault_seal() made, with the master key of c; appends the
 * plaintext to pt (the caller wipes it with buf_free).  0 or -1 with err.
 */
int	 vault_open(struct db *db, const struct conf *c, int64_t tenant,
	    int64_t org, const char *purpose, const void *blob, size_t len,
	    struct buf *pt, char *err, size_t errlen);
/* vault_seal() of an org's admin key. */
int	 vault_seal_admin_key(struct db *db, int64_t tenant, int64_t org,
	    const char *key, struct buf *out, char *err, size_t errlen);
/*
 * Opens org's admin key into key (a buffer the caller must buf_free()).
 * Sets *tenant as soon as the org is found, even if the key then does
 * not open.
 */
int	 vault_open_admin_key(struct db *db, const struct conf *c, int64_t org,
	    int64_t *tenant, struct buf *key, char *err, size_t errlen);
/*
 * Re-wraps every tenant key from old to new master key in one
 * transaction.  Returns the number of keys re-wrapped, or -1.
 */
long	 vault_rotate(struct db *db, const struct seal_key *old_master,
	    const struct seal_key *new_master, char *err, size_t errlen);
/*
 * Moves every tenant whose key is still a data key (scheme 1) to a key
 * pair, re-sealing its admin keys, a tenant per transaction.  Returns
 * the number of admin keys re-sealed (*tenants: tenants moved), or -1.
 */
long	 vault_upgrade(struct db *db, const struct conf *c, long *tenants,
	    char *err, size_t errlen);

#endif
