/*
 * test-mustache-spec.c: runs every case of the official mustache spec
 * files (every .json file in tests/mustache-spec, or $MUSTACHE_SPEC_DIR) against
 * src/mustache.h, one cmocka test per case, named "<file>: <case>".
 * Each case compiles its template and partials into a fresh set, renders
 * its data and must produce its expected output byte for byte.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mustache.h"
#include "util.h"

#define SPEC_DIR	"tests/mustache-spec"
#define MAIN_NAME	"spec-template"	/* no spec partial is called this */

/* One spec case; its values are borrowed from the loaded file. */
struct spec_case {
	char		*name;		/* "<file>: <case>", owned */
	json_t		*test;		/* the case object */
};

static struct spec_case	*cases;
static size_t		 ncases;
static json_t		**files;
static size_t		 nfiles;

/* s with newlines, tabs and other control bytes shown as escapes. */
static char *
show(const char *s, size_t n)
{
	struct buf	 b = { 0 };
	size_t		 i;

	buf_addc(&b, '"');
	for (i = 0; i < n; i++) {
		if (s[i] == '\n')
			buf_adds(&b, "\\n");
		else if (s[i] == '\r')
			buf_adds(&b, "\\r");
		else if (s[i] == '\t')
			buf_adds(&b, "\\t");
		else if (s[i] == '"' || s[i] == '\\')
			buf_printf(&b, "\\%c", s[i]);
		else if ((unsigned char)s[i] < 0x20)
			buf_printf(&b, "\\x%02x", (unsigned char)s[i]);
		else
			buf_addc(&b, s[i]);
	}
	buf_addc(&b, '"');
	return buf_take(&b);
}

/* Adds a string member of the case as a template; fails the test if not. */
static void
add_template(struct mustache *m, const char *name, json_t *src)
{
	char	 err[256];

	assert_true(json_is_string(src));
	if (mustache_add(m, name, json_string_value(src),
	    json_string_length(src), err, sizeof(err)) == -1)
		fail_msg("compiling %s: %s", name, err);
}

static void
run_case(void **state)
{
	struct spec_case	*sc = *state;
	struct mustache		*m = mustache_new();
	struct buf		 out = { 0 };
	json_t			*expected, *partial;
	const char		*pname;
	char			*want, *got;

	json_object_foreach(json_object_get(sc->test, "partials"), pname,
	    partial)
		add_template(m, pname, partial);
	add_template(m, MAIN_NAME, json_object_get(sc->test, "template"));
	assert_int_equal(mustache_render(m, MAIN_NAME,
	    json_object_get(sc->test, "data"), &out), 0);
	expected = json_object_get(sc->test, "expected");
	assert_true(json_is_string(expected));
	if (out.len != json_string_length(expected) || memcmp(out.p,
	    json_string_value(expected), out.len) != 0) {
		want = show(json_string_value(expected),
		    json_string_length(expected));
		got = show(out.p, out.len);
		print_error("template: %s\n", json_string_value(
		    json_object_get(sc->test, "template")));
		print_error("expected: %s\n", want);
		print_error("rendered: %s\n", got);
		free(want);
		free(got);
		buf_free(&out);
		mustache_free(m);
		fail();
	}
	buf_free(&out);
	mustache_free(m);
}

static int
is_spec_file(const struct dirent *d)
{
	size_t	 n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 5 &&
	    strcmp(d->d_name + n - 5, ".json") == 0;
}

/* Loads one spec file and appends its cases.  0 or -1. */
static int
load_file(const char *dir, const char *file)
{
	json_error_t	 je;
	json_t		*root, *tests, *test;
	char		*path;
	size_t		 i;
	int		 base = (int)(strlen(file) - 5);

	path = xasprintf("%s/%s", dir, file);
	root = json_load_file(path, 0, &je);
	free(path);
	if (root == NULL) {
		fprintf(stderr, "%s/%s:%d: %s\n", dir, file, je.line,
		    je.text);
		return -1;
	}
	files = xrealloc(files, (nfiles + 1) * sizeof(*files));
	files[nfiles++] = root;
	tests = json_object_get(root, "tests");
	json_array_foreach(tests, i, test) {
		cases = xrealloc(cases, (ncases + 1) * sizeof(*cases));
		cases[ncases].name = xasprintf("%.*s: %s", base, file,
		    json_string_value(json_object_get(test, "name")));
		cases[ncases].test = test;
		ncases++;
	}
	return 0;
}

/* Loads every spec file of dir, in name order.  0 or -1. */
static int
load_specs(const char *dir)
{
	struct dirent	**ents;
	int		  n, i, rc = 0;

	if ((n = scandir(dir, &ents, is_spec_file, alphasort)) == -1) {
		perror(dir);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (rc == 0 && load_file(dir, ents[i]->d_name) == -1)
			rc = -1;
		free(ents[i]);
	}
	free(ents);
	return rc;
}

int
main(void)
{
	struct CMUnitTest	*tests;
	const char		*dir = getenv("MUSTACHE_SPEC_DIR");
	size_t			 i;
	int			 rc = 1;

	if (dir == NULL || *dir == '\0')
		dir = SPEC_DIR;
	if (load_specs(dir) == -1 || ncases == 0)
		fprintf(stderr, "%s: no spec cases could be loaded\n", dir);
	else {
		tests = xcalloc(ncases, sizeof(*tests));
		for (i = 0; i < ncases; i++) {
			tests[i].name = cases[i].name;
			tests[i].test_func = run_case;
			tests[i].initial_state = &cases[i];
		}
		rc = _cmocka_run_group_tests("mustache-spec", tests, ncases,
		    NULL, NULL);
		free(tests);
	}
	for (i = 0; i < ncases; i++)
		free(cases[i].name);
	for (i = 0; i < nfiles; i++)
		json_decref(files[i]);
	free(cases);
	free(files);
	return rc;
}
