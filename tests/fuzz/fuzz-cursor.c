/*
 * fuzz-cursor.c: list cursors as a client sends them back (src/list.h):
 * cursor_decode for each list's kind letter, with and without a second
 * key; whatever decodes must encode back to a cursor that decodes the
 * same.
 */
#include "fuzz.h"
#include "list.h"

static void
decode(const char *s, char kind, bool two)
{
	char	 a[129], b[129], a2[129], b2[129], enc[512];

	if (cursor_decode(s, kind, a, sizeof(a), two ? b : NULL,
	    sizeof(b)) != 0)
		return;
	FUZZ_ASSERT(strlen(a) < sizeof(a) && (!two || strlen(b) < sizeof(b)));
	cursor_encode(kind, a, two ? b : NULL, enc, sizeof(enc));
	FUZZ_ASSERT(enc[0] != '\0');
	FUZZ_ASSERT(cursor_decode(enc, kind, a2, sizeof(a2), two ? b2 : NULL,
	    sizeof(b2)) == 0);
	FUZZ_ASSERT(strcmp(a, a2) == 0 && (!two || strcmp(b, b2) == 0));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*s = fuzz_cstr(data, size);
	const char	*k;

	for (k = list_cursor_kinds(); *k != '\0'; k++) {
		decode(s, *k, false);
		decode(s, *k, true);
	}
	free(s);
	return 0;
}
