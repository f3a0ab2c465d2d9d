#!/usr/bin/env python3
"""The usage and costs pages against the simulator's truth, exactly: an
org's "Usage and costs" tab (month to date, its run-rate forecast, the
90 days of the chart, the top keys with their names, unmapped activity),
another tenant's 404, the tenant's spend across orgs, the keys page's
spend columns, and an evidence pack's usage.jsonl and costs.jsonl (their
sum, SHA256SUMS, verify).  Amounts are compared as decimals, never floats.
"""
import calendar
import hashlib
import html
import json
import os
import subprocess
import tarfile
import time
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, localcontext

from common import WebClient, new_stack
from tap import diag, run, test

st = new_stack("it-usage_pages")
S = {}
DAY = 86400
DAYS = 100
JSON = {"Accept": "application/json"}


def setup():
    st.start_db()
    st.start_sim("--users", "30", "--projects", "6", "--usage-keys", "50",
                 "--usage-days", str(DAYS), "--seed", "5")
    st.write_conf(usage_backfill_days=DAYS)
    st.init_orgaudit()
    st.start_web()
    S["ta"] = st.tenant("Usage A")
    S["tb"] = st.tenant("Usage B")
    _, S["pw"] = st.account(S["ta"], "owner@a.example", "owner")
    st.account(S["tb"], "owner@b.example", "owner", password=S["pw"])
    S["org"] = st.connect(S["ta"])
    r = st.collect("--org", str(S["org"]))
    assert r.returncode == 0, r.stdout + r.stderr[-2000:]
    S["truth"] = st.sim_get("/_sim/truth")
    now = int(time.time())
    S["today"] = now - now % DAY
    tm = time.gmtime(now)
    S["month"] = calendar.timegm((tm.tm_year, tm.tm_mon, 1, 0, 0, 0))
    S["elapsed"] = tm.tm_mday
    S["days"] = calendar.monthrange(tm.tm_year, tm.tm_mon)[1]


def client(email="owner@a.example"):
    return WebClient(st).login(email, S["pw"])


def page_json(c, path):
    status, _, body = c.get(path, headers=JSON)
    assert status == 200, (status, body[:300])
    return json.loads(body)


def costs():
    return S["truth"]["usage"]["costs"]["rows"]


def spend(since, until=None, key=None):
    """The truth's spend of the days in [since, until)."""
    return sum((Decimal(r["amount"]) for r in costs() if r["day"] >= since
                and (until is None or r["day"] < until) and
                (key is None or r["api_key_id"] == key)), Decimal(0))


