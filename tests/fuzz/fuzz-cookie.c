/*
 * fuzz-cookie.c: the Cookie header (src/session.h): cookie_get for the
 * session cookie (then session_hash) and for a name taken from the input, into buffers of
 * several sizes, and session_csrf_ok on what it found.
 */
#include "fuzz.h"
#include "session.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*name = fuzz_take(&data, &size, '\n');
	char	*hdr = fuzz_cstr(data, size), out[256];
	unsigned char	 hash[32];
	size_t	 caps[] = { 1, 2, 44, sizeof(out) }, i;

	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		memset(out, 'x', sizeof(out));
		if (cookie_get(hdr, SESSION_COOKIE, out, caps[i]) == 0) {
			FUZZ_ASSERT(memchr(out, '\0', caps[i]) != NULL);
			if (session_hash(out, hash) == 0)
				FUZZ_ASSERT(strlen(out) == SESSION_TOKEN_LEN);
			session_csrf_ok(out, hdr);
		}
		if (name[0] != '\0' && cookie_get(hdr, name, out, caps[i]) == 0)
			FUZZ_ASSERT(memchr(out, '\0', caps[i]) != NULL);
	}
	free(name);
	free(hdr);
	return 0;
}
