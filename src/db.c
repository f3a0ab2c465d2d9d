/*
 * db.c: see db.h.  MariaDB Connector/C prepared statements.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mysql.h>
#include <errmsg.h>

#include "db.h"
#include "log.h"
#include "util.h"

#define DB_PARAMS_MAX	64
#define DB_COL_INIT	256
/* db_host entries, and how long a retried transaction keeps trying. */
#define DB_HOSTS_MAX	16
#define DB_HOST_LEN	256
#define DB_RETRY_MS	30000
#define DB_BACKOFF_MS	20
#define DB_BACKOFF_MAX	1000

struct db {
	const struct conf	*conf;
	MYSQL			*m;
	MYSQL_STMT		*st[SQL__MAX];
	bool			 in_tx;
	size_t			 host;		/* db_host entry in use */
	int64_t			 insert_id;
	int64_t			 affected;
	unsigned		 err_no;
	char			 err[512];
};

static void
db_seterr(struct db *db, const char *what, unsigned no, const char *msg)
{
	db->err_no = no;
	snprintf(db->err, sizeof(db->err), "%s: %s (%u)", what, msg, no);
}

static void
db_drop_statements(struct db *db)
{
	size_t	 i;

	for (i = 0; i < SQL__MAX; i++)
		if (db->st[i] != NULL) {
			mysql_stmt_close(db->st[i]);
			db->st[i] = NULL;
		}
}

/*
 * Entry i of db_host ("host[:port]" entries, comma separated) into host
 * and *port (db_port when it names none).  The number of entries.
 */
static size_t
db_host_entry(const struct conf *c, size_t i, char *host, size_t hostlen,
    unsigned *port)
{
	const char	*p = c->db_host, *end, *colon;
	size_t		 n = 0, len;
	int64_t		 v;

	while (*p != '\0' && n < DB_HOSTS_MAX) {
		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		end = p + strcspn(p, ",");
		len = (size_t)(end - p);
		while (len > 0 && p[len - 1] == ' ')
			len--;
		if (n++ == i) {
			*port = (unsigned)c->db_port;
			colon = memchr(p, ':', len);
			if (colon != NULL) {
				char	 num[8];

				snprintf(num, sizeof(num), "%.*s",
				    (int)(len - (size_t)(colon - p) - 1),
				    colon + 1);
				if (parse_i64(num, 1, 65535, &v) == 0)
					*port = (unsigned)v;
				len = (size_t)(colon - p);
			}
			snprintf(host, hostlen, "%.*s", (int)len, p);
		}
		p = end;
	}
	return n;
}

