/*
 * list.c: see list.h.  The list table, the generic page of a list, and
 * the builders of the lists that page otherwise.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "activity.h"
#include "ingest.h"
#include "list.h"
#include "pages.h"
#include "redact.h"
#include "views.h"

void
cursor_encode(char kind, const char *a, const char *b, char *out,
    size_t outlen)
{
	char	 raw[300];
	int	 n;

	n = snprintf(raw, sizeof(raw), "%c\n%s%s%s", kind, a, b ? "\n" : "",
	    b ? b : "");
	/* base64url of n bytes is ceil(4n/3) characters, plus the NUL. */
	if (n < 0 || (size_t)n >= sizeof(raw) ||
	    ((size_t)n * 4 + 2) / 3 + 1 > outlen) {
		out[0] = '\0';
		return;
	}
	b64url_encode((const unsigned char *)raw, (size_t)n, out);
}

int
cursor_decode(const char *s, char kind, char *a, size_t alen, char *b,
    size_t blen)
{
	char	 raw[301], *nl;
	long	 n;

	n = b64url_decode(s, strlen(s), (unsigned char *)raw, sizeof(raw) - 1);
	if (n < 3 || raw[0] != kind || raw[1] != '\n')
		return -1;
	raw[n] = '\0';
	if (memchr(raw, '\0', (size_t)n) != NULL)
		return -1;
	nl = strchr(raw + 2, '\n');
	if ((nl != NULL) != (b != NULL))
		return -1;
	if (nl != NULL)
		*nl = '\0';
	if (!ingest_id_ok(raw + 2) || strlen(raw + 2) >= alen)
		return -1;
	snprintf(a, alen, "%s", raw + 2);
	if (nl != NULL) {
		if (!ingest_id_ok(nl + 1) || strlen(nl + 1) >= blen)
			return -1;
		snprintf(b, blen, "%s", nl + 1);
	}
	return 0;
}

/*
 * A page of a list: rows become views until the one past the limit.
 * Without view, a row is view_cols(stmt, object).
 */
struct page_out {
	json_t		*data;
	json_t		*(*view)(const struct db_row *);
	enum sql_stmt	 stmt;
	const char	*object;
	char		 kind;
	int		 bcol;		/* the cursor's second key, or -1 */
	int64_t		 limit;
	bool		 more;
	char		 last_a[129], last_b[33];
};

/* A key as of now. */
static json_t *
key_view(const struct db_row *r)
{
	return view_key(r, now_s());
}

static int
page_row(const struct db_row *row, void *arg)
{
	struct page_out	*p = arg;

	if ((int64_t)json_array_size(p->data) == p->limit) {
		p->more = true;
		return 1;
	}
	json_array_append_new(p->data, p->view != NULL ? p->view(row) :
	    view_cols(row, p->stmt, p->object));
	snprintf(p->last_a, sizeof(p->last_a), "%s", db_row_str(row, 0));
	if (p->bcol >= 0)
		snprintf(p->last_b, sizeof(p->last_b), "%s",
		    db_row_str(row, (size_t)p->bcol));
	return 0;
}

static void
page_init(struct page_out *p, char kind, int64_t limit,
    json_t *(*view)(const struct db_row *))
{
	memset(p, 0, sizeof(*p));
	p->data = json_array();
	p->kind = kind;
	p->bcol = kind == 'k' ? KC_STREAM : -1;
	p->limit = limit;
	p->view = view;
}

/* {"data": [...], "next_cursor": ...}; takes the page's data. */
static json_t *
page_done(struct page_out *p)
{
	char	 cursor[420];
	json_t	*next = json_null();

	if (p->more) {
		cursor_encode(p->kind, p->last_a, p->bcol >= 0 ? p->last_b :
		    NULL, cursor, sizeof(cursor));
		next = json_string(cursor);
	}
	return json_pack("{s:o, s:o}", "data", p->data, "next_cursor", next);
}

static enum list_rc
page_fail(struct page_out *p, enum list_rc rc)
{
	json_decref(p->data);
	p->data = NULL;
	return rc;
}

/* A cursor over numeric ids; *out keeps its default without one. */
static int
cursor_int(const char *cursor, char kind, int64_t *out)
{
	char	 id[32];

	if (cursor == NULL)
		return 0;
	if (cursor_decode(cursor, kind, id, sizeof(id), NULL, 0) != 0 ||
	    parse_i64(id, 1, INT64_MAX, out) != 0)
		return -1;
	return 0;
}

