#!/usr/bin/env python3
"""Self-test of the OpenAI Administration API simulator (tests/sim/oasim.py).

Starts simulators as subprocesses on free ports (read from --port-file) and
checks them over HTTP with urllib: authentication, every list envelope and
its objects' fields, paging, parameter errors, fault knobs, determinism, the
ground truth against the served data, mutation, hostile names, audit logs
(the merged org + synthetic + added history: cursors both ways, filters,
events arriving while a client pages, late arrivals, the audit ground truth),
usage and costs (shapes, parameters, paging, the usage ground truth and its
planted cases recomputed from served data, revisions, time moving, faults),
posture settings, roles and groups (findings recomputed from served data,
posture ops), the DELETE endpoints and their faults, the access log, signals
and argument errors.  Prints TAP via tests/lib/tap.py; throughput and
start-up figures are '# ' diagnostics, not checks.

Run: python3 tests/sim/test_oasim.py   (ORGAUDIT_TEST_FILTER=name runs a subset)
"""
import hashlib
import http.client
import json
import os
import re
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
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "lib"))
from tap import diag, run, test  # noqa: E402

SIM = REPO / "tests" / "sim" / "oasim.py"
NOW = 1760000000
DAY = 86400
ADMIN = "sk-admin-SIMULATORKEY0000000000000000000000000000abcd"
ADMIN2 = "sk-admin-SECONDKEY000000000000000000000000000000wxyz"
READONLY = "sk-admin-READONLYKEY00000000000000000000000000000rdnl"
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
    # usage and costs, posture and writes
    "quiet": ("--usage-keys", "0"),
    "gap": ("--usage-days", "120", "--seed", "3"),
    "revise": (), "revise_twin": (), "clock": (), "posture": (), "posture2": (),
    "writes": ("--admin-key", ADMIN, "--admin-key", ADMIN2, "--admin-key-readonly", READONLY),
    "pagefaults": ("--missing-next-page", "usage", "--missing-data", "costs",
                   "--extra-fields", "usage", "--bad-amount", "abc",
                   "--currency-switch", "eur"),
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
    assert len(keys) == 36 and len(t["admin_api_keys"]) == 3 and len(t["invites"]) == 4
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
             "/v1/organization/costs?start_time=%d" % (NOW - 5 * DAY),
             "/v1/organization/usage/completions?start_time=%d&limit=31&group_by=project_id,"
             "user_id,api_key_id,model,batch,service_tier" % (NOW - 40 * DAY),
             "/v1/organization/costs?start_time=%d&limit=90&group_by=line_item,project_id,"
             "api_key_id" % (NOW - 90 * DAY), "/v1/organization/roles",
             "/v1/organization/groups"]
    for pid in t["projects"]:
        paths.append("/v1/organization/projects/%s/api_keys?owner_project_access=any" % pid)
    for pid in t["active_projects"]:
        paths += ["/v1/organization/projects/%s/service_accounts" % pid,
                  "/v1/organization/projects/%s/users" % pid,
                  "/v1/organization/projects/%s/spend_alerts" % pid,
                  "/v1/organization/projects/%s/rate_limits" % pid]
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
def without_usage_keys_every_bucket_is_empty():
    s = sim("quiet")
    assert s.truth()["usage"]["rows"]["completions"] == []
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


# --------------------------------------------------------------------------
# Usage and costs

ORG = "/v1/organization"
USAGE = ORG + "/usage/"
COSTS = ORG + "/costs"
KINDS = ("completions", "embeddings", "moderations", "images", "audio_speeches",
         "audio_transcriptions", "vector_stores", "code_interpreter_sessions",
         "file_search_calls", "web_search_calls")
IDS4 = {"project_id": (S, N), "user_id": (S, N), "api_key_id": (S, N), "model": (S, N)}
COMPLETION_COUNTERS = (
    "input_tokens", "input_cached_tokens", "input_cache_write_tokens", "input_uncached_tokens",
    "output_tokens", "input_text_tokens", "output_text_tokens", "input_cached_text_tokens",
    "input_audio_tokens", "input_cached_audio_tokens", "output_audio_tokens",
    "input_image_tokens", "input_cached_image_tokens", "output_image_tokens",
    "num_model_requests")
# endpoint -> (result object, counters, dimensions and their types) as in admin-subset.yaml
RESULTS = {
    "completions": ("completions", COMPLETION_COUNTERS,
                    dict(IDS4, batch=(B, N), service_tier=(S, N))),
    "embeddings": ("embeddings", ("input_tokens", "num_model_requests"), IDS4),
    "moderations": ("moderations", ("input_tokens", "num_model_requests"), IDS4),
    "images": ("images", ("images", "num_model_requests"), dict(IDS4, size=(S, N),
                                                               source=(S, N))),
    "audio_speeches": ("audio_speeches", ("characters", "num_model_requests"), IDS4),
    "audio_transcriptions": ("audio_transcriptions", ("seconds", "num_model_requests"), IDS4),
    "vector_stores": ("vector_stores", ("usage_bytes",), {"project_id": (S, N)}),
    "code_interpreter_sessions": ("code_interpreter_sessions", ("num_sessions",),
                                  {"project_id": (S, N)}),
    "file_search_calls": ("file_searches", ("num_requests",),
                          {"project_id": (S, N), "user_id": (S, N), "api_key_id": (S, N),
                           "vector_store_id": (S, N)}),
    "web_search_calls": ("web_searches", ("num_model_requests", "num_requests"),
                         dict(IDS4, context_level=(S, N))),
}
COST_DIMS = ("project_id", "line_item", "api_key_id")
REQUEST_KINDS = ("completions", "embeddings", "moderations", "images", "audio_speeches",
                 "audio_transcriptions", "web_search_calls")
TRUTH_DIMS = ("project_id", "user_id", "api_key_id", "model")


def raw_json(body):
    """JSON with every number kept as its text (Decimal-exact checks)."""
    return json.loads(body, parse_float=str, parse_int=str, parse_constant=str)


def usage_walk(s, path, limit=31, key=ADMIN, **params):
    """Every bucket of a usage or costs query, following next_page; checks the
    envelope and that buckets follow each other."""
    q = "&".join("%s=%s" % (k, v) for k, v in params.items())
    sep = "&" if "?" in path else "?"
    buckets, page = [], None
    for _ in range(1000):
        doc = s.get("%s%s%s&limit=%d%s" % (path, sep, q, limit, "&page=" + page if page else ""),
                    key=key)
        assert set(doc) == {"object", "data", "has_more", "next_page"} and \
            doc["object"] == "page", doc.keys()
        assert len(doc["data"]) <= limit
        buckets += doc["data"]
        if not doc["has_more"]:
            assert doc["next_page"] is None
            break
        page = doc["next_page"]
    for a, b in zip(buckets, buckets[1:]):
        assert a["end_time"] == b["start_time"]
    return buckets


def group_all(kind):
    return ",".join(RESULTS[kind][2]) if kind != "costs" else ",".join(COST_DIMS)


def window(s):
    return s.truth()["usage"]["window"]


def daily_sums(buckets, kind):
    """{(day, project_id, user_id, api_key_id, model): {counter: sum}} of buckets."""
    out = {}
    for b in buckets:
        for r in b["results"]:
            key = (b["start_time"],) + tuple(r.get(n) for n in TRUTH_DIMS)
            acc = out.setdefault(key, {c: 0 for c in RESULTS[kind][1]})
            for c in RESULTS[kind][1]:
                acc[c] += r[c]
    return out


def truth_rows(t, kind):
    return {(r["day"],) + tuple(r[n] for n in TRUTH_DIMS):
            {c: r[c] for c in RESULTS[kind][1]} for r in t["usage"]["rows"][kind]}


def cost_key(day, r):
    return (day, r["project_id"], r["line_item"], r["api_key_id"])


def check_result(kind, r, grouped):
    obj, counters, dims = RESULTS[kind]
    assert r["object"] == "organization.usage.%s.result" % obj, r
    check_shape(r, dict({"object": S}, **{c: I for c in counters}, **dims), kind)
    for d in dims:
        assert (r[d] is None) == (d not in grouped) or d in grouped, (kind, d, r)
        if d not in grouped:
            assert r[d] is None, (kind, d, r)


def check_cost(r, grouped):
    check_shape(r, {"object": S, "amount": dict, "line_item": (S, N), "project_id": (S, N),
                    "api_key_id": (S, N), "quantity": (I, N), "quantity_unit": (S, N)},
                "costs")
    assert r["object"] == "organization.costs.result"
    assert set(r["amount"]) == {"value", "currency"} and r["amount"]["currency"] == "usd"
    for d in COST_DIMS:
        if d not in grouped:
            assert r[d] is None, (d, r)
    if "line_item" not in grouped:
        assert r["quantity"] is None and r["quantity_unit"] is None


