/*
 * test-redact.c: unit tests for src/redact.h (key types, key redaction,
 * the admin-key refusal, email hashing and free-text scrubbing).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "redact.h"

#define ELL "\xe2\x80\xa6"	/* U+2026 HORIZONTAL ELLIPSIS */

/* sha256("jane.doe@example.com") */
#define JANE_HEX \
	"86e0b9e56c17cc4d12387e1949b85053fbe73bc3ce5a1188713a9d300cc6133d"

/* Scrubs into a static copy, so a failing assertion leaks nothing. */
static const char *
scrub(const char *in)
{
	static char	 out[1024];
	struct buf	 b = { 0 };

	redact_text(in, &b);
	assert_true(b.len < sizeof(out));
	memcpy(out, b.p, b.len + 1);
	buf_free(&b);
	return out;
}

/* ---- key_type_name / key_type_from_name / key_type_prefix ---- */

static void
test_key_type_name_each_type(void **state)
{
	(void)state;
	assert_string_equal(key_type_name(KEY_ADMIN), "admin");
	assert_string_equal(key_type_name(KEY_PROJECT), "project");
	assert_string_equal(key_type_name(KEY_SVCACCT), "service_account");
	assert_string_equal(key_type_name(KEY_USER), "user");
	assert_null(key_type_name(KEY_UNKNOWN));
	assert_null(key_type_name(KEY__MAX));
}

static void
test_key_type_from_name_round_trip(void **state)
{
	int	 t;

	(void)state;
	for (t = KEY_UNKNOWN + 1; t < KEY__MAX; t++)
		assert_int_equal(key_type_from_name(key_type_name(
		    (enum key_type)t)), t);
}

static void
test_key_type_from_name_unknown_names(void **state)
{
	(void)state;
	assert_int_equal(key_type_from_name(""), KEY_UNKNOWN);
	assert_int_equal(key_type_from_name("Admin"), KEY_UNKNOWN);
	assert_int_equal(key_type_from_name("svcacct"), KEY_UNKNOWN);
	assert_int_equal(key_type_from_name("admin "), KEY_UNKNOWN);
}

static void
test_key_type_prefix_each_type(void **state)
{
	(void)state;
	assert_string_equal(key_type_prefix(KEY_ADMIN), "sk-admin-");
	assert_string_equal(key_type_prefix(KEY_PROJECT), "sk-proj-");
	assert_string_equal(key_type_prefix(KEY_SVCACCT), "sk-svcacct-");
	assert_string_equal(key_type_prefix(KEY_USER), "sk-");
	assert_string_equal(key_type_prefix(KEY_UNKNOWN), "");
}

/* ---- key_type_of ---- */

static void
test_key_type_of_admin_full_key(void **state)
{
	(void)state;
	assert_int_equal(key_type_of("sk-admin-AbCdEf0123456789"), KEY_ADMIN);
}

static void
test_key_type_of_admin_dashless_redacted(void **state)
{
	(void)state;
	assert_int_equal(key_type_of("sk-admin...xyz"), KEY_ADMIN);
	assert_int_equal(key_type_of("sk-admin**********abcd"), KEY_ADMIN);
	assert_int_equal(key_type_of("sk-admin"), KEY_ADMIN);
}

static void
test_key_type_of_project(void **state)
{
	(void)state;
	assert_int_equal(key_type_of("sk-proj-Ab1...WxYz"), KEY_PROJECT);
	assert_int_equal(key_type_of("sk-proj...WxYz"), KEY_PROJECT);
	assert_int_equal(key_type_of("sk-proj-0123456789abcdef"), KEY_PROJECT);
}

static void
test_key_type_of_svcacct(void **state)
{
	(void)state;
	assert_int_equal(key_type_of("sk-svcacct-Ab1...WxYz"), KEY_SVCACCT);
	assert_int_equal(key_type_of("sk-svcacct...WxYz"), KEY_SVCACCT);
	assert_int_equal(key_type_of("sk-svcacct-0123456789abcdef"),
	    KEY_SVCACCT);
}

static void
test_key_type_of_plain_sk_is_legacy_user(void **state)
{
	(void)state;
	assert_int_equal(key_type_of("sk-abc...WxYz"), KEY_USER);
	assert_int_equal(key_type_of("sk-0123456789abcdefABCDEF"), KEY_USER);
	assert_int_equal(key_type_of("sk-None-abc...WxYz"), KEY_USER);
}

