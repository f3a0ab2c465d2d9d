#!/usr/bin/env python3
"""The collector against an unreliable OpenAI: 429 and 500 storms, dropped
connections, Retry-After, streams the key may not read (403/404), a cursor
that never advances, a server that never recovers, and no server at all.
Each case checks what is stored, what the run record says and the exit
code.
"""
import datetime
import json
import os
import time

from common import (USAGE_STREAMS, all_keys, ids, new_stack, run_streams,
                    truth)
from tap import diag, run, test

st = new_stack("it-faults")
S = {}
STREAMS = {"users", "projects", "api_keys", "service_accounts",
           "project_users", "admin_api_keys", "invites", "audit_logs",
           "model_permissions", "project_spend_alerts", "spend_alerts",
           "data_retention", "project_data_retention", "rate_limits",
           "roles", "user_roles"} | set(USAGE_STREAMS)


def setup():
    st.start_db()
    st.start_sim("--users", "25", "--projects", "6", "--keys-per-project",
                 "5", "--seed", "23")
    st.write_conf(collect_concurrency=6, retry_max_attempts=30,
                  retry_max_seconds=60)
    st.init_orgaudit()
    st.start_web()
    S["tenant"] = st.tenant("Faults Inc")
    S["tok"] = st.token(S["tenant"])
    S["org"] = st.connect(S["tenant"])
    r = st.collect("--org", str(S["org"]))
    assert r.returncode == 0, r.stderr


def knobs(**kw):
    """Sets simulator fault knobs (the rest back to calm) and zeroes stats."""
    calm = {"latency_ms": 0, "rate_429": 0, "rate_500": 0, "rate_drop": 0,
            "retry_after": 1, "retry_after_ms": None, "forbid": [],
            "missing": [], "stuck_cursor": []}
    calm.update(kw)
    st.sim_post("/_sim/config", calm)
    st.sim_post("/_sim/stats/reset", {})


def matches_truth():
    t = truth(st)
    keys = all_keys(st, S["tok"], S["org"])
    assert ids(keys) == sorted(k["id"] for k in t["api_keys"] +
                               t["admin_api_keys"])
    assert ids(k for k in keys if k["stale"]) == sorted(t["stale"])
    assert ids(k for k in keys if k["orphan"]) == sorted(t["orphan"])


def collect():
    r = st.collect("--org", str(S["org"]))
    run_, streams = run_streams(st, S["tok"], S["org"])
    return r, run_, streams


@test
def storm_of_429_and_500_still_completes():
    knobs(rate_429=0.25, rate_500=0.1, retry_after_ms=20)
    r, run_, streams = collect()
    stats = st.sim_get("/_sim/stats")
    assert r.returncode == 0, r.stderr
    assert run_["status"] == "ok", run_
    assert stats["status"].get("429", 0) > 0 and \
        stats["status"].get("500", 0) > 0, stats
    retries = sum(s["retries"] for s in streams.values())
    faults = stats["status"].get("429", 0) + stats["status"].get("500", 0)
    assert retries == faults, (retries, faults)
    assert "retries" in r.stdout
    matches_truth()
    diag("%d requests, %d answered 429 or 500, all retried" % (
        stats["requests"], faults))


@test
def dropped_connections_are_retried():
    knobs(rate_drop=0.15)
    r, run_, streams = collect()
    stats = st.sim_get("/_sim/stats")
    assert r.returncode == 0, r.stderr
    assert stats["dropped"] > 0, stats
    # libcurl itself retries once when a reused connection dies before
    # any answer; the rest are ours.
    matches_truth()
    diag("%d connections dropped; %d retries by orgaudit" % (
        stats["dropped"], sum(s["retries"] for s in streams.values())))


