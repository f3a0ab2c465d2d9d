/*
 * rules.c: the findings engine (rules.h).  Most rules are one statement
 * each (sql.c, SQL_RULE_*) that inserts the findings firing now over the
 * pull's current snapshots; a rule that needs the configuration's lists
 * is a function that reads candidates and puts each finding.  Then every
 * open finding of an evaluated rule that this run did not see again is
 * resolved by it.  All of an org's evaluation is one transaction, which
 * db_tx() retries as a whole when a writer elsewhere conflicts with it.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "alert.h"
#include "log.h"
#include "redact.h"
#include "rules.h"
#include "strset.h"
#include "util.h"

#define DAY	86400

static int64_t	t_stale(const struct conf *c) { return c->stale_days; }
static int64_t	t_rotation(const struct conf *c) { return c->rotation_days; }
static int64_t	t_invite(const struct conf *c) { return c->invite_days; }
static int64_t	t_owners(const struct conf *c) { return c->max_owners; }
static int64_t	t_spike(const struct conf *c) { return c->spike_factor; }

static int	eval_creators(struct db *, const struct conf *,
		    const struct rule *, int64_t, int64_t, int64_t);

/* The rules.  Ids, subjects and thresholds are part of the API. */
static const struct rule rules[] = {
	{ "key_stale", "medium", "api_key", { "api_keys" },
	    "Unused for more than %lld days (stale_days)", RL_NONE, t_stale,
	    SQL_RULE_KEY_STALE, NULL },
	{ "key_orphan", "high", "api_key", { "api_keys", "users" },
	    "Its owner left the organization or lost access to the project",
	    RL_NONE, NULL, SQL_RULE_KEY_ORPHAN, NULL },
	{ "key_legacy_user", "medium", "api_key", { "api_keys" },
	    "A legacy user key: it acts as its user wherever the user may; "
	    "replace it with a project or service account key", RL_NONE, NULL,
	    SQL_RULE_KEY_LEGACY, NULL },
	{ "service_account_key_old", "low", "api_key", { "api_keys" },
	    "A service account key created more than %lld days ago "
	    "(rotation_days) and never rotated", RL_DAYS, t_rotation,
	    SQL_RULE_SVCACCT_KEY_OLD, NULL },
	{ "admin_key_stale", "high", "admin_api_key", { "admin_api_keys" },
	    "An admin key unused for more than %lld days (stale_days)",
	    RL_NONE, t_stale, SQL_RULE_ADMIN_STALE, NULL },
	{ "admin_key_old", "medium", "admin_api_key", { "admin_api_keys" },
	    "An admin key created more than %lld days ago (rotation_days)",
	    RL_DAYS, t_rotation, SQL_RULE_ADMIN_OLD, NULL },
	{ "admin_key_orphan", "high", "admin_api_key", { "admin_api_keys",
	    "users" }, "An admin key whose owner is no longer in the "
	    "organization", RL_NONE, NULL, SQL_RULE_ADMIN_ORPHAN, NULL },
	{ "project_no_model_allowlist", "low", "project", { "projects",
	    "model_permissions" }, "An active project whose models are not "
	    "limited to an allow list", RL_NONE, NULL, SQL_RULE_NO_ALLOWLIST,
	    NULL },
	{ "project_no_spend_alert", "medium", "project", { "projects",
	    "project_spend_alerts", "spend_alerts" }, "An active project with "
	    "no spend alert, in an org with none", RL_NONE, NULL,
	    SQL_RULE_NO_SPEND_ALERT, NULL },
	{ "org_audit_logging_off", "high", "org", { "audit_logs" },
	    "The audit log is readable but has never held an event: audit "
	    "logging is probably off (Settings, Data controls)", RL_NONE, NULL,
	    SQL_RULE_AUDIT_OFF, NULL },
	{ "too_many_owners", "medium", "org", { "users" },
	    " users have the owner role, more than %lld (max_owners)",
	    RL_COUNT, t_owners, SQL_RULE_OWNERS, NULL },
	{ "invite_stale", "low", "invite", { "invites" },
	    "An invitation pending for more than %lld days (invite_days)",
	    RL_DAYS, t_invite, SQL_RULE_INVITE_STALE, NULL },
	{ "key_created_by_unexpected_actor", "high", "api_key", { "api_keys",
	    "admin_api_keys", "audit_logs" }, "Created by someone who is not "
	    "in key_creators", RL_NONE, NULL, -1, eval_creators },
	/* Over usage (usage-rules.c); the message names the day. */
	{ "usage_spike", "high", "api_key", { "usage.completions" },
	    "Requests on a day at least %lld times the median of the 14 days "
	    "before (spike_factor)", RL_NONE, t_spike, -1, rules_usage_spike },
	{ "dormant_key_used", "high", "api_key", { "usage.completions" },
	    "A stale, orphaned or long unused key was used again", RL_NONE,
	    NULL, -1, rules_usage_dormant },
};

