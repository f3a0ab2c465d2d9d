#!/usr/bin/env python3
"""Every route through the gate, from the program's own route table.

The routes are read from `orgaudit routes --json`, so a route added later
is checked like the others without editing this file: only the routes
named in PUBLIC may answer without a session or a token; every other one
refuses a request without credentials, refuses another tenant's org with
404, and, for a session's POST, refuses a missing or foreign CSRF token
and a foreign Origin; an owner's route refuses a viewer; every answer
carries the security headers.
"""
import json
import re
import subprocess

from common import WebClient, new_stack
from tap import diag, run, test

st = new_stack("it-routes")
S = {}

# The only routes that answer without a session or a token.
# (/reset needs a reset link's one-time token instead: test_accounts.py.)
PUBLIC = {("GET", "/"), ("GET", "/login"), ("POST", "/login"),
          ("GET", "/reset"), ("POST", "/reset"),
          ("GET", "/api/v1/health"), ("GET", "/api/v1/signing-key")}


def setup():
    st.start_db()
    st.start_sim("--users", "12", "--projects", "3", "--keys-per-project",
                 "3", "--seed", "29")
    st.write_conf()
    st.init_orgaudit()
    st.start_web()
    S["ta"] = st.tenant("Routes A")
    S["tb"] = st.tenant("Routes B")
    _, S["pw"] = st.account(S["ta"], "owner@ra.example", "owner")
    S["viewer"], _ = st.account(S["ta"], "viewer@ra.example", "viewer",
                                password=S["pw"])
    st.account(S["tb"], "owner@rb.example", "owner", password=S["pw"])
    S["org_a"] = st.connect(S["ta"], name="A")
    S["org_b"] = st.connect(S["tb"], name="B")
    st.collect("--all", check=True)
    S["tok_a"] = st.token(S["ta"])
    S["tok_a_admin"] = st.token(S["ta"], scope="admin")
    S["tok_b"] = st.token(S["tb"])
    S["project"] = st.sql("SELECT id FROM oa_project WHERE org_id = %d"
                          " ORDER BY id LIMIT 1" % S["org_a"])[0][0]
    r = subprocess.run([st.bin("orgaudit"), "routes", "--json"],
                       capture_output=True, text=True, check=True)
    S["routes"] = [(m, rt) for rt in json.loads(r.stdout)
                   for m in rt["methods"]]


def path_of(rt, org):
    """A concrete path of the route: its org, an id, a project."""
    p = rt["pattern"].replace(":org", str(org), 1)
    p = p.replace("*project", S["project"])
    return re.sub(r":[a-z]+", str(S["viewer"]), p)


def client(email):
    return WebClient(st).login(email, S["pw"])


def headers_ok(method, path, h):
    csp = h.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp, \
        (method, path, csp)
    assert h.get("x-content-type-options") == "nosniff", (method, path)
    assert "max-age" in h.get("strict-transport-security", ""), (method, path)


def send(method, path, token=None, c=None, form=None, origin=True):
    """One request; (status, headers, body text), headers checked."""
    if c is not None:
        status, h, body = c.req(method, path, form=form if method == "POST"
                                else None, origin=origin)
    else:
        status, h, b = st.http(method, path, token=token,
                               body=b"" if method == "POST" else None,
                               headers={"Content-Type":
                                        "application/x-www-form-urlencoded"}
                               if method == "POST" else None)
        body = b.decode("utf-8", "replace")
    headers_ok(method, path, h)
    return status, h, body


def gated():
    return [(m, rt) for m, rt in S["routes"]
            if (m, rt["pattern"]) not in PUBLIC]


