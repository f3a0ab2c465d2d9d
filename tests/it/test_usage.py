#!/usr/bin/env python3
"""Usage and costs, collected: every usage endpoint and costs pulled into
usage_bucket and cost_bucket against the simulator's truth, exactly
(amounts compared as decimals, never floats); revisions take the latest
value and are counted; the two findings (usage_spike, dormant_key_used)
equal the truth's spikes and wake-ups; streams the key may not read are
skipped with their cursors kept; broken paging, a bad amount or a
currency change fail the stream and keep the last good data; a collector
killed mid-backfill resumes without gaps or double counting; --all pulls
usage every usage_interval_seconds and the inventory every
inventory_interval_seconds.
"""
import json
import os
import signal
import subprocess
import time
from decimal import Decimal

from common import USAGE_ENDPOINTS as ENDPOINTS, USAGE_STREAMS as STREAMS
from common import new_stack
from tap import diag, run, test

st = new_stack("it-usage")
S = {}
DAYS = 100
CALM = {"latency_ms": 0, "rate_429": 0, "rate_500": 0, "rate_drop": 0,
        "forbid": [], "missing": [], "stuck_cursor": [],
        "missing_next_page": [], "missing_data": [], "extra_fields": [],
        "bad_amount": None, "currency_switch": None}


def setup():
    st.start_db()
    st.start_sim("--users", "30", "--projects", "6", "--usage-keys", "14",
                 "--usage-days", str(DAYS), "--seed", "5")
    st.write_conf(usage_backfill_days=DAYS)
    st.init_orgaudit()
    S["tenant"] = st.tenant("Usage Inc")
    S["org"] = st.connect(S["tenant"])
    collect()


def knobs(**kw):
    calm = dict(CALM)
    calm.update(kw)
    st.sim_post("/_sim/config", calm)


def collect(*args, ok=True):
    r = st.collect(*(args or ("--org", str(S["org"]))))
    if ok:
        assert r.returncode == 0, r.stdout + r.stderr[-2000:]
    return r


def utruth():
    return st.sim_get("/_sim/truth")["usage"]


def last_run_streams():
    """{stream: (status, error)} of the org's last run."""
    rows = st.sql("SELECT stream, status, error FROM collect_run_stream"
                  " WHERE run_id = (SELECT MAX(id) FROM collect_run"
                  " WHERE org_id = %d)" % S["org"])
    return {s: (status, err) for s, status, err in rows}


def nul(v):
    return None if v == "NULL" else v


def stored_costs():
    """{(day, project, line_item, key): Decimal} of the 1d cost rows."""
    return {(int(d), nul(p), nul(li), nul(k)): Decimal(a) for d, p, li, k, a in
            st.sql("SELECT start_time, project_id, line_item, api_key_id,"
                   " amount FROM cost_bucket WHERE org_id = %d" % S["org"])}


def truth_costs(t):
    return {(c["day"], c["project_id"], c["line_item"], c["api_key_id"]):
            Decimal(c["amount"]) for c in t["costs"]["rows"]}


def stored_usage(endpoint, width="1d"):
    """{(day, project, user, key, model): {counter: int}}."""
    out = {}
    for d, p, u, k, m, c in st.sql(
            "SELECT start_time, project_id, user_id, api_key_id, model,"
            " counters FROM usage_bucket WHERE org_id = %d AND endpoint = '%s'"
            " AND width = '%s'" % (S["org"], endpoint, width)):
        out[(int(d), nul(p), nul(u), nul(k), nul(m))] = json.loads(c)
    return out


def truth_usage(t, endpoint):
    out = {}
    for r in t["rows"][endpoint]:
        key = (r["day"], r["project_id"], r["user_id"], r["api_key_id"],
               r["model"])
        out[key] = {c: v for c, v in r.items() if c not in (
            "day", "project_id", "user_id", "api_key_id", "model")}
    return out


def findings(rule):
    return [(sid, json.loads(ev)) for sid, ev in st.sql(
        "SELECT subject_id, evidence FROM finding WHERE org_id = %d AND"
        " rule = '%s' AND live = 1" % (S["org"], rule))]


def day_of(t):
    return time.strftime("%Y-%m-%d", time.gmtime(t))


def cursors():
    return st.sql("SELECT stream, width, from_time, through FROM usage_cursor"
                  " WHERE org_id = %d ORDER BY 1, 2" % S["org"])


