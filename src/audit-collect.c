/*
 * audit-collect.c: pulling an org's audit log into its chain.
 *
 * OpenAI lists audit entries newest first; 'before=X' gives the entries
 * just newer than X.  The chain wants them oldest first, so the walk goes
 * forward in time from an anchor, the newest entry it stored:
 *
 *   1. no anchor yet (first run): find the second of the oldest entry by
 *      bisecting on effective_at with one-entry probes, and take that
 *      second's entries;
 *   2. walk forward with before=<anchor>, a page at a time, each page
 *      stored oldest first; the anchor moves with the page, in the same
 *      transaction (a crash resumes exactly where the last commit was);
 *      the walk stops at entries newer than the run's start;
 *   2a. when a forward page shows that much more is left than a few pages
 *      (a first run, or a long gap), the rest up to the run's start is
 *      cut into time windows read in parallel (see "windows" below) and
 *      stored window by window, oldest first, the anchor moving as before;
 *   3. re-read the overlap window (audit_overlap_seconds) before the
 *      anchor the run started from, for entries that arrived late; those
 *      already stored are skipped, so nothing is stored twice.
 *
 * Every page is stored by the write thread in one transaction that
 * numbers and hashes its new entries after the chain's head, inserts
 * them, and moves the head and the anchor: the cursor moves only with the
 * rows it covers.
 */
#include <sys/queue.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alert.h"
#include "audit-entry.h"
#include "collect-int.h"
#include "log.h"
#include "util.h"

#define AUDIT_NCOLS	17
#define ORIGIN_NCOLS	11

/*
 * Windows: WIN_TARGET entries expected per window when they are planned;
 * a window that passes WIN_SPLIT entries is cut short and the rest of its
 * time split again, so memory stays bounded (about WIN_AHEAD windows of
 * at most WIN_SPLIT entries are held).  JOB_ROWS entries per transaction.
 */
#define WIN_TARGET	1500
#define WIN_SPLIT	2500
#define WIN_MAX		4096
#define JOB_ROWS	1000

enum phase {
	PH_NEWEST, PH_BISECT, PH_FIRST, PH_FORWARD, PH_WINDOWS, PH_OVERLAP
};

enum win_state { WIN_IDLE, WIN_RUNNING, WIN_DONE };

/* A window: every entry with lo <= effective_at <= hi, listed newest first. */
struct window {
	TAILQ_ENTRY(window)	 link;
	struct stream		*st;
	int64_t			 lo, hi;
	enum win_state		 state;
	struct audit_row	*rows;		/* as listed: newest first */
	size_t			 n, cap;
	struct oa_chain	 seen;
};
TAILQ_HEAD(windows, window);

/* The network loop's side of the walk. */
struct audit_walk {
	struct chain	 ch;		/* the requests' argument */
	enum phase	 phase;
	char		 anchor[129];	/* newest entry queued so far */
	int64_t		 anchor_at;
	bool		 had_anchor;	/* at the run's start */
	int64_t		 start_at;	/* the anchor's time then */
	int64_t		 floor, lo, hi;	/* bisection */
	struct audit_row *first;	/* the oldest second's entries */
	size_t		 nfirst;
	struct oa_chain seen;
	struct windows	 wins;		/* oldest first */
	int		 nwins, running;
	int		 par;		/* windows read at once */
	int		 cuts;		/* windows cut short */
};

/* The write thread's side: where the stored chain ends. */
struct audit_head {
	int64_t		 seq;
	unsigned char	 hash[AUDIT_HASH_LEN];
	int64_t		 max_at;	/* newest effective_at stored */
	long		 stored;	/* entries stored this run */
	struct alert_routes *alerts;	/* who is told of which types */
};

struct audit_job {
	struct stream	*st;
	struct audit_row *rows;		/* in the order they are chained */
	size_t		 n;
	char		 anchor[129];	/* "" keeps the anchor */
	int64_t		 anchor_at;
};

struct state_row {
	int64_t		 seq, anchor_at, max_at;
	unsigned char	 hash[AUDIT_HASH_LEN];
	char		 anchor[129];
	int		 found;
};

static int
state_row(const struct db_row *r, void *arg)
{
	struct state_row	*s = arg;

	s->seq = db_row_int(r, 0);
	if (r->len[1] == AUDIT_HASH_LEN)
		memcpy(s->hash, r->v[1], AUDIT_HASH_LEN);
	snprintf(s->anchor, sizeof(s->anchor), "%s", db_row_str(r, 2));
	s->anchor_at = db_row_int(r, 3);
	s->max_at = db_row_int(r, 4);
	s->found = 1;
	return 1;
}

