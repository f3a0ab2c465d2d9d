#!/usr/bin/env python3
"""The dashboard over HTTP through nginx, with real sessions: every page
needs one, every form needs its CSRF token and this site's Origin, viewers
read only, tenants see only their own orgs, accounts and tokens, sessions
expire and end, sign-in is throttled, hostile names are escaped, the admin
key never comes back, and each page's HTML shows its JSON view model.
"""
import hashlib
import html
import json
import os
import re
import subprocess
import urllib.parse

from common import (CANARY_DOMAIN, WebClient, admin_canary, grep_bytes,
                    new_stack, org_pages, truth)
from tap import diag, run, test

st = new_stack("it-dashboard")
S = {}
seen = []                   # every body, for the canary check


def Client(address=None):
    """A browser without a browser, keeping every body for the canaries;
    address, when given, is the client's (nginx takes X-Forwarded-For
    from 127.0.0.1 in the test stack)."""
    return WebClient(st, seen, address)


def setup():
    st.start_db()
    st.start_sim("--users", "20", "--projects", "8", "--keys-per-project",
                 "12", "--seed", "53", "--hostile-names", "--email-domain",
                 CANARY_DOMAIN)
    st.write_conf(session_idle_seconds=600, session_max_seconds=3600,
                  login_max_failures=4, login_ip_max_failures=12,
                  login_lock_seconds=300)
    st.init_orgaudit()
    st.start_web()
    S["ta"] = st.tenant("Tenant A")
    S["tb"] = st.tenant("Tenant B")
    S["a_owner"], S["pw"] = st.account(S["ta"], "owner@a.example", "owner")
    S["a_viewer"], _ = st.account(S["ta"], "viewer@a.example", "viewer",
                                  password=S["pw"])
    S["b_owner"], _ = st.account(S["tb"], "owner@b.example", "owner",
                                 password=S["pw"])
    S["org_b"] = st.connect(S["tb"], name="B's org")
    st.collect("--all")


def a_project():
    """A project of tenant A's org, for the pages under a project."""
    return st.sql("SELECT id FROM oa_project WHERE org_id = %d ORDER BY id"
                  " LIMIT 1" % S["org_a"])[0][0]


def owner_a():
    return Client().login("owner@a.example", S["pw"])


@test
def connect_from_the_dashboard_checks_and_seals():
    c = owner_a()
    token = c.csrf("/orgs/new")
    bad = "sk-svcacct-" + admin_canary(st)[:30] + "Q1w2"
    status, _, body = c.post("/orgs/new", {"csrf": token, "name": "A org",
                                           "key": bad})
    assert status == 400 and "service account key" in body, status
    assert admin_canary(st)[:30] not in body
    status, h, body = c.post("/orgs/new", {"csrf": token, "name": "A org",
                                           "key": st.admin_key + "\n"})
    assert status == 303, (status, body[:300])
    S["org_a"] = int(re.match(r"/orgs/(\d+)\?done=connected",
                              h["location"]).group(1))
    _, _, body = c.get(h["location"])
    assert "The org is connected" in body
    assert body.count('class="cap ') == 11, "checklist"
    assert admin_canary(st) not in body
    st.collect("--org", str(S["org_a"]))


@test
def every_page_needs_a_session():
    anon = Client()
    org = S["org_a"]
    for path in ["/orgs", "/orgs/new", "/accounts", "/tokens",
                 "/billing"] + org_pages(st, org, a_project()):
        status, h, _ = anon.get(path)
        assert status == 303 and h["location"] == "/login", (path, status)
    for path in ("/logout", "/orgs/new", "/orgs/%d/key" % org,
                 "/orgs/%d/disconnect" % org, "/accounts",
                 "/accounts/1/role", "/accounts/1/delete", "/tokens",
                 "/tokens/1/revoke"):
        status, _, body = anon.post(path, {"csrf": "x" * 43})
        assert status == 403 and "sign in" in body, (path, status)


