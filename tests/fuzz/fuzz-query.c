/*
 * fuzz-query.c: query strings and form bodies (src/query.h): query_parse
 * against a declaration holding one parameter of every kind, and
 * query_decode and query_time alone.
 */
#include "fuzz.h"
#include "query.h"

static const struct qspec spec[] = {
	{ "bool", Q_BOOL }, { "limit", Q_LIMIT }, { "cursor", Q_CURSOR },
	{ "type", Q_KEY_TYPE }, { "project_id", Q_OA_ID }, { "q", Q_TEXT },
	{ "password", Q_SECRET }, { "email", Q_EMAIL }, { "role", Q_ROLE },
	{ "csrf", Q_CSRF }, { "page", Q_PAGE }, { "id", Q_ID },
	{ "sort", Q_SORT }, { "dir", Q_DIR }, { "active", Q_TRISTATE },
	{ "event_type", Q_EVENT_TYPE }, { "since", Q_TIME }, { "seq", Q_SEQ },
	{ "status", Q_INVITE_STATUS }, { "scope", Q_SCOPE },
};
#define NSPEC	(sizeof(spec) / sizeof(spec[0]))

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qval	 out[NSPEC];
	char		*qs = fuzz_cstr(data, size), msg[128], dec[QUERY_MAX_LEN];
	long		 n;
	int64_t		 t;
	size_t		 i;

	if (query_parse(qs, spec, NSPEC, 200, out, msg, sizeof(msg)) ==
	    QUERY_OK) {
		for (i = 0; i < NSPEC; i++) {
			FUZZ_ASSERT(memchr(out[i].s, '\0', sizeof(out[i].s)));
			FUZZ_ASSERT(!out[i].set || out[i].given);
		}
		if (out[1].set)
			FUZZ_ASSERT(out[1].i >= 1 && out[1].i <= 200);
	} else
		FUZZ_ASSERT(memchr(msg, '\0', sizeof(msg)) != NULL);
	n = query_decode(qs, size, dec, sizeof(dec));
	FUZZ_ASSERT(n < (long)sizeof(dec));
	if (n >= 0)
		FUZZ_ASSERT(dec[n] == '\0' && (size_t)n <= size);
	query_time(qs, &t);
	free(qs);
	return 0;
}
