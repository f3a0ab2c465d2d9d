#!/usr/bin/env python3
"""Benchmark: the usage and costs backfill of a large org, beside the SDK.

An org of 5,000 users, 500 projects and 20,000 keys of which 5,000 carry
traffic over 90 days with 3 chat models (BENCH_USAGE_KEYS, _DAYS override).
At each added latency (BENCH_USAGE_LATENCIES, default "0 50" ms per
request) orgaudit-collect --all pulls the org's usage and costs alone (the
inventory is not due) into empty tables: the 90-day backfill; then, a
quarter of an hour later by the org's clock, the incremental pull.  The
official openai npm SDK (tests/bench/sdk/usage.mjs) merely fetches the same
pages one after another.  Printed: wall time, requests, results, peak RSS
of each, and MariaDB's CPU during the backfill.  The stored costs are
compared with the simulator's total, exactly, so a fast wrong answer
cannot pass for a result.  With the web up, the /costs API (90 days by
project) and the org's usage page are timed through nginx.
"""
import json
import os
import statistics
import subprocess
import sys
import time
from decimal import Decimal

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "it"))
from common import WebClient, new_stack  # noqa: E402
from bench_audit import SDK, cpu_seconds, sdk_install, timed  # noqa: E402

KEYS = int(os.environ.get("BENCH_USAGE_KEYS", "5000"))
DAYS = int(os.environ.get("BENCH_USAGE_DAYS", "90"))
LATENCIES = [int(x) for x in
             os.environ.get("BENCH_USAGE_LATENCIES", "0 50").split()]
TABLES = ("usage_bucket", "cost_bucket", "cost_day_project", "usage_cursor",
          "usage_key_stat", "cost_day", "cost_cum_project", "usage_day_model",
          "usage_unmapped")


def pull(st, org):
    """orgaudit-collect --all with only usage due: (wall, RSS KiB)."""
    st.sql("UPDATE org SET inventory_at = UNIX_TIMESTAMP(), usage_at ="
           " usage_at - 900, collected_at_ms = 0, lease_until = 0 WHERE id = %d"
           % org)
    wall, rss, out = timed([st.bin("orgaudit-collect"), "--all"], st.env())
    if "streams ok" not in out or " 0 failed" not in out:
        sys.exit("bench: the pull did not store every stream:\n" + out)
    return wall, rss


def stored_total(st, org):
    return Decimal(st.sql("SELECT COALESCE(SUM(amount), 0) FROM cost_bucket"
                          " WHERE org_id = %d" % org)[0][0])


def time_get(st, tok, path, n=200, web=None):
    """p50 and p99 of n sequential GETs through nginx, in ms: with the
    token, or as web's signed-in browser."""
    times = []
    for _ in range(n):
        t0 = time.monotonic()
        if web is not None:
            status, _, _ = web.get(path)
        else:
            status, _, _ = st.http("GET", path, token=tok)
        times.append((time.monotonic() - t0) * 1000)
        if status != 200:
            sys.exit("bench: %s answered %d" % (path, status))
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99) - 1]


