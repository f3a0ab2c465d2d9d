#!/usr/bin/env python3
"""orgaudit on a real three-node Galera cluster (tests/galera.py), every
program pointed at a node of its own through db_host: migrations on two
nodes at once, two collectors on two nodes over the same orgs, the web,
the CLI and a collector on three nodes, a node SIGKILLed under a
collector that writes to it, and billing on two nodes at once.  After
each, the chains are checked against the simulator on every node
('orgaudit events verify'), and the failure injected is reported.
"""
import calendar
import os
import re
import shutil
import subprocess
import threading
import time

from common import new_stack
from galera import Cluster
from stack import WEB_USER
from tap import diag, run, test

st = new_stack("it-galera")
# Binary logging is on for Galera: the audit log's triggers need this.
cl = Cluster(st.path("galera"),
             extra_options={"log_bin_trust_function_creators": "1"})
S = {"confs": {}}
MONTH = "2026-10"


def conf_for(first):
    """An orgaudit.conf (and web.conf) whose db_host lists every node,
    node `first` first: the process connects there and fails over to the
    next ones in turn."""
    order = [first] + [n for n in range(1, cl.size + 1) if n != first]
    hosts = ",".join("127.0.0.1:%d" % cl.port(n) for n in order)
    out = {}
    for name, src in (("conf", st.conf), ("web", st.web_conf)):
        path = st.path("etc", "%s-node%d.conf" % (name, first))
        with open(src) as f:
            lines = [ln for ln in f if not ln.startswith("db_host ")]
        lines.append("db_host = %s\n" % hosts)
        with open(path, "w") as f:
            f.writelines(lines)
        if name == "web":
            shutil.chown(path, "root", WEB_USER)
            os.chmod(path, 0o640)
        out[name] = path
    return out