#define NRULES	(sizeof(rules) / sizeof(rules[0]))

size_t
rules_count(void)
{
	return NRULES;
}

const struct rule *
rules_at(size_t i)
{
	return i < NRULES ? &rules[i] : NULL;
}

const struct rule *
rules_find(const char *id)
{
	size_t	 i;

	for (i = 0; id != NULL && i < NRULES; i++)
		if (strcmp(rules[i].id, id) == 0)
			return &rules[i];
	return NULL;
}

bool
rules_severity_ok(const char *s)
{
	return s != NULL && (strcmp(s, "high") == 0 || strcmp(s, "medium") ==
	    0 || strcmp(s, "low") == 0);
}

/* The rule's message with its threshold. */
static void
message_of(const struct rule *rl, const struct conf *c, char *out, size_t n)
{
	if (rl->threshold != NULL)
		snprintf(out, n, rl->message, (long long)rl->threshold(c));
	else
		snprintf(out, n, "%s", rl->message);
}

/* A rule that is one statement. */
static int
eval_stmt(struct db *db, const struct conf *c, const struct rule *rl,
    int64_t org, int64_t run, int64_t now)
{
	struct db_val	 v[10];
	char		 msg[256];
	size_t		 n = 9;

	message_of(rl, c, msg, sizeof(msg));
	v[0] = DV_S(rl->id);
	v[1] = DV_S(rl->severity);
	v[2] = DV_S(rl->subject);
	v[3] = DV_S(msg);
	v[4] = DV_I(now);
	v[5] = DV_I(run);
	v[6] = DV_I(now);
	v[7] = DV_I(run);
	v[8] = DV_I(org);
	if (rl->limit == RL_DAYS)
		v[n++] = DV_I(now - rl->threshold(c) * DAY);
	else if (rl->limit == RL_COUNT)
		v[n++] = DV_I(rl->threshold(c));
	return db_exec(db, (enum sql_stmt)rl->stmt, v, n) == 0 ? 0 : -1;
}

/* -- key_created_by_unexpected_actor -------------------------------------- */

/* key_creators: user IDs, and addresses as their SHA-256. */
struct creators {
	struct strset	 ids, shas;
};

static void
creators_parse(const char *list, struct creators *cr)
{
	char		 tok[320], sha[EMAIL_HASH_HEX], prefix[EMAIL_PREFIX_MAX];
	const char	*p = list, *e;
	size_t		 n;

	memset(cr, 0, sizeof(*cr));
	while (p != NULL && *p != '\0') {
		p += strspn(p, " \t,");
		e = p + strcspn(p, " \t,");
		n = (size_t)(e - p);
		if (n > 0 && n < sizeof(tok)) {
			memcpy(tok, p, n);
			tok[n] = '\0';
			if (strchr(tok, '@') != NULL) {
				email_hash(tok, sha, prefix);
				strset_add(&cr->shas, sha);
			} else
				strset_add(&cr->ids, tok);
		}
		p = e;
	}
}

struct creators_walk {
	const struct creators	*cr;
	const struct rule	*rl;
	int64_t			 org, run, now;
	/* The keys that fire, put after the read (one statement at a time). */
	json_t			*hits;
};

static int
creator_row(const struct db_row *r, void *arg)
{
	struct creators_walk	*w = arg;
	const char		*actor = db_row_str(r, 6);
	const char		*sha = db_row_str(r, 8);
	const char		*bare = strncmp(sha, "sha256:", 7) == 0 ? sha + 7 :
	    sha;

	if ((*actor != '\0' && strset_has(&w->cr->ids, actor)) ||
	    (*bare != '\0' && strset_has(&w->cr->shas, bare)))
		return 0;
	json_array_append_new(w->hits, json_pack("{s:I, s:s, s:s, s:s?,"
	    " s:o}", "tenant", (json_int_t)db_row_int(r, 0),
	    "type", strcmp(db_row_str(r, 1), "admin_api_keys") == 0 ?
	    "admin_api_key" : "api_key",
	    "id", db_row_str(r, 2),
	    "name", db_row_null(r, 3) ? NULL : db_row_str(r, 3),
	    "evidence", json_pack("{s:s, s:s?, s:s?, s:s?, s:s, s:I, s:I}",
	    "redacted", db_row_str(r, 4),
	    "actor_type", db_row_null(r, 5) ? NULL : db_row_str(r, 5),
	    "actor_id", db_row_null(r, 6) ? NULL : actor,
	    "actor_email_prefix", db_row_null(r, 7) ? NULL : db_row_str(r, 7),
	    "event_id", db_row_str(r, 9),
	    "seq", (json_int_t)db_row_int(r, 10),
	    "created_event_at", (json_int_t)db_row_int(r, 11))));
	return 0;
}

