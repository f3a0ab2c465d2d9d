/*
 * usage-collect.c: the usage and costs streams (collect-int.h).
 *
 * Each stream reads /organization/usage/<endpoint> (or /costs) in
 * buckets: 1d from where it stands, then (usage only) 1h over the last
 * usage_revision_hours.  Where it stands: on the first pull the start of
 * a usage_backfill_days backfill, later the earlier of the end of the
 * last stored page and the trailing revision window, so buckets OpenAI
 * revises after serving them are read again.  Every page is followed by
 * next_page with the same parameters until has_more is false; a
 * repeated cursor, has_more without next_page or a page without data
 * fails the stream, never ends it.
 *
 * A page's buckets go to the write thread as one transaction: the rows
 * upserted (a closed bucket whose value changed counts a revision),
 * rows of those buckets that this run did not serve deleted, and the
 * stream's cursor moved past them.  A pull killed mid-backfill resumes
 * at the cursor, and re-reading a stored bucket only replaces it.
 *
 * Amounts are read from the page's text (jscan keeps a number's digits)
 * into exact decimals: no double between OpenAI's bytes and the table.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit-entry.h"
#include "collect-int.h"
#include "decimal.h"
#include "log.h"
#include "usage-collect.h"
#include "util.h"

#define DAY	86400
#define HOUR	3600
#define USAGE_BATCH	1000	/* rows per bulk statement */

enum width { W_DAY, W_HOUR, W__MAX };

static const struct {
	const char	*name;
	int64_t		 size;
} widths[W__MAX] = {
	[W_DAY] = { "1d", DAY },
	[W_HOUR] = { "1h", HOUR },
};

/*
 * The endpoints: what each is grouped by (the attribution fields it
 * allows) and whether it has hourly buckets (costs has 1d only).
 */
static const struct usage_kind {
	enum stream_id	 id;
	const char	*endpoint;
	const char	*group_by[4];
	bool		 costs;
} kinds[] = {
	{ ST_U_COMPLETIONS, "completions",
	    { "project_id", "user_id", "api_key_id", "model" }, false },
	{ ST_U_EMBEDDINGS, "embeddings",
	    { "project_id", "user_id", "api_key_id", "model" }, false },
	{ ST_U_MODERATIONS, "moderations",
	    { "project_id", "user_id", "api_key_id", "model" }, false },
	{ ST_U_IMAGES, "images",
	    { "project_id", "user_id", "api_key_id", "model" }, false },
	{ ST_U_AUDIO_SPEECHES, "audio_speeches",
	    { "project_id", "user_id", "api_key_id", "model" }, false },
	{ ST_U_AUDIO_TRANSCRIPTIONS, "audio_transcriptions",
	    { "project_id", "user_id", "api_key_id", "model" }, false },
	{ ST_U_VECTOR_STORES, "vector_stores", { "project_id" }, false },
	{ ST_U_CODE_INTERPRETER, "code_interpreter_sessions",
	    { "project_id" }, false },
	{ ST_U_FILE_SEARCH, "file_search_calls",
	    { "project_id", "user_id", "api_key_id" }, false },
	{ ST_U_WEB_SEARCH, "web_search_calls",
	    { "project_id", "user_id", "api_key_id", "model" }, false },
	{ ST_COSTS, "costs",
	    { "project_id", "line_item", "api_key_id" }, true },
};

#define NKINDS	(sizeof(kinds) / sizeof(kinds[0]))

/* Grouping fields a usage result may carry as null when not grouped by. */
static const char *const other_dims[] = {
	"batch", "service_tier", "size", "source", "vector_store_id",
	"context_level", NULL
};

/* Row string slots: usage and costs name them differently. */
enum { U_PROJECT, U_USER, U_KEY, U_MODEL, U_COUNTERS, U_EXTRA, U__MAX };
enum { C_PROJECT, C_ITEM, C_KEY, C_AMOUNT, C_CURRENCY, C_QTY, C_UNIT,
    C_EXTRA, C__MAX };
#define SLOTS	8
enum { N_REQUESTS, N_INPUT, N_OUTPUT, N__MAX };

struct urow {
	int64_t		 start;
	size_t		 s[SLOTS];	/* offset + 1 into the arena; 0: NULL */
	int64_t		 n[N__MAX];
	bool		 has[N__MAX];
	unsigned char	 grp[16];
	bool		 closed;
};

/* A page's buckets on their way to the write thread. */
struct upage {
	struct stream	*st;
	enum width	 w;
	int64_t		 lo, hi;	/* first and last bucket start */
	int64_t		 through;	/* the last bucket's end */
	struct urow	*rows;
	size_t		 n, cap;
	struct buf	 arena;
};

struct usage_walk {
	struct chain		 ch;	/* ch.st: what oa_cancel matches */
	const struct usage_kind	*kind;
	enum width		 w;
	int64_t			 start, end;
	bool			 have[W__MAX];
	int64_t			 from[W__MAX], through[W__MAX];
	char			 query[512];	/* without page= */
	char			 currency[17];	/* costs: of stored rows */
};

static const struct usage_kind *
kind_of(enum stream_id id)
{
	size_t	 i;

	for (i = 0; i < NKINDS; i++)
		if (kinds[i].id == id)
			return &kinds[i];
	return NULL;
}

/* -- before the pull ---------------------------------------------------- */

