/*
 * bill-push.c: see bill-push.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bill-push.h"
#include "lock.h"
#include "log.h"
#include "oa-client.h"
#include "util.h"

/* -- loading a month --------------------------------------------------- */

/* More orgs than this to carry in: read the month before at once. */
#define CARRY_DIVES_MAX	64
/*
 * The billing lock's lease, renewed before each tenant: longer than one
 * tenant's Stripe calls take with their retries.
 */
#define BILL_LOCK_SECONDS	300

struct org_ix {
	int64_t	 org;
	size_t	 line;
};

struct loader {
	struct bill_set		*set;
	size_t			 cap;
	struct bill_day		*days;		/* nlines * m.days */
	struct bill_day		*carry;		/* one per line: has, users… */
	struct org_ix		*ix;
	size_t			 tcap;		/* of set->tenants */
};

static int
conn_row(const struct db_row *r, void *arg)
{
	struct loader		*ld = arg;
	struct bill_set		*set = ld->set;
	struct bill_line	*l;
	struct bill_tenant	*t;
	int64_t			 tenant = db_row_int(r, 0);
	int64_t			 org = db_row_int(r, 1);
	size_t			 days = (size_t)set->m.days;

	/* Rows come by tenant: a new tenant starts before its first org. */
	if (set->ntenants == 0 ||
	    set->tenants[set->ntenants - 1].id != tenant) {
		set->tenants = xgrow(set->tenants, set->ntenants, &ld->tcap,
		    sizeof(*set->tenants), 16);
		t = &set->tenants[set->ntenants++];
		memset(t, 0, sizeof(*t));
		t->id = tenant;
		snprintf(t->name, sizeof(t->name), "%s", db_row_str(r, 6));
		snprintf(t->customer, sizeof(t->customer), "%s",
		    db_row_str(r, 7));
		t->first = set->nlines;
	}

	if (set->nlines == 0 || set->lines[set->nlines - 1].org != org) {
		if (set->nlines == ld->cap) {
			set->lines = xgrow(set->lines, set->nlines, &ld->cap,
			    sizeof(*set->lines), 256);
			ld->days = xrealloc(ld->days, ld->cap * days *
			    sizeof(*ld->days));
			ld->carry = xrealloc(ld->carry, ld->cap *
			    sizeof(*ld->carry));
		}
		l = &set->lines[set->nlines];
		memset(l, 0, sizeof(*l));
		memset(&ld->days[set->nlines * days], 0, days *
		    sizeof(*ld->days));
		memset(&ld->carry[set->nlines], 0, sizeof(*ld->carry));
		l->tenant = tenant;
		l->org = org;
		snprintf(l->name, sizeof(l->name), "%s", db_row_str(r, 4));
		snprintf(l->openai_org, sizeof(l->openai_org), "%s",
		    db_row_str(r, 5));
		set->nlines++;
	}
	bill_connect(&set->m, &ld->days[(set->nlines - 1) * days],
	    db_row_int(r, 2), db_row_null(r, 3) ? 0 : db_row_int(r, 3));
	return 0;
}

static int
ix_cmp(const void *a, const void *b)
{
	const struct org_ix	*x = a, *y = b;

	return x->org < y->org ? -1 : x->org > y->org;
}

static struct bill_day *
line_days(struct loader *ld, int64_t org, struct bill_day **carry)
{
	struct org_ix	 key = { org, 0 }, *hit;

	hit = bsearch(&key, ld->ix, ld->set->nlines, sizeof(*ld->ix), ix_cmp);
	if (hit == NULL)
		return NULL;
	*carry = &ld->carry[hit->line];
	return &ld->days[hit->line * (size_t)ld->set->m.days];
}

static int
day_row(const struct db_row *r, void *arg)
{
	struct loader	*ld = arg;
	struct bill_day	*d, *carry;
	int64_t		 dom = db_row_int(r, 1);

	if ((d = line_days(ld, db_row_int(r, 0), &carry)) == NULL ||
	    dom < 1 || dom > ld->set->m.days)
		return 0;
	d[dom - 1].has = true;
	d[dom - 1].users = (int)db_row_int(r, 2);
	d[dom - 1].projects = (int)db_row_int(r, 3);
	return 0;
}

static int
carry_row(const struct db_row *r, void *arg)
{
	struct bill_day	*carry = arg;

	carry->has = true;
	carry->users = (int)db_row_int(r, 0);
	carry->projects = (int)db_row_int(r, 1);
	return 1;
}

/*
 * Does a connected day come before the month's first snapshot?  Only
 * then does the last snapshot before the month count.
 */
static bool
needs_carry(const struct bill_day *d, int days)
{
	int	 i;

	for (i = 0; i < days; i++) {
		if (d[i].has)
			return false;
		if (d[i].connected)
			return true;
	}
	return false;
}

