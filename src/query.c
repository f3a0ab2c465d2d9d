/*
 * query.c: see query.h.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "collect.h"
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
		/*
		 * No control bytes but the line and tab whitespace a pasted
		 * value may carry; each kind's validator refuses those where
		 * they cannot belong.
		 */
		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') ||
		    c == 0x7f)
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

int
query_time(const char *s, int64_t *out)
{
	struct tm	 tm;
	const char	*end;

	if (parse_i64(s, 0, 253402300799LL, out) == 0)
		return 0;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end == NULL || tm.tm_year < 70)
		return -1;
	if (*end == 'T') {
		/* HH:MM (a browser's datetime-local) or HH:MM:SS, then Z. */
		if ((end = strptime(end + 1, "%H:%M", &tm)) == NULL)
			return -1;
		if (*end == ':' && (end = strptime(end + 1, "%S", &tm)) == NULL)
			return -1;
		if (*end != '\0' && strcmp(end, "Z") != 0)
			return -1;
	} else if (*end != '\0')
		return -1;
	*out = (int64_t)timegm(&tm);
	return 0;
}

static bool
one_of(const char *v, const char *const *words)
{
	for (; *words != NULL; words++)
		if (strcmp(v, *words) == 0)
			return true;
	return false;
}

static bool
is_email(const char *s)
{
	const char	*at = strchr(s, '@');
	size_t		 n = strlen(s);

	return n >= 3 && n <= 254 && at != NULL && at != s &&
	    strchr(at + 1, '@') == NULL && at[1] != '\0' &&
	    strpbrk(s, " \t\r\n\"<>,;()[]\\") == NULL;
}

static const struct {
	const char	*name;
	int		 bit;
} group_words[] = {
	{ "day", G_DAY }, { "project", G_PROJECT },
	{ "line_item", G_LINE_ITEM }, { "api_key", G_API_KEY },
	{ "user", G_USER }, { "model", G_MODEL },
};

/*
 * A comma-separated list of group_words whose bits are all in allowed,
 * each once, into *bits; 0 or -1.
 */
static int
group_bits(const char *val, int allowed, int64_t *bits)
{
	const char	*p = val, *e;
	size_t		 i, n;

	*bits = 0;
	for (;;) {
		e = strchr(p, ',');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		for (i = 0; i < sizeof(group_words) / sizeof(group_words[0]);
		    i++)
			if (strlen(group_words[i].name) == n &&
			    strncmp(group_words[i].name, p, n) == 0)
				break;
		if (i == sizeof(group_words) / sizeof(group_words[0]) ||
		    !(group_words[i].bit & allowed) ||
		    (*bits & group_words[i].bit))
			return -1;
		*bits |= group_words[i].bit;
		if (e == NULL)
			return 0;
		p = e + 1;
	}
}

/* A UTC day, exactly YYYY-MM-DD and a real date; 0 or -1. */
static int
query_day(const char *val, int64_t *out)
{
	char	 back[21];

	if (strlen(val) != 10 || val[4] != '-' || val[7] != '-' ||
	    query_time(val, out) != 0)
		return -1;
	/* 2026-02-31 must not pass as 2026-03-03. */
	fmt_rfc3339(*out, back);
	return strncmp(back, val, 10) == 0 ? 0 : -1;
}

/* Validates one value of the given kind into v.  0 or -1 with msg. */
static int
query_value(const struct qspec *sp, const char *val, int64_t limit_max,
    struct qval *v, char *msg, size_t msglen)
{
	char	 names[256];

