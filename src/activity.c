/*
 * activity.c: see activity.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activity.h"
#include "audit-entry.h"
#include "log.h"
#include "views.h"

static const unsigned char zero[AUDIT_HASH_LEN];

/* The row's canonical JSON: what the chain hashes. */
static char *
activity_body(const struct act *a, int64_t seq, int64_t at)
{
	json_t	*o;
	char	*s;

	o = json_pack("{s:s, s:{s:s, s:s?}, s:s?, s:I, s:s, s:I, s:s?, s:I}",
	    "action", a->action,
	    "actor", "type", a->actor_type, "id", a->actor_id,
	    "address", a->address,
	    "at", (json_int_t)at,
	    "outcome", a->outcome,
	    "seq", (json_int_t)seq,
	    "target", a->target,
	    "tenant", (json_int_t)a->tenant);
	s = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS |
	    JSON_ENSURE_ASCII) : NULL;
	json_decref(o);
	return s;
}

struct head {
	int64_t		 seq;
	unsigned char	 hash[AUDIT_HASH_LEN];
	bool		 found;
};

static int
head_row(const struct db_row *r, void *arg)
{
	struct head	*h = arg;

	h->seq = db_row_int(r, 0);
	if (r->len[1] == AUDIT_HASH_LEN)
		memcpy(h->hash, r->v[1], AUDIT_HASH_LEN);
	h->found = true;
	return 1;
}

/* One append, in the caller's transaction (a db_tx_fn).  0, -1. */
static int
append(struct db *db, void *arg)
{
	const struct act	*a = arg;
	struct head	 h = { 0, { 0 }, false };
	unsigned char	 hash[AUDIT_HASH_LEN];
	int64_t		 now = now_s();
	char		*body;
	int		 rc = -1;

	if (DB_EXEC(db, SQL_ACTIVITY_HEAD_INIT, DV_I(a->tenant),
	    DV_B(zero, sizeof(zero))) != 0 ||
	    DB_QUERY(db, SQL_ACTIVITY_HEAD, head_row, &h, DV_I(a->tenant)) < 0 ||
	    !h.found)
		return -1;
	if ((body = activity_body(a, h.seq + 1, now)) == NULL)
		return -1;
	audit_hash(h.hash, body, strlen(body), hash);
	if (DB_EXEC(db, SQL_ACTIVITY_ADD, DV_I(a->tenant), DV_I(h.seq + 1),
	    DV_I(now), DV_S(a->actor_type), DV_S(a->actor_id), DV_S(a->address),
	    DV_S(a->action), DV_S(a->target), DV_S(a->outcome),
	    DV_B(body, strlen(body)), DV_B(h.hash, AUDIT_HASH_LEN),
	    DV_B(hash, AUDIT_HASH_LEN)) == 0 &&
	    DB_EXEC(db, SQL_ACTIVITY_HEAD_MOVE, DV_I(h.seq + 1),
	    DV_B(hash, AUDIT_HASH_LEN), DV_I(a->tenant), DV_I(h.seq)) == 0 &&
	    db_affected(db) == 1)
		rc = 0;
	free(body);
	return rc;
}

int
activity_log(struct db *db, const struct act *a)
{
	/*
	 * In the caller's transaction, or in one of its own that db_tx()
	 * runs again when a writer on another node moved the head first.
	 */
	if ((db_in_tx(db) ? append(db, (void *)a) : db_tx(db, append,
	    (void *)a)) == 0)
		return 0;
	log_err("activity: tenant %" PRId64 ": %s not recorded: %s", a->tenant,
	    a->action, db_error(db));
	return -1;
}

struct walk {
	struct activity_report	*rep;
	int64_t			 seq;
	unsigned char		 prev[AUDIT_HASH_LEN];
};

