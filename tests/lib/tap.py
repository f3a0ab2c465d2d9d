"""Minimal TAP producer for the project's Python test suites.

Usage:
    from tap import test, run

    @test
    def users_are_paged():
        assert ...

    run()   # prints 'ok - name' / 'not ok - name', exits 1 if any failed

A test fails when it raises.  The failure's message and the last frames of its
traceback are printed as '# ' diagnostic lines under the 'not ok' line.
Tests run in the order they were declared.  ORGAUDIT_TEST_FILTER, when set,
runs only the tests whose name contains it.
"""
import os
import sys
import time
import traceback

_tests = []


def test(fn):
    """Register fn as a test; its name is the function name."""
    _tests.append(fn)
    return fn


def diag(msg):
    """Print a diagnostic line that the runner shows but does not count."""
    for line in str(msg).splitlines() or [""]:
        print("# " + line, flush=True)


def run(setup=None, teardown=None):
    """Run every registered test; exit 0 when all passed, 1 otherwise."""
    only = os.environ.get("ORGAUDIT_TEST_FILTER")
    failed = 0
    try:
        if setup:
            setup()
        for fn in _tests:
            if only and only not in fn.__name__:
                continue
            t0 = time.monotonic()
            try:
                fn()
            except Exception as e:  # noqa: BLE001 - a test failure of any kind
                failed += 1
                print("not ok - %s" % fn.__name__, flush=True)
                diag("%s: %s" % (type(e).__name__, e))
                diag("".join(traceback.format_tb(e.__traceback__)[-3:]))
            else:
                print("ok - %s (%.2fs)" % (fn.__name__, time.monotonic() - t0),
                      flush=True)
    except Exception as e:  # setup failure fails the whole suite visibly
        failed += 1
        print("not ok - setup", flush=True)
        diag("".join(traceback.format_exception(e)))
    finally:
        if teardown:
            try:
                teardown()
            except Exception as e:  # noqa: BLE001
                diag("teardown: %s" % e)
    sys.exit(1 if failed else 0)
