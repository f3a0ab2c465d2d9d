/*
 * migrate.c: see migrate.h.  Each migration file is split into statements
 * at lines ending in ';' and run in order; DDL commits by itself in
 * MariaDB, so a migration is written to be re-runnable up to its record.
 */
#include <stdio.h>
#include <string.h>

#include "lock.h"
#include "log.h"
#include "migrate.h"
#include "util.h"

static const char schema_version_ddl[] =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version INT NOT NULL PRIMARY KEY,"
    " name VARCHAR(128) NOT NULL,"
    " applied_at BIGINT NOT NULL"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";

int
migrate_version(struct db *db)
{
	int64_t	 v = 0;

	if (db_exec_raw(db, schema_version_ddl, strlen(schema_version_ddl))
	    != 0 || DB_QUERY(db, SQL_SCHEMA_VERSION, db_row_first_int, &v) < 0)
		return -1;
	return (int)v;
}

int
migrate_latest(void)
{
	return nmigrations > 0 ? migrations[nmigrations - 1].version : 0;
}

static int
migrate_stmt(struct db *db, void *arg)
{
	const struct buf	*stmt = arg;

	return db_exec_raw(db, stmt->p, stmt->len);
}

/*
 * Runs each ';'-terminated statement of one migration.  On a cluster a
 * statement can lose a certification conflict (a deadlock error) with
 * another node's write; it was not applied, so it is tried again.
 */
static int
migrate_one(struct db *db, const struct migration *m, char *err,
    size_t errlen)
{
	struct buf	 stmt = { 0 };
	const char	*p = m->sql, *nl, *next;
	size_t		 len;
	int		 rc = 0;

	while (*p != '\0' && rc == 0) {
		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		next = nl != NULL ? nl + 1 : p + len;
		/* Comment lines are dropped whole, ';' or not. */
		if (len >= 2 && p[0] == '-' && p[1] == '-') {
			p = next;
			continue;
		}
		buf_add(&stmt, p, len);
		buf_addc(&stmt, '\n');
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\r'))
			len--;
		if (len > 0 && p[len - 1] == ';') {
			if (db_tx(db, migrate_stmt, &stmt) != 0) {
				snprintf(err, errlen, "migration %s: %s",
				    m->name, db_error(db));
				rc = -1;
			}
			buf_reset(&stmt);
		}
		p = next;
	}
	buf_free(&stmt);
	return rc;
}

/*
 * The lock table (sql/014_locks.sql) is needed before the migration lock
 * can be taken, on a new database too: its migration is re-runnable and
 * runs first, outside the lock (DDL is ordered cluster-wide on Galera).
 */
static int
migrate_lock_table(struct db *db, char *err, size_t errlen)
{
	int64_t	 n = 0;
	size_t	 i;

	/* Once there, no DDL: it would abort others' lock transactions. */
	if (DB_QUERY(db, SQL_LOCK_TABLE, db_row_first_int, &n) < 0) {
		snprintf(err, errlen, "cannot look for orgaudit_lock: %s",
		    db_error(db));
		return -1;
	}
	if (n > 0)
		return 0;
	for (i = 0; i < nmigrations; i++)
		if (strcmp(migrations[i].name, "014_locks") == 0)
			return migrate_one(db, &migrations[i], err, errlen);
	snprintf(err, errlen, "no migration 014_locks in this binary");
	return -1;
}

int
migrate_run(struct db *db, int *from, int *to, char *err, size_t errlen)
{
	struct lock	 l = { .name = "migrate", .seconds = 600 };
	int		 v, rc = -1, held;
	size_t		 i;

	if (migrate_lock_table(db, err, errlen) != 0)
		return -1;
	if ((held = lock_take(db, &l, 60)) != 1) {
		snprintf(err, errlen, "cannot take the migration lock%s%s",
		    held == 0 ? " (another migrate is running?)" : ": ",
		    held == 0 ? "" : db_error(db));
		return -1;
	}
	if ((v = migrate_version(db)) < 0) {
		snprintf(err, errlen, "cannot read schema_version: %s",
		    db_error(db));
		goto out;
	}
	*from = *to = v;
	for (i = 0; i < nmigrations; i++) {
		if (migrations[i].version <= v)
			continue;
		if (lock_renew(db, &l) != 1) {
			snprintf(err, errlen, "lost the migration lock before "
			    "%s; run again", migrations[i].name);
			goto out;
		}
		if (migrate_one(db, &migrations[i], err, errlen) != 0)
			goto out;
		if (DB_EXEC(db, SQL_SCHEMA_VERSION_ADD,
		    DV_I(migrations[i].version), DV_S(migrations[i].name),
		    DV_I(now_s())) != 0) {
			snprintf(err, errlen, "cannot record migration %d: %s",
			    migrations[i].version, db_error(db));
			goto out;
		}
		log_info("migrate: applied %s", migrations[i].name);
		*to = migrations[i].version;
	}
	rc = 0;
out:
	lock_release(db, &l);
	return rc;
}