@test
def every_form_needs_its_csrf_token():
    c = owner_a()
    other = owner_a().csrf()        # a valid token of another session
    org = S["org_a"]
    posts = [("/orgs/new", {"key": st.admin_key}),
             ("/orgs/%d/key" % org, {"key": st.admin_key}),
             ("/orgs/%d/disconnect" % org, {}),
             ("/accounts", {"email": "x@a.example", "role": "owner",
                            "password": "long enough password"}),
             ("/accounts/%d/role" % S["a_viewer"], {"role": "owner"}),
             ("/accounts/%d/delete" % S["a_viewer"], {}),
             ("/tokens", {"name": "sneaky"}),
             ("/tokens/1/revoke", {}),
             ("/logout", {})]
    for path, form in posts:
        for token in (None, "A" * 43, other):
            f = dict(form)
            if token:
                f["csrf"] = token
            status, _, body = c.post(path, f)
            assert status in (400, 403), (path, token, status)
    assert st.sql("SELECT status FROM org WHERE id = %d" % org) == \
        [["active"]]
    assert st.sql("SELECT COUNT(*) FROM api_token WHERE name = 'sneaky'") \
        == [["0"]]
    assert st.sql("SELECT role FROM account WHERE id = %d" %
                  S["a_viewer"]) == [["viewer"]]
    status, _, _ = c.get("/orgs")
    assert status == 200, "logout happened without a token"


@test
def forms_from_another_origin_are_refused():
    c = owner_a()
    token = c.csrf("/tokens")
    status, _, body = c.post("/tokens", {"csrf": token, "name": "x"},
                             origin="http://evil.example")
    assert status == 403 and "another site" in body
    status, _, body = c.post("/tokens", {"csrf": token, "name": "ok"},
                             origin=False)
    assert status == 200, "no Origin header: the CSRF token decides"


@test
def viewers_read_but_change_nothing():
    v = Client().login("viewer@a.example", S["pw"])
    token = v.csrf()
    org = S["org_a"]
    for path in ("/orgs", "/orgs/%d" % org, "/orgs/%d/keys" % org,
                 "/orgs/%d/runs" % org):
        status, _, body = v.get(path)
        assert status == 200, (path, status)
        assert "Disconnect this org" not in body
        assert "+ Connect org" not in body
    for path in ("/orgs/new", "/accounts", "/tokens"):
        status, _, body = v.get(path)
        assert status == 403 and "Only an owner" in body, (path, status)
    for path, form in (("/orgs/new", {"key": st.admin_key}),
                       ("/orgs/%d/disconnect" % org, {}),
                       ("/orgs/%d/key" % org, {"key": st.admin_key}),
                       ("/tokens", {"name": "v"}),
                       ("/accounts/%d/role" % S["a_viewer"],
                        {"role": "owner"})):
        form["csrf"] = token
        status, _, _ = v.post(path, form)
        assert status == 403, (path, status)
    assert st.sql("SELECT COUNT(*) FROM org WHERE tenant_id = %d" %
                  S["ta"]) == [["1"]]
    assert st.sql("SELECT role FROM account WHERE id = %d" %
                  S["a_viewer"]) == [["viewer"]]


@test
def tenants_never_reach_each_other():
    b = Client().login("owner@b.example", S["pw"])
    token = b.csrf()
    org_a = S["org_a"]
    for path in ["/orgs/%d/keys?stale=true" % org_a] + org_pages(
            st, org_a, a_project()):
        status, _, body = b.get(path)
        assert status == 404, (path, status)
        status, _, _ = b.get(path, headers={"Accept": "application/json"})
        assert status == 404, (path, "json", status)
    for path, form in (("/orgs/%d/disconnect" % org_a, {}),
                       ("/orgs/%d/key" % org_a, {"key": st.admin_key}),
                       ("/accounts/%d/role" % S["a_viewer"],
                        {"role": "owner"}),
                       ("/accounts/%d/delete" % S["a_viewer"], {})):
        form["csrf"] = token
        status, _, _ = b.post(path, form)
        assert status == 404, (path, status)
    a_token = st.token(S["ta"], "a's")
    tid = st.sql("SELECT MAX(id) FROM api_token")[0][0]
    status, _, _ = b.post("/tokens/%s/revoke" % tid, {"csrf": token})
    assert status == 404
    assert st.api("/api/v1/openai/orgs", a_token)["data"]
    _, _, body = b.get("/orgs")
    assert "A org" not in body and "B&#39;s org" in body
    _, _, body = b.get("/accounts")
    rows = re.findall(r"<tr><td>([^<]*)</td><td>(owner|viewer)</td>", body)
    assert rows == [("owne\u2026 (you)", "owner")], rows
    assert st.sql("SELECT status FROM org WHERE id = %d" % org_a) == \
        [["active"]]
    assert st.sql("SELECT role FROM account WHERE id = %d" %
                  S["a_viewer"]) == [["viewer"]]


