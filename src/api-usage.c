/*
 * api-usage.c: the usage and costs of an org, summed for the API
 * (pages.h): GET …/costs and GET …/usage.  The gate has checked the
 * token, the org and the parameters (since and until as UTC days,
 * group_by as G_* bits, the endpoint); this file picks the range, runs
 * one statement and writes the sums.  Amounts are exact: MariaDB sums
 * the DECIMAL column, decimal.h reads and writes the text; usage
 * counters are summed here as int64 with overflow checks.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "log.h"
#include "pages.h"
#include "query.h"
#include "util.h"
#include "views.h"

#define DAY		86400
#define RANGE_DEFAULT	30	/* days up to today, inclusive */
#define RANGE_MAX	366	/* days one answer may cover */

/* since and until of c (or their defaults); 0, or -1 answered 400. */
static int
usage_range(struct call *c, int64_t *since, int64_t *until)
{
	int64_t	 now = now_s();

	*until = c->q[P_DAY_UNTIL].set ? c->q[P_DAY_UNTIL].i :
	    now - now % DAY + DAY;
	*since = c->q[P_DAY_SINCE].set ? c->q[P_DAY_SINCE].i :
	    *until - RANGE_DEFAULT * DAY;
	if (*since >= *until) {
		http_error(c->r, 400, "invalid_parameter", NULL, "since must "
		    "be a day before until (until is exclusive)");
		return -1;
	}
	if (*until - *since > RANGE_MAX * DAY) {
		http_error(c->r, 400, "invalid_parameter", NULL, "since to "
		    "until spans more than %d days", RANGE_MAX);
		return -1;
	}
	return 0;
}

/*
 * The answer over since..until: rows < 0 is the statement's error, bad
 * a row that could not be summed (500, naming what), else {"object",
 * "since", "until", extra's members, "data", "next_cursor": null}.
 * Takes data and extra (may be NULL).
 */
static void
range_answer(struct call *c, const char *object, long rows, bool bad,
    const char *what, int64_t since, int64_t until, json_t *data,
    json_t *extra)
{
	char	 d0[11], d1[11];
	json_t	*o;

	if (rows < 0)
		call_db_error(c, strchr(object, '.') + 1);	/* "costs" */
	else if (bad)
		http_error(c->r, 500, "internal", NULL, "%s (request %s)", what,
		    c->r->request_id);
	if (rows < 0 || bad) {
		json_decref(data);
		json_decref(extra);
		return;
	}
	fmt_day(since, d0);
	fmt_day(until, d1);
	o = json_pack("{s:s, s:s, s:s}", "object", object, "since", d0,
	    "until", d1);
	if (extra != NULL) {
		json_object_update(o, extra);
		json_decref(extra);
	}
	json_object_set_new(o, "data", data);
	json_object_set_new(o, "next_cursor", json_null());
	http_json(c->r, 200, o, NULL);
}

/* -- costs ------------------------------------------------------------- */

struct cost_out {
	json_t	*data;
	dec_t	 total;
	bool	 bad;		/* an amount decimal.h cannot hold */
};

static int
cost_row(const struct db_row *r, void *arg)
{
	struct cost_out	*o = arg;
	const char	*a = db_row_str(r, 4);
	char		 text[DEC_TEXT_MAX], err[80];
	dec_t		 v;

	if (dec_parse(a, strlen(a), &v, err, sizeof(err)) != 0 ||
	    !dec_add(o->total, v, &o->total)) {
		log_err("api: costs: amount %.60s: %s", a, err);
		o->bad = true;
		return 1;
	}
	dec_format(v, text, sizeof(text));
	json_array_append_new(o->data, json_pack("{s:o, s:o, s:o, s:o, s:s,"
	    " s:s}", "day", view_day(r, 0), "project_id", view_str(r, 1),
	    "line_item", view_str(r, 2), "api_key_id", view_str(r, 3),
	    "amount", text, "currency", db_row_str(r, 5)));
	return 0;
}

/* Two days of a row, -1 for NULL (SQL_API_COSTS_EDGES, _DAYS_SPAN). */
static int
days_pair_row(const struct db_row *r, void *arg)
{
	int64_t	*e = arg;

	e[0] = db_row_null(r, 0) ? -1 : db_row_int(r, 0);
	e[1] = db_row_null(r, 1) ? -1 : db_row_int(r, 1);
	return 1;
}

long
costs_by_project(struct db *db, int64_t tenant, int64_t org, int64_t since,
    int64_t until, db_row_cb cb, void *arg)
{
	int64_t	 e[2] = { -1, -1 };	/* last day before until, since */

	if (DB_QUERY(db, SQL_API_COSTS_EDGES, days_pair_row, e, DV_I(org),
	    DV_I(until), DV_I(org), DV_I(since)) < 0)
		return -1;
	if (e[0] < since)		/* no day with costs in the range */
		return 0;
	return DB_QUERY(db, SQL_API_COSTS_BY_PROJECT, cb, arg, DV_I(e[0]),
	    DV_I(tenant), DV_I(org), DV_I(e[0]), DV_I(e[1]), DV_I(e[0]));
}