static int
recent_row(const struct db_row *r, void *arg)
{
	struct loader	*ld = arg;
	struct bill_day	*carry;

	/* Oldest first: the last row of an org is its last snapshot. */
	if (line_days(ld, db_row_int(r, 0), &carry) != NULL) {
		carry->has = true;
		carry->users = (int)db_row_int(r, 1);
		carry->projects = (int)db_row_int(r, 2);
	}
	return 0;
}

/*
 * Fetches the carried-in counts of the lines that need them: a few with
 * one primary-key dive each; many (a day without pulls on the 1st) with
 * one read of the month before, then dives for what is older still.
 */
static int
load_carry(struct db *db, struct loader *ld, int64_t tenant)
{
	const struct bill_month	*m = &ld->set->m;
	struct bill_month	 prev;
	size_t			 i, n = 0;
	bool			*need;
	int			 rc = -1;

	need = xcalloc(ld->set->nlines ? ld->set->nlines : 1, sizeof(*need));
	for (i = 0; i < ld->set->nlines; i++)
		n += need[i] = needs_carry(&ld->days[i * (size_t)m->days],
		    m->days);
	if (n > CARRY_DIVES_MAX) {
		bill_month_prev(m, &prev);
		if (DB_QUERY(db, SQL_BILL_CARRY_RECENT, recent_row, ld,
		    DV_S(prev.first), DV_S(m->first), DV_I(tenant),
		    DV_I(tenant)) < 0)
			goto out;
	}
	for (i = 0; i < ld->set->nlines; i++)
		if (need[i] && !ld->carry[i].has &&
		    DB_QUERY(db, SQL_BILL_CARRY, carry_row, &ld->carry[i],
		    DV_I(ld->set->lines[i].org), DV_S(m->first)) < 0)
			goto out;
	rc = 0;
out:
	free(need);
	return rc;
}

/* Each tenant's count of lines and total. */
static void
tally_tenants(struct bill_set *set)
{
	struct bill_tenant	*t;
	size_t			 i, j;

	for (i = 0; i < set->ntenants; i++) {
		t = &set->tenants[i];
		t->n = (i + 1 < set->ntenants ? set->tenants[i + 1].first :
		    set->nlines) - t->first;
		for (j = 0; j < t->n; j++)
			t->cents += set->lines[t->first + j].u.cents;
	}
}

int
billing_load(struct db *db, const struct bill_month *m, int64_t tenant,
    struct bill_set *set, char *err, size_t errlen)
{
	struct loader	 ld;
	size_t		 i;
	int		 rc = -1;

	memset(set, 0, sizeof(*set));
	memset(&ld, 0, sizeof(ld));
	set->m = *m;
	ld.set = set;
	if (DB_QUERY(db, SQL_BILL_CONNS, conn_row, &ld, DV_I(m->end),
	    DV_I(m->start), DV_I(tenant), DV_I(tenant)) < 0)
		goto dberr;
	ld.ix = xcalloc(set->nlines ? set->nlines : 1, sizeof(*ld.ix));
	for (i = 0; i < set->nlines; i++) {
		ld.ix[i].org = set->lines[i].org;
		ld.ix[i].line = i;
	}
	qsort(ld.ix, set->nlines, sizeof(*ld.ix), ix_cmp);
	if (set->nlines > 0 &&
	    (DB_QUERY(db, SQL_BILL_DAYS, day_row, &ld, DV_S(m->first),
	    DV_S(m->last), DV_I(tenant), DV_I(tenant)) < 0 ||
	    load_carry(db, &ld, tenant) != 0))
		goto dberr;
	for (i = 0; i < set->nlines; i++)
		bill_usage(m, &ld.days[i * (size_t)m->days], &ld.carry[i],
		    &set->lines[i].u);
	tally_tenants(set);
	rc = 0;
	goto out;
dberr:
	snprintf(err, errlen, "cannot read the month's counts: %s",
	    db_error(db));
	billing_free(set);
out:
	free(ld.days);
	free(ld.carry);
	free(ld.ix);
	return rc;
}

void
billing_free(struct bill_set *set)
{
	free(set->lines);
	free(set->tenants);
	set->lines = NULL;
	set->tenants = NULL;
	set->nlines = set->ntenants = 0;
}

/* -- showing it -------------------------------------------------------- */

