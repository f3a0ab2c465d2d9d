/*
 * decimal.c: see decimal.h.
 */
#include <stdio.h>
#include <string.h>

#include "decimal.h"

/* 10^38 - 1: the largest magnitude DECIMAL(38,18) holds, scaled. */
static dec_t
dec_max(void)
{
	dec_t	 m = 0;
	int	 i;

	for (i = 0; i < DEC_INT_DIGITS + DEC_SCALE; i++)
		m = m * 10 + 9;
	return m;
}

static int
fail(char *err, size_t errlen, const char *why, const char *s, size_t n)
{
	snprintf(err, errlen, "%s: \"%.*s\"%s", why, n > 40 ? 40 : (int)n, s,
	    n > 40 ? "..." : "");
	return -1;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int
dec_parse(const char *s, size_t n, dec_t *v, char *err, size_t errlen)
{
	char		 digits[DEC_INT_DIGITS + DEC_SCALE + 64];
	size_t		 i = 0, nd = 0, a, b, k;
	long		 point, exp = 0;
	bool		 neg = false, eneg = false, any = false;
	dec_t		 x = 0;

	if (n > 0 && s[0] == '-') {
		neg = true;
		i++;
	}
	/* The integer part: "0" or a digit 1-9 then digits. */
	if (i >= n || !is_digit(s[i]))
		return fail(err, errlen, "not a decimal number", s, n);
	if (s[i] == '0' && i + 1 < n && is_digit(s[i + 1]))
		return fail(err, errlen, "not a decimal number (leading zero)",
		    s, n);
	a = i;
	while (i < n && is_digit(s[i]))
		i++;
	b = i;
	point = (long)(b - a);
	/* Fraction. */
	k = i;
	if (i < n && s[i] == '.') {
		i++;
		k = i;
		while (i < n && is_digit(s[i]))
			i++;
		if (i == k)
			return fail(err, errlen, "not a decimal number", s, n);
	}
	/* Exponent. */
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		size_t	 e0;

		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		e0 = i;
		while (i < n && is_digit(s[i])) {
			if (exp < 100000)
				exp = exp * 10 + (s[i] - '0');
			i++;
		}
		if (i == e0)
			return fail(err, errlen, "not a decimal number", s, n);
		if (eneg)
			exp = -exp;
	}
	if (i != n)
		return fail(err, errlen, "not a decimal number", s, n);

	/*
	 * The significant digits (integer then fraction, leading zeros
	 * dropped) and where the point falls among them after the exponent.
	 */
	for (i = a; i < b; i++) {
		if (!any && s[i] == '0') {
			point--;
			continue;
		}
		any = true;
		if (nd >= sizeof(digits))
			return fail(err, errlen, "more than 20 digits before the "
			    "decimal point", s, n);
		digits[nd++] = s[i];
	}
	if (k > b)
		for (i = k; i < n && is_digit(s[i]); i++) {
			if (!any && s[i] == '0') {
				point--;
				continue;
			}
			any = true;
			if (nd >= sizeof(digits)) {
				/* Only zeros may follow what fits. */
				if (s[i] != '0')
					return fail(err, errlen, "more than 18 "
					    "decimal places", s, n);
				continue;
			}
			digits[nd++] = s[i];
		}
	/* Trailing zeros carry nothing. */
	while (nd > 0 && digits[nd - 1] == '0')
		nd--;
	if (nd == 0) {
		*v = 0;
		return 0;
	}
	point += exp;
	if (point > DEC_INT_DIGITS)
		return fail(err, errlen, "more than 20 digits before the decimal "
		    "point", s, n);
	if ((long)nd - point > DEC_SCALE)
		return fail(err, errlen, "more than 18 decimal places", s, n);
	/* value = 0.digits * 10^point; scaled by 10^DEC_SCALE. */
	for (i = 0; i < nd; i++)
		x = x * 10 + (digits[i] - '0');
	for (k = 0; (long)k < DEC_SCALE - ((long)nd - point); k++)
		x *= 10;
	*v = neg ? -x : x;
	return 0;
}

void
dec_format(dec_t v, char *out, size_t outlen)
{
	char		 rev[DEC_TEXT_MAX + 4];
	size_t		 n = 0, i, o = 0;
	bool		 neg = v < 0;
	unsigned __int128 u = neg ? (unsigned __int128)(-(v + 1)) + 1 :
	    (unsigned __int128)v;
	int		 frac = 0;

	/* Digits, least significant first; at least DEC_SCALE + 1. */
	do {
		rev[n++] = (char)('0' + (int)(u % 10));
		u /= 10;
	} while (u != 0 || n < DEC_SCALE + 1);
	/* Fraction digits that are not trailing zeros. */
	for (i = 0; i < DEC_SCALE; i++)
		if (rev[i] != '0')
			break;
	frac = DEC_SCALE - (int)i;
	if (outlen == 0)
		return;
	if (neg && o + 1 < outlen)
		out[o++] = '-';
	for (i = n; i > DEC_SCALE && o + 1 < outlen; i--)
		out[o++] = rev[i - 1];
	if (frac > 0 && o + 1 < outlen) {
		out[o++] = '.';
		for (i = DEC_SCALE; i > (size_t)(DEC_SCALE - frac) &&
		    o + 1 < outlen; i--)
			out[o++] = rev[i - 1];
	}
	out[o] = '\0';
}

int
dec_canon(const char *s, size_t n, char *out, size_t outlen, char *err,
    size_t errlen)
{
	dec_t	 v;

	if (dec_parse(s, n, &v, err, errlen) != 0)
		return -1;
	dec_format(v, out, outlen);
	return 0;
}

bool
dec_add(dec_t a, dec_t b, dec_t *sum)
{
	dec_t	 m = dec_max(), r;

	if (a > m || a < -m || b > m || b < -m)
		return false;
	/* Checked before adding: 2 (10^38 - 1) does not fit in 127 bits. */
	if ((b > 0 && a > m - b) || (b < 0 && a < -m - b))
		return false;
	r = a + b;
	*sum = r;
	return true;
}

bool
dec_muldiv(dec_t a, long long num, long long den, dec_t *out)
{
	dec_t		 m = dec_max(), q, r;
	bool		 neg;
	unsigned __int128 u;

	if (den <= 0 || num < 0 || a > m || a < -m)
		return false;
	neg = a < 0;
	u = (unsigned __int128)(neg ? -a : a);
	/* u * num may not fit: divide first, then the remainder's share. */
	q = (dec_t)(u / (unsigned long long)den);
	r = (dec_t)(u % (unsigned long long)den);
	if (num != 0 && q > m / num)
		return false;
	q = q * num + (r * num) / den;
	if (q > m)
		return false;
	*out = neg ? -q : q;
	return true;
}
