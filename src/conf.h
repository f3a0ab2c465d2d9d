/*
 * conf.h: the one configuration file, "key = value" lines.
 * Path: --conf, else $ORGAUDIT_CONF, else /etc/orgaudit/orgaudit.conf.
 * Secrets are never values here, only paths to files holding them.
 */
#ifndef ORGAUDIT_CONF_H
#define ORGAUDIT_CONF_H

#include <stddef.h>
#include <stdint.h>

#define CONF_DEFAULT_PATH "/etc/orgaudit/orgaudit.conf"

struct conf {
	char	*db_socket;
	char	*db_host;
	int64_t	 db_port;
	char	*db_name;
	char	*db_user;
	char	*db_password_file;
	char	*master_key_file;
	char	*openai_base_url;
	int64_t	 stale_days;
	/* The findings engine's thresholds (rules.c). */
	int64_t	 rotation_days;
	int64_t	 invite_days;
	int64_t	 max_owners;
	char	*key_creators;		/* user IDs and addresses */
	/* Alerts (alert.c, notify.c). */
	int64_t	 alert_allow_private;
	char	*smtp_url;
	char	*smtp_from;
	char	*smtp_user;
	char	*smtp_password_file;
	int64_t	 collect_concurrency;
	int64_t	 page_limit;
	int64_t	 http_timeout;
	int64_t	 connect_timeout;
	int64_t	 retry_max_attempts;
	int64_t	 retry_max_seconds;
	int64_t	 retry_base_ms;
	int64_t	 retry_cap_ms;
	int64_t	 lease_seconds;
	int64_t	 collect_fresh_seconds;
	/* What --all pulls when (collect.c); usage and costs (usage-collect.c). */
	int64_t	 inventory_interval_seconds;
	int64_t	 usage_interval_seconds;
	int64_t	 usage_backfill_days;
	int64_t	 usage_revision_days;
	int64_t	 usage_revision_hours;
	int64_t	 usage_page_days;
	int64_t	 usage_page_hours;
	int64_t	 costs_page_days;
	int64_t	 usage_hourly_keep_days;
	/* The usage_spike finding (rules.c). */
	int64_t	 spike_factor;
	int64_t	 spike_min_requests;
	int64_t	 audit_overlap_seconds;
	int64_t	 api_page_default;
	int64_t	 api_page_max;
	int64_t	 web_cache_entries;	/* cache.h; 0: off */
	int64_t	 pack_quota;		/* stored packs per tenant */
	int64_t	 pack_jobs_per_hour;	/* pack requests per tenant */
	char	*templates_dir;
	char	*public_origin;
	int64_t	 session_idle_seconds;
	int64_t	 session_max_seconds;
	int64_t	 login_max_failures;
	int64_t	 login_ip_max_failures;
	int64_t	 login_lock_seconds;
	int64_t	 login_delay_seconds;
	char	*log_file;
	char	*log_level;
	char	*stripe_base_url;
	char	*stripe_secret_key_file;
	char	*stripe_api_version;
	char	*signing_key_file;
	char	*signing_public_key_file;
	char	*pack_dir;
};

/* Sets every default; call before conf_load(). */
void		 conf_defaults(struct conf *c);
/*
 * Reads the file at path over the defaults.  On error returns -1 and
 * writes a message naming the file and line into err.
 */
int		 conf_load(struct conf *c, const char *path, char *err,
		    size_t errlen);
/* Chooses the path: explicit, else $ORGAUDIT_CONF, else the default. */
const char	*conf_path(const char *explicit_path);
void		 conf_free(struct conf *c);

#endif
