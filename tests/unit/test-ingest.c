/*
 * test-ingest.c: unit tests for src/ingest.h (OpenAI objects to rows,
 * with emails hashed and keys redacted before anything keeps them).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "ingest.h"

#define ELL "\xe2\x80\xa6"
/* sha256("jane.doe@example.com") */
#define JANE_HEX \
	"86e0b9e56c17cc4d12387e1949b85053fbe73bc3ce5a1188713a9d300cc6133d"

static json_t *
js(const char *text)
{
	json_error_t	 e;
	json_t		*o = json_loads(text, 0, &e);

	if (o == NULL)
		fail_msg("bad test JSON: %s", e.text);
	return o;
}

/* True when n bytes at p hold neither '@' nor any of the words. */
static int
bytes_clean(const void *p, size_t n)
{
	static const char	*words[] = { "example", "jane", "doe",
				    "ex.io", NULL };
	size_t			 i;

	if (memchr(p, '@', n) != NULL)
		return 0;
	for (i = 0; words[i] != NULL; i++)
		if (memmem(p, n, words[i], strlen(words[i])) != NULL)
			return 0;
	return 1;
}

static int
str_clean(const char *s)
{
	return s == NULL || bytes_clean(s, strlen(s));
}

static int
key_row_clean(const struct key_row *r)
{
	return str_clean(r->id) && str_clean(r->project_id) &&
	    str_clean(r->name) && str_clean(r->owner_type) &&
	    str_clean(r->owner_id) && str_clean(r->owner_access) &&
	    bytes_clean(r->redacted, sizeof(r->redacted));
}

/* ---- ingest_id_ok ---- */

static void
test_ingest_id_ok_accepts_openai_ids(void **state)
{
	static const char	*ok[] = {
		"user_abc", "proj_AbC123", "key_0123456789abcdef", "org-xyz",
		"invite-abc", "svc_acct.1", "a:b", "a", "A-Z_a-z.0:9",
	};
	char			 id[129];
	size_t			 i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(ok); i++)
		assert_true(ingest_id_ok(ok[i]));
	memset(id, 'x', 128);
	id[128] = '\0';
	assert_true(ingest_id_ok(id));
}

static void
test_ingest_id_ok_rejects_malformed(void **state)
{
	static const char	*bad[] = {
		"", "a b", "../x", "x/y", "a\\b", "a%2Fb", "a?b", "a#b", "a&b",
		"a=b", "\"a\"", "a'b", "a\nb", "a\tb", "<a>", "\xc3\xa9t\xc3\xa9",
		"a+b", "a;b", "a,b",
	};
	size_t			 i;

	(void)state;
	assert_false(ingest_id_ok(NULL));
	for (i = 0; i < ARRAY_LEN(bad); i++) {
		if (ingest_id_ok(bad[i]))
			fail_msg("accepted \"%s\"", bad[i]);
	}
}

static void
test_ingest_id_ok_rejects_over_128_chars(void **state)
{
	char	 id[201];

	(void)state;
	memset(id, 'x', 129);
	id[129] = '\0';
	assert_false(ingest_id_ok(id));
	memset(id, 'x', 200);
	id[200] = '\0';
	assert_false(ingest_id_ok(id));
}

/* An id is put in URL paths: "." and ".." would change the path. */
static void
test_ingest_id_ok_rejects_dot_segments(void **state)
{
	(void)state;
	assert_false(ingest_id_ok("."));
	assert_false(ingest_id_ok(".."));
}

/* ---- ingest_user ---- */

static void
test_ingest_user_hashes_email(void **state)
{
	json_t		*o = js("{\"object\":\"organization.user\",\"id\":"
			    "\"user_abc\",\"name\":\"Jane Doe\",\"email\":"
			    "\"Jane.Doe@Example.com\",\"role\":\"owner\","
			    "\"added_at\":1711471533,\"is_service_account\":"
			    "false}");
	struct row_user	 r;
	char		 err[128] = "";

	(void)state;
	assert_int_equal(ingest_user(o, &r, err, sizeof(err)), 0);
	assert_string_equal(r.id, "user_abc");
	assert_string_equal(r.email_sha256, JANE_HEX);
	assert_string_equal(r.email_prefix, "jane");
	assert_string_equal(r.role, "owner");
	assert_int_equal(r.added_at, 1711471533);
	assert_false(r.is_service_account);
	json_decref(o);
}

static void
test_ingest_user_row_keeps_no_address(void **state)
{
	json_t		*o = js("{\"object\":\"organization.user\",\"id\":"
			    "\"user_abc\",\"name\":\"Jane Doe\",\"email\":"
			    "\"jane.doe@example.com\",\"role\":\"owner\","
			    "\"added_at\":1711471533}");
	struct row_user	 r;
	char		 err[128] = "";
	int		 clean;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(ingest_user(o, &r, err, sizeof(err)), 0);
	/* Every byte of the inline arrays, not only up to the NUL. */
	clean = memchr(r.email_sha256, '@', sizeof(r.email_sha256)) == NULL &&
	    memchr(r.email_prefix, '@', sizeof(r.email_prefix)) == NULL &&
	    memmem(r.email_sha256, sizeof(r.email_sha256), "example", 7) ==
	    NULL && memmem(r.email_prefix, sizeof(r.email_prefix), "example",
	    7) == NULL && memmem(r.email_prefix, sizeof(r.email_prefix),
	    "doe", 3) == NULL && str_clean(r.id) && str_clean(r.role);
	json_decref(o);
	assert_true(clean);
}

