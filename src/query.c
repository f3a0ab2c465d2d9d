/*
 * query.c: see query.h.
 */
#include <stdio.h>
#include <string.h>

#include "ingest.h"
#include "query.h"
#include "redact.h"
#include "util.h"

long
query_decode(const char *s, size_t n, char *out, size_t outcap)
{
	size_t	 i, o = 0;
	int	 hi, lo, c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= n)
				return -1;
			hi = hex_digit((unsigned char)s[i + 1]);
			lo = hex_digit((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = hi << 4 | lo;
			i += 2;
		} else if (c == '+')
			c = ' ';
		/* No control bytes, in the raw or the decoded form. */
		if (c < 0x20 || c == 0x7f)
			return -1;
		if (o + 1 >= outcap)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return (long)o;
}

static bool
is_cursor(const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' &&
		    s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '-' || s[i] == '_'))
			return false;
	return i > 0 && i <= 400;
}

/* Validates one value of the given kind into v.  0 or -1 with msg. */
static int
query_value(const struct qspec *sp, const char *val, int64_t limit_max,
    struct qval *v, char *msg, size_t msglen)
{
	switch (sp->kind) {
	case Q_BOOL:
		if (strcmp(val, "true") == 0 || strcmp(val, "false") == 0) {
			v->b = val[0] == 't';
			return 0;
		}
		snprintf(msg, msglen, "%s must be true or false", sp->name);
		return -1;
	case Q_LIMIT:
		if (parse_i64(val, 1, limit_max, &v->i) == 0)
			return 0;
		snprintf(msg, msglen, "%s must be a whole number from 1 to "
		    "%lld", sp->name, (long long)limit_max);
		return -1;
	case Q_CURSOR:
		if (is_cursor(val))
			break;
		snprintf(msg, msglen, "%s is not a cursor this API returned",
		    sp->name);
		return -1;
	case Q_KEY_TYPE:
		if (key_type_from_name(val) != KEY_UNKNOWN)
			break;
		snprintf(msg, msglen, "%s must be one of admin, project, "
		    "service_account, user", sp->name);
		return -1;
	case Q_OA_ID:
		if (ingest_id_ok(val))
			break;
		snprintf(msg, msglen, "%s is not a valid OpenAI identifier",
		    sp->name);
		return -1;
	}
	snprintf(v->s, sizeof(v->s), "%s", val);
	return 0;
}

enum query_err
query_parse(const char *qs, const struct qspec *spec, size_t nspec,
    int64_t limit_max, struct qval *out, char *msg, size_t msglen)
{
	char		 name[QUERY_VALUE_MAX + 1], val[QUERY_VALUE_MAX + 1];
	const char	*p, *amp, *eq;
	size_t		 i, seen = 0, len;

	memset(out, 0, nspec * sizeof(*out));
	if (qs == NULL)
		return QUERY_OK;
	if ((len = strlen(qs)) > QUERY_MAX_LEN) {
		snprintf(msg, msglen, "the query string is longer than %d "
		    "bytes", QUERY_MAX_LEN);
		return QUERY_TOO_LONG;
	}
	for (p = qs; p < qs + len; p = amp + 1) {
		if ((amp = strchr(p, '&')) == NULL)
			amp = qs + len;
		if (amp == p)
			continue;	/* "a=1&&b=2" */
		if (++seen > QUERY_MAX_PARAMS) {
			snprintf(msg, msglen, "too many query parameters");
			return QUERY_MALFORMED;
		}
		eq = memchr(p, '=', (size_t)(amp - p));
		if (query_decode(p, (size_t)((eq ? eq : amp) - p), name,
		    sizeof(name)) < 0 || (eq != NULL &&
		    query_decode(eq + 1, (size_t)(amp - eq - 1), val,
		    sizeof(val)) < 0)) {
			snprintf(msg, msglen, "the query string is not "
			    "well-formed");
			return QUERY_MALFORMED;
		}
		if (eq == NULL)
			val[0] = '\0';
		for (i = 0; i < nspec; i++)
			if (strcmp(spec[i].name, name) == 0)
				break;
		if (i == nspec) {
			snprintf(msg, msglen, "unknown parameter '%.64s'",
			    name);
			return QUERY_UNKNOWN;
		}
		if (out[i].set) {
			snprintf(msg, msglen, "parameter '%s' is given twice",
			    spec[i].name);
			return QUERY_DUPLICATE;
		}
		if (query_value(&spec[i], val, limit_max, &out[i], msg,
		    msglen) != 0)
			return QUERY_INVALID;
		out[i].set = true;
	}
	return QUERY_OK;
}
