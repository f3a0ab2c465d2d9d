/*
 * conf.c: configuration keys are a table; each has a type, a default
 * and, for numbers, a range.  Unknown keys and bad values are errors
 * that name the file and line, so a typo never silently falls back.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "util.h"

enum conf_type { CONF_STR, CONF_INT };

struct conf_key {
	const char	*name;
	enum conf_type	 type;
	size_t		 off;
	const char	*def;
	int64_t		 min, max;
};

#define S(n, d)		{ #n, CONF_STR, offsetof(struct conf, n), d, 0, 0 }
#define I(n, d, lo, hi)	{ #n, CONF_INT, offsetof(struct conf, n), #d, lo, hi }

static const struct conf_key keys[] = {
	S(db_socket, "/run/mysqld/mysqld.sock"),
	S(db_host, ""),
	I(db_port, 3306, 1, 65535),
	S(db_name, "orgaudit"),
	S(db_user, "orgaudit"),
	S(db_password_file, ""),
	S(master_key_file, "/etc/orgaudit/master.key"),
	S(openai_base_url, "https://api.openai.com/v1"),
	I(stale_days, 90, 1, 3650),
	I(rotation_days, 90, 1, 3650),
	I(invite_days, 30, 1, 3650),
	I(max_owners, 3, 1, 100000),
	S(key_creators, ""),
	I(alert_allow_private, 0, 0, 1),
	S(smtp_url, ""),
	S(smtp_from, ""),
	S(smtp_user, ""),
	S(smtp_password_file, "/etc/orgaudit/smtp.password"),
	I(collect_concurrency, 24, 1, 256),
	I(page_limit, 100, 1, 100),
	I(http_timeout, 60, 1, 3600),
	I(connect_timeout, 10, 1, 600),
	I(retry_max_attempts, 8, 1, 1000),
	I(retry_max_seconds, 120, 1, 86400),
	I(retry_base_ms, 500, 1, 60000),
	I(retry_cap_ms, 8000, 1, 600000),
	I(lease_seconds, 900, 10, 86400),
	I(collect_fresh_seconds, 60, 0, 86400),
	I(inventory_interval_seconds, 3600, 60, 604800),
	I(usage_interval_seconds, 900, 60, 86400),
	I(usage_backfill_days, 90, 1, 3650),
	I(usage_revision_days, 7, 1, 180),
	I(usage_revision_hours, 48, 1, 168),
	I(usage_page_days, 1, 1, 31),
	I(usage_page_hours, 48, 1, 168),
	I(costs_page_days, 1, 1, 180),
	I(usage_hourly_keep_days, 7, 2, 3650),
	I(spike_factor, 10, 2, 1000),
	I(spike_min_requests, 100, 1, 1000000000),
	I(audit_overlap_seconds, 3600, 0, 2592000),
	I(api_page_default, 50, 1, 1000),
	I(api_page_max, 200, 1, 1000),
	I(web_cache_entries, 64, 0, 64),
	I(pack_quota, 500, 1, 1000000),
	I(pack_jobs_per_hour, 30, 1, 100000),
	S(templates_dir, "/usr/share/orgaudit/templates"),
	S(public_origin, ""),
	I(session_idle_seconds, 1800, 60, 86400),
	I(session_max_seconds, 43200, 300, 2592000),
	I(login_max_failures, 5, 1, 1000),
	I(login_ip_max_failures, 30, 1, 100000),
	I(login_lock_seconds, 900, 1, 86400),
	I(login_delay_seconds, 30, 1, 3600),
	S(log_file, ""),
	S(log_level, "info"),
	S(stripe_base_url, "https://api.stripe.com"),
	S(stripe_secret_key_file, "/etc/orgaudit/stripe.key"),
	S(stripe_api_version, "2024-06-20"),
	S(signing_key_file, "/etc/orgaudit/signing.key"),
	S(signing_public_key_file, "/etc/orgaudit/signing.pub"),
	S(pack_dir, "/var/lib/orgaudit/packs"),
};

static void
conf_set(struct conf *c, const struct conf_key *k, const char *v)
{
	char	**sp = (char **)((char *)c + k->off);

	free(*sp);
	*sp = xstrdup(v);
}

void
conf_defaults(struct conf *c)
{
	size_t	 i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < ARRAY_LEN(keys); i++) {
		if (keys[i].type == CONF_STR)
			conf_set(c, &keys[i], keys[i].def);
		else
			*(int64_t *)((char *)c + keys[i].off) =
			    strtoll(keys[i].def, NULL, 10);
	}
}

void
conf_free(struct conf *c)
{
	size_t	 i;

	for (i = 0; i < ARRAY_LEN(keys); i++)
		if (keys[i].type == CONF_STR) {
			free(*(char **)((char *)c + keys[i].off));
			*(char **)((char *)c + keys[i].off) = NULL;
		}
}

const char *
conf_path(const char *explicit_path)
{
	const char	*env;

	if (explicit_path != NULL)
		return explicit_path;
	if ((env = getenv("ORGAUDIT_CONF")) != NULL && *env != '\0')
		return env;
	return CONF_DEFAULT_PATH;
}

static char *
trim(char *s)
{
	char	*e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
	    e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static int
conf_line(struct conf *c, char *line, char *err, size_t errlen)
{
	const struct conf_key	*k = NULL;
	char			*eq, *name, *val;
	int64_t			 n;
	size_t			 i;

	name = trim(line);
	if (*name == '\0' || *name == '#')
		return 0;
	if ((eq = strchr(name, '=')) == NULL) {
		snprintf(err, errlen, "expected 'key = value'");
		return -1;
	}
	*eq = '\0';
	name = trim(name);
	val = trim(eq + 1);
	for (i = 0; i < ARRAY_LEN(keys); i++)
		if (strcmp(keys[i].name, name) == 0)
			k = &keys[i];
	if (k == NULL) {
		snprintf(err, errlen, "unknown key '%.64s'", name);
		return -1;
	}
	if (k->type == CONF_STR) {
		conf_set(c, k, val);
		return 0;
	}
	if (parse_i64(val, k->min, k->max, &n) != 0) {
		snprintf(err, errlen, "'%s' must be a whole number from %lld "
		    "to %lld", k->name, (long long)k->min, (long long)k->max);
		return -1;
	}
	*(int64_t *)((char *)c + k->off) = n;
	return 0;
}

int
conf_load(struct conf *c, const char *path, char *err, size_t errlen)
{
	char	 line[4096], why[256];
	FILE	*f;
	int	 lineno = 0, rc = 0;

	if ((f = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "cannot open configuration %s: %m "
		    "(set ORGAUDIT_CONF or pass --conf)", path);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (conf_line(c, line, why, sizeof(why)) != 0) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
			rc = -1;
			break;
		}
	}
	fclose(f);
	if (rc == 0 && strcmp(c->log_level, "error") != 0 &&
	    strcmp(c->log_level, "warning") != 0 &&
	    strcmp(c->log_level, "info") != 0 &&
	    strcmp(c->log_level, "debug") != 0) {
		snprintf(err, errlen, "%s: log_level must be error, warning, "
		    "info or debug", path);
		rc = -1;
	}
	return rc;
}
