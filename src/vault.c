/*
 * vault.c: see vault.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "vault.h"

/* The purpose a tenant key of this scheme is wrapped under. */
static const char *
wrap_purpose(int scheme)
{
	return scheme == 1 ? SEAL_PURPOSE_DATA_KEY : SEAL_PURPOSE_PRIVATE_KEY;
}

/* A new key pair for tenant: the private half wrapped, the public half. */
static int
tenant_keypair(const struct seal_key *master, int64_t tenant,
    struct buf *wrapped, unsigned char pub[SEAL_X25519_LEN])
{
	unsigned char	 priv[SEAL_X25519_LEN];
	struct buf	 aad = { 0 };
	int		 rc = -1;

	if (seal_keypair(priv, pub) != 0)
		goto out;
	seal_aad(&aad, tenant, 0, SEAL_PURPOSE_PRIVATE_KEY);
	rc = seal(master, &aad, priv, sizeof(priv), wrapped);
out:
	wipe(priv, sizeof(priv));
	buf_free(&aad);
	return rc;
}

int
vault_tenant_key_create(struct db *db, const struct seal_key *master,
    int64_t tenant, char *err, size_t errlen)
{
	unsigned char	 pub[SEAL_X25519_LEN];
	struct buf	 blob = { 0 };
	int		 rc = -1;

	if (tenant_keypair(master, tenant, &blob, pub) != 0) {
		snprintf(err, errlen, "cannot make the tenant's key pair");
		goto out;
	}
	if (DB_EXEC(db, SQL_TENANT_KEY_ADD, DV_I(tenant), DV_S(master->id),
	    DV_B(blob.p, blob.len), DV_I(now_s()), DV_B(pub,
	    sizeof(pub))) != 0) {
		snprintf(err, errlen, "cannot store the tenant's key: %s",
		    db_error(db));
		goto out;
	}
	rc = 0;
out:
	buf_free(&blob);
	return rc;
}

struct wrapped {
	char		 master_id[SEAL_KEY_ID_LEN];
	struct buf	 blob;
	int		 scheme;
	int		 found;
};

static int
wrapped_row(const struct db_row *r, void *arg)
{
	struct wrapped	*w = arg;

	snprintf(w->master_id, sizeof(w->master_id), "%s", db_row_str(r, 0));
	buf_add(&w->blob, r->v[1], r->len[1]);
	w->scheme = (int)db_row_int(r, 2);
	w->found = 1;
	return 1;
}

/*
 * Unwraps the tenant's key (scheme 1: the data key; scheme 2: the X25519
 * private key) into out (caller wipes), its scheme into *scheme.
 */
static int
tenant_unwrap(struct db *db, const struct seal_key *master, int64_t tenant,
    unsigned char out[SEAL_KEY_LEN], int *scheme, char *err, size_t errlen)
{
	struct wrapped	 w = { .found = 0 };
	struct buf	 aad = { 0 }, pt = { 0 };
	int		 rc = -1;

	if (DB_QUERY(db, SQL_TENANT_KEY_GET, wrapped_row, &w,
	    DV_I(tenant)) < 0) {
		snprintf(err, errlen, "cannot read the tenant's key: %s",
		    db_error(db));
		goto out;
	}
	if (!w.found) {
		snprintf(err, errlen, "tenant %lld has no key",
		    (long long)tenant);
		goto out;
	}
	if (strcmp(w.master_id, master->id) != 0) {
		snprintf(err, errlen, "tenant %lld's key is wrapped by master "
		    "key %s, but the configured master key is %s; point "
		    "master_key_file at the right key", (long long)tenant,
		    w.master_id, master->id);
		goto out;
	}
	seal_aad(&aad, tenant, 0, wrap_purpose(w.scheme));
	if (seal_open(master, &aad, w.blob.p, w.blob.len, &pt) != 0 ||
	    pt.len != SEAL_KEY_LEN) {
		snprintf(err, errlen, "tenant %lld's key does not open with the "
		    "master key: it was altered or belongs elsewhere",
		    (long long)tenant);
		goto out;
	}
	memcpy(out, pt.p, SEAL_KEY_LEN);
	*scheme = w.scheme;
	rc = 0;
out:
	buf_free(&w.blob);
	buf_free(&aad);
	buf_free(&pt);
	return rc;
}

