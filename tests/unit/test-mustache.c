/*
 * test-mustache.c: unit tests for src/mustache.h beyond the spec files
 * (those run in test-mustache-spec.c): escaping, compile errors, the
 * template set, loading a directory, the recursion guard and a large
 * render.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "mustache.h"
#include "util.h"

/* Compiles src as "t" into a fresh set; the test fails if it does not. */
static struct mustache *
set_with(const char *src)
{
	struct mustache	*m = mustache_new();
	char		 err[256];

	if (mustache_add(m, "t", src, strlen(src), err, sizeof(err)) != 0)
		fail_msg("compile: %s", err);
	return m;
}

/* Renders template "t" of m with data given as JSON text; caller frees. */
static char *
render_json(const struct mustache *m, const char *json)
{
	struct buf	 out = { 0 };
	json_error_t	 je;
	json_t		*data;

	data = json_loads(json, JSON_DECODE_ANY, &je);
	if (data == NULL)
		fail_msg("bad test JSON: %s", je.text);
	assert_int_equal(mustache_render(m, "t", data, &out), 0);
	json_decref(data);
	return buf_take(&out);
}

/* Renders src with data json; compares with want.  Frees everything. */
static void
check(const char *src, const char *json, const char *want)
{
	struct mustache	*m = set_with(src);
	char		*got = render_json(m, json);

	assert_string_equal(got, want);
	free(got);
	mustache_free(m);
}

/* Compiling src must fail with exactly the message want. */
static void
check_err(const char *src, const char *want)
{
	struct mustache	*m = mustache_new();
	char		 err[256] = "";

	assert_int_equal(mustache_add(m, "t", src, strlen(src), err,
	    sizeof(err)), -1);
	assert_string_equal(err, want);
	assert_false(mustache_has(m, "t"));
	mustache_free(m);
}

/* Renders src with one string value x (built in C, not parsed). */
static char *
render_x(const char *src, const char *x)
{
	struct mustache	*m = set_with(src);
	struct buf	 out = { 0 };
	json_t		*data = json_pack("{s:s}", "x", x);

	assert_non_null(data);
	assert_int_equal(mustache_render(m, "t", data, &out), 0);
	json_decref(data);
	mustache_free(m);
	return buf_take(&out);
}

static void
test_escape_all_five(void **state)
{
	char	*got;

	(void)state;
	got = render_x("[{{x}}]", "&<>\"'");
	assert_string_equal(got, "[&amp;&lt;&gt;&quot;&#39;]");
	free(got);
}

static void
test_escape_script_tag(void **state)
{
	char	*got;

	(void)state;
	got = render_x("<p>{{x}}</p>", "<script>alert('x')</script>");
	assert_string_equal(got, "<p>&lt;script&gt;alert(&#39;x&#39;)"
	    "&lt;/script&gt;</p>");
	free(got);
}

static void
test_escape_attribute_breakout(void **state)
{
	char	*got;

	(void)state;
	got = render_x("<input value=\"{{x}}\"><a title='{{x}}'>",
	    "\" autofocus onfocus=\"alert(1)' x='");
	assert_string_equal(got, "<input value=\"&quot; autofocus "
	    "onfocus=&quot;alert(1)&#39; x=&#39;\"><a title='&quot; autofocus "
	    "onfocus=&quot;alert(1)&#39; x=&#39;'>");
	free(got);
}

static void
test_escape_keeps_utf8(void **state)
{
	/* RTL override, emoji, combining accent, CJK: bytes pass as they are. */
	const char	*x = "\xe2\x80\xae" "abc \xf0\x9f\x98\x80 e\xcc\x81 "
			    "\xe4\xb8\xad";
	char		*got;

	(void)state;
	got = render_x("{{x}}", x);
	assert_string_equal(got, x);
	free(got);
}

