/*
 * usage-rules.c: the findings that read usage (rules.h): usage_spike and
 * dormant_key_used.  Both walk each key's requests per UTC day (the
 * 1d buckets of every endpoint, num_model_requests summed where an
 * endpoint reports it) over the backfill window, so a key's finding is
 * the same whichever pull computes it.  Keys missing from the key list
 * take part too: a deleted key that still spends is the first thing a
 * security lead wants to hear of.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "log.h"
#include "rules.h"
#include "util.h"

#define DAY	86400

struct kday {
	int64_t	 day, n;
};

/* One key's days with usage, oldest first. */
struct kuse {
	char		*id;
	struct kday	*d;
	size_t		 n, cap;
};

struct uses {
	struct kuse	*k;
	size_t		 n, cap;
	int64_t		 tenant;
};

static int
use_row(const struct db_row *r, void *arg)
{
	struct uses	*u = arg;
	const char	*id = db_row_str(r, 0);
	struct kuse	*k;

	if (u->n == 0 || strcmp(u->k[u->n - 1].id, id) != 0) {
		if (u->n == u->cap) {
			u->cap = u->cap ? u->cap * 2 : 64;
			u->k = xrealloc(u->k, u->cap * sizeof(*u->k));
		}
		k = &u->k[u->n++];
		memset(k, 0, sizeof(*k));
		k->id = xstrdup(id);
	}
	k = &u->k[u->n - 1];
	if (k->n == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 16;
		k->d = xrealloc(k->d, k->cap * sizeof(*k->d));
	}
	k->d[k->n].day = db_row_int(r, 1);
	k->d[k->n].n = db_row_int(r, 2);
	k->n++;
	return 0;
}

static void
uses_free(struct uses *u)
{
	size_t	 i;

	for (i = 0; i < u->n; i++) {
		free(u->k[i].id);
		free(u->k[i].d);
	}
	free(u->k);
}

/* The start of the window: the UTC day usage_backfill_days before now's. */
static int64_t
window_start(const struct conf *c, int64_t now)
{
	return now - now % DAY - c->usage_backfill_days * DAY;
}

static int	 keys_load(struct db *, int64_t, json_t **);

/*
 * Both rules read the same days and the same key list: loaded once per
 * evaluation (org, run, now) and kept until rules_usage_release().  The
 * rules run on one thread, in one transaction at a time.
 */
static struct {
	bool		 have;
	int64_t		 org, run, now;
	struct uses	 u;
	json_t		*keys;
} memo;

void
rules_usage_release(void)
{
	if (memo.have) {
		uses_free(&memo.u);
		json_decref(memo.keys);
	}
	memset(&memo, 0, sizeof(memo));
}

static int
uses_load(struct db *db, const struct conf *c, int64_t org, int64_t run,
    int64_t now, struct uses **u, json_t **keys)
{
	if (!memo.have || memo.org != org || memo.run != run ||
	    memo.now != now) {
		rules_usage_release();
		if (DB_QUERY(db, SQL_PACK_ORG_TENANT, db_row_first_int,
		    &memo.u.tenant, DV_I(org)) < 0 || DB_QUERY(db,
		    SQL_RULE_USAGE_DAYS, use_row, &memo.u, DV_I(org),
		    DV_I(window_start(c, now))) < 0 || keys_load(db, org,
		    &memo.keys) != 0) {
			uses_free(&memo.u);
			json_decref(memo.keys);
			memset(&memo, 0, sizeof(memo));
			return -1;
		}
		memo.have = true;
		memo.org = org;
		memo.run = run;
		memo.now = now;
	}
	*u = &memo.u;
	*keys = memo.keys;
	return 0;
}

