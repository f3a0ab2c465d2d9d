#!/usr/bin/env python3
"""A whole orgaudit stack on one machine, in one run directory.

Used by `make demo`, the integration tests and the benchmarks:

  - a private MariaDB server on a unix socket (its own datadir),
  - the OpenAI Admin API simulator (tests/sim/oasim.py) on 127.0.0.1,
  - orgaudit.fcgi under spawn-fcgi, and nginx in front of it,
  - configuration files, a master key and database passwords.

Every process started is recorded in RUN/pids.json, so `stop()` (and
`make demo-stop`) stops exactly those and nothing else.

Command line (for the Makefile):
  stack.py demo-start [--port 8080]   start the demo and print what to try
  stack.py demo-stop                  stop what demo-start started
"""
import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(SRC, "build")
SIM = os.path.join(SRC, "tests", "sim", "oasim.py")
STRIPE_SIM = os.path.join(SRC, "tests", "stripe", "stripesim.py")
RECEIVER = os.path.join(SRC, "tests", "alerts", "receiver.py")
SMTP_SINK = os.path.join(SRC, "tests", "alerts", "smtpsink.py")
DEMO_DIR = os.path.join(SRC, "run", "demo")
# The web runs as its own unprivileged user, in the tests and the demo.
WEB_USER = "orgaudit-web"


def web_user():
    """Makes the web's system user and group once (we run as root)."""
    import grp
    import pwd
    try:
        pwd.getpwnam(WEB_USER)
        grp.getgrnam(WEB_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--user-group",
                        "--no-create-home", "--home-dir", "/nonexistent",
                        "--shell", "/usr/sbin/nologin", WEB_USER],
                       check=True, stdout=subprocess.DEVNULL)