/*
 * With a local part shorter than four characters, the "first four
 * characters" prefix would be "jo@e": the row would keep the '@' and a
 * piece of the domain.
 */
static void
test_ingest_user_short_local_part_keeps_no_address(void **state)
{
	json_t		*o = js("{\"id\":\"user_abc\",\"email\":"
			    "\"jo@ex.io\"}");
	struct row_user	 r;
	char		 err[128] = "";
	int		 clean;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(ingest_user(o, &r, err, sizeof(err)), 0);
	clean = memchr(r.email_prefix, '@', sizeof(r.email_prefix)) == NULL &&
	    strstr(r.email_prefix, "ex") == NULL;
	json_decref(o);
	assert_int_equal(strlen(r.email_sha256), 64);
	assert_true(clean);
}

static void
test_ingest_user_missing_fields(void **state)
{
	json_t		*o = js("{\"id\":\"user_abc\"}");
	struct row_user	 r;
	char		 err[128] = "";

	(void)state;
	assert_int_equal(ingest_user(o, &r, err, sizeof(err)), 0);
	assert_string_equal(r.id, "user_abc");
	assert_string_equal(r.email_sha256, "");
	assert_string_equal(r.email_prefix, "");
	assert_null(r.role);
	assert_int_equal(r.added_at, 0);
	assert_false(r.is_service_account);
	json_decref(o);
}

static void
test_ingest_user_null_and_wrong_typed_fields(void **state)
{
	json_t		*o = js("{\"id\":\"user_abc\",\"email\":null,\"role\":7,"
			    "\"added_at\":\"yesterday\",\"is_service_account\":"
			    "\"yes\"}");
	struct row_user	 r;
	char		 err[128] = "";

	(void)state;
	assert_int_equal(ingest_user(o, &r, err, sizeof(err)), 0);
	assert_string_equal(r.email_sha256, "");
	assert_null(r.role);
	assert_int_equal(r.added_at, 0);
	assert_false(r.is_service_account);
	json_decref(o);
}

static void
test_ingest_user_unknown_fields(void **state)
{
	json_t		*o = js("{\"id\":\"user_abc\",\"email\":"
			    "\"jane.doe@example.com\",\"future\":{\"x\":[1,2]},"
			    "\"is_service_account\":true,\"added_at\":"
			    "1711471533.9}");
	struct row_user	 r;
	char		 err[128] = "";

	(void)state;
	assert_int_equal(ingest_user(o, &r, err, sizeof(err)), 0);
	assert_string_equal(r.email_sha256, JANE_HEX);
	assert_true(r.is_service_account);
	assert_int_equal(r.added_at, 1711471533);
	json_decref(o);
}

static void
test_ingest_user_negative_time_is_zero(void **state)
{
	json_t		*o = js("{\"id\":\"user_abc\",\"added_at\":-5}");
	struct row_user	 r;
	char		 err[128] = "";

	(void)state;
	assert_int_equal(ingest_user(o, &r, err, sizeof(err)), 0);
	assert_int_equal(r.added_at, 0);
	json_decref(o);
}

