/*
 * audit-chain.c: see audit-chain.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "audit-entry.h"
#include "audit-chain.h"
#include "jscan.h"
#include "util.h"

struct walk {
	struct chain_report	*rep;
	int64_t			 expect;
	unsigned char		 hash[AUDIT_HASH_LEN];
	chain_row_cb		 fn;
	void			*arg;
	bool			 stopped;	/* fn said so */
};

/* Marks the first break; later ones are not reported. */
static void
broken(struct walk *w, int64_t seq, const char *id, const char *why)
{
	if (!w->rep->ok)
		return;
	w->rep->ok = false;
	w->rep->bad_seq = seq;
	snprintf(w->rep->bad_id, sizeof(w->rep->bad_id), "%s", id);
	snprintf(w->rep->reason, sizeof(w->rep->reason), "%s", why);
}

bool
chain_columns_match(const char *body, size_t len, const char *id,
    const char *type, int64_t effective_at)
{
	struct jdoc	 d;
	uint32_t	 t;
	char		 err[128];
	bool		 ok;

	memset(&d, 0, sizeof(d));
	if (jscan_parse(&d, body, len, err, sizeof(err)) != 0 ||
	    d.v[0].type != J_OBJ) {
		jscan_free(&d);
		return false;
	}
	t = jscan_get(&d, 0, "effective_at");
	ok = jscan_streq(&d, jscan_get(&d, 0, "id"), id) &&
	    jscan_streq(&d, jscan_get(&d, 0, "type"), type) &&
	    t != JSCAN_NONE && d.v[t].type == J_INT &&
	    d.v[t].i == effective_at;
	jscan_free(&d);
	return ok;
}

static bool
columns_match(const struct db_row *r)
{
	return chain_columns_match(r->v[2], r->len[2], db_row_str(r, 1),
	    db_row_str(r, 5), db_row_int(r, 6));
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
	if (w->fn != NULL) {
		struct chain_row	 row = { seq, r->v[2], r->len[2],
		    (const unsigned char *)r->v[3], want, db_row_int(r, 6) };

		if (w->fn(&row, w->arg) != 0) {
			w->stopped = true;
			return 1;
		}
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
	return chain_walk(db, org, rep, NULL, NULL);
}

int
chain_walk(struct db *db, int64_t org, struct chain_report *rep,
    chain_row_cb fn, void *arg)
{
	struct walk	 w;
	struct head	 h = { 0, { 0 } };
	char		 why[200];

	memset(rep, 0, sizeof(*rep));
	memset(&w, 0, sizeof(w));
	rep->ok = true;
	w.rep = rep;
	w.expect = 1;
	w.fn = fn;
	w.arg = arg;
	if (DB_QUERY(db, SQL_AUDIT_STATE_GET, head_row, &h, DV_I(org),
	    DV_I(org)) < 0 || DB_QUERY(db, SQL_AUDIT_CHAIN, chain_row, &w,
	    DV_I(org)) < 0)
		return -1;
	rep->head_seq = h.seq;
	if (w.stopped)
		return -2;
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
