/*
 * strset.c: see strset.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strset.h"
#include "util.h"

static uint64_t
fnv1a(const char *s)
{
	uint64_t	 h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static size_t
strset_find(char *const *slot, size_t cap, const char *v)
{
	size_t	 i = (size_t)fnv1a(v) & (cap - 1);

	while (slot[i] != NULL && strcmp(slot[i], v) != 0)
		i = (i + 1) & (cap - 1);
	return i;
}

static void
strset_grow(struct strset *s)
{
	size_t	 cap = s->cap ? s->cap * 2 : 64, i;
	char	**slot = xcalloc(cap, sizeof(*slot));

	for (i = 0; i < s->cap; i++)
		if (s->slot[i] != NULL)
			slot[strset_find(slot, cap, s->slot[i])] = s->slot[i];
	free(s->slot);
	s->slot = slot;
	s->cap = cap;
}

bool
strset_add(struct strset *s, const char *v)
{
	size_t	 i;

	if ((s->n + 1) * 4 > s->cap * 3)
		strset_grow(s);
	i = strset_find(s->slot, s->cap, v);
	if (s->slot[i] != NULL)
		return false;
	s->slot[i] = xstrdup(v);
	s->n++;
	return true;
}

bool
strset_has(const struct strset *s, const char *v)
{
	return s->cap > 0 && s->slot[strset_find(s->slot, s->cap, v)] != NULL;
}

void
strset_free(struct strset *s)
{
	size_t	 i;

	for (i = 0; i < s->cap; i++)
		free(s->slot[i]);
	free(s->slot);
	memset(s, 0, sizeof(*s));
}