static void
test_escape_10kb_string(void **state)
{
	static const char	 pat[] = "a<b>&\"'\xf0\x9f\x98\x80 ";
	struct buf		 in = { 0 }, want = { 0 };
	size_t			 i;
	char			*got;

	(void)state;
	while (in.len < 10 * 1024)
		buf_adds(&in, pat);
	for (i = 0; i < in.len; i++)
		switch (in.p[i]) {
		case '<':
			buf_adds(&want, "&lt;");
			break;
		case '>':
			buf_adds(&want, "&gt;");
			break;
		case '&':
			buf_adds(&want, "&amp;");
			break;
		case '"':
			buf_adds(&want, "&quot;");
			break;
		case '\'':
			buf_adds(&want, "&#39;");
			break;
		default:
			buf_addc(&want, in.p[i]);
		}
	got = render_x("{{x}}", in.p);
	assert_int_equal(strlen(got), want.len);
	assert_memory_equal(got, want.p, want.len);
	assert_null(strpbrk(got, "<>\"'"));
	free(got);
	buf_free(&in);
	buf_free(&want);
}

static void
test_escape_everywhere_a_name_is_used(void **state)
{
	(void)state;
	check("{{#list}}{{.}}{{/list}}|{{a.b}}|{{#a}}{{b}}{{/a}}",
	    "{\"list\":[\"<i>\"],\"a\":{\"b\":\"&\"}}",
	    "&lt;i&gt;|&amp;|&amp;");
}

static void
test_raw_only_via_triple_or_ampersand(void **state)
{
	char	*got;

	(void)state;
	got = render_x("{{x}}|{{{x}}}|{{& x }}|{{{ x }}}", "<b>");
	assert_string_equal(got, "&lt;b&gt;|<b>|<b>|<b>");
	free(got);
}

static void
test_custom_delimiters_still_escape(void **state)
{
	char	*got;

	(void)state;
	got = render_x("{{=<% %>=}}<%x%>|<%{x}%>|<%&x%>", "<b>");
	assert_string_equal(got, "&lt;b&gt;|<b>|<b>");
	free(got);
}

static void
test_numbers_and_booleans(void **state)
{
	(void)state;
	check("{{i}} {{n}} {{r}} {{s}} {{big}} {{t}} {{f}}",
	    "{\"i\":42,\"n\":-7,\"r\":1.21,\"s\":0.30000000000000004,"
	    "\"big\":1e300,\"t\":true,\"f\":false}",
	    "42 -7 1.21 0.30000000000000004 1e+300 true false");
}

static void
test_null_lists_and_objects_print_nothing(void **state)
{
	(void)state;
	check("[{{z}}{{a}}{{o}}{{missing}}{{missing.x}}]",
	    "{\"z\":null,\"a\":[1,2],\"o\":{\"k\":1}}", "[]");
}

static void
test_falsy_values(void **state)
{
	/* As the spec's !!data: 0, 0.0 and "" are falsy like false and []. */
	(void)state;
	check("{{#f}}F{{/f}}{{#n}}N{{/n}}{{#z}}Z{{/z}}{{#r}}R{{/r}}"
	    "{{#e}}E{{/e}}{{#l}}L{{/l}}{{#m}}M{{/m}}",
	    "{\"f\":false,\"n\":null,\"z\":0,\"r\":0.0,\"e\":\"\",\"l\":[]}",
	    "");
	check("{{^f}}F{{/f}}{{^z}}Z{{/z}}{{^e}}E{{/e}}{{^m}}M{{/m}}",
	    "{\"f\":false,\"z\":0,\"e\":\"\"}", "FZEM");
}

static void
test_truthy_values(void **state)
{
	(void)state;
	check("{{#o}}O{{/o}}{{#s}}S{{/s}}{{#i}}I{{/i}}{{#l}}L{{/l}}"
	    "{{#t}}T{{/t}}",
	    "{\"o\":{},\"s\":\"0\",\"i\":-1,\"l\":[0],\"t\":true}", "OSILT");
}

