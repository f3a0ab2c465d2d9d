/*
 * alert.c: channels and the outbox (alert.h).  A message's event id is
 * derived from what caused it (the org and the audit event's id, or the
 * finding and what happened to it), so the same cause writes the same
 * row however often its transaction is retried, and the unique key
 * (channel, event id) keeps one.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "alert.h"
#include "list.h"
#include "log.h"
#include "notify.h"
#include "rules.h"
#include "strset.h"
#include "util.h"
#include "vault.h"
#include "views.h"

const char *const alert_default_triggers = "finding.opened,"
    "audit:api_key.created,audit:api_key.deleted,"
    "audit:service_account.created,audit:service_account.deleted,"
    "audit:invite.sent,role.owner";

static int
sev_rank(const char *s)
{
	return s == NULL ? 0 : strcmp(s, "high") == 0 ? 3 :
	    strcmp(s, "medium") == 0 ? 2 : strcmp(s, "low") == 0 ? 1 : 0;
}

/* "evt_" and 24 hex characters of SHA-256(what). */
static void
event_id(const char *what, char out[ALERT_EVENT_ID_LEN])
{
	unsigned char	 md[32];
	char		 hex[65];

	sha256_2(what, strlen(what), NULL, 0, md);
	hex_encode(md, 32, hex);
	snprintf(out, ALERT_EVENT_ID_LEN, "evt_%.24s", hex);
}

/* N of a trigger "login.failed>N", or 0 when it is not one. */
static int64_t
login_over(const char *tok)
{
	const char	*p = "login.failed>";
	char		*end;
	long long	 v;

	if (strncmp(tok, p, strlen(p)) != 0)
		return 0;
	tok += strlen(p);
	if (*tok < '1' || *tok > '9')
		return 0;
	errno = 0;
	v = strtoll(tok, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > ALERT_LOGIN_MAX)
		return 0;
	return (int64_t)v;
}

/*
 * The triggers of a comma-separated list as a JSON array; NULL with err
 * when one is not a trigger.
 */
static json_t *
triggers_parse(const char *list, char *err, size_t errlen)
{
	json_t		*a = json_array();
	const char	*p = list, *e;
	char		 tok[160];
	size_t		 n;

	while (*p != '\0') {
		p += strspn(p, " ,");
		e = p + strcspn(p, " ,");
		if ((n = (size_t)(e - p)) == 0)
			break;
		if (n >= sizeof(tok)) {
			snprintf(err, errlen, "a trigger is too long");
			goto bad;
		}
		memcpy(tok, p, n);
		tok[n] = '\0';
		if (strcmp(tok, "finding.opened") != 0 && strcmp(tok,
		    "finding.resolved") != 0 && strcmp(tok, "role.owner") !=
		    0 && login_over(tok) == 0 && !(strncmp(tok, "audit:", 6) ==
		    0 && tok[6] != '\0' && strspn(tok + 6,
		    "abcdefghijklmnopqrstuvwxyz0123456789_.") == n - 6)) {
			snprintf(err, errlen, "'%.60s' is not a trigger: "
			    "finding.opened, finding.resolved, role.owner, "
			    "login.failed>N (N from 1 to %d) or audit:<event "
			    "type> (audit:api_key.created)", tok,
			    ALERT_LOGIN_MAX);
			goto bad;
		}
		json_array_append_new(a, json_string(tok));
		p = e;
	}
	if (json_array_size(a) == 0) {
		snprintf(err, errlen, "name at least one trigger");
		goto bad;
	}
	if (json_array_size(a) > ALERT_TRIGGERS_MAX) {
		snprintf(err, errlen, "at most %d triggers", ALERT_TRIGGERS_MAX);
		goto bad;
	}
	return a;
bad:
	json_decref(a);
	return NULL;
}

static bool
address_ok(const char *s)
{
	const char	*at = strchr(s, '@');

	return at != NULL && at != s && at[1] != '\0' && strchr(at + 1, '.') !=
	    NULL && strlen(s) <= 254 && strpbrk(s, " \t\r\n<>,;\"") == NULL;
}