@test
def every_usage_endpoint_and_costs_answer_the_official_shapes():
    s = sim("main")
    start = window(s)["start"]
    for kind in KINDS + ("costs",):
        path = COSTS if kind == "costs" else USAGE + kind
        for grouped in ((), tuple(group_all(kind).split(","))):
            buckets = usage_walk(s, path, start_time=start,
                                 **({"group_by": ",".join(grouped)} if grouped else {}))
            seen = 0
            for b in buckets:
                assert set(b) == {"object", "start_time", "end_time", "results"}
                assert b["object"] == "bucket" and b["end_time"] - b["start_time"] == DAY
                assert b["start_time"] % DAY == 0
                for r in b["results"]:
                    seen += 1
                    (check_cost(r, grouped) if kind == "costs" else
                     check_result(kind, r, grouped))
                if not grouped:
                    assert len(b["results"]) <= 1
            assert seen, "no %s results" % kind
    assert any(not b["results"] for b in usage_walk(s, USAGE + "images", start_time=start))


@test
def usage_parameters_are_checked_like_openai():
    s = sim("main")
    start = NOW - 3 * DAY
    for width, default, most in (("1d", 7, 31), ("1h", 24, 168), ("1m", 60, 1440)):
        base = USAGE + "completions?start_time=%d&bucket_width=%s" % (start - 40 * DAY, width)
        assert len(s.get(base)["data"]) == default
        assert len(s.get(base + "&limit=%d" % most)["data"]) == most
        for bad in (0, most + 1):
            e = error_of(s.request(base + "&limit=%d" % bad), 400)
            assert e["param"] == "limit", e
    base = COSTS + "?start_time=%d" % (start - 200 * DAY)
    assert len(s.get(base)["data"]) == 7 and len(s.get(base + "&limit=180")["data"]) == 180
    e = error_of(s.request(base + "&limit=181"), 400)
    assert e["param"] == "limit" and e["code"] == "integer_above_max_value"
    cases = [(COSTS + "?start_time=%d&bucket_width=1m" % start, "bucket_width"),
             (USAGE + "completions?start_time=%d&bucket_width=2h" % start, "bucket_width"),
             (USAGE + "completions?start_time=%d&group_by=line_item" % start, "group_by"),
             (USAGE + "vector_stores?start_time=%d&group_by=user_id" % start, "group_by"),
             (USAGE + "embeddings?start_time=%d&group_by[]=model,batch" % start, "group_by"),
             (COSTS + "?start_time=%d&group_by=model" % start, "group_by"),
             (USAGE + "images?start_time=%d&sizes[]=7x7" % start, "sizes"),
             (USAGE + "images?start_time=%d&sources=image.paint" % start, "sources"),
             (USAGE + "web_search_calls?start_time=%d&context_levels=max" % start,
              "context_levels"),
             (USAGE + "completions?start_time=%d&batch=maybe" % start, "batch"),
             (USAGE + "completions", "start_time"),
             (USAGE + "completions?start_time=%d&end_time=soon" % start, "end_time")]
    for path, param in cases:
        e = error_of(s.request(path), 400)
        assert e["param"] == param, (path, e)
    error_of(s.request(USAGE + "nothing?start_time=%d" % start), 404)
    for kind in KINDS:
        groups = {"completions": "batch,service_tier", "images": "size,source",
                  "web_search_calls": "context_level", "file_search_calls": "vector_store_id"}
        s.get(USAGE + kind + "?start_time=%d&group_by=project_id" % start)
        if kind in groups:
            s.get(USAGE + kind + "?start_time=%d&group_by=%s" % (start, groups[kind]))


@test
def group_by_is_accepted_repeated_bracketed_or_comma_joined():
    s = sim("main")
    base = USAGE + "completions?start_time=%d&limit=5" % (NOW - 4 * DAY)
    forms = ["&group_by=api_key_id&group_by=model", "&group_by[]=api_key_id&group_by[]=model",
             "&group_by%5B%5D=model&group_by%5B%5D=api_key_id", "&group_by=model,api_key_id",
             "&group_by=api_key_id,%20model"]
    bodies = {s.request(base + f)[2] for f in forms}
    assert len(bodies) == 1, len(bodies)
    doc = json.loads(bodies.pop())
    rows = [r for b in doc["data"] for r in b["results"]]
    assert rows and all(r["api_key_id"] and r["model"] and r["project_id"] is None and
                        r["batch"] is None for r in rows)


@test
def filters_select_rows_repeated_or_bracketed():
    s = sim("main")
    t = s.truth()
    start = t["usage"]["window"]["start"]
    full = usage_walk(s, USAGE + "completions", start_time=start, group_by=group_all(
        "completions"))
    rows = [r for b in full for r in b["results"]]
    keys = sorted({r["api_key_id"] for r in rows})[:2]
    projects = sorted({r["project_id"] for r in rows})[:1]
    model = rows[0]["model"]
    user = next(r["user_id"] for r in rows if r["user_id"])
    cases = {"api_key_ids[]=%s&api_key_ids[]=%s" % tuple(keys): lambda r: r["api_key_id"] in keys,
             "api_key_ids=%s&api_key_ids=%s" % tuple(keys): lambda r: r["api_key_id"] in keys,
             "project_ids=%s" % projects[0]: lambda r: r["project_id"] in projects,
             "models[]=%s&batch=true" % model: lambda r: r["model"] == model and r["batch"],
             "batch=false": lambda r: r["batch"] is False,
             "user_ids[]=%s" % user: lambda r: r["user_id"] == user}
    for q, keep in cases.items():
        got = usage_walk(s, USAGE + "completions?" + q, start_time=start,
                         group_by=group_all("completions"))
        assert [[r for r in b["results"]] for b in got] == \
            [[r for r in b["results"] if keep(r)] for b in full], q
    costs = usage_walk(s, COSTS + "?project_ids[]=" + projects[0], start_time=start,
                       group_by="project_id")
    assert {r["project_id"] for b in costs for r in b["results"]} == set(projects)


@test
def buckets_align_to_utc_midnight_and_end_time_is_exclusive():
    s = sim("main")
    mid = NOW - 5 * DAY + 7 * 3600 + 123
    midnight = mid - mid % DAY
    doc = s.get(USAGE + "completions?start_time=%d&end_time=%d" % (mid, midnight + 3 * DAY))
    assert [b["start_time"] for b in doc["data"]] == [midnight + k * DAY for k in range(3)]
    doc = s.get(USAGE + "completions?start_time=%d&end_time=%d" % (mid, midnight + 3 * DAY + 1))
    assert len(doc["data"]) == 4
    doc = s.get(USAGE + "completions?start_time=%d&bucket_width=1h&end_time=%d"
                % (mid, mid + 2 * 3600))
    assert [b["start_time"] for b in doc["data"]] == [mid - mid % 3600 + h * 3600
                                                     for h in range(3)]
    doc = s.get(COSTS + "?start_time=%d&end_time=%d" % (midnight, midnight + DAY))
    assert len(doc["data"]) == 1 and doc["data"][0]["end_time"] == midnight + DAY
    today = s.get(COSTS + "?start_time=%d" % (NOW - NOW % DAY))["data"]
    assert len(today) == 1 and today[0]["end_time"] == NOW - NOW % DAY + DAY


@test
def page_tokens_are_bound_to_their_query():
    s = sim("main")
    base = USAGE + "completions?start_time=%d&limit=3&group_by=model" % (NOW - 20 * DAY)
    first = s.get(base)
    tok = first["next_page"]
    assert re.fullmatch("page_[A-Za-z0-9_-]+=*", tok) and first["has_more"]   # URL-safe
    assert s.get(base + "&page=" + tok)["data"][0]["start_time"] == \
        first["data"][-1]["end_time"]
    same = USAGE + "completions?limit=3&group_by=model&start_time=%d&page=%s" % (
        NOW - 20 * DAY, tok)
    assert s.get(same) == s.get(base + "&page=" + tok)      # order of parameters is free
    for other in (base.replace("limit=3", "limit=4"), base.replace("model", "api_key_id"),
                  base + "&end_time=%d" % NOW, base + "&models=gpt-4o-2024-08-06",
                  base.replace("completions", "embeddings")):
        e = error_of(s.request(other + "&page=" + tok), 400)
        assert e["param"] == "page" and "other parameters" in e["message"], e
    for junk in ("nonsense", "page_AAAA", "page_" + "A" * 20 + "=="):
        e = error_of(s.request(base + "&page=" + junk), 400)
        assert e["param"] == "page" and "not a valid page token" in e["message"], e
    ctok = s.get(COSTS + "?start_time=%d&limit=2" % (NOW - 20 * DAY))["next_page"]
    error_of(s.request(base + "&page=" + ctok), 400)