static int
eval_creators(struct db *db, const struct conf *c, const struct rule *rl,
    int64_t org, int64_t run, int64_t now)
{
	struct creators		 cr;
	struct creators_walk	 w = { &cr, rl, org, run, now, json_array() };
	json_t			*h;
	char			*ev;
	size_t			 i;
	int			 rc = 0;

	creators_parse(c->key_creators, &cr);
	if (DB_QUERY(db, SQL_RULE_KEY_CREATORS, creator_row, &w,
	    DV_I(org)) < 0)
		rc = -1;
	json_array_foreach(w.hits, i, h) {
		if (rc != 0)
			break;
		ev = json_dumps(json_object_get(h, "evidence"), JSON_COMPACT |
		    JSON_SORT_KEYS);
		if (ev == NULL || DB_EXEC(db, SQL_FINDING_PUT,
		    DV_I(json_integer_value(json_object_get(h, "tenant"))),
		    DV_I(org), DV_S(rl->id), DV_S(rl->severity),
		    DV_S(json_string_value(json_object_get(h, "type"))),
		    DV_S(json_string_value(json_object_get(h, "id"))),
		    DV_S(json_string_value(json_object_get(h, "name"))),
		    DV_S(rl->message), DV_S(ev), DV_I(now), DV_I(run),
		    DV_I(now), DV_I(run)) != 0)
			rc = -1;
		free(ev);
	}
	json_decref(w.hits);
	strset_free(&cr.ids);
	strset_free(&cr.shas);
	return rc;
}

/* -- the run ---------------------------------------------------------------- */

static bool
pulled(const struct rules_pull *pull, size_t n, const char *stream)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcmp(pull[i].stream, stream) == 0)
			return pull[i].ok;
	return false;
}

/* Is the rule evaluated this time: every stream pulled, and not off? */
static bool
rule_on(const struct rule *rl, const struct conf *c,
    const struct rules_pull *pull, size_t n)
{
	size_t	 i;

	for (i = 0; i < RULE_STREAMS_MAX && rl->streams[i] != NULL; i++)
		if (!pulled(pull, n, rl->streams[i]))
			return false;
	/* Off while no creator is named. */
	if (rl->eval == eval_creators && strspn(c->key_creators, " \t,") ==
	    strlen(c->key_creators))
		return false;
	return true;
}

struct rules_tx {
	const struct conf	*c;
	int64_t			 org, run, now;
	const struct rules_pull	*pull;
	size_t			 n;
	int			 evaluated;
};

/* Every rule that is on, then the alerts they cause (a db_tx_fn). */
static int
rules_tx(struct db *db, void *arg)
{
	struct rules_tx		*x = arg;
	const struct rule	*rl;
	size_t			 i;

	x->evaluated = 0;
	rules_usage_release();		/* a retried transaction reads again */
	for (i = 0; i < NRULES; i++) {
		rl = &rules[i];
		if (!rule_on(rl, x->c, x->pull, x->n))
			continue;
		if ((rl->eval != NULL ? rl->eval(db, x->c, rl, x->org, x->run,
		    x->now) : eval_stmt(db, x->c, rl, x->org, x->run,
		    x->now)) != 0 || DB_EXEC(db, SQL_FINDING_RESOLVE,
		    DV_I(x->now), DV_I(x->run), DV_I(x->org), DV_S(rl->id),
		    DV_I(x->run)) != 0) {
			log_err("rules: org %" PRId64 ": %s: %s", x->org, rl->id,
			    db_error(db));
			return -1;
		}
		x->evaluated++;
	}
	/* Who is told, in the same transaction as what they are told. */
	if (alert_findings(db, x->c, x->org, x->run, x->now) != 0) {
		log_err("rules: org %" PRId64 ": alerts: %s", x->org,
		    db_error(db));
		return -1;
	}
	/* The pages web processes keep of this org are out of date. */
	return DB_EXEC(db, SQL_ORG_VIEW_BUMP, DV_I(x->org));
}

int
rules_run(struct db *db, const struct conf *c, int64_t org, int64_t run,
    int64_t now, const struct rules_pull *pull, size_t n)
{
	struct rules_tx	 x = { c, org, run, now, pull, n, 0 };
	int64_t		 t0 = now_ms();
	int		 rc;

	rc = db_tx(db, rules_tx, &x);
	rules_usage_release();
	if (rc != 0) {
		log_err("rules: org %" PRId64 ": findings not evaluated: %s",
		    org, db_error(db));
		return -1;
	}
	log_info("rules: org %" PRId64 ": %d rules evaluated in %" PRId64
	    " ms", org, x.evaluated, now_ms() - t0);
	return 0;
}
