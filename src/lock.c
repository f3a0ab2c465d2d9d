/*
 * lock.c: see lock.h.  Each step is one transaction through db_tx, so a
 * conflict with a taker on another node is retried, and the retry reads
 * what the other committed.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lock.h"
#include "log.h"
#include "util.h"

#define LOCK_POLL_MS	200

struct lock_tx {
	struct lock	*l;
	const char	*host;		/* this machine's name */
	int64_t		 now;
	bool		 held;
};

/*
 * Is owner (as lock_take names them) a process of this machine that no
 * longer runs?  A run killed here need not wait for its lease to end.
 */
static bool
lock_owner_dead(const char *owner, const char *host)
{
	size_t	 n = strlen(host);
	long	 pid;
	char	*end;

	if (strncmp(owner, host, n) != 0 || owner[n] != ':')
		return false;
	pid = strtol(owner + n + 1, &end, 10);
	if (*end != ':' || pid <= 0 || pid == (long)getpid())
		return false;
	return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

static int
owner_row(const struct db_row *r, void *arg)
{
	struct buf	*b = arg;

	buf_add(b, db_row_str(r, 0), strlen(db_row_str(r, 0)));
	return 1;
}

/* Takes the lock over from a dead holder on this machine, if it is one. */
static int
lock_take_dead(struct db *db, struct lock_tx *t)
{
	struct buf	 owner = { 0 };
	int		 rc = 0;

	if (DB_QUERY(db, SQL_LOCK_OWNER, owner_row, &owner, DV_S(t->l->name),
	    DV_I(t->now)) < 0) {
		rc = -1;
		goto out;
	}
	if (owner.len == 0 || !lock_owner_dead(owner.p, t->host))
		goto out;
	if (DB_EXEC(db, SQL_LOCK_STEAL, DV_S(t->l->owner),
	    DV_I(t->now + t->l->seconds * 1000), DV_S(t->l->name),
	    DV_S(owner.p)) != 0) {
		rc = -1;
		goto out;
	}
	if ((t->held = db_affected(db) == 1))
		log_warn("lock %s: taken over from %s, which is gone",
		    t->l->name, owner.p);
out:
	buf_free(&owner);
	return rc;
}

static int
lock_take_tx(struct db *db, void *arg)
{
	struct lock_tx	*t = arg;

	if (DB_EXEC(db, SQL_LOCK_ADD, DV_S(t->l->name)) != 0 ||
	    DB_EXEC(db, SQL_LOCK_TAKE, DV_S(t->l->owner),
	    DV_I(t->now + t->l->seconds * 1000), DV_S(t->l->name),
	    DV_I(t->now), DV_S(t->l->owner)) != 0)
		return -1;
	if ((t->held = db_affected(db) == 1))
		return 0;
	return lock_take_dead(db, t);
}

int
lock_take(struct db *db, struct lock *l, int64_t wait_s)
{
	struct lock_tx	 t = { .l = l };
	char		 host[64];
	int64_t		 until = now_ms() + wait_s * 1000;
	struct timespec	 ts = { 0, LOCK_POLL_MS * 1000000L };

	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "?");
	host[sizeof(host) - 1] = '\0';
	t.host = host;
	snprintf(l->owner, sizeof(l->owner), "%s:%ld:%" PRId64, host,
	    (long)getpid(), now_ms());
	for (;;) {
		t.now = now_ms();
		if (db_tx(db, lock_take_tx, &t) != 0)
			return -1;
		if (t.held)
			return 1;
		if (now_ms() >= until)
			return 0;
		nanosleep(&ts, NULL);
	}
}

static int
lock_renew_tx(struct db *db, void *arg)
{
	struct lock_tx	*t = arg;

	if (DB_EXEC(db, SQL_LOCK_RENEW, DV_I(t->now + t->l->seconds * 1000),
	    DV_S(t->l->name), DV_S(t->l->owner), DV_I(t->now)) != 0)
		return -1;
	t->held = db_affected(db) == 1;
	return 0;
}

int
lock_renew(struct db *db, struct lock *l)
{
	struct lock_tx	 t = { .l = l, .now = now_ms() };

	if (db_tx(db, lock_renew_tx, &t) != 0)
		return -1;
	return t.held ? 1 : 0;
}

void
lock_release(struct db *db, struct lock *l)
{
	if (DB_EXEC(db, SQL_LOCK_RELEASE, DV_S(l->name), DV_S(l->owner)) != 0)
		log_warn("lock %s: release: %s; it expires by itself",
		    l->name, db_error(db));
}
