/*
 * log.c: the log trail.  One record per line, written with a single
 * write() so lines from several processes sharing a file do not mix.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static const char	*log_prog = "orgaudit";
static int		 log_fd = STDERR_FILENO;
static enum log_level	 log_max = LOG_INFO;

int
log_open(const char *prog, const char *path)
{
	int	 fd;

	log_prog = prog;
	if (path == NULL || *path == '\0')
		return 0;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return -1;
	if (log_fd != STDERR_FILENO)
		close(log_fd);
	log_fd = fd;
	return 0;
}

void
log_set_level(enum log_level lvl)
{
	log_max = lvl;
}

void
log_close(void)
{
	if (log_fd != STDERR_FILENO)
		close(log_fd);
	log_fd = STDERR_FILENO;
}

static void
log_v(enum log_level lvl, const char *fmt, va_list ap)
{
	static const char *const names[] = { "error", "warning", "info",
	    "debug" };
	char	 line[2048], ts[21];
	int	 n, m;

	if (lvl > log_max)
		return;
	fmt_rfc3339(now_s(), ts);
	n = snprintf(line, sizeof(line), "%s %s[%d]: %s: ", ts, log_prog,
	    (int)getpid(), names[lvl]);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	/* One record per line: fold any newline from outside text. */
	for (m = 0; m < n; m++)
		if (line[m] == '\n' || line[m] == '\r')
			line[m] = ' ';
	line[n++] = '\n';
	if (write(log_fd, line, (size_t)n) < 0)
		return;
}

#define LOG_FN(name, lvl)				\
void							\
name(const char *fmt, ...)				\
{							\
	va_list	 ap;					\
							\
	va_start(ap, fmt);				\
	log_v(lvl, fmt, ap);				\
	va_end(ap);					\
}

LOG_FN(log_err, LOG_ERR)
LOG_FN(log_warn, LOG_WARN)
LOG_FN(log_info, LOG_INFO)
LOG_FN(log_debug, LOG_DEBUG)
