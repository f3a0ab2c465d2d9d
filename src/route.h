/*
 * route.h: every route of orgaudit.fcgi, the dashboard's and the API's,
 * in one table of one row shape, and the one gate every request passes.
 *
 * route_handle() answers one request, in this order: it matches the path
 * (404, or 400 for a malformed number in it), the method (405 with
 * Allow), sees that MariaDB is there (503), authenticates (a session for
 * the dashboard, a bearer token for the API: a redirect to /login, 403
 * or 401), checks the Origin of a browser's POST and reads its form,
 * parses the declared parameters (400, 414), checks a session's CSRF
 * token (403), the role (403) and that the org in the path is the
 * tenant's (404).  Only then does the route's handler run, with a
 * struct call whose every field is checked.  A handler never repeats any
 * of it.
 *
 * Lists (list.h) bring their own routes: each list row makes an API
 * route and a dashboard route, served by one handler each.
 */
#ifndef ORGAUDIT_ROUTE_H
#define ORGAUDIT_ROUTE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "fcgi.h"
#include "query.h"

/*
 * Every parameter any route takes, from the query or a form: its name and
 * its kind (query.h).  A route declares which it takes (P(x) bits).  One
 * name may stand for two kinds on routes that never share it.
 */
#define ROUTE_PARAMS(X) \
	X(P_LIMIT, "limit", Q_LIMIT) \
	X(P_CURSOR, "cursor", Q_CURSOR) \
	X(P_CSRF, "csrf", Q_CSRF) \
	X(P_EMAIL, "email", Q_EMAIL) \
	X(P_PASSWORD, "password", Q_SECRET) \
	X(P_NAME, "name", Q_TEXT) \
	X(P_KEY, "key", Q_SECRET) \
	X(P_ROLE, "role", Q_ROLE) \
	X(P_STALE, "stale", Q_TRISTATE) \
	X(P_ORPHAN, "orphan", Q_TRISTATE) \
	X(P_KEY_TYPE, "type", Q_KEY_TYPE) \
	X(P_PROJECT, "project", Q_OA_ID) \
	X(P_SORT, "sort", Q_SORT) \
	X(P_DIR, "dir", Q_DIR) \
	X(P_PAGE, "page", Q_PAGE) \
	X(P_DONE, "done", Q_TEXT) \
	X(P_EVENT_TYPE, "type", Q_EVENT_TYPE) \
	X(P_FORM_EVENT_TYPE, "event_type", Q_EVENT_TYPE) \
	X(P_ACTOR, "actor", Q_OA_ID) \
	X(P_ACTOR_EMAIL, "actor_email", Q_EMAIL) \
	X(P_TARGET, "target", Q_OA_ID) \
	X(P_SINCE, "since", Q_TIME) \
	X(P_UNTIL, "until", Q_TIME) \
	X(P_AFTER_SEQ, "after_seq", Q_SEQ) \
	X(P_ORG_ID, "org_id", Q_ID) \
	X(P_INVITE_STATUS, "status", Q_INVITE_STATUS) \
	X(P_SCOPE, "scope", Q_SCOPE) \
	X(P_NEW_PASSWORD, "new_password", Q_SECRET) \
	X(P_CODE, "code", Q_TEXT) \
	X(P_TOKEN, "token", Q_CSRF) \
	X(P_REQUIRE, "require", Q_TRISTATE) \
	X(P_ACTION, "action", Q_EVENT_TYPE) \
	X(P_FINDING_STATUS, "status", Q_FINDING_STATUS) \
	X(P_RULE, "rule", Q_EVENT_TYPE) \
	X(P_SEVERITY, "severity", Q_SEVERITY) \
	X(P_SUBJECT, "subject", Q_OA_ID) \
	X(P_FINDING, "finding", Q_EVENT_TYPE) \
	X(P_CHANNEL_TYPE, "type", Q_CHANNEL_TYPE) \
	X(P_URL, "url", Q_SECRET) \
	X(P_TO, "to", Q_EMAIL) \
	X(P_SECRET, "secret", Q_SECRET) \
	X(P_TRIGGERS, "on", Q_TEXT) \
	X(P_MIN_SEVERITY, "min_severity", Q_SEVERITY) \
	X(P_FORMAT, "format", Q_FORMAT) \
	X(P_DIGEST, "digest", Q_TRISTATE) \
	X(P_AFTER_ID, "after_id", Q_SEQ) \
	X(P_DAY_SINCE, "since", Q_DAY) \
	X(P_DAY_UNTIL, "until", Q_DAY) \
	X(P_COST_GROUPS, "group_by", Q_COST_GROUPS) \
	X(P_USAGE_GROUPS, "group_by", Q_USAGE_GROUPS) \
	X(P_ENDPOINT, "endpoint", Q_ENDPOINT)

