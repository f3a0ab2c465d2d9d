/*
 * cli-routes.c: orgaudit routes [--json]: every route of orgaudit.fcgi
 * and what its gate demands, from the program's own table (route.h).
 * The tests read it, so a route added later is tested like the others.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "app.h"
#include "cli.h"
#include "route.h"

/* One route as a line: methods, pattern, what the gate checks. */
static void
route_print(const struct route *rt)
{
	printf("%-10s %-56s %s%s%s%s%s\n", rt->methods & M_POST ? "POST" :
	    "GET, HEAD", rt->pattern,
	    rt->flags & R_SESSION ? "session" : rt->flags & R_TOKEN ? "token" :
	    "public", rt->flags & R_OWNER ? " owner" : "",
	    rt->flags & R_ORG ? " org" : "",
	    rt->methods & M_POST && rt->flags & R_SESSION ? " csrf" : "",
	    rt->list != NULL ? " list" : "");
}

int
cli_routes(struct cli_ctx *x, int argc, char **argv)
{
	json_t	*all;
	size_t	 i;

	(void)x;
	if (argc == 2 && strcmp(argv[1], "--json") == 0) {
		all = route_json();
		json_dumpf(all, stdout, JSON_INDENT(1));
		putchar('\n');
		json_decref(all);
		return EXIT_OK;
	}
	if (argc != 1) {
		fprintf(stderr, "usage: orgaudit routes [--json]\n");
		return EXIT_USAGE;
	}
	for (i = 0; i < route_count(); i++)
		route_print(route_at(i));
	return EXIT_OK;
}
