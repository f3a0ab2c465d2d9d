#!/usr/bin/env python3
"""The findings engine against the simulator's truth.

After a pull, each rule fires exactly on the subjects the simulator's
posture truth names, and nowhere else; a finding opens, is seen again at
the next pull, is resolved at the first pull that no longer sees it, and
a finding that comes back is a new one while the old stays resolved; a
stream that failed or was forbidden neither opens nor resolves what
depends on it; the API, the pages and the evidence pack show the same.
"""
import json
import os
import subprocess
import tarfile
import time

from common import new_stack, truth
from tap import diag, run, test

st = new_stack("it-findings")
S = {}

# Every rule of the engine.
RULES = {"key_stale", "key_orphan", "key_legacy_user",
         "service_account_key_old", "admin_key_stale", "admin_key_old",
         "admin_key_orphan", "org_audit_logging_off", "too_many_owners",
         "invite_stale", "key_created_by_unexpected_actor",
         "project_no_model_allowlist", "project_no_spend_alert"}
SUBJECT = {"organization": "org"}


def setup():
    st.start_db()
    st.start_sim("--users", "30", "--projects", "5", "--keys-per-project",
                 "6", "--seed", "71", "--owners", "5", "--stale-invites", "2")
    st.write_conf()
    st.init_orgaudit()
    st.start_web()
    S["tenant"] = st.tenant("Findings")
    S["tok"] = st.token(S["tenant"])
    S["org"] = st.connect(S["tenant"])
    collect()


def collect():
    r = st.collect("--org", str(S["org"]))
    assert r.returncode == 0, r.stderr
    return r


def findings(status="open", **q):
    """Every finding of the org through the API, following next_cursor."""
    out, cursor = [], None
    while True:
        qs = "status=%s&limit=200" % status + "".join(
            "&%s=%s" % kv for kv in q.items())
        if cursor:
            qs += "&cursor=" + cursor
        page = st.api("/api/v1/openai/orgs/%d/findings?%s" % (S["org"], qs),
                      S["tok"])
        out += page["data"]
        cursor = page["next_cursor"]
        if not cursor:
            return out


def expected(rules=RULES):
    t = truth(st)["posture"]["findings"]
    return sorted((f["rule"], SUBJECT.get(f["subject_type"],
                                          f["subject_type"]),
                   f["subject_id"]) for f in t if f["rule"] in rules)


def got(fs, rules=RULES):
    return sorted((f["rule"], f["subject"]["type"], f["subject"]["id"])
                  for f in fs if f["rule"] in rules)


def owners():
    """The users holding the org's Owner role, from the truth."""
    roles = truth(st)["posture"]["roles"]
    return sorted(next(r["users"] for r in roles.values()
                       if r["name"] == "Owner"))


def posture(op, **kw):
    return st.sim_post("/_sim/posture", dict(op=op, **kw))


@test
def each_rule_fires_exactly_where_the_truth_says():
    want = expected(RULES - {"key_created_by_unexpected_actor"})
    have = got(findings())
    assert have == want, "missing %s; extra %s" % (
        sorted(set(want) - set(have))[:8], sorted(set(have) - set(want))[:8])
    rules = {w[0] for w in want}
    # The org is built so that most rules have something to find.
    assert {"key_stale", "key_orphan", "key_legacy_user", "admin_key_old",
            "too_many_owners", "invite_stale", "project_no_model_allowlist",
            "project_no_spend_alert"} <= rules, rules
    diag("%d open findings over %d rules" % (len(want), len(rules)))
    # No creator named: that rule is off.
    assert not [f for f in findings() if f["rule"] ==
                "key_created_by_unexpected_actor"]