int
alert_check(const struct conf *c, const struct alert_new *n, char *err,
    size_t errlen)
{
	json_t	*t;

	if (n->type == NULL || (strcmp(n->type, "webhook") != 0 &&
	    strcmp(n->type, "slack") != 0 && strcmp(n->type, "email") != 0)) {
		snprintf(err, errlen, "the type is webhook, slack or email");
		return -1;
	}
	if (n->name == NULL || *n->name == '\0' || strlen(n->name) > 200) {
		snprintf(err, errlen, "name the channel (1 to 200 characters)");
		return -1;
	}
	if (n->target == NULL || *n->target == '\0') {
		snprintf(err, errlen, strcmp(n->type, "email") == 0 ? "give "
		    "the address to write to" : "give the URL to post to");
		return -1;
	}
	if (strcmp(n->type, "email") == 0) {
		if (!address_ok(n->target)) {
			snprintf(err, errlen, "that is not an email address");
			return -1;
		}
	} else if (notify_url_check(c, n->target, NULL, 0, err, errlen) != 0)
		return -1;
	if (strcmp(n->type, "webhook") == 0 && (n->secret == NULL ||
	    strlen(n->secret) < 16 || strlen(n->secret) > 256)) {
		snprintf(err, errlen, "a webhook needs a signing secret of 16 "
		    "to 256 characters");
		return -1;
	}
	if (n->min_severity != NULL && !rules_severity_ok(n->min_severity)) {
		snprintf(err, errlen, "the lowest severity is high, medium or "
		    "low");
		return -1;
	}
	if (n->format != NULL && strcmp(n->format, "native") != 0 &&
	    strcmp(n->format, "ocsf") != 0) {
		snprintf(err, errlen, "the format is native or ocsf");
		return -1;
	}
	if ((t = triggers_parse(n->triggers != NULL && *n->triggers ?
	    n->triggers : alert_default_triggers, err, errlen)) == NULL)
		return -1;
	json_decref(t);
	return 0;
}

/* What the pages show of a target: a URL's host, an address's start. */
static void
hint_of(const char *type, const char *target, char *out, size_t n)
{
	CURLU	*u;
	char	*host = NULL;

	if (strcmp(type, "email") == 0) {
		snprintf(out, n, "%.4s…@%s", target, strchr(target, '@') + 1);
		return;
	}
	snprintf(out, n, "(a URL)");
	if ((u = curl_url()) != NULL && curl_url_set(u, CURLUPART_URL, target,
	    0) == CURLUE_OK && curl_url_get(u, CURLUPART_HOST, &host, 0) ==
	    CURLUE_OK)
		snprintf(out, n, "%s", host);
	curl_free(host);
	curl_url_cleanup(u);
}

/* The channel's row, then its target and secret sealed to its id. */
struct alert_add_tx {
	const struct alert_new	*n;
	const char		*hint, *trig;
	int64_t			 id;
	char			*err;
	size_t			 errlen;
};

static int
alert_add_tx(struct db *db, void *arg)
{
	struct alert_add_tx	*x = arg;
	const struct alert_new	*n = x->n;
	struct buf		 ts = { 0 }, ss = { 0 };
	char			 purpose[48];
	int			 rc = -1;

	x->id = -1;
	if (DB_EXEC(db, SQL_ALERT_ADD, DV_I(n->tenant), DV_S(n->type),
	    DV_S(n->name), DV_S(x->hint), DV_S(x->trig),
	    DV_S(n->min_severity ? n->min_severity : "medium"),
	    DV_S(n->format ? n->format : "native"), DV_I(now_s()),
	    DV_S(n->created_by), DV_I(n->digest)) != 0) {
		snprintf(x->err, x->errlen, "the channel could not be stored: "
		    "%s", db_error(db));
		return -1;
	}
	x->id = db_insert_id(db);
	snprintf(purpose, sizeof(purpose), "alert:%" PRId64, x->id);
	if (vault_seal(db, n->tenant, 0, purpose, n->target,
	    strlen(n->target), &ts, x->err, x->errlen) != 0 ||
	    (n->secret != NULL && vault_seal(db, n->tenant, 0, purpose,
	    n->secret, strlen(n->secret), &ss, x->err, x->errlen) != 0))
		goto out;
	if (DB_EXEC(db, SQL_ALERT_SEAL, DV_B(ts.p, ts.len), n->secret !=
	    NULL ? DV_B(ss.p, ss.len) : DV_NULL, DV_I(x->id)) != 0) {
		snprintf(x->err, x->errlen, "the channel could not be stored: "
		    "%s", db_error(db));
		goto out;
	}
	rc = 0;
out:
	buf_free(&ts);
	buf_free(&ss);
	return rc;
}

