/*
 * audit-entry.h: OpenAI audit log entries, made ready for the chain.
 *
 * An entry is kept whole (unknown types and fields included) except for
 * email addresses: a string that is an address becomes "sha256:<hex>",
 * with its first characters beside it in "<key>_prefix" when it sat under
 * a key (that member replaces any the entry had); any other string, keys
 * included, is scrubbed of addresses and key-like tokens (redact_text).
 * The result is serialised canonically (keys sorted, compact, ASCII with
 * \u escapes), and those bytes are what the chain hashes:
 * hash = SHA-256(prev_hash || body).
 */
#ifndef ORGAUDIT_AUDIT_ENTRY_H
#define ORGAUDIT_AUDIT_ENTRY_H

#include <stdbool.h>
#include <stdint.h>

#include "jscan.h"
#include "redact.h"
#include "util.h"

#define AUDIT_BODY_MAX	(1024 * 1024)	/* larger entries are refused */
#define AUDIT_HASH_LEN	32

/*
 * One entry, ready to store.  Its strings all live in mem, one
 * allocation: audit_row_free().
 */
struct audit_row {
	char	*mem;
	char	*id;
	char	*type;
	int64_t	 effective_at;
	char	*actor_type;		/* "session", "api_key" or NULL */
	char	*actor_id;		/* user or service account id */
	char	*actor_key_id;		/* the API key's tracking id */
	char	 actor_email_sha256[EMAIL_HASH_HEX];
	char	 actor_email_prefix[EMAIL_PREFIX_MAX];
	char	*project_id;
	char	*target_id;		/* the payload's "id" */
	bool	 to_owner;		/* user.updated: role set to owner */
	char	*body;			/* canonical JSON */
	size_t	 body_len;
};

/*
 * Prepares the entry at node k of d.  Returns 0, or -1 with the reason in
 * err (no usable id, type or time; a body over AUDIT_BODY_MAX).
 */
int	 audit_prepare(const struct jdoc *d, uint32_t k, struct audit_row *r,
	    char *err, size_t n);
void	 audit_row_free(struct audit_row *r);
/*
 * Does an event of this type create or add its target (api_key.created,
 * user.added, …)?  Its first such event is the target's origin.
 */
bool	 audit_is_origin(const char *type);

/*
 * Appends the canonical bytes of node k, scrubbed, to b: keys sorted
 * bytewise (of repeated keys the last), no spaces, non-ASCII as \uXXXX
 * (upper-case hex, surrogate pairs beyond the BMP), numbers as jansson
 * writes them.  For a text without addresses or key-like tokens these
 * are the bytes of jansson's json_dumps() with JSON_COMPACT |
 * JSON_SORT_KEYS | JSON_ENSURE_ASCII.  -1 on a number it cannot write.
 */
int	 audit_canon(const struct jdoc *d, uint32_t k, struct buf *b);

/* hash = SHA-256(prev || body). */
/*
 * Appends str (n bytes of UTF-8) as a JSON string, ASCII only, escaped
 * as the canonical bytes are; -1 when it is not valid UTF-8.
 */
int	 audit_json_string(const char *str, size_t n, struct buf *b);
void	 audit_hash(const unsigned char prev[AUDIT_HASH_LEN], const char *body,
	    size_t len, unsigned char out[AUDIT_HASH_LEN]);

#endif