@test
def a_finding_carries_its_subject_message_and_evidence():
    fs = findings(rule="too_many_owners")
    assert len(fs) == 1, fs
    f = fs[0]
    assert f["id"].startswith("fnd_") and f["object"] == "orgaudit.finding"
    assert f["severity"] == "medium" and f["subject"]["type"] == "org"
    own = owners()
    assert f["evidence"]["owners"] == len(own) == 5, f
    assert f["evidence"]["owner_ids"] == own
    assert f["message"].startswith("5 users have the owner role"), f
    assert f["resolved_at"] is None and f["opened_at"] == f["last_seen_at"]
    stale = findings(rule="key_stale")[0]
    assert stale["evidence"]["redacted"].startswith("sk-"), stale
    assert stale["subject"]["type"] == "api_key"
    # Filters: severity, subject.
    high = findings(severity="high")
    assert high and all(x["severity"] == "high" for x in high)
    one = findings(subject=stale["subject"]["id"])
    assert {x["subject"]["id"] for x in one} == {stale["subject"]["id"]}
    # The keys list keeps the keys with an open finding of a rule.
    legacy = {f["subject"]["id"] for f in findings(rule="key_legacy_user")}
    keys = st.api("/api/v1/openai/orgs/%d/keys?finding=key_legacy_user"
                  "&limit=200" % S["org"], S["tok"])["data"]
    assert legacy and {k["id"] for k in keys} == legacy, keys
    assert all(k["type"] == "user" for k in keys)
    status, _, body = st.http("GET", "/api/v1/openai/orgs/%d/findings?"
                              "status=closed" % S["org"], token=S["tok"])
    assert status == 400 and b"open, resolved or all" in body, body


@test
def a_finding_opens_stays_resolves_and_a_return_is_a_new_finding():
    first = findings(rule="too_many_owners")[0]
    time.sleep(1.1)
    collect()
    again = findings(rule="too_many_owners")[0]
    assert again["id"] == first["id"], "seen again is the same finding"
    assert again["last_seen_at"] > first["last_seen_at"]
    assert again["opened_at"] == first["opened_at"]
    # Two owners fewer: 3, the limit.
    own = owners()
    for uid in own[:2]:
        posture("remove_owner", user_id=uid)
    time.sleep(1.1)
    collect()
    assert not findings(rule="too_many_owners")
    res = findings("resolved", rule="too_many_owners")
    assert [x["id"] for x in res] == [first["id"]], res
    run_at = int(st.sql("SELECT started_at_ms DIV 1000 FROM collect_run "
                        "ORDER BY id DESC LIMIT 1")[0][0])
    assert abs(res[0]["resolved_at"] - run_at) <= 1, (res[0], run_at)
    # Back again: a new finding; the old one stays resolved.
    posture("add_owner", user_id=own[0])
    time.sleep(1.1)
    collect()
    now = findings(rule="too_many_owners")
    assert len(now) == 1 and now[0]["id"] != first["id"], now
    allf = findings("all", rule="too_many_owners")
    assert {x["id"] for x in allf} == {first["id"], now[0]["id"]}
    assert findings("resolved", rule="too_many_owners")[0]["id"] == \
        first["id"]
    # An invite accepted resolves its invite_stale finding.
    inv = findings(rule="invite_stale")
    posture("accept_invite", invite_id=inv[0]["subject"]["id"])
    collect()
    assert inv[0]["id"] in {x["id"] for x in findings("resolved",
                                                       rule="invite_stale")}
    assert got(findings()) == expected(RULES - {
        "key_created_by_unexpected_actor"})


@test
def fixing_a_projects_settings_resolves_its_findings():
    nolist = findings(rule="project_no_model_allowlist")
    pid = nolist[0]["subject"]["id"]
    assert nolist[0]["evidence"]["mode"] == "deny_list", nolist[0]
    posture("set_model_permissions", project_id=pid, mode="allow_list",
            model_ids=["gpt-4.1"])
    noalert = findings(rule="project_no_spend_alert")
    assert noalert
    posture("org_spend_alert", on=True)
    collect()
    assert pid not in {f["subject"]["id"] for f in findings(
        rule="project_no_model_allowlist")}
    assert not findings(rule="project_no_spend_alert")
    assert {f["id"] for f in noalert} <= {f["id"] for f in findings(
        "resolved", rule="project_no_spend_alert")}
    posture("org_spend_alert", on=False)
    collect()
    back = findings(rule="project_no_spend_alert")
    assert len(back) == len(noalert) and not {f["id"] for f in back} & \
        {f["id"] for f in noalert}, "a return is a new finding"
    assert got(findings()) == expected(RULES - {
        "key_created_by_unexpected_actor"})


