"""Shared set-up for the integration suites: a fresh stack per suite in
tests/out/<suite>/, canary values, and helpers to compare with the
simulator's ground truth.
"""
import json
import os
import shutil
import re
import subprocess
import sys
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))
sys.path.insert(0, os.path.join(SRC, "tests"))

from stack import Stack  # noqa: E402

# Every email the simulator invents ends in this domain; it must never be
# found in MariaDB, in a log or in a response.
CANARY_DOMAIN = "canary-mail-7f3a9c.example"

# The ten usage endpoints; each is the stream usage.<endpoint>.
USAGE_ENDPOINTS = ("completions", "embeddings", "moderations", "images",
                   "audio_speeches", "audio_transcriptions", "vector_stores",
                   "code_interpreter_sessions", "file_search_calls",
                   "web_search_calls")
USAGE_STREAMS = tuple("usage." + e for e in USAGE_ENDPOINTS) + ("costs",)


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


def routes(st):
    """The program's own route table (orgaudit routes --json)."""
    return json.loads(st.cli("routes", "--json").stdout)


def org_pages(st, org, project):
    """Every dashboard page under an org that takes no other ID, as
    paths: from the route table, so a page added later is among them."""
    out = []
    for rt in routes(st):
        p = rt["pattern"]
        if rt["api"] or "GET" not in rt["methods"] or \
                not p.startswith("/orgs/:org") or ":id" in p:
            continue
        out.append(p.replace(":org", str(org)).replace("*project", project))
    return out


def jdump(o):
    return json.dumps(o, indent=1, sort_keys=True)[:2000]


class WebClient:
    """A browser without a browser: one cookie jar, forms with CSRF.  Every
    body is appended to seen (a list), when given, for canary checks."""

    def __init__(self, st, seen=None, address=None):
        self.st = st
        self.seen = seen
        self.cookies = {}
        self.address = address

    @property
    def cookie(self):
        """The session cookie "name=value", or None."""
        v = self.cookies.get("__Host-orgaudit")
        return "__Host-orgaudit=" + v if v else None

    @cookie.setter
    def cookie(self, nv):
        self.cookies.pop("__Host-orgaudit", None)
        if nv:
            self.cookies["__Host-orgaudit"] = nv.split("=", 1)[1]

    def req(self, method, path, form=None, origin=True, headers=None):
        h = dict(headers or {})
        if self.address:
            h["X-Forwarded-For"] = self.address
        if self.cookies:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in
                                    self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            h["Content-Type"] = "application/x-www-form-urlencoded"
            if origin is True:
                h["Origin"] = "http://127.0.0.1:%d" % self.st.nginx_port
            elif origin:
                h["Origin"] = origin
        status, hdr, data = self.st.http(method, path, body=body, headers=h)
        if self.seen is not None:
            self.seen.append(data)
        for c in hdr.get("set-cookie", "").split("\n"):
            if not c.startswith("__Host-orgaudit"):
                continue
            name, _, v = c.split(";")[0].partition("=")
            if v:
                self.cookies[name] = v
            else:
                self.cookies.pop(name, None)
        return status, hdr, data.decode("utf-8", "replace")

    def get(self, path, **kw):
        return self.req("GET", path, **kw)

    def post(self, path, form, **kw):
        # Forms before a session carry the pre-session's token, as the
        # sign-in page gives it; a test of a missing token passes its own.
        if path in ("/login", "/reset") and "csrf" not in form:
            form = dict(form, csrf=self.pre_csrf())
        return self.req("POST", path, form=form, **kw)

    def pre_csrf(self):
        """The sign-in page's CSRF token (and its pre-session cookie)."""
        _, _, body = self.get("/login")
        m = re.search(r'name="csrf" value="([^"]+)"', body)
        if not m and self.cookie:
            # Signed in already: the session's token starts again.
            return self.csrf()
        assert m, "no CSRF token on the sign-in page"
        return m.group(1)

    def login(self, email, password):
        status, h, _ = self.post("/login", {"email": email,
                                            "password": password})
        assert status == 303 and h["location"] == "/orgs", (status, h)
        return self

    def csrf(self, path="/orgs"):
        _, _, body = self.get(path)
        m = re.search(r'name="csrf" value="([^"]+)"', body)
        assert m, "no CSRF token on " + path
        return m.group(1)
