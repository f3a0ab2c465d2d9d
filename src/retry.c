/*
 * retry.c: see retry.h.  Modelled on the official SDKs' policy, with the
 * budget bounded in both attempts and time.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "retry.h"
#include "util.h"

bool
retry_status(long status)
{
	return status == 408 || status == 409 || status == 429 ||
	    (status >= 500 && status <= 599);
}

/* Parses an IMF-fixdate ("Wed, 21 Oct 2015 07:28:00 GMT"). */
static int64_t
http_date(const char *s)
{
	struct tm	 tm;
	const char	*end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (end == NULL || *end != '\0')
		return -1;
	return (int64_t)timegm(&tm);
}

int64_t
retry_after_hint(const char *retry_after_ms, const char *retry_after,
    int64_t now)
{
	int64_t	 v, t;

	if (retry_after_ms != NULL &&
	    parse_i64(retry_after_ms, 0, 86400000, &v) == 0)
		return v;
	if (retry_after == NULL)
		return -1;
	if (parse_i64(retry_after, 0, 86400, &v) == 0)
		return v * 1000;
	if ((t = http_date(retry_after)) < 0)
		return -1;
	return t <= now ? 0 : (t - now) * 1000;
}

int64_t
retry_backoff(const struct retry_policy *p, int n, uint32_t rnd)
{
	int64_t	 d = p->base_ms;
	int	 i;

	for (i = 1; i < n && d < p->cap_ms; i++)
		d *= 2;
	if (d > p->cap_ms)
		d = p->cap_ms;
	/* Jitter: keep between 75% and 100% of the step. */
	return d - (int64_t)((double)d * 0.25 * (rnd / 4294967296.0));
}

int64_t
retry_delay(const struct retry_policy *p, int attempts, int64_t elapsed_ms,
    int64_t hint_ms, uint32_t rnd)
{
	int64_t	 d;

	if (attempts >= p->max_attempts)
		return -1;
	d = hint_ms >= 0 ? hint_ms : retry_backoff(p, attempts, rnd);
	if (elapsed_ms + d > p->max_ms)
		return -1;
	return d;
}

void
retry_policy_conf(const struct conf *c, struct retry_policy *p)
{
	p->max_attempts = (int)c->retry_max_attempts;
	p->max_ms = c->retry_max_seconds * 1000;
	p->base_ms = c->retry_base_ms;
	p->cap_ms = c->retry_cap_ms;
}
