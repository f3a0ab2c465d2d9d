/*
 * fuzz-ingest.c: OpenAI's objects as the collector stores them
 * (src/ingest.h).  The input is a list page; every element goes through
 * every ingest_* function.  A row that is kept has an identifier fit for
 * a URL, an email only as its hash, a key only in its redacted form, and
 * a name no longer than INGEST_NAME_MAX.
 */
#include <jansson.h>

#include "fuzz.h"
#include "ingest.h"
#include "oa-page.h"

static void
check_email(const char *sha, const char *prefix)
{
	FUZZ_ASSERT(strlen(sha) < EMAIL_HASH_HEX);
	FUZZ_ASSERT(strlen(prefix) < EMAIL_PREFIX_MAX);
	FUZZ_ASSERT(strchr(prefix, '@') == NULL);
}

static void
check_name(const char *name)
{
	FUZZ_ASSERT(name == NULL || strlen(name) <= INGEST_NAME_MAX);
}

static void
ingest_all(json_t *o)
{
	struct row_user		 u;
	struct row_project	 p;
	struct key_row		 k;
	struct row_svcacct	 s;
	struct row_projuser	 pu;
	struct row_invite	 in;
	char			 err[256];

	if (ingest_user(o, &u, err, sizeof(err)) == 0) {
		FUZZ_ASSERT(ingest_id_ok(u.id));
		check_email(u.email_sha256, u.email_prefix);
	}
	if (ingest_project(o, &p, err, sizeof(err)) == 0) {
		FUZZ_ASSERT(ingest_id_ok(p.id));
		check_name(p.name);
		free(p.name);
	}
	if (ingest_project_key(o, "proj_abc", &k, err, sizeof(err)) == 0) {
		FUZZ_ASSERT(ingest_id_ok(k.id));
		FUZZ_ASSERT(!fuzz_leaks(k.redacted, strlen(k.redacted)));
		check_name(k.name);
		key_row_free(&k);
	}
	if (ingest_admin_key(o, &k, err, sizeof(err)) == 0) {
		FUZZ_ASSERT(ingest_id_ok(k.id));
		FUZZ_ASSERT(!fuzz_leaks(k.redacted, strlen(k.redacted)));
		check_name(k.name);
		key_row_free(&k);
	}
	if (ingest_svcacct(o, &s, err, sizeof(err)) == 0) {
		FUZZ_ASSERT(ingest_id_ok(s.id));
		check_name(s.name);
		free(s.name);
	}
	if (ingest_projuser(o, &pu, err, sizeof(err)) == 0) {
		FUZZ_ASSERT(ingest_id_ok(pu.user_id));
		check_email(pu.email_sha256, pu.email_prefix);
	}
	if (ingest_invite(o, &in, err, sizeof(err)) == 0) {
		FUZZ_ASSERT(ingest_id_ok(in.id));
		check_email(in.email_sha256, in.email_prefix);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oa_page	 pg;
	json_t		*o;
	char		 err[300];
	size_t		 i;

	if (oa_page_parse((const char *)data, size, &pg, err, sizeof(err)) != 0)
		return 0;
	json_array_foreach(pg.data, i, o)
		ingest_all(o);
	oa_page_free(&pg);
	return 0;
}