static void
test_ingest_user_rejects_non_object(void **state)
{
	json_t		*o = js("[\"user_abc\"]");
	struct row_user	 r;
	char		 err[128] = "";

	(void)state;
	assert_int_equal(ingest_user(o, &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not an object"));
	assert_int_equal(ingest_user(NULL, &r, err, sizeof(err)), -1);
	json_decref(o);
}

static void
test_ingest_user_rejects_missing_id(void **state)
{
	json_t		*o = js("{\"email\":\"jane.doe@example.com\"}");
	struct row_user	 r;
	char		 err[128] = "";

	(void)state;
	assert_int_equal(ingest_user(o, &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "id"));
	assert_null(strchr(err, '@'));
	json_decref(o);
}

static void
test_ingest_user_rejects_malformed_ids(void **state)
{
	static const char	*bad[] = { "\"\"", "\"a b\"", "\"../x\"",
				    "\"x/y\"", "42", "null", NULL };
	char			 text[300], big[201];
	struct row_user		 r;
	char			 err[128];
	json_t			*o;
	size_t			 i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++) {
		snprintf(text, sizeof(text), "{\"id\":%s}", bad[i]);
		o = js(text);
		err[0] = '\0';
		assert_int_equal(ingest_user(o, &r, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "malformed id"));
		json_decref(o);
	}
	memset(big, 'u', 200);
	big[200] = '\0';
	snprintf(text, sizeof(text), "{\"id\":\"%s\"}", big);
	o = js(text);
	assert_int_equal(ingest_user(o, &r, err, sizeof(err)), -1);
	json_decref(o);
}

/* ---- ingest_project ---- */

static void
test_ingest_project_active(void **state)
{
	json_t			*o = js("{\"id\":\"proj_abc\",\"object\":"
				    "\"organization.project\",\"name\":"
				    "\"Alpha\",\"created_at\":1700000000,"
				    "\"archived_at\":null,\"status\":\"active\","
				    "\"external_key_id\":null}");
	struct row_project	 r;
	char			 err[128] = "";

	(void)state;
	assert_int_equal(ingest_project(o, &r, err, sizeof(err)), 0);
	assert_string_equal(r.id, "proj_abc");
	assert_string_equal(r.name, "Alpha");
	assert_string_equal(r.status, "active");
	assert_int_equal(r.created_at, 1700000000);
	assert_int_equal(r.archived_at, 0);
	assert_false(r.archived);
	free(r.name);
	json_decref(o);
}

static void
test_ingest_project_archived_by_status(void **state)
{
	json_t			*o = js("{\"id\":\"proj_abc\",\"name\":\"A\","
				    "\"status\":\"archived\"}");
	struct row_project	 r;
	char			 err[128] = "";

	(void)state;
	assert_int_equal(ingest_project(o, &r, err, sizeof(err)), 0);
	assert_true(r.archived);
	assert_int_equal(r.archived_at, 0);
	free(r.name);
	json_decref(o);
}

static void
test_ingest_project_archived_by_archived_at(void **state)
{
	json_t			*o = js("{\"id\":\"proj_abc\",\"name\":\"A\","
				    "\"status\":\"active\",\"archived_at\":"
				    "1710000000}");
	struct row_project	 r;
	char			 err[128] = "";

	(void)state;
	assert_int_equal(ingest_project(o, &r, err, sizeof(err)), 0);
	assert_true(r.archived);
	assert_int_equal(r.archived_at, 1710000000);
	free(r.name);
	json_decref(o);
}

static void
test_ingest_project_missing_name_and_status(void **state)
{
	json_t			*o = js("{\"id\":\"proj_abc\"}");
	struct row_project	 r;
	char			 err[128] = "";

	(void)state;
	assert_int_equal(ingest_project(o, &r, err, sizeof(err)), 0);
	assert_null(r.name);
	assert_null(r.status);
	assert_false(r.archived);
	json_decref(o);
}

static void
test_ingest_project_long_name_cut_on_utf8_boundary(void **state)
{
	struct row_project	 r;
	char			 err[128] = "", *name;
	json_t			*o;
	size_t			 n = INGEST_NAME_MAX - 1;

	(void)state;
	/* 16383 'a' then "é": the cut at 16384 would split the "é". */
	name = malloc(n + 3);
	memset(name, 'a', n);
	memcpy(name + n, "\xc3\xa9", 3);
	o = json_pack("{s:s, s:s}", "id", "proj_abc", "name", name);
	assert_non_null(o);
	assert_int_equal(ingest_project(o, &r, err, sizeof(err)), 0);
	assert_int_equal(strlen(r.name), n);
	assert_memory_equal(r.name, name, n);
	free(r.name);
	free(name);
	json_decref(o);
}

static void
test_ingest_project_rejects_malformed_id(void **state)
{
	json_t			*o = js("{\"id\":\"../etc\",\"name\":\"x\"}");
	struct row_project	 r;
	char			 err[128] = "";

	(void)state;
	assert_int_equal(ingest_project(o, &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "project"));
	json_decref(o);
}

/* ---- ingest_project_key ---- */

static const char *key_current =
    "{\"object\":\"organization.project.api_key\",\"redacted_value\":"
    "\"sk-proj-Ab1...WxYz\",\"name\":\"ci deploy\",\"created_at\":1711471533,"
    "\"last_used_at\":1711471534,\"id\":\"key_abc\",\"owner_project_access\":"
    "\"active\",\"owner\":{\"type\":\"user\",\"user\":{\"id\":\"user_abc\","
    "\"email\":\"jane.doe@example.com\",\"name\":\"Jane Doe\",\"created_at\":"
    "1711471533,\"role\":\"owner\"}}}";

static const char *key_old =
    "{\"object\":\"organization.project.api_key\",\"redacted_value\":"
    "\"sk-Ab1...9876\",\"name\":\"old\",\"created_at\":1600000000,"
    "\"last_used_at\":null,\"id\":\"key_old\",\"owner_project_access\":"
    "\"inactive\",\"owner\":{\"type\":\"user\",\"user\":{\"object\":"
    "\"organization.project.user\",\"id\":\"user_old\",\"name\":\"Jane Doe\","
    "\"email\":\"jane.doe@example.com\",\"role\":\"member\",\"added_at\":"
    "1600000000}}}";

static void
test_ingest_project_key_current_owner_shape(void **state)
{
	json_t		*o = js(key_current);
	struct key_row	 r;
	char		 err[128] = "";

	(void)state;
	assert_int_equal(ingest_project_key(o, "proj_1", &r, err, sizeof(err)),
	    0);
	json_decref(o);
	assert_string_equal(r.id, "key_abc");
	assert_string_equal(r.project_id, "proj_1");
	assert_string_equal(r.name, "ci deploy");
	assert_string_equal(r.owner_type, "user");
	assert_string_equal(r.owner_id, "user_abc");
	assert_string_equal(r.owner_access, "active");
	assert_int_equal(r.type, KEY_PROJECT);
	assert_string_equal(r.redacted, "sk-proj-" ELL "WxYz");
	assert_int_equal(r.created_at, 1711471533);
	assert_int_equal(r.last_used_at, 1711471534);
	assert_int_equal(r.expires_at, 0);
	key_row_free(&r);
}

static void
test_ingest_project_key_old_owner_shape(void **state)
{
	json_t		*o = js(key_old);
	struct key_row	 r;
	char		 err[128] = "";

	(void)state;
	assert_int_equal(ingest_project_key(o, "proj_1", &r, err, sizeof(err)),
	    0);
	json_decref(o);
	assert_string_equal(r.owner_type, "user");
	assert_string_equal(r.owner_id, "user_old");
	assert_string_equal(r.owner_access, "inactive");
	assert_int_equal(r.type, KEY_USER);
	assert_string_equal(r.redacted, "sk-" ELL "9876");
	assert_int_equal(r.last_used_at, 0);
	key_row_free(&r);
}

static void
test_ingest_project_key_row_keeps_no_email(void **state)
{
	json_t		*o;
	struct key_row	 a, b;
	char		 err[128] = "";
	int		 clean;

	(void)state;
	o = js(key_current);
	assert_int_equal(ingest_project_key(o, "proj_1", &a, err, sizeof(err)),
	    0);
	json_decref(o);
	o = js(key_old);
	assert_int_equal(ingest_project_key(o, "proj_1", &b, err, sizeof(err)),
	    0);
	json_decref(o);
	clean = key_row_clean(&a) && key_row_clean(&b);
	key_row_free(&a);
	key_row_free(&b);
	assert_true(clean);
}

static void
test_ingest_project_key_service_account_owner(void **state)
{
	json_t		*o = js("{\"redacted_value\":\"sk-svcacct-Ab1...WxYz\","
			    "\"name\":\"bot\",\"id\":\"key_svc\","
			    "\"owner_project_access\":\"active\",\"owner\":"
			    "{\"type\":\"service_account\",\"service_account\":"
			    "{\"id\":\"svc_1\",\"name\":\"bot\",\"created_at\":"
			    "1,\"role\":\"member\"}}}");
	struct key_row	 r;
	char		 err[128] = "";

	(void)state;
	assert_int_equal(ingest_project_key(o, "proj_1", &r, err, sizeof(err)),
	    0);
	json_decref(o);
	assert_string_equal(r.owner_type, "service_account");
	assert_string_equal(r.owner_id, "svc_1");
	assert_int_equal(r.type, KEY_SVCACCT);
	assert_string_equal(r.redacted, "sk-svcacct-" ELL "WxYz");
	key_row_free(&r);
}

static void
test_ingest_project_key_plain_value_service_account_keeps_last4(void **state)
{
	json_t		*o = js("{\"redacted_value\":\"sk-Non...WxYz\","
			    "\"id\":\"key_svc\",\"owner\":{\"type\":"
			    "\"service_account\",\"service_account\":{\"id\":"
			    "\"svc_1\"}}}");
	struct key_row	 r;
	enum key_type	 type;
	char		 err[128] = "", red[KEY_REDACTED_MAX];
	int		 owned;

	(void)state;
	assert_int_equal(ingest_project_key(o, "proj_1", &r, err, sizeof(err)),
	    0);
	json_decref(o);
	type = r.type;
	owned = r.owner_id != NULL && strcmp(r.owner_id, "svc_1") == 0;
	memcpy(red, r.redacted, sizeof(red));
	key_row_free(&r);
	assert_int_equal(type, KEY_SVCACCT);
	assert_true(owned);
	assert_string_equal(red, "sk-svcacct-" ELL "WxYz");
}

static void
test_ingest_project_key_owner_type_missing_service_account(void **state)
{
	json_t		*o = js("{\"redacted_value\":\"sk-svcacct-Ab1...WxYz\","
			    "\"id\":\"key_1\",\"owner\":{\"service_account\":"
			    "{\"id\":\"svc_2\"}}}");
	struct key_row	 r;
	char		 err[128] = "";

	(void)state;
	assert_int_equal(ingest_project_key(o, "proj_1", &r, err, sizeof(err)),
	    0);
	json_decref(o);
	assert_string_equal(r.owner_type, "service_account");
	assert_string_equal(r.owner_id, "svc_2");
	key_row_free(&r);
}

static void
test_ingest_project_key_owner_type_missing_user(void **state)
{
	json_t		*o = js("{\"redacted_value\":\"sk-proj-Ab1...WxYz\","
			    "\"id\":\"key_1\",\"owner\":{\"user\":{\"id\":"
			    "\"user_3\",\"email\":\"jane.doe@example.com\"}}}");
	struct key_row	 r;
	char		 err[128] = "";

	(void)state;
	assert_int_equal(ingest_project_key(o, "proj_1", &r, err, sizeof(err)),
	    0);
	json_decref(o);
	assert_string_equal(r.owner_type, "user");
	assert_string_equal(r.owner_id, "user_3");
	key_row_free(&r);
}

static void
test_ingest_project_key_type_disagrees_with_owner_object(void **state)
{
	json_t		*o = js("{\"redacted_value\":\"sk-proj-Ab1...WxYz\","
			    "\"id\":\"key_1\",\"owner\":{\"type\":\"user\","
			    "\"service_account\":{\"id\":\"svc_9\"}}}");
	struct key_row	 r;
	char		 err[128] = "";

	(void)state;
	/* Shape drift: take whichever owner object is present. */
	assert_int_equal(ingest_project_key(o, "proj_1", &r, err, sizeof(err)),
	    0);
	json_decref(o);
	assert_string_equal(r.owner_id, "svc_9");
	key_row_free(&r);
}

static void
test_ingest_project_key_no_owner(void **state)
{
	json_t		*o = js("{\"redacted_value\":\"sk-proj-Ab1...WxYz\","
			    "\"id\":\"key_1\"}");
	struct key_row	 r;
	char		 err[128] = "";

	(void)state;
	assert_int_equal(ingest_project_key(o, "proj_1", &r, err, sizeof(err)),
	    0);
	json_decref(o);
	assert_string_equal(r.owner_type, "user");
	assert_null(r.owner_id);
	assert_null(r.owner_access);
	assert_null(r.name);
	key_row_free(&r);
}

static void
test_ingest_project_key_malformed_owner_id_dropped(void **state)
{
	json_t		*o = js("{\"redacted_value\":\"sk-proj-Ab1...WxYz\","
			    "\"id\":\"key_1\",\"owner\":{\"type\":\"user\","
			    "\"user\":{\"id\":\"jane.doe@example.com\"}}}");
	struct key_row	 r;
	char		 err[128] = "";

	(void)state;
	assert_int_equal(ingest_project_key(o, "proj_1", &r, err, sizeof(err)),
	    0);
	json_decref(o);
	assert_null(r.owner_id);
	key_row_free(&r);
}

static void
test_ingest_project_key_access_only_active_or_inactive(void **state)
{
	static const char	*vals[] = { "\"any\"", "\"ACTIVE\"", "\"\"",
				    "1", "null", "true", NULL };
	char			 text[256], err[128];
	struct key_row		 r;
	json_t			*o;
	size_t			 i;

	(void)state;
	for (i = 0; vals[i] != NULL; i++) {
		snprintf(text, sizeof(text), "{\"id\":\"key_1\","
		    "\"redacted_value\":\"sk-proj-Ab1...WxYz\","
		    "\"owner_project_access\":%s}", vals[i]);
		o = js(text);
		assert_int_equal(ingest_project_key(o, "proj_1", &r, err,
		    sizeof(err)), 0);
		json_decref(o);
		if (r.owner_access != NULL) {
			key_row_free(&r);
			fail_msg("kept owner_project_access %s", vals[i]);
		}
		key_row_free(&r);
	}
}

static void
test_ingest_project_key_long_name_kept_and_owned(void **state)
{
	json_t		*o = js("{\"id\":\"key_1\",\"redacted_value\":"
			    "\"sk-proj-Ab1...WxYz\",\"name\":\"caf\xc3\xa9 "
			    "key\"}");
	struct key_row	 r;
	char		 err[128] = "";

	(void)state;
	assert_int_equal(ingest_project_key(o, "proj_1", &r, err, sizeof(err)),
	    0);
	json_decref(o);	/* the row owns its strings */
	assert_string_equal(r.name, "caf\xc3\xa9 key");
	assert_string_equal(r.id, "key_1");
	key_row_free(&r);
	assert_null(r.id);
	assert_null(r.name);
}

static void
test_ingest_project_key_rejects_malformed_ids(void **state)
{
	static const char	*bad[] = { "", "a b", "../x", "x/y", NULL };
	char			 text[400], big[201];
	struct key_row		 r;
	char			 err[128];
	json_t			*o;
	size_t			 i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++) {
		snprintf(text, sizeof(text), "{\"id\":\"%s\",\"redacted_value\":"
		    "\"sk-proj-Ab1...WxYz\"}", bad[i]);
		o = js(text);
		err[0] = '\0';
		assert_int_equal(ingest_project_key(o, "proj_1", &r, err,
		    sizeof(err)), -1);
		assert_non_null(strstr(err, "malformed id"));
		assert_null(r.id);
		json_decref(o);
	}
	memset(big, 'k', 200);
	big[200] = '\0';
	snprintf(text, sizeof(text), "{\"id\":\"%s\"}", big);
	o = js(text);
	assert_int_equal(ingest_project_key(o, "proj_1", &r, err, sizeof(err)),
	    -1);
	json_decref(o);
}

