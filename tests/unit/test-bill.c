/*
 * test-bill.c: unit tests for src/bill-calc.h (a month's amount from daily
 * counts).  Expected values are worked out by hand in the comments.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "bill-calc.h"

#define MAXD 31

static void
fill(struct bill_day *d, int n, bool connected, int users, int projects)
{
	int	 i;

	for (i = 0; i < n; i++) {
		d[i].connected = connected;
		d[i].has = true;
		d[i].users = users;
		d[i].projects = projects;
	}
}

static void
test_month_parse_and_lengths(void **state)
{
	struct bill_month	 m;

	(void)state;
	assert_int_equal(bill_month_parse("2026-02", &m), 0);
	assert_int_equal(m.days, 28);
	assert_string_equal(m.first, "2026-02-01");
	assert_string_equal(m.last, "2026-02-28");
	assert_int_equal(m.start, 1769904000);		/* 2026-02-01T00:00Z */
	assert_int_equal(m.end - m.start, 28 * 86400);
	assert_int_equal(bill_month_parse("2028-02", &m), 0);
	assert_int_equal(m.days, 29);			/* leap year */
	assert_int_equal(bill_month_parse("2100-02", &m), 0);
	assert_int_equal(m.days, 28);			/* not a leap year */
	assert_int_equal(bill_month_parse("2000-02", &m), 0);
	assert_int_equal(m.days, 29);			/* but 2000 was */
	assert_int_equal(bill_month_parse("2026-04", &m), 0);
	assert_int_equal(m.days, 30);
	assert_int_equal(bill_month_parse("2026-12", &m), 0);
	assert_int_equal(m.days, 31);
	assert_string_equal(m.name, "2026-12");
	assert_int_equal(m.end, 1798761600);		/* 2027-01-01T00:00Z */
}

static void
test_month_parse_rejects(void **state)
{
	static const char *bad[] = {
		"", "2026", "2026-1", "2026-13", "2026-00", "26-01",
		"2026/01", "2026-01-01", "1999-12", "20x6-01", " 2026-01",
		"2026-1a",
	};
	struct bill_month	 m;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(bill_month_parse(bad[i], &m), -1);
	assert_int_equal(bill_month_parse(NULL, &m), -1);
}

static void
test_month_of_and_prev(void **state)
{
	struct bill_month	 m, p;

	(void)state;
	bill_month_of(1795471200, &m);		/* 2026-11-23T22:00Z */
	assert_string_equal(m.name, "2026-11");
	bill_month_prev(&m, &p);
	assert_string_equal(p.name, "2026-10");
	bill_month_parse("2027-01", &m);
	bill_month_prev(&m, &p);
	assert_string_equal(p.name, "2026-12");
	bill_month_of(m.start - 1, &p);		/* the last second before */
	assert_string_equal(p.name, "2026-12");
	bill_month_of(m.start, &p);
	assert_string_equal(p.name, "2027-01");
}

static void
test_day_index_edges(void **state)
{
	struct bill_month	 m;

	(void)state;
	bill_month_parse("2026-10", &m);
	assert_int_equal(bill_day_index(&m, m.start - 1), -1);
	assert_int_equal(bill_day_index(&m, m.start), 0);
	assert_int_equal(bill_day_index(&m, m.start + 86399), 0);
	assert_int_equal(bill_day_index(&m, m.start + 86400), 1);
	assert_int_equal(bill_day_index(&m, m.end - 1), 30);
	assert_int_equal(bill_day_index(&m, m.end), 31);
}

static void
test_connect_marks_the_days_touched(void **state)
{
	struct bill_month	 m;
	struct bill_day		 d[MAXD];
	int			 i, n = 0;

	(void)state;
	bill_month_parse("2026-10", &m);
	memset(d, 0, sizeof(d));
	/* From the 16th at 09:00 to the 20th at 00:00:01: 16th..20th. */
	bill_connect(&m, d, m.start + 15 * 86400 + 9 * 3600,
	    m.start + 19 * 86400 + 1);
	for (i = 0; i < m.days; i++)
		n += d[i].connected;
	assert_int_equal(n, 5);
	assert_true(d[15].connected && d[19].connected);
	assert_false(d[14].connected || d[20].connected);
	/* Connected before the month and still connected: every day. */
	memset(d, 0, sizeof(d));
	bill_connect(&m, d, m.start - 86400 * 40, 0);
	for (i = 0, n = 0; i < m.days; i++)
		n += d[i].connected;
	assert_int_equal(n, 31);
	/* Disconnected before the month: no day. */
	memset(d, 0, sizeof(d));
	bill_connect(&m, d, m.start - 86400 * 40, m.start - 1);
	for (i = 0, n = 0; i < m.days; i++)
		n += d[i].connected;
	assert_int_equal(n, 0);
	/* Connected after it: no day. */
	bill_connect(&m, d, m.end, 0);
	for (i = 0, n = 0; i < m.days; i++)
		n += d[i].connected;
	assert_int_equal(n, 0);
}

static void
test_worked_example_4000(void **state)
{
	struct bill_month	 m;
	struct bill_day		 d[MAXD];
	struct bill_usage	 u;
	char			 desc[200];

	(void)state;
	bill_month_parse("2026-10", &m);
	fill(d, m.days, true, 25, 3);
	bill_usage(&m, d, NULL, &u);
	assert_int_equal(u.days, 31);
	assert_int_equal(u.user_days, 775);
	assert_int_equal(u.project_days, 93);
	assert_int_equal(u.cents, 4000);
	bill_description(&u, desc, sizeof(desc));
	assert_string_equal(desc, "orgaudit OpenAI Audit \xe2\x80\x94 25.0 "
	    "users \xc3\x97 \xe2\x82\xac" "1 + 3.0 projects \xc3\x97 "
	    "\xe2\x82\xac" "5");
	/* The same org in February and April: the same €40. */
	bill_month_parse("2026-02", &m);
	bill_usage(&m, d, NULL, &u);
	assert_int_equal(u.cents, 4000);
	bill_month_parse("2026-04", &m);
	bill_usage(&m, d, NULL, &u);
	assert_int_equal(u.cents, 4000);
}

