/*
 * findings.c: see findings.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "findings.h"

static int64_t
days_since(int64_t now, int64_t t)
{
	return t >= now ? 0 : (now - t) / 86400;
}

/*
 * Whole days round down, so a key idle for 90 days and 20 hours is "90
 * days" old yet past a 90-day limit: say "more than" in that case.
 */
static const char *
more_than(int64_t now, int64_t t, int64_t stale_days)
{
	return days_since(now, t) <= stale_days ? "more than " : "";
}

void
finding_eval(const struct finding_key *k, int64_t now, int64_t stale_days,
    struct finding *out)
{
	int64_t	 cutoff = now - stale_days * 86400;
	bool	 left = k->owner_is_user && !k->owner_in_org;

	memset(out, 0, sizeof(*out));
	if (k->last_used_at > 0 && k->last_used_at < cutoff) {
		out->stale = true;
		snprintf(out->stale_reason, sizeof(out->stale_reason),
		    "last used %s%" PRId64 " days ago", more_than(now,
		    k->last_used_at, stale_days), days_since(now,
		    k->last_used_at));
	} else if (k->last_used_at <= 0 && k->created_at < cutoff) {
		out->stale = true;
		snprintf(out->stale_reason, sizeof(out->stale_reason),
		    "never used; created %s%" PRId64 " days ago",
		    more_than(now, k->created_at, stale_days),
		    days_since(now, k->created_at));
	}
	if (left || k->access_inactive) {
		out->orphan = true;
		snprintf(out->orphan_reason, sizeof(out->orphan_reason), "%s",
		    left && k->access_inactive ? "owner left the organization "
		    "and has no access to the project" : left ? "owner left "
		    "the organization" : "owner no longer has access to the "
		    "project");
	}
}