static void
child_project_key_without_value(int fd)
{
	json_t		*o = json_loads("{\"id\":\"key_1\",\"owner\":{\"type\":"
			    "\"user\",\"user\":{\"id\":\"user_1\"}}}", 0, NULL);
	struct key_row	 r;
	char		 err[128], res[128];
	int		 rc;

	rc = ingest_project_key(o, "proj_1", &r, err, sizeof(err));
	snprintf(res, sizeof(res), "%d %d %s", rc, (int)r.type, r.redacted);
	if (write(fd, res, strlen(res)) < 0)
		_exit(3);
	key_row_free(&r);
	json_decref(o);
}

/* No redacted_value at all: lenient, the row has the bare prefix. */
static void
test_ingest_project_key_missing_redacted_value(void **state)
{
	char	 res[128], want[64];
	int	 st;

	(void)state;
	st = in_child(child_project_key_without_value, res, sizeof(res));
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	snprintf(want, sizeof(want), "0 %d sk-" ELL, (int)KEY_USER);
	assert_string_equal(res, want);
}

/* ---- ingest_admin_key ---- */

static const char *admin_key =
    "{\"object\":\"organization.admin_api_key\",\"id\":\"key_adm\",\"name\":"
    "\"Main\",\"redacted_value\":\"sk-admin-Ab1...WxYz\",\"created_at\":"
    "1700000000,\"expires_at\":1800000000,\"last_used_at\":1750000000,"
    "\"owner\":{\"type\":\"user\",\"object\":\"organization.user\",\"id\":"
    "\"user_abc\",\"name\":\"Jane Doe\",\"created_at\":1600000000,\"role\":"
    "\"owner\"}}";