enum list_rc
list_orgs(struct db *db, int64_t tenant, const char *cursor, int64_t limit,
    json_t **out)
{
	struct page_out	 p;
	int64_t		 after = 0;

	page_init(&p, 'o', limit, view_org);
	if (cursor_int(cursor, 'o', &after) != 0)
		return page_fail(&p, LIST_BAD_CURSOR);
	if (DB_QUERY(db, SQL_ORG_PAGE, page_row, &p, DV_I(tenant),
	    DV_I(after), DV_I(limit + 1)) < 0)
		return page_fail(&p, LIST_DB);
	*out = page_done(&p);
	return LIST_OK;
}

static int
org_row(const struct db_row *r, void *arg)
{
	*(json_t **)arg = view_org(r);
	return 1;
}

static int
streams_row(const struct db_row *r, void *arg)
{
	json_array_append_new(arg, json_pack("{s:s, s:I, s:I, s:I}",
	    "stream", db_row_str(r, 0), "pulled_at",
	    (json_int_t)db_row_int(r, 1), "run_id",
	    (json_int_t)db_row_int(r, 2), "rows",
	    (json_int_t)db_row_int(r, 3)));
	return 0;
}

enum list_rc
list_org(struct db *db, int64_t tenant, int64_t org, json_t **out)
{
	json_t	*o = NULL, *streams = json_array();

	if (DB_QUERY(db, SQL_ORG_GET, org_row, &o, DV_I(tenant),
	    DV_I(org)) < 0 || (o != NULL && DB_QUERY(db, SQL_STREAM_LIST,
	    streams_row, streams, DV_I(tenant), DV_I(org)) < 0)) {
		json_decref(o);
		json_decref(streams);
		return LIST_DB;
	}
	if (o == NULL) {
		json_decref(streams);
		return LIST_NOT_FOUND;
	}
	json_object_set_new(o, "streams", streams);
	*out = o;
	return LIST_OK;
}

/* The four filters as (flag, value) parameter pairs, in SQL order. */
#define KEY_FILTER_ARGS(f) \
	(f)->stale >= 0 ? DV_I((f)->stale) : DV_NULL, DV_I((f)->stale), \
	(f)->orphan >= 0 ? DV_I((f)->orphan) : DV_NULL, DV_I((f)->orphan), \
	DV_S((f)->type), DV_S((f)->type), \
	DV_S((f)->project), DV_S((f)->project), \
	DV_S((f)->finding), DV_S((f)->finding)

static int
key_gens_row(const struct db_row *r, void *arg)
{
	((int64_t *)arg)[0] = db_row_int(r, 0);
	((int64_t *)arg)[1] = db_row_int(r, 1);
	return 1;
}

enum list_rc
list_keys(struct db *db, int64_t tenant, int64_t org,
    const struct key_filter *f, const char *cursor, int64_t limit,
    json_t **out)
{
	struct page_out	 p;
	char		 after[129] = "", stream[33] = "";

	int64_t		 gens[2] = { 0, 0 };

	page_init(&p, 'k', limit, key_view);
	if (cursor != NULL && cursor_decode(cursor, 'k', after, sizeof(after),
	    stream, sizeof(stream)) != 0)
		return page_fail(&p, LIST_BAD_CURSOR);
	/* One snapshot for the generations and the page. */
	if (db_begin(db) != 0)
		return page_fail(&p, LIST_DB);
	if (DB_QUERY(db, SQL_KEY_GENS, key_gens_row, gens, DV_I(tenant),
	    DV_I(org)) < 0 || DB_QUERY(db, f->project != NULL ?
	    SQL_KEY_PAGE_PROJECT : SQL_KEY_PAGE, page_row, &p,
	    DV_I(tenant), DV_I(org), DV_I(gens[0]), DV_I(gens[1]),
	    DV_S(after), DV_S(after), DV_S(stream), KEY_FILTER_ARGS(f),
	    DV_I(limit + 1)) < 0) {
		db_rollback(db);
		return page_fail(&p, LIST_DB);
	}
	db_commit(db);
	*out = page_done(&p);
	return LIST_OK;
}

static const struct {
	const char	*name;
	enum sql_stmt	 asc, desc;
} key_sorts[] = {
	{ "last_used", SQL_KEY_SORT_LAST_USED, SQL_KEY_SORT_LAST_USED_DESC },
	{ "created", SQL_KEY_SORT_CREATED, SQL_KEY_SORT_CREATED_DESC },
	{ "name", SQL_KEY_SORT_NAME, SQL_KEY_SORT_NAME_DESC },
	{ "project", SQL_KEY_SORT_PROJECT, SQL_KEY_SORT_PROJECT_DESC },
	{ "type", SQL_KEY_SORT_TYPE, SQL_KEY_SORT_TYPE_DESC },
};

