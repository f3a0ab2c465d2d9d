/*
 * db.c: see db.h.  MariaDB Connector/C prepared statements.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>
#include <errmsg.h>

#include "db.h"
#include "log.h"
#include "util.h"

#define DB_PARAMS_MAX	64
#define DB_COL_INIT	256

struct db {
	const struct conf	*conf;
	MYSQL			*m;
	MYSQL_STMT		*st[SQL__MAX];
	bool			 in_tx;
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

static int
db_connect(struct db *db)
{
	const struct conf	*c = db->conf;
	struct buf		 pw = { 0 };
	const char		*host = NULL, *sock = NULL;
	unsigned int		 timeout = 10;
	int			 rc = -1;

	if ((db->m = mysql_init(NULL)) == NULL) {
		db_seterr(db, "mysql_init", 0, "out of memory");
		return -1;
	}
	mysql_options(db->m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(db->m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
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
	if (c->db_host[0] != '\0')
		host = c->db_host;
	else
		sock = c->db_socket;
	/* Affected rows count rows matched, even if no value changed. */
	if (mysql_real_connect(db->m, host, c->db_user, pw.p, c->db_name,
	    (unsigned)c->db_port, sock, CLIENT_FOUND_ROWS) == NULL) {
		db_seterr(db, "mysql_real_connect", mysql_errno(db->m),
		    mysql_error(db->m));
		mysql_close(db->m);
		db->m = NULL;
		goto out;
	}
	rc = 0;
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

/* Runs once; on a lost idle connection reconnects and runs again. */
static int
db_run_retry(struct db *db, enum sql_stmt id, const struct db_val *p,
    size_t n, MYSQL_STMT **out)
{
	if (db_run(db, id, p, n, out) == 0)
		return 0;
	if (db->in_tx || !db_gone(db->err_no))
		return -1;
	log_warn("db: %s; reconnecting", db->err);
	if (db_reconnect(db) != 0)
		return -1;
	return db_run(db, id, p, n, out);
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

long
db_query(struct db *db, enum sql_stmt id, const struct db_val *p, size_t n,
    db_row_cb cb, void *arg)
{
	struct db_fetch	 f;
	MYSQL_STMT	*st;
	long		 rows = 0;
	size_t		 i;
	int		 rc, stop = 0;

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
		rows++;
		/* Keep draining after a stop so the connection stays usable. */
		if (!stop && cb != NULL && cb(&f.row, arg) != 0)
			stop = 1;
	}
	mysql_stmt_free_result(st);
	db_fetch_free(&f);
	return rows;
fail:
	db_seterr(db, sql_name(id), mysql_stmt_errno(st), mysql_stmt_error(st));
	mysql_stmt_free_result(st);
	db_fetch_free(&f);
	return -1;
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
