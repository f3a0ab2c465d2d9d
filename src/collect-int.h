/*
 * collect-int.h: what collect.c and audit-collect.c share: the run, its
 * streams and the hand-over between the network loop and the write
 * thread.  Not for use outside the collector.
 */
#ifndef ORGAUDIT_COLLECT_INT_H
#define ORGAUDIT_COLLECT_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "conf.h"
#include "db.h"
#include "ingest.h"
#include "oa-client.h"
#include "oa-page.h"
#include "strset.h"
#include "wq.h"

struct audit_walk;
struct audit_head;
struct usage_walk;

enum stream_id {
	ST_USERS,
	ST_PROJECTS,
	ST_ADMIN_KEYS,
	ST_INVITES,
	ST_API_KEYS,
	ST_SVCACCTS,
	ST_PROJUSERS,
	ST_AUDIT,
	ST_MODEL_PERMS,
	ST_PROJECT_ALERTS,
	ST_ORG_ALERTS,
	ST_ORG_RETENTION,
	ST_PROJECT_RETENTION,
	ST_RATE_LIMITS,
	ST_ROLES,
	ST_USER_ROLES,
	/* Usage and costs (usage-collect.c): buckets, not snapshots. */
	ST_U_COMPLETIONS,
	ST_U_EMBEDDINGS,
	ST_U_MODERATIONS,
	ST_U_IMAGES,
	ST_U_AUDIO_SPEECHES,
	ST_U_AUDIO_TRANSCRIPTIONS,
	ST_U_VECTOR_STORES,
	ST_U_CODE_INTERPRETER,
	ST_U_FILE_SEARCH,
	ST_U_WEB_SEARCH,
	ST_COSTS,
	ST__MAX
};

/*
 * A stream's fetch state belongs to the network loop; how it was stored
 * belongs to the write thread.  They meet only through a copy handed
 * over with the stream's last job (struct ending).
 */
enum stream_state {
	SS_PENDING, SS_RUNNING, SS_FETCHED, SS_OK, SS_SKIPPED, SS_FAILED,
	SS_IDLE		/* not due in this pull: neither run nor recorded */
};

extern const char *const state_names[];

struct run;
struct stream;

/*
 * A page's rows on their way to the write queue.  Strings borrowed from
 * the page's JSON live long enough; any other string a row points at is
 * copied into keep and freed once the batch is queued.
 */
struct rows {
	struct db_val	*v;
	size_t		 n, ncols;
	char		**keep;
	size_t		 nkeep;
};

/*
 * Fills row (ncols values) from one object; 0, or 1 to skip the object.
 * project is the id the path was made from (a project's, or a user's for
 * per-user streams), NULL for org streams.  o is JSON null for a 404 of an
 * absent_unknown stream.
 */
typedef int (*row_fn)(struct run *, struct stream *, json_t *,
    const char *project, struct db_val *row, struct rows *rs, char *err,
    size_t errlen);

struct stream_def {
	const char	*name;
	const char	*path;		/* org streams: the path */
	const char	*suffix;	/* per-project streams: after the id */
	const char	*query;		/* extra query parameters, or NULL */
	bool		 per_project;
	bool		 skip_archived;	/* archived projects are not asked */
	bool		 keys;		/* rows held for findings */
	enum sql_stmt	 insert;
	size_t		 ncols;
	enum sql_stmt	 purge;
	row_fn		 row;
	bool		 append;	/* appended (audit log), no generations */
	bool		 single;	/* the answer is one object, not a list */
	bool		 per_user;	/* per listed user: path, id, suffix */
	bool		 absent_unknown;	/* 404: a row of unknowns */
	bool		 usage;		/* usage or costs buckets */
};

struct stream {
	const struct stream_def	*def;
	enum stream_id		 id;
	struct run		*run;
	/* Network loop. */
	enum stream_state	 state;
	int64_t			 gen, prev_gen;
	long			 prev_rows;	/* -1: never pulled */
	int64_t			 started_ms;
	long			 pages, rows, bad_rows, requests, retries;
	long			 http_status;
	int			 outstanding;	/* chains in flight */
	long			 humans, active, stale, orphan;	/* counted */
	char			 error[320];
	struct key_row		*keys;
	size_t			 nkeys, capkeys;
	/* The audit log's walk (network loop; see audit-collect.c). */
	struct audit_walk	*walk;
	/* A usage or costs stream's walk (usage-collect.c). */
	struct usage_walk	*usage;
	/* Write thread; read by the loop only after wq_finish(). */
	bool			 write_failed;
	char			 write_error[200];
	enum stream_state	 final;
	struct audit_head	*head;		/* the chain's end, stored */
};

/* What the write thread needs to end a stream: a copy, not a share. */
struct ending {
	struct stream	*st;
	enum stream_state state;
	int64_t		 gen, prev_gen, started_ms;
	long		 pages, rows, requests, retries, http_status;
	long		 humans, active, stale, orphan;
	char		 error[320];
};

struct chain {
	struct run	*run;
	struct stream	*st;
	char		*project;
	struct oa_chain seen;
};

struct run {
	struct db		*db;	/* the loop's: reads, run record */
	struct wq		*wq;	/* everything written during the pull */
	const struct conf	*conf;
	struct oa		*oa;
	int64_t			 tenant, org, run_id, now;
	struct stream		 st[ST__MAX];
	struct strset		 users;
	bool			 users_known;
	char			**projects;
	bool			*archived;
	size_t			 nprojects;
	char			**user_ids;	/* this pull's, for per-user */
	size_t			 nuser_ids;
	char			 openai_org[128];
};

/* Ends a stream that will not be stored (skipped or failed). */
void	 stream_stop(struct run *run, struct stream *st,
	    enum stream_state state, long http_status, const char *fmt, ...)
	    PRINTF_LIKE(5, 6);
/* Adds a call's attempts and retries to the stream's account. */
void	 stream_count_call(struct stream *st, const struct oa_call *call);
/*
 * Ends st after a call that failed: skipped when the key may not read it
 * (403/404), else failed; where (or NULL) prefixes the error.
 */
void	 stream_call_failed(struct run *run, struct stream *st,
	    const struct oa_call *call, const char *where);
/* Hands the stream's ending to the write thread, after its rows. */
void	 stream_hand_over(struct run *run, struct stream *st);
/* The write thread: a batch of this stream's rows did not store. */
void	 stream_write_error(void *arg, const char *why);

/* audit-collect.c: the audit log stream. */
/* Before the pull: reads the chain's head and where the walk stands. */
void	 audit_stream_prepare(struct run *run, struct stream *st);
/* Starts the walk (called with the other org-level streams). */
void	 audit_stream_start(struct run *run, struct stream *st);
/*
 * The write thread, at the stream's end: records whether the key could
 * read the log; returns how many entries this run stored.
 */
long	 audit_stream_end(struct db *db, struct stream *st,
	    enum stream_state s);
/* Did this run grow the chain by more than a tenth? */
bool	 audit_stream_grown(const struct stream *st);
/* Frees what the stream held. */
void	 audit_stream_free(struct stream *st);

#endif