/* Do the row's columns say what its hashed body says? */
static bool
columns_match(const struct db_row *r)
{
	json_t		*o = json_loadb(r->v[1], r->len[1], 0, NULL);
	json_t		*actor = json_object_get(o, "actor");
	bool		 ok;

#define SAME(k, c) ((db_row_null(r, c) && json_is_null(json_object_get( \
	    o, k))) || (!db_row_null(r, c) && json_is_string(json_object_get( \
	    o, k)) && strcmp(json_string_value(json_object_get(o, k)), \
	    db_row_str(r, c)) == 0))
	ok = json_is_object(o) &&
	    json_integer_value(json_object_get(o, "seq")) == db_row_int(r, 0) &&
	    json_integer_value(json_object_get(o, "at")) == db_row_int(r, 4) &&
	    SAME("action", 8) && SAME("target", 9) && SAME("outcome", 10) &&
	    SAME("address", 7) &&
	    json_is_string(json_object_get(actor, "type")) &&
	    strcmp(json_string_value(json_object_get(actor, "type")),
	    db_row_str(r, 5)) == 0;
	if (ok) {
		json_t	*id = json_object_get(actor, "id");

		ok = db_row_null(r, 6) ? id == NULL || json_is_null(id) :
		    json_is_string(id) && strcmp(json_string_value(id),
		    db_row_str(r, 6)) == 0;
	}
#undef SAME
	json_decref(o);
	return ok;
}

static int
verify_row(const struct db_row *r, void *arg)
{
	struct walk	*w = arg;
	unsigned char	 hash[AUDIT_HASH_LEN];
	int64_t		 seq = db_row_int(r, 0);
	const char	*why = NULL;

	w->rep->rows++;
	audit_hash(w->prev, r->v[1], r->len[1], hash);
	if (seq != w->seq + 1)
		why = seq > w->seq + 1 ? "a row before it is missing" :
		    "out of order";
	else if (r->len[2] != AUDIT_HASH_LEN || memcmp(r->v[2], w->prev,
	    AUDIT_HASH_LEN) != 0)
		why = "its prev_hash is not the previous row's hash";
	else if (r->len[3] != AUDIT_HASH_LEN || memcmp(r->v[3], hash,
	    AUDIT_HASH_LEN) != 0)
		why = "its body does not match its hash: it was edited";
	else if (!columns_match(r))
		why = "its columns do not say what its body says";
	if (why != NULL) {
		w->rep->bad_seq = seq;
		snprintf(w->rep->reason, sizeof(w->rep->reason), "%s", why);
		return 1;
	}
	w->seq = seq;
	memcpy(w->prev, hash, AUDIT_HASH_LEN);
	return 0;
}

int
activity_verify(struct db *db, int64_t tenant, struct activity_report *rep)
{
	struct walk	 w;
	struct head	 h = { 0, { 0 }, false };
	int		 rc = -1;

	memset(rep, 0, sizeof(*rep));
	memset(&w, 0, sizeof(w));
	w.rep = rep;
	/* One snapshot for the rows and the head. */
	if (db_begin(db) != 0 ||
	    DB_QUERY(db, SQL_ACTIVITY_CHAIN, verify_row, &w, DV_I(tenant)) < 0 ||
	    DB_QUERY(db, SQL_ACTIVITY_HEAD_GET, head_row, &h, DV_I(tenant)) < 0)
		goto out;
	rc = 0;
	if (rep->bad_seq != 0)
		goto out;
	if (h.seq != w.seq || (w.seq > 0 && memcmp(h.hash, w.prev,
	    AUDIT_HASH_LEN) != 0)) {
		rep->bad_seq = w.seq + 1;
		snprintf(rep->reason, sizeof(rep->reason), "the chain ends at "
		    "row %" PRId64 " but its head says %" PRId64 ": rows at the "
		    "end were deleted", w.seq, h.seq);
		goto out;
	}
	rep->ok = true;
out:
	db_rollback(db);
	return rc;
}

json_t *
activity_view(const struct db_row *r)
{
	return view_cols(r, SQL_ACTIVITY_PAGE, "orgaudit.activity");
}

struct pwalk {
	activity_row_cb	 fn;
	void		*arg;
};

static int
walk_row(const struct db_row *r, void *arg)
{
	struct pwalk	*p = arg;

	return p->fn(db_row_int(r, 0), (const unsigned char *)r->v[2],
	    (const unsigned char *)r->v[3], r->v[1], r->len[1], p->arg);
}

int
activity_walk(struct db *db, int64_t tenant, int64_t start, int64_t end,
    activity_row_cb fn, void *arg)
{
	struct pwalk	 p = { fn, arg };

	return DB_QUERY(db, SQL_ACTIVITY_PERIOD, walk_row, &p, DV_I(tenant),
	    DV_I(start), DV_I(end)) < 0 ? -1 : 0;
}