	/* A select left at "any" sends an empty value: as if absent. */
	if (val[0] == '\0' && (sp->kind == Q_KEY_TYPE || sp->kind == Q_OA_ID ||
	    sp->kind == Q_SORT || sp->kind == Q_DIR || sp->kind == Q_EVENT_TYPE ||
	    sp->kind == Q_TIME || sp->kind == Q_INVITE_STATUS ||
	    sp->kind == Q_FINDING_STATUS || sp->kind == Q_SEVERITY ||
	    sp->kind == Q_CHANNEL_TYPE || sp->kind == Q_FORMAT))
		return 1;
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
	case Q_TEXT:
		if (val[0] != '\0' && strlen(val) <= 200 &&
		    strpbrk(val, "\t\r\n") == NULL)
			break;
		snprintf(msg, msglen, "%s must have 1 to 200 characters",
		    sp->name);
		return -1;
	case Q_SECRET:
		if (val[0] != '\0')
			break;
		snprintf(msg, msglen, "%s is empty", sp->name);
		return -1;
	case Q_EMAIL:
		if (is_email(val))
			break;
		snprintf(msg, msglen, "%s is not an email address", sp->name);
		return -1;
	case Q_ROLE:
		if (one_of(val, (const char *const[]){ "owner", "viewer",
		    NULL }))
			break;
		snprintf(msg, msglen, "%s must be owner or viewer", sp->name);
		return -1;
	case Q_CSRF:
		if (strlen(val) == 43 && is_cursor(val))
			break;
		snprintf(msg, msglen, "the form has expired; reload the page");
		return -1;
	case Q_PAGE:
		if (parse_i64(val, 1, 1000000, &v->i) == 0)
			return 0;
		snprintf(msg, msglen, "%s must be a page number", sp->name);
		return -1;
	case Q_ID:
		if (parse_i64(val, 1, INT64_MAX, &v->i) == 0)
			return 0;
		snprintf(msg, msglen, "%s must be a positive number", sp->name);
		return -1;
	case Q_SORT:
		if (one_of(val, (const char *const[]){ "last_used", "created",
		    "name", "project", "type", NULL }))
			break;
		snprintf(msg, msglen, "%s must be one of last_used, created, "
		    "name, project, type", sp->name);
		return -1;
	case Q_DIR:
		if (one_of(val, (const char *const[]){ "asc", "desc", NULL }))
			break;
		snprintf(msg, msglen, "%s must be asc or desc", sp->name);
		return -1;
	case Q_EVENT_TYPE:
		if (strlen(val) <= 128 && strspn(val, "abcdefghijklmnopqrstuvwxyz"
		    "0123456789_.") == strlen(val))
			break;
		snprintf(msg, msglen, "%s is not an audit event type", sp->name);
		return -1;
	case Q_TIME:
		if (query_time(val, &v->i) == 0)
			return 0;
		snprintf(msg, msglen, "%s must be Unix seconds or a UTC date "
		    "(2026-11-23 or 2026-11-23T10:00:00Z)", sp->name);
		return -1;
	case Q_SEQ:
		if (parse_i64(val, 0, INT64_MAX, &v->i) == 0)
			return 0;
		snprintf(msg, msglen, "%s must be a whole number, 0 or more",
		    sp->name);
		return -1;
	case Q_SCOPE:
		if (one_of(val, (const char *const[]){ "read", "review",
		    "admin", NULL }))
			break;
		snprintf(msg, msglen, "%s must be read, review or admin",
		    sp->name);
		return -1;
	case Q_FINDING_STATUS:
		if (one_of(val, (const char *const[]){ "open", "resolved",
		    "all", NULL }))
			break;
		snprintf(msg, msglen, "%s must be open, resolved or all",
		    sp->name);
		return -1;
	case Q_CHANNEL_TYPE:
		if (one_of(val, (const char *const[]){ "webhook", "slack",
		    "email", NULL }))
			break;
		snprintf(msg, msglen, "%s must be webhook, slack or email",
		    sp->name);
		return -1;
	case Q_FORMAT:
		if (one_of(val, (const char *const[]){ "native", "ocsf", NULL }))
			break;
		snprintf(msg, msglen, "%s must be native or ocsf", sp->name);
		return -1;
	case Q_SEVERITY:
		if (one_of(val, (const char *const[]){ "high", "medium", "low",
		    NULL }))
			break;
		snprintf(msg, msglen, "%s must be high, medium or low",
		    sp->name);
		return -1;
	case Q_INVITE_STATUS:
		if (one_of(val, (const char *const[]){ "pending", "accepted",
		    "expired", NULL }))
			break;
		snprintf(msg, msglen, "%s must be pending, accepted or expired",
		    sp->name);
		return -1;
	case Q_DAY:
		if (query_day(val, &v->i) == 0)
			return 0;
		snprintf(msg, msglen, "%s must be a UTC day (2026-11-01)",
		    sp->name);
		return -1;
	case Q_COST_GROUPS:
		if (group_bits(val, G_DAY | G_PROJECT | G_LINE_ITEM |
		    G_API_KEY, &v->i) == 0)
			return 0;
		snprintf(msg, msglen, "%s must be one or more of day, project, "
		    "line_item, api_key, comma-separated", sp->name);
		return -1;
	case Q_USAGE_GROUPS:
		if (group_bits(val, G_DAY | G_PROJECT | G_USER | G_API_KEY |
		    G_MODEL, &v->i) == 0)
			return 0;
		snprintf(msg, msglen, "%s must be one or more of day, project, "
		    "user, api_key, model, comma-separated", sp->name);
		return -1;
	case Q_ENDPOINT:
		if (collect_usage_endpoint(val))
			break;
		collect_usage_endpoints(names, sizeof(names));
		snprintf(msg, msglen, "%s must be one of %s", sp->name, names);
		return -1;
	case Q_TRISTATE:
		if (strcmp(val, "true") == 0 || strcmp(val, "false") == 0 ||
		    val[0] == '\0') {
			v->b = val[0] == 't';
			return val[0] == '\0' ? 1 : 0;
		}
		snprintf(msg, msglen, "%s must be true, false or empty",
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
	enum query_err	 rc = QUERY_OK;

	memset(out, 0, nspec * sizeof(*out));
	if (qs == NULL)
		return QUERY_OK;
	if ((len = strlen(qs)) > QUERY_MAX_LEN) {
		snprintf(msg, msglen, "the query string is longer than %d "
		    "bytes", QUERY_MAX_LEN);
		return QUERY_TOO_LONG;
	}
	for (p = qs; p < qs + len && rc == QUERY_OK; p = amp + 1) {
		if ((amp = strchr(p, '&')) == NULL)
			amp = qs + len;
		if (amp == p)
			continue;	/* "a=1&&b=2" */
		if (++seen > QUERY_MAX_PARAMS) {
			snprintf(msg, msglen, "too many query parameters");
			rc = QUERY_MALFORMED;
			break;
		}
		eq = memchr(p, '=', (size_t)(amp - p));
		if (query_decode(p, (size_t)((eq ? eq : amp) - p), name,
		    sizeof(name)) < 0 || (eq != NULL &&
		    query_decode(eq + 1, (size_t)(amp - eq - 1), val,
		    sizeof(val)) < 0)) {
			snprintf(msg, msglen, "the query string is not "
			    "well-formed");
			rc = QUERY_MALFORMED;
			break;
		}
		if (eq == NULL)
			val[0] = '\0';
		for (i = 0; i < nspec; i++)
			if (strcmp(spec[i].name, name) == 0)
				break;
		if (i == nspec) {
			snprintf(msg, msglen, "unknown parameter '%.64s'",
			    name);
			rc = QUERY_UNKNOWN;
		} else if (out[i].given) {
			snprintf(msg, msglen, "parameter '%s' is given twice",
			    spec[i].name);
			rc = QUERY_DUPLICATE;
		} else {
			out[i].given = true;
			/* 1: an empty filter a form left blank, as if absent. */
			switch (query_value(&spec[i], val, limit_max, &out[i],
			    msg, msglen)) {
			case 0:
				out[i].set = true;
				break;
			case 1:
				break;
			default:
				rc = QUERY_INVALID;
				break;
			}
		}
	}
	/* Values may be passwords or keys: leave nothing on the stack. */
	wipe(val, sizeof(val));
	wipe(name, sizeof(name));
	return rc;
}
