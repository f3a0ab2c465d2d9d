/*
 * bill-calc.c: see bill-calc.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bill-calc.h"

#define DAY	86400

static const int mdays[12] = {
	31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
};

static bool
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int64_t
month_start(int y, int mon)
{
	struct tm	 tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = 1;
	return (int64_t)timegm(&tm);
}

static void
month_set(struct bill_month *m, int y, int mon)
{
	memset(m, 0, sizeof(*m));
	m->year = y;
	m->mon = mon;
	m->days = mdays[mon - 1] + (mon == 2 && leap(y));
	m->start = month_start(y, mon);
	m->end = m->start + (int64_t)m->days * DAY;
	snprintf(m->name, sizeof(m->name), "%04d-%02d", y, mon);
	snprintf(m->first, sizeof(m->first), "%04d-%02d-01", y, mon);
	snprintf(m->last, sizeof(m->last), "%04d-%02d-%02d", y, mon,
	    m->days);
}

int
bill_month_parse(const char *s, struct bill_month *m)
{
	int	 i, y, mon;

	if (s == NULL || strlen(s) != 7 || s[4] != '-')
		return -1;
	for (i = 0; i < 7; i++)
		if (i != 4 && (s[i] < '0' || s[i] > '9'))
			return -1;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	mon = (s[5] - '0') * 10 + (s[6] - '0');
	if (y < 2000 || mon < 1 || mon > 12)
		return -1;
	month_set(m, y, mon);
	return 0;
}

void
bill_month_of(int64_t t, struct bill_month *m)
{
	time_t		 tt = (time_t)t;
	struct tm	 tm;

	if (gmtime_r(&tt, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	month_set(m, tm.tm_year + 1900, tm.tm_mon + 1);
}

void
bill_month_prev(const struct bill_month *m, struct bill_month *out)
{
	if (m->mon == 1)
		month_set(out, m->year - 1, 12);
	else
		month_set(out, m->year, m->mon - 1);
}

int
bill_day_index(const struct bill_month *m, int64_t t)
{
	if (t < m->start)
		return -1;
	if (t >= m->end)
		return m->days;
	return (int)((t - m->start) / DAY);
}

void
bill_connect(const struct bill_month *m, struct bill_day *day, int64_t from,
    int64_t to)
{
	int	 a, b, i;

	a = bill_day_index(m, from);
	b = to > 0 ? bill_day_index(m, to) : m->days - 1;
	if (a < 0)
		a = 0;
	if (b >= m->days)
		b = m->days - 1;
	for (i = a; i <= b; i++)
		day[i].connected = true;
}

void
bill_usage(const struct bill_month *m, const struct bill_day *day,
    const struct bill_day *carry, struct bill_usage *u)
{
	bool	 has = carry != NULL && carry->has;
	int	 i, users = has ? carry->users : 0;
	int	 projects = has ? carry->projects : 0;

	memset(u, 0, sizeof(*u));
	u->month_days = m->days;
	for (i = 0; i < m->days; i++) {
		if (day[i].has) {
			users = day[i].users;
			projects = day[i].projects;
		}
		if (!day[i].connected)
			continue;
		u->days++;
		u->user_days += users;
		u->project_days += projects;
	}
	u->cents = bill_cents(u->user_days, u->project_days, m->days);
}

int64_t
bill_round(int64_t num, int64_t den)
{
	return (2 * num + den) / (2 * den);
}

int64_t
bill_cents(int64_t user_days, int64_t project_days, int days)
{
	return bill_round(BILL_USER_CENTS * user_days +
	    BILL_PROJECT_CENTS * project_days, days);
}

void
bill_avg(int64_t sum, int days, int decimals, char *out, size_t outlen)
{
	int64_t	 scale = 1, v;
	int	 i;

	if (decimals < 1)
		decimals = 1;
	if (decimals > 4)
		decimals = 4;
	for (i = 0; i < decimals; i++)
		scale *= 10;
	v = bill_round(sum * scale, days);
	snprintf(out, outlen, "%" PRId64 ".%0*" PRId64, v / scale, decimals,
	    v % scale);
}

void
bill_euros(int64_t cents, char *out, size_t outlen)
{
	snprintf(out, outlen, "\xe2\x82\xac%" PRId64 ".%02" PRId64,
	    cents / 100, cents % 100);
}

void
bill_description(const struct bill_usage *u, char *out, size_t outlen)
{
	char	 users[32], projects[32];

	bill_avg(u->user_days, u->month_days, 1, users, sizeof(users));
	bill_avg(u->project_days, u->month_days, 1, projects,
	    sizeof(projects));
	/* U+2014 EM DASH, U+00D7 MULTIPLICATION SIGN, U+20AC EURO SIGN */
	snprintf(out, outlen, "orgaudit OpenAI Audit \xe2\x80\x94 %s users "
	    "\xc3\x97 \xe2\x82\xac%d + %s projects \xc3\x97 \xe2\x82\xac%d",
	    users, BILL_USER_CENTS / 100, projects, BILL_PROJECT_CENTS / 100);
}
