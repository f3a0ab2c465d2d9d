/*
 * test-jscan.c: unit tests for src/jscan.h.  jscan must accept exactly
 * what jansson accepts and read the same values, so most tests here are
 * differential: a text goes to both, and both must refuse it, or both
 * must read equal trees.  Texts are hand-picked edge cases, then random
 * documents and random damage to them, from fixed seeds.
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

#include "jscan.h"
#include "util.h"

/* jscan's tree at node k, rebuilt with jansson, to compare. */
static json_t *
to_jansson(const struct jdoc *d, uint32_t k)
{
	const struct jnode	*x = &d->v[k];
	json_t			*v;
	uint32_t		 c;
	char			*key;

	switch (x->type) {
	case J_NULL:
		return json_null();
	case J_TRUE:
		return json_true();
	case J_FALSE:
		return json_false();
	case J_INT:
		return json_integer(x->i);
	case J_REAL:
		key = xmalloc(x->len + 1);
		memcpy(key, x->s, x->len);
		key[x->len] = '\0';
		v = json_real(strtod(key, NULL));
		free(key);
		return v;
	case J_STR:
		return json_stringn(x->s, x->len);
	case J_ARR:
		v = json_array();
		for (c = JSCAN_FIRST(k); c < x->end; c = d->v[c].end)
			json_array_append_new(v, to_jansson(d, c));
		return v;
	case J_OBJ:
		v = json_object();
		for (c = JSCAN_FIRST(k); c < x->end; c = d->v[c + 1].end)
			json_object_setn_new(v, d->v[c].s, d->v[c].len,
			    to_jansson(d, c + 1));
		return v;
	}
	return NULL;
}

static int	 compared, refused;

/* Both refuse text, or both read equal values; fails the test if not. */
static void
same(const char *text, size_t len)
{
	struct jdoc	 d;
	json_error_t	 je;
	json_t		*want, *got;
	char		 err[256];
	int		 rc;

	want = json_loadb(text, len, 0, &je);
	rc = jscan_parse(&d, text, len, err, sizeof(err));
	if (want == NULL) {
		if (rc == 0)
			fail_msg("jscan accepted what jansson refuses (%s): "
			    "%.*s", je.text, (int)(len > 200 ? 200 : len), text);
		refused++;
	} else {
		if (rc != 0)
			fail_msg("jscan refused (%s) what jansson accepts: "
			    "%.*s", err, (int)(len > 200 ? 200 : len), text);
		got = to_jansson(&d, 0);
		if (!json_equal(want, got))
			fail_msg("different values for %.*s",
			    (int)(len > 200 ? 200 : len), text);
		json_decref(got);
		json_decref(want);
		compared++;
	}
	jscan_free(&d);
}

static void
same_s(const char *text)
{
	same(text, strlen(text));
}

static void
test_jscan_edges_agree_with_jansson(void **state)
{
	static const char *const	 texts[] = {
		"", " ", "[]", "{}", " [ ] ", "\t{\n}\r", "[1,]", "[,1]",
		"[01]", "[-]", "[-01]", "[1.]", "[.5]", "[1e]", "[1e+]",
		"[1E-2]", "[-0]", "[-0.0]", "[0e0]", "[1E5]", "[2.5e-3]",
		"[9223372036854775807]", "[9223372036854775808]",
		"[-9223372036854775808]", "[-9223372036854775809]",
		"[1e400]", "[-1e400]", "[1e-400]", "[\"\\u0000\"]",
		"[\"\\ud800\"]", "[\"\\udc00\"]", "[\"\\ud83d\\ude00\"]",
		"[\"\\ud800\\u0041\"]", "[\"\\ud800x\"]", "[\"\x01\"]",
		"[\"\x7f\"]", "[\"\xff\"]", "[\"\xc0\xaf\"]",
		"[\"\xed\xa0\x80\"]", "[\"\xf4\x90\x80\x80\"]",
		"[\"\xe2\x98\"]", "[\"\xe0\x80\xaf\"]", "[\"\xf0\x80\x80\xaf\"]",
		"[\"\xf5\x80\x80\x80\"]", "[\"\xe2\x98\x83\"]", "[truex]", "[true1]",
		"[nul]", "[null]", "[false,true]", "[TRUE]", "[1] x",
		"[1] ", "[1]]", "{\"a\":1,\"a\":2}", "{\"a\" 1}", "{1:2}",
		"{\"a\":}", "{\"a\":1,}", "{,}", "1", "\"s\"", "null",
		"[\"\\x\"]", "[\"\\u12\"]", "[\"\\uZZZZ\"]", "[\"\\u00e9\"]",
		"[\"\\/\\b\\f\\n\\r\\t\\\"\\\\\"]", "[\"a", "[\"a\\",
		"{\"\":\"\"}", "[\"\t\"]", "[\"\\u001f\"]", "[+1]", "[1 2]",
		"[0x10]", "[Infinity]", "[NaN]", "{\"a\":[{\"b\":{}}]}",
		"\xef\xbb\xbf[]", "[\"\xf0\x9f\x98\x80\"]", "[1.5e+10]",
	};
	size_t				 i;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		same_s(texts[i]);
	/* A NUL byte inside a string and between tokens. */
	same("[\"a\0b\"]", 7);
	same("[1,\0 2]", 7);
}

