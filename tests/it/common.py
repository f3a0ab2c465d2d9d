"""Shared set-up for the integration suites: a fresh stack per suite in
tests/out/<suite>/, canary values, and helpers to compare with the
simulator's ground truth.
"""
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))
sys.path.insert(0, os.path.join(SRC, "tests"))

from stack import Stack  # noqa: E402

# Every email the simulator invents ends in this domain; it must never be
# found in MariaDB, in a log or in a response.
CANARY_DOMAIN = "canary-mail-7f3a9c.example"


def new_stack(suite, asan=False, **kw):
    """A clean run directory and a stack object (nothing started yet)."""
    run = os.path.join(SRC, "tests", "out", suite)
    if os.path.exists(os.path.join(run, "pids.json")):
        from stack import stop_recorded
        stop_recorded(run)
    shutil.rmtree(run, ignore_errors=True)
    return Stack(run, asan=asan, **kw)


def admin_canary(st):
    """The secret middle of the stack's admin key (no prefix, no last 4)."""
    return st.admin_key[len("sk-admin-"):-4]


def truth(st):
    return st.sim_get("/_sim/truth")


def all_keys(st, token, org, query="", limit=200):
    """Every key of the org through the API, following next_cursor."""
    out, cursor = [], None
    while True:
        q = "limit=%d" % limit
        if query:
            q += "&" + query
        if cursor:
            q += "&cursor=" + cursor
        page = st.api("/api/v1/openai/orgs/%d/keys?%s" % (org, q), token)
        out.extend(page["data"])
        cursor = page["next_cursor"]
        if cursor is None:
            return out


def ids(objs):
    return sorted(o["id"] for o in objs)


def grep_bytes(path, needle):
    """Files under path (or path itself) whose bytes contain needle."""
    hits = []
    paths = [path] if os.path.isfile(path) else [
        os.path.join(d, f) for d, _, fs in os.walk(path) for f in fs]
    for p in paths:
        try:
            with open(p, "rb") as f:
                if needle.encode() in f.read():
                    hits.append(p)
        except OSError:
            pass
    return hits


def dump(st):
    """mariadb-dump of the orgaudit database, as text."""
    r = subprocess.run(["mariadb-dump", "--no-defaults",
                        "--socket=" + st.db_socket, "-u", "root",
                        "--hex-blob", "orgaudit"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout


def run_streams(st, token, org, run_id=None):
    """The latest run (or run_id) with its streams, keyed by stream name."""
    runs = st.api("/api/v1/openai/orgs/%d/runs?limit=50" % org, token)["data"]
    run = runs[0] if run_id is None else [r for r in runs
                                          if r["id"] == run_id][0]
    return run, {s["stream"]: s for s in run["streams"]}


def jdump(o):
    return json.dumps(o, indent=1, sort_keys=True)[:2000]
