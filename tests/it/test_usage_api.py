#!/usr/bin/env python3
"""The usage and costs API (issue 10): /costs and /usage of an org summed
by the fields asked for, exactly against the simulator's truth (amounts as
decimals, never floats); rows add up to the total, costs without a key or
project are their own null row; the keys list carries each key's spend,
requests and last usage day and its usage findings, and filters by them;
bad days, groups and endpoints are 400s in the envelope; another tenant's
org answers like one that does not exist.
"""
import time
from decimal import Decimal

from common import USAGE_ENDPOINTS as ENDPOINTS, all_keys, new_stack
from tap import run, test

st = new_stack("it-usage_api")
S = {}
DAYS = 100
COST_FIELDS = {"day": "day", "project": "project_id",
               "line_item": "line_item", "api_key": "api_key_id"}
DIMS = ("day", "project_id", "user_id", "api_key_id", "model")
REQUEST_KINDS = ("completions", "embeddings", "moderations", "images",
                 "audio_speeches", "audio_transcriptions", "web_search_calls")


def setup():
    st.start_db()
    st.start_sim("--users", "30", "--projects", "6", "--usage-keys", "14",
                 "--usage-days", str(DAYS), "--seed", "7")
    st.write_conf(usage_backfill_days=DAYS)
    st.init_orgaudit()
    S["tenant"] = st.tenant("Usage API Inc")
    S["org"] = st.connect(S["tenant"])
    S["tok"] = st.token(S["tenant"])
    r = st.collect("--org", str(S["org"]))
    assert r.returncode == 0, r.stdout + r.stderr[-2000:]
    st.start_web()
    S["truth"] = st.sim_get("/_sim/truth")["usage"]
    now = int(time.time())
    S["since"] = day_of(S["truth"]["window"]["start"])
    S["until"] = day_of(now - now % 86400 + 86400)


def day_of(t):
    return time.strftime("%Y-%m-%d", time.gmtime(t))


def base(org=None):
    return "/api/v1/openai/orgs/%d" % (org or S["org"])


def costs(group_by=None, since=None, until=None):
    q = "since=%s&until=%s" % (since or S["since"], until or S["until"])
    if group_by:
        q += "&group_by=" + group_by
    return st.api(base() + "/costs?" + q, S["tok"])


def usage(endpoint, group_by):
    return st.api(base() + "/usage?endpoint=%s&since=%s&until=%s&group_by=%s"
                  % (endpoint, S["since"], S["until"], group_by), S["tok"])


def amount(text):
    """An amount as served: a string with no exponent or trailing zeros."""
    assert isinstance(text, str), text
    assert "e" not in text.lower() and text == text.strip(), text
    if "." in text:
        assert not text.endswith("0") and not text.endswith("."), text
    return Decimal(text)


def error_code(path, token=None, expect=400):
    status, _, body = st.http("GET", path, token=token or S["tok"])
    assert status == expect, (path, status, body[:200])
    import json
    return json.loads(body)["error"]


@test
def costs_in_total_equal_the_truth():
    got = costs()
    want = Decimal(S["truth"]["costs"]["total"])
    assert amount(got["total"]) == want, (got["total"], want)
    assert len(got["data"]) == 1
    row = got["data"][0]
    assert amount(row["amount"]) == want
    assert row["currency"] == "usd"
    assert all(row[f] is None for f in COST_FIELDS.values())


@test
def costs_per_project_line_item_key_and_day_equal_the_truth():
    totals = S["truth"]["costs"]["totals"]
    for g, field in COST_FIELDS.items():
        got = costs(g)
        want = {e[field]: Decimal(e["amount"]) for e in totals[field]}
        if g == "day":
            want = {day_of(d): a for d, a in want.items()}
        rows = {r[field]: amount(r["amount"]) for r in got["data"]}
        assert len(rows) == len(got["data"]), g
        assert rows == want, (g, sorted(set(rows) ^ set(want), key=str)[:4])
        # Every other field is null, and the rows add up to the total.
        for r in got["data"]:
            assert all(r[f] is None for f in COST_FIELDS.values()
                       if f != field), r
        assert sum(rows.values(), Decimal(0)) == amount(got["total"]), g
        assert amount(got["total"]) == Decimal(S["truth"]["costs"]["total"])


@test
def costs_without_a_key_or_project_are_a_null_row():
    for g, field in (("api_key", "api_key_id"), ("project", "project_id")):
        want = [e for e in S["truth"]["costs"]["totals"][field]
                if e[field] is None]
        assert want, "the simulator serves no costs without a %s" % field
        nulls = [r for r in costs(g)["data"] if r[field] is None]
        assert len(nulls) == 1, (g, nulls)
        assert amount(nulls[0]["amount"]) == Decimal(want[0]["amount"])