@test
def every_usage_and_costs_stream_is_stored():
    streams = last_run_streams()
    for s in STREAMS:
        assert streams.get(s, ("missing",))[0] == "ok", (s, streams.get(s))


@test
def costs_equal_the_truth_row_by_row_and_in_total():
    t = utruth()
    got, want = stored_costs(), truth_costs(t)
    assert set(got) == set(want), (sorted(set(got) ^ set(want))[:5])
    bad = [k for k in want if got[k] != want[k]]
    assert not bad, [(k, got[k], want[k]) for k in bad[:5]]
    total = st.sql("SELECT SUM(amount) FROM cost_bucket WHERE org_id = %d"
                   % S["org"])[0][0]
    assert Decimal(total) == Decimal(t["costs"]["total"]), total
    # Twelve-decimal amounts survive: some stored value has them.
    assert any(v.as_tuple().exponent <= -10 for v in got.values())


@test
def costs_per_project_key_line_item_and_day_equal_the_truth():
    t = utruth()
    got = stored_costs()
    for name, pos in (("project_id", 1), ("line_item", 2), ("api_key_id", 3),
                      ("day", 0)):
        sums = {}
        for k, a in got.items():
            sums[k[pos]] = sums.get(k[pos], Decimal(0)) + a
        want = {e[name]: Decimal(e["amount"]) for e in t["costs"]["totals"][name]}
        assert sums == want, name
    per_day = {(int(d), nul(p) if p != "" else None): Decimal(a) for d, p, a in
               st.sql("SELECT start_time, project_id, amount FROM"
                      " cost_day_project WHERE org_id = %d" % S["org"])}
    want = {}
    for (d, p, _, _), a in got.items():
        want[(d, p)] = want.get((d, p), Decimal(0)) + a
    assert per_day == want


@test
def usage_of_every_endpoint_equals_the_truth():
    t = utruth()
    for e in ENDPOINTS:
        got, want = stored_usage(e), truth_usage(t, e)
        assert set(got) == set(want), (e, sorted(set(got) ^ set(want),
                                                 key=str)[:4])
        bad = [k for k in want if got[k] != want[k]]
        assert not bad, (e, [(k, got[k], want[k]) for k in bad[:3]])


@test
def hourly_buckets_cover_the_last_48_hours_and_add_up_to_the_days():
    now = int(time.time())
    assert stored_usage("completions", "1h")
    for e in ENDPOINTS:
        hours = stored_usage(e, "1h")
        if not hours:
            continue
        assert min(k[0] for k in hours) >= now - now % 3600 - 49 * 3600
        days = stored_usage(e)
        # A day wholly inside the hourly window sums to its 1d bucket.
        day = now - now % 86400 - 86400
        for key, c in days.items():
            if key[0] != day:
                continue
            inside = [h for k, h in hours.items() if k[0] // 86400 * 86400 ==
                      day and k[1:] == key[1:]]
            if not inside or min(k[0] for k in hours) > day:
                continue
            summed = {n: sum(h[n] for h in inside) for n in c}
            assert summed == c, (e, key)


@test
def spikes_equal_the_truth():
    t = utruth()
    want = {(s["api_key_id"], day_of(s["day"]), s["count"],
             str(s["median"]).replace(".0", "")) for s in t["spikes"]}
    assert want, "the simulator planted no spike"
    got = set()
    for sid, ev in findings("usage_spike"):
        for s in ev["spikes"]:
            got.add((sid, s["day"], s["count"], s["median"]))
    assert got == want, (sorted(got - want)[:3], sorted(want - got)[:3])


@test
def wakeups_equal_the_truth():
    t = utruth()
    want = {(w["api_key_id"], day_of(w["day"]), w["why"]) for w in t["wakeups"]}
    assert {w for _, _, w in want} == {"stale", "orphan", "gap"}, want
    got = set()
    for sid, ev in findings("dormant_key_used"):
        for w in ev["wakeups"]:
            got.add((sid, w["day"], w["why"]))
    assert got == want, (sorted(got - want)[:3], sorted(want - got)[:3])


@test
def a_key_missing_from_the_key_list_keeps_its_spend():
    t = utruth()
    unmapped = {u["id"] for u in t["unmapped"] if u["kind"] == "api_key"}
    assert unmapped
    stored = {k for (_, _, _, k) in stored_costs()} | {
        k[3] for e in ENDPOINTS for k in stored_usage(e)}
    assert unmapped <= stored


