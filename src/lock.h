/*
 * lock.h: named locks that hold across a Galera cluster (the billing run,
 * migrations).  A lock is a row of orgaudit_lock (sql/014_locks.sql)
 * leased for a time: taken and renewed by conditional UPDATEs that
 * commit, so a second taker on any node sees it held, and a holder that
 * died stops holding it when its lease ends (or at once, for a process
 * of the same machine that is gone).
 */
#ifndef ORGAUDIT_LOCK_H
#define ORGAUDIT_LOCK_H

#include <stdint.h>

#include "db.h"

/* An owner's name: host, process and start time, unique enough. */
#define LOCK_OWNER_LEN	128

struct lock {
	const char	*name;			/* borrowed: a literal */
	int64_t		 seconds;		/* the lease's length */
	char		 owner[LOCK_OWNER_LEN];
};

/*
 * Takes lock l (name and seconds set by the caller) for this process,
 * waiting up to wait_s seconds for another holder's release or expiry.
 * 1 held, 0 held by another, -1 on a database error (db_error()).
 */
int	 lock_take(struct db *db, struct lock *l, int64_t wait_s);
/* Extends a held lease by l->seconds: 1 still held, 0 lost, -1 error. */
int	 lock_renew(struct db *db, struct lock *l);
/* Releases a held lock; logs a failure, which its expiry then covers. */
void	 lock_release(struct db *db, struct lock *l);

#endif
