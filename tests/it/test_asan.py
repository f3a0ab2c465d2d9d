#!/usr/bin/env python3
"""The real binaries built with AddressSanitizer and UndefinedBehavior-
Sanitizer (build/asan/), driven through their success and failure paths:
connect with its probes, collection through storms, skipped and failed
streams, and the API through nginx with good and malformed requests.  Any
sanitizer report, leaks included, fails the suite.
"""
import glob
import json
import os

from common import all_keys, new_stack
from tap import diag, run, test

st = new_stack("it-asan", asan=True)
S = {}


def setup():
    st.start_db()
    st.start_sim("--users", "20", "--projects", "5", "--keys-per-project",
                 "6", "--seed", "31", "--hostile-names",
                 "--events", "700")
    st.write_conf(collect_concurrency=4, retry_max_attempts=20)
    st.init_orgaudit()
    st.start_web()
    S["tenant"] = st.tenant("Sanitized")
    S["tok"] = st.token(S["tenant"])


def reports():
    """Sanitizer report files written so far (ASan, LSan, UBSan)."""
    return glob.glob(st.path("logs", "asan*")) + \
        glob.glob(st.path("logs", "ubsan*"))


def no_reports():
    found = reports()
    text = ""
    for p in found[:2]:
        with open(p, errors="replace") as f:
            text += f.read()[:3000]
    assert not found, "sanitizer reports:\n" + text


@test
def connect_paths_are_clean():
    bad = st.path("etc", "proj.key")
    with open(bad, "w") as f:
        f.write("sk-proj-" + "x" * 40 + "\n")
    r = st.cli("org", "connect", "--tenant", str(S["tenant"]),
               "--key-file", bad, check=False)
    assert r.returncode == 3
    S["org"] = st.connect(S["tenant"])
    no_reports()


@test
def collect_paths_are_clean():
    st.sim_post("/_sim/config", {"rate_429": 0.2, "rate_500": 0.1,
                                 "rate_drop": 0.05, "retry_after_ms": 5})
    r = st.collect("--org", str(S["org"]))
    assert r.returncode == 0, r.stderr
    st.sim_post("/_sim/config", {"rate_429": 0, "rate_500": 0,
                                 "rate_drop": 0, "forbid": ["invites"],
                                 "stuck_cursor": ["projects"]})
    st.write_conf(page_limit=2)
    r = st.collect("--org", str(S["org"]))
    assert r.returncode == 1, r.stderr
    st.sim_post("/_sim/config", {"forbid": [], "stuck_cursor": [],
                                 "rate_500": 1.0})
    st.write_conf(page_limit=100, retry_max_attempts=2)
    r = st.collect("--all")
    st.sim_post("/_sim/config", {"rate_500": 0})
    st.write_conf(retry_max_attempts=20)
    r = st.collect("--org", str(S["org"]))
    assert r.returncode == 0, r.stderr
    no_reports()


@test
def cli_paths_are_clean():
    for args in (("keys", "--org", str(S["org"])),
                 ("keys", "--org", str(S["org"]), "--stale", "--orphan"),
                 ("orgs",), ("tenant", "list"),
                 ("token", "list", "--tenant", str(S["tenant"])),
                 ("events", "verify", "--org", str(S["org"]))):
        st.cli(*args)
    for args in (("keys",), ("keys", "--org", "x"), ("nothing",),
                 ("token", "add", "--tenant", "nobody", "--name", "n")):
        assert st.cli(*args, check=False).returncode != 0
    no_reports()


