/*
 * notify.h: the sender of the alert outbox (orgaudit-notify).  It takes
 * due messages under a lease, opens its channel's sealed URL, address
 * and secret, and delivers: a signed webhook POST, a Slack message in
 * Block Kit, or a mail through the configured SMTP relay.  2xx is sent;
 * a timeout, a connection error, 408, 429 (after its Retry-After) and
 * 5xx are tried again with exponential backoff and jitter for 24 hours,
 * then the message is dead; any other 4xx is dead at once.  A message is
 * marked sent only after its receiver said so, so a sender killed at any
 * point sends a message again, under the same id, or not at all.
 *
 * A tenant chooses its URLs, so a URL's host must resolve only to public
 * addresses (not loopback, private, link-local, shared, multicast or
 * unique-local, v4 or v6), the address checked is the one connected to
 * (libcurl's resolve is pinned to it), the scheme must be https and no
 * redirect is followed; alert_allow_private lifts the address rule and
 * allows http, for tests and the demo.
 */
#ifndef ORGAUDIT_NOTIFY_H
#define ORGAUDIT_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>

#include "conf.h"
#include "db.h"

#define NOTIFY_GIVE_UP	(24 * 3600)	/* seconds a message is tried */

/* May a tenant's URL reach this address? */
bool	 notify_addr_public(const struct sockaddr *sa);
/*
 * Checks a tenant's URL: its scheme, and that its host resolves and only
 * to addresses it may reach.  With pin non-NULL, writes there the
 * "host:port:address" to connect to (CURLOPT_RESOLVE).  0, or -1 with
 * err.
 */
int	 notify_url_check(const struct conf *c, const char *url, char *pin,
	    size_t pinlen, char *err, size_t errlen);
/* The webhook's signature header value for body at t. */
void	 notify_sign(const char *secret, int64_t t, const char *body,
	    size_t len, char *out, size_t outlen);
/* Seconds until the next try after attempts failed ones (with jitter). */
int64_t	 notify_backoff(int attempts, unsigned jitter);

struct notify_result {
	long	 sent, retried, dead;
};

/*
 * One pass over the messages due now (at most limit), as owner.  0, or
 * -1 when the database failed.
 */
int	 notify_pass(struct db *db, const struct conf *c, const char *owner,
	    int64_t limit, struct notify_result *res);

#endif
