/*
 * web-usage.c: the "Usage and costs" tab of an org (spend per day and
 * project as an inline SVG chart, the month to date and its run-rate
 * forecast, the model mix, the top keys by spend, unmapped activity)
 * and the tenant's spend across its orgs.
 *
 * Money stays exact (decimal.h) from MariaDB's DECIMAL to the view
 * model: every sum is made exactly, and only the "*_display" text is
 * rounded, to cents, for the page.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "decimal.h"
#include "log.h"
#include "pages.h"
#include "views.h"
#include "web.h"

#define DAY		86400
#define CHART_DAYS	90
#define CHART_PROJECTS	8	/* the rest stack as "other projects" */
#define TOP_KEYS	10
#define UNMAPPED_MAX	500
#define BAR_W		6
#define CHART_H		160

/* -- exact amounts -------------------------------------------------- */

/* The column's decimal, or 0 when NULL or not a decimal (logged). */
static dec_t
row_dec(const struct db_row *r, size_t c)
{
	const char	*s;
	char		 err[64];
	dec_t		 v;

	if (db_row_null(r, c))
		return 0;
	s = db_row_str(r, c);
	if (dec_parse(s, strlen(s), &v, err, sizeof(err)) != 0) {
		log_warn("web: usage: amount '%.40s': %s", s, err);
		return 0;
	}
	return v;
}

/* v rounded half away from zero to cents, as text with two places. */
static void
dec_cents(dec_t v, char *out, size_t outlen)
{
	const dec_t	 unit = (dec_t)10000000000000000LL;	/* 10^16 */
	dec_t		 r;
	char		 t[DEC_TEXT_MAX];
	const char	*dot;
	size_t		 places;

	r = (v < 0 ? v - unit / 2 : v + unit / 2) / unit * unit;
	dec_format(r, t, sizeof(t));
	if (strcmp(t, "-0") == 0)
		snprintf(t, sizeof(t), "0");
	dot = strchr(t, '.');
	places = dot == NULL ? 0 : strlen(dot + 1);
	snprintf(out, outlen, "%s%s%s", t, dot == NULL ? ".00" : "",
	    dot == NULL ? "" : places == 1 ? "0" : "");
}

/* {"amount": exact text, "display": cents} (new reference). */
static json_t *
money_json(dec_t v, const char *currency)
{
	char	 exact[DEC_TEXT_MAX], shown[DEC_TEXT_MAX + 4];

	dec_format(v, exact, sizeof(exact));
	dec_cents(v, shown, sizeof(shown));
	return json_pack("{s:s, s:s, s:s}", "amount", exact, "display", shown,
	    "currency", currency != NULL ? currency : "");
}

/*
 * The keys page's view of view_key's usage fields: a key with neither
 * spend nor a usage day shows a dash, not "0.00".
 */
void
web_add_usage(json_t *k)
{
	const char	*s = json_string_value(json_object_get(k, "spend_30d"));
	const char	*day = json_string_value(json_object_get(k,
			    "last_usage_day"));
	char		 err[64], shown[DEC_TEXT_MAX + 4];
	dec_t		 v;

	if (s != NULL && dec_parse(s, strlen(s), &v, err, sizeof(err)) == 0 &&
	    (v != 0 || day != NULL)) {
		dec_cents(v, shown, sizeof(shown));
		json_object_set_new(k, "spend_30d_display", json_string(shown));
	}
	if (day != NULL)
		json_object_set_new(k, "last_usage_day_on", json_string(day));
}

/* -- the period ------------------------------------------------------ */

struct period {
	int64_t	 today;		/* this UTC day's midnight */
	int64_t	 from;		/* the chart's first day */
	int64_t	 month;		/* the month's first midnight */
	int	 elapsed;	/* days of the month so far, today's counted */
	int	 days;		/* days in the month */
};

static void
period_of(int64_t now, struct period *p)
{
	time_t		 t = (time_t)now;
	struct tm	 tm, next;

	p->today = now - now % DAY;
	p->from = p->today - (CHART_DAYS - 1) * (int64_t)DAY;
	gmtime_r(&t, &tm);
	p->elapsed = tm.tm_mday;
	p->month = p->today - (int64_t)(tm.tm_mday - 1) * DAY;
	memset(&next, 0, sizeof(next));
	next.tm_year = tm.tm_mon == 11 ? tm.tm_year + 1 : tm.tm_year;
	next.tm_mon = (tm.tm_mon + 1) % 12;
	next.tm_mday = 1;
	p->days = (int)(((int64_t)timegm(&next) - p->month) / DAY);
}

