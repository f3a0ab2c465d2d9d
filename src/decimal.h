/*
 * decimal.h: exact decimal amounts, as OpenAI serves them (a JSON number
 * or a string) and as MariaDB stores them (DECIMAL(38,18)).  Nothing here
 * goes through a double: text is read digit by digit into a scaled
 * integer (DEC_SCALE decimal places) and written back the same way.
 */
#ifndef ORGAUDIT_DECIMAL_H
#define ORGAUDIT_DECIMAL_H

#include <stdbool.h>
#include <stddef.h>

#define DEC_SCALE	18	/* decimal places kept */
#define DEC_INT_DIGITS	20	/* digits before the point */
#define DEC_TEXT_MAX	(1 + DEC_INT_DIGITS + 1 + DEC_SCALE + 1)

/* An amount in units of 10^-DEC_SCALE. */
typedef __int128 dec_t;

/*
 * Reads the decimal text s[0..n): an optional '-', digits, an optional
 * '.' and digits, an optional exponent (e or E, sign, digits).  Leading
 * zeros and a bare ".5" or "5." are refused, as JSON refuses them.
 * Returns 0 and sets *v, or -1 with the reason in err: not a decimal
 * (NaN, Infinity, "abc", empty), more than DEC_SCALE significant decimal
 * places, or more than DEC_INT_DIGITS digits before the point.
 */
int	 dec_parse(const char *s, size_t n, dec_t *v, char *err,
	    size_t errlen);
/*
 * Writes v as plain decimal text into out (DEC_TEXT_MAX bytes at least):
 * no exponent, no trailing zeros after the point, no point when whole,
 * "0" for zero.
 */
void	 dec_format(dec_t v, char *out, size_t outlen);
/* Parses then formats: the canonical text of s, or -1 as dec_parse. */
int	 dec_canon(const char *s, size_t n, char *out, size_t outlen,
	    char *err, size_t errlen);
/* a + b, or false when the sum leaves DECIMAL(38,18). */
bool	 dec_add(dec_t a, dec_t b, dec_t *sum);
/*
 * a * num / den, truncated toward zero (den > 0), or false when it
 * leaves DECIMAL(38,18): a month's run rate from its days so far.
 */
bool	 dec_muldiv(dec_t a, long long num, long long den, dec_t *out);

#endif