static int
cursor_row(const struct db_row *r, void *arg)
{
	struct usage_walk	*u = arg;
	const char		*w = db_row_str(r, 0);
	enum width		 i;

	for (i = 0; i < W__MAX; i++)
		if (strcmp(w, widths[i].name) == 0) {
			u->have[i] = true;
			u->from[i] = db_row_int(r, 1);
			u->through[i] = db_row_int(r, 2);
		}
	return 0;
}

static int
currency_row(const struct db_row *r, void *arg)
{
	struct usage_walk	*u = arg;

	snprintf(u->currency, sizeof(u->currency), "%s", db_row_str(r, 0));
	return 1;
}

void
usage_stream_prepare(struct run *run, struct stream *st)
{
	struct usage_walk	*u = xcalloc(1, sizeof(*u));

	st->usage = u;
	u->ch.run = run;
	u->ch.st = st;
	u->kind = kind_of(st->id);
	if (DB_QUERY(run->db, SQL_USAGE_CURSOR_GET, cursor_row, u,
	    DV_I(run->org), DV_S(st->def->name)) < 0 || (u->kind->costs &&
	    DB_QUERY(run->db, SQL_COST_CURRENCY, currency_row, u,
	    DV_I(run->org)) < 0)) {
		log_err("collect: org %" PRId64 ": %s: %s", run->org,
		    st->def->name, db_error(run->db));
		st->state = SS_FAILED;
		snprintf(st->error, sizeof(st->error), "storage error; see "
		    "the collector log");
	}
}

void
usage_stream_free(struct stream *st)
{
	if (st->usage == NULL)
		return;
	oa_chain_free(&st->usage->ch.seen);
	free(st->usage);
	st->usage = NULL;
}

/* -- the network loop --------------------------------------------------- */

static void	usage_page(struct oa *oa, struct oa_call *call, void *arg);

static int64_t
align(int64_t t, int64_t size)
{
	return t - ((t % size) + size) % size;
}

/* Queues the query of width w, or the next page of it (page != NULL). */
static void
usage_get(struct stream *st, const char *page)
{
	struct usage_walk	*u = st->usage;
	struct buf		 path = { 0 };

	buf_printf(&path, "%s?%s", st->def->path, u->query);
	if (page != NULL) {
		buf_adds(&path, "&page=");
		oa_escape(page, &path);
	}
	oa_get(st->run->oa, path.p, true, usage_page, &u->ch);
	buf_free(&path);
}

/*
 * Starts width w's walk: from the cursor, or the backfill's start, but
 * never later than the revision window; to now.
 */
static void
width_start(struct run *run, struct stream *st, enum width w)
{
	struct usage_walk	*u = st->usage;
	const struct conf	*c = run->conf;
	int64_t			 size = widths[w].size, from, window, limit;
	struct buf		 q = { 0 };
	size_t			 i;

	if (w == W_DAY) {
		from = align(run->now, DAY) - c->usage_backfill_days * DAY;
		window = align(run->now, DAY) - c->usage_revision_days * DAY;
		limit = u->kind->costs ? c->costs_page_days :
		    c->usage_page_days;
	} else {
		from = window = align(run->now - c->usage_revision_hours * HOUR,
		    HOUR);
		limit = c->usage_page_hours;
	}
	u->w = w;
	u->start = from;
	if (u->have[w] && u->through[w] > from)
		u->start = align(u->through[w] < window ? u->through[w] :
		    window, size);
	if (u->start < from)
		u->start = from;
	u->from[w] = from;
	u->end = run->now;
	buf_printf(&q, "start_time=%" PRId64 "&end_time=%" PRId64
	    "&bucket_width=%s&limit=%" PRId64, u->start, u->end,
	    widths[w].name, limit);
	for (i = 0; i < 4 && u->kind->group_by[i] != NULL; i++)
		buf_printf(&q, "&group_by=%s", u->kind->group_by[i]);
	snprintf(u->query, sizeof(u->query), "%s", q.p);
	buf_free(&q);
	oa_chain_free(&u->ch.seen);
	usage_get(st, NULL);
}

void
usage_stream_start(struct run *run, struct stream *st)
{
	if (st->state == SS_FAILED) {
		stream_hand_over(run, st);
		return;
	}
	st->state = SS_RUNNING;
	st->started_ms = now_ms();
	width_start(run, st, W_DAY);
}

/* -- a page's rows ------------------------------------------------------ */

static size_t
arena_put(struct upage *pg, const char *s, size_t n)
{
	size_t	 off = pg->arena.len;

	buf_add(&pg->arena, s, n);
	buf_addc(&pg->arena, '\0');
	return off + 1;
}

/* A string member's value into slot, or NULL; false if not a string. */
static bool
put_str(struct upage *pg, struct urow *r, int slot, const struct jdoc *d,
    uint32_t k)
{
	if (d->v[k].type == J_NULL)
		return true;
	if (d->v[k].type != J_STR || d->v[k].len > 512)
		return false;
	r->s[slot] = arena_put(pg, d->v[k].s, d->v[k].len);
	return true;
}

/* The group's key: SHA-256 over its values (NULL apart from ""). */
static void
group_hash(struct upage *pg, struct urow *r, const int *slots, size_t n)
{
	struct buf	 b = { 0 };
	unsigned char	 h[32];
	size_t		 i;

	for (i = 0; i < n; i++) {
		if (r->s[slots[i]] == 0)
			buf_addc(&b, '\0');
		else {
			buf_addc(&b, '\1');
			buf_adds(&b, pg->arena.p + r->s[slots[i]] - 1);
		}
		buf_addc(&b, '\x1f');
	}
	sha256_2(b.p, b.len, NULL, 0, h);
	memcpy(r->grp, h, sizeof(r->grp));
	buf_free(&b);
}

