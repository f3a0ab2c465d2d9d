/*
 * bill-calc.h: what an org owes for a month, from its daily counts.
 *
 * Each UTC day of the month counts the org's last snapshot of that day
 * (human users, active projects).  A connected day without a snapshot
 * carries the last snapshot before it; a day the org was not connected
 * counts 0.  The averages are the sums over the days of the month, and
 *
 *   cents = round-half-up(100 * avg_users + 500 * avg_projects)
 *         = round-half-up((100 * user_days + 500 * project_days) / days)
 *
 * computed in integers, so no float ever decides a cent.  Pure functions:
 * bill-push.c feeds them from MariaDB.
 */
#ifndef ORGAUDIT_BILL_CALC_H
#define ORGAUDIT_BILL_CALC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BILL_USER_CENTS		100	/* €1 per user per month */
#define BILL_PROJECT_CENTS	500	/* €5 per project per month */

/* A calendar month, UTC. */
struct bill_month {
	int	 year, mon;		/* 2026, 1..12 */
	int	 days;			/* 28..31 */
	int64_t	 start, end;		/* its first second; the next month's */
	char	 name[8];		/* "2026-10" */
	char	 first[11], last[11];	/* "2026-10-01", "2026-10-31" */
};

/* One day of one org, as stored. */
struct bill_day {
	bool	 connected;	/* connected at some time of the day */
	bool	 has;		/* a snapshot was recorded that day */
	int	 users, projects;
};

/* What one org used over one month. */
struct bill_usage {
	int	 days;		/* connected days */
	int	 month_days;	/* days in the month */
	int64_t	 user_days;	/* sum of the daily user counts */
	int64_t	 project_days;
	int64_t	 cents;
};

/* "YYYY-MM" (2000-01 to 9999-12); 0, or -1 when malformed. */
int	 bill_month_parse(const char *s, struct bill_month *m);
/* The month holding Unix time t. */
void	 bill_month_of(int64_t t, struct bill_month *m);
/* The month before m. */
void	 bill_month_prev(const struct bill_month *m, struct bill_month *out);
/*
 * Day index (0-based) in m of Unix time t: -1 before the month, m->days
 * after it.
 */
int	 bill_day_index(const struct bill_month *m, int64_t t);
/*
 * Marks the days of m on which an org connected at 'from' and
 * disconnected at 'to' (0: still connected) was connected.
 */
void	 bill_connect(const struct bill_month *m, struct bill_day *day,
	    int64_t from, int64_t to);

/*
 * Sums m->days days.  carry (NULL, or one with has unset, when none) is
 * the last snapshot before the month: a connected day without one of its
 * own counts the last snapshot before it.
 */
void	 bill_usage(const struct bill_month *m, const struct bill_day *day,
	    const struct bill_day *carry, struct bill_usage *u);

/* num / den rounded half up; num >= 0, den > 0. */
int64_t	 bill_round(int64_t num, int64_t den);
/* The amount in euro cents for these sums over a month of 'days' days. */
int64_t	 bill_cents(int64_t user_days, int64_t project_days, int days);
/*
 * The average sum / days with 'decimals' decimals (1 to 4), rounded half
 * up: "12.5".
 */
void	 bill_avg(int64_t sum, int days, int decimals, char *out,
	    size_t outlen);
/* "€40.00"; negative amounts do not occur. */
void	 bill_euros(int64_t cents, char *out, size_t outlen);
/*
 * The invoice item's description:
 * "orgaudit OpenAI Audit — 25.0 users × €1 + 3.0 projects × €5".
 */
void	 bill_description(const struct bill_usage *u, char *out,
	    size_t outlen);

#endif