@test
def retry_after_seconds_is_honoured():
    """Without retry-after-ms, a 429 says 'Retry-After: 1': every retry of
    that request comes at least a second later (from the access log)."""
    knobs(rate_429=0.2, retry_after=1)
    log = st.path("logs", "sim-access.log")
    with open(log) as f:
        start = len(f.readlines())
    r, run_, _ = collect()
    assert r.returncode == 0, r.stderr
    with open(log) as f:
        lines = f.readlines()[start:]
    last_429, gaps = {}, []
    for line in lines:
        when, method, target, status = line.split()[:4]
        if not target.startswith("/v1/"):
            continue
        t = datetime.datetime.strptime(when, "%Y-%m-%dT%H:%M:%S.%fZ")
        # The access log time is when the answer went out.
        if target in last_429:
            gaps.append((t - last_429.pop(target)).total_seconds())
        if status == "429":
            last_429[target] = t
    assert gaps, "no request was answered 429"
    assert min(gaps) >= 0.95, "retried %.3f s after Retry-After: 1" % min(
        gaps)
    diag("%d retries after 429, shortest wait %.2f s" % (len(gaps),
                                                         min(gaps)))


@test
def forbidden_stream_is_skipped_and_the_rest_stored():
    before = [k for k in all_keys(st, S["tok"], S["org"], "type=admin")]
    st.sim_post("/_sim/mutate", {"seed": 3})
    knobs(forbid=["admin_api_keys"])
    r, run_, streams = collect()
    assert r.returncode == 0, (r.returncode, r.stderr)
    assert streams["admin_api_keys"]["status"] == "skipped", streams
    assert streams["admin_api_keys"]["http_status"] == 403
    assert "cannot read" in streams["admin_api_keys"]["error"]
    assert all(streams[s]["status"] == "ok" for s in STREAMS -
               {"admin_api_keys"}), streams
    # The others reflect the new state; admin keys keep the last pull.
    t = truth(st)
    keys = all_keys(st, S["tok"], S["org"])
    assert ids(k for k in keys if k["type"] != "admin") == \
        sorted(k["id"] for k in t["api_keys"])
    assert ids(k for k in keys if k["type"] == "admin") == ids(before)


@test
def forbidden_per_project_stream_stops_its_requests():
    knobs(forbid=["api_keys"])
    r, run_, streams = collect()
    stats = st.sim_get("/_sim/stats")
    assert r.returncode == 0, r.stderr
    assert streams["api_keys"]["status"] == "skipped"
    assert streams["service_accounts"]["status"] == "ok"
    # One 403 ends the stream: its queued requests are not sent.
    assert stats["by_stream"].get("api_keys", 0) <= 6, stats
    knobs()
    r, _, _ = collect()
    assert r.returncode == 0
    matches_truth()


@test
def missing_stream_is_skipped():
    knobs(missing=["invites"])
    r, run_, streams = collect()
    assert r.returncode == 0, r.stderr
    assert streams["invites"]["status"] == "skipped"
    assert streams["invites"]["http_status"] == 404


@test
def cursor_that_does_not_advance_ends_with_an_error():
    st.sim_post("/_sim/config", {})
    knobs(stuck_cursor=["users"])
    # Small pages, so users needs more than one page.
    st.write_conf(page_limit=10)
    t0 = time.monotonic()
    r, run_, streams = collect()
    took = time.monotonic() - t0
    stats = st.sim_get("/_sim/stats")
    st.write_conf(page_limit=100)
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert run_["status"] == "partial", run_
    assert streams["users"]["status"] == "failed"
    assert "does not advance" in streams["users"]["error"], streams["users"]
    assert stats["by_stream"]["users"] <= 3, stats
    assert all(streams[s]["status"] == "ok" for s in STREAMS - {
        "users", "user_roles"})
    # Who holds which role is asked per listed user: not without users.
    assert streams["user_roles"]["status"] == "failed"
    assert "users stream failed" in streams["user_roles"]["error"]
    # Findings still use a users list: the one stored by the last pull.
    assert "stored users list" in r.stderr
    knobs()
    diag("stopped after %d users requests in %.1f s" % (
        stats["by_stream"]["users"], took))