void
billing_print(FILE *f, const struct bill_set *set)
{
	const struct bill_tenant	*t;
	const struct bill_line		*l;
	char				 u[32], p[32], eur[32], id[32];
	size_t				 i, j;
	int64_t				 total = 0;

	fprintf(f, "%s: %d days\n\n", set->m.name, set->m.days);
	fprintf(f, "%-28s %-34s %4s %9s %12s %12s\n", "TENANT", "ORG",
	    "DAYS", "AVG USERS", "AVG PROJECTS", "AMOUNT");
	for (i = 0; i < set->ntenants; i++) {
		t = &set->tenants[i];
		for (j = 0; j < t->n; j++) {
			l = &set->lines[t->first + j];
			snprintf(id, sizeof(id), "%" PRId64 " ", t->id);
			fputs(id, f);
			term_put(f, t->name, 28 - strlen(id));
			snprintf(id, sizeof(id), " %" PRId64 " ", l->org);
			fputs(id, f);
			term_put(f, l->name, 35 - strlen(id));
			bill_avg(l->u.user_days, l->u.month_days, 1, u,
			    sizeof(u));
			bill_avg(l->u.project_days, l->u.month_days, 1, p,
			    sizeof(p));
			bill_euros(l->u.cents, eur, sizeof(eur));
			/* The euro sign is one column and three bytes. */
			fprintf(f, " %4d %9s %12s %14s\n", l->u.days, u, p,
			    eur);
		}
		bill_euros(t->cents, eur, sizeof(eur));
		fprintf(f, "%-28s %-34s %4s %9s %12s %14s  %s%s\n", "",
		    "  tenant total", "", "", "", eur, t->customer[0] ?
		    "Stripe customer " : "no Stripe customer: not billed",
		    t->customer);
		total += t->cents;
	}
	bill_euros(total, eur, sizeof(eur));
	fprintf(f, "\n%zu tenants, %zu orgs, %s in all\n", set->ntenants,
	    set->nlines, eur);
}

json_t *
billing_json(const struct bill_set *set, const struct bill_tenant *t)
{
	const struct bill_line	*l;
	json_t			*orgs = json_array();
	char			 u[32], p[32], eur[32], desc[200];
	size_t			 j;

	for (j = 0; t != NULL && j < t->n; j++) {
		l = &set->lines[t->first + j];
		bill_avg(l->u.user_days, l->u.month_days, 1, u, sizeof(u));
		bill_avg(l->u.project_days, l->u.month_days, 1, p, sizeof(p));
		bill_euros(l->u.cents, eur, sizeof(eur));
		bill_description(&l->u, desc, sizeof(desc));
		json_array_append_new(orgs, json_pack("{s:I, s:s, s:s?, s:i, "
		    "s:I, s:I, s:s, s:s, s:I, s:s, s:s}",
		    "org_id", (json_int_t)l->org, "name", l->name,
		    "openai_org", l->openai_org[0] ? l->openai_org : NULL,
		    "days", l->u.days,
		    "user_days", (json_int_t)l->u.user_days,
		    "project_days", (json_int_t)l->u.project_days,
		    "avg_users", u, "avg_projects", p,
		    "amount_cents", (json_int_t)l->u.cents, "amount", eur,
		    "description", desc));
	}
	bill_euros(t != NULL ? t->cents : 0, eur, sizeof(eur));
	return json_pack("{s:s, s:i, s:s, s:o, s:I, s:s}", "month",
	    set->m.name, "days_in_month", set->m.days, "currency", "eur",
	    "orgs", orgs, "amount_cents", (json_int_t)(t != NULL ? t->cents :
	    0), "amount", eur);
}

static int
invoice_row(const struct db_row *r, void *arg)
{
	char	 eur[32], when[21] = "";

	bill_euros(db_row_int(r, 2), eur, sizeof(eur));
	if (!db_row_null(r, 6))
		fmt_rfc3339(db_row_int(r, 6), when);
	json_array_append_new(arg, json_pack("{s:s, s:I, s:I, s:s, s:s?, "
	    "s:s?, s:s?, s:s?}", "month", db_row_str(r, 0),
	    "orgs", (json_int_t)db_row_int(r, 1),
	    "amount_cents", (json_int_t)db_row_int(r, 2), "amount", eur,
	    "invoice_id", db_row_null(r, 3) ? NULL : db_row_str(r, 3),
	    "number", db_row_null(r, 4) ? NULL : db_row_str(r, 4),
	    "status", db_row_null(r, 5) ? "pending" : db_row_str(r, 5),
	    "finalized_at", db_row_null(r, 6) ? NULL : when));
	return 0;
}

int
billing_view(struct db *db, int64_t tenant, int64_t now, json_t **out)
{
	struct bill_month	 m;
	struct bill_set		 set;
	json_t			*est, *inv;
	char			 err[256];

	*out = NULL;
	bill_month_of(now, &m);
	if (billing_load(db, &m, tenant, &set, err, sizeof(err)) != 0)
		return -1;
	est = billing_json(&set, set.ntenants > 0 ? &set.tenants[0] : NULL);
	billing_free(&set);
	json_object_set_new(est, "day", json_integer(bill_day_index(&m,
	    now) + 1));
	inv = json_array();
	if (DB_QUERY(db, SQL_BILL_INVOICES, invoice_row, inv,
	    DV_I(tenant)) < 0) {
		json_decref(est);
		json_decref(inv);
		return -1;
	}
	*out = json_pack("{s:o, s:o}", "estimate", est, "invoices", inv);
	return 0;
}