@test
def per_key_figures_are_computed_at_pull_time():
    rows = st.sql("SELECT api_key_id, spend_30d, requests_30d, last_usage_day"
                  " FROM usage_key_stat WHERE org_id = %d" % S["org"])
    assert rows
    now = int(time.time())
    since = now - now % 86400 - 29 * 86400
    costs = stored_costs()
    for k, spend, req, last in rows:
        want = sum((a for (d, _, _, kk), a in costs.items()
                    if kk == k and d >= since), Decimal(0))
        assert Decimal(spend) == want, k
    assert any(int(r[2]) > 0 for r in rows)


@test
def a_revision_takes_the_latest_value_and_is_counted():
    before = int(time.time())
    time.sleep(1.1)
    changed = st.sim_post("/_sim/usage/revise", {"seed": 5})["changed"]
    assert changed
    collect()
    t = utruth()
    assert stored_costs() == truth_costs(t)
    for e in ENDPOINTS:
        assert stored_usage(e) == truth_usage(t, e), e
    counted = 0
    hourly_from = before - before % 3600 - 48 * 3600
    for c in changed:
        if c["bucket_width"] == "1h" and c["start_time"] < hourly_from:
            continue        # hourly buckets are read for 48 hours only
        closed = c["start_time"] + (86400 if c["bucket_width"] == "1d" else
                                    3600) <= before
        if c["endpoint"] == "costs":
            g = c["group"]
            rows = st.sql(
                "SELECT revisions, revised_at FROM cost_bucket WHERE org_id ="
                " %d AND start_time = %d AND line_item <=> %s AND project_id"
                " <=> %s AND api_key_id <=> %s" % (
                    S["org"], c["start_time"], q(g["line_item"]),
                    q(g["project_id"]), q(g["api_key_id"])))
        else:
            g = c["group"]
            rows = st.sql(
                "SELECT revisions, revised_at FROM usage_bucket WHERE org_id ="
                " %d AND endpoint = '%s' AND width = '%s' AND start_time = %d"
                " AND project_id <=> %s AND user_id <=> %s AND api_key_id <=>"
                " %s AND model <=> %s" % (
                    S["org"], c["endpoint"], c["bucket_width"], c["start_time"],
                    q(g.get("project_id")), q(g.get("user_id")),
                    q(g.get("api_key_id")), q(g.get("model"))))
        assert len(rows) == 1, c
        if closed:
            assert int(rows[0][0]) >= 1 and int(rows[0][1]) >= before, (c, rows)
            counted += 1
    assert counted > 0
    rollups_equal_the_buckets(S["org"])


def rollups_equal_the_buckets(org):
    """The per-day roll-ups the pages and the API read
    (020_usage_rollups.sql) are exactly what the stored buckets sum to,
    recomputed here from them."""
    def rows(sql):
        return sorted(tuple(r) for r in st.sql(sql % {"o": org}))

    def same(what, got, want):
        assert got == want, (what, sorted(set(got) ^ set(want))[:4])
    same("cost_day",
         rows("SELECT start_time, amount FROM cost_day WHERE org_id = %(o)d"),
         rows("SELECT start_time, SUM(amount) FROM cost_bucket"
              " WHERE org_id = %(o)d GROUP BY start_time"))
    # Running sums per project: every cost day from the project's first.
    same("cost_cum_project",
         rows("SELECT start_time, project_id, amount, n FROM cost_cum_project"
              " WHERE org_id = %(o)d"),
         rows("SELECT d.start_time, p.project_id, (SELECT COALESCE(SUM("
              "c.amount), 0) FROM cost_day_project c WHERE c.org_id ="
              " %(o)d AND c.project_id = p.project_id AND c.start_time <="
              " d.start_time), (SELECT COUNT(*) FROM cost_day_project c"
              " WHERE c.org_id = %(o)d AND c.project_id = p.project_id AND"
              " c.start_time <= d.start_time) FROM cost_day d JOIN (SELECT"
              " project_id, MIN(start_time) AS f FROM cost_day_project"
              " WHERE org_id = %(o)d GROUP BY project_id) p ON d.start_time"
              " >= p.f WHERE d.org_id = %(o)d"))
    same("usage_day_model",
         rows("SELECT start_time, model, requests, input_tokens, output_tokens"
              " FROM usage_day_model WHERE org_id = %(o)d"),
         rows("SELECT start_time, COALESCE(model, ''), SUM(COALESCE(requests,"
              " 0)), SUM(COALESCE(input_tokens, 0)), SUM(COALESCE("
              "output_tokens, 0)) FROM usage_bucket WHERE org_id = %(o)d AND"
              " endpoint = 'completions' AND width = '1d'"
              " GROUP BY start_time, COALESCE(model, '')"))


