/*
 * fuzz-oa-page.c: OpenAI's list envelope (src/oa-page.h), read both ways:
 * oa_page_parse (jansson) and oa_page_scan (jscan) must agree on whether
 * a body is a page, on its count, its next cursor and has_more; then the
 * cursor is followed twice, which the chain guard must refuse.
 */
#include "fuzz.h"
#include "oa-page.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oa_page	 pg;
	struct oa_jpage	 jp;
	struct oa_chain	 chain = { 0 };
	char		 err[300], jerr[300];
	int		 rc, jrc;

	rc = oa_page_parse((const char *)data, size, &pg, err, sizeof(err));
	jrc = oa_page_scan((const char *)data, size, &jp, jerr, sizeof(jerr));
	FUZZ_ASSERT(rc == jrc);
	if (rc == 0) {
		FUZZ_ASSERT(json_array_size(pg.data) == jp.count);
		FUZZ_ASSERT(pg.has_more == jp.has_more);
		FUZZ_ASSERT((pg.next == NULL) == (jp.next == NULL));
		if (pg.next != NULL) {
			FUZZ_ASSERT(strcmp(pg.next, jp.next) == 0);
			FUZZ_ASSERT(oa_chain_follow(&chain, pg.next, err,
			    sizeof(err)) == 0);
			FUZZ_ASSERT(oa_chain_follow(&chain, jp.next, err,
			    sizeof(err)) == -1);
		}
	}
	oa_chain_free(&chain);
	oa_page_free(&pg);
	oa_jpage_free(&jp);
	return 0;
}