static void
test_dotted_name_stops_at_first_part(void **state)
{
	/* a.b is found in the section's a, so c is never looked up outside. */
	(void)state;
	check("{{#x}}[{{a.b}}]{{/x}}",
	    "{\"a\":{\"b\":\"outer\"},\"x\":{\"a\":{}}}", "[]");
	check("{{#x}}[{{a.b}}]{{/x}}",
	    "{\"a\":{\"b\":\"outer\"},\"x\":{\"c\":1}}", "[outer]");
}

static void
test_null_data_renders(void **state)
{
	struct mustache	*m = set_with("a{{x}}{{#y}}b{{/y}}{{^y}}c{{/y}}");
	struct buf	 out = { 0 };

	(void)state;
	assert_int_equal(mustache_render(m, "t", NULL, &out), 0);
	assert_string_equal(out.p, "ac");
	buf_free(&out);
	mustache_free(m);
}

static void
test_err_unclosed_tag(void **state)
{
	(void)state;
	check_err("a\nb {{x", "t:2: unclosed tag: no '}}' after '{{'");
	check_err("{{{x}}", "t:1: unclosed tag: no '}}}' after '{{'");
	check_err("{{", "t:1: unclosed tag: no '}}' after '{{'");
}

static void
test_err_unclosed_tag_after_new_delimiters(void **state)
{
	(void)state;
	check_err("{{=<% %>=}}\n\n<%x}}", "t:3: unclosed tag: no '%>' after "
	    "'<%'");
}

static void
test_err_unclosed_section(void **state)
{
	(void)state;
	check_err("a\n{{#s}}\nb", "t:2: section 's' is never closed");
	check_err("{{^s}}{{#t}}{{/t}}", "t:1: inverted section 's' is never "
	    "closed");
}

static void
test_err_mismatched_close(void **state)
{
	(void)state;
	check_err("{{#a}}\n{{#b}}\n{{/a}}", "t:3: '/a' does not close "
	    "section 'b' (line 2)");
}

static void
test_err_close_without_open(void **state)
{
	(void)state;
	check_err("x\n\n{{/a}}", "t:3: '/a' closes nothing");
}

static void
test_err_bad_delimiter(void **state)
{
	static const char	*bad[] = { "{{=<%=}}", "{{= =}}",
				    "{{=a b c=}}", "{{=a= b=}}",
				    "{{=aaaaaaaaaaaaaaaaa b=}}" };
	size_t			 i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(bad); i++)
		check_err(bad[i], "t:1: bad set-delimiter tag: want two "
		    "delimiters, without blanks or '='");
}

static void
test_err_empty_tag(void **state)
{
	(void)state;
	check_err("{{}}", "t:1: empty tag");
	check_err("x\n{{ }}", "t:2: empty tag");
	check_err("{{#}}{{/}}", "t:1: empty tag");
	check_err("{{>}}", "t:1: empty tag");
}

static void
test_err_bad_name(void **state)
{
	(void)state;
	check_err("{{a..b}}", "t:1: bad name 'a..b'");
	check_err("{{.a}}", "t:1: bad name '.a'");
	check_err("{{#a.}}{{/a.}}", "t:1: bad name 'a.'");
	check_err("{{a b}}", "t:1: bad name 'a b'");
}

static void
test_err_unclosed_parent_and_block(void **state)
{
	(void)state;
	check_err("{{<layout}}\n{{$content}}x{{/content}}", "t:1: parent "
	    "'layout' is never closed");
	check_err("{{$content}}", "t:1: block 'content' is never closed");
}

static void
test_err_tag_directly_inside_parent(void **state)
{
	(void)state;
	check_err("{{<p}}\n{{x}}\n{{/p}}", "t:2: only blocks and comments "
	    "may go directly inside parent 'p'");
	check_err("{{<p}}{{#s}}{{/s}}{{/p}}", "t:1: only blocks and comments "
	    "may go directly inside parent 'p'");
	/* Text and comments there are allowed, and ignored. */
	check("{{<t2}}text {{! c }}{{/t2}}", "{}", "");
}