static void
test_key_type_of_specific_prefix_needs_separator(void **state)
{
	(void)state;
	/* "sk-adminXYZ" is a legacy key that happens to start "admin". */
	assert_int_equal(key_type_of("sk-adminXYZ123"), KEY_USER);
	assert_int_equal(key_type_of("sk-project1234"), KEY_USER);
	assert_int_equal(key_type_of("sk-svcacctor99"), KEY_USER);
}

static void
test_key_type_of_non_keys(void **state)
{
	(void)state;
	assert_int_equal(key_type_of(NULL), KEY_UNKNOWN);
	assert_int_equal(key_type_of(""), KEY_UNKNOWN);
	assert_int_equal(key_type_of("sk"), KEY_UNKNOWN);
	assert_int_equal(key_type_of("sk_live_abc"), KEY_UNKNOWN);
	assert_int_equal(key_type_of("pk-admin-abc"), KEY_UNKNOWN);
	assert_int_equal(key_type_of("SK-admin-abc"), KEY_UNKNOWN);
	assert_int_equal(key_type_of(" sk-admin-abc"), KEY_UNKNOWN);
	assert_int_equal(key_type_of("oat_abcdef"), KEY_UNKNOWN);
}

/* ---- key_classify ---- */

static void
test_key_classify_specific_prefix_wins_over_owner(void **state)
{
	(void)state;
	assert_int_equal(key_classify("sk-proj-Ab1...WxYz",
	    "service_account"), KEY_PROJECT);
	assert_int_equal(key_classify("sk-svcacct-Ab1...WxYz", "user"),
	    KEY_SVCACCT);
	assert_int_equal(key_classify("sk-admin...xyz", "user"), KEY_ADMIN);
}

static void
test_key_classify_plain_sk_owned_by_service_account(void **state)
{
	(void)state;
	assert_int_equal(key_classify("sk-abc...WxYz", "service_account"),
	    KEY_SVCACCT);
}

static void
test_key_classify_plain_sk_owned_by_user(void **state)
{
	(void)state;
	assert_int_equal(key_classify("sk-abc...WxYz", "user"), KEY_USER);
	assert_int_equal(key_classify("sk-abc...WxYz", NULL), KEY_USER);
}

static void
test_key_classify_missing_value_uses_owner(void **state)
{
	(void)state;
	assert_int_equal(key_classify(NULL, "service_account"), KEY_SVCACCT);
	assert_int_equal(key_classify(NULL, "user"), KEY_USER);
	assert_int_equal(key_classify(NULL, NULL), KEY_USER);
}

/* ---- key_redact ---- */

static void
test_key_redact_admin_full_key(void **state)
{
	char	 out[KEY_REDACTED_MAX];

	(void)state;
	key_redact("sk-admin-AbCdEfGhIjKlMnOp1234", KEY_ADMIN, out);
	assert_string_equal(out, "sk-admin-" ELL "1234");
}

static void
test_key_redact_admin_dashless_redacted_value(void **state)
{
	char	 out[KEY_REDACTED_MAX];

	(void)state;
	key_redact("sk-admin...wxyz", KEY_ADMIN, out);
	assert_string_equal(out, "sk-admin-" ELL "wxyz");
}

static void
test_key_redact_project_value(void **state)
{
	char	 out[KEY_REDACTED_MAX];

	(void)state;
	key_redact("sk-proj-Ab1...WxYz", KEY_PROJECT, out);
	assert_string_equal(out, "sk-proj-" ELL "WxYz");
}

static void
test_key_redact_svcacct_value(void **state)
{
	char	 out[KEY_REDACTED_MAX];

	(void)state;
	key_redact("sk-svcacct-Ab1...WxYz", KEY_SVCACCT, out);
	assert_string_equal(out, "sk-svcacct-" ELL "WxYz");
}

static void
test_key_redact_legacy_user_value(void **state)
{
	char	 out[KEY_REDACTED_MAX];

	(void)state;
	key_redact("sk-abc...WxYz", KEY_USER, out);
	assert_string_equal(out, "sk-" ELL "WxYz");
}

/*
 * key_classify() makes a plain "sk-…" value owned by a service account a
 * KEY_SVCACCT key; its redacted form must still show the last four.
 */