int
vault_seal(struct db *db, int64_t tenant, int64_t org, const char *purpose,
    const void *secret, size_t len, struct buf *out, char *err,
    size_t errlen)
{
	unsigned char	 pub[SEAL_X25519_LEN];
	struct buf	 aad = { 0 }, got = { 0 };
	long		 n;
	int		 rc = -1;

	n = DB_QUERY(db, SQL_TENANT_PUBLIC_KEY, db_row_first_bytes, &got,
	    DV_I(tenant));
	if (n < 0) {
		snprintf(err, errlen, "cannot read the tenant's public key: %s",
		    db_error(db));
		goto out;
	}
	if (n == 0 || got.len != sizeof(pub)) {
		snprintf(err, errlen, "tenant %lld has no public key yet: run "
		    "'orgaudit migrate' where the master key is",
		    (long long)tenant);
		goto out;
	}
	memcpy(pub, got.p, sizeof(pub));
	seal_aad(&aad, tenant, org, purpose);
	if (seal_to(pub, &aad, secret, len, out) != 0) {
		snprintf(err, errlen, "cannot seal the secret");
		goto out;
	}
	rc = 0;
out:
	buf_free(&aad);
	buf_free(&got);
	return rc;
}

int
vault_open(struct db *db, const struct conf *c, int64_t tenant, int64_t org,
    const char *purpose, const void *blob, size_t len, struct buf *pt,
    char *err, size_t errlen)
{
	struct seal_key	 master;
	unsigned char	 priv[SEAL_KEY_LEN];
	struct buf	 aad = { 0 };
	char		 why[384];
	int		 scheme = 0, rc = -1;

	memset(&master, 0, sizeof(master));
	if (seal_master_load(c->master_key_file, &master, why,
	    sizeof(why)) != 0) {
		snprintf(err, errlen, "%s", why);
		goto out;
	}
	if (tenant_unwrap(db, &master, tenant, priv, &scheme, why,
	    sizeof(why)) != 0) {
		snprintf(err, errlen, "%s", why);
		goto out;
	}
	if (scheme != 2) {
		snprintf(err, errlen, "tenant %lld's key is of the old kind: "
		    "run 'orgaudit migrate'", (long long)tenant);
		goto out;
	}
	seal_aad(&aad, tenant, org, purpose);
	if (seal_open_with(priv, &aad, blob, len, pt) != 0) {
		snprintf(err, errlen, "a sealed secret of tenant %lld does not "
		    "open: it was altered or moved", (long long)tenant);
		goto out;
	}
	rc = 0;
out:
	wipe(priv, sizeof(priv));
	seal_key_wipe(&master);
	buf_free(&aad);
	return rc;
}

int
vault_seal_admin_key(struct db *db, int64_t tenant, int64_t org,
    const char *key, struct buf *out, char *err, size_t errlen)
{
	return vault_seal(db, tenant, org, SEAL_PURPOSE_ADMIN_KEY, key,
	    strlen(key), out, err, errlen);
}

struct sealed {
	int64_t		 tenant;
	struct buf	 blob;
	char		 status[17];
	int		 found;
};

static int
sealed_row(const struct db_row *r, void *arg)
{
	struct sealed	*s = arg;

	s->tenant = db_row_int(r, 0);
	buf_add(&s->blob, r->v[1], r->len[1]);
	snprintf(s->status, sizeof(s->status), "%s", db_row_str(r, 2));
	s->found = 1;
	return 1;
}

int
vault_open_admin_key(struct db *db, const struct conf *c, int64_t org,
    int64_t *tenant, struct buf *key, char *err, size_t errlen)
{
	struct sealed	 s = { .found = 0 };
	char		 why[384];
	int		 rc = -1;

	if (DB_QUERY(db, SQL_ORG_SEALED, sealed_row, &s, DV_I(org)) < 0) {
		snprintf(err, errlen, "cannot read org %lld: %s",
		    (long long)org, db_error(db));
		goto out;
	}
	if (!s.found) {
		snprintf(err, errlen, "no org %lld", (long long)org);
		goto out;
	}
	*tenant = s.tenant;
	if (vault_open(db, c, s.tenant, org, SEAL_PURPOSE_ADMIN_KEY, s.blob.p,
	    s.blob.len, key, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "org %lld's admin key: %s; reconnect the "
		    "org if it was altered", (long long)org, why);
		goto out;
	}
	rc = 0;
out:
	buf_free(&s.blob);
	return rc;
}

/* Sealed blobs read for re-sealing, each with its tenant's or org's id. */
struct reseal {
	int64_t		*ids;
	struct buf	*blobs;
	size_t		 n;
};