class StackError(Exception):
    """A part of the stack would not start; the message says which and why."""


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, pred, timeout=30.0, proc=None, log=None):
    """Polls pred() until true; raises StackError naming what and the log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        if proc is not None and proc.poll() is not None:
            break
        time.sleep(0.05)
    tail = ""
    if log and os.path.exists(log):
        with open(log, errors="replace") as f:
            tail = "".join(f.readlines()[-15:])
    raise StackError("%s did not start%s\n%s" % (
        what, "" if proc is None or proc.poll() is None
        else " (exited %s)" % proc.returncode, tail))


def pid_alive(pid, needle):
    """Is pid running and is its command line about needle?"""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return needle.encode() in f.read()
    except OSError:
        return False


class Stack:
    """One run directory and the processes serving from it."""

    def __init__(self, run_dir, nginx_port=None, fcgi_children=2,
                 asan=False, api_rate="1000r/s", login_rate="600r/m"):
        self.run = os.path.abspath(run_dir)
        # Known from the start: the configuration names the public origin.
        self.nginx_port = nginx_port or free_port()
        self.fcgi_children = fcgi_children
        self.asan = asan
        self.api_rate = api_rate
        self.login_rate = login_rate
        self.pids = {}
        self.sim_proc = None
        self.stripe_proc = None
        self.sim_port = None
        self.admin_key = None
        for d in ("etc", "logs", "mysql", "nginx/tmp", "sock", "packs"):
            os.makedirs(os.path.join(self.run, d), exist_ok=True)
        web_user()
        # The web writes its log there; it reads the packs the worker
        # makes, through the group of the packs' directory.
        shutil.chown(self.path("logs"), "root", WEB_USER)
        os.chmod(self.path("logs"), 0o1775)
        shutil.chown(self.path("packs"), "root", WEB_USER)
        os.chmod(self.path("packs"), 0o2750)
        self.db_socket = os.path.join(self.run, "mysql", "mysqld.sock")
        self.conf = os.path.join(self.run, "etc", "orgaudit.conf")
        self.web_conf = os.path.join(self.run, "etc", "web.conf")
        self.fcgi_socket = os.path.join(self.run, "sock", "fcgi.sock")
        self.extra_conf = {}

    # -- paths and binaries -------------------------------------------------

    def path(self, *p):
        return os.path.join(self.run, *p)

    def bin(self, name):
        """The built binary; the sanitizer build when asan is on."""
        if name == "orgaudit.fcgi":
            return os.path.join(BUILD, "asan", name) if self.asan \
                else os.path.join(SRC, "cgi-bin", name)
        return os.path.join(BUILD, "asan", name) if self.asan \
            else os.path.join(BUILD, name)

    def env(self, conf=None):
        e = dict(os.environ)
        e["ORGAUDIT_CONF"] = conf or self.conf
        if self.asan:
            # Reports go to files: the web processes have no terminal.
            e["ASAN_OPTIONS"] = "detect_leaks=1:log_path=" + \
                self.path("logs", "asan")
            e["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1:" \
                "log_path=" + self.path("logs", "ubsan")
        return e

    def _record(self, name, pid, needle):
        self.pids[name] = {"pid": pid, "needle": needle}
        with open(self.path("pids.json"), "w") as f:
            json.dump(self.pids, f)

    # -- MariaDB ------------------------------------------------------------

    def start_db(self, buffer_pool="256M"):
        """Initialises (once) and starts a private MariaDB server."""
        data = self.path("mysql", "data")
        log = self.path("logs", "mariadb.log")
        # Its own temporary directory: servers of other stacks on the
        # machine never meet in /tmp.
        tmp = self.path("mysql", "tmp")
        os.makedirs(tmp, exist_ok=True)
        env = dict(os.environ, TMPDIR=tmp)
        if not os.path.isdir(os.path.join(data, "mysql")):
            os.makedirs(data, exist_ok=True)
            r = subprocess.run(
                ["mariadb-install-db", "--no-defaults", "--datadir=" + data,
                 "--auth-root-authentication-method=normal",
                 "--skip-test-db", "--user=root"], env=env,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if r.returncode != 0:
                raise StackError("mariadb-install-db failed:\n" + r.stdout)
        pidfile = self.path("mysql", "mysqld.pid")
        proc = subprocess.Popen(
            ["mariadbd", "--no-defaults", "--datadir=" + data,
             "--socket=" + self.db_socket, "--skip-networking",
             "--user=root", "--pid-file=" + pidfile, "--log-error=" + log,
             "--innodb-buffer-pool-size=" + buffer_pool,
             "--innodb-flush-log-at-trx-commit=2",
             "--character-set-server=utf8mb4",
             "--collation-server=utf8mb4_bin", "--tmpdir=" + tmp],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
            start_new_session=True)
        self.db_proc = proc
        wait_for("MariaDB", lambda: self.sql_ok("SELECT 1"), 60, proc, log)
        self._record("mariadb", proc.pid, "mariadbd")
        self._db_users()

    def stop_db(self):
        """Stops MariaDB (cleanly) and waits for it to exit."""
        info = self.pids.pop("mariadb", None)
        if info and pid_alive(info["pid"], info["needle"]):
            os.kill(info["pid"], signal.SIGTERM)
            deadline = time.monotonic() + 60
            while pid_alive(info["pid"], info["needle"]) and \
                    time.monotonic() < deadline:
                time.sleep(0.05)
        if hasattr(self, "db_proc"):
            try:
                self.db_proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass

    def mariadb(self, sql, user="root", database=None):
        """Runs sql with the mariadb client; returns rows as lists of str."""
        cmd = ["mariadb", "--no-defaults", "--socket=" + self.db_socket,
               "-u", user, "--batch", "--skip-column-names", "--raw"]
        if database:
            cmd.append(database)
        r = subprocess.run(cmd, input=sql, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            raise StackError("mariadb: %s" % r.stderr.strip())
        return [line.split("\t") for line in r.stdout.splitlines()]

    def sql(self, sql):
        """Query the orgaudit database as root (tests inspect with this)."""
        return self.mariadb(sql, database="orgaudit")

    def sql_ok(self, sql):
        try:
            self.mariadb(sql)
            return True
        except StackError:
            return False

    def _secret_file(self, name):
        p = self.path("etc", name)
        if not os.path.exists(p):
            fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(24) + "\n")
        with open(p) as f:
            return f.read().strip()

    def _db_users(self):
        """The database and two users: the collector's and the web's (its
        rights come from 'orgaudit grants' once the schema exists)."""
        pw = self._secret_file("db.password")
        webpw = self._secret_file("db-web.password")
        shutil.chown(self.path("etc", "db-web.password"), WEB_USER, WEB_USER)
        self.mariadb(
            "CREATE DATABASE IF NOT EXISTS orgaudit CHARACTER SET utf8mb4"
            " COLLATE utf8mb4_bin;\n"
            "CREATE USER IF NOT EXISTS 'orgaudit'@'localhost'"
            " IDENTIFIED BY '%s';\n"
            "GRANT ALL ON orgaudit.* TO 'orgaudit'@'localhost';\n"
            "CREATE USER IF NOT EXISTS 'orgaudit_web'@'localhost'"
            " IDENTIFIED BY '%s';\n" % (pw, webpw))

    def grant_web(self):
        """The web user's rights, as 'orgaudit grants' says: every table
        to read but the sealed secrets' columns, and the few it writes."""
        self.mariadb(self.cli("grants", "--web",
                              "orgaudit_web@localhost").stdout)

    # -- configuration ------------------------------------------------------

    def write_conf(self, **extra):
        """Writes orgaudit.conf (collector, CLI, worker) and web.conf (the
        web, which names no master key and no signing key: it has
        neither)."""
        self.extra_conf.update(extra)
        base = {
            "db_socket": self.db_socket,
            "db_name": "orgaudit",
            "openai_base_url": "http://127.0.0.1:%d/v1" % (self.sim_port or 9),
            "retry_base_ms": "50",
            "retry_cap_ms": "1000",
            "templates_dir": os.path.join(SRC, "templates"),
            "public_origin": "http://127.0.0.1:%d" % self.nginx_port,
            "signing_public_key_file": self.path("etc", "signing.pub"),
            "pack_dir": self.path("packs"),
        }
        secrets_only = {
            "master_key_file": self.path("etc", "master.key"),
            "signing_key_file": self.path("etc", "signing.key"),
        }
        for path, user, pwfile, log in (
                (self.conf, "orgaudit", "db.password", ""),
                (self.web_conf, "orgaudit_web", "db-web.password",
                 self.path("logs", "fcgi.log"))):
            lines = dict(base)
            if user == "orgaudit":
                lines.update(secrets_only)
            for k, v in self.extra_conf.items():
                if user == "orgaudit" or k not in secrets_only:
                    lines[k] = str(v)
            lines["db_user"] = user
            lines["db_password_file"] = self.path("etc", pwfile)
            if log:
                lines["log_file"] = log
            with open(path, "w") as f:
                f.write("# Written by tests/stack.py for %s\n" % self.run)
                for k, v in lines.items():
                    f.write("%s = %s\n" % (k, v))

    # -- the OpenAI simulator -----------------------------------------------

    def _spawn(self, name, script, what, args):
        """Starts a test server (a Python script taking --port 0 and
        --port-file), waits for its port; returns (process, port)."""
        port_file = self.path(name + ".port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        log = self.path("logs", name + ".log")
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                [sys.executable, script, "--port", "0", "--port-file",
                 port_file] + args,
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(what, lambda: os.path.exists(port_file), 30, proc, log)
        with open(port_file) as f:
            port = int(f.read().strip())
        self._record(name, proc.pid, os.path.basename(script))
        return proc, port

    def _stop(self, name, attr):
        """Stops a server _spawn() started."""
        info = self.pids.pop(name, None)
        if info and pid_alive(info["pid"], info["needle"]):
            os.kill(info["pid"], signal.SIGTERM)
        proc = getattr(self, attr, None)
        if proc:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
            setattr(self, attr, None)

    def start_sim(self, *args, admin_key=None, access_log=True):
        """Starts the simulator; args are its command-line options.  A
        benchmark turns the access log off, as it would be in use."""
        self.admin_key = admin_key or \
            "sk-admin-" + secrets.token_urlsafe(36).replace("-", "x") + "Zq9w"
        self.sim_proc, self.sim_port = self._spawn(
            "sim", SIM, "the OpenAI simulator",
            ["--admin-key", self.admin_key, "--truth",
             self.path("truth.json")] +
            (["--log", self.path("logs", "sim-access.log")]
             if access_log else []) + list(args))
        key_file = self.path("etc", "admin.key")
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(self.admin_key + "\n")
        return self.sim_proc

    def stop_sim(self):
        self._stop("sim", "sim_proc")

    def sim_url(self, path):
        return "http://127.0.0.1:%d%s" % (self.sim_port, path)

    def sim_get(self, path):
        with urllib.request.urlopen(self.sim_url(path), timeout=30) as r:
            return json.load(r)

    def sim_post(self, path, body):
        req = urllib.request.Request(
            self.sim_url(path), data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.load(r)

    # -- the Stripe test server ---------------------------------------------

    def start_stripe(self, *args):
        """Starts stripesim with a secret key of its own, written where
        orgaudit-bill reads it; args are stripesim's options."""
        key_file = self.path("etc", "stripe.key")
        if os.path.exists(key_file):            # a restarted demo keeps it
            with open(key_file) as f:
                self.stripe_key = f.read().strip()
        else:
            self.stripe_key = "sk_test_" + secrets.token_hex(16)
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                         0o600)
            with os.fdopen(fd, "w") as f:
                f.write(self.stripe_key + "\n")
        self.stripe_proc, self.stripe_port = self._spawn(
            "stripe", STRIPE_SIM, "the Stripe test server",
            ["--api-key", self.stripe_key, "--log",
             self.path("logs", "stripe-access.log")] + list(args))
        self.write_conf(stripe_base_url="http://127.0.0.1:%d"
                        % self.stripe_port, stripe_secret_key_file=key_file)
        return self.stripe_proc

    def stop_stripe(self):
        self._stop("stripe", "stripe_proc")

    def stripe(self, path, body=None):
        """GET (body None) or POST JSON to a /_stripe control path."""
        req = urllib.request.Request(
            "http://127.0.0.1:%d%s" % (self.stripe_port, path),
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="GET" if body is None else "POST")
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.load(r)

    # -- the alert receivers --------------------------------------------------

    def start_receiver(self, secret="", name="receiver", timeout_s=5):
        """A local webhook receiver checking signatures with secret;
        returns its port (tests/alerts/receiver.py)."""
        proc, port = self._spawn(name, RECEIVER, "the webhook receiver",
                                 ["--secret", secret, "--timeout-seconds",
                                  str(timeout_s)])
        setattr(self, name + "_proc", proc)
        return port

    def receiver(self, port, path, body=None):
        """GET (body None) or POST JSON to a receiver's /_ctl path."""
        req = urllib.request.Request(
            "http://127.0.0.1:%d%s" % (port, path),
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="GET" if body is None else "POST")
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.load(r)

    def start_smtpsink(self, *args):
        """A local SMTP sink writing each message to run/mail/; sets
        smtp_url and smtp_from.  Returns its port."""
        self.mail_dir = self.path("mail")
        self.smtp_proc, port = self._spawn(
            "smtpsink", SMTP_SINK, "the SMTP sink",
            ["--dir", self.mail_dir] + list(args))
        self.write_conf(smtp_url="smtp://127.0.0.1:%d" % port,
                        smtp_from="orgaudit@alerts.example")
        return port

    def notify(self, *args, check=False):
        """Runs orgaudit-notify (one pass by default)."""
        r = subprocess.run([self.bin("orgaudit-notify")] + list(args),
                           env=self.env(), text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        with open(self.path("logs", "notify.log"), "a") as f:
            f.write(r.stderr)
        if check and r.returncode != 0:
            raise StackError("orgaudit-notify: exit %d\n%s" % (
                r.returncode, r.stderr))
        return r

    # -- orgaudit itself ----------------------------------------------------

    def cli(self, *args, check=True, input=None):
        """Runs the orgaudit CLI; returns the CompletedProcess."""
        r = subprocess.run([self.bin("orgaudit")] + list(args),
                           env=self.env(), input=input, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if check and r.returncode != 0:
            raise StackError("orgaudit %s: exit %d\n%s%s" % (
                " ".join(args), r.returncode, r.stdout, r.stderr))
        return r

    def collect(self, *args, check=False):
        r = subprocess.run([self.bin("orgaudit-collect")] + list(args),
                           env=self.env(), text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        with open(self.path("logs", "collect.log"), "a") as f:
            f.write(r.stderr)
        if check and r.returncode != 0:
            raise StackError("orgaudit-collect %s: exit %d\n%s%s" % (
                " ".join(args), r.returncode, r.stdout, r.stderr))
        return r

    def worker(self, *args, check=True):
        """Runs orgaudit-worker (one pass over the queue by default)."""
        r = subprocess.run([self.bin("orgaudit-worker")] + list(args),
                           env=self.env(), text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        with open(self.path("logs", "worker.log"), "a") as f:
            f.write(r.stderr)
        if check and r.returncode != 0:
            raise StackError("orgaudit-worker %s: exit %d\n%s%s" % (
                " ".join(args), r.returncode, r.stdout, r.stderr))
        return r

    def _start_loop(self, name, interval):
        """orgaudit-<name> --loop in the background, logging to
        logs/<name>.log (the demo's services)."""
        prog = "orgaudit-" + name
        log = open(self.path("logs", name + ".log"), "ab")
        proc = subprocess.Popen([self.bin(prog), "--loop", "--interval",
                                 str(interval)], env=self.env(), stdout=log,
                                stderr=subprocess.STDOUT,
                                start_new_session=True)
        self._record(name, proc.pid, prog)
        return proc

    def start_worker(self):
        """orgaudit-worker --loop in the background (the demo's)."""
        return self._start_loop("worker", 1)

    def start_notify(self):
        """orgaudit-notify --loop in the background (the demo's)."""
        return self._start_loop("notify", 2)

    def bill(self, *args, env=None):
        """Runs orgaudit-bill; returns the CompletedProcess."""
        e = self.env()
        e.update(env or {})
        r = subprocess.run([self.bin("orgaudit-bill")] + list(args), env=e,
                           text=True, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        with open(self.path("logs", "bill.log"), "a") as f:
            f.write("$ orgaudit-bill %s -> %d\n%s%s" % (
                " ".join(args), r.returncode, r.stdout, r.stderr))
        return r

    def init_orgaudit(self):
        """Master key and schema: what an operator does once."""
        if not os.path.exists(self.path("etc", "master.key")):
            self.cli("master-key", "create")
        if not os.path.exists(self.path("etc", "signing.key")):
            self.cli("keygen")
        self.cli("migrate")
        self.grant_web()

    def tenant(self, name):
        return int(self.cli("tenant", "add", name).stdout.strip())

    def token(self, tenant, name="tests", scope="read"):
        out = self.cli("token", "add", "--tenant", str(tenant),
                       "--name", name, "--scope", scope).stdout
        return out.strip().splitlines()[-1]

    def account(self, tenant, email, role="owner", password=None):
        """A dashboard account; returns (id, password)."""
        password = password or secrets.token_urlsafe(18)
        r = self.cli("account", "add", "--tenant", str(tenant), "--email",
                     email, "--role", role, "--password-file", "-",
                     input=password + "\n")
        return int(r.stdout.strip().splitlines()[-1]), password

    def connect(self, tenant, key_file=None, name=None):
        args = ["org", "connect", "--tenant", str(tenant), "--key-file",
                key_file or self.path("etc", "admin.key")]
        if name:
            args += ["--name", name]
        return int(self.cli(*args).stdout.strip().splitlines()[-1])

    # -- the web: spawn-fcgi and nginx --------------------------------------

    def start_web(self):
        """orgaudit.fcgi under spawn-fcgi, nginx in front of it."""
        if self.nginx_port is None:
            self.nginx_port = free_port()
        if os.path.exists(self.fcgi_socket):
            os.unlink(self.fcgi_socket)
        pidfile = self.path("sock", "fcgi.pid")
        env = self.env(self.web_conf)
        r = subprocess.run(
            ["spawn-fcgi", "-s", self.fcgi_socket, "-M", "0660",
             "-U", "www-data", "-G", "www-data", "-u", WEB_USER, "-g", WEB_USER,
             "-F", str(self.fcgi_children), "-P", pidfile, "--",
             self.bin("orgaudit.fcgi"), "--conf", self.web_conf],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True)
        if r.returncode != 0:
            raise StackError("spawn-fcgi failed:\n" + r.stdout)
        with open(pidfile) as f:
            pids = [int(x) for x in f.read().split()]
        for i, pid in enumerate(pids):
            self._record("fcgi%d" % i, pid, "orgaudit.fcgi")
        self._nginx_conf()
        for d in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            p = self.path("nginx", "tmp", d)
            os.makedirs(p, exist_ok=True)
            shutil.chown(p, "www-data", "www-data")
        r = subprocess.run(["nginx", "-p", self.path("nginx"), "-c",
                            self.path("nginx", "nginx.conf")],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
        if r.returncode != 0:
            raise StackError("nginx would not start:\n" + r.stdout)
        pidf = self.path("nginx", "nginx.pid")
        wait_for("nginx", lambda: os.path.exists(pidf), 10,
                 log=self.path("logs", "nginx-error.log"))
        with open(pidf) as f:
            self._record("nginx", int(f.read().strip()), "nginx")
        wait_for("the web application", self._healthy, 20,
                 log=self.path("logs", "fcgi.log"))

    def _nginx_conf(self):
        with open(os.path.join(SRC, "nginx", "local.conf.in")) as f:
            text = f.read()
        for k, v in (("@RUN@", self.run), ("@SRC@", SRC),
                     ("@PORT@", str(self.nginx_port)),
                     ("@FCGI_SOCKET@", self.fcgi_socket),
                     ("@API_RATE@", self.api_rate),
                     ("@LOGIN_RATE@", self.login_rate)):
            text = text.replace(k, v)
        with open(self.path("nginx", "nginx.conf"), "w") as f:
            f.write(text)

    def _healthy(self):
        try:
            return self.http("GET", "/api/v1/health")[0] == 200
        except OSError:
            return False

    def stop_web(self):
        for name in [n for n in self.pids if n == "nginx"
                     or n.startswith("fcgi")]:
            info = self.pids.pop(name)
            if pid_alive(info["pid"], info["needle"]):
                os.kill(info["pid"], signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and os.path.exists(
                self.path("nginx", "nginx.pid")):
            time.sleep(0.05)

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.nginx_port, path)

    def http(self, method, path, token=None, headers=None, body=None,
             raw_path=False):
        """One request through nginx: (status, headers dict, body bytes)."""
        conn = __import__("http.client").client.HTTPConnection(
            "127.0.0.1", self.nginx_port, timeout=30)
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        try:
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            data = r.read()
            # Several Set-Cookie lines are kept, one per line.
            hdr = {}
            for k, v in r.getheaders():
                k = k.lower()
                hdr[k] = hdr[k] + "\n" + v if k in hdr and \
                    k == "set-cookie" else v
            return r.status, hdr, data
        finally:
            conn.close()

    def login(self, email, password, address=None):
        """Signs in as a browser does: the sign-in page first (its
        pre-session cookie and CSRF token), then the form.  Returns
        (status, headers, the session cookie "name=value" or None)."""
        extra = {"X-Forwarded-For": address} if address else {}
        _, h, body = self.http("GET", "/login", headers=extra)
        pre = [c.split(";")[0] for c in h.get("set-cookie", "").split("\n")
               if c.startswith("__Host-orgaudit-pre=")]
        csrf = re.search(rb'name="csrf" value="([^"]+)"', body)
        form = {"email": email, "password": password}
        if csrf:
            form["csrf"] = csrf.group(1).decode()
        hdr = dict(extra, **{"Content-Type":
                             "application/x-www-form-urlencoded"})
        if pre:
            hdr["Cookie"] = pre[0]
        status, h, _ = self.http("POST", "/login", headers=hdr,
                                 body=urllib.parse.urlencode(form))
        sess = [c.split(";")[0] for c in h.get("set-cookie", "").split("\n")
                if c.startswith("__Host-orgaudit=") and
                not c.startswith("__Host-orgaudit=;")]
        return status, h, sess[0] if sess else None

    def api(self, path, token, expect=200):
        """GET path through nginx and decode the JSON; checks the status."""
        status, _, body = self.http("GET", path, token=token)
        if status != expect:
            raise AssertionError("GET %s: status %d, wanted %d: %s" % (
                path, status, expect, body[:300]))
        return json.loads(body)

    # -- all ----------------------------------------------------------------

    def stop(self):
        """Stops every process this stack started."""
        self.stop_web()
        self.stop_sim()
        self.stop_stripe()
        self.stop_db()
        for name, info in list(self.pids.items()):
            if pid_alive(info["pid"], info["needle"]):
                os.kill(info["pid"], signal.SIGTERM)
        self.pids = {}
        if os.path.exists(self.path("pids.json")):
            os.unlink(self.path("pids.json"))


def stop_recorded(run_dir):
    """Stops the processes recorded in run_dir/pids.json; returns names."""
    path = os.path.join(run_dir, "pids.json")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        pids = json.load(f)
    stopped = []
    # The web first, the database last, as a clean shutdown goes.
    order = sorted(pids, key=lambda n: (n == "mariadb", n == "sim", n))
    for name in order:
        info = pids[name]
        if pid_alive(info["pid"], info["needle"]):
            os.kill(info["pid"], signal.SIGTERM)
            stopped.append(name)
            # Each one gone before the next: the database goes last.
            deadline = time.monotonic() + 60
            while pid_alive(info["pid"], info["needle"]) and \
                    time.monotonic() < deadline:
                time.sleep(0.05)
    os.unlink(path)
    return stopped


def demo_start(port):
    state_file = os.path.join(DEMO_DIR, "demo.json")
    if os.path.exists(os.path.join(DEMO_DIR, "pids.json")):
        with open(os.path.join(DEMO_DIR, "pids.json")) as f:
            alive = [n for n, i in json.load(f).items()
                     if pid_alive(i["pid"], i["needle"])]
        if alive and os.path.exists(state_file):
            print("The demo is already running (make demo-stop stops it).")
            with open(state_file) as f:
                print_demo(json.load(f))
            return
        stop_recorded(DEMO_DIR)
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=1)
        s.close()
        sys.exit("demo: something already listens on 127.0.0.1:%d; stop it "
                 "or run 'make demo DEMO_PORT=N'" % port)
    except OSError:
        pass
    fresh = not os.path.isdir(os.path.join(DEMO_DIR, "mysql", "data", "mysql"))
    st = Stack(DEMO_DIR, nginx_port=port, api_rate="50r/s",
               login_rate="10r/m")
    try:
        print("demo: starting MariaDB in %s ..." % DEMO_DIR, flush=True)
        st.start_db()
        print("demo: starting the OpenAI simulator ...", flush=True)
        st.start_sim("--users", "60", "--projects", "8",
                     "--keys-per-project", "8", "--seed", "7",
                     admin_key=_demo_key())
        st.write_conf()
        st.init_orgaudit()
        state = {}
        if os.path.exists(state_file) and not fresh:
            with open(state_file) as f:
                state = json.load(f)
        if not state.get("org"):
            print("demo: creating tenant, token and connecting the "
                  "simulated org ...", flush=True)
            state["tenant"] = st.tenant("Demo Co")
            state["email"] = "owner@demo-co.example"
            _, state["password"] = st.account(state["tenant"],
                                              state["email"], "owner")
            st.account(state["tenant"], "viewer@demo-co.example", "viewer",
                       password=state["password"])
            state["token"] = st.token(state["tenant"], "demo")
            state["org"] = st.connect(state["tenant"], name="Simulated org")
        print("demo: starting the Stripe test server ...", flush=True)
        st.start_stripe("--state-file", st.path("stripe-state.json"))
        if not any(c["id"] == "cus_demo" for c in
                   st.stripe("/_stripe/state")["customers"]):
            st.stripe("/_stripe/customers", {"id": "cus_demo",
                                             "name": "Demo Co"})
        st.cli("tenant", "stripe-customer", str(state["tenant"]), "cus_demo")
        print("demo: collecting ...", flush=True)
        r = st.collect("--org", str(state["org"]))
        sys.stdout.write(r.stdout)
        if r.returncode not in (0, 1):
            sys.stdout.write(r.stderr)
        print("demo: starting the local webhook receiver and SMTP sink "
              "...", flush=True)
        st.write_conf(alert_allow_private=1)
        secret = "whsec_demo_" + secrets.token_hex(12)
        state["receiver"] = st.start_receiver(secret)
        st.start_smtpsink()
        with open(st.path("etc", "hook.secret"), "w") as f:
            f.write(secret + "\n")
        # A restarted demo has a new receiver: its old channels go.
        for c in st.sql("SELECT id FROM alert_channel WHERE removed_at IS"
                        " NULL AND tenant_id = %d" % state["tenant"]):
            st.cli("alert", "remove", c[0])
        st.cli("alert", "add", "--tenant", str(state["tenant"]), "--type",
               "webhook", "--name", "demo receiver", "--url",
               "http://127.0.0.1:%d/hook" % state["receiver"],
               "--secret-file", st.path("etc", "hook.secret"), "--on",
               "finding.opened,audit:api_key.created,audit:login.failed")
        st.cli("alert", "add", "--tenant", str(state["tenant"]), "--type",
               "email", "--name", "security mailbox", "--to",
               "secops@demo-co.example", "--on", "finding.opened")
        # Something happens after the connection: it is alerted.
        st.sim_post("/_sim/events", {"count": 60})
        st.collect("--org", str(state["org"]))
        st.notify()
        state["alerts"] = st.receiver(state["receiver"],
                                      "/_ctl/received")["count"]
        print("demo: starting orgaudit.fcgi and nginx ...", flush=True)
        st.start_web()
        print("demo: starting orgaudit-worker (it makes the packs the "
              "dashboard asks for) and orgaudit-notify ...", flush=True)
        st.start_worker()
        st.start_notify()
    except StackError as e:
        st.stop()
        sys.exit("demo: %s" % e)
    state["fingerprint"] = json.loads(st.http("GET", "/api/v1/signing-key")[
        2])["fingerprint"]
    state["url"] = st.url("/")
    state["port"] = port
    state["sim"] = st.sim_url("/v1")
    state["conf"] = st.conf
    with open(state_file, "w") as f:
        json.dump(state, f)
    os.chmod(state_file, 0o600)
    print_demo(state)


def _demo_key():
    """The demo's simulated admin key: stable across restarts."""
    p = os.path.join(DEMO_DIR, "etc", "admin.key")
    if os.path.exists(p):
        with open(p) as f:
            return f.read().strip()
    return "sk-admin-demo" + secrets.token_urlsafe(30).replace("-", "x") + \
        "D3m0"


def print_demo(state):
    base = "http://127.0.0.1:%d" % state["port"]
    tok = state["token"]
    org = state["org"]
    print("""
orgaudit is running at %(base)s/

  sign in to the dashboard:
    email     %(email)s      (owner)
    password  %(pw)s
    (viewer@demo-co.example has the same password and may only read)

  the JSON API, with the demo's API token:
    curl -s -H 'Authorization: Bearer %(tok)s' %(base)s/api/v1/openai/orgs
    curl -s -H 'Authorization: Bearer %(tok)s' '%(base)s/api/v1/openai/orgs/%(org)d/keys?stale=true'
    curl -s -H 'Authorization: Bearer %(tok)s' '%(base)s/api/v1/openai/orgs/%(org)d/keys?orphan=true'

  the command line:
    ORGAUDIT_CONF=%(conf)s build/orgaudit keys --org %(org)d --stale
    ORGAUDIT_CONF=%(conf)s build/orgaudit-collect --org %(org)d

  alerts (Notifications page: %(base)s/notifications): %(alerts)s webhook
  messages were delivered to the local receiver, which checked each
  signature; what it got: curl -s http://127.0.0.1:%(rport)s/_ctl/received
  mail goes to the local SMTP sink: run/demo/mail/
    ORGAUDIT_CONF=%(conf)s build/orgaudit alert list --tenant %(tenant)s

  your account (password, second factor, sessions): %(base)s/account
  the tenant's own activity trail: %(base)s/activity
    ORGAUDIT_CONF=%(conf)s build/orgaudit activity verify

  evidence packs (also on each org's Evidence packs page, made by the
  worker, whose log is run/demo/logs/worker.log):
    ORGAUDIT_CONF=%(conf)s build/orgaudit pack create --org %(org)d --start %(start)s --end %(now)s --out /tmp/pack.tar.gz
    curl -s %(base)s/api/v1/signing-key     # the published key and its fingerprint
    build/orgaudit pack verify /tmp/pack.tar.gz --fingerprint %(fp)s

  billing (the Stripe test server stands in for Stripe; the Billing page
  shows the same estimate):
    ORGAUDIT_CONF=%(conf)s build/orgaudit-bill --month %(month)s --dry-run
    curl -s -H 'Authorization: Bearer %(tok)s' %(base)s/api/v1/billing

  the simulated OpenAI Admin API: %(sim)s
  its admin key (to connect it again from the dashboard): run/demo/etc/admin.key
  logs: run/demo/logs/      stop everything: make demo-stop
""" % dict(base=base, tok=tok, org=org, conf=state["conf"], sim=state["sim"],
           email=state.get("email", "-"), pw=state.get("password", "-"),
           fp=state.get("fingerprint", "-"),
           alerts=state.get("alerts", 0), rport=state.get("receiver", 0),
           tenant=state.get("tenant", 1),
           month=time.strftime("%Y-%m", time.gmtime()),
           start=time.strftime("%Y-%m-%d", time.gmtime(time.time() -
                                                       30 * 86400)),
           now=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("demo-start", help="start the demo stack")
    d.add_argument("--port", type=int,
                   default=int(os.environ.get("DEMO_PORT", "8080")))
    sub.add_parser("demo-stop", help="stop what demo-start started")
    a = ap.parse_args()
    if a.cmd == "demo-start":
        demo_start(a.port)
    else:
        stopped = stop_recorded(DEMO_DIR)
        print("demo: stopped %s" % (", ".join(stopped) if stopped
                                    else "nothing (it was not running)"))


if __name__ == "__main__":
    main()