@test
def usage_and_costs_match_the_ground_truth():
    s = sim("main")
    t = s.truth()
    start = t["usage"]["window"]["start"]
    for kind in KINDS:
        buckets = usage_walk(s, USAGE + kind, start_time=start, group_by=group_all(kind))
        assert daily_sums(buckets, kind) == truth_rows(t, kind), kind
        total = usage_walk(s, USAGE + kind, start_time=start)
        for b, g in zip(total, buckets):
            sums = {c: sum(r[c] for r in g["results"]) for c in RESULTS[kind][1]}
            assert b["results"] == ([] if not g["results"] else [dict(
                {"object": b["results"][0]["object"]}, **sums,
                **{d: None for d in RESULTS[kind][2]})]), kind
    costs = usage_walk(s, COSTS, start_time=start, group_by=group_all("costs"))
    served = {cost_key(b["start_time"], r): r for b in costs for r in b["results"]}
    want = {cost_key(r["day"], r): r for r in t["usage"]["costs"]["rows"]}
    assert set(served) == set(want)
    for k, r in want.items():
        v = served[k]["amount"]["value"]
        assert Decimal(str(v)) == Decimal(r["amount"]), (k, v, r["amount"])
        assert (served[k]["quantity"], served[k]["quantity_unit"]) == \
            (r["quantity"], r["quantity_unit"])
    total = sum(Decimal(r["amount"]) for r in want.values())
    assert Decimal(t["usage"]["costs"]["total"]) == total
    for name in ("project_id", "api_key_id", "line_item"):
        sums = {}
        for r in want.values():
            sums[r[name]] = sums.get(r[name], 0) + Decimal(r["amount"])
        assert {x[name]: Decimal(x["amount"]) for x in t["usage"]["costs"]["totals"][name]} \
            == sums, name
    items = {r["line_item"] for r in want.values()}
    assert {"web search tool calls", "file storage", "vector store storage",
            "code interpreter sessions"} <= items
    assert any(i.endswith(", input") for i in items) and any(i.endswith(", output")
                                                            for i in items)
    assert any(r["api_key_id"] is None and r["project_id"] for r in want.values())
    assert any(r["project_id"] is None for r in want.values())


@test
def finer_buckets_add_up_to_the_coarser_ones():
    s = sim("main")
    day = NOW - NOW % DAY - DAY            # yesterday: hourly detail
    old = day - 20 * DAY                   # one row per key and day
    for d in (day, old):
        daily = s.get(USAGE + "completions?start_time=%d&limit=1&group_by=api_key_id" % d)
        hourly = s.get(USAGE + "completions?start_time=%d&bucket_width=1h&group_by=api_key_id"
                       % d)["data"]
        assert len(hourly) == 24

        def per_key(buckets):
            out = {}
            for b in buckets:
                for r in b["results"]:
                    out[r["api_key_id"]] = out.get(r["api_key_id"], 0) + r["num_model_requests"]
            return out
        assert per_key(hourly) == per_key(daily["data"]) and per_key(hourly)
        busy = max(hourly, key=lambda b: len(b["results"]))
        minutes = s.get(USAGE + "completions?start_time=%d&bucket_width=1m&group_by=api_key_id"
                        % busy["start_time"])["data"]
        assert per_key(minutes) == per_key([busy])
    spread = [b for b in s.get(USAGE + "completions?start_time=%d&bucket_width=1h" % day)
              ["data"] if b["results"]]
    assert len(spread) >= 6, len(spread)


@test
def amounts_are_exact_numbers_or_decimal_strings():
    s = sim("main")
    t = s.truth()
    start = t["usage"]["window"]["start"]
    status, _, body = s.request(COSTS + "?start_time=%d&limit=180&group_by=%s"
                                % (start, group_all("costs")))
    doc = raw_json(body)
    truth = {cost_key(r["day"], r): r["amount"] for r in t["usage"]["costs"]["rows"]}
    kinds = set()
    numbers = re.findall(rb'"value":([0-9][^,}]*)', body)
    for text in numbers:
        digits = text.replace(b".", b"").lstrip(b"0").rstrip(b"0")
        assert b"e" not in text.lower() and len(digits) <= 15, text
        assert Decimal(repr(float(text))) == Decimal(text.decode()), text   # a double holds it
    for b in doc["data"]:
        for r in b["results"]:
            v = r["amount"]["value"]
            is_string = b'"value":"%s"' % v.encode() in body
            kinds.add("string" if is_string else "number")
            if is_string:
                assert re.fullmatch(r"-?\d+(\.\d{1,12})?", v), v
                if "." in v and len(v.split(".")[1]) == 12 and v.endswith("0"):
                    kinds.add("padded")
            assert Decimal(v) == Decimal(truth[cost_key(int(b["start_time"]), r)])
    assert kinds == {"number", "string", "padded"}, kinds
    twelve = [a for a in truth.values() if "." in a and len(a.split(".")[1]) == 12]
    assert twelve and all(re.fullmatch(r"\d+(\.\d{1,12})?", a) for a in truth.values())


@test
def usage_is_consistent_with_the_org():
    s = sim("main")
    t = s.truth()
    d = served(s)
    keys = {k["id"]: k for k in d["keys"]}
    u = t["usage"]
    woken = {w["api_key_id"] for w in u["wakeups"] if w["why"] == "stale"}
    rows = [(kind, r) for kind in KINDS for r in u["rows"][kind]]
    listed_with_traffic = {r["api_key_id"] for _, r in rows if r["api_key_id"] in keys}
    assert len(listed_with_traffic) == 8 == len(set(u["traffic_keys"]) & set(keys))
    for kind, r in rows:
        k = keys.get(r["api_key_id"])
        if k is None:
            continue
        o = k["owner"]
        assert r["project_id"] == k["_project"], r
        assert r["user_id"] == (o["user"]["id"] if o["type"] == "user" else None), r
        assert r["day"] >= k["created_at"] - k["created_at"] % DAY, r
        if k["id"] not in woken:
            assert k["last_used_at"] is not None and r["day"] <= k["last_used_at"], (r, k)
    for kid in woken:
        assert keys[kid]["id"] in t["stale"]
    hourly = s.get(USAGE + "completions?start_time=%d&bucket_width=1h&limit=168&group_by="
                   "api_key_id" % (NOW - 7 * DAY))["data"]
    for b in hourly:
        for r in b["results"]:
            k = keys.get(r["api_key_id"])
            if k and k["id"] not in woken and b["start_time"] >= NOW - 2 * DAY:
                assert b["start_time"] <= k["last_used_at"], (b["start_time"], k)
    kinds = {x["kind"] for x in u["unmapped"]}
    assert kinds == {"api_key", "user", "project"}, kinds
    for x in u["unmapped"]:
        listed = {"api_key": keys, "user": set(t["users"]), "project": set(t["projects"])}
        assert x["id"] not in listed[x["kind"]]
    assert any(x["id"] in t["departed_users"] for x in u["unmapped"] if x["kind"] == "user")
    assert u["models"] == ["gpt-4o-2024-08-06", "gpt-4o-mini-2024-07-18",
                           "gpt-4o-audio-preview-2024-12-17"]
    assert {r["model"] for r in u["rows"]["completions"]} <= set(u["models"])


def requests_per_key_day(u):
    out = {}
    for kind in REQUEST_KINDS:
        for r in u["rows"][kind]:
            k = (r["api_key_id"], r["day"])
            out[k] = out.get(k, 0) + r["num_model_requests"]
    return out


