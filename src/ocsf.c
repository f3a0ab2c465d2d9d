/*
 * ocsf.c: see ocsf.h.  One table says which class an event type is; the
 * class's verbs give its activity; a builder per class fills its primary
 * objects, and one frame (classification, metadata, cloud, unmapped)
 * wraps them all.  Attribute names and enum values are those of OCSF
 * 1.3.0 (schema.ocsf.io/1.3.0; tests/data/ocsf/ records what is used).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ocsf.h"
#include "version.h"

#define CAT_FINDINGS	2
#define CAT_IAM		3
#define CAT_APP		6

#define CLS_DETECTION	2004
#define CLS_ACCOUNT	3001
#define CLS_AUTH	3002
#define CLS_ENTITY	3004
#define CLS_API		6003

#define OTHER		99

/* An event type (exact, or a prefix ending in '.') and its class. */
static const struct rule {
	const char	*prefix;
	int		 cls;
	const char	*kind;		/* the target's OCSF type name */
} rules[] = {
	{ "login.", CLS_AUTH, NULL },
	{ "logout.", CLS_AUTH, NULL },
	{ "tenant.user.looked_up", CLS_API, "User" },
	{ "tenant.user.invited", CLS_ENTITY, "Invite" },
	{ "tenant.membership.accepted", CLS_ENTITY, "Invite" },
	{ "tenant.membership.declined", CLS_ENTITY, "Invite" },
	{ "api_key.", CLS_ENTITY, "API Key" },
	{ "tenant.admin_api_key.", CLS_ENTITY, "Admin API Key" },
	{ "tenant.project_api_key.", CLS_ENTITY, "API Key" },
	{ "service_account.", CLS_ENTITY, "Service Account" },
	{ "tenant.service_account.", CLS_ENTITY, "Service Account" },
	{ "project.", CLS_ENTITY, "Project" },
	{ "invite.", CLS_ENTITY, "Invite" },
	{ "tenant.api_organization_invite.", CLS_ENTITY, "Invite" },
	{ "tenant.chatgpt_workspace_invite.", CLS_ENTITY, "Invite" },
	{ "user.", CLS_ACCOUNT, "User" },
	{ "tenant.user.", CLS_ACCOUNT, "User" },
	{ "tenant.membership.revoked", CLS_ACCOUNT, "User" },
	{ "role.", CLS_ACCOUNT, "Role" },
	{ "tenant.custom_role.", CLS_ACCOUNT, "Role" },
	{ "tenant.role.", CLS_ACCOUNT, "Role" },
	{ "tenant.role_assignment.", CLS_ACCOUNT, "Role" },
	{ "tenant.resource_role_assignment.", CLS_ACCOUNT, "Role" },
};

static const struct rule api_rule = { "", CLS_API, NULL };

static const struct rule *
rule_of(const char *type)
{
	size_t	 i, n;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		n = strlen(rules[i].prefix);
		if (rules[i].prefix[n - 1] == '.' ? strncmp(type,
		    rules[i].prefix, n) == 0 : strcmp(type,
		    rules[i].prefix) == 0)
			return &rules[i];
	}
	return &api_rule;
}

/* The type's last word: "api_key.created" → "created". */
static const char *
verb_of(const char *type)
{
	const char	*dot = strrchr(type, '.');

	return dot != NULL ? dot + 1 : type;
}

static bool
is_one(const char *s, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strcmp(s, *set) == 0)
			return true;
	return false;
}

static bool
ends_with(const char *s, const char *tail)
{
	size_t	 n = strlen(s), m = strlen(tail);

	return n >= m && strcmp(s + n - m, tail) == 0;
}

static const char *const made[] = { "created", "added", "registered",
    "issued", "provisioned", "upserted", "invited", "sent", NULL };
static const char *const gone[] = { "deleted", "removed", NULL };

/* Account Change: 1 Create, 6 Delete, 7/8 Attach/Detach Policy, 99. */
static int
account_activity(const char *type, const char *verb)
{
	if (ends_with(type, "unbound_from_resource") ||
	    strstr(type, "assignment.deleted") != NULL)
		return 8;
	if (ends_with(type, "bound_to_resource") ||
	    strstr(type, "assignment.created") != NULL)
		return 7;
	if (is_one(verb, made))
		return 1;
	if (is_one(verb, gone) || strcmp(verb, "revoked") == 0)
		return 6;
	return OTHER;
}

