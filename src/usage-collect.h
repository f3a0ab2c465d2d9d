/*
 * usage-collect.h: the usage and costs streams of a pull (collect-int.h),
 * stored as buckets in usage_bucket and cost_bucket (sql/019_usage.sql).
 * Not for use outside the collector.
 */
#ifndef ORGAUDIT_USAGE_COLLECT_H
#define ORGAUDIT_USAGE_COLLECT_H

#include <stdbool.h>

#include "collect-int.h"

/* Is st one of the usage or costs streams? */
bool	 usage_stream_is(const struct stream *st);
/* Before the pull: reads where the stream's walk stands. */
void	 usage_stream_prepare(struct run *run, struct stream *st);
/* Starts the walk: daily buckets, then (usage) hourly ones. */
void	 usage_stream_start(struct run *run, struct stream *st);
/*
 * The write thread, at the stream's end: drops hourly buckets past
 * usage_hourly_keep_days; returns the rows this run stored.
 */
long	 usage_stream_end(struct db *db, struct stream *st,
	    enum stream_state s);
void	 usage_stream_free(struct stream *st);
/*
 * After the pull, when a usage or costs stream was stored: the per-key
 * figures of the keys page, and fresh statistics after a backfill.
 */
void	 usage_after_pull(struct run *run);

#endif