static bool
is_other_dim(const struct jdoc *d, uint32_t key)
{
	size_t	 i;

	for (i = 0; other_dims[i] != NULL; i++)
		if (jscan_streq(d, key, other_dims[i]))
			return true;
	return false;
}

/* Appends "name":value (value already JSON) to an object being built. */
static void
member_add(struct buf *o, const struct jdoc *d, uint32_t key,
    const char *value, size_t vlen)
{
	buf_addc(o, o->len == 0 ? '{' : ',');
	audit_json_string(d->v[key].s, d->v[key].len, o);
	buf_addc(o, ':');
	buf_add(o, value, vlen);
}

/* One usage result; -1 with err. */
static int
usage_result(struct upage *pg, struct urow *r, const struct jdoc *d,
    uint32_t o, char *err, size_t errlen)
{
	static const char *const dims[4] = { "project_id", "user_id",
	    "api_key_id", "model" };
	static const char *const nums[N__MAX] = { "num_model_requests",
	    "input_tokens", "output_tokens" };
	static const int slots[4] = { U_PROJECT, U_USER, U_KEY, U_MODEL };
	struct buf	 counters = { 0 }, extra = { 0 }, val = { 0 };
	uint32_t	 k, v;
	char		 num[32];
	int		 i, rc = 0;

	for (k = JSCAN_FIRST(o); k < d->v[o].end && rc == 0;
	    k = d->v[v].end) {
		v = k + 1;
		if (jscan_streq(d, k, "object"))
			continue;
		for (i = 0; i < 4; i++)
			if (jscan_streq(d, k, dims[i]))
				break;
		if (i < 4) {
			if (!put_str(pg, r, slots[i], d, v)) {
				snprintf(err, errlen, "a result's %s is not a "
				    "string or null", dims[i]);
				rc = -1;
			}
			continue;
		}
		if (d->v[v].type == J_NULL && is_other_dim(d, k))
			continue;
		if (d->v[v].type == J_INT) {
			snprintf(num, sizeof(num), "%" PRId64, d->v[v].i);
			member_add(&counters, d, k, num, strlen(num));
			for (i = 0; i < N__MAX; i++)
				if (jscan_streq(d, k, nums[i])) {
					r->n[i] = d->v[v].i;
					r->has[i] = true;
				}
			continue;
		}
		/* Kept as served (scrubbed like the audit log's text). */
		val.len = 0;
		if (audit_canon(d, v, &val) != 0) {
			snprintf(err, errlen, "a result's member cannot be "
			    "kept");
			rc = -1;
			continue;
		}
		member_add(&extra, d, k, val.p, val.len);
	}
	buf_addc(&counters, counters.len == 0 ? '{' : '}');
	if (counters.len == 1)
		buf_addc(&counters, '}');
	r->s[U_COUNTERS] = arena_put(pg, counters.p, counters.len);
	if (extra.len > 0) {
		buf_addc(&extra, '}');
		r->s[U_EXTRA] = arena_put(pg, extra.p, extra.len);
	}
	group_hash(pg, r, slots, 4);
	buf_free(&counters);
	buf_free(&extra);
	buf_free(&val);
	return rc;
}

/* The text of a number node (JSON integer or real) into out. */
static void
number_text(const struct jnode *x, char *out, size_t n)
{
	if (x->type == J_INT)
		snprintf(out, n, "%" PRId64, x->i);
	else
		snprintf(out, n, "%.*s", (int)x->len, x->s);
}