@test
def a_failed_or_forbidden_stream_neither_opens_nor_resolves():
    before = got(findings())
    stale_inv = {f["id"] for f in findings(rule="invite_stale")}
    assert stale_inv
    # While invites cannot be read, a threshold under which none is stale
    # resolves nothing (the old snapshot must not be judged again), and
    # one under which every pending invite is stale opens nothing.
    st.sim_post("/_sim/config", {"forbid": ["invites"]})
    try:
        for days in (3650, 1):
            st.write_conf(invite_days=days)
            st.collect("--org", str(S["org"]))
            assert {f["id"] for f in findings(rule="invite_stale")} == \
                stale_inv, days
            assert got(findings()) == before
    finally:
        st.sim_post("/_sim/config", {"forbid": []})
    # Pulled again, the new threshold applies.
    st.write_conf(invite_days=3650)
    collect()
    assert not findings(rule="invite_stale")
    assert stale_inv <= {f["id"] for f in findings("resolved",
                                                   rule="invite_stale")}
    st.write_conf(invite_days=30)
    collect()
    have, want = got(findings()), expected(RULES - {
        "key_created_by_unexpected_actor"})
    assert have == want, (sorted(set(have) - set(want)),
                          sorted(set(want) - set(have)), st.sql(
        "SELECT id, subject_id, live, opened_at, resolved_at, last_seen_run"
        " FROM finding WHERE rule = 'invite_stale'"), st.sql(
        "SELECT id, status, created_at, UNIX_TIMESTAMP() FROM oa_invite i"
        " JOIN org_stream s ON s.org_id = i.org_id AND s.gen = i.gen AND"
        " s.stream = 'invites' WHERE i.status = 'pending'"))


@test
def key_creators_flags_keys_made_by_anyone_else():
    creators = truth(st)["posture"]["key_creators"]
    users = {}
    for kid, c in creators.items():
        if c and c.get("user_id"):
            users.setdefault(c["user_id"], []).append(kid)
    allowed = max(users, key=lambda u: len(users[u]))
    st.write_conf(key_creators=allowed)
    collect()
    hits = {f["subject"]["id"] for f in findings(
        rule="key_created_by_unexpected_actor")}
    want = {kid for kid, c in creators.items()
            if c and c.get("user_id") != allowed}
    current = {k["id"] for k in truth(st)["api_keys"]}
    assert hits == want & current, (sorted(hits - want), sorted(want - hits))
    assert hits and not hits & set(users[allowed])
    # Off again: its findings are left as they are, none new, though a
    # key of the allowed creator's (a new one) would now be flagged.
    st.write_conf(key_creators="")
    st.sql("UPDATE finding SET live = NULL, resolved_at = 1 WHERE rule ="
           " 'key_created_by_unexpected_actor' AND subject_id = '%s'" %
           sorted(hits)[0])
    collect()
    assert {f["subject"]["id"] for f in findings(
        rule="key_created_by_unexpected_actor")} == hits - {sorted(hits)[0]}


@test
def the_summary_and_the_pages_show_the_findings():
    s = st.api("/api/v1/findings/summary", S["tok"])
    open_n = sum(x["open"] for x in s["open"])
    assert open_n == len(findings()), (open_n, len(findings()))
    mttr = {x["rule"]: x for x in s["time_to_resolve_90_days"]}
    assert mttr["too_many_owners"]["resolved"] == 1, mttr
    assert len(s["open_over_30_days"]) == 30
    assert s["open_over_30_days"][-1]["open"] == open_n
    _, pw = st.account(S["tenant"], "viewer@findings.example", "viewer")
    status, _, cookie = st.login("viewer@findings.example", pw)
    assert status == 303
    status, _, body = st.http("GET", "/orgs/%d/findings?severity=high" %
                              S["org"], headers={"Cookie": cookie})
    assert status == 200 and b"key_orphan" in body, status
    assert b'<tr class="sev-high">' in body and \
        b'<tr class="sev-medium">' not in body, "the severity filter"
    status, _, body = st.http("GET", "/findings", headers={"Cookie": cookie})
    assert status == 200 and b"<polyline" in body, status