static void
test_carry_forward(void **state)
{
	struct bill_month	 m;
	struct bill_day		 march = { false, true, 4, 2 };
	struct bill_day		 d[MAXD];
	struct bill_usage	 u;

	(void)state;
	bill_month_parse("2026-04", &m);
	fill(d, m.days, true, 10, 1);
	/* No pull on the 1st (carries 4/2 from March) nor on the 11th. */
	d[0].has = false;
	d[10].has = false;
	d[11].users = d[12].users = 30;
	bill_usage(&m, d, &march, &u);
	/* users: 4 + 9*10 + 10 (carried) + 30 + 30 + 17*10 = 334 */
	assert_int_equal(u.user_days, 334);
	/* projects: 2 + 29*1 = 31 */
	assert_int_equal(u.project_days, 31);
	/* (100*334 + 500*31) / 30 = 48900/30 = 1630 exactly */
	assert_int_equal(u.cents, 1630);
	/* Without anything to carry, the first day counts 0. */
	march.has = false;
	bill_usage(&m, d, &march, &u);
	assert_int_equal(u.user_days, 330);
	assert_int_equal(u.project_days, 29);
}

static void
test_disconnected_days_count_zero(void **state)
{
	struct bill_month	 m;
	struct bill_day		 d[MAXD];
	struct bill_usage	 u;
	int			 i;

	(void)state;
	bill_month_parse("2026-10", &m);
	fill(d, m.days, false, 25, 3);
	for (i = 15; i < m.days; i++)		/* connected on the 16th */
		d[i].connected = true;
	bill_usage(&m, d, NULL, &u);
	assert_int_equal(u.days, 16);
	/* (100*400 + 500*48) / 31 = 64000/31 = 2064.52 -> 2065 */
	assert_int_equal(u.cents, 2065);
	/* A snapshot on a day not connected still feeds the carry. */
	memset(d, 0, sizeof(d));
	d[2].has = true;
	d[2].users = 6;
	for (i = 5; i < 10; i++)
		d[i].connected = true;
	bill_usage(&m, d, NULL, &u);
	assert_int_equal(u.days, 5);
	assert_int_equal(u.user_days, 30);
}

static void
test_round_half_up(void **state)
{
	(void)state;
	assert_int_equal(bill_round(5, 2), 3);		/* 2.5 -> 3 */
	assert_int_equal(bill_round(3, 2), 2);		/* 1.5 -> 2 */
	assert_int_equal(bill_round(1, 2), 1);		/* 0.5 -> 1 */
	assert_int_equal(bill_round(0, 7), 0);
	assert_int_equal(bill_round(49, 100), 0);
	assert_int_equal(bill_round(50, 100), 1);
	assert_int_equal(bill_round(149, 100), 1);
	assert_int_equal(bill_round(150, 100), 2);
	assert_int_equal(bill_round(1500, 31), 48);	/* 48.39 */
	assert_int_equal(bill_round(1600, 31), 52);	/* 51.61 */
	/* Near .5 where a double would decide: 2^53 + 1 halves. */
	assert_int_equal(bill_round(INT64_C(9007199254740993), 2),
	    INT64_C(4503599627370497));
	assert_int_equal(bill_cents(0, 0, 30), 0);
	/* 1 user-day and 1 project-day in 31 days: 600/31 = 19.35 */
	assert_int_equal(bill_cents(1, 1, 31), 19);
}

static void
test_averages_and_euros(void **state)
{
	char	 s[32];

	(void)state;
	bill_avg(7, 28, 1, s, sizeof(s));	/* 0.25 -> 0.3 */
	assert_string_equal(s, "0.3");
	bill_avg(6, 28, 1, s, sizeof(s));	/* 0.214 -> 0.2 */
	assert_string_equal(s, "0.2");
	bill_avg(775, 31, 1, s, sizeof(s));
	assert_string_equal(s, "25.0");
	bill_avg(400, 31, 4, s, sizeof(s));	/* 12.903225… */
	assert_string_equal(s, "12.9032");
	bill_avg(1, 3, 4, s, sizeof(s));
	assert_string_equal(s, "0.3333");
	bill_avg(0, 30, 1, s, sizeof(s));
	assert_string_equal(s, "0.0");
	bill_euros(4000, s, sizeof(s));
	assert_string_equal(s, "\xe2\x82\xac" "40.00");
	bill_euros(5, s, sizeof(s));
	assert_string_equal(s, "\xe2\x82\xac" "0.05");
	bill_euros(123456789, s, sizeof(s));
	assert_string_equal(s, "\xe2\x82\xac" "1234567.89");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_month_parse_and_lengths),
		cmocka_unit_test(test_month_parse_rejects),
		cmocka_unit_test(test_month_of_and_prev),
		cmocka_unit_test(test_day_index_edges),
		cmocka_unit_test(test_connect_marks_the_days_touched),
		cmocka_unit_test(test_worked_example_4000),
		cmocka_unit_test(test_carry_forward),
		cmocka_unit_test(test_disconnected_days_count_zero),
		cmocka_unit_test(test_round_half_up),
		cmocka_unit_test(test_averages_and_euros),
	};

	return cmocka_run_group_tests_name("bill", tests, NULL, NULL);
}