void
audit_stream_prepare(struct run *run, struct stream *st)
{
	static const unsigned char	 zero[AUDIT_HASH_LEN];
	struct state_row		 s = { .found = 0 };

	st->walk = xcalloc(1, sizeof(*st->walk));
	st->head = xcalloc(1, sizeof(*st->head));
	TAILQ_INIT(&st->walk->wins);
	st->walk->par = run->conf->collect_concurrency < 16 ?
	    (int)run->conf->collect_concurrency : 16;
	st->walk->ch.run = run;
	st->walk->ch.st = st;
	if (DB_EXEC(run->db, SQL_AUDIT_STATE_INIT, DV_I(run->tenant),
	    DV_I(run->org), DV_B(zero, sizeof(zero))) != 0 ||
	    DB_QUERY(run->db, SQL_AUDIT_STATE_GET, state_row, &s,
	    DV_I(run->org), DV_I(run->org)) < 0 || !s.found) {
		log_err("collect: org %" PRId64 ": audit_logs: %s", run->org,
		    db_error(run->db));
		st->state = SS_FAILED;
		snprintf(st->error, sizeof(st->error), "storage error; see "
		    "the collector log");
		return;
	}
	st->head->seq = s.seq;
	memcpy(st->head->hash, s.hash, AUDIT_HASH_LEN);
	st->head->max_at = s.max_at;
	snprintf(st->walk->anchor, sizeof(st->walk->anchor), "%s", s.anchor);
	st->walk->anchor_at = s.anchor_at;
	st->walk->had_anchor = s.anchor[0] != '\0';
	st->walk->start_at = s.anchor_at;
	/* The channels that want audit events, read once per pull. */
	st->head->alerts = alert_routes_load(run->db, run->tenant, run->org);
}

static void
window_free(struct audit_walk *w, struct window *win)
{
	size_t	 i;

	TAILQ_REMOVE(&w->wins, win, link);
	w->nwins--;
	for (i = 0; i < win->n; i++)
		audit_row_free(&win->rows[i]);
	free(win->rows);
	oa_chain_free(&win->seen);
	free(win);
}

void
audit_stream_free(struct stream *st)
{
	size_t	 i;

	if (st->walk != NULL) {
		for (i = 0; i < st->walk->nfirst; i++)
			audit_row_free(&st->walk->first[i]);
		free(st->walk->first);
		oa_chain_free(&st->walk->seen);
		while (!TAILQ_EMPTY(&st->walk->wins))
			window_free(st->walk, TAILQ_FIRST(&st->walk->wins));
	}
	free(st->walk);
	if (st->head != NULL)
		alert_routes_free(st->head->alerts);
	free(st->head);
	st->walk = NULL;
	st->head = NULL;
}

/* -- the write thread -------------------------------------------------- */

/*
 * For the crash tests only: ORGAUDIT_TEST_AUDIT_TX_PAUSE_MS makes each
 * page's transaction wait that long before it commits, so a test can
 * kill the collector inside it.  Unset in production.
 */
static void
fault_pause(void)
{
	static int64_t	 ms = -1;
	const char	*v;

	if (ms < 0)
		ms = (v = getenv("ORGAUDIT_TEST_AUDIT_TX_PAUSE_MS")) != NULL &&
		    parse_i64(v, 0, 60000, &ms) == 0 ? ms : 0;
	if (ms > 0)
		usleep((useconds_t)ms * 1000);
}

static int
id_row(const struct db_row *r, void *arg)
{
	strset_add(arg, db_row_str(r, 0));
	return 0;
}

static void
job_free(struct audit_job *j)
{
	size_t	 i;

	for (i = 0; i < j->n; i++)
		audit_row_free(&j->rows[i]);
	free(j->rows);
	free(j);
}

static struct db_val
opt(const char *s)
{
	return s != NULL && *s != '\0' ? DV_S(s) : DV_NULL;
}

/*
 * An origin row (SQL_ORIGIN_INS) from an event's row x (SQL_AUDIT_INS):
 * who created or added the event's target, and where the chain says so;
 * scope is "" (the org) or the event's project.
 */
static void
origin_values(const struct db_val *x, struct db_val scope, struct db_val *o)
{
	o[0] = x[0];		/* tenant */
	o[1] = x[1];		/* org */
	o[2] = x[12];		/* target */
	o[3] = x[5];		/* type */
	o[4] = scope;
	o[5] = x[2];		/* seq */
	o[6] = x[3];		/* event id */
	o[7] = x[4];		/* effective_at */
	o[8] = x[6];		/* actor type */
	o[9] = x[7];		/* actor id */
	o[10] = x[10];		/* actor email prefix */
}