static void
test_err_nesting_too_deep(void **state)
{
	struct buf	 src = { 0 };
	struct mustache	*m;
	char		 err[256];
	int		 i;

	(void)state;
	for (i = 0; i < MUSTACHE_MAX_DEPTH; i++)
		buf_adds(&src, "{{#a}}");
	for (i = 0; i < MUSTACHE_MAX_DEPTH; i++)
		buf_adds(&src, "{{/a}}");
	m = set_with(src.p);
	mustache_free(m);
	buf_reset(&src);
	for (i = 0; i <= MUSTACHE_MAX_DEPTH; i++)
		buf_adds(&src, "{{#a}}");
	m = mustache_new();
	assert_int_equal(mustache_add(m, "t", src.p, src.len, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "t:1: sections nested deeper than 64");
	mustache_free(m);
	buf_free(&src);
}

static void
test_err_keeps_the_old_template(void **state)
{
	struct mustache	*m = set_with("old");
	char		 err[256], *got;

	(void)state;
	assert_int_equal(mustache_add(m, "t", "{{#x}}", 6, err, sizeof(err)),
	    -1);
	got = render_json(m, "{}");
	assert_string_equal(got, "old");
	free(got);
	mustache_free(m);
}

static void
test_err_empty_template_name(void **state)
{
	struct mustache	*m = mustache_new();
	char		 err[256];

	(void)state;
	assert_int_equal(mustache_add(m, "", "x", 1, err, sizeof(err)), -1);
	assert_string_equal(err, "template name is empty");
	mustache_free(m);
}

static void
test_render_unknown_template(void **state)
{
	struct mustache	*m = set_with("x");
	struct buf	 out = { 0 };

	(void)state;
	assert_int_equal(mustache_render(m, "nope", NULL, &out), -1);
	assert_null(out.p);
	assert_int_equal(out.len, 0);
	assert_false(mustache_has(m, "nope"));
	assert_true(mustache_has(m, "t"));
	mustache_free(m);
}

static void
test_render_appends(void **state)
{
	struct mustache	*m = set_with("b");
	struct buf	 out = { 0 };

	(void)state;
	buf_adds(&out, "a");
	assert_int_equal(mustache_render(m, "t", NULL, &out), 0);
	assert_int_equal(mustache_render(m, "t", NULL, &out), 0);
	assert_string_equal(out.p, "abb");
	buf_free(&out);
	mustache_free(m);
}

static void
test_partials_resolve_at_render_time(void **state)
{
	struct mustache	*m = set_with("[{{>p}}]");
	char		 err[256], *got;

	(void)state;
	got = render_json(m, "{}");
	assert_string_equal(got, "[]");
	free(got);
	assert_int_equal(mustache_add(m, "p", "{{x}}", 5, err, sizeof(err)),
	    0);
	got = render_json(m, "{\"x\":1}");
	assert_string_equal(got, "[1]");
	free(got);
	assert_int_equal(mustache_add(m, "p", "<{{x}}>", 7, err, sizeof(err)),
	    0);
	got = render_json(m, "{\"x\":1}");
	assert_string_equal(got, "[<1>]");
	free(got);
	mustache_free(m);
}

static void
test_partial_names_never_reach_the_filesystem(void **state)
{
	(void)state;
	check("[{{>/etc/passwd}}{{>../t}}{{<../../etc/hosts}}{{/../../etc/"
	    "hosts}}]", "{}", "[]");
}

static void
test_standalone_partials_indent_each_line(void **state)
{
	struct mustache	*m = set_with("<ul>\n  {{>item}}\n</ul>\n");
	char		 err[256], *got;
	const char	*item = "{{#l}}\n<li>\n  {{>v}}\n</li>\n{{/l}}\n";

	(void)state;
	assert_int_equal(mustache_add(m, "item", item, strlen(item), err,
	    sizeof(err)), 0);
	assert_int_equal(mustache_add(m, "v", "{{.}}\n", 6, err, sizeof(err)),
	    0);
	got = render_json(m, "{\"l\":[\"a\",\"b\\nc\"]}");
	/* Template lines are indented, a value's own newlines are not. */
	assert_string_equal(got, "<ul>\n  <li>\n    a\n  </li>\n  <li>\n"
	    "    b\nc\n  </li>\n</ul>\n");
	free(got);
	mustache_free(m);
}

static void
test_layout_inheritance(void **state)
{
	struct mustache	*m = mustache_new();
	char		 err[256], *got;
	const char	*layout = "<title>{{$title}}orgaudit{{/title}}</title>\n"
			    "<main>\n  {{$content}}\n  <p>empty</p>\n  "
			    "{{/content}}\n</main>\n";
	const char	*page = "{{<layout}}\n{{$title}}Keys · {{org}}"
			    "{{/title}}\n{{$content}}\n<h1>{{org}}</h1>\n"
			    "<p>x</p>\n{{/content}}\n{{/layout}}\n";

	(void)state;
	assert_int_equal(mustache_add(m, "layout", layout, strlen(layout),
	    err, sizeof(err)), 0);
	assert_int_equal(mustache_add(m, "t", page, strlen(page), err,
	    sizeof(err)), 0);
	got = render_json(m, "{\"org\":\"<Acme>\"}");
	assert_string_equal(got, "<title>Keys · &lt;Acme&gt;</title>\n"
	    "<main>\n  <h1>&lt;Acme&gt;</h1>\n  <p>x</p>\n</main>\n");
	free(got);
	assert_int_equal(mustache_add(m, "t", "{{<layout}}{{/layout}}", 22,
	    err, sizeof(err)), 0);
	got = render_json(m, "{}");
	assert_string_equal(got, "<title>orgaudit</title>\n<main>\n"
	    "  <p>empty</p>\n</main>\n");
	free(got);
	mustache_free(m);
}

/* Writes a file name in dir with n bytes of s. */
static void
write_file(const char *dir, const char *name, const char *s, size_t n)
{
	char	*path = xasprintf("%s/%s", dir, name);
	FILE	*f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(s, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
	free(path);
}

static void
write_str(const char *dir, const char *name, const char *s)
{
	write_file(dir, name, s, strlen(s));
}

static void
remove_file(const char *dir, const char *name)
{
	char	*path = xasprintf("%s/%s", dir, name);

	assert_int_equal(remove(path), 0);
	free(path);
}

static void
test_load_dir(void **state)
{
	char		 dir[] = "/tmp/test-mustache.XXXXXX", err[256] = "";
	char		*sub;
	struct mustache	*m = mustache_new();
	struct buf	 out = { 0 };
	json_t		*data = json_pack("{s:[{s:i},{s:i}]}", "rows", "id", 1,
			    "id", 2);

	(void)state;
	assert_non_null(mkdtemp(dir));
	write_str(dir, "layout.mustache", "<main>{{$body}}{{/body}}</main>");
	write_str(dir, "page.mustache", "{{<layout}}{{$body}}{{#rows}}"
	    "{{>row}}{{/rows}}{{/body}}{{/layout}}");
	write_str(dir, "row.mustache", "<i>{{id}}</i>");
	write_str(dir, "notes.txt", "{{");
	write_str(dir, ".hidden.mustache", "{{");
	sub = xasprintf("%s/sub.mustache", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(mustache_load_dir(m, dir, err, sizeof(err)), 0);
	assert_true(mustache_has(m, "layout"));
	assert_true(mustache_has(m, "page"));
	assert_true(mustache_has(m, "row"));
	assert_false(mustache_has(m, "notes"));
	assert_false(mustache_has(m, ".hidden"));
	assert_false(mustache_has(m, "sub"));
	assert_int_equal(mustache_render(m, "page", data, &out), 0);
	assert_string_equal(out.p, "<main><i>1</i><i>2</i></main>");
	assert_int_equal(rmdir(sub), 0);
	remove_file(dir, "layout.mustache");
	remove_file(dir, "page.mustache");
	remove_file(dir, "row.mustache");
	remove_file(dir, "notes.txt");
	remove_file(dir, ".hidden.mustache");
	assert_int_equal(rmdir(dir), 0);
	free(sub);
	buf_free(&out);
	json_decref(data);
	mustache_free(m);
}

static void
test_load_dir_missing(void **state)
{
	struct mustache	*m = mustache_new();
	char		 err[256] = "";

	(void)state;
	assert_int_equal(mustache_load_dir(m, "/nonexistent/templates", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "/nonexistent/templates: No such file or "
	    "directory");
	mustache_free(m);
}

static void
test_load_dir_bad_template(void **state)
{
	char		 dir[] = "/tmp/test-mustache.XXXXXX", err[256] = "";
	struct mustache	*m = mustache_new();

	(void)state;
	assert_non_null(mkdtemp(dir));
	write_str(dir, "bad.mustache", "ok\n{{#rows}}\n");
	assert_int_equal(mustache_load_dir(m, dir, err, sizeof(err)), -1);
	assert_string_equal(err, "bad:2: section 'rows' is never closed");
	remove_file(dir, "bad.mustache");
	assert_int_equal(rmdir(dir), 0);
	mustache_free(m);
}

static void
test_load_dir_file_too_big(void **state)
{
	char		 dir[] = "/tmp/test-mustache.XXXXXX", err[256] = "";
	char		*big, *want;
	struct mustache	*m = mustache_new();

	(void)state;
	assert_non_null(mkdtemp(dir));
	big = xcalloc(1, MUSTACHE_MAX_FILE + 1);
	memset(big, 'x', MUSTACHE_MAX_FILE + 1);
	write_file(dir, "big.mustache", big, MUSTACHE_MAX_FILE + 1);
	assert_int_equal(mustache_load_dir(m, dir, err, sizeof(err)), -1);
	want = xasprintf("%s/big.mustache: larger than %d bytes", dir,
	    MUSTACHE_MAX_FILE);
	assert_string_equal(err, want);
	assert_false(mustache_has(m, "big"));
	remove_file(dir, "big.mustache");
	assert_int_equal(rmdir(dir), 0);
	free(want);
	free(big);
	mustache_free(m);
}

static void
test_recursion_with_data_that_never_ends(void **state)
{
	/* n is true at every level: only the depth limit stops this. */
	struct mustache	*m = set_with("x{{#n}}{{>t}}{{/n}}");
	char		*got = render_json(m, "{\"n\":true}");
	size_t		 i;

	(void)state;
	/* One x per partial-and-section level, 2 levels deep each. */
	assert_int_equal(strlen(got), MUSTACHE_MAX_DEPTH / 2 + 1);
	for (i = 0; got[i] != '\0'; i++)
		assert_int_equal(got[i], 'x');
	free(got);
	mustache_free(m);
}

/* Renders t against json, expecting the step or output limit to stop it. */
static void
check_too_much(const struct mustache *m, const char *json)
{
	struct buf	 out = { 0 };
	json_t		*data = json_loads(json, JSON_DECODE_ANY, NULL);

	assert_non_null(data);
	buf_adds(&out, "kept");
	assert_int_equal(mustache_render(m, "t", data, &out), -1);
	/* What was there before the render stays; nothing half-made. */
	assert_int_equal(out.len, 4);
	assert_string_equal(out.p, "kept");
	json_decref(data);
	buf_free(&out);
}

static void
test_recursion_doubling_partial_ends(void **state)
{
	/* 2^64 expansions by depth alone: the step limit stops it. */
	struct mustache	*m = set_with("{{>t}}{{>t}}.");

	(void)state;
	check_too_much(m, "{}");
	mustache_free(m);
}

static void
test_nested_lists_multiplying_end(void **state)
{
	/* 3^40 repetitions of nested sections over one list, no partials. */
	struct buf	 src = { 0 };
	struct mustache	*m;
	int		 i;

	(void)state;
	for (i = 0; i < 40; i++)
		buf_adds(&src, "{{#b}}");
	buf_adds(&src, "x");
	for (i = 0; i < 40; i++)
		buf_adds(&src, "{{/b}}");
	m = set_with(src.p);
	check_too_much(m, "{\"b\":[1,2,3]}");
	/* Ten levels, 3^10 = 59049 x's, are well inside the limits. */
	mustache_free(m);
	buf_reset(&src);
	for (i = 0; i < 10; i++)
		buf_adds(&src, "{{#b}}");
	buf_adds(&src, "x");
	for (i = 0; i < 10; i++)
		buf_adds(&src, "{{/b}}");
	m = set_with(src.p);
	{
		char	*got = render_json(m, "{\"b\":[1,2,3]}");

		assert_int_equal(strlen(got), 59049);
		free(got);
	}
	buf_free(&src);
	mustache_free(m);
}

/* t: levels nested sections over b around {{name}}. */
static struct mustache *
set_nested(int levels, const char *name)
{
	struct buf	 src = { 0 };
	struct mustache	*m;
	int		 i;

	for (i = 0; i < levels; i++)
		buf_adds(&src, "{{#b}}");
	buf_printf(&src, "{{%s}}", name);
	for (i = 0; i < levels; i++)
		buf_adds(&src, "{{/b}}");
	m = set_with(src.p);
	buf_free(&src);
	return m;
}

static void
test_long_names_count_against_steps(void **state)
{
	/* 3^12 lookups: of a one-byte name they fit, of a long one not. */
	struct mustache	*m = set_nested(12, "a");
	char		*got;

	(void)state;
	got = render_json(m, "{\"b\":[1,2,3]}");
	assert_int_equal(strlen(got), 0);
	free(got);
	mustache_free(m);
	m = set_nested(12, "a_name_of_thirty_two_bytes_long");
	check_too_much(m, "{\"b\":[1,2,3]}");
	mustache_free(m);
}

static void
test_output_past_limit_fails(void **state)
{
	/* Few steps, many bytes: a 1 MiB value repeated 17 times. */
	struct mustache	*m = set_with("{{#l}}{{v}}{{/l}}");
	json_t		*data, *l;
	struct buf	 out = { 0 };
	char		*big;
	int		 i;

	(void)state;
	big = xcalloc(1, 1024 * 1024 + 1);
	memset(big, 'v', 1024 * 1024);
	l = json_array();
	for (i = 0; i < 17; i++)
		json_array_append_new(l, json_integer(i));
	data = json_pack("{s:s, s:o}", "v", big, "l", l);
	assert_int_equal(mustache_render(m, "t", data, &out), -1);
	assert_int_equal(out.len, 0);
	/* Sixteen repetitions, exactly the limit, still render. */
	json_array_remove(l, 0);
	assert_int_equal(mustache_render(m, "t", data, &out), 0);
	assert_int_equal(out.len, MUSTACHE_MAX_OUTPUT);
	json_decref(data);
	buf_free(&out);
	free(big);
	mustache_free(m);
}

static void
test_recursion_parent_of_itself_ends(void **state)
{
	(void)state;
	check("{{<t}}{{$b}}x{{/b}}{{/t}}", "{}", "");
}

static void
test_recursion_over_a_data_tree(void **state)
{
	struct mustache	*m = set_with("({{name}}{{#kids}}{{>t}}{{/kids}})");
	char		*got;

	(void)state;
	got = render_json(m, "{\"name\":\"a\",\"kids\":[{\"name\":\"b\","
	    "\"kids\":[{\"name\":\"c\",\"kids\":[]}]},{\"name\":\"d\",\"kids\":[]}]}");
	assert_string_equal(got, "(a(b(c))(d))");
	free(got);
	mustache_free(m);
}

static void
test_large_section_renders_every_row(void **state)
{
	struct mustache	*m = set_with("<table>\n{{#rows}}\n<tr><td>{{id}}"
			    "</td><td>{{name}}</td></tr>\n{{/rows}}\n</table>\n");
	struct buf	 out = { 0 };
	json_t		*data, *rows = json_array();
	size_t		 i, want = strlen("<table>\n</table>\n");
	char		 name[32];
	const char	*first = "<table>\n<tr><td>0</td><td>key &lt;0&gt;"
			    "</td></tr>\n<tr><td>1</td>";
	const char	*last = "<tr><td>9999</td><td>key &lt;9999&gt;</td>"
			    "</tr>\n</table>\n";

	(void)state;
	for (i = 0; i < 10000; i++) {
		snprintf(name, sizeof(name), "key <%zu>", i);
		json_array_append_new(rows, json_pack("{s:i,s:s}", "id",
		    (int)i, "name", name));
		want += strlen("<tr><td></td><td></td></tr>\n") +
		    (size_t)snprintf(NULL, 0, "%zu", i) * 2 +
		    strlen("key &lt;&gt;");
	}
	data = json_pack("{s:o}", "rows", rows);
	assert_int_equal(mustache_render(m, "t", data, &out), 0);
	assert_int_equal(out.len, want);
	assert_memory_equal(out.p, first, strlen(first));
	assert_string_equal(out.p + out.len - strlen(last), last);
	buf_free(&out);
	json_decref(data);
	mustache_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_all_five),
		cmocka_unit_test(test_escape_script_tag),
		cmocka_unit_test(test_escape_attribute_breakout),
		cmocka_unit_test(test_escape_keeps_utf8),
		cmocka_unit_test(test_escape_10kb_string),
		cmocka_unit_test(test_escape_everywhere_a_name_is_used),
		cmocka_unit_test(test_raw_only_via_triple_or_ampersand),
		cmocka_unit_test(test_custom_delimiters_still_escape),
		cmocka_unit_test(test_numbers_and_booleans),
		cmocka_unit_test(test_null_lists_and_objects_print_nothing),
		cmocka_unit_test(test_falsy_values),
		cmocka_unit_test(test_truthy_values),
		cmocka_unit_test(test_dotted_name_stops_at_first_part),
		cmocka_unit_test(test_null_data_renders),
		cmocka_unit_test(test_err_unclosed_tag),
		cmocka_unit_test(test_err_unclosed_tag_after_new_delimiters),
		cmocka_unit_test(test_err_unclosed_section),
		cmocka_unit_test(test_err_mismatched_close),
		cmocka_unit_test(test_err_close_without_open),
		cmocka_unit_test(test_err_bad_delimiter),
		cmocka_unit_test(test_err_empty_tag),
		cmocka_unit_test(test_err_bad_name),
		cmocka_unit_test(test_err_unclosed_parent_and_block),
		cmocka_unit_test(test_err_tag_directly_inside_parent),
		cmocka_unit_test(test_err_nesting_too_deep),
		cmocka_unit_test(test_err_keeps_the_old_template),
		cmocka_unit_test(test_err_empty_template_name),
		cmocka_unit_test(test_render_unknown_template),
		cmocka_unit_test(test_render_appends),
		cmocka_unit_test(test_partials_resolve_at_render_time),
		cmocka_unit_test(test_partial_names_never_reach_the_filesystem),
		cmocka_unit_test(test_standalone_partials_indent_each_line),
		cmocka_unit_test(test_layout_inheritance),
		cmocka_unit_test(test_load_dir),
		cmocka_unit_test(test_load_dir_missing),
		cmocka_unit_test(test_load_dir_bad_template),
		cmocka_unit_test(test_load_dir_file_too_big),
		cmocka_unit_test(test_recursion_with_data_that_never_ends),
		cmocka_unit_test(test_recursion_doubling_partial_ends),
		cmocka_unit_test(test_nested_lists_multiplying_end),
		cmocka_unit_test(test_long_names_count_against_steps),
		cmocka_unit_test(test_output_past_limit_fails),
		cmocka_unit_test(test_recursion_parent_of_itself_ends),
		cmocka_unit_test(test_recursion_over_a_data_tree),
		cmocka_unit_test(test_large_section_renders_every_row),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
