#!/usr/bin/env python3
"""Alerts end to end: channels, the outbox and orgaudit-notify.

A webhook receives each chosen audit event once, signed; events from
before the org was connected are not alerted; a finding that opens after
the first pull reaches an email channel through an SMTP sink; Slack gets
Block Kit; failures are tried again (Retry-After honoured), a final
refusal or 24 hours make a message dead, which can be sent again; a
sender killed mid-way loses nothing and sends nothing under a new id; a
URL reaching any private address class is refused, at adding and at
sending.
"""
import json
import os
import signal
import subprocess
import time
import urllib.parse

from common import WebClient, new_stack
from tap import diag, run, test

st = new_stack("it-alerts")
S = {}
SECRET = "whsec_" + "k" * 26


def setup():
    st.start_db()
    st.start_sim("--users", "20", "--projects", "3", "--keys-per-project",
                 "3", "--seed", "83", "--events", "40")
    st.write_conf(alert_allow_private=1)
    st.init_orgaudit()
    st.start_web()
    S["tenant"] = st.tenant("Alerts")
    S["org"] = st.connect(S["tenant"])
    S["rport"] = st.start_receiver(SECRET)
    S["sport"] = st.start_smtpsink()
    # The first pull: its history is from before the connection.
    assert st.collect("--org", str(S["org"])).returncode == 0
    with open(st.path("etc", "hook.secret"), "w") as f:
        f.write(SECRET + "\n")
    S["hook"] = add("webhook", "--url", url("/hook"), "--secret-file",
                    st.path("etc", "hook.secret"), "--on",
                    "audit:api_key.created,audit:login.failed")


def url(path):
    return "http://127.0.0.1:%d%s" % (S["rport"], path)


def add(kind, *args, check=True):
    r = st.cli("alert", "add", "--tenant", str(S["tenant"]), "--type", kind,
               *args, check=check)
    return int(r.stdout.strip().splitlines()[-1]) if check else r


def recv(path="/_ctl/received"):
    return st.receiver(S["rport"], path)


def event_types(ids):
    return {i: st.sim_get("/_sim/audit/event/" + i)["type"] for i in ids}


def outbox(where="1=1"):
    return st.sql("SELECT id, channel_id, event_id, kind, status, attempts,"
                  " COALESCE(last_status, ''), COALESCE(last_error, '')"
                  " FROM alert_outbox WHERE " + where + " ORDER BY id")


def drain(passes=10):
    """orgaudit-notify until nothing is due now."""
    for _ in range(passes):
        st.notify()
        if not st.sql("SELECT 1 FROM alert_outbox WHERE status = 'pending'"
                      " AND next_at <= UNIX_TIMESTAMP() LIMIT 1"):
            return


@test
def a_webhook_gets_each_chosen_audit_event_once_and_signed():
    st.receiver(S["rport"], "/_ctl/reset", {})
    added = st.sim_post("/_sim/events", {"count": 80})["added"]
    types = event_types(added)
    want = {i for i, t in types.items() if t in ("api_key.created",
                                                   "login.failed")}
    assert want, types
    assert st.collect("--org", str(S["org"])).returncode == 0
    rows = outbox("channel_id = %d" % S["hook"])
    assert len(rows) == len(want), (len(rows), len(want))
    drain()
    got = recv()["requests"]
    assert len(got) == len(want), (len(got), len(want))
    assert all(r["signature_ok"] for r in got), [r["headers"] for r in got
                                                 if not r["signature_ok"]]
    bodies = [json.loads(r["body"]) for r in got]
    assert {b["data"]["id"] for b in bodies} == want
    assert len({b["id"] for b in bodies}) == len(want)
    b = bodies[0]
    assert b["id"].startswith("evt_") and b["type"] == "audit_event"
    assert b["org"]["id"] == S["org"] and b["tenant"]["id"] == S["tenant"]
    assert b["dashboard_url"].startswith("http://127.0.0.1:")
    assert got[0]["headers"]["Orgaudit-Delivery"].startswith("dlv_")
    assert {r[4] for r in outbox("channel_id = %d" % S["hook"])} == \
        {"sent"}
    # Again: nothing is sent twice.
    st.notify()
    assert recv()["count"] == len(want)
    diag("%d of %d new events alerted, each once, signed" % (
        len(want), len(added)))


