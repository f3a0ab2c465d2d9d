/*
 * cli.h: the verbs of the operator CLI, 'orgaudit'.  Each takes the
 * arguments after its name (argv[0] is the verb) and returns an exit code
 * from app.h.  Output meant for people goes to stdout; errors to stderr.
 */
#ifndef ORGAUDIT_CLI_H
#define ORGAUDIT_CLI_H

#include <stdint.h>

#include "conf.h"

struct cli_ctx {
	const char	*conf_path;	/* --conf, or NULL */
	struct conf	 conf;
};

/* A tenant found by ID or name. */
struct tenant_hit {
	int64_t	 id;
	char	 name[201];
};

struct db;

/* Connects with x's configuration; EXIT_OK or EXIT_FAIL (said why). */
int	 cli_open_db(struct cli_ctx *x, struct db **db);
/* A tenant by ID or name into t; 0, or -1 after saying why. */
int	 cli_tenant_resolve(struct db *db, const char *arg,
	    struct tenant_hit *t);
/* arg as a positive number; 0, or -1 after naming what. */
int	 cli_need_id(const char *arg, const char *what, int64_t *out);

int	 cli_migrate(struct cli_ctx *, int, char **);
int	 cli_master_key(struct cli_ctx *, int, char **);
int	 cli_tenant(struct cli_ctx *, int, char **);
int	 cli_token(struct cli_ctx *, int, char **);
int	 cli_org(struct cli_ctx *, int, char **);
int	 cli_orgs(struct cli_ctx *, int, char **);
int	 cli_keys(struct cli_ctx *, int, char **);
int	 cli_account(struct cli_ctx *, int, char **);
int	 cli_events(struct cli_ctx *, int, char **);
int	 cli_keygen(struct cli_ctx *, int, char **);
int	 cli_pack(struct cli_ctx *, int, char **);
int	 cli_routes(struct cli_ctx *, int, char **);
int	 cli_grants(struct cli_ctx *, int, char **);
int	 cli_activity(struct cli_ctx *, int, char **);
int	 cli_alert(struct cli_ctx *, int, char **);

/* Who runs the CLI: the user sudo ran it for, else the Unix user. */
const char *cli_operator(char *out, size_t n);
/*
 * Records an operator's action on tenant's activity trail; target is
 * kind:id ("org:3"), or none when kind is NULL.
 */
void	 cli_note(struct db *db, int64_t tenant, const char *action,
	    const char *kind, int64_t id);

#endif
