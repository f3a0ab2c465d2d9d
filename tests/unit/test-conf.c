/*
 * test-conf.c: unit tests for src/conf.h (defaults, the file format,
 * errors naming file and line, choosing the path).
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

#include "conf.h"

struct tmp {
	char	 dir[64];
	char	 path[128];
};

/* Writes text to a fresh orgaudit.conf in a new directory. */
static void
tmp_conf(struct tmp *t, const char *text)
{
	FILE	*f;

	strcpy(t->dir, "/tmp/orgaudit-test-conf-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/orgaudit.conf", t->dir);
	assert_non_null(f = fopen(t->path, "w"));
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void
tmp_done(struct tmp *t)
{
	unlink(t->path);
	rmdir(t->dir);
}

/* Loads text over the defaults into c; returns conf_load()'s result. */
static int
load_text(const char *text, struct conf *c, struct tmp *t, char *err,
    size_t errlen)
{
	int	 rc;

	tmp_conf(t, text);
	conf_defaults(c);
	rc = conf_load(c, t->path, err, errlen);
	tmp_done(t);
	return rc;
}

static void
test_conf_defaults(void **state)
{
	struct conf	 c;

	(void)state;
	conf_defaults(&c);
	assert_int_equal(c.stale_days, 90);
	assert_string_equal(c.openai_base_url, "https://api.openai.com/v1");
	assert_int_equal(c.collect_concurrency, 24);	/* since a1543dd */
	assert_int_equal(c.db_port, 3306);
	assert_string_equal(c.db_name, "orgaudit");
	assert_string_equal(c.log_level, "info");
	assert_string_equal(c.master_key_file, "/etc/orgaudit/master.key");
	assert_int_equal(c.api_page_default, 50);
	assert_int_equal(c.api_page_max, 200);
	assert_int_equal(c.page_limit, 100);
	assert_non_null(c.db_host);
	assert_string_equal(c.db_host, "");
	conf_free(&c);
	assert_null(c.openai_base_url);
}

static void
test_conf_file_overrides_values(void **state)
{
	struct conf	 c;
	struct tmp	 t;
	char		 err[512] = "";
	int		 rc;

	(void)state;
	rc = load_text(
	    "# orgaudit configuration\n"
	    "\n"
	    "   \n"
	    "stale_days = 30\n"
	    "\t# indented comment\n"
	    "openai_base_url=http://127.0.0.1:8089/v1\n"
	    "  collect_concurrency   =   4  \n"
	    "db_name = audit\r\n"
	    "log_level = debug\n", &c, &t, err, sizeof(err));
	assert_int_equal(rc, 0);
	assert_int_equal(c.stale_days, 30);
	assert_string_equal(c.openai_base_url, "http://127.0.0.1:8089/v1");
	assert_int_equal(c.collect_concurrency, 4);
	assert_string_equal(c.db_name, "audit");
	assert_string_equal(c.log_level, "debug");
	/* Untouched keys keep their defaults. */
	assert_int_equal(c.db_port, 3306);
	assert_string_equal(c.db_user, "orgaudit");
	conf_free(&c);
}

static void
test_conf_last_line_without_newline(void **state)
{
	struct conf	 c;
	struct tmp	 t;
	char		 err[512] = "";
	int		 rc;

	(void)state;
	rc = load_text("stale_days = 45", &c, &t, err, sizeof(err));
	assert_int_equal(rc, 0);
	assert_int_equal(c.stale_days, 45);
	conf_free(&c);
}

static void
test_conf_empty_value_for_string(void **state)
{
	struct conf	 c;
	struct tmp	 t;
	char		 err[512] = "";
	int		 rc;

	(void)state;
	rc = load_text("db_socket =\n", &c, &t, err, sizeof(err));
	assert_int_equal(rc, 0);
	assert_string_equal(c.db_socket, "");
	conf_free(&c);
}

static void
test_conf_later_line_wins(void **state)
{
	struct conf	 c;
	struct tmp	 t;
	char		 err[512] = "";
	int		 rc;

	(void)state;
	rc = load_text("db_user = a\ndb_user = b\n", &c, &t, err, sizeof(err));
	assert_int_equal(rc, 0);
	assert_string_equal(c.db_user, "b");
	conf_free(&c);
}

static void
test_conf_empty_file_keeps_defaults(void **state)
{
	struct conf	 c;
	struct tmp	 t;
	char		 err[512] = "";
	int		 rc;

	(void)state;
	rc = load_text("", &c, &t, err, sizeof(err));
	assert_int_equal(rc, 0);
	assert_int_equal(c.stale_days, 90);
	conf_free(&c);
}

static void
test_conf_unknown_key_names_file_and_line(void **state)
{
	struct conf	 c;
	struct tmp	 t;
	char		 err[512] = "", want[256];
	int		 rc;

	(void)state;
	rc = load_text("# comment\nstale_days = 30\nstael_days = 30\n", &c, &t,
	    err, sizeof(err));
	conf_free(&c);
	assert_int_equal(rc, -1);
	snprintf(want, sizeof(want), "%s:3: ", t.path);
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, "stael_days"));
	assert_non_null(strstr(err, "unknown key"));
}

static void
test_conf_number_out_of_range(void **state)
{
	struct conf	 c;
	struct tmp	 t;
	char		 err[512] = "", want[256];
	int		 rc;

	(void)state;
	rc = load_text("\nstale_days = 0\n", &c, &t, err, sizeof(err));
	conf_free(&c);
	assert_int_equal(rc, -1);
	snprintf(want, sizeof(want), "%s:2: ", t.path);
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, "stale_days"));
	assert_non_null(strstr(err, "1 to 3650"));
}

