/*
 * app.h: start-up shared by every orgaudit program: the process made
 * safe to hold secrets, the command line's common options, the
 * configuration, the log, MariaDB.
 */
#ifndef ORGAUDIT_APP_H
#define ORGAUDIT_APP_H

#include <getopt.h>
#include <stdio.h>

#include "conf.h"
#include "db.h"

/* Exit codes shared by the programs. */
#define EXIT_OK		0
#define EXIT_FAIL	1	/* the work failed (some of it, for collect) */
#define EXIT_USAGE	2	/* bad usage or configuration */
#define EXIT_REFUSED	3	/* an admin key was refused */

/* What app_start() needs to know of a program. */
struct app {
	const char		*prog;		/* "orgaudit-collect" */
	void			(*usage)(FILE *);
	/* Its own options (NULL-terminated, or NULL) and a handler. */
	const struct option	*opts;
	/* One of its options: 0, or an exit code after saying why. */
	int			(*opt)(void *ctx, int ch, const char *arg);
	void			*ctx;
	/* Stop at the first operand (a verb and its own options follow). */
	int			 stop_at_operand;
};

#define APP_RUN	(-1)	/* app_start(): go on */

/*
 * The options of a program that runs once or as a service: --loop, and
 * --interval N (1 to 3600 s) between its passes.  Give app_loop_opts and
 * app_loop_opt to app_start() with a struct app_loop as its ctx.
 */
struct app_loop {
	const char	*prog;
	int		 loop;
	int64_t		 interval;	/* seconds; 2 unless given */
};
extern const struct option	 app_loop_opts[];
int		 app_loop_opt(void *ctx, int ch, const char *arg);
/* Sleeps the loop's interval. */
void		 app_loop_wait(const struct app_loop *l);

/*
 * Starts a program: no core dump and not dumpable (it holds secrets),
 * umask 077, SIGPIPE ignored; then parses --conf FILE (into *conf_path),
 * --help, --version and the program's own options.  Returns APP_RUN with
 * optind at the first operand, or the exit code to return now (help and
 * version printed: EXIT_OK; a bad option: usage on stderr, EXIT_USAGE).
 */
int		 app_start(const struct app *a, int argc, char **argv,
		    const char **conf_path);
/*
 * Loads the configuration (conf_path may be NULL) and opens the log.
 * Prints the reason to stderr and returns -1 on failure.
 */
int		 app_conf(const char *prog, const char *explicit_path,
		    struct conf *c);
/* Connects; prints the reason and returns NULL on failure. */
struct db	*app_db(const struct conf *c);

#endif
