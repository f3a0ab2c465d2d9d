#!/usr/bin/env python3
"""Self-test of the OpenAI Administration API simulator (tests/sim/oasim.py).

Starts simulators as subprocesses on free ports (read from --port-file) and
checks them over HTTP with urllib: authentication, every list envelope and
its objects' fields, paging, parameter errors, fault knobs, determinism, the
ground truth against the served data, mutation, hostile names, audit logs
(the merged org + synthetic + added history: cursors both ways, filters,
events arriving while a client pages, late arrivals, the audit ground truth),
costs/usage, the access log, signals and argument errors.  Prints TAP via
tests/lib/tap.py; throughput and start-up figures are '# ' diagnostics, not
checks.

Run: python3 tests/sim/test_oasim.py   (ORGAUDIT_TEST_FILTER=name runs a subset)
"""
import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "lib"))
from tap import diag, run, test  # noqa: E402

SIM = REPO / "tests" / "sim" / "oasim.py"
NOW = 1760000000
DAY = 86400
ADMIN = "sk-admin-SIMULATORKEY0000000000000000000000000000abcd"
TMP = tempfile.mkdtemp(prefix="oasim-test-")
HOSTILE = ("<script>alert(1)</script>", "\"O'Brien & <Co>\"", "\u202e",
           "\U0001F511")

# --------------------------------------------------------------------------
# Harness


