/*
 * api.c: the JSON API's handlers (route.c's table names them; pages.h).
 * Each receives a call whose method, token, tenant, org and parameters
 * the gate has checked, and answers JSON in the one error envelope.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/sha.h>

#include "bill-push.h"
#include "pack.h"
#include "sign.h"
#include "job.h"
#include "cache.h"
#include "list.h"
#include "pages.h"
#include "log.h"
#include "query.h"
#include "token.h"
#include "views.h"

/* Sends a list builder's answer, or the error it stands for. */
static void
list_send(struct call *c, enum list_rc rc, json_t *out, const char *what)
{
	switch (rc) {
	case LIST_OK:
		http_json(c->r, 200, out, NULL);
		break;
	case LIST_BAD_CURSOR:
		http_error(c->r, 400, "invalid_parameter", NULL, "cursor is not "
		    "a cursor this list returned");
		break;
	case LIST_NOT_FOUND:
		http_error(c->r, 404, "not_found", NULL, "no such resource");
		break;
	case LIST_DB:
		call_db_error(c, what);
		break;
	}
}


void
api_health(struct call *c)
{
	if (c->r->db == NULL || db_ping(c->r->db) != 0) {
		http_error(c->r, 503, "unavailable", "Retry-After: 5\r\n", "the "
		    "database is unavailable");
		return;
	}
	http_json(c->r, 200, json_pack("{s:s}", "status", "ok"), NULL);
}

#define PACK_BODY_MAX	4096

/* The API's error code for a refused pack request. */
static const char *
refusal_code(int status)
{
	switch (status) {
	case 400:
		return "invalid_period";
	case 404:
		return "not_found";
	case 409:
		return "conflict";
	case 429:
		return "rate_limited";
	case 503:
		return "unavailable";
	case 507:
		return "quota_exceeded";
	default:
		return "internal";
	}
}

static int
pack_row(const struct db_row *r, void *arg)
{
	*(json_t **)arg = view_pack(r);
	return 1;
}

/*
 * Reads POST …/evidence-packs's body into rq:
 * {"org_id":N,"period_start":T,"period_end":T}.  0, or -1 answered.
 */
static int
pack_body(struct req *r, struct job_req *rq)
{
	json_t		*body, *org;
	json_error_t	 jerr;
	const char	*s, *e, *len;
	int64_t		 big;

	if (http_read_body(r, PACK_BODY_MAX) != 0) {
		if ((len = http_param(r, "CONTENT_LENGTH")) != NULL &&
		    parse_i64(len, PACK_BODY_MAX + 1, INT64_MAX, &big) == 0)
			http_error(r, 413, "body_too_large", NULL, "the request "
			    "body is larger than 4 KiB");
		else
			http_error(r, 400, "invalid_body", NULL, "the request "
			    "body is not as long as its Content-Length says");
		return -1;
	}
	body = json_loadb(r->body.p ? r->body.p : "", r->body.len, 0, &jerr);
	org = json_object_get(body, "org_id");
	s = json_string_value(json_object_get(body, "period_start"));
	e = json_string_value(json_object_get(body, "period_end"));
	if (!json_is_object(body) || !json_is_integer(org) ||
	    json_integer_value(org) <= 0 || s == NULL || e == NULL ||
	    json_object_size(body) != 3) {
		json_decref(body);
		http_error(r, 400, "invalid_body", NULL, "send a JSON object "
		    "with org_id (a number), period_start and period_end "
		    "(RFC 3339 dates or times, UTC), and nothing else");
		return -1;
	}
	rq->org = (int64_t)json_integer_value(org);
	if (query_time(s, &rq->start) != 0 || query_time(e, &rq->end) != 0) {
		json_decref(body);
		http_error(r, 400, "invalid_parameter", NULL, "period_start "
		    "and period_end are dates (2026-10-01) or times "
		    "(2026-10-01T00:00:00Z), UTC");
		return -1;
	}
	json_decref(body);
	return 0;
}

/*
 * POST …/evidence-packs: asks the worker for the pack.  202 with the
 * job (Location: its URL); 200 with the pack when the same one is
 * stored; a refusal with its reason.
 */