enum list_rc
list_keys_sorted(struct db *db, int64_t tenant, int64_t org,
    const struct key_filter *f, const char *sort, bool desc, int64_t page,
    int64_t per_page, json_t **out)
{
	struct page_out	 p;
	enum sql_stmt	 st = key_sorts[0].asc;
	int64_t		 total = 0, pages, gens[2] = { 0, 0 };
	size_t		 i;

	for (i = 0; i < sizeof(key_sorts) / sizeof(key_sorts[0]); i++)
		if (sort != NULL && strcmp(sort, key_sorts[i].name) == 0)
			st = desc ? key_sorts[i].desc : key_sorts[i].asc;
	if (sort == NULL && desc)
		st = key_sorts[0].desc;
	page_init(&p, 'k', per_page, key_view);
	/* One snapshot for the generations, the count and the page. */
	if (db_begin(db) != 0)
		return page_fail(&p, LIST_DB);
	if (DB_QUERY(db, SQL_KEY_GENS, key_gens_row, gens, DV_I(tenant),
	    DV_I(org)) < 0)
		goto dberr;
	if (DB_QUERY(db, SQL_KEY_COUNT, db_row_first_int,
	    &total, DV_I(tenant), DV_I(org), DV_I(gens[0]), DV_I(gens[1]),
	    KEY_FILTER_ARGS(f)) < 0)
		goto dberr;
	pages = total == 0 ? 1 : (total + per_page - 1) / per_page;
	if (page > pages)
		page = pages;
	if (DB_QUERY(db, st, page_row, &p, DV_I(tenant), DV_I(org),
	    DV_I(gens[0]), DV_I(gens[1]), KEY_FILTER_ARGS(f),
	    DV_I(per_page), DV_I((page - 1) * per_page)) < 0)
		goto dberr;
	db_commit(db);
	*out = json_pack("{s:o, s:I, s:I, s:I, s:I}", "data", p.data,
	    "total", (json_int_t)total, "page", (json_int_t)page,
	    "pages", (json_int_t)pages, "per_page", (json_int_t)per_page);
	return LIST_OK;
dberr:
	db_rollback(db);
	return page_fail(&p, LIST_DB);
}

/* Attaches each stream row to its run in the page. */
static int
run_stream_row(const struct db_row *r, void *arg)
{
	json_t	*runs = arg, *run;
	size_t	 i;

	json_array_foreach(runs, i, run)
		if (json_integer_value(json_object_get(run, "id")) ==
		    db_row_int(r, RSC_RUN_ID))
			json_array_append_new(json_object_get(run, "streams"),
			    view_run_stream(r));
	return 0;
}

enum list_rc
list_runs(struct db *db, int64_t tenant, int64_t org, const char *cursor,
    int64_t limit, json_t **out)
{
	struct page_out	 p;
	int64_t		 before = INT64_MAX, hi, lo;
	size_t		 n;

	page_init(&p, 'r', limit, view_run);
	if (cursor_int(cursor, 'r', &before) != 0)
		return page_fail(&p, LIST_BAD_CURSOR);
	if (DB_QUERY(db, SQL_RUN_PAGE, page_row, &p, DV_I(tenant), DV_I(org),
	    DV_I(before), DV_I(limit + 1)) < 0)
		return page_fail(&p, LIST_DB);
	if ((n = json_array_size(p.data)) > 0) {
		hi = json_integer_value(json_object_get(json_array_get(p.data,
		    0), "id"));
		lo = json_integer_value(json_object_get(json_array_get(p.data,
		    n - 1), "id"));
		if (DB_QUERY(db, SQL_RUN_STREAMS, run_stream_row, p.data,
		    DV_I(tenant), DV_I(org), DV_I(hi), DV_I(lo)) < 0)
			return page_fail(&p, LIST_DB);
	}
	*out = page_done(&p);
	return LIST_OK;
}

enum list_rc
list_packs(struct db *db, int64_t tenant, int64_t org, const char *cursor,
    int64_t limit, json_t **out)
{
	struct page_out	 p;
	int64_t		 before = INT64_MAX;

	page_init(&p, 'x', limit, view_pack);
	if (cursor_int(cursor, 'x', &before) != 0)
		return page_fail(&p, LIST_BAD_CURSOR);
	if (DB_QUERY(db, SQL_PACK_PAGE, page_row, &p, DV_I(tenant), DV_I(org),
	    DV_I(org), DV_I(before), DV_I(limit + 1)) < 0)
		return page_fail(&p, LIST_DB);
	*out = page_done(&p);
	return LIST_OK;
}