def prog(name, node, *args, env=None):
    """Starts one of the binaries against node `node` (a Popen)."""
    e = st.env(S["confs"][node]["conf"])
    e.update(env or {})
    return subprocess.Popen([st.bin(name)] + list(args), env=e, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def both(procs, timeout=300):
    """Waits for every process; [(rc, stdout, stderr)]."""
    out = []
    for p in procs:
        o, e = p.communicate(timeout=timeout)
        out.append((p.returncode, o, e))
    return out


def rows(n, q):
    return cl.sql(n, q, database="orgaudit", sync_wait=1)


def sim_ids():
    return st.sim_get("/_sim/audit/ids")["ids"]


def chain_ok(org, nodes=None):
    """Every node up holds org's chain as the simulator has it, once each,
    numbered 1..n, and 'events verify' passes through that node."""
    want = sorted(sim_ids())
    for n in nodes or cl.up():
        got = [r[0] for r in rows(n, "SELECT id FROM audit_event WHERE"
                                  " org_id = %d ORDER BY seq" % org)]
        assert len(got) == len(set(got)), "node %d: an event twice" % n
        assert sorted(got) == want, "node %d: %d events, simulator %d" % (
            n, len(got), len(want))
        seqs = rows(n, "SELECT MIN(seq), MAX(seq), COUNT(*) FROM audit_event"
                    " WHERE org_id = %d" % org)[0]
        assert seqs == ["1", str(len(want)), str(len(want))], (n, seqs)
        p = prog("orgaudit", n, "events", "verify", "--org", str(org))
        (rc, o, e), = both([p])
        assert rc == 0, "node %d: events verify: %s%s" % (n, o, e)


def setup():
    t0 = time.monotonic()
    cl.start()
    S["cluster_s"] = time.monotonic() - t0
    pw = st._secret_file("db.password")
    webpw = st._secret_file("db-web.password")
    shutil.chown(st.path("etc", "db-web.password"), WEB_USER, WEB_USER)
    cl.users(web_password=webpw, collector_password=pw)
    st.start_sim("--users", "8", "--projects", "3", "--keys-per-project",
                 "2", "--seed", "29", "--events", "1500", "--events-days",
                 "10")
    st.write_conf(db_host="127.0.0.1:%d" % cl.port(1), lease_seconds=60,
                  retry_base_ms=20, retry_cap_ms=200)
    st.start_stripe()
    for n in range(1, cl.size + 1):
        S["confs"][n] = conf_for(n)
    diag("cluster of %d nodes up in %.1f s" % (cl.size, S["cluster_s"]))


@test
def migrate_on_two_nodes_at_once_applies_each_migration_once():
    for args in (("master-key", "create"), ("keygen",)):
        (rc, o, e), = both([prog("orgaudit", 1, *args)])
        assert rc == 0, o + e
    res = both([prog("orgaudit", 1, "migrate"),
                prog("orgaudit", 2, "migrate")])
    diag("migrate on nodes 1 and 2 at once: exits %s" % [r[0] for r in res])
    for rc, o, e in res:
        assert rc == 0, o + e
    for n in cl.up():
        vs = rows(n, "SELECT version, COUNT(*) FROM schema_version"
                  " GROUP BY version HAVING COUNT(*) > 1")
        assert not vs, "node %d: migrations recorded twice: %s" % (n, vs)
        assert rows(n, "SELECT COUNT(*) FROM orgaudit_lock WHERE"
                    " name = 'migrate' AND owner IS NOT NULL") == [["0"]]
    grants = subprocess.run(
        [st.bin("orgaudit"), "grants", "--web", "orgaudit_web@127.0.0.1"],
        env=st.env(S["confs"][1]["conf"]), capture_output=True, text=True,
        check=True).stdout
    cl.sql(1, grants)


@test
def every_table_has_a_primary_key_on_the_cluster():
    for n in cl.up():
        bare = rows(n, "SELECT t.table_name FROM information_schema.tables t"
                    " WHERE t.table_schema = 'orgaudit' AND t.table_type ="
                    " 'BASE TABLE' AND NOT EXISTS (SELECT 1 FROM"
                    " information_schema.table_constraints c WHERE"
                    " c.table_schema = t.table_schema AND c.table_name ="
                    " t.table_name AND c.constraint_type = 'PRIMARY KEY')")
        assert not bare, "node %d: tables without a primary key: %s" % (
            n, bare)


@test
def two_collectors_on_two_nodes_pull_the_same_orgs_without_a_fork():
    (rc, o, e), = both([prog("orgaudit", 1, "tenant", "add", "Cluster Co")])
    assert rc == 0, e
    S["tenant"] = int(o.strip())
    S["orgs"] = []
    for i in range(3):
        (rc, o, e), = both([prog(
            "orgaudit", 1 + i % 2, "org", "connect", "--tenant",
            str(S["tenant"]), "--key-file", st.path("etc", "admin.key"),
            "--name", "org %d" % i)])
        assert rc == 0, o + e
        S["orgs"].append(int(o.strip().splitlines()[-1]))
    st.sim_post("/_sim/config", {"latency_ms": 5})
    try:
        # Each org twice at once, from two nodes; and --all on both.
        procs = []
        for org in S["orgs"]:
            procs += [prog("orgaudit-collect", 1, "--org", str(org)),
                      prog("orgaudit-collect", 2, "--org", str(org))]
        res = both(procs)
        res += both([prog("orgaudit-collect", 1, "--all"),
                     prog("orgaudit-collect", 2, "--all")])
    finally:
        st.sim_post("/_sim/config", {"latency_ms": 0})
    refused = sum(1 for r in res if "being collected by" in r[2])
    diag("%d collector runs on nodes 1 and 2, %d refused an org leased by "
         "the other" % (len(res), refused))
    for org in S["orgs"]:
        # Never two pulls of one org at once, whatever their nodes.
        runs = rows(1, "SELECT started_at_ms, ended_at_ms, host FROM"
                    " collect_run WHERE org_id = %d AND status IN ('ok',"
                    " 'partial') ORDER BY started_at_ms" % org)
        for a, b in zip(runs, runs[1:]):
            assert int(b[0]) >= int(a[1]), "org %d pulled twice at once: " \
                "%s and %s" % (org, a, b)
        # One of each pair may have been refused: collect what is left.
        (rc, o, e), = both([prog("orgaudit-collect", 3, "--org", str(org))])
        assert rc == 0, e
        chain_ok(org)
    assert rows(1, "SELECT COUNT(*) FROM org WHERE lease_owner IS NOT NULL"
                ) == [["0"]], "a lease outlived its collector"


@test
def web_cli_and_collector_on_three_nodes():
    (rc, o, e), = both([prog("orgaudit", 2, "token", "add", "--tenant",
                             str(S["tenant"]), "--name", "galera")])
    assert rc == 0, o + e
    tok = o.strip().splitlines()[-1]
    st.web_conf = S["confs"][3]["web"]
    st.start_web()
    stop = threading.Event()
    seen = []

    def reader():
        while not stop.is_set():
            orgs = st.api("/api/v1/openai/orgs", tok)
            seen.append(len(orgs["data"]))
            time.sleep(0.05)
    th = threading.Thread(target=reader)
    th.start()
    try:
        procs = [prog("orgaudit-collect", 1, "--org", str(org))
                 for org in S["orgs"]]
        for _ in range(5):
            (rc, o, e), = both([prog("orgaudit", 2, "orgs")])
            assert rc == 0, e
        res = both(procs)
    finally:
        stop.set()
        th.join()
    for rc, o, e in res:
        assert rc == 0, e
    assert seen and all(n == len(S["orgs"]) for n in seen), seen
    diag("web on node 3 answered %d list requests while node 1 collected "
         "and the CLI read node 2" % len(seen))
    for org in S["orgs"]:
        chain_ok(org)


@test
def a_node_killed_under_a_collector_fails_it_over_with_nothing_lost():
    (rc, o, e), = both([prog(
        "orgaudit", 1, "org", "connect", "--tenant", str(S["tenant"]),
        "--key-file", st.path("etc", "admin.key"), "--name", "killed")])
    assert rc == 0, o + e
    org = int(o.strip().splitlines()[-1])
    S["killed_org"] = org
    st.sim_post("/_sim/config", {"latency_ms": 40})
    st.sim_post("/_sim/stats/reset", {})
    try:
        p = prog("orgaudit-collect", 2, "--org", str(org))
        deadline = time.monotonic() + 60
        while int(rows(1, "SELECT COUNT(*) FROM audit_event WHERE org_id"
                       " = %d" % org)[0][0]) < 100:
            assert p.poll() is None, p.communicate()
            assert time.monotonic() < deadline, "no events stored"
            time.sleep(0.05)
        t0 = time.monotonic()
        cl.kill(2)
        (rc, o, e), = both([p])
        took = time.monotonic() - t0
    finally:
        st.sim_post("/_sim/config", {"latency_ms": 0})
    diag("node 2 SIGKILLed mid-pull; the collector finished %.1f s later, "
         "exit %d; retries logged: %d" % (took, rc, e.count("trying again")))
    assert rc == 0, e
    assert "db: " in e, "no failover logged: %s" % e[-2000:]
    chain_ok(org, nodes=[1, 3])
    r = cl.restart(2)
    diag("node 2 back by %s in %.1f s (eviction wait %.1f s, join %.1f s)"
         % (r["method"], r["total"], r["eviction_wait"], r["join"]))
    chain_ok(org, nodes=[2])


@test
def billing_on_two_nodes_at_once_bills_once():
    st.stripe("/_stripe/customers", {"id": "cus_cluster",
                                     "name": "Cluster Co"})
    (rc, o, e), = both([prog("orgaudit", 1, "tenant", "stripe-customer",
                             str(S["tenant"]), "cus_cluster")])
    assert rc == 0, o + e
    # Connected since before the month, pulled every day of it.
    rows(1, "UPDATE org_connection SET connected_at = %d WHERE tenant_id"
         " = %d" % (calendar.timegm((2026, 9, 1, 0, 0, 0)), S["tenant"]))
    vals = ",".join("(%d, %d, '%s-%02d', 5, 2, 0, %d)" % (
        S["tenant"], org, MONTH, d, calendar.timegm((2026, 10, d, 12, 0, 0)))
        for org in S["orgs"] for d in range(1, 32))
    rows(1, "INSERT INTO org_day (tenant_id, org_id, day, users, projects,"
         " run_id, pulled_at) VALUES %s ON DUPLICATE KEY UPDATE users = 5"
         % vals)
    res = both([prog("orgaudit-bill", 1, "--month", MONTH),
                prog("orgaudit-bill", 3, "--month", MONTH)])
    for rc, o, e in res:
        assert rc == 0 or "another orgaudit-bill is pushing" in o, o + e
    # One run did the work; the other found the lock held or the invoice
    # done, and sent nothing to Stripe.
    sent = [int(m) for _, o, _ in res
            for m in re.findall(r"(\d+) Stripe requests", o)]
    assert len(sent) == 1 or (len(sent) == 2 and min(sent) == 0), sent
    for k, (rc, o, e) in enumerate(res):
        diag("orgaudit-bill on node %d: exit %d: %s" % (
            (1, 3)[k], rc, o.strip().replace("\n", " | ")[:300]))
    state = st.stripe("/_stripe/state")
    invs = [i for i in state["invoices"] if i["customer"] == "cus_cluster"
            and i["metadata"].get("month") == MONTH]
    items = [i for i in state["invoiceitems"]
             if i["customer"] == "cus_cluster"
             and i["metadata"].get("month") == MONTH]
    assert len(invs) == 1, [i["id"] for i in invs]
    assert len(items) == len(S["orgs"]) + 1, len(items)
    for n in cl.up():
        assert rows(n, "SELECT COUNT(*) FROM bill_invoice WHERE tenant_id ="
                    " %d AND month = '%s'" % (S["tenant"], MONTH)) == [["1"]]


def teardown():
    try:
        st.stop()
    finally:
        cl.stop()


if __name__ == "__main__":
    run(setup=setup, teardown=teardown)