/* -- the push ---------------------------------------------------------- */

struct ledger {
	bool	 found;
	char	 customer[256];
	int64_t	 orgs, cents;
	bool	 inv_started, items_started, finalized;
	char	 invoice[256], number[65], status[17];
};

struct litem {
	int64_t	 org;
	char	 openai_org[129];
	int	 days, month_days;
	int64_t	 user_days, project_days, cents;
	char	 desc[501];
	char	 item[256];
};

struct litems {
	struct litem	*v;
	size_t		 n, cap;
};

/* One tenant's push. */
struct tpush {
	struct db		*db;
	struct stripe		*s;
	const struct bill_set	*set;
	const struct bill_tenant *t;
	FILE			*out;
	struct ledger		 lg;
	struct litems		 items;
	char			 ref[64];	/* "t12:2026-10" */
	char			 err[1100];
	bool			 stripe_down;	/* stop every tenant */
	bool			 already;	/* final before this run */
	long			 created;
};

static int
ledger_row(const struct db_row *r, void *arg)
{
	struct ledger	*lg = arg;

	lg->found = true;
	snprintf(lg->customer, sizeof(lg->customer), "%s", db_row_str(r, 0));
	lg->orgs = db_row_int(r, 1);
	lg->cents = db_row_int(r, 2);
	lg->inv_started = !db_row_null(r, 3);
	snprintf(lg->invoice, sizeof(lg->invoice), "%s", db_row_str(r, 4));
	lg->items_started = !db_row_null(r, 5);
	lg->finalized = !db_row_null(r, 6);
	snprintf(lg->number, sizeof(lg->number), "%s", db_row_str(r, 7));
	snprintf(lg->status, sizeof(lg->status), "%s", db_row_str(r, 8));
	return 1;
}

static int
litem_row(const struct db_row *r, void *arg)
{
	struct litems	*li = arg;
	struct litem	*it;

	li->v = xgrow(li->v, li->n, &li->cap, sizeof(*li->v), 16);
	it = &li->v[li->n++];
	memset(it, 0, sizeof(*it));
	it->org = db_row_int(r, 0);
	snprintf(it->openai_org, sizeof(it->openai_org), "%s",
	    db_row_str(r, 1));
	it->days = (int)db_row_int(r, 2);
	it->month_days = (int)db_row_int(r, 3);
	it->user_days = db_row_int(r, 4);
	it->project_days = db_row_int(r, 5);
	it->cents = db_row_int(r, 6);
	snprintf(it->desc, sizeof(it->desc), "%s", db_row_str(r, 7));
	snprintf(it->item, sizeof(it->item), "%s", db_row_str(r, 8));
	return 0;
}

static int
tp_dberr(struct tpush *tp, const char *what)
{
	snprintf(tp->err, sizeof(tp->err), "%s: database error: %s", what,
	    db_error(tp->db));
	return -1;
}

static int
tp_stripe_err(struct tpush *tp, const struct stripe_resp *res)
{
	snprintf(tp->err, sizeof(tp->err), "%s", res->err);
	/* Not a refusal of this request: Stripe is away or overloaded. */
	if (res->status == 0 || res->status == 429 || res->status >= 500)
		tp->stripe_down = true;
	return -1;
}

/* Reads the ledger of this tenant and month. */
static int
tp_ledger(struct tpush *tp)
{
	memset(&tp->lg, 0, sizeof(tp->lg));
	free(tp->items.v);
	memset(&tp->items, 0, sizeof(tp->items));
	if (DB_QUERY(tp->db, SQL_BILL_INV_GET, ledger_row, &tp->lg,
	    DV_I(tp->t->id), DV_S(tp->set->m.name)) < 0 ||
	    (tp->lg.found && DB_QUERY(tp->db, SQL_BILL_ITEMS, litem_row,
	    &tp->items, DV_I(tp->t->id), DV_S(tp->set->m.name)) < 0))
		return tp_dberr(tp, "reading the ledger");
	return 0;
}

/* tp_plan's transaction (db_tx): the invoice's row and its lines. */
static int
tp_plan_tx(struct db *db, void *arg)
{
	struct tpush		*tp = arg;
	const struct bill_line	*l;
	char			 desc[200];
	size_t			 j;

	if (DB_EXEC(db, SQL_BILL_INV_ADD, DV_I(tp->t->id),
	    DV_S(tp->set->m.name), DV_S(tp->t->customer), DV_I(tp->t->n),
	    DV_I(tp->t->cents), DV_I(now_s())) != 0)
		return -1;
	for (j = 0; j < tp->t->n; j++) {
		l = &tp->set->lines[tp->t->first + j];
		bill_description(&l->u, desc, sizeof(desc));
		if (DB_EXEC(db, SQL_BILL_ITEM_ADD, DV_I(tp->t->id),
		    DV_S(tp->set->m.name), DV_I(l->org),
		    DV_S(l->openai_org[0] ? l->openai_org : NULL),
		    DV_I(l->u.days), DV_I(l->u.month_days),
		    DV_I(l->u.user_days), DV_I(l->u.project_days),
		    DV_I(l->u.cents), DV_S(desc)) != 0)
			return -1;
	}
	return 0;
}

