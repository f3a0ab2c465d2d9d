/*
 * chain.h: verifying an org's audit chain as stored.  Rows are read in
 * sequence order, one at a time (memory stays flat), and each is checked:
 * its number follows the previous one, its prev_hash is the previous
 * row's hash (the first row's is 32 zero bytes), and its hash is
 * SHA-256(prev_hash || body), and its id, type and time columns agree
 * with that body.  At the end the chain must reach the head
 * recorded in audit_state.  The first row that fails is named.
 */
#ifndef ORGAUDIT_CHAIN_H
#define ORGAUDIT_CHAIN_H

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

/* 0 when the chain could be read (see rep->ok), -1 on a database error. */
int	 chain_verify(struct db *db, int64_t org, struct chain_report *rep);

#endif
