/*
 * wq.c: see wq.h.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>

#include "log.h"
#include "util.h"
#include "wq.h"

struct job {
	struct job	*next;
	size_t		 bytes;
	/* Rows, or a call when fn is set. */
	enum sql_stmt	 id;
	struct db_val	*v;
	size_t		 nrows, ncols;
	wq_error_fn	 on_error;
	wq_fn		 fn;
	void		*arg;
	struct db_val	 vals[];	/* the rows, then their string bytes */
};

struct wq {
	pthread_t	 thread;
	pthread_mutex_t	 mu;
	pthread_cond_t	 more;		/* signalled when work arrives */
	pthread_cond_t	 room;		/* signalled when work is done */
	struct job	*head, *tail;
	size_t		 bytes;
	int		 stopping;
	struct db	*db;
};

static void
wq_run(struct wq *q, struct job *j)
{
	if (j->fn != NULL) {
		j->fn(q->db, j->arg);
		return;
	}
	if (db_exec_bulk(q->db, j->id, j->v, j->nrows, j->ncols) != 0 &&
	    j->on_error != NULL)
		j->on_error(j->arg, db_error(q->db));
}

static void *
wq_main(void *arg)
{
	struct wq	*q = arg;
	struct job	*j;

	mysql_thread_init();
	pthread_mutex_lock(&q->mu);
	for (;;) {
		while (q->head == NULL && !q->stopping)
			pthread_cond_wait(&q->more, &q->mu);
		if ((j = q->head) == NULL)
			break;
		q->head = j->next;
		if (q->head == NULL)
			q->tail = NULL;
		pthread_mutex_unlock(&q->mu);
		wq_run(q, j);
		pthread_mutex_lock(&q->mu);
		q->bytes -= j->bytes;
		pthread_cond_broadcast(&q->room);
		free(j);
	}
	pthread_mutex_unlock(&q->mu);
	mysql_thread_end();
	return NULL;
}

struct wq *
wq_start(const struct conf *c, char *err, size_t errlen)
{
	struct wq	*q = xcalloc(1, sizeof(*q));

	if ((q->db = db_open(c, err, errlen)) == NULL) {
		free(q);
		return NULL;
	}
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->more, NULL);
	pthread_cond_init(&q->room, NULL);
	if (pthread_create(&q->thread, NULL, wq_main, q) != 0) {
		snprintf(err, errlen, "cannot start the write thread");
		db_close(q->db);
		free(q);
		return NULL;
	}
	return q;
}

static void
wq_push(struct wq *q, struct job *j)
{
	pthread_mutex_lock(&q->mu);
	while (q->bytes > WQ_MAX_BYTES && q->head != NULL)
		pthread_cond_wait(&q->room, &q->mu);
	if (q->tail == NULL)
		q->head = q->tail = j;
	else {
		q->tail->next = j;
		q->tail = j;
	}
	q->bytes += j->bytes;
	pthread_cond_signal(&q->more);
	pthread_mutex_unlock(&q->mu);
}

void
wq_rows(struct wq *q, enum sql_stmt id, const struct db_val *v,
    size_t nrows, size_t ncols, wq_error_fn on_error, void *arg)
{
	struct job	*j;
	size_t		 n = nrows * ncols, strbytes = 0, i;
	char		*p;

	if (nrows == 0)
		return;
	for (i = 0; i < n; i++)
		if (v[i].t == DBT_STR || v[i].t == DBT_BIN)
			strbytes += v[i].len + 1;
	/* One allocation: header, values, then their bytes. */
	j = xcalloc(1, sizeof(*j) + n * sizeof(*j->v) + strbytes);
	j->v = j->vals;
	p = (char *)(j->vals + n);
	for (i = 0; i < n; i++) {
		j->v[i] = v[i];
		if (v[i].t == DBT_STR || v[i].t == DBT_BIN) {
			memcpy(p, v[i].s, v[i].len);
			p[v[i].len] = '\0';
			j->v[i].s = p;
			p += v[i].len + 1;
		}
	}
	j->id = id;
	j->nrows = nrows;
	j->ncols = ncols;
	j->on_error = on_error;
	j->arg = arg;
	j->bytes = sizeof(*j) + n * sizeof(*j->v) + strbytes;
	wq_push(q, j);
}

void
wq_call(struct wq *q, wq_fn fn, void *arg, size_t bytes)
{
	struct job	*j = xcalloc(1, sizeof(*j));

	j->fn = fn;
	j->arg = arg;
	j->bytes = sizeof(*j) + bytes;
	wq_push(q, j);
}

void
wq_finish(struct wq *q)
{
	if (q == NULL)
		return;
	pthread_mutex_lock(&q->mu);
	q->stopping = 1;
	pthread_cond_signal(&q->more);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->thread, NULL);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->more);
	pthread_cond_destroy(&q->room);
	db_close(q->db);
	free(q);
}
