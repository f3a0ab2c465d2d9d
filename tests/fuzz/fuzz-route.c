/*
 * fuzz-route.c: the routing matcher (src/route.h).  The input is a path
 * matched against every pattern of the route table, and then against a
 * pattern of its own: the bytes before the first newline are the
 * pattern, the rest the path.
 */
#include <inttypes.h>

#include "fuzz.h"
#include "route.h"

static void
match(const char *pattern, const char *path)
{
	int64_t	 ids[2];
	char	 oaid[129];
	int	 rc = route_match(pattern, path, ids, oaid);

	FUZZ_ASSERT(rc >= -1 && rc <= 1);
	FUZZ_ASSERT(memchr(oaid, '\0', sizeof(oaid)) != NULL);
	if (rc == 1)
		FUZZ_ASSERT(ids[0] >= 0 && ids[1] >= 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*path = fuzz_cstr(data, size), *pattern;
	size_t	 i;

	for (i = 0; i < route_count(); i++)
		match(route_at(i)->pattern, path);
	pattern = fuzz_take(&data, &size, '\n');
	free(path);
	path = fuzz_cstr(data, size);
	match(pattern, path);
	free(pattern);
	free(path);
	return 0;
}