int64_t
alert_add(struct db *db, const struct alert_new *n, char *err, size_t errlen)
{
	struct alert_add_tx	 x = { n, NULL, NULL, -1, err, errlen };
	json_t			*t;
	char			 hint[200], *trig;

	if ((t = triggers_parse(n->triggers != NULL && *n->triggers ?
	    n->triggers : alert_default_triggers, err, errlen)) == NULL)
		return -1;
	trig = json_dumps(t, JSON_COMPACT);
	json_decref(t);
	hint_of(n->type, n->target, hint, sizeof(hint));
	x.hint = hint;
	x.trig = trig;
	if (errlen > 0)
		err[0] = '\0';
	if (db_tx(db, alert_add_tx, &x) != 0) {
		if (errlen > 0 && err[0] == '\0')	/* the commit failed */
			snprintf(err, errlen, "the channel could not be "
			    "stored: %s", db_error(db));
		x.id = -1;
	}
	free(trig);
	return x.id;
}

int
alert_remove(struct db *db, int64_t tenant, int64_t id)
{
	if (DB_EXEC(db, SQL_ALERT_REMOVE, DV_I(now_s()), DV_I(id), DV_I(tenant),
	    DV_I(tenant)) != 0)
		return -1;
	return db_affected(db) > 0;
}

static int
channel_row(const struct db_row *r, void *arg)
{
	json_t	*o;

	o = json_pack("{s:I, s:s, s:s, s:s, s:o, s:s, s:s, s:I, s:s, s:o, s:I,"
	    " s:I, s:b}", "id", (json_int_t)db_row_int(r, 0),
	    "type", db_row_str(r, 1), "name", db_row_str(r, 2),
	    "hint", db_row_str(r, 3),
	    "triggers", json_loads(db_row_str(r, 4), 0, NULL),
	    "min_severity", db_row_str(r, 5), "format", db_row_str(r, 6),
	    "created_at", (json_int_t)db_row_int(r, 7),
	    "created_by", db_row_str(r, 8),
	    "last_sent_at", db_row_null(r, 9) ? json_null() :
	    json_integer(db_row_int(r, 9)),
	    "dead", (json_int_t)db_row_int(r, 10),
	    "tenant_id", (json_int_t)db_row_int(r, 11),
	    "digest", db_row_int(r, 12) != 0);
	if (o != NULL)
		json_array_append_new(arg, o);
	return 0;
}

json_t *
alert_list(struct db *db, int64_t tenant)
{
	json_t	*a = json_array();

	if (DB_QUERY(db, SQL_ALERT_LIST, channel_row, a, DV_I(tenant),
	    DV_I(tenant)) < 0) {
		json_decref(a);
		return NULL;
	}
	return a;
}

int64_t
alert_test(struct db *db, int64_t tenant, int64_t id)
{
	unsigned char	 rnd[12];
	char		 rhex[25], eid[ALERT_EVENT_ID_LEN], *body;
	int64_t		 owner = 0, now = now_s();
	json_t		*b;

	if (DB_QUERY(db, SQL_ALERT_CHANNEL_TENANT, db_row_first_int, &owner,
	    DV_I(id), DV_I(tenant), DV_I(tenant)) < 0)
		return -1;
	if (owner == 0)
		return 0;
	if (rand_bytes(rnd, sizeof(rnd)) != 0)
		return -1;
	hex_encode(rnd, sizeof(rnd), rhex);
	event_id(rhex, eid);
	b = json_pack("{s:s, s:s, s:I, s:{s:s}}", "id", eid, "type", "test",
	    "created", (json_int_t)now, "data", "message", "A test message "
	    "from orgaudit: this channel works.");
	body = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(b);
	if (body == NULL || DB_EXEC(db, SQL_OUTBOX_PUT, DV_I(owner), DV_I(0),
	    DV_I(id), DV_S(eid), DV_S("test"), DV_I(0), DV_S(body), DV_I(now),
	    DV_S("pending"), DV_I(now)) != 0) {
		free(body);
		return -1;
	}
	free(body);
	return db_insert_id(db);
}

