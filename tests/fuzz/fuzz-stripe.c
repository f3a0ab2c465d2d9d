/*
 * fuzz-stripe.c: Stripe's answers (src/bill-stripe.h).  The input is a
 * response body: as jansson reads it, it is described as a failed
 * request's error envelope (stripe_describe), whose text must hold no
 * address or key; then it is sent back as a form value (stripe_form),
 * which must come out percent-encoded.
 */
#include <jansson.h>

#include "bill-stripe.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stripe_resp	 res;
	struct buf		 form = { 0 };
	char			*v;
	size_t			 i;

	memset(&res, 0, sizeof(res));
	res.status = 402;
	res.json = json_loadb((const char *)data, size, 0, NULL);
	stripe_describe(&res, "POST /v1/invoices");
	FUZZ_ASSERT(memchr(res.err, '\0', sizeof(res.err)) != NULL);
	FUZZ_ASSERT(strlen(res.type) < sizeof(res.type) &&
	    strlen(res.code) < sizeof(res.code));
	FUZZ_ASSERT(!fuzz_leaks(res.err, strlen(res.err)));
	stripe_resp_free(&res);
	v = fuzz_cstr(data, size);
	stripe_form(&form, "metadata[note]", v);
	for (i = 0; i < form.len; i++)
		FUZZ_ASSERT(form.p[i] > 0x20 && form.p[i] < 0x7f &&
		    form.p[i] != '&' && form.p[i] != ' ');
	buf_free(&form);
	free(v);
	return 0;
}
