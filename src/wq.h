/*
 * wq.h: a write queue.  Database work handed to it runs in order on one
 * thread over its own connection, so a network loop never waits for
 * storage.  Rows are copied in; the caller's buffers may go at once.
 *
 * The queue is bounded: wq_rows() and wq_call() wait while more than
 * WQ_MAX_BYTES are queued, so a fast network cannot outrun a slow
 * database without limit.  8 MiB holds several pages' batches, enough
 * to keep the writer busy, and keeps a backfill's memory small.
 */
#ifndef ORGAUDIT_WQ_H
#define ORGAUDIT_WQ_H

#include <stddef.h>

#include "conf.h"
#include "db.h"

#define WQ_MAX_BYTES	(8u * 1024 * 1024)

struct wq;

/* Called on the queue's thread when a batch of rows failed to store. */
typedef void (*wq_error_fn)(void *arg, const char *why);
/* Work run on the queue's thread, in order with everything queued. */
typedef void (*wq_fn)(struct db *db, void *arg);

/*
 * Opens a connection with c and starts the thread; NULL with err.  c must
 * outlive the queue.
 */
struct wq	*wq_start(const struct conf *c, char *err, size_t errlen);
/*
 * Queues nrows rows of ncols values for statement id, stored with one
 * bulk execution.  On failure the thread calls on_error(arg, why).
 */
void		 wq_rows(struct wq *q, enum sql_stmt id, const struct db_val *v,
		    size_t nrows, size_t ncols, wq_error_fn on_error,
		    void *arg);
/*
 * Queues fn(db, arg); bytes is what arg holds, counted against the
 * queue's bound until fn has run.
 */
void		 wq_call(struct wq *q, wq_fn fn, void *arg, size_t bytes);
/* Runs everything queued, stops the thread, closes its connection. */
void		 wq_finish(struct wq *q);

#endif