enum list_rc
list_findings(struct db *db, int64_t tenant, int64_t org,
    const struct finding_filter *f, const char *cursor, int64_t limit,
    json_t **out)
{
	struct page_out	 p;
	int64_t		 before = INT64_MAX;
	const char	*status = f->status != NULL ? f->status : "open";

	page_init(&p, 'f', limit, view_finding);
	if (cursor_int(cursor, 'f', &before) != 0)
		return page_fail(&p, LIST_BAD_CURSOR);
	if (DB_QUERY(db, SQL_FINDING_PAGE, page_row, &p, DV_I(tenant),
	    DV_I(org), DV_I(before), DV_S(status), DV_S(status), DV_S(status),
	    DV_S(f->rule), DV_S(f->rule), DV_S(f->severity),
	    DV_S(f->severity), DV_S(f->subject), DV_S(f->subject),
	    DV_I(limit + 1)) < 0)
		return page_fail(&p, LIST_DB);
	*out = page_done(&p);
	return LIST_OK;
}

static int
open_count_row(const struct db_row *r, void *arg)
{
	json_array_append_new(arg, json_pack("{s:I, s:s, s:s, s:s, s:I}",
	    "org_id", (json_int_t)db_row_int(r, 0), "org_name", db_row_str(r,
	    1), "rule", db_row_str(r, 2), "severity", db_row_str(r, 3), "open",
	    (json_int_t)db_row_int(r, 4)));
	return 0;
}

static int
mttr_row(const struct db_row *r, void *arg)
{
	int64_t	 n = db_row_int(r, 1);

	json_array_append_new(arg, json_pack("{s:s, s:I, s:I}", "rule",
	    db_row_str(r, 0), "resolved", (json_int_t)n,
	    "mean_seconds_to_resolve", (json_int_t)(n > 0 ? db_row_int(r, 2) /
	    n : 0)));
	return 0;
}

static int
over_time_row(const struct db_row *r, void *arg)
{
	json_array_append_new(arg, json_pack("{s:I, s:I}", "at",
	    (json_int_t)db_row_int(r, 0), "open", (json_int_t)db_row_int(r,
	    1)));
	return 0;
}

/*
 * The tenant's findings: open ones per org, rule and severity; the mean
 * time to resolve per rule over the last 90 days; and how many were open
 * at the end of each of the last 30 days.
 */
enum list_rc
list_findings_summary(struct db *db, int64_t tenant, int64_t now,
    json_t **out)
{
	json_t	*open = json_array(), *mttr = json_array(), *days = json_array();

	if (DB_QUERY(db, SQL_FINDING_OPEN_COUNTS, open_count_row, open,
	    DV_I(tenant)) < 0 || DB_QUERY(db, SQL_FINDING_MTTR, mttr_row, mttr,
	    DV_I(tenant), DV_I(now - 90 * 86400)) < 0 ||
	    DB_QUERY(db, SQL_FINDING_OVER_TIME, over_time_row, days, DV_I(now),
	    DV_I(now - 30 * 86400), DV_I(tenant)) < 0) {
		json_decref(open);
		json_decref(mttr);
		json_decref(days);
		return LIST_DB;
	}
	*out = json_pack("{s:s, s:o, s:o, s:o}", "object",
	    "orgaudit.findings_summary", "open", open,
	    "time_to_resolve_90_days", mttr, "open_over_30_days", days);
	return LIST_OK;
}

/* orgaudit's own trail, newest first ('y': by seq). */
enum list_rc
list_activity(struct db *db, int64_t tenant, const char *action,
    int64_t since, int64_t until, const char *cursor, int64_t limit,
    json_t **out)
{
	struct page_out	 p;
	int64_t		 before = INT64_MAX;

	page_init(&p, 'y', limit, activity_view);
	if (cursor_int(cursor, 'y', &before) != 0)
		return page_fail(&p, LIST_BAD_CURSOR);
	if (DB_QUERY(db, SQL_ACTIVITY_PAGE, page_row, &p, DV_I(tenant),
	    DV_I(before), DV_S(action), DV_S(action),
	    since >= 0 ? DV_I(since) : DV_NULL, DV_I(since),
	    until >= 0 ? DV_I(until) : DV_NULL, DV_I(until),
	    DV_I(limit + 1)) < 0)
		return page_fail(&p, LIST_DB);
	*out = page_done(&p);
	return LIST_OK;
}

static const char *const age_labels[] = {
	"never used", "under 7 days", "7 to 30 days", "30 to 90 days",
	"90 days to 1 year", "over 1 year"
};

static int
age_row(const struct db_row *r, void *arg)
{
	int64_t	 b = db_row_int(r, 0);

	if (b >= 0 && b < 6)
		((int64_t *)arg)[b] = db_row_int(r, 1);
	return 0;
}