@test
def each_subjects_row_carries_its_open_findings():
    """The keys, admin keys, projects and invites lists (API and pages):
    every open finding of a row's subject is on that row, and no other."""
    lists = {"api_key": "keys", "admin_api_key": "admin-keys",
             "project": "projects", "invite": "invites",
             "service_account": "service-accounts", "user": "users"}
    shown_as = {"key_stale": "stale", "admin_key_stale": "stale",
                "key_orphan": "orphan", "admin_key_orphan": "orphan"}
    want = {}
    for f in findings():
        if f["subject"]["type"] in lists:
            want.setdefault(f["subject"]["id"], set()).add(
                shown_as.get(f["rule"], f["rule"]))
    got, rows = {}, 0
    for name in sorted(set(lists.values())):
        cursor = None
        while True:
            q = "limit=200" + ("&cursor=" + cursor if cursor else "")
            page = st.api("/api/v1/openai/orgs/%d/%s?%s" % (S["org"], name,
                                                              q), S["tok"])
            for r in page["data"]:
                rows += 1
                kinds = {x["kind"] for x in r["findings"]}
                if kinds:
                    got[r["id"]] = kinds
            cursor = page["next_cursor"]
            if not cursor:
                break
    # A key's usage findings, none here, would show the same way.
    assert {"project_no_model_allowlist", "invite_stale",
            "key_legacy_user"} <= set().union(*want.values()), want
    assert got == want, (sorted(set(got.items()) ^ set(want.items()),
                                key=str)[:6])
    diag("%d rows of six lists carry %d subjects' findings" % (rows,
                                                              len(got)))
    _, pw = st.account(S["tenant"], "rows@findings.example", "viewer")
    status, _, cookie = st.login("rows@findings.example", pw)
    assert status == 303
    for name, rule in (("projects", "project_no_model_allowlist"),
                       ("invites", "invite_stale"),
                       ("keys?finding=key_legacy_user", "key_legacy_user")):
        status, _, body = st.http("GET", "/orgs/%d/%s" % (S["org"], name),
                                  headers={"Cookie": cookie})
        assert status == 200, (name, status)
        assert ('<span class="finding finding-%s">' % rule).encode() in \
            body, (name, rule)


@test
def the_pack_holds_every_finding_open_during_its_period():
    time.sleep(1.1)
    end = int(time.time())
    out = st.path("pack.tar.gz")
    st.cli("pack", "create", "--org", str(S["org"]), "--start",
           str(end - 86400), "--end", str(end), "--out", out)
    with tarfile.open(out) as t:
        m = [x for x in t.getmembers() if x.name.endswith("/findings.jsonl")]
        lines = t.extractfile(m[0]).read().splitlines()
    rows = [json.loads(x) for x in lines]
    ids = {r["id"] for r in rows}
    alive = {f["id"] for f in findings("all") if f["resolved_at"] is None
             or f["resolved_at"] >= end - 86400}
    assert ids == alive, (sorted(alive - ids)[:5], sorted(ids - alive)[:5])
    res = [r for r in rows if r["rule"] == "too_many_owners" and
           r["resolved_at"] is not None]
    assert res and not res[0]["open_at_end"], res
    assert all(set(r) == {"evidence", "id", "message", "open_at_end",
                          "opened_at", "resolved_at", "rule", "severity",
                          "subject_id", "subject_name", "subject_type"}
               for r in rows)
    r = subprocess.run([st.bin("orgaudit"), "pack", "verify", out,
                        "--public-key", st.path("etc", "signing.pub")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


run(setup=setup, teardown=st.stop)
