/*
 * findings.h: which keys are forgotten, and why.
 *
 * Stale: last used more than stale_days ago, or never used and created
 * more than stale_days ago.  Orphan: owned by a user who is no longer in
 * the organization, or whose owner lost access to the project.
 */
#ifndef ORGAUDIT_FINDINGS_H
#define ORGAUDIT_FINDINGS_H

#include <stdbool.h>
#include <stdint.h>

#define FINDING_REASON_MAX 128

struct finding_key {
	int64_t	 created_at;
	int64_t	 last_used_at;	/* 0 = never used */
	bool	 owner_is_user;
	bool	 owner_in_org;	/* meaningful only when owner_is_user */
	bool	 access_inactive;
};

struct finding {
	bool	 stale;
	bool	 orphan;
	char	 stale_reason[FINDING_REASON_MAX];
	char	 orphan_reason[FINDING_REASON_MAX];
};

void	 finding_eval(const struct finding_key *k, int64_t now,
	    int64_t stale_days, struct finding *out);

#endif