/* One costs result; -1 with err.  The currency must stay one. */
static int
cost_result(struct usage_walk *u, struct upage *pg, struct urow *r,
    const struct jdoc *d, uint32_t o, char *err, size_t errlen)
{
	static const int slots[3] = { C_PROJECT, C_ITEM, C_KEY };
	struct buf	 extra = { 0 }, val = { 0 };
	uint32_t	 k, v, a, av, cur;
	char		 text[DEC_TEXT_MAX], why[128], num[64];
	dec_t		 amount;
	int		 rc = 0;

	a = jscan_get(d, o, "amount");
	if (a == JSCAN_NONE || d->v[a].type != J_OBJ) {
		snprintf(err, errlen, "a result has no amount");
		return -1;
	}
	av = jscan_get(d, a, "value");
	cur = jscan_get(d, a, "currency");
	if (av == JSCAN_NONE || (d->v[av].type != J_INT &&
	    d->v[av].type != J_REAL && d->v[av].type != J_STR)) {
		snprintf(err, errlen, "an amount has no value");
		return -1;
	}
	if (d->v[av].type == J_INT) {
		number_text(&d->v[av], num, sizeof(num));
		rc = dec_parse(num, strlen(num), &amount, why, sizeof(why));
	} else
		rc = dec_parse(d->v[av].s, d->v[av].len, &amount, why,
		    sizeof(why));
	if (rc != 0) {
		snprintf(err, errlen, "amount.value is not a decimal (%s)",
		    why);
		return -1;
	}
	if (cur == JSCAN_NONE || d->v[cur].type != J_STR ||
	    d->v[cur].len == 0 || d->v[cur].len >= sizeof(u->currency)) {
		snprintf(err, errlen, "an amount has no currency");
		return -1;
	}
	if (u->currency[0] == '\0')
		snprintf(u->currency, sizeof(u->currency), "%.*s",
		    (int)d->v[cur].len, d->v[cur].s);
	else if (strlen(u->currency) != d->v[cur].len ||
	    memcmp(u->currency, d->v[cur].s, d->v[cur].len) != 0) {
		snprintf(err, errlen, "the currency changed from %s to %.*s",
		    u->currency, (int)(d->v[cur].len > 16 ? 16 :
		    d->v[cur].len), d->v[cur].s);
		return -1;
	}
	dec_format(amount, text, sizeof(text));
	r->s[C_AMOUNT] = arena_put(pg, text, strlen(text));
	r->s[C_CURRENCY] = arena_put(pg, u->currency, strlen(u->currency));

	for (k = JSCAN_FIRST(o); k < d->v[o].end && rc == 0;
	    k = d->v[v].end) {
		v = k + 1;
		if (jscan_streq(d, k, "object") || jscan_streq(d, k,
		    "amount"))
			continue;
		if (jscan_streq(d, k, "project_id") || jscan_streq(d, k,
		    "line_item") || jscan_streq(d, k, "api_key_id")) {
			int	 slot = jscan_streq(d, k, "project_id") ?
			    C_PROJECT : jscan_streq(d, k, "line_item") ?
			    C_ITEM : C_KEY;

			if (!put_str(pg, r, slot, d, v)) {
				snprintf(err, errlen, "a result's %.*s is not a "
				    "string or null", (int)d->v[k].len,
				    d->v[k].s);
				rc = -1;
			}
			continue;
		}
		if (jscan_streq(d, k, "quantity") && (d->v[v].type == J_INT ||
		    d->v[v].type == J_REAL)) {
			number_text(&d->v[v], num, sizeof(num));
			r->s[C_QTY] = arena_put(pg, num, strlen(num));
			continue;
		}
		if (jscan_streq(d, k, "quantity_unit") &&
		    d->v[v].type == J_STR) {
			put_str(pg, r, C_UNIT, d, v);
			continue;
		}
		if (d->v[v].type == J_NULL && (jscan_streq(d, k, "quantity") ||
		    jscan_streq(d, k, "quantity_unit")))
			continue;
		val.len = 0;
		if (audit_canon(d, v, &val) != 0) {
			snprintf(err, errlen, "a result's member cannot be "
			    "kept");
			rc = -1;
			continue;
		}
		member_add(&extra, d, k, val.p, val.len);
	}
	if (extra.len > 0) {
		buf_addc(&extra, '}');
		r->s[C_EXTRA] = arena_put(pg, extra.p, extra.len);
	}
	group_hash(pg, r, slots, 3);
	buf_free(&extra);
	buf_free(&val);
	return rc;
}

static void
day_text(int64_t t, char out[21])
{
	fmt_rfc3339(t, out);
	if (t % DAY == 0)
		out[10] = '\0';
}

/* A page's buckets into pg; -1 with err naming the bucket. */
static int
page_rows(struct stream *st, const struct jdoc *d, uint32_t data,
    struct upage *pg, char *err, size_t errlen)
{
	struct usage_walk	*u = st->usage;
	int64_t			 size = widths[u->w].size, bs, be;
	uint32_t		 b, t, res, o;
	char			 when[21], why[200];
	struct urow		*r;

	for (b = JSCAN_FIRST(data); b < d->v[data].end; b = d->v[b].end) {
		if (d->v[b].type != J_OBJ ||
		    (t = jscan_get(d, b, "start_time")) == JSCAN_NONE ||
		    d->v[t].type != J_INT) {
			snprintf(err, errlen, "a bucket has no start_time");
			return -1;
		}
		bs = d->v[t].i;
		day_text(bs, when);
		t = jscan_get(d, b, "end_time");
		be = t != JSCAN_NONE && d->v[t].type == J_INT ? d->v[t].i : 0;
		if (be - bs != size || align(bs, size) != bs ||
		    bs < align(u->start, size) || bs >= u->end) {
			snprintf(err, errlen, "bucket %s (%s): not a %s bucket "
			    "of the range asked for", when, widths[u->w].name,
			    widths[u->w].name);
			return -1;
		}
		if ((res = jscan_get(d, b, "results")) == JSCAN_NONE ||
		    d->v[res].type != J_ARR) {
			snprintf(err, errlen, "bucket %s (%s): no results", when,
			    widths[u->w].name);
			return -1;
		}
		if (pg->through == 0)
			pg->lo = bs;
		pg->hi = bs;
		pg->through = be;
		for (o = JSCAN_FIRST(res); o < d->v[res].end; o = d->v[o].end) {
			if (pg->n == pg->cap) {
				pg->cap = pg->cap ? pg->cap * 2 : 64;
				pg->rows = xrealloc(pg->rows, pg->cap *
				    sizeof(*pg->rows));
			}
			r = &pg->rows[pg->n];
			memset(r, 0, sizeof(*r));
			r->start = bs;
			r->closed = be <= st->run->now;
			if (d->v[o].type != J_OBJ) {
				snprintf(err, errlen, "bucket %s (%s): a result "
				    "is not an object", when, widths[u->w].name);
				return -1;
			}
			if ((u->kind->costs ? cost_result(u, pg, r, d, o, why,
			    sizeof(why)) : usage_result(pg, r, d, o, why,
			    sizeof(why))) != 0) {
				snprintf(err, errlen, "bucket %s (%s): %s", when,
				    widths[u->w].name, why);
				return -1;
			}
			pg->n++;
		}
	}
	return 0;
}