static void
test_key_redact_plain_sk_value_classified_svcacct_keeps_last4(void **state)
{
	char		 out[KEY_REDACTED_MAX];
	const char	*v = "sk-abc...WxYz";

	(void)state;
	key_redact(v, key_classify(v, "service_account"), out);
	assert_string_equal(out, "sk-svcacct-" ELL "WxYz");
}

static void
test_key_redact_fewer_than_four_trailing_chars(void **state)
{
	char	 out[KEY_REDACTED_MAX];

	(void)state;
	key_redact("sk-admin...xy", KEY_ADMIN, out);
	assert_string_equal(out, "sk-admin-" ELL "xy");
	key_redact("sk-proj-Ab1...Z", KEY_PROJECT, out);
	assert_string_equal(out, "sk-proj-" ELL "Z");
}

static void
test_key_redact_masked_tail_shows_nothing(void **state)
{
	char	 out[KEY_REDACTED_MAX];

	(void)state;
	key_redact("sk-proj-Ab1***", KEY_PROJECT, out);
	assert_string_equal(out, "sk-proj-" ELL);
}

static void
test_key_redact_prefix_only_value(void **state)
{
	char	 out[KEY_REDACTED_MAX];

	(void)state;
	key_redact("sk-admin", KEY_ADMIN, out);
	assert_string_equal(out, "sk-admin-" ELL);
	key_redact("sk-admin-", KEY_ADMIN, out);
	assert_string_equal(out, "sk-admin-" ELL);
	key_redact("sk-svcacct", KEY_SVCACCT, out);
	assert_string_equal(out, "sk-svcacct-" ELL);
	key_redact("sk-", KEY_USER, out);
	assert_string_equal(out, "sk-" ELL);
}

static void
test_key_redact_longest_form_fits(void **state)
{
	char	 out[KEY_REDACTED_MAX + 8];

	(void)state;
	memset(out, 'Z', sizeof(out));
	key_redact("sk-svcacct-0123456789abcdefghijklmnopqrstuvwxyzABCD",
	    KEY_SVCACCT, out);
	assert_string_equal(out, "sk-svcacct-" ELL "ABCD");
	assert_true(strlen(out) < KEY_REDACTED_MAX);
	assert_int_equal(out[KEY_REDACTED_MAX], 'Z');
}

/* ---- key_admin_refusal ---- */

static void
test_key_admin_refusal_accepts_good_admin_key(void **state)
{
	(void)state;
	assert_null(key_admin_refusal(
	    "sk-admin-AbCdEf0123456789_-ghIJklMNopQRstUVwx"));
}

static void
test_key_admin_refusal_accepts_shortest_plausible_key(void **state)
{
	(void)state;
	/* 20 characters exactly. */
	assert_null(key_admin_refusal("sk-admin-0123456789a"));
}

static void
test_key_admin_refusal_project_key(void **state)
{
	const char	*m;

	(void)state;
	m = key_admin_refusal("sk-proj-AbCdEf0123456789ghIJklMN");
	assert_non_null(m);
	assert_non_null(strstr(m, "project"));
	assert_non_null(strstr(m, "sk-admin-"));
}

static void
test_key_admin_refusal_svcacct_key(void **state)
{
	const char	*m;

	(void)state;
	m = key_admin_refusal("sk-svcacct-AbCdEf0123456789ghIJklMN");
	assert_non_null(m);
	assert_non_null(strstr(m, "service account"));
}

static void
test_key_admin_refusal_legacy_user_key(void **state)
{
	const char	*m;

	(void)state;
	m = key_admin_refusal("sk-AbCdEf0123456789ghIJklMNopQRst");
	assert_non_null(m);
	assert_non_null(strstr(m, "legacy"));
}

static void
test_key_admin_refusal_not_a_key(void **state)
{
	const char	*m;

	(void)state;
	m = key_admin_refusal("hello world");
	assert_non_null(m);
	assert_non_null(strstr(m, "not an OpenAI API key"));
	assert_non_null(key_admin_refusal(""));
	assert_non_null(key_admin_refusal(NULL));
}

static void
test_key_admin_refusal_short_admin_key(void **state)
{
	const char	*m;

	(void)state;
	m = key_admin_refusal("sk-admin-0123456789");	/* 19 chars */
	assert_non_null(m);
	assert_non_null(strstr(m, "length"));
	assert_non_null(key_admin_refusal("sk-admin"));
}