def q(v):
    return "NULL" if v is None else "'%s'" % v.replace("'", "''")


def caps():
    return {c["name"]: c for c in json.loads(st.sql(
        "SELECT capabilities FROM org WHERE id = %d" % S["org"])[0][0])}


@test
def the_checklist_says_what_was_ingested():
    c = caps()
    for name in ("costs", "usage", "per_user_breakdown"):
        assert c[name]["status"] == "ok", c[name]
        assert "ingested" in c[name]["detail"], c[name]


@test
def a_stream_the_key_may_not_read_is_skipped_and_keeps_its_cursor():
    before = cursors()
    rows = st.sql("SELECT COUNT(*) FROM cost_bucket WHERE org_id = %d"
                  % S["org"])
    knobs(forbid=["costs", "usage"])
    try:
        collect()
        streams = last_run_streams()
        for s in STREAMS:
            assert streams[s][0] == "skipped", (s, streams[s])
        assert cursors() == before
        assert st.sql("SELECT COUNT(*) FROM cost_bucket WHERE org_id = %d"
                      % S["org"]) == rows
        # The findings over usage stay as they were.
        assert findings("usage_spike")
        c = caps()
        assert c["costs"]["status"] == "denied" and \
            c["costs"]["http_status"] == 403, c["costs"]
        assert c["usage"]["status"] == "denied", c["usage"]
    finally:
        knobs()
    collect()
    assert caps()["costs"]["status"] == "ok"


@test
def broken_paging_fails_the_stream_and_keeps_the_data():
    """On the org (the revision window: two pages of completions) and on a
    new org's backfill (several pages of every stream)."""
    want = stored_costs()
    for knob, words in (("stuck_cursor", "already followed"),
                        ("missing_next_page", "has_more without next_page"),
                        ("missing_data", "has no data")):
        knobs(**{knob: ["costs", "usage"]})
        try:
            r = collect(ok=False)
            assert r.returncode == 1, (knob, r.stdout)
            status, err = last_run_streams()["usage.completions"]
            assert status == "failed" and words in (err or ""), (knob, err)
            assert stored_costs() == want, knob
            other = st.connect(S["tenant"])
            r = collect("--org", str(other), ok=False)
            assert r.returncode == 1, (knob, r.stdout)
            rows = dict((s, (status, err)) for s, status, err in st.sql(
                "SELECT stream, status, error FROM collect_run_stream WHERE"
                " org_id = %d" % other))
            for s in ("costs", "usage.completions", "usage.embeddings"):
                assert rows[s][0] == "failed", (knob, s, rows[s])
                assert words in (rows[s][1] or ""), (knob, rows[s])
            st.sql("UPDATE org SET status = 'disconnected' WHERE id = %d"
                   % other)
        finally:
            knobs()


@test
def a_bad_amount_or_a_new_currency_fails_the_stream_naming_the_bucket():
    want = stored_costs()
    for kw, words in (({"bad_amount": "abc"}, "amount.value is not a decimal"),
                      ({"bad_amount": "NaN"}, "not a JSON object"),
                      ({"currency_switch": "eur"},
                       "the currency changed from usd to eur")):
        knobs(**kw)
        try:
            collect(ok=False)
            status, err = last_run_streams()["costs"]
            assert status == "failed", (kw, status)
            assert words in err, (kw, err)
            if "bad_amount" in kw and kw["bad_amount"] == "abc":
                assert "bucket 20" in err, err      # the bucket's day
            assert stored_costs() == want, kw
        finally:
            knobs()
    collect()
    assert stored_costs() == truth_costs(utruth())


@test
def unknown_fields_are_kept():
    knobs(extra_fields=["costs", "usage"])
    try:
        collect()
        extra = st.sql("SELECT extra FROM usage_bucket WHERE org_id = %d AND"
                       " extra IS NOT NULL LIMIT 1" % S["org"])
        assert extra and "organization_id" in extra[0][0], extra
        extra = st.sql("SELECT extra FROM cost_bucket WHERE org_id = %d AND"
                       " extra IS NOT NULL LIMIT 1" % S["org"])
        assert extra and "organization_id" in extra[0][0], extra
        assert stored_costs() == truth_costs(utruth())
    finally:
        knobs()