/* A new slot for id's blob, empty. */
static struct buf *
reseal_add(struct reseal *x, int64_t id)
{
	x->ids = xrealloc(x->ids, (x->n + 1) * sizeof(*x->ids));
	x->blobs = xrealloc(x->blobs, (x->n + 1) * sizeof(*x->blobs));
	x->ids[x->n] = id;
	memset(&x->blobs[x->n], 0, sizeof(x->blobs[x->n]));
	return &x->blobs[x->n++];
}

/* Frees what x holds (the blobs wiped) and leaves it empty. */
static void
reseal_clear(struct reseal *x)
{
	size_t	 i;

	for (i = 0; i < x->n; i++)
		buf_free(&x->blobs[i]);
	free(x->blobs);
	free(x->ids);
	memset(x, 0, sizeof(*x));
}

struct rewrap {
	struct db		*db;
	const struct seal_key	*old, *new;
	struct reseal		 keys;	/* by tenant */
	int			 failed;
	char			*err;
	size_t			 errlen;
};

static int
rewrap_row(const struct db_row *r, void *arg)
{
	struct rewrap	*rw = arg;
	struct buf	 aad = { 0 }, pt = { 0 }, blob = { 0 };
	int64_t		 tenant = db_row_int(r, 0);

	if (strcmp(db_row_str(r, 1), rw->old->id) != 0) {
		snprintf(rw->err, rw->errlen, "tenant %lld's key is wrapped by "
		    "master key %s, not by the old key %s", (long long)tenant,
		    db_row_str(r, 1), rw->old->id);
		rw->failed = 1;
		return 1;
	}
	seal_aad(&aad, tenant, 0, wrap_purpose((int)db_row_int(r, 3)));
	if (seal_open(rw->old, &aad, r->v[2], r->len[2], &pt) != 0 ||
	    seal(rw->new, &aad, pt.p, pt.len, &blob) != 0) {
		snprintf(rw->err, rw->errlen, "tenant %lld's key does not open "
		    "with the old master key", (long long)tenant);
		rw->failed = 1;
	} else
		*reseal_add(&rw->keys, tenant) = blob;
	buf_free(&aad);
	buf_free(&pt);
	return rw->failed;
}

/* The rotation's transaction: read (and lock) every tenant key, store
 * each re-wrapped; run again whole after a conflict. */
static int
rotate_tx(struct db *db, void *arg)
{
	struct rewrap	*rw = arg;
	size_t		 i;

	reseal_clear(&rw->keys);
	rw->failed = 0;
	rw->err[0] = '\0';
	/* Read all first: the connection serves one query. */
	if (DB_QUERY(db, SQL_TENANT_KEY_ALL, rewrap_row, rw) < 0)
		return -1;
	if (rw->failed)
		return 1;
	for (i = 0; i < rw->keys.n; i++) {
		if (DB_EXEC(db, SQL_TENANT_KEY_REWRAP, DV_S(rw->new->id),
		    DV_B(rw->keys.blobs[i].p, rw->keys.blobs[i].len),
		    DV_I(now_s()), DV_I(rw->keys.ids[i]),
		    DV_S(rw->old->id)) != 0)
			return -1;
		if (db_affected(db) != 1) {
			snprintf(rw->err, rw->errlen, "tenant %lld's key "
			    "changed during the rotation; run it again",
			    (long long)rw->keys.ids[i]);
			return 1;
		}
	}
	return 0;
}

long
vault_rotate(struct db *db, const struct seal_key *old_master,
    const struct seal_key *new_master, char *err, size_t errlen)
{
	struct rewrap	 rw = { db, old_master, new_master, { NULL, NULL, 0 },
	    0, err, errlen };
	long		 rc = -1;

	if (db_tx(db, rotate_tx, &rw) == 0)
		rc = (long)rw.keys.n;
	else if (err[0] == '\0')
		snprintf(err, errlen, "cannot store the re-wrapped keys: %s",
		    db_error(db));
	reseal_clear(&rw.keys);
	return rc;
}

/* An org's sealed key, read for re-sealing. */
static int
resealed_row(const struct db_row *r, void *arg)
{
	buf_add(reseal_add(arg, db_row_int(r, 0)), r->v[1], r->len[1]);
	return 0;
}

struct upgrade {
	const struct seal_key	*master;
	int64_t			 tenant;
	struct reseal		 x;	/* the orgs' admin keys */
	long			 n;	/* keys re-sealed */
	char			*err;
	size_t			 errlen;
};