/* Step 1: freezes the month's lines in the ledger, once. */
static int
tp_plan(struct tpush *tp)
{
	if (db_tx(tp->db, tp_plan_tx, tp) != 0)
		return tp_dberr(tp, "planning");
	return tp_ledger(tp);
}

static const char *
meta_ref(json_t *o)
{
	return json_string_value(json_object_get(json_object_get(o,
	    "metadata"), "orgaudit_ref"));
}

/*
 * Pages through a Stripe list (query already in path) and calls fn on
 * each object until it returns non-zero.  0, or -1 on a Stripe error.
 */
static int
tp_list(struct tpush *tp, const char *path,
    int (*fn)(struct tpush *, json_t *), int *stop)
{
	struct stripe_resp	 res;
	struct buf		 url = { 0 };
	json_t			*data, *o;
	const char		*last = NULL;
	char			*after = NULL;
	size_t			 i;
	int			 rc = 0;

	*stop = 0;
	for (;;) {
		buf_reset(&url);
		buf_printf(&url, "%s&limit=100", path);
		if (after != NULL) {
			buf_adds(&url, "&starting_after=");
			oa_escape(after, &url);
		}
		if (stripe_call(tp->s, url.p, NULL, NULL, &res) != 0) {
			rc = tp_stripe_err(tp, &res);
			stripe_resp_free(&res);
			break;
		}
		data = json_object_get(res.json, "data");
		last = NULL;
		json_array_foreach(data, i, o) {
			last = json_string_value(json_object_get(o, "id"));
			if ((*stop = fn(tp, o)) != 0)
				break;
		}
		free(after);
		after = last != NULL ? xstrdup(last) : NULL;
		if (*stop || !json_is_true(json_object_get(res.json,
		    "has_more")) || after == NULL) {
			stripe_resp_free(&res);
			break;
		}
		stripe_resp_free(&res);
	}
	free(after);
	buf_free(&url);
	return rc;
}

static int
find_invoice(struct tpush *tp, json_t *o)
{
	const char	*ref = meta_ref(o), *id;

	if (ref == NULL || strcmp(ref, tp->ref) != 0 ||
	    (id = json_string_value(json_object_get(o, "id"))) == NULL)
		return 0;
	snprintf(tp->lg.invoice, sizeof(tp->lg.invoice), "%s", id);
	return 1;
}

static int
tp_record_invoice(struct tpush *tp)
{
	if (DB_EXEC(tp->db, SQL_BILL_INV_SET_ID, DV_S(tp->lg.invoice),
	    DV_I(tp->t->id), DV_S(tp->set->m.name)) != 0)
		return tp_dberr(tp, "recording the invoice");
	return 0;
}

/* Step 2: the draft invoice. */
static int
tp_invoice(struct tpush *tp)
{
	struct stripe_resp	 res;
	struct buf		 form = { 0 }, path = { 0 };
	char			 key[400], desc[64], tenant[24];
	const char		*id;
	int			 stop, rc;

	if (tp->lg.invoice[0] != '\0')
		return 0;
	if (tp->lg.inv_started) {
		/* An earlier run may have created it: look before posting. */
		buf_adds(&path, "/v1/invoices?customer=");
		oa_escape(tp->lg.customer, &path);
		rc = tp_list(tp, path.p, find_invoice, &stop);
		buf_free(&path);
		if (rc != 0)
			return -1;
		if (stop)
			return tp_record_invoice(tp);
	} else if (DB_EXEC(tp->db, SQL_BILL_INV_STARTED, DV_I(now_s()),
	    DV_I(tp->t->id), DV_S(tp->set->m.name)) != 0)
		return tp_dberr(tp, "recording the invoice's start");
	/* The customer is part of the key: a corrected one is a new request. */
	snprintf(key, sizeof(key), "orgaudit:%s:%s:invoice", tp->ref,
	    tp->lg.customer);
	snprintf(desc, sizeof(desc), "orgaudit OpenAI Audit, %s",
	    tp->set->m.name);
	stripe_form(&form, "customer", tp->lg.customer);
	stripe_form(&form, "auto_advance", "false");
	stripe_form(&form, "currency", "eur");
	stripe_form(&form, "pending_invoice_items_behavior", "exclude");
	stripe_form(&form, "description", desc);
	stripe_form(&form, "metadata[orgaudit_ref]", tp->ref);
	snprintf(tenant, sizeof(tenant), "%" PRId64, tp->t->id);
	stripe_form(&form, "metadata[tenant]", tenant);
	stripe_form(&form, "metadata[month]", tp->set->m.name);
	rc = stripe_call(tp->s, "/v1/invoices", &form, key, &res);
	buf_free(&form);
	if (rc != 0) {
		tp_stripe_err(tp, &res);
		stripe_resp_free(&res);
		return -1;
	}
	id = json_string_value(json_object_get(res.json, "id"));
	snprintf(tp->lg.invoice, sizeof(tp->lg.invoice), "%s", id ? id : "");
	stripe_resp_free(&res);
	if (tp->lg.invoice[0] == '\0') {
		snprintf(tp->err, sizeof(tp->err), "POST /v1/invoices: the "
		    "answer has no invoice id");
		return -1;
	}
	return tp_record_invoice(tp);
}