/* -- the write thread ---------------------------------------------------- */

static struct db_val
slot_val(const struct upage *pg, const struct urow *r, int slot)
{
	return r->s[slot] ? DV_S(pg->arena.p + r->s[slot] - 1) : DV_NULL;
}

static struct db_val
num_val(const struct urow *r, int i)
{
	return r->has[i] ? DV_I(r->n[i]) : DV_NULL;
}

#define NCOLS_USAGE	18
#define NCOLS_COST	15

static void
row_vals(const struct upage *pg, const struct urow *r, struct db_val *v)
{
	struct stream	*st = pg->st;
	struct run	*run = st->run;

	if (!st->usage->kind->costs) {
		v[0] = DV_I(run->tenant);
		v[1] = DV_I(run->org);
		v[2] = DV_S(st->usage->kind->endpoint);
		v[3] = DV_S(widths[pg->w].name);
		v[4] = DV_I(r->start);
		v[5] = DV_B(r->grp, sizeof(r->grp));
		v[6] = slot_val(pg, r, U_PROJECT);
		v[7] = slot_val(pg, r, U_USER);
		v[8] = slot_val(pg, r, U_KEY);
		v[9] = slot_val(pg, r, U_MODEL);
		v[10] = num_val(r, N_REQUESTS);
		v[11] = num_val(r, N_INPUT);
		v[12] = num_val(r, N_OUTPUT);
		v[13] = slot_val(pg, r, U_COUNTERS);
		v[14] = slot_val(pg, r, U_EXTRA);
		v[15] = DV_I(r->closed);
		v[16] = DV_I(run->now);
		v[17] = DV_I(run->run_id);
		return;
	}
	v[0] = DV_I(run->tenant);
	v[1] = DV_I(run->org);
	v[2] = DV_I(r->start);
	v[3] = DV_B(r->grp, sizeof(r->grp));
	v[4] = slot_val(pg, r, C_PROJECT);
	v[5] = slot_val(pg, r, C_ITEM);
	v[6] = slot_val(pg, r, C_KEY);
	v[7] = slot_val(pg, r, C_AMOUNT);
	v[8] = slot_val(pg, r, C_CURRENCY);
	v[9] = slot_val(pg, r, C_QTY);
	v[10] = slot_val(pg, r, C_UNIT);
	v[11] = slot_val(pg, r, C_EXTRA);
	v[12] = DV_I(r->closed);
	v[13] = DV_I(run->now);
	v[14] = DV_I(run->run_id);
}

/* Does the stream keep per-day roll-ups (020_usage_rollups.sql)? */
static bool
has_rollups(const struct usage_kind *k)
{
	return k->costs || strcmp(k->endpoint, "completions") == 0;
}

/*
 * The roll-ups of a stream from its rollup_from on, summed again from
 * the buckets, and the mark cleared (a db_tx_fn): run when the stream
 * ends, whatever its outcome, so pages a dead pull stored are summed by
 * the next one's.
 */
static int
rollup_tx(struct db *db, void *arg)
{
	const struct stream	*st = arg;
	int64_t			 org = st->run->org, from = -1;

	if (DB_QUERY(db, SQL_USAGE_ROLLUP_FROM, db_row_first_int, &from,
	    DV_I(org), DV_S(st->def->name)) < 0)
		return -1;
	if (from < 0)
		return 0;
	if (st->usage->kind->costs) {
		if (DB_EXEC(db, SQL_ROLL_COST_DAY_CLEAR, DV_I(org),
		    DV_I(from)) != 0 ||
		    DB_EXEC(db, SQL_ROLL_COST_DAY_SUM, DV_I(org),
		    DV_I(from)) != 0 ||
		    DB_EXEC(db, SQL_ROLL_COST_CUM_CLEAR, DV_I(org),
		    DV_I(from)) != 0 ||
		    DB_EXEC(db, SQL_ROLL_COST_CUM_SUM, DV_I(org), DV_I(org),
		    DV_I(from), DV_I(org), DV_I(from), DV_I(org), DV_I(from),
		    DV_I(org), DV_I(from)) != 0)
			return -1;
	} else if (DB_EXEC(db, SQL_ROLL_MODEL_CLEAR, DV_I(org),
	    DV_I(from)) != 0 || DB_EXEC(db, SQL_ROLL_MODEL_SUM, DV_I(org),
	    DV_I(from)) != 0)
		return -1;
	return DB_EXEC(db, SQL_USAGE_ROLLUP_DONE, DV_I(org),
	    DV_S(st->def->name)) != 0 ? -1 : 0;
}