void
api_pack_create(struct call *c)
{
	struct req		*r = c->r;
	struct job_req		 rq = { .tenant = r->tenant, .made_by = "api" };
	struct job_answer	 ans;
	json_t			*out = NULL;
	char			 who[32], hdr[96];

	if (r->signer == NULL) {
		http_error(r, 503, "not_configured", NULL, "evidence packs are "
		    "off: this server has no signing key");
		return;
	}
	if (pack_body(r, &rq) != 0)
		return;
	snprintf(who, sizeof(who), "token:%" PRId64, r->token);
	rq.requested_by = who;
	job_ask_pack(r->db, r->conf, sign_fingerprint(r->signer), &rq, &ans);
	snprintf(hdr, sizeof(hdr), "org:%" PRId64, rq.org);
	call_note(c, 0, "pack.requested", hdr, ans.kind == JOB_REFUSED ?
	    "refused" : "ok");
	switch (ans.kind) {
	case JOB_REFUSED:
		snprintf(hdr, sizeof(hdr), ans.status == 429 ? "Retry-After: %"
		    PRId64 "\r\n" : ans.status == 503 ? "Retry-After: 5\r\n" :
		    "", ans.retry_after);
		http_error(r, ans.status, refusal_code(ans.status), hdr, "%s",
		    ans.error);
		return;
	case JOB_PACK:
		if (DB_QUERY(r->db, SQL_PACK_GET, pack_row, &out,
		    DV_I(r->tenant), DV_I(ans.pack_id)) < 0 || out == NULL) {
			call_db_error(c, "pack");
			return;
		}
		snprintf(hdr, sizeof(hdr), "Location: /api/v1/openai/"
		    "evidence-packs/%" PRId64 "\r\n", ans.pack_id);
		http_json(r, 200, out, hdr);
		return;
	case JOB_QUEUED:
		if (job_get(r->db, r->tenant, ans.job_id, &out) != 1) {
			call_db_error(c, "job");
			return;
		}
		log_info("api: tenant %" PRId64 ": pack of org %" PRId64 ": job %"
		    PRId64 "%s", r->tenant, rq.org, ans.job_id, ans.existed ?
		    " (the same, queued before)" : "");
		snprintf(hdr, sizeof(hdr), "Location: /api/v1/jobs/%" PRId64
		    "\r\n", ans.job_id);
		http_json(r, 202, out, hdr);
		return;
	}
}

/* GET /api/v1/jobs/{id}: a job, its progress, its pack when done. */
void
api_job(struct call *c)
{
	json_t	*out;
	int	 found;

	if ((found = job_get(c->r->db, c->r->tenant, c->id, &out)) < 0) {
		call_db_error(c, "job");
		return;
	}
	if (!found) {
		http_error(c->r, 404, "not_found", NULL, "no job %" PRId64
		    " for this token", c->id);
		return;
	}
	http_json(c->r, 200, out, NULL);
}

void
api_packs(struct call *c)
{
	enum list_rc	 rc;
	json_t		*out = NULL;

	rc = list_packs(c->r->db, c->r->tenant, c->q[P_ORG_ID].set ?
	    c->q[P_ORG_ID].i : 0, call_str(c, P_CURSOR), c->limit, &out);
	list_send(c, rc, out, "evidence packs");
}

/* Answers with a stored pack, headers naming it. */
static void
send_pack(struct req *r, const struct pack_file *pf)
{
	char	 extra[640];

	pack_headers(pf, extra, sizeof(extra));
	if (http_file(r, 200, "application/gzip", pf->path, extra) != 0)
		http_error(r, 500, "internal", NULL, "the pack's file cannot be "
		    "read (request %s)", r->request_id);
}

/* GET …/evidence-packs/{id}: the stored pack. */
void
api_pack_get(struct call *c)
{
	struct pack_file	 pf;
	char			 tgt[32];
	int			 found;

	if ((found = pack_lookup(c->r->db, c->r->tenant, c->id, &pf)) < 0) {
		call_db_error(c, "pack");
		return;
	}
	if (!found) {
		http_error(c->r, 404, "not_found", NULL, "no evidence pack %"
		    PRId64 " for this token", c->id);
		return;
	}
	snprintf(tgt, sizeof(tgt), "pack:%" PRId64, c->id);
	call_note(c, 0, "pack.downloaded", tgt, "ok");
	send_pack(c->r, &pf);
}

/* GET /api/v1/signing-key: the public key packs are signed with. */
void
api_signing_key(struct call *c)
{
	if (c->r->signer == NULL) {
		http_error(c->r, 503, "not_configured", NULL, "this server has "
		    "no signing key");
		return;
	}
	http_json(c->r, 200, json_pack("{s:s, s:s, s:s}", "algorithm",
	    "Ed25519", "fingerprint", sign_fingerprint(c->r->signer),
	    "public_key_pem", sign_public_pem(c->r->signer)), NULL);
}

/* The tenant's current month's estimate and its invoices. */
void
api_billing(struct call *c)
{
	json_t	*out;

	if (billing_view(c->r->db, c->r->tenant, now_s(), &out) != 0) {
		call_db_error(c, "billing");
		return;
	}
	http_json(c->r, 200, out, NULL);
}

/* A list of the list table (list.h) as JSON. */
void
api_list(struct call *c)
{
	enum list_rc	 rc;
	json_t		*out = NULL, *kept;
	char		 key[CACHE_KEY_MAX], *text;
	size_t		 n;

	if (!c->rt->list->cached || !call_cache_key(c, "api", key,
	    sizeof(key)))
		key[0] = '\0';
	else if ((kept = cache_get(key)) != NULL) {
		http_json_bytes(c->r, 200, json_string_value(kept),
		    json_string_length(kept));
		json_decref(kept);
		return;
	}
	rc = list_build(c, call_str(c, P_CURSOR), c->limit, &out);
	if (rc == LIST_OK && key[0] != '\0' &&
	    (text = http_json_text(out, &n)) != NULL) {
		kept = json_stringn_nocheck(text, n);
		cache_put(key, kept);
		json_decref(kept);
		http_json_bytes(c->r, 200, text, n);
		free(text);
		json_decref(out);
		return;
	}
	list_send(c, rc, out, c->rt->list->name);
}