enum list_rc
list_key_ages(struct db *db, int64_t tenant, int64_t org, json_t **out)
{
	int64_t	 counts[6] = { 0 }, now = now_s() / 86400 * 86400;
	size_t	 i;

	if (DB_QUERY(db, SQL_KEY_AGES, age_row, counts, DV_I(now), DV_I(now),
	    DV_I(now), DV_I(now), DV_I(tenant), DV_I(org)) < 0)
		return LIST_DB;
	*out = json_array();
	for (i = 0; i < 6; i++)
		json_array_append_new(*out, json_pack("{s:s, s:I}", "label",
		    age_labels[i], "count", (json_int_t)counts[i]));
	return LIST_OK;
}

/*
 * The event list: by seq, or by time when a time range is asked for (see
 * SQL_EVENT_PAGE_TIME); the cursor says which ('e': seq; 'T': seq and
 * time).  An actor that is a key ID ("key_…") matches the key that
 * acted, any other the user or service account.
 */
/*
 * The index a page of events is read by: that of its narrowest filter
 * (an object's history, then one actor, one address, one project, one
 * type), else the chain's own order.
 */
static enum sql_stmt
event_index(const struct event_filter *f)
{
	if (f->target != NULL)
		return SQL_EVENT_PAGE_TARGET;
	if (f->actor != NULL)
		return strncmp(f->actor, "key_", 4) == 0 ? SQL_EVENT_PAGE_KEY :
		    SQL_EVENT_PAGE_ACTOR;
	if (f->actor_email != NULL)
		return SQL_EVENT_PAGE_EMAIL;
	if (f->project != NULL)
		return SQL_EVENT_PAGE_PROJECT;
	if (f->type != NULL)
		return SQL_EVENT_PAGE_TYPE;
	return SQL_EVENT_PAGE;
}

enum list_rc
list_events(struct db *db, int64_t tenant, int64_t org,
    const struct event_filter *f, const char *cursor, int64_t limit,
    json_t **out)
{
	struct page_out	 p;
	bool		 timed = f->since > 0 || f->until > 0;
	int64_t		 before = INT64_MAX, before_at = INT64_MAX;
	char		 sha[EMAIL_HASH_HEX] = "", prefix[EMAIL_PREFIX_MAX];
	char		 a[32], b[32];
	const char	*user = NULL, *key = NULL;
	struct db_val	 v[24];
	size_t		 n = 0;

	page_init(&p, timed ? 'T' : 'e', limit, NULL);
	p.stmt = timed ? SQL_EVENT_PAGE_TIME : event_index(f);
	if (timed) {
		p.bcol = EC_EFFECTIVE_AT;
		if (cursor != NULL && (cursor_decode(cursor, 'T', a, sizeof(a),
		    b, sizeof(b)) != 0 || parse_i64(a, 1, INT64_MAX,
		    &before) != 0 || parse_i64(b, 0, INT64_MAX,
		    &before_at) != 0))
			return page_fail(&p, LIST_BAD_CURSOR);
	} else if (cursor_int(cursor, 'e', &before) != 0)
		return page_fail(&p, LIST_BAD_CURSOR);
	if (f->actor != NULL && strncmp(f->actor, "key_", 4) == 0)
		key = f->actor;
	else
		user = f->actor;
	if (f->actor_email != NULL)
		email_hash(f->actor_email, sha, prefix);
	v[n++] = DV_I(tenant);
	v[n++] = DV_I(org);
	if (timed) {
		v[n++] = DV_I(f->since);
		v[n++] = DV_I(f->until > 0 ? f->until : INT64_MAX);
		v[n++] = DV_I(before_at);
		v[n++] = DV_I(before_at);
	}
	v[n++] = DV_I(before);
	v[n++] = DV_S(f->type);
	v[n++] = DV_S(f->type);
	v[n++] = DV_S(user);
	v[n++] = DV_S(user);
	v[n++] = DV_S(key);
	v[n++] = DV_S(key);
	v[n++] = f->actor_email != NULL ? DV_S(sha) : DV_NULL;
	v[n++] = DV_S(sha);
	v[n++] = DV_S(f->project);
	v[n++] = DV_S(f->project);
	v[n++] = DV_S(f->target);
	v[n++] = DV_S(f->target);
	v[n++] = DV_I(limit + 1);
	if (db_query(db, p.stmt, v, n, page_row, &p) < 0)
		return page_fail(&p, LIST_DB);
	*out = page_done(&p);
	return LIST_OK;
}

static int
project_name_row(const struct db_row *r, void *arg)
{
	json_array_append_new(arg, json_pack("{s:s, s:s}", "id",
	    db_row_str(r, 0), "name", db_row_null(r, 1) ? db_row_str(r, 0) :
	    db_row_str(r, 1)));
	return 0;
}