/* Entity Management: 1 Create, 3 Update, 4 Delete, 99 (archived…). */
static int
entity_activity(const char *verb)
{
	static const char *const changed[] = { "updated", "accepted",
	    "declined", NULL };

	if (is_one(verb, made))
		return 1;
	if (is_one(verb, gone))
		return 4;
	if (is_one(verb, changed))
		return 3;
	return OTHER;
}

/* API Activity: 1 Create, 2 Read, 3 Update, 4 Delete. */
static int
api_activity(const char *verb)
{
	if (is_one(verb, made))
		return 1;
	if (strcmp(verb, "looked_up") == 0)
		return 2;
	if (is_one(verb, gone))
		return 4;
	return 3;
}

int
ocsf_event_class(const char *type, int *activity)
{
	const struct rule	*ru = rule_of(type);
	const char		*verb = verb_of(type);

	switch (ru->cls) {
	case CLS_AUTH:
		*activity = strncmp(type, "logout.", 7) == 0 ? 2 : 1;
		break;
	case CLS_ACCOUNT:
		*activity = account_activity(type, verb);
		break;
	case CLS_ENTITY:
		*activity = entity_activity(verb);
		break;
	default:
		*activity = api_activity(verb);
		break;
	}
	return ru->cls;
}

/* -- names --------------------------------------------------------- */

static const char *
class_name(int cls)
{
	switch (cls) {
	case CLS_DETECTION:
		return "Detection Finding";
	case CLS_ACCOUNT:
		return "Account Change";
	case CLS_AUTH:
		return "Authentication";
	case CLS_ENTITY:
		return "Entity Management";
	default:
		return "API Activity";
	}
}

static const char *
category_name(int cat)
{
	return cat == CAT_FINDINGS ? "Findings" : cat == CAT_IAM ?
	    "Identity & Access Management" : "Application Activity";
}

/* The caption of a class's activity id; NULL for 99 (the verb says). */
static const char *
activity_caption(int cls, int id)
{
	static const char *const account[] = { NULL, "Create", "Enable",
	    "Password Change", "Password Reset", "Disable", "Delete",
	    "Attach Policy", "Detach Policy" };
	static const char *const crud[] = { NULL, "Create", "Read", "Update",
	    "Delete" };
	static const char *const auth[] = { NULL, "Logon", "Logoff" };
	static const char *const finding[] = { NULL, "Create", "Update",
	    "Close" };

	if (id < 1 || id > 8)
		return NULL;
	switch (cls) {
	case CLS_ACCOUNT:
		return account[id];
	case CLS_AUTH:
		return id <= 2 ? auth[id] : NULL;
	case CLS_DETECTION:
		return id <= 3 ? finding[id] : NULL;
	default:
		return id <= 4 ? crud[id] : NULL;
	}
}

static const char *
severity_name(int id)
{
	static const char *const names[] = { "Unknown", "Informational", "Low",
	    "Medium", "High", "Critical", "Fatal" };

	return id >= 0 && id <= 6 ? names[id] : "Other";
}

/* -- small helpers ------------------------------------------------- */

static const char *
jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Sets key to the string s when s is not NULL. */
static void
set_str(json_t *o, const char *key, const char *s)
{
	if (s != NULL)
		json_object_set_new(o, key, json_string(s));
}

static void
set_int(json_t *o, const char *key, json_int_t v)
{
	json_object_set_new(o, key, json_integer(v));
}

/* Unix seconds (an integer member) as OCSF milliseconds; -1 if none. */
static json_int_t
ms_of(json_t *o, const char *key)
{
	json_t	*v = json_object_get(o, key);

	return json_is_integer(v) ? json_integer_value(v) * 1000 : -1;
}

/* -- the frame every event shares ---------------------------------- */

/*
 * The classification, time and metadata of an event of class cls; the
 * caller adds its primary objects.  A new reference.
 */