@test
def events_from_before_the_connection_are_not_alerted():
    before = len(outbox())
    # A minute before the org was connected: inside the overlap a pull
    # reads again (audit_overlap_seconds), so the events are pulled.
    age = int(st.sql("SELECT UNIX_TIMESTAMP() - connected_at + 60 FROM org"
                     " WHERE id = %d" % S["org"])[0][0])
    added = st.sim_post("/_sim/events", {"count": 60,
                                         "age_seconds": age})["added"]
    assert any(t == "api_key.created" for t in event_types(added).values())
    assert st.collect("--org", str(S["org"])).returncode == 0
    assert st.sql("SELECT COUNT(*) FROM audit_event WHERE id = '%s'" %
                  added[0]) == [["1"]], "the old events were pulled"
    assert len(outbox()) == before


@test
def a_channel_without_on_gets_the_default_audit_types():
    """Key and service account lifecycle, invites, and a user made an
    owner (docs/alerts.md)."""
    defaults = {"api_key.created", "api_key.deleted",
                "service_account.created", "service_account.deleted",
                "invite.sent"}
    ch = add("webhook", "--url", url("/defaults"), "--secret-file",
             st.path("etc", "hook.secret"))
    added = st.sim_post("/_sim/events", {"count": 300})["added"]
    types = event_types(added)
    want = {i for i, t in types.items() if t in defaults}
    assert want, types
    assert st.collect("--org", str(S["org"])).returncode == 0
    roles = {}
    for i, body in st.sql("SELECT id, body FROM audit_event WHERE org_id ="
                          " %d AND type = 'user.updated'" % S["org"]):
        if i in types:
            roles[i] = json.loads(body)["user.updated"].get(
                "changes_requested", {}).get("role")
    owners = {i for i, r in roles.items() if r == "owner"}
    assert owners and set(roles) - owners, roles   # both kinds were made
    want |= owners
    got = {r[0] for r in st.sql(
        "SELECT e.id FROM alert_outbox o JOIN audit_event e"
        " ON e.org_id = o.org_id AND e.seq = o.ref"
        " WHERE o.channel_id = %d" % ch)}
    assert got == want, (sorted(types[i] for i in got ^ want))
    st.cli("alert", "remove", str(ch))
    drain()     # the other channels' messages of these events, sent now
    diag("%d of %d events of the default types: %s (%d made an owner)" % (
        len(want), len(added), ", ".join(sorted({types[i] for i in want})),
        len(owners)))


