#!/usr/bin/env python3
"""The data path end to end, with real parts: the simulator's org pulled by
orgaudit-collect into a private MariaDB, read back through nginx and the
FastCGI program, compared with the simulator's ground truth.  Also tenant
isolation, the API's handling of malformed input, and the privacy canary:
no email and no admin key in MariaDB, in any log or in any response.
"""
import json
import os
import subprocess
import threading
import time

from common import (CANARY_DOMAIN, USAGE_STREAMS, admin_canary, all_keys,
                    dump, grep_bytes, ids, jdump, new_stack, run_streams,
                    truth)
from tap import diag, run, test

st = new_stack("it-datapath")
S = {}                      # what the tests share: tokens, org ids
seen_bodies = []            # every response body and CLI output, for canaries


def api(path, token=None, expect=200):
    status, headers, body = st.http("GET", path, token=token or S["tok_a"])
    seen_bodies.append(body)
    assert status == expect, "GET %s: %d (wanted %d): %s" % (
        path, status, expect, body[:300])
    return json.loads(body), headers


def cli(*args, check=True):
    r = st.cli(*args, check=check)
    seen_bodies.append((r.stdout + r.stderr).encode())
    return r


def setup():
    st.start_db()
    st.start_sim("--users", "30", "--projects", "8", "--keys-per-project",
                 "8", "--seed", "11", "--email-domain", CANARY_DOMAIN)
    st.write_conf(collect_concurrency=8)
    st.init_orgaudit()
    st.start_web()


@test
def migrate_twice_changes_nothing():
    before = st.sql("SELECT version, name, applied_at FROM schema_version"
                    " ORDER BY version")
    r = cli("migrate")
    assert "nothing to do" in r.stdout, r.stdout
    assert st.sql("SELECT version, name, applied_at FROM schema_version"
                  " ORDER BY version") == before
    assert len(before) >= 2


