/*
 * strset.h: a set of strings (open addressing, FNV-1a).  The set owns
 * copies of what is added.
 */
#ifndef ORGAUDIT_STRSET_H
#define ORGAUDIT_STRSET_H

#include <stdbool.h>
#include <stddef.h>

struct strset {
	char	**slot;
	size_t	  cap;		/* power of two, or 0 */
	size_t	  n;
};

/* Adds s; returns true if it was not there yet. */
bool	 strset_add(struct strset *s, const char *v);
bool	 strset_has(const struct strset *s, const char *v);
void	 strset_free(struct strset *s);

#endif
