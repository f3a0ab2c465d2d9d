/*
 * fuzz-redact.c: redaction of text that came from outside (src/redact.h):
 * what redact_text writes holds no address and no key-like token longer
 * than a redacted one, and redact_text_to never cuts a character; the
 * key classifiers and email_hash take any string.
 */
#include "fuzz.h"
#include "redact.h"
#include "util.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*s = fuzz_cstr(data, size), small[33], red[KEY_REDACTED_MAX];
	char		 hex[EMAIL_HASH_HEX], prefix[EMAIL_PREFIX_MAX];
	struct buf	 once = { 0 };
	enum key_type	 t;
	size_t		 n;

	redact_text(s, &once);
	FUZZ_ASSERT(once.p != NULL && strlen(once.p) == once.len);
	FUZZ_ASSERT(!fuzz_leaks(once.p, once.len));
	redact_text_to(s, small, sizeof(small));
	n = strlen(small);
	FUZZ_ASSERT(n < sizeof(small) && memcmp(small, once.p, n) == 0);
	FUZZ_ASSERT(n == 0 || n == once.len ||
	    ((unsigned char)once.p[n] & 0xc0) != 0x80);
	t = key_type_of(s);
	if (t != KEY_UNKNOWN)
		FUZZ_ASSERT(key_type_from_name(key_type_name(t)) == t);
	key_redact(s, t, red);
	key_redact(s, KEY_UNKNOWN, red);
	FUZZ_ASSERT(strlen(red) < sizeof(red));
	key_classify(s, "user");
	key_classify(s, "service_account");
	key_admin_refusal(s);
	if (email_hash(s, hex, prefix) == 0)
		FUZZ_ASSERT(strlen(hex) == 64 && strlen(prefix) < sizeof(prefix));
	buf_free(&once);
	free(s);
	return 0;
}
