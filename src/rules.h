/*
 * rules.h: the findings engine.  One table of rules, evaluated after each
 * pull over that pull's snapshots (and the audit log copy where a rule
 * needs it); each rule has a fixed id, a severity, a kind of subject, the
 * streams it reads and a message.  A finding (sql/015_findings.sql) is
 * opened at the pull that first sees it, seen at each later pull that
 * still does and resolved at the first that does not; a rule whose
 * streams were not all pulled this time leaves its findings as they are.
 */
#ifndef ORGAUDIT_RULES_H
#define ORGAUDIT_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "db.h"

#define RULE_STREAMS_MAX	3

struct rule;

/* One rule's evaluation for org: upserts what fires.  0 or -1. */
typedef int (*rule_eval_fn)(struct db *db, const struct conf *c,
    const struct rule *rl, int64_t org, int64_t run, int64_t now);

/* A rule's threshold: none, days before now, or a count. */
enum rule_limit { RL_NONE, RL_DAYS, RL_COUNT };

struct rule {
	const char	*id;		/* "key_stale" */
	const char	*severity;	/* "high", "medium", "low" */
	const char	*subject;	/* "api_key", "project", "org", … */
	const char	*streams[RULE_STREAMS_MAX];	/* all must be pulled */
	/* The message; %lld is the threshold's value. */
	const char	*message;
	enum rule_limit	 limit;
	int64_t		 (*threshold)(const struct conf *);
	/* Evaluated by a statement (see sql.c) or by a function. */
	int		 stmt;		/* enum sql_stmt, or -1 */
	rule_eval_fn	 eval;
};

size_t			 rules_count(void);
const struct rule	*rules_at(size_t i);
const struct rule	*rules_find(const char *id);
/* Is id one of the severities? */
bool			 rules_severity_ok(const char *s);

/* usage-rules.c: the rules over usage (rule_eval_fn). */
int	 rules_usage_spike(struct db *db, const struct conf *c,
	    const struct rule *rl, int64_t org, int64_t run, int64_t now);
int	 rules_usage_dormant(struct db *db, const struct conf *c,
	    const struct rule *rl, int64_t org, int64_t run, int64_t now);
/* Frees what the two rules loaded once for both. */
void	 rules_usage_release(void);

/* The streams of a pull and whether each was pulled in full. */
struct rules_pull {
	const char	*stream;
	bool		 ok;
};

/*
 * Evaluates every rule whose streams are all ok in pull (n entries) for
 * org after its run, in one transaction.  0, or -1 (logged, rolled back:
 * the findings stay as they were).
 */
int	 rules_run(struct db *db, const struct conf *c, int64_t org,
	    int64_t run, int64_t now, const struct rules_pull *pull, size_t n);

#endif
