/*
 * api-ocsf.c: the OCSF exports (pages.h; the mapping is ocsf.h).  Both
 * stream one OCSF event per line as the rows are read, oldest first, and
 * resume from the last position a reader kept: events.ocsf.jsonl by the
 * chain's seq (as events.jsonl), findings.ocsf.jsonl by the finding's
 * number (the N of "fnd_N").
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "ocsf.h"
#include "pages.h"
#include "util.h"
#include "version.h"
#include "views.h"

/* The names ctx borrows, kept for the request. */
struct names {
	char	 org[256], openai_org[130], tenant[256];
};

struct ocsf_out {
	struct req		*r;
	const struct ocsf_ctx	*ctx;
	json_t			*(*view)(const struct db_row *);
	json_t			*(*map)(json_t *, const struct ocsf_ctx *);
	bool			 started;
	int64_t			 rows;
};

static int
org_names_row(const struct db_row *r, void *arg)
{
	struct names	*n = arg;

	snprintf(n->org, sizeof(n->org), "%s", db_row_str(r, OC_NAME));
	snprintf(n->openai_org, sizeof(n->openai_org), "%s",
	    db_row_str(r, OC_OPENAI_ORG));
	return 1;
}

static int
tenant_name_row(const struct db_row *r, void *arg)
{
	struct names	*n = arg;

	snprintf(n->tenant, sizeof(n->tenant), "%s", db_row_str(r, 0));
	return 1;
}

/* Fills ctx with the call's tenant and org.  0, or -1 answered. */
static int
ctx_load(struct call *c, struct names *n, struct ocsf_ctx *ctx)
{
	memset(n, 0, sizeof(*n));
	if (DB_QUERY(c->r->db, SQL_ORG_GET, org_names_row, n,
	    DV_I(c->r->tenant), DV_I(c->org)) < 0 || DB_QUERY(c->r->db,
	    SQL_TENANT_NAME, tenant_name_row, n, DV_I(c->r->tenant)) < 0) {
		call_db_error(c, "ocsf export");
		return -1;
	}
	ctx->tenant_id = c->r->tenant;
	ctx->tenant_name = n->tenant[0] ? n->tenant : NULL;
	ctx->org_id = c->org;
	ctx->org_name = n->org[0] ? n->org : NULL;
	ctx->openai_org = n->openai_org[0] ? n->openai_org : NULL;
	ctx->product_version = ORGAUDIT_VERSION;
	return 0;
}

static void
ocsf_start(struct ocsf_out *x)
{
	if (x->started)
		return;
	x->r->status = 200;
	FCGX_PutS("Status: 200 OK\r\n"
	    "Content-Type: application/x-ndjson; charset=utf-8\r\n"
	    "Cache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n\r\n", x->r->fcgi->out);
	x->started = true;
}

/* One row: its API view, mapped, as one line; memory stays flat. */
static int
ocsf_row(const struct db_row *row, void *arg)
{
	struct ocsf_out	*x = arg;
	json_t		*v = x->view(row), *o = x->map(v, x->ctx);
	char		*s;

	ocsf_start(x);
	s = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	if (s != NULL) {
		FCGX_PutS(s, x->r->fcgi->out);
		FCGX_PutChar('\n', x->r->fcgi->out);
		x->rows++;
	} else
		log_err("api: ocsf export: org %" PRId64 ": a row did not map",
		    x->ctx->org_id);
	free(s);
	json_decref(o);
	json_decref(v);
	return 0;
}

static json_t *
event_view(const struct db_row *r)
{
	return view_cols(r, SQL_EVENT_OCSF, "orgaudit.event");
}

/* Streams stmt's rows after position after; the answer is complete. */
static void
ocsf_export(struct call *c, enum sql_stmt stmt, enum param pos,
    json_t *(*view)(const struct db_row *),
    json_t *(*map)(json_t *, const struct ocsf_ctx *))
{
	struct names	 n;
	struct ocsf_ctx	 ctx;
	struct ocsf_out	 x = { c->r, &ctx, view, map, false, 0 };
	int64_t		 after = c->q[pos].set ? c->q[pos].i : 0;
	int64_t		 limit = c->q[P_LIMIT].set ? c->q[P_LIMIT].i :
	    INT64_MAX;

	if (strcmp(c->r->method, "HEAD") == 0) {
		http_error(c->r, 405, "method_not_allowed", "Allow: GET\r\n",
		    "use GET for the export");
		return;
	}
	if (ctx_load(c, &n, &ctx) != 0)
		return;
	if (DB_QUERY(c->r->db, stmt, ocsf_row, &x, DV_I(c->r->tenant),
	    DV_I(c->org), DV_I(after), DV_I(limit)) < 0) {
		if (!x.started)
			call_db_error(c, "ocsf export");
		else
			log_err("api: ocsf export broke off after %" PRId64
			    " rows: %s", x.rows, db_error(c->r->db));
		return;
	}
	/* Nothing after that position: an empty, complete answer. */
	ocsf_start(&x);
}

/* GET …/events.ocsf.jsonl?after_seq=N[&limit=M] */
void
api_ocsf_events(struct call *c)
{
	ocsf_export(c, SQL_EVENT_OCSF, P_AFTER_SEQ, event_view,
	    ocsf_audit_event);
}

/* GET …/findings.ocsf.jsonl?after_id=N[&limit=M] */
void
api_ocsf_findings(struct call *c)
{
	ocsf_export(c, SQL_FINDING_OCSF, P_AFTER_ID, view_finding,
	    ocsf_finding);
}