enum list_rc
list_project_names(struct db *db, int64_t tenant, int64_t org, json_t **out)
{
	*out = json_array();
	if (DB_QUERY(db, SQL_PROJECT_IDS, project_name_row, *out, DV_I(tenant),
	    DV_I(org)) < 0) {
		json_decref(*out);
		*out = NULL;
		return LIST_DB;
	}
	return LIST_OK;
}

/* -- the list table ---------------------------------------------------- */

static enum list_rc	build_keys(struct call *, const char *, int64_t,
			    json_t **);
static enum list_rc	build_findings(struct call *, const char *, int64_t,
			    json_t **);
static enum list_rc	build_events(struct call *, const char *, int64_t,
			    json_t **);
static enum list_rc	build_runs(struct call *, const char *, int64_t,
			    json_t **);

#define NO_FILTERS	{ P__MAX, P__MAX, P__MAX, P__MAX }

/* In tab order. */
static const struct list_def lists[] = {
	{ .name = "keys", .title = "Keys", .tab = "Keys", .tpl = "keys",
	    .cursor = 'k', .stmt = SQL_KEY_PAGE, .filters = NO_FILTERS,
	    .api_params = P(P_STALE) | P(P_ORPHAN) | P(P_KEY_TYPE) |
	    P(P_PROJECT) | P(P_FINDING),
	    .page_params = P(P_STALE) | P(P_ORPHAN) | P(P_KEY_TYPE) |
	    P(P_PROJECT) | P(P_FINDING) | P(P_SORT) | P(P_DIR) | P(P_PAGE),
	    .build = build_keys, .page = web_keys, .subject = "api_key",
	    .subject2 = "admin_api_key", .cached = true },
	{ .name = "users", .title = "Users", .tab = "Users", .tpl = "users",
	    .cursor = 'u', .stmt = SQL_USER_PAGE, .stream = "users",
	    .object = "orgaudit.user", .filters = NO_FILTERS,
	    .subject = "user", .cached = true },
	{ .name = "projects", .title = "Projects", .tab = "Projects",
	    .tpl = "projects", .cursor = 'p', .stmt = SQL_PROJECT_PAGE,
	    .stream = "projects", .object = "orgaudit.project",
	    .filters = NO_FILTERS, .subject = "project", .cached = true },
	{ .name = "service-accounts", .title = "Service accounts",
	    .tab = "Service accounts", .tpl = "service-accounts",
	    .cursor = 's', .stmt = SQL_SVCACCT_PAGE,
	    .stream = "service_accounts", .object = "orgaudit.service_account",
	    .filters = { P_PROJECT, P__MAX, P__MAX, P__MAX },
	    .api_params = P(P_PROJECT), .page_params = P(P_PROJECT),
	    .subject = "service_account", .cached = true },
	{ .name = "admin-keys", .title = "Admin keys", .tab = "Admin keys",
	    .tpl = "admin-keys", .cursor = 'a', .stmt = SQL_ADMIN_KEY_PAGE,
	    .stream = "admin_api_keys", .view = key_view,
	    .filters = { P_STALE, P_ORPHAN, P__MAX, P__MAX },
	    .api_params = P(P_STALE) | P(P_ORPHAN),
	    .page_params = P(P_STALE) | P(P_ORPHAN),
	    .subject = "admin_api_key", .cached = true },
	{ .name = "invites", .title = "Invites", .tab = "Invites",
	    .tpl = "invites", .cursor = 'i', .stmt = SQL_INVITE_PAGE,
	    .stream = "invites", .object = "orgaudit.invite",
	    .filters = { P_INVITE_STATUS, P__MAX, P__MAX, P__MAX },
	    .api_params = P(P_INVITE_STATUS),
	    .page_params = P(P_INVITE_STATUS), .subject = "invite",
	    .cached = true },
	{ .name = "members", .title = "Project members", .tpl = "members",
	    .cursor = 'm', .stmt = SQL_MEMBER_PAGE, .stream = "project_users",
	    .object = "orgaudit.project_member", .filters = NO_FILTERS,
	    .per_project = true, .cached = true },
	{ .name = "findings", .title = "Findings", .tab = "Findings",
	    .tpl = "findings", .cursor = 'f', .stmt = SQL_FINDING_PAGE,
	    .filters = NO_FILTERS,
	    .api_params = P(P_FINDING_STATUS) | P(P_RULE) | P(P_SEVERITY) |
	    P(P_SUBJECT),
	    .page_params = P(P_FINDING_STATUS) | P(P_RULE) | P(P_SEVERITY) |
	    P(P_SUBJECT),
	    .build = build_findings, .decorate = web_findings_filters,
	    .cached = true },
	{ .name = "events", .title = "Audit log", .tab = "Audit log",
	    .tpl = "events", .cursor = 'e', .stmt = SQL_EVENT_PAGE,
	    .filters = NO_FILTERS,
	    .api_params = P(P_EVENT_TYPE) | P(P_ACTOR) | P(P_ACTOR_EMAIL) |
	    P(P_PROJECT) | P(P_TARGET) | P(P_SINCE) | P(P_UNTIL),
	    .page_params = P(P_FORM_EVENT_TYPE) | P(P_ACTOR) | P(P_PROJECT) |
	    P(P_TARGET) | P(P_SINCE) | P(P_UNTIL),
	    .build = build_events, .decorate = web_events_filters,
	    .cached = true },
	{ .name = "runs", .title = "Runs", .tab = "Runs", .tpl = "runs",
	    .cursor = 'r', .stmt = SQL_RUN_PAGE, .filters = NO_FILTERS,
	    .build = build_runs },
};

