#!/usr/bin/env python3
"""Benchmark: a first collection (snapshots and the whole audit log) of a
simulated org into one MariaDB server, then into a three-node Galera
cluster on the same machine (tests/galera.py), in the same run, with the
same simulator and binaries.  Each run pulls a newly connected org, so
every run stores the same rows.  The cluster's figures are given as a
ratio to the single server's (the anchor), absolute figures beside.
Median of RUNS runs each (default 3; BENCH_RUNS overrides), alternated.
"""
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "it"))
sys.path.insert(0, os.path.join(HERE, ".."))
from benchlib import timed  # noqa: E402
from common import new_stack  # noqa: E402
from galera import Cluster  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "3"))


def cluster_conf(st, cl):
    """st.conf with db_host naming the cluster's nodes (node 1 first)."""
    path = st.path("etc", "cluster.conf")
    with open(st.conf) as f:
        lines = [ln for ln in f if not ln.startswith("db_host ")]
    lines.append("db_host = %s\n" % ",".join(
        "127.0.0.1:%d" % cl.port(n) for n in range(1, cl.size + 1)))
    with open(path, "w") as f:
        f.writelines(lines)
    return path


def cli(st, conf, *args):
    wall, rss, out = timed([st.bin("orgaudit")] + list(args),
                           env=st.env(conf))
    return out


def pull(st, conf, tenant, k):
    """Connects a new org and pulls it once: (wall s, rows stored)."""
    org = int(cli(st, conf, "org", "connect", "--tenant", str(tenant),
                  "--key-file", st.path("etc", "admin.key"), "--name",
                  "bench %d" % k).strip().splitlines()[-1])
    wall, _, _ = timed([st.bin("orgaudit-collect"), "--org", str(org)],
                       env=st.env(conf))
    return wall


def main():
    st = new_stack("bench-galera")
    cl = Cluster(st.path("galera"),
                 extra_options={"log_bin_trust_function_creators": "1"})
    try:
        st.start_db()
        st.start_sim("--users", "2000", "--projects", "200",
                     "--keys-per-project", "20", "--seed", "5",
                     "--events", "20000", "--events-days", "30",
                     access_log=False)
        st.write_conf()
        st.init_orgaudit()
        cl.start()
        cl.users(collector_password=st._secret_file("db.password"),
                 web_password=st._secret_file("db-web.password"))
        cconf = cluster_conf(st, cl)
        cli(st, cconf, "migrate")
        tenants = {
            "single": int(cli(st, st.conf, "tenant", "add", "B").strip()),
            "cluster": int(cli(st, cconf, "tenant", "add", "B").strip()),
        }
        confs = {"single": st.conf, "cluster": cconf}
        walls = {"single": [], "cluster": []}
        for k in range(RUNS):
            for where in ("single", "cluster"):
                walls[where].append(pull(st, confs[where], tenants[where], k))
        nrows = int(st.sql(
            "SELECT SUM(row_count) FROM collect_run_stream WHERE run_id ="
            " (SELECT MAX(id) FROM collect_run)")[0][0])
        events = int(st.sql("SELECT COUNT(*) FROM audit_event WHERE org_id ="
                            " (SELECT MAX(id) FROM org)")[0][0])
        anchor = statistics.median(walls["single"])
        print("collect, first pull: 2000 users, 200 projects, 4000 project "
              "keys, %d audit events (%d rows); median of %d runs"
              % (events, nrows, RUNS))
        print("%-24s %9s %15s %10s %8s" % ("database", "wall (s)",
                                             "min..max (s)", "rows/s",
                                             "ratio"))
        for where, label in (("single", "one server (anchor)"),
                             ("cluster", "Galera, 3 nodes")):
            w = statistics.median(walls[where])
            print("%-24s %9.2f %7.2f..%-7.2f %10.0f %8.2f" % (
                label, w, min(walls[where]), max(walls[where]), nrows / w,
                w / anchor))
    finally:
        try:
            st.stop()
        finally:
            cl.stop()


if __name__ == "__main__":
    main()