static void
test_key_admin_refusal_overlong_admin_key(void **state)
{
	char		 k[600];
	const char	*m;

	(void)state;
	memcpy(k, "sk-admin-", 9);
	memset(k + 9, 'a', sizeof(k) - 10);
	k[sizeof(k) - 1] = '\0';
	m = key_admin_refusal(k);
	assert_non_null(m);
	assert_non_null(strstr(m, "length"));
}

static void
test_key_admin_refusal_trailing_quote_or_space(void **state)
{
	const char	*m;

	(void)state;
	m = key_admin_refusal("sk-admin-AbCdEf0123456789ghIJ\"");
	assert_non_null(m);
	assert_non_null(strstr(m, "quotes"));
	m = key_admin_refusal("sk-admin-AbCdEf0123456789ghIJ ");
	assert_non_null(m);
	assert_non_null(strstr(m, "spaces"));
	m = key_admin_refusal("sk-admin-AbCdEf01234 56789ghIJ");
	assert_non_null(m);
	assert_non_null(strstr(m, "spaces"));
}

static void
test_key_admin_refusal_leading_quote_or_space(void **state)
{
	(void)state;
	assert_non_null(key_admin_refusal("\"sk-admin-AbCdEf0123456789ghIJ\""));
	assert_non_null(key_admin_refusal(" sk-admin-AbCdEf0123456789ghIJ"));
	assert_non_null(key_admin_refusal("'sk-admin-AbCdEf0123456789ghIJ'"));
}

static void
test_key_admin_refusal_redacted_admin_value(void **state)
{
	(void)state;
	/* What the admin keys list shows is not a usable key. */
	assert_non_null(key_admin_refusal("sk-admin-AbC...WxYz0000000"));
}

/* ---- email_hash ---- */

static void
test_email_hash_known_vector(void **state)
{
	char	 hex[EMAIL_HASH_HEX], pre[EMAIL_PREFIX_MAX];

	(void)state;
	assert_int_equal(email_hash("jane.doe@example.com", hex, pre), 0);
	assert_string_equal(hex, JANE_HEX);
	assert_string_equal(pre, "jane");
}

static void
test_email_hash_trims_and_lowercases(void **state)
{
	char	 hex[EMAIL_HASH_HEX], pre[EMAIL_PREFIX_MAX];

	(void)state;
	assert_int_equal(email_hash(" \t Jane.Doe@EXAMPLE.com\r\n ", hex, pre),
	    0);
	assert_string_equal(hex, JANE_HEX);
	assert_string_equal(pre, "jane");
}

static void
test_email_hash_different_addresses_differ(void **state)
{
	char	 a[EMAIL_HASH_HEX], b[EMAIL_HASH_HEX], pre[EMAIL_PREFIX_MAX];

	(void)state;
	assert_int_equal(email_hash("jane.doe@example.com", a, pre), 0);
	assert_int_equal(email_hash("jane.doe@example.org", b, pre), 0);
	assert_string_not_equal(a, b);
	assert_int_equal(strlen(b), 64);
}