/* The key's requests on day (0 when it has no row that day). */
static int64_t
requests_on(const struct kuse *k, int64_t day)
{
	size_t	 lo = 0, hi = k->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (k->d[mid].day < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < k->n && k->d[lo].day == day ? k->d[lo].n : 0;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t	 x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void
day_text(int64_t t, char out[21])
{
	fmt_rfc3339(t, out);
	out[10] = '\0';
}

/* A listed key: id -> {"name", "redacted", …}, from the current pull. */
static int
name_row(const struct db_row *r, void *arg)
{
	json_t	*by_id = arg;

	json_object_set_new(by_id, db_row_str(r, 0), json_pack(
	    "{s:s?, s:s, s:o?, s:o?, s:i, s:i, s:s?, s:s?, s:s?}",
	    "name", db_row_null(r, 1) ? NULL : db_row_str(r, 1),
	    "redacted", db_row_str(r, 2),
	    "created_at", db_row_null(r, 3) ? NULL :
	    json_integer(db_row_int(r, 3)),
	    "last_used_at", db_row_null(r, 4) ? NULL :
	    json_integer(db_row_int(r, 4)),
	    "stale", (int)db_row_int(r, 5),
	    "departed", (int)db_row_int(r, 6),
	    "owner_id", db_row_null(r, 7) ? NULL : db_row_str(r, 7),
	    "project_id", db_row_null(r, 8) ? NULL : db_row_str(r, 8),
	    "owner_type", db_row_null(r, 9) ? NULL : db_row_str(r, 9)));
	return 0;
}

/* Puts one finding on the key id, named from the key list where listed. */
static int
put_finding(struct db *db, const struct rule *rl, const struct uses *u,
    int64_t org, int64_t run, int64_t now, const char *id, json_t *key,
    const char *message, json_t *evidence)
{
	char	*ev;
	int	 rc;

	if (key != NULL) {
		json_object_set(evidence, "redacted", json_object_get(key,
		    "redacted"));
		json_object_set(evidence, "project_id", json_object_get(key,
		    "project_id"));
	}
	json_object_set_new(evidence, "listed", json_boolean(key != NULL));
	ev = json_dumps(evidence, JSON_COMPACT | JSON_SORT_KEYS);
	rc = ev == NULL || DB_EXEC(db, SQL_FINDING_PUT, DV_I(u->tenant),
	    DV_I(org), DV_S(rl->id), DV_S(rl->severity), DV_S(rl->subject),
	    DV_S(id), DV_S(key != NULL ? json_string_value(json_object_get(key,
	    "name")) : NULL), DV_S(message), DV_S(ev), DV_I(now), DV_I(run),
	    DV_I(now), DV_I(run)) != 0 ? -1 : 0;
	free(ev);
	return rc;
}

static int
keys_load(struct db *db, int64_t org, json_t **by_id)
{
	*by_id = json_object();
	return DB_QUERY(db, SQL_RULE_USAGE_KEYS, name_row, *by_id,
	    DV_I(org)) < 0 ? -1 : 0;
}

/* -- usage_spike ------------------------------------------------------ */

/*
 * A day is a spike when its requests are at least spike_min_requests and
 * at least spike_factor times the median of the 14 days before it (days
 * without usage count 0; the median of 14 is the mean of the 7th and 8th
 * smallest), that median is above 0 (a key with no history is new, not
 * changed) and the 14 days lie inside the window.  Compared in integers:
 * 2 n >= factor (v7 + v8).
 */
int
rules_usage_spike(struct db *db, const struct conf *c, const struct rule *rl,
    int64_t org, int64_t run, int64_t now)
{
	struct uses	*u;
	json_t		*keys, *spikes, *ev, *last;
	int64_t		 first = window_start(c, now), prev[14], twice;
	size_t		 i, j, b;
	char		 day[21], median[32], msg[256];
	int		 rc = 0;

	if (uses_load(db, c, org, run, now, &u, &keys) != 0)
		return -1;
	for (i = 0; i < u->n && rc == 0; i++) {
		struct kuse	*k = &u->k[i];

		spikes = json_array();
		last = NULL;
		for (j = 0; j < k->n; j++) {
			if (k->d[j].n < c->spike_min_requests ||
			    k->d[j].day - 14 * DAY < first)
				continue;
			for (b = 0; b < 14; b++)
				prev[b] = requests_on(k, k->d[j].day -
				    (int64_t)(b + 1) * DAY);
			qsort(prev, 14, sizeof(prev[0]), cmp_i64);
			twice = prev[6] + prev[7];
			if (twice == 0 || 2 * k->d[j].n < c->spike_factor * twice)
				continue;
			day_text(k->d[j].day, day);
			snprintf(median, sizeof(median), "%" PRId64 "%s",
			    twice / 2, twice % 2 ? ".5" : "");
			last = json_pack("{s:s, s:I, s:s}", "day", day,
			    "count", (json_int_t)k->d[j].n, "median", median);
			json_array_append_new(spikes, last);
		}
		if (last != NULL) {
			snprintf(msg, sizeof(msg), "%" PRId64 " requests on %s: "
			    "at least %" PRId64 " times the median (%s) of the "
			    "14 days before", (int64_t)json_integer_value(
			    json_object_get(last, "count")),
			    json_string_value(json_object_get(last, "day")),
			    c->spike_factor, json_string_value(
			    json_object_get(last, "median")));
			ev = json_pack("{s:O, s:O, s:O, s:O}", "day",
			    json_object_get(last, "day"), "count",
			    json_object_get(last, "count"), "median",
			    json_object_get(last, "median"), "spikes", spikes);
			rc = put_finding(db, rl, u, org, run, now, k->id,
			    json_object_get(keys, k->id), msg, ev);
			json_decref(ev);
		}
		json_decref(spikes);
	}
	return rc;
}

/* -- dormant_key_used ------------------------------------------------- */

static int
left_row(const struct db_row *r, void *arg)
{
	json_object_set_new(arg, db_row_str(r, 0),
	    json_integer(db_row_int(r, 1)));
	return 0;
}

static void
wake(json_t *list, int64_t day, const char *why)
{
	char	 d[21];

	day_text(day, d);
	json_array_append_new(list, json_pack("{s:s, s:s}", "day", d, "why",
	    why));
}

/*
 * A key wakes up on a day with usage when, before it: it is flagged
 * stale and the day is after its last use (by last_used_at, else its
 * creation); its owner left the org (user.deleted in the audit log, the
 * owner gone from the users list) and the day is after the day they
 * left; or its previous day with usage is more than stale_days before.
 * The first day of each kind is named.
 */
int
rules_usage_dormant(struct db *db, const struct conf *c,
    const struct rule *rl, int64_t org, int64_t run, int64_t now)
{
	struct uses	*u;
	json_t		*keys, *left = json_object(), *wakes, *key, *ev;
	json_t		*first;
	int64_t		 ref, gone;
	size_t		 i, j;
	char		 msg[256];
	int		 rc = 0;

	if (uses_load(db, c, org, run, now, &u, &keys) != 0 ||
	    DB_QUERY(db, SQL_RULE_USER_LEFT, left_row, left, DV_I(org)) < 0) {
		json_decref(left);
		return -1;
	}
	for (i = 0; i < u->n && rc == 0; i++) {
		struct kuse	*k = &u->k[i];

		wakes = json_array();
		key = json_object_get(keys, k->id);
		if (key != NULL && json_integer_value(json_object_get(key,
		    "stale"))) {
			json_t	*lu = json_object_get(key, "last_used_at");

			ref = lu != NULL ? json_integer_value(lu) :
			    json_integer_value(json_object_get(key,
			    "created_at"));
			for (j = 0; j < k->n; j++)
				if (k->d[j].day > ref - ref % DAY) {
					wake(wakes, k->d[j].day, "stale");
					break;
				}
		}
		if (key != NULL && json_integer_value(json_object_get(key,
		    "departed")) && json_object_get(key, "owner_id") != NULL &&
		    (first = json_object_get(left, json_string_value(
		    json_object_get(key, "owner_id")))) != NULL) {
			gone = json_integer_value(first);
			for (j = 0; j < k->n; j++)
				if (k->d[j].day > gone - gone % DAY) {
					wake(wakes, k->d[j].day, "orphan");
					break;
				}
		}
		for (j = 1; j < k->n; j++)
			if (k->d[j].day - k->d[j - 1].day > c->stale_days * DAY)
				wake(wakes, k->d[j].day, "gap");
		if (json_array_size(wakes) > 0) {
			first = json_array_get(wakes, 0);
			snprintf(msg, sizeof(msg), "Used on %s after being "
			    "%s", json_string_value(json_object_get(first,
			    "day")), strcmp(json_string_value(json_object_get(
			    first, "why")), "orphan") == 0 ? "orphaned (its "
			    "owner left the organization)" : strcmp(
			    json_string_value(json_object_get(first, "why")),
			    "stale") == 0 ? "flagged stale" : "unused for "
			    "more than stale_days");
			ev = json_pack("{s:O, s:O, s:O}", "day",
			    json_object_get(first, "day"), "why",
			    json_object_get(first, "why"), "wakeups", wakes);
			rc = put_finding(db, rl, u, org, run, now, k->id, key,
			    msg, ev);
			json_decref(ev);
		}
		json_decref(wakes);
	}
	json_decref(left);
	return rc;
}
