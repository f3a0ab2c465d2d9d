/*
 * ocsf.h: audit events and findings as OCSF 1.3 events, for SIEMs.  Pure
 * mapping from the objects the JSON API shows (no database, no I/O), so
 * the export routes, the webhook's OCSF body and the tests share it.
 *
 * Each audit event becomes an event of the class it is: Account Change
 * (3001) for users and roles, Entity Management (3004) for API keys,
 * service accounts, projects and invites, Authentication (3002) for
 * logins, API Activity (6003) for the rest; each finding a Detection
 * Finding (2004).  docs/ocsf.md has the table.
 */
#ifndef ORGAUDIT_OCSF_H
#define ORGAUDIT_OCSF_H

#include <stdint.h>

#include <jansson.h>

#define OCSF_VERSION	"1.3.0"

/* Whose data it is: every string borrowed, NULL where unknown. */
struct ocsf_ctx {
	int64_t		 tenant_id;
	const char	*tenant_name;
	int64_t		 org_id;		/* orgaudit's org id */
	const char	*org_name;
	const char	*openai_org;		/* "org-…" */
	const char	*product_version;	/* NULL: ORGAUDIT_VERSION */
};

/*
 * The OCSF class of an audit event type and its activity: class_uid
 * (3001, 3002, 3004 or 6003) and activity_id in *activity.  Every type,
 * known or not, has one.
 */
int		 ocsf_event_class(const char *type, int *activity);

/*
 * An audit event as GET …/events shows it ({"id", "seq", "type",
 * "effective_at", "actor": {…}, "target_id", "entry": {…}, …}; borrowed)
 * as an OCSF event.  A new reference; NULL when event is not an object
 * with an "id" and a "type".
 */
json_t		*ocsf_audit_event(json_t *event, const struct ocsf_ctx *ctx);

/*
 * A finding as GET …/findings shows it ({"id": "fnd_…", "rule",
 * "severity", "subject", "message", "opened_at", "last_seen_at",
 * "resolved_at", "evidence"}; borrowed) as an OCSF Detection Finding.  A
 * new reference; NULL when finding is not an object with an "id".
 */
json_t		*ocsf_finding(json_t *finding, const struct ocsf_ctx *ctx);

#endif
