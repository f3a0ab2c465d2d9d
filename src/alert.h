/*
 * alert.h: channels that tell people (sql/017_alerts.sql) and the outbox
 * their messages wait in.  The collector and the findings engine write
 * outbox rows in the transactions that store what causes them; the
 * sender (notify.h, orgaudit-notify) delivers them.  A channel's URL,
 * address and secret are sealed to the tenant's public key: the web
 * seals them, only the sender opens them.
 */
#ifndef ORGAUDIT_ALERT_H
#define ORGAUDIT_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "conf.h"
#include "db.h"

#define ALERT_TRIGGERS_MAX	32
#define ALERT_LOGIN_MAX		100000	/* login.failed>N: N at most */

/* What a channel is given when it is made. */
struct alert_new {
	int64_t		 tenant;
	const char	*type;		/* webhook, slack, email */
	const char	*name;
	const char	*target;	/* the URL, or the address */
	const char	*secret;	/* the webhook's signing secret, or NULL */
	const char	*triggers;	/* "finding.opened,audit:api_key.created" */
	const char	*min_severity;	/* high, medium, low */
	const char	*format;	/* native, ocsf */
	const char	*created_by;	/* "account:7", "operator:root" */
	bool		 digest;	/* findings below: a daily digest */
};

/* The default triggers of a channel that names none. */
extern const char *const alert_default_triggers;

/*
 * Checks n (type, target, triggers, severity, format) and says what is
 * wrong in err; the URL's host is checked against the address rules of
 * c (notify.h) when its name resolves now.  0 or -1.
 */
int	 alert_check(const struct conf *c, const struct alert_new *n,
	    char *err, size_t errlen);
/* Stores a checked channel with its target and secret sealed.  Its id. */
int64_t	 alert_add(struct db *db, const struct alert_new *n, char *err,
	    size_t errlen);
/* Removes a channel of tenant (0: any): 1 done, 0 none, -1 error. */
int	 alert_remove(struct db *db, int64_t tenant, int64_t id);
/* The tenant's channels as the pages show them (new reference). */
json_t	*alert_list(struct db *db, int64_t tenant);
/*
 * Queues a test message for channel id of tenant (0: any); its outbox
 * id, 0 when there is no such channel, -1 on error.
 */
int64_t	 alert_test(struct db *db, int64_t tenant, int64_t id);
/* The tenant's recent messages (new reference), newest first. */
json_t	*alert_outbox_list(struct db *db, int64_t tenant, int64_t limit);
/* Queues a dead message of tenant again: 1, 0 none, -1. */
int	 alert_resend(struct db *db, int64_t tenant, int64_t id);

/* The channels of a tenant that want audit events, for one pull. */
struct alert_routes;
struct alert_routes *alert_routes_load(struct db *db, int64_t tenant,
	    int64_t org);
void	 alert_routes_free(struct alert_routes *r);
/*
 * The outbox rows (values of SQL_OUTBOX_AUDIT_INS) for one stored audit
 * event, appended to v (ALERT_OUTBOX_NCOLS each, *n rows so far, room
 * for *cap): none before the org was connected.  The rows point at eid,
 * where the message's id is written; it must live until they are.
 */
#define ALERT_OUTBOX_NCOLS	7
#define ALERT_EVENT_ID_LEN	29	/* "evt_" + 24 hex + NUL */
size_t	 alert_routes_count(const struct alert_routes *r);
/* A stored audit event, as the triggers see it. */
struct alert_event {
	int64_t		 seq;
	const char	*id, *type;
	int64_t		 effective_at;
	bool		 to_owner;	/* user.updated: role set to owner */
	int64_t		 login_n;	/* login.failed: its rank in its hour */
};
void	 alert_audit_rows(const struct alert_routes *r,
	    const struct alert_event *e, int64_t now,
	    char eid[ALERT_EVENT_ID_LEN], struct db_val **v, size_t *n,
	    size_t *cap);
/*
 * For a login.failed event about to be stored: how many of the org's
 * login.failed events fall in its UTC hour with it (those stored before,
 * counted once per hour from db, and those of this pull so far).  0 when
 * no channel counts them, -1 on a database error.
 */
int64_t	 alert_login_rank(struct alert_routes *r, struct db *db,
	    int64_t effective_at);

/*
 * Queues the messages of the findings this run opened and resolved, in
 * the caller's transaction; none at the org's first run (its baseline).
 * 0 or -1.
 */
int	 alert_findings(struct db *db, const struct conf *c, int64_t org,
	    int64_t run, int64_t now);

#endif
