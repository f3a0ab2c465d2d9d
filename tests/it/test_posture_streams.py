#!/usr/bin/env python3
"""The settings streams: model permissions, spend alerts (org and project),
data retention (org and project), rate limits, roles and who holds them.
After a pull each table equals the simulator's posture truth; a change
made through /_sim/posture shows in the next pull; a stream the key may
not read is skipped and keeps the previous snapshot; a model policy
answered 404 is stored as unknown; archived projects are never asked.
"""
import json

from common import new_stack, run_streams, truth
from tap import diag, run, test

st = new_stack("it-posture_streams")
S = {}
POSTURE = ("model_permissions", "project_spend_alerts", "spend_alerts",
           "data_retention", "project_data_retention", "rate_limits",
           "roles", "user_roles")


def setup():
    st.start_db()
    st.start_sim("--users", "30", "--projects", "8", "--archived-projects",
                 "2", "--seed", "41")
    st.write_conf()
    st.init_orgaudit()
    st.start_web()
    S["tenant"] = st.tenant("Posture Inc")
    S["tok"] = st.token(S["tenant"])
    S["org"] = st.connect(S["tenant"])
    collect()


def knobs(**kw):
    calm = {"latency_ms": 0, "rate_429": 0, "rate_500": 0, "rate_drop": 0,
            "retry_after": 1, "retry_after_ms": None, "forbid": [],
            "missing": [], "stuck_cursor": []}
    calm.update(kw)
    st.sim_post("/_sim/config", calm)


def collect():
    r = st.collect("--org", str(S["org"]))
    assert r.returncode == 0, r.stderr
    return run_streams(st, S["tok"], S["org"])[1]


def rows(table, cols, stream):
    """The current snapshot of a stream's table: lists of column texts."""
    return st.sql(
        "SELECT %s FROM %s t JOIN org_stream s ON s.org_id = t.org_id"
        " AND s.stream = '%s' AND s.gen = t.gen WHERE t.org_id = %d"
        " ORDER BY 1, 2" % (cols, table, stream, S["org"]))


def by_project(table, col, stream):
    out = {}
    for p, v in rows(table, "t.project_id, t." + col, stream):
        out.setdefault(p, []).append(v)
    return {p: sorted(v) for p, v in out.items()}


def active(t):
    return {p: s for p, s in t["posture"]["projects"].items()
            if s["status"] == "active"}


def stored():
    """Everything the settings tables hold now, in the truth's terms."""
    perms = {p: (m, ids) for p, m, ids in rows(
        "oa_model_permission", "t.project_id, t.mode, t.model_ids",
        "model_permissions")}
    roles = {}
    for rid, name in rows("oa_role", "t.id, t.name", "roles"):
        roles[rid] = {"name": name, "users": set(), "groups": set()}
    for uid, rid, direct, groups in rows(
            "oa_user_role", "t.user_id, t.role_id, t.direct, t.group_ids",
            "user_roles"):
        roles[rid]["users"].add(uid)
        if groups != "NULL":
            roles[rid]["groups"].update(json.loads(groups))
    return {
        "perms": perms,
        "project_alerts": by_project("oa_project_spend_alert", "id",
                                     "project_spend_alerts"),
        "org_alerts": sorted(r[0] for r in rows(
            "oa_org_spend_alert", "t.id, t.id", "spend_alerts")),
        "org_retention": [r[0] for r in rows(
            "oa_org_data_retention", "t.type, t.gen", "data_retention")],
        "retention": by_project("oa_project_data_retention", "type",
                                "project_data_retention"),
        "rate_limits": by_project("oa_rate_limit", "id", "rate_limits"),
        "roles": {rid: {"name": r["name"], "users": sorted(r["users"]),
                        "groups": sorted(r["groups"])}
                  for rid, r in roles.items()},
    }


def expected_perm(s):
    """The simulator answers an empty deny list for a project without a
    policy (its truth says null)."""
    m = s["model_permissions"]
    return ("deny_list", "[]") if m is None else (
        m["mode"], json.dumps(m["model_ids"], separators=(",", ":")))


def equals_truth(t):
    got, act, pt = stored(), active(t), t["posture"]
    assert got["perms"] == {p: expected_perm(s) for p, s in act.items()}, \
        got["perms"]
    assert got["project_alerts"] == {p: s["spend_alerts"] for p, s in
                                     act.items() if s["spend_alerts"]}
    assert got["org_alerts"] == pt["org"]["spend_alerts"]
    assert got["org_retention"] == [pt["org"]["data_retention"]]
    assert got["retention"] == {p: [s["data_retention"]]
                                for p, s in act.items()}
    assert got["rate_limits"] == {p: sorted(s["rate_limits"])
                                  for p, s in act.items()}
    assert got["roles"] == pt["roles"], (got["roles"], pt["roles"])
    return got


@test
def each_table_equals_the_truth_after_a_pull():
    t = truth(st)
    got = equals_truth(t)
    modes = {m for m, _ in got["perms"].values()}
    assert modes == {"allow_list", "deny_list"}, modes
    assert any(got["project_alerts"].values())
    assert any(r["groups"] for r in got["roles"].values())
    # Every listed user holds some role.
    held = {u for r in got["roles"].values() for u in r["users"]}
    assert held == set(t["users"]), held
    diag("%d active projects, %d roles" % (len(got["perms"]),
                                           len(got["roles"])))


