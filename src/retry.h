/*
 * retry.h: when to try an OpenAI request again, and how long to wait.
 * Pure functions; the HTTP client applies them.
 */
#ifndef ORGAUDIT_RETRY_H
#define ORGAUDIT_RETRY_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"

struct retry_policy {
	int	 max_attempts;	/* attempts in all, first one included */
	int64_t	 max_ms;	/* give up when the next wait would pass this */
	int64_t	 base_ms;	/* first backoff */
	int64_t	 cap_ms;	/* longest backoff */
};

/* The policy the configuration's retry_* keys describe. */
void	 retry_policy_conf(const struct conf *c, struct retry_policy *p);

/* 408, 409, 429 and every 5xx are worth another attempt. */
bool	 retry_status(long status);

/*
 * The server's wish from "retry-after-ms" (milliseconds) or "Retry-After"
 * (seconds or an HTTP date, relative to now_s).  -1 when neither header is
 * present or valid.  Either header may be NULL.
 */
int64_t	 retry_after_hint(const char *retry_after_ms, const char *retry_after,
	    int64_t now_s);

/*
 * Exponential backoff with jitter for the n-th retry (n >= 1):
 * min(cap, base * 2^(n-1)) scaled by a factor in [0.75, 1.0] from rnd.
 */
int64_t	 retry_backoff(const struct retry_policy *p, int n, uint32_t rnd);

/*
 * The wait before the next attempt, or -1 to give up.  attempts is how
 * many were made, elapsed_ms the time since the first, hint_ms the
 * server's wish (-1 if none); a server wish is honoured when it fits the
 * budget, otherwise the request gives up.
 */
int64_t	 retry_delay(const struct retry_policy *p, int attempts,
	    int64_t elapsed_ms, int64_t hint_ms, uint32_t rnd);

#endif
