#!/usr/bin/env python3
"""Accounts done properly, and every action on orgaudit's own trail.

A password can be changed (the other sessions end) and reset through a
one-time link an owner makes (every session ends); an account can have a
second factor (TOTP, RFC 6238, with recovery codes), and a tenant can
require one of its owners; one's sessions are listed and can be ended;
the sign-in form has a CSRF token.  Each of these, and the org, token,
account and pack actions, lands on the tenant's hash-chained activity
trail, which 'orgaudit activity verify' recomputes and which names an
edited row.
"""
import base64
import hashlib
import hmac
import json
import re
import struct
import time
import urllib.parse

from common import WebClient, new_stack
from stack import StackError
from tap import run, test

st = new_stack("it-accounts")
S = {}


def totp(secret_b32, at=None, step_offset=0):
    """The RFC 6238 code of a base32 secret (HMAC-SHA1, 30 s, 6 digits)."""
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    counter = int((at or time.time()) // 30) + step_offset
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    off = mac[-1] & 15
    n = struct.unpack(">I", mac[off:off + 4])[0] & 0x7fffffff
    return "%06d" % (n % 1000000)


def setup():
    st.start_db()
    st.start_sim("--users", "8", "--projects", "2", "--keys-per-project",
                 "2", "--seed", "61")
    st.write_conf(login_max_failures=3, login_ip_max_failures=50)
    st.init_orgaudit()
    st.start_web()
    S["ta"] = st.tenant("Acc A")
    S["tb"] = st.tenant("Acc B")
    S["owner_id"], S["pw"] = st.account(S["ta"], "owner@acc-a.example")
    S["owner2_id"], S["pw2"] = st.account(S["ta"], "second@acc-a.example")
    S["viewer_id"], S["vpw"] = st.account(S["ta"], "viewer@acc-a.example",
                                          "viewer")
    S["b_id"], S["bpw"] = st.account(S["tb"], "owner@acc-b.example")
    S["admin_a"] = st.token(S["ta"], scope="admin")
    S["admin_b"] = st.token(S["tb"], scope="admin")


def client(email, pw, address=None):
    return WebClient(st, address=address).login(email, pw)


def form_csrf(body):
    return re.search(r'name="csrf" value="([^"]+)"', body).group(1)


def activity(token, **q):
    qs = "?" + urllib.parse.urlencode(q) if q else ""
    return st.api("/api/v1/activity" + qs, token)["data"]


# -- signing in ----------------------------------------------------------

@test
def the_sign_in_form_needs_its_csrf_token():
    c = WebClient(st)
    status, h, body = c.get("/login")
    assert status == 200
    assert "__Host-orgaudit-pre=" in h.get("set-cookie", ""), h
    token = form_csrf(body)
    good = {"email": "owner@acc-a.example", "password": S["pw"]}
    # No token, a wrong one, or the right one without its cookie: refused.
    for form, cookies in ((good, True), (dict(good, csrf="x" * 43), True),
                          (dict(good, csrf=token), False)):
        d = WebClient(st)
        if cookies:
            d.cookies = dict(c.cookies)
        status, _, _ = d.req("POST", "/login", form=form)
        assert status == 403, (form.keys(), cookies, status)
    status, h, _ = c.req("POST", "/login", form=dict(good, csrf=token))
    assert status == 303 and h["location"] == "/orgs", (status, h)
    # The pre-session cookie is gone once signed in.
    assert "__Host-orgaudit-pre" not in c.cookies


@test
def a_sign_in_is_recorded_with_its_address():
    client("owner@acc-a.example", S["pw"], "192.0.2.44")
    rows = activity(S["admin_a"], action="account.signed_in")
    assert rows and rows[0]["address"] == "192.0.2.44", rows[:1]
    assert rows[0]["actor"] == {"type": "account",
                                "id": str(S["owner_id"])}, rows[0]
    assert rows[0]["target"] == "account:%d" % S["owner_id"]
    # A failure is recorded too, with the login only as its hash.
    WebClient(st, address="192.0.2.45").post(
        "/login", {"email": "owner@acc-a.example", "password": "wrong!!"})
    bad = activity(S["admin_a"], action="account.sign_in_failed")
    assert bad and bad[0]["address"] == "192.0.2.45", bad[:1]
    sha = hashlib.sha256(b"owner@acc-a.example").hexdigest()
    assert bad[0]["target"] == "login:" + sha, bad[0]
    dump = json.dumps(activity(S["admin_a"]))
    assert "owner@acc-a" not in dump, "an address is on the trail"
    st.sql("DELETE FROM login_throttle")


# -- passwords -----------------------------------------------------------

@test
def changing_ones_password_ends_the_other_sessions():
    _, pw = st.account(S["ta"], "changer@acc-a.example", "viewer")
    here = client("changer@acc-a.example", pw, "192.0.2.10")
    there = client("changer@acc-a.example", pw, "192.0.2.11")
    assert there.get("/orgs")[0] == 200
    # The current password is checked.
    status, _, body = here.post("/account/password", {
        "csrf": here.csrf("/account"), "password": "not the password",
        "new_password": "a brand new password"})
    assert status == 403 and "not right" in body, status
    status, h, _ = here.post("/account/password", {
        "csrf": here.csrf("/account"), "password": pw,
        "new_password": "short"})
    assert status == 400, status
    status, h, _ = here.post("/account/password", {
        "csrf": here.csrf("/account"), "password": pw,
        "new_password": "a brand new password"})
    assert status == 303 and "password_changed" in h["location"], status
    assert here.get("/orgs")[0] == 200, "this session ended"
    assert there.get("/orgs")[0] == 303, "the other session lives"
    status, _, _ = WebClient(st).post("/login", {
        "email": "changer@acc-a.example", "password": pw})
    assert status == 401, "the old password still works"
    client("changer@acc-a.example", "a brand new password")
    assert activity(S["admin_a"], action="account.password_changed")


@test
def an_owners_reset_link_sets_a_new_password_once_and_ends_every_session():
    v = client("viewer@acc-a.example", S["vpw"])
    o = client("owner@acc-a.example", S["pw"])
    # A viewer cannot make one.
    status, _, _ = v.post("/accounts/%d/reset" % S["owner_id"],
                          {"csrf": v.csrf()})
    assert status == 403, status
    status, _, body = o.post("/accounts/%d/reset" % S["viewer_id"],
                             {"csrf": o.csrf("/accounts")})
    assert status == 200, status
    link = re.search(r'id="reset-link">([^<]+)<', body).group(1)
    token = urllib.parse.parse_qs(urllib.parse.urlparse(
        link.replace("&amp;", "&")).query)["token"][0]
    # Shown once; only its hash is kept.
    assert token not in o.get("/accounts")[2]
    assert st.sql("SELECT COUNT(*) FROM account_reset WHERE token_hash = "
                  "UNHEX(SHA2('%s', 256))" % token) == [["1"]]
    assert st.sql("SELECT COUNT(*) FROM account_reset WHERE token_hash = "
                  "'%s'" % token) == [["0"]]
    # Another tenant's owner cannot make one for this account.
    b = client("owner@acc-b.example", S["bpw"])
    status, _, _ = b.post("/accounts/%d/reset" % S["viewer_id"],
                          {"csrf": b.csrf("/accounts")})
    assert status == 404, status
    # The link's page, then the new password.
    anon = WebClient(st)
    status, _, body = anon.get("/reset?token=" + token)
    assert status == 200 and 'name="new_password"' in body, status
    status, h, _ = anon.post("/reset", {"csrf": form_csrf(body),
                                        "token": token,
                                        "new_password": "reset to this one"})
    assert status == 303 and h["location"] == "/login?done=password_reset"
    assert v.get("/orgs")[0] == 303, "the viewer's session lives on"
    client("viewer@acc-a.example", "reset to this one")
    S["vpw"] = "reset to this one"
    # Once only.
    status, _, body = anon.get("/reset?token=" + token)
    assert status == 404 and "expired or was used" in body, status
    status, _, _ = anon.post("/reset", {"token": token,
                                        "new_password": "and again this"})
    assert status == 404, status
    # An expired link is refused.
    o.post("/accounts/%d/reset" % S["viewer_id"], {"csrf": o.csrf("/accounts")})
    st.sql("UPDATE account_reset SET expires_at = UNIX_TIMESTAMP() - 1")
    rows = activity(S["admin_a"], action="account.reset_link_made")
    assert rows[0]["actor"]["id"] == str(S["owner_id"]), rows[0]
    assert activity(S["admin_a"], action="account.password_reset")


# -- the second factor -----------------------------------------------------

def enroll(c):
    """Enrolls a TOTP factor for c's account; (secret, recovery codes)."""
    status, _, body = c.post("/account/totp", {"csrf": c.csrf("/account")})
    assert status == 200, status
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', body).group(1)
    assert "otpauth://totp/" in body
    status, _, body = c.post("/account/totp/confirm", {
        "csrf": form_csrf(body), "code": "000000" if totp(secret) !=
        "000000" else "111111"})
    assert status == 400, "a wrong code enrolled the factor"
    status, _, body = c.post("/account/totp/confirm", {
        "csrf": form_csrf(body), "code": totp(secret)})
    assert status == 200, status
    codes = re.findall(r"<li><code>([a-z2-9-]{19})</code></li>", body)
    assert len(codes) == 10, codes
    return secret, codes


@test
def a_second_factor_is_asked_after_the_password_and_each_code_works_once():
    _, pw = st.account(S["ta"], "factor@acc-a.example", "viewer")
    c = client("factor@acc-a.example", pw)
    secret, codes = enroll(c)
    # The secret is not shown again; the codes are kept only as hashes.
    body = c.get("/account")[2]
    assert secret not in body and codes[0] not in body
    assert "10 recovery codes left" in body
    assert st.sql("SELECT COUNT(*) FROM account_recovery WHERE code_hash = "
                  "'%s'" % codes[0].replace("-", "")) == [["0"]]
    # Signing in: the password, then the code.
    d = WebClient(st)
    status, h, _ = d.post("/login", {"email": "factor@acc-a.example",
                                     "password": pw})
    assert status == 303 and h["location"] == "/login/totp", (status, h)
    for path in ("/orgs", "/account", "/accounts"):
        status, h, _ = d.get(path)
        assert status == 303 and h["location"] == "/login/totp", path
    status, _, body = d.post("/login/totp", {"csrf": d.csrf("/login/totp"),
                                             "code": "12345x"})
    assert status == 401, status
    # The code of the step just used by the confirmation is spent; the
    # next step's is good (one step of drift is allowed), and only once.
    code = totp(secret, step_offset=1)
    status, h, _ = d.post("/login/totp", {"csrf": d.csrf("/login/totp"),
                                          "code": code})
    assert status == 303 and h["location"] == "/orgs", (status, h)
    assert d.get("/orgs")[0] == 200
    e = WebClient(st)
    e.post("/login", {"email": "factor@acc-a.example", "password": pw})
    status, _, _ = e.post("/login/totp", {"csrf": e.csrf("/login/totp"),
                                          "code": code})
    assert status == 401, "a code worked twice"
    # A recovery code, once.
    status, h, _ = e.post("/login/totp", {"csrf": e.csrf("/login/totp"),
                                          "code": codes[3].upper()})
    assert status == 303 and h["location"] == "/orgs", status
    f = WebClient(st)
    f.post("/login", {"email": "factor@acc-a.example", "password": pw})
    status, _, _ = f.post("/login/totp", {"csrf": f.csrf("/login/totp"),
                                          "code": codes[3]})
    assert status == 401, "a recovery code worked twice"
    assert "9 recovery codes left" in d.get("/account")[2]
    acts = [a["action"] for a in activity(S["admin_a"])]
    for a in ("account.totp_enabled", "account.password_accepted",
              "account.recovery_code_used"):
        assert a in acts, a
    # Removing it takes the password and a code.
    status, _, _ = d.post("/account/totp/remove", {
        "csrf": d.csrf("/account"), "password": pw, "code": "000000"})
    assert status == 403, status
    status, h, _ = d.post("/account/totp/remove", {
        "csrf": d.csrf("/account"), "password": pw, "code": codes[5]})
    assert status == 303, status
    g = WebClient(st)
    status, h, _ = g.post("/login", {"email": "factor@acc-a.example",
                                     "password": pw})
    assert h["location"] == "/orgs", "the factor is still asked"
    st.sql("DELETE FROM login_throttle")


@test
def wrong_codes_are_throttled_like_wrong_passwords():
    _, pw = st.account(S["ta"], "slow@acc-a.example", "viewer")
    c = client("slow@acc-a.example", pw)
    secret, _ = enroll(c)
    d = WebClient(st, address="192.0.2.80")
    d.post("/login", {"email": "slow@acc-a.example", "password": pw})
    for _ in range(3):
        status, _, _ = d.post("/login/totp", {"csrf": d.csrf("/login/totp"),
                                              "code": "000001"})
        assert status == 401, status
    status, _, body = d.post("/login/totp", {
        "csrf": d.csrf("/login/totp"), "code": totp(secret, step_offset=1)})
    assert status == 429, status
    st.sql("DELETE FROM login_throttle")


@test
def a_tenant_can_require_a_second_factor_of_its_owners():
    o = client("owner@acc-a.example", S["pw"])
    other = client("second@acc-a.example", S["pw2"])
    viewer = client("viewer@acc-a.example", S["vpw"])
    # Only with one's own factor first.
    status, _, body = o.post("/accounts/totp-policy", {
        "csrf": o.csrf("/accounts"), "require": "true"})
    assert status == 400 and "your own account first" in body, status
    enroll(o)
    status, h, _ = o.post("/accounts/totp-policy", {
        "csrf": o.csrf("/accounts"), "require": "true"})
    assert status == 303, status
    # The other owner must enroll before anything else; a viewer need not.
    status, h, _ = other.get("/orgs")
    assert status == 303 and h["location"] == "/account?done=totp_required"
    status, _, body = other.get("/account")
    assert status == 200 and "requires owners" in body
    assert viewer.get("/orgs")[0] == 200
    # And so at the next sign-in.
    d = WebClient(st)
    status, h, _ = d.post("/login", {"email": "second@acc-a.example",
                                     "password": S["pw2"]})
    assert h["location"] == "/account?done=totp_required", h
    assert d.get("/tokens")[0] == 303
    enroll(d)
    assert d.get("/tokens")[0] == 200
    # A required factor cannot be removed.
    status, _, _ = d.post("/account/totp/remove", {
        "csrf": d.csrf("/account"), "password": S["pw2"], "code": "123456"})
    assert status == 403, status
    assert activity(S["admin_a"], action="tenant.totp_required")
    o.post("/accounts/totp-policy", {"csrf": o.csrf("/accounts"),
                                     "require": "false"})


# -- sessions ----------------------------------------------------------------

@test
def ones_sessions_are_listed_and_the_others_can_be_ended():
    _, pw = st.account(S["ta"], "sessions@acc-a.example", "viewer")
    a = client("sessions@acc-a.example", pw, "192.0.2.21")
    b = client("sessions@acc-a.example", pw, "192.0.2.22")
    body = a.get("/account")[2]
    assert "192.0.2.21" in body and "192.0.2.22" in body, body
    assert "this one" in body
    status, h, _ = a.post("/account/sessions/end", {"csrf": a.csrf("/account")})
    assert status == 303 and "sessions_ended" in h["location"]
    assert a.get("/orgs")[0] == 200
    assert b.get("/orgs")[0] == 303
    assert "192.0.2.22" not in a.get("/account")[2]


# -- the trail ---------------------------------------------------------------

@test
def org_token_account_and_pack_actions_are_on_the_trail():
    _, pw = st.account(S["ta"], "trail@acc-a.example", "owner")
    o = client("trail@acc-a.example", pw)
    org = st.connect(S["ta"])
    st.collect("--org", str(org), check=True)
    status, _, body = o.post("/tokens", {"csrf": o.csrf("/tokens"),
                                         "name": "trail", "scope": "read"})
    tid = int(st.sql("SELECT MAX(id) FROM api_token")[0][0])
    o.post("/tokens/%d/revoke" % tid, {"csrf": o.csrf("/tokens")})
    status, _, _ = o.post("/accounts", {
        "csrf": o.csrf("/accounts"), "email": "new@acc-a.example",
        "role": "viewer", "password": "a password long enough"})
    assert status == 303
    nid = int(st.sql("SELECT MAX(id) FROM account")[0][0])
    o.post("/accounts/%d/role" % nid, {"csrf": o.csrf("/accounts"),
                                       "role": "owner"})
    o.post("/accounts/%d/delete" % nid, {"csrf": o.csrf("/accounts")})
    # A pack the dashboard asks for (refused: nothing was pulled before
    # January's end), one the API asks for, made by the worker, fetched.
    status, _, _ = o.post("/orgs/%d/packs" % org, {
        "csrf": o.csrf("/orgs/%d/packs" % org),
        "since": "2026-01-01T00:00", "until": "2026-02-01T00:00"})
    assert status == 409, status
    time.sleep(1.1)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    status, _, body = st.http("POST", "/api/v1/openai/evidence-packs",
                              token=S["admin_a"], body=json.dumps({
                                  "org_id": org,
                                  "period_start": "2026-11-01",
                                  "period_end": now}))
    assert status == 202, (status, body)
    st.worker()
    pack = int(st.sql("SELECT MAX(id) FROM evidence_pack")[0][0])
    status, _, _ = st.http("GET", "/api/v1/openai/evidence-packs/%d" % pack,
                           token=S["admin_a"])
    assert status == 200, status
    o.post("/orgs/%d/disconnect" % org, {"csrf": o.csrf("/orgs/%d" % org)})
    rows = activity(S["admin_a"], limit=200)
    acts = {(r["action"], r["target"]) for r in rows}
    want = [("token.created", "token:%d" % tid),
            ("token.revoked", "token:%d" % tid),
            ("account.added", "account:%d" % nid),
            ("account.made_owner", "account:%d" % nid),
            ("account.removed", "account:%d" % nid),
            ("org.connected", "org:%d" % org),
            ("org.disconnected", "org:%d" % org),
            ("pack.requested", "org:%d" % org),
            ("pack.made", "pack:%d" % pack),
            ("pack.downloaded", "pack:%d" % pack)]
    for w in want:
        assert w in acts, (w, sorted(acts))
    refused = [r for r in rows if r["action"] == "pack.requested" and
               r["actor"]["type"] == "account"]
    assert refused[0]["outcome"] == "refused", refused[:1]
    made = [r for r in rows if r["action"] == "pack.made"][0]
    assert made["actor"]["type"] == "worker", made
    # The operator's org connect is the operator's.
    cli = [r for r in rows if r["action"] == "org.connected"]
    assert cli[0]["actor"]["type"] == "operator" and \
        cli[0]["address"] == "cli", cli[0]
    # Newest first; seq strictly decreasing; the API pages.
    seqs = [r["seq"] for r in rows]
    assert seqs == sorted(seqs, reverse=True) and len(set(seqs)) == len(seqs)
    page = st.api("/api/v1/activity?limit=3", S["admin_a"])
    nxt = st.api("/api/v1/activity?limit=3&cursor=" +
                 page["next_cursor"], S["admin_a"])
    assert [r["seq"] for r in page["data"] + nxt["data"]] == seqs[:6]
    # The page shows the same rows.
    body = o.get("/activity")[2]
    assert "token.created" in body and "org.connected" in body


@test
def a_tenant_sees_only_its_own_trail_and_a_read_token_none():
    b_rows = activity(S["admin_b"], limit=200)
    assert all("acc-a" not in json.dumps(r) for r in b_rows)
    a_targets = {r["target"] for r in activity(S["admin_a"], limit=200)}
    assert not any(r["target"] in a_targets and r["target"].startswith(
        "account:%d" % S["owner_id"]) for r in b_rows)
    read = st.token(S["ta"])
    status, _, _ = st.http("GET", "/api/v1/activity", token=read)
    assert status == 403, status
    v = client("viewer@acc-a.example", S["vpw"])
    assert v.get("/activity")[0] == 403


@test
def activity_verify_names_an_edited_or_deleted_row():
    r = st.cli("activity", "verify", "--tenant", str(S["ta"]))
    assert r.returncode == 0 and "verified" in r.stdout, r.stdout
    # The table refuses changes...
    try:
        st.sql("UPDATE activity SET outcome = 'ok' WHERE tenant_id = %d"
               " AND seq = 2" % S["ta"])
        assert False, "a row of the trail was updated"
    except StackError as e:
        assert "append-only" in str(e), e
    # ...so a tamperer drops the trigger first; verify still sees it.
    st.sql("DROP TRIGGER activity_no_update")
    try:
        st.sql("UPDATE activity SET address = '10.9.9.9' WHERE "
               "tenant_id = %d AND seq = 2" % S["ta"])
        r = st.cli("activity", "verify", "--tenant", str(S["ta"]),
                   check=False)
        assert r.returncode == 1 and "BROKEN at row 2" in r.stdout, r.stdout
    finally:
        st.sql("CREATE TRIGGER activity_no_update BEFORE UPDATE ON activity"
               " FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT ="
               " 'activity is append-only: rows are never updated'")
    # Every tenant at once; the broken one fails the whole run.
    r = st.cli("activity", "verify", check=False)
    assert r.returncode == 1 and "tenant %d: activity chain of" % S["tb"] \
        in r.stdout, r.stdout


def tenant_with_rows(name, n):
    """A tenant whose trail is n + 1 operator rows (added, n accounts)."""
    t = st.tenant(name)
    for i in range(n):
        st.account(t, "a%d@%s.example" % (i, name.lower()), "viewer")
    return t


@test
def activity_verify_names_a_deleted_or_reordered_row():
    gap, tail, swap = (tenant_with_rows(n, 3) for n in ("Gap", "Tail",
                                                         "Swap"))
    st.sql("DROP TRIGGER activity_no_update")
    st.sql("DROP TRIGGER activity_no_delete")
    try:
        st.sql("DELETE FROM activity WHERE tenant_id = %d AND seq = 2" % gap)
        st.sql("DELETE FROM activity WHERE tenant_id = %d AND seq = 4" % tail)
        # Two rows change places: each keeps its own hash and body.
        st.sql("UPDATE activity SET seq = 99 WHERE tenant_id = %d AND seq = 2;"
               "UPDATE activity SET seq = 2 WHERE tenant_id = %d AND seq = 3;"
               "UPDATE activity SET seq = 3 WHERE tenant_id = %d AND seq = 99"
               % (swap, swap, swap))
    finally:
        st.sql("CREATE TRIGGER activity_no_update BEFORE UPDATE ON activity"
               " FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT ="
               " 'activity is append-only: rows are never updated'")
        st.sql("CREATE TRIGGER activity_no_delete BEFORE DELETE ON activity"
               " FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT ="
               " 'activity is append-only: rows are never deleted'")
    # (A gap is named at the row after it: "a row before it is missing".)
    for t, row in ((gap, 3), (tail, 4), (swap, 2)):
        r = st.cli("activity", "verify", "--tenant", str(t), check=False)
        assert r.returncode == 1 and "BROKEN at row %d" % row in r.stdout, \
            (t, r.stdout)


run(setup=setup, teardown=st.stop)
