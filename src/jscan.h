/*
 * jscan.h: a JSON reader for large pages of small records.
 *
 * A text is parsed into one flat array of nodes, in document order: an
 * array's elements follow it, an object's members follow it as key then
 * value.  Each node knows where its subtree ends, so a reader skips what
 * it does not need.  Strings point into the text when they hold no
 * escape, into one side buffer when they do.  A page of a hundred audit
 * entries is three allocations, not thousands, and nothing is converted
 * that is not read.
 *
 * It accepts what jansson's json_loadb() accepts with no flags, and
 * nothing else: strict RFC 8259 grammar, valid UTF-8, no \u0000, no lone
 * surrogates, integers that fit in 64 bits, finite reals, depth at most
 * 2048, nothing after the document but whitespace.  Duplicate keys are
 * kept; jscan_get() answers the last one, as jansson does.  (jansson
 * also takes a NUL byte right after a number as the end of the text,
 * "[1\0]"; jscan refuses any NUL outside a string's escapes.)
 */
#ifndef ORGAUDIT_JSCAN_H
#define ORGAUDIT_JSCAN_H

#include <stddef.h>
#include <stdint.h>

enum jtype { J_NULL, J_FALSE, J_TRUE, J_INT, J_REAL, J_STR, J_ARR, J_OBJ };

struct jnode {
	const char	*s;	/* J_STR: bytes, unescaped; J_REAL: its text */
	size_t		 len;	/* of s */
	int64_t		 i;	/* J_INT */
	uint32_t	 n;	/* J_ARR: elements; J_OBJ: members */
	uint32_t	 end;	/* index just past this node's subtree */
	enum jtype	 type;
};

/* A parsed text.  Node 0 is the root.  Valid while the text is. */
struct jdoc {
	struct jnode	*v;
	uint32_t	 n, cap;
	char		*unesc;		/* escaped strings' bytes */
	size_t		 unesc_len;
};

#define JSCAN_MAX_DEPTH	2048
#define JSCAN_NONE	UINT32_MAX	/* "no node" */

/*
 * Parses text[0..len).  Returns 0, or -1 with the reason and the byte
 * offset in err.  jscan_free() either way.
 */
int		 jscan_parse(struct jdoc *d, const char *text, size_t len,
		    char *err, size_t errlen);
void		 jscan_free(struct jdoc *d);

/* Object o's member key (the last if repeated): its value, or JSCAN_NONE. */
uint32_t	 jscan_get(const struct jdoc *d, uint32_t o, const char *key);
/* The string at node k as a C string copy, or NULL: free() it. */
char		*jscan_strdup(const struct jdoc *d, uint32_t k);
/* Is node k a string equal to s? */
int		 jscan_streq(const struct jdoc *d, uint32_t k, const char *s);

/*
 * Decodes the UTF-8 sequence at s (n bytes left): its length, or 0 if it
 * is malformed (overlong, a surrogate, beyond U+10FFFF, cut short).
 */
size_t		 jscan_utf8(const unsigned char *s, size_t n, uint32_t *cp);

/* Children: for (c = JSCAN_FIRST(k); c < d->v[k].end; c = d->v[c].end). */
#define JSCAN_FIRST(k)	((k) + 1)

#endif