/* -- spend per day and project -------------------------------------- */

/*
 * The chart: each day's spend (cost_day), of which the CHART_PROJECTS
 * projects that spent most over its days get a colour each and the rest
 * stack as "other projects" (column CHART_PROJECTS).
 */
struct days {
	const struct period	*p;
	char			 proj[CHART_PROJECTS][129];  /* "": none */
	dec_t			 spent[CHART_PROJECTS];
	size_t			 nproj;
	bool			 more;		/* other projects spent too */
	dec_t			 day[CHART_DAYS];
	dec_t			 v[CHART_DAYS][CHART_PROJECTS + 1];
	dec_t			 total, mtd;
	char			 currency[17];
	bool			 overflow;
};

static int
days_row(const struct db_row *r, void *arg)
{
	struct days	*d = arg;
	int64_t		 day = db_row_int(r, 0);
	dec_t		 a = row_dec(r, 1);
	size_t		 i;

	if (day < d->p->from || day > d->p->today)
		return 0;
	i = (size_t)((day - d->p->from) / DAY);
	if (!dec_add(d->day[i], a, &d->day[i]) ||
	    !dec_add(d->total, a, &d->total) ||
	    (day >= d->p->month && !dec_add(d->mtd, a, &d->mtd)))
		d->overflow = true;
	if (d->currency[0] == '\0')
		snprintf(d->currency, sizeof(d->currency), "%s",
		    db_row_str(r, 2));
	return 0;
}

/* A project's spend over the chart's days: kept if among the most. */
static int
top_project_row(const struct db_row *r, void *arg)
{
	struct days	*d = arg;
	const char	*id = db_row_null(r, 1) ? "" : db_row_str(r, 1);
	dec_t		 a = row_dec(r, 4);
	size_t		 i;

	/* Rows come in project order: an equal amount keeps the first. */
	for (i = d->nproj; i > 0 && a > d->spent[i - 1]; i--)
		;
	if (i >= CHART_PROJECTS) {
		d->more = true;
		return 0;
	}
	if (d->nproj == CHART_PROJECTS)
		d->more = true;
	else
		d->nproj++;
	memmove(&d->spent[i + 1], &d->spent[i], (d->nproj - 1 - i) *
	    sizeof(d->spent[0]));
	memmove(&d->proj[i + 1], &d->proj[i], (d->nproj - 1 - i) *
	    sizeof(d->proj[0]));
	d->spent[i] = a;
	snprintf(d->proj[i], sizeof(d->proj[i]), "%s", id);
	return 0;
}

static int
day_project_row(const struct db_row *r, void *arg)
{
	struct days	*d = arg;
	int64_t		 day = db_row_int(r, 0);
	size_t		 i, k;

	if (day < d->p->from || day > d->p->today)
		return 0;
	i = (size_t)((day - d->p->from) / DAY);
	for (k = 0; k < d->nproj; k++)
		if (strcmp(d->proj[k], db_row_str(r, 1)) == 0)
			break;
	if (k < d->nproj && !dec_add(d->v[i][k], row_dec(r, 2), &d->v[i][k]))
		d->overflow = true;
	return 0;
}

/* Fills d: the days, the most spending projects' share of each. */
static int
days_read(struct db *db, int64_t t, int64_t o, struct days *d)
{
	struct db_val	 v[3 + CHART_PROJECTS];
	size_t		 i, k;
	dec_t		 rest;

	if (DB_QUERY(db, SQL_DASH_DAYS, days_row, d, DV_I(t), DV_I(o),
	    DV_I(d->p->from)) < 0 || costs_by_project(db, t, o, d->p->from,
	    d->p->today + DAY, top_project_row, d) < 0)
		return -1;
	v[0] = DV_I(t);
	v[1] = DV_I(o);
	v[2] = DV_I(d->p->from);
	for (k = 0; k < CHART_PROJECTS; k++)	/* NULL matches nothing */
		v[3 + k] = DV_S(k < d->nproj ? d->proj[k] : NULL);
	if (d->nproj > 0 && db_query(db, SQL_DASH_DAY_PROJECTS, v, 3 +
	    CHART_PROJECTS, day_project_row, d) < 0)
		return -1;
	for (i = 0; i < CHART_DAYS; i++) {
		rest = d->day[i];
		for (k = 0; k < d->nproj; k++)
			if (!dec_add(rest, -d->v[i][k], &rest))
				d->overflow = true;
		d->v[i][CHART_PROJECTS] = rest;
	}
	return 0;
}

