/*
 * collect.h: pulling one org from the Admin API into MariaDB.
 *
 * Snapshot streams (users, projects, api_keys, service_accounts,
 * project_users, admin_api_keys, invites, and the org's settings:
 * model_permissions, project_spend_alerts, spend_alerts, data_retention,
 * project_data_retention, rate_limits, roles, user_roles) are written
 * under a new generation and made current in one UPDATE once complete, so
 * readers see the previous pull or the new one, never half of one.  A
 * stream the key cannot read (403/404) is skipped (a project's model
 * permissions answered 404 are stored as unknown instead); one that fails
 * keeps its previous snapshot; the others are stored either way.  The
 * usage streams (usage.<endpoint>, ten of them) and costs are buckets,
 * upserted page by page with a cursor (usage-collect.c).  Every run
 * leaves a record per stream it took.
 */
#ifndef ORGAUDIT_COLLECT_H
#define ORGAUDIT_COLLECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "db.h"

/*
 * Is name one of the usage endpoints pulled (the stream usage.<name>)?
 * collect_usage_endpoints writes them, comma-separated, for a message.
 */
bool	 collect_usage_endpoint(const char *name);
void	 collect_usage_endpoints(char *buf, size_t len);

/* What a pull takes: every stream, or only what is due (--all). */
enum collect_what { COLLECT_ALL, COLLECT_DUE };

struct collect_result {
	int64_t	 run_id;
	int	 ok, skipped, failed;
	long	 requests, retries, rows;
	int64_t	 ms;
	bool	 idle;		/* nothing was due: no run */
	char	 error[320];	/* set when the run could not start */
};

/*
 * Pulls org; the caller holds its lease.  COLLECT_DUE takes the inventory
 * and audit log when inventory_interval_seconds have passed since they
 * were last pulled, usage and costs when usage_interval_seconds have;
 * when neither is due there is no run and res->idle is set.  Returns 0
 * when every stream was stored or skipped, 1 when some failed (the
 * others are stored), -1 when the run could not start (error in
 * res->error).
 */
int	 collect_org(struct db *db, const struct conf *c, int64_t org,
	    enum collect_what what, struct collect_result *res);

/*
 * Leases org for owner.  Returns 0, or -1 with a message (unknown org,
 * disconnected, leased by another collector, database error).
 */
int	 collect_lease_one(struct db *db, const struct conf *c, int64_t org,
	    const char *owner, char *err, size_t errlen);
/*
 * Leases the next active org that is not leased elsewhere and whose last
 * run started more than collect_fresh_seconds before pass_start (ms): an
 * org pulled in this pass, or moments before it by a collector started
 * with this one on another host, is left alone.  Returns 1 and sets *org, 0 when none is left, -1 on a
 * database error.
 */
int	 collect_lease_next(struct db *db, const struct conf *c,
	    int64_t pass_start, const char *owner, int64_t *org);
void	 collect_release(struct db *db, int64_t org, int64_t run_id,
	    const char *owner);

#endif
