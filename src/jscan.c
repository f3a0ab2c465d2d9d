/*
 * jscan.c: see jscan.h.  A recursive-descent parser over the text; the
 * only allocations are the node array (doubling) and, on the first
 * escape, a side buffer as long as the text (an unescaped string is never
 * longer than its escaped form).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jscan.h"
#include "util.h"

struct scan {
	struct jdoc		*d;
	const unsigned char	*start, *p, *end;
	char			*err;
	size_t			 errlen;
};

static int	parse_value(struct scan *s, int depth);

static int
fail(struct scan *s, const char *fmt, ...)
{
	va_list	 ap;
	char	 why[160];

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(s->err, s->errlen, "%s at byte %zu", why,
	    (size_t)(s->p - s->start));
	return -1;
}

size_t
jscan_utf8(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t	 len, i;
	uint32_t c = s[0];

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		c &= 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		c &= 0x07;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates, beyond U+10FFFF. */
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	*cp = c;
	return len;
}

static uint32_t
node_new(struct scan *s, enum jtype t)
{
	struct jdoc	*d = s->d;

	if (d->n == d->cap) {
		d->cap = d->cap == 0 ? 64 : d->cap * 2;
		d->v = xrealloc(d->v, d->cap * sizeof(*d->v));
	}
	memset(&d->v[d->n], 0, sizeof(d->v[d->n]));
	d->v[d->n].type = t;
	return d->n++;
}

static void
skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
	    *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int
hex4(const unsigned char *p, uint32_t *v)
{
	int	 i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		*v <<= 4;
		if (p[i] >= '0' && p[i] <= '9')
			*v |= p[i] - '0';
		else if (p[i] >= 'a' && p[i] <= 'f')
			*v |= p[i] - 'a' + 10;
		else if (p[i] >= 'A' && p[i] <= 'F')
			*v |= p[i] - 'A' + 10;
		else
			return -1;
	}
	return 0;
}

