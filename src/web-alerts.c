/*
 * web-alerts.c: the Notifications page: the tenant's alert channels
 * (webhook, Slack, email), a test message for each, and the recent
 * messages with the dead ones to send again.  The web seals a channel's
 * URL, address and secret as they arrive and can never read them back.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "alert.h"
#include "log.h"
#include "pages.h"
#include "web.h"

static void
notifications_page(struct call *c, int status, const char *error)
{
	struct req	*r = c->r;
	json_t		*ch, *msgs, *m;
	size_t		 i;

	if ((ch = alert_list(r->db, r->tenant)) == NULL ||
	    (msgs = alert_outbox_list(r->db, r->tenant, 50)) == NULL) {
		json_decref(ch);
		call_db_error(c, "notifications");
		return;
	}
	json_array_foreach(ch, i, m)
		web_add_when(m, "last_sent_at", now_s());
	json_array_foreach(msgs, i, m) {
		web_add_when(m, "created_at", now_s());
		web_add_when(m, "sent_at", now_s());
		json_object_set_new(m, "is_dead", json_boolean(strcmp(
		    json_string_value(json_object_get(m, "status")), "dead") ==
		    0));
	}
	web_page(c, status, "notifications", "Notifications", json_pack(
	    "{s:o, s:o, s:b, s:b, s:s, s:o}", "channels", ch, "messages", msgs,
	    "has_channels", json_array_size(ch) > 0, "has_messages",
	    json_array_size(msgs) > 0, "default_triggers",
	    alert_default_triggers, "error", error != NULL ?
	    json_string(error) : json_null()));
}

void
web_notifications(struct call *c)
{
	notifications_page(c, 200, NULL);
}

static void
note(struct call *c, const char *action, int64_t id, const char *outcome)
{
	char	 t[32];

	snprintf(t, sizeof(t), "alert:%" PRId64, id);
	call_note(c, 0, action, t, outcome);
}

void
web_alert_add(struct call *c)
{
	struct req		*r = c->r;
	struct alert_new	 n;
	char			 err[400], by[40];
	int64_t			 id;

	memset(&n, 0, sizeof(n));
	n.tenant = r->tenant;
	n.type = call_str(c, P_CHANNEL_TYPE);
	n.name = call_str(c, P_NAME) ? call_str(c, P_NAME) : n.type;
	n.target = n.type != NULL && strcmp(n.type, "email") == 0 ?
	    call_str(c, P_TO) : call_str(c, P_URL);
	n.secret = call_str(c, P_SECRET);
	n.triggers = call_str(c, P_TRIGGERS);
	n.min_severity = call_str(c, P_MIN_SEVERITY);
	n.format = call_str(c, P_FORMAT);
	n.digest = c->q[P_DIGEST].set && c->q[P_DIGEST].b;
	snprintf(by, sizeof(by), "account:%" PRId64, r->account);
	n.created_by = by;
	if (alert_check(r->conf, &n, err, sizeof(err)) != 0) {
		notifications_page(c, 400, err);
		return;
	}
	if ((id = alert_add(r->db, &n, err, sizeof(err))) < 0) {
		log_err("web: alert add: %s", err);
		call_db_error(c, "alert add");
		return;
	}
	note(c, "alert.channel_added", id, "ok");
	http_redirect(r, "/notifications?done=channel_added");
}

void
web_alert_remove(struct call *c)
{
	int	 r = alert_remove(c->r->db, c->r->tenant, c->id);

	if (r < 0) {
		call_db_error(c, "alert remove");
		return;
	}
	if (r == 0) {
		web_error(c, 404, "There is no such channel.");
		return;
	}
	note(c, "alert.channel_removed", c->id, "ok");
	http_redirect(c->r, "/notifications?done=channel_removed");
}

void
web_alert_test(struct call *c)
{
	int64_t	 r = alert_test(c->r->db, c->r->tenant, c->id);

	if (r < 0) {
		call_db_error(c, "alert test");
		return;
	}
	if (r == 0) {
		web_error(c, 404, "There is no such channel.");
		return;
	}
	note(c, "alert.channel_tested", c->id, "ok");
	http_redirect(c->r, "/notifications?done=test_queued");
}

void
web_alert_resend(struct call *c)
{
	int	 r = alert_resend(c->r->db, c->r->tenant, c->id);

	if (r < 0) {
		call_db_error(c, "resend");
		return;
	}
	if (r == 0) {
		web_error(c, 404, "There is no such dead message.");
		return;
	}
	note(c, "alert.message_resent", c->id, "ok");
	http_redirect(c->r, "/notifications?done=resent");
}
