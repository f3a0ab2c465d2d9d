#!/usr/bin/env python3
"""The web holds no secret that opens or forges anything.

orgaudit.fcgi runs as its own unprivileged user with its own
configuration and database user.  These tests try, as that user, to read
the master key, the signing key and every sealed value, through its files
and through its queries, and fail if any of it works; they show that an
admin key pasted in the dashboard is sealed by the web and opened by the
collector; that keys sealed the old way (one symmetric data key per
tenant) are moved without loss by 'orgaudit migrate'; and that rotating
the master key works end to end.
"""
import os
import pwd
import re
import secrets
import subprocess

from common import WebClient, new_stack
from stack import WEB_USER
from tap import diag, run, test

st = new_stack("it-secrets")
S = {}

# Debian's Python has python3-cryptography (tests/deps.sh): it makes the
# old kind of sealed keys, as the previous release wrote them.
OLD_SEAL = r'''
import os, sys
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
master, tenant, org, key = open(sys.argv[1], "rb").read(), sys.argv[2], \
    sys.argv[3], sys.argv[4].encode()
def seal(k, aad, pt):
    n = os.urandom(12)
    return b"\x01" + n + AESGCM(k).encrypt(n, pt, aad.encode())
dk = os.urandom(32)
wrapped = seal(master, "orgaudit/v1 tenant=%s org=0 purpose=data-key" %
               tenant, dk)
sealed = seal(dk, "orgaudit/v1 tenant=%s org=%s purpose=openai-admin-key" %
              (tenant, org), key)
print(wrapped.hex(), sealed.hex())
'''


def setup():
    st.start_db()
    st.start_sim("--users", "10", "--projects", "3", "--keys-per-project",
                 "3", "--seed", "17")
    st.write_conf()
    st.init_orgaudit()
    st.start_web()
    S["tenant"] = st.tenant("Secrets")
    _, S["pw"] = st.account(S["tenant"], "owner@secrets.example", "owner")


def as_web(*cmd):
    """Runs cmd as the web's user, without root's groups."""
    return subprocess.run(["setpriv", "--reuid", WEB_USER, "--regid",
                           WEB_USER, "--clear-groups", "--"] + list(cmd),
                          capture_output=True, text=True)