@test
def login_failures_above_a_count_in_an_hour_send_one_message():
    """login.failed>N: the failure that makes an hour's count exceed N,
    counting those stored by earlier pulls, is sent; none other."""
    hour = int(time.time()) // 3600 * 3600
    before = int(st.sql("SELECT COUNT(*) FROM audit_event WHERE org_id = %d"
                        " AND type = 'login.failed' AND effective_at >= %d"
                        % (S["org"], hour))[0][0])
    n = before + 4
    r = add("webhook", "--url", url("/logins"), "--secret-file",
            st.path("etc", "hook.secret"), "--on", "login.failed>%d" % n,
            check=False)
    assert r.returncode == 0, r.stderr
    ch = int(r.stdout.strip().splitlines()[-1])
    for bad in ("login.failed>0", "login.failed>", "login.failed>x",
                "login.failed>100001"):
        r = add("webhook", "--url", url("/x"), "--secret-file",
                st.path("etc", "hook.secret"), "--on", bad, check=False)
        assert r.returncode != 0 and "login.failed>N" in r.stderr, (bad, r)
    added = set(st.sim_post("/_sim/events", {"count": 400})["added"])
    assert st.collect("--org", str(S["org"])).returncode == 0
    fails = st.sql("SELECT id, effective_at FROM audit_event WHERE org_id ="
                   " %d AND type = 'login.failed' AND effective_at >= %d"
                   " AND effective_at < %d ORDER BY seq"
                   % (S["org"], hour, hour + 3600))
    assert len(fails) > n + 1, (len(fails), n)     # enough to cross it
    want = {fails[n][0]}                # the (n + 1)th of the hour
    assert want <= added, "the crossing failure was stored before"
    got = {r[0] for r in st.sql(
        "SELECT e.id FROM alert_outbox o JOIN audit_event e"
        " ON e.org_id = o.org_id AND e.seq = o.ref"
        " WHERE o.channel_id = %d" % ch)}
    assert got == want, (got, want)
    # Another pull of the same hour's events crosses nothing again.
    st.sim_post("/_sim/events", {"count": 100})
    assert st.collect("--org", str(S["org"])).returncode == 0
    assert int(st.sql("SELECT COUNT(*) FROM alert_outbox WHERE channel_id"
                      " = %d" % ch)[0][0]) == 1
    st.cli("alert", "remove", str(ch))
    drain()
    diag("%d login failures in the hour, %d before; N = %d" % (
        len(fails), before, n))


@test
def failures_are_tried_again_then_dead_and_a_dead_one_can_be_resent():
    st.receiver(S["rport"], "/_ctl/reset", {})
    tid = int(st.cli("alert", "test", str(S["hook"])).stdout.split()[2])
    st.receiver(S["rport"], "/_ctl/faults", {"faults": ["500", "429",
                                                        "cut"]})
    st.notify()
    row = outbox("id = %d" % tid)[0]
    assert row[4] == "pending" and row[5] == "1" and row[6] == "500", row
    st.sql("UPDATE alert_outbox SET next_at = 0 WHERE id = %d" % tid)
    st.notify()
    row = outbox("id = %d" % tid)[0]
    assert row[6] == "429", row
    # Retry-After: 120 beats the backoff (30 s and a quarter at most).
    wait = int(st.sql("SELECT next_at - UNIX_TIMESTAMP() FROM alert_outbox"
                      " WHERE id = %d" % tid)[0][0])
    assert 115 <= wait <= 121, wait
    st.sql("UPDATE alert_outbox SET next_at = 0 WHERE id = %d" % tid)
    st.notify()
    row = outbox("id = %d" % tid)[0]
    assert row[4] == "pending" and row[5] == "3" and row[6] == "", row
    st.sql("UPDATE alert_outbox SET next_at = 0 WHERE id = %d" % tid)
    st.notify()
    assert outbox("id = %d" % tid)[0][4] == "sent"
    ids = [r["id"] for r in recv()["requests"]]
    assert len(set(ids)) == 1 and len(ids) == 4, ids
    # A final refusal is dead at once; so is a message past 24 hours.
    t2 = int(st.cli("alert", "test", str(S["hook"])).stdout.split()[2])
    st.receiver(S["rport"], "/_ctl/faults", {"faults": ["410"]})
    st.notify()
    row = outbox("id = %d" % t2)[0]
    assert row[4] == "dead" and row[6] == "410", row
    t3 = int(st.cli("alert", "test", str(S["hook"])).stdout.split()[2])
    st.sql("UPDATE alert_outbox SET created_at = UNIX_TIMESTAMP() - 90000"
           " WHERE id = %d" % t3)
    st.receiver(S["rport"], "/_ctl/faults", {"faults": ["503"]})
    st.notify()
    row = outbox("id = %d" % t3)[0]
    assert row[4] == "dead" and "gave up after 24 hours" in row[7], row
    # The owner sends a dead one again from the Notifications page.
    _, pw = st.account(S["tenant"], "owner@alerts.example")
    c = WebClient(st).login("owner@alerts.example", pw)
    body = c.get("/notifications")[2]
    assert "send again" in body and "HTTP 410" in body
    status, h, _ = c.post("/notifications/messages/%d/resend" % t2,
                          {"csrf": c.csrf("/notifications")})
    assert status == 303, status
    st.notify()
    assert outbox("id = %d" % t2)[0][4] == "sent"