#define ROUTE_PARAM_ENUM(e, name, kind)	e,
enum param { ROUTE_PARAMS(ROUTE_PARAM_ENUM) P__MAX };
#undef ROUTE_PARAM_ENUM

#define P(x)	(UINT64_C(1) << (x))

/* The methods a route answers; GET answers HEAD too. */
#define M_GET	0x1u
#define M_POST	0x2u

/* What the gate checks before the handler (flags of a route). */
#define R_SESSION	0x01u	/* a signed-in dashboard account */
#define R_TOKEN		0x02u	/* an API bearer token */
#define R_OWNER		0x04u	/* an owner's session, an admin token */
#define R_ORG		0x08u	/* ":org" is an org of the tenant */
#define R_NODB		0x10u	/* answers without MariaDB */
#define R_API		0x20u	/* errors as JSON (every /api/v1 route) */
#define R_STAGE1	0x40u	/* a session awaiting its second factor */
#define R_STAGE2	0x80u	/* a session that must enroll one first */
#define R_PRECSRF	0x100u	/* a form before a session: its CSRF token */

struct list_def;
struct call;

typedef void (*route_fn)(struct call *);

/*
 * One route.  A pattern's segments are literal, or ":name" (a positive
 * number: the first is c->org when the route has R_ORG, else c->id; a
 * second is c->id), or "*name" (an OpenAI identifier: c->oaid).
 */
struct route {
	const char		*pattern;
	unsigned		 methods;
	unsigned		 flags;
	uint64_t		 params;	/* P(…) bits */
	route_fn		 fn;
	const struct list_def	*list;		/* a list's route: its row */
	int64_t			 limit_max;	/* 0: api_page_max */
};

/* A request on its way to a handler, everything in it checked. */
struct call {
	struct req		*r;
	const struct route	*rt;
	int64_t			 org;		/* R_ORG: the tenant's org */
	int64_t			 id;		/* another ":id", or 0 */
	char			 oaid[129];	/* a "*name" segment, or "" */
	int64_t			 limit;		/* P_LIMIT or the default */
	char			 stamp[33];	/* R_ORG: SQL_ORG_STAMP, or "" */
	struct qval		 q[P__MAX];
};

/* Answers r through the route table and the gate. */
void		 route_handle(struct req *r);

/* The number of routes, and route i (fixed routes, then lists'). */
size_t		 route_count(void);
const struct route *route_at(size_t i);
/* The qspec of a parameter. */
const struct qspec *route_param(enum param p);
/*
 * The table as JSON (a new reference), for tests and operators:
 * [{"pattern", "methods": [...], "session", "token", "owner", "org",
 *   "api", "params": [...], "list"}…].
 */
json_t		*route_json(void);

/* A parameter's string, or NULL when the request did not set it. */
const char	*call_str(const struct call *c, enum param p);
/*
 * Answers an error in the route's style: the API's JSON envelope, or the
 * dashboard's error page (its JSON when the client asks for JSON).
 * extra_headers (or NULL) end in CRLF.
 */
void		 call_error(struct call *c, int status, const char *code,
		    const char *extra_headers, const char *fmt, ...)
		    PRINTF_LIKE(5, 6);
/*
 * Records an action on the activity trail (activity.h): by the request's
 * account or token, from its address, for tenant (0: the request's).
 */
void		 call_note(struct call *c, int64_t tenant, const char *action,
		    const char *target, const char *outcome);
/* Answers a database failure: 503 when MariaDB is away, else 500. */
void		 call_db_error(struct call *c, const char *what);
/*
 * The key (cache.h) under which c's answer may be kept when it is the
 * same for every caller of the tenant until the org's data moves: what
 * (the kind of answer), the tenant, the org's stamp (SQL_ORG_STAMP), the
 * caller's role or scope, the UTC day, the path and the query.  The
 * stamp is the one the gate read when it checked the org, so only an
 * R_ORG route has one.  false (key empty: do not keep) without a stamp,
 * with the cache off, or when the key would not fit in n.
 */
bool		 call_cache_key(struct call *c, const char *what, char *key,
		    size_t n);

/*
 * Matches path against pattern (see struct route); ids gets the
 * numbers (at most 2), oaid the identifier.  1, 0 for no match, -1 when
 * only such a segment is malformed.  Pure: fuzzed alone.
 */
int		 route_match(const char *pattern, const char *path,
		    int64_t ids[2], char oaid[129]);

#endif