static size_t
put_utf8(char *o, uint32_t c)
{
	if (c < 0x80) {
		o[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (char)(0xc0 | (c >> 6));
		o[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (char)(0xe0 | (c >> 12));
		o[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		o[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (c >> 18));
	o[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	o[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* One escape after the backslash at s->p; appends its bytes at o. */
static int
unescape(struct scan *s, char *o, size_t *olen)
{
	uint32_t	 c, lo;

	if (s->p + 1 >= s->end)
		return fail(s, "premature end of input");
	switch (s->p[1]) {
	case '"':
	case '\\':
	case '/':
		o[(*olen)++] = (char)s->p[1];
		s->p += 2;
		return 0;
	case 'b':
		o[(*olen)++] = '\b';
		s->p += 2;
		return 0;
	case 'f':
		o[(*olen)++] = '\f';
		s->p += 2;
		return 0;
	case 'n':
		o[(*olen)++] = '\n';
		s->p += 2;
		return 0;
	case 'r':
		o[(*olen)++] = '\r';
		s->p += 2;
		return 0;
	case 't':
		o[(*olen)++] = '\t';
		s->p += 2;
		return 0;
	case 'u':
		break;
	default:
		return fail(s, "invalid escape");
	}
	if (s->end - s->p < 6 || hex4(s->p + 2, &c) != 0)
		return fail(s, "invalid \\u escape");
	s->p += 6;
	if (c == 0)
		return fail(s, "\\u0000 is not allowed");
	if (c >= 0xdc00 && c <= 0xdfff)
		return fail(s, "invalid Unicode: lone low surrogate");
	if (c >= 0xd800 && c <= 0xdbff) {
		if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u' ||
		    hex4(s->p + 2, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff)
			return fail(s, "invalid Unicode: lone high surrogate");
		s->p += 6;
		c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
	}
	*olen += put_utf8(o + *olen, c);
	return 0;
}

static int
parse_string(struct scan *s, uint32_t k)
{
	struct jdoc		*d = s->d;
	const unsigned char	*str = ++s->p, *from = str;	/* past '"' */
	size_t			 olen = 0, len;
	uint32_t		 cp;
	char			*o = NULL;

	for (;;) {
		/* Plain ASCII in a run. */
		while (s->p < s->end && *s->p >= 0x20 && *s->p < 0x80 &&
		    *s->p != '"' && *s->p != '\\')
			s->p++;
		if (s->p >= s->end)
			return fail(s, "premature end of input in a string");
		if (*s->p == '"')
			break;
		if (*s->p == '\\') {
			/* Escaped: the string is built in the side buffer. */
			if (o == NULL) {
				if (d->unesc == NULL)
					d->unesc = xmalloc((size_t)(s->end -
					    s->start) + 1);
				o = d->unesc + d->unesc_len;
			}
			memcpy(o + olen, from, (size_t)(s->p - from));
			olen += (size_t)(s->p - from);
			if (unescape(s, o, &olen) != 0)
				return -1;
			from = s->p;
			continue;
		}
		if (*s->p < 0x20)
			return fail(s, "control character 0x%x in a string",
			    *s->p);
		if ((len = jscan_utf8(s->p, (size_t)(s->end - s->p), &cp)) == 0)
			return fail(s, "invalid UTF-8 in a string");
		s->p += len;
	}
	if (o != NULL) {
		memcpy(o + olen, from, (size_t)(s->p - from));
		olen += (size_t)(s->p - from);
		d->v[k].s = o;
		d->v[k].len = olen;
		d->unesc_len += olen;
	} else {
		d->v[k].s = (const char *)str;
		d->v[k].len = (size_t)(s->p - str);
	}
	s->p++;		/* the closing quote */
	return 0;
}

static int
parse_number(struct scan *s)
{
	const unsigned char	*from = s->p;
	char			 tmp[64], *buf = tmp, *e;
	bool			 real = false;
	size_t			 len;
	uint32_t		 k;
	int			 rc = 0;

	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (s->p < s->end && *s->p == '0')
		s->p++;
	else if (s->p < s->end && *s->p >= '1' && *s->p <= '9')
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	else
		return fail(s, "invalid number");
	if (s->p < s->end && *s->p == '.') {
		real = true;
		if (++s->p >= s->end || *s->p < '0' || *s->p > '9')
			return fail(s, "invalid number");
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		real = true;
		if (++s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (s->p >= s->end || *s->p < '0' || *s->p > '9')
			return fail(s, "invalid number");
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	}
	len = (size_t)(s->p - from);
	if (len >= sizeof(tmp))
		buf = xmalloc(len + 1);
	memcpy(buf, from, len);
	buf[len] = '\0';
	k = node_new(s, real ? J_REAL : J_INT);
	errno = 0;
	if (real) {
		double	 v = strtod(buf, &e);

		if (errno == ERANGE && isinf(v))
			rc = fail(s, "real number overflow");
		s->d->v[k].s = (const char *)from;
		s->d->v[k].len = len;
	} else {
		s->d->v[k].i = strtoll(buf, &e, 10);
		if (errno == ERANGE)
			rc = fail(s, "too big %sinteger", *buf == '-' ?
			    "negative " : "");
	}
	s->d->v[k].end = k + 1;
	if (buf != tmp)
		free(buf);
	return rc;
}

static int
parse_literal(struct scan *s, const char *word, enum jtype t)
{
	size_t	 n = strlen(word);
	uint32_t k;

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return fail(s, "invalid token");
	s->p += n;
	k = node_new(s, t);
	s->d->v[k].end = k + 1;
	return 0;
}

static int
parse_array(struct scan *s, int depth)
{
	uint32_t	 k = node_new(s, J_ARR), n = 0;

	s->p++;
	skip_ws(s);
	if (s->p < s->end && *s->p == ']')
		s->p++;
	else
		for (;;) {
			if (parse_value(s, depth + 1) != 0)
				return -1;
			n++;
			skip_ws(s);
			if (s->p >= s->end)
				return fail(s, "premature end of input");
			if (*s->p == ']') {
				s->p++;
				break;
			}
			if (*s->p++ != ',')
				return fail(s, "',' or ']' expected");
			skip_ws(s);
		}
	s->d->v[k].n = n;
	s->d->v[k].end = s->d->n;
	return 0;
}

static int
parse_object(struct scan *s, int depth)
{
	uint32_t	 k = node_new(s, J_OBJ), n = 0, key;

	s->p++;
	skip_ws(s);
	if (s->p < s->end && *s->p == '}')
		s->p++;
	else
		for (;;) {
			if (s->p >= s->end || *s->p != '"')
				return fail(s, "string or '}' expected");
			key = node_new(s, J_STR);
			if (parse_string(s, key) != 0)
				return -1;
			s->d->v[key].end = key + 1;
			skip_ws(s);
			if (s->p >= s->end || *s->p++ != ':')
				return fail(s, "':' expected");
			skip_ws(s);
			if (parse_value(s, depth + 1) != 0)
				return -1;
			n++;
			skip_ws(s);
			if (s->p >= s->end)
				return fail(s, "premature end of input");
			if (*s->p == '}') {
				s->p++;
				break;
			}
			if (*s->p++ != ',')
				return fail(s, "',' or '}' expected");
			skip_ws(s);
		}
	s->d->v[k].n = n;
	s->d->v[k].end = s->d->n;
	return 0;
}

/* A value at s->p (whitespace skipped); depth counts as jansson's. */
static int
parse_value(struct scan *s, int depth)
{
	uint32_t	 k;

	if (depth > JSCAN_MAX_DEPTH)
		return fail(s, "maximum parsing depth reached");
	if (s->p >= s->end)
		return fail(s, "premature end of input");
	switch (*s->p) {
	case '{':
		return parse_object(s, depth);
	case '[':
		return parse_array(s, depth);
	case '"':
		k = node_new(s, J_STR);
		if (parse_string(s, k) != 0)
			return -1;
		s->d->v[k].end = k + 1;
		return 0;
	case 't':
		return parse_literal(s, "true", J_TRUE);
	case 'f':
		return parse_literal(s, "false", J_FALSE);
	case 'n':
		return parse_literal(s, "null", J_NULL);
	default:
		if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
			return parse_number(s);
		return fail(s, "invalid token");
	}
}

int
jscan_parse(struct jdoc *d, const char *text, size_t len, char *err,
    size_t errlen)
{
	struct scan	 s;

	memset(d, 0, sizeof(*d));
	memset(&s, 0, sizeof(s));
	s.d = d;
	s.start = s.p = (const unsigned char *)text;
	s.end = s.start + len;
	s.err = err;
	s.errlen = errlen;
	/* Pages are about 20 bytes a node: one allocation, usually. */
	d->cap = (uint32_t)(len / 16 < 64 ? 64 : len / 16 < UINT32_MAX / 2 ?
	    len / 16 : UINT32_MAX / 2);
	d->v = xcalloc(d->cap, sizeof(*d->v));
	skip_ws(&s);
	if (s.p >= s.end || (*s.p != '{' && *s.p != '['))
		return fail(&s, "'[' or '{' expected");
	if (parse_value(&s, 1) != 0)
		return -1;
	skip_ws(&s);
	if (s.p != s.end)
		return fail(&s, "end of file expected");
	return 0;
}

void
jscan_free(struct jdoc *d)
{
	free(d->v);
	free(d->unesc);
	memset(d, 0, sizeof(*d));
}

uint32_t
jscan_get(const struct jdoc *d, uint32_t o, const char *key)
{
	uint32_t	 c, found = JSCAN_NONE;
	size_t		 n = strlen(key);

	if (o >= d->n || d->v[o].type != J_OBJ)
		return JSCAN_NONE;
	for (c = JSCAN_FIRST(o); c < d->v[o].end; c = d->v[c + 1].end)
		if (d->v[c].len == n && memcmp(d->v[c].s, key, n) == 0)
			found = c + 1;
	return found;
}

char *
jscan_strdup(const struct jdoc *d, uint32_t k)
{
	char	*p;

	if (k == JSCAN_NONE || k >= d->n || d->v[k].type != J_STR ||
	    memchr(d->v[k].s, '\0', d->v[k].len) != NULL)
		return NULL;
	p = xmalloc(d->v[k].len + 1);
	memcpy(p, d->v[k].s, d->v[k].len);
	p[d->v[k].len] = '\0';
	return p;
}

int
jscan_streq(const struct jdoc *d, uint32_t k, const char *s)
{
	return k != JSCAN_NONE && k < d->n && d->v[k].type == J_STR &&
	    d->v[k].len == strlen(s) && memcmp(d->v[k].s, s, d->v[k].len) == 0;
}