static int
litem_cmp(const void *a, const void *b)
{
	const struct litem	*x = a, *y = b;

	return x->org < y->org ? -1 : x->org > y->org;
}

static int
tp_record_item(struct tpush *tp, struct litem *it)
{
	if (DB_EXEC(tp->db, SQL_BILL_ITEM_SET_ID, DV_S(it->item),
	    DV_I(now_s()), DV_I(tp->t->id), DV_S(tp->set->m.name),
	    DV_I(it->org)) != 0)
		return tp_dberr(tp, "recording an invoice item");
	return 0;
}

/* A listed invoice item: is it one of ours still without an ID? */
static int
find_item(struct tpush *tp, json_t *o)
{
	const char	*ref = meta_ref(o), *id, *p;
	struct litem	 key, *it;
	size_t		 n = strlen(tp->ref);

	if (ref == NULL || strncmp(ref, tp->ref, n) != 0 ||
	    strncmp(ref + n, ":o", 2) != 0 ||
	    (id = json_string_value(json_object_get(o, "id"))) == NULL)
		return 0;
	p = ref + n + 2;
	memset(&key, 0, sizeof(key));
	if (parse_i64(p, 1, INT64_MAX, &key.org) != 0 ||
	    (it = bsearch(&key, tp->items.v, tp->items.n, sizeof(*it),
	    litem_cmp)) == NULL || it->item[0] != '\0')
		return 0;
	snprintf(it->item, sizeof(it->item), "%s", id);
	return tp_record_item(tp, it) == 0 ? 0 : -1;
}

static int
tp_post_item(struct tpush *tp, struct litem *it)
{
	struct stripe_resp	 res;
	struct buf		 form = { 0 };
	char			 key[160], ref[96], v[64];
	const char		*id;
	int			 rc;

	snprintf(ref, sizeof(ref), "%s:o%" PRId64, tp->ref, it->org);
	snprintf(key, sizeof(key), "orgaudit:%s:item", ref);
	stripe_form(&form, "customer", tp->lg.customer);
	stripe_form(&form, "invoice", tp->lg.invoice);
	stripe_form(&form, "currency", "eur");
	snprintf(v, sizeof(v), "%" PRId64, it->cents);
	stripe_form(&form, "amount", v);
	stripe_form(&form, "description", it->desc);
	snprintf(v, sizeof(v), "%" PRId64, tp->set->m.start);
	stripe_form(&form, "period[start]", v);
	snprintf(v, sizeof(v), "%" PRId64, tp->set->m.end);
	stripe_form(&form, "period[end]", v);
	stripe_form(&form, "metadata[orgaudit_ref]", ref);
	snprintf(v, sizeof(v), "%" PRId64, it->org);
	stripe_form(&form, "metadata[org]", v);
	if (it->openai_org[0] != '\0')
		stripe_form(&form, "metadata[openai_org]", it->openai_org);
	stripe_form(&form, "metadata[month]", tp->set->m.name);
	bill_avg(it->user_days, it->month_days, 4, v, sizeof(v));
	stripe_form(&form, "metadata[avg_users]", v);
	bill_avg(it->project_days, it->month_days, 4, v, sizeof(v));
	stripe_form(&form, "metadata[avg_projects]", v);
	snprintf(v, sizeof(v), "%d", it->days);
	stripe_form(&form, "metadata[days]", v);
	rc = stripe_call(tp->s, "/v1/invoiceitems", &form, key, &res);
	buf_free(&form);
	if (rc != 0) {
		tp_stripe_err(tp, &res);
		stripe_resp_free(&res);
		return -1;
	}
	id = json_string_value(json_object_get(res.json, "id"));
	snprintf(it->item, sizeof(it->item), "%s", id ? id : "");
	stripe_resp_free(&res);
	if (it->item[0] == '\0') {
		snprintf(tp->err, sizeof(tp->err), "POST /v1/invoiceitems: "
		    "the answer has no id");
		return -1;
	}
	tp->created++;
	return tp_record_item(tp, it);
}

