/*
 * ingest-posture.h: the org's settings (model permissions, spend alerts,
 * data retention, rate limits, roles and who holds them) to rows.
 *
 * Strings in the rows are borrowed from the JSON object unless stated, so
 * a row is valid while its object is.  Each function returns 0, or -1
 * with the reason in err (the object is skipped).
 */
#ifndef ORGAUDIT_INGEST_POSTURE_H
#define ORGAUDIT_INGEST_POSTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* project.model_permissions. */
struct row_model_perm {
	const char	*mode;		/* "allow_list" or "deny_list" */
	char		*model_ids;	/* owned: the JSON array, compact */
};

/* organization.spend_alert or project.spend_alert. */
struct row_spend_alert {
	const char	*id;
	int64_t		 threshold_cents;	/* exact: a JSON integer */
	const char	*currency;
	const char	*interval;
	const char	*channel;
	int64_t		 recipients;		/* how many, never who */
};

/* project.rate_limit; has[i] says whether max[i] was served. */
enum rate_field {
	RL_REQUESTS_MIN, RL_TOKENS_MIN, RL_IMAGES_MIN, RL_AUDIO_MB_MIN,
	RL_REQUESTS_DAY, RL_BATCH_INPUT_DAY, RL__MAX
};

struct row_rate_limit {
	const char	*id;
	const char	*model;
	int64_t		 max[RL__MAX];
	bool		 has[RL__MAX];
};

/* role. */
struct row_role {
	const char	*id;
	const char	*name;
	const char	*description;
	char		*permissions;	/* owned: the JSON array, or NULL */
	const char	*resource_type;
	bool		 predefined;
};

/* A role as a user holds it (the user's roles list). */
struct row_user_role {
	const char	*role_id;
	const char	*role_name;
	bool		 direct;	/* held in the user's own right */
	char		*group_ids;	/* owned: JSON array, or NULL if none */
};

int	 ingest_model_perm(json_t *o, struct row_model_perm *r, char *err,
	    size_t n);
int	 ingest_spend_alert(json_t *o, struct row_spend_alert *r, char *err,
	    size_t n);
/* Data retention (org or project): *type borrowed from o. */
int	 ingest_retention(json_t *o, const char **type, char *err, size_t n);
int	 ingest_rate_limit(json_t *o, struct row_rate_limit *r, char *err,
	    size_t n);
int	 ingest_role(json_t *o, struct row_role *r, char *err, size_t n);
int	 ingest_user_role(json_t *o, struct row_user_role *r, char *err,
	    size_t n);

#endif
