/*
 * api.h: the JSON API under /api/v1.  api_handle() answers one request:
 * it matches the route, checks the method, authenticates the bearer
 * token, checks that the org belongs to the token's tenant and validates
 * the query, all before the route's handler runs.
 */
#ifndef ORGAUDIT_API_H
#define ORGAUDIT_API_H

#include "http.h"

void	 api_handle(struct req *r);

/*
 * Opaque list cursors: base64url of "<kind>\n<key>[\n<key2>]".  Encodes
 * into out (at least 400 bytes); decode returns -1 for anything this API
 * did not make for that kind of list.
 */
void	 cursor_encode(char kind, const char *a, const char *b, char *out,
	    size_t outlen);
int	 cursor_decode(const char *s, char kind, char *a, size_t alen,
	    char *b, size_t blen);

#endif