/* One page's rows, ready to insert, and the head they move to. */
struct store_tx {
	struct audit_job	*j;
	const struct db_val	*v;		/* k event rows */
	size_t			 k;
	const struct db_val	*o;		/* no origin rows */
	size_t			 no;
	const struct db_val	*ob;		/* nob outbox rows */
	size_t			 nob;
	int64_t			 seq;		/* the new head */
	const unsigned char	*hash;
};

/*
 * The page's transaction (db_tx): inserts the rows and moves the head
 * only if it is still where this run last left it.  1 when it is not:
 * another writer got there first (its lease on the org lapsed, say), and
 * storing on would fork the chain.  On Galera two such writers on two
 * nodes collide at commit (both insert (org_id, seq) and update the
 * head's row); the one that loses is retried, finds the head moved, and
 * stops with 1.
 */
static int
store_tx(struct db *db, void *arg)
{
	struct store_tx		*t = arg;
	struct audit_job	*j = t->j;
	struct stream		*st = j->st;

	if ((t->k > 0 && db_exec_bulk(db, SQL_AUDIT_INS, t->v, t->k,
	    AUDIT_NCOLS) != 0) || (t->no > 0 && db_exec_bulk(db,
	    SQL_ORIGIN_INS, t->o, t->no, ORIGIN_NCOLS) != 0) ||
	    (t->nob > 0 && db_exec_bulk(db, SQL_OUTBOX_AUDIT_INS, t->ob,
	    t->nob, ALERT_OUTBOX_NCOLS) != 0) ||
	    DB_EXEC(db, SQL_AUDIT_STATE_HEAD, DV_I(t->seq),
	    DV_B(t->hash, AUDIT_HASH_LEN), opt(j->anchor),
	    j->anchor[0] ? DV_I(j->anchor_at) : DV_NULL, DV_I(t->k > 0),
	    DV_I(st->run->org), DV_I(st->head->seq)) != 0)
		return -1;
	fault_pause();
	return db_affected(db) == 1 ? 0 : 1;
}

/*
 * Stores one page: skips entries already in the chain, numbers and
 * hashes the others after the head, and moves the head (and the anchor)
 * in the same transaction.  The head moves in memory only after commit.
 */