@test
def signing_in_rotates_and_signing_out_ends_the_session():
    c = owner_a()
    first = c.cookie
    c.login("owner@a.example", S["pw"])
    assert c.cookie != first
    old = Client()
    old.cookie = first
    status, h, _ = old.get("/orgs")
    assert status == 303 and h["location"] == "/login", "old session lives"
    token = c.csrf()
    status, h, _ = c.post("/logout", {"csrf": token})
    assert status == 303 and c.cookie is None
    dead = Client()
    dead.cookie = first.split("=")[0] + "=" + first.split("=")[1]
    status, _, _ = dead.get("/orgs")
    assert status == 303


def session_row(c):
    """The WHERE clause of a client's session, by its token's hash."""
    token = c.cookie.split("=", 1)[1]
    return "token_hash = UNHEX('%s')" % hashlib.sha256(
        token.encode()).hexdigest()


@test
def sessions_expire_when_idle_and_at_their_limit():
    c = owner_a()
    assert c.get("/orgs")[0] == 200
    where = session_row(c)
    st.sql("UPDATE session SET last_seen_at = last_seen_at - 601 WHERE " +
           where)
    status, h, _ = c.get("/orgs")
    assert status == 303 and h["location"] == "/login", "idle session lives"
    assert st.sql("SELECT COUNT(*) FROM session WHERE " + where) == [["0"]]
    c = owner_a()
    where = session_row(c)
    st.sql("UPDATE session SET created_at = created_at - 3601,"
           " last_seen_at = UNIX_TIMESTAMP() WHERE " + where)
    status, _, _ = c.get("/orgs")
    assert status == 303, "session past its absolute limit lives"
    assert st.sql("SELECT COUNT(*) FROM session WHERE " + where) == [["0"]]
    # Sessions that expired unseen go at the next sign-in.
    st.sql("UPDATE session SET last_seen_at = last_seen_at - 601")
    owner_a()
    assert st.sql("SELECT COUNT(*) FROM session WHERE last_seen_at <"
                  " UNIX_TIMESTAMP() - 600") == [["0"]]


@test
def the_cookie_is_host_only_secure_httponly_lax():
    status, h, _ = st.login("owner@a.example", S["pw"])
    c = h["set-cookie"].split("\n")[0]
    assert c.startswith("__Host-orgaudit="), c
    for part in ("Path=/", "Secure", "HttpOnly", "SameSite=Lax"):
        assert part in c, (part, c)
    assert "Domain" not in c
    token = c.split(";")[0].split("=")[1]
    assert len(token) == 43
    assert not st.sql("SELECT 1 FROM session WHERE token_hash = '%s'" %
                      token), "the session token is stored as is"


@test
def sign_in_is_throttled_per_login_and_per_address():
    c = Client("198.51.100.7")
    for _ in range(4):
        status, _, _ = c.post("/login", {"email": "owner@b.example",
                                         "password": "wrong wrong wrong"})
        assert status == 401, status
    status, _, body = c.post("/login", {"email": "owner@b.example",
                                        "password": S["pw"]})
    assert status == 429 and "Too many failed sign-ins" in body, status
    # A stranger's failures elsewhere never lock the user out: from
    # another address the right password works at once.
    status, h, _ = Client("203.0.113.9").post(
        "/login", {"email": "owner@b.example", "password": S["pw"]})
    assert status == 303 and h["location"] == "/orgs", (status, h)
    # Each further failure of the pair waits twice as long (the 4th
    # failure 30 s, the 5th 60 s, the 6th 120 s).
    waits = []
    for _ in range(2):
        st.sql("UPDATE login_throttle SET locked_until = 0")
        c.post("/login", {"email": "owner@b.example", "password": "nope"})
        waits.append(int(st.sql("SELECT MAX(locked_until) -"
                                " UNIX_TIMESTAMP() FROM login_throttle")[0][0]))
    assert 55 <= waits[0] <= 60 and 115 <= waits[1] <= 120, waits
    # Unknown logins are throttled the same way: no account is revealed.
    for _ in range(4):
        c.post("/login", {"email": "nobody@b.example", "password": "x"})
    status, _, _ = c.post("/login", {"email": "nobody@b.example",
                                     "password": "x"})
    assert status == 429
    # The address: 12 failures, whatever the login, lock it out.
    for i in range(4):
        c.post("/login", {"email": "n%d@b.example" % i, "password": "x"})
    status, _, body = c.post("/login", {"email": "owner@a.example",
                                        "password": S["pw"]})
    assert status == 429, ("address not throttled", status)
    st.sql("DELETE FROM login_throttle")