size_t
list_count(void)
{
	return sizeof(lists) / sizeof(lists[0]);
}

const struct list_def *
list_at(size_t i)
{
	return i < list_count() ? &lists[i] : NULL;
}

/*
 * Every cursor letter in use: each list's, then 'o' (orgs), 'T' (events
 * by time), 'x' (evidence packs), 'y' (the activity trail).
 */
const char *
list_cursor_kinds(void)
{
	static char	 kinds[sizeof(lists) / sizeof(lists[0]) + 5];
	size_t		 i;

	if (kinds[0] == '\0') {
		for (i = 0; i < list_count(); i++)
			kinds[i] = lists[i].cursor;
		memcpy(kinds + i, "oTxy", 5);
	}
	return kinds;
}

/* A filter's bound value: the parameter, or NULL when not set. */
static struct db_val
filter_val(const struct call *c, enum param p)
{
	const struct qval	*v = &c->q[p];

	if (!v->set)
		return DV_NULL;
	switch (route_param(p)->kind) {
	case Q_TRISTATE:
	case Q_BOOL:
		return DV_I(v->b);
	case Q_ID:
	case Q_TIME:
	case Q_SEQ:
	case Q_PAGE:
		return DV_I(v->i);
	default:
		return DV_S(v->s);
	}
}

/* The generic page (see struct list_def), in one snapshot. */
static enum list_rc
build_by_id(struct call *c, const char *cursor, int64_t limit, json_t **out)
{
	const struct list_def	*d = c->rt->list;
	struct db		*db = c->r->db;
	struct page_out		 p;
	struct db_val		 v[8 + 2 * LIST_FILTERS_MAX];
	char			 after[129] = "";
	int64_t			 gen = 0;
	size_t			 n = 0, i;

	page_init(&p, d->cursor, limit, d->view);
	p.stmt = d->stmt;
	p.object = d->object;
	if (cursor != NULL && cursor_decode(cursor, d->cursor, after,
	    sizeof(after), NULL, 0) != 0)
		return page_fail(&p, LIST_BAD_CURSOR);
	if (db_begin(db) != 0)
		return page_fail(&p, LIST_DB);
	if (d->stream != NULL && DB_QUERY(db, SQL_STREAM_GEN,
	    db_row_first_int, &gen, DV_I(c->org), DV_S(d->stream)) < 0)
		goto dberr;
	v[n++] = DV_I(c->r->tenant);
	v[n++] = DV_I(c->org);
	if (d->stream != NULL)
		v[n++] = DV_I(gen);
	if (d->per_project)
		v[n++] = DV_S(c->oaid);
	v[n++] = DV_S(after);
	for (i = 0; i < LIST_FILTERS_MAX && d->filters[i] != P__MAX; i++) {
		v[n] = filter_val(c, d->filters[i]);
		v[n + 1] = v[n];
		n += 2;
	}
	v[n++] = DV_I(limit + 1);
	if (db_query(db, d->stmt, v, n, page_row, &p) < 0)
		goto dberr;
	db_commit(db);
	*out = page_done(&p);
	return LIST_OK;
dberr:
	db_rollback(db);
	return page_fail(&p, LIST_DB);
}

/*
 * What a row's own columns already say of a rule (a key's stale and
 * orphan flags, its two usage findings), or NULL.
 */
