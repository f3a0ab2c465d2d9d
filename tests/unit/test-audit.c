/*
 * test-audit.c: unit tests for src/audit-entry.h: which fields are kept, how
 * addresses are replaced, the canonical bytes and the chain's hash.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit-entry.h"

#define ALICE_SHA256 \
	"ff8d9819fc0e12bf0d24892e45987e249a28dce836a85cad60e28eaaa8c6d976"

/* Prepares text (whose root is the entry); 0 or -1 like audit_prepare. */
static int
prepare(const char *text, struct audit_row *r)
{
	struct jdoc	 d;
	char		 err[256];
	int		 rc;

	if (jscan_parse(&d, text, strlen(text), err, sizeof(err)) != 0)
		fail_msg("bad test JSON: %s", err);
	rc = audit_prepare(&d, 0, r, err, sizeof(err));
	jscan_free(&d);
	return rc;
}

/* The canonical, scrubbed bytes of text: free() them. */
static char *
canon(const char *text)
{
	struct jdoc	 d;
	struct buf	 b = { 0 };
	char		 err[256];

	if (jscan_parse(&d, text, strlen(text), err, sizeof(err)) != 0)
		fail_msg("bad test JSON: %s", err);
	assert_int_equal(audit_canon(&d, 0, &b), 0);
	jscan_free(&d);
	return buf_take(&b);
}

static void
test_audit_session_actor_columns(void **state)
{
	struct audit_row	 r;

	(void)state;
	assert_int_equal(prepare("{\"id\":\"audit_log-1\",\"type\":"
	    "\"api_key.created\",\"effective_at\":1700000000,\"project\":"
	    "{\"id\":\"proj_a\",\"name\":\"A\"},\"actor\":{\"type\":"
	    "\"session\",\"session\":{\"user\":{\"id\":\"user_1\",\"email\":"
	    "\"alice@example.com\"},\"ip_address\":\"10.0.0.1\"}},"
	    "\"api_key.created\":{\"id\":\"key_9\",\"data\":{\"scopes\":"
	    "[\"/v1/*\"]}}}", &r), 0);
	assert_string_equal(r.id, "audit_log-1");
	assert_string_equal(r.type, "api_key.created");
	assert_int_equal(r.effective_at, 1700000000);
	assert_string_equal(r.actor_type, "session");
	assert_string_equal(r.actor_id, "user_1");
	assert_null(r.actor_key_id);
	assert_string_equal(r.actor_email_sha256, ALICE_SHA256);
	assert_string_equal(r.actor_email_prefix, "alic");
	assert_string_equal(r.project_id, "proj_a");
	assert_string_equal(r.target_id, "key_9");
	assert_null(strstr(r.body, "alice@"));
	assert_non_null(strstr(r.body, "\"email\":\"sha256:" ALICE_SHA256
	    "\""));
	assert_non_null(strstr(r.body, "\"email_prefix\":\"alic\""));
	assert_non_null(strstr(r.body, "\"ip_address\":\"10.0.0.1\""));
	audit_row_free(&r);
}

static void
test_audit_api_key_actor_service_account(void **state)
{
	struct audit_row	 r;

	(void)state;
	assert_int_equal(prepare("{\"id\":\"audit_log-2\",\"type\":"
	    "\"project.updated\",\"effective_at\":5,\"actor\":{\"type\":"
	    "\"api_key\",\"api_key\":{\"id\":\"key_x\",\"type\":"
	    "\"service_account\",\"service_account\":{\"id\":\"svc_1\"}}}}",
	    &r), 0);
	assert_string_equal(r.actor_type, "api_key");
	assert_string_equal(r.actor_id, "svc_1");
	assert_string_equal(r.actor_key_id, "key_x");
	assert_string_equal(r.actor_email_sha256, "");
	assert_null(r.project_id);
	assert_null(r.target_id);
	audit_row_free(&r);
}

/*
 * Unknown types and fields are kept; keys sorted; compact; ASCII only,
 * with jansson's upper-case \u escapes.
 */
static void
test_audit_canonical_bytes(void **state)
{
	struct audit_row	 r;

	(void)state;
	assert_int_equal(prepare("{ \"z\" : [3, 2.5, null, true],"
	    "\"type\": \"tenant.ghost.enabled\", \"effective_at\": 7,"
	    "\"id\": \"audit_log-3\", \"a\": {\"y\": \"caf\\u00e9 \\u2603\","
	    "\"b\": {}} }", &r), 0);
	assert_string_equal(r.body, "{\"a\":{\"b\":{},\"y\":\"caf\\u00E9 "
	    "\\u2603\"},\"effective_at\":7,\"id\":\"audit_log-3\",\"type\":"
	    "\"tenant.ghost.enabled\",\"z\":[3,2.5,null,true]}");
	assert_int_equal(r.body_len, strlen(r.body));
	audit_row_free(&r);
}