static void
test_ingest_admin_key_fields(void **state)
{
	json_t		*o = js(admin_key);
	struct key_row	 r;
	char		 err[128] = "";

	(void)state;
	assert_int_equal(ingest_admin_key(o, &r, err, sizeof(err)), 0);
	json_decref(o);
	assert_string_equal(r.id, "key_adm");
	assert_null(r.project_id);
	assert_string_equal(r.name, "Main");
	assert_int_equal(r.type, KEY_ADMIN);
	assert_string_equal(r.redacted, "sk-admin-" ELL "WxYz");
	assert_string_equal(r.owner_type, "user");
	assert_string_equal(r.owner_id, "user_abc");
	assert_null(r.owner_access);
	assert_int_equal(r.created_at, 1700000000);
	assert_int_equal(r.expires_at, 1800000000);
	assert_int_equal(r.last_used_at, 1750000000);
	key_row_free(&r);
}

static void
test_ingest_admin_key_dashless_redacted_value(void **state)
{
	json_t		*o = js("{\"id\":\"key_adm\",\"redacted_value\":"
			    "\"sk-admin...xyz\"}");
	struct key_row	 r;
	char		 err[128] = "";

	(void)state;
	assert_int_equal(ingest_admin_key(o, &r, err, sizeof(err)), 0);
	json_decref(o);
	assert_string_equal(r.redacted, "sk-admin-" ELL "xyz");
	key_row_free(&r);
}

