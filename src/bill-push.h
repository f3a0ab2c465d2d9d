/*
 * bill-push.h: a month's usage from MariaDB, the dry-run table, and the
 * push to Stripe under a ledger.
 *
 * The push, per tenant with a Stripe customer:
 *   1. plan: the month's lines are computed once and frozen in the ledger
 *      (bill_invoice, bill_item) in one transaction;
 *   2. a draft invoice (POST /v1/invoices, auto_advance=false, no pending
 *      items pulled in);
 *   3. one invoice item per org (POST /v1/invoiceitems);
 *   4. finalize (POST /v1/invoices/{id}/finalize).
 * Every POST carries a deterministic Idempotency-Key and every object a
 * metadata[orgaudit_ref]; each Stripe ID is recorded as soon as it is
 * known.  A step that was started and has no recorded ID is looked up in
 * Stripe by its ref before it is posted again, so a rerun after a crash
 * duplicates nothing even once Stripe has forgotten the key.
 */
#ifndef ORGAUDIT_BILL_PUSH_H
#define ORGAUDIT_BILL_PUSH_H

#include <stdio.h>

#include <jansson.h>

#include "bill-calc.h"
#include "db.h"
#include "bill-stripe.h"

/* One org over the month. */
struct bill_line {
	int64_t			 tenant, org;
	char			 name[201];
	char			 openai_org[129];
	struct bill_usage	 u;
};

/* A tenant with at least one org connected during the month. */
struct bill_tenant {
	int64_t			 id;
	char			 name[201];
	char			 customer[256];	/* "" when none */
	size_t			 first, n;	/* its lines */
	int64_t			 cents;
};

struct bill_set {
	struct bill_month	 m;
	struct bill_line	*lines;		/* by tenant, then org */
	size_t			 nlines;
	struct bill_tenant	*tenants;
	size_t			 ntenants;
};

/*
 * Computes the month for one tenant (or every tenant: 0).  0, or -1 with
 * the reason in err.
 */
int	 billing_load(struct db *db, const struct bill_month *m,
	    int64_t tenant, struct bill_set *set, char *err, size_t errlen);
void	 billing_free(struct bill_set *set);

/* The dry-run table. */
void	 billing_print(FILE *f, const struct bill_set *set);

/* One tenant's month as JSON (new reference), for the API and pages. */
json_t	*billing_json(const struct bill_set *set, const struct bill_tenant *t);

/*
 * What a tenant sees: the current month's estimate (days still to come
 * count today's numbers) and its last invoices from the ledger, as
 * {"estimate":{…}, "invoices":[…]}.  0, or -1 on a database error.
 */
int	 billing_view(struct db *db, int64_t tenant, int64_t now,
	    json_t **out);

struct bill_push_result {
	int	 invoiced;	/* tenants whose invoice is final (now or before) */
	int	 failed;	/* tenants a Stripe or database error stopped */
	int	 no_customer;	/* tenants with usage but no Stripe customer */
	long	 items;		/* invoice items created by this run */
};

/*
 * Pushes every tenant of set to Stripe under the ledger, printing
 * progress to out.  Takes the billing lock; -1 (nothing done) when
 * another push holds it or the database fails before any tenant.
 */
int	 billing_push(struct db *db, struct stripe *s,
	    const struct bill_set *set, FILE *out,
	    struct bill_push_result *res);

#endif
