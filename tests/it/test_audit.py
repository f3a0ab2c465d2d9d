#!/usr/bin/env python3
"""The audit log copy: every event kept once, in order, chained, and
provably unchanged.  The collector is killed with SIGKILL at page
boundaries and inside a transaction, MariaDB is restarted under it, pages
are replayed, events arrive while it pulls, and stored rows are edited,
deleted, inserted and reordered; each time the stored chain must equal
the simulator's log or 'orgaudit events verify' must name the broken row.
"""
import hashlib
import json
import os
import re
import signal
import subprocess
import time

from common import CANARY_DOMAIN, grep_bytes, new_stack
from tap import diag, run, test

st = new_stack("it-audit")
S = {}


def setup():
    st.start_db()
    st.start_sim("--users", "12", "--projects", "4", "--keys-per-project",
                 "4", "--seed", "61", "--events", "1500", "--events-days",
                 "20", "--email-domain", CANARY_DOMAIN)
    st.write_conf(audit_overlap_seconds=3600)
    st.init_orgaudit()
    st.start_web()
    S["tenant"] = st.tenant("Audit Co")
    S["tok"] = st.token(S["tenant"])
    S["org"] = st.connect(S["tenant"])


def sim_ids():
    return st.sim_get("/_sim/audit/ids")["ids"]


def stored_ids(org=None):
    return [r[0] for r in st.sql(
        "SELECT id FROM audit_event WHERE org_id = %d ORDER BY seq" %
        (org or S["org"]))]


def verify(org=None):
    r = st.cli("events", "verify", "--org", str(org or S["org"]),
               check=False)
    return r.returncode, r.stdout.strip()


def collect(env=None, org=None):
    return subprocess.run([st.bin("orgaudit-collect"), "--org",
                           str(org or S["org"])],
                          env=dict(st.env(), **(env or {})),
                          capture_output=True, text=True)


def audit_requests():
    return st.sim_get("/_sim/stats")["by_stream"].get("audit_logs", 0)


def open_writes():
    """Rows written by transactions still open (not yet committed)."""
    r = st.sql("SELECT COALESCE(SUM(trx_rows_modified), 0) FROM"
               " information_schema.innodb_trx")
    return int(r[0][0])