static void
test_conf_number_above_range(void **state)
{
	struct conf	 c;
	struct tmp	 t;
	char		 err[512] = "";
	int		 rc;

	(void)state;
	rc = load_text("db_port = 65536\n", &c, &t, err, sizeof(err));
	conf_free(&c);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "db_port"));
}

static void
test_conf_number_not_a_number(void **state)
{
	struct conf	 c;
	struct tmp	 t;
	char		 err[512] = "";
	int		 rc;

	(void)state;
	rc = load_text("stale_days = 30 days\n", &c, &t, err, sizeof(err));
	conf_free(&c);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, ":1: "));
	rc = load_text("stale_days = 0x10\n", &c, &t, err, sizeof(err));
	conf_free(&c);
	assert_int_equal(rc, -1);
	rc = load_text("stale_days =\n", &c, &t, err, sizeof(err));
	conf_free(&c);
	assert_int_equal(rc, -1);
}

static void
test_conf_missing_equals(void **state)
{
	struct conf	 c;
	struct tmp	 t;
	char		 err[512] = "", want[256];
	int		 rc;

	(void)state;
	rc = load_text("stale_days = 30\nstale_days 30\n", &c, &t, err,
	    sizeof(err));
	conf_free(&c);
	assert_int_equal(rc, -1);
	snprintf(want, sizeof(want), "%s:2: ", t.path);
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, "key = value"));
}

static void
test_conf_bad_log_level(void **state)
{
	struct conf	 c;
	struct tmp	 t;
	char		 err[512] = "";
	int		 rc;

	(void)state;
	rc = load_text("log_level = verbose\n", &c, &t, err, sizeof(err));
	conf_free(&c);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, t.path));
	assert_non_null(strstr(err, "log_level"));
}

static void
test_conf_each_valid_log_level(void **state)
{
	static const char	*lv[] = { "error", "warning", "info", "debug" };
	struct conf		 c;
	struct tmp		 t;
	char			 err[512] = "", text[64];
	size_t			 i;
	int			 rc;

	(void)state;
	for (i = 0; i < 4; i++) {
		snprintf(text, sizeof(text), "log_level = %s\n", lv[i]);
		rc = load_text(text, &c, &t, err, sizeof(err));
		assert_int_equal(rc, 0);
		assert_string_equal(c.log_level, lv[i]);
		conf_free(&c);
	}
}

static void
test_conf_missing_file(void **state)
{
	struct conf	 c;
	char		 err[512] = "";
	int		 rc;

	(void)state;
	conf_defaults(&c);
	rc = conf_load(&c, "/nonexistent/orgaudit-test.conf", err, sizeof(err));
	conf_free(&c);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "/nonexistent/orgaudit-test.conf"));
}

static void
test_conf_error_fits_small_buffer(void **state)
{
	struct conf	 c;
	struct tmp	 t;
	char		 err[32];
	int		 rc;

	(void)state;
	memset(err, 'Z', sizeof(err));
	rc = load_text("no_such_key = 1\n", &c, &t, err, 16);
	conf_free(&c);
	assert_int_equal(rc, -1);
	assert_int_equal(strlen(err), 15);
	assert_int_equal(err[16], 'Z');
}

static void
test_conf_path_explicit_wins(void **state)
{
	(void)state;
	assert_int_equal(setenv("ORGAUDIT_CONF", "/from/env.conf", 1), 0);
	assert_string_equal(conf_path("/explicit.conf"), "/explicit.conf");
	unsetenv("ORGAUDIT_CONF");
}

static void
test_conf_path_env_when_no_explicit(void **state)
{
	(void)state;
	assert_int_equal(setenv("ORGAUDIT_CONF", "/from/env.conf", 1), 0);
	assert_string_equal(conf_path(NULL), "/from/env.conf");
	unsetenv("ORGAUDIT_CONF");
}

static void
test_conf_path_default_without_env(void **state)
{
	(void)state;
	unsetenv("ORGAUDIT_CONF");
	assert_string_equal(conf_path(NULL), CONF_DEFAULT_PATH);
	assert_string_equal(conf_path(NULL), "/etc/orgaudit/orgaudit.conf");
}

static void
test_conf_path_empty_env_uses_default(void **state)
{
	(void)state;
	assert_int_equal(setenv("ORGAUDIT_CONF", "", 1), 0);
	assert_string_equal(conf_path(NULL), CONF_DEFAULT_PATH);
	unsetenv("ORGAUDIT_CONF");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_defaults),
		cmocka_unit_test(test_conf_file_overrides_values),
		cmocka_unit_test(test_conf_last_line_without_newline),
		cmocka_unit_test(test_conf_empty_value_for_string),
		cmocka_unit_test(test_conf_later_line_wins),
		cmocka_unit_test(test_conf_empty_file_keeps_defaults),
		cmocka_unit_test(test_conf_unknown_key_names_file_and_line),
		cmocka_unit_test(test_conf_number_out_of_range),
		cmocka_unit_test(test_conf_number_above_range),
		cmocka_unit_test(test_conf_number_not_a_number),
		cmocka_unit_test(test_conf_missing_equals),
		cmocka_unit_test(test_conf_bad_log_level),
		cmocka_unit_test(test_conf_each_valid_log_level),
		cmocka_unit_test(test_conf_missing_file),
		cmocka_unit_test(test_conf_error_fits_small_buffer),
		cmocka_unit_test(test_conf_path_explicit_wins),
		cmocka_unit_test(test_conf_path_env_when_no_explicit),
		cmocka_unit_test(test_conf_path_default_without_env),
		cmocka_unit_test(test_conf_path_empty_env_uses_default),
	};

	return cmocka_run_group_tests_name("conf", tests, NULL, NULL);
}