/* The same entry, written differently, gives the same bytes. */
static void
test_audit_canonical_is_stable(void **state)
{
	struct audit_row	 a, b;

	(void)state;
	assert_int_equal(prepare("{\"id\":\"audit_log-4\",\"type\":\"t\","
	    "\"effective_at\":9,\"x\":{\"q\":1,\"p\":\"\\u00e9\"}}", &a), 0);
	assert_int_equal(prepare("{\"x\":{\"p\":\"\xc3\xa9\",\"q\":1},"
	    "\"effective_at\":9,\"type\":\"t\",\"id\":\"audit_log-4\"}", &b),
	    0);
	assert_string_equal(a.body, b.body);
	audit_row_free(&a);
	audit_row_free(&b);
}

/* Addresses anywhere: values, arrays, free text, keys. */
static void
test_audit_scrub_everywhere(void **state)
{
	char	*s;

	(void)state;
	s = canon("{\"invite.sent\":{\"data\":{\"email\":\"Bob@Corp.io\","
	    "\"cc\":[\"carol@corp.io\",\"not an address\"],\"note\":"
	    "\"ask dave@corp.io now\",\"key\":\"sk-proj-abcdefghij"
	    "klmnopqrstuvwxyz1234\",\"erin@corp.io\":true}},"
	    "\"id\":\"audit_log-9\"}");
	assert_null(strstr(s, "Bob@"));
	assert_null(strstr(s, "carol@"));
	assert_null(strstr(s, "dave@"));
	assert_null(strstr(s, "erin@"));
	assert_null(strstr(s, "abcdefghijklmnop"));
	assert_non_null(strstr(s, "\"email_prefix\":\"bob\""));
	assert_non_null(strstr(s, "\"not an address\""));
	assert_non_null(strstr(s, "ask "));
	assert_non_null(strstr(s, "\"id\":\"audit_log-9\""));
	free(s);
}

/* The made "<key>_prefix" member replaces one the entry had. */
static void
test_audit_prefix_member_wins(void **state)
{
	char	*s;

	(void)state;
	s = canon("{\"email_prefix\":\"forged\",\"email\":\"ann@x.io\"}");
	assert_string_equal(s, "{\"email\":\"sha256:"
	    "31122705444181b10221d3b55cfc293b23730cb63db6fd4b2ea5a33a35aa510a"
	    "\",\"email_prefix\":\"ann\"}");
	free(s);
	/* Of repeated keys the last is kept, as jansson keeps it. */
	s = canon("{\"a\":1,\"b\":2,\"a\":3}");
	assert_string_equal(s, "{\"a\":3,\"b\":2}");
	free(s);
}

