#!/usr/bin/env python3
"""make install as a Debian admin runs it: the tree it makes under a
DESTDIR, the installed programs (usage, version, hardening read back with
readelf), the man pages (mandoc -T lint -W warning: warnings and worse
fail, style notes do not), the systemd units (systemd-analyze verify in a
root made of the install), sysusers.d and tmpfiles.d, make uninstall, and
a second install under another PREFIX and sysconfdir.

The trees are in tests/out/it-install/.  Nothing is installed on the
machine itself.
"""
import filecmp
import glob
import grp
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))

from tap import diag, run, test  # noqa: E402

OUT = os.path.join(SRC, "tests", "out", "it-install")
ROOT = os.path.join(OUT, "root")            # DESTDIR, PREFIX=/usr/local
PREFIX = "/usr/local"
ROOT_OPT = os.path.join(OUT, "root-opt")    # PREFIX=/opt/oa sysconfdir=/opt/oa/etc
ROOT_UN = os.path.join(OUT, "root-uninstall")
VROOT = os.path.join(OUT, "verify-root")    # ROOT plus the host's targets
S = {}


def make(*args):
    """Runs make in the source tree; returns the CompletedProcess.  A make
    above us (make test) leaves its jobserver in MAKEFLAGS; this make runs
    on its own, so those words go."""
    env = dict(os.environ)
    words = [w for w in env.get("MAKEFLAGS", "").split()
             if not w.startswith(("--jobserver", "-j"))]
    env["MAKEFLAGS"] = " ".join(words)
    for k in ("MAKELEVEL", "MFLAGS"):
        env.pop(k, None)
    return subprocess.run(["make", "-C", SRC, "--no-print-directory"] +
                          list(args), env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)


def install(destdir, *extra, target="install"):
    r = make(target, "DESTDIR=" + destdir, *extra)
    assert r.returncode == 0, "make %s failed:\n%s" % (target,
                                                       r.stdout[-3000:])
    return r.stdout


def mains():
    """The programs, as the Makefile derives them from src/main-*.c:
    [(name, installed path under PREFIX)]."""
    out = []
    for p in sorted(glob.glob(os.path.join(SRC, "src", "main-*.c"))):
        m = os.path.basename(p)[len("main-"):-len(".c")]
        if m == "cli":
            out.append(("orgaudit", "bin/orgaudit"))
        elif m == "fcgi":
            out.append(("orgaudit.fcgi", "lib/orgaudit/orgaudit.fcgi"))
        else:
            out.append(("orgaudit-" + m, "bin/orgaudit-" + m))
    return out


def binaries(root=ROOT, prefix=PREFIX):
    return [(n, root + prefix + "/" + p) for n, p in mains()]


def conf_keys():
    """The configuration table of src/: {key: default} (numbers as text)."""
    keys = {}
    for p in glob.glob(os.path.join(SRC, "src", "*.c")):
        with open(p, errors="replace") as f:
            text = f.read()
        if "struct conf_key" not in text:
            continue
        for m in re.finditer(r'^\s*S\((\w+),\s*"([^"]*)"\)', text, re.M):
            keys[m.group(1)] = m.group(2)
        for m in re.finditer(r'^\s*I\((\w+),\s*(-?\d+),', text, re.M):
            keys[m.group(1)] = m.group(2)
    assert len(keys) > 20, "no configuration table found in src/*.c"
    return keys


def version():
    with open(os.path.join(SRC, "src", "version.h")) as f:
        return re.search(r'ORGAUDIT_VERSION\s+"([^"]+)"', f.read()).group(1)


def files_under(top):
    return sorted(os.path.relpath(os.path.join(d, f), top)
                  for d, _, fs in os.walk(top) for f in fs)


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


def conf_values(path):
    """Active 'key = value' lines of a configuration file."""
    out = {}
    for line in read(path).splitlines():
        s = line.strip()
        if s and not s.startswith("#") and "=" in s:
            k, v = s.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def units(root=ROOT, prefix=PREFIX):
    d = root + prefix + "/lib/systemd/system"
    return sorted(os.path.join(d, f) for f in os.listdir(d))