static void
audit_store(struct db *db, void *arg)
{
	struct audit_job	*j = arg;
	struct stream		*st = j->st;
	struct run		*run = st->run;
	struct audit_head	*h = st->head;
	struct strset		 have = { 0 };
	struct db_val		*v, *o, *ob = NULL;
	unsigned char		 hashes[2][AUDIT_HASH_LEN];
	unsigned char		*prev, *all;
	struct store_tx		 tx;
	int64_t			 lo = INT64_MAX, hi = 0, seq = h->seq, now;
	size_t			 i, k = 0, no = 0, nob = 0, capob = 0;
	char			(*eids)[ALERT_EVENT_ID_LEN] = NULL;
	int			 rc;

	if (st->write_failed)
		goto out;
	for (i = 0; i < j->n; i++) {
		if (j->rows[i].effective_at < lo)
			lo = j->rows[i].effective_at;
		if (j->rows[i].effective_at > hi)
			hi = j->rows[i].effective_at;
	}
	/* Only a page reaching back into the stored chain can repeat it. */
	if (j->n > 0 && lo <= h->max_at && DB_QUERY(db, SQL_AUDIT_IDS_BETWEEN,
	    id_row, &have, DV_I(run->org), DV_I(lo), DV_I(hi)) < 0)
		goto dberr;
	v = xcalloc(j->n + 1, AUDIT_NCOLS * sizeof(*v));
	o = xcalloc(2 * j->n + 1, ORIGIN_NCOLS * sizeof(*o));
	all = xcalloc(j->n + 1, AUDIT_HASH_LEN);
	if (alert_routes_count(h->alerts) > 0)
		eids = xcalloc(j->n + 1, sizeof(*eids));
	prev = h->hash;
	now = now_s();
	for (i = 0; i < j->n; i++) {
		struct audit_row	*r = &j->rows[i];
		struct db_val		*x = v + k * AUDIT_NCOLS;
		unsigned char		*hash = all + k * AUDIT_HASH_LEN;

		if (!strset_add(&have, r->id))
			continue;	/* stored before, or twice in the page */
		audit_hash(prev, r->body, r->body_len, hash);
		x[0] = DV_I(run->tenant);
		x[1] = DV_I(run->org);
		x[2] = DV_I(++seq);
		x[3] = DV_S(r->id);
		x[4] = DV_I(r->effective_at);
		x[5] = DV_S(r->type);
		x[6] = opt(r->actor_type);
		x[7] = opt(r->actor_id);
		x[8] = opt(r->actor_key_id);
		x[9] = opt(r->actor_email_sha256);
		x[10] = opt(r->actor_email_prefix);
		x[11] = opt(r->project_id);
		x[12] = opt(r->target_id);
		x[13] = DV_B(r->body, r->body_len);
		x[14] = DV_B(prev, AUDIT_HASH_LEN);
		x[15] = DV_B(hash, AUDIT_HASH_LEN);
		x[16] = DV_I(now);
		if (r->target_id != NULL && *r->target_id != '\0' &&
		    audit_is_origin(r->type)) {
			origin_values(x, DV_S(""), o + no++ * ORIGIN_NCOLS);
			if (x[11].t != DBT_NULL)
				origin_values(x, x[11], o + no++ *
				    ORIGIN_NCOLS);
		}
		/* The messages it causes, in the same transaction. */
		if (alert_routes_count(h->alerts) > 0) {
			struct alert_event	 e = { seq, r->id, r->type,
			    r->effective_at, r->to_owner, 0 };

			if (strcmp(r->type, "login.failed") == 0 &&
			    (e.login_n = alert_login_rank(h->alerts, db,
			    r->effective_at)) < 0) {
				stream_write_error(st, db_error(db));
				goto done;
			}
			alert_audit_rows(h->alerts, &e, now, eids[k], &ob,
			    &nob, &capob);
		}
		prev = hash;
		k++;
	}
	memcpy(hashes[0], prev, AUDIT_HASH_LEN);
	tx = (struct store_tx){ j, v, k, o, no, ob, nob, seq, hashes[0] };
	if ((rc = db_tx(db, store_tx, &tx)) != 0) {
		stream_write_error(st, rc > 0 ?
		    "the chain's head moved under this run" : db_error(db));
		goto done;
	}
	h->seq = seq;
	memcpy(h->hash, hashes[0], AUDIT_HASH_LEN);
	if (hi > h->max_at)
		h->max_at = hi;
	h->stored += (long)k;
done:
	free(v);
	free(o);
	free(ob);
	free(eids);
	free(all);
	strset_free(&have);
out:
	job_free(j);
	return;
dberr:
	stream_write_error(st, db_error(db));
	strset_free(&have);
	job_free(j);
}

long
audit_stream_end(struct db *db, struct stream *st, enum stream_state s)
{
	struct run	*run = st->run;

	/* Skipped: the key may not read the log (403/404). */
	if (s == SS_OK || s == SS_SKIPPED)
		if (DB_EXEC(db, SQL_AUDIT_STATE_CHECKED, DV_I(s == SS_OK),
		    DV_I(now_s()), DV_I(run->org)) != 0)
			log_err("collect: org %" PRId64 ": audit_logs: %s",
			    run->org, db_error(db));
	return st->head != NULL ? st->head->stored : 0;
}

bool
audit_stream_grown(const struct stream *st)
{
	const struct audit_head	*h = st->head;

	return h != NULL && h->stored > 0 && h->stored * 10 > h->seq -
	    h->stored;
}

/* -- the network loop -------------------------------------------------- */

static void	audit_page(struct oa *oa, struct oa_call *call, void *arg);
static void	window_page(struct oa *oa, struct oa_call *call, void *arg);

static void
audit_getv(struct stream *st, oa_done_cb cb, void *arg, const char *fmt,
    va_list ap)
{
	struct buf	 path = { 0 };
	char		*q;

	if (vasprintf(&q, fmt, ap) < 0)
		q = NULL;
	buf_printf(&path, "%s?%s", st->def->path, q != NULL ? q : "limit=1");
	oa_get(st->run->oa, path.p, true, cb, arg);
	free(q);
	buf_free(&path);
}