@test
def server_that_never_recovers_gives_up_and_keeps_the_data():
    knobs()
    r, _, _ = collect()
    assert r.returncode == 0
    before = ids(all_keys(st, S["tok"], S["org"]))
    knobs(rate_500=1.0)
    st.write_conf(retry_max_attempts=3)
    t0 = time.monotonic()
    r, run_, streams = collect()
    took = time.monotonic() - t0
    st.write_conf(retry_max_attempts=30)
    knobs()
    assert r.returncode == 1, r.returncode
    assert run_["status"] == "failed", run_
    for name in ("users", "projects", "admin_api_keys", "invites",
                 "audit_logs"):
        s = streams[name]
        assert s["status"] == "failed", s
        assert s["error"].startswith("gave up after 3 attempts"), s
        assert "HTTP 500" in s["error"], s
        assert s["http_status"] == 500
    for name in ("api_keys", "service_accounts", "project_users"):
        assert "not pulled" in streams[name]["error"], streams[name]
    assert took < 20, took
    assert ids(all_keys(st, S["tok"], S["org"])) == before


@test
def unreachable_openai_fails_clearly():
    knobs()
    st.write_conf(openai_base_url="http://127.0.0.1:9/v1",
                  retry_max_attempts=2)
    try:
        r, run_, streams = collect()
    finally:
        st.write_conf(openai_base_url=st.sim_url("/v1"),
                      retry_max_attempts=30)
    assert r.returncode == 1
    assert "onnect" in streams["users"]["error"], streams["users"]
    assert streams["users"]["http_status"] is None
    r, _, _ = collect()
    assert r.returncode == 0


@test
def run_that_cannot_start_is_recorded():
    key = st.path("etc", "master.key")
    os.rename(key, key + ".away")
    try:
        r = st.collect("--org", str(S["org"]))
    finally:
        os.rename(key + ".away", key)
    assert r.returncode == 1, r.returncode
    assert "master key" in r.stderr and "master-key create" in r.stderr
    run_, streams = run_streams(st, S["tok"], S["org"])
    assert run_["status"] == "failed" and streams == {}, run_
    assert "could not start" in run_["error"]
    assert "/" not in run_["error"], "a path reached the tenant"
    r = st.collect("--org", str(S["org"]))
    assert r.returncode == 0, r.stderr


@test
def web_survives_a_database_restart():
    st.api("/api/v1/openai/orgs", S["tok"])
    st.stop_db()
    for path, tok in (("/api/v1/health", None),
                      ("/api/v1/openai/orgs", S["tok"])):
        status, h, body = st.http("GET", path, token=tok)
        assert status == 503, (path, status, body[:200])
        assert json.loads(body)["error"]["code"] == "unavailable"
    st.start_db()
    # The same web processes reconnect on their next request.
    deadline = time.monotonic() + 20
    while st.http("GET", "/api/v1/health")[0] != 200:
        assert time.monotonic() < deadline, "the web did not reconnect"
        time.sleep(0.2)
    orgs = st.api("/api/v1/openai/orgs", S["tok"])
    assert [o["id"] for o in orgs["data"]] == [S["org"]]
    alive = [n for n, i in st.pids.items() if n.startswith("fcgi")
             and os.path.exists("/proc/%d" % i["pid"])]
    assert len(alive) == st.fcgi_children


@test
def api_reports_each_run():
    runs = st.api("/api/v1/openai/orgs/%d/runs?limit=3" % S["org"],
                  S["tok"])
    assert len(runs["data"]) == 3 and runs["next_cursor"]
    older = st.api("/api/v1/openai/orgs/%d/runs?limit=3&cursor=%s" % (
        S["org"], runs["next_cursor"]), S["tok"])
    assert older["data"][0]["id"] < runs["data"][-1]["id"]
    for r in runs["data"] + older["data"]:
        assert r["status"] in ("ok", "partial", "failed")
        if r["streams"]:
            assert {s["stream"] for s in r["streams"]} == STREAMS, r
        else:   # only a run that never started has no streams
            assert r["status"] == "failed" and "could not start" in \
                r["error"], r
    json.dumps(runs)


if __name__ == "__main__":
    run(setup=setup, teardown=st.stop)