static json_t *
frame(int cat, int cls, int activity, const char *verb, int severity,
    json_int_t time_ms, const char *uid, const struct ocsf_ctx *ctx)
{
	const char	*caption = activity_caption(cls, activity);
	json_t		*o = json_object(), *md, *cloud, *org;
	char		 type_name[96];

	if (caption == NULL)
		caption = verb != NULL ? verb : "Other";
	snprintf(type_name, sizeof(type_name), "%s: %s", class_name(cls),
	    caption);
	set_int(o, "activity_id", activity);
	set_str(o, "activity_name", caption);
	set_int(o, "category_uid", cat);
	set_str(o, "category_name", category_name(cat));
	set_int(o, "class_uid", cls);
	set_str(o, "class_name", class_name(cls));
	set_int(o, "type_uid", (json_int_t)cls * 100 + activity);
	set_str(o, "type_name", type_name);
	set_int(o, "severity_id", severity);
	set_str(o, "severity", severity_name(severity));
	set_int(o, "time", time_ms >= 0 ? time_ms : 0);
	md = json_pack("{s:s, s:{s:s, s:s, s:s}, s:[s]}", "version",
	    OCSF_VERSION, "product", "name", "orgaudit", "vendor_name",
	    "orgaudit", "version", ctx->product_version != NULL ?
	    ctx->product_version : ORGAUDIT_VERSION, "profiles", "cloud");
	set_str(md, "uid", uid);
	json_object_set_new(o, "metadata", md);
	cloud = json_pack("{s:s}", "provider", "OpenAI");
	if (ctx->openai_org != NULL || ctx->org_name != NULL) {
		org = json_object();
		set_str(org, "uid", ctx->openai_org);
		set_str(org, "name", ctx->org_name);
		json_object_set_new(cloud, "org", org);
	}
	json_object_set_new(o, "cloud", cloud);
	return o;
}

/* orgaudit's own names for the tenant and the org. */
static json_t *
orgaudit_ids(const struct ocsf_ctx *ctx)
{
	json_t	*t = json_pack("{s:I}", "id", (json_int_t)ctx->tenant_id);
	json_t	*g = json_pack("{s:I}", "id", (json_int_t)ctx->org_id);

	set_str(t, "name", ctx->tenant_name);
	set_str(g, "name", ctx->org_name);
	set_str(g, "openai_org", ctx->openai_org);
	return json_pack("{s:o, s:o}", "tenant", t, "org", g);
}

/* -- audit events -------------------------------------------------- */

/* The parts of an event each builder reads. */
struct ev {
	json_t		*event, *entry, *payload;
	const char	*type, *verb, *target;
	const struct rule *rule;
	int		 cls, activity;
	bool		 failed;
};

/* A user object: uid (or "unknown"), and its OCSF type. */
static json_t *
user_obj(const char *uid, int type_id, const char *type)
{
	json_t	*u = json_object();

	set_str(u, "uid", uid != NULL && *uid ? uid : "unknown");
	set_int(u, "type_id", type_id);
	set_str(u, "type", type);
	return u;
}

/*
 * The actor: the user or service account that acted, with the API key
 * as its credential; OpenAI itself when the entry names nobody.
 */
static json_t *
actor_obj(const struct ev *e)
{
	json_t		*a = json_object_get(e->event, "actor");
	json_t		*ea = json_object_get(e->entry, "actor"), *u;
	const char	*id = jstr(a, "id"), *key = jstr(a, "key_id");
	const char	*kt = jstr(json_object_get(ea, "api_key"), "type");
	bool		 svc = kt != NULL && strcmp(kt, "service_account") == 0;

	if (id == NULL && key == NULL)
		return json_pack("{s:s}", "app_name", "OpenAI");
	u = svc ? user_obj(id, OTHER, "Service Account") :
	    user_obj(id, 1, "User");
	set_str(u, "credential_uid", key);
	return json_pack("{s:o}", "user", u);
}

/* Where the actor's session came from, or NULL when the entry says not. */
static json_t *
src_endpoint(const struct ev *e)
{
	json_t		*s = json_object_get(json_object_get(e->entry, "actor"),
	    "session");
	const char	*ip = jstr(s, "ip_address");

	return ip != NULL ? json_pack("{s:s}", "ip", ip) : NULL;
}