def killed_run(after_requests, env=None, in_tx=False):
    """Starts the collector and SIGKILLs it once the simulator has seen
    after_requests audit requests (or it ends by itself); with in_tx, only
    once a transaction of its has written rows and not committed."""
    st.sim_post("/_sim/stats/reset", {})
    p = subprocess.Popen([st.bin("orgaudit-collect"), "--org",
                          str(S["org"])], env=dict(st.env(), **(env or {})),
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while p.poll() is None and audit_requests() < after_requests and \
            time.monotonic() < deadline:
        time.sleep(0.005)
    while in_tx and p.poll() is None and open_writes() == 0 and \
            time.monotonic() < deadline:
        time.sleep(0.005)
    if p.poll() is None:
        p.send_signal(signal.SIGKILL)
    p.wait()
    # A killed collector leaves its lease: the next run must wait it out.
    st.sql("UPDATE org SET lease_until = 0, lease_owner = NULL")
    return p.returncode


def assert_complete():
    ids = stored_ids()
    want = sim_ids()
    assert len(ids) == len(set(ids)), "an event is stored twice"
    assert sorted(ids) == sorted(want), "stored %d, simulator has %d" % (
        len(ids), len(want))
    rc, out = verify()
    assert rc == 0, out
    return ids


@test
def first_pull_is_killed_at_page_boundaries_and_completes():
    st.sim_post("/_sim/config", {"latency_ms": 15})
    try:
        pages = 0
        for k in (3, 8, 13, 19, 25):
            rc = killed_run(k)
            pages = max(pages, len(stored_ids()))
            rc2, out = verify()
            assert rc2 == 0, "chain broken after a kill at request %d: %s" \
                % (k, out)
    finally:
        st.sim_post("/_sim/config", {"latency_ms": 0})
    r = collect()
    assert r.returncode == 0, r.stderr
    ids = assert_complete()
    diag("%d events after 5 kills and a last run" % len(ids))


@test
def stored_in_time_order_as_one_chain():
    rows = st.sql("SELECT seq, effective_at FROM audit_event WHERE org_id"
                  " = %d ORDER BY seq" % S["org"])
    seqs = [int(r[0]) for r in rows]
    ats = [int(r[1]) for r in rows]
    assert seqs == list(range(1, len(seqs) + 1)), "numbering has gaps"
    assert ats == sorted(ats), "not oldest first"
    assert stored_ids() == sim_ids(), "not in the simulator's order"


@test
def kill_inside_a_transaction_loses_and_doubles_nothing():
    before = len(stored_ids())
    st.sim_post("/_sim/events", {"count": 900})
    for k in (1, 2, 3):
        rc = killed_run(k, {"ORGAUDIT_TEST_AUDIT_TX_PAUSE_MS": "400"},
                        in_tx=True)
        diag("kill %d: rc %s, %d stored" % (k, rc, len(stored_ids())))
        assert rc == -signal.SIGKILL, "run %d ended by itself: %s" % (k, rc)
        # The killed transaction's rows and head move are both gone.
        assert int(st.sql("SELECT MAX(seq) FROM audit_event WHERE org_id"
                          " = %d" % S["org"])[0][0]) == int(st.sql(
                              "SELECT head_seq FROM audit_state")[0][0])
        rc2, out = verify()
        assert rc2 == 0, out
    assert len(stored_ids()) < before + 900, "nothing was left to kill"
    r = collect()
    assert r.returncode == 0, r.stderr
    ids = assert_complete()
    assert len(ids) == before + 900


@test
def mariadb_restarted_mid_pull():
    st.sim_post("/_sim/events", {"count": 600})
    st.sim_post("/_sim/config", {"latency_ms": 20})
    try:
        p = subprocess.Popen([st.bin("orgaudit-collect"), "--org",
                              str(S["org"])], env=st.env(),
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
        st.sim_post("/_sim/stats/reset", {})
        while audit_requests() < 3 and p.poll() is None:
            time.sleep(0.005)
        st.stop_db()
        st.start_db()
        p.communicate(timeout=120)
        diag("collector exit %d while MariaDB restarted" % p.returncode)
    finally:
        st.sim_post("/_sim/config", {"latency_ms": 0})
    st.sql("UPDATE org SET lease_until = 0, lease_owner = NULL")
    r = collect()
    assert r.returncode == 0, r.stderr
    assert_complete()


@test
def replaying_pages_changes_nothing():
    before = st.sql("SELECT seq, id, HEX(hash) FROM audit_event WHERE"
                    " org_id = %d ORDER BY seq" % S["org"])
    head = st.sql("SELECT head_seq, HEX(head_hash) FROM audit_state")
    # Move the walk back, twice, and once to the very start.
    for seq in (len(before) // 3, len(before) // 2, None):
        if seq is None:
            st.sql("UPDATE audit_state SET anchor_id = NULL,"
                   " anchor_at = NULL")
        else:
            row = st.sql("SELECT id, effective_at FROM audit_event WHERE"
                         " org_id = %d AND seq = %d" % (S["org"], seq))[0]
            st.sql("UPDATE audit_state SET anchor_id = '%s', anchor_at = %s"
                   % (row[0], row[1]))
        for _ in range(2):
            r = collect()
            assert r.returncode == 0, r.stderr
    after = st.sql("SELECT seq, id, HEX(hash) FROM audit_event WHERE"
                   " org_id = %d ORDER BY seq" % S["org"])
    assert after == before, "replayed pages changed the chain"
    assert st.sql("SELECT head_seq, HEX(head_hash) FROM audit_state") == \
        head
    assert verify()[0] == 0


@test
def events_arriving_during_a_pull_are_neither_lost_nor_doubled():
    st.sim_post("/_sim/events", {"count": 300})
    st.sim_post("/_sim/config", {"events_per_request": 3,
                                 "latency_ms": 5})
    try:
        r = collect()
        assert r.returncode == 0, r.stderr
    finally:
        st.sim_post("/_sim/config", {"events_per_request": 0,
                                     "latency_ms": 0})
    r = collect()
    assert r.returncode == 0, r.stderr
    assert_complete()


@test
def late_arrivals_within_the_overlap_are_kept_once():
    before = len(stored_ids())
    added = st.sim_post("/_sim/events", {"count": 4,
                                         "age_seconds": 1200})["added"]
    r = collect()
    assert r.returncode == 0, r.stderr
    ids = assert_complete()
    assert len(ids) == before + 4
    assert set(added) <= set(ids[-4:]), "late events not appended"


@test
def entries_are_kept_whole_but_for_addresses():
    canary = CANARY_DOMAIN.encode()
    bodies = st.sql("SELECT id, body FROM audit_event WHERE org_id = %d" %
                    S["org"])
    for _, body in bodies:
        assert canary not in body.encode(), "an address was stored"
    types = {r[0] for r in st.sql("SELECT DISTINCT type FROM audit_event")}
    assert any(t.startswith("tenant.") or t == "resource.deleted"
               for t in types), "unknown types were dropped"
    checked = 0
    for eid, body in bodies[:200]:
        want = st.sim_get("/_sim/audit/event/" + eid)
        got = json.loads(body)
        assert same_but_addresses(want, got), (eid, want, got)
        checked += 1
    diag("%d entries compared field by field" % checked)


def same_but_addresses(want, got):
    """got is want with each address replaced by its hash (and prefix)."""
    if isinstance(want, dict):
        for k, v in want.items():
            if isinstance(v, str) and "@" in v and " " not in v:
                h = hashlib.sha256(v.strip().lower().encode()).hexdigest()
                if got.get(k) != "sha256:" + h:
                    return False
                if got.get(k + "_prefix") != v.lower().split("@")[0][:4]:
                    return False
            elif k not in got or not same_but_addresses(v, got[k]):
                return False
        return True
    if isinstance(want, list):
        return len(want) == len(got) and all(
            same_but_addresses(a, b) for a, b in zip(want, got))
    if isinstance(want, str) and "@" in want:
        return "@" not in got
    return want == got


@test
def stored_rows_are_append_only():
    for sql in ("UPDATE audit_event SET type = 'x' WHERE seq = 1",
                "DELETE FROM audit_event WHERE seq = 1"):
        r = subprocess.run(["mariadb", "--no-defaults", "--socket=" +
                            st.db_socket, "-u", "orgaudit", "-p" +
                            open(st.path("etc", "db.password")).read()
                            .strip(), "orgaudit", "-e", sql],
                           capture_output=True, text=True)
        assert r.returncode != 0 and "append-only" in r.stderr, r.stderr


def restore_triggers():
    """The append-only triggers, as the migration creates them."""
    sql = open(os.path.join(os.path.dirname(__file__), "..", "..", "sql",
                            "005_audit.sql")).read()
    st.sql(sql[sql.index("CREATE TRIGGER"):])


def tampered(sql, expect_seq, words):
    """Applies sql with the triggers off (as a DBA could), checks that
    verify names the row, then puts every row back as it was."""
    span = "org_id = %d AND (seq BETWEEN %d AND %d OR seq > 1000000)" % (
        S["org"], expect_seq - 1, expect_seq + 2)
    st.sql("DROP TABLE IF EXISTS audit_backup;"
           " CREATE TABLE audit_backup AS SELECT * FROM audit_event"
           " WHERE " + span + ";"
           " DROP TRIGGER IF EXISTS audit_event_no_update;"
           " DROP TRIGGER IF EXISTS audit_event_no_delete;" + sql)
    try:
        rc, out = verify()
        assert rc == 1, out
        assert "row %d" % expect_seq in out, (expect_seq, out)
        assert any(w in out for w in words), out
    finally:
        st.sql("DELETE FROM audit_event WHERE " + span + ";"
               " INSERT INTO audit_event SELECT * FROM audit_backup;"
               " DROP TABLE audit_backup;")
        restore_triggers()
    assert verify()[0] == 0, "restoring failed"


@test
def editing_deleting_inserting_or_reordering_is_named():
    n = len(stored_ids())
    mid = n // 2
    tampered("UPDATE audit_event SET body = REPLACE(body, '\"type\"',"
             " '\"typo\"') WHERE org_id = %d AND seq = %d" % (S["org"], mid),
             mid, ["content"])
    tampered("DELETE FROM audit_event WHERE org_id = %d AND seq = %d" %
             (S["org"], mid), mid + 1, ["missing"])
    tampered("UPDATE audit_event SET seq = seq + 1000000 WHERE org_id = %d"
             " AND seq = %d; INSERT INTO audit_event (tenant_id, org_id,"
             " seq, id, effective_at, type, body, prev_hash, hash,"
             " stored_at) SELECT tenant_id, org_id, %d, 'audit_log-forged',"
             " effective_at, type, body, prev_hash, hash, 0 FROM"
             " audit_event WHERE org_id = %d AND seq = %d + 1000000" % (
                 S["org"], mid, mid, S["org"], mid), mid, ["content",
                                                            "prev_hash"])
    # Reorder: rows mid and mid+1 swap places, hashes and all.
    tampered("UPDATE audit_event SET seq = -1 WHERE org_id = %d AND seq ="
             " %d; UPDATE audit_event SET seq = %d WHERE org_id = %d AND"
             " seq = %d; UPDATE audit_event SET seq = %d WHERE org_id = %d"
             " AND seq = -1" % (S["org"], mid, mid, S["org"], mid + 1,
                                mid + 1, S["org"]), mid, ["prev_hash"])
    tampered("DELETE FROM audit_event WHERE org_id = %d AND seq = %d" %
             (S["org"], n), n, ["recorded head"])
    # The first rows and the last ones, each edit and deletion.
    for seq in (1, 2, n - 1, n):
        tampered("UPDATE audit_event SET body = REPLACE(body, '\"id\"',"
                 " '\"Id\"') WHERE org_id = %d AND seq = %d" % (S["org"],
                                                                seq),
                 seq, ["content"])
        tampered("UPDATE audit_event SET effective_at = effective_at + 1"
                 " WHERE org_id = %d AND seq = %d" % (S["org"], seq), seq,
                 ["columns"])
        tampered("UPDATE audit_event SET hash = UNHEX(SHA2('x', 256))"
                 " WHERE org_id = %d AND seq = %d" % (S["org"], seq), seq,
                 ["content"])
    tampered("DELETE FROM audit_event WHERE org_id = %d AND seq = 1" %
             S["org"], 2, ["missing"])
    cleanup = st.sql("SELECT COUNT(*) FROM audit_event WHERE seq > 1000000")
    assert cleanup == [["0"]], "a forged row survived"


@test
def api_lists_filters_and_pages_the_log():
    org = S["org"]
    ids = stored_ids()
    walked, cursor = [], None
    while True:
        page = st.api("/api/v1/openai/orgs/%d/events?limit=97%s" % (
            org, "&cursor=" + cursor if cursor else ""), S["tok"])
        walked += [e["id"] for e in page["data"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert walked == list(reversed(ids)), "not every event, newest first"
    one = st.api("/api/v1/openai/orgs/%d/events?limit=1" % org,
                 S["tok"])["data"][0]
    for k in ("id", "seq", "type", "effective_at", "actor", "hash",
              "prev_hash", "entry"):
        assert k in one, k
    created = st.api("/api/v1/openai/orgs/%d/events?type=api_key.created"
                     "&limit=200" % org, S["tok"])["data"]
    assert created and all(e["type"] == "api_key.created" for e in created)
    want = st.sql("SELECT COUNT(*) FROM audit_event WHERE org_id = %d AND"
                  " type = 'api_key.created'" % org)[0][0]
    assert len(created) == min(int(want), 200)
    actor = created[0]["actor"]["id"]
    by_actor = st.api("/api/v1/openai/orgs/%d/events?actor=%s&limit=200" % (
        org, actor), S["tok"])["data"]
    assert by_actor and all(e["actor"]["id"] == actor or
                            e["actor"]["key_id"] == actor for e in by_actor)
    email = next(e for e in st.sim_get("/_sim/truth")["emails"])
    by_mail = st.api("/api/v1/openai/orgs/%d/events?actor_email=%s"
                     "&limit=200" % (org, email), S["tok"])["data"]
    h = hashlib.sha256(email.lower().encode()).hexdigest()
    assert all(e["entry"]["actor"][e["entry"]["actor"]["type"]]["user"]
               ["email"] == "sha256:" + h for e in by_mail)
    t0 = int(st.sql("SELECT effective_at FROM audit_event WHERE org_id = %d"
                    " AND seq = %d" % (org, len(ids) // 2))[0][0])
    since = st.api("/api/v1/openai/orgs/%d/events?since=%d&limit=200" % (
        org, t0), S["tok"])["data"]
    assert since and all(e["effective_at"] >= t0 for e in since)
    # A time range pages newest first by time, every event in it once.
    # Bursts share a second: bound the range by distinct times.
    times = [int(r[0]) for r in st.sql(
        "SELECT DISTINCT effective_at FROM audit_event WHERE org_id = %d"
        " ORDER BY effective_at" % org)]
    t0, t1 = times[len(times) // 4], times[len(times) // 2]
    want = [r[0] for r in st.sql(
        "SELECT id FROM audit_event WHERE org_id = %d AND effective_at >= %d"
        " AND effective_at < %d ORDER BY effective_at DESC, seq DESC" % (
            org, t0, t1))]
    got, cursor = [], None
    while True:
        page = st.api("/api/v1/openai/orgs/%d/events?since=%d&until=%d"
                      "&limit=37%s" % (org, t0, t1, "&cursor=" + cursor
                                       if cursor else ""), S["tok"])
        got += [e["id"] for e in page["data"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(want) > 100 and got == want, (len(got), len(want))
    # A cursor of one order is refused by the other.
    st.api("/api/v1/openai/orgs/%d/events?cursor=%s" % (org, cursor or
           page_cursor(org, t0)), S["tok"], expect=400)
    # A key that acted, and a user: each by its own column.
    key = st.sql("SELECT actor_key_id, COUNT(*) FROM audit_event WHERE"
                 " org_id = %d AND actor_key_id IS NOT NULL GROUP BY"
                 " actor_key_id ORDER BY 2 DESC LIMIT 1" % org)[0]
    by_key = st.api("/api/v1/openai/orgs/%d/events?actor=%s&limit=200" % (
        org, key[0]), S["tok"])["data"]
    assert len(by_key) == min(int(key[1]), 200)
    assert all(e["actor"]["key_id"] == key[0] for e in by_key)
    for bad in ("type=Not%20A%20Type", "since=yesterday", "actor=a%2Fb",
                "actor_email=nope"):
        st.api("/api/v1/openai/orgs/%d/events?%s" % (org, bad), S["tok"],
               expect=400)


def page_cursor(org, since):
    """A cursor from a time-ordered page."""
    return st.api("/api/v1/openai/orgs/%d/events?since=%d&limit=1" % (
        org, since), S["tok"])["next_cursor"]


@test
def siem_export_streams_and_resumes():
    org = S["org"]
    status, h, body = st.http("GET", "/api/v1/openai/orgs/%d/events.jsonl"
                              % org, token=S["tok"])
    assert status == 200 and h["content-type"].startswith(
        "application/x-ndjson")
    lines = body.decode().splitlines()
    assert len(lines) == len(stored_ids())
    prev = "00" * 32
    for n, line in enumerate(lines, 1):
        rec = json.loads(line)
        assert rec["seq"] == n and rec["prev_hash"] == prev
        entry = line[line.index('"entry":') + 8:-1].encode()
        digest = hashlib.sha256(bytes.fromhex(prev) + entry).hexdigest()
        assert digest == rec["hash"], "line %d does not chain" % n
        prev = rec["hash"]
    k = len(lines) // 3
    status, _, rest = st.http("GET", "/api/v1/openai/orgs/%d/events.jsonl"
                              "?after_seq=%d" % (org, k), token=S["tok"])
    assert rest.decode().splitlines() == lines[k:]
    status, _, none = st.http("GET", "/api/v1/openai/orgs/%d/events.jsonl"
                              "?after_seq=%d" % (org, len(lines)),
                              token=S["tok"])
    assert status == 200 and none == b""
    diag("%d lines chain from the zero hash" % len(lines))


@test
def keys_users_projects_say_who_added_them():
    org = S["org"]
    keys = st.api("/api/v1/openai/orgs/%d/keys?limit=200" % org,
                  S["tok"])["data"]
    with_creator = [k for k in keys if k["created_by"]]
    assert with_creator, "no key knows its creator"
    for k in with_creator:
        ev = st.sim_get("/_sim/audit/event/" + k["created_by"]["event_id"])
        assert ev["type"] == "api_key.created"
        assert ev["api_key.created"]["id"] == k["id"]
    users = st.api("/api/v1/openai/orgs/%d/users?limit=200" % org,
                   S["tok"])["data"]
    assert any(u["added_by"] for u in users)
    projects = st.api("/api/v1/openai/orgs/%d/projects?limit=200" % org,
                      S["tok"])["data"]
    assert any(p["created_by"] for p in projects)


@test
def logging_off_and_forbidden_are_findings():
    org = st.api("/api/v1/openai/orgs/%d" % S["org"], S["tok"])
    assert org["audit"]["status"] == "ok" and not org["findings"]
    st.sim_post("/_sim/config", {"audit_logging": "off"})
    try:
        off = st.connect(S["tenant"], name="logging off")
        assert collect(org=off).returncode == 0
        o = st.api("/api/v1/openai/orgs/%d" % off, S["tok"])
        assert o["audit"]["status"] == "empty", o["audit"]
        assert [f["kind"] for f in o["findings"]] == ["audit_logging_off"]
    finally:
        st.sim_post("/_sim/config", {"audit_logging": "on"})
    st.sim_post("/_sim/config", {"forbid": ["audit_logs"]})
    try:
        denied = st.connect(S["tenant"], name="no audit access")
        assert collect(org=denied).returncode == 0
        o = st.api("/api/v1/openai/orgs/%d" % denied, S["tok"])
        assert o["audit"]["status"] == "denied"
        assert [f["kind"] for f in o["findings"]] == ["audit_log_unreadable"]
    finally:
        st.sim_post("/_sim/config", {"forbid": []})


@test
def other_tenants_cannot_read_the_log():
    other = st.tenant("Nosy Co")
    tok = st.token(other)
    for path in ("/events", "/events.jsonl", "/events?type=login.succeeded"):
        st.api("/api/v1/openai/orgs/%d%s" % (S["org"], path), tok,
               expect=404)


@test
def a_long_history_is_read_in_windows_and_kept_in_order():
    """A new org whose log is long and uneven: 30,000 entries over three
    days and a burst of 3,000 in one second.  The first pull reads it in
    parallel time windows; the burst's window is cut and its second read
    again; kills during the windows lose and double nothing."""
    st.stop_sim()
    st.start_sim("--users", "8", "--projects", "3", "--seed", "62",
                 "--events", "30000", "--events-days", "3",
                 "--email-domain", CANARY_DOMAIN, access_log=False)
    st.write_conf(audit_overlap_seconds=3600)
    st.sim_post("/_sim/events", {"count": 3000, "age_seconds": 86400})
    org = st.connect(S["tenant"], name="long history")
    S["org_long"] = org
    st.sim_post("/_sim/config", {"latency_ms": 3})
    try:
        for k in (40, 90, 160):
            st.sim_post("/_sim/stats/reset", {})
            p = subprocess.Popen([st.bin("orgaudit-collect"), "--org",
                                  str(org)], env=st.env(),
                                 stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True)
            while p.poll() is None and audit_requests() < k:
                time.sleep(0.002)
            p.kill()
            _, err = p.communicate()
            st.sql("UPDATE org SET lease_until = 0, lease_owner = NULL")
            rc, out = verify(org)
            assert rc == 0, "chain broken after a kill at request %d: %s" \
                % (k, out)
            diag("killed at request %d: %d stored" % (
                k, len(stored_ids(org))))
        st.sim_post("/_sim/stats/reset", {})
        r = collect(org=org)
        assert r.returncode == 0, r.stderr
        cut = re.search(r"windows read; (\d+) cut short", r.stderr)
        assert cut, r.stderr[-2000:]
        assert int(cut.group(1)) > 0, "the burst's window was not cut"
        reqs = audit_requests()
    finally:
        st.sim_post("/_sim/config", {"latency_ms": 0})
    ids = stored_ids(org)
    want = sim_ids()
    assert len(ids) == len(set(ids)), "an event is stored twice"
    assert ids == want, "stored %d in a different order or set than the" \
        " simulator's %d" % (len(ids), len(want))
    assert verify(org)[0] == 0
    diag("%d entries in order; the last run made %d requests" % (
        len(ids), reqs))


@test
def windows_replayed_from_the_start_change_nothing():
    org = S["org_long"]
    before = st.sql("SELECT seq, id, HEX(hash) FROM audit_event WHERE"
                    " org_id = %d ORDER BY seq" % org)
    st.sql("UPDATE audit_state SET anchor_id = NULL, anchor_at = NULL"
           " WHERE org_id = %d" % org)
    r = collect(org=org)
    assert r.returncode == 0, r.stderr
    after = st.sql("SELECT seq, id, HEX(hash) FROM audit_event WHERE"
                   " org_id = %d ORDER BY seq" % org)
    assert after == before, "a replay through windows changed the chain"


@test
def no_address_in_the_database_files_the_logs_or_the_export():
    """Every simulated address uses the canary domain: after all of the
    above, it is in none of MariaDB's files, our logs, or the exports."""
    st.sql("FLUSH TABLES")
    assert not grep_bytes(st.path("mysql", "data"), CANARY_DOMAIN), \
        "an address is in MariaDB's files"
    for log in os.listdir(st.path("logs")):
        if not log.startswith("sim"):
            assert not grep_bytes(st.path("logs", log), CANARY_DOMAIN), log
    for org in (S["org"], S["org_long"]):
        status, _, body = st.http("GET", "/api/v1/openai/orgs/%d/"
                                  "events.jsonl" % org, token=S["tok"])
        assert status == 200 and body.count(b"\n") > 1000
        assert CANARY_DOMAIN.encode() not in body


if __name__ == "__main__":
    run(setup=setup, teardown=st.stop)
