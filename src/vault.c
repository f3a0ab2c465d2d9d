/*
 * vault.c: see vault.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "vault.h"

int
vault_tenant_key_create(struct db *db, const struct seal_key *master,
    int64_t tenant, char *err, size_t errlen)
{
	struct seal_key	 dk;
	struct buf	 aad = { 0 }, blob = { 0 };
	int		 rc = -1;

	if (rand_bytes(dk.k, sizeof(dk.k)) != 0) {
		snprintf(err, errlen, "no randomness available");
		return -1;
	}
	seal_aad(&aad, tenant, 0, SEAL_PURPOSE_DATA_KEY);
	if (seal(master, &aad, dk.k, sizeof(dk.k), &blob) != 0) {
		snprintf(err, errlen, "cannot wrap the tenant data key");
		goto out;
	}
	if (DB_EXEC(db, SQL_TENANT_KEY_ADD, DV_I(tenant), DV_S(master->id),
	    DV_B(blob.p, blob.len), DV_I(now_s())) != 0) {
		snprintf(err, errlen, "cannot store the tenant data key: %s",
		    db_error(db));
		goto out;
	}
	rc = 0;
out:
	seal_key_wipe(&dk);
	buf_free(&aad);
	buf_free(&blob);
	return rc;
}

struct wrapped {
	char		 master_id[SEAL_KEY_ID_LEN];
	struct buf	 blob;
	int		 found;
};

static int
wrapped_row(const struct db_row *r, void *arg)
{
	struct wrapped	*w = arg;

	snprintf(w->master_id, sizeof(w->master_id), "%s", db_row_str(r, 0));
	buf_add(&w->blob, r->v[1], r->len[1]);
	w->found = 1;
	return 1;
}

int
vault_tenant_key(struct db *db, const struct seal_key *master,
    int64_t tenant, struct seal_key *dk, char *err, size_t errlen)
{
	struct wrapped	 w = { .found = 0 };
	struct buf	 aad = { 0 }, pt = { 0 };
	int		 rc = -1;

	if (DB_QUERY(db, SQL_TENANT_KEY_GET, wrapped_row, &w,
	    DV_I(tenant)) < 0) {
		snprintf(err, errlen, "cannot read the tenant data key: %s",
		    db_error(db));
		goto out;
	}
	if (!w.found) {
		snprintf(err, errlen, "tenant %lld has no data key",
		    (long long)tenant);
		goto out;
	}
	if (strcmp(w.master_id, master->id) != 0) {
		snprintf(err, errlen, "tenant %lld's data key is wrapped by "
		    "master key %s, but the configured master key is %s; "
		    "point master_key_file at the right key", (long long)tenant,
		    w.master_id, master->id);
		goto out;
	}
	seal_aad(&aad, tenant, 0, SEAL_PURPOSE_DATA_KEY);
	if (seal_open(master, &aad, w.blob.p, w.blob.len, &pt) != 0 ||
	    pt.len != sizeof(dk->k)) {
		snprintf(err, errlen, "tenant %lld's data key does not open "
		    "with the master key: it was altered or belongs elsewhere",
		    (long long)tenant);
		goto out;
	}
	memcpy(dk->k, pt.p, sizeof(dk->k));
	seal_key_id(dk);
	rc = 0;
out:
	buf_free(&w.blob);
	buf_free(&aad);
	buf_free(&pt);
	return rc;
}

int
vault_seal_admin_key(const struct seal_key *dk, int64_t tenant, int64_t org,
    const char *key, struct buf *out)
{
	struct buf	 aad = { 0 };
	int		 rc;

	seal_aad(&aad, tenant, org, SEAL_PURPOSE_ADMIN_KEY);
	rc = seal(dk, &aad, key, strlen(key), out);
	buf_free(&aad);
	return rc;
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
	struct seal_key	 master, dk;
	struct sealed	 s = { .found = 0 };
	struct buf	 aad = { 0 };
	char		 why[384];
	int		 rc = -1;

	memset(&dk, 0, sizeof(dk));
	memset(&master, 0, sizeof(master));
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
	if (seal_master_load(c->master_key_file, &master, why,
	    sizeof(why)) != 0) {
		snprintf(err, errlen, "%s", why);
		goto out;
	}
	if (vault_tenant_key(db, &master, s.tenant, &dk, why,
	    sizeof(why)) != 0) {
		snprintf(err, errlen, "%s", why);
		goto out;
	}
	seal_aad(&aad, s.tenant, org, SEAL_PURPOSE_ADMIN_KEY);
	if (seal_open(&dk, &aad, s.blob.p, s.blob.len, key) != 0) {
		snprintf(err, errlen, "org %lld's admin key does not open: it "
		    "was altered or moved; reconnect the org", (long long)org);
		goto out;
	}
	rc = 0;
out:
	seal_key_wipe(&master);
	seal_key_wipe(&dk);
	buf_free(&s.blob);
	buf_free(&aad);
	return rc;
}

struct rewrap {
	struct db		*db;
	const struct seal_key	*old, *new;
	int64_t			*tenants;
	struct buf		*blobs;
	size_t			 n;
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
		snprintf(rw->err, rw->errlen, "tenant %lld's data key is "
		    "wrapped by master key %s, not by the old key %s",
		    (long long)tenant, db_row_str(r, 1), rw->old->id);
		rw->failed = 1;
		return 1;
	}
	seal_aad(&aad, tenant, 0, SEAL_PURPOSE_DATA_KEY);
	if (seal_open(rw->old, &aad, r->v[2], r->len[2], &pt) != 0 ||
	    seal(rw->new, &aad, pt.p, pt.len, &blob) != 0) {
		snprintf(rw->err, rw->errlen, "tenant %lld's data key does not "
		    "open with the old master key", (long long)tenant);
		rw->failed = 1;
	} else {
		rw->tenants = xrealloc(rw->tenants, (rw->n + 1) *
		    sizeof(*rw->tenants));
		rw->blobs = xrealloc(rw->blobs, (rw->n + 1) *
		    sizeof(*rw->blobs));
		rw->tenants[rw->n] = tenant;
		rw->blobs[rw->n] = blob;
		rw->n++;
	}
	buf_free(&aad);
	buf_free(&pt);
	return rw->failed;
}

long
vault_rotate(struct db *db, const struct seal_key *old_master,
    const struct seal_key *new_master, char *err, size_t errlen)
{
	struct rewrap	 rw = { db, old_master, new_master, NULL, NULL, 0, 0,
	    err, errlen };
	long		 rc = -1;
	size_t		 i;

	if (db_begin(db) != 0) {
		snprintf(err, errlen, "%s", db_error(db));
		return -1;
	}
	/* Read (and lock) all first: the connection serves one query. */
	if (DB_QUERY(db, SQL_TENANT_KEY_ALL, rewrap_row, &rw) < 0) {
		snprintf(err, errlen, "%s", db_error(db));
		goto out;
	}
	if (rw.failed)
		goto out;
	for (i = 0; i < rw.n; i++)
		if (DB_EXEC(db, SQL_TENANT_KEY_REWRAP, DV_S(new_master->id),
		    DV_B(rw.blobs[i].p, rw.blobs[i].len), DV_I(now_s()),
		    DV_I(rw.tenants[i]), DV_S(old_master->id)) != 0 ||
		    db_affected(db) != 1) {
			snprintf(err, errlen, "cannot store tenant %lld's "
			    "re-wrapped key: %s", (long long)rw.tenants[i],
			    db_error(db));
			goto out;
		}
	if (db_commit(db) != 0) {
		snprintf(err, errlen, "%s", db_error(db));
		goto out;
	}
	rc = (long)rw.n;
out:
	if (rc < 0)
		db_rollback(db);
	for (i = 0; i < rw.n; i++)
		buf_free(&rw.blobs[i]);
	free(rw.blobs);
	free(rw.tenants);
	return rc;
}
