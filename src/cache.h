/*
 * cache.h: answers that stay the same until the next pull, kept in the
 * process that made them.  A key names everything the answer depends on:
 * the tenant, the org, the snapshot generations, the parameters and the
 * UTC day (a page says "3 days ago"), so an entry is never wrong, only
 * unused once a pull moves a generation; the least recently used of
 * CACHE_SLOTS goes first.  Never shared across processes or tenants.
 */
#ifndef ORGAUDIT_CACHE_H
#define ORGAUDIT_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define CACHE_SLOTS	64
#define CACHE_KEY_MAX	512

/* Keeps at most n (<= CACHE_SLOTS) entries; 0 keeps none. */
void	 cache_limit(size_t n);
/* Does it keep anything? */
bool	 cache_enabled(void);
/* A copy of the value stored under key (new reference), or NULL. */
json_t	*cache_get(const char *key);
/* Stores a copy of v under key. */
void	 cache_put(const char *key, const json_t *v);
/* Hits and misses so far, for the benchmarks' log line. */
void	 cache_stats(long *hits, long *misses);

#endif