/* One connection attempt to db_host entry i (or the socket). */
static int
db_connect_one(struct db *db, size_t i, const char *pw)
{
	const struct conf	*c = db->conf;
	char			 host[DB_HOST_LEN];
	unsigned		 port = (unsigned)c->db_port;
	unsigned int		 timeout = 10;
	bool			 tcp;

	tcp = db_host_entry(c, i, host, sizeof(host), &port) > 0;
	if ((db->m = mysql_init(NULL)) == NULL) {
		db_seterr(db, "mysql_init", 0, "out of memory");
		return -1;
	}
	mysql_options(db->m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(db->m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	/* Affected rows count rows matched, even if no value changed. */
	if (mysql_real_connect(db->m, tcp ? host : NULL, c->db_user, pw,
	    c->db_name, tcp ? port : 0, tcp ? NULL : c->db_socket,
	    CLIENT_FOUND_ROWS) == NULL) {
		db_seterr(db, "mysql_real_connect", mysql_errno(db->m),
		    mysql_error(db->m));
		if (tcp)
			log_warn("db: %s:%u: %s", host, port, db->err);
		mysql_close(db->m);
		db->m = NULL;
		return -1;
	}
	/*
	 * On Galera a read waits until the node has applied what the
	 * cluster committed before it, so it sees the writes of other
	 * nodes (a lease, a chain head).  A server without wsrep ignores it.
	 */
	mysql_query(db->m, "SET SESSION wsrep_sync_wait = 1");
	return 0;
}

/*
 * Connects to the db_host entry in use, else to each of the others in
 * turn: the first that answers is kept.  Without db_host, the socket.
 */
static int
db_connect(struct db *db)
{
	const struct conf	*c = db->conf;
	struct buf		 pw = { 0 };
	char			 host[DB_HOST_LEN];
	unsigned		 port;
	size_t			 n, k;
	int			 rc = -1;

	if (c->db_password_file[0] != '\0') {
		if (file_read(c->db_password_file, 1024, &pw) != 0) {
			db_seterr(db, "db_password_file", 0,
			    "cannot read the password file");
			goto out;
		}
		while (pw.len > 0 && (pw.p[pw.len - 1] == '\n' ||
		    pw.p[pw.len - 1] == '\r'))
			pw.p[--pw.len] = '\0';
	}
	if ((n = db_host_entry(c, 0, host, sizeof(host), &port)) == 0)
		n = 1;
	for (k = 0; k < n && rc != 0; k++) {
		if (k > 0)
			db->host = (db->host + 1) % n;
		rc = db_connect_one(db, db->host % n, pw.p);
	}
out:
	buf_free(&pw);
	return rc;
}

struct db *
db_open(const struct conf *c, char *err, size_t errlen)
{
	struct db	*db = xcalloc(1, sizeof(*db));

	db->conf = c;
	if (db_connect(db) != 0) {
		snprintf(err, errlen, "cannot connect to MariaDB as %s: %s",
		    c->db_user, db->err);
		free(db);
		return NULL;
	}
	return db;
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	db_drop_statements(db);
	if (db->m != NULL)
		mysql_close(db->m);
	free(db);
}

static bool
db_gone(unsigned no)
{
	return no == CR_SERVER_GONE_ERROR || no == CR_SERVER_LOST ||
	    no == 1927 /* ER_CONNECTION_KILLED */;
}

bool
db_unavailable(const struct db *db)
{
	return db_gone(db->err_no) || db->err_no == CR_CONNECTION_ERROR ||
	    db->err_no == CR_CONN_HOST_ERROR || db->m == NULL;
}

static int	db_reconnect(struct db *);

/*
 * Can running the transaction (or statement) again succeed?  1213: a
 * deadlock, or on Galera a conflict with a write committed on another
 * node (certification); 1205: a lock wait timed out; 1180 and 1047: the
 * node is not part of a primary component (a node was lost and is being
 * evicted); and a connection lost or refused.
 */
static bool
db_retryable(const struct db *db)
{
	switch (db->err_no) {
	case 1213:	/* ER_LOCK_DEADLOCK */
	case 1205:	/* ER_LOCK_WAIT_TIMEOUT */
	case 1180:	/* ER_ERROR_DURING_COMMIT */
	case 1047:	/* ER_UNKNOWN_COM_ERROR: WSREP not ready */
		return true;
	default:
		return db_unavailable(db);
	}
}

/*
 * Before try number `attempt` (1, 2, ...).  After a lost connection, or
 * a node that is not in the primary component, connects again, to the
 * next db_host entry first (db_connect goes round them all): false when
 * none answers, as the caller's retry cannot help then.  Otherwise waits
 * about 20 ms doubled each time up to 1 s, with jitter, so that writers
 * that conflicted do not meet again.  false once the retry time is spent.
 */
static bool
db_backoff(struct db *db, int attempt, int64_t start)
{
	int64_t		 ms = DB_BACKOFF_MS;
	struct timespec	 ts;
	char		 host[DB_HOST_LEN];
	unsigned	 port;
	size_t		 n;
	bool		 lost;
	int		 i;

	if (now_ms() - start > DB_RETRY_MS)
		return false;
	lost = db_unavailable(db);
	if (lost || db->err_no == 1047 || db->err_no == 1180) {
		n = db_host_entry(db->conf, 0, host, sizeof(host), &port);
		if (n > 1)
			db->host = (db->host + 1) % n;
		if (db_reconnect(db) != 0) {
			log_warn("db: reconnect: %s", db->err);
			return false;
		}
		if (lost)
			return true;	/* a new node: no need to wait */
	}
	for (i = 1; i < attempt && ms < DB_BACKOFF_MAX; i++)
		ms *= 2;
	if (ms > DB_BACKOFF_MAX)
		ms = DB_BACKOFF_MAX;
	ms = ms / 2 + (int64_t)(random() % (ms / 2 + 1));
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
	return true;
}

int
db_ping(struct db *db)
{
	if (db->m != NULL && mysql_ping(db->m) == 0)
		return 0;
	if (db->m != NULL)
		db_seterr(db, "ping", mysql_errno(db->m), mysql_error(db->m));
	return db_reconnect(db);
}

static int
db_reconnect(struct db *db)
{
	db_drop_statements(db);
	if (db->m != NULL)
		mysql_close(db->m);
	db->m = NULL;
	return db_connect(db);
}

static int
db_simple(struct db *db, const char *sql, const char *what)
{
	if (db->m == NULL && db_reconnect(db) != 0)
		return -1;
	if (mysql_real_query(db->m, sql, strlen(sql)) != 0) {
		db_seterr(db, what, mysql_errno(db->m), mysql_error(db->m));
		return -1;
	}
	return 0;
}

int
db_begin(struct db *db)
{
	if (!db->in_tx && db_simple(db, "START TRANSACTION", "begin") != 0) {
		/* A connection lost while idle is not a failed transaction. */
		if (!db_gone(db->err_no) || db_reconnect(db) != 0 ||
		    db_simple(db, "START TRANSACTION", "begin") != 0)
			return -1;
	}
	db->in_tx = true;
	return 0;
}

bool
db_in_tx(const struct db *db)
{
	return db->in_tx;
}

int
db_tx(struct db *db, db_tx_fn fn, void *arg)
{
	int64_t		 start = now_ms();
	int		 attempt = 0, rc;

	for (;;) {
		db->err_no = 0;
		if ((rc = db_begin(db)) == 0 && (rc = fn(db, arg)) == 0 &&
		    (rc = db_commit(db)) == 0)
			return 0;
		db_rollback(db);
		if (rc != -1 || !db_retryable(db))
			return rc;
		log_warn("db: transaction try %d: %s; trying again",
		    ++attempt, db->err);
		if (!db_backoff(db, attempt, start))
			return -1;
	}
}

struct steps {
	const struct db_step	*s;
	size_t			 n;
};

static int
steps_tx(struct db *db, void *arg)
{
	const struct steps	*x = arg;
	size_t			 i;

	for (i = 0; i < x->n; i++)
		if (db_exec(db, x->s[i].id, x->s[i].v, x->s[i].n) != 0)
			return -1;
	return 0;
}

int
db_tx_steps(struct db *db, const struct db_step *s, size_t n)
{
	struct steps	 x = { s, n };

	return db_tx(db, steps_tx, &x);
}

int
db_commit(struct db *db)
{
	db->in_tx = false;
	return db_simple(db, "COMMIT", "commit");
}

int
db_rollback(struct db *db)
{
	db->in_tx = false;
	if (db->m == NULL)
		return 0;
	return db_simple(db, "ROLLBACK", "rollback");
}

int
db_exec_raw(struct db *db, const char *sql, size_t len)
{
	if (mysql_real_query(db->m, sql, len) != 0) {
		db_seterr(db, "migration", mysql_errno(db->m),
		    mysql_error(db->m));
		return -1;
	}
	return 0;
}

static MYSQL_STMT *
db_prepare(struct db *db, enum sql_stmt id)
{
	const char	*sql = sql_text(id);

	if (db->st[id] != NULL)
		return db->st[id];
	if (db->m == NULL && db_reconnect(db) != 0)
		return NULL;
	if ((db->st[id] = mysql_stmt_init(db->m)) == NULL) {
		db_seterr(db, sql_name(id), 0, "out of memory");
		return NULL;
	}
	if (mysql_stmt_prepare(db->st[id], sql, strlen(sql)) != 0) {
		db_seterr(db, sql_name(id), mysql_stmt_errno(db->st[id]),
		    mysql_stmt_error(db->st[id]));
		mysql_stmt_close(db->st[id]);
		db->st[id] = NULL;
		return NULL;
	}
	return db->st[id];
}

/* Binds and executes; ints is storage for integer parameters. */
static int
db_run(struct db *db, enum sql_stmt id, const struct db_val *p, size_t n,
    MYSQL_STMT **out)
{
	MYSQL_BIND	 b[DB_PARAMS_MAX];
	long long	 ints[DB_PARAMS_MAX];
	MYSQL_STMT	*st;
	size_t		 i;

	if (n > DB_PARAMS_MAX || (st = db_prepare(db, id)) == NULL) {
		if (n > DB_PARAMS_MAX)
			db_seterr(db, sql_name(id), 0, "too many parameters");
		return -1;
	}
	if (mysql_stmt_param_count(st) != n) {
		db_seterr(db, sql_name(id), 0, "parameter count mismatch");
		return -1;
	}
	memset(b, 0, sizeof(b));
	for (i = 0; i < n; i++) {
		switch (p[i].t) {
		case DBT_NULL:
			b[i].buffer_type = MYSQL_TYPE_NULL;
			break;
		case DBT_INT:
			ints[i] = p[i].i;
			b[i].buffer_type = MYSQL_TYPE_LONGLONG;
			b[i].buffer = &ints[i];
			break;
		case DBT_STR:
		case DBT_BIN:
			b[i].buffer_type = p[i].t == DBT_BIN ? MYSQL_TYPE_BLOB :
			    MYSQL_TYPE_STRING;
			b[i].buffer = (void *)(p[i].s != NULL ? p[i].s : "");
			b[i].buffer_length = p[i].len;
			break;
		}
	}
	if ((n > 0 && mysql_stmt_bind_param(st, b) != 0) ||
	    mysql_stmt_execute(st) != 0) {
		db_seterr(db, sql_name(id), mysql_stmt_errno(st),
		    mysql_stmt_error(st));
		return -1;
	}
	*out = st;
	return 0;
}

/*
 * Runs once; outside a transaction a statement that failed for a reason
 * a retry can fix (see db_retryable) runs again, after a backoff and on
 * a new connection when the old one was lost.  Inside a transaction the
 * whole transaction is what is retried (db_tx).
 */
static int
db_run_retry(struct db *db, enum sql_stmt id, const struct db_val *p,
    size_t n, MYSQL_STMT **out)
{
	int64_t	 start = now_ms();
	int	 attempt = 0;

	while (db_run(db, id, p, n, out) != 0) {
		if (db->in_tx || !db_retryable(db))
			return -1;
		log_warn("db: %s; trying again", db->err);
		if (!db_backoff(db, ++attempt, start))
			return -1;
	}
	return 0;
}

int
db_exec(struct db *db, enum sql_stmt id, const struct db_val *p, size_t n)
{
	MYSQL_STMT	*st;

	if (db_run_retry(db, id, p, n, &st) != 0)
		return -1;
	db->affected = (int64_t)mysql_stmt_affected_rows(st);
	db->insert_id = (int64_t)mysql_stmt_insert_id(st);
	mysql_stmt_free_result(st);
	return 0;
}

int
db_exec_bulk(struct db *db, enum sql_stmt id, const struct db_val *v,
    size_t nrows, size_t ncols)
{
	MYSQL_BIND	 b[DB_PARAMS_MAX];
	MYSQL_STMT	*st;
	unsigned int	 n = (unsigned int)nrows, zero = 0;
	long long	*ints = NULL;
	const char	**strs = NULL;
	unsigned long	*lens = NULL;
	char		*ind = NULL;
	size_t		 r, c;
	int		 rc = -1;

	if (nrows == 0)
		return 0;
	if (ncols > DB_PARAMS_MAX || (st = db_prepare(db, id)) == NULL) {
		if (ncols > DB_PARAMS_MAX)
			db_seterr(db, sql_name(id), 0, "too many parameters");
		return -1;
	}
	if (mysql_stmt_param_count(st) != ncols) {
		db_seterr(db, sql_name(id), 0, "parameter count mismatch");
		return -1;
	}
	/* Column-wise arrays: one slot per row for every column. */
	ints = xcalloc(nrows * ncols, sizeof(*ints));
	strs = xcalloc(nrows * ncols, sizeof(*strs));
	lens = xcalloc(nrows * ncols, sizeof(*lens));
	ind = xcalloc(nrows * ncols, 1);
	memset(b, 0, sizeof(b));
	for (c = 0; c < ncols; c++) {
		enum db_type	 t = DBT_NULL;

		for (r = 0; r < nrows && t == DBT_NULL; r++)
			t = v[r * ncols + c].t;
		for (r = 0; r < nrows; r++) {
			const struct db_val	*x = &v[r * ncols + c];
			size_t			 k = c * nrows + r;

			ind[k] = x->t == DBT_NULL ? STMT_INDICATOR_NULL :
			    STMT_INDICATOR_NONE;
			ints[k] = x->i;
			strs[k] = x->s != NULL ? x->s : "";
			lens[k] = x->len;
		}
		b[c].u.indicator = ind + c * nrows;
		if (t == DBT_STR || t == DBT_BIN) {
			b[c].buffer_type = t == DBT_BIN ? MYSQL_TYPE_BLOB :
			    MYSQL_TYPE_STRING;
			b[c].buffer = (void *)(strs + c * nrows);
			b[c].length = lens + c * nrows;
		} else {
			b[c].buffer_type = MYSQL_TYPE_LONGLONG;
			b[c].buffer = ints + c * nrows;
		}
	}
	if (mysql_stmt_attr_set(st, STMT_ATTR_ARRAY_SIZE, &n) != 0 ||
	    mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0) {
		db_seterr(db, sql_name(id), mysql_stmt_errno(st),
		    mysql_stmt_error(st));
		goto out;
	}
	db->affected = (int64_t)mysql_stmt_affected_rows(st);
	rc = 0;
out:
	/* The statement goes back to single executions for other callers. */
	mysql_stmt_attr_set(st, STMT_ATTR_ARRAY_SIZE, &zero);
	mysql_stmt_free_result(st);
	free(ints);
	free(strs);
	free(lens);
	free(ind);
	return rc;
}

struct db_fetch {
	MYSQL_BIND	*b;
	struct db_row	 row;
	my_bool		*isnull;
	my_bool		*error;
};

static void
db_fetch_free(struct db_fetch *f)
{
	size_t	 i;

	for (i = 0; i < f->row.ncol; i++)
		free(f->row.v[i]);
	free(f->row.v);
	free(f->row.len);
	free(f->row.null);
	free(f->isnull);
	free(f->error);
	free(f->b);
}

static void
db_fetch_init(struct db_fetch *f, size_t ncol)
{
	size_t	 i;

	memset(f, 0, sizeof(*f));
	f->row.ncol = ncol;
	f->b = xcalloc(ncol, sizeof(*f->b));
	f->row.v = xcalloc(ncol, sizeof(*f->row.v));
	f->row.len = xcalloc(ncol, sizeof(*f->row.len));
	f->row.null = xcalloc(ncol, 1);
	f->isnull = xcalloc(ncol, sizeof(*f->isnull));
	f->error = xcalloc(ncol, sizeof(*f->error));
	for (i = 0; i < ncol; i++) {
		f->row.v[i] = xmalloc(DB_COL_INIT);
		f->b[i].buffer_type = MYSQL_TYPE_STRING;
		f->b[i].buffer = f->row.v[i];
		f->b[i].buffer_length = DB_COL_INIT - 1;
		f->b[i].length = &f->row.len[i];
		f->b[i].is_null = &f->isnull[i];
		f->b[i].error = &f->error[i];
	}
}

/*
 * Fetches the columns that did not fit, after growing their buffers.  A
 * buffer always has one byte more than its buffer_length, for the NUL
 * db_query puts after the value.
 */
static int
db_fetch_long(MYSQL_STMT *st, struct db_fetch *f)
{
	size_t	 i;

	for (i = 0; i < f->row.ncol; i++) {
		if (f->isnull[i] || f->row.len[i] < f->b[i].buffer_length)
			continue;
		free(f->row.v[i]);
		f->row.v[i] = xmalloc(f->row.len[i] + 1);
		f->b[i].buffer = f->row.v[i];
		f->b[i].buffer_length = f->row.len[i];
		if (mysql_stmt_fetch_column(st, &f->b[i], (unsigned)i, 0) != 0)
			return -1;
	}
	return mysql_stmt_bind_result(st, f->b) == 0 ? 0 : -1;
}

/*
 * One run of a query: -1 with *seen 0 when it failed before a row
 * reached the callback, so running it again is safe.
 */
static long
db_query_once(struct db *db, enum sql_stmt id, const struct db_val *p,
    size_t n, db_row_cb cb, void *arg, long *seen)
{
	struct db_fetch	 f;
	MYSQL_STMT	*st;
	long		 rows = 0;
	size_t		 i;
	int		 rc, stop = 0;

	*seen = 0;
	if (db_run_retry(db, id, p, n, &st) != 0)
		return -1;
	db_fetch_init(&f, mysql_stmt_field_count(st));
	if (mysql_stmt_bind_result(st, f.b) != 0)
		goto fail;
	while ((rc = mysql_stmt_fetch(st)) != MYSQL_NO_DATA) {
		if (rc == 1)
			goto fail;
		if (rc == MYSQL_DATA_TRUNCATED && db_fetch_long(st, &f) != 0)
			goto fail;
		for (i = 0; i < f.row.ncol; i++) {
			f.row.null[i] = f.isnull[i] ? 1 : 0;
			f.row.v[i][f.isnull[i] ? 0 : f.row.len[i]] = '\0';
		}
		*seen = ++rows;
		/* Keep draining after a stop so the connection stays usable. */
		if (!stop && cb != NULL && cb(&f.row, arg) != 0)
			stop = 1;
	}
	mysql_stmt_free_result(st);
	db_fetch_free(&f);
	return rows;
fail:
	/* A fetch cut short (on Galera, an abort) may say so on the handle. */
	if (mysql_stmt_errno(st) != 0)
		db_seterr(db, sql_name(id), mysql_stmt_errno(st),
		    mysql_stmt_error(st));
	else
		db_seterr(db, sql_name(id), mysql_errno(db->m),
		    mysql_error(db->m));
	mysql_stmt_free_result(st);
	db_fetch_free(&f);
	return -1;
}

/*
 * On Galera a read can be aborted while its rows are fetched (a deadlock
 * error when another node's DDL is applied here).  Outside a transaction,
 * and before the caller saw a row, the query runs again as a failed
 * execute does; after that, or inside a transaction, the error stands.
 */
long
db_query(struct db *db, enum sql_stmt id, const struct db_val *p, size_t n,
    db_row_cb cb, void *arg)
{
	int64_t	 start = now_ms();
	long	 rows, seen;
	int	 attempt = 0;

	while ((rows = db_query_once(db, id, p, n, cb, arg, &seen)) < 0) {
		if (seen > 0 || db->in_tx || !db_retryable(db))
			return -1;
		log_warn("db: %s; trying again", db->err);
		if (!db_backoff(db, ++attempt, start))
			return -1;
	}
	return rows;
}

const char *
db_row_str(const struct db_row *r, size_t c)
{
	return c < r->ncol && !r->null[c] ? r->v[c] : "";
}

int64_t
db_row_int(const struct db_row *r, size_t c)
{
	int64_t	 v;

	if (db_row_null(r, c) ||
	    parse_i64(r->v[c], INT64_MIN, INT64_MAX, &v) != 0)
		return 0;
	return v;
}

int
db_row_first_int(const struct db_row *r, void *arg)
{
	*(int64_t *)arg = db_row_int(r, 0);
	return 1;
}

int
db_row_first_bytes(const struct db_row *r, void *arg)
{
	if (!db_row_null(r, 0))
		buf_add(arg, r->v[0], r->len[0]);
	return 1;
}

int64_t
db_insert_id(const struct db *db)
{
	return db->insert_id;
}

int64_t
db_affected(const struct db *db)
{
	return db->affected;
}

const char *
db_error(const struct db *db)
{
	return db->err;
}

unsigned
db_errno(const struct db *db)
{
	return db->err_no;
}