static int
outbox_row(const struct db_row *r, void *arg)
{
	json_t	*o;

	o = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:o, s:o,"
	    " s:o}", "id", (json_int_t)db_row_int(r, 0),
	    "channel_id", (json_int_t)db_row_int(r, 1),
	    "channel", db_row_str(r, 2), "channel_type", db_row_str(r, 3),
	    "event_id", db_row_str(r, 4), "kind", db_row_str(r, 5),
	    "status", db_row_str(r, 6), "attempts", (json_int_t)db_row_int(r, 7),
	    "created_at", (json_int_t)db_row_int(r, 8),
	    "sent_at", db_row_null(r, 9) ? json_null() :
	    json_integer(db_row_int(r, 9)),
	    "last_status", db_row_null(r, 10) ? json_null() :
	    json_integer(db_row_int(r, 10)),
	    "last_error", db_row_null(r, 11) ? json_null() :
	    json_string(db_row_str(r, 11)));
	if (o != NULL)
		json_array_append_new(arg, o);
	return 0;
}

json_t *
alert_outbox_list(struct db *db, int64_t tenant, int64_t limit)
{
	json_t	*a = json_array();

	if (DB_QUERY(db, SQL_OUTBOX_LIST, outbox_row, a, DV_I(tenant),
	    DV_I(limit)) < 0) {
		json_decref(a);
		return NULL;
	}
	return a;
}

int
alert_resend(struct db *db, int64_t tenant, int64_t id)
{
	int64_t	 now = now_s();

	if (DB_EXEC(db, SQL_OUTBOX_RESEND, DV_I(now), DV_I(now), DV_I(id),
	    DV_I(tenant)) != 0)
		return -1;
	return db_affected(db) > 0;
}

/* -- what a pull queues -------------------------------------------------- */

struct alert_route {
	int64_t		 channel;
	int		 min_sev;
	bool		 opened, resolved;
	bool		 to_owner;	/* role.owner */
	bool		 digest;	/* findings below min_sev: held */
	int64_t		 login_over;	/* login.failed>N: N, or 0 */
	struct strset	 audit;		/* event types */
};

/* login.failed events of one UTC hour: stored before, and this pull's. */
struct login_hour {
	int64_t		 hour, n;
};

struct alert_routes {
	int64_t		 tenant, org, connected_at;
	struct alert_route	*v;
	size_t		 n, cap;
	bool		 counts_logins;	/* a channel has login.failed>N */
	struct login_hour	*lh;
	size_t		 nlh, caplh;
	char		 org_name[201], openai_org[129], tenant_name[201];
	int64_t		 tenant_id;
};

static int
route_row(const struct db_row *r, void *arg)
{
	struct alert_routes	*rs = arg;
	struct alert_route		*rt;
	json_t			*t = json_loads(db_row_str(r, 1), 0, NULL), *e;
	const char		*s;
	size_t			 i;

	rs->v = xgrow(rs->v, rs->n + 1, &rs->cap, sizeof(*rs->v), 4);
	rt = &rs->v[rs->n++];
	memset(rt, 0, sizeof(*rt));
	rt->channel = db_row_int(r, 0);
	rt->min_sev = sev_rank(db_row_str(r, 2));
	rt->digest = db_row_int(r, 3) != 0;
	json_array_foreach(t, i, e) {
		if ((s = json_string_value(e)) == NULL)
			continue;
		if (strcmp(s, "finding.opened") == 0)
			rt->opened = true;
		else if (strcmp(s, "finding.resolved") == 0)
			rt->resolved = true;
		else if (strcmp(s, "role.owner") == 0)
			rt->to_owner = true;
		else if (login_over(s) > 0) {
			rt->login_over = login_over(s);
			rs->counts_logins = true;
		}
		else if (strncmp(s, "audit:", 6) == 0)
			strset_add(&rt->audit, s + 6);
	}
	json_decref(t);
	return 0;
}