static void
test_ingest_admin_key_service_account_owner(void **state)
{
	json_t		*o = js("{\"id\":\"key_adm\",\"redacted_value\":"
			    "\"sk-admin-Ab1...WxYz\",\"owner\":{\"type\":"
			    "\"service_account\",\"object\":"
			    "\"organization.service_account\",\"id\":\"svc_7\","
			    "\"name\":\"ci\",\"role\":\"owner\"}}");
	struct key_row	 r;
	char		 err[128] = "";

	(void)state;
	assert_int_equal(ingest_admin_key(o, &r, err, sizeof(err)), 0);
	json_decref(o);
	assert_string_equal(r.owner_type, "service_account");
	assert_string_equal(r.owner_id, "svc_7");
	key_row_free(&r);
}

static void
test_ingest_admin_key_unknown_owner_type_is_user(void **state)
{
	json_t		*o = js("{\"id\":\"key_adm\",\"redacted_value\":"
			    "\"sk-admin-Ab1...WxYz\",\"owner\":{\"type\":"
			    "\"robot\",\"id\":\"r_1\"}}");
	struct key_row	 r;
	char		 err[128] = "";

	(void)state;
	assert_int_equal(ingest_admin_key(o, &r, err, sizeof(err)), 0);
	json_decref(o);
	assert_string_equal(r.owner_type, "user");
	key_row_free(&r);
}

