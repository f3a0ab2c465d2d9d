/*
 * vault.h: where sealing meets the database.  A tenant's data key is
 * stored wrapped by the master key; an org's admin key is stored sealed
 * by its tenant's data key with associated data naming tenant, org and
 * purpose.  Plaintext keys exist only in memory, in buffers that are
 * wiped when freed.
 */
#ifndef ORGAUDIT_VAULT_H
#define ORGAUDIT_VAULT_H

#include <stdint.h>

#include "conf.h"
#include "db.h"
#include "seal.h"

/* Makes and stores a new data key for tenant.  0 or -1 with err. */
int	 vault_tenant_key_create(struct db *db, const struct seal_key *master,
	    int64_t tenant, char *err, size_t errlen);
/* Unwraps the tenant's data key into dk (caller wipes it). */
int	 vault_tenant_key(struct db *db, const struct seal_key *master,
	    int64_t tenant, struct seal_key *dk, char *err, size_t errlen);
/* Seals key for (tenant, org) under dk; appends the blob to out. */
int	 vault_seal_admin_key(const struct seal_key *dk, int64_t tenant,
	    int64_t org, const char *key, struct buf *out);
/*
 * Loads the master key from the configuration, then opens org's admin
 * key into key (a buffer the caller must buf_free()).  Sets *tenant as
 * soon as the org is found, even if the key then does not open.
 */
int	 vault_open_admin_key(struct db *db, const struct conf *c, int64_t org,
	    int64_t *tenant, struct buf *key, char *err, size_t errlen);
/*
 * Re-wraps every tenant data key from old to new master key in one
 * transaction.  Returns the number of keys re-wrapped, or -1.
 */
long	 vault_rotate(struct db *db, const struct seal_key *old_master,
	    const struct seal_key *new_master, char *err, size_t errlen);

#endif