@test
def a_sender_killed_midway_loses_nothing_and_repeats_no_id():
    st.receiver(S["rport"], "/_ctl/reset", {})
    added = st.sim_post("/_sim/events", {"count": 400})["added"]
    want = {i for i, t in event_types(added).items()
            if t in ("api_key.created", "login.failed")}
    assert st.collect("--org", str(S["org"])).returncode == 0
    p = subprocess.Popen([st.bin("orgaudit-notify"), "--loop"],
                         env=st.env(), stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while recv()["count"] < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    n_at_kill = recv()["count"]
    # The killed sender's leases run out; the next one takes them.
    st.sql("UPDATE alert_outbox SET lease_until = 0")
    drain()
    got = [json.loads(r["body"]) for r in recv()["requests"]]
    ids = [b["data"]["id"] for b in got]
    assert set(ids) == want, (len(set(ids)), len(want))
    # At most the message in flight at the kill went twice, same id.
    dups = len(ids) - len(set(ids))
    assert dups <= 1, dups
    assert len({b["id"] for b in got}) == len(want)
    diag("killed after %d of %d deliveries; %d sent twice (same id)" % (
        n_at_kill, len(want), dups))


@test
def slack_gets_block_kit_and_email_goes_through_the_relay():
    st.receiver(S["rport"], "/_ctl/reset", {})
    slack = add("slack", "--url", url("/slack"), "--name", "sec channel")
    st.cli("alert", "test", str(slack))
    mail = add("email", "--to", "secops@alerts.example", "--on",
               "finding.opened,finding.resolved", "--min-severity", "medium")
    # A finding that opens after the first pull: two more owners.
    roles = st.sim_get("/_sim/truth")["posture"]["roles"]
    readers = next(r["users"] for r in roles.values() if r["name"] ==
                   "Reader")
    for uid in readers[:3]:
        st.sim_post("/_sim/posture", {"op": "add_owner", "user_id": uid})
    assert st.collect("--org", str(S["org"])).returncode == 0
    drain()
    req = [r for r in recv()["requests"] if r["path"] == "/slack"][0]
    b = json.loads(req["body"])
    assert b["text"] and b["blocks"][0]["type"] == "section", b
    assert b["blocks"][0]["text"]["type"] == "mrkdwn"
    assert "Orgaudit-Signature" not in req["headers"]
    msgs = sorted(f for f in os.listdir(st.mail_dir) if f.endswith(".eml"))
    texts = [open(os.path.join(st.mail_dir, f), "rb").read().decode()
             for f in msgs]
    owners = [t for t in texts if "too_many_owners" in t]
    assert owners, texts[:1]
    env = json.load(open(os.path.join(st.mail_dir, msgs[0][:-4] +
                                      ".json")))
    assert env["to"] == ["<secops@alerts.example>"], env
    assert "Subject: [orgaudit] New finding too_many_owners" in owners[0]
    assert "From: orgaudit <orgaudit@alerts.example>" in owners[0]
    # The address is sealed: not in the channel's row, not on any page.
    assert not st.sql("SELECT 1 FROM alert_channel WHERE hint LIKE "
                      "'%secops@%' OR name LIKE '%secops@%'")
    diag("%d mails, Slack blocks %s" % (len(msgs), [x["type"] for x in
                                                    b["blocks"]]))


@test
def findings_below_the_severity_come_in_a_daily_digest():
    """--digest: a finding under the channel's severity is held, and once
    the oldest held one is a day old a single signed digest lists them."""
    st.receiver(S["rport"], "/_ctl/reset", {})
    ch = add("webhook", "--url", url("/digest"), "--secret-file",
             st.path("etc", "hook.secret"), "--on", "finding.opened",
             "--min-severity", "high", "--digest")
    plain = add("webhook", "--url", url("/plain"), "--secret-file",
                st.path("etc", "hook.secret"), "--on", "finding.opened",
                "--min-severity", "high")
    pid = st.sql("SELECT subject_id FROM finding WHERE org_id = %d AND rule"
                 " = 'project_no_model_allowlist' AND live = 1 LIMIT 1"
                 % S["org"])[0][0]
    # Fixed, then broken again: a new low finding opens.
    st.sim_post("/_sim/posture", {"op": "set_model_permissions",
                                  "project_id": pid, "mode": "allow_list",
                                  "model_ids": ["gpt-4.1"]})
    assert st.collect("--org", str(S["org"])).returncode == 0
    st.sim_post("/_sim/posture", {"op": "clear_model_permissions",
                                  "project_id": pid})
    assert st.collect("--org", str(S["org"])).returncode == 0
    held = st.sql("SELECT status FROM alert_outbox WHERE channel_id = %d"
                  % ch)
    assert held and {r[0] for r in held} == {"held"}, held
    assert not outbox("channel_id = %d" % plain), "below high: dropped"
    drain()
    assert not [r for r in recv()["requests"] if r["path"] == "/digest"]
    st.sql("UPDATE alert_outbox SET created_at = created_at - 86401"
           " WHERE channel_id = %d AND status = 'held'" % ch)
    drain()
    drain()                     # a second pass makes no second digest
    got = [r for r in recv()["requests"] if r["path"] == "/digest"]
    assert len(got) == 1 and got[0]["signature_ok"], got
    b = json.loads(got[0]["body"])
    assert b["type"] == "digest" and b["data"]["count"] == len(held), b
    subjects = {(f["finding"]["rule"], f["finding"]["subject"]["id"])
                for f in b["data"]["findings"]}
    assert ("project_no_model_allowlist", pid) in subjects, subjects
    assert b["id"].startswith("evt_") and "project_no_model_allowlist" in \
        b["data"]["message"], b
    rows = {r[0] for r in st.sql("SELECT status FROM alert_outbox WHERE"
                                 " channel_id = %d" % ch)}
    assert rows == {"digested", "sent"}, rows
    for c in (ch, plain):
        st.cli("alert", "remove", str(c))
    diag("a digest of %d held finding message(s)" % len(held))


@test
def a_webhook_may_ask_for_ocsf_and_gets_valid_ocsf_events():
    try:
        import jsonschema
    except ImportError:
        import sys
        sys.path.append("/usr/lib/python3/dist-packages")
        import jsonschema
    from common import SRC
    with open(os.path.join(SRC, "tests", "data", "ocsf",
                           "ocsf-1.3.0.schema.json")) as f:
        schema = json.load(f)
    check = jsonschema.validators.validator_for(schema)(schema)
    st.receiver(S["rport"], "/_ctl/reset", {})
    ocsf = add("webhook", "--url", url("/ocsf"), "--secret-file",
               st.path("etc", "hook.secret"), "--format", "ocsf", "--on",
               "audit:login.failed,audit:api_key.created")
    added = st.sim_post("/_sim/events", {"count": 60})["added"]
    want = {i for i, t in event_types(added).items()
            if t in ("api_key.created", "login.failed")}
    assert st.collect("--org", str(S["org"])).returncode == 0
    drain()
    got = [r for r in recv()["requests"] if r["path"] == "/ocsf"]
    assert len(got) == len(want) and all(r["signature_ok"] for r in got)
    for r in got:
        ev = json.loads(r["body"])
        errs = [e.message for e in check.iter_errors(ev)]
        assert not errs, errs[:3]
        assert ev["class_uid"] in (3002, 3004), ev["class_uid"]
    assert {json.loads(r["body"])["metadata"]["uid"] for r in got} == want
    st.cli("alert", "remove", str(ocsf))


PRIVATE = ["https://127.0.0.1/x", "https://10.1.2.3/", "https://172.16.5.4/",
           "https://192.168.1.1/", "https://169.254.169.254/latest/",
           "https://100.64.0.1/", "https://0.0.0.0/", "https://224.0.0.1/",
           "https://198.18.0.1/", "https://[::1]/", "https://[fd12:3456::1]/",
           "https://[fe80::1]/", "https://[ff02::1]/",
           "https://[::ffff:10.0.0.1]/", "https://localhost/"]


@test
def urls_reaching_a_private_address_are_refused_at_adding_and_sending():
    st.write_conf(alert_allow_private=0)
    try:
        for u in PRIVATE:
            r = add("webhook", "--url", u, "--secret-file",
                    st.path("etc", "hook.secret"), check=False)
            assert r.returncode == 2 and "not a public address" in \
                r.stderr, (u, r.returncode, r.stderr)
        r = add("webhook", "--url", url("/plain"), "--secret-file",
                st.path("etc", "hook.secret"), check=False)
        assert r.returncode == 2 and "must be https" in r.stderr, r.stderr
        # A public address passes the check (nothing is sent to it).
        assert add("webhook", "--url", "https://93.184.215.14/hook",
                   "--secret-file", st.path("etc", "hook.secret")) > 0
        # A channel stored while private URLs were allowed is refused
        # when it is sent to, and dead: nothing reached the receiver.
        st.receiver(S["rport"], "/_ctl/reset", {})
        tid = int(st.cli("alert", "test", str(S["hook"])).stdout.split()[2])
        st.notify()
        row = outbox("id = %d" % tid)[0]
        assert row[4] == "dead" and "refused" in row[7], row
        assert recv()["count"] == 0
    finally:
        st.write_conf(alert_allow_private=1)


@test
def the_notifications_page_seals_what_it_is_given_and_viewers_are_refused():
    _, pw = st.account(S["tenant"], "owner2@alerts.example")
    c = WebClient(st).login("owner2@alerts.example", pw)
    status, h, _ = c.post("/notifications", {
        "csrf": c.csrf("/notifications"), "type": "webhook",
        "name": "from the page", "url": url("/page-hook?token=s3cr3t"),
        "secret": SECRET, "on": "finding.opened", "min_severity": "high",
        "format": "native", "digest": "true"})
    assert status == 303, status
    body = c.get("/notifications")[2]
    assert "from the page" in body and "127.0.0.1" in body
    assert "(below: daily digest)" in body
    assert st.sql("SELECT digest FROM alert_channel WHERE name ="
                  " 'from the page'") == [["1"]]
    assert "s3cr3t" not in body and SECRET not in body
    assert not st.sql("SELECT 1 FROM alert_channel WHERE target_sealed "
                      "LIKE '%s3cr3t%'")
    status, _, body = c.post("/notifications", {
        "csrf": c.csrf("/notifications"), "type": "webhook", "name": "x",
        "url": url("/h"), "secret": "short"})
    assert status == 400 and "signing secret" in body, status
    _, vpw = st.account(S["tenant"], "viewer@alerts.example", "viewer")
    v = WebClient(st).login("viewer@alerts.example", vpw)
    assert v.get("/notifications")[0] == 403
    acts = st.sql("SELECT action FROM activity WHERE tenant_id = %d" %
                  S["tenant"])
    assert ["alert.channel_added"] in acts and ["alert.channel_tested"] in \
        acts


run(setup=setup, teardown=st.stop)