static void
audit_get(struct stream *st, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void
window_get(struct window *win, const char *fmt, ...) PRINTF_LIKE(2, 3);

/* Queues GET /organization/audit_logs?<query> for the walk. */
static void
audit_get(struct stream *st, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	audit_getv(st, audit_page, &st->walk->ch, fmt, ap);
	va_end(ap);
}

/* The same for a window's page. */
static void
window_get(struct window *win, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	audit_getv(win->st, window_page, win, fmt, ap);
	va_end(ap);
}

/* The stream's fetching is over: its end goes after its pages. */
static void
audit_done(struct run *run, struct stream *st)
{
	st->state = SS_FETCHED;
	stream_hand_over(run, st);
}

/* Queues rows[0..n) to be chained in that order; takes them. */
static void
audit_queue(struct stream *st, struct audit_row *rows, size_t n,
    const struct audit_row *anchor)
{
	struct audit_job	*j = xcalloc(1, sizeof(*j));
	size_t			 bytes = sizeof(*j), i;

	j->st = st;
	j->rows = rows;
	j->n = n;
	for (i = 0; i < n; i++)
		bytes += sizeof(*rows) + rows[i].body_len + 256;
	if (anchor != NULL) {
		snprintf(j->anchor, sizeof(j->anchor), "%s", anchor->id);
		j->anchor_at = anchor->effective_at;
		snprintf(st->walk->anchor, sizeof(st->walk->anchor), "%s",
		    anchor->id);
		st->walk->anchor_at = anchor->effective_at;
	}
	st->rows += (long)n;
	wq_call(st->run->wq, audit_store, j, bytes);
}

/* An entry's effective_at, or 0. */
static int64_t
entry_time(const struct jdoc *d, uint32_t e)
{
	uint32_t	 t = jscan_get(d, e, "effective_at");

	return t != JSCAN_NONE && d->v[t].type == J_INT ? d->v[t].i : 0;
}

/*
 * Prepares a page's entries, newest first as listed, into rows oldest
 * first.  Entries that cannot be kept are logged and left out.
 */
static struct audit_row *
page_rows(struct stream *st, const struct oa_jpage *pg, size_t *n)
{
	struct audit_row	*rows;
	const struct jdoc	*d = &pg->doc;
	uint32_t		*item, c;
	size_t			 count = pg->count, i = 0;
	char			 why[256];

	/* Listed newest first: walk them back to front. */
	item = xcalloc(count + 1, sizeof(*item));
	for (c = JSCAN_FIRST(pg->data); c < d->v[pg->data].end && i < count;
	    c = d->v[c].end)
		item[i++] = c;
	rows = xcalloc(count + 1, sizeof(*rows));
	*n = 0;
	while (i-- > 0) {
		if (audit_prepare(d, item[i], &rows[*n], why, sizeof(why)) == 0)
			(*n)++;
		else if (st->bad_rows++ < 5)
			log_warn("collect: org %" PRId64 ": audit_logs: skipped "
			    "an entry: %s", st->run->org, why);
	}
	free(item);
	return rows;
}

static void
forward(struct stream *st)
{
	st->walk->phase = PH_FORWARD;
	audit_get(st, "limit=%" PRId64 "&before=%s",
	    st->run->conf->page_limit, st->walk->anchor);
}

/* After the forward walk: the overlap window, or the end. */
static void
overlap(struct run *run, struct stream *st)
{
	struct audit_walk	*w = st->walk;

	if (!w->had_anchor) {
		audit_done(run, st);
		return;
	}
	w->phase = PH_OVERLAP;
	oa_chain_free(&w->seen);
	audit_get(st, "limit=%" PRId64 "&effective_at%%5Bgte%%5D=%" PRId64
	    "&effective_at%%5Blte%%5D=%" PRId64, run->conf->page_limit,
	    w->start_at - run->conf->audit_overlap_seconds, w->start_at);
}

/* Bisection: is there an entry in [floor, mid)? */
static void
bisect(struct stream *st)
{
	struct audit_walk	*w = st->walk;
	int64_t			 mid;

	if (w->hi - w->lo <= 1) {
		/* The first entry's second is lo: take all of it. */
		w->phase = PH_FIRST;
		oa_chain_free(&w->seen);
		audit_get(st, "limit=%" PRId64 "&effective_at%%5Bgte%%5D=%"
		    PRId64 "&effective_at%%5Blte%%5D=%" PRId64,
		    st->run->conf->page_limit, w->lo, w->lo);
		return;
	}
	mid = w->lo + (w->hi - w->lo) / 2;
	w->phase = PH_BISECT;
	audit_get(st, "limit=1&effective_at%%5Bgte%%5D=%" PRId64
	    "&effective_at%%5Blt%%5D=%" PRId64, w->floor, mid);
}

/* Starts looking for the oldest entry at or after floor. */
static void
find_first(struct stream *st, int64_t floor)
{
	st->walk->floor = floor;
	st->walk->phase = PH_NEWEST;
	audit_get(st, "limit=1");
}

void
audit_stream_start(struct run *run, struct stream *st)
{
	if (st->state == SS_FAILED) {
		stream_hand_over(run, st);
		return;
	}
	st->state = SS_RUNNING;
	st->started_ms = now_ms();
	if (st->walk->anchor[0] != '\0')
		forward(st);
	else
		find_first(st, 0);
}

/* Follows an 'after' cursor within a phase; false when it stalls. */
static bool
next_after(struct stream *st, struct oa_jpage *pg, const char *fmt)
{
	char	 err[256];

	if (oa_chain_follow(&st->walk->seen, pg->next, err,
	    sizeof(err)) != 0) {
		stream_stop(st->run, st, SS_FAILED, 200, "%s", err);
		return false;
	}
	audit_get(st, "%s&after=%s", fmt, pg->next);
	return true;
}

/* -- windows ----------------------------------------------------------- */

/*
 * Windows cut [from, to] by time and are read at once, each newest first
 * under its own effective_at filter and its own cursors, so no cursor is
 * ever used under a filter other than the one that made it.  Entries can
 * be chained only oldest first, so a finished window waits until every
 * older one is stored; then its entries go to the write thread in
 * transactions of JOB_ROWS, each moving the anchor to its newest entry.
 *
 * A window that passes WIN_SPLIT entries at a page whose oldest entry is
 * at second t stops there: what it holds is complete down to part of
 * second t.  Its rest becomes a window of second t alone (read whole;
 * the entries the cut window also holds are found stored when it follows
 * and skipped) and the seconds before t, split in two.
 */
static void	windows_pump(struct stream *st);

static struct window *
window_new(struct stream *st, int64_t lo, int64_t hi, struct window *before)
{
	struct audit_walk	*w = st->walk;
	struct window		*win = xcalloc(1, sizeof(*win));

	win->st = st;
	win->lo = lo;
	win->hi = hi;
	if (before != NULL)
		TAILQ_INSERT_BEFORE(before, win, link);
	else
		TAILQ_INSERT_TAIL(&w->wins, win, link);
	w->nwins++;
	return win;
}

/*
 * Plans windows over [from, to] for about est entries, and starts them.
 * Windows are whole seconds, at least one each.
 */
static void
windows_start(struct stream *st, int64_t from, int64_t to, double est)
{
	int64_t	 span = to - from + 1, k, i, lo, hi;

	st->walk->phase = PH_WINDOWS;
	k = (int64_t)(est / WIN_TARGET) + 1;
	if (k < st->walk->par)
		k = st->walk->par;
	if (k > WIN_MAX)
		k = WIN_MAX;
	if (k > span)
		k = span;
	for (i = 0, lo = from; i < k; i++, lo = hi + 1) {
		hi = from + span * (i + 1) / k - 1;
		window_new(st, lo, hi, NULL);
	}
	log_info("collect: org %" PRId64 ": audit_logs: about %.0f entries "
	    "to read; %" PRId64 " windows, %d at once", st->run->org, est, k,
	    st->walk->par);
	windows_pump(st);
}

static void
window_request(struct window *win, const char *after)
{
	win->state = WIN_RUNNING;
	win->st->walk->running++;
	window_get(win, "limit=%" PRId64 "&effective_at%%5Bgte%%5D=%" PRId64
	    "&effective_at%%5Blte%%5D=%" PRId64 "%s%s",
	    win->st->run->conf->page_limit, win->lo, win->hi,
	    after != NULL ? "&after=" : "", after != NULL ? after : "");
}

/* Hands the oldest finished windows' entries to the write thread. */
static void
windows_flush(struct stream *st)
{
	struct audit_walk	*w = st->walk;
	struct window		*win;
	struct audit_row	*rows;
	size_t			 k, i;

	while ((win = TAILQ_FIRST(&w->wins)) != NULL &&
	    win->state == WIN_DONE) {
		/* Oldest first: the window holds them newest first. */
		while (win->n > 0) {
			k = win->n < JOB_ROWS ? win->n : JOB_ROWS;
			rows = xcalloc(k, sizeof(*rows));
			for (i = 0; i < k; i++)
				rows[i] = win->rows[win->n - 1 - i];
			win->n -= k;
			audit_queue(st, rows, k, &rows[k - 1]);
		}
		window_free(w, win);
	}
}

/* Stores what it can, starts what it may; the phase's end follows. */
static void
windows_pump(struct stream *st)
{
	struct audit_walk	*w = st->walk;
	struct window		*win;
	int			 pos = 0;

	if (st->state != SS_RUNNING)
		return;
	windows_flush(st);
	if (TAILQ_EMPTY(&w->wins)) {
		log_info("collect: org %" PRId64 ": audit_logs: windows read; "
		    "%d cut short and split", st->run->org, w->cuts);
		overlap(st->run, st);
		return;
	}
	/* Only the oldest windows, so that few wait with their entries. */
	TAILQ_FOREACH(win, &w->wins, link) {
		if (w->running >= w->par || pos++ >= w->par + w->par / 2)
			break;
		if (win->state == WIN_IDLE)
			window_request(win, NULL);
	}
}

/* Appends a page's entries to the window as listed, newest first. */
static void
window_take(struct window *win, const struct oa_jpage *pg)
{
	struct stream		*st = win->st;
	const struct jdoc	*d = &pg->doc;
	size_t			 count = pg->count;
	uint32_t		 c;
	char			 why[256];

	if (win->n + count > win->cap) {
		win->cap = win->n + count + win->cap / 2;
		win->rows = xrealloc(win->rows, win->cap * sizeof(*win->rows));
	}
	for (c = JSCAN_FIRST(pg->data); c < d->v[pg->data].end;
	    c = d->v[c].end) {
		if (audit_prepare(d, c, &win->rows[win->n], why,
		    sizeof(why)) == 0)
			win->n++;
		else if (st->bad_rows++ < 5)
			log_warn("collect: org %" PRId64 ": audit_logs: skipped "
			    "an entry: %s", st->run->org, why);
	}
}

/* Cuts win at second t (see above); win is then done. */
static void
window_split(struct window *win, int64_t t)
{
	struct stream	*st = win->st;
	int64_t		 mid;

	st->walk->cuts++;
	window_new(st, t, t, win);
	if (t - 1 >= win->lo) {
		mid = win->lo + (t - 1 - win->lo) / 2;
		window_new(st, win->lo, mid, TAILQ_PREV(win, windows, link));
		if (mid + 1 <= t - 1)
			window_new(st, mid + 1, t - 1, TAILQ_PREV(win, windows,
			    link));
	}
	win->state = WIN_DONE;
}

/*
 * Counts an answer and reads its page; -1 when the call failed or the page
 * is bad, the stream then stopped.
 */
static int
read_page(struct stream *st, struct oa_call *call, struct oa_jpage *pg)
{
	char	 err[256];

	stream_count_call(st, call);
	if (!oa_ok(call)) {
		stream_call_failed(st->run, st, call, NULL);
		return -1;
	}
	if (oa_page_scan(call->body.p ? call->body.p : "", call->body.len, pg,
	    err, sizeof(err)) != 0) {
		stream_stop(st->run, st, SS_FAILED, call->status, "page %ld: %s",
		    st->pages + 1, err);
		return -1;
	}
	st->pages++;
	return 0;
}

static void
window_page(struct oa *oa, struct oa_call *call, void *arg)
{
	struct window	*win = arg;
	struct stream	*st = win->st;
	struct run	*run = st->run;
	struct oa_jpage	 pg;
	uint32_t	 c, oldest = JSCAN_NONE;
	int64_t		 t;
	char		 err[256];

	(void)oa;
	st->walk->running--;
	if (st->state != SS_RUNNING)
		return;
	if (read_page(st, call, &pg) != 0)
		return;
	window_take(win, &pg);
	for (c = JSCAN_FIRST(pg.data); c < pg.doc.v[pg.data].end;
	    c = pg.doc.v[c].end)
		oldest = c;
	t = entry_time(&pg.doc, oldest);
	if (!pg.has_more)
		win->state = WIN_DONE;
	else if (win->n >= WIN_SPLIT && t > win->lo && t <= win->hi)
		window_split(win, t);
	else if (oa_chain_follow(&win->seen, pg.next, err,
	    sizeof(err)) != 0) {
		oa_jpage_free(&pg);
		stream_stop(run, st, SS_FAILED, 200, "%s", err);
		return;
	} else
		window_request(win, pg.next);
	oa_jpage_free(&pg);
	windows_pump(st);
}

static void
on_first(struct stream *st, struct oa_jpage *pg)
{
	struct audit_walk	*w = st->walk;
	struct audit_row	*rows;
	size_t			 n, i;
	char			 q[160];

	rows = page_rows(st, pg, &n);
	/* Pages come newest first: keep the older ones in front. */
	w->first = xrealloc(w->first, (w->nfirst + n + 1) * sizeof(*rows));
	memmove(w->first + n, w->first, w->nfirst * sizeof(*rows));
	for (i = 0; i < n; i++)
		w->first[i] = rows[i];
	w->nfirst += n;
	free(rows);
	if (pg->has_more) {
		snprintf(q, sizeof(q), "limit=%" PRId64 "&effective_at%%5Bgte"
		    "%%5D=%" PRId64 "&effective_at%%5Blte%%5D=%" PRId64,
		    st->run->conf->page_limit, w->lo, w->lo);
		next_after(st, pg, q);
		return;
	}
	if (w->nfirst == 0) {
		audit_done(st->run, st);
		return;
	}
	rows = w->first;
	n = w->nfirst;
	w->first = NULL;
	w->nfirst = 0;
	audit_queue(st, rows, n, &rows[n - 1]);
	forward(st);
}

static void
on_forward(struct stream *st, struct oa_jpage *pg)
{
	struct run		*run = st->run;
	struct audit_row	*rows;
	uint32_t		 newest = pg->count > 0 ?
	    JSCAN_FIRST(pg->data) : JSCAN_NONE;
	char			*id = jscan_strdup(&pg->doc, jscan_get(&pg->doc,
	    newest, "id"));
	int64_t			 at = entry_time(&pg->doc, newest), oldest = at;
	double			 est;
	char			 err[256];
	size_t			 n;

	if (id == NULL) {
		overlap(run, st);	/* caught up */
		return;
	}
	if (oa_chain_follow(&st->walk->seen, id, err, sizeof(err)) != 0) {
		free(id);
		stream_stop(run, st, SS_FAILED, 200, "%s", err);
		return;
	}
	free(id);
	rows = page_rows(st, pg, &n);
	if (n > 0) {
		oldest = rows[0].effective_at;
		audit_queue(st, rows, n, &rows[n - 1]);
	} else
		free(rows);
	/* Entries newer than the run's start are the next run's. */
	if (!pg->has_more || at > run->now || n == 0) {
		overlap(run, st);
		return;
	}
	/* Much more to come: read the rest in parallel windows. */
	est = (double)n * (double)(run->now - at) / (double)(at - oldest + 1);
	if (est > 4.0 * (double)run->conf->page_limit)
		windows_start(st, at, run->now, est);
	else
		forward(st);
}

static void
on_overlap(struct stream *st, struct oa_jpage *pg)
{
	struct audit_row	*rows;
	size_t			 n;
	char			 q[160];

	rows = page_rows(st, pg, &n);
	if (n > 0)
		audit_queue(st, rows, n, NULL);
	else
		free(rows);
	if (!pg->has_more) {
		audit_done(st->run, st);
		return;
	}
	snprintf(q, sizeof(q), "limit=%" PRId64 "&effective_at%%5Bgte%%5D=%"
	    PRId64 "&effective_at%%5Blte%%5D=%" PRId64,
	    st->run->conf->page_limit, st->walk->start_at -
	    st->run->conf->audit_overlap_seconds, st->walk->start_at);
	next_after(st, pg, q);
}

static void
audit_page(struct oa *oa, struct oa_call *call, void *arg)
{
	struct chain		*ch = arg;
	struct stream		*st = ch->st;
	struct run		*run = ch->run;
	struct audit_walk	*w = st->walk;
	struct oa_jpage		 pg;
	bool			 any;

	(void)oa;
	if (st->state != SS_RUNNING)
		return;
	if (!oa_ok(call) && call->status == 400 && w->phase == PH_FORWARD) {
		/* The anchor is gone (retention): start after it. */
		stream_count_call(st, call);
		log_warn("collect: org %" PRId64 ": audit_logs: entry %s is "
		    "gone; finding the next one by time", run->org, w->anchor);
		find_first(st, w->anchor_at);
		return;
	}
	if (read_page(st, call, &pg) != 0)
		return;
	any = pg.count > 0;
	switch (w->phase) {
	case PH_NEWEST:
		if (!any) {
			audit_done(run, st);	/* nothing logged at all */
			break;
		}
		w->lo = w->floor;
		w->hi = entry_time(&pg.doc, JSCAN_FIRST(pg.data)) + 1;
		if (w->hi <= w->lo)
			w->hi = w->lo + 1;
		bisect(st);
		break;
	case PH_BISECT:
		if (any)
			w->hi = w->lo + (w->hi - w->lo) / 2;
		else
			w->lo = w->lo + (w->hi - w->lo) / 2;
		bisect(st);
		break;
	case PH_FIRST:
		on_first(st, &pg);
		break;
	case PH_FORWARD:
		on_forward(st, &pg);
		break;
	case PH_OVERLAP:
		on_overlap(st, &pg);
		break;
	case PH_WINDOWS:
		break;		/* windows have their own callback */
	}
	oa_jpage_free(&pg);
}
