/*
 * api.h: the JSON API under /api/v1.  api_handle() answers one request:
 * it matches the route, checks the method, authenticates the bearer
 * token, checks that the org belongs to the token's tenant and validates
 * the query, all before the route's handler runs.
 */
#ifndef ORGAUDIT_API_H
#define ORGAUDIT_API_H

#include "fcgi.h"

void	 api_handle(struct req *r);

#endif
