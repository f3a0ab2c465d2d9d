/*
 * cache.c: a small LRU of JSON answers per process (cache.h).
 */
#include <stdint.h>
#include <string.h>

#include "cache.h"

static struct slot {
	char		 key[CACHE_KEY_MAX];
	json_t		*v;
	uint64_t	 used;
} slots[CACHE_SLOTS];

static size_t	 nslots = CACHE_SLOTS;
static uint64_t	 tick;
static long	 hits, misses;

void
cache_limit(size_t n)
{
	size_t	 i;

	nslots = n < CACHE_SLOTS ? n : CACHE_SLOTS;
	for (i = nslots; i < CACHE_SLOTS; i++) {
		json_decref(slots[i].v);
		slots[i].v = NULL;
	}
}

bool
cache_enabled(void)
{
	return nslots > 0;
}

json_t *
cache_get(const char *key)
{
	size_t	 i;

	for (i = 0; i < nslots; i++)
		if (slots[i].v != NULL && strcmp(slots[i].key, key) == 0) {
			slots[i].used = ++tick;
			hits++;
			return json_deep_copy(slots[i].v);
		}
	misses++;
	return NULL;
}

void
cache_put(const char *key, const json_t *v)
{
	size_t	 i, victim = 0;

	if (nslots == 0 || strlen(key) >= CACHE_KEY_MAX)
		return;
	for (i = 0; i < nslots; i++) {
		if (slots[i].v == NULL || strcmp(slots[i].key, key) == 0) {
			victim = i;
			break;
		}
		if (slots[i].used < slots[victim].used)
			victim = i;
	}
	json_decref(slots[victim].v);
	strcpy(slots[victim].key, key);
	slots[victim].v = json_deep_copy(v);
	slots[victim].used = ++tick;
}

void
cache_stats(long *h, long *m)
{
	*h = hits;
	*m = misses;
}
