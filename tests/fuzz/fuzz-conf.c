/*
 * fuzz-conf.c: the configuration file (src/conf.h): conf_load over an
 * in-memory file, on top of the defaults, as every program starts.
 */
#include "conf.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf	 c;
	char		 path[64], err[512];
	int		 fd = fuzz_file(data, size, path, sizeof(path));

	conf_defaults(&c);
	if (conf_load(&c, path, err, sizeof(err)) != 0)
		FUZZ_ASSERT(memchr(err, '\0', sizeof(err)) != NULL);
	conf_free(&c);
	close(fd);
	return 0;
}
