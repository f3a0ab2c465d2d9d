/*
 * audit-chain.h: verifying an org's audit chain as stored.  Rows are read in
 * sequence order, one at a time (memory stays flat), and each is checked:
 * its number follows the previous one, its prev_hash is the previous
 * row's hash (the first row's is 32 zero bytes), and its hash is
 * SHA-256(prev_hash || body), and its id, type and time columns agree
 * with that body.  At the end the chain must reach the head
 * recorded in audit_state.  The first row that fails is named.
 */
#ifndef ORGAUDIT_AUDIT_CHAIN_H
#define ORGAUDIT_AUDIT_CHAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "db.h"

struct chain_report {
	bool	 ok;
	int64_t	 rows;			/* rows read */
	int64_t	 head_seq;		/* as recorded */
	char	 head_hash[65];		/* hex, as computed when ok */
	int64_t	 bad_seq;		/* the first broken row, 0 if none */
	char	 bad_id[129];
	char	 reason[256];
};

/*
 * Do the id, type and effective_at columns (they serve lookups and
 * filters) say what the hashed body says?
 */
bool	 chain_columns_match(const char *body, size_t len, const char *id,
	    const char *type, int64_t effective_at);

/* 0 when the chain could be read (see rep->ok), -1 on a database error. */
int	 chain_verify(struct db *db, int64_t org, struct chain_report *rep);

/* A row that has passed every check so far, for chain_walk()'s caller. */
struct chain_row {
	int64_t			 seq;
	const char		*body;		/* canonical bytes, as hashed */
	size_t			 len;
	const unsigned char	*prev_hash;	/* 32 bytes */
	const unsigned char	*hash;
	int64_t			 effective_at;
};
typedef int (*chain_row_cb)(const struct chain_row *row, void *arg);

/*
 * chain_verify() that also hands each good row, in order, to fn (until
 * the first broken one).  fn returns non-zero to stop: chain_walk() then
 * returns -2.
 */
int	 chain_walk(struct db *db, int64_t org, struct chain_report *rep,
	    chain_row_cb fn, void *arg);

#endif