/* A bar's height in pixels: a of max, both exact, no double. */
static int
bar_h(dec_t a, dec_t max)
{
	const dec_t	 micro = (dec_t)1000000000000LL;	/* 10^12 */

	if (a <= 0 || max <= 0)
		return 0;
	return (int)((a / micro) * CHART_H / (max / micro + 1));
}

/* The stacked bars, one rect per day and project, and the legend. */
static json_t *
days_chart(const struct days *d)
{
	json_t		*bars = json_array(), *legend = json_array();
	dec_t		 max = 0, sum;
	char		 date[16], shown[DEC_TEXT_MAX + 4];
	size_t		 i, k;
	int		 y, h;

	for (i = 0; i < CHART_DAYS; i++) {
		sum = 0;
		for (k = 0; k <= CHART_PROJECTS; k++)
			(void)dec_add(sum, d->v[i][k], &sum);
		if (sum > max)
			max = sum;
	}
	for (i = 0; i < CHART_DAYS; i++) {
		y = CHART_H;
		web_utc_date(d->p->from + (int64_t)i * DAY, date);
		for (k = 0; k <= CHART_PROJECTS; k++) {
			if ((h = bar_h(d->v[i][k], max)) == 0)
				continue;
			y -= h;
			dec_cents(d->v[i][k], shown, sizeof(shown));
			/* A bar's colour is its project's: class p<n>. */
			json_array_append_new(bars, json_pack("{s:i, s:i, s:i,"
			    " s:i, s:o, s:s, s:s, s:s}", "x", (int)i * BAR_W,
			    "y", y, "width", BAR_W - 1, "height", h, "class",
			    json_sprintf("p%zu", k), "project",
			    k < d->nproj ? (d->proj[k][0] ? d->proj[k] :
			    "no project") : "other projects", "day", date,
			    "amount", shown));
		}
	}
	for (k = 0; k < d->nproj; k++)
		json_array_append_new(legend, json_pack("{s:s, s:o}", "project",
		    d->proj[k][0] ? d->proj[k] : "no project", "class",
		    json_sprintf("p%zu", k)));
	if (d->more)
		json_array_append_new(legend, json_pack("{s:s, s:o}", "project",
		    "other projects", "class", json_sprintf("p%d",
		    CHART_PROJECTS)));
	return json_pack("{s:i, s:i, s:o, s:o, s:o}", "width",
	    CHART_DAYS * BAR_W, "height", CHART_H, "bars", bars, "legend",
	    legend, "max", money_json(max, d->currency));
}

/* -- the model mix, the top keys, unmapped ids ----------------------- */

static int
model_row(const struct db_row *r, void *arg)
{
	json_array_append_new(arg, json_pack("{s:s, s:I, s:I, s:I}", "model",
	    db_row_str(r, 0)[0] ? db_row_str(r, 0) : "(none)", "requests",
	    (json_int_t)db_row_int(r, 1), "input_tokens",
	    (json_int_t)db_row_int(r, 2), "output_tokens",
	    (json_int_t)db_row_int(r, 3)));
	return 0;
}

static int
key_row(const struct db_row *r, void *arg)
{
	json_t		*o, *owner = json_null();
	const char	*type = db_row_null(r, 5) ? NULL : db_row_str(r, 5);

	if (type != NULL)
		owner = json_pack("{s:s, s:o, s:o}", "type", type, "id",
		    view_str(r, 6), "label", strcmp(type, "user") == 0 &&
		    !db_row_null(r, 7) ? json_sprintf("%s…", db_row_str(r, 7)) :
		    !db_row_null(r, 8) ? json_string(db_row_str(r, 8)) :
		    view_str(r, 6));
	o = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:o}",
	    "api_key_id", db_row_str(r, 0),
	    "spend", money_json(row_dec(r, 1), db_row_str(r, 2)),
	    "name", view_str(r, 3),
	    "redacted_value", view_str(r, 4),
	    "owner", owner,
	    "project_id", view_str(r, 9),
	    "project_name", view_str(r, 10),
	    "listed", !db_row_null(r, 4),
	    "findings", view_str(r, 11));
	web_add_short(o, "name");
	json_array_append_new(arg, o);
	return 0;
}