def web_sql(sql):
    """sql as the web's database user: (exit code, output)."""
    with open(st.path("etc", "db-web.password")) as f:
        pw = f.read().strip()
    r = subprocess.run(["mariadb", "--no-defaults", "--socket=" +
                        st.db_socket, "-u", "orgaudit_web", "-p" + pw,
                        "--batch", "--skip-column-names", "orgaudit"],
                       input=sql, capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


@test
def the_web_runs_as_its_own_user():
    uid = pwd.getpwnam(WEB_USER).pw_uid
    pids = [i["pid"] for n, i in st.pids.items() if n.startswith("fcgi")]
    assert pids
    for pid in pids:
        with open("/proc/%d/status" % pid) as f:
            uids = re.search(r"^Uid:\s+(\d+)\s+(\d+)", f.read(), re.M)
        assert uids and int(uids.group(1)) == uid == int(uids.group(2)), \
            (pid, uids.group(0) if uids else None)
    diag("%d web processes, uid %d (%s)" % (len(pids), uid, WEB_USER))


@test
def the_webs_files_reach_no_key():
    conf = open(st.web_conf).read()
    assert "master_key_file" not in conf and "signing_key_file" not in conf
    for name in ("master.key", "signing.key", "db.password"):
        r = as_web("cat", st.path("etc", name))
        assert r.returncode != 0 and "Permission denied" in r.stderr, \
            (name, r.returncode, r.stderr)
    # What it may read: its own configuration and the public key.
    assert as_web("cat", st.web_conf).returncode == 0
    r = as_web("cat", st.path("etc", "signing.pub"))
    assert r.returncode == 0 and "BEGIN PUBLIC KEY" in r.stdout


@test
def the_webs_queries_reach_no_sealed_value():
    S["org"] = st.connect(S["tenant"], name="CLI org")
    for sql in ("SELECT key_sealed FROM org", "SELECT * FROM org",
                "SELECT wrapped FROM tenant_key",
                "SELECT * FROM tenant_key",
                "SELECT HEX(key_sealed) FROM org WHERE id = %d" % S["org"]):
        rc, out = web_sql(sql)
        assert rc != 0 and "denied" in out, (sql, rc, out)
    rc, out = web_sql("SELECT id, key_hint FROM org; SELECT LENGTH("
                      "public_key) FROM tenant_key")
    assert rc == 0 and "32" in out, out
    # Nor may it write what it only reads.
    for sql in ("INSERT INTO audit_event (org_id) VALUES (1)",
                "UPDATE tenant_key SET scheme = 1",
                "DELETE FROM evidence_pack"):
        rc, out = web_sql(sql)
        assert rc != 0 and "denied" in out, (sql, out)


@test
def a_key_pasted_in_the_dashboard_is_sealed_by_the_web_and_collected():
    c = WebClient(st).login("owner@secrets.example", S["pw"])
    csrf = c.csrf("/orgs/new")
    status, h, body = c.post("/orgs/new", {"csrf": csrf, "name": "Web org",
                                           "key": st.admin_key})
    assert status == 303, (status, body[:300])
    org = int(h["location"].split("/")[2].split("?")[0])
    sealed = st.sql("SELECT HEX(key_sealed) FROM org WHERE id = %d" % org)
    assert sealed[0][0].startswith("02"), sealed
    r = st.collect("--org", str(org))
    assert r.returncode == 0, r.stderr
    n = st.sql("SELECT COUNT(*) FROM oa_key WHERE org_id = %d" % org)[0][0]
    assert int(n) > 5, n
    S["web_org"] = org


@test
def keys_sealed_the_old_way_are_moved_by_migrate():
    # A tenant and an org as the previous release stored them.
    t = st.tenant("Old kind")
    st.sql("DELETE FROM tenant_key WHERE tenant_id = %d" % t)
    st.sql("INSERT INTO org (tenant_id, name, status, key_sealed, key_hint,"
           " capabilities, connected_at) VALUES (%d, 'Old org', 'active', '',"
           " 'sk-admin-…', '[]', UNIX_TIMESTAMP())" % t)
    org = int(st.sql("SELECT MAX(id) FROM org")[0][0])
    st.sql("INSERT INTO org_connection (tenant_id, org_id, connected_at)"
           " VALUES (%d, %d, UNIX_TIMESTAMP())" % (t, org))
    out = subprocess.run(["/usr/bin/python3", "-c", OLD_SEAL,
                          st.path("etc", "master.key"), str(t), str(org),
                          st.admin_key], capture_output=True, text=True,
                         check=True).stdout.split()
    master_id = st.sql("SELECT master_key_id FROM tenant_key LIMIT 1")[0][0]
    st.sql("INSERT INTO tenant_key (tenant_id, master_key_id, wrapped,"
           " created_at, scheme) VALUES (%d, '%s', UNHEX('%s'),"
           " UNIX_TIMESTAMP(), 1); UPDATE org SET key_sealed = UNHEX('%s')"
           " WHERE id = %d" % (t, master_id, out[0], out[1], org))
    r = st.collect("--org", str(org))
    assert r.returncode != 0 and "migrate" in r.stderr, r.stderr
    r = st.cli("migrate")
    assert "gave 1 tenant a key pair and re-sealed 1 admin key" in \
        r.stdout, r.stdout
    assert st.sql("SELECT scheme, LENGTH(public_key) FROM tenant_key WHERE"
                  " tenant_id = %d" % t) == [["2", "32"]]
    assert st.sql("SELECT LEFT(HEX(key_sealed), 2) FROM org WHERE id = %d"
                  % org) == [["02"]]
    r = st.collect("--org", str(org))
    assert r.returncode == 0, r.stderr
    assert "nothing to do" in st.cli("migrate").stdout
    assert "key pair" not in st.cli("migrate").stdout


@test
def the_master_key_rotates_end_to_end():
    old = st.path("etc", "master.key")
    new = st.path("etc", "master-2.key")
    fd = os.open(new, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, secrets.token_bytes(32))
    os.close(fd)
    r = st.cli("master-key", "rotate", new)
    tenants = int(st.sql("SELECT COUNT(*) FROM tenant_key")[0][0])
    assert "re-wrapped %d tenant keys" % tenants in r.stdout, r.stdout
    # The old key opens nothing any more.
    r = st.collect("--org", str(S["web_org"]))
    assert r.returncode != 0 and "master key" in r.stderr, r.stderr
    st.write_conf(master_key_file=new)
    try:
        assert "master_key_file" not in open(st.web_conf).read()
        r = st.collect("--org", str(S["web_org"]))
        assert r.returncode == 0, r.stderr
        # New tenants and orgs seal and open under the new key, and the
        # web still connects orgs: it never needed the master key.
        t = st.tenant("After rotation")
        org = st.connect(t, name="After")
        assert st.collect("--org", str(org)).returncode == 0
        c = WebClient(st).login("owner@secrets.example", S["pw"])
        status, h, _ = c.post("/orgs/new", {"csrf": c.csrf("/orgs/new"),
                                            "name": "After, web",
                                            "key": st.admin_key})
        assert status == 303, status
        org = int(h["location"].split("/")[2].split("?")[0])
        assert st.collect("--org", str(org)).returncode == 0
    finally:
        st.cli("master-key", "rotate", old, check=False)
        st.write_conf(master_key_file=old)


run(setup=setup, teardown=st.stop)