@test
def planted_spikes_wakeups_and_unmapped_ids_follow_their_definitions():
    s = sim("main")
    t = s.truth()
    u = t["usage"]
    first = u["window"]["start"]
    req = requests_per_key_day(u)
    spikes = []
    for (kid, day), n in sorted(req.items()):
        prev = sorted(req.get((kid, day - i * DAY), 0) for i in range(1, 15))
        median = (prev[6] + prev[7]) / 2
        if n >= 100 and day - 14 * DAY >= first and median > 0 and n >= 10 * median:
            spikes.append({"api_key_id": kid, "day": day, "count": n, "median": median})
    assert u["spikes"] == spikes and len(spikes) >= 1
    assert {x["api_key_id"] for x in spikes} >= set(u["planted"]["spike"])
    days = {}
    for kind in KINDS:
        for r in u["rows"][kind]:
            if r["api_key_id"]:
                days.setdefault(r["api_key_id"], set()).add(r["day"])
    keys = {k["id"]: k for k in t["api_keys"]}
    left = {e["user.deleted"]["id"]: e["effective_at"]
            for e in crawl(s, AUDIT + "?event_types[]=user.deleted")}
    want = []
    for kid, ds in sorted(days.items()):
        ds = sorted(ds)
        k = keys.get(kid)
        if k and k["stale"]:
            want.append({"api_key_id": kid, "day": ds[0], "why": "stale"})
        if k and k["owner_id"] in left:
            after = [x for x in ds if x > left[k["owner_id"]] - left[k["owner_id"]] % DAY]
            if after:
                want.append({"api_key_id": kid, "day": after[0], "why": "orphan"})
        want += [{"api_key_id": kid, "day": b, "why": "gap"} for a, b in zip(ds, ds[1:])
                 if b - a > 90 * DAY]
    assert u["wakeups"] == sorted(want, key=lambda w: (w["api_key_id"], w["day"], w["why"]))
    whys = {}
    for w in u["wakeups"]:
        whys.setdefault(w["why"], set()).add(w["api_key_id"])
    assert set(u["planted"]["stale"]) == whys["stale"]
    assert set(u["planted"]["orphan"]) <= whys["orphan"] and "gap" not in whys
    for kid in u["planted"]["stale"]:      # the key list still says stale: it lags
        assert keys[kid]["stale"] and min(days[kid]) >= NOW - NOW % DAY - 2 * DAY
    listed = {"api_key": set(keys), "user": set(t["users"]), "project": set(t["projects"])}
    user_of = {r["api_key_id"]: r["user_id"] for r in u["rows"]["completions"]}
    expect = {}
    for kind in KINDS:
        for r in u["rows"][kind]:
            n = r.get("num_model_requests", 0) if kind in REQUEST_KINDS else 0
            for what, oid in (("api_key", r["api_key_id"]), ("user", r["user_id"]),
                              ("project", r["project_id"])):
                if oid and oid not in listed[what]:
                    e = expect.setdefault((what, oid), [0, Decimal(0), set()])
                    e[0] += n
                    e[2].add(r["day"])
    for r in u["costs"]["rows"]:
        for what, oid in (("api_key", r["api_key_id"]), ("project", r["project_id"]),
                          ("user", user_of.get(r["api_key_id"]))):
            if oid and oid not in listed[what]:
                e = expect.setdefault((what, oid), [0, Decimal(0), set()])
                e[1] += Decimal(r["amount"])
                e[2].add(r["day"])
    got = {(x["kind"], x["id"]): x for x in u["unmapped"]}
    assert set(got) == set(expect)
    for k, (n, amount, ds) in expect.items():
        x = got[k]
        assert (x["requests"], Decimal(x["amount"]), x["first_day"], x["last_day"]) == \
            (n, amount, min(ds), max(ds)), (k, x)


@test
def a_gap_longer_than_stale_days_is_planted_when_the_window_allows():
    s = sim("gap")
    u = s.truth()["usage"]
    gaps = [w for w in u["wakeups"] if w["why"] == "gap"]
    assert [w["api_key_id"] for w in gaps] == u["planted"]["gap"], gaps
    kid = gaps[0]["api_key_id"]
    days = sorted({r["day"] for kind in KINDS for r in u["rows"][kind]
                   if r["api_key_id"] == kid})
    assert days[0] == u["window"]["start"] and days[1] == gaps[0]["day"]
    assert days[1] - days[0] > 90 * DAY
    assert u["window"]["start"] == NOW - NOW % DAY - 120 * DAY


@test
def revisions_change_recent_buckets_and_the_truth_says_which():
    s = sim("revise")
    before = s.truth()
    start = NOW - NOW % DAY - 8 * DAY
    served_before = {k: usage_walk(s, USAGE + k, start_time=start, group_by=group_all(k))
                     for k in KINDS}
    res = s.post("/_sim/usage/revise", {"seed": 4})
    after = s.truth()
    assert res["revision"] == 1 and res["changed"] == after["usage"]["revisions"]
    changes = res["changed"]
    assert json.load(open(s.truth_file)) == after
    daily = {}
    for c in changes:
        assert set(c) == {"revision", "endpoint", "bucket_width", "start_time", "group"}
        age = NOW - c["start_time"]
        if c["endpoint"] == "costs":
            assert c["bucket_width"] == "1d" and DAY <= age <= 8 * DAY
            assert set(c["group"]) == set(COST_DIMS)
        else:
            assert set(c["group"]) == set(TRUTH_DIMS) and age <= 7 * DAY + DAY
            if c["bucket_width"] == "1h":
                daily.setdefault(c["endpoint"], []).append(c["start_time"])
    recent = [h for hs in daily.values() for h in hs if h >= NOW - 2 * DAY - 3600]
    assert len(recent) >= 1 and sum(len(h) for h in daily.values()) >= 4
    for kind in KINDS:
        b, a = truth_rows(before, kind), truth_rows(after, kind)
        assert set(a) == set(b)
        moved = {k for k in a if a[k] != b[k]}
        listed = {(c["start_time"],) + tuple(c["group"][n] for n in TRUTH_DIMS)
                  for c in changes if c["endpoint"] == kind and c["bucket_width"] == "1d"}
        assert moved == listed, kind
        assert all(any(a[k][c] > b[k][c] for c in a[k]) for k in moved)
        now_served = usage_walk(s, USAGE + kind, start_time=start, group_by=group_all(kind))
        assert (now_served != served_before[kind]) == bool(moved), kind
    bc = {cost_key(r["day"], r): r["amount"] for r in before["usage"]["costs"]["rows"]}
    ac = {cost_key(r["day"], r): r["amount"] for r in after["usage"]["costs"]["rows"]}
    moved = {k for k in ac if ac[k] != bc[k]}
    assert moved == {(c["start_time"], c["group"]["project_id"], c["group"]["line_item"],
                      c["group"]["api_key_id"]) for c in changes if c["endpoint"] == "costs"}
    assert len(moved) == 3
    twin = sim("revise_twin")
    assert twin.post("/_sim/usage/revise", {"seed": 4}) == res
    again = s.post("/_sim/usage/revise", {"seed": 4})
    assert again["revision"] == 2 and again["changed"] != res["changed"]
    for body in ({"seed": "x"}, {"seed": 1, "more": 2}, [1]):
        st, _, _ = s.request("/_sim/usage/revise", key=None, method="POST",
                             body=json.dumps(body).encode())
        assert st == 400, body


@test
def time_moving_ahead_grows_todays_bucket_and_nothing_before():
    s = sim("clock")
    today = NOW - NOW % DAY
    q = USAGE + "completions?start_time=%d&bucket_width=1h&limit=48&group_by=api_key_id" % (
        today - DAY)
    keys0 = {k["id"]: k for k in s.truth()["api_keys"]}
    hours0 = s.get(q)["data"]
    day0 = s.get(USAGE + "completions?start_time=%d&limit=1" % today)["data"][0]
    cost0 = s.get(COSTS + "?start_time=%d&limit=1" % today)["data"][0]
    assert s.post("/_sim/clock", {"advance_seconds": 6 * 3600}) == {"now": NOW + 6 * 3600}
    t = s.truth()
    assert t["now"] == NOW + 6 * 3600 and t["usage"]["window"]["end"] == NOW + 6 * 3600
    hours1 = s.get(q)["data"]
    done = [b for b in hours0 if b["end_time"] <= NOW]
    assert hours1[:len(done)] == done
    day1 = s.get(USAGE + "completions?start_time=%d&limit=1" % today)["data"][0]
    n0, n1 = (d["results"][0]["num_model_requests"] for d in (day0, day1))
    assert n1 > n0, (n0, n1)
    cost1 = s.get(COSTS + "?start_time=%d&limit=1" % today)["data"][0]
    assert Decimal(str(cost1["results"][0]["amount"]["value"])) > \
        Decimal(str(cost0["results"][0]["amount"]["value"]))
    new = [r for b in hours1 if b["start_time"] >= NOW for r in b["results"]]
    assert new
    keys1 = {k["id"]: k for k in t["api_keys"]}
    for r in new:
        k = keys1.get(r["api_key_id"])
        if k and k["id"] not in t["usage"]["planted"]["stale"]:
            assert k["last_used_at"] > NOW and k["last_used_at"] > keys0[k["id"]]["last_used_at"]
    for kid in t["usage"]["planted"]["stale"]:
        assert keys1[kid]["last_used_at"] == keys0[kid]["last_used_at"]
    for body in ({"advance_seconds": -1}, {"advance_seconds": "1"}, {}, {"now": 5}):
        st, _, _ = s.request("/_sim/clock", key=None, method="POST",
                             body=json.dumps(body).encode())
        assert st == 400, body