/* Step 3: one invoice item per org. */
static int
tp_items(struct tpush *tp)
{
	struct buf	 path = { 0 };
	size_t		 i, missing = 0, done = 0;
	int		 stop, rc;

	for (i = 0; i < tp->items.n; i++)
		missing += tp->items.v[i].item[0] == '\0';
	if (missing == 0)
		return 0;
	/* SQL_BILL_ITEMS orders them by org: find_item() bsearches. */
	if (tp->lg.items_started) {
		buf_adds(&path, "/v1/invoiceitems?invoice=");
		oa_escape(tp->lg.invoice, &path);
		rc = tp_list(tp, path.p, find_item, &stop);
		buf_free(&path);
		if (rc != 0 || stop < 0)
			return -1;
	} else if (DB_EXEC(tp->db, SQL_BILL_ITEMS_STARTED, DV_I(now_s()),
	    DV_I(tp->t->id), DV_S(tp->set->m.name)) != 0)
		return tp_dberr(tp, "recording the items' start");
	for (i = 0; i < tp->items.n; i++) {
		if (tp->items.v[i].item[0] != '\0')
			continue;
		if (tp_post_item(tp, &tp->items.v[i]) != 0)
			return -1;
		if (++done % 1000 == 0)
			fprintf(tp->out, "tenant %" PRId64 ": %zu of %zu invoice "
			    "items created\n", tp->t->id, done, missing);
	}
	return 0;
}

/* Records a final invoice from Stripe's view of it. */
static int
tp_record_final(struct tpush *tp, json_t *inv)
{
	const char	*num = json_string_value(json_object_get(inv, "number"));
	const char	*st = json_string_value(json_object_get(inv, "status"));

	snprintf(tp->lg.number, sizeof(tp->lg.number), "%s", num ? num : "");
	snprintf(tp->lg.status, sizeof(tp->lg.status), "%s", st ? st : "");
	if (DB_EXEC(tp->db, SQL_BILL_INV_FINAL, DV_I(now_s()),
	    DV_S(num), DV_S(st), DV_I(tp->t->id),
	    DV_S(tp->set->m.name)) != 0)
		return tp_dberr(tp, "recording the finalization");
	tp->lg.finalized = true;
	return 0;
}

/* Step 4: finalize, or find it already final. */
static int
tp_finalize(struct tpush *tp)
{
	struct stripe_resp	 res, got;
	struct buf		 form = { 0 }, path = { 0 }, fin = { 0 };
	char			 key[128];
	const char		*st;
	int			 rc;

	snprintf(key, sizeof(key), "orgaudit:%s:finalize", tp->ref);
	buf_adds(&path, "/v1/invoices/");
	oa_escape(tp->lg.invoice, &path);
	stripe_form(&form, "auto_advance", "true");
	buf_adds(&fin, path.p);
	buf_adds(&fin, "/finalize");
	rc = stripe_call(tp->s, fin.p, &form, key, &res);
	buf_free(&fin);
	buf_free(&form);
	if (rc == 0) {
		rc = tp_record_final(tp, res.json);
		goto out;
	}
	if (res.status != 400) {
		rc = tp_stripe_err(tp, &res);
		goto out;
	}
	/* Finalized by an earlier run whose answer was lost? */
	if (stripe_call(tp->s, path.p, NULL, NULL, &got) != 0) {
		rc = tp_stripe_err(tp, &got);
	} else if ((st = json_string_value(json_object_get(got.json,
	    "status"))) != NULL && strcmp(st, "draft") != 0) {
		rc = tp_record_final(tp, got.json);
	} else
		rc = tp_stripe_err(tp, &res);
	stripe_resp_free(&got);
out:
	stripe_resp_free(&res);
	buf_free(&path);
	return rc;
}

/*
 * The tenant's customer was corrected before an invoice was recorded.  If
 * an earlier run may have made one for the old customer, it is looked
 * for there first and, when found, kept; otherwise the new one is billed.
 */
static int
tp_switch_customer(struct tpush *tp)
{
	struct buf	 path = { 0 };
	int		 stop = 0, rc = 0;

	if (tp->lg.inv_started) {
		buf_adds(&path, "/v1/invoices?customer=");
		oa_escape(tp->lg.customer, &path);
		rc = tp_list(tp, path.p, find_invoice, &stop);
		buf_free(&path);
		/* A customer Stripe does not know has no invoice. */
		if (rc != 0 && tp->stripe_down)
			return -1;
		tp->err[0] = '\0';
		if (stop) {
			fprintf(tp->out, "tenant %" PRId64 ": invoice %s was made "
			    "for %s before the customer was changed; it is "
			    "kept\n", tp->t->id, tp->lg.invoice, tp->lg.customer);
			return tp_record_invoice(tp);
		}
	}
	if (DB_EXEC(tp->db, SQL_BILL_INV_SET_CUSTOMER, DV_S(tp->t->customer),
	    DV_I(tp->t->id), DV_S(tp->set->m.name)) != 0)
		return tp_dberr(tp, "changing the customer");
	fprintf(tp->out, "tenant %" PRId64 ": the Stripe customer is now %s "
	    "(was %s)\n", tp->t->id, tp->t->customer, tp->lg.customer);
	snprintf(tp->lg.customer, sizeof(tp->lg.customer), "%s",
	    tp->t->customer);
	return 0;
}