/*
 * GET …/costs?since=&until=&group_by=: the org's daily costs summed by
 * the chosen fields (none: one row), and their total.
 */
void
api_costs(struct call *c)
{
	struct cost_out	 o = { json_array(), 0, false };
	int64_t		 since, until, g = c->q[P_COST_GROUPS].i;
	char		 total[DEC_TEXT_MAX];
	long		 n;

	if (usage_range(c, &since, &until) != 0) {
		json_decref(o.data);
		return;
	}
	/* By day or project only: the roll-ups, not every key's line items. */
	if (g == G_DAY)
		n = DB_QUERY(c->r->db, SQL_API_COSTS_BY_DAY, cost_row, &o,
		    DV_I(c->r->tenant), DV_I(c->org), DV_I(since), DV_I(until));
	else if (g == G_PROJECT)
		n = costs_by_project(c->r->db, c->r->tenant, c->org, since,
		    until, cost_row, &o);
	else if ((g & (G_LINE_ITEM | G_API_KEY)) == 0)
		n = DB_QUERY(c->r->db, SQL_API_COSTS_DAY, cost_row, &o,
		    DV_I((g & G_DAY) != 0), DV_I((g & G_PROJECT) != 0),
		    DV_I(c->r->tenant), DV_I(c->org), DV_I(since), DV_I(until));
	else
		n = DB_QUERY(c->r->db, SQL_API_COSTS, cost_row, &o,
		    DV_I((g & G_DAY) != 0), DV_I((g & G_PROJECT) != 0),
		    DV_I((g & G_LINE_ITEM) != 0), DV_I((g & G_API_KEY) != 0),
		    DV_I(c->r->tenant), DV_I(c->org), DV_I(since), DV_I(until));
	dec_format(o.total, total, sizeof(total));
	range_answer(c, "orgaudit.costs", n, o.bad, "a sum of costs does not "
	    "fit an exact decimal", since, until, o.data, json_pack(
	    "{s:s, s:s}", "total", total, "currency", "usd"));
}

/* -- usage ------------------------------------------------------------- */

#define USAGE_GROUP_COLS	5

struct usage_out {
	json_t	*data;
	json_t	*cur;		/* the row being summed (borrowed from data) */
	char	*key;		/* its group, as text (owned) */
	bool	 bad;
};

/* The group of r's first five columns as one string (new memory). */
static char *
group_key(const struct db_row *r)
{
	struct buf	 b = { 0 };
	size_t		 i;

	for (i = 0; i < USAGE_GROUP_COLS; i++) {
		if (db_row_null(r, i))
			buf_adds(&b, "\x01");
		else
			buf_adds(&b, db_row_str(r, i));
		buf_addc(&b, '\0');
	}
	buf_addc(&b, '\0');
	return buf_take(&b);
}

/* Do two group_key() strings (NUL-separated, ending in "\0\0") match? */
static bool
group_same(const char *a, const char *b)
{
	size_t	 i, n;

	for (i = 0; i < USAGE_GROUP_COLS; i++) {
		if (strcmp(a, b) != 0)
			return false;
		n = strlen(a) + 1;
		a += n;
		b += n;
	}
	return true;
}

/* Adds the counters object text of r (column 5) into row; -1 if bad. */
static int
counters_add(json_t *row, const struct db_row *r)
{
	json_t		*cs, *v, *have;
	json_error_t	 jerr;
	const char	*name;
	json_int_t	 sum;
	int		 rc = 0;

	cs = json_loads(db_row_str(r, 5), 0, &jerr);
	if (!json_is_object(cs)) {
		json_decref(cs);
		return -1;
	}
	json_object_foreach(cs, name, v) {
		if (!json_is_integer(v))
			continue;
		have = json_object_get(row, name);
		sum = have != NULL ? json_integer_value(have) : 0;
		if (__builtin_add_overflow(sum, json_integer_value(v), &sum)) {
			rc = -1;
			break;
		}
		json_object_set_new(row, name, json_integer(sum));
	}
	json_decref(cs);
	return rc;
}