@test
def usage_page_faults_cursor_data_and_extra_fields():
    s = sim("faults")
    base = "?start_time=%d&limit=2" % (NOW - 10 * DAY)
    try:
        s.post("/_sim/config", {"stuck_cursor": ["usage"]})
        first = s.get(USAGE + "moderations" + base)
        again = s.get(USAGE + "moderations" + base + "&page=" + first["next_page"])
        assert again == first and first["has_more"]
        s.post("/_sim/config", {"stuck_cursor": [], "missing_next_page": ["costs"],
                                "missing_data": ["usage"], "extra_fields": ["costs"]})
        doc = s.get(COSTS + base)
        assert doc["has_more"] is True and doc["next_page"] is None
        last = s.get(COSTS + "?start_time=%d&limit=2" % (NOW - DAY))
        assert last["has_more"] is False and last["next_page"] is None
        doc = s.get(USAGE + "completions" + base)
        assert set(doc) == {"object", "has_more", "next_page"} and doc["next_page"]
        doc = s.get(COSTS + base + "&group_by=project_id")
        for b in doc["data"]:
            assert b["timezone"] == "UTC"
            for r in b["results"]:
                assert r["organization_id"] == s.truth()["org_id"]
    finally:
        s.post("/_sim/config", {"stuck_cursor": [], "missing_next_page": [],
                                "missing_data": [], "extra_fields": []})
    for body in ({"missing_data": ["users"]}, {"extra_fields": "usage"},
                 {"bad_amount": "zero"}, {"currency_switch": "EUR"}):
        st, _, _ = s.request("/_sim/config", key=None, method="POST",
                             body=json.dumps(body).encode())
        assert st == 400, body


@test
def costs_faults_bad_amount_and_currency_switch():
    s = sim("faults")
    q = COSTS + "?start_time=%d&limit=4&group_by=line_item" % (NOW - 6 * DAY)
    clean = s.get(q)
    try:
        for bad, token in (("abc", b'"value":"abc"'), ("NaN", b'"value":NaN')):
            s.post("/_sim/config", {"bad_amount": bad})
            st, _, body = s.request(q)
            assert st == 200 and body.count(token) == 1, bad
            doc = json.loads(body)            # Python reads NaN; strict parsers do not
            first = next(b for b in doc["data"] if b["results"])
            assert first["results"][1:] == next(b for b in clean["data"]
                                                if b["results"])["results"][1:]
        s.post("/_sim/config", {"bad_amount": None, "currency_switch": "eur"})
        doc = s.get(q)
        cur = [[r["amount"]["currency"] for r in b["results"]] for b in doc["data"]]
        assert set(cur[0]) == {"usd"} and all(set(c) == {"eur"} for c in cur[1:]), cur
        nxt = s.get(q + "&page=" + doc["next_page"])
        assert {r["amount"]["currency"] for b in nxt["data"] for r in b["results"]} == {"eur"}
        usage = s.get(USAGE + "completions?start_time=%d" % (NOW - 6 * DAY))
        assert b"eur" not in json.dumps(usage).encode()
    finally:
        s.post("/_sim/config", {"bad_amount": None, "currency_switch": None})
    assert s.get(q) == clean


@test
def usage_page_faults_from_the_command_line():
    s = sim("pagefaults")
    cfg = s.get("/_sim/config", key=None)
    assert (cfg["missing_next_page"], cfg["missing_data"], cfg["extra_fields"],
            cfg["bad_amount"], cfg["currency_switch"]) == (["usage"], ["costs"], ["usage"],
                                                            "abc", "eur")
    doc = s.get(USAGE + "completions?start_time=%d&limit=2" % (NOW - 9 * DAY))
    assert doc["has_more"] and doc["next_page"] is None
    assert all(b["timezone"] == "UTC" for b in doc["data"])
    doc = s.get(COSTS + "?start_time=%d&limit=2" % (NOW - 9 * DAY))
    assert "data" not in doc and doc["next_page"]
    for args in (["--missing-data", "users"], ["--bad-amount", "0"], ["--currency-switch", "EU"],
                 ["--usage-models", "9"], ["--usage-days", "0"], ["--usage-keys", "-1"],
                 ["--owners", "0"], ["--admin-key", ADMIN, "--admin-key-readonly", ADMIN]):
        r = subprocess.run([sys.executable, str(SIM)] + args, capture_output=True, timeout=20)
        assert r.returncode == 2 and b"usage:" in r.stderr, args


@test
def truth_usage_modes_and_the_truth_file():
    s = sim("main")
    full = s.truth()
    summary = s.get("/_sim/truth?usage=summary", key=None)
    bare = s.get("/_sim/truth?usage=0", key=None)
    assert "usage" not in bare and dict(bare, usage=full["usage"]) == full
    assert "rows" not in summary["usage"] and "rows" not in summary["usage"]["costs"]
    u = dict(full["usage"])
    del u["rows"]
    u["costs"] = {k: v for k, v in u["costs"].items() if k != "rows"}
    assert summary["usage"] == u
    error_of(s.request("/_sim/truth?usage=maybe", key=None), 400)
    q = Sim("no-usage-file", "--truth-without-usage")
    try:
        assert json.load(open(q.truth_file)) == q.get("/_sim/truth?usage=0", key=None)
        assert "usage" in q.truth()
    finally:
        q.stop()
    t0 = time.monotonic()
    s.get("/_sim/truth", key=None)
    diag("default org: full truth %d bytes, served in %.3fs"
         % (len(s.request("/_sim/truth", key=None)[2]), time.monotonic() - t0))


@test
def forbid_and_missing_reach_every_new_stream():
    s = sim("faults")
    t = s.truth()
    pid, uid = t["active_projects"][1], t["users"][0]
    group = s.get(ORG + "/groups")["data"][0]["id"]
    paths = {"model_permissions": "/projects/%s/model_permissions" % pid,
             "project_spend_alerts": "/projects/%s/spend_alerts" % pid,
             "project_data_retention": "/projects/%s/data_retention" % pid,
             "rate_limits": "/projects/%s/rate_limits" % pid, "spend_alerts": "/spend_alerts",
             "data_retention": "/data_retention", "roles": "/roles",
             "user_roles": "/users/%s/roles" % uid, "groups": "/groups",
             "group_users": "/groups/%s/users" % group, "group_roles": "/groups/%s/roles" % group,
             "usage": "/usage/images?start_time=%d" % NOW,
             "costs": "/costs?start_time=%d" % NOW}
    try:
        for stream, path in paths.items():
            assert s.request(ORG + path)[0] == 200, path
            s.post("/_sim/config", {"forbid": [stream]})
            assert error_of(s.request(ORG + path), 403)["code"] == "insufficient_permissions"
            s.post("/_sim/config", {"forbid": [], "missing": [stream]})
            error_of(s.request(ORG + path), 404)
            s.post("/_sim/config", {"missing": []})
    finally:
        s.post("/_sim/config", {"forbid": [], "missing": []})
    stats = s.get("/_sim/stats", key=None)["by_stream"]
    assert set(paths) <= set(stats)


# --------------------------------------------------------------------------
# Posture settings, roles and groups

ALERT = {"id": S, "object": S, "threshold_amount": I, "currency": S, "interval": S,
         "notification_channel": dict}
ROLE = {"object": S, "id": S, "name": S, "description": (S, N), "permissions": list,
        "resource_type": S, "predefined_role": B}
ASSIGNED = {"id": S, "name": S, "permissions": list, "resource_type": S, "predefined_role": B,
            "description": (S, N), "created_at": (I, N), "updated_at": (I, N),
            "created_by": (S, N), "created_by_user_obj": (dict, N), "metadata": (dict, N),
            "assignment_sources": (list, N)}


def next_crawl(s, path, limit=2, extra=""):
    """Every item of a "next" list, following next; checks the envelope."""
    items, after = [], None
    for _ in range(1000):
        sep = "&" if "?" in path else "?"
        doc = s.get("%s%slimit=%d%s%s" % (path, sep, limit, extra,
                                          "&after=" + after if after else ""))
        assert set(doc) == {"object", "data", "has_more", "next"} and doc["object"] == "list"
        items += doc["data"]
        if not doc["has_more"]:
            assert doc["next"] is None
            return items
        after = doc["next"]
        assert after == doc["data"][-1]["id"]
    raise AssertionError("runaway paging on " + path)


