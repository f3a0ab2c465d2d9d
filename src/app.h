/*
 * app.h: start-up shared by every orgaudit program: read the
 * configuration, open the log, connect to MariaDB.
 */
#ifndef ORGAUDIT_APP_H
#define ORGAUDIT_APP_H

#include "conf.h"
#include "db.h"

/* Exit codes shared by the programs. */
#define EXIT_OK		0
#define EXIT_FAIL	1	/* the work failed (some of it, for collect) */
#define EXIT_USAGE	2	/* bad usage or configuration */
#define EXIT_REFUSED	3	/* an admin key was refused */

/*
 * Loads the configuration (conf_path may be NULL) and opens the log.
 * Prints the reason to stderr and returns -1 on failure.
 */
int		 app_conf(const char *prog, const char *explicit_path,
		    struct conf *c);
/* Connects; prints the reason and returns NULL on failure. */
struct db	*app_db(const struct conf *c);

#endif