@test
def api_paths_are_clean():
    org = S["org"]
    keys = all_keys(st, S["tok"], org, limit=3)
    assert keys
    for path in ("/api/v1/openai/orgs", "/api/v1/openai/orgs/%d" % org,
                 "/api/v1/openai/orgs/%d/users?limit=2" % org,
                 "/api/v1/openai/orgs/%d/projects" % org,
                 "/api/v1/openai/orgs/%d/runs?limit=2" % org,
                 "/api/v1/openai/orgs/%d/keys?stale=true&orphan=false"
                 "&type=project" % org):
        st.api(path, S["tok"])
    for path in ("/api/v1/openai/orgs/%d/keys?cursor=%%ff%%fe" % org,
                 "/api/v1/openai/orgs/%d/keys?cursor=" % org + "A" * 400,
                 "/api/v1/openai/orgs/%d/keys?%%C3%%28=1" % org,
                 "/api/v1/openai/orgs/x/keys",
                 "/api/v1/openai/orgs/%d/keys?limit=1&limit=1" % org):
        status, _, _ = st.http("GET", path, token=S["tok"])
        assert 400 <= status < 500, (path, status)
    st.http("GET", "/api/v1/openai/orgs", headers={
        "Authorization": "Bearer oat_" + "\u00e9" * 10})
    no_reports()


@test
def audit_paths_are_clean():
    org = S["org"]
    st.sim_post("/_sim/events", {"count": 150, "age_seconds": 600})
    st.write_conf(page_limit=7)
    r = st.collect("--org", str(org))
    st.write_conf(page_limit=100)
    assert r.returncode == 0, r.stderr
    for path in ("events?limit=5", "events?type=api_key.created&since=1",
                 "events?actor_email=a%40example.com&limit=2",
                 "events.jsonl?after_seq=3", "events.ocsf.jsonl?after_seq=3",
                 "findings.ocsf.jsonl",
                 "findings.ocsf.jsonl?after_id=1&limit=2",
                 "costs?group_by=day,project,line_item,api_key",
                 "usage?group_by=day,user,api_key,model",
                 "usage?endpoint=vector_stores&since=2026-01-01", "unmapped"):
        status, _, _ = st.http("GET", "/api/v1/openai/orgs/%d/%s" % (
            org, path), token=S["tok"])
        assert status == 200, (path, status)
    for path in ("events?type=%00", "events?cursor=zz", "events?until=-",
                 "events.jsonl?after_seq=-1", "events.ocsf.jsonl?after_seq=x",
                 "findings.ocsf.jsonl?after_id=-1",
                 "costs?since=2026-02-30", "costs?group_by=day,,project",
                 "usage?endpoint=chat", "unmapped?until=x"):
        status, _, _ = st.http("GET", "/api/v1/openai/orgs/%d/%s" % (
            org, path), token=S["tok"])
        assert status == 400, (path, status)
    st.sql("DROP TRIGGER IF EXISTS audit_event_no_update")
    st.sql("UPDATE audit_event SET body = CONCAT(body, ' ') WHERE org_id = %d"
           " AND seq = 9" % org)
    r = st.cli("events", "verify", "--org", str(org), check=False)
    assert r.returncode == 1 and "9" in r.stdout, r.stdout
    no_reports()