@test
def settings_endpoints_answer_the_official_shapes():
    s = sim("main")
    t = s.truth()
    raw = t["posture"]["projects"]
    modes = set()
    for pid in t["projects"]:
        base = ORG + "/projects/" + pid
        mp = s.get(base + "/model_permissions")
        check_shape(mp, {"object": S, "mode": S, "model_ids": list}, "model_permissions")
        want = raw[pid]["model_permissions"] or {"mode": "deny_list", "model_ids": []}
        assert mp == dict(want, object="project.model_permissions")
        modes.add(raw[pid]["model_permissions"] and raw[pid]["model_permissions"]["mode"])
        alerts = crawl(s, base + "/spend_alerts", 1)
        assert ids(alerts) == raw[pid]["spend_alerts"]
        for a in alerts:
            check_shape(a, ALERT, "spend alert")
            assert (a["object"], a["currency"], a["interval"]) == \
                ("project.spend_alert", "USD", "month")
            ch = a["notification_channel"]
            assert ch["type"] == "email" and set(ch) == {"type", "recipients", "subject_prefix"}
            assert set(ch["recipients"]) <= set(t["emails"])
            assert s.get(base + "/spend_alerts/" + a["id"]) == a
        error_of(s.request(base + "/spend_alerts/alert_nope"), 404)
        assert s.get(base + "/data_retention") == {"object": "project.data_retention",
                                                   "type": raw[pid]["data_retention"]}
        limits = crawl(s, base + "/rate_limits", 2)
        assert ids(limits) == raw[pid]["rate_limits"]
        for r in limits:
            assert r["object"] == "project.rate_limit" and r["id"] == "rl-" + r["model"]
            assert isinstance(r["max_requests_per_1_minute"], int)
            assert isinstance(r["max_tokens_per_1_minute"], int)
    assert modes == {None, "allow_list", "deny_list"}
    assert {raw[p]["data_retention"] for p in raw} == {"organization_default", "none",
                                                       "zero_data_retention"}
    assert any(raw[p]["spend_alerts"] for p in raw) and any(not raw[p]["spend_alerts"]
                                                            for p in raw)
    assert s.get(ORG + "/data_retention") == {"object": "organization.data_retention",
                                              "type": "modified_abuse_monitoring"}
    assert crawl(s, ORG + "/spend_alerts") == [] and t["posture"]["org"]["spend_alerts"] == []
    for sub in ("model_permissions", "spend_alerts", "data_retention", "rate_limits"):
        e = error_of(s.request(ORG + "/projects/proj_nope/" + sub), 404)
        assert e["message"] == "No project found with id 'proj_nope'."
    pid = next(p for p in t["projects"] if len(raw[p]["spend_alerts"]) == 2)
    two = s.get(ORG + "/projects/%s/spend_alerts?order=desc" % pid)["data"]
    assert ids(two) == raw[pid]["spend_alerts"][::-1]
    back = s.get(ORG + "/projects/%s/spend_alerts?limit=1&before=%s" % (pid, ids(two)[0]))
    assert ids(back["data"]) == raw[pid]["spend_alerts"][:1]
    error_of(s.request(ORG + "/projects/%s/spend_alerts?limit=101" % pid), 400)


@test
def roles_groups_and_role_holders_match_the_truth():
    s = sim("main")
    t = s.truth()
    roles = next_crawl(s, ORG + "/roles", 1)
    for r in roles:
        check_shape(r, ROLE, "role")
        assert s.get(ORG + "/roles/" + r["id"]) == r
    assert {r["name"] for r in roles} == {"Owner", "Reader", "API Group Manager",
                                          "Usage Viewer"}
    by_name = {r["name"]: r["id"] for r in roles}
    assert {r["id"] for r in roles if r["predefined_role"]} == {by_name["Owner"],
                                                                by_name["Reader"]}
    holders = {r["id"]: set() for r in roles}
    for uid in t["users"]:
        for a in next_crawl(s, ORG + "/users/%s/roles" % uid, 3):
            check_shape(a, ASSIGNED, "assigned role")
            holders[a["id"]].add(uid)
            if a["created_by_user_obj"]:
                assert a["created_by_user_obj"]["email"] in t["emails"]
    groups = next_crawl(s, ORG + "/groups", 1)
    for g in groups:
        check_shape(g, {"id": S, "name": S, "created_at": I, "is_scim_managed": B,
                        "group_type": S}, "group")
        assert s.get(ORG + "/groups/" + g["id"]) == g
        members = next_crawl(s, ORG + "/groups/%s/users" % g["id"], 1)
        assert ids(members) == sorted(ids(members), reverse=True)      # default desc
        for m in members:
            check_shape(m, {"id": S, "name": S, "email": (S, N)}, "group user")
            assert m["id"] in t["users"]
        granted = next_crawl(s, ORG + "/groups/%s/roles" % g["id"])
        assert ids(granted) == sorted(r for r, v in t["posture"]["roles"].items()
                                      if g["id"] in v["groups"])
        for r in granted:
            assert r["assignment_sources"] is None
        for m in members:
            mine = {a["id"]: a for a in next_crawl(s, ORG + "/users/%s/roles" % m["id"])}
            for r in granted:
                assert {"principal_id": g["id"], "principal_type": "group"} in \
                    mine[r["id"]]["assignment_sources"]
    assert {r: sorted(u) for r, u in holders.items()} == \
        {r: v["users"] for r, v in t["posture"]["roles"].items()}
    users = crawl(s, ORG + "/users")
    owners = sorted(u["id"] for u in users if u["role"] == "owner")
    assert sorted(holders[by_name["Owner"]]) == owners == t["owners"] and len(owners) == 4
    sources = [next(a for a in next_crawl(s, ORG + "/users/%s/roles" % u)
                    if a["id"] == by_name["Owner"])["assignment_sources"] for u in owners]
    assert None in sources and any(x and x[0]["principal_type"] == "group" for x in sources)
    error_of(s.request(ORG + "/users/user-nope/roles"), 404)
    error_of(s.request(ORG + "/groups/group_nope/users"), 404)
    error_of(s.request(ORG + "/roles/role_nope"), 404)
    first = s.get(ORG + "/roles?limit=2&order=desc")
    assert ids(first["data"]) == sorted(by_name.values(), reverse=True)[:2] and first["next"]
    error_of(s.request(ORG + "/roles?limit=1001"), 400)


def expected_findings(s, audit_logging="on"):
    """The posture findings recomputed from what the simulator serves."""
    t = s.truth()
    now = t["now"]
    d = served(s)
    listed = set(ids(d["users"]))
    out = set()
    for k in d["keys"]:
        o = k["owner"]
        pre = key_prefix(k["redacted_value"])
        if stale(k["created_at"], k["last_used_at"], now):
            out.add(("key_stale", "api_key", k["id"]))
        if k["owner_project_access"] == "inactive" or (o["type"] == "user" and
                                                       o["user"]["id"] not in listed):
            out.add(("key_orphan", "api_key", k["id"]))
        if pre == "sk-":
            out.add(("key_legacy_user", "api_key", k["id"]))
        if pre == "sk-svcacct-" and k["created_at"] < now - 90 * DAY:
            out.add(("service_account_key_old", "api_key", k["id"]))
    for k in d["admin_keys"]:
        for rule, hit in (("admin_key_stale", stale(k["created_at"], k["last_used_at"], now)),
                          ("admin_key_old", k["created_at"] < now - 90 * DAY),
                          ("admin_key_orphan", k["owner"]["id"] not in listed)):
            if hit:
                out.add((rule, "admin_api_key", k["id"]))
    org_alerts = crawl(s, ORG + "/spend_alerts")
    for p in d["projects"]:
        if p["status"] != "active":
            continue
        base = ORG + "/projects/" + p["id"]
        if s.get(base + "/model_permissions")["mode"] != "allow_list":
            out.add(("project_no_model_allowlist", "project", p["id"]))
        if not org_alerts and not crawl(s, base + "/spend_alerts"):
            out.add(("project_no_spend_alert", "project", p["id"]))
    if sum(u["role"] == "owner" and not u["is_service_account"] for u in d["users"]) > 3:
        out.add(("too_many_owners", "organization", t["org_id"]))
    if audit_logging == "off":
        out.add(("org_audit_logging_off", "organization", t["org_id"]))
    for i in d["invites"]:
        if i["status"] == "pending" and i["created_at"] < now - 30 * DAY:
            out.add(("invite_stale", "invite", i["id"]))
    return sorted(out)


def findings(t):
    return sorted((f["rule"], f["subject_type"], f["subject_id"])
                  for f in t["posture"]["findings"])


