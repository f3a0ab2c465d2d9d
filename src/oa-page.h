/*
 * oa-page.h: OpenAI's cursor list envelopes
 *   {"object":"list","data":[…],"first_id":…,"last_id":…,"has_more":bool}
 *   {"object":"list","data":[…],"has_more":bool,"next":…}
 * and the guard that stops a stream whose cursor does not advance.
 */
#ifndef ORGAUDIT_OA_PAGE_H
#define ORGAUDIT_OA_PAGE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "jscan.h"

struct oa_page {
	json_t		*root;		/* owned; oa_page_free() releases it */
	json_t		*data;		/* borrowed from root: the array */
	const char	*next;		/* borrowed: cursor for after=, or NULL */
	bool		 has_more;	/* true only when next is usable */
};

/*
 * Parses one response body.  The next cursor is last_id, else next (the
 * "next" lists: roles, groups), else the id of the last element (the
 * admin keys list's style).
 * Trailing data after the document is an error: a body holding several
 * documents is never silently cut to the first.  Returns 0 or -1 with a
 * message in err.
 */
int	 oa_page_parse(const char *body, size_t len, struct oa_page *pg, char *err,
	    size_t errlen);
void	 oa_page_free(struct oa_page *pg);

/*
 * The same envelope read with jscan (see jscan.h), for pages read in
 * bulk (the audit log): the same checks and the same cursor.
 */
struct oa_jpage {
	struct jdoc	 doc;		/* owned; oa_jpage_free() releases it */
	uint32_t	 data;		/* the array's node in doc */
	uint32_t	 count;		/* its elements */
	char		*next;		/* owned: cursor for after=, or NULL */
	bool		 has_more;	/* true only when next is usable */
};

int	 oa_page_scan(const char *body, size_t len, struct oa_jpage *pg, char *err,
	    size_t errlen);
void	 oa_jpage_free(struct oa_jpage *pg);

/* Cursors a stream has already followed; owned by the stream. */
struct oa_chain {
	char	**seen;
	size_t	  n;
	size_t	  max_pages;	/* safety bound; 0 = 100000 */
};

/*
 * Records next as followed.  Returns -1 (with a message) when next was
 * already followed by this stream, or the stream passed max_pages: the
 * cursor does not advance and the stream must stop.
 */
int	 oa_chain_follow(struct oa_chain *c, const char *next, char *err,
	    size_t errlen);
void	 oa_chain_free(struct oa_chain *c);

#endif
