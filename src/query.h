/*
 * query.h: query strings, parsed and validated against a declared list
 * of parameters.  Handlers never see raw strings: a parameter is either
 * absent, or present and valid.  Pure code, driven alone by a fuzzer.
 */
#ifndef ORGAUDIT_QUERY_H
#define ORGAUDIT_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QUERY_MAX_LEN		2048
#define QUERY_MAX_PARAMS	16
#define QUERY_VALUE_MAX		512

enum qkind {
	Q_BOOL,		/* true | false */
	Q_LIMIT,	/* 1 .. the handler's maximum */
	Q_CURSOR,	/* base64url, at most 400 characters */
	Q_KEY_TYPE,	/* admin | project | service_account | user */
	Q_OA_ID,	/* an OpenAI identifier */
	Q_TEXT,		/* 1 to 200 bytes of text, no control characters */
	Q_SECRET,	/* 1 to 512 bytes: a password or a pasted key */
	Q_EMAIL,	/* an email address, at most 254 bytes */
	Q_ROLE,		/* owner | viewer */
	Q_CSRF,		/* a CSRF token: 43 base64url characters */
	Q_PAGE,		/* a page number, 1 to 1000000 */
	Q_ID,		/* a positive number */
	Q_SORT,		/* last_used | created | name | project | type */
	Q_DIR,		/* asc | desc */
	Q_TRISTATE,	/* "", true, false: a filter a form may leave empty */
	Q_EVENT_TYPE,	/* an audit event type: [a-z0-9_.], 1 to 128 */
	Q_TIME,		/* Unix seconds, or YYYY-MM-DD[THH:MM:SSZ] (UTC) */
	Q_SEQ,		/* 0 or a positive number */
	Q_INVITE_STATUS, /* pending | accepted | expired */
	Q_SCOPE,	/* read | review | admin: an API token's */
	Q_FINDING_STATUS, /* open | resolved | all */
	Q_SEVERITY,	/* high | medium | low */
	Q_CHANNEL_TYPE,	/* webhook | slack | email */
	Q_FORMAT,	/* native | ocsf */
	Q_DAY,		/* a UTC day, YYYY-MM-DD: i is its midnight */
	Q_COST_GROUPS,	/* day,project,line_item,api_key: i, G_* bits */
	Q_USAGE_GROUPS,	/* day,project,user,api_key,model: i, G_* bits */
	Q_ENDPOINT,	/* one of the ten usage endpoints (collect_usage_endpoint) */
};

/* What Q_COST_GROUPS and Q_USAGE_GROUPS set in a qval's i. */
#define G_DAY		0x01
#define G_PROJECT	0x02
#define G_LINE_ITEM	0x04
#define G_API_KEY	0x08
#define G_USER		0x10
#define G_MODEL		0x20

/* The usage endpoints Q_ENDPOINT accepts, NULL-terminated. */

struct qspec {
	const char	*name;
	enum qkind	 kind;
};

/*
 * One parsed parameter.  Q_TRISTATE sets 'set' only for true or false;
 * an empty value leaves it unset.  Callers holding secrets wipe() it.
 */
struct qval {
	bool		 given;		/* present, even if empty */
	bool		 set;		/* present and valid (not empty) */
	bool		 b;
	int64_t		 i;
	char		 s[QUERY_VALUE_MAX + 1];
};

enum query_err {
	QUERY_OK,
	QUERY_TOO_LONG,		/* 414 */
	QUERY_MALFORMED,	/* bad percent-encoding, control bytes */
	QUERY_UNKNOWN,		/* a parameter not in the spec */
	QUERY_DUPLICATE,
	QUERY_INVALID,		/* a value that does not fit its kind */
};

/*
 * Parses qs against spec (nspec entries); out has nspec slots, in the
 * same order.  limit_max bounds Q_LIMIT.  On failure returns the error
 * and writes a message for the client into msg (it may quote the
 * parameter name, never more than 64 bytes of it).
 */
enum query_err	 query_parse(const char *qs, const struct qspec *spec,
		    size_t nspec, int64_t limit_max, struct qval *out,
		    char *msg, size_t msglen);

/*
 * Percent-decodes [s, s+n) into out ('+' is a space); -1 on bad input,
 * which includes any control byte but tab, CR and LF.
 */
long		 query_decode(const char *s, size_t n, char *out,
		    size_t outcap);

/*
 * Unix seconds, "YYYY-MM-DD", or "YYYY-MM-DDTHH:MM[:SS][Z]", all UTC;
 * 0 or -1.
 */
int	 query_time(const char *s, int64_t *out);

#endif