def readelf(*args):
    r = subprocess.run(["readelf", "-W"] + list(args), text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert r.returncode == 0, r.stderr
    return r.stdout


def each_binary(check):
    """Applies check(name, path) -> problem or None to every installed
    binary; fails naming every one with a problem."""
    bad = []
    for name, path in binaries():
        why = check(name, path)
        if why:
            bad.append("%s: %s" % (name, why))
    assert not bad, "\n".join(bad)


def setup():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    r = make("all")
    assert r.returncode == 0, "make failed:\n" + r.stdout[-3000:]
    S["log"] = install(ROOT, "PREFIX=" + PREFIX)


# -- the tree ------------------------------------------------------------

@test
def every_program_goes_to_bindir_and_the_fastcgi_one_to_lib_orgaudit():
    names = [n for n, _ in mains()]
    for n in ("orgaudit", "orgaudit-collect", "orgaudit-bill",
              "orgaudit.fcgi"):
        assert n in names, "no src/main-*.c for " + n
    for name, path in binaries():
        st = os.stat(path)
        assert stat.S_ISREG(st.st_mode) and st.st_mode & 0o111, path
        assert stat.S_IMODE(st.st_mode) == 0o755, (path, oct(st.st_mode))
    assert not os.path.exists(ROOT + PREFIX + "/bin/orgaudit.fcgi")


@test
def templates_and_static_files_are_installed_byte_for_byte():
    dst = ROOT + PREFIX + "/share/orgaudit/templates"
    srcs = glob.glob(os.path.join(SRC, "templates", "*.mustache"))
    assert srcs
    for p in srcs:
        assert filecmp.cmp(p, os.path.join(dst, os.path.basename(p)),
                           shallow=False), p
    static = glob.glob(os.path.join(SRC, "templates", "static", "*"))
    assert static
    for p in static:
        assert filecmp.cmp(p, os.path.join(dst, "static",
                                           os.path.basename(p)),
                           shallow=False), p
    assert os.path.exists(os.path.join(dst, "layout.mustache"))


@test
def nginx_snippets_go_to_datadir_and_serve_static_from_the_install():
    d = ROOT + PREFIX + "/share/orgaudit/nginx"
    for f in ("orgaudit.conf", "orgaudit-app.conf"):
        assert os.path.isfile(os.path.join(d, f)), f
    assert filecmp.cmp(os.path.join(SRC, "nginx", "orgaudit-app.conf"),
                       os.path.join(d, "orgaudit-app.conf"), shallow=False)
    prod = read(os.path.join(d, "orgaudit.conf"))
    assert "alias %s/share/orgaudit/templates/static/;" % PREFIX in prod
    # An admin's nginx configuration is never written.
    assert not os.path.exists(os.path.join(ROOT, "etc", "nginx"))


@test
def units_sysusers_tmpfiles_logrotate_and_man_pages_are_installed():
    want = [PREFIX + "/lib/systemd/system/" + u for u in (
        "orgaudit-fcgi.socket", "orgaudit-fcgi.service",
        "orgaudit-collect.service", "orgaudit-collect.timer",
        "orgaudit-bill.service", "orgaudit-bill.timer",
        "orgaudit-pack-monthly.service", "orgaudit-pack-monthly.timer",
        "orgaudit-worker.service", "orgaudit-notify.service",
        "orgaudit-notify.timer")]
    want += [PREFIX + "/lib/sysusers.d/orgaudit.conf",
             PREFIX + "/lib/tmpfiles.d/orgaudit.conf",
             "/etc/logrotate.d/orgaudit",
             "/etc/orgaudit/orgaudit.conf.example",
             "/etc/orgaudit/web.conf.example",
             PREFIX + "/share/man/man5/orgaudit.conf.5"]
    want += [PREFIX + "/share/man/man8/%s.8" % n for n, _ in mains()]
    missing = [w for w in want if not os.path.isfile(ROOT + w)]
    assert not missing, "not installed: %s" % missing
    # Every placeholder was filled in.
    for rel in files_under(ROOT):
        p = os.path.join(ROOT, rel)
        if os.access(p, os.X_OK):
            continue
        left = re.findall(r"@[a-z]+dir@", read(p))
        assert not left, "%s keeps %s" % (rel, left)


@test
def nothing_is_installed_outside_prefix_sysconfdir_and_their_dirs():
    for rel in files_under(ROOT):
        assert rel.startswith(("usr/local/", "etc/orgaudit/",
                               "etc/logrotate.d/")), rel


# -- the configuration ---------------------------------------------------

@test
def the_example_configuration_names_every_key_with_its_default():
    keys = conf_keys()
    text = read(os.path.join(SRC, "docs", "orgaudit.conf.example"))
    blocks = text.split("\n\n")
    seen = {}
    for b in blocks:
        defaults = " ".join(re.findall(r"^# Default: (.*(?:\n#  .*)*)", b,
                                       re.M))
        for m in re.finditer(r"^(#?)(\w+) =(.*)$", b, re.M):
            seen[m.group(2)] = (m.group(1) == "#", m.group(3).strip(),
                                defaults)
    missing = sorted(set(keys) - set(seen))
    assert not missing, "keys missing from the example: %s" % missing
    unknown = sorted(set(seen) - set(keys))
    assert not unknown, "keys the programs do not know: %s" % unknown
    for k, d in keys.items():
        commented, value, defaults = seen[k]
        assert defaults, "%s: no '# Default:' line" % k
        assert (d in defaults) if d else ("empty" in defaults), \
            "%s: default %r not in %r" % (k, d, defaults)
        if commented:
            assert value == d, "%s: commented value %r is not the " \
                "default %r" % (k, value, d)
        elif value != d:
            # The install's own choices: a password file and a log file.
            assert k in ("db_password_file", "log_file"), \
                "%s = %r differs from the default %r" % (k, value, d)


@test
def the_installed_examples_point_templates_dir_at_the_installed_templates():
    tpl = PREFIX + "/share/orgaudit/templates"
    for f in ("orgaudit.conf.example", "web.conf.example"):
        v = conf_values(os.path.join(ROOT, "etc", "orgaudit", f))
        assert v["templates_dir"] == tpl, (f, v["templates_dir"])
        assert os.path.isdir(ROOT + v["templates_dir"])


@test
def the_web_configuration_differs_only_where_the_web_needs():
    main = conf_values(os.path.join(ROOT, "etc/orgaudit/orgaudit.conf.example"))
    web = conf_values(os.path.join(ROOT, "etc/orgaudit/web.conf.example"))
    diff = {k: (main.get(k), web.get(k)) for k in set(main) | set(web)
            if main.get(k) != web.get(k)}
    assert diff == {
        "db_user": ("orgaudit", "orgaudit_web"),
        "db_password_file": ("/etc/orgaudit/db.password",
                             "/etc/orgaudit/web-db.password"),
        "master_key_file": ("/etc/orgaudit/master.key", None),
        "signing_key_file": ("/etc/orgaudit/signing.key", None),
        "log_file": ("/var/log/orgaudit/orgaudit.log",
                     "/var/log/orgaudit/web.log"),
    }, diff
    # No secret reaches the web's unit either.
    unit = read(ROOT + PREFIX + "/lib/systemd/system/orgaudit-fcgi.service")
    assert "master.key" not in unit and "signing.key" not in unit, unit


@test
def the_programs_read_both_examples_without_a_configuration_error():
    cli = ROOT + PREFIX + "/bin/orgaudit"
    for f in ("orgaudit.conf.example", "web.conf.example"):
        text = read(os.path.join(ROOT, "etc", "orgaudit", f))
        # No MariaDB here and no log directory: the configuration is read
        # whole, then the database cannot be reached (1, not 2).
        text = re.sub(r"^db_socket = .*$", "db_socket = %s/no.sock" % OUT,
                      text, flags=re.M)
        text = re.sub(r"^log_file = .*$", "log_file =", text, flags=re.M)
        p = os.path.join(OUT, f)
        with open(p, "w") as fh:
            fh.write(text)
        r = subprocess.run([cli, "--conf", p, "orgs"], text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert r.returncode == 1 and p + ":" not in r.stderr, \
            (f, r.returncode, r.stderr)


@test
def the_installed_web_program_loads_the_installed_templates():
    fcgi = ROOT + PREFIX + "/lib/orgaudit/orgaudit.fcgi"
    text = read(os.path.join(ROOT, "etc", "orgaudit", "web.conf.example"))
    text = re.sub(r"^templates_dir = (.*)$",
                  lambda m: "templates_dir = " + ROOT + m.group(1), text,
                  flags=re.M)
    text = re.sub(r"^log_file = .*$", "log_file =", text, flags=re.M)
    conf = os.path.join(OUT, "web-templates.conf")
    with open(conf, "w") as f:
        f.write(text)
    sock_path = os.path.join(OUT, "fcgi.sock")
    if os.path.exists(sock_path):
        os.unlink(sock_path)
    s = socket.socket(socket.AF_UNIX)
    s.bind(sock_path)
    s.listen(4)
    errf = tempfile.TemporaryFile(mode="w+")
    p = subprocess.Popen([fcgi, "--conf", conf], stdin=s.fileno(),
                         stdout=subprocess.DEVNULL, stderr=errf)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and p.poll() is None:
            errf.seek(0)
            if "fcgi: serving" in errf.read():
                break
            time.sleep(0.05)
        errf.seek(0)
        err = errf.read()
        assert p.poll() is None and "fcgi: serving" in err, err
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            p.wait(10)
        s.close()
        os.unlink(sock_path)


# -- the programs --------------------------------------------------------

@test
def every_installed_program_prints_its_usage_for_help_and_its_version():
    v = version()
    for name, path in binaries():
        r = subprocess.run([path, "--help"], text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert r.returncode == 0, (name, r.returncode, r.stderr)
        assert r.stdout.startswith("usage: %s " % name), (name, r.stdout)
        r = subprocess.run([path, "--version"], text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert r.returncode == 0 and r.stdout == "%s %s\n" % (name, v), \
            (name, r.returncode, r.stdout)


@test
def every_installed_binary_is_position_independent():
    each_binary(lambda n, p: None if re.search(
        r"Type:\s+DYN ", readelf("-h", p)) else "ELF type is not DYN (PIE)")


@test
def every_installed_binary_has_full_relro():
    def check(n, p):
        if not re.search(r"^\s*GNU_RELRO\s", readelf("-l", p), re.M):
            return "no GNU_RELRO segment"
        dyn = readelf("-d", p)
        if not (re.search(r"\(BIND_NOW\)", dyn) or
                re.search(r"\(FLAGS\)\s+.*\bBIND_NOW\b", dyn) or
                re.search(r"\(FLAGS_1\)\s+Flags:.*\bNOW\b", dyn)):
            return "no BIND_NOW or FLAGS_1 NOW: partial RELRO"
        return None
    each_binary(check)


@test
def every_installed_binary_uses_the_stack_protector():
    each_binary(lambda n, p: None if re.search(
        r"\b__stack_chk_fail\b", readelf("--dyn-syms", p))
        else "__stack_chk_fail is not referenced")


@test
def every_installed_binary_is_built_with_fortify_source():
    def check(n, p):
        chk = set(re.findall(r"\b(__\w+_chk)\b", readelf("--dyn-syms", p)))
        chk.discard("__stack_chk_fail")
        return None if chk else "no __*_chk function is referenced"
    each_binary(check)


@test
def every_installed_binary_has_a_non_executable_stack():
    def check(n, p):
        # GNU_STACK offset vaddr paddr filesz memsz FLAGS align
        for line in readelf("-l", p).splitlines():
            w = line.split()
            if w and w[0] == "GNU_STACK":
                flags = "".join(w[6:-1])
                return None if flags == "RW" else "GNU_STACK is " + flags
        return "no GNU_STACK segment: the stack may be executable"
    each_binary(check)


# -- the man pages -------------------------------------------------------

@test
def every_man_page_is_clean_under_mandoc_lint_at_warning_level():
    pages = glob.glob(ROOT + PREFIX + "/share/man/man*/*")
    assert len(pages) >= 5, pages
    for p in pages:
        r = subprocess.run(["mandoc", "-T", "lint", "-W", "warning", p],
                           text=True, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        assert r.returncode == 0 and not r.stdout.strip(), r.stdout


@test
def the_man_pages_name_every_verb_option_and_configuration_key():
    man = ROOT + PREFIX + "/share/man"
    # Every verb of 'orgaudit --help'.
    page = read(man + "/man8/orgaudit.8")
    out = subprocess.run([ROOT + PREFIX + "/bin/orgaudit", "--help"],
                         text=True, stdout=subprocess.PIPE).stdout
    verbs = re.findall(r"^  ([a-z][a-z-]+) ", out, re.M)
    assert len(verbs) > 5, out
    for v in verbs:
        assert re.search(r"^\.(It|Cm)\b.*\bCm %s\b" % re.escape(v) +
                         r"|^\.Cm %s\b" % re.escape(v), page, re.M), \
            "orgaudit.8 does not list the verb " + v
    # Every option of each program's usage line.
    for name, path in binaries():
        page = read("%s/man8/%s.8" % (man, name))
        out = subprocess.run([path, "--help"], text=True,
                             stdout=subprocess.PIPE).stdout
        for opt in set(re.findall(r"--([a-z][a-z-]*)", out)):
            assert "Fl -%s" % opt in page, "%s.8 lacks --%s" % (name, opt)
    # Every configuration key.
    page = read(man + "/man5/orgaudit.conf.5")
    for k in conf_keys():
        assert ".It Cm %s\n" % k in page, "orgaudit.conf.5 lacks " + k
    # The exit status of each program.
    for name, _ in mains():
        assert ".Sh EXIT STATUS" in read("%s/man8/%s.8" % (man, name)), name


# -- systemd -------------------------------------------------------------

def verify_root():
    """VROOT: a copy of the install, plus what the units lean on from the
    machine: its .target units (default dependencies) and the programs
    their Exec lines name outside the install (/bin/bash)."""
    if os.path.isdir(VROOT):
        return VROOT
    shutil.copytree(ROOT, VROOT, symlinks=True)
    tdir = os.path.join(VROOT, "usr", "lib", "systemd", "system")
    os.makedirs(tdir, exist_ok=True)
    for d in ("/lib/systemd/system", "/usr/lib/systemd/system"):
        for t in glob.glob(d + "/*.target"):
            if not os.path.exists(os.path.join(tdir, os.path.basename(t))):
                shutil.copy(t, tdir, follow_symlinks=True)
    for u in units(VROOT):
        for m in re.finditer(r"^Exec\w+=[-+!@:]*(/\S+)", read(u), re.M):
            exe = m.group(1)
            if not os.path.exists(VROOT + exe) and os.path.exists(exe):
                os.makedirs(os.path.dirname(VROOT + exe), exist_ok=True)
                shutil.copy(exe, VROOT + exe, follow_symlinks=True)
    return VROOT


@test
def the_units_pass_systemd_analyze_verify_in_a_root_made_of_the_install():
    if shutil.which("systemd-analyze") is None:
        diag("skipped: systemd-analyze is not installed")
        return
    root = verify_root()
    paths = [u[len(root):] for u in units(root)]
    env = dict(os.environ)
    # Documentation=man:… is checked with man(1): against the installed
    # pages, and only those.
    env["MANPATH"] = ROOT + PREFIX + "/share/man:"
    r = subprocess.run(["systemd-analyze", "verify", "--root=" + root] +
                       paths, env=env, text=True, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    # Unknown keys are only warnings there: any output fails too.
    assert r.returncode == 0 and not r.stdout.strip(), r.stdout


@test
def the_units_run_as_the_two_system_users_with_the_hardening_asked():
    want = ["NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes",
            "ProtectHome=yes", "PrivateDevices=yes", "LockPersonality=yes",
            "MemoryDenyWriteExecute=yes",
            "SystemCallFilter=@system-service", "CapabilityBoundingSet=\n",
            "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6"]
    for u in units():
        if not u.endswith(".service"):
            continue
        text = read(u)
        user = "orgaudit-web" if "fcgi" in u else "orgaudit"
        assert "\nUser=%s\n" % user in text, (u, user)
        for w in want:
            assert "\n" + w in text, (os.path.basename(u), w)
        um = re.search(r"^UMask=(\d+)$", text, re.M).group(1)
        # 0027 only where packs are written for the other user to read.
        assert um == ("0027" if "worker" in u or "pack" in u else "0077"), \
            (u, um)
        conf = "web.conf" if "fcgi" in u else "orgaudit.conf"
        assert "--conf /etc/orgaudit/%s" % conf in text, u
    timers = {os.path.basename(u): read(u) for u in units()
              if u.endswith(".timer")}
    assert "OnCalendar=*:00/15" in timers["orgaudit-collect.timer"]
    assert "OnCalendar=*-*-01 " in timers["orgaudit-bill.timer"]
    assert "OnCalendar=*-*-01 " in timers["orgaudit-pack-monthly.timer"]
    sock = read(ROOT + PREFIX + "/lib/systemd/system/orgaudit-fcgi.socket")
    nginx = read(ROOT + PREFIX + "/share/orgaudit/nginx/orgaudit.conf")
    path = re.search(r"^ListenStream=(\S+)", sock, re.M).group(1)
    assert "server unix:%s;" % path in nginx, path


@test
def sysusers_and_tmpfiles_make_the_users_and_directories_the_units_need():
    for tool in ("systemd-sysusers", "systemd-tmpfiles"):
        if shutil.which(tool) is None:
            diag("skipped: %s is not installed" % tool)
            return
    if os.geteuid() != 0:
        diag("skipped: systemd-tmpfiles must be root to set owners")
        return
    root = verify_root()
    os.makedirs(os.path.join(root, "etc"), exist_ok=True)
    with open(os.path.join(root, "etc", "group"), "a") as f:
        f.write("adm:x:4:\n")
    for cmd in (["systemd-sysusers", "--root=" + root],
                ["systemd-tmpfiles", "--root=" + root, "--create",
                 "orgaudit.conf"]):
        r = subprocess.run(cmd, text=True, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        assert r.returncode == 0, r.stdout
    users = {l.split(":")[0]: int(l.split(":")[2]) for l in
             read(os.path.join(root, "etc", "passwd")).splitlines()}
    groups = {l.split(":")[0]: int(l.split(":")[2]) for l in
              read(os.path.join(root, "etc", "group")).splitlines()}
    assert "orgaudit" in users and "orgaudit-web" in users, users

    def owned(rel, mode, user, group):
        st = os.stat(os.path.join(root, rel))
        got = (oct(stat.S_IMODE(st.st_mode)), st.st_uid, st.st_gid)
        assert got == (oct(mode), users.get(user, 0), groups[group]), \
            (rel, got)
    owned("var/lib/orgaudit/packs", 0o2750, "orgaudit", "orgaudit-web")
    assert not os.path.exists(os.path.join(root, "var/lib/orgaudit/web-packs"))
    owned("var/log/orgaudit/orgaudit.log", 0o640, "orgaudit", "adm")
    owned("var/log/orgaudit/web.log", 0o640, "orgaudit-web", "adm")
    # Every path a unit must be able to write now exists.
    for u in units(root):
        for m in re.finditer(r"^ReadWritePaths=(.*)$", read(u), re.M):
            for p in m.group(1).split():
                assert os.path.exists(root + p.lstrip("-")), (u, p)


@test
def logrotate_rotates_the_installed_log_directory_in_place():
    text = read(os.path.join(ROOT, "etc", "logrotate.d", "orgaudit"))
    assert text.count("/var/log/orgaudit/*.log {") == 1, text
    assert "copytruncate" in text
    if shutil.which("logrotate") is None:
        diag("logrotate is not installed: its own check is skipped")
        return
    r = subprocess.run(["logrotate", "-d", "-s", os.path.join(OUT, "lr.state"),
                        os.path.join(ROOT, "etc", "logrotate.d", "orgaudit")],
                       text=True, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    assert r.returncode == 0 and "error" not in r.stdout.lower(), r.stdout


# -- uninstall and another prefix ----------------------------------------

@test
def make_uninstall_removes_every_installed_file_and_keeps_the_admins():
    shutil.rmtree(ROOT_UN, ignore_errors=True)
    install(ROOT_UN, "PREFIX=" + PREFIX)
    # An admin's configuration, next to the examples.
    mine = os.path.join(ROOT_UN, "etc", "orgaudit", "orgaudit.conf")
    shutil.copy(mine + ".example", mine)
    install(ROOT_UN, "PREFIX=" + PREFIX, target="uninstall")
    assert files_under(ROOT_UN) == ["etc/orgaudit/orgaudit.conf"], \
        files_under(ROOT_UN)
    os.unlink(mine)
    install(ROOT_UN, "PREFIX=" + PREFIX, target="uninstall")
    assert files_under(ROOT_UN) == [], files_under(ROOT_UN)
    # Our own directories went with the files.
    assert not os.path.exists(ROOT_UN + PREFIX + "/share/orgaudit")
    assert not os.path.exists(ROOT_UN + PREFIX + "/lib/orgaudit")


@test
def a_logrotate_file_the_admin_changed_survives_install_and_uninstall():
    shutil.rmtree(ROOT_UN, ignore_errors=True)
    install(ROOT_UN, "PREFIX=" + PREFIX)
    lr = os.path.join(ROOT_UN, "etc", "logrotate.d", "orgaudit")
    text = read(lr).replace("rotate 12", "rotate 52")
    with open(lr, "w") as f:
        f.write(text)
    log = install(ROOT_UN, "PREFIX=" + PREFIX)
    assert "kept " + lr in log, log[-500:]
    assert read(lr) == text
    log = install(ROOT_UN, "PREFIX=" + PREFIX, target="uninstall")
    assert "kept " + lr in log and read(lr) == text, log[-500:]
    assert files_under(ROOT_UN) == ["etc/logrotate.d/orgaudit"]
    shutil.rmtree(ROOT_UN)


@test
def a_second_install_under_another_prefix_and_sysconfdir_goes_there():
    shutil.rmtree(ROOT_OPT, ignore_errors=True)
    install(ROOT_OPT, "PREFIX=/opt/oa", "sysconfdir=/opt/oa/etc")
    rels = files_under(ROOT_OPT)
    outside = [r for r in rels if not r.startswith("opt/oa/")]
    assert not outside, outside
    for name, path in binaries(ROOT_OPT, "/opt/oa"):
        assert os.access(path, os.X_OK), path
    conf = conf_values(ROOT_OPT + "/opt/oa/etc/orgaudit/orgaudit.conf.example")
    assert conf["templates_dir"] == "/opt/oa/share/orgaudit/templates", conf
    assert os.path.isfile(ROOT_OPT + conf["templates_dir"] +
                          "/layout.mustache")
    assert conf["master_key_file"] == "/opt/oa/etc/orgaudit/master.key"
    web = conf_values(ROOT_OPT + "/opt/oa/etc/orgaudit/web.conf.example")
    assert web["templates_dir"] == conf["templates_dir"]
    collect = read(ROOT_OPT + "/opt/oa/lib/systemd/system/"
                   "orgaudit-collect.service")
    assert "ExecStart=/opt/oa/bin/orgaudit-collect --conf " \
        "/opt/oa/etc/orgaudit/orgaudit.conf --all" in collect, collect
    fcgi = read(ROOT_OPT + "/opt/oa/lib/systemd/system/orgaudit-fcgi.service")
    assert " /opt/oa/lib/orgaudit/orgaudit.fcgi --conf " \
        "/opt/oa/etc/orgaudit/web.conf" in fcgi
    assert os.path.isfile(ROOT_OPT + "/opt/oa/etc/logrotate.d/orgaudit")
    nginx = read(ROOT_OPT + "/opt/oa/share/orgaudit/nginx/orgaudit.conf")
    assert "alias /opt/oa/share/orgaudit/templates/static/;" in nginx


run(setup=setup)