@test
def every_customer_table_carries_the_tenant():
    tables = [r[0] for r in st.sql(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = 'orgaudit'")]
    with_tenant = {r[0] for r in st.sql(
        "SELECT table_name FROM information_schema.columns"
        " WHERE table_schema = 'orgaudit' AND column_name = 'tenant_id'")}
    # Not customer data: the schema's version, the tenants themselves,
    # failed-login counters keyed by a hash of a login or an address, and
    # the lock rows of the billing run and migrations.
    missing = [t for t in tables if t not in with_tenant
               and t not in ("schema_version", "tenant", "login_throttle",
                             "orgaudit_lock")]
    assert not missing, "tables without tenant_id: %s" % missing


@test
def every_table_has_a_primary_key():
    # Galera replicates rows by their key: a table without one is not
    # refused, but its rows may differ between nodes.
    bare = st.sql(
        "SELECT t.table_name FROM information_schema.tables t"
        " WHERE t.table_schema = 'orgaudit' AND t.table_type = 'BASE TABLE'"
        " AND NOT EXISTS (SELECT 1 FROM information_schema.table_constraints"
        " c WHERE c.table_schema = t.table_schema AND c.table_name ="
        " t.table_name AND c.constraint_type = 'PRIMARY KEY')")
    assert not bare, "tables without a primary key: %s" % bare
    engines = st.sql(
        "SELECT table_name, engine FROM information_schema.tables"
        " WHERE table_schema = 'orgaudit' AND table_type = 'BASE TABLE'"
        " AND engine <> 'InnoDB'")
    assert not engines, "tables Galera does not replicate: %s" % engines


@test
def connect_refuses_other_key_types_before_any_request():
    S["tenant_a"] = st.tenant("Tenant A")
    st.sim_post("/_sim/stats/reset", {})
    for key, word in (("sk-proj-" + "A" * 40 + "abcd", "project"),
                      ("sk-svcacct-" + "B" * 40 + "abcd", "service account"),
                      ("sk-" + "C" * 48, "legacy"),
                      ("not-a-key-at-all", "not an OpenAI")):
        path = st.path("etc", "wrong.key")
        with open(path, "w") as f:
            f.write(key + "\n")
        r = cli("org", "connect", "--tenant", str(S["tenant_a"]),
                "--key-file", path, check=False)
        assert r.returncode == 3, (key, r.returncode, r.stderr)
        assert word in r.stderr, (word, r.stderr)
        assert key not in r.stdout + r.stderr
    assert st.sim_get("/_sim/stats")["requests"] == 0, \
        "a refused key reached the network"
    assert st.sql("SELECT COUNT(*) FROM org")[0][0] == "0"


@test
def connect_with_a_revoked_admin_key_is_refused_by_openai():
    path = st.path("etc", "wrong.key")
    bad = "sk-admin-" + "R" * 40 + "Wx9z"
    with open(path, "w") as f:
        f.write(bad + "\n")
    r = cli("org", "connect", "--tenant", str(S["tenant_a"]),
            "--key-file", path, check=False)
    assert r.returncode == 3, (r.returncode, r.stderr)
    assert "rejected the key" in r.stderr, r.stderr
    assert "R" * 20 not in r.stdout + r.stderr, "the key was echoed"
    assert st.sql("SELECT COUNT(*) FROM org")[0][0] == "0"


@test
def connect_prints_checklist_and_seals_the_key():
    r = cli("org", "connect", "--tenant", str(S["tenant_a"]), "--key-file",
            st.path("etc", "admin.key"), "--name", "Org A")
    S["org_a"] = int(r.stdout.strip().splitlines()[-1])
    for label in ("admin key accepted", "users", "projects",
                  "project API keys", "audit logs", "admin API keys",
                  "costs"):
        assert label in r.stdout, (label, r.stdout)
    sealed = st.sql("SELECT HEX(key_sealed), key_hint FROM org WHERE id = %d"
                    % S["org_a"])[0]
    assert sealed[1] == "sk-admin-\u2026" + st.admin_key[-4:], sealed
    # Sealed to the tenant's public key: version byte 2, the ephemeral
    # X25519 public key, 12-byte nonce, ciphertext as long as the key, tag.
    assert sealed[0][:2] == "02"
    assert len(sealed[0]) // 2 == 1 + 32 + 12 + len(st.admin_key) + 16
    assert admin_canary(st).encode().hex().upper() not in sealed[0]
    S["tok_a"] = st.token(S["tenant_a"], "tenant a")


@test
def collect_matches_ground_truth():
    r = st.collect("--org", str(S["org_a"]))
    assert r.returncode == 0, r.stderr
    t = truth(st)
    keys = all_keys(st, S["tok_a"], S["org_a"])
    assert ids(keys) == sorted(k["id"] for k in t["api_keys"] +
                               t["admin_api_keys"])
    got_stale = ids(k for k in keys if k["stale"])
    got_orphan = ids(k for k in keys if k["orphan"])
    assert got_stale == sorted(t["stale"]), (got_stale, t["stale"])
    assert got_orphan == sorted(t["orphan"]), (got_orphan, t["orphan"])
    # Each is visible with its reason.
    for k in keys:
        kinds = [f["kind"] for f in k["findings"]]
        assert ("stale" in kinds) == k["stale"]
        assert ("orphan" in kinds) == k["orphan"]
        assert all(f["reason"] for f in k["findings"])
    diag("%d keys, %d stale, %d orphan" % (len(keys), len(got_stale),
                                           len(got_orphan)))


@test
def keys_are_redacted_to_type_and_last_four():
    t = truth(st)
    want = {k["id"]: (k["expected_redacted"], k.get("type", "admin"))
            for k in t["api_keys"] + t["admin_api_keys"]}
    for k in all_keys(st, S["tok_a"], S["org_a"]):
        assert k["redacted_value"] == want[k["id"]][0], (k, want[k["id"]])
        assert k["type"] == want[k["id"]][1], (k["type"], want[k["id"]])
    types = {k["type"] for k in all_keys(st, S["tok_a"], S["org_a"])}
    assert types == {"admin", "project", "service_account", "user"}, types


@test
def filters_select_the_truth():
    t = truth(st)
    org = S["org_a"]
    assert ids(all_keys(st, S["tok_a"], org, "stale=true")) == \
        sorted(t["stale"])
    assert ids(all_keys(st, S["tok_a"], org, "orphan=true")) == \
        sorted(t["orphan"])
    both = sorted(set(t["stale"]) & set(t["orphan"]))
    assert ids(all_keys(st, S["tok_a"], org, "stale=true&orphan=true")) == \
        both
    fresh = sorted(k["id"] for k in t["api_keys"] + t["admin_api_keys"]
                   if not k["stale"])
    assert ids(all_keys(st, S["tok_a"], org, "stale=false")) == fresh
    svc = sorted(k["id"] for k in t["api_keys"]
                 if k["type"] == "service_account")
    assert ids(all_keys(st, S["tok_a"], org, "type=service_account")) == svc
    assert ids(all_keys(st, S["tok_a"], org, "type=admin")) == \
        sorted(k["id"] for k in t["admin_api_keys"])
    proj = t["api_keys"][0]["project_id"]
    assert ids(all_keys(st, S["tok_a"], org, "project=" + proj)) == sorted(
        k["id"] for k in t["api_keys"] if k["project_id"] == proj)


@test
def paging_returns_every_key_once():
    everything = ids(all_keys(st, S["tok_a"], S["org_a"]))
    for limit in (1, 7, 50):
        walked = [k["id"] for k in all_keys(st, S["tok_a"], S["org_a"],
                                            limit=limit)]
        assert sorted(walked) == everything, limit
        assert len(walked) == len(set(walked)), "a key came twice"
    page, _ = api("/api/v1/openai/orgs/%d/keys?limit=5" % S["org_a"])
    assert len(page["data"]) == 5 and page["next_cursor"]


@test
def users_projects_and_org_match_truth():
    t = truth(st)
    org = S["org_a"]
    users, cursor = [], None
    while True:
        page, _ = api("/api/v1/openai/orgs/%d/users?limit=7%s" % (
            org, "&cursor=" + cursor if cursor else ""))
        users += page["data"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert ids(users) == sorted(t["users"])
    for u in users:
        assert len(u["email_sha256"]) == 64 and len(u["email_prefix"]) == 4
    projects, _ = api("/api/v1/openai/orgs/%d/projects?limit=200" % org)
    assert ids(projects["data"]) == sorted(t["projects"])
    archived = ids(p for p in projects["data"] if p["status"] == "archived")
    assert archived == sorted(t["archived_projects"])
    o, _ = api("/api/v1/openai/orgs/%d" % org)
    assert o["counts"]["users"] == len(t["human_users"]), o["counts"]
    assert o["counts"]["projects"] == len(t["active_projects"])
    assert o["counts"]["stale_keys"] == len(t["stale"])
    assert o["counts"]["orphan_keys"] == len(t["orphan"])
    assert o["last_run"]["status"] == "ok"
    assert {s["stream"] for s in o["streams"]} == {
        "users", "projects", "api_keys", "service_accounts",
        "project_users", "admin_api_keys", "invites", "model_permissions", "project_spend_alerts", "spend_alerts",
        "data_retention", "project_data_retention", "rate_limits", "roles",
        "user_roles"}


def walk(path, limit=3):
    """Every row of a list, following next_cursor with a small limit."""
    out, cursor = [], None
    while True:
        page, _ = api("%s%slimit=%d%s" % (path, "&" if "?" in path else "?",
                                          limit, "&cursor=" + cursor
                                          if cursor else ""))
        out += page["data"]
        cursor = page["next_cursor"]
        if not cursor:
            return out


@test
def service_accounts_admin_keys_invites_and_members_match_truth():
    t = truth(st)
    org = S["org_a"]
    base = "/api/v1/openai/orgs/%d" % org
    sas = walk(base + "/service-accounts")
    assert ids(sas) == t["service_accounts"]
    for sa in sas:
        assert sa["object"] == "orgaudit.service_account"
        assert sa["project"]["id"] in t["active_projects"], sa
        assert sa["project"]["name"], sa
    one = sas[0]["project"]["id"]
    assert ids(walk(base + "/service-accounts?project=" + one)) == \
        ids(s for s in sas if s["project"]["id"] == one)
    admins = walk(base + "/admin-keys", limit=1)
    truth_admin = {k["id"]: k for k in t["admin_api_keys"]}
    assert ids(admins) == sorted(truth_admin)
    for k in admins:
        assert k["kind"] == "admin_api_key" and k["project"] is None
        assert k["stale"] == truth_admin[k["id"]]["stale"], k
        assert k["orphan"] == truth_admin[k["id"]]["orphan"], k
        assert k["redacted_value"] == truth_admin[k["id"]]["expected_redacted"]
    assert ids(walk(base + "/admin-keys?stale=true")) == sorted(
        i for i, k in truth_admin.items() if k["stale"])
    invites = walk(base + "/invites", limit=2)
    assert ids(invites) == t["invites"]
    for status in ("pending", "accepted", "expired"):
        assert ids(walk(base + "/invites?status=" + status)) == ids(
            i for i in invites if i["status"] == status)
    for i in invites:
        assert len(i["email_prefix"]) == 4 and len(i["email_sha256"]) == 64
    # Members: every project's, as the last pull stored them.
    for project in t["active_projects"]:
        members = walk(base + "/projects/%s/members" % project)
        stored = st.sql("SELECT user_id FROM oa_project_user m JOIN"
                        " org_stream s ON s.org_id = m.org_id AND"
                        " s.stream = 'project_users' AND s.gen = m.gen"
                        " WHERE m.org_id = %d AND m.project_id = '%s'"
                        " ORDER BY user_id" % (org, project))
        assert ids(members) == [r[0] for r in stored], project
        assert members and all(m["project_id"] == project for m in members)
    # A project nobody knows has no members; a malformed one is refused.
    page, _ = api(base + "/projects/proj_nothere/members")
    assert page["data"] == []
    api(base + "/projects/a%20b/members", expect=400)
    api(base + "/invites?status=lost", expect=400)
    api(base + "/admin-keys?type=admin", expect=400)


@test
def runs_record_every_stream():
    run, streams = run_streams(st, S["tok_a"], S["org_a"])
    assert run["status"] == "ok" and run["requests"] > 0, run
    assert set(streams) == {"users", "projects", "api_keys",
                            "service_accounts", "project_users",
                            "admin_api_keys", "invites", "audit_logs",
                            "model_permissions", "project_spend_alerts",
                            "spend_alerts", "data_retention",
                            "project_data_retention", "rate_limits",
                            "roles", "user_roles"} | set(USAGE_STREAMS)
    for s in streams.values():
        assert s["status"] == "ok" and s["pages"] >= 1, s
        assert s["duration_ms"] is not None and s["error"] is None
    assert streams["users"]["rows"] == len(truth(st)["users"])


@test
def cli_keys_table_lists_findings():
    r = cli("keys", "--org", str(S["org_a"]), "--stale")
    t = truth(st)
    lines = r.stdout.strip().splitlines()
    assert lines[0].startswith("KEY ID"), lines[0]
    listed = sorted(line.split()[0] for line in lines[1:-1])
    assert listed == sorted(t["stale"]), (listed, t["stale"])
    assert "stale:" in r.stdout
    assert lines[-1].startswith("%d keys, %d stale" % (len(t["stale"]),
                                                       len(t["stale"])))
    r = cli("keys", "--org", str(S["org_a"]), "--orphan")
    listed = sorted(line.split()[0] for line in
                    r.stdout.strip().splitlines()[1:-1])
    assert listed == sorted(t["orphan"])


@test
def second_pull_after_a_change_replaces_the_snapshot():
    old = truth(st)
    new = st.sim_post("/_sim/mutate", {"seed": 5})
    assert sorted(new["stale"]) != sorted(old["stale"]) or \
        sorted(new["orphan"]) != sorted(old["orphan"])
    r = st.collect("--org", str(S["org_a"]))
    assert r.returncode == 0, r.stderr
    keys = all_keys(st, S["tok_a"], S["org_a"])
    assert ids(keys) == sorted(k["id"] for k in new["api_keys"] +
                               new["admin_api_keys"])
    assert ids(k for k in keys if k["stale"]) == sorted(new["stale"])
    assert ids(k for k in keys if k["orphan"]) == sorted(new["orphan"])
    # Only the current generation is left in the tables.
    for table in ("oa_user", "oa_project", "oa_service_account",
                  "oa_project_user", "oa_invite"):
        gens = st.sql("SELECT COUNT(DISTINCT gen) FROM %s WHERE org_id = %d"
                      % (table, S["org_a"]))[0][0]
        assert gens == "1", (table, gens)
    users, _ = api("/api/v1/openai/orgs/%d/users?limit=200" % S["org_a"])
    assert ids(users["data"]) == sorted(new["users"])


@test
def readers_never_see_half_a_pull():
    """While a slow pull replaces the snapshot, every read is one pull."""
    before = ids(all_keys(st, S["tok_a"], S["org_a"]))
    after_truth = st.sim_post("/_sim/mutate", {"seed": 6})
    after = sorted(k["id"] for k in after_truth["api_keys"] +
                   after_truth["admin_api_keys"])
    assert before != after
    st.sim_post("/_sim/config", {"latency_ms": 40})
    seen, stop = [], threading.Event()

    def reader():
        while not stop.is_set():
            page, _ = api("/api/v1/openai/orgs/%d/keys?limit=200"
                          % S["org_a"])
            assert page["next_cursor"] is None
            seen.append(ids(page["data"]))

    th = threading.Thread(target=reader)
    th.start()
    try:
        r = st.collect("--org", str(S["org_a"]), "--concurrency", "2")
    finally:
        stop.set()
        th.join()
        st.sim_post("/_sim/config", {"latency_ms": 0})
    assert r.returncode == 0, r.stderr
    assert len(seen) > 5, "the reader did not overlap the pull"
    odd = [s for s in seen if s not in (before, after)]
    assert not odd, "a read saw a mix of two pulls (%d of %d reads)" % (
        len(odd), len(seen))
    assert seen[-1] == after or ids(all_keys(st, S["tok_a"],
                                             S["org_a"])) == after
    diag("%d reads during the pull: %d old, %d new" % (
        len(seen), seen.count(before), seen.count(after)))


@test
def tenant_b_cannot_read_tenant_a():
    S["tenant_b"] = st.tenant("Tenant B")
    S["tok_b"] = st.token(S["tenant_b"], "tenant b")
    S["org_b"] = st.connect(S["tenant_b"], name="Org B")
    orgs, _ = api("/api/v1/openai/orgs", S["tok_b"])
    assert [o["id"] for o in orgs["data"]] == [S["org_b"]]
    orgs, _ = api("/api/v1/openai/orgs", S["tok_a"])
    assert [o["id"] for o in orgs["data"]] == [S["org_a"]]
    for sub in ("", "/keys", "/users", "/projects", "/runs",
                "/keys?stale=true"):
        body, _ = api("/api/v1/openai/orgs/%d%s" % (S["org_a"], sub),
                      S["tok_b"], expect=404)
        assert body["error"]["code"] == "not_found"
        api("/api/v1/openai/orgs/%d%s" % (S["org_b"], sub), S["tok_a"],
            expect=404)
    # An org that does not exist answers exactly like another tenant's.
    a, _ = api("/api/v1/openai/orgs/999999/keys", S["tok_b"], expect=404)
    b, _ = api("/api/v1/openai/orgs/%d/keys" % S["org_a"], S["tok_b"],
               expect=404)
    assert a["error"]["code"] == b["error"]["code"]


@test
def tokens_are_required_and_checked():
    for headers in ({}, {"Authorization": "Basic Zm9vOmJhcg=="},
                    {"Authorization": "Bearer "},
                    {"Authorization": "Bearer oat_" + "x" * 43},
                    {"Authorization": "Bearer " + S["tok_a"][:-1]},
                    {"Authorization": "Bearer " + S["tok_a"] + "x"}):
        status, h, body = st.http("GET", "/api/v1/openai/orgs",
                                  headers=headers)
        assert status == 401, (headers, status)
        assert json.loads(body)["error"]["code"] == "unauthorized"
        assert "bearer" in h.get("www-authenticate", "").lower()
    tok = st.token(S["tenant_a"], "to revoke")
    api("/api/v1/openai/orgs", tok)
    tid = st.sql("SELECT MAX(id) FROM api_token")[0][0]
    cli("token", "revoke", tid)
    api("/api/v1/openai/orgs", tok, expect=401)
    # Only the hash is stored.
    assert not st.sql("SELECT id FROM api_token WHERE token_hash = '%s'"
                      % tok)


@test
def malformed_requests_get_4xx_in_the_error_envelope():
    org = S["org_a"]
    cases = [
        ("GET", "/api/v1/openai/orgs/abc/keys", 400),
        ("GET", "/api/v1/openai/orgs/-1/keys", 400),
        ("GET", "/api/v1/openai/orgs/0/keys", 400),
        ("GET", "/api/v1/openai/orgs/99999999999999999999999/keys", 400),
        ("GET", "/api/v1/openai/orgs/%d/nothing" % org, 404),
        ("GET", "/api/v1/nothing", 404),
        ("GET", "/api/v1/openai/orgs/%d/keys/" % org, 404),
        ("GET", "/api/v1/openai/orgs/%d/keys?limit=0" % org, 400),
        ("GET", "/api/v1/openai/orgs/%d/keys?limit=100000" % org, 400),
        ("GET", "/api/v1/openai/orgs/%d/keys?limit=abc" % org, 400),
        ("GET", "/api/v1/openai/orgs/%d/keys?stale=yes" % org, 400),
        ("GET", "/api/v1/openai/orgs/%d/keys?type=wizard" % org, 400),
        ("GET", "/api/v1/openai/orgs/%d/keys?project=a%%2Fb" % org, 400),
        ("GET", "/api/v1/openai/orgs/%d/keys?sort=id" % org, 400),
        ("GET", "/api/v1/openai/orgs/%d/keys?limit=5&limit=6" % org, 400),
        ("GET", "/api/v1/openai/orgs/%d/keys?cursor=%%zz" % org, 400),
        ("GET", "/api/v1/openai/orgs/%d/keys?cursor=AAAA" % org, 400),
        ("GET", "/api/v1/openai/orgs/%d/keys?stale=%%00" % org, 400),
        ("GET", "/api/v1/openai/orgs/%d/users?stale=true" % org, 400),
        ("GET", "/api/v1/openai/orgs/%d/keys?" % org + "a=b&" * 600, 414),
        ("GET", "/api/v1/openai/orgs/%d/keys?x=" % org + "y" * 9000, 414),
        ("POST", "/api/v1/openai/orgs/%d/keys" % org, 405),
        ("DELETE", "/api/v1/openai/orgs/%d" % org, 405),
        ("PUT", "/api/v1/openai/orgs", 405),
    ]
    # A cursor from one list is refused by another.
    page, _ = api("/api/v1/openai/orgs/%d/users?limit=1" % org)
    cases.append(("GET", "/api/v1/openai/orgs/%d/keys?cursor=%s" % (
        org, page["next_cursor"]), 400))
    for method, path, want in cases:
        status, h, body = st.http(method, path, token=S["tok_a"])
        seen_bodies.append(body)
        assert status == want, (method, path[:90], status, body[:200])
        err = json.loads(body)["error"]
        assert set(err) >= {"code", "message"}, err
        assert h["content-type"].startswith("application/json")
        for word in ("SQL", "mysql", "MariaDB", ".c:", "Traceback"):
            assert word not in err["message"], err
    status, h, _ = st.http("POST", "/api/v1/openai/orgs", token=S["tok_a"])
    assert "GET" in h.get("allow", ""), h
    # Outside /api/v1 is the dashboard: its 404 is a page.
    status, h, body = st.http("GET", "/elsewhere")
    assert status == 404 and h["content-type"].startswith("text/html")


@test
def responses_carry_security_headers():
    for path, tok in (("/api/v1/openai/orgs", S["tok_a"]),
                      ("/api/v1/openai/orgs", None), ("/nowhere", None)):
        _, h, _ = st.http("GET", path, token=tok)
        assert h.get("x-content-type-options") == "nosniff", (path, h)
        assert "frame-ancestors 'none'" in h.get(
            "content-security-policy", ""), h
        assert "max-age" in h.get("strict-transport-security", "")
        assert h.get("x-frame-options") == "DENY"


@test
def leased_orgs_are_pulled_once_by_concurrent_collectors():
    # Both orgs were last pulled long ago, so both are due.
    st.sql("UPDATE org SET collected_at_ms = 0, inventory_at = 0,"
           " usage_at = 0")
    runs_before = int(st.sql("SELECT MAX(id) FROM collect_run")[0][0])
    st.sim_post("/_sim/config", {"latency_ms": 30})
    procs = [subprocess.Popen([st.bin("orgaudit-collect"), "--all"],
                              env=st.env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
             for _ in range(3)]
    outs = [p.communicate(timeout=120) for p in procs]
    st.sim_post("/_sim/config", {"latency_ms": 0})
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
    rows = st.sql("SELECT org_id, COUNT(*) FROM collect_run WHERE id > %d"
                  " GROUP BY org_id ORDER BY org_id" % runs_before)
    assert rows == [[str(S["org_a"]), "1"], [str(S["org_b"]), "1"]], rows
    # And a pass right after finds nothing due.
    r = st.collect("--all")
    assert r.returncode == 0 and r.stdout == "", (r.stdout, r.stderr)
    assert sorted(int(x.split()[1].rstrip(":")) for o, _ in outs
                  for x in o.splitlines() if x.startswith("org ")) == \
        sorted([S["org_a"], S["org_b"]])
    assert st.sql("SELECT COUNT(*) FROM org WHERE lease_owner IS NOT NULL")[
        0][0] == "0"


@test
def collect_usage_errors_exit_2():
    for args in ((), ("--org", "x"), ("--org", "1", "--all"), ("--bogus",)):
        r = st.collect(*args)
        assert r.returncode == 2, (args, r.returncode)
        assert "usage" in r.stderr or "--org" in r.stderr
    r = subprocess.run([st.bin("orgaudit-collect"), "--all"],
                       env=dict(st.env(), ORGAUDIT_CONF="/nonexistent.conf"),
                       capture_output=True, text=True)
    assert r.returncode == 2 and "/nonexistent.conf" in r.stderr
    r = st.collect("--org", "424242")
    assert r.returncode == 1 and "no org 424242" in r.stderr
    for b in ("orgaudit", "orgaudit-collect"):
        r = subprocess.run([st.bin(b), "--help"], capture_output=True,
                           text=True)
        assert r.returncode == 0 and "usage" in r.stdout
    r = subprocess.run([st.bin("orgaudit.fcgi"), "--help"],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "usage" in r.stdout


@test
def disconnect_stops_collection_and_erases_the_key():
    tenant = st.tenant("Tenant C")
    org = st.connect(tenant, name="Org C")
    r = cli("org", "disconnect", "--tenant", str(tenant), "--org", str(org))
    assert "disconnected" in r.stdout
    assert st.sql("SELECT status, LENGTH(key_sealed) FROM org WHERE id = %d"
                  % org) == [["disconnected", "0"]]
    r = st.collect("--org", str(org))
    assert r.returncode == 1 and "disconnected" in r.stderr


@test
def no_email_or_admin_key_anywhere():
    """The canaries: MariaDB (dump and raw files), logs, responses."""
    canary_key = admin_canary(st)
    emails = truth(st)["emails"]
    assert emails and all(e.endswith(CANARY_DOMAIN) for e in emails)
    d = dump(st)
    assert CANARY_DOMAIN not in d, "an email reached MariaDB"
    assert canary_key not in d, "the admin key reached MariaDB"
    assert "@" not in "".join(line for line in d.splitlines()
                              if line.startswith("INSERT INTO `oa_")), \
        "something like an email is stored"
    assert not grep_bytes(st.path("mysql", "data"), CANARY_DOMAIN), \
        "an email is in MariaDB's files"
    assert not grep_bytes(st.path("mysql", "data"), canary_key)
    for log in os.listdir(st.path("logs")):
        if log.startswith("sim"):
            continue        # the simulator is OpenAI's side, not ours
        p = st.path("logs", log)
        assert not grep_bytes(p, CANARY_DOMAIN), "email in " + log
        assert not grep_bytes(p, canary_key), "admin key in " + log
    for body in seen_bodies:
        assert CANARY_DOMAIN.encode() not in body
        assert canary_key.encode() not in body
    diag("checked %d responses and CLI outputs, %d log files" % (
        len(seen_bodies), len(os.listdir(st.path("logs")))))


if __name__ == "__main__":
    run(setup=setup, teardown=st.stop)
