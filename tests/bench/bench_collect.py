#!/usr/bin/env python3
"""Benchmark: one collection of a large simulated org.

5,000 users, 500 projects (20 archived), 20,000 project keys (40 per
project), pulled by orgaudit-collect at 0 ms and 50 ms of added latency per
request.  Prints a table: wall time, requests, rows, peak RSS.  Each row is
the median of RUNS runs (default 3; BENCH_RUNS overrides).
"""
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "it"))
from common import new_stack  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "3"))


def conf_value(path, key, default):
    """A key's value in a configuration file, or default."""
    with open(path) as f:
        for line in f:
            k, _, v = line.partition("=")
            if k.strip() == key:
                return v.strip()
    return default


def one(st, org):
    """Runs the collector once under /usr/bin/time: (wall s, RSS KiB, out)."""
    r = subprocess.run(["/usr/bin/time", "-f", "BENCH %e %M",
                        st.bin("orgaudit-collect"), "--org", str(org)],
                       env=st.env(), capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("bench: collect failed:\n" + r.stderr[-2000:])
    line = [x for x in r.stderr.splitlines() if x.startswith("BENCH ")][-1]
    _, wall, rss = line.split()
    return float(wall), int(rss), r.stdout


def main():
    st = new_stack("bench-collect")
    try:
        st.start_db()
        st.start_sim("--users", "5000", "--projects", "500",
                     "--archived-projects", "20", "--keys-per-project", "40",
                     "--service-accounts-per-project", "2",
                     "--project-users-per-project", "10",
                     "--admin-keys", "10", "--invites", "50", "--seed", "3")
        st.write_conf()
        st.init_orgaudit()
        tenant = st.tenant("Bench")
        org = st.connect(tenant)
        conc = conf_value(st.conf, "collect_concurrency", "24 (default)")
        rows = []
        for latency in (0, 50):
            st.sim_post("/_sim/config", {"latency_ms": latency})
            samples = []
            for _ in range(RUNS):
                st.sim_post("/_sim/stats/reset", {})
                wall, rss, out = one(st, org)
                stats = st.sim_get("/_sim/stats")
                samples.append((wall, rss, stats["requests"], out))
            wall = statistics.median(s[0] for s in samples)
            rss = max(s[1] for s in samples)
            reqs = samples[0][2]
            nrows = st.sql("SELECT SUM(row_count) FROM collect_run_stream"
                           " WHERE run_id = (SELECT MAX(id) FROM"
                           " collect_run)")[0][0]
            rows.append((latency, wall, min(s[0] for s in samples),
                         max(s[0] for s in samples), reqs, nrows, rss))
        t = st.sim_get("/_sim/truth")
        print("collect: %d users, %d projects, %d project keys; "
              "collect_concurrency %s; median of %d runs" % (
                  len(t["users"]), len(t["projects"]), len(t["api_keys"]),
                  conc, RUNS))
        print("%-9s %9s %15s %9s %8s %14s" % (
            "latency", "wall (s)", "min..max (s)", "requests", "rows",
            "peak RSS (MiB)"))
        for lat, wall, lo, hi, reqs, nrows, rss in rows:
            print("%-9s %9.2f %7.2f..%-7.2f %9d %8s %14.1f" % (
                "%d ms" % lat, wall, lo, hi, reqs, nrows, rss / 1024.0))
        reqs50 = rows[1][4]
        print("one request at a time at 50 ms would need at least "
              "%d x 0.05 s = %.1f s" % (reqs50, reqs50 * 0.05))
    finally:
        st.stop()


if __name__ == "__main__":
    main()