def cents(d):
    return str(d.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@test
def the_usage_tab_renders_for_the_owner():
    status, _, body = client().get("/orgs/%d/usage" % S["org"])
    assert status == 200, status
    assert "<svg" in body and "<rect" in body and "<script" not in body
    assert 'href="/orgs/%d/usage" aria-current="page"' % S["org"] in body
    # The tab is among the org's tabs on its other pages too.
    _, _, body = client().get("/orgs/%d" % S["org"])
    assert 'href="/orgs/%d/usage"' % S["org"] in body


@test
def month_to_date_equals_the_truth_exactly():
    data = page_json(client(), "/orgs/%d/usage" % S["org"])["data"]
    want = spend(S["month"])
    assert want > 0, "the simulator has no spend this month"
    got = data["month"]["to_date"]
    assert Decimal(got["amount"]) == want, (got, want)
    assert got["display"] == cents(want), (got, want)
    assert got["currency"] == "usd"
    # The chart's 90 days, today's included.
    start = S["today"] - 89 * DAY
    assert Decimal(data["period"]["amount"]) == spend(start)
    shown = sum(1 for r in data["chart"]["bars"])
    assert shown > 0


@test
def the_forecast_is_the_run_rate_to_the_months_end():
    data = page_json(client(), "/orgs/%d/usage" % S["org"])["data"]
    m = data["month"]
    assert (m["elapsed_days"], m["days_in_month"]) == (S["elapsed"],
                                                       S["days"])
    with localcontext() as ctx:
        ctx.prec = 80
        want = (spend(S["month"]) * S["days"] / S["elapsed"]).quantize(
            Decimal("1e-18"), rounding=ROUND_DOWN)
    assert Decimal(m["forecast"]["amount"]) == want, (m["forecast"], want)
    assert m["forecast"]["display"] == cents(want)


@test
def top_keys_show_their_names_spend_and_owner():
    c = client()
    data = page_json(c, "/orgs/%d/usage" % S["org"])["data"]
    top = data["top_keys"]
    assert len(top) >= 5, top
    start = S["today"] - 29 * DAY       # as the keys page's spend
    amounts = [Decimal(k["spend"]["amount"]) for k in top]
    assert amounts == sorted(amounts, reverse=True)
    listed = {k["id"]: k for k in S["truth"]["api_keys"]}
    named = 0
    for k in top:
        assert Decimal(k["spend"]["amount"]) == spend(start, key=k[
            "api_key_id"]), k
        if k["api_key_id"] in listed:
            t = listed[k["api_key_id"]]
            assert k["listed"] and k["redacted_value"] == t[
                "expected_redacted"], (k, t)
            assert k["project_id"] == t["project_id"], (k, t)
            assert k["owner"]["id"] == t["owner_id"], (k, t)
            name = st.sql("SELECT name FROM oa_key WHERE org_id = %d AND"
                          " id = '%s' LIMIT 1" % (S["org"],
                                                  k["api_key_id"]))[0][0]
            assert k["name"] == name, (k, name)
            named += 1
        else:
            assert not k["listed"], k
    assert named > 0
    _, _, body = c.get("/orgs/%d/usage" % S["org"])
    for k in top:
        if k["listed"]:
            assert k["name_short"] in html.unescape(body), k["name_short"]
            assert k["redacted_value"] in body


@test
def unmapped_activity_equals_the_truth():
    data = page_json(client(), "/orgs/%d/usage" % S["org"])["data"]
    got = {(u["kind"], u["id"]): u for u in data["unmapped"]}
    want = {(u["kind"], u["id"]): u for u in S["truth"]["usage"]["unmapped"]}
    assert want, "the simulator planted no unmapped ids"
    assert set(got) == set(want), (sorted(got), sorted(want))
    for k, w in want.items():
        g = got[k]
        assert (g["first_day"], g["last_day"]) == (w["first_day"],
                                                   w["last_day"]), (g, w)
        assert Decimal(g["amount"]["amount"]) == Decimal(w["amount"]), (g, w)
        assert g["requests"] == w["requests"], (g, w)
    _, _, body = client().get("/orgs/%d/usage" % S["org"])
    for kind, oid in want:
        assert oid in body, oid


@test
def another_tenants_org_usage_is_404():
    b = client("owner@b.example")
    status, _, body = b.get("/orgs/%d/usage" % S["org"])
    assert status == 404, status
    data = page_json(b, "/usage")
    assert [o["id"] for o in data["orgs"]] == [], data
    status, h, _ = WebClient(st).get("/orgs/%d/usage" % S["org"])
    assert status == 303 and h["location"] == "/login", status


@test
def the_tenant_view_lists_each_orgs_spend():
    c = client()
    data = page_json(c, "/usage")
    rows = {o["id"]: o for o in data["orgs"]}
    o = rows[S["org"]]
    assert Decimal(o["month_to_date"]["amount"]) == spend(S["month"]), o
    assert Decimal(o["last_30_days"]["amount"]) == spend(
        S["today"] - 29 * DAY), o
    assert o["currency"] == "usd"
    _, _, body = c.get("/usage")
    assert 'href="/orgs/%d/usage"' % S["org"] in body
    assert cents(spend(S["month"])) in body
    _, _, body = c.get("/orgs")
    assert 'href="/usage"' in body


@test
def the_keys_page_shows_each_keys_spend():
    c = client()
    top = page_json(c, "/orgs/%d/usage" % S["org"])["data"]["top_keys"]
    kid = next(k["api_key_id"] for k in top if k["listed"])
    since = S["today"] - 29 * DAY
    want = spend(since, key=kid)
    keys = page_json(c, "/orgs/%d/keys?sort=name" % S["org"])
    rows = {k["id"]: k for k in keys["data"]["data"]}
    page = 1
    while kid not in rows and keys["data"].get("next_href"):
        page += 1
        keys = page_json(c, "/orgs/%d/keys?sort=name&page=%d" % (S["org"],
                                                                  page))
        rows.update({k["id"]: k for k in keys["data"]["data"]})
    k = rows[kid]
    assert Decimal(k["spend_30d"] or "0") == want, (k["spend_30d"], want)
    assert isinstance(k["requests_30d"], int) and k["last_usage_day"], k
    assert any(r.get("spend_30d") == "0" for r in rows.values()) or \
        len(rows) <= 14
    _, _, body = c.get("/orgs/%d/keys?sort=name&page=%d" % (S["org"], page))
    assert "Spend 30d" in body and cents(want) in body


@test
def a_pack_holds_the_periods_usage_and_costs_and_verifies():
    start = S["today"] - 40 * DAY
    end = int(time.time())      # a pack ends after a pull
    out = st.path("usage-pack.tar.gz")
    st.cli("pack", "create", "--org", str(S["org"]), "--start", str(start),
           "--end", str(end), "--out", out)
    files = {}
    with tarfile.open(out, "r:gz") as t:
        for m in t.getmembers():
            files[m.name.split("/", 1)[1]] = t.extractfile(m).read()
    cost_rows = [json.loads(x) for x in files["costs.jsonl"].splitlines()]
    usage_rows = [json.loads(x) for x in files["usage.jsonl"].splitlines()]
    assert cost_rows and usage_rows
    got = sum((Decimal(r["amount"]) for r in cost_rows), Decimal(0))
    assert got == spend(start, end), (got, spend(start, end))
    assert all(isinstance(r["amount"], str) and start <= r["day"] < end
               for r in cost_rows)
    assert set(cost_rows[0]) == {"day", "project_id", "line_item",
                                 "api_key_id", "amount", "currency"}
    assert {"day", "endpoint", "project_id", "user_id", "api_key_id",
            "model", "counters"} == set(usage_rows[0])
    want = sum(1 for e in S["truth"]["usage"]["rows"].values() for r in e
               if start <= r["day"] < end)
    assert len(usage_rows) == want, (len(usage_rows), want)
    sums = {ln.split("  ", 1)[1]: ln.split("  ", 1)[0] for ln in
            files["SHA256SUMS"].decode().splitlines()}
    man = json.loads(files["manifest.json"])
    listed = {f["name"]: f for f in man["files"]}
    for name in ("usage.jsonl", "costs.jsonl"):
        assert sums[name] == hashlib.sha256(files[name]).hexdigest(), name
        assert listed[name]["sha256"] == sums[name], name
        assert listed[name]["records"] == len(files[name].splitlines())
    fp = st.api("/api/v1/signing-key", None)["fingerprint"]
    r = st.cli("pack", "verify", out, "--fingerprint", fp, check=False)
    assert r.returncode == 0 and "pack verifies" in r.stdout, r.stdout
    # A changed cost line is caught.
    bad = st.path("usage-pack-bad.tar.gz")
    ex = st.path("usage-pack-x")
    os.makedirs(ex, exist_ok=True)
    subprocess.run(["tar", "xzf", out, "-C", ex], check=True)
    top = os.listdir(ex)[0]
    p = os.path.join(ex, top, "costs.jsonl")
    data = open(p, "rb").read()
    open(p, "wb").write(data.replace(b'"amount":"', b'"amount":"1', 1))
    subprocess.run(["tar", "czf", bad, "-C", ex, top], check=True)
    r = st.cli("pack", "verify", bad, "--fingerprint", fp, check=False)
    assert r.returncode == 1 and "costs.jsonl" in r.stdout + r.stderr, \
        r.stdout


def reads():
    """Rows the whole server has read so far (every Handler_read_*)."""
    return sum(int(v) for _, v in st.mariadb(
        "SHOW GLOBAL STATUS LIKE 'Handler_read%'"))


@test
def the_page_and_the_costs_api_read_the_rollups_not_the_buckets():
    """Rows read for one answer, counted by MariaDB: the day and project
    roll-ups and the per-key and unmapped tables are a few rows a day,
    while summing the buckets would read every one of them."""
    org = S["org"]
    buckets = sum(int(st.sql("SELECT COUNT(*) FROM %s WHERE org_id = %d"
                             % (t, org))[0][0])
                  for t in ("cost_bucket", "usage_bucket"))
    # Summing the buckets, the page read each of them (its unmapped list
    # several times) and the two answers every day and project's row.
    bound = {"the usage page": 1500, "costs by project": 100,
             "costs by day": 150}
    assert buckets > 2 * bound["the usage page"], buckets
    c = client()
    tok = st.token(S["ta"], "plans")
    since = time.strftime("%Y-%m-%d", time.gmtime(S["today"] - 89 * DAY))
    until = time.strftime("%Y-%m-%d", time.gmtime(S["today"] + DAY))
    base = "/api/v1/openai/orgs/%d/costs?since=%s&until=%s&group_by=" % (
        org, since, until)
    for what, get in (
            ("the usage page", lambda: c.get("/orgs/%d/usage" % org)),
            ("costs by project", lambda: st.http("GET", base + "project",
                                                 token=tok)),
            ("costs by day", lambda: st.http("GET", base + "day",
                                             token=tok))):
        idle = reads()
        idle = reads() - idle
        before = reads()
        status = get()[0]
        n = reads() - before - idle
        assert status == 200, (what, status)
        assert n <= bound[what], "%s read %d rows of %d buckets" % (
            what, n, buckets)
        diag("%s read %d rows (%d buckets stored)" % (what, n, buckets))


if __name__ == "__main__":
    run(setup=setup, teardown=st.stop)
