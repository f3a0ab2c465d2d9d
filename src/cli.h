/*
 * cli.h: the verbs of the operator CLI, 'orgaudit'.  Each takes the
 * arguments after its name (argv[0] is the verb) and returns an exit code
 * from app.h.  Output meant for people goes to stdout; errors to stderr.
 */
#ifndef ORGAUDIT_CLI_H
#define ORGAUDIT_CLI_H

#include "conf.h"

struct cli_ctx {
	const char	*conf_path;	/* --conf, or NULL */
	struct conf	 conf;
};

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

#endif