static int
org_row(const struct db_row *r, void *arg)
{
	struct alert_routes	*rs = arg;

	rs->connected_at = db_row_int(r, 0);
	snprintf(rs->org_name, sizeof(rs->org_name), "%s", db_row_str(r, 1));
	snprintf(rs->openai_org, sizeof(rs->openai_org), "%s",
	    db_row_str(r, 2));
	rs->tenant_id = db_row_int(r, 3);
	snprintf(rs->tenant_name, sizeof(rs->tenant_name), "%s",
	    db_row_str(r, 4));
	return 1;
}

struct alert_routes *
alert_routes_load(struct db *db, int64_t tenant, int64_t org)
{
	struct alert_routes	*rs = xcalloc(1, sizeof(*rs));

	rs->tenant = tenant;
	rs->org = org;
	if (DB_QUERY(db, SQL_ALERT_ROUTES, route_row, rs, DV_I(tenant)) < 0 ||
	    DB_QUERY(db, SQL_ALERT_ORG, org_row, rs, DV_I(org)) < 0) {
		log_err("alert: org %" PRId64 ": channels: %s", org,
		    db_error(db));
		alert_routes_free(rs);
		return NULL;
	}
	return rs;
}

void
alert_routes_free(struct alert_routes *rs)
{
	size_t	 i;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->n; i++)
		strset_free(&rs->v[i].audit);
	free(rs->v);
	free(rs->lh);
	free(rs);
}

size_t
alert_routes_count(const struct alert_routes *rs)
{
	return rs != NULL ? rs->n : 0;
}

int64_t
alert_login_rank(struct alert_routes *rs, struct db *db, int64_t effective_at)
{
	int64_t		 hour = effective_at - effective_at % 3600, before = 0;
	size_t		 i;

	if (rs == NULL || !rs->counts_logins)
		return 0;
	for (i = 0; i < rs->nlh; i++)
		if (rs->lh[i].hour == hour)
			return ++rs->lh[i].n;
	if (DB_QUERY(db, SQL_ALERT_LOGIN_FAILED, db_row_first_int, &before,
	    DV_I(rs->org), DV_I(hour), DV_I(hour + 3600)) < 0)
		return -1;
	rs->lh = xgrow(rs->lh, rs->nlh + 1, &rs->caplh, sizeof(*rs->lh), 8);
	rs->lh[rs->nlh].hour = hour;
	rs->lh[rs->nlh].n = before + 1;
	return rs->lh[rs->nlh++].n;
}

/* Does channel rt want event e? */
static bool
route_wants(const struct alert_route *rt, const struct alert_event *e)
{
	return strset_has(&rt->audit, e->type) || (e->to_owner &&
	    rt->to_owner) || (rt->login_over > 0 && e->login_n ==
	    rt->login_over + 1);	/* the failure that crosses N */
}

void
alert_audit_rows(const struct alert_routes *rs, const struct alert_event *e,
    int64_t now, char eid[ALERT_EVENT_ID_LEN], struct db_val **v, size_t *n,
    size_t *cap)
{
	struct db_val	*x;
	char		 what[300];
	size_t		 i;

	if (rs == NULL || e->type == NULL || e->effective_at <
	    rs->connected_at)
		return;
	eid[0] = '\0';
	for (i = 0; i < rs->n; i++) {
		/* One message per channel, whichever trigger matched. */
		if (!route_wants(&rs->v[i], e))
			continue;
		if (eid[0] == '\0') {
			snprintf(what, sizeof(what), "audit|%" PRId64 "|%s",
			    rs->org, e->id);
			event_id(what, eid);
		}
		*v = xgrow(*v, (*n + 1) * ALERT_OUTBOX_NCOLS, cap, sizeof(**v),
		    64);
		x = *v + *n * ALERT_OUTBOX_NCOLS;
		x[0] = DV_I(rs->tenant);
		x[1] = DV_I(rs->org);
		x[2] = DV_I(rs->v[i].channel);
		x[3] = DV_S(eid);
		x[4] = DV_I(e->seq);
		x[5] = DV_I(now);
		x[6] = DV_I(now);
		(*n)++;
	}
}

/* -- findings ------------------------------------------------------------- */

