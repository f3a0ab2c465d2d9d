/*
 * log.h: one-line log records, "TIME PROG[PID]: LEVEL: message".
 * Messages name the layer and the callee that failed, e.g.
 * "collect: org 3: users: oa_get: HTTP 429".  Nothing secret is ever
 * passed here; text that came from outside goes through redact_text().
 */
#ifndef ORGAUDIT_LOG_H
#define ORGAUDIT_LOG_H

#include "util.h"

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* prog is kept by pointer (a string literal); path NULL means stderr. */
int	 log_open(const char *prog, const char *path);
void	 log_set_level(enum log_level lvl);
void	 log_close(void);

void	 log_err(const char *fmt, ...) PRINTF_LIKE(1, 2);
void	 log_warn(const char *fmt, ...) PRINTF_LIKE(1, 2);
void	 log_info(const char *fmt, ...) PRINTF_LIKE(1, 2);
void	 log_debug(const char *fmt, ...) PRINTF_LIKE(1, 2);

#endif
