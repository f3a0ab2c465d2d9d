/*
 * web.h: the HTML dashboard.  web_handle() answers one request outside
 * /api/v1: it matches the route, loads the session, checks the method,
 * the Origin of a POST, the form, its CSRF token and the account's role,
 * and that the org belongs to the account's tenant, all in one place
 * before the route's handler runs.  Handlers build a view model (JSON)
 * from lists.c and render it through a template; asked with
 * "Accept: application/json", a page answers its view model instead.
 */
#ifndef ORGAUDIT_WEB_H
#define ORGAUDIT_WEB_H

#include "fcgi.h"

void	 web_handle(struct req *r);

#endif
