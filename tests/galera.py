#!/usr/bin/env python3
"""A real MariaDB Galera cluster of N nodes (3 by default) on this machine.

For the tests that need more than one database server (failover, writes on
two nodes at once, a node killed mid-collection): every node is a private
`mariadbd` with its own directory under the run directory, listening on
127.0.0.1 and on a unix socket, and the nodes replicate to each other
through Galera (wsrep, rsync SST, IST) on loopback ports picked at start.

  RUN/cluster.json       the nodes, their paths and ports (a later process
                         reads it: `Cluster(RUN).stop()` works from anywhere)
  RUN/pids.json          every server process, as tests/stack.py records
                         them, so `stack.stop_recorded(RUN)` stops them too
  RUN/nodeN/my.cnf       node N's option file (passed as the first argument)
  RUN/nodeN/data/        its datadir (grastate.dat, gvwstate.dat, galera.cache)
  RUN/nodeN/mysqld.sock  its unix socket; its client port is 127.0.0.1:PORT
  RUN/nodeN/error.log    its error log (state transfers are logged there)
  RUN/nodeN/recover.log  the log of its last `--wsrep-recover` run
  RUN/etc/db*.password   the passwords users() created

Use as a library:

    from galera import Cluster
    c = Cluster("tests/out/x")          # nodes=3; base_port=None: free ports
    c.start()                           # node 1 bootstraps, 2..N join by SST
    c.users()                           # orgaudit database and its two users
    c.sql(3, "SELECT 1")                # [['1']]
    c.kill(2); c.wait_evicted(2); c.restart(2)   # {'method': 'IST', ...}
    c.stop()                            # one by one, cleanly; nothing left

When every node is down (stopped cleanly, SIGKILLed, or the machine "lost
power"), `start()` on the same run directory recovers: it runs
`mariadbd --wsrep-recover` on every node, bootstraps the node with the
highest recovered seqno (after setting `safe_to_bootstrap: 1` in its
grastate.dat) with --wsrep-new-cluster, and starts the others with their
recovered positions so that they rejoin by IST (or SST if too far behind).
`recover_all()` does the same explicitly.

Command line:
  galera.py start RUN_DIR [--nodes 3] [--base-port P] [--users]
                                  start (or recover); prints each node
  galera.py stop RUN_DIR          stop every node cleanly, one by one
  galera.py status RUN_DIR        one line per node: state, pid, ports

Conventions and pitfalls (measured on this machine, see galera_selftest.py):
  - The servers run as 'mysql' when started by root (not --user=root as
    tests/stack.py does): the rsync daemon of an SST, run by root, switches
    to 'nobody' and cannot write the joiner's datadir.  Node directories
    are chowned to mysql; root still reads everything.
  - Reads on another node are stale unless wsrep_sync_wait=1
    (sql(..., sync_wait=1)).  Retry whole transactions on 1213 (a conflict
    with a write committed on another node; SELECT ... FOR UPDATE locks only
    its own node) and on 1180/1047 (no primary component, e.g. while a dead
    node is being evicted).  GET_LOCK() is node-local.  auto_increment
    steps by the cluster size, its offset follows the node's index in the
    view.  MyISAM rows are not replicated.
  - After kill(), writes stall until the others evict the node (~5-6 s,
    evs.suspect_timeout=PT5S); restart() waits for that, then rejoins by
    IST.  A node resumed after pause() past the eviction notices it only
    after its own suspect timeout, then rejoins by IST in-process (2-10 s).
  - pids.json is shared with whatever else records there (entries are
    merged), but Stack rewrites the whole file: give the cluster its own
    run directory (e.g. RUN/galera) when a Stack uses RUN.
    stack.stop_recorded() cannot stop a paused node (SIGTERM waits for
    SIGCONT; it gives up after 60 s); Cluster.stop() resumes it first.
  - Session (cluster.session(n)) keeps a mariadb client open for
    multi-statement work; those clients are not in pids.json (they exit
    when the test process closes them or dies).

Standard library only.  Nothing listens beyond 127.0.0.1.
"""
import argparse
import hashlib
import json
import os
import re
import secrets
import select
import shutil
import signal
import socket
import subprocess
import sys
import time

PROVIDER = "/usr/lib/galera/libgalera_smm.so"
HOST = "127.0.0.1"
# The status variables status() returns (all of them when present).
STATUS_VARS = (
    "wsrep_local_state_comment", "wsrep_cluster_size", "wsrep_cluster_status",
    "wsrep_connected", "wsrep_ready", "wsrep_local_index",
    "wsrep_cluster_state_uuid", "wsrep_last_committed",
    "wsrep_incoming_addresses", "wsrep_cluster_conf_id",
    "wsrep_local_state", "wsrep_gcomm_uuid", "wsrep_evs_state",
    "wsrep_local_recv_queue", "wsrep_flow_control_paused",
)
# Ports per node, in this order: client, gcomm, IST, SST.
PORT_KINDS = ("port", "gcomm", "ist", "sst")