@test
def posture_findings_match_a_recomputation_from_served_data():
    s = sim("main")
    t = s.truth()
    assert t["posture"]["thresholds"] == {"stale_days": 90, "rotation_days": 90,
                                          "invite_days": 30, "max_owners": 3}
    got = findings(t)
    assert got == expected_findings(s)
    rules = {f[0] for f in got}
    assert rules == {"key_stale", "key_orphan", "key_legacy_user", "service_account_key_old",
                     "admin_key_stale", "admin_key_old", "admin_key_orphan",
                     "project_no_model_allowlist", "project_no_spend_alert",
                     "too_many_owners", "invite_stale"}, rules
    made = {e["api_key.created"]["id"]: e
            for e in crawl(s, AUDIT + "?event_types[]=api_key.created")}
    creators = t["posture"]["key_creators"]
    assert sorted(creators) == sorted(k["id"] for k in t["api_keys"])
    for kid, c in creators.items():
        e = made[kid]
        a = e["actor"]
        who = a["session"]["user"]["id"] if a["type"] == "session" else a["api_key"]["id"]
        assert (c["event_id"], c["actor_type"], c["actor_id"]) == (e["id"], a["type"], who)
    assert len({c["user_id"] for c in creators.values()}) > 5      # many creators


@test
def posture_ops_fix_and_break_each_finding():
    s = sim("posture")
    t = s.truth()
    raw = t["posture"]["projects"]
    nopolicy = next(p for p in t["active_projects"] if raw[p]["model_permissions"] is None)
    noalert = next(p for p in t["active_projects"] if not raw[p]["spend_alerts"])

    def op(body):
        res = s.post("/_sim/posture", body)
        assert res["posture"] == s.truth()["posture"] == json.load(open(s.truth_file))["posture"]
        return res["result"], set(findings(s.truth()))
    _, f = op({"op": "set_model_permissions", "project_id": nopolicy, "mode": "allow_list",
               "model_ids": ["gpt-4o-mini-2024-07-18"]})
    assert ("project_no_model_allowlist", "project", nopolicy) not in f
    assert s.get(ORG + "/projects/%s/model_permissions" % nopolicy)["mode"] == "allow_list"
    _, f = op({"op": "clear_model_permissions", "project_id": nopolicy})
    assert ("project_no_model_allowlist", "project", nopolicy) in f
    res, f = op({"op": "add_project_spend_alert", "project_id": noalert,
                 "threshold_amount": 2500})
    assert ("project_no_spend_alert", "project", noalert) not in f
    assert s.get(ORG + "/projects/%s/spend_alerts/%s" % (noalert, res["id"]))[
        "threshold_amount"] == 2500
    res, f = op({"op": "remove_project_spend_alert", "project_id": noalert})
    assert res["removed"] and ("project_no_spend_alert", "project", noalert) in f
    res, f = op({"op": "org_spend_alert", "on": True})
    assert not [x for x in f if x[0] == "project_no_spend_alert"]
    assert ids(crawl(s, ORG + "/spend_alerts")) == res["spend_alerts"]
    _, f = op({"op": "org_spend_alert", "on": False})
    assert [x for x in f if x[0] == "project_no_spend_alert"]
    for _ in range(2):
        res, f = op({"op": "remove_owner"})
    assert not [x for x in f if x[0] == "too_many_owners"] and len(s.truth()["owners"]) == 2
    roles = next_crawl(s, ORG + "/users/%s/roles" % res["user_id"])
    assert [r["name"] for r in roles] == ["Reader"]
    res, f = op({"op": "add_owner", "user_id": res["user_id"]})
    res, f = op({"op": "add_owner"})
    assert [x for x in f if x[0] == "too_many_owners"]
    updated = [e["user.updated"] for e in crawl(s, AUDIT + "?event_types[]=user.updated")]
    assert len(updated) == 4 and {"id": res["user_id"],
                                  "changes_requested": {"role": "owner"}} in updated
    res, f = op({"op": "age_invite", "days": 40})
    assert ("invite_stale", "invite", res["invite_id"]) in f
    res, f = op({"op": "accept_invite", "invite_id": res["invite_id"]})
    assert ("invite_stale", "invite", res["invite_id"]) not in f
    assert res["user_id"] in s.truth()["users"]
    assert [e["type"] for e in crawl(s, AUDIT + "?resource_ids[]=" + res["invite_id"])] == \
        ["invite.accepted", "invite.sent"]
    pending = next(i for i in crawl(s, ORG + "/invites") if i["status"] != "accepted")
    res, f = op({"op": "delete_invite", "invite_id": pending["id"]})
    error_of(s.request(ORG + "/invites/" + pending["id"]), 404)
    assert crawl(s, AUDIT + "?event_types[]=invite.deleted")[0]["invite.deleted"] == \
        {"id": pending["id"]}
    old = next(k for k in t["admin_api_keys"] if k["expected_redacted"][-4:] != ADMIN[-4:])
    res, f = op({"op": "rotate_admin_key", "key_id": old["id"]})
    assert not [x for x in f if x[2] == old["id"]]
    assert res["key_id"] in ids(crawl(s, ORG + "/admin_api_keys"))
    res, f = op({"op": "delete_admin_key", "key_id": res["key_id"]})
    sa_key = next(k for k in t["api_keys"] if k["type"] == "service_account" and
                  ("service_account_key_old", "api_key", k["id"]) in set(findings(t)))
    before = len(crawl(s, AUDIT + "?event_types[]=api_key.created"))
    res, f = op({"op": "rotate_service_account_key", "key_id": sa_key["id"]})
    assert ("service_account_key_old", "api_key", res["key_id"]) not in f
    assert not [x for x in f if x[2] == sa_key["id"]]
    assert len(crawl(s, AUDIT + "?event_types[]=api_key.created")) == before + 1
    assert s.truth()["posture"]["key_creators"][res["key_id"]]["actor_type"] == "api_key"
    dels = [(x["object"], x["via"]) for x in s.truth()["deletions"]]
    assert dels == [("organization.invite", "posture"), ("organization.admin_api_key", "posture"),
                    ("organization.admin_api_key", "posture"),
                    ("organization.project.api_key", "posture")]
    try:
        s.post("/_sim/config", {"audit_logging": "off"})
        now = s.truth()
        assert ("org_audit_logging_off", "organization", t["org_id"]) in set(findings(now))
        assert json.load(open(s.truth_file))["posture"] == now["posture"]
        assert findings(s.truth()) == expected_findings(s, "off")
    finally:
        s.post("/_sim/config", {"audit_logging": "on"})
    assert findings(s.truth()) == expected_findings(s)
    accepted = next(k["id"] for k in t["admin_api_keys"]
                    if k["expected_redacted"][-4:] == ADMIN[-4:])
    for body in ({"op": "nope"}, {"op": "add_owner", "extra": 1},
                 {"op": "set_model_permissions", "project_id": nopolicy, "mode": "allow"},
                 {"op": "set_model_permissions", "project_id": nopolicy, "mode": "allow_list",
                  "model_ids": "gpt"}, {"op": "clear_model_permissions", "project_id": "x"},
                 {"op": "org_spend_alert", "on": "yes"}, {"op": "delete_admin_key",
                                                          "key_id": accepted},
                 {"op": "age_invite", "days": 0}, [1]):
        st, _, body_ = s.request("/_sim/posture", key=None, method="POST",
                                 body=json.dumps(body).encode())
        assert st == 400, (body, body_)
    assert findings(s.truth()) == expected_findings(s)


@test
def owners_option_sets_the_number_of_owners():
    for n, flagged in ((2, False), (6, True)):
        q = Sim("owners%d" % n, "--owners", str(n), log=False)
        try:
            t = q.truth()
            assert len(t["owners"]) == n
            assert (("too_many_owners", "organization", t["org_id"]) in findings(t)) == flagged
        finally:
            q.stop()


# --------------------------------------------------------------------------
# Writes

def delete(s, path, key=ADMIN):
    return s.request(ORG + path, key=key, method="DELETE")


