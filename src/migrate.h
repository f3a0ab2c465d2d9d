/*
 * migrate.h: the schema as numbered migrations (sql/NNN_name.sql, built
 * into the binary).  Applying is idempotent: schema_version records each
 * version once, and a lock keeps two migrators from racing.
 */
#ifndef ORGAUDIT_MIGRATE_H
#define ORGAUDIT_MIGRATE_H

#include <stddef.h>

#include "db.h"

struct migration {
	int		 version;
	const char	*name;
	const char	*sql;
};

extern const struct migration	migrations[];
extern const size_t		nmigrations;

/*
 * Applies every migration newer than the recorded version, in order.
 * Sets *from and *to to the versions before and after.  0 or -1 with err.
 */
int	 migrate_run(struct db *db, int *from, int *to, char *err,
	    size_t errlen);
/* The recorded schema version (0 when none), or -1 on error. */
int	 migrate_version(struct db *db);
/* The newest version this binary knows. */
int	 migrate_latest(void);

#endif
