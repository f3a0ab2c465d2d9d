/*
 * child.h: for the unit tests that must survive a crash of the code under
 * test.  Include after cmocka.h.
 */
#ifndef ORGAUDIT_TEST_CHILD_H
#define ORGAUDIT_TEST_CHILD_H

#include <sys/wait.h>

#include <stddef.h>
#include <stdio.h>
#include <unistd.h>

/*
 * Runs fn in a child process, so that a crash or a sanitizer report
 * fails one test instead of ending the program.  The child writes its
 * result to fd; returns the child's wait status.
 */
static int
in_child(void (*fn)(int), char *res, size_t reslen)
{
	int	 p[2], status = -1;
	pid_t	 pid;
	ssize_t	 n;
	size_t	 got = 0;

	assert_int_equal(pipe(p), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		fn(p[1]);
		_exit(0);
	}
	close(p[1]);
	while (got + 1 < reslen &&
	    (n = read(p[0], res + got, reslen - 1 - got)) > 0)
		got += (size_t)n;
	res[got] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

#endif