@test
def rate_limits_keep_big_numbers_and_absent_fields():
    lim = {(p, i): (tok, batch, img) for p, i, tok, batch, img in rows(
        "oa_rate_limit", "t.project_id, t.id, t.max_tokens_per_1_minute,"
        " t.batch_1_day_max_input_tokens, t.max_images_per_1_minute",
        "rate_limits")}
    # gpt-4o-mini: 15,000,000,000 batch tokens (halved on odd projects).
    batches = {v[1] for (p, i), v in lim.items() if i == "rl-gpt-4o-mini"}
    assert batches <= {"15000000000", "7500000000"} and batches, batches
    # A limit the model does not have is NULL, not 0.
    assert {v[2] for (p, i), v in lim.items() if i == "rl-gpt-4o"} == \
        {"NULL"}


@test
def a_posture_change_shows_in_the_next_pull():
    t = truth(st)
    act = active(t)
    bare = next(p for p, s in act.items() if s["model_permissions"] is None)
    allow = next(p for p, s in act.items() if s["model_permissions"] and
                 s["model_permissions"]["mode"] == "allow_list")
    alerted = next(p for p, s in act.items() if s["spend_alerts"])
    st.sim_post("/_sim/posture", {"op": "set_model_permissions",
                                  "project_id": bare, "mode": "allow_list",
                                  "model_ids": ["o3"]})
    st.sim_post("/_sim/posture", {"op": "clear_model_permissions",
                                  "project_id": allow})
    st.sim_post("/_sim/posture", {"op": "remove_project_spend_alert",
                                  "project_id": alerted})
    added = st.sim_post("/_sim/posture", {
        "op": "add_project_spend_alert", "project_id": bare,
        "threshold_amount": 987654321})["result"]["id"]
    st.sim_post("/_sim/posture", {"op": "org_spend_alert", "on": True})
    st.sim_post("/_sim/posture", {"op": "add_owner"})
    collect()
    t = truth(st)
    got = equals_truth(t)
    assert got["perms"][bare] == ("allow_list", '["o3"]')
    assert got["perms"][allow] == ("deny_list", "[]")
    assert alerted not in got["project_alerts"]
    assert len(got["org_alerts"]) == 1
    # The amount is stored exactly, in cents.
    assert rows("oa_project_spend_alert", "t.id, t.threshold_cents",
                "project_spend_alerts") and [
        c for i, c in rows("oa_project_spend_alert",
                           "t.id, t.threshold_cents", "project_spend_alerts")
        if i == added] == ["987654321"]


@test
def a_stream_the_key_may_not_read_is_skipped_and_keeps_its_snapshot():
    before = stored()
    p = next(iter(active(truth(st))))
    st.sim_post("/_sim/posture", {"op": "set_model_permissions",
                                  "project_id": p, "mode": "deny_list",
                                  "model_ids": ["gpt-4o"]})
    st.sim_post("/_sim/posture", {"op": "org_spend_alert", "on": False})
    st.sim_post("/_sim/posture", {"op": "remove_owner"})
    knobs(forbid=list(POSTURE))
    try:
        streams = collect()
    finally:
        knobs()
    for s in POSTURE:
        assert streams[s]["status"] == "skipped", (s, streams[s])
        assert streams[s]["http_status"] == 403, (s, streams[s])
    assert streams["users"]["status"] == "ok"
    assert stored() == before
    # Readable again: the changes arrive.
    streams = collect()
    assert all(streams[s]["status"] == "ok" for s in POSTURE), streams
    got = equals_truth(truth(st))
    assert got["perms"][p] == ("deny_list", '["gpt-4o"]')
    assert got["org_alerts"] == []


@test
def model_permissions_answered_404_are_stored_as_unknown():
    """The spec documents only the 200 answer: a 404 is not "no policy"."""
    knobs(missing=["model_permissions", "data_retention"])
    try:
        streams = collect()
    finally:
        knobs()
    assert streams["model_permissions"]["status"] == "ok", streams
    perms = stored()["perms"]
    assert set(perms) == set(active(truth(st)))
    assert set(perms.values()) == {("NULL", "NULL")}, perms
    # A 404 on any other stream skips it, as before.
    assert streams["data_retention"]["status"] == "skipped"
    assert streams["data_retention"]["http_status"] == 404
    collect()
    equals_truth(truth(st))


@test
def archived_projects_are_not_asked():
    t = truth(st)
    archived = {p for p, s in t["posture"]["projects"].items()
                if s["status"] == "archived"}
    assert archived
    with open(st.path("logs", "sim-access.log")) as f:
        targets = [line.split()[2] for line in f]
    suffixes = ("/model_permissions", "/spend_alerts", "/data_retention",
                "/rate_limits")
    asked = {x.split("/")[4] for x in targets
             if x.startswith("/v1/organization/projects/") and
             x.split("?")[0].endswith(suffixes)}
    assert asked == set(active(t)), asked
    assert not asked & archived


@test
def the_runs_list_names_every_posture_stream():
    _, streams = run_streams(st, S["tok"], S["org"])
    assert set(POSTURE) <= set(streams), sorted(streams)
    counted = st.sql("SELECT stream, row_count FROM org_stream WHERE"
                     " org_id = %d AND stream = 'rate_limits'" % S["org"])
    assert int(counted[0][1]) == sum(len(s["rate_limits"]) for s in
                                     active(truth(st)).values())


if __name__ == "__main__":
    run(setup=setup, teardown=st.stop)