static int
usage_row(const struct db_row *r, void *arg)
{
	struct usage_out	*o = arg;
	char			*key = group_key(r);

	if (o->key == NULL || !group_same(o->key, key)) {
		free(o->key);
		o->key = key;
		o->cur = json_pack("{s:o, s:o, s:o, s:o, s:o}", "day",
		    view_day(r, 0), "project_id", view_str(r, 1),
		    "user_id", view_str(r, 2), "api_key_id",
		    view_str(r, 3), "model", view_str(r, 4));
		json_array_append_new(o->data, o->cur);
	} else
		free(key);
	if (counters_add(o->cur, r) != 0) {
		log_err("api: usage: counters %.80s: not an object of "
		    "integers, or a sum past int64", db_row_str(r, 5));
		o->bad = true;
		return 1;
	}
	return 0;
}

/*
 * GET …/usage?endpoint=&since=&until=&group_by=: an endpoint's
 * (completions without one) daily
 * buckets summed by the chosen fields, each row with the endpoint's
 * counters as OpenAI names them.
 */
void
api_usage(struct call *c)
{
	struct usage_out	 o = { json_array(), NULL, NULL, false };
	int64_t			 since, until, g = c->q[P_USAGE_GROUPS].i;
	const char		*endpoint = call_str(c, P_ENDPOINT);
	long			 n;

	/* No endpoint named: completions, the one most orgs use. */
	if (endpoint == NULL)
		endpoint = "completions";
	if (usage_range(c, &since, &until) != 0) {
		json_decref(o.data);
		return;
	}
	n = DB_QUERY(c->r->db, SQL_API_USAGE, usage_row, &o,
	    DV_I((g & G_DAY) != 0), DV_I((g & G_PROJECT) != 0),
	    DV_I((g & G_USER) != 0), DV_I((g & G_API_KEY) != 0),
	    DV_I((g & G_MODEL) != 0), DV_I(c->r->tenant), DV_I(c->org),
	    DV_S(endpoint), DV_I(since), DV_I(until));
	free(o.key);
	range_answer(c, "orgaudit.usage", n, o.bad, "usage counters could "
	    "not be summed", since, until, o.data, json_pack("{s:s}",
	    "endpoint", endpoint));
}

/* -- unmapped ---------------------------------------------------------- */

struct unmapped_out {
	json_t	*data;
	bool	 bad;
};

static int
unmapped_row(const struct db_row *r, void *arg)
{
	struct unmapped_out	*o = arg;
	const char		*a = db_row_str(r, 2);
	char			 text[DEC_TEXT_MAX], err[80];

	if (dec_canon(a, strlen(a), text, sizeof(text), err,
	    sizeof(err)) != 0) {
		log_err("api: unmapped: amount %.60s: %s", a, err);
		o->bad = true;
		return 1;
	}
	json_array_append_new(o->data, json_pack("{s:s, s:s, s:s, s:I, s:o,"
	    " s:o}", "kind", db_row_str(r, 0), "id", db_row_str(r, 1),
	    "amount", text, "requests", (json_int_t)db_row_int(r, 3),
	    "first_day", view_day(r, 4), "last_day", view_day(r, 5)));
	return 0;
}

long
usage_unmapped(struct db *db, int64_t tenant, int64_t org, int64_t since,
    int64_t until, db_row_cb cb, void *arg)
{
	struct db_val	 v[7 * 4 + 3];
	size_t		 i, n = 0;

	for (i = 0; i < 7; i++) {
		v[n++] = DV_I(tenant);
		v[n++] = DV_I(org);
		v[n++] = DV_I(since);
		v[n++] = DV_I(until);
	}
	for (i = 0; i < 3; i++)
		v[n++] = DV_I(org);
	return db_query(db, SQL_API_UNMAPPED, v, n, cb, arg);
}

/*
 * GET …/unmapped?since=&until=: keys, users and projects that usage or
 * costs name but the org's current key, user and project lists lack
 * (deleted keys, users who left), with what they spent and used.
 */
void
api_unmapped(struct call *c)
{
	struct unmapped_out	 o = { json_array(), false };
	int64_t			 since, until, span[2];
	long			 n;

	if (usage_range(c, &since, &until) != 0) {
		json_decref(o.data);
		return;
	}
	/* A range holding every stored day is what the last pull kept. */
	if (DB_QUERY(c->r->db, SQL_USAGE_DAYS_SPAN, days_pair_row, span,
	    DV_I(c->org), DV_I(c->org), DV_I(c->org), DV_I(c->org)) < 0)
		n = -1;
	else if (span[0] >= since && span[1] >= 0 && span[1] < until)
		n = DB_QUERY(c->r->db, SQL_DASH_UNMAPPED, unmapped_row, &o,
		    DV_I(c->r->tenant), DV_I(c->org));
	else
		n = usage_unmapped(c->r->db, c->r->tenant, c->org, since,
		    until, unmapped_row, &o);
	range_answer(c, "orgaudit.unmapped", n, o.bad, "an amount does not "
	    "fit an exact decimal", since, until, o.data, NULL);
}
