/*
 * token.c: see token.h.
 */
#include <string.h>

#include <openssl/sha.h>

#include "token.h"
#include "util.h"

int
token_new(char *tok, unsigned char hash[32])
{
	unsigned char	 raw[32];

	if (rand_bytes(raw, sizeof(raw)) != 0)
		return -1;
	memcpy(tok, TOKEN_PREFIX, 4);
	b64url_encode(raw, sizeof(raw), tok + 4);
	wipe(raw, sizeof(raw));
	SHA256((const unsigned char *)tok, TOKEN_LEN, hash);
	return 0;
}

int
token_hash(const char *tok, size_t len, unsigned char hash[32])
{
	unsigned char	 raw[33];

	if (len != TOKEN_LEN || memcmp(tok, TOKEN_PREFIX, 4) != 0 ||
	    b64url_decode(tok + 4, len - 4, raw, sizeof(raw)) != 32)
		return -1;
	wipe(raw, sizeof(raw));
	SHA256((const unsigned char *)tok, len, hash);
	return 0;
}

bool
token_scope_ok(const char *s)
{
	return strcmp(s, "read") == 0 || strcmp(s, "review") == 0 ||
	    strcmp(s, "admin") == 0;
}