/* Account Change: the user, or the role, that was changed. */
static void
fill_account(json_t *o, const struct ev *e)
{
	const char	*pid = jstr(e->payload, "principal_id");
	const char	*pt = jstr(e->payload, "principal_type");

	if (pid != NULL)
		json_object_set_new(o, "user", pt == NULL || strcmp(pt,
		    "user") == 0 ? user_obj(pid, 1, "User") : user_obj(pid,
		    OTHER, pt));
	else if (strcmp(e->rule->kind, "Role") == 0)
		json_object_set_new(o, "user", user_obj(e->target, OTHER,
		    "Role"));
	else
		json_object_set_new(o, "user", user_obj(e->target, 1, "User"));
}

/* Entity Management: the key, service account, project or invite. */
static void
fill_entity(json_t *o, const struct ev *e)
{
	json_t		*ent = json_object();
	json_t		*data = json_object_get(e->payload, "data");
	const char	*name = jstr(data, "name");

	if (name == NULL)
		name = jstr(data, "title");
	set_str(ent, "uid", e->target);
	set_str(ent, "name", name != NULL ? name : e->target == NULL ?
	    e->rule->kind : NULL);
	set_str(ent, "type", e->rule->kind);
	json_object_set_new(o, "entity", ent);
}

/* Authentication: who signed in, to which OpenAI org, with what result. */
static void
fill_auth(json_t *o, const struct ev *e, const struct ocsf_ctx *ctx)
{
	json_t		*svc = json_pack("{s:s}", "name", "OpenAI");
	const char	*code = jstr(e->payload, "error_code");

	json_object_set_new(o, "user", user_obj(jstr(json_object_get(e->event,
	    "actor"), "id"), 1, "User"));
	set_str(svc, "uid", ctx->openai_org);
	json_object_set_new(o, "service", svc);
	set_str(o, "status_detail", code);
}

/* API Activity: the operation, and the resource it touched. */
static void
fill_api(json_t *o, const struct ev *e)
{
	json_t	*res;
	char	 kind[128];
	size_t	 n = (size_t)(e->verb - e->type);

	json_object_set_new(o, "api", json_pack("{s:s, s:{s:s}}", "operation",
	    e->type, "service", "name", "OpenAI Administration API"));
	if (e->target == NULL)
		return;
	snprintf(kind, sizeof(kind), "%.*s", n > 0 ? (int)n - 1 : 0, e->type);
	res = json_pack("{s:s}", "uid", e->target);
	set_str(res, "type", kind[0] != '\0' ? kind : NULL);
	json_object_set_new(o, "resources", json_pack("[o]", res));
}

/* The raw event: the stored entry and its place in the chain. */
static json_t *
unmapped_event(const struct ev *e, const struct ocsf_ctx *ctx)
{
	json_t	*u = orgaudit_ids(ctx), *v;

	json_object_set(u, "entry", e->entry != NULL ? e->entry :
	    json_null());
	if (json_is_integer(v = json_object_get(e->event, "seq")))
		json_object_set(u, "seq", v);
	if (json_is_string(v = json_object_get(e->event, "prev_hash")))
		json_object_set(u, "prev_hash", v);
	if (json_is_string(v = json_object_get(e->event, "hash")))
		json_object_set(u, "hash", v);
	return u;
}

json_t *
ocsf_audit_event(json_t *event, const struct ocsf_ctx *ctx)
{
	struct ev	 e;
	json_t		*o, *src, *seq;
	const char	*id = jstr(event, "id"), *project;
	int		 cat;

	memset(&e, 0, sizeof(e));
	if ((e.type = jstr(event, "type")) == NULL || id == NULL)
		return NULL;
	e.event = event;
	e.entry = json_object_get(event, "entry");
	e.payload = json_object_get(e.entry, e.type);
	e.verb = verb_of(e.type);
	e.rule = rule_of(e.type);
	e.cls = ocsf_event_class(e.type, &e.activity);
	e.failed = strcmp(e.verb, "failed") == 0;
	if ((e.target = jstr(event, "target_id")) == NULL)
		e.target = jstr(e.payload, "id");
	cat = e.cls == CLS_API ? CAT_APP : CAT_IAM;
	o = frame(cat, e.cls, e.activity, e.verb, e.failed ? 2 : 1,
	    ms_of(event, "effective_at"), id, ctx);
	if (json_is_integer(seq = json_object_get(event, "seq")))
		json_object_set(json_object_get(o, "metadata"), "sequence",
		    seq);
	if ((project = jstr(event, "project_id")) != NULL)
		set_str(json_object_get(o, "cloud"), "project_uid", project);
	set_int(o, "status_id", e.failed ? 2 : 1);
	set_str(o, "status", e.failed ? "Failure" : "Success");
	set_str(o, "message", e.type);
	json_object_set_new(o, "actor", actor_obj(&e));
	src = src_endpoint(&e);
	switch (e.cls) {
	case CLS_ACCOUNT:
		fill_account(o, &e);
		break;
	case CLS_ENTITY:
		fill_entity(o, &e);
		break;
	case CLS_AUTH:
		fill_auth(o, &e, ctx);
		break;
	default:
		fill_api(o, &e);
		/* Required here: a key's call has no address in the entry. */
		if (src == NULL)
			src = json_pack("{s:s}", "name", "unknown");
		break;
	}
	if (src != NULL)
		json_object_set_new(o, "src_endpoint", src);
	json_object_set_new(o, "unmapped", unmapped_event(&e, ctx));
	return o;
}

