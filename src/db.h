/*
 * db.h: MariaDB access.  Every statement lives in one table (sql.h), is
 * prepared once per connection and always runs with bound parameters.
 * Rows stream to a callback one at a time: nothing is buffered whole.
 */
#ifndef ORGAUDIT_DB_H
#define ORGAUDIT_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "conf.h"
#include "sql.h"

struct db;

/* DBT_BIN: bytes for a binary column, sent without character set. */
enum db_type { DBT_NULL, DBT_INT, DBT_STR, DBT_BIN };

/* A bound parameter.  Strings are borrowed for the call only. */
struct db_val {
	enum db_type	 t;
	int64_t		 i;
	const char	*s;
	size_t		 len;
};

#define DV_NULL		((struct db_val){ DBT_NULL, 0, NULL, 0 })
#define DV_I(x)		((struct db_val){ DBT_INT, (int64_t)(x), NULL, 0 })
#define DV_S(x)		db_val_str(x)
#define DV_B(p, n)	((struct db_val){ DBT_BIN, 0, (const char *)(p), (n) })

static inline struct db_val
db_val_str(const char *s)
{
	struct db_val	 v = { DBT_NULL, 0, NULL, 0 };

	if (s != NULL) {
		v.t = DBT_STR;
		v.s = s;
		v.len = strlen(s);
	}
	return v;
}

/*
 * One fetched row: every column as bytes (numbers in decimal), NUL-
 * terminated, with NULL columns reported by db_row_null().  Valid only
 * inside the callback.
 */
struct db_row {
	size_t		  ncol;
	char		**v;
	unsigned long	 *len;
	char		 *null;
};

static inline bool
db_row_null(const struct db_row *r, size_t c)
{
	return c >= r->ncol || r->null[c];
}
/* The column as a string; "" when NULL. */
const char	*db_row_str(const struct db_row *r, size_t c);
/* The column as an integer; 0 when NULL or not a number. */
int64_t		 db_row_int(const struct db_row *r, size_t c);

typedef int (*db_row_cb)(const struct db_row *row, void *arg);

/* A db_row_cb that stores the first row's first column in *(int64_t *)arg. */
int		 db_row_first_int(const struct db_row *row, void *arg);
/* The same for bytes, appended to (struct buf *)arg. */
int		 db_row_first_bytes(const struct db_row *row, void *arg);

/*
 * Connects with the configured user, to the first db_host entry that
 * answers (or the socket); NULL with a message in err.  The
 * returned handle is owned by the caller; release with db_close().
 */
struct db	*db_open(const struct conf *c, char *err, size_t errlen);
void		 db_close(struct db *db);

/*
 * A transaction's body: runs its statements on db and returns 0 to
 * commit, -1 when a statement failed (db_error() says why), or a
 * positive value of its own to roll back without a retry.
 */
typedef int (*db_tx_fn)(struct db *db, void *arg);

/*
 * Runs fn in a transaction and commits it.  When a statement or the
 * commit fails for a reason a retry can fix (1213: a deadlock, or on
 * Galera a write certified first on another node; 1205; 1180 and 1047: no
 * primary component; a lost connection, which fails over to the next
 * db_host entry), rolls back, waits a growing backoff and runs the whole
 * of fn again, for up to 30 s.  fn may therefore run several times: it
 * must start from what it reads and keep its effects on memory apart
 * until db_tx returns 0.  Returns 0 (committed), -1, or fn's own value.
 */
int		 db_tx(struct db *db, db_tx_fn fn, void *arg);

int		 db_begin(struct db *db);
/* Is a transaction of db_begin() open? */
bool		 db_in_tx(const struct db *db);
int		 db_commit(struct db *db);
int		 db_rollback(struct db *db);

/*
 * Statements run in order as one transaction, retried whole like db_tx:
 *	struct db_step s[] = { DB_STEP(SQL_A, DV_I(x)), DB_STEP(SQL_B) };
 *	db_tx_steps(db, s, 2);
 */
struct db_step {
	enum sql_stmt		 id;
	const struct db_val	*v;
	size_t			 n;
};
int		 db_tx_steps(struct db *db, const struct db_step *s,
		    size_t n);

/*
 * Runs statement id with n parameters.  Returns 0, or -1 with the reason
 * in db_error().  Outside a transaction a statement that failed for a
 * reason db_tx retries (a lost connection among them, re-opened to the
 * next db_host entry) is retried the same way, on its own.
 */
int		 db_exec(struct db *db, enum sql_stmt id,
		    const struct db_val *p, size_t n);
/*
 * Runs a query and calls cb for each row until it returns non-zero.
 * Returns -1 on error, otherwise the number of rows seen.
 */
long		 db_query(struct db *db, enum sql_stmt id,
		    const struct db_val *p, size_t n, db_row_cb cb, void *arg);

/*
 * Runs statement id once for each of nrows rows of ncols parameters
 * (v holds nrows * ncols values, row after row), in one round trip with
 * array binding.  Every row's column c must be of the same type or NULL.
 * The statement is atomic: all rows or none.  0 or -1.
 */
int		 db_exec_bulk(struct db *db, enum sql_stmt id,
		    const struct db_val *v, size_t nrows, size_t ncols);

int64_t		 db_insert_id(const struct db *db);
/* Rows the last statement matched (not only those it changed). */
int64_t		 db_affected(const struct db *db);
/* The last error, for logs: never contains parameter values. */
const char	*db_error(const struct db *db);
/* Is the server reachable?  Reconnects once if not.  0 or -1. */
int		 db_ping(struct db *db);
/* Did the last failure come from a lost or refused connection? */
bool		 db_unavailable(const struct db *db);
/* The MariaDB error number of the last failure (1062 = duplicate). */
unsigned	 db_errno(const struct db *db);

/* Raw text for migrations only (trusted SQL from sql/).  0 or -1. */
int		 db_exec_raw(struct db *db, const char *sql, size_t len);

#define DB_ARGS(...) \
	(const struct db_val[]){ __VA_ARGS__ }, \
	sizeof((const struct db_val[]){ __VA_ARGS__ }) / sizeof(struct db_val)
#define DB_EXEC(db, id, ...)	db_exec(db, id, DB_ARGS(__VA_ARGS__))
#define DB_STEP(id, ...)	{ id, DB_ARGS(__VA_ARGS__) }
#define DB_QUERY(db, id, cb, arg, ...) \
	db_query(db, id, DB_ARGS(__VA_ARGS__), cb, arg)

#endif