static int
tp_run(struct tpush *tp)
{
	if (tp_ledger(tp) != 0)
		return -1;
	if (!tp->lg.found && tp_plan(tp) != 0)
		return -1;
	if ((tp->already = tp->lg.finalized))
		return 0;
	if (tp->lg.invoice[0] == '\0' && tp->t->customer[0] != '\0' &&
	    strcmp(tp->lg.customer, tp->t->customer) != 0 &&
	    tp_switch_customer(tp) != 0)
		return -1;
	if (tp_invoice(tp) != 0 || tp_items(tp) != 0)
		return -1;
	return tp_finalize(tp);
}

int
billing_push(struct db *db, struct stripe *s, const struct bill_set *set,
    FILE *out, struct bill_push_result *res)
{
	struct tpush	 tp;
	char		 eur[32];
	struct lock	 l = { .name = "bill", .seconds = BILL_LOCK_SECONDS };
	size_t		 i;
	int		 rc, held;

	memset(res, 0, sizeof(*res));
	if ((held = lock_take(db, &l, 0)) < 0) {
		fprintf(out, "orgaudit-bill: cannot take the billing lock: %s; "
		    "nothing done\n", db_error(db));
		return -1;
	}
	if (held != 1) {
		fprintf(out, "orgaudit-bill: another orgaudit-bill is pushing; "
		    "nothing done\n");
		return -1;
	}
	memset(&tp, 0, sizeof(tp));
	tp.db = db;
	tp.s = s;
	tp.set = set;
	tp.out = out;
	for (i = 0; i < set->ntenants; i++) {
		/* A lease that ran out may be another run's now: stop. */
		if (lock_renew(db, &l) != 1) {
			fprintf(out, "orgaudit-bill: the billing lock was lost "
			    "(its lease ran out, or the database is gone); "
			    "stopped before tenant %" PRId64 ", run again\n",
			    set->tenants[i].id);
			res->failed++;
			break;
		}
		tp.t = &set->tenants[i];
		tp.err[0] = '\0';
		tp.created = 0;
		snprintf(tp.ref, sizeof(tp.ref), "t%" PRId64 ":%s", tp.t->id,
		    set->m.name);
		if (tp.t->customer[0] == '\0') {
			/* Planned lines keep their customer; new ones need one. */
			if (tp_ledger(&tp) != 0) {
				fprintf(out, "tenant %" PRId64 ": not billed: "
				    "%s\n", tp.t->id, tp.err);
				res->failed++;
				continue;
			}
			if (!tp.lg.found) {
				fprintf(out, "tenant %" PRId64 ": no Stripe "
				    "customer, not billed; set one with "
				    "'orgaudit tenant stripe-customer %" PRId64
				    " cus_…' and run again\n", tp.t->id,
				    tp.t->id);
				res->no_customer++;
				continue;
			}
		}
		rc = tp_run(&tp);
		res->items += tp.created;
		if (rc != 0) {
			res->failed++;
			fprintf(out, "tenant %" PRId64 ": not finished: %s; the "
			    "ledger keeps what was done, run again to go "
			    "on\n", tp.t->id, tp.err);
			log_err("bill: tenant %" PRId64 " %s: %s", tp.t->id,
			    set->m.name, tp.err);
			if (tp.stripe_down) {
				fprintf(out, "orgaudit-bill: Stripe is not "
				    "answering; stopped before the other "
				    "tenants\n");
				break;
			}
			continue;
		}
		res->invoiced++;
		bill_euros(tp.lg.cents, eur, sizeof(eur));
		fprintf(out, "tenant %" PRId64 ": invoice %s %s (%s), %" PRId64
		    " orgs, %s%s\n", tp.t->id, tp.lg.invoice, tp.lg.number,
		    tp.lg.status, tp.lg.orgs, eur, tp.already ? "; invoiced "
		    "before, nothing sent" : "");
		if (tp.lg.cents != tp.t->cents)
			fprintf(out, "tenant %" PRId64 ": note: the ledger's "
			    "amount, frozen when first planned, differs from "
			    "today's counts (%" PRId64 " cents)\n", tp.t->id,
			    tp.t->cents);
		log_info("bill: tenant %" PRId64 " %s: invoice %s %s, %" PRId64
		    " cents, %ld items created by this run", tp.t->id,
		    set->m.name, tp.lg.invoice, tp.lg.number, tp.lg.cents,
		    tp.created);
	}
	free(tp.items.v);
	lock_release(db, &l);
	return 0;
}