/* One page, whole or not at all (a db_tx_fn: it may run again). */
static int
page_tx(struct db *db, void *arg)
{
	struct upage	*pg = arg;
	struct stream	*st = pg->st;
	struct run	*run = st->run;
	bool		 costs = st->usage->kind->costs;
	size_t		 ncols = costs ? NCOLS_COST : NCOLS_USAGE, i, k, m;
	struct db_val	*v;
	int		 rc = 0;

	v = xmalloc(USAGE_BATCH * ncols * sizeof(*v));
	for (i = 0; i < pg->n && rc == 0; i += m) {
		m = pg->n - i < USAGE_BATCH ? pg->n - i : USAGE_BATCH;
		for (k = 0; k < m; k++)
			row_vals(pg, &pg->rows[i + k], v + k * ncols);
		rc = db_exec_bulk(db, costs ? SQL_COST_PUT : SQL_USAGE_PUT, v,
		    m, ncols);
	}
	free(v);
	if (rc != 0)
		return -1;
	if (pg->through > 0 && (costs ? DB_EXEC(db, SQL_COST_VANISHED,
	    DV_I(run->org), DV_I(pg->lo), DV_I(pg->hi), DV_I(run->run_id)) :
	    DB_EXEC(db, SQL_USAGE_VANISHED, DV_I(run->org),
	    DV_S(st->usage->kind->endpoint), DV_S(widths[pg->w].name),
	    DV_I(pg->lo), DV_I(pg->hi), DV_I(run->run_id))) != 0)
		return -1;
	/* The day roll-up of costs per project: /costs by project and day
	 * and the rest of the roll-ups are summed from it. */
	if (costs && pg->through > 0 && (DB_EXEC(db, SQL_COST_DAY_CLEAR,
	    DV_I(run->org), DV_I(pg->lo), DV_I(pg->hi)) != 0 ||
	    DB_EXEC(db, SQL_COST_DAY_SUM, DV_I(run->org), DV_I(pg->lo),
	    DV_I(pg->hi)) != 0))
		return -1;
	/* The mark says from which day the stream's end sums the rest. */
	if (pg->through > 0 && DB_EXEC(db, SQL_USAGE_CURSOR_PUT,
	    DV_I(run->tenant), DV_I(run->org), DV_S(st->def->name),
	    DV_S(widths[pg->w].name),
	    DV_I(st->usage->from[pg->w]), DV_I(pg->through),
	    DV_I(run->now), pg->w == W_DAY && has_rollups(st->usage->kind) ?
	    DV_I(pg->lo) : DV_NULL) != 0)
		return -1;
	return 0;
}

static void
upage_free(struct upage *pg)
{
	free(pg->rows);
	buf_free(&pg->arena);
	free(pg);
}

static void
usage_store(struct db *db, void *arg)
{
	struct upage	*pg = arg;

	if (!pg->st->write_failed && db_tx(db, page_tx, pg) != 0)
		stream_write_error(pg->st, db_error(db));
	upage_free(pg);
}

/* -- pages --------------------------------------------------------------- */

static void
usage_page(struct oa *oa, struct oa_call *call, void *arg)
{
	struct chain	*ch = arg;
	struct stream	*st = ch->st;
	struct run	*run = st->run;
	struct usage_walk *u = st->usage;
	struct jdoc	 d = { 0 };
	struct upage	*pg;
	uint32_t	 data, more, next;
	char		 err[300], where[64];
	char		*cursor = NULL;
	bool		 has_more;

	(void)oa;
	if (st->state != SS_RUNNING)
		return;
	stream_count_call(st, call);
	snprintf(where, sizeof(where), "%s buckets, page %ld",
	    widths[u->w].name, st->pages + 1);
	if (!oa_ok(call)) {
		stream_call_failed(run, st, call, where);
		return;
	}
	if (call->openai_org[0] != '\0')
		snprintf(run->openai_org, sizeof(run->openai_org), "%s",
		    call->openai_org);
	if (jscan_parse(&d, call->body.p ? call->body.p : "", call->body.len,
	    err, sizeof(err)) != 0 || d.v[0].type != J_OBJ) {
		stream_stop(run, st, SS_FAILED, call->status, "%s: not a JSON "
		    "object: %s", where, d.n > 0 && d.v[0].type != J_OBJ ?
		    "another value" : err);
		jscan_free(&d);
		return;
	}
	data = jscan_get(&d, 0, "data");
	more = jscan_get(&d, 0, "has_more");
	next = jscan_get(&d, 0, "next_page");
	if (data == JSCAN_NONE || d.v[data].type != J_ARR) {
		stream_stop(run, st, SS_FAILED, call->status, "%s: the page "
		    "has no data", where);
		jscan_free(&d);
		return;
	}
	if (more == JSCAN_NONE || (d.v[more].type != J_TRUE &&
	    d.v[more].type != J_FALSE)) {
		stream_stop(run, st, SS_FAILED, call->status, "%s: the page "
		    "has no has_more", where);
		jscan_free(&d);
		return;
	}
	has_more = d.v[more].type == J_TRUE;
	if (has_more && (next == JSCAN_NONE || d.v[next].type != J_STR ||
	    d.v[next].len == 0)) {
		stream_stop(run, st, SS_FAILED, call->status, "%s: has_more "
		    "without next_page", where);
		jscan_free(&d);
		return;
	}
	pg = xcalloc(1, sizeof(*pg));
	pg->st = st;
	pg->w = u->w;
	if (page_rows(st, &d, data, pg, err, sizeof(err)) != 0) {
		stream_stop(run, st, SS_FAILED, call->status, "%s: %s", where,
		    err);
		upage_free(pg);
		jscan_free(&d);
		return;
	}
	if (has_more)
		cursor = jscan_strdup(&d, next);
	jscan_free(&d);
	st->pages++;
	st->rows += (long)pg->n;
	wq_call(run->wq, usage_store, pg, sizeof(*pg) + pg->arena.len +
	    pg->cap * sizeof(*pg->rows));
	if (cursor != NULL) {
		if (oa_chain_follow(&u->ch.seen, cursor, err,
		    sizeof(err)) != 0)
			stream_stop(run, st, SS_FAILED, 200, "%s: %s", where, err);
		else
			usage_get(st, cursor);
		free(cursor);
		return;
	}
	if (u->w == W_DAY && !u->kind->costs) {
		width_start(run, st, W_HOUR);
		return;
	}
	st->state = SS_FETCHED;
	stream_hand_over(run, st);
}