class GaleraError(Exception):
    """Something in the cluster failed; the message says what, and for a
    node, ends with the tail of its error log.  errno is the MariaDB error
    number when the mariadb client reported one (1213, 1180, ...)."""

    def __init__(self, msg, errno=None, node=None):
        super().__init__(msg)
        self.errno = errno
        self.node = node


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def port_free(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
            return True
        except OSError:
            return False


def pid_alive(pid, needle):
    """Is pid running and is its command line about needle?  (As in
    tests/stack.py: a zombie's command line is empty, so it is not.)"""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return needle.encode() in f.read()
    except OSError:
        return False


def proc_state(pid):
    """(state letter, process group) of pid from /proc, or (None, None)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            rest = f.read().rsplit(")", 1)[1].split()
        return rest[0], int(rest[2])
    except (OSError, IndexError, ValueError):
        return None, None


def _errno(text):
    m = re.search(r"ERROR (\d+)", text or "")
    return int(m.group(1)) if m else None


def _tail(path, lines=20):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return "(no log at %s)\n" % path


class Session:
    """One open connection (a `mariadb` client kept running) to a node, for
    what needs several statements in one session: transactions, GET_LOCK,
    SET SESSION.  sql() sends one statement (or a few) and returns its rows;
    an error raises GaleraError with errno, and the session stays usable
    (the client runs with --force)."""

    def __init__(self, cluster, node, database=None, user="root",
                 password=None, tcp=False):
        self.node = node
        self.cluster = cluster
        cmd = cluster._client_cmd(node, user, password, tcp) + [
            "--unbuffered", "--force"]
        if database:
            cmd.append(database)
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, start_new_session=True)
        self._buf = b""
        self._n = 0
        self._tag = secrets.token_hex(4)

    def _readline(self, deadline):
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise GaleraError("node %d: no answer from the session in "
                                  "time" % self.node, node=self.node)
            r, _, _ = select.select([fd], [], [], left)
            if r:
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise GaleraError(
                        "node %d: the session's client exited (%s): %s" % (
                            self.node, self.proc.poll(),
                            self._buf.decode(errors="replace").strip()),
                        node=self.node)
                self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return line.decode(errors="replace")

    def sql(self, text, timeout=60):
        """Runs text in this session; rows as lists of str."""
        self._n += 1
        marker = "__galera_session_%s_%d__" % (self._tag, self._n)
        body = text.strip()
        if not body.endswith(";"):
            body += ";"
        self.proc.stdin.write(("%s\nSELECT '%s';\n" % (body, marker))
                              .encode())
        self.proc.stdin.flush()
        deadline = time.monotonic() + timeout
        rows, errors = [], []
        while True:
            line = self._readline(deadline)
            if line == marker:
                break
            if line.startswith("ERROR "):
                errors.append(line)
            else:
                rows.append(line.split("\t"))
        if errors:
            raise GaleraError("node %d: %s" % (self.node, errors[0]),
                              errno=_errno(errors[0]), node=self.node)
        return rows

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Cluster:
    """A Galera cluster of `nodes` MariaDB servers in run_dir (1-based node
    numbers).  base_port=None picks free ports when start() creates the
    cluster (node(n), port(n)... are final only then); otherwise node N
    uses base_port + 4*(N-1) + 0/1/2/3 for client/gcomm/IST/SST.  When
    run_dir/cluster.json exists, its nodes and ports are used (nodes and
    base_port are then ignored), so that a later process controls the same
    cluster.  extra_options: more lines for every node's [mysqld] section
    (name -> value); provider_options: more wsrep_provider_options, e.g.
    "evs.suspect_timeout=PT2S"."""

    def __init__(self, run_dir, nodes=3, base_port=None, extra_options=None,
                 provider_options=""):
        self.run = os.path.abspath(run_dir)
        self.conf_file = os.path.join(self.run, "cluster.json")
        self.procs = {}           # node -> Popen (started by this process)
        self.killed_at = {}       # node -> monotonic time of kill()/pause()
        self.timings = {}         # what start()/restart() measured
        self._paused_log = {}     # node -> its error log's size at pause()
        if os.path.exists(self.conf_file):
            with open(self.conf_file) as f:
                self.conf = json.load(f)
        else:
            self.conf = self._new_conf(nodes, base_port, extra_options or {},
                                       provider_options)

    # -- configuration ------------------------------------------------------

    def _new_conf(self, nodes, base_port, extra, provider_options):
        if nodes < 1:
            raise GaleraError("a cluster needs at least one node")
        ports, used = [], set()
        for n in range(1, nodes + 1):
            p = {}
            for i, kind in enumerate(PORT_KINDS):
                if base_port:
                    p[kind] = base_port + 4 * (n - 1) + i
                else:
                    port = free_port()
                    while port in used:
                        port = free_port()
                    p[kind] = port
                used.add(p[kind])
            ports.append(p)
        name = "orgaudit-test-" + hashlib.sha1(
            self.run.encode()).hexdigest()[:10]
        conf = {"cluster_name": name, "run": self.run, "extra": extra,
                "base_port": base_port,
                "os_user": _server_user(),
                "provider_options": provider_options, "nodes": []}
        for n, p in enumerate(ports, 1):
            d = os.path.join(self.run, "node%d" % n)
            node = {"node": n, "name": "node%d" % n, "dir": d,
                    "datadir": os.path.join(d, "data"),
                    "cnf": os.path.join(d, "my.cnf"),
                    "socket": os.path.join(d, "mysqld.sock"),
                    "pidfile": os.path.join(d, "mysqld.pid"),
                    "log": os.path.join(d, "error.log"),
                    "recover_log": os.path.join(d, "recover.log"),
                    "host": HOST, "pgid": None}
            node.update(p)
            if len(node["socket"].encode()) > 107:
                raise GaleraError("the socket path is too long for a unix "
                                  "socket (108 bytes): " + node["socket"])
            conf["nodes"].append(node)
        return conf

    def _save(self):
        os.makedirs(self.run, exist_ok=True)
        tmp = self.conf_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.conf, f, indent=1)
        os.replace(tmp, self.conf_file)

    def _write_cnf(self, n):
        nd = self.node(n)
        gcomm = ",".join("%s:%d" % (HOST, m["gcomm"])
                         for m in self.conf["nodes"])
        popts = "gmcast.listen_addr=tcp://%s:%d;ist.recv_addr=%s:%d;" \
                "gcache.size=64M" % (HOST, nd["gcomm"], HOST, nd["ist"])
        if self.conf.get("provider_options"):
            popts += ";" + self.conf["provider_options"]
        opts = [
            ("datadir", nd["datadir"]),
            ("socket", nd["socket"]),
            ("pid-file", nd["pidfile"]),
            ("log-error", nd["log"]),
            ("port", nd["port"]),
            ("bind-address", HOST),
            ("skip-name-resolve", None),
            ("user", self.conf.get("os_user") or None),
            ("character-set-server", "utf8mb4"),
            ("collation-server", "utf8mb4_bin"),
            # Small: ~95 MB per idle node.  Without the _max the server
            # reserves 8 TiB of address space for the buffer pool.
            ("innodb_buffer_pool_size", "64M"),
            ("innodb_buffer_pool_size_max", "64M"),
            ("innodb_log_file_size", "32M"),
            ("innodb_flush_log_at_trx_commit", 2),
            ("performance_schema", "OFF"),
            # What Galera needs.
            ("binlog_format", "ROW"),
            ("default_storage_engine", "InnoDB"),
            ("innodb_autoinc_lock_mode", 2),
            ("wsrep_on", "ON"),
            ("wsrep_provider", PROVIDER),
            ("wsrep_cluster_name", self.conf["cluster_name"]),
            ("wsrep_cluster_address", "gcomm://" + gcomm),
            ("wsrep_node_name", nd["name"]),
            ("wsrep_node_address", "%s:%d" % (HOST, nd["gcomm"])),
            ("wsrep_node_incoming_address", "%s:%d" % (HOST, nd["port"])),
            ("wsrep_provider_options", '"%s"' % popts),
            ("wsrep_sst_method", "rsync"),
            ("wsrep_sst_receive_address", "%s:%d" % (HOST, nd["sst"])),
        ]
        opts += sorted(self.conf.get("extra", {}).items())
        os.makedirs(nd["dir"], exist_ok=True)
        with open(nd["cnf"], "w") as f:
            f.write("# Written by tests/galera.py: node %d of %s\n"
                    "[mysqld]\n" % (n, self.run))
            for k, v in opts:
                if k == "user" and v is None:
                    continue
                f.write(k + ("" if v is None else "=%s" % v) + "\n")
            f.write("\n[client]\nsocket=%s\n" % nd["socket"])

    # -- paths and facts ------------------------------------------------------

    @property
    def size(self):
        return len(self.conf["nodes"])

    def node(self, n):
        """node n's record: paths (dir, datadir, cnf, socket, pidfile, log,
        recover_log), host, ports (port, gcomm, ist, sst), name."""
        if not 1 <= n <= self.size:
            raise GaleraError("no node %r: the cluster has nodes 1..%d"
                              % (n, self.size))
        return self.conf["nodes"][n - 1]

    def socket(self, n):
        return self.node(n)["socket"]

    def port(self, n):
        return self.node(n)["port"]

    def address(self, n):
        """'127.0.0.1:PORT', node n's client address."""
        return "%s:%d" % (HOST, self.node(n)["port"])

    def needle(self, n):
        """What identifies node n's server in /proc/PID/cmdline."""
        return "--defaults-file=" + self.node(n)["cnf"]

    def _name(self, n):
        return "galera%d" % n

    def pid(self, n):
        """The pid of node n's server if it is running, else None."""
        info = self._pids().get(self._name(n))
        if info and pid_alive(info["pid"], info["needle"]):
            return info["pid"]
        return None

    def running(self, n):
        return self.pid(n) is not None

    def paused(self, n):
        pid = self.pid(n)
        return pid is not None and proc_state(pid)[0] in ("T", "t")

    def log_tail(self, n, lines=20):
        return _tail(self.node(n)["log"], lines)

    def _fail(self, n, what):
        """A GaleraError naming node n and what failed, with its log."""
        nd = self.node(n)
        return GaleraError("node %d (%s): %s\n--- last lines of %s:\n%s" % (
            n, self.address(n), what, nd["log"], self.log_tail(n)), node=n)

    # -- pids.json (the format of tests/stack.py) ----------------------------

    def _pids(self):
        try:
            with open(os.path.join(self.run, "pids.json")) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    def _record(self, name, pid=None, needle=None):
        """Adds (pid given) or removes name in pids.json, keeping what
        others recorded there."""
        pids = self._pids()
        if pid is None:
            pids.pop(name, None)
        else:
            pids[name] = {"pid": pid, "needle": needle}
        path = os.path.join(self.run, "pids.json")
        if not pids:
            if os.path.exists(path):
                os.unlink(path)
            return
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(pids, f)
        os.replace(tmp, path)

    # -- SQL ------------------------------------------------------------------

    def _client_cmd(self, n, user, password, tcp):
        nd = self.node(n)
        cmd = ["mariadb", "--no-defaults", "-u", user, "--batch",
               "--skip-column-names", "--raw", "--connect-timeout=10"]
        if tcp:
            cmd += ["--protocol=TCP", "-h", HOST, "-P", str(nd["port"])]
        else:
            cmd += ["--socket=" + nd["socket"]]
        if password is not None:
            cmd.append("--password=" + password)
        return cmd

    def sql(self, n, text, database=None, user="root", password=None,
            tcp=False, sync_wait=None, timeout=120):
        """Runs text with the mariadb client on node n (by its socket, or
        tcp=True by 127.0.0.1:PORT); rows as lists of str.  sync_wait=N
        prefixes SET SESSION wsrep_sync_wait=N (1: reads see every write
        committed anywhere before).  Raises GaleraError (with errno)."""
        cmd = self._client_cmd(n, user, password, tcp)
        if database:
            cmd.append(database)
        if sync_wait is not None:
            text = "SET SESSION wsrep_sync_wait=%d;\n%s" % (sync_wait, text)
        try:
            r = subprocess.run(cmd, input=text, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True,
                               timeout=timeout)
        except subprocess.TimeoutExpired:
            raise GaleraError("node %d: mariadb gave no answer in %ds to: %s"
                              % (n, timeout, text[:200]), node=n)
        if r.returncode != 0:
            raise GaleraError("node %d: mariadb: %s" % (n, r.stderr.strip()),
                              errno=_errno(r.stderr), node=n)
        return [line.split("\t") for line in r.stdout.splitlines()]

    def session(self, n, database=None, user="root", password=None,
                tcp=False):
        """An open Session on node n (close() it, or use `with`)."""
        return Session(self, n, database, user, password, tcp)

    def status(self, n, timeout=10):
        """node n's wsrep status: a dict of the STATUS_VARS it reports (str
        values), e.g. wsrep_local_state_comment 'Synced', wsrep_cluster_size
        '3'.  Raises GaleraError when the node does not answer."""
        rows = self.sql(n, "SHOW GLOBAL STATUS LIKE 'wsrep\\_%'",
                        timeout=timeout)
        got = {r[0].lower(): (r[1] if len(r) > 1 else "") for r in rows}
        return {k: got[k] for k in STATUS_VARS if k in got}

    def synced(self, n, size=None):
        """Is node n Synced, in the primary component (of size, if given)?"""
        try:
            st = self.status(n, timeout=5)
        except GaleraError:
            return False
        return st.get("wsrep_local_state_comment") == "Synced" and \
            st.get("wsrep_cluster_status") == "Primary" and \
            st.get("wsrep_ready") == "ON" and \
            (size is None or st.get("wsrep_cluster_size") == str(size))

    # -- processes ------------------------------------------------------------

    def _alive_now(self, n, pid):
        """Is the server we started as pid still running (reaps it)?"""
        p = self.procs.get(n)
        if p is not None and p.pid == pid:
            return p.poll() is None
        return pid_alive(pid, self.needle(n))

    def _spawn(self, n, args):
        """Starts node n's mariadbd with args after its option file; records
        it.  Returns (pid, offset of its error log before the start)."""
        nd = self.node(n)
        if self.running(n):
            raise self._fail(n, "is already running (pid %d)" % self.pid(n))
        for kind in PORT_KINDS:
            if not port_free(nd[kind]):
                raise self._fail(n, "its %s port %d is taken by another "
                                 "process" % (kind, nd[kind]))
        self._write_cnf(n)
        self._own(n)
        offset = os.path.getsize(nd["log"]) if os.path.exists(nd["log"]) \
            else 0
        with open(nd["log"], "ab") as err:
            proc = subprocess.Popen(
                ["mariadbd", "--defaults-file=" + nd["cnf"]] + list(args),
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=err, start_new_session=True, cwd=nd["dir"])
        self.procs[n] = proc
        nd["pgid"] = proc.pid   # its own session: process group = pid
        self._save()
        self._record(self._name(n), proc.pid, self.needle(n))
        return proc.pid, offset

    def _own(self, n):
        """Gives node n's directory to the server's user (see _server_user):
        the rsync daemon of an SST, started by the server, must write it."""
        user = self.conf.get("os_user")
        nd = self.node(n)
        os.makedirs(nd["datadir"], exist_ok=True)
        open(nd["log"], "a").close()
        if not user:
            return
        import pwd
        pw = pwd.getpwnam(user)
        for d, dirs, files in os.walk(nd["dir"]):
            for x in [d] + [os.path.join(d, f) for f in files + dirs]:
                try:
                    os.lchown(x, pw.pw_uid, pw.pw_gid)
                except OSError:
                    pass

    def _wait_synced(self, n, pid, what, timeout, size=None):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._alive_now(n, pid):
                rc = self.procs[n].returncode if n in self.procs else "?"
                self._record(self._name(n))
                self._sweep(n)
                raise self._fail(n, "%s: mariadbd exited (status %s)"
                                 % (what, rc))
            if self.synced(n, size):
                return
            time.sleep(0.1)
        raise self._fail(n, "%s: not Synced after %ds (state: %s)" % (
            what, timeout, self._state_text(n)))

    def _state_text(self, n):
        try:
            st = self.status(n, timeout=5)
            return "%s, cluster size %s, %s" % (
                st.get("wsrep_local_state_comment"),
                st.get("wsrep_cluster_size"), st.get("wsrep_cluster_status"))
        except GaleraError as e:
            return "no answer: %s" % str(e).splitlines()[0]

    def _log_since(self, n, offset):
        try:
            with open(self.node(n)["log"], errors="replace") as f:
                f.seek(offset)
                return f.read()
        except OSError:
            return ""

    def _transfer(self, n, offset):
        """How node n joined, from its error log after offset: 'SST' (a
        full copy: "rsync SST completed on joiner"), 'IST' (only the missing
        writesets: "rsync IST completed on joiner"; the server logs "SST
        received" in both cases), or 'none' (nothing transferred)."""
        text = self._log_since(n, offset)
        m = re.search(r"rsync (SST|IST) completed on joiner", text)
        if m:
            return m.group(1)
        if "IST received: " in text:
            return "IST"
        return "none"

    def _sweep(self, n):
        """Kills what is left of node n: processes of its process group (SST
        scripts, an rsync daemon) and any process naming its option file or
        datadir (never this process or its ancestors)."""
        nd = self.node(n)
        keep = set()
        p = os.getpid()
        while p > 1:
            keep.add(p)
            p = _ppid(p)
        names = [nd["cnf"].encode(), (nd["datadir"] + "/").encode(),
                 nd["datadir"].encode() + b"\0"]
        victims = []
        for d in os.listdir("/proc"):
            if not d.isdigit() or int(d) in keep:
                continue
            pid = int(d)
            state, pgrp = proc_state(pid)
            if state is None or state == "Z":
                continue
            hit = nd.get("pgid") and pgrp == nd["pgid"]
            if not hit:
                try:
                    with open("/proc/%d/cmdline" % pid, "rb") as f:
                        cmd = f.read() + b"\0"
                except OSError:
                    continue
                hit = any(x in cmd for x in names)
            if hit:
                victims.append(pid)
        for sig in (signal.SIGCONT, signal.SIGKILL):
            for pid in victims:
                try:
                    os.kill(pid, sig)
                except OSError:
                    pass
        for pid in victims:
            _wait_gone(pid, 5)
        return victims

    # -- the cluster ----------------------------------------------------------

    def initialised(self):
        """Has node 1 a datadir already (start() then recovers)?"""
        return os.path.isdir(os.path.join(self.node(1)["datadir"], "mysql"))

    def start(self, timeout=180):
        """Starts the cluster.  Fresh: mariadb-install-db on node 1, node 1
        with --wsrep-new-cluster, then nodes 2..N one after the other by
        rsync SST.  Already initialised: the nodes that are down are brought
        back (restart(), or recover_all() when none is up).  Waits until
        every node is Synced with wsrep_cluster_size = N.  Returns timings
        in seconds: {'bootstrap': s, 'join2': s, ..., 'total': s}."""
        t0 = time.monotonic()
        self._save()
        if self.initialised():
            down = [n for n in range(1, self.size + 1)
                    if not self.running(n)]
            if len(down) == self.size:
                self.recover_all(timeout)
            else:
                for n in down:
                    self.restart(n, timeout=timeout)
            self.wait_cluster(timeout)
            self.timings["total"] = time.monotonic() - t0
            return dict(self.timings)
        up = [n for n in range(1, self.size + 1) if self.running(n)]
        if up:
            raise self._fail(up[0], "start: node(s) %s of an uninitialised "
                             "cluster are running; stop() first" % up)
        # Fresh: the ports are picked now (unless base_port was given).
        self.conf = self._new_conf(self.size, self.conf.get("base_port"),
                                   self.conf.get("extra", {}),
                                   self.conf.get("provider_options", ""))
        self._save()
        for n in range(1, self.size + 1):
            nd = self.node(n)
            shutil.rmtree(nd["datadir"], ignore_errors=True)
            os.makedirs(nd["datadir"])
        nd = self.node(1)
        r = subprocess.run(
            ["mariadb-install-db", "--no-defaults",
             "--datadir=" + nd["datadir"],
             "--auth-root-authentication-method=normal", "--skip-test-db",
             "--innodb-log-file-size=32M"] +
            (["--user=" + self.conf["os_user"]] if self.conf.get("os_user")
             else []),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            raise GaleraError("mariadb-install-db (node 1) failed:\n" +
                              r.stdout[-3000:], node=1)
        self.timings["install_db"] = time.monotonic() - t0
        t = time.monotonic()
        pid, _ = self._spawn(1, ["--wsrep-new-cluster"])
        self._wait_synced(1, pid, "bootstrapping the cluster", timeout)
        self.timings["bootstrap"] = time.monotonic() - t
        for n in range(2, self.size + 1):
            t = time.monotonic()
            pid, off = self._spawn(n, [])
            self._wait_synced(n, pid, "joining by SST", timeout)
            self.timings["join%d" % n] = time.monotonic() - t
            self.timings["join%d_method" % n] = self._transfer(n, off)
        self.wait_cluster(timeout)
        self.timings["total"] = time.monotonic() - t0
        return dict(self.timings)

    def up(self):
        """The nodes that are running and not paused."""
        return [n for n in range(1, self.size + 1)
                if self.running(n) and not self.paused(n)]

    def formed(self, nodes=None):
        """Are the nodes (default: up()) Synced in one primary component
        of exactly them (same size, same wsrep_cluster_conf_id)?  A node
        that has just been resumed still reports its old view: it differs
        in conf_id from the others until it has rejoined."""
        nodes = list(nodes or self.up())
        confs = set()
        for n in nodes:
            try:
                st = self.status(n, timeout=5)
            except GaleraError:
                return False
            if st.get("wsrep_local_state_comment") != "Synced" or \
                    st.get("wsrep_cluster_status") != "Primary" or \
                    st.get("wsrep_ready") != "ON" or \
                    st.get("wsrep_cluster_size") != str(len(nodes)):
                return False
            confs.add((st.get("wsrep_cluster_conf_id"),
                       st.get("wsrep_cluster_state_uuid")))
        return len(confs) == 1

    def wait_cluster(self, timeout=60, nodes=None):
        """Waits until formed(nodes) (default: every node); returns the
        seconds waited."""
        nodes = list(nodes or range(1, self.size + 1))
        t0 = time.monotonic()
        deadline = t0 + timeout
        while time.monotonic() < deadline:
            if self.formed(nodes):
                return time.monotonic() - t0
            time.sleep(0.1)
        bad = [n for n in nodes if not self.synced(n, len(nodes))] or nodes
        raise self._fail(bad[0], "the cluster of nodes %s did not form in "
                         "%ds: %s" % (nodes, timeout, "; ".join(
                             "node %d: %s" % (n, self._state_text(n))
                             for n in nodes)))

    def kill(self, n):
        """SIGKILLs node n's server (a crash) and waits until it is gone;
        kills leftovers of its process group (an SST in progress)."""
        pid = self.pid(n)
        if pid is None:
            raise self._fail(n, "kill: it is not running")
        os.kill(pid, signal.SIGKILL)
        self.killed_at[n] = time.monotonic()
        self._wait_exit(n, pid, 30)
        self._record(self._name(n))
        self._sweep(n)

    def pause(self, n):
        """SIGSTOPs node n: it stops answering anyone, as if partitioned
        away; after evs.suspect_timeout (5 s) the others evict it.  Do not
        query a paused node: the client would wait for it."""
        pid = self.pid(n)
        if pid is None:
            raise self._fail(n, "pause: it is not running")
        nd = self.node(n)
        self._paused_log[n] = os.path.getsize(nd["log"]) \
            if os.path.exists(nd["log"]) else 0
        os.kill(pid, signal.SIGSTOP)
        self.killed_at[n] = time.monotonic()
        deadline = time.monotonic() + 10     # the stop is asynchronous
        while not self.paused(n) and time.monotonic() < deadline:
            time.sleep(0.01)
        if not self.paused(n):
            raise self._fail(n, "pause: it did not stop on SIGSTOP")

    def resume(self, n, wait=True, timeout=120):
        """SIGCONTs node n (after pause()).  wait: until it is back in the
        cluster, Synced (if it had been evicted, it first notices that it is
        in a non-primary view, then rejoins and catches up by IST, inside
        the same process).  Returns {'seconds': time to rejoin, 'method':
        'IST'|'SST'|'none', 'ist_writesets': n}."""
        pid = self.pid(n)
        if pid is None:
            raise self._fail(n, "resume: it is not running")
        t0 = time.monotonic()
        os.kill(pid, signal.SIGCONT)
        if not wait:
            return {}
        self.wait_cluster(timeout, self.up())
        off = self._paused_log.get(n, 0)
        m = re.search(r"Receiving IST: (\d+) writesets",
                      self._log_since(n, off))
        res = {"seconds": time.monotonic() - t0,
               "method": self._transfer(n, off),
               "ist_writesets": int(m.group(1)) if m else 0}
        self.timings["resume%d" % n] = res
        return res

    def wait_evicted(self, n, timeout=60):
        """Waits until every other running, unpaused node has dropped node n
        from its view (its address leaves wsrep_incoming_addresses); returns
        the seconds since kill()/pause() of n (or since the call)."""
        t0 = self.killed_at.get(n, time.monotonic())
        others = [m for m in range(1, self.size + 1)
                  if m != n and self.running(m) and not self.paused(m)]
        deadline = time.monotonic() + timeout
        addr = self.address(n)
        while time.monotonic() < deadline:
            gone = True
            for m in others:
                try:
                    st = self.status(m, timeout=5)
                except GaleraError:
                    gone = False
                    break
                if addr in st.get("wsrep_incoming_addresses", "").split(","):
                    gone = False
                    break
            if gone:
                return time.monotonic() - t0
            time.sleep(0.05)
        raise self._fail(others[0] if others else n,
                         "node %d was not evicted in %ds" % (n, timeout))

    def recover(self, n, timeout=120):
        """Runs `mariadbd --wsrep-recover` on node n (down) and returns the
        recovered position 'uuid:seqno' (seqno -1 when it has none)."""
        if self.running(n):
            raise self._fail(n, "recover: it is running")
        nd = self.node(n)
        self._write_cnf(n)
        log = nd["recover_log"]
        if os.path.exists(log):
            os.unlink(log)
        self._own(n)
        proc = subprocess.Popen(
            ["mariadbd", "--defaults-file=" + nd["cnf"], "--wsrep-recover",
             "--log-error=" + log],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT, start_new_session=True, cwd=nd["dir"])
        name = self._name(n) + "-recover"
        self._record(name, proc.pid, self.needle(n))
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        finally:
            self._record(name)
        text = _tail(log, 400)
        m = re.search(r"Recovered position:\s*([0-9a-f-]{36}:-?\d+)", text)
        if proc.returncode != 0 or not m:
            raise GaleraError(
                "node %d: mariadbd --wsrep-recover failed (status %s)\n"
                "--- last lines of %s:\n%s" % (
                    n, proc.returncode, log, _tail(log)), node=n)
        return m.group(1)

    def grastate(self, n):
        """node n's grastate.dat as a dict (uuid, seqno, safe_to_bootstrap),
        {} when it has none."""
        out = {}
        try:
            with open(os.path.join(self.node(n)["datadir"],
                                   "grastate.dat")) as f:
                for line in f:
                    if ":" in line and not line.startswith("#"):
                        k, v = line.split(":", 1)
                        out[k.strip()] = v.strip()
        except OSError:
            pass
        return out

    def _set_safe_to_bootstrap(self, n):
        path = os.path.join(self.node(n)["datadir"], "grastate.dat")
        with open(path) as f:
            text = f.read()
        if "safe_to_bootstrap:" in text:
            text = re.sub(r"safe_to_bootstrap:\s*\d", "safe_to_bootstrap: 1",
                          text)
        else:
            text += "safe_to_bootstrap: 1\n"
        with open(path, "w") as f:
            f.write(text)

    def restart(self, n, wait_eviction=True, timeout=180):
        """Brings node n (down: killed or stopped) back into the running
        cluster: --wsrep-recover, wait until the others have evicted it (or
        the join is slow), start it with --wsrep-start-position, wait for
        Synced.  Returns {'method': 'IST'|'SST'|'none', 'position': ...,
        'ist_writesets': how many writesets IST brought,
        'recover': s, 'eviction_wait': s, 'join': s, 'total': s}."""
        if self.running(n):
            raise self._fail(n, "restart: it is running")
        others = [m for m in range(1, self.size + 1)
                  if m != n and self.running(m)]
        if not others:
            raise self._fail(n, "restart: no other node is up to join; "
                             "use recover_all() (or start())")
        t0 = time.monotonic()
        pos = self.recover(n)
        t1 = time.monotonic()
        if wait_eviction:
            self.wait_evicted(n)
        t2 = time.monotonic()
        pid, off = self._spawn(n, ["--wsrep-start-position=" + pos])
        self._wait_synced(n, pid, "rejoining from %s" % pos, timeout)
        self.wait_cluster(timeout, self.up())
        t3 = time.monotonic()
        m = re.search(r"Receiving IST: (\d+) writesets",
                      self._log_since(n, off))
        res = {"method": self._transfer(n, off), "position": pos,
               "ist_writesets": int(m.group(1)) if m else 0,
               "recover": t1 - t0, "eviction_wait": t2 - t1,
               "join": t3 - t2, "total": t3 - t0}
        self.timings["restart%d" % n] = res
        return res

    def recover_all(self, timeout=180):
        """Every node is down: recovers each one's position, bootstraps the
        one with the highest seqno (safe_to_bootstrap set to 1 in its
        grastate.dat) and starts the others with their positions.  Returns
        {'bootstrap_node': n, 'positions': {n: pos}, 'methods': {n: m},
        'seconds': s}."""
        up = [n for n in range(1, self.size + 1) if self.running(n)]
        if up:
            raise self._fail(up[0], "recover_all: node(s) %s still running"
                             % up)
        t0 = time.monotonic()
        pos = {n: self.recover(n) for n in range(1, self.size + 1)}

        def rank(n):
            seqno = int(pos[n].rsplit(":", 1)[1])
            gs = self.grastate(n)
            if seqno < 0:
                seqno = int(gs.get("seqno", "-1") or -1)
            return (seqno, gs.get("safe_to_bootstrap") == "1", -n)
        first = max(pos, key=rank)
        self._set_safe_to_bootstrap(first)
        pid, _ = self._spawn(first, ["--wsrep-new-cluster",
                                     "--wsrep-start-position=" + pos[first]])
        self._wait_synced(first, pid, "bootstrapping from %s" % pos[first],
                          timeout)
        methods = {first: "bootstrap"}
        for n in sorted(pos):
            if n == first:
                continue
            pid, off = self._spawn(n, ["--wsrep-start-position=" + pos[n]])
            self._wait_synced(n, pid, "rejoining from %s" % pos[n], timeout)
            methods[n] = self._transfer(n, off)
        self.wait_cluster(timeout)
        res = {"bootstrap_node": first, "positions": pos, "methods": methods,
               "seconds": time.monotonic() - t0}
        self.timings["recover_all"] = res
        return res

    def _wait_exit(self, n, pid, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._alive_now(n, pid):
                return True
            time.sleep(0.05)
        return False

    def stop_node(self, n, timeout=120):
        """Stops node n cleanly (SIGCONT if paused, then SIGTERM) and waits
        until it has exited; SIGKILL after timeout.  Returns True if it
        stopped cleanly (False: it was not running or had to be killed)."""
        pid = self.pid(n)
        if pid is None:
            self._record(self._name(n))
            self._sweep(n)
            return False
        os.kill(pid, signal.SIGCONT)
        os.kill(pid, signal.SIGTERM)
        clean = self._wait_exit(n, pid, timeout)
        if not clean:
            os.kill(pid, signal.SIGKILL)
            self._wait_exit(n, pid, 30)
        self._record(self._name(n))
        self._sweep(n)
        return clean

    def stop(self, timeout=120):
        """Stops every node, cleanly, one by one (1..N), then makes sure
        nothing this cluster started is left running.  Returns the nodes
        that were running."""
        was = []
        for n in range(1, self.size + 1):
            if self.running(n):
                was.append(n)
            self.stop_node(n, timeout)
        for n in range(1, self.size + 1):
            self._record(self._name(n) + "-recover")
            self._sweep(n)
        return was

    def leftovers(self):
        """Pids of processes still running that belong to the cluster (its
        servers, anything naming a node's option file or datadir)."""
        out = []
        for d in os.listdir("/proc"):
            if not d.isdigit() or int(d) == os.getpid():
                continue
            try:
                with open("/proc/%s/cmdline" % d, "rb") as f:
                    cmd = f.read() + b"\0"
            except OSError:
                continue
            for nd in self.conf["nodes"]:
                if nd["cnf"].encode() in cmd or \
                        (nd["datadir"] + "/").encode() in cmd or \
                        nd["datadir"].encode() + b"\0" in cmd:
                    out.append(int(d))
                    break
        return out

    # -- orgaudit's database --------------------------------------------------

    def _secret(self, name, value):
        d = os.path.join(self.run, "etc")
        os.makedirs(d, exist_ok=True)
        p = os.path.join(d, name)
        if value is None and os.path.exists(p):
            with open(p) as f:
                return f.read().strip(), p
        if value is None:
            value = secrets.token_urlsafe(24)
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(value + "\n")
        return value, p

    def users(self, web_password=None, collector_password=None, node=1):
        """The orgaudit database and its two users, as Stack._db_users
        makes them, on the cluster (run on `node`, replicated to all):
        'orgaudit' (ALL on orgaudit.*) and 'orgaudit_web' (SELECT), each
        @'localhost' (socket) and @'127.0.0.1' (TCP).  A password not given
        is made (or reused) and written to RUN/etc/db.password and
        db-web.password.  Waits until every running node has them.
        Returns {'collector_password', 'web_password',
        'collector_password_file', 'web_password_file'}."""
        cpw, cfile = self._secret("db.password", collector_password)
        wpw, wfile = self._secret("db-web.password", web_password)
        q = ["CREATE DATABASE IF NOT EXISTS orgaudit CHARACTER SET utf8mb4"
             " COLLATE utf8mb4_bin;"]
        for host in ("localhost", HOST):
            for user, pw, grant in (("orgaudit", cpw, "ALL"),
                                    ("orgaudit_web", wpw, "SELECT")):
                q.append("CREATE USER IF NOT EXISTS '%s'@'%s' IDENTIFIED BY "
                         "'%s';" % (user, host, pw))
                q.append("ALTER USER '%s'@'%s' IDENTIFIED BY '%s';"
                         % (user, host, pw))
                q.append("GRANT %s ON orgaudit.* TO '%s'@'%s';"
                         % (grant, user, host))
        self.sql(node, "\n".join(q))
        for n in range(1, self.size + 1):
            if self.running(n) and not self.paused(n):
                rows = self.sql(n, "SELECT COUNT(*) FROM mysql.global_priv "
                                "WHERE User IN ('orgaudit','orgaudit_web')",
                                sync_wait=1)
                if rows != [["4"]]:
                    raise self._fail(n, "users() did not replicate: %s"
                                     % rows)
        return {"collector_password": cpw, "web_password": wpw,
                "collector_password_file": cfile,
                "web_password_file": wfile}

    def grant_web(self, writes=None, node=1):
        """Table grants for orgaudit_web (the tables must exist); writes
        defaults to tests/stack.py's Stack.WEB_WRITES."""
        if writes is None:
            sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
            from stack import Stack
            writes = Stack.WEB_WRITES
        self.sql(node, "".join(
            "GRANT %s ON orgaudit.%s TO 'orgaudit_web'@'%s';\n"
            % (privs, table, host) for table, privs in writes.items()
            for host in ("localhost", HOST)))

    def describe(self):
        """One line per node: state, pid, socket and ports."""
        lines = []
        for nd in self.conf["nodes"]:
            n = nd["node"]
            pid = self.pid(n)
            if pid is None:
                state = "down"
            elif self.paused(n):
                state = "paused (SIGSTOP)"
            else:
                state = self._state_text(n)
            lines.append("node %d: %s; pid %s; socket %s; client %s; gcomm "
                         "%d, IST %d, SST %d" % (
                             n, state, pid or "-", nd["socket"],
                             self.address(n), nd["gcomm"], nd["ist"],
                             nd["sst"]))
        return lines


def _server_user():
    """The account the servers run as.  As root: 'mysql', not root (as
    tests/stack.py does with --user=root), because the rsync daemon that
    receives an SST, when started by root, switches to 'nobody' and may not
    write the datadir ("mkdir ... failed: Permission denied").  Not root:
    none (the servers and rsync run as the caller)."""
    if os.geteuid() != 0:
        return None
    import pwd
    try:
        pwd.getpwnam("mysql")
        return "mysql"
    except KeyError:
        raise GaleraError("running as root needs the 'mysql' account (the "
                          "rsync SST daemon would run as 'nobody')")


def _ppid(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def _wait_gone(pid, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state, _ = proc_state(pid)
        if state is None or state == "Z":
            return True
        time.sleep(0.02)
    return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("start", help="start the cluster (or recover it)")
    s.add_argument("run_dir")
    s.add_argument("--nodes", type=int, default=3)
    s.add_argument("--base-port", type=int, default=None)
    s.add_argument("--users", action="store_true",
                   help="also create the orgaudit database and its users")
    for name, what in (("stop", "stop every node, cleanly"),
                       ("status", "print each node's state")):
        sub.add_parser(name, help=what).add_argument("run_dir")
    a = ap.parse_args()
    if a.cmd != "start" and not os.path.exists(
            os.path.join(a.run_dir, "cluster.json")):
        sys.exit("galera: no cluster in %s (no cluster.json)" % a.run_dir)
    c = Cluster(a.run_dir, **({"nodes": a.nodes, "base_port": a.base_port}
                              if a.cmd == "start" else {}))
    try:
        if a.cmd == "start":
            t = c.start()
            if a.users:
                c.users()
            r = t.get("recover_all")
            if r:
                how = "recovered: node %d bootstrapped, %s" % (
                    r["bootstrap_node"], ", ".join(
                        "node %d by %s" % (n, m) for n, m in
                        sorted(r["methods"].items())
                        if n != r["bootstrap_node"]))
            elif "bootstrap" in t:
                how = "node 1 bootstrapped in %.1fs, %s" % (
                    t["bootstrap"], ", ".join(
                        "node %d by %s in %.1fs" % (
                            n, t["join%d_method" % n], t["join%d" % n])
                        for n in range(2, c.size + 1)))
            else:
                how = "down nodes restarted"
            print("galera: %d nodes Synced in %.1fs (%s)" % (
                c.size, t["total"], how))
            print("\n".join(c.describe()))
        elif a.cmd == "stop":
            was = c.stop()
            print("galera: stopped %s" % (
                ", ".join("node %d" % n for n in was) if was
                else "nothing (no node was running)"))
        else:
            print("\n".join(c.describe()))
    except GaleraError as e:
        if a.cmd == "start":
            c.stop()
            sys.exit("galera: %s\ngalera: start failed; stopped what it "
                     "had started" % e)
        sys.exit("galera: %s" % e)


if __name__ == "__main__":
    main()