@test
def pack_paths_are_clean():
    import json
    import time
    org = S["org"]
    time.sleep(1.1)                 # the period ends after the last pull
    end = int(time.time())
    out = st.path("pack.tar.gz")
    # The audit test left row 9 edited: no pack from that chain.
    r = st.cli("pack", "create", "--org", str(org), "--start",
               str(end - 86400 * 60), "--end", str(end), check=False)
    assert r.returncode == 1 and "does not verify" in r.stderr, r.stderr
    st.sql("UPDATE audit_event SET body = TRIM(TRAILING ' ' FROM body)"
           " WHERE org_id = %d AND seq = 9" % org)
    r = st.cli("pack", "create", "--org", str(org), "--start",
               str(end - 86400 * 60), "--end", str(end), "--out", out)
    assert "pack" in r.stdout, r.stdout
    pub = json.loads(st.http("GET", "/api/v1/signing-key")[2])
    r = st.cli("pack", "verify", out, "--fingerprint", pub["fingerprint"],
               check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    r = st.cli("pack", "verify", out, check=False)
    assert r.returncode == 1 and "not checked against a trusted key" in \
        r.stdout, r.stdout
    data = bytearray(open(out, "rb").read())
    data[len(data) // 2] ^= 0xff
    bad = st.path("bad.tar.gz")
    open(bad, "wb").write(bytes(data))
    r = st.cli("pack", "verify", bad, "--previous", out, check=False)
    assert r.returncode == 1, r.stdout
    r = st.cli("pack", "create", "--org", str(org), "--start", "2020-01-01",
               "--end", "2020-02-01", check=False)
    assert r.returncode == 2
    admin = st.token(S["tenant"], name="admin", scope="admin")
    status, h, body = st.http("POST", "/api/v1/openai/evidence-packs",
                              token=admin, body=json.dumps({
                                  "org_id": org, "period_start":
                                  "2026-01-01", "period_end": time.strftime(
                                      "%Y-%m-%dT%H:%M:%SZ",
                                      time.gmtime(end))}))
    assert status == 202, body
    r = st.worker()
    job = st.api(json.loads(body)["url"], S["tok"])
    assert job["status"] == "done", (job, r.stdout, r.stderr)
    status, h, _ = st.http("GET", job["pack"]["download"], token=S["tok"])
    assert status == 200 and h["content-type"] == "application/gzip"
    status, _, _ = st.http("POST", "/api/v1/openai/evidence-packs",
                           token=admin, body="[1,2")
    assert status == 400
    assert st.api("/api/v1/openai/evidence-packs", S["tok"])["data"]
    assert st.api("/api/v1/signing-key", None)["algorithm"] == "Ed25519"
    no_reports()


@test
def billing_paths_are_clean():
    st.start_stripe()
    st.stripe("/_stripe/customers", {"id": "cus_sanitized", "name": "S"})
    org = S["org"]
    # Connected since a year ago, with counts for every day of last month.
    st.sql("UPDATE org_connection SET connected_at = UNIX_TIMESTAMP() -"
           " 86400 * 365 WHERE org_id = %d" % org)
    month = st.sql("SELECT DATE_FORMAT(UTC_DATE() - INTERVAL 1 MONTH,"
                   " '%Y-%m')")[0][0]
    st.sql("INSERT IGNORE INTO org_day (tenant_id, org_id, day, users,"
           " projects, run_id, pulled_at) SELECT %d, %d, d, 20, 4, 0, 0 FROM"
           " (SELECT LAST_DAY(UTC_DATE() - INTERVAL 1 MONTH) - INTERVAL seq"
           " DAY AS d FROM seq_0_to_40) x WHERE DATE_FORMAT(d, '%%Y-%%m') ="
           " '%s'" % (S["tenant"], org, month))
    r = st.bill("--dry-run")
    assert r.returncode == 0 and "\u20ac" in r.stdout, r.stdout + r.stderr
    r = st.bill("--month", month)
    assert r.returncode == 1 and "no Stripe customer" in r.stdout, r.stdout
    st.cli("tenant", "stripe-customer", str(S["tenant"]), "cus_nobody")
    r = st.bill("--month", month)
    assert r.returncode == 1 and "resource_missing" in r.stdout, r.stdout
    # Corrected: the planned month goes to the new customer.
    st.cli("tenant", "stripe-customer", str(S["tenant"]), "cus_sanitized")
    st.stripe("/_stripe/config", {"next_faults": ["429", "drop_after_commit",
                                                  "drop", "500"]})
    r = st.bill("--month", month, env={"ORGAUDIT_TEST_BILL_KILL_AFTER": "2"})
    st.stripe("/_stripe/config", {"next_faults": []})
    assert r.returncode == -9, (r.returncode, r.stdout, r.stderr)
    st.stripe("/_stripe/forget-idempotency", {})
    r = st.bill("--month", month)
    assert r.returncode == 0, r.stdout + r.stderr
    r = st.bill("--month", month)
    assert r.returncode == 0 and "nothing sent" in r.stdout, r.stdout
    no_reports()


@test
def web_processes_survived():
    alive = [n for n, i in st.pids.items() if n.startswith("fcgi") and
             os.path.exists("/proc/%d" % i["pid"])]
    assert len(alive) == st.fcgi_children, st.pids
    diag("%d sanitized web processes still serving" % len(alive))


if __name__ == "__main__":
    run(setup=setup, teardown=st.stop)