/*
 * One tenant from scheme 1 to 2, as one transaction: a key pair, every
 * org's admin key opened with the old data key and sealed to the new
 * public key.  Run again whole after a conflict; a tenant found upgraded
 * meanwhile is left as it is (u->n stays 0).
 */
static int
upgrade_tx(struct db *db, void *arg)
{
	struct upgrade	*u = arg;
	struct seal_key	 dk;
	unsigned char	 pub[SEAL_X25519_LEN];
	struct buf	 wrapped = { 0 }, aad = { 0 }, pt = { 0 }, blob = { 0 };
	int		 rc = -1, scheme = 0;
	size_t		 i;

	reseal_clear(&u->x);
	u->n = 0;
	u->err[0] = '\0';
	memset(&dk, 0, sizeof(dk));
	if (tenant_unwrap(db, u->master, u->tenant, dk.k, &scheme, u->err,
	    u->errlen) != 0)
		goto out;
	if (scheme != 1) {
		rc = 0;		/* done meanwhile */
		goto out;
	}
	if (DB_QUERY(db, SQL_ORG_SEALED_OF_TENANT, resealed_row, &u->x,
	    DV_I(u->tenant)) < 0)
		goto out;
	if (tenant_keypair(u->master, u->tenant, &wrapped, pub) != 0) {
		snprintf(u->err, u->errlen, "tenant %lld: cannot make a key "
		    "pair", (long long)u->tenant);
		goto out;
	}
	for (i = 0; i < u->x.n; i++) {
		seal_aad(&aad, u->tenant, u->x.ids[i], SEAL_PURPOSE_ADMIN_KEY);
		buf_free(&pt);
		buf_reset(&blob);
		if (seal_open(&dk, &aad, u->x.blobs[i].p, u->x.blobs[i].len,
		    &pt) != 0 || seal_to(pub, &aad, pt.p, pt.len, &blob) != 0) {
			snprintf(u->err, u->errlen, "org %lld's admin key does "
			    "not open with tenant %lld's data key", (long long)
			    u->x.ids[i], (long long)u->tenant);
			rc = 1;
			goto out;
		}
		if (DB_EXEC(db, SQL_ORG_RESEAL, DV_B(blob.p, blob.len),
		    DV_I(u->x.ids[i]), DV_I(u->tenant)) != 0)
			goto out;
	}
	if (DB_EXEC(db, SQL_TENANT_KEY_UPGRADE, DV_B(wrapped.p, wrapped.len),
	    DV_B(pub, sizeof(pub)), DV_I(now_s()), DV_I(u->tenant)) != 0)
		goto out;
	u->n = (long)u->x.n;
	rc = 0;
out:
	seal_key_wipe(&dk);
	buf_free(&wrapped);
	buf_free(&aad);
	buf_free(&pt);
	buf_free(&blob);
	return rc;
}

/* Returns the number of keys re-sealed, or -1 with err set. */
static long
upgrade_tenant(struct db *db, const struct seal_key *master, int64_t tenant,
    char *err, size_t errlen)
{
	struct upgrade	 u = { master, tenant, { NULL, NULL, 0 }, 0, err,
	    errlen };
	long		 rc = -1;

	if (db_tx(db, upgrade_tx, &u) == 0)
		rc = u.n;
	else if (err[0] == '\0')
		snprintf(err, errlen, "tenant %lld: %s", (long long)tenant,
		    db_error(db));
	reseal_clear(&u.x);
	return rc;
}

static int
id_row(const struct db_row *r, void *arg)
{
	reseal_add(arg, db_row_int(r, 0));
	return 0;
}

long
vault_upgrade(struct db *db, const struct conf *c, long *tenants, char *err,
    size_t errlen)
{
	struct reseal	 t = { NULL, NULL, 0 };
	struct seal_key	 master;
	long		 keys = 0, n;
	size_t		 i;

	*tenants = 0;
	if (DB_QUERY(db, SQL_TENANT_KEY_V1, id_row, &t) < 0) {
		snprintf(err, errlen, "%s", db_error(db));
		return -1;
	}
	if (t.n == 0)
		return 0;
	if (seal_master_load(c->master_key_file, &master, err, errlen) != 0) {
		reseal_clear(&t);
		return -1;
	}
	for (i = 0; i < t.n; i++) {
		if ((n = upgrade_tenant(db, &master, t.ids[i], err,
		    errlen)) < 0) {
			keys = -1;
			break;
		}
		keys += n;
		(*tenants)++;
	}
	seal_key_wipe(&master);
	reseal_clear(&t);
	return keys;
}