static const char *
finding_kind(const char *rule)
{
	static const char *const same[][2] = {
		{ "key_stale", "stale" }, { "admin_key_stale", "stale" },
		{ "key_orphan", "orphan" }, { "admin_key_orphan", "orphan" },
		{ "usage_spike", "usage_spike" },
		{ "dormant_key_used", "dormant_key_used" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++)
		if (strcmp(rule, same[i][0]) == 0)
			return same[i][1];
	return NULL;
}

/* A finding of SQL_LIST_FINDINGS into its row's array (arg: by id). */
static int
row_finding(const struct db_row *r, void *arg)
{
	json_t			*a = json_object_get(arg, db_row_str(r, 0));
	const char		*kind = finding_kind(db_row_str(r, 1)), *k;
	json_t			*e;
	size_t			 i;

	if (a == NULL)
		return 0;
	json_array_foreach(a, i, e) {
		k = json_string_value(json_object_get(e, "kind"));
		if (kind != NULL && k != NULL && strcmp(k, kind) == 0)
			return 0;	/* shown already */
	}
	json_array_append_new(a, json_pack("{s:s, s:s, s:o}", "kind",
	    db_row_str(r, 1), "severity", db_row_str(r, 2), "reason",
	    view_str(r, 3)));
	return 0;
}

enum list_rc
list_add_findings(struct call *c, const struct list_def *d, json_t *page)
{
	json_t			*byid = json_object();	/* id: "findings" */
	json_t			*data = json_object_get(page, "data"), *row;
	json_t			*ids = json_array(), *a;
	const char		*id;
	char			*text;
	size_t			 i;
	long			 n;

	json_array_foreach(data, i, row) {
		if ((id = json_string_value(json_object_get(row, "id"))) ==
		    NULL)
			continue;
		if ((a = json_object_get(row, "findings")) == NULL) {
			a = json_array();
			json_object_set_new(row, "findings", a);
		}
		json_object_set(byid, id, a);
		json_array_append_new(ids, json_string(id));
	}
	text = json_dumps(ids, JSON_COMPACT);
	json_decref(ids);
	n = json_array_size(data) == 0 ? 0 : DB_QUERY(c->r->db,
	    SQL_LIST_FINDINGS, row_finding, byid, DV_S(text), DV_I(c->org),
	    DV_I(c->r->tenant), DV_S(d->subject), DV_S(d->subject2 != NULL ?
	    d->subject2 : d->subject));
	free(text);
	json_decref(byid);
	return n < 0 ? LIST_DB : LIST_OK;
}

enum list_rc
list_build(struct call *c, const char *cursor, int64_t limit, json_t **out)
{
	const struct list_def	*d = c->rt->list;
	enum list_rc		 rc;

	rc = (d->build != NULL ? d->build : build_by_id)(c, cursor, limit,
	    out);
	if (rc != LIST_OK || d->subject == NULL)
		return rc;
	if ((rc = list_add_findings(c, d, *out)) != LIST_OK) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

/* A tristate parameter as a filter: -1 any, else 0 or 1. */
static int
tri(const struct call *c, enum param p)
{
	return c->q[p].set ? c->q[p].b : -1;
}

static enum list_rc
build_keys(struct call *c, const char *cursor, int64_t limit, json_t **out)
{
	struct key_filter	 f;

	f.stale = tri(c, P_STALE);
	f.orphan = tri(c, P_ORPHAN);
	f.type = call_str(c, P_KEY_TYPE);
	f.project = call_str(c, P_PROJECT);
	f.finding = call_str(c, P_FINDING);
	return list_keys(c->r->db, c->r->tenant, c->org, &f, cursor, limit,
	    out);
}

static enum list_rc
build_findings(struct call *c, const char *cursor, int64_t limit,
    json_t **out)
{
	struct finding_filter	 f;

	f.status = call_str(c, P_FINDING_STATUS);
	f.rule = call_str(c, P_RULE);
	f.severity = call_str(c, P_SEVERITY);
	f.subject = call_str(c, P_SUBJECT);
	return list_findings(c->r->db, c->r->tenant, c->org, &f, cursor,
	    limit, out);
}

/* The audit log; the API names the type filter "type", the page's form
 * "event_type" (a page has a "type" of key elsewhere). */
static enum list_rc
build_events(struct call *c, const char *cursor, int64_t limit, json_t **out)
{
	struct event_filter	 f;

	memset(&f, 0, sizeof(f));
	f.type = call_str(c, P_EVENT_TYPE) != NULL ? call_str(c,
	    P_EVENT_TYPE) : call_str(c, P_FORM_EVENT_TYPE);
	f.actor = call_str(c, P_ACTOR);
	f.actor_email = call_str(c, P_ACTOR_EMAIL);
	f.project = call_str(c, P_PROJECT);
	f.target = call_str(c, P_TARGET);
	f.since = c->q[P_SINCE].set ? c->q[P_SINCE].i : 0;
	f.until = c->q[P_UNTIL].set ? c->q[P_UNTIL].i : 0;
	return list_events(c->r->db, c->r->tenant, c->org, &f, cursor, limit,
	    out);
}

static enum list_rc
build_runs(struct call *c, const char *cursor, int64_t limit, json_t **out)
{
	return list_runs(c->r->db, c->r->tenant, c->org, cursor, limit, out);
}