static void
test_jscan_depth_limit_matches(void **state)
{
	struct buf	 b = { 0 };
	int		 depth, i;

	(void)state;
	for (depth = JSCAN_MAX_DEPTH - 1; depth <= JSCAN_MAX_DEPTH + 1;
	    depth++) {
		buf_reset(&b);
		for (i = 0; i < depth; i++)
			buf_addc(&b, '[');
		for (i = 0; i < depth; i++)
			buf_addc(&b, ']');
		same(b.p, b.len);
		/* And with a scalar at the bottom. */
		buf_reset(&b);
		for (i = 0; i < depth; i++)
			buf_addc(&b, '[');
		buf_addc(&b, '1');
		for (i = 0; i < depth; i++)
			buf_addc(&b, ']');
		same(b.p, b.len);
	}
	buf_free(&b);
}

static uint32_t	 seed;

static uint32_t
rnd(uint32_t n)
{
	seed = seed * 1103515245u + 12345u;
	return (seed >> 8) % n;
}

static void
ws(struct buf *b)
{
	static const char	 w[] = " \t\n\r";

	while (rnd(4) == 0)
		buf_addc(b, w[rnd(4)]);
}

static void
gen_string(struct buf *b)
{
	static const char *const	 parts[] = { "a", "id", "Z9", "\\\"",
	    "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t", "\\u0041",
	    "\\u00e9", "\\u2603", "\\uD83D\\uDE00", "\\uffff", "\xc3\xa9",
	    "\xe2\x98\x83", "\xf0\x9f\x98\x80", " ", "@", "sk-", "." };
	int				 i, n = (int)rnd(6);

	buf_addc(b, '"');
	for (i = 0; i < n; i++)
		buf_adds(b, parts[rnd(sizeof(parts) / sizeof(parts[0]))]);
	buf_addc(b, '"');
}

static void
gen_value(struct buf *b, int depth)
{
	static const char *const	 nums[] = { "0", "-0", "7", "-12",
	    "1700000000", "3.25", "-0.5", "1e3", "2E-2", "6.02e+23",
	    "9223372036854775807", "-9223372036854775808", "0.1" };
	int				 i, n;

	switch (rnd(depth > 4 ? 5 : 7)) {
	case 0:
		buf_adds(b, nums[rnd(sizeof(nums) / sizeof(nums[0]))]);
		break;
	case 1:
		gen_string(b);
		break;
	case 2:
		buf_adds(b, rnd(2) ? "true" : "false");
		break;
	case 3:
		buf_adds(b, "null");
		break;
	case 4:
		gen_string(b);
		break;
	case 5:
		buf_addc(b, '[');
		for (i = 0, n = (int)rnd(5); i < n; i++) {
			if (i > 0)
				buf_addc(b, ',');
			ws(b);
			gen_value(b, depth + 1);
			ws(b);
		}
		buf_addc(b, ']');
		break;
	default:
		buf_addc(b, '{');
		for (i = 0, n = (int)rnd(6); i < n; i++) {
			if (i > 0)
				buf_addc(b, ',');
			ws(b);
			gen_string(b);
			ws(b);
			buf_addc(b, ':');
			ws(b);
			gen_value(b, depth + 1);
			ws(b);
		}
		buf_addc(b, '}');
		break;
	}
}