@test
def costs_by_several_fields_equal_the_truth_rows():
    want = {}
    for c in S["truth"]["costs"]["rows"]:
        k = (day_of(c["day"]), c["project_id"], c["api_key_id"])
        want[k] = want.get(k, Decimal(0)) + Decimal(c["amount"])
    got = costs("day,project,api_key")
    rows = {(r["day"], r["project_id"], r["api_key_id"]):
            amount(r["amount"]) for r in got["data"]}
    assert len(rows) == len(got["data"])
    assert rows == want, sorted(set(rows) ^ set(want), key=str)[:4]
    assert all(r["line_item"] is None for r in got["data"])
    assert sum(rows.values(), Decimal(0)) == amount(got["total"])
    # By day and project the answer comes from the daily roll-up: the
    # same sums as the key rows, a project-less day a null project.
    by_dp = {}
    for (d, p, _), a in want.items():
        by_dp[(d, p)] = by_dp.get((d, p), Decimal(0)) + a
    got = costs("day,project")
    rows = {(r["day"], r["project_id"]): amount(r["amount"])
            for r in got["data"]}
    assert len(rows) == len(got["data"])
    assert rows == by_dp, sorted(set(rows) ^ set(by_dp), key=str)[:4]
    assert any(p is None for _, p in rows)


