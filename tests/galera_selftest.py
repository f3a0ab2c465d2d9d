#!/usr/bin/env python3
"""Proves tests/galera.py: a real three-node MariaDB Galera cluster in
tests/out/galera-selftest/, and the Galera behaviour orgaudit's tests rely
on: reads on another node (wsrep_sync_wait), AUTO_INCREMENT steps, tables
without a primary key, node-local GET_LOCK, SELECT ... FOR UPDATE on two
nodes (1213), a SIGKILLed node rejoining by IST, a SIGSTOPped node evicted
and rejoining, the whole cluster down and recovered, and stop() leaving
nothing running.  Timings are printed as diagnostics.

    python3 tests/galera_selftest.py        (about a minute)
"""
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(HERE, "lib"))
sys.path.insert(0, HERE)

from galera import Cluster, GaleraError  # noqa: E402
from stack import stop_recorded  # noqa: E402
from tap import diag, run, test  # noqa: E402

RUN = os.path.join(SRC, "tests", "out", "galera-selftest")
S = {}


def fresh():
    """Stops whatever an earlier run left, empties RUN; a Cluster."""
    if os.path.exists(os.path.join(RUN, "cluster.json")):
        Cluster(RUN).stop()
    if os.path.exists(os.path.join(RUN, "pids.json")):
        stop_recorded(RUN)
    shutil.rmtree(RUN, ignore_errors=True)
    return Cluster(RUN)


c = fresh()


def setup():
    t = c.start()
    diag("start: %.1fs in all (mariadb-install-db %.1fs, bootstrap of node 1 "
         "%.1fs, node 2 joined by %s in %.1fs, node 3 by %s in %.1fs)" % (
             t["total"], t["install_db"], t["bootstrap"], t["join2_method"],
             t["join2"], t["join3_method"], t["join3"]))


