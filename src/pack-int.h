/*
 * pack-int.h: what making and checking a pack share: the files and their
 * order, and the layout of an events line.
 */
#ifndef ORGAUDIT_PACK_INT_H
#define ORGAUDIT_PACK_INT_H

#include <stddef.h>

#include "sql.h"

#define PACK_SNAPS	5
#define PACK_DATA_FILES	10
/*
 * Older formats end earlier: /1 before the activity trail (the eighth
 * data file), /2 before usage.jsonl and costs.jsonl (the last two).
 */
#define PACK_FORMAT_1	"orgaudit-evidence-pack/1"
#define PACK_FORMAT_2	"orgaudit-evidence-pack/2"
#define PACK_FILES_1	7
#define PACK_FILES_2	8

/*
 * An events.jsonl line up to the entry's canonical bytes, then '}'; the
 * lines of orgaudit_activity.jsonl have the same layout.
 */
#define PACK_EVENT_HEAD	\
	"{\"seq\":%" PRId64 ",\"prev_hash\":\"%s\",\"hash\":\"%s\",\"entry\":"

struct col;

/* A snapshot file: one stream's pull, one row a line. */
struct pack_snap {
	const char		*file;
	const char		*stream;
	enum sql_stmt		 stmt;
	const struct col	*cols;
	size_t			 ncols;
};

extern const struct pack_snap	 pack_snaps[PACK_SNAPS];
/* The data files, in archive order (after the four describing files). */
extern const char *const	 pack_data_files[PACK_DATA_FILES];

#endif