static void
test_ingest_admin_key_no_expiry(void **state)
{
	json_t		*o = js("{\"id\":\"key_adm\",\"redacted_value\":"
			    "\"sk-admin-Ab1...WxYz\",\"expires_at\":null,"
			    "\"last_used_at\":null}");
	struct key_row	 r;
	char		 err[128] = "";

	(void)state;
	assert_int_equal(ingest_admin_key(o, &r, err, sizeof(err)), 0);
	json_decref(o);
	assert_int_equal(r.expires_at, 0);
	assert_int_equal(r.last_used_at, 0);
	assert_null(r.owner_id);
	key_row_free(&r);
}

static void
test_ingest_admin_key_rejects_malformed_id(void **state)
{
	json_t		*o = js("{\"id\":\"x/y\",\"redacted_value\":"
			    "\"sk-admin-Ab1...WxYz\"}");
	struct key_row	 r;
	char		 err[128] = "";

	(void)state;
	assert_int_equal(ingest_admin_key(o, &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "admin API key"));
	json_decref(o);
}

static void
child_admin_key_without_value(int fd)
{
	json_t		*o = json_loads("{\"id\":\"key_adm\"}", 0, NULL);
	struct key_row	 r;
	char		 err[128], res[128];
	int		 rc;

	rc = ingest_admin_key(o, &r, err, sizeof(err));
	snprintf(res, sizeof(res), "%d %s", rc, r.redacted);
	if (write(fd, res, strlen(res)) < 0)
		_exit(3);
	key_row_free(&r);
	json_decref(o);
}

static void
test_ingest_admin_key_missing_redacted_value(void **state)
{
	char	 res[128];
	int	 st;

	(void)state;
	st = in_child(child_admin_key_without_value, res, sizeof(res));
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_string_equal(res, "0 sk-admin-" ELL);
}

/* ---- ingest_svcacct / ingest_projuser / ingest_invite ---- */

static void
test_ingest_svcacct_fields(void **state)
{
	json_t			*o = js("{\"object\":"
				    "\"organization.project.service_account\","
				    "\"id\":\"svc_1\",\"name\":\"deploy bot\","
				    "\"role\":\"member\",\"created_at\":1700000000}");
	struct row_svcacct	 r;
	char			 err[128] = "";

	(void)state;
	assert_int_equal(ingest_svcacct(o, &r, err, sizeof(err)), 0);
	assert_string_equal(r.id, "svc_1");
	assert_string_equal(r.name, "deploy bot");
	assert_string_equal(r.role, "member");
	assert_int_equal(r.created_at, 1700000000);
	free(r.name);
	json_decref(o);
}

static void
test_ingest_projuser_hashes_email(void **state)
{
	json_t			*o = js("{\"object\":\"organization.project.user\","
				    "\"id\":\"user_abc\",\"name\":\"Jane Doe\","
				    "\"email\":\"JANE.DOE@EXAMPLE.COM\",\"role\":"
				    "\"owner\",\"added_at\":1700000000}");
	struct row_projuser	 r;
	char			 err[128] = "";
	int			 clean;

	(void)state;
	assert_int_equal(ingest_projuser(o, &r, err, sizeof(err)), 0);
	assert_string_equal(r.user_id, "user_abc");
	assert_string_equal(r.email_sha256, JANE_HEX);
	assert_string_equal(r.email_prefix, "jane");
	assert_string_equal(r.role, "owner");
	assert_int_equal(r.added_at, 1700000000);
	clean = bytes_clean(r.email_sha256, sizeof(r.email_sha256)) &&
	    memchr(r.email_prefix, '@', sizeof(r.email_prefix)) == NULL;
	json_decref(o);
	assert_true(clean);
}

static void
test_ingest_projuser_missing_email(void **state)
{
	json_t			*o = js("{\"id\":\"user_abc\"}");
	struct row_projuser	 r;
	char			 err[128] = "";

	(void)state;
	assert_int_equal(ingest_projuser(o, &r, err, sizeof(err)), 0);
	assert_string_equal(r.email_sha256, "");
	assert_string_equal(r.email_prefix, "");
	json_decref(o);
}

static void
test_ingest_invite_hashes_email(void **state)
{
	json_t			*o = js("{\"object\":\"organization.invite\","
				    "\"id\":\"invite-abc\",\"email\":"
				    "\" jane.doe@example.com \",\"role\":"
				    "\"reader\",\"status\":\"accepted\","
				    "\"created_at\":1700000000,\"expires_at\":"
				    "1700600000,\"accepted_at\":1700000100,"
				    "\"projects\":[{\"id\":\"proj_1\",\"role\":"
				    "\"member\"}]}");
	struct row_invite	 r;
	char			 err[128] = "";
	int			 clean;

	(void)state;
	assert_int_equal(ingest_invite(o, &r, err, sizeof(err)), 0);
	assert_string_equal(r.id, "invite-abc");
	assert_string_equal(r.email_sha256, JANE_HEX);
	assert_string_equal(r.email_prefix, "jane");
	assert_string_equal(r.role, "reader");
	assert_string_equal(r.status, "accepted");
	assert_int_equal(r.created_at, 1700000000);
	assert_int_equal(r.expires_at, 1700600000);
	assert_int_equal(r.accepted_at, 1700000100);
	clean = bytes_clean(r.email_sha256, sizeof(r.email_sha256)) &&
	    memchr(r.email_prefix, '@', sizeof(r.email_prefix)) == NULL &&
	    str_clean(r.id) && str_clean(r.role) && str_clean(r.status);
	json_decref(o);
	assert_true(clean);
}

