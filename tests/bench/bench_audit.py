#!/usr/bin/env python3
"""Benchmark: a first pull of a long audit log, beside the official SDK.

The simulator holds 1,000,000 audit entries over 30 days (BENCH_AUDIT_EVENTS
overrides).  At each added latency (BENCH_AUDIT_LATENCIES, default "0 20"
ms per request) orgaudit-collect pulls the whole log into an empty chain
and stores it, and the official openai npm SDK (tests/bench/sdk, installed
there from its lock file) merely pages through the same entries.  Printed:
entries, wall time, entries per second, requests and peak RSS of each,
and the CPU MariaDB and the simulator spent during the pull.  After each
pull the chain is verified and compared with the simulator's count, so a
fast wrong answer cannot pass for a result.
"""
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "it"))
from common import new_stack  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SDK = os.path.join(HERE, "sdk")
EVENTS = int(os.environ.get("BENCH_AUDIT_EVENTS", "1000000"))
LATENCIES = [int(x) for x in
             os.environ.get("BENCH_AUDIT_LATENCIES", "0 20").split()]


def sdk_install():
    """npm ci into the bench's own folder, once."""
    if os.path.exists(os.path.join(SDK, "node_modules", "openai")):
        return
    r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=SDK,
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("bench: npm ci in %s failed:\n%s" % (SDK, r.stderr[-2000:]))