struct find_walk {
	const struct alert_routes	*rs;
	const struct conf		*c;
	int64_t				 now;
	json_t				*msgs;	/* [kind, severity, body, ref] */
};

static int
finding_row(const struct db_row *r, void *arg)
{
	struct find_walk	*w = arg;
	const struct alert_routes *rs = w->rs;
	json_t			*f = view_finding(r), *b;
	const char		*kind = db_row_null(r, FC_RESOLVED) ?
	    "finding.opened" : "finding.resolved";
	char			 what[96], eid[ALERT_EVENT_ID_LEN];

	snprintf(what, sizeof(what), "%s|%s", kind, db_row_str(r, FC_ID));
	event_id(what, eid);
	b = json_pack("{s:s, s:s, s:I, s:{s:I, s:s}, s:{s:I, s:s, s:s?}, s:o,"
	    " s:o}", "id", eid, "type", kind, "created", (json_int_t)w->now,
	    "tenant", "id", (json_int_t)rs->tenant_id, "name", rs->tenant_name,
	    "org", "id", (json_int_t)rs->org, "name", rs->org_name,
	    "openai_org", rs->openai_org[0] ? rs->openai_org : NULL,
	    "data", f,
	    "dashboard_url", json_sprintf("%s/orgs/%" PRId64 "/findings?status="
	    "all&subject=%s", w->c->public_origin, rs->org, db_row_str(r,
	    FC_SUBJECT_ID)));
	json_array_append_new(w->msgs, json_pack("[s, s, o, I, s]", kind,
	    db_row_str(r, FC_SEVERITY), b, (json_int_t)db_row_int(r, FC_ID),
	    eid));
	return 0;
}

int
alert_findings(struct db *db, const struct conf *c, int64_t org, int64_t run,
    int64_t now)
{
	struct alert_routes	*rs;
	struct find_walk	 w;
	int64_t			 before = 0, tenant = 0;
	json_t			*m;
	size_t			 i, k;
	char			*body;
	int			 rc = 0;

	if (DB_QUERY(db, SQL_PACK_ORG_TENANT, db_row_first_int, &tenant,
	    DV_I(org)) < 0 || (rs = alert_routes_load(db, tenant, org)) ==
	    NULL)
		return -1;
	/* No channel, nothing to read; the first pull is the baseline. */
	if (rs->n == 0 || (rc = DB_QUERY(db, SQL_RUN_BEFORE, db_row_first_int,
	    &before, DV_I(org), DV_I(run))) < 0 || before == 0) {
		alert_routes_free(rs);
		return rc < 0 ? -1 : 0;
	}
	rc = 0;
	w.rs = rs;
	w.c = c;
	w.now = now;
	w.msgs = json_array();
	if (DB_QUERY(db, SQL_ALERT_FINDINGS, finding_row, &w, DV_I(org),
	    DV_I(run), DV_I(run)) < 0)
		rc = -1;
	json_array_foreach(w.msgs, i, m) {
		const char	*kind = json_string_value(json_array_get(m, 0));
		int		 sev = sev_rank(json_string_value(
		    json_array_get(m, 1)));
		bool		 opened = strcmp(kind, "finding.opened") == 0;

		if (rc != 0)
			break;
		body = json_dumps(json_array_get(m, 2), JSON_COMPACT |
		    JSON_SORT_KEYS);
		for (k = 0; body != NULL && k < rs->n && rc == 0; k++) {
			if (!(opened ? rs->v[k].opened : rs->v[k].resolved) ||
			    (sev < rs->v[k].min_sev && !rs->v[k].digest))
				continue;
			/* Below the channel's severity: its daily digest. */
			if (DB_EXEC(db, SQL_OUTBOX_PUT, DV_I(tenant), DV_I(org),
			    DV_I(rs->v[k].channel), DV_S(json_string_value(
			    json_array_get(m, 4))), DV_S(kind),
			    DV_I(json_integer_value(json_array_get(m, 3))),
			    DV_S(body), DV_I(now), DV_S(sev < rs->v[k].min_sev ?
			    "held" : "pending"), DV_I(now)) != 0)
				rc = -1;
		}
		if (body == NULL)
			rc = -1;
		free(body);
	}
	json_decref(w.msgs);
	alert_routes_free(rs);
	return rc;
}