static void
test_email_hash_prefix_counts_utf8_characters(void **state)
{
	char	 hex[EMAIL_HASH_HEX], pre[EMAIL_PREFIX_MAX];

	(void)state;
	assert_int_equal(email_hash("\xc3\xa9ric@example.com", hex, pre), 0);
	assert_string_equal(pre, "\xc3\xa9ric");
	/* Four 3-byte characters. */
	assert_int_equal(email_hash(
	    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x83\x86\xe3\x82\xb9"
	    "@example.jp", hex, pre), 0);
	assert_string_equal(pre,
	    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x83\x86");
	assert_int_equal(strlen(hex), 64);
}

static void
test_email_hash_prefix_four_byte_characters_fit(void **state)
{
	char	 hex[EMAIL_HASH_HEX], pre[EMAIL_PREFIX_MAX];

	(void)state;
	/* Five U+1F600; the prefix keeps four of them: 16 bytes. */
	assert_int_equal(email_hash("\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
	    "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80@x.io", hex, pre),
	    0);
	assert_int_equal(strlen(pre), 16);
	assert_memory_equal(pre, "\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
	    "\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 16);
}

static void
test_email_hash_prefix_never_overflows_on_invalid_utf8(void **state)
{
	struct {
		char	 pre[EMAIL_PREFIX_MAX];
		char	 canary[8];
	} s;
	char	 hex[EMAIL_HASH_HEX], in[40];

	(void)state;
	/* A lead byte followed by a long run of continuation bytes. */
	in[0] = (char)0xc3;
	memset(in + 1, 0x80, 30);
	strcpy(in + 31, "@x.io");
	memset(s.canary, 'C', sizeof(s.canary));
	assert_int_equal(email_hash(in, hex, s.pre), 0);
	assert_memory_equal(s.canary, "CCCCCCCC", sizeof(s.canary));
	assert_true(strlen(s.pre) < EMAIL_PREFIX_MAX);
}

static void
test_email_hash_short_address_prefix(void **state)
{
	char	 hex[EMAIL_HASH_HEX], pre[EMAIL_PREFIX_MAX];

	(void)state;
	assert_int_equal(email_hash("ab", hex, pre), 0);
	assert_string_equal(pre, "ab");
	assert_int_equal(strlen(hex), 64);
}

static void
test_email_hash_empty_fails(void **state)
{
	char	 hex[EMAIL_HASH_HEX], pre[EMAIL_PREFIX_MAX];

	(void)state;
	memset(hex, 'x', sizeof(hex));
	memset(pre, 'x', sizeof(pre));
	assert_int_equal(email_hash("", hex, pre), -1);
	assert_string_equal(hex, "");
	assert_string_equal(pre, "");
}

static void
test_email_hash_whitespace_only_fails(void **state)
{
	char	 hex[EMAIL_HASH_HEX], pre[EMAIL_PREFIX_MAX];

	(void)state;
	memset(hex, 'x', sizeof(hex));
	memset(pre, 'x', sizeof(pre));
	assert_int_equal(email_hash(" \t\r\n ", hex, pre), -1);
	assert_string_equal(hex, "");
	assert_string_equal(pre, "");
}

static void
test_email_hash_null_fails(void **state)
{
	char	 hex[EMAIL_HASH_HEX], pre[EMAIL_PREFIX_MAX];

	(void)state;
	assert_int_equal(email_hash(NULL, hex, pre), -1);
	assert_string_equal(hex, "");
	assert_string_equal(pre, "");
}

/* ---- redact_text ---- */

static void
test_redact_text_openai_invalid_key_message(void **state)
{
	const char	*s;

	(void)state;
	s = scrub("Incorrect API key provided: sk-admin**********abcd. You "
	    "can find your API key at https://platform.openai.com/account/"
	    "api-keys.");
	assert_null(strstr(s, "sk-admin*"));
	assert_null(strstr(s, "**"));
	assert_string_equal(s, "Incorrect API key provided: sk-admin-" ELL
	    "abcd. You can find your API key at https://platform.openai.com/"
	    "account/api-keys.");
}

static void
test_redact_text_full_key_in_text(void **state)
{
	const char	*s;

	(void)state;
	s = scrub("key=sk-proj-SECRETsecret0123456789WxYz rejected");
	assert_null(strstr(s, "SECRET"));
	assert_string_equal(s, "key=sk-proj-" ELL "WxYz rejected");
}

static void
test_redact_text_email_replaced_by_hash(void **state)
{
	const char	*s;

	(void)state;
	s = scrub("user Jane.Doe@Example.COM is not a member");
	assert_string_equal(s, "user [email 86e0b9e5] is not a member");
}

static void
test_redact_text_email_leaves_no_local_part_or_domain(void **state)
{
	const char	*s;

	(void)state;
	s = scrub("invite for ops.team+alerts@mail.example.org failed");
	assert_null(strchr(s, '@'));
	assert_null(strstr(s, "ops"));
	assert_null(strstr(s, "alerts"));
	assert_null(strstr(s, "example"));
	assert_null(strstr(s, ".org"));
	assert_non_null(strstr(s, "invite for [email "));
	assert_non_null(strstr(s, "] failed"));
}

static void
test_redact_text_email_keeps_sentence_full_stop(void **state)
{
	const char	*s;

	(void)state;
	s = scrub("Contact jane.doe@example.com.");
	assert_string_equal(s, "Contact [email 86e0b9e5].");
}

static void
test_redact_text_two_emails(void **state)
{
	const char	*s;

	(void)state;
	s = scrub("jane.doe@example.com, JANE.DOE@example.com");
	assert_string_equal(s, "[email 86e0b9e5], [email 86e0b9e5]");
}

static void
test_redact_text_key_then_email_after_space(void **state)
{
	const char	*s;

	(void)state;
	s = scrub("sk-proj-abcdWXYZ jane.doe@example.com");
	assert_string_equal(s, "sk-proj-" ELL "WXYZ [email 86e0b9e5]");
}

static void
test_redact_text_key_directly_followed_by_email(void **state)
{
	const char	*s;

	(void)state;
	s = scrub("sk-proj-abcdWXYZ,jane.doe@example.com");
	assert_string_equal(s, "sk-proj-" ELL "WXYZ,[email 86e0b9e5]");
}

/*
 * A key-like run that goes straight into an address (no separator) must
 * not leave the address's domain or local part behind.
 */
static void
test_redact_text_key_run_into_email_leaves_no_address(void **state)
{
	const char	*s;

	(void)state;
	s = scrub("sk-proj-abcdWXYZjane.doe@example.com");
	assert_null(strchr(s, '@'));
	assert_null(strstr(s, "example"));
	assert_null(strstr(s, "doe"));
}

static void
test_redact_text_without_secrets_unchanged(void **state)
{
	const char	*in = "Rate limit reached for requests in organization "
			    "org-abc on tokens per min (TPM): Limit 30000. "
			    "Try again in 20s; risk-free task-force @ 5%.";
	const char	*s;

	(void)state;
	s = scrub(in);
	assert_string_equal(s, in);
}

static void
test_redact_text_empty_input_gives_empty_string(void **state)
{
	struct buf	 b = { 0 };

	(void)state;
	redact_text("", &b);
	assert_non_null(b.p);
	assert_string_equal(b.p, "");
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

static void
test_redact_text_appends_to_buffer(void **state)
{
	struct buf	 b = { 0 };

	(void)state;
	buf_adds(&b, "openai: ");
	redact_text("bad key sk-admin-0123456789abcdefWXYZ", &b);
	assert_string_equal(b.p, "openai: bad key sk-admin-" ELL "WXYZ");
	buf_free(&b);
}

/* ---- redact_text_to ---- */

static void
test_redact_text_to_fits(void **state)
{
	char	 out[128];

	(void)state;
	redact_text_to("mail jane.doe@example.com key sk-admin-000011112222abcd",
	    out, sizeof(out));
	assert_string_equal(out, "mail [email 86e0b9e5] key sk-admin-" ELL
	    "abcd");
}

static void
test_redact_text_to_truncates_within_buffer(void **state)
{
	char	 out[16];

	(void)state;
	memset(out, 'Z', sizeof(out));
	redact_text_to("ab sk-admin-xyzw1234", out, 8);
	assert_string_equal(out, "ab sk-a");
	assert_memory_equal(out + 8, "ZZZZZZZZ", 8);
}

static void
test_redact_text_to_truncation_never_shows_raw_secret(void **state)
{
	const char	*in = "key sk-admin-SECRETSECRETSECRETwxyz from "
			    "jane.doe@example.com";
	char		 out[96];
	size_t		 len;

	(void)state;
	for (len = 1; len <= sizeof(out); len++) {
		memset(out, 'Z', sizeof(out));
		redact_text_to(in, out, len);
		assert_true(strlen(out) < len);
		assert_null(strstr(out, "SECRET"));
		assert_null(strstr(out, "jane"));
		assert_null(strchr(out, '@'));
		if (len < sizeof(out))
			assert_int_equal(out[len], 'Z');
	}
}

static void
test_redact_text_to_zero_length_untouched(void **state)
{
	char	 out[4] = "abc";

	(void)state;
	redact_text_to("jane.doe@example.com", out, 0);
	assert_string_equal(out, "abc");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_type_name_each_type),
		cmocka_unit_test(test_key_type_from_name_round_trip),
		cmocka_unit_test(test_key_type_from_name_unknown_names),
		cmocka_unit_test(test_key_type_prefix_each_type),
		cmocka_unit_test(test_key_type_of_admin_full_key),
		cmocka_unit_test(test_key_type_of_admin_dashless_redacted),
		cmocka_unit_test(test_key_type_of_project),
		cmocka_unit_test(test_key_type_of_svcacct),
		cmocka_unit_test(test_key_type_of_plain_sk_is_legacy_user),
		cmocka_unit_test(test_key_type_of_specific_prefix_needs_separator),
		cmocka_unit_test(test_key_type_of_non_keys),
		cmocka_unit_test(test_key_classify_specific_prefix_wins_over_owner),
		cmocka_unit_test(test_key_classify_plain_sk_owned_by_service_account),
		cmocka_unit_test(test_key_classify_plain_sk_owned_by_user),
		cmocka_unit_test(test_key_classify_missing_value_uses_owner),
		cmocka_unit_test(test_key_redact_admin_full_key),
		cmocka_unit_test(test_key_redact_admin_dashless_redacted_value),
		cmocka_unit_test(test_key_redact_project_value),
		cmocka_unit_test(test_key_redact_svcacct_value),
		cmocka_unit_test(test_key_redact_legacy_user_value),
		cmocka_unit_test(test_key_redact_plain_sk_value_classified_svcacct_keeps_last4),
		cmocka_unit_test(test_key_redact_fewer_than_four_trailing_chars),
		cmocka_unit_test(test_key_redact_masked_tail_shows_nothing),
		cmocka_unit_test(test_key_redact_prefix_only_value),
		cmocka_unit_test(test_key_redact_longest_form_fits),
		cmocka_unit_test(test_key_admin_refusal_accepts_good_admin_key),
		cmocka_unit_test(test_key_admin_refusal_accepts_shortest_plausible_key),
		cmocka_unit_test(test_key_admin_refusal_project_key),
		cmocka_unit_test(test_key_admin_refusal_svcacct_key),
		cmocka_unit_test(test_key_admin_refusal_legacy_user_key),
		cmocka_unit_test(test_key_admin_refusal_not_a_key),
		cmocka_unit_test(test_key_admin_refusal_short_admin_key),
		cmocka_unit_test(test_key_admin_refusal_overlong_admin_key),
		cmocka_unit_test(test_key_admin_refusal_trailing_quote_or_space),
		cmocka_unit_test(test_key_admin_refusal_leading_quote_or_space),
		cmocka_unit_test(test_key_admin_refusal_redacted_admin_value),
		cmocka_unit_test(test_email_hash_known_vector),
		cmocka_unit_test(test_email_hash_trims_and_lowercases),
		cmocka_unit_test(test_email_hash_different_addresses_differ),
		cmocka_unit_test(test_email_hash_prefix_counts_utf8_characters),
		cmocka_unit_test(test_email_hash_prefix_four_byte_characters_fit),
		cmocka_unit_test(test_email_hash_prefix_never_overflows_on_invalid_utf8),
		cmocka_unit_test(test_email_hash_short_address_prefix),
		cmocka_unit_test(test_email_hash_empty_fails),
		cmocka_unit_test(test_email_hash_whitespace_only_fails),
		cmocka_unit_test(test_email_hash_null_fails),
		cmocka_unit_test(test_redact_text_openai_invalid_key_message),
		cmocka_unit_test(test_redact_text_full_key_in_text),
		cmocka_unit_test(test_redact_text_email_replaced_by_hash),
		cmocka_unit_test(test_redact_text_email_leaves_no_local_part_or_domain),
		cmocka_unit_test(test_redact_text_email_keeps_sentence_full_stop),
		cmocka_unit_test(test_redact_text_two_emails),
		cmocka_unit_test(test_redact_text_key_then_email_after_space),
		cmocka_unit_test(test_redact_text_key_directly_followed_by_email),
		cmocka_unit_test(test_redact_text_key_run_into_email_leaves_no_address),
		cmocka_unit_test(test_redact_text_without_secrets_unchanged),
		cmocka_unit_test(test_redact_text_empty_input_gives_empty_string),
		cmocka_unit_test(test_redact_text_appends_to_buffer),
		cmocka_unit_test(test_redact_text_to_fits),
		cmocka_unit_test(test_redact_text_to_truncates_within_buffer),
		cmocka_unit_test(test_redact_text_to_truncation_never_shows_raw_secret),
		cmocka_unit_test(test_redact_text_to_zero_length_untouched),
	};

	return cmocka_run_group_tests_name("redact", tests, NULL, NULL);
}