void
api_orgs(struct call *c)
{
	enum list_rc	 rc;
	json_t		*out = NULL;

	rc = list_orgs(c->r->db, c->r->tenant, call_str(c, P_CURSOR), c->limit,
	    &out);
	list_send(c, rc, out, "orgs");
}

void
api_org(struct call *c)
{
	enum list_rc	 rc;
	json_t		*out = NULL;

	rc = list_org(c->r->db, c->r->tenant, c->org, &out);
	list_send(c, rc, out, "org");
}

struct export {
	struct req	*r;
	bool		 started;
	int64_t		 rows;
};

/* One JSON line per event, written as it is read: memory stays flat. */
static int
export_row(const struct db_row *row, void *arg)
{
	struct export	*x = arg;
	struct buf	 line = { 0 };
	char		 prev[65], hash[65];

	if (!x->started) {
		x->r->status = 200;
		FCGX_PutS("Status: 200 OK\r\n"
		    "Content-Type: application/x-ndjson; charset=utf-8\r\n"
		    "Cache-Control: no-store\r\n"
		    "X-Content-Type-Options: nosniff\r\n\r\n",
		    x->r->fcgi->out);
		x->started = true;
	}
	hex_encode((const unsigned char *)row->v[2], row->len[2] == 32 ? 32 : 0,
	    prev);
	hex_encode((const unsigned char *)row->v[3], row->len[3] == 32 ? 32 : 0,
	    hash);
	/* The body is canonical JSON already: it goes in as it is. */
	buf_printf(&line, "{\"seq\":%s,\"prev_hash\":\"%s\",\"hash\":"
	    "\"%s\",\"entry\":", db_row_str(row, 0), prev, hash);
	buf_add(&line, row->v[1], row->len[1]);
	buf_adds(&line, "}\n");
	FCGX_PutStr(line.p, (int)line.len, x->r->fcgi->out);
	buf_free(&line);
	x->rows++;
	return 0;
}

/*
 * GET …/events.jsonl?after_seq=N[&limit=M]: the chain from position N
 * on, oldest first, streamed.  A SIEM resumes with the last seq it read.
 */
void
api_export(struct call *c)
{
	struct export	 x = { c->r, false, 0 };
	int64_t		 after = c->q[P_AFTER_SEQ].set ?
	    c->q[P_AFTER_SEQ].i : 0;
	int64_t		 limit = c->q[P_LIMIT].set ? c->q[P_LIMIT].i :
	    INT64_MAX;

	if (strcmp(c->r->method, "HEAD") == 0) {
		http_error(c->r, 405, "method_not_allowed", "Allow: GET\r\n",
		    "use GET for the export");
		return;
	}
	if (DB_QUERY(c->r->db, SQL_EVENT_EXPORT, export_row, &x,
	    DV_I(c->r->tenant), DV_I(c->org), DV_I(after), DV_I(limit)) < 0) {
		if (!x.started)
			call_db_error(c, "export");
		else
			log_err("api: export broke off after %" PRId64 " rows: "
			    "%s", x.rows, db_error(c->r->db));
		return;
	}
	if (!x.started) {
		/* Nothing after that position: an empty, complete answer. */
		c->r->status = 200;
		FCGX_PutS("Status: 200 OK\r\n"
		    "Content-Type: application/x-ndjson; charset=utf-8\r\n"
		    "Cache-Control: no-store\r\n"
		    "X-Content-Type-Options: nosniff\r\n\r\n",
		    c->r->fcgi->out);
	}
}


/* GET /api/v1/activity: the tenant's own trail, newest first. */
void
api_activity(struct call *c)
{
	enum list_rc	 rc;
	json_t		*out = NULL;

	rc = list_activity(c->r->db, c->r->tenant, call_str(c, P_ACTION),
	    c->q[P_SINCE].set ? c->q[P_SINCE].i : -1, c->q[P_UNTIL].set ?
	    c->q[P_UNTIL].i : -1, call_str(c, P_CURSOR), c->limit, &out);
	list_send(c, rc, out, "activity");
}

/* GET /api/v1/findings/summary: the tenant's findings at a glance. */
void
api_findings_summary(struct call *c)
{
	json_t	*out = NULL;

	if (list_findings_summary(c->r->db, c->r->tenant, now_s(), &out) !=
	    LIST_OK) {
		call_db_error(c, "findings");
		return;
	}
	http_json(c->r, 200, out, NULL);
}
