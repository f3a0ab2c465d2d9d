/*
 * fuzz-headers.c: response headers from OpenAI and Stripe
 * (src/oa-client.h, src/retry.h): oa_hdr reads each header line of the
 * input into small buffers, and Retry-After / retry-after-ms become a
 * wait with retry_after_hint, which is never below -1.
 */
#include "fuzz.h"
#include "oa-client.h"
#include "retry.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		 ra[32] = "", ms[32] = "", id[64] = "", tiny[2] = "";
	const uint8_t	*e;
	size_t		 n;
	int64_t		 h;

	while (size > 0) {
		e = memchr(data, '\n', size);
		n = e != NULL ? (size_t)(e - data) + 1 : size;
		oa_hdr((const char *)data, n, "retry-after", ra, sizeof(ra));
		oa_hdr((const char *)data, n, "retry-after-ms", ms, sizeof(ms));
		oa_hdr((const char *)data, n, "request-id", id, sizeof(id));
		oa_hdr((const char *)data, n, "x", tiny, sizeof(tiny));
		data += n;
		size -= n;
	}
	FUZZ_ASSERT(strlen(ra) < sizeof(ra) && strlen(tiny) < sizeof(tiny));
	h = retry_after_hint(ms[0] ? ms : NULL, ra[0] ? ra : NULL,
	    1767225600);
	FUZZ_ASSERT(h >= -1);
	h = retry_after_hint(NULL, ra, 0);
	FUZZ_ASSERT(h >= -1);
	return 0;
}