/* -- the end ------------------------------------------------------------- */

long
usage_stream_end(struct db *db, struct stream *st, enum stream_state s)
{
	struct run	*run = st->run;

	if (has_rollups(st->usage->kind) && db_tx(db, rollup_tx, st) != 0)
		log_err("collect: org %" PRId64 ": %s: roll-ups: %s", run->org,
		    st->def->name, db_error(db));
	if (s == SS_OK && !st->usage->kind->costs &&
	    DB_EXEC(db, SQL_USAGE_HOURLY_PURGE, DV_I(run->org),
	    DV_S(st->usage->kind->endpoint), DV_I(align(run->now, DAY) -
	    run->conf->usage_hourly_keep_days * DAY)) != 0)
		log_warn("collect: org %" PRId64 ": %s: hourly purge: %s",
		    run->org, st->def->name, db_error(db));
	return st->rows;
}

bool
usage_stream_is(const struct stream *st)
{
	return kind_of(st->id) != NULL;
}

/* The per-key figures of the keys page (a db_tx_fn). */
static int
key_stats_tx(struct db *db, void *arg)
{
	struct run	*run = arg;
	int64_t		 since = align(run->now, DAY) - 29 * DAY;

	return DB_EXEC(db, SQL_USAGE_KEY_STAT_CLEAR, DV_I(run->org)) != 0 ||
	    DB_EXEC(db, SQL_USAGE_KEY_STAT_SUM, DV_I(run->tenant),
	    DV_I(run->org), DV_I(run->now), DV_I(since), DV_I(run->org),
	    DV_I(run->org), DV_I(since)) != 0 ||
	    DB_EXEC(db, SQL_ORG_VIEW_BUMP, DV_I(run->org)) != 0 ? -1 : 0;
}

struct unmapped_id {
	char	 id[129];
	int64_t	 d0, d1;	/* first and last day */
};

struct unmapped_ids {
	struct unmapped_id	*v;
	size_t			 n, cap;
};

static int
unmapped_id_row(const struct db_row *r, void *arg)
{
	struct unmapped_ids	*x = arg;
	struct unmapped_id	*u;

	x->v = xgrow(x->v, x->n + 1, &x->cap, sizeof(*x->v), 16);
	u = &x->v[x->n++];
	snprintf(u->id, sizeof(u->id), "%s", db_row_str(r, 0));
	u->d0 = db_row_int(r, 1);
	u->d1 = db_row_int(r, 2);
	return 0;
}

/* One unmapped id's sums, as SQL_USAGE_UNMAPPED_*_PUT binds them. */
static int
unmapped_put(struct db *db, const struct run *run, enum sql_stmt put,
    const struct unmapped_id *u)
{
	int64_t	 t = run->tenant, o = run->org;

	if (put == SQL_USAGE_UNMAPPED_USER_PUT)
		return DB_EXEC(db, put, DV_I(t), DV_I(o), DV_S(u->id), DV_I(o),
		    DV_S(u->id), DV_I(u->d0), DV_I(u->d0), DV_I(u->d1),
		    DV_I(u->d1), DV_I(o), DV_S(u->id), DV_I(o));
	return DB_EXEC(db, put, DV_I(t), DV_I(o), DV_S(u->id), DV_I(o),
	    DV_S(u->id), DV_I(o), DV_S(u->id), DV_I(u->d0), DV_I(u->d1));
}

/* The usage page's unmapped activity, kind by kind (a db_tx_fn). */
static int
unmapped_tx(struct db *db, void *arg)
{
	static const struct {
		enum sql_stmt	 ids, put;
		size_t		 norg;	/* org parameters of ids */
	} kinds[] = {
		{ SQL_USAGE_UNMAPPED_KEY_IDS, SQL_USAGE_UNMAPPED_KEY_PUT, 3 },
		{ SQL_USAGE_UNMAPPED_PROJECT_IDS, SQL_USAGE_UNMAPPED_PROJECT_PUT,
		    3 },
		{ SQL_USAGE_UNMAPPED_USER_IDS, SQL_USAGE_UNMAPPED_USER_PUT, 2 },
	};
	struct run		*run = arg;
	struct unmapped_ids	 x = { NULL, 0, 0 };
	struct db_val		 v[3];
	size_t			 i, k;
	int			 rc = -1;

	if (DB_EXEC(db, SQL_USAGE_UNMAPPED_CLEAR, DV_I(run->org)) != 0)
		return -1;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		for (k = 0; k < kinds[i].norg; k++)
			v[k] = DV_I(run->org);
		x.n = 0;
		if (db_query(db, kinds[i].ids, v, kinds[i].norg,
		    unmapped_id_row, &x) < 0)
			goto out;
		for (k = 0; k < x.n; k++)
			if (unmapped_put(db, run, kinds[i].put, &x.v[k]) != 0)
				goto out;
	}
	rc = 0;
out:
	free(x.v);
	return rc;
}

static void	usage_caps(struct run *run);