/* -- findings ------------------------------------------------------ */

static int
finding_severity(const char *s)
{
	static const char *const names[] = { "low", "medium", "high",
	    "critical" };
	size_t			 i;

	for (i = 0; s != NULL && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i + 2;
	return 0;
}

/* finding_info: what was found, and when it was first and last seen. */
static json_t *
finding_info(json_t *f, const char *uid)
{
	json_t		*fi = json_object();
	const char	*rule = jstr(f, "rule");
	json_int_t	 opened = ms_of(f, "opened_at");
	json_int_t	 seen = ms_of(f, "last_seen_at");
	json_int_t	 resolved = ms_of(f, "resolved_at");

	set_str(fi, "uid", uid);
	set_str(fi, "title", rule != NULL ? rule : "finding");
	set_str(fi, "desc", jstr(f, "message"));
	if (rule != NULL)
		json_object_set_new(fi, "types", json_pack("[s]", rule));
	if (opened >= 0) {
		set_int(fi, "created_time", opened);
		set_int(fi, "first_seen_time", opened);
	}
	if (seen >= 0)
		set_int(fi, "last_seen_time", seen);
	if (resolved >= 0 || seen >= 0)
		set_int(fi, "modified_time", resolved >= 0 ? resolved : seen);
	return fi;
}

/* The subject as the one affected resource. */
static json_t *
finding_resources(json_t *f)
{
	json_t	*s = json_object_get(f, "subject"), *r;

	if (!json_is_object(s))
		return json_array();
	r = json_object();
	set_str(r, "uid", jstr(s, "id"));
	set_str(r, "name", jstr(s, "name"));
	set_str(r, "type", jstr(s, "type"));
	return json_pack("[o]", r);
}

json_t *
ocsf_finding(json_t *finding, const struct ocsf_ctx *ctx)
{
	const char	*uid = jstr(finding, "id");
	json_t		*o, *u, *fi;
	json_int_t	 when, n;
	bool		 resolved;
	int		 sev;

	if (!json_is_object(finding) || uid == NULL)
		return NULL;
	resolved = json_is_integer(json_object_get(finding, "resolved_at"));
	when = resolved ? ms_of(finding, "resolved_at") :
	    ms_of(finding, "last_seen_at");
	sev = finding_severity(jstr(finding, "severity"));
	o = frame(CAT_FINDINGS, CLS_DETECTION, resolved ? 3 : 1, NULL, sev,
	    when, uid, ctx);
	if (sscanf(uid, "fnd_%lld", &n) == 1)
		set_int(json_object_get(o, "metadata"), "sequence", n);
	set_int(o, "status_id", resolved ? 4 : 1);
	set_str(o, "status", resolved ? "Resolved" : "New");
	set_str(o, "message", jstr(finding, "message"));
	fi = finding_info(finding, uid);
	json_object_set_new(o, "finding_info", fi);
	json_object_set_new(o, "resources", finding_resources(finding));
	json_object_set_new(o, "is_alert", json_boolean(!resolved));
	u = orgaudit_ids(ctx);
	json_object_set(u, "finding", finding);
	json_object_set_new(o, "unmapped", u);
	return o;
}
