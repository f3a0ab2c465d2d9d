/*
 * pack.h: evidence packs.  A pack is a gzipped tarball for one org and
 * one period [start, end): the org's state as of the period's end (each
 * stream's newest pull at or before it), the audit events within it with
 * their chain links, findings, SHA256SUMS, a manifest signed with Ed25519,
 * the public key, and a README that says how to check it all with
 * sha256sum and openssl.  The same stored data gives the same bytes:
 * fixed order, times, owners and modes, no gzip timestamp, no wall clock.
 * Files are written to a temporary directory first, row by row, so memory
 * stays flat however long the period is.
 */
#ifndef ORGAUDIT_PACK_H
#define ORGAUDIT_PACK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "conf.h"
#include "db.h"
#include "sign.h"

#define PACK_FORMAT	"orgaudit-evidence-pack/3"

struct pack_req {
	int64_t		 tenant, org;
	int64_t		 start, end;	/* Unix seconds; end excluded */
	const char	*made_by;	/* "cli", "api", "web", "monthly" */
	FILE		*progress;	/* a line every PACK_PROGRESS rows, or NULL */
	/* Called every PACK_TICK rows of the chain: rows read of total. */
	void		(*tick)(void *arg, int64_t done, int64_t total);
	void		*tick_arg;
};

#define PACK_TICK	10000

#define PACK_PROGRESS	200000
#define PACK_PATH_LEN	1400		/* a pack file's path, NUL included */

struct pack_result {
	int64_t	 id;
	bool	 existed;		/* the same bytes were stored before */
	bool	 chain_broken;		/* refused: the chain does not verify */
	char	 sha256[65];		/* of the .tar.gz */
	char	 manifest_sha256[65];
	char	 path[PACK_PATH_LEN];
	char	 filename[128];		/* for downloads */
	int64_t	 bytes, events;
	int	 status;		/* on failure: 400, 404, 409, 500 */
	char	 error[512];
	char	 inputs[65];		/* SHA-256 of what it holds */
};

/*
 * What a pack of rq would hold, as res->inputs (its SHA-256), without
 * making it: the same checks of the period and the org as pack_create()
 * (0, or -1 with res->status and res->error).  key_fp is the signing
 * key's fingerprint.
 */
int	 pack_inputs(struct db *db, const struct pack_req *rq,
	    const char *key_fp, struct pack_result *res);
/*
 * Makes, stores and records a pack.  0, or -1 with res->status and a
 * message for the caller in res->error (internals go to the log).
 */
int	 pack_create(struct db *db, const struct conf *c,
	    const struct signer *sg, const struct pack_req *rq,
	    struct pack_result *res);

/* The file name a pack is downloaded as. */
void	 pack_filename(int64_t org, int64_t start, int64_t end, char *out,
	    size_t outlen);

/* A stored pack, as pack_lookup() finds it. */
struct pack_file {
	int64_t	 id, org, start, end;
	char	 sha256[65];
	char	 path[PACK_PATH_LEN];
};

/* The tenant's pack id: 1 found, 0 none, -1 a database error. */
int	 pack_lookup(struct db *db, int64_t tenant, int64_t id,
	    struct pack_file *pf);
/*
 * The headers a pack is sent with (Content-Disposition with its file
 * name, X-Pack-Id, X-Pack-SHA256), each ending in CRLF.
 */
void	 pack_headers(const struct pack_file *pf, char *out, size_t outlen);

/* What pack_verify() reads at most, uncompressed, unless told. */
#define PACK_VERIFY_MAX_BYTES	(INT64_C(32) << 30)

/*
 * A pack verifies only against a trusted key: public_key, or the pack's
 * own key when its SHA-256 fingerprint is fingerprint.  With neither,
 * everything else is checked and the pack does not verify.
 */
struct pack_verify_opts {
	const char	*public_key;	/* a PEM file, or NULL */
	const char	*fingerprint;	/* 64 hex characters, or NULL */
	const char	*previous;	/* the pack before it, or NULL */
	int64_t		 max_bytes;	/* 0: PACK_VERIFY_MAX_BYTES */
};

/*
 * Checks a pack file: every file against the manifest and SHA256SUMS,
 * record counts, every event's hash and link, the signature, and with
 * opts->previous the continuity with the pack before.  Prints each
 * finding to out.  0 when it verifies, 1 when it does not, -1 when the
 * file cannot be read as a pack at all.
 */
int	 pack_verify(const char *path, const struct pack_verify_opts *opts,
	    FILE *out);

#endif