void
usage_after_pull(struct run *run)
{
	enum stream_id	 i;
	bool		 any = false;
	long		 rows = 0;

	for (i = 0; i < ST__MAX; i++)
		if (usage_stream_is(&run->st[i]) &&
		    run->st[i].final == SS_OK) {
			any = true;
			rows += run->st[i].rows;
		}
	usage_caps(run);
	if (any && db_tx(run->db, key_stats_tx, run) != 0)
		log_err("collect: org %" PRId64 ": usage per key: %s",
		    run->org, db_error(run->db));
	/* Unmapped ids change with usage and with the lists alike. */
	if ((any || run->st[ST_API_KEYS].final == SS_OK ||
	    run->st[ST_ADMIN_KEYS].final == SS_OK ||
	    run->st[ST_USERS].final == SS_OK ||
	    run->st[ST_PROJECTS].final == SS_OK) &&
	    db_tx(run->db, unmapped_tx, run) != 0)
		log_err("collect: org %" PRId64 ": unmapped activity: %s",
		    run->org, db_error(run->db));
	if (!any)
		return;
	/* A backfill moves the tables' statistics: refresh them. */
	if (rows > 10000 && DB_QUERY(run->db, SQL_ANALYZE_USAGE, NULL,
	    NULL) < 0)
		log_warn("collect: org %" PRId64 ": analyze usage: %s",
		    run->org, db_error(run->db));
}

/* -- capabilities --------------------------------------------------------- */

struct facts {
	bool	 costs, usage, per_user;
};

static int
facts_row(const struct db_row *r, void *arg)
{
	struct facts	*f = arg;

	f->costs = db_row_int(r, 0) != 0;
	f->usage = db_row_int(r, 1) != 0;
	f->per_user = db_row_int(r, 2) != 0;
	return 1;
}

static int
caps_row(const struct db_row *r, void *arg)
{
	json_t	**caps = arg;

	*caps = json_loads(db_row_str(r, 0), 0, NULL);
	return 1;
}

/* The checklist entry named name, made if missing. */
static json_t *
cap_entry(json_t *caps, const char *name, const char *label)
{
	json_t	*e, *found = NULL;
	size_t	 i;

	json_array_foreach(caps, i, e)
		if (found == NULL && json_is_string(json_object_get(e,
		    "name")) && strcmp(json_string_value(json_object_get(e,
		    "name")), name) == 0)
			found = e;
	if ((e = found) == NULL) {
		e = json_pack("{s:s}", "name", name);
		json_array_append_new(caps, e);
	}
	json_object_set_new(e, "label", json_string(label));
	return e;
}

static void
cap_set(json_t *e, const char *status, long http, const char *detail)
{
	json_object_set_new(e, "status", json_string(status));
	json_object_set_new(e, "http_status", http ? json_integer(http) :
	    json_null());
	json_object_set_new(e, "detail", json_string(detail));
}

/*
 * What the pull found, over the probe's answer: reachable or not, and
 * whether anything was ingested.  st is the stream that decides (costs,
 * or the first usage stream that ran); NULL leaves the entry alone.
 */
static void
cap_from(json_t *e, const struct stream *st, bool populated,
    const char *nothing)
{
	char	 detail[400];

	if (st == NULL)
		return;
	switch (st->final) {
	case SS_OK:
		cap_set(e, populated ? "ok" : "empty", 200, populated ?
		    "reachable, and ingested" : nothing);
		break;
	case SS_SKIPPED:
		cap_set(e, "denied", st->http_status, st->error);
		break;
	default:
		snprintf(detail, sizeof(detail), "the last pull failed: %s",
		    st->write_failed ? st->write_error : st->error);
		cap_set(e, "error", st->http_status, detail);
		break;
	}
}

/* Updates the org's capability checklist from what this pull ingested. */
static void
usage_caps(struct run *run)
{
	const struct stream	*costs = &run->st[ST_COSTS], *usage = NULL;
	struct facts		 f = { false, false, false };
	json_t			*caps = NULL;
	char			*text;
	enum stream_id		 i;

	/* Usage: the first stream stored, else the first that ran. */
	for (i = 0; i < ST__MAX; i++)
		if (usage_stream_is(&run->st[i]) && i != ST_COSTS &&
		    run->st[i].final != SS_IDLE && (usage == NULL ||
		    (usage->final != SS_OK && run->st[i].final == SS_OK)))
			usage = &run->st[i];
	if (costs->final == SS_IDLE)
		costs = NULL;
	if (costs == NULL && usage == NULL)
		return;
	if (DB_QUERY(run->db, SQL_USAGE_FACTS, facts_row, &f, DV_I(run->org),
	    DV_I(run->org), DV_I(run->org)) < 0 ||
	    DB_QUERY(run->db, SQL_ORG_CAPS_GET, caps_row, &caps,
	    DV_I(run->org)) < 0 || !json_is_array(caps)) {
		log_warn("collect: org %" PRId64 ": capabilities: %s", run->org,
		    db_error(run->db));
		json_decref(caps);
		return;
	}
	cap_from(cap_entry(caps, "costs", "costs"), costs, f.costs,
	    "reachable, nothing spent in the window");
	cap_from(cap_entry(caps, "usage", "usage"), usage, f.usage,
	    "reachable, no usage in the window");
	cap_from(cap_entry(caps, "per_user_breakdown", "usage per user"),
	    usage, f.per_user, f.usage ? "usage carries no user IDs" :
	    "no usage in the window");
	text = json_dumps(caps, JSON_COMPACT);
	if (text == NULL || DB_EXEC(run->db, SQL_ORG_CAPS_SET, DV_S(text),
	    DV_I(run->org)) != 0)
		log_warn("collect: org %" PRId64 ": capabilities: %s", run->org,
		    db_error(run->db));
	free(text);
	json_decref(caps);
}