def cpu_seconds(pid):
    """User + system CPU a process has used so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(cmd, env):
    """Runs cmd under /usr/bin/time: (wall s, peak RSS KiB, stdout)."""
    r = subprocess.run(["/usr/bin/time", "-f", "BENCH %e %M"] + cmd,
                       env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("bench: %s failed:\n%s" % (cmd[0], r.stderr[-3000:]))
    line = [x for x in r.stderr.splitlines() if x.startswith("BENCH ")][-1]
    _, wall, rss = line.split()
    return float(wall), int(rss), r.stdout


def reads(st, tenant, org, want):
    """The API over the chain just stored, through nginx: each query's
    median time of 5, and the whole SIEM export once."""
    st.start_web()
    tok = st.token(tenant, "bench")
    base = "/api/v1/openai/orgs/%d/" % org
    types = st.sql("SELECT type, COUNT(*) AS n FROM audit_event GROUP BY"
                   " type ORDER BY n")
    rare, common = types[0], types[-1]
    actor = st.sql("SELECT actor_id FROM audit_event WHERE actor_id IS NOT"
                   " NULL LIMIT 1")[0][0]
    target = st.sql("SELECT target_id FROM audit_event WHERE target_id IS"
                    " NOT NULL ORDER BY seq LIMIT 1")[0][0]
    first = int(st.sql("SELECT MIN(effective_at) FROM audit_event")[0][0])
    queries = [
        ("newest 100", "events?limit=100"),
        ("type %s (%s of them)" % (common[0], common[1]),
         "events?limit=100&type=" + common[0]),
        ("type %s (%s of them)" % (rare[0], rare[1]),
         "events?limit=100&type=" + rare[0]),
        ("one actor", "events?limit=100&actor=" + actor),
        ("one target (a key's history)", "events?limit=100&target=" +
         target),
        ("the oldest day (until=)", "events?limit=100&until=%d" % (
            first + 86400)),
        ("a page 5,000 deep", None),
    ]
    # The deep page: follow 50 cursors of 100.
    cursor = None
    for _ in range(50):
        page = st.api(base + "events?limit=100" + (
            "&cursor=" + cursor if cursor else ""), tok)
        cursor = page["next_cursor"]
    queries[-1] = ("a page 5,000 deep", "events?limit=100&cursor=" + cursor)
    print("API reads over the %d-entry chain, through nginx (median of 5):"
          % want)
    for label, q in queries:
        times = []
        for _ in range(5):
            t0 = time.monotonic()
            status, _, body = st.http("GET", base + q, token=tok)
            times.append(time.monotonic() - t0)
            if status != 200:
                sys.exit("bench: %s answered %d" % (q, status))
        n = len(json.loads(body)["data"])
        print("  %-44s %7.1f ms  %3d events" % (label, statistics.median(
            times) * 1000, n))
    t0 = time.monotonic()
    status, _, body = st.http("GET", base + "events.jsonl", token=tok)
    wall = time.monotonic() - t0
    lines = body.count(b"\n")
    if status != 200 or lines != want:
        sys.exit("bench: the export gave %d lines of %d" % (lines, want))
    print("  %-44s %7.1f s   %d lines, %.0f MB, %.0f lines/s" % (
        "events.jsonl, the whole chain", wall, lines, len(body) / 1e6,
        lines / wall))


def main():
    sdk_install()
    st = new_stack("bench-audit")
    try:
        st.start_db(buffer_pool="1G")
        st.start_sim("--users", "200", "--projects", "20", "--seed", "5",
                     "--events", str(EVENTS), "--events-days", "30",
                     access_log=False)
        st.write_conf()
        st.init_orgaudit()
        tenant = st.tenant("Bench")
        org = st.connect(tenant)
        want = st.sim_get("/_sim/audit/digest")["count"]
        db_pid = st.pids["mariadb"]["pid"]
        sim_pid = st.pids["sim"]["pid"]
        rows = []
        for lat in LATENCIES:
            st.sim_post("/_sim/config", {"latency_ms": lat})
            # An empty chain each time (TRUNCATE bypasses the triggers
            # that refuse deletes; only a benchmark may do this).
            st.sql("TRUNCATE audit_event")
            st.sql("DELETE FROM audit_state")
            st.sim_post("/_sim/stats/reset", {})
            db0, sim0 = cpu_seconds(db_pid), cpu_seconds(sim_pid)
            wall, rss, _ = timed([st.bin("orgaudit-collect"), "--org",
                                  str(org)], st.env())
            db_cpu = cpu_seconds(db_pid) - db0
            sim_cpu = cpu_seconds(sim_pid) - sim0
            reqs = st.sim_get("/_sim/stats")["by_stream"]["audit_logs"]
            stored = int(st.sql("SELECT COUNT(*) FROM audit_event WHERE"
                                " org_id = %d" % org)[0][0])
            if stored != want:
                sys.exit("bench: stored %d entries, the simulator has %d"
                         % (stored, want))
            t0 = time.monotonic()
            st.cli("events", "verify", "--org", str(org))
            verify_s = time.monotonic() - t0
            rows.append(("orgaudit (stores)", lat, stored, wall, reqs, rss,
                         db_cpu, sim_cpu))

            st.sim_post("/_sim/stats/reset", {})
            sim0 = cpu_seconds(sim_pid)
            env = dict(os.environ, OPENAI_ADMIN_KEY=st.admin_key,
                       OPENAI_BASE_URL="http://127.0.0.1:%d/v1" % st.sim_port)
            wall, rss, out = timed(["node", os.path.join(SDK, "list.mjs")],
                                   env)
            sim_cpu = cpu_seconds(sim_pid) - sim0
            got = json.loads(out.strip().splitlines()[-1])["entries"]
            if got != want:
                sys.exit("bench: the SDK listed %d entries of %d" % (got,
                                                                     want))
            reqs = st.sim_get("/_sim/stats")["by_stream"]["audit_logs"]
            rows.append(("openai SDK (lists)", lat, got, wall, reqs, rss,
                         None, sim_cpu))
        print("audit: a first pull of %d entries (30 days); the openai npm "
              "SDK 7.57.0 on node %s" % (
                  want, subprocess.run(["node", "--version"], capture_output=True,
                                 text=True).stdout.strip()))
        print("%-19s %7s %9s %9s %10s %9s %9s %9s %9s" % (
            "", "latency", "entries", "wall (s)", "entries/s", "requests",
            "RSS (MiB)", "db CPU s", "sim CPU s"))
        for who, lat, n, wall, reqs, rss, db_cpu, sim_cpu in rows:
            print("%-19s %7s %9d %9.1f %10.0f %9d %9.1f %9s %9.1f" % (
                who, "%d ms" % lat, n, wall, n / wall, reqs, rss / 1024.0,
                "%.1f" % db_cpu if db_cpu is not None else "-", sim_cpu))
        for lat in LATENCIES:
            ours = [r for r in rows if r[1] == lat][0][3]
            sdk = [r for r in rows if r[1] == lat][1][3]
            print("at %d ms: orgaudit stored them in %.1f s, the SDK listed "
                  "them in %.1f s (%.1fx)" % (lat, ours, sdk, sdk / ours))
        print("orgaudit events verify (the whole chain): %.1f s" % verify_s)
        reads(st, tenant, org, want)
    finally:
        st.stop()


if __name__ == "__main__":
    main()