@test
def every_request_sets_a_limit_within_its_width():
    log = open(st.path("logs", "sim-access.log")).read().splitlines()
    seen = 0
    for line in log:
        if "/organization/usage/" not in line and "/organization/costs" not in line:
            continue
        target = line.split()[2]
        qs = dict(p.split("=", 1) for p in target.split("?", 1)[1].split("&"))
        most = 180 if "/costs" in target else 31 if qs["bucket_width"] == "1d" \
            else 168
        assert 1 <= int(qs["limit"]) <= most, target
        seen += 1
    assert seen > 20
    # A limit beyond OpenAI's maximum is refused by the configuration.
    bad = st.path("etc", "bad.conf")
    with open(bad, "w") as f:
        f.write(open(st.conf).read() + "usage_page_days = 32\n")
    r = subprocess.run([st.bin("orgaudit-collect"), "--conf", bad, "--org",
                        str(S["org"])], env=st.env(), text=True,
                       capture_output=True)
    assert r.returncode == 2 and "usage_page_days" in r.stderr, r.stderr


@test
def a_collector_killed_mid_backfill_resumes_without_gaps_or_doubles():
    org2 = st.connect(S["tenant"])
    knobs(latency_ms=150)
    p = subprocess.Popen([st.bin("orgaudit-collect"), "--org", str(org2)],
                         env=st.env(), stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    # Wait until some costs or usage pages are stored, then kill.
    deadline = time.time() + 60
    while time.time() < deadline:
        n = st.sql("SELECT COUNT(*) FROM usage_cursor WHERE org_id = %d" % org2)
        if int(n[0][0]) >= 3:
            break
        time.sleep(0.05)
    p.send_signal(signal.SIGKILL)
    p.wait()
    knobs()
    partial = int(st.sql("SELECT COUNT(*) FROM cost_bucket WHERE org_id = %d"
                         % org2)[0][0])
    diag("killed with %d cost rows stored" % partial)
    st.sql("UPDATE org SET lease_until = 0 WHERE id = %d" % org2)
    r = st.collect("--org", str(org2))
    assert r.returncode == 0, r.stderr[-1500:]
    t = utruth()
    got = {(int(d), nul(p), nul(li), nul(k)): Decimal(a) for d, p, li, k, a in
           st.sql("SELECT start_time, project_id, line_item, api_key_id,"
                  " amount FROM cost_bucket WHERE org_id = %d" % org2)}
    assert got == truth_costs(t)
    n = st.sql("SELECT SUM(revisions) FROM cost_bucket WHERE org_id = %d"
               % org2)
    assert int(n[0][0]) == 0      # re-reading the same value is no revision
    for e in ENDPOINTS:
        rows = {}
        for d, p, u, k, m, c in st.sql(
                "SELECT start_time, project_id, user_id, api_key_id, model,"
                " counters FROM usage_bucket WHERE org_id = %d AND endpoint ="
                " '%s' AND width = '1d'" % (org2, e)):
            rows[(int(d), nul(p), nul(u), nul(k), nul(m))] = json.loads(c)
        assert rows == truth_usage(t, e), e
    rollups_equal_the_buckets(org2)


@test
def all_pulls_usage_every_quarter_hour_and_the_inventory_hourly():
    org = S["org"]

    def pulled():
        return set(last_run_streams())

    st.sql("UPDATE org SET lease_until = 0, collected_at_ms = 0 WHERE id > 0")
    # Just pulled: nothing is due.
    collect("--org", str(org))
    st.sql("UPDATE org SET collected_at_ms = 0 WHERE id > 0")
    r = collect("--all")
    assert "nothing due" in r.stdout, r.stdout
    # A quarter of an hour later: usage and costs only.
    st.sql("UPDATE org SET usage_at = usage_at - 900, collected_at_ms = 0"
           " WHERE id > 0")
    collect("--all")
    assert pulled() == set(STREAMS), pulled()
    # An hour later: everything.
    st.sql("UPDATE org SET usage_at = usage_at - 900, inventory_at ="
           " inventory_at - 3600, collected_at_ms = 0 WHERE id > 0")
    collect("--all")
    assert set(STREAMS) | {"users", "api_keys", "audit_logs"} <= pulled()


if __name__ == "__main__":
    run(setup=setup, teardown=st.stop)