static void
test_ingest_invite_pending_has_no_accepted_at(void **state)
{
	json_t			*o = js("{\"id\":\"invite-abc\",\"email\":"
				    "\"x@y.z\",\"status\":\"pending\","
				    "\"accepted_at\":null}");
	struct row_invite	 r;
	char			 err[128] = "";

	(void)state;
	assert_int_equal(ingest_invite(o, &r, err, sizeof(err)), 0);
	assert_int_equal(r.accepted_at, 0);
	assert_string_equal(r.status, "pending");
	json_decref(o);
}

static void
test_ingest_invite_rejects_malformed_id(void **state)
{
	json_t			*o = js("{\"id\":\"a b\",\"email\":"
				    "\"jane.doe@example.com\"}");
	struct row_invite	 r;
	char			 err[128] = "";

	(void)state;
	assert_int_equal(ingest_invite(o, &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "invite"));
	assert_null(strchr(err, '@'));
	json_decref(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ingest_id_ok_accepts_openai_ids),
		cmocka_unit_test(test_ingest_id_ok_rejects_malformed),
		cmocka_unit_test(test_ingest_id_ok_rejects_over_128_chars),
		cmocka_unit_test(test_ingest_id_ok_rejects_dot_segments),
		cmocka_unit_test(test_ingest_user_hashes_email),
		cmocka_unit_test(test_ingest_user_row_keeps_no_address),
		cmocka_unit_test(test_ingest_user_short_local_part_keeps_no_address),
		cmocka_unit_test(test_ingest_user_missing_fields),
		cmocka_unit_test(test_ingest_user_null_and_wrong_typed_fields),
		cmocka_unit_test(test_ingest_user_unknown_fields),
		cmocka_unit_test(test_ingest_user_negative_time_is_zero),
		cmocka_unit_test(test_ingest_user_rejects_non_object),
		cmocka_unit_test(test_ingest_user_rejects_missing_id),
		cmocka_unit_test(test_ingest_user_rejects_malformed_ids),
		cmocka_unit_test(test_ingest_project_active),
		cmocka_unit_test(test_ingest_project_archived_by_status),
		cmocka_unit_test(test_ingest_project_archived_by_archived_at),
		cmocka_unit_test(test_ingest_project_missing_name_and_status),
		cmocka_unit_test(test_ingest_project_long_name_cut_on_utf8_boundary),
		cmocka_unit_test(test_ingest_project_rejects_malformed_id),
		cmocka_unit_test(test_ingest_project_key_current_owner_shape),
		cmocka_unit_test(test_ingest_project_key_old_owner_shape),
		cmocka_unit_test(test_ingest_project_key_row_keeps_no_email),
		cmocka_unit_test(test_ingest_project_key_service_account_owner),
		cmocka_unit_test(test_ingest_project_key_plain_value_service_account_keeps_last4),
		cmocka_unit_test(test_ingest_project_key_owner_type_missing_service_account),
		cmocka_unit_test(test_ingest_project_key_owner_type_missing_user),
		cmocka_unit_test(test_ingest_project_key_type_disagrees_with_owner_object),
		cmocka_unit_test(test_ingest_project_key_no_owner),
		cmocka_unit_test(test_ingest_project_key_malformed_owner_id_dropped),
		cmocka_unit_test(test_ingest_project_key_access_only_active_or_inactive),
		cmocka_unit_test(test_ingest_project_key_long_name_kept_and_owned),
		cmocka_unit_test(test_ingest_project_key_rejects_malformed_ids),
		cmocka_unit_test(test_ingest_project_key_missing_redacted_value),
		cmocka_unit_test(test_ingest_admin_key_fields),
		cmocka_unit_test(test_ingest_admin_key_dashless_redacted_value),
		cmocka_unit_test(test_ingest_admin_key_service_account_owner),
		cmocka_unit_test(test_ingest_admin_key_unknown_owner_type_is_user),
		cmocka_unit_test(test_ingest_admin_key_no_expiry),
		cmocka_unit_test(test_ingest_admin_key_rejects_malformed_id),
		cmocka_unit_test(test_ingest_admin_key_missing_redacted_value),
		cmocka_unit_test(test_ingest_svcacct_fields),
		cmocka_unit_test(test_ingest_projuser_hashes_email),
		cmocka_unit_test(test_ingest_projuser_missing_email),
		cmocka_unit_test(test_ingest_invite_hashes_email),
		cmocka_unit_test(test_ingest_invite_pending_has_no_accepted_at),
		cmocka_unit_test(test_ingest_invite_rejects_malformed_id),
	};

	return cmocka_run_group_tests_name("ingest", tests, NULL, NULL);
}