@test
def the_production_nginx_config_is_valid():
    """nginx/orgaudit.conf as installed (paths moved into a scratch
    directory, a throwaway certificate) passes 'nginx -t', and its access
    log leaves out query strings."""
    d = st.path("nginx-prod")
    os.makedirs(d, exist_ok=True)
    src = os.path.join(os.path.dirname(__file__), "..", "..", "nginx")
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                        "-nodes", "-days", "1", "-subj", "/CN=localhost",
                        "-keyout", os.path.join(d, "privkey.pem"), "-out",
                        os.path.join(d, "fullchain.pem")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    with open(os.path.join(src, "orgaudit.conf")) as f:
        conf = f.read()
    for a, b in (("/etc/nginx/snippets/orgaudit-app.conf",
                  os.path.abspath(os.path.join(src, "orgaudit-app.conf"))),
                 ("/etc/ssl/orgaudit", d),
                 ("/var/log/nginx", d)):
        assert a in conf, a
        conf = conf.replace(a, b)
    assert "$uri" in conf and "$request " not in conf and \
        "$request_uri '" not in conf, "the log format shows query strings"
    with open(os.path.join(d, "orgaudit.conf"), "w") as f:
        f.write(conf)
    with open(os.path.join(d, "nginx.conf"), "w") as f:
        f.write("pid %s/nginx.pid;\nerror_log %s/error.log;\n"
                "events {}\nhttp {\n include /etc/nginx/mime.types;\n"
                " include %s/orgaudit.conf;\n}\n" % (d, d, d))
    r = subprocess.run(["nginx", "-t", "-p", d, "-c",
                        os.path.join(d, "nginx.conf")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


@test
def pages_carry_security_headers():
    c = owner_a()
    for path in ("/login", "/orgs", "/orgs/%d/keys" % S["org_a"],
                 "/nowhere", "/static/app.css"):
        _, h, _ = c.get(path)
        csp = h.get("content-security-policy", "")
        assert "frame-ancestors 'none'" in csp and "script-src" not in \
            csp and "default-src 'none'" in csp, (path, csp)
        assert "unsafe-inline" not in csp
        assert h.get("x-content-type-options") == "nosniff", path
        assert h.get("referrer-policy"), path
        assert "max-age" in h.get("strict-transport-security", ""), path


@test
def hostile_names_are_escaped_everywhere():
    c = owner_a()
    org = S["org_a"]
    pages = ["/orgs"] + org_pages(st, org, a_project())
    assert len(pages) >= 12, pages
    for p in range(1, 4):
        pages.append("/orgs/%d/keys?page=%d" % (org, p))
    escaped = 0
    for path in pages:
        status, _, body = c.get(path)
        assert status == 200, (path, status)
        assert "<script>alert" not in body, path
        assert "O'Brien & <Co>" not in body, path
        escaped += body.count("&lt;script&gt;alert(1)&lt;/script&gt;")
        assert len(body) < 400000, (path, len(body))
    assert escaped > 0, "the hostile names were not shown"
    # The RTL override is shown isolated, inside <bdi>.
    _, _, body = c.get("/orgs/%d/projects" % org)
    assert re.search(r"<bdi>[^<]*\u202e", body), "RTL name not in <bdi>"
    # Pages shorten a 10 kB name; the JSON view keeps it whole.
    _, _, body = c.get("/orgs/%d/keys?page=1&sort=name&dir=desc" % org)
    assert "x" * 81 not in body
    vm = json.loads(c.get("/orgs/%d/keys?sort=name&dir=desc" % org,
                          headers={"Accept": "application/json"})[2])
    assert any(len(k["name"] or "") >= 10000 for k in vm["data"]["data"])


@test
def each_page_shows_its_json_view_model():
    c = owner_a()
    org = S["org_a"]
    t = truth(st)
    for q in ("", "?stale=true", "?orphan=true&type=project",
              "?sort=last_used&dir=desc&page=2"):
        vm = json.loads(c.get("/orgs/%d/keys%s" % (org, q),
                              headers={"Accept": "application/json"})[2])
        _, _, body = c.get("/orgs/%d/keys%s" % (org, q))
        rows = re.findall(r'<span class="id">(key_[^<]+)</span>', body)
        assert rows == [k["id"] for k in vm["data"]["data"]], q
        assert "%d keys" % vm["data"]["total"] in body, q
    vm = json.loads(c.get("/orgs/%d/keys?stale=true" % org,
                          headers={"Accept": "application/json"})[2])
    assert vm["data"]["total"] == len(t["stale"])
    api = st.api("/api/v1/openai/orgs/%d" % org, st.token(S["ta"], "vm"))
    page = json.loads(c.get("/orgs/%d" % org,
                            headers={"Accept": "application/json"})[2])
    assert page["org"]["counts"] == api["counts"]
    assert page["org"]["capabilities"] == api["capabilities"]


@test
def keys_page_filters_sorts_and_pages():
    c = owner_a()
    org = S["org_a"]
    t = truth(st)
    allkeys = t["api_keys"] + t["admin_api_keys"]
    vm = json.loads(c.get("/orgs/%d/keys" % org,
                          headers={"Accept": "application/json"})[2])["data"]
    assert vm["total"] == len(allkeys) and vm["pages"] == \
        (len(allkeys) + 49) // 50
    ids, page, href = [], 1, "/orgs/%d/keys?sort=created" % org
    while href:
        _, _, body = c.get(html.unescape(href))
        ids += re.findall(r'<span class="id">(key_[^<]+)</span>', body)
        m = re.search(r'<a href="([^"]+)" rel="next">', body)
        href = m.group(1) if m else None
        page += 1
    assert sorted(ids) == sorted(k["id"] for k in allkeys)
    assert len(ids) == len(set(ids))
    status, _, body = c.get("/orgs/%d/keys?stale=maybe" % org)
    assert status == 400
    status, _, body = c.get("/orgs/%d/keys?stale=&type=&project=" % org)
    assert status == 200, "an empty filter means any"


@test
def the_timeline_pages_filters_and_keeps_its_filters():
    c = owner_a()
    org = S["org_a"]
    tok = st.token(S["ta"], "timeline")
    every, cursor = [], None
    while True:
        page = st.api("/api/v1/openai/orgs/%d/events?limit=200%s" % (
            org, "&cursor=" + cursor if cursor else ""), tok)
        every += page["data"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(every) > 60, "too few events to page: %d" % len(every)
    seqs, href = [], "/orgs/%d/events" % org
    while href:
        status, _, body = c.get(html.unescape(href))
        assert status == 200, (href, status)
        seqs += [int(x) for x in re.findall(r'<td class="num">(\d+)</td>',
                                            body)]
        m = re.search(r'<a href="([^"]+)" rel="next">', body)
        href = m.group(1) if m else None
    assert seqs == [e["seq"] for e in every], "the pages differ from the API"
    # A filter: the form shows it, every row matches, the next page keeps it.
    types = [e["type"] for e in every]
    typ = max(set(types), key=types.count)
    status, _, body = c.get("/orgs/%d/events?event_type=%s&since=2020-01-01"
                            % (org, typ))
    assert status == 200
    assert 'name="event_type" placeholder="api_key.created" maxlength="128"' \
        ' value="%s"' % typ in body, "the form lost the filter"
    assert 'name="since" value="2020-01-01"' in body
    shown = re.findall(r"<td><code>([^<]+)</code>", body)
    assert shown and set(shown) == {typ}, set(shown)
    m = re.search(r'<a href="([^"]+)" rel="next">', body)
    if types.count(typ) > len(shown):
        assert m and "event_type=" + typ in html.unescape(m.group(1))
    # Users and projects link to their history.
    _, _, body = c.get("/orgs/%d/users" % org)
    assert re.search(r'/orgs/%d/events\?target=user-' % org, body)
    status, _, _ = c.get("/orgs/%d/events?event_type=Not%%20A%%20Type" % org)
    assert status == 400
    diag("%d events over %d pages" % (len(seqs), (len(seqs) + 49) // 50))


@test
def accounts_are_managed_by_owners():
    c = owner_a()
    token = c.csrf("/accounts")
    status, h, _ = c.post("/accounts", {"csrf": token, "email":
                                        "new@a.example", "role": "viewer",
                                        "password": "a long password 1"})
    assert status == 303, status
    status, _, body = c.post("/accounts", {"csrf": token, "email":
                                           "new@a.example", "role": "viewer",
                                           "password": "a long password 1"})
    assert status == 400 and "exists" in body
    status, _, body = c.post("/accounts", {"csrf": token, "email":
                                           "short@a.example", "role": "owner",
                                           "password": "short"})
    assert status == 400 and "12 characters" in body
    nid = int(st.sql("SELECT MAX(id) FROM account")[0][0])
    n = Client().login("new@a.example", "a long password 1")
    status, _, _ = c.post("/accounts/%d/role" % S["a_owner"],
                          {"csrf": token, "role": "viewer"})
    assert status == 400, "the last owner was demoted"
    status, _, _ = c.post("/accounts/%d/delete" % S["a_owner"],
                          {"csrf": token})
    assert status == 400, "an owner removed themselves"
    status, _, _ = c.post("/accounts/%d/delete" % nid, {"csrf": token})
    assert status == 303
    status, _, _ = n.get("/orgs")
    assert status == 303, "a removed account's session lives on"
    assert not st.sql("SELECT 1 FROM account WHERE login_sha256 LIKE '%@%'")


@test
def tokens_from_the_dashboard_work_and_revoke():
    c = owner_a()
    token = c.csrf("/tokens")
    status, _, body = c.post("/tokens", {"csrf": token, "name": "siem"})
    tok = re.search(r'<code class="token">(oat_[^<]+)</code>', body).group(1)
    assert st.api("/api/v1/openai/orgs", tok)["data"]
    _, _, listing = c.get("/tokens")
    assert tok not in listing
    tid = st.sql("SELECT id FROM api_token WHERE name = 'siem'")[0][0]
    status, _, _ = c.post("/tokens/%s/revoke" % tid, {"csrf": token})
    assert status == 303
    st.api("/api/v1/openai/orgs", tok, expect=401)


@test
def replace_then_disconnect_from_the_dashboard():
    c = owner_a()
    token = c.csrf()
    org = S["org_a"]
    status, _, body = c.post("/orgs/%d/key" % org,
                             {"csrf": token, "key": "sk-admin-" + "W" * 40})
    assert status == 400 and "rejected" in body, status
    assert st.sql("SELECT status FROM org WHERE id = %d" % org) == \
        [["active"]]
    assert "W" * 40 not in body
    status, h, body = c.post("/orgs/%d/key" % org,
                             {"csrf": token, "key": st.admin_key})
    assert status == 303 and "replaced" in h["location"], (status,
                                                           body[-600:])
    assert st.collect("--org", str(org)).returncode == 0
    status, h, _ = c.post("/orgs/%d/disconnect" % org, {"csrf": token})
    assert status == 303
    _, _, body = c.get(h["location"])
    assert "disconnected" in body and "Disconnect this org" not in body
    assert "data pulled so far is kept" in body
    assert st.collect("--org", str(org)).returncode == 1
    status, _, _ = c.get("/orgs/%d/keys?stale=true" % org)
    assert status == 200


@test
def nginx_limits_sign_in_posts_per_address():
    """Beyond the application's throttle, nginx admits a burst of sign-in
    POSTs per address and answers the rest 429 itself."""
    statuses = []
    for _ in range(40):
        status, _, body = Client().post("/login", {
            "email": "flood@nowhere.example", "password": "x"})
        statuses.append(status)
    assert 429 in statuses, statuses
    assert statuses[0] != 429, "the first try was refused"
    limited = [i for i, x in enumerate(statuses) if x == 429]
    diag("nginx answered 429 to %d of 40 rapid sign-ins" % len(limited))
    # Pages are not limited by it: GET /login still answers.
    assert st.http("GET", "/login")[0] == 200
    st.sql("DELETE FROM login_throttle")


@test
def no_email_or_admin_key_in_any_response_or_log():
    canary = admin_canary(st)
    for body in seen:
        assert canary.encode() not in body
        assert CANARY_DOMAIN.encode() not in body
        for email in (b"owner@a.example", b"viewer@a.example"):
            assert email not in body
    for log in os.listdir(st.path("logs")):
        if log.startswith("sim"):
            continue
        assert not grep_bytes(st.path("logs", log), canary), log
        assert not grep_bytes(st.path("logs", log), "owner@a.example"), log
    dump = st.sql("SELECT login_sha256, login_prefix FROM account")
    assert all("@" not in row[0] for row in dump)
    diag("%d responses checked" % len(seen))


if __name__ == "__main__":
    run(setup=setup, teardown=st.stop)