def cluster_procs():
    """Pids of live processes naming one of the cluster's option files."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        if any(("--defaults-file=" + c.node(n)["cnf"]).encode() in cmd
               for n in range(1, c.size + 1)):
            out.append(int(d))
    return out


def retry(fn, tries=20):
    """fn(), again on 1213/1180 (what Galera asks clients to do)."""
    for i in range(tries):
        try:
            return fn()
        except GaleraError as e:
            if e.errno not in (1213, 1180, 1047) or i == tries - 1:
                raise
            time.sleep(0.2)


def count(node, table):
    return int(c.sql(node, "SELECT COUNT(*) FROM %s" % table,
                     database="orgaudit", sync_wait=1)[0][0])


@test
def three_nodes_synced_on_loopback():
    uuids = set()
    for n in (1, 2, 3):
        st = c.status(n)
        assert st["wsrep_local_state_comment"] == "Synced", st
        assert st["wsrep_cluster_size"] == "3", st
        assert st["wsrep_cluster_status"] == "Primary", st
        uuids.add(st["wsrep_cluster_state_uuid"])
        assert c.sql(n, "SELECT @@wsrep_on, @@binlog_format, "
                     "@@innodb_autoinc_lock_mode, @@character_set_server, "
                     "@@collation_server, @@innodb_flush_log_at_trx_commit, "
                     "@@innodb_buffer_pool_size, @@performance_schema") == [
            ["1", "ROW", "2", "utf8mb4", "utf8mb4_bin", "2", "67108864",
             "0"]]
    assert len(uuids) == 1, uuids
    with open(os.path.join(RUN, "cluster.json")) as f:
        conf = json.load(f)
    ports = [nd[k] for nd in conf["nodes"]
             for k in ("port", "gcomm", "ist", "sst")]
    assert len(set(ports)) == 12, ports
    with open(os.path.join(RUN, "pids.json")) as f:
        pids = json.load(f)
    assert sorted(pids) == ["galera1", "galera2", "galera3"], pids
    assert sorted(i["pid"] for i in pids.values()) == sorted(cluster_procs())
    # Every socket a server listens on is on 127.0.0.1.
    out = subprocess.run(["ss", "-Hltnp"], stdout=subprocess.PIPE,
                         text=True, check=True).stdout
    mine = [ln for ln in out.splitlines()
            if any("pid=%d," % i["pid"] in ln for i in pids.values())]
    assert len(mine) >= 6, out          # client + gcomm ports at least
    for ln in mine:
        assert ln.split()[3].startswith("127.0.0.1:"), ln
    listening = " ".join(ln.split()[3] for ln in mine)
    for n in (1, 2, 3):
        for k in ("port", "gcomm"):
            assert "127.0.0.1:%d" % c.node(n)[k] in listening, (n, k)
    # A root socket connection and, by TCP, the command line.
    r = subprocess.run([sys.executable, os.path.join(HERE, "galera.py"),
                        "status", RUN], stdout=subprocess.PIPE, text=True)
    assert r.returncode == 0 and r.stdout.count("Synced, cluster size 3") \
        == 3, r.stdout


@test
def users_replicate_and_connect_by_socket_and_tcp():
    pw = c.users()
    S["pw"] = pw
    assert os.stat(pw["collector_password_file"]).st_mode & 0o777 == 0o600
    # Made on node 1, used on nodes 2 and 3, by socket and by 127.0.0.1.
    c.sql(2, "CREATE TABLE kv (id INT PRIMARY KEY, v VARCHAR(40)) "
          "ENGINE=InnoDB", database="orgaudit", user="orgaudit",
          password=pw["collector_password"])
    c.sql(3, "INSERT INTO kv VALUES (0, 'tcp')", database="orgaudit",
          user="orgaudit", password=pw["collector_password"], tcp=True)
    for n in (1, 2, 3):
        assert c.sql(n, "SELECT v FROM kv WHERE id = 0", database="orgaudit",
                     user="orgaudit_web", password=pw["web_password"],
                     tcp=(n != 2), sync_wait=1) == [["tcp"]]
    try:
        c.sql(1, "INSERT INTO kv VALUES (99, 'no')", database="orgaudit",
              user="orgaudit_web", password=pw["web_password"])
        raise AssertionError("the web user may not insert")
    except GaleraError as e:
        assert e.errno == 1142, e
    assert c.sql(3, "SELECT DEFAULT_COLLATION_NAME FROM information_schema."
                 "SCHEMATA WHERE SCHEMA_NAME = 'orgaudit'") == [
        ["utf8mb4_bin"]]


@test
def write_on_node1_read_on_node3_with_sync_wait():
    for i in range(1, 31):
        c.sql(1, "INSERT INTO kv VALUES (%d, 'w%d')" % (i, i),
              database="orgaudit")
        got = c.sql(3, "SELECT v FROM kv WHERE id = %d" % i,
                    database="orgaudit", sync_wait=1)
        assert got == [["w%d" % i]], (i, got)


@test
def auto_increment_steps_by_cluster_size():
    offsets = set()
    for n in (1, 2, 3):
        inc, off = c.sql(n, "SELECT @@auto_increment_increment, "
                         "@@auto_increment_offset")[0]
        assert inc == "3", inc
        offsets.add(int(off))
    # The offset follows the node's index in the view, not its number.
    assert offsets == {1, 2, 3}, offsets
    c.sql(1, "CREATE TABLE ai (id INT AUTO_INCREMENT PRIMARY KEY, n INT)",
          database="orgaudit")
    ids = {}
    for n in (1, 2, 3):
        rows = c.sql(n, "INSERT INTO ai (n) VALUES (%d), (%d);"
                     "SELECT id FROM ai WHERE n = %d ORDER BY id"
                     % (n, n, n), database="orgaudit", sync_wait=1)
        ids[n] = [int(r[0]) for r in rows]
        assert ids[n][1] - ids[n][0] == 3, ids
    residues = {ids[n][0] % 3 for n in ids}
    assert len(residues) == 3, ids          # no two nodes hand out one id
    assert count(2, "ai") == 6


@test
def table_without_primary_key_is_accepted_and_replicated():
    # 10.11 with the default wsrep_mode (empty) and wsrep_certify_nonPK=ON:
    # such a table is created, written and replicated (Galera makes up a key
    # for certification).  wsrep_mode=REQUIRED_PRIMARY_KEY (a GLOBAL
    # variable, per node) refuses to create one (4165) but still writes an
    # existing one.
    assert c.sql(1, "SELECT @@wsrep_mode, @@wsrep_certify_nonPK") == [
        ["", "1"]]
    c.sql(1, "CREATE TABLE nopk (v INT) ENGINE=InnoDB; "
          "INSERT INTO nopk VALUES (1), (2)", database="orgaudit")
    assert c.sql(3, "SELECT v FROM nopk ORDER BY v", database="orgaudit",
                 sync_wait=1) == [["1"], ["2"]]
    c.sql(2, "UPDATE nopk SET v = 5 WHERE v = 1", database="orgaudit")
    c.sql(3, "DELETE FROM nopk WHERE v = 2", database="orgaudit")
    for n in (1, 2, 3):
        assert c.sql(n, "SELECT v FROM nopk", database="orgaudit",
                     sync_wait=1) == [["5"]], n
    c.sql(1, "SET GLOBAL wsrep_mode = 'REQUIRED_PRIMARY_KEY'")
    try:
        try:
            c.sql(1, "CREATE TABLE nopk2 (v INT) ENGINE=InnoDB",
                  database="orgaudit")
            raise AssertionError("CREATE TABLE without a key was accepted")
        except GaleraError as e:
            assert e.errno == 4165, e       # Galera replication not supported
        c.sql(1, "INSERT INTO nopk VALUES (7)", database="orgaudit")
    finally:
        c.sql(1, "SET GLOBAL wsrep_mode = ''")
    assert count(3, "nopk") == 2
    # (MyISAM is not replicated: the DDL is, the rows are not.)
    c.sql(1, "CREATE TABLE my (id INT PRIMARY KEY) ENGINE=MyISAM; "
          "INSERT INTO my VALUES (1)", database="orgaudit")
    assert count(1, "my") == 1 and count(2, "my") == 0


@test
def get_lock_is_node_local():
    with c.session(1) as a, c.session(2) as b, c.session(1) as a2:
        assert a.sql("SELECT GET_LOCK('orgaudit-collect-1', 0)") == [["1"]]
        # "The same" lock, held at once on node 2.
        assert b.sql("SELECT GET_LOCK('orgaudit-collect-1', 0)") == [["1"]]
        # On node 1 itself it does exclude.
        assert a2.sql("SELECT GET_LOCK('orgaudit-collect-1', 0)") == [["0"]]
        assert a.sql("SELECT IS_USED_LOCK('orgaudit-collect-1') IS NOT "
                     "NULL") == [["1"]]
        assert a.sql("SELECT RELEASE_LOCK('orgaudit-collect-1')") == [["1"]]
        assert b.sql("SELECT RELEASE_LOCK('orgaudit-collect-1')") == [["1"]]


@test
def select_for_update_on_two_nodes_later_commit_fails_1213():
    c.sql(1, "CREATE TABLE job (id INT PRIMARY KEY, owner VARCHAR(10)); "
          "INSERT INTO job VALUES (1, NULL)", database="orgaudit")
    c.sql(2, "SELECT 1", sync_wait=1)
    with c.session(1, database="orgaudit") as a, \
            c.session(2, database="orgaudit") as b:
        a.sql("BEGIN")
        b.sql("BEGIN")
        # Both "lock" the same row: the lock is only on its own node.
        assert a.sql("SELECT owner FROM job WHERE id = 1 FOR UPDATE") == [
            ["NULL"]]
        assert b.sql("SELECT owner FROM job WHERE id = 1 FOR UPDATE") == [
            ["NULL"]]
        a.sql("UPDATE job SET owner = 'a' WHERE id = 1")
        b.sql("UPDATE job SET owner = 'b' WHERE id = 1")
        a.sql("COMMIT")
        try:
            b.sql("COMMIT")
            raise AssertionError("the later COMMIT succeeded")
        except GaleraError as e:
            assert e.errno == 1213, e
        assert b.sql("SELECT 1") == [["1"]]     # the session goes on
    for n in (1, 2, 3):
        assert c.sql(n, "SELECT owner FROM job", database="orgaudit",
                     sync_wait=1) == [["a"]], n


@test
def sigkill_node2_then_restart_rejoins_by_ist():
    before = count(1, "kv")
    c.kill(2)
    assert not c.running(2) and "galera2" not in json.load(
        open(os.path.join(RUN, "pids.json")))
    # Writes meanwhile: the first one stalls until node 2 is evicted.
    t = time.monotonic()
    retry(lambda: c.sql(1, "INSERT INTO kv VALUES (1000, 'during')",
                        database="orgaudit"))
    stall = time.monotonic() - t
    evicted = c.wait_evicted(2)
    retry(lambda: c.sql(3, "".join(
        "INSERT INTO kv VALUES (%d, 'x');" % i for i in range(1001, 1041)),
        database="orgaudit"))
    st = c.status(1)
    assert st["wsrep_cluster_size"] == "2", st
    r = c.restart(2)
    diag("SIGKILL node 2: evicted after %.1fs (the first write stalled "
         "%.1fs); wsrep-recover %.1fs -> %s; rejoined by %s (%d writesets) "
         "in %.1fs" % (evicted, stall, r["recover"], r["position"],
                       r["method"], r["ist_writesets"], r["join"]))
    assert r["method"] == "IST", r
    assert r["ist_writesets"] >= 41, r
    assert count(2, "kv") == before + 41
    assert c.sql(2, "SELECT v FROM kv WHERE id = 1000", database="orgaudit",
                 sync_wait=1) == [["during"]]
    for n in (1, 2, 3):
        assert c.status(n)["wsrep_cluster_size"] == "3"
    # It is recorded again, under its new pid.
    assert json.load(open(os.path.join(RUN, "pids.json")))["galera2"][
        "pid"] == c.pid(2)


@test
def sigstop_node3_past_eviction_then_sigcont_rejoins():
    before = count(1, "kv")
    c.pause(3)
    assert c.paused(3)
    retry(lambda: c.sql(1, "INSERT INTO kv VALUES (2000, 'paused')",
                        database="orgaudit"))
    evicted = c.wait_evicted(3)
    assert evicted >= 4.0, evicted          # evs.suspect_timeout is 5 s
    retry(lambda: c.sql(2, "".join(
        "INSERT INTO kv VALUES (%d, 'y');" % i for i in range(2001, 2021)),
        database="orgaudit"))
    assert c.status(1)["wsrep_cluster_size"] == "2"
    time.sleep(1.0)                         # well past the eviction
    r = c.resume(3)
    diag("SIGSTOP node 3: evicted after %.1fs; after SIGCONT it rejoined "
         "by %s (%d writesets) in %.1fs, in the same process" % (
             evicted, r["method"], r["ist_writesets"], r["seconds"]))
    assert r["method"] == "IST", r
    assert not c.paused(3)
    assert count(3, "kv") == before + 21
    for n in (1, 2, 3):
        st = c.status(n)
        assert st["wsrep_cluster_size"] == "3" and \
            st["wsrep_local_state_comment"] == "Synced", (n, st)


@test
def all_nodes_killed_then_start_recovers():
    before = count(1, "kv")
    old = {n: c.pid(n) for n in (1, 2, 3)}
    for n in (1, 2, 3):
        c.kill(n)
    assert cluster_procs() == []
    assert not os.path.exists(os.path.join(RUN, "pids.json"))
    for n in (1, 2, 3):
        assert c.grastate(n)["seqno"] == "-1"      # a crash: not saved
    t = c.start()
    r = t["recover_all"]
    diag("all three SIGKILLed: start() recovered in %.1fs (positions %s; "
         "node %d bootstrapped, the others joined by %s)" % (
             r["seconds"], ", ".join("%d:%s" % (n, p.rsplit(":", 1)[1])
                                     for n, p in sorted(r["positions"]
                                                        .items())),
             r["bootstrap_node"], "/".join(
                 sorted(set(m for n, m in r["methods"].items()
                            if n != r["bootstrap_node"])))))
    assert all(c.pid(n) not in (None, old[n]) for n in (1, 2, 3))
    for n in (1, 2, 3):
        assert count(n, "kv") == before, n
    c.sql(3, "INSERT INTO kv VALUES (3000, 'after')", database="orgaudit")
    assert count(1, "kv") == before + 1


@test
def stack_stop_recorded_stops_the_cluster():
    stopped = stop_recorded(RUN)
    assert sorted(stopped) == ["galera1", "galera2", "galera3"], stopped
    assert cluster_procs() == []
    # Stopped cleanly: every node saved its position; the last one may
    # bootstrap.
    gs = {n: c.grastate(n) for n in (1, 2, 3)}
    assert all(int(g["seqno"]) > 0 for g in gs.values()), gs
    assert [g["safe_to_bootstrap"] for n, g in sorted(gs.items())] == [
        "0", "0", "1"], gs


@test
def start_after_a_clean_stop_then_stop_leaves_nothing():
    t0 = time.monotonic()
    r = c.start()["recover_all"]
    assert r["bootstrap_node"] == 3, r      # the one stopped last
    assert c.sql(2, "SELECT v FROM kv WHERE id = 3000", database="orgaudit",
                 sync_wait=1) == [["after"]]
    diag("after a clean stop of all: start() in %.1fs" % (
        time.monotonic() - t0))
    pids = [c.pid(n) for n in (1, 2, 3)]
    assert None not in pids
    t = time.monotonic()
    assert c.stop() == [1, 2, 3]
    diag("stop(): %.1fs for three nodes, one by one" % (
        time.monotonic() - t))
    assert cluster_procs() == []
    assert c.leftovers() == []
    for p in pids:
        assert not os.path.exists("/proc/%d/cmdline" % p) or \
            open("/proc/%d/cmdline" % p, "rb").read() == b""   # reaped
    assert not os.path.exists(os.path.join(RUN, "pids.json"))
    ps = subprocess.run(["ps", "-eo", "pid,args"], stdout=subprocess.PIPE,
                        text=True).stdout
    assert RUN not in ps, ps
    assert c.stop() == []                   # idempotent


if __name__ == "__main__":
    T0 = time.monotonic()

    def teardown():
        c.stop()
        diag("whole suite: %.1fs" % (time.monotonic() - T0))
    run(setup=setup, teardown=teardown)