@test
def deletes_answer_the_deleted_objects_and_leave_the_lists():
    s = sim("writes")
    t = s.truth()
    admin = {k["expected_redacted"][-4:]: k for k in t["admin_api_keys"]}
    actor_key = admin[ADMIN[-4:]]
    owner = s.get(ORG + "/users/" + actor_key["owner_id"])
    default = next(p["id"] for p in crawl(s, ORG + "/projects") if p["name"] ==
                   "Default project")
    key = next(k for k in t["api_keys"] if k["type"] == "project" and k["project_id"]
               in t["active_projects"])
    sa_key = next(k for k in t["api_keys"] if k["type"] == "service_account")
    pid = sa_key["project_id"]
    sa = crawl(s, ORG + "/projects/%s/service_accounts" % pid)[0]
    member = crawl(s, ORG + "/projects/%s/users" % pid)[-1]
    user = next(u for u in t["human_users"] if u not in (owner["id"], member["id"]))
    old_admin = next(k for k in t["admin_api_keys"] if k["id"] != actor_key["id"] and
                     k["expected_redacted"][-4:] not in (ADMIN2[-4:], READONLY[-4:]))
    e = error_of(delete(s, "/projects/%s/api_keys/%s" % (pid, sa_key["id"])), 400)
    assert "service account" in e["message"]
    t0 = int(time.time())
    cases = [("/projects/%s/api_keys/%s" % (key["project_id"], key["id"]),
              "organization.project.api_key.deleted", key["id"], "api_key.deleted"),
             ("/projects/%s/service_accounts/%s" % (pid, sa["id"]),
              "organization.project.service_account.deleted", sa["id"],
              "service_account.deleted"),
             ("/projects/%s/users/%s" % (pid, member["id"]), "organization.project.user.deleted",
              member["id"], None),
             ("/users/" + user, "organization.user.deleted", user, "user.deleted"),
             ("/admin_api_keys/" + old_admin["id"], "organization.admin_api_key.deleted",
              old_admin["id"], None)]
    for path, obj, oid, etype in cases:
        before = set(audit_ids(s))
        st, _, body = delete(s, path)
        assert st == 200 and json.loads(body) == {"object": obj, "id": oid, "deleted": True}
        error_of(delete(s, path), 404)
        error_of(s.request(ORG + path), 404)
        grown = [s.get("/_sim/audit/event/" + i, key=None) for i in audit_ids(s)
                 if i not in before]
        if etype is None:
            assert grown == [], path
            continue
        e = next(e for e in grown if e["type"] == etype)
        assert e[etype] == {"id": oid}
        assert {x["type"] for x in grown} - {etype} <= {"api_key.deleted"}   # and its keys
        assert e["actor"] == {"type": "api_key", "api_key": {
            "id": actor_key["id"], "type": "user",
            "user": {"id": owner["id"], "email": owner["email"]}}}
        assert e["project"]["id"] == default and abs(e["effective_at"] - t0) <= 10
    after = s.truth()
    assert key["id"] not in {k["id"] for k in after["api_keys"]}
    assert sa_key["id"] not in {k["id"] for k in after["api_keys"]}
    assert sa["id"] not in after["service_accounts"] and user in after["departed_users"]
    assert old_admin["id"] not in {k["id"] for k in after["admin_api_keys"]}
    lost = [k for k in after["api_keys"] if k["owner_id"] == member["id"] and
            k["project_id"] == pid]
    assert all(k["owner_project_access"] == "inactive" and k["orphan"] for k in lost)
    assert [(d["object"], d["id"], d["via"], d["actor_key_id"]) for d in after["deletions"]] \
        == [(c[1][:-len(".deleted")], c[2], "api", actor_key["id"]) for c in cases]
    check_truth_against(s)
    assert findings(after) == expected_findings(s)


@test
def read_only_admin_keys_read_but_cannot_write():
    s = sim("writes")
    t = s.truth()
    assert s.get(ORG + "/users", key=READONLY)["data"]
    reds = {k["redacted_value"] for k in crawl(s, ORG + "/admin_api_keys")}
    assert "sk-admin-REA...rdnl" in reds
    uid = t["human_users"][-1]
    e = error_of(delete(s, "/users/" + uid, key=READONLY), 403)
    assert e["code"] == "insufficient_permissions" and "api.management.write" in e["message"]
    assert uid in s.truth()["users"]
    e = error_of(delete(s, "/users/" + uid, key="sk-admin-NOTAKEY0000000000000000000000zzzz"),
                 401)


@test
def write_faults_fail_or_lose_the_answer():
    s = sim("writes")
    t = s.truth()
    victims = [k for k in t["api_keys"] if k["type"] == "project"][-4:]
    path = "/projects/%s/api_keys/%s"
    try:
        s.post("/_sim/config", {"write_failures": 2, "write_failure_status": 503})
        for _ in range(2):
            e = error_of(delete(s, path % (victims[0]["project_id"], victims[0]["id"])), 503,
                         "server_error")
        assert victims[0]["id"] in {k["id"] for k in s.truth()["api_keys"]}
        assert s.get("/_sim/config", key=None)["write_failures"] == 0
        s.post("/_sim/config", {"write_failures": 1, "write_failure_status": 429,
                                "retry_after": 2})
        st, h, _ = delete(s, path % (victims[0]["project_id"], victims[0]["id"]))
        assert st == 429 and h["retry-after"] == "2"
        s.post("/_sim/config", {"write_failures": 1, "write_failure_status": 409})
        e = error_of(delete(s, path % (victims[0]["project_id"], victims[0]["id"])), 409)
        assert e["code"] == "simulated_failure"
        st, _, _ = delete(s, path % (victims[0]["project_id"], victims[0]["id"]))
        assert st == 200
        s.post("/_sim/config", {"write_drops": 1})
        try:
            delete(s, path % (victims[1]["project_id"], victims[1]["id"]))
            raise AssertionError("the answer was not dropped")
        except (urllib.error.URLError, http.client.HTTPException, ConnectionError):
            pass
        assert victims[1]["id"] not in {k["id"] for k in s.truth()["api_keys"]}
        error_of(delete(s, path % (victims[1]["project_id"], victims[1]["id"])), 404)
        s.post("/_sim/config", {"rate_500": 1})
        error_of(delete(s, path % (victims[2]["project_id"], victims[2]["id"])), 500,
                 "server_error")
        s.post("/_sim/config", {"rate_500": 0, "latency_ms": 200})
        t0 = time.monotonic()
        assert delete(s, path % (victims[2]["project_id"], victims[2]["id"]))[0] == 200
        assert time.monotonic() - t0 >= 0.2
    finally:
        s.post("/_sim/config", {"write_failures": 0, "write_drops": 0, "rate_500": 0,
                                "latency_ms": 0, "retry_after": 1,
                                "write_failure_status": 500})
    for bad in ({"write_failures": -1}, {"write_failure_status": 200}, {"write_drops": "1"}):
        st, _, _ = s.request("/_sim/config", key=None, method="POST",
                             body=json.dumps(bad).encode())
        assert st == 400, bad


@test
def an_admin_key_that_deletes_itself_is_refused_afterwards():
    s = sim("writes")
    second = next(k for k in s.truth()["admin_api_keys"]
                  if k["expected_redacted"][-4:] == ADMIN2[-4:])
    st, _, _ = delete(s, "/admin_api_keys/" + second["id"], key=ADMIN2)
    assert st == 200
    e = error_of(s.request(ORG + "/users", key=ADMIN2), 401)
    assert e["code"] == "invalid_api_key"
    assert s.get(ORG + "/users")["data"]


@test
def big_org_starts_fast_and_serves_usage_pages_fast():
    args = ("--users", "5000", "--projects", "500", "--keys-per-project", "40",
            "--usage-keys", "5000", "--truth-without-usage")
    t0 = time.monotonic()
    s = Sim("big", *args, log=False)
    startup = time.monotonic() - t0
    try:
        path = USAGE + "completions?start_time=%d&limit=31&group_by=project_id,user_id," \
            "api_key_id,model" % (NOW - NOW % DAY - 30 * DAY)
        c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=60)
        hdrs = {"Authorization": "Bearer " + ADMIN}

        def get(p):
            t0 = time.monotonic()
            c.request("GET", p, headers=hdrs)
            r = c.getresponse()
            data = r.read()
            assert r.status == 200, data[:200]
            return data, time.monotonic() - t0
        try:
            body, first = get(path)
            again, cached = get(path)
            assert again == body
            s.post("/_sim/config", {"latency_ms": 50})
            slow, latency = get(path)
            assert slow == body
            costs_path = COSTS + "?start_time=%d&limit=31&group_by=project_id,line_item," \
                "api_key_id" % (NOW - NOW % DAY - 30 * DAY)
            cbody, costs_first = get(costs_path)
            _, costs_again = get(costs_path)
        finally:
            c.close()
        doc = json.loads(body)
        n = sum(len(b["results"]) for b in doc["data"])
        assert len(doc["data"]) == 31 and n > 10000
        assert startup < 20 and first < 3, (startup, first)
        t0 = time.monotonic()
        s.get("/_sim/truth?usage=0", key=None)
        bare = time.monotonic() - t0
    finally:
        s.stop()
    diag("big org (5000 users, 500 projects, 20000 keys, 5000 with traffic): ready in %.2fs; "
         "truth without usage %.2fs" % (startup, bare))
    diag("31 daily buckets grouped by project,user,api_key,model: %d results, %.1f MB; first "
         "%.3fs, again %.3fs, again through 50 ms latency %.3fs" % (
             n, len(body) / 1e6, first, cached, latency))
    diag("31 daily costs buckets grouped by project_id,line_item,api_key_id: %.1f MB; first "
         "%.3fs, again %.3fs (both through 50 ms latency)" % (len(cbody) / 1e6, costs_first,
                                                                costs_again))


if __name__ == "__main__":
    run(teardown=teardown)
