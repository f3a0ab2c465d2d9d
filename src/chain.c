/*
 * chain.c: see chain.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "audit.h"
#include "chain.h"
#include "util.h"

struct walk {
	struct chain_report	*rep;
	int64_t			 expect;
	unsigned char		 hash[AUDIT_HASH_LEN];
};

/* Marks the first break; later ones are not reported. */
static void
broken(struct walk *w, int64_t seq, const char *id, const char *why)
{
	if (w->rep->bad_seq != 0 || !w->rep->ok)
		return;
	w->rep->ok = false;
	w->rep->bad_seq = seq;
	snprintf(w->rep->bad_id, sizeof(w->rep->bad_id), "%s", id);
	snprintf(w->rep->reason, sizeof(w->rep->reason), "%s", why);
}

/*
 * The id, type and effective_at columns serve lookups and filters; they
 * must say what the hashed body says.
 */
static bool
columns_match(const struct db_row *r)
{
	json_t		*e = json_loadb(r->v[2], r->len[2], 0, NULL);
	const char	*id, *type;
	bool		 ok;

	id = json_string_value(json_object_get(e, "id"));
	type = json_string_value(json_object_get(e, "type"));
	ok = id != NULL && type != NULL &&
	    strcmp(id, db_row_str(r, 1)) == 0 &&
	    strcmp(type, db_row_str(r, 5)) == 0 &&
	    json_integer_value(json_object_get(e, "effective_at")) ==
	    db_row_int(r, 6);
	json_decref(e);
	return ok;
}

static int
chain_row(const struct db_row *r, void *arg)
{
	struct walk	*w = arg;
	unsigned char	 want[AUDIT_HASH_LEN];
	int64_t		 seq = db_row_int(r, 0);
	const char	*id = db_row_str(r, 1);
	char		 why[200];

	w->rep->rows++;
	if (!w->rep->ok)
		return 1;
	if (seq != w->expect) {
		snprintf(why, sizeof(why), seq > w->expect ? "rows %" PRId64
		    " to %" PRId64 " are missing (deleted)" : "a row with "
		    "number %" PRId64 " is out of place", seq > w->expect ?
		    w->expect : seq, seq - 1);
		broken(w, seq, id, why);
		return 1;
	}
	if (r->len[3] != AUDIT_HASH_LEN || r->len[4] != AUDIT_HASH_LEN ||
	    memcmp(r->v[3], w->hash, AUDIT_HASH_LEN) != 0) {
		broken(w, seq, id, "its prev_hash is not the previous row's "
		    "hash (a row was inserted, deleted or reordered before "
		    "it)");
		return 1;
	}
	audit_hash(w->hash, r->v[2], r->len[2], want);
	if (memcmp(r->v[4], want, AUDIT_HASH_LEN) != 0) {
		broken(w, seq, id, "its content does not match its hash (the "
		    "row was edited)");
		return 1;
	}
	if (!columns_match(r)) {
		broken(w, seq, id, "its id, type or time columns do not match "
		    "its hashed content (the row was edited)");
		return 1;
	}
	memcpy(w->hash, want, AUDIT_HASH_LEN);
	w->expect++;
	return 0;
}

struct head {
	int64_t		 seq;
	unsigned char	 hash[AUDIT_HASH_LEN];
};

static int
head_row(const struct db_row *r, void *arg)
{
	struct head	*h = arg;

	h->seq = db_row_int(r, 0);
	if (r->len[1] == AUDIT_HASH_LEN)
		memcpy(h->hash, r->v[1], AUDIT_HASH_LEN);
	return 1;
}

int
chain_verify(struct db *db, int64_t org, struct chain_report *rep)
{
	struct walk	 w;
	struct head	 h = { 0, { 0 } };
	char		 why[200];

	memset(rep, 0, sizeof(*rep));
	memset(&w, 0, sizeof(w));
	rep->ok = true;
	w.rep = rep;
	w.expect = 1;
	if (DB_QUERY(db, SQL_AUDIT_STATE_GET, head_row, &h, DV_I(org),
	    DV_I(org)) < 0 || DB_QUERY(db, SQL_AUDIT_CHAIN, chain_row, &w,
	    DV_I(org)) < 0)
		return -1;
	rep->head_seq = h.seq;
	if (rep->ok && (w.expect - 1 != h.seq || memcmp(w.hash, h.hash,
	    AUDIT_HASH_LEN) != 0)) {
		snprintf(why, sizeof(why), "the chain ends at row %" PRId64
		    " but the recorded head is row %" PRId64 " (rows were "
		    "%s at the end)", w.expect - 1, h.seq, w.expect - 1 < h.seq ?
		    "deleted" : "added");
		broken(&w, w.expect - 1 < h.seq ? w.expect : h.seq + 1, "",
		    why);
	}
	if (rep->ok)
		hex_encode(w.hash, AUDIT_HASH_LEN, rep->head_hash);
	return 0;
}