static void
gen_doc(struct buf *b)
{
	buf_reset(b);
	ws(b);
	buf_addc(b, '{');
	buf_adds(b, "\"data\":");
	gen_value(b, 0);
	buf_addc(b, ',');
	ws(b);
	gen_string(b);
	buf_addc(b, ':');
	gen_value(b, 0);
	buf_addc(b, '}');
	ws(b);
}

static void
test_jscan_random_documents_agree(void **state)
{
	struct buf	 b = { 0 };
	int		 i;

	(void)state;
	seed = 1;
	compared = 0;
	for (i = 0; i < 20000; i++) {
		gen_doc(&b);
		same(b.p, b.len);
	}
	assert_int_equal(compared, 20000);
	buf_free(&b);
}

/* Damage: a byte changed, dropped, doubled, or the text cut short. */
static void
test_jscan_damaged_documents_agree(void **state)
{
	static const char	 bytes[] = "{}[],:\"\\u0aeE.-+ \x01\x80\xc3\xff";
	struct buf		 b = { 0 }, m = { 0 };
	size_t			 at;
	int			 i;

	(void)state;
	seed = 2;
	compared = refused = 0;
	for (i = 0; i < 40000; i++) {
		gen_doc(&b);
		at = rnd((uint32_t)b.len);
		buf_reset(&m);
		switch (rnd(4)) {
		case 0:
			buf_add(&m, b.p, b.len);
			m.p[at] = bytes[rnd(sizeof(bytes) - 1)];
			break;
		case 1:
			buf_add(&m, b.p, at);
			buf_add(&m, b.p + at + 1, b.len - at - 1);
			break;
		case 2:
			buf_add(&m, b.p, at + 1);
			buf_add(&m, b.p + at, b.len - at);
			break;
		default:
			buf_add(&m, b.p, at);
			break;
		}
		same(m.p != NULL ? m.p : "", m.len);
	}
	/* Both outcomes happen, or the damage tested nothing. */
	assert_true(refused > 10000);
	assert_true(compared > 1000);
	buf_free(&b);
	buf_free(&m);
}

static void
test_jscan_get_takes_the_last_duplicate(void **state)
{
	static const char	 text[] = "{\"a\":1,\"b\":{\"c\":\"x\"},\"a\":2,"
	    "\"e\\u0073c\":\"\\u00e9t\\u00e9\"}";
	struct jdoc		 d;
	char			 err[128], *s;
	uint32_t		 k;

	(void)state;
	assert_int_equal(jscan_parse(&d, text, strlen(text), err,
	    sizeof(err)), 0);
	k = jscan_get(&d, 0, "a");
	assert_int_equal(d.v[k].type, J_INT);
	assert_int_equal(d.v[k].i, 2);
	k = jscan_get(&d, jscan_get(&d, 0, "b"), "c");
	assert_true(jscan_streq(&d, k, "x"));
	assert_int_equal(jscan_get(&d, 0, "zz"), JSCAN_NONE);
	assert_int_equal(jscan_get(&d, k, "c"), JSCAN_NONE);
	/* An escaped key and value, read unescaped. */
	s = jscan_strdup(&d, jscan_get(&d, 0, "esc"));
	assert_string_equal(s, "\xc3\xa9t\xc3\xa9");
	free(s);
	jscan_free(&d);
}

static void
test_jscan_errors_say_where(void **state)
{
	struct jdoc	 d;
	char		 err[128];

	(void)state;
	assert_int_equal(jscan_parse(&d, "{\"a\":tru}", 9, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "invalid token at byte 5"));
	jscan_free(&d);
	assert_int_equal(jscan_parse(&d, "[1] [2]", 7, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "end of file expected at byte 4"));
	jscan_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jscan_edges_agree_with_jansson),
		cmocka_unit_test(test_jscan_depth_limit_matches),
		cmocka_unit_test(test_jscan_random_documents_agree),
		cmocka_unit_test(test_jscan_damaged_documents_agree),
		cmocka_unit_test(test_jscan_get_takes_the_last_duplicate),
		cmocka_unit_test(test_jscan_errors_say_where),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
