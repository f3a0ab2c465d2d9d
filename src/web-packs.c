/*
 * web-packs.c: an org's evidence packs: the list, the form that makes
 * one, the download, and the key they are signed with.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bill-calc.h"
#include "job.h"
#include "list.h"
#include "pack.h"
#include "pages.h"
#include "sign.h"
#include "web.h"

static enum list_rc
packs_of(struct call *c, const char *cursor, int64_t limit, json_t **out)
{
	struct bill_month	 cur, last;
	enum list_rc		 rc;
	json_t			*o, *jobs;
	size_t			 i;
	char			 d[16];
	bool			 live = false;

	rc = list_packs(c->r->db, c->r->tenant, c->org, cursor, limit, out);
	if (rc != LIST_OK)
		return rc;
	json_array_foreach(json_object_get(*out, "data"), i, o) {
		json_object_set_new(o, "start_on", json_string(web_utc_date(
		    json_integer_value(json_object_get(o, "period_start")), d)));
		json_object_set_new(o, "end_on", json_string(web_utc_date(
		    json_integer_value(json_object_get(o, "period_end")), d)));
		json_object_set_new(o, "as_of_on", json_string(web_utc_date(
		    json_integer_value(json_object_get(o, "as_of")), d)));
		json_object_set_new(o, "href", json_sprintf("/orgs/%" PRId64
		    "/packs/%" JSON_INTEGER_FORMAT, c->org,
		    json_integer_value(json_object_get(o, "id"))));
	}
	if (job_recent(c->r->db, c->r->tenant, c->org, &jobs) != 0)
		return LIST_DB;
	json_array_foreach(jobs, i, o) {
		live = live || json_is_true(json_object_get(o, "live"));
		json_object_set_new(o, "start_on", json_string(web_utc_date(
		    json_integer_value(json_object_get(o, "period_start")), d)));
		json_object_set_new(o, "end_on", json_string(web_utc_date(
		    json_integer_value(json_object_get(o, "period_end")), d)));
	}
	json_object_set_new(*out, "has_jobs", json_boolean(json_array_size(
	    jobs) > 0));
	json_object_set_new(*out, "jobs", jobs);
	json_object_set_new(*out, "refresh", json_boolean(live));
	if (c->r->signer != NULL)
		json_object_set_new(*out, "signing_key", json_pack("{s:s, s:s}",
		    "fingerprint", sign_fingerprint(c->r->signer), "pem",
		    sign_public_pem(c->r->signer)));
	bill_month_of(now_s(), &cur);
	bill_month_prev(&cur, &last);
	json_object_set_new(*out, "default_start", json_sprintf("%sT00:00",
	    last.first));
	json_object_set_new(*out, "default_end", json_sprintf("%sT00:00",
	    cur.first));
	{
		char	 now[21];

		fmt_rfc3339(now_s(), now);
		now[16] = '\0';	/* "2026-11-23T18:57" */
		json_object_set_new(*out, "now", json_string(now));
	}
	return LIST_OK;
}

/* The org's packs, the form to make one, the key they are signed with. */
void
web_packs(struct call *c)
{
	web_list_page(c, "/packs", "packs", "Evidence packs", packs_of, NULL,
	    NULL);
}

void
web_pack_create(struct call *c)
{
	struct job_req		 rq = { .tenant = c->r->tenant, .org = c->org,
	    .made_by = "web" };
	struct job_answer	 ans;
	char			 loc[96], who[32], hdr[64];

	if (c->r->signer == NULL) {
		web_error(c, 503, "Evidence packs are off: this server has no "
		    "signing key. The operator makes one with 'orgaudit "
		    "keygen'.");
		return;
	}
	if (!c->q[P_SINCE].set || !c->q[P_UNTIL].set) {
		web_error(c, 400, "Give the period's first day and the day "
		    "after its last.");
		return;
	}
	rq.start = c->q[P_SINCE].i;
	rq.end = c->q[P_UNTIL].i;
	snprintf(who, sizeof(who), "account:%" PRId64, c->r->account);
	rq.requested_by = who;
	job_ask_pack(c->r->db, c->r->conf, sign_fingerprint(c->r->signer), &rq,
	    &ans);
	snprintf(loc, sizeof(loc), "org:%" PRId64, c->org);
	call_note(c, 0, "pack.requested", loc, ans.kind == JOB_REFUSED ?
	    "refused" : "ok");
	if (ans.kind == JOB_REFUSED) {
		snprintf(hdr, sizeof(hdr), ans.status == 429 ? "Retry-After: %"
		    PRId64 "\r\n" : "", ans.retry_after);
		web_error_page(c, ans.status, hdr, ans.error);
		return;
	}
	/* The page shows the job's progress until the pack is there. */
	snprintf(loc, sizeof(loc), "/orgs/%" PRId64 "/packs?done=%s", c->org,
	    ans.kind == JOB_PACK ? "pack_same" : ans.existed ? "pack_queued" :
	    "pack_asked");
	http_redirect(c->r, loc);
}

void
web_pack_get(struct call *c)
{
	struct pack_file	 pf;
	char			 extra[512], tgt[32];
	int			 found;

	if ((found = pack_lookup(c->r->db, c->r->tenant, c->id, &pf)) < 0) {
		call_db_error(c, "pack");
		return;
	}
	if (!found || pf.org != c->org) {
		web_error(c, 404, "There is no such evidence pack.");
		return;
	}
	pack_headers(&pf, extra, sizeof(extra));
	snprintf(tgt, sizeof(tgt), "pack:%" PRId64, c->id);
	call_note(c, 0, "pack.downloaded", tgt, "ok");
	if (http_file(c->r, 200, "application/gzip", pf.path, extra) != 0)
		web_error(c, 500, "The pack's file cannot be read.");
}

/*
 * This month's estimate, with the numbers orgaudit-bill --dry-run prints,
 * and the invoices made so far.
 */