@test
def a_range_of_days_holds_only_those_days():
    days = sorted({c["day"] for c in S["truth"]["costs"]["rows"]})
    lo, hi = days[len(days) // 3], days[2 * len(days) // 3]
    want = sum((Decimal(c["amount"]) for c in S["truth"]["costs"]["rows"]
                if lo <= c["day"] < hi), Decimal(0))
    got = costs("day", day_of(lo), day_of(hi))
    assert amount(got["total"]) == want
    assert {r["day"] for r in got["data"]} <= {day_of(d) for d in days
                                                if lo <= d < hi}
    empty = costs(None, "2001-01-01", "2001-01-31")
    assert empty["data"] == [] and empty["total"] == "0"


def truth_usage(endpoint, dims):
    out = {}
    for r in S["truth"]["rows"][endpoint]:
        k = tuple(day_of(r[d]) if d == "day" else r[d] for d in dims)
        acc = out.setdefault(k, {})
        for c, v in r.items():
            if c not in DIMS:
                acc[c] = acc.get(c, 0) + v
    return out


@test
def usage_per_key_and_model_equals_the_truth():
    want = truth_usage("completions", ("api_key_id", "model"))
    assert want
    got = usage("completions", "api_key,model")
    rows = {}
    for r in got["data"]:
        k = (r["api_key_id"], r["model"])
        assert k not in rows, k
        assert r["day"] is None and r["project_id"] is None and \
            r["user_id"] is None
        rows[k] = {c: v for c, v in r.items() if c not in DIMS}
    assert set(rows) == set(want), sorted(set(rows) ^ set(want), key=str)[:4]
    bad = [k for k in want if rows[k] != want[k]]
    assert not bad, [(k, rows[k], want[k]) for k in bad[:3]]
    for c in ("input_tokens", "output_tokens", "input_cached_tokens",
              "num_model_requests"):
        assert all(isinstance(v[c], int) for v in rows.values()), c


@test
def usage_of_every_endpoint_by_day_and_project_equals_the_truth():
    for e in ENDPOINTS:
        want = truth_usage(e, ("day", "project_id"))
        got = {(r["day"], r["project_id"]): {c: v for c, v in r.items()
                                             if c not in DIMS}
               for r in usage(e, "day,project")["data"]}
        assert got == want, (e, sorted(set(got) ^ set(want), key=str)[:3])


@test
def hourly_buckets_are_not_counted_twice():
    want = truth_usage("completions", ())
    got = usage("completions", "day")["data"]
    total = {}
    for r in got:
        for c, v in r.items():
            if c not in DIMS:
                total[c] = total.get(c, 0) + v
    assert total == want[()], (total, want[()])


def key_truth():
    """{key: (spend_30d, requests_30d, last usage day)} from the truth."""
    now = int(time.time())
    since = now - now % 86400 - 29 * 86400
    spend, req, last = {}, {}, {}
    for c in S["truth"]["costs"]["rows"]:
        if c["api_key_id"] and c["day"] >= since:
            spend[c["api_key_id"]] = spend.get(c["api_key_id"],
                                               Decimal(0)) + \
                Decimal(c["amount"])
    for e in ENDPOINTS:
        for r in S["truth"]["rows"][e]:
            k = r["api_key_id"]
            if k is None:
                continue
            last[k] = max(last.get(k, 0), r["day"])
            if e in REQUEST_KINDS and r["day"] >= since:
                req[k] = req.get(k, 0) + r.get("num_model_requests", 0)
    return spend, req, last


@test
def each_key_carries_its_spend_requests_and_last_usage_day():
    spend, req, last = key_truth()
    keys = [k for k in all_keys(st, S["tok"], S["org"])
            if k["kind"] == "project_api_key"]
    assert keys
    used = 0
    for k in keys:
        assert amount(k["spend_30d"]) == spend.get(k["id"], Decimal(0)), k
        assert k["requests_30d"] == req.get(k["id"], 0), k["id"]
        want = day_of(last[k["id"]]) if k["id"] in last else None
        assert k["last_usage_day"] == want, (k["id"], k["last_usage_day"])
        used += k["last_usage_day"] is not None
    assert used >= 2 and any(k["spend_30d"] != "0" for k in keys)


@test
def usage_findings_are_listed_on_keys_and_filter_them():
    t = S["truth"]
    listed = {k["id"]: k for k in all_keys(st, S["tok"], S["org"])}
    for rule, want in (("usage_spike", {s["api_key_id"] for s in
                                         t["spikes"]}),
                       ("dormant_key_used", {w["api_key_id"] for w in
                                             t["wakeups"]})):
        want &= set(listed)
        assert want, "no listed key has a %s" % rule
        have = {i for i, k in listed.items()
                if rule in [f["kind"] for f in k["findings"]]}
        assert have == want, (rule, have ^ want)
        got = all_keys(st, S["tok"], S["org"], "finding=" + rule)
        assert {k["id"] for k in got} == want, rule


@test
def unmapped_ids_equal_the_truth():
    want = {(u["kind"], u["id"]): (Decimal(u["amount"]), u["requests"],
                                   day_of(u["first_day"]),
                                   day_of(u["last_day"]))
            for u in S["truth"]["unmapped"]}
    assert {k for k, _ in want} >= {"api_key", "user"}, want
    got = st.api(base() + "/unmapped?since=%s&until=%s" % (
        S["since"], S["until"]), S["tok"])
    rows = {(r["kind"], r["id"]): (amount(r["amount"]), r["requests"],
                                   r["first_day"], r["last_day"])
            for r in got["data"]}
    assert len(rows) == len(got["data"])
    assert set(rows) == set(want), sorted(set(rows) ^ set(want))[:4]
    bad = [k for k in want if rows[k] != want[k]]
    assert not bad, [(k, rows[k], want[k]) for k in bad[:3]]
    # None of them is in the inventory the API lists.
    listed = {k["id"] for k in all_keys(st, S["tok"], S["org"])}
    assert not listed & {i for k, i in rows if k == "api_key"}
    # A range short of the stored days is summed from its buckets: its
    # unmapped keys' spend is the truth's of those days.
    start = S["truth"]["window"]["start"] + 20 * 86400
    part = st.api(base() + "/unmapped?since=%s&until=%s" % (
        day_of(start), S["until"]), S["tok"])
    keys = {i for k, i in want if k == "api_key"}
    spent = {}
    for r in S["truth"]["costs"]["rows"]:
        if r["api_key_id"] in keys and r["day"] >= start:
            spent[r["api_key_id"]] = spent.get(r["api_key_id"],
                                               Decimal(0)) + Decimal(
                                                   r["amount"])
    got_part = {r["id"]: amount(r["amount"]) for r in part["data"]
                if r["kind"] == "api_key" and amount(r["amount"]) != 0}
    assert spent and got_part == {k: v for k, v in spent.items() if v != 0}, \
        (got_part, spent)


@test
def bad_input_is_a_400_in_the_envelope():
    for q in ("since=2026-13-01", "since=2026-02-30", "until=yesterday",
              "since=1700000000", "group_by=week", "group_by=day,day",
              "group_by=user", "since=2026-11-05&until=2026-11-01",
              "since=2020-01-01&until=2026-01-01"):
        e = error_code(base() + "/costs?" + q)
        assert e["code"] == "invalid_parameter", (q, e)
    e = error_code(base() + "/usage?endpoint=chat")
    assert e["code"] == "invalid_parameter"
    assert all(n in e["message"] for n in ENDPOINTS), e["message"]
    e = error_code(base() + "/usage?endpoint=")
    assert all(n in e["message"] for n in ENDPOINTS), e["message"]
    for q in ("group_by=line_item", "group_by=", "since=2026-1-01"):
        e = error_code(base() + "/usage?endpoint=completions&" + q)
        assert e["code"] == "invalid_parameter", (q, e)
    e = error_code(base() + "/unmapped?until=2026-11-31")
    assert e["code"] == "invalid_parameter", e
    assert error_code(base() + "/costs?currency=usd")["code"] == \
        "unknown_parameter"


@test
def another_tenants_org_answers_like_a_missing_one():
    other = st.tenant("Other Inc")
    tok = st.token(other, "other")
    for sub in ("/costs", "/usage?endpoint=completions", "/unmapped"):
        a = error_code(base(999999) + sub, tok, 404)
        b = error_code(base() + sub, tok, 404)
        assert a["code"] == b["code"] == "not_found"
        assert a["message"].replace("999999", str(S["org"])) == b["message"]
    status, _, _ = st.http("GET", base() + "/costs")
    assert status == 401


if __name__ == "__main__":
    run(setup=setup, teardown=st.stop)