def main():
    sdk_install()
    st = new_stack("bench-usage")
    try:
        st.start_db(buffer_pool="1G")
        t0 = time.monotonic()
        st.start_sim("--users", "5000", "--projects", "500",
                     "--keys-per-project", "40", "--usage-keys", str(KEYS),
                     "--usage-days", str(DAYS), "--usage-models", "3",
                     "--seed", "3", access_log=False)
        st.write_conf(usage_backfill_days=DAYS, **json.loads(
            os.environ.get("BENCH_USAGE_CONF", "{}")))
        st.init_orgaudit()
        tenant = st.tenant("Bench")
        org = st.connect(tenant)
        truth = st.sim_get("/_sim/truth?usage=summary")["usage"]
        want = Decimal(truth["costs"]["total"])
        print("simulator ready in %.0f s" % (time.monotonic() - t0))
        # The inventory once (not timed here: bench_collect does).
        r = st.collect("--org", str(org))
        if r.returncode != 0:
            sys.exit("bench: the first pull failed:\n" + r.stderr[-2000:])
        db_pid = st.pids["mariadb"]["pid"]
        rows = []
        for lat in LATENCIES:
            for t in TABLES:
                st.sql("DELETE FROM %s WHERE 1 = 1" % t if t == "usage_cursor"
                       else "TRUNCATE %s" % t)
            st.sim_post("/_sim/config", {"latency_ms": lat})
            st.sim_post("/_sim/stats/reset", {})
            db0 = cpu_seconds(db_pid)
            wall, rss = pull(st, org)
            db_cpu = cpu_seconds(db_pid) - db0
            reqs = sum(st.sim_get("/_sim/stats")["by_stream"].get(s, 0)
                       for s in ("usage", "costs"))
            results = int(st.sql("SELECT (SELECT COUNT(*) FROM usage_bucket)"
                                 " + (SELECT COUNT(*) FROM cost_bucket)")[0][0])
            got = stored_total(st, org)
            if got != want:
                sys.exit("bench: stored costs %s, the simulator's %s" % (got,
                                                                      want))
            rows.append(("orgaudit backfill", lat, wall, reqs, results, rss,
                         db_cpu))
            st.sim_post("/_sim/stats/reset", {})
            wall, rss = pull(st, org)
            reqs = sum(st.sim_get("/_sim/stats")["by_stream"].get(s, 0)
                       for s in ("usage", "costs"))
            rows.append(("orgaudit 15-min pull", lat, wall, reqs, None, rss,
                         None))
            st.sim_post("/_sim/stats/reset", {})
            env = dict(os.environ, OPENAI_ADMIN_KEY=st.admin_key,
                       OPENAI_BASE_URL="http://127.0.0.1:%d/v1" % st.sim_port,
                       USAGE_DAYS=str(DAYS))
            wall, rss, out = timed(["node", os.path.join(SDK, "usage.mjs")],
                                   env)
            res = json.loads(out.strip().splitlines()[-1])
            reqs = sum(st.sim_get("/_sim/stats")["by_stream"].get(s, 0)
                       for s in ("usage", "costs"))
            rows.append(("openai SDK (fetches)", lat, wall, reqs,
                         res["results"], rss, None))
        print("usage and costs: %d days, %d keys with traffic of 20,000; "
              "costs total %s USD, exact" % (DAYS, KEYS, want))
        print("%-22s %7s %9s %9s %10s %9s %9s" % (
            "", "latency", "wall (s)", "requests", "results", "RSS (MiB)",
            "db CPU s"))
        for who, lat, wall, reqs, n, rss, db_cpu in rows:
            print("%-22s %7s %9.2f %9d %10s %9.1f %9s" % (
                who, "%d ms" % lat, wall, reqs, n if n is not None else "-",
                rss / 1024.0, "%.1f" % db_cpu if db_cpu is not None else "-"))
        for lat in LATENCIES:
            mine = [r for r in rows if r[1] == lat]
            print("at %d ms: backfill %.1f s, the SDK fetched the same pages in "
                  "%.1f s (%.2fx); incremental %.2f s" % (
                      lat, mine[0][2], mine[2][2], mine[0][2] / mine[2][2],
                      mine[1][2]))
        reads(st, tenant, org)
    finally:
        st.stop()


def reads(st, tenant, org):
    """The costs API and pages over what was stored, through nginx."""
    st.start_web()
    tok = st.token(tenant, "bench")
    now = int(time.time())
    day = lambda t: time.strftime("%Y-%m-%d", time.gmtime(t))  # noqa: E731
    since, until = day(now - DAYS * 86400), day(now + 86400)
    base = "/api/v1/openai/orgs/%d/" % org
    print("reads through nginx, 200 sequential requests each:")
    for label, path in (
            ("the org's overview (anchor)", "/api/v1/openai/orgs/%d" % org),
            ("costs, %d days by project" % DAYS,
             base + "costs?since=%s&until=%s&group_by=project" % (since,
                                                                  until)),
            ("costs, %d days by day" % DAYS,
             base + "costs?since=%s&until=%s&group_by=day" % (since, until))):
        status, _, _ = st.http("GET", path, token=tok)
        if status == 404:
            print("  %-36s not served" % label)
            continue
        p50, p99 = time_get(st, tok, path)
        print("  %-36s p50 %6.1f ms  p99 %6.1f ms" % (label, p50, p99))
    _, pw = st.account(tenant, "bench@example.com", "owner")
    web = WebClient(st).login("bench@example.com", pw)
    for label, path in (("the org's overview page", "/orgs/%d" % org),
                        ("the usage and costs page", "/orgs/%d/usage" % org)):
        p50, p99 = time_get(st, None, path, web=web)
        print("  %-36s p50 %6.1f ms  p99 %6.1f ms" % (label, p50, p99))


if __name__ == "__main__":
    main()