/* A row of usage_unmapped; the page lists UNMAPPED_MAX of them. */
static int
unmapped_row(const struct db_row *r, void *arg)
{
	char	 d0[16], d1[16];

	if (json_array_size(arg) >= UNMAPPED_MAX)
		return 1;
	web_utc_date(db_row_int(r, 4), d0);
	web_utc_date(db_row_int(r, 5), d1);
	json_array_append_new(arg, json_pack("{s:s, s:s, s:I, s:o, s:I, s:I,"
	    " s:s, s:s}", "kind", db_row_str(r, 0), "id", db_row_str(r, 1),
	    "requests", (json_int_t)db_row_int(r, 3), "amount",
	    money_json(row_dec(r, 2), NULL), "first_day",
	    (json_int_t)db_row_int(r, 4), "last_day",
	    (json_int_t)db_row_int(r, 5), "first_on", d0, "last_on", d1));
	return 0;
}

/* The month so far and its forecast: mtd / elapsed * days, exact. */
static json_t *
month_json(const struct days *d)
{
	dec_t	 forecast = 0;

	if (!dec_muldiv(d->mtd, d->p->days, d->p->elapsed, &forecast))
		forecast = 0;
	return json_pack("{s:o, s:o, s:i, s:i, s:I}", "to_date",
	    money_json(d->mtd, d->currency), "forecast", money_json(forecast,
	    d->currency), "elapsed_days", d->p->elapsed, "days_in_month",
	    d->p->days, "start", (json_int_t)d->p->month);
}

void
web_usage(struct call *c)
{
	struct db	*db = c->r->db;
	struct period	 p;
	struct days	*d = xcalloc(1, sizeof(*d));
	json_t		*models = json_array(), *keys = json_array();
	json_t		*unmapped = json_array(), *data, *page;
	int64_t		 t = c->r->tenant, o = c->org;

	period_of(now_s(), &p);
	d->p = &p;
	/* Unmapped: every day stored, not only the chart's. */
	if (days_read(db, t, o, d) != 0 || DB_QUERY(db, SQL_DASH_MODELS,
	    model_row, models, DV_I(t), DV_I(o), DV_I(p.from)) < 0 ||
	    DB_QUERY(db, SQL_DASH_TOP_KEYS, key_row, keys, DV_I(t), DV_I(o),
	    DV_I(TOP_KEYS)) < 0 ||
	    DB_QUERY(db, SQL_DASH_UNMAPPED, unmapped_row, unmapped, DV_I(t),
	    DV_I(o)) < 0)
		goto err;
	if (d->overflow)
		log_warn("web: usage: org %" PRId64 ": a sum leaves "
		    "DECIMAL(38,18)", o);
	data = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:b, s:I}",
	    "month", month_json(d), "period", money_json(d->total,
	    d->currency), "chart", days_chart(d), "models", models,
	    "top_keys", keys, "unmapped", unmapped,
	    "has_unmapped", json_array_size(unmapped) > 0,
	    "has_costs", d->total != 0, "from", (json_int_t)p.from);
	models = keys = unmapped = NULL;
	if ((page = web_org_page(c, "/usage", data)) == NULL)
		goto err;
	free(d);
	web_page(c, 200, "usage", "Usage and costs", page);
	return;
err:
	json_decref(models);
	json_decref(keys);
	json_decref(unmapped);
	free(d);
	call_db_error(c, "usage");
}

/* -- the tenant's spend ---------------------------------------------- */

static int
tenant_row(const struct db_row *r, void *arg)
{
	const char	*cur = db_row_null(r, 5) ? NULL : db_row_str(r, 5);
	json_t		*o;

	o = json_pack("{s:I, s:s, s:s, s:o, s:o, s:o}", "id",
	    (json_int_t)db_row_int(r, 0), "name", db_row_str(r, 1), "status",
	    db_row_str(r, 2), "month_to_date", money_json(row_dec(r, 3), cur),
	    "last_30_days", money_json(row_dec(r, 4), cur), "currency",
	    cur != NULL ? json_string(cur) : json_null());
	web_add_short(o, "name");
	json_array_append_new(arg, o);
	return 0;
}

void
web_tenant_usage(struct call *c)
{
	struct period	 p;
	json_t		*orgs = json_array();
	int64_t		 d30;

	period_of(now_s(), &p);
	d30 = p.today - 29 * (int64_t)DAY;
	if (DB_QUERY(c->r->db, SQL_DASH_TENANT, tenant_row, orgs,
	    DV_I(p.month), DV_I(d30), DV_I(p.month), DV_I(d30),
	    DV_I(c->r->tenant)) < 0) {
		json_decref(orgs);
		call_db_error(c, "tenant usage");
		return;
	}
	web_page(c, 200, "usage-tenant", "Usage and costs", json_pack(
	    "{s:o, s:b, s:I, s:I}", "orgs", orgs, "empty",
	    json_array_size(orgs) == 0, "month_start", (json_int_t)p.month,
	    "from_30_days", (json_int_t)d30));
}
