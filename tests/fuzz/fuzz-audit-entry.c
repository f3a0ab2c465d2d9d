/*
 * fuzz-audit-entry.c: audit log entries as they are ingested
 * (src/audit-entry.h): audit_prepare on the root object or on each
 * element of a root array, then audit_canon's promises: its bytes are
 * ASCII JSON that jansson reads, with no address or key left in them;
 * for a text with nothing to scrub they are jansson's own
 * json_dumps(JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII), and
 * reading them again gives the same bytes.  (Scrubbing twice is not
 * scrubbing once: a redacted key "sk-...abcd" gains a second ellipsis.)
 */
#include <jansson.h>

#include "audit-entry.h"
#include "fuzz.h"
#include "jscan.h"

/* Does any string or key of j still hold an address or a key? */
static int
leaks(json_t *j)
{
	const char	*k;
	json_t		*m;
	size_t		 i;

	if (json_is_string(j))
		return fuzz_leaks(json_string_value(j), json_string_length(j));
	json_array_foreach(j, i, m)
		if (leaks(m))
			return 1;
	json_object_foreach(j, k, m)
		if (fuzz_leaks(k, strlen(k)) || leaks(m))
			return 1;
	return 0;
}

static void
check_canon(const struct jdoc *d, uint32_t k, const char *text, size_t len)
{
	struct buf	 b = { 0 }, again = { 0 };
	struct jdoc	 d2;
	json_t		*j;
	char		*dump, err[200];
	size_t		 i;

	if (audit_canon(d, k, &b) != 0)
		goto out;
	for (i = 0; i < b.len; i++)
		FUZZ_ASSERT(b.p[i] >= 0x20 && b.p[i] <= 0x7f);
	j = json_loadb(b.p, b.len, JSON_DECODE_ANY, NULL);
	FUZZ_ASSERT(j != NULL && !leaks(j));
	json_decref(j);
	if ((d->v[k].type == J_OBJ || d->v[k].type == J_ARR) &&
	    memchr(b.p, '@', b.len) == NULL && memmem(b.p, b.len, "sk-", 3) ==
	    NULL) {
		FUZZ_ASSERT(jscan_parse(&d2, b.p, b.len, err, sizeof(err)) == 0);
		FUZZ_ASSERT(audit_canon(&d2, 0, &again) == 0);
		FUZZ_ASSERT(again.len == b.len && memcmp(again.p, b.p,
		    b.len) == 0);
		jscan_free(&d2);
	}
	if (k == 0 && (j = json_loadb(text, len, 0, NULL)) != NULL) {
		dump = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS |
		    JSON_ENSURE_ASCII);
		if (dump != NULL && strchr(dump, '@') == NULL &&
		    strstr(dump, "sk-") == NULL)
			FUZZ_ASSERT(strlen(dump) == b.len && memcmp(dump, b.p,
			    b.len) == 0);
		free(dump);
		json_decref(j);
	}
out:
	buf_free(&b);
	buf_free(&again);
}

static void
check_entry(const struct jdoc *d, uint32_t k)
{
	struct audit_row	 r;
	char			 err[300];

	if (audit_prepare(d, k, &r, err, sizeof(err)) != 0)
		return;
	FUZZ_ASSERT(r.id != NULL && r.type != NULL && r.body != NULL);
	FUZZ_ASSERT(strlen(r.body) == r.body_len);
	FUZZ_ASSERT(r.effective_at > 0);
	audit_is_origin(r.type);
	audit_row_free(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jdoc	 d;
	uint32_t	 c;
	char		 err[200];

	if (jscan_parse(&d, (const char *)data, size, err, sizeof(err)) == 0) {
		check_canon(&d, 0, (const char *)data, size);
		if (d.v[0].type == J_OBJ)
			check_entry(&d, 0);
		else
			for (c = JSCAN_FIRST(0); c < d.v[0].end; c = d.v[c].end)
				check_entry(&d, c);
	}
	jscan_free(&d);
	return 0;
}
