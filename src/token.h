/*
 * token.h: API tokens.  A token is "oat_" and 43 base64url characters
 * (256 random bits); only its SHA-256 is stored.
 */
#ifndef ORGAUDIT_TOKEN_H
#define ORGAUDIT_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

#define TOKEN_PREFIX	"oat_"
#define TOKEN_LEN	(4 + 43)

/* Makes a token into tok (TOKEN_LEN + 1 bytes) and its hash.  0 or -1. */
int	 token_new(char *tok, unsigned char hash[32]);
/*
 * Checks the shape of a presented token and hashes it.  -1 when it cannot
 * be a token (so no database lookup is needed).
 */
int	 token_hash(const char *tok, size_t len, unsigned char hash[32]);

/*
 * A token's scope: "read" (every GET), "review" (access reviews),
 * "admin" (what an owner may do).  Is s one of them?
 */
bool	 token_scope_ok(const char *s);

#endif
