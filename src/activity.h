/*
 * activity.h: orgaudit's own audit trail (sql/011_activity.sql).  Every
 * action of orgaudit's users is appended to its tenant's chain: who (an
 * account, a token, the operator, the worker; never a secret), from
 * which address, what, on which target, when, and how it ended.  The
 * chain follows the audit log copy's rules, so editing, deleting or
 * reordering a row is named by activity_verify().
 */
#ifndef ORGAUDIT_ACTIVITY_H
#define ORGAUDIT_ACTIVITY_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "db.h"

/* One action.  Strings are borrowed for the call. */
struct act {
	int64_t		 tenant;	/* 0: no tenant */
	const char	*actor_type;	/* account, token, operator, worker,
					   anonymous */
	const char	*actor_id;	/* "7", a login's hash; or NULL */
	const char	*address;	/* the client's, "cli", a host */
	const char	*action;	/* "account.signed_in", … */
	const char	*target;	/* "org:3", "token:9", … or NULL */
	const char	*outcome;	/* "ok", "refused", "failed" */
};

/*
 * Appends a to its tenant's chain, in its own transaction unless the
 * caller has one open (then in that one).  0, or -1 (logged: an action
 * is never refused because its record failed, but the log says so).
 */
int	 activity_log(struct db *db, const struct act *a);

/* What activity_verify() found. */
struct activity_report {
	bool	 ok;
	int64_t	 rows;
	int64_t	 bad_seq;
	char	 reason[200];
};

/* Recomputes tenant's chain; 0 (see rep->ok), -1 on a database error. */
int	 activity_verify(struct db *db, int64_t tenant,
	    struct activity_report *rep);

/* A row of the trail as the API shows it (SQL_ACTIVITY_PAGE). */
json_t	*activity_view(const struct db_row *r);

/* The rows of a pack's period, in order, for pack-make.c. */
typedef int (*activity_row_cb)(int64_t seq, const unsigned char *prev,
    const unsigned char *hash, const char *body, size_t len, void *arg);
/* Calls fn for each of tenant's rows with start <= at < end.  0 or -1. */
int	 activity_walk(struct db *db, int64_t tenant, int64_t start,
	    int64_t end, activity_row_cb fn, void *arg);

#endif
