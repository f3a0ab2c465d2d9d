/*
 * connect.h: connecting an OpenAI org with an admin key.
 *
 * The key's type is checked first, before any network call; then every
 * stream's endpoint is probed and a capability checklist built; only when
 * OpenAI accepted the key is it sealed and stored, in one transaction with
 * the org, so there is never a half-connected org.  Replacing a key runs
 * the same checks.
 */
#ifndef ORGAUDIT_CONNECT_H
#define ORGAUDIT_CONNECT_H

#include <stdint.h>

#include <jansson.h>

#include "conf.h"
#include "db.h"
#include "redact.h"

enum cap_id {
	CAP_ADMIN,
	CAP_USERS,
	CAP_PROJECTS,
	CAP_KEYS,
	CAP_AUDIT_LOGS,
	CAP_ADMIN_KEYS,
	CAP_COSTS,
	CAP_USAGE,
	CAP_SPEND_ALERTS,
	CAP_DATA_RETENTION,
	CAP_ROLES,
	CAP__MAX
};

enum cap_status { CAP_UNKNOWN, CAP_OK, CAP_EMPTY, CAP_DENIED, CAP_ERROR };

struct capability {
	enum cap_status	 status;
	long		 http_status;
	char		 detail[320];
};

enum connect_outcome {
	CONNECT_OK,
	CONNECT_BAD_KEY,	/* wrong type or malformed: no network call */
	CONNECT_REJECTED,	/* OpenAI refused the key (401/403) */
	CONNECT_UNREACHABLE,	/* no answer from OpenAI */
	CONNECT_FAILED,		/* our side: database, master key */
};

struct connect_result {
	enum connect_outcome	 outcome;
	int64_t			 org_id;
	char			 key_hint[KEY_REDACTED_MAX];
	char			 openai_org[128];
	struct capability	 caps[CAP__MAX];
	char			 error[600];
};

/*
 * Connects a new org for tenant (org_id 0) or replaces the key of an
 * existing one.  name may be NULL.  The key is only read.
 */
int	 connect_org(struct db *db, const struct conf *c, int64_t tenant,
	    int64_t org_id, const char *name, const char *key,
	    struct connect_result *res);

/*
 * Disconnects tenant's org at time now: erases its sealed key and ends its
 * connected stretch (billing counts no later day).  1 done, 0 when the
 * tenant has no such connected org, -1 on a database error.
 */
int	 connect_disconnect(struct db *db, int64_t tenant, int64_t org_id,
	    int64_t now);

/* "users", "audit_logs"…, and a phrase for people. */
const char	*cap_name(enum cap_id id);
const char	*cap_label(enum cap_id id);
const char	*cap_status_name(enum cap_status s);
/* The checklist as a JSON array (new reference). */
json_t		*connect_caps_json(const struct connect_result *res);

#endif