class Sim:
    """One simulator subprocess."""

    def __init__(self, name, *args, log=True):
        self.name = name
        self.port_file = os.path.join(TMP, name + ".port")
        self.truth_file = os.path.join(TMP, name + ".truth.json")
        self.log_file = os.path.join(TMP, name + ".log")
        for f in (self.port_file, self.truth_file, self.log_file):
            if os.path.exists(f):
                os.unlink(f)
        cmd = [sys.executable, str(SIM), "--port", "0", "--port-file", self.port_file,
               "--now", str(NOW), "--truth", self.truth_file] + \
            (["--log", self.log_file] if log else [])
        self.proc = subprocess.Popen(cmd + list(args), stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        try:
            self._wait_ready()
        except BaseException:
            self.proc.kill()
            self.stop()
            raise

    def _wait_ready(self):
        deadline = time.monotonic() + 20
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("%s did not start: %s" % (self.name, self.proc.stderr.read()))
            time.sleep(0.02)
        self.port = int(open(self.port_file).read())
        self.banner = self.proc.stdout.readline().decode()
        self.base = "http://127.0.0.1:%d" % self.port

    def request(self, path, key=ADMIN, method="GET", body=None, timeout=10):
        """(status, headers, body bytes); raises on a dropped connection."""
        req = urllib.request.Request(self.base + path, method=method, data=body)
        if key is not None:
            req.add_header("Authorization", "Bearer " + key)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def get(self, path, **kw):
        status, _, body = self.request(path, **kw)
        assert status == 200, "%s -> %d %s" % (path, status, body[:300])
        return json.loads(body)

    def post(self, path, obj):
        status, _, body = self.request(path, key=None, method="POST",
                                       body=json.dumps(obj).encode())
        assert status == 200, "%s -> %d %s" % (path, status, body[:300])
        return json.loads(body)

    def truth(self):
        return self.get("/_sim/truth", key=None)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(10)
        finally:
            self.proc.stdout.close()
            self.proc.stderr.close()


SIMS = {}
SIM_ARGS = {
    "main": (), "twin": (), "other": ("--seed", "2"), "hostile": ("--hostile-names",),
    "faults": (), "mutate": (), "mutate2": (),
    "cli": ("--forbid", "users", "--missing", "invites", "--stuck-cursor", "projects",
            "--audit-logging", "off", "--admin-key", "sk-admin-second-key-0000wxyz",
            "--admin-key", ADMIN, "--org-id", "org-clitest", "--retry-after", "7",
            "--retry-after-ms", "1500", "--email-domain", "other.example",
            "--events", "500", "--events-per-request", "2"),
    # audit history: interleaved with the org's (400 days), dense with ties
    # (about 2.3 events a second), and one whose history grows during the tests
    "events": ("--events", "3000", "--events-days", "400"),
    "events_twin": ("--events", "3000", "--events-days", "400"),
    "dense": ("--events", "40000", "--events-days", "0.2", "--seed", "5"),
    "live": ("--events", "2000", "--events-days", "2"),
}


def sim(name):
    if name not in SIMS:
        SIMS[name] = Sim(name, *SIM_ARGS[name])
    return SIMS[name]


def teardown():
    for s in SIMS.values():
        s.stop()
    shutil.rmtree(TMP, ignore_errors=True)


def crawl(s, path, limit=100, extra=""):
    """Every item of a cursor list, following last_id; checks the envelope."""
    items, after, pages = [], None, 0
    while True:
        q = "limit=%d%s" % (limit, extra) + ("&after=" + after if after else "")
        sep = "&" if "?" in path else "?"
        page = s.get(path + sep + q)
        check_envelope(page)
        assert len(page["data"]) <= limit
        items += page["data"]
        pages += 1
        assert pages < 10000, "runaway paging on " + path
        if not page["has_more"]:
            return items
        after = page["last_id"]


def check_envelope(page):
    assert set(page) == {"object", "data", "first_id", "last_id", "has_more"}, page.keys()
    assert page["object"] == "list" and isinstance(page["has_more"], bool)
    if page["data"]:
        assert page["first_id"] == page["data"][0]["id"]
        assert page["last_id"] == page["data"][-1]["id"]
    else:
        assert page["first_id"] is None and page["last_id"] is None


def error_of(status_body, status, etype="invalid_request_error"):
    st, _, body = status_body
    assert st == status, "expected %d, got %d %s" % (status, st, body[:200])
    doc = json.loads(body)
    assert set(doc) == {"error"} and set(doc["error"]) == {"message", "type", "param", "code"}
    e = doc["error"]
    assert isinstance(e["message"], str) and e["type"] == etype, e
    return e


N, S, I, B = type(None), str, int, bool
SHAPES = {
    "organization.user": {"object": S, "id": S, "name": S, "email": S, "role": S,
                          "added_at": I, "is_service_account": B},
    "organization.project": {"id": S, "object": S, "name": S, "created_at": I,
                             "archived_at": (I, N), "status": S, "external_key_id": N},
    "organization.project.api_key": {"object": S, "redacted_value": S, "name": S,
                                     "created_at": I, "last_used_at": (I, N), "id": S,
                                     "owner_project_access": S, "owner": dict},
    "organization.project.service_account": {"object": S, "id": S, "name": S, "role": S,
                                             "created_at": I},
    "organization.project.user": {"object": S, "id": S, "name": S, "email": S, "role": S,
                                  "added_at": I},
    "organization.admin_api_key": {"object": S, "id": S, "name": S, "redacted_value": S,
                                   "created_at": I, "expires_at": (I, N),
                                   "last_used_at": (I, N), "owner": dict},
    "organization.invite": {"object": S, "id": S, "email": S, "role": S, "status": S,
                            "created_at": I, "expires_at": (I, N), "accepted_at": (I, N),
                            "projects": list},
}
OWNER_USER = {"id": S, "email": S, "name": S, "created_at": I, "role": S}
OWNER_USER_OLD = {"object": S, "id": S, "name": S, "email": S, "role": S, "added_at": I}
OWNER_SA = {"id": S, "name": S, "created_at": I, "role": S}
ADMIN_OWNER = {"type": S, "object": S, "id": S, "name": S, "created_at": I, "role": S}


def check_shape(obj, shape, what):
    assert set(obj) == set(shape), "%s fields %s != %s" % (what, sorted(obj), sorted(shape))
    for k, t in shape.items():
        assert isinstance(obj[k], t) and not (t is I and isinstance(obj[k], bool)), \
            "%s.%s: %r" % (what, k, obj[k])


def check_item(obj, otype):
    assert obj["object"] == otype, obj
    check_shape(obj, SHAPES[otype], otype)
    if otype == "organization.project.api_key":
        o = obj["owner"]
        assert obj["owner_project_access"] in ("active", "inactive")
        if o["type"] == "user":
            assert set(o) == {"type", "user"}
            u = o["user"]
            if "object" in u:
                assert u["object"] == "organization.project.user"
                check_shape(u, OWNER_USER_OLD, "owner.user (old)")
            else:
                check_shape(u, OWNER_USER, "owner.user")
        else:
            assert o["type"] == "service_account" and set(o) == {"type", "service_account"}
            check_shape(o["service_account"], OWNER_SA, "owner.service_account")
    elif otype == "organization.admin_api_key":
        check_shape(obj["owner"], ADMIN_OWNER, "admin owner")
        assert obj["owner"]["type"] == "user" and obj["owner"]["object"] == "organization.user"
        assert obj["owner"]["role"] == "owner"
    elif otype == "organization.project":
        assert obj["status"] == ("archived" if obj["archived_at"] else "active")
    elif otype == "organization.invite":
        assert obj["status"] in ("pending", "accepted", "expired")
        assert (obj["accepted_at"] is not None) == (obj["status"] == "accepted")
        for p in obj["projects"]:
            assert set(p) == {"id", "role"}


def served(s, limit=100):
    """Everything the simulator serves, crawled with `limit`."""
    d = {"users": crawl(s, "/v1/organization/users", limit),
         "projects": crawl(s, "/v1/organization/projects", limit, "&include_archived=true"),
         "admin_keys": crawl(s, "/v1/organization/admin_api_keys", limit),
         "invites": crawl(s, "/v1/organization/invites", limit),
         "keys": [], "sas": [], "members": []}
    for p in d["projects"]:
        base = "/v1/organization/projects/" + p["id"]
        d["keys"] += [dict(k, _project=p["id"]) for k in
                      crawl(s, base + "/api_keys", limit, "&owner_project_access=any")]
        if p["status"] == "active":
            d["sas"] += crawl(s, base + "/service_accounts", limit)
            d["members"] += [dict(m, _project=p["id"]) for m in crawl(s, base + "/users", limit)]
    return d


def ids(items):
    return [x["id"] for x in items]


def key_prefix(redacted):
    for p in ("sk-proj-", "sk-svcacct-", "sk-admin-"):
        if redacted.startswith(p):
            return p
    return "sk-"


def stale(created, used, now, days=90):
    return (used if used is not None else created) < now - days * DAY


def check_truth_against(s, limit=100):
    """Recomputes the ground truth from served data and compares.  Returns both."""
    t, d = s.truth(), served(s, limit)
    now = t["now"]
    listed = set(ids(d["users"]))
    assert sorted(listed) == t["users"]
    assert sorted(u["id"] for u in d["users"] if not u["is_service_account"]) == t["human_users"]
    assert ids(d["projects"]) == t["projects"]
    assert [p["id"] for p in d["projects"] if p["status"] == "active"] == t["active_projects"]
    assert [p["id"] for p in d["projects"] if p["status"] == "archived"] == t["archived_projects"]
    assert sorted(ids(d["sas"])) == t["service_accounts"]
    assert ids(d["invites"]) == t["invites"]
    truth_keys = {k["id"]: k for k in t["api_keys"]}
    assert sorted(ids(d["keys"])) == sorted(truth_keys)
    owners_gone = set()
    for k in d["keys"]:
        tk = truth_keys[k["id"]]
        o = k["owner"]
        owner_id = o[o["type"]]["id"]
        orphan = (o["type"] == "user" and owner_id not in listed) or \
            k["owner_project_access"] == "inactive"
        if o["type"] == "user" and owner_id not in listed:
            owners_gone.add(owner_id)
        pre = key_prefix(k["redacted_value"])
        assert tk["expected_redacted"] == pre + "\u2026" + k["redacted_value"][-4:], tk
        assert k["redacted_value"].split("...")[1] == k["redacted_value"][-4:]
        assert tk["type"] == {"sk-proj-": "project", "sk-svcacct-": "service_account",
                              "sk-": "user"}[pre]
        assert (tk["project_id"], tk["owner_type"], tk["owner_id"]) == \
            (k["_project"], o["type"], owner_id)
        assert (tk["created_at"], tk["last_used_at"], tk["owner_project_access"]) == \
            (k["created_at"], k["last_used_at"], k["owner_project_access"])
        assert tk["stale"] == stale(k["created_at"], k["last_used_at"], now), tk
        assert tk["orphan"] == orphan, tk
    truth_admin = {k["id"]: k for k in t["admin_api_keys"]}
    assert sorted(ids(d["admin_keys"])) == sorted(truth_admin)
    for k in d["admin_keys"]:
        ta = truth_admin[k["id"]]
        assert ta["expected_redacted"] == "sk-admin-\u2026" + k["redacted_value"][-4:]
        assert ta["owner_id"] == k["owner"]["id"]
        assert ta["stale"] == stale(k["created_at"], k["last_used_at"], now)
        assert ta["orphan"] == (k["owner"]["id"] not in listed)
        if ta["orphan"]:
            owners_gone.add(k["owner"]["id"])
    both = t["api_keys"] + t["admin_api_keys"]
    assert t["stale"] == sorted(k["id"] for k in both if k["stale"])
    assert t["orphan"] == sorted(k["id"] for k in both if k["orphan"])
    assert owners_gone <= set(t["departed_users"])
    assert not set(t["departed_users"]) & listed
    emails = set(t["emails"])
    for u in d["users"] + d["members"]:
        assert u["email"] in emails
    for m in d["members"]:
        assert m["id"] in listed
    for k in d["keys"]:
        if k["owner"]["type"] == "user":
            assert k["owner"]["user"]["email"] in emails
    for i in d["invites"]:
        assert i["email"] in emails
    return t, d


def timed_get(s, path):
    t0 = time.monotonic()
    st, _, _ = s.request(path)
    return st, time.monotonic() - t0


AUDIT = "/v1/organization/audit_logs"


def audit_key(e):
    return e["effective_at"], e["id"]


def walk_after(s, limit=100, extra=""):
    """Every audit entry, newest first, following after=last_id; checks order."""
    entries = crawl(s, AUDIT, limit, extra)
    keys = [audit_key(e) for e in entries]
    assert keys == sorted(keys, reverse=True) and len(set(keys)) == len(keys)
    return entries


def walk_before(s, start, limit=100, extra=""):
    """Every entry newer than `start`, oldest first, following before=first_id."""
    out, cursor, pages = [], start, 0
    while True:
        page = s.get("%s?limit=%d&before=%s%s" % (AUDIT, limit, cursor, extra))
        check_envelope(page)
        keys = [audit_key(e) for e in page["data"]]
        assert keys == sorted(keys, reverse=True) and len(keys) <= limit
        out += reversed(page["data"])
        pages += 1
        assert pages < 10000, "runaway before-paging"
        if not page["has_more"]:
            return out
        cursor = page["first_id"]


def audit_ids(s):
    doc = s.get("/_sim/audit/ids", key=None)
    assert set(doc) == {"count", "ids"} and doc["count"] == len(doc["ids"])
    return doc["ids"]


def sha256_lines(ids):
    return hashlib.sha256("\n".join(ids).encode()).hexdigest()


class RawClient:
    """A lean keep-alive HTTP/1.1 client, so that throughput figures measure
    the simulator rather than urllib / http.client."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.auth = ("Authorization: Bearer %s\r\n" % ADMIN).encode()

    def get(self, path):
        """(status, body) of one GET."""
        self.sock.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: sim\r\n" +
                          self.auth + b"\r\n")
        while b"\r\n\r\n" not in self.buf:
            self._recv()
        end = self.buf.index(b"\r\n\r\n")
        head = bytes(self.buf[:end]).decode("latin-1").lower().split("\r\n")
        size = next(int(h.split(":", 1)[1]) for h in head if h.startswith("content-length:"))
        while len(self.buf) < end + 4 + size:
            self._recv()
        body = bytes(self.buf[end + 4:end + 4 + size])
        del self.buf[:end + 4 + size]
        return int(head[0].split()[1]), body

    def _recv(self):
        chunk = self.sock.recv(1 << 18)
        if not chunk:
            raise ConnectionError("closed")
        self.buf += chunk

    def close(self):
        self.sock.close()


def cpu_seconds(pid):
    """User + system CPU seconds of a process (Linux), or None."""
    try:
        f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


# --------------------------------------------------------------------------
# Tests


@test
def starts_and_prints_banner():
    s = sim("main")
    assert s.banner == "oasim listening on 127.0.0.1:%d\n" % s.port, repr(s.banner)
    assert json.load(open(s.truth_file)) == s.truth()


@test
def auth_missing_header():
    e = error_of(sim("main").request("/v1/organization/users", key=None), 401)
    assert e["message"].startswith("You didn't provide an API key.") and e["code"] is None


@test
def auth_wrong_admin_key_is_masked():
    bad = "sk-admin-WRONGwrongWRONGwrong000000000000wxyz"
    e = error_of(sim("main").request("/v1/organization/users", key=bad), 401)
    assert e["code"] == "invalid_api_key"
    assert "sk-admin**********wxyz" in e["message"], e["message"]
    assert bad not in e["message"]
    assert e["message"].startswith("Incorrect API key provided: ")


@test
def auth_project_and_service_account_keys():
    for key in ("sk-proj-abcdefghijklmnop1234", "sk-svcacct-abcdefghijklmnop1234"):
        e = error_of(sim("main").request("/v1/organization/projects", key=key), 401)
        assert "Missing scopes: api.management.read" in e["message"] and e["code"] is None


@test
def openai_headers_on_success_and_error():
    s = sim("main")
    org = s.truth()["org_id"]
    assert org.startswith("org-sim") and len(org) == 27
    for key in (ADMIN, None):
        st, h, _ = s.request("/v1/organization/users?limit=1", key=key)
        assert h["content-type"] == "application/json"
        assert h["openai-organization"] == org
        rid = h["x-request-id"]
        assert rid.startswith("req_") and int(rid[4:], 16) >= 0
        assert int(h["content-length"]) > 0


@test
def envelopes_and_fields_of_every_list():
    d = served(sim("main"))
    kinds = {"users": "organization.user", "projects": "organization.project",
             "keys": "organization.project.api_key", "sas": "organization.project.service_account",
             "members": "organization.project.user", "admin_keys": "organization.admin_api_key",
             "invites": "organization.invite"}
    for name, otype in kinds.items():
        assert d[name], "no " + name
        for obj in d[name]:
            check_item({k: v for k, v in obj.items() if k != "_project"}, otype)
    members = {}
    for m in d["members"]:
        members.setdefault(m["_project"], []).append(m["role"])
    assert all(r.count("owner") == 1 and len(r) == 4 for r in members.values()), members
    for name in ("users", "projects", "keys", "sas", "invites", "admin_keys"):
        prefix = {"users": "user-", "projects": "proj_", "keys": "key_", "sas": "svc_acct_",
                  "invites": "invite-", "admin_keys": "key_"}[name]
        assert all(x["id"].startswith(prefix) for x in d[name]), name
    assert [p["name"] for p in d["projects"] if p["name"] == "Default project"]
    default = next(p for p in d["projects"] if p["name"] == "Default project")
    assert default["created_at"] <= NOW - 3 * 365 * DAY
    assert default["created_at"] == min(p["created_at"] for p in d["projects"])
    shapes = {"old" if "object" in k["owner"].get("user", {}) else k["owner"]["type"]
              for k in d["keys"]}
    assert shapes == {"old", "user", "service_account"}, shapes
    assert any(k["expires_at"] for k in d["admin_keys"])
    assert any(k["expires_at"] is None for k in d["admin_keys"])
    assert any(k["last_used_at"] is None for k in d["keys"])
    assert {i["status"] for i in d["invites"]} == {"pending", "accepted", "expired"}
    roles = [u["role"] for u in d["users"]]
    assert roles.count("owner") >= 1 and set(roles) == {"owner", "reader"}
    assert sum(u["is_service_account"] for u in d["users"]) == 1
    assert all(u["email"].endswith("@canary-mail.example") for u in d["users"])


@test
def paging_covers_every_item_once():
    s = sim("main")
    ref = served(s, 100)
    for limit in (1, 7):
        d = served(s, limit)
        for name, items in d.items():
            assert items == ref[name], (name, limit)
            where = [(x.get("_project"), x["id"]) for x in items]
            assert len(set(where)) == len(items), (name, limit)
    for name in ("users", "projects", "admin_keys", "invites"):
        assert ids(ref[name]) == sorted(ids(ref[name])), name
    desc = []
    after = None
    while True:
        page = s.get("/v1/organization/admin_api_keys?order=desc&limit=1" +
                     ("&after=" + after if after else ""))
        desc += page["data"]
        if not page["has_more"]:
            break
        after = page["last_id"]
    assert ids(desc) == sorted(ids(ref["admin_keys"]), reverse=True)


@test
def after_cursor_works_for_unknown_ids():
    s = sim("main")
    users = ids(crawl(s, "/v1/organization/users"))
    page = s.get("/v1/organization/users?limit=100&after=" + users[4] + "0")
    assert ids(page["data"]) == users[5:]
    page = s.get("/v1/organization/users?limit=100&after=user-")
    assert ids(page["data"]) == users
    page = s.get("/v1/organization/users?after=" + users[-1])
    assert page["data"] == [] and page["has_more"] is False and page["first_id"] is None


@test
def default_limit_is_20():
    page = sim("main").get("/v1/organization/users")
    assert len(page["data"]) == 20 and page["has_more"]


@test
def emails_filter():
    s = sim("main")
    users = crawl(s, "/v1/organization/users")
    a, b = users[3]["email"], users[9]["email"]
    page = s.get("/v1/organization/users?emails[]=%s&emails%%5B%%5D=%s" % (a, b.upper()))
    assert sorted(u["email"] for u in page["data"]) == sorted([a, b])
    page = s.get("/v1/organization/users?emails=" + a)
    assert [u["email"] for u in page["data"]] == [a]


@test
def bad_parameters_answer_400_with_param():
    s = sim("main")
    pid = s.truth()["active_projects"][0]
    for path in ("/v1/organization/users", "/v1/organization/projects",
                 "/v1/organization/invites", "/v1/organization/admin_api_keys",
                 "/v1/organization/audit_logs", "/v1/organization/projects/%s/api_keys" % pid):
        for bad in ("0", "101", "abc", ""):
            e = error_of(s.request(path + "?limit=" + bad), 400)
            assert e["param"] == "limit", (path, bad, e)
    cases = [("/v1/organization/projects/%s/api_keys?owner_project_access=all" % pid,
              "owner_project_access"),
             ("/v1/organization/projects?include_archived=yes", "include_archived"),
             ("/v1/organization/admin_api_keys?order=sideways", "order"),
             ("/v1/organization/audit_logs?effective_at[gte]=soon", "effective_at[gte]"),
             ("/v1/organization/costs", "start_time"),
             ("/v1/organization/costs?start_time=%d&bucket_width=1h" % NOW, "bucket_width"),
             ("/v1/organization/usage/completions?start_time=x", "start_time")]
    for path, param in cases:
        e = error_of(s.request(path), 400)
        assert e["param"] == param, (path, e)


@test
def unknown_paths_ids_and_methods():
    s = sim("main")
    e = error_of(s.request("/v1/organization/projects/proj_nope/api_keys"), 404)
    assert e["message"] == "No project found with id 'proj_nope'."
    error_of(s.request("/v1/organization/nothing"), 404)
    error_of(s.request("/v1/organization/users/user-nope"), 404)
    e = error_of(s.request("/v1/organization/users", method="POST", body=b"{}"), 405)
    st, h, _ = s.request("/v1/organization/users", method="DELETE")
    assert st == 405 and h["allow"] == "GET"
    t = s.truth()
    uid = t["users"][0]
    assert s.get("/v1/organization/users/" + uid)["id"] == uid
    pid = t["active_projects"][0]
    assert s.get("/v1/organization/projects/" + pid)["id"] == pid


@test
def include_archived():
    s = sim("main")
    t = s.truth()
    active = crawl(s, "/v1/organization/projects")
    assert ids(active) == t["active_projects"] and t["archived_projects"]
    assert ids(crawl(s, "/v1/organization/projects", extra="&include_archived=false")) == \
        t["active_projects"]
    every = crawl(s, "/v1/organization/projects", extra="&include_archived=true")
    assert ids(every) == t["projects"]
    for p in every:
        assert (p["status"] == "archived") == (p["id"] in t["archived_projects"])


@test
def owner_project_access_default_hides_inactive():
    s = sim("main")
    t = s.truth()
    seen_inactive = 0
    for pid in t["projects"]:
        base = "/v1/organization/projects/%s/api_keys" % pid
        want = [k for k in t["api_keys"] if k["project_id"] == pid]
        dflt = ids(crawl(s, base))
        assert dflt == ids(crawl(s, base, extra="&owner_project_access=active"))
        assert dflt == sorted(k["id"] for k in want if k["owner_project_access"] == "active")
        inactive = crawl(s, base, extra="&owner_project_access=inactive")
        assert all(k["owner_project_access"] == "inactive" for k in inactive)
        seen_inactive += len(inactive)
        assert ids(crawl(s, base, extra="&owner_project_access=any")) == \
            sorted(k["id"] for k in want)
    assert seen_inactive >= 2


@test
def archived_project_lists_answer_400():
    s = sim("main")
    pid = s.truth()["archived_projects"][0]
    for sub in ("service_accounts", "users"):
        error_of(s.request("/v1/organization/projects/%s/%s" % (pid, sub)), 400)
    assert s.get("/v1/organization/projects/%s/api_keys?owner_project_access=any" % pid)["data"]


@test
def ground_truth_matches_served_data():
    t, d = check_truth_against(sim("main"))
    now = t["now"]
    keys = t["api_keys"]

    def days(k, f):
        return (now - k[f]) / DAY if k[f] is not None else None
    departed = [k for k in keys if k["owner_type"] == "user" and k["owner_id"] in
                t["departed_users"]]
    counts = {
        "departed": len(departed),
        "inactive": sum(k["owner_project_access"] == "inactive" for k in keys),
        "stale never used": sum(k["stale"] and k["last_used_at"] is None for k in keys),
        "stale 91": sum(k["stale"] and 90 < (days(k, "last_used_at") or 0) < 92 for k in keys),
        "stale 400": sum(k["stale"] and 399 < (days(k, "last_used_at") or 0) < 401
                         for k in keys),
        "fresh 89": sum(not k["stale"] and 88 < (days(k, "last_used_at") or 0) < 90
                        for k in keys),
        "legacy": sum(k["type"] == "user" for k in keys),
        "service account": sum(k["type"] == "service_account" for k in keys),
    }
    mins = {"departed": 2, "inactive": 2, "stale never used": 2, "stale 91": 2,
            "stale 400": 1, "fresh 89": 2, "legacy": 1, "service account": 1}
    for what, n in mins.items():
        assert counts[what] >= n, (what, counts)
    assert sum(k["orphan"] for k in t["admin_api_keys"]) >= 1
    assert any(not k["stale"] and k["last_used_at"] is None for k in keys)
    for k in keys + t["admin_api_keys"]:
        ref = k["last_used_at"] if k["last_used_at"] is not None else k["created_at"]
        assert abs(now - ref - 90 * DAY) > 12 * 3600, k
        assert k["created_at"] <= now and (k["last_used_at"] or 0) <= now
        assert k["last_used_at"] is None or k["last_used_at"] >= k["created_at"]
    for k in keys:
        if k["type"] == "user":
            assert now - k["created_at"] >= 500 * DAY
    assert len(t["users"]) == 41 and len(t["human_users"]) == 40
    assert len(t["departed_users"]) == 3 and len(t["projects"]) == 6
    assert len(keys) == 36 and len(t["admin_api_keys"]) == 3 and len(t["invites"]) == 3
    assert all(e.endswith("@canary-mail.example") for e in t["emails"])
    diag("truth: " + ", ".join("%s=%d" % kv for kv in counts.items()))


@test
def determinism_same_seed_same_bodies():
    a, b = sim("main"), sim("twin")
    assert a.request("/_sim/truth", key=None)[2] == b.request("/_sim/truth", key=None)[2]
    t = a.truth()
    paths = ["/v1/organization/users?limit=100", "/v1/organization/admin_api_keys",
             "/v1/organization/projects?include_archived=true", "/v1/organization/invites",
             "/v1/organization/audit_logs?limit=100",
             "/v1/organization/costs?start_time=%d" % (NOW - 5 * DAY)]
    for pid in t["projects"]:
        paths.append("/v1/organization/projects/%s/api_keys?owner_project_access=any" % pid)
    for pid in t["active_projects"]:
        paths += ["/v1/organization/projects/%s/service_accounts" % pid,
                  "/v1/organization/projects/%s/users" % pid]
    for p in paths:
        ra, rb = a.request(p), b.request(p)
        assert ra[0] == 200 and ra[2] == rb[2], p
    c = sim("other")
    assert c.truth()["users"] != t["users"]


@test
def knobs_forbid_missing_stuck():
    s = sim("faults")
    try:
        s.post("/_sim/config", {"forbid": ["users"], "missing": ["invites"],
                                "stuck_cursor": ["projects", "audit_logs"]})
        e = error_of(s.request("/v1/organization/users"), 403)
        assert e["code"] == "insufficient_permissions"
        assert e["message"] == "You have insufficient permissions for this operation."
        e = error_of(s.request("/v1/organization/invites"), 404)
        assert e["message"] == "Not found"
        first = s.get("/v1/organization/projects?limit=2")
        assert first["has_more"]
        again = s.get("/v1/organization/projects?limit=2&after=" + first["last_id"])
        assert again == first
        a1 = s.get("/v1/organization/audit_logs?limit=3")
        assert s.get("/v1/organization/audit_logs?limit=3&after=" + a1["last_id"]) == a1
        assert s.get("/v1/organization/admin_api_keys")["object"] == "list"
    finally:
        cfg = s.post("/_sim/config", {"forbid": [], "missing": [], "stuck_cursor": []})
    assert cfg["forbid"] == [] and s.get("/v1/organization/users")["data"]


@test
def knobs_429_500_drop_latency():
    s = sim("faults")
    try:
        s.post("/_sim/config", {"rate_429": 1, "retry_after": 3, "retry_after_ms": 2500})
        st, h, body = s.request("/v1/organization/users")
        e = error_of((st, h, body), 429, "requests")
        assert e["code"] == "rate_limit_exceeded"
        assert h["retry-after"] == "3" and h["retry-after-ms"] == "2500"
        assert s.get("/_sim/truth", key=None)["now"] == NOW      # control never faulted
        s.post("/_sim/config", {"rate_429": 0, "rate_500": 1})
        e = error_of(s.request("/v1/organization/users"), 500, "server_error")
        assert e["code"] is None and e["message"].startswith("The server had an error")
        s.post("/_sim/config", {"rate_500": 0, "rate_drop": 1})
        before = s.get("/_sim/stats", key=None)["dropped"]
        try:
            s.request("/v1/organization/users")
            raise AssertionError("connection was not dropped")
        except (urllib.error.URLError, http.client.HTTPException, ConnectionError):
            pass
        assert s.get("/_sim/stats", key=None)["dropped"] == before + 1
        s.post("/_sim/config", {"rate_drop": 0, "latency_ms": 300})
        st, took = timed_get(s, "/v1/organization/users")
        assert st == 200 and took >= 0.3, took
        t0 = time.monotonic()
        s.truth()
        assert time.monotonic() - t0 < 0.25
        s.post("/_sim/config", {"latency_ms": 0, "rate_429": 0.5})
        s.post("/_sim/stats/reset", {})
        codes = [s.request("/v1/organization/invites")[0] for _ in range(200)]
        assert 50 < codes.count(429) < 150 and set(codes) == {200, 429}, codes.count(429)
        st = s.get("/_sim/stats", key=None)
        assert st["requests"] == 200 and st["by_stream"]["invites"] == 200
        assert st["status"]["429"] == codes.count(429) and st["status"]["200"] == codes.count(200)
    finally:
        cfg = s.post("/_sim/config", {"rate_429": 0, "rate_500": 0, "rate_drop": 0,
                                      "latency_ms": 0, "retry_after": 1,
                                      "retry_after_ms": None})
    assert cfg["rate_429"] == 0 and cfg["retry_after_ms"] is None


@test
def config_rejects_bad_knobs():
    s = sim("faults")
    for body in ({"rate_429": 2}, {"forbid": ["nope"]}, {"latency_ms": -1}, {"what": 1},
                 {"audit_logging": "maybe"}, [1]):
        st, _, _ = s.request("/_sim/config", key=None, method="POST",
                             body=json.dumps(body).encode())
        assert st == 400, body
    assert s.get("/_sim/config", key=None)["rate_429"] == 0


@test
def command_line_knobs():
    s = sim("cli")
    error_of(s.request("/v1/organization/users"), 403)
    error_of(s.request("/v1/organization/invites"), 404)
    p = s.get("/v1/organization/projects?limit=1")
    assert p["has_more"] and s.get("/v1/organization/projects?limit=1&after=" +
                                   p["last_id"]) == p
    a = s.get("/v1/organization/audit_logs")
    assert a["data"] == [] and a["has_more"] is False
    st, h, _ = s.request("/v1/organization/projects", key="sk-admin-second-key-0000wxyz")
    assert st == 200 and h["openai-organization"] == "org-clitest"
    keys = s.get("/v1/organization/admin_api_keys")["data"]
    reds = {k["redacted_value"] for k in keys}
    assert "sk-admin-sec...wxyz" in reds and "sk-admin-SIM...abcd" in reds, reds
    assert len(keys) == 4
    cfg = s.get("/_sim/config", key=None)
    assert (cfg["retry_after"], cfg["retry_after_ms"]) == (7, 1500)
    assert all(e.endswith("@other.example") for e in s.truth()["emails"])


@test
def audit_logs_newest_first_paging_and_filters():
    s = sim("main")
    t = s.truth()
    entries = crawl(s, "/v1/organization/audit_logs", 7)
    keys = [(e["effective_at"], e["id"]) for e in entries]
    assert keys == sorted(keys, reverse=True) and len(set(ids(entries))) == len(entries)
    assert entries == crawl(s, "/v1/organization/audit_logs", 100)
    for e in entries:
        assert e["object"] == "organization.audit_log" and e["id"].startswith("audit_log-")
        assert e["type"] in e and e["actor"]["type"] in ("session", "api_key")
        if "project" in e:
            assert set(e["project"]) == {"id", "name"}
    types = [e["type"] for e in entries]
    assert types.count("api_key.created") == len(t["api_keys"])
    assert types.count("project.created") == len(t["projects"])
    assert types.count("invite.sent") == len(t["invites"])
    assert types.count("user.added") == len(t["users"]) + len(t["departed_users"])
    assert types.count("login.succeeded") >= 1
    for e in entries:
        if e["type"] == "api_key.created":
            assert e["api_key.created"]["data"] == {"scopes": ["/v1/*"]}
    for q in ("event_types[]=api_key.created", "event_types%5B%5D=api_key.created"):
        got = crawl(s, "/v1/organization/audit_logs?" + q, 5)
        assert len(got) == len(t["api_keys"]) and {e["type"] for e in got} == {"api_key.created"}
    both = crawl(s, "/v1/organization/audit_logs?event_types[]=invite.sent"
                    "&event_types[]=project.created")
    assert len(both) == len(t["invites"]) + len(t["projects"])
    cut = entries[10]["effective_at"]
    newer = crawl(s, "/v1/organization/audit_logs?effective_at[gte]=%d" % cut)
    assert newer == [e for e in entries if e["effective_at"] >= cut]
    pid = t["projects"][1]
    inproj = crawl(s, "/v1/organization/audit_logs?project_ids[]=" + pid)
    assert inproj and all(e["project"]["id"] == pid for e in inproj)
    rid = t["api_keys"][0]["id"]
    assert [e[e["type"]]["id"] for e in
            crawl(s, "/v1/organization/audit_logs?resource_ids[]=" + rid)] == [rid]
    pivot = entries[20]["id"]
    page = s.get("/v1/organization/audit_logs?limit=5&before=" + pivot)
    assert ids(page["data"]) == ids(entries[15:20]) and page["has_more"]
    error_of(s.request("/v1/organization/audit_logs?after=audit_log-nope"), 400)


@test
def audit_merged_walks_after_and_before():
    s = sim("dense")
    truth = audit_ids(s)
    assert len(truth) > 40000 and len(set(truth)) == len(truth)
    newest_first = walk_after(s, 100)
    assert ids(newest_first) == truth[::-1]
    ties = sum(a["effective_at"] == b["effective_at"]
               for a, b in zip(newest_first, newest_first[1:]))
    assert ties > 10000, ties         # many entries share a second: ids break the ties
    oldest_first = walk_before(s, truth[0], 100)
    assert ids(oldest_first) == truth[1:]
    assert oldest_first == newest_first[-2::-1]
    digest = s.get("/_sim/audit/digest", key=None)
    assert digest == {"count": len(truth), "sha256": sha256_lines(truth)}
    first = s.get(AUDIT + "?limit=100")
    assert first["has_more"] and ids(first["data"]) == truth[:-101:-1]
    last = s.get(AUDIT + "?limit=100&after=" + truth[100])
    assert not last["has_more"] and ids(last["data"]) == truth[99::-1]
    top = s.get(AUDIT + "?limit=100&before=" + truth[-101])
    assert not top["has_more"] and ids(top["data"]) == truth[:-101:-1]
    assert s.get(AUDIT + "?before=" + truth[-1])["data"] == []
    e = s.get(AUDIT + "?after=" + truth[0])
    assert e["data"] == [] and not e["has_more"] and e["last_id"] is None
    diag("audit walk: %d entries, %d share a second with the next" % (len(truth), ties))


@test
def audit_merged_with_org_history():
    s = sim("events")
    t = s.truth()
    truth = audit_ids(s)
    entries = walk_after(s, 37)
    assert ids(entries) == truth[::-1] and len(entries) > 3000
    assert ids(walk_before(s, truth[0], 41)) == truth[1:]
    org = [n for n, e in enumerate(entries) if len(e["id"]) == len("audit_log-") + 24]
    gen = [n for n, e in enumerate(entries) if len(e["id"]) == len("audit_log-") + 14]
    assert len(org) + len(gen) == len(entries) and len(gen) == 3000
    assert sum(min(gen) < n < max(gen) for n in org) >= 5       # interleaved, not stacked
    assert all(NOW - 400 * DAY <= entries[n]["effective_at"] < NOW for n in gen)
    org_types = [entries[n]["type"] for n in org]
    assert org_types.count("api_key.created") == len(t["api_keys"])
    assert org_types.count("project.created") == len(t["projects"])
    for e in entries[::50]:
        assert s.get("/_sim/audit/event/" + e["id"], key=None) == e
    error_of(s.request("/_sim/audit/event/audit_log-nope", key=None), 404)
    assert s.get("/_sim/audit/digest", key=None)["sha256"] == sha256_lines(truth)


@test
def audit_effective_at_filters_with_cursors():
    s = sim("events")
    full = walk_after(s, 100)
    t_lo, t_hi = full[len(full) * 3 // 4]["effective_at"], full[len(full) // 5]["effective_at"]
    cases = {"&effective_at[gte]=%d&effective_at[lt]=%d" % (t_lo, t_hi):
             lambda a: t_lo <= a < t_hi,
             "&effective_at%%5Bgt%%5D=%d&effective_at%%5Blte%%5D=%d" % (t_lo, t_hi):
             lambda a: t_lo < a <= t_hi,
             "&effective_at[gte]=%d" % t_hi: lambda a: a >= t_hi,
             "&effective_at[lt]=%d" % t_lo: lambda a: a < t_lo,
             "&effective_at[gt]=%d&effective_at[lt]=%d" % (t_hi, t_lo): lambda a: False}
    for q, keep in cases.items():
        want = [e for e in full if keep(e["effective_at"])]
        assert walk_after(s, 23, q) == want, q
        if want:
            assert walk_before(s, want[-1]["id"], 29, q) == want[-2::-1], q
    # a cursor outside the bounds still positions the page
    inside = [e for e in full if t_lo <= e["effective_at"] < t_hi]
    q = "&effective_at[gte]=%d&effective_at[lt]=%d" % (t_lo, t_hi)
    page = s.get(AUDIT + "?limit=10&after=" + full[0]["id"] + q)
    assert page["data"] == inside[:10] and page["has_more"]
    page = s.get(AUDIT + "?limit=10&before=" + full[-1]["id"] + q)
    assert page["data"] == inside[-10:] and page["has_more"]
    mid = inside[len(inside) // 2]["id"]
    page = s.get(AUDIT + "?limit=5&before=" + mid + q)
    k = inside.index(next(e for e in inside if e["id"] == mid))
    assert page["data"] == inside[k - 5:k]
    logins = [e for e in inside if e["type"] == "login.succeeded"]
    assert walk_after(s, 17, q + "&event_types[]=login.succeeded") == logins


@test
def audit_filters_over_synthetic_history():
    s = sim("events")
    full = walk_after(s, 100)
    t = s.truth()
    sa = next(e["actor"]["api_key"] for e in full if e["actor"]["type"] == "api_key"
              and e["actor"]["api_key"]["type"] == "service_account")
    email = next(e["actor"]["session"]["user"]["email"] for e in full
                 if e["actor"]["type"] == "session")
    key_made = next(e for e in full if e["type"] == "api_key.created" and len(e["id"]) < 30)

    def actor_ids(e):
        a = e["actor"]
        who = a.get("session") or a.get("api_key")
        return {who.get("user", {}).get("id"), who.get("service_account", {}).get("id"),
                a.get("api_key", {}).get("id")} - {None}

    def actor_email(e):
        a = e["actor"]
        return (a.get("session") or a.get("api_key")).get("user", {}).get("email")
    pid = t["active_projects"][-1]
    cases = [("event_types[]=resource.deleted&event_types[]=invite.sent",
              lambda e: e["type"] in ("resource.deleted", "invite.sent")),
             ("event_types[]=tenant.workspace.ghost_mode.enabled",
              lambda e: e["type"] == "tenant.workspace.ghost_mode.enabled"),
             ("project_ids[]=" + pid, lambda e: e.get("project", {}).get("id") == pid),
             ("actor_ids[]=" + sa["service_account"]["id"],
              lambda e: sa["service_account"]["id"] in actor_ids(e)),
             ("actor_ids[]=" + sa["id"], lambda e: sa["id"] in actor_ids(e)),
             ("actor_emails[]=" + email, lambda e: actor_email(e) == email),
             ("resource_ids[]=" + key_made["api_key.created"]["id"],
              lambda e: e[e["type"]].get("id") == key_made["api_key.created"]["id"]),
             ("event_types[]=login.failed&actor_emails[]=" + email,
              lambda e: e["type"] == "login.failed" and actor_email(e) == email)]
    for q, keep in cases:
        want = [e for e in full if keep(e)]
        assert want, q
        assert walk_after(s, 19, "&" + q) == want, q
    assert crawl(s, AUDIT, 100, "&event_types[]=no.such.type") == []


@test
def audit_unknown_types_fields_and_both_actor_kinds():
    s = sim("events")
    full = walk_after(s, 100)
    emails = set(s.truth()["emails"])
    gen = [e for e in full if len(e["id"]) == len("audit_log-") + 14]
    gen_ids = set(ids(gen))
    types = {e["type"] for e in gen}
    assert {"tenant.workspace.ghost_mode.enabled", "resource.deleted"} <= types
    assert {"login.succeeded", "login.failed", "api_key.created", "api_key.updated",
            "api_key.deleted", "project.created", "project.archived", "user.added",
            "user.updated", "user.deleted", "invite.sent", "service_account.created",
            "rate_limit.updated", "role.assignment.created"} <= types
    counts = {t: sum(e["type"] == t for e in gen) for t in types}
    assert max(counts, key=counts.get) == "login.succeeded"
    known = {"id", "object", "type", "effective_at", "project", "actor"}
    extra = [e for e in gen if set(e) - known - {e["type"]}]
    assert 20 <= len(extra) <= 120 and all(set(e) - known - {e["type"]} == {"source"}
                                           for e in extra), len(extra)
    kinds = set()
    for e in full:
        assert e["object"] == "organization.audit_log" and isinstance(e[e["type"]], dict)
        a = e["actor"]
        if a["type"] == "session":
            ss = a["session"]
            assert ss["user"]["email"] in emails
            if e["id"] in gen_ids:
                assert set(ss) == {"user", "ip_address", "user_agent", "ja3", "ja4",
                                   "ip_address_details"}
                d = ss["ip_address_details"]
                assert set(d) == {"country", "city", "region", "region_code", "asn",
                                  "latitude", "longitude"}
                assert all(isinstance(v, str) for v in d.values())
            kinds.add("session")
        else:
            k = a["api_key"]
            assert a["type"] == "api_key" and k["id"].startswith("key_")
            assert set(k) == {"id", "type", k["type"]}
            if k["type"] == "user":
                assert k["user"]["email"] in emails
            else:
                assert set(k["service_account"]) == {"id"}
            kinds.add("api_key:" + k["type"])
        if "project" in e:
            assert set(e["project"]) == {"id", "name"}
    assert kinds == {"session", "api_key:user", "api_key:service_account"}, kinds
    failed = [e["login.failed"] for e in gen if e["type"] == "login.failed"]
    assert all(set(f) == {"error_code", "error_message"} for f in failed)
    assert any("@" in f["error_message"] and f["error_message"].split()[-1].rstrip(".")
               in emails for f in failed)
    for e in gen:
        if e["type"] == "invite.sent":
            assert e["invite.sent"]["data"]["email"] in emails
        if e["type"].startswith(("api_key.", "project.", "service_account.", "rate_limit.",
                                 "role.")):
            assert "project" in e, e
        if e["type"].startswith(("login.", "logout.")):
            assert e["actor"]["type"] == "session"


@test
def audit_history_is_deterministic():
    a, b = sim("events"), sim("events_twin")
    ids_a = audit_ids(a)
    paths = [AUDIT + "?limit=100", AUDIT + "?limit=100&after=" + ids_a[1500],
             AUDIT + "?limit=100&before=" + ids_a[700],
             AUDIT + "?limit=50&event_types[]=login.failed",
             AUDIT + "?limit=50&effective_at[lt]=%d" % (NOW - 100 * DAY),
             "/_sim/audit/digest", "/_sim/audit/ids", "/_sim/audit/event/" + ids_a[2000]]
    for p in paths:
        ra, rb = a.request(p), b.request(p)
        assert ra[0] == 200 and ra[2] == rb[2], p
    c = Sim("events_seed2", "--events", "3000", "--events-days", "400", "--seed", "2")
    try:
        assert c.get("/_sim/audit/digest", key=None) != a.get("/_sim/audit/digest", key=None)
    finally:
        c.stop()


@test
def audit_events_per_request_shift_pages():
    s = sim("live")
    before = audit_ids(s)
    try:
        cfg = s.post("/_sim/config", {"events_per_request": 3})
        assert cfg["events_per_request"] == 3
        s.post("/_sim/stats/reset", {})
        entries = walk_after(s, 50)
        requests = s.get("/_sim/stats", key=None)["by_stream"]["audit_logs"]
    finally:
        s.post("/_sim/config", {"events_per_request": 0})
    got = ids(entries)
    assert len(got) == len(set(got)) == len(before) + 3
    assert set(before) <= set(got)
    assert ids(entries[3:]) == before[::-1]        # the first page saw 3 new ones on top
    after = audit_ids(s)
    assert len(after) == len(before) + 3 * requests and set(before) <= set(after)
    new = [i for i in after if i not in set(before)]
    assert after[-len(new):] == new                # wall-clock now: newer than all
    st = s.get(AUDIT + "?limit=1")                 # knob off: nothing added any more
    assert st["data"][0]["id"] == new[-1] and len(audit_ids(s)) == len(after)


@test
def audit_events_added_and_late_arrivals():
    s = sim("live")
    old = audit_ids(s)
    target = s.get("/_sim/audit/event/" + old[len(old) // 2], key=None)["effective_at"]
    age = int(time.time()) - target
    added = s.post("/_sim/events", {"count": 4, "age_seconds": age})["added"]
    assert len(added) == 4 and len(set(added)) == 4
    now = s.post("/_sim/events", {"count": 2})["added"]
    assert s.post("/_sim/events", {"count": 0}) == {"added": []}
    every = audit_ids(s)
    assert len(every) == len(old) + 6 and every[-2:] == now
    at = {i: s.get("/_sim/audit/event/" + i, key=None)["effective_at"] for i in added + now}
    assert all(abs(at[i] - target) <= 2 for i in added), (at, target)
    assert all(abs(at[i] - time.time()) <= 5 for i in now)
    pos = [every.index(i) for i in added]
    assert pos == list(range(pos[0], pos[0] + 4)) and 0 < pos[0] < len(every) - 6
    walked = walk_after(s, 100)
    assert ids(walked) == every[::-1]
    for i in added:
        n = ids(walked).index(i)
        assert walked[n - 1]["effective_at"] >= at[i] >= walked[n + 1]["effective_at"]
    assert s.get("/_sim/audit/digest", key=None)["sha256"] == sha256_lines(every)
    for body in ({"count": -1}, {"count": "3"}, {"count": 1, "age_seconds": -5},
                 {"count": True}, {"count": 1, "nope": 1}, [1], {"count": 2000000}):
        st, _, _ = s.request("/_sim/events", key=None, method="POST",
                             body=json.dumps(body).encode())
        assert st == 400, body
    st, h, _ = s.request("/_sim/events", key=None)
    assert st == 405 and h["allow"] == "POST"


@test
def audit_concurrent_writers_and_readers():
    s = sim("live")
    start = len(audit_ids(s))
    errors = []

    def writer():
        try:
            for _ in range(20):
                assert len(s.post("/_sim/events", {"count": 5, "age_seconds": 3600})["added"]) == 5
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))

    def reader():
        try:
            walk_after(s, 100)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))
    threads = [threading.Thread(target=f) for f in (writer, writer, writer, reader, reader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    every = audit_ids(s)
    assert len(every) == len(set(every)) == start + 300
    assert ids(walk_after(s, 100)) == every[::-1]


@test
def audit_cursor_errors_and_knobs():
    s = sim("live")
    ids_ = audit_ids(s)
    fake = "audit_log-zzzzzzzz" + ids_[-1][-6:]
    for cursor in ("audit_log-zzzzzzzzzzzzzz", fake, ids_[-1][:-1] + "!", "x"):
        for param in ("after", "before"):
            e = error_of(s.request("%s?%s=%s" % (AUDIT, param, cursor)), 400)
            assert e["param"] == param, e
    error_of(s.request(AUDIT + "?effective_at[lt]=soon"), 400)
    try:
        s.post("/_sim/config", {"forbid": ["audit_logs"]})
        e = error_of(s.request(AUDIT), 403)
        assert e["code"] == "insufficient_permissions"
        s.post("/_sim/config", {"forbid": [], "audit_logging": "off"})
        assert s.get(AUDIT)["data"] == []
        assert audit_ids(s) == ids_                # the recorded history is unchanged
    finally:
        s.post("/_sim/config", {"forbid": [], "audit_logging": "on"})
    for bad in ({"events_per_request": -1}, {"events_per_request": 1.5},
                {"events_per_request": "3"}):
        st, _, _ = s.request("/_sim/config", key=None, method="POST",
                             body=json.dumps(bad).encode())
        assert st == 400, bad


@test
def audit_events_per_request_from_the_command_line():
    s = sim("cli")
    assert s.get("/_sim/config", key=None)["events_per_request"] == 2
    n = len(audit_ids(s))
    assert n > 500
    for _ in range(3):
        assert s.get(AUDIT)["data"] == []          # --audit-logging off still answers []
    assert len(audit_ids(s)) == n + 6


@test
def costs_and_usage_buckets():
    s = sim("main")
    start = NOW - 10 * DAY
    for path in ("/v1/organization/costs", "/v1/organization/usage/completions"):
        buckets, page, n = [], None, 0
        while True:
            q = "?start_time=%d&limit=4" % start + ("&page=" + page if page else "")
            doc = s.get(path + q)
            assert set(doc) == {"object", "data", "has_more", "next_page"}
            assert doc["object"] == "page" and len(doc["data"]) <= 4
            buckets += doc["data"]
            n += 1
            if not doc["has_more"]:
                assert doc["next_page"] is None
                break
            page = doc["next_page"]
        assert n == 3 and len(buckets) == 11, (path, len(buckets))
        for a, b in zip(buckets, buckets[1:]):
            assert a["end_time"] == b["start_time"] == a["start_time"] + DAY
        for b in buckets:
            assert b == {"object": "bucket", "start_time": b["start_time"],
                         "end_time": b["end_time"], "results": []}
    midnight = start - start % DAY
    doc = s.get("/v1/organization/costs?start_time=%d&end_time=%d"
                % (midnight, midnight + 3 * DAY))
    assert len(doc["data"]) == 3 and doc["has_more"] is False
    assert doc["data"][0]["start_time"] == midnight
    doc = s.get("/v1/organization/usage/completions?start_time=%d&bucket_width=1h&limit=5"
                % start)
    assert len(doc["data"]) == 5 and doc["data"][0]["end_time"] - doc["data"][0]["start_time"] \
        == 3600


@test
def mutate_changes_truth():
    s = sim("mutate")
    before = s.truth()
    after = s.post("/_sim/mutate", {"seed": 7})
    assert json.load(open(s.truth_file)) == after == s.truth()
    gone = set(before["users"]) - set(after["users"])
    assert len(gone) == 2 and gone <= set(after["departed_users"])
    assert set(after["users"]) <= set(before["users"])
    bk = {k["id"]: k for k in before["api_keys"]}
    ak = {k["id"]: k for k in after["api_keys"]}
    deleted, added = set(bk) - set(ak), set(ak) - set(bk)
    assert len(deleted) >= 3 and len(added) == 4, (len(deleted), len(added))
    assert all(ak[k]["type"] == "project" for k in added)
    assert sum(ak[k]["last_used_at"] is not None and NOW - ak[k]["last_used_at"] < DAY
               for k in added) >= 3
    revived = [k for k in set(bk) & set(ak) if bk[k]["stale"] and not ak[k]["stale"]]
    assert len(revived) == 1 and NOW - ak[revived[0]]["last_used_at"] < DAY
    for kid in set(bk) & set(ak):
        if bk[kid]["owner_id"] in gone:
            assert ak[kid]["orphan"]
    assert any(bk[k]["owner_id"] in gone for k in set(bk) & set(ak))
    assert len(after["projects"]) == len(before["projects"]) + 1
    newp = (set(after["projects"]) - set(before["projects"])).pop()
    assert sum(k["project_id"] == newp for k in after["api_keys"]) == 2
    assert len(set(after["archived_projects"]) - set(before["archived_projects"])) == 1
    default = [p["id"] for p in crawl(s, "/v1/organization/projects")
               if p["name"] == "Default project"]
    assert len(default) == 1 and default[0] in after["active_projects"]
    sa_new = set(after["service_accounts"]) - set(before["service_accounts"])
    sa_gone = set(before["service_accounts"]) - set(after["service_accounts"])
    assert len(sa_new) == 1 and len(sa_gone) >= 1
    check_truth_against(s)
    deleted_events = crawl(s, "/v1/organization/audit_logs?event_types[]=user.deleted")
    assert gone <= {e["user.deleted"]["id"] for e in deleted_events}
    newest = s.get("/v1/organization/audit_logs?limit=1")["data"][0]
    logins = crawl(s, "/v1/organization/audit_logs?event_types[]=login.succeeded")
    assert newest["effective_at"] > max(e["effective_at"] for e in logins)
    twin = sim("mutate2")
    assert twin.post("/_sim/mutate", {"seed": 7}) == after
    again = s.post("/_sim/mutate", {"seed": 7})
    assert again != after
    check_truth_against(s)


@test
def hostile_names():
    s = sim("hostile")
    d = served(s)
    names = [x["name"] for k in ("projects", "keys", "sas") for x in d[k]]
    for h in HOSTILE:
        assert any(h in n for n in names), repr(h)
    assert any(len(n) == 10000 for n in names)
    assert {"projects", "keys", "sas"} == {k for k in ("projects", "keys", "sas")
                                          if any(any(h in x["name"] for h in HOSTILE)
                                                 for x in d[k])}
    check_truth_against(s, 7)


@test
def access_log_has_no_keys():
    s = sim("main")
    s.request("/v1/organization/users?limit=3", key="sk-admin-LEAKYLEAKYLEAKY0000000000zzzz")
    s.request("/v1/organization/users?api_key=sk-proj-QUERYLEAK0000000000zzzz&limit=3")
    s.request("/v1/organization/users?limit=3")
    time.sleep(0.1)
    log = open(s.log_file, encoding="utf-8").read()
    lines = log.splitlines()
    assert len(lines) > 10
    assert "sk-" not in log and "LEAKY" not in log and "Bearer" not in log
    assert "QUERYLEAK" not in log and "[REDACTED-KEY]" in log
    parts = lines[-1].split(" ")
    assert parts[1] == "GET" and parts[2] == "/v1/organization/users?limit=3"
    assert parts[3] == "200" and float(parts[4]) >= 0


@test
def stats_count_streams_and_statuses():
    s = sim("twin")
    s.post("/_sim/stats/reset", {})
    s.request("/v1/organization/users")
    s.request("/v1/organization/users", key=None)
    pid = s.truth()["projects"][0]
    s.request("/v1/organization/projects/%s/api_keys" % pid)
    s.request("/v1/organization/projects/%s/users" % pid)
    st = s.get("/_sim/stats", key=None)
    assert st["requests"] == 4 and st["dropped"] == 0
    assert st["by_stream"]["users"] == 2 and st["by_stream"]["api_keys"] == 1
    assert st["by_stream"]["project_users"] == 1 and set(st["by_stream"]) >= {"costs", "usage"}
    assert st["status"] == {"200": 3, "401": 1}


@test
def bad_arguments_exit_2():
    for args in (["--users", "abc"], ["--forbid", "nonsense"], ["--rate-429", "2"],
                 ["--retry-after", "0"], ["--archived-projects", "6"], ["--bogus"],
                 ["--events", "-1"], ["--events-days", "0"], ["--events-per-request", "x"]):
        r = subprocess.run([sys.executable, str(SIM)] + args, capture_output=True, timeout=20)
        assert r.returncode == 2, (args, r.returncode)
        assert b"usage:" in r.stderr


@test
def sigterm_and_sigint_exit_0():
    for sig in (signal.SIGTERM, signal.SIGINT):
        s = Sim("signal", "--users", "3", "--projects", "2")
        try:
            assert s.get("/v1/organization/users")["data"]
            s.proc.send_signal(sig)
            assert s.proc.wait(10) == 0
        finally:
            s.stop()


@test
def keep_alive_concurrency_and_throughput():
    s = sim("main")
    path = "/v1/organization/users?limit=20"
    hdrs = {"Authorization": "Bearer " + ADMIN}
    counts, errors = [], []

    def worker(secs):
        c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
        n, end = 0, time.monotonic() + secs
        try:
            while time.monotonic() < end:
                c.request("GET", path, headers=hdrs)
                r = c.getresponse()
                r.read()
                if r.status != 200:
                    errors.append(r.status)
                n += 1
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))
        finally:
            c.close()
            counts.append(n)

    threads = [threading.Thread(target=worker, args=(1.0,)) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(counts) == 50 and min(counts) > 0, errors[:5]
    counts.clear()
    t0 = time.monotonic()
    worker(1.5)
    rate1 = counts[0] / (time.monotonic() - t0)
    counts.clear()
    threads = [threading.Thread(target=worker, args=(1.5,)) for _ in range(4)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rate4 = sum(counts) / (time.monotonic() - t0)
    diag("throughput (python client, keep-alive, 0 ms latency): %.0f req/s with 1 "
         "connection, %.0f req/s with 4" % (rate1, rate4))


@test
def audit_million_events_startup_and_throughput():
    t0 = time.monotonic()
    s = Sim("million", "--events", "1000000", log=False)
    startup = time.monotonic() - t0
    try:
        e = error_of(s.request("/_sim/audit/ids", key=None), 413)
        assert e["code"] == "too_many_entries" and "/_sim/audit/digest" in e["message"]
        t0 = time.monotonic()
        digest = s.get("/_sim/audit/digest", key=None)
        digest_s = time.monotonic() - t0
        assert digest["count"] > 1000000 and len(digest["sha256"]) == 64
        t0 = time.monotonic()
        deep = s.get(AUDIT + "?limit=100&effective_at[lt]=%d" % (NOW - 29 * DAY))
        assert len(deep["data"]) == 100 and deep["has_more"]
        back = s.get(AUDIT + "?limit=100&before=" + deep["data"][-1]["id"])
        assert ids(back["data"][1:]) == ids(deep["data"][:-1]) and back["has_more"]
        assert back["data"][0]["effective_at"] >= NOW - 29 * DAY
        logins = s.get(AUDIT + "?limit=100&event_types[]=login.failed")
        assert {x["type"] for x in logins["data"]} == {"login.failed"}
        jumps = time.monotonic() - t0
        c = RawClient(s.port)
        cpu0, pages, after, t0 = cpu_seconds(s.proc.pid), 0, None, time.monotonic()
        try:
            while time.monotonic() - t0 < 2.0:
                st, body = c.get(AUDIT + "?limit=100" + ("&after=" + after if after else ""))
                assert st == 200
                i = body.rindex(b'"last_id":"') + 11
                after = body[i:body.index(b'"', i)].decode()
                pages += 1
        finally:
            c.close()
        took, cpu1 = time.monotonic() - t0, cpu_seconds(s.proc.pid)
    finally:
        s.stop()
    per_cpu = " (%.0f per second of simulator CPU)" % (pages / (cpu1 - cpu0)) \
        if cpu0 is not None and cpu1 > cpu0 else ""
    diag("--events 1000000: ready in %.2fs; digest %.2fs; 3 deep/filtered pages %.3fs"
         % (startup, digest_s, jumps))
    diag("audit pages of 100, one keep-alive connection, 0 ms latency: %.0f pages/s%s"
         % (pages / took, per_cpu))


if __name__ == "__main__":
    run(teardown=teardown)
