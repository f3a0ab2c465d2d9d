/*
 * page.h: OpenAI's cursor list envelope
 *   {"object":"list","data":[…],"first_id":…,"last_id":…,"has_more":bool}
 * and the guard that stops a stream whose cursor does not advance.
 */
#ifndef ORGAUDIT_PAGE_H
#define ORGAUDIT_PAGE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "jscan.h"

struct page {
	json_t		*root;		/* owned; page_free() releases it */
	json_t		*data;		/* borrowed from root: the array */
	const char	*next;		/* borrowed: cursor for after=, or NULL */
	bool		 has_more;	/* true only when next is usable */
};

/*
 * Parses one response body.  The next cursor is last_id, or the id of the
 * last element when last_id is absent (the admin keys list's style).
 * Trailing data after the document is an error: a body holding several
 * documents is never silently cut to the first.  Returns 0 or -1 with a
 * message in err.
 */
int	 page_parse(const char *body, size_t len, struct page *pg, char *err,
	    size_t errlen);
void	 page_free(struct page *pg);

/*
 * The same envelope read with jscan (see jscan.h), for pages read in
 * bulk (the audit log): the same checks and the same cursor.
 */
struct jpage {
	struct jdoc	 doc;		/* owned; jpage_free() releases it */
	uint32_t	 data;		/* the array's node in doc */
	uint32_t	 count;		/* its elements */
	char		*next;		/* owned: cursor for after=, or NULL */
	bool		 has_more;	/* true only when next is usable */
};

int	 page_scan(const char *body, size_t len, struct jpage *pg, char *err,
	    size_t errlen);
void	 jpage_free(struct jpage *pg);

/* Cursors a stream has already followed; owned by the stream. */
struct page_chain {
	char	**seen;
	size_t	  n;
	size_t	  max_pages;	/* safety bound; 0 = 100000 */
};

/*
 * Records next as followed.  Returns -1 (with a message) when next was
 * already followed by this stream, or the stream passed max_pages: the
 * cursor does not advance and the stream must stop.
 */
int	 page_chain_follow(struct page_chain *c, const char *next, char *err,
	    size_t errlen);
void	 page_chain_free(struct page_chain *c);

#endif