static void
test_audit_refuses_unusable_entries(void **state)
{
	struct audit_row	 r;
	struct jdoc		 d;
	char			*pad, err[256];
	size_t			 n;

	(void)state;
	assert_int_equal(prepare("[]", &r), -1);
	assert_int_equal(prepare("{\"type\":\"t\",\"effective_at\":1}", &r),
	    -1);
	assert_int_equal(prepare("{\"id\":\"a b\",\"type\":\"t\","
	    "\"effective_at\":1}", &r), -1);
	assert_int_equal(prepare("{\"id\":\"x\",\"effective_at\":1}", &r), -1);
	assert_int_equal(prepare("{\"id\":\"x\",\"type\":\"\","
	    "\"effective_at\":1}", &r), -1);
	assert_int_equal(prepare("{\"id\":\"x\",\"type\":\"t\","
	    "\"effective_at\":\"1\"}", &r), -1);
	assert_int_equal(prepare("{\"id\":\"x\",\"type\":\"t\","
	    "\"effective_at\":0}", &r), -1);
	/* Over the size limit. */
	pad = malloc(AUDIT_BODY_MAX + 100);
	n = (size_t)snprintf(pad, 100, "{\"id\":\"x\",\"type\":\"t\","
	    "\"effective_at\":1,\"pad\":\"");
	memset(pad + n, 'a', AUDIT_BODY_MAX);
	memcpy(pad + n + AUDIT_BODY_MAX, "\"}", 3);
	assert_int_equal(jscan_parse(&d, pad, strlen(pad), err, sizeof(err)),
	    0);
	assert_int_equal(audit_prepare(&d, 0, &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too large"));
	assert_null(r.id);
	jscan_free(&d);
	free(pad);
}

/* Random values, from a fixed seed, for the differential test below. */
static uint32_t	 rng_state = 12345;

static uint32_t
rng(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return rng_state >> 8;
}

/* Strings without addresses or key-like tokens: scrubbing keeps them. */
static json_t *
random_string(void)
{
	static const char *const	 parts[] = { "a", "Z", "/", "\"",
	    "\\", "\n", "\t", "\b", "\f", "\r", "\x01", "\x1f", "\x7f",
	    "\xc3\xa9", "\xe2\x98\x83", "\xf0\x9f\x98\x80",
	    "\xef\xbf\xbf", "\xe2\x80\xa8", "key", "sha256:", " ", "s", "k" };
	char				 s[128];
	size_t				 i, n = rng() % 8;

	s[0] = '\0';
	for (i = 0; i < n; i++)
		strcat(s, parts[rng() % (sizeof(parts) / sizeof(parts[0]))]);
	if (strstr(s, "sk-") != NULL)
		s[0] = '\0';
	return json_string(s);
}

static json_t *
random_value(int depth)
{
	json_t	*v, *k;
	size_t	 i, n;

	switch (depth > 3 ? rng() % 5 : rng() % 7) {
	case 0:
		return json_integer((json_int_t)rng() - (1 << 23));
	case 1:
		return json_real((double)(int32_t)rng() / ((rng() % 1000) +
		    1));
	case 2:
		return random_string();
	case 3:
		return rng() % 2 ? json_true() : json_false();
	case 4:
		return json_null();
	case 5:
		v = json_array();
		for (i = 0, n = rng() % 5; i < n; i++)
			json_array_append_new(v, random_value(depth + 1));
		return v;
	default:
		v = json_object();
		for (i = 0, n = rng() % 40; i < n; i++) {
			k = random_string();
			json_object_set_new(v, json_string_value(k),
			    random_value(depth + 1));
			json_decref(k);
		}
		return v;
	}
}

/*
 * audit_canon writes exactly what jansson's sorted ASCII dump writes, for
 * any text jansson writes (unsorted, raw UTF-8, reals included).
 */
static void
test_audit_canon_matches_jansson(void **state)
{
	json_t	*v;
	char	*text, *want, *got;
	int	 i;

	(void)state;
	for (i = 0; i < 3000; i++) {
		v = json_object();
		json_object_set_new(v, "v", random_value(0));
		json_object_set_new(v, "w", random_value(0));
		want = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS |
		    JSON_ENSURE_ASCII);
		text = json_dumps(v, i % 2 ? JSON_INDENT(1) : 0);
		got = canon(text);
		assert_string_equal(got, want);
		free(got);
		free(want);
		free(text);
		json_decref(v);
	}
}

/* hash = SHA-256(prev || body), checked against an independent value. */
static void
test_audit_hash_vector(void **state)
{
	static const unsigned char	 zero[AUDIT_HASH_LEN];
	unsigned char			 out[AUDIT_HASH_LEN], out2[AUDIT_HASH_LEN];
	char				 hex[2 * AUDIT_HASH_LEN + 1];
	size_t				 i;

	(void)state;
	audit_hash(zero, "{}", 2, out);
	for (i = 0; i < AUDIT_HASH_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", out[i]);
	assert_string_equal(hex, "fb1634c4e6cd4b1f1afe3ce2d6ef080f"
	    "7ac5d1f357d723ad4dfca782733b62db");
	/* Chained: a different predecessor, a different hash. */
	audit_hash(out, "{}", 2, out2);
	assert_memory_not_equal(out, out2, AUDIT_HASH_LEN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_audit_session_actor_columns),
		cmocka_unit_test(test_audit_api_key_actor_service_account),
		cmocka_unit_test(test_audit_canonical_bytes),
		cmocka_unit_test(test_audit_canonical_is_stable),
		cmocka_unit_test(test_audit_scrub_everywhere),
		cmocka_unit_test(test_audit_refuses_unusable_entries),
		cmocka_unit_test(test_audit_prefix_member_wins),
		cmocka_unit_test(test_audit_canon_matches_jansson),
		cmocka_unit_test(test_audit_hash_vector),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
