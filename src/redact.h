/*
 * redact.h: privacy at ingest.  Keys are reduced to their type and last
 * four characters, emails to a SHA-256 of the normalised address plus its
 * first four characters, and free text from outside (error messages) is
 * scrubbed of both before it can reach a log, a row or a response.
 */
#ifndef ORGAUDIT_REDACT_H
#define ORGAUDIT_REDACT_H

#include <stddef.h>

#include "util.h"

enum key_type {
	KEY_UNKNOWN,
	KEY_ADMIN,		/* sk-admin-… */
	KEY_PROJECT,		/* sk-proj-… */
	KEY_SVCACCT,		/* sk-svcacct-… */
	KEY_USER,		/* legacy user key, plain sk-… */
	KEY__MAX
};

/* Longest redacted form: "sk-svcacct-" + "…" (3 bytes) + 4 + NUL. */
#define KEY_REDACTED_MAX 24
#define EMAIL_HASH_HEX 65
#define EMAIL_PREFIX_MAX 17	/* 4 UTF-8 characters + NUL */

/* "admin", "project", "service_account", "user"; NULL for unknown. */
const char	*key_type_name(enum key_type t);
/* Parses a name produced by key_type_name(); KEY_UNKNOWN if none. */
enum key_type	 key_type_from_name(const char *name);
/* "sk-admin-", "sk-proj-", "sk-svcacct-", "sk-". */
const char	*key_type_prefix(enum key_type t);

/*
 * Type from the start of a key or of OpenAI's redacted_value, which may
 * drop the trailing dash ("sk-admin...xyz").  A plain "sk-" is KEY_USER.
 */
enum key_type	 key_type_of(const char *s);

/*
 * Type of a listed project key: its prefix when that is specific, else
 * the owner type decides (a service account owns service account keys).
 */
enum key_type	 key_classify(const char *redacted_value,
		    const char *owner_type);

/*
 * Writes prefix(t) + "…" + the last (up to) 4 key characters of s into
 * out.  s may be a key or OpenAI's redacted form.
 */
void		 key_redact(const char *s, enum key_type t,
		    char out[KEY_REDACTED_MAX]);

/*
 * NULL when s looks like an admin key; otherwise a static message saying
 * what s is and which key is needed instead.
 */
const char	*key_admin_refusal(const char *s);

/*
 * Hash of the trimmed, lower-cased address (hex, 64 chars) and its
 * first four characters, stopping short at the '@' ("jo@x.io" gives
 * "jo").  Returns -1 (outputs empty) when email is empty after trimming.
 */
int		 email_hash(const char *email, char hex[EMAIL_HASH_HEX],
		    char prefix[EMAIL_PREFIX_MAX]);

/*
 * Appends in to out with every key-like token replaced by its redacted
 * form and every email address by "[email <8 hex of its hash>]".
 */
void		 redact_text(const char *in, struct buf *out);
/* The same, into a caller-owned fixed buffer (truncating). */
void		 redact_text_to(const char *in, char *out, size_t outlen);

#endif
