/*
 * ingest.h: OpenAI objects to rows, with the privacy rules applied before
 * anything else sees them.  No function here copies an email address or a
 * key out of its input: emails become email_hash() output, keys become
 * key_redact() output, and the fields nobody needs are never read.
 *
 * Strings in the rows are borrowed from the JSON object unless stated, so
 * a row is valid while its object is.
 */
#ifndef ORGAUDIT_INGEST_H
#define ORGAUDIT_INGEST_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "redact.h"

#define INGEST_NAME_MAX 16384	/* bytes of a name kept */

struct row_user {
	const char	*id;
	char		 email_sha256[EMAIL_HASH_HEX];
	char		 email_prefix[EMAIL_PREFIX_MAX];
	const char	*role;
	int64_t		 added_at;
	bool		 is_service_account;
};

struct row_project {
	const char	*id;
	char		*name;		/* owned: free() */
	const char	*status;
	int64_t		 created_at;
	int64_t		 archived_at;	/* 0 = not archived */
	bool		 archived;
};

/* A project key or an admin key.  Every string is owned: key_row_free(). */
struct key_row {
	char		*id;
	char		*project_id;	/* NULL for admin keys */
	char		*name;
	char		*owner_type;	/* "user", "service_account" */
	char		*owner_id;
	char		*owner_access;	/* "active", "inactive", NULL */
	enum key_type	 type;
	char		 redacted[KEY_REDACTED_MAX];
	int64_t		 created_at;
	int64_t		 last_used_at;	/* 0 = never */
	int64_t		 expires_at;	/* 0 = none */
};

struct row_svcacct {
	const char	*id;
	char		*name;		/* owned */
	const char	*role;
	int64_t		 created_at;
};

struct row_projuser {
	const char	*user_id;
	char		 email_sha256[EMAIL_HASH_HEX];
	char		 email_prefix[EMAIL_PREFIX_MAX];
	const char	*role;
	int64_t		 added_at;
};

struct row_invite {
	const char	*id;
	char		 email_sha256[EMAIL_HASH_HEX];
	char		 email_prefix[EMAIL_PREFIX_MAX];
	const char	*role;
	const char	*status;
	int64_t		 created_at;
	int64_t		 expires_at;
	int64_t		 accepted_at;
};

/* An OpenAI identifier we are willing to store and put in a URL. */
bool	 ingest_id_ok(const char *id);

/* Each returns 0, or -1 with the reason in err (the row is skipped). */
int	 ingest_user(json_t *o, struct row_user *r, char *err, size_t n);
int	 ingest_project(json_t *o, struct row_project *r, char *err, size_t n);
int	 ingest_project_key(json_t *o, const char *project_id,
	    struct key_row *r, char *err, size_t n);
int	 ingest_admin_key(json_t *o, struct key_row *r, char *err, size_t n);
int	 ingest_svcacct(json_t *o, struct row_svcacct *r, char *err, size_t n);
int	 ingest_projuser(json_t *o, struct row_projuser *r, char *err,
	    size_t n);
int	 ingest_invite(json_t *o, struct row_invite *r, char *err, size_t n);

void	 key_row_free(struct key_row *r);

#endif