@test
def the_table_has_every_kind_of_route():
    patterns = {rt["pattern"] for _, rt in S["routes"]}
    for p in ("/orgs/:org/keys", "/api/v1/openai/orgs/:org/keys",
              "/orgs/:org/service-accounts", "/orgs/:org/admin-keys",
              "/orgs/:org/invites", "/orgs/:org/projects/*project/members",
              "/api/v1/openai/orgs/:org/projects/*project/members",
              "/orgs/:org/events", "/orgs/:org/packs", "/billing"):
        assert p in patterns, p
    diag("%d routes (method and pattern)" % len(S["routes"]))


@test
def only_the_known_routes_are_public():
    public = {(m, rt["pattern"]) for m, rt in S["routes"] if rt["public"]}
    assert public == PUBLIC, "public routes not in the list: %s" % sorted(
        public - PUBLIC)
    for m, rt in S["routes"]:
        assert rt["api"] == rt["pattern"].startswith("/api/"), rt
        assert rt["org"] == (":org" in rt["pattern"]), rt
        if not rt["public"]:
            assert rt["token"] != rt["session"], rt
            assert rt["token"] == rt["api"], rt


@test
def no_session_or_token_is_refused():
    for m, rt in gated():
        path = path_of(rt, S["org_a"])
        status, h, body = send(m, path)
        if rt["api"]:
            assert status == 401, (m, path, status)
            assert json.loads(body)["error"]["code"] == "unauthorized"
        elif m == "GET":
            assert status == 303 and h["location"] == "/login", \
                (m, path, status)
        else:
            assert status == 403, (m, path, status)


@test
def another_tenants_org_is_not_found():
    b = client("owner@rb.example")
    csrf = b.csrf()
    n = 0
    for m, rt in gated():
        if not rt["org"]:
            continue
        path = path_of(rt, S["org_a"])
        if rt["api"]:
            status, _, body = send(m, path, token=S["tok_b"])
        else:
            status, _, body = send(m, path, c=b, form={"csrf": csrf})
        assert status == 404, (m, path, status, body[:200])
        n += 1
    assert n > 20, n


@test
def a_viewer_or_a_read_token_cannot_use_an_owners_route():
    v = client("viewer@ra.example")
    csrf = v.csrf()
    n = 0
    for m, rt in gated():
        if not rt["owner"]:
            continue
        path = path_of(rt, S["org_a"])
        if rt["api"]:
            status, _, _ = send(m, path, token=S["tok_a"])
        else:
            status, _, _ = send(m, path, c=v, form={"csrf": csrf})
        assert status == 403, (m, path, status)
        n += 1
    assert n >= 10, n


@test
def a_sessions_post_needs_its_csrf_token_and_this_origin():
    a = client("owner@ra.example")
    other = client("owner@ra.example").csrf()   # another session's token
    good = a.csrf()
    posts = [(m, rt) for m, rt in gated() if m == "POST" and rt["session"]]
    assert len(posts) >= 10, len(posts)
    for m, rt in posts:
        path = path_of(rt, S["org_a"])
        for form in ({}, {"csrf": "A" * 43}, {"csrf": other}):
            status, _, _ = send(m, path, c=a, form=form)
            assert status in (400, 403), (path, form, status)
        status, _, _ = send(m, path, c=a, form={"csrf": good},
                            origin="https://evil.example")
        assert status == 403, (path, status)
    # Still signed in, nothing changed.
    assert a.get("/orgs")[0] == 200
    assert st.sql("SELECT COUNT(*) FROM org WHERE status = 'active'") == \
        [["2"]]


@test
def every_page_and_list_answers_its_tenant():
    a = client("owner@ra.example")
    for m, rt in S["routes"]:
        if m != "GET" or re.search(r":(?!org)", rt["pattern"]) or \
                rt["pattern"] == "/reset":
            continue
        path = path_of(rt, S["org_a"])
        if rt["api"]:
            status, _, body = send(m, path, token=S["tok_a_admin"] if
                                   rt["owner"] else S["tok_a"])
        else:
            status, _, body = send(m, path, c=a)
        assert status in (200, 303), (path, status, body[:300])


run(setup=setup, teardown=st.stop)
