#!/usr/bin/env python3
"""Billing end to end with real parts: daily counts recorded by
orgaudit-collect in a private MariaDB, months computed by orgaudit-bill and
pushed to the Stripe test server (tests/stripe/stripesim.py) under the
ledger.  History is written into org_day and org_connection directly: the
tests need past months.  Expected amounts are computed here, independently,
with exact fractions.
"""
import calendar
import json
import os
import re
import signal
import threading
import time
import urllib.parse
import urllib.request
from fractions import Fraction

from common import WebClient, new_stack
from tap import diag, run, test

st = new_stack("it-billing")
S = {}

EURO = "\u20ac"


def ts(y, m, d=1, h=0):
    return calendar.timegm((y, m, d, h, 0, 0))


def month_days(y, m):
    return calendar.monthrange(y, m)[1]


def half_up(x):
    """Round a non-negative Fraction half up."""
    return int((x * 2 + 1) // 2)


def expect(daily, y, m):
    """(avg_users, avg_projects, cents) for a list of (users, projects) per
    day of the month, None for a day not connected."""
    n = month_days(y, m)
    u = sum(d[0] for d in daily if d is not None)
    p = sum(d[1] for d in daily if d is not None)
    avg_u, avg_p = Fraction(u, n), Fraction(p, n)
    return avg_u, avg_p, half_up(100 * avg_u + 500 * avg_p)


def tenths(x):
    v = half_up(x * 10)
    return "%d.%d" % (v // 10, v % 10)


def add_org(tenant, name, connected, disconnected=None, openai="org-x"):
    """An org row billing can count; no admin key (never collected)."""
    st.sql("INSERT INTO org (tenant_id, name, openai_org, status, key_sealed,"
           " key_hint, capabilities, connected_at) VALUES (%d, '%s', '%s',"
           " 'disconnected', '', 'sk-admin-...none', '[]', %d)"
           % (tenant, name, openai, connected))
    org = int(st.sql("SELECT MAX(id) FROM org")[0][0])
    st.sql("INSERT INTO org_connection (tenant_id, org_id, connected_at,"
           " disconnected_at) VALUES (%d, %d, %d, %s)"
           % (tenant, org, connected, disconnected or "NULL"))
    return org


def put_days(tenant, org, y, m, daily, first=1):
    """daily: (users, projects) per day from day 'first'; None = no pull."""
    rows = []
    for i, d in enumerate(daily):
        if d is None:
            continue
        day = "%04d-%02d-%02d" % (y, m, first + i)
        rows.append("(%d, %d, '%s', %d, %d, 0, %d)" % (
            tenant, org, day, d[0], d[1], ts(y, m, first + i, 12)))
    if rows:
        st.sql("INSERT INTO org_day (tenant_id, org_id, day, users, projects,"
               " run_id, pulled_at) VALUES %s ON DUPLICATE KEY UPDATE"
               " users = VALUES(users), projects = VALUES(projects)"
               % ", ".join(rows))


def customer(cid, name):
    st.stripe("/_stripe/customers", {"id": cid, "name": name})


def stripe_state():
    return st.stripe("/_stripe/state")


def posts_since(seq):
    return [x for x in st.stripe("/_stripe/log?since=%d" % seq)["requests"]
            if x["method"] == "POST"]


def log_seq():
    return stripe_state()["requests"]


def dry(month, *extra):
    r = st.bill("--month", month, "--dry-run", *extra)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def table_row(out, org):
    """The dry-run row of an org: (days, avg users, avg projects, amount)."""
    for line in out.splitlines():
        m = re.search(r" %d .* (\d+) +(\d+\.\d) +(\d+\.\d) +%s(\d+\.\d\d)$"
                      % (org, EURO), line)
        if m:
            return (int(m.group(1)), m.group(2), m.group(3),
                    round(float(m.group(4)) * 100))
    raise AssertionError("no row for org %d in:\n%s" % (org, out))


def setup():
    st.start_db()
    st.start_sim("--users", "7", "--service-account-users", "2",
                 "--projects", "5", "--archived-projects", "2", "--seed", "3")
    st.write_conf(retry_base_ms=20, retry_cap_ms=200, retry_max_seconds=5)
    st.init_orgaudit()
    st.start_stripe()
    st.start_web()
    S["acme"] = st.tenant("Acme")
    S["beta"] = st.tenant("Beta")


# -- counting ------------------------------------------------------------

@test
def the_collector_records_the_days_counts():
    org = st.connect(S["acme"], name="Live org")
    S["live"] = org
    r = st.collect("--org", str(org))
    assert r.returncode == 0, r.stdout + r.stderr
    rows = st.sql("SELECT day, users, projects FROM org_day WHERE org_id = %d"
                  % org)
    assert len(rows) == 1, rows
    day, users, projects = rows[0]
    # Humans only (2 service-account users listed), active projects only.
    humans = int(st.sql("SELECT COUNT(*) FROM oa_user u JOIN org_stream s ON"
                        " s.org_id = u.org_id AND s.stream = 'users' AND"
                        " s.gen = u.gen WHERE u.org_id = %d AND"
                        " u.is_service_account = 0" % org)[0][0])
    active = int(st.sql("SELECT COUNT(*) FROM oa_project p JOIN org_stream s"
                        " ON s.org_id = p.org_id AND s.stream = 'projects' AND"
                        " s.gen = p.gen WHERE p.org_id = %d AND"
                        " p.archived_at IS NULL" % org)[0][0])
    assert (int(users), int(projects)) == (7, 3) == (humans, active), rows
    assert day == st.sql("SELECT UTC_DATE()")[0][0]
    first = st.sql("SELECT run_id FROM org_day WHERE org_id = %d" % org)
    r = st.collect("--org", str(org))
    again = st.sql("SELECT day, users, projects, run_id FROM org_day"
                   " WHERE org_id = %d" % org)
    assert len(again) == 1 and again[0][3] != first[0][0], again


@test
def connecting_and_disconnecting_are_recorded():
    org = S["live"]
    rows = st.sql("SELECT connected_at, disconnected_at FROM org_connection"
                  " WHERE org_id = %d" % org)
    assert len(rows) == 1 and rows[0][1] == "NULL", rows
    st.cli("org", "disconnect", "--tenant", str(S["acme"]), "--org", str(org))
    rows = st.sql("SELECT connected_at, disconnected_at FROM org_connection"
                  " WHERE org_id = %d" % org)
    assert len(rows) == 1 and rows[0][1] != "NULL", rows
    # Reconnecting (a new key for the same org) opens a new stretch; in
    # the same second it would only reopen the old one.
    time.sleep(1.1)
    st.cli("org", "connect", "--tenant", str(S["acme"]), "--key-file",
           st.path("etc", "admin.key"), "--org", str(org))
    rows = st.sql("SELECT disconnected_at FROM org_connection WHERE org_id ="
                  " %d ORDER BY connected_at" % org)
    assert [r[0] != "NULL" for r in rows] == [True, False], rows


# -- the month's arithmetic, through MariaDB ----------------------------------

@test
def the_worked_example_is_4000_cents():
    org = add_org(S["acme"], "Worked example", ts(2026, 9, 20))
    S["full"] = org
    put_days(S["acme"], org, 2026, 10, [(25, 3)] * 31)
    out = dry("2026-10")
    assert table_row(out, org) == (31, "25.0", "3.0", 4000), out


@test
def a_mid_month_connection_counts_from_its_day():
    org = add_org(S["acme"], "Mid month", ts(2026, 10, 16, 9))
    S["mid"] = org
    put_days(S["acme"], org, 2026, 10, [(25, 3)] * 16, first=16)
    daily = [None] * 15 + [(25, 3)] * 16
    u, p, cents = expect(daily, 2026, 10)
    assert cents == 2065
    assert table_row(dry("2026-10"), org) == (16, tenths(u), tenths(p), cents)


@test
def a_day_without_a_pull_carries_the_day_before():
    org = add_org(S["acme"], "Gap", ts(2026, 9, 1))
    S["gap"] = org
    # 10 users up to the 10th, no pull on the 11th, 20 from the 12th; the
    # month starts without a pull on the 1st: it carries September 30th.
    put_days(S["acme"], org, 2026, 9, [(4, 1)], first=30)
    daily = [None] + [(10, 2)] * 9 + [None] + [(20, 2)] * 20
    put_days(S["acme"], org, 2026, 10, daily)
    billed = [(4, 1)] + [(10, 2)] * 10 + [(20, 2)] * 20
    u, p, cents = expect(billed, 2026, 10)
    assert table_row(dry("2026-10"), org) == (31, tenths(u), tenths(p), cents)


@test
def many_orgs_without_a_pull_on_the_1st_carry_theirs_in():
    # More orgs than orgaudit-bill looks up one by one: it reads August at
    # once, then looks further back for those without an August snapshot.
    t = st.tenant("Zeta")
    want = {}
    for k in range(70):
        o = add_org(t, "Zeta %d" % k, ts(2026, 1, 1))
        if k % 10 == 0:
            put_days(t, o, 2026, 6, [(100 + k, 3)], first=5)   # older
            carried = (100 + k, 3)
        else:
            put_days(t, o, 2026, 8, [(k, 2)], first=1 + k % 28)
            put_days(t, o, 2026, 8, [(k + 1, 2)], first=29)    # the last
            carried = (k + 1, 2)
        put_days(t, o, 2026, 9, [(1, 1)] * 29, first=2)
        want[o] = expect([carried] + [(1, 1)] * 29, 2026, 9)
    out = dry("2026-09", "--tenant", str(t))
    for o, (u, p, cents) in want.items():
        assert table_row(out, o) == (30, tenths(u), tenths(p), cents), o


@test
def months_of_28_30_and_31_days():
    org = add_org(S["beta"], "Lengths", ts(2026, 1, 1))
    for (y, m) in ((2026, 2), (2026, 4), (2026, 10)):
        n = month_days(y, m)
        # Users grow by one a day: the average depends on the length.
        daily = [(d + 1, 2) for d in range(n)]
        put_days(S["beta"], org, y, m, daily)
        u, p, cents = expect(daily, y, m)
        row = table_row(dry("%04d-%02d" % (y, m), "--tenant", str(S["beta"])),
                        org)
        assert row == (n, tenths(u), tenths(p), cents), (y, m, row)
    assert n == 31 and month_days(2026, 2) == 28 and month_days(2026, 4) == 30


@test
def disconnected_days_count_nothing():
    org = add_org(S["beta"], "Left", ts(2026, 8, 1), ts(2026, 10, 10, 15))
    put_days(S["beta"], org, 2026, 10, [(8, 4)] * 10)
    daily = [(8, 4)] * 10 + [None] * 21
    u, p, cents = expect(daily, 2026, 10)
    assert table_row(dry("2026-10"), org) == (10, tenths(u), tenths(p), cents)
    # A month wholly after the disconnection bills nothing at all.
    assert " %d " % org not in dry("2026-11")


@test
def averages_round_half_up():
    # 7 user-days in February: 0.25 users is shown as 0.3, and the amount
    # 700/28 = 25 cents exactly; 1 project-day in a 31-day month is
    # 500/31 = 16.13 cents, 2 are 32.26, 3 are 48.39 (down), 1 project-day
    # and 1 user-day 600/31 = 19.35: each checked against exact fractions.
    org = add_org(S["beta"], "Rounding", ts(2026, 1, 1))
    put_days(S["beta"], org, 2026, 2, [(7, 0)] + [(0, 0)] * 27)
    out = dry("2026-02", "--tenant", str(S["beta"]))
    assert table_row(out, org) == (28, "0.3", "0.0", 25), out
    for k, (users, projects) in enumerate(((0, 1), (0, 2), (0, 3), (1, 1),
                                           (16, 0), (15, 0))):
        o = add_org(S["beta"], "Rounding %d" % k, ts(2026, 1, 1))
        put_days(S["beta"], o, 2026, 3, [(users, projects)] + [(0, 0)] * 30)
        daily = [(users, projects)] + [(0, 0)] * 30
        u, p, cents = expect(daily, 2026, 3)
        row = table_row(dry("2026-03", "--tenant", str(S["beta"])), o)
        assert row[3] == cents, (users, projects, row, cents)
    # 16 user-days / 31 = 51.6 cents -> 52; 15 / 31 = 48.4 -> 48.
    assert half_up(Fraction(1600, 31)) == 52 and half_up(Fraction(1500, 31)) == 48


# -- pushing to Stripe -------------------------------------------------------

@test
def a_dry_run_calls_nothing():
    before = log_seq()
    out = dry("2026-10")
    assert "nothing is sent to Stripe" in out
    assert "no Stripe customer" in out
    assert log_seq() == before


@test
def the_current_month_needs_dry_run():
    cur = st.sql("SELECT DATE_FORMAT(UTC_DATE(), '%Y-%m')")[0][0]
    r = st.bill("--month", cur)
    assert r.returncode == 2 and "is not over" in r.stderr, r.stderr
    r = st.bill("--month", "2026-13")
    assert r.returncode == 2 and "YYYY-MM" in r.stderr, r.stderr
    r = st.bill("--help")
    assert r.returncode == 0 and "--dry-run" in r.stdout
    r = st.bill("--bogus")
    assert r.returncode == 2


@test
def without_a_customer_a_tenant_is_reported_not_billed():
    before = log_seq()
    r = st.bill("--month", "2026-10", "--tenant", str(S["acme"]))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "no Stripe customer" in r.stdout and "stripe-customer" in r.stdout
    assert log_seq() == before
    assert st.sql("SELECT COUNT(*) FROM bill_invoice")[0][0] == "0"


def acme_orgs():
    return [S["full"], S["mid"], S["gap"]]


def delta():
    """A tenant with three orgs connected all year, for the push tests."""
    if "delta" not in S:
        S["delta"] = st.tenant("Delta")
        S["delta_orgs"] = [add_org(S["delta"], "Delta %d" % i, ts(2026, 1, 1))
                           for i in range(3)]
        customer("cus_delta", "Delta")
        st.cli("tenant", "stripe-customer", str(S["delta"]), "cus_delta")
    return S["delta"]


def delta_month(y, m, counts):
    """Puts counts for each Delta org over the month; returns the month."""
    t = delta()
    for k, o in enumerate(S["delta_orgs"]):
        put_days(t, o, y, m, [(counts[0] + k, counts[1])] * month_days(y, m))
    return "%04d-%02d" % (y, m)


def billed_once(month):
    """Runs Delta's month to the end: one invoice with its 3 items."""
    r = st.bill("--month", month, "--tenant", str(delta()))
    assert r.returncode == 0, r.stdout + r.stderr
    invs, items = invoices_of("cus_delta", month)
    assert len(invs) == 1 and len(items) == 3, (invs, items)
    return r


def faults(**cfg):
    """Sets stripesim's fault knobs; the returned function clears them."""
    st.stripe("/_stripe/config", cfg)

    def clear():
        st.stripe("/_stripe/config", {"next_faults": [], "down": None})
    return clear


@test
def a_month_is_pushed_once():
    customer("cus_acme", "Acme")
    r = st.cli("tenant", "stripe-customer", str(S["acme"]), "cus_acme")
    assert "cus_acme" in r.stdout
    r = st.cli("tenant", "stripe-customer", str(S["acme"]), "acme", check=False)
    assert r.returncode == 2
    expected = {o: table_row(dry("2026-10"), o) for o in acme_orgs()}
    before = log_seq()
    r = st.bill("--month", "2026-10", "--tenant", str(S["acme"]))
    assert r.returncode == 0, r.stdout + r.stderr
    posts = posts_since(before)
    assert [p["route"] for p in posts] == ["POST /v1/invoices"] + \
        ["POST /v1/invoiceitems"] * 3 + ["POST /v1/invoices/:id/finalize"], posts
    assert all(p["status"] == 200 and p["idempotency_key"] for p in posts)
    assert {p["stripe_version"] for p in posts} == {"2024-06-20"}, posts
    inv = posts[0]["params"]
    assert inv["customer"] == "cus_acme" and inv["auto_advance"] == "false"
    assert inv["currency"] == "eur"
    assert inv["pending_invoice_items_behavior"] == "exclude"
    state = stripe_state()
    invs = [i for i in state["invoices"] if i["customer"] == "cus_acme"]
    assert len(invs) == 1 and invs[0]["status"] == "open", invs
    items = [i for i in state["invoiceitems"] if i["invoice"] == invs[0]["id"]]
    assert len(items) == 3
    by_org = {int(i["metadata"]["org"]): i for i in items}
    assert sorted(by_org) == sorted(acme_orgs())
    for o, (days, u, p, cents) in expected.items():
        it = by_org[o]
        assert it["amount"] == cents and it["currency"] == "eur", it
        assert it["description"] == ("orgaudit OpenAI Audit \u2014 %s users"
                                     " \u00d7 \u20ac1 + %s projects \u00d7"
                                     " \u20ac5" % (u, p)), it["description"]
        assert it["period"] == {"start": ts(2026, 10), "end": ts(2026, 11)}
        assert it["metadata"]["month"] == "2026-10"
        assert it["metadata"]["avg_users"].startswith(u[:-2]), it["metadata"]
    assert sum(i["amount"] for i in items) == invs[0]["total"]
    led = st.sql("SELECT invoice_id, number, status, amount_cents FROM"
                 " bill_invoice WHERE tenant_id = %d AND month = '2026-10'"
                 % S["acme"])
    assert led[0][0] == invs[0]["id"] and led[0][2] == "open", led
    assert int(led[0][3]) == invs[0]["total"]
    S["acme_invoice"] = invs[0]["id"]
    # Run again: nothing is sent.
    before = log_seq()
    r = st.bill("--month", "2026-10", "--tenant", str(S["acme"]))
    assert r.returncode == 0 and "nothing sent" in r.stdout, r.stdout
    assert posts_since(before) == []


def reset_month(month):
    st.sql("DELETE FROM bill_item WHERE month = '%s'" % month)
    st.sql("DELETE FROM bill_invoice WHERE month = '%s'" % month)


def invoices_of(cus, month):
    state = stripe_state()
    invs = [i for i in state["invoices"] if i["customer"] == cus
            and i["metadata"].get("month") == month]
    items = [i for i in state["invoiceitems"]
             if i["metadata"].get("month") == month and i["customer"] == cus]
    return invs, items


@test
def killed_after_each_stripe_call_and_run_again():
    month = delta_month(2026, 9, (3, 1))
    t = delta()
    want = {o: table_row(dry(month, "--tenant", str(t)), o)[3]
            for o in S["delta_orgs"]}
    n = 0
    for forget in (False, True):
        for k in range(1, 6):       # invoice, 3 items, finalize
            reset_month(month)
            st.stripe("/_stripe/reset", {})
            customer("cus_delta", "Delta")
            r = st.bill("--month", month, "--tenant", str(t),
                        env={"ORGAUDIT_TEST_BILL_KILL_AFTER": str(k)})
            assert r.returncode == -signal.SIGKILL, (k, r.returncode, r.stdout)
            if forget:
                # A day later: Stripe has pruned its idempotency keys.
                st.stripe("/_stripe/forget-idempotency", {})
            r = st.bill("--month", month, "--tenant", str(t))
            assert r.returncode == 0, (k, forget, r.stdout, r.stderr)
            invs, items = invoices_of("cus_delta", month)
            assert len(invs) == 1 and invs[0]["status"] == "open", \
                (k, forget, [(i["id"], i["status"]) for i in invs])
            assert len(items) == 3, (k, forget, items)
            assert {int(i["metadata"]["org"]): i["amount"] for i in items} \
                == want, (k, forget)
            assert all(i["invoice"] == invs[0]["id"] for i in items)
            assert invs[0]["total"] == sum(want.values())
            n += 1
    assert n == 10
    diag("killed after each of the 5 POSTs and run again, with and without "
         "Stripe's idempotency memory: one invoice and 3 items each time")


@test
def a_lost_answer_is_replayed_not_repeated():
    month = delta_month(2026, 8, (2, 2))
    # The first invoice item is executed, then the connection drops: the
    # retry with the same key gets the stored answer.
    clear = faults(next_faults=["none", "drop_after_commit"])
    try:
        before = log_seq()
        billed_once(month)
    finally:
        clear()
    posts = posts_since(before)
    assert [p["replayed"] for p in posts].count(True) == 1, posts


@test
def stripe_down_is_a_clear_failure_and_the_ledger_holds():
    month = delta_month(2026, 7, (1, 1))
    t = delta()
    clear = faults(down="503")
    try:
        r = st.bill("--month", month, "--tenant", str(t))
        assert r.returncode == 1, r.stdout + r.stderr
        assert "HTTP 503" in r.stdout and "run again" in r.stdout, r.stdout
        assert "gave up after" in r.stdout, r.stdout
        led = st.sql("SELECT invoice_id, invoice_started_at IS NOT NULL,"
                     " finalized_at FROM bill_invoice WHERE month = '%s'"
                     % month)
        assert led == [["NULL", "1", "NULL"]], led
        assert st.sql("SELECT COUNT(*) FROM bill_item WHERE month = '%s'"
                      " AND item_id IS NULL" % month)[0][0] == "3"
        st.stripe("/_stripe/config", {"down": "refuse"})
        r = st.bill("--month", month, "--tenant", str(t))
        assert r.returncode == 1 and "gave up" in r.stdout, r.stdout
    finally:
        clear()
    billed_once(month)


@test
def rate_limits_are_waited_out():
    month = delta_month(2026, 6, (1, 1))
    clear = faults(next_faults=["429", "429", "none", "429"])
    try:
        before = log_seq()
        r = st.bill("--month", month, "--tenant", str(delta()))
    finally:
        clear()
    assert r.returncode == 0, r.stdout + r.stderr
    statuses = [p["status"] for p in posts_since(before)]
    assert statuses.count(429) == 3 and statuses.count(200) == 5, statuses
    assert "(3 retries)" in r.stdout, r.stdout


@test
def a_key_in_flight_is_waited_for():
    # Another client sends orgaudit's own invoice request (same key, same
    # parameters) and Stripe takes two seconds over it: orgaudit-bill's
    # request gets 409 idempotency_key_in_use, waits, and is then given
    # the same invoice.
    month = delta_month(2026, 3, (1, 1))
    t = delta()
    ref = "t%d:%s" % (t, month)
    params = [("customer", "cus_delta"), ("auto_advance", "false"),
              ("currency", "eur"), ("pending_invoice_items_behavior", "exclude"),
              ("description", "orgaudit OpenAI Audit, %s" % month),
              ("metadata[orgaudit_ref]", ref), ("metadata[tenant]", str(t)),
              ("metadata[month]", month)]
    other = {}

    def send():
        req = urllib.request.Request(
            "http://127.0.0.1:%d/v1/invoices" % st.stripe_port, method="POST",
            data=urllib.parse.urlencode(params).encode(), headers={
                "Authorization": "Bearer " + st.stripe_key,
                "Idempotency-Key": "orgaudit:%s:cus_delta:invoice" % ref})
        with urllib.request.urlopen(req, timeout=30) as r:
            other["id"] = json.load(r)["id"]
    clear = faults(latency_ms=2000, fail_path="^/v1/invoices$")
    try:
        before = log_seq()
        th = threading.Thread(target=send)
        th.start()
        time.sleep(0.3)
        r = st.bill("--month", month, "--tenant", str(t))
        th.join()
    finally:
        clear()
        st.stripe("/_stripe/config", {"latency_ms": 0, "fail_path": None})
    assert r.returncode == 0, r.stdout + r.stderr
    ours = [p for p in posts_since(before) if p["path"] == "/v1/invoices"]
    assert [p["status"] for p in ours] == [200, 409, 200], ours
    assert ours[2]["replayed"], ours
    invs, items = invoices_of("cus_delta", month)
    assert [i["id"] for i in invs] == [other["id"]] and len(items) == 3


@test
def a_stored_500_is_not_retried_and_a_later_run_finishes():
    month = delta_month(2026, 5, (1, 1))
    t = delta()
    clear = faults(next_faults=["500"])
    try:
        before = log_seq()
        r = st.bill("--month", month, "--tenant", str(t))
    finally:
        clear()
    assert r.returncode == 1, r.stdout
    assert "HTTP 500 api_error" in r.stdout and "req_" in r.stdout, r.stdout
    assert len(posts_since(before)) == 1
    # Stripe replays the stored 500 for that key until it forgets it.
    st.stripe("/_stripe/forget-idempotency", {})
    billed_once(month)


@test
def a_refusal_names_type_code_message_and_request():
    t = S["gamma"] = st.tenant("Gamma")
    put_days(t, add_org(t, "Gamma org", ts(2026, 1, 1)), 2026, 10,
             [(2, 1)] * 31)
    st.cli("tenant", "stripe-customer", str(t), "cus_nobody")
    before = log_seq()
    r = st.bill("--month", "2026-10", "--tenant", str(t))
    assert r.returncode == 1, r.stdout
    assert "invalid_request_error resource_missing" in r.stdout, r.stdout
    assert "No such customer" in r.stdout and "req_" in r.stdout, r.stdout
    assert len(posts_since(before)) == 1      # a 400 is never retried


@test
def a_bad_secret_key_is_refused_clearly():
    good = open(st.path("etc", "stripe.key")).read()
    try:
        with open(st.path("etc", "stripe.key"), "w") as f:
            f.write("sk_test_wrong000000000000\n")
        r = st.bill("--month", delta_month(2026, 4, (1, 1)), "--tenant",
                    str(delta()))
        assert r.returncode == 1 and "HTTP 401" in r.stdout, r.stdout
        assert "sk_test_wrong" not in r.stdout + r.stderr
        with open(st.path("etc", "stripe.key"), "w") as f:
            f.write("not a key\n")
        r = st.bill("--month", "2026-04")
        assert r.returncode == 2 and "does not hold a Stripe secret key" \
            in r.stderr, r.stderr
        os.chmod(st.path("etc", "stripe.key"), 0o644)
        r = st.bill("--month", "2026-04")
        assert r.returncode == 2 and "chmod 600" in r.stderr, r.stderr
        os.chmod(st.path("etc", "stripe.key"), 0o600)
    finally:
        with open(st.path("etc", "stripe.key"), "w") as f:
            f.write(good)
    logs = "".join(open(st.path("logs", f)).read()
                   for f in os.listdir(st.path("logs")) if f.endswith(".log"))
    assert st.stripe_key not in logs


@test
def every_tenant_at_once_and_nothing_twice():
    customer("cus_beta", "Beta")
    st.cli("tenant", "stripe-customer", str(S["beta"]), "cus_beta")
    r = st.bill("--month", "2026-10")
    # Gamma's customer does not exist: it fails, the others are billed.
    assert r.returncode == 1, r.stdout
    assert "tenant %d: invoice" % S["beta"] in r.stdout, r.stdout
    assert "invoiced before, nothing sent" in r.stdout
    counts = st.sql("SELECT tenant_id, COUNT(*) FROM bill_invoice WHERE month"
                    " = '2026-10' GROUP BY tenant_id ORDER BY tenant_id")
    assert [int(c[1]) for c in counts] == [1] * len(counts)
    state = stripe_state()
    beta = [i for i in state["invoices"] if i["customer"] == "cus_beta"]
    assert len(beta) == 1
    # The operator corrects Gamma's customer: the next run bills it there.
    gamma = S["gamma"]
    customer("cus_gamma", "Gamma")
    st.cli("tenant", "stripe-customer", str(gamma), "cus_gamma")
    r = st.bill("--month", "2026-10", "--tenant", str(gamma))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "now cus_gamma (was cus_nobody)" in r.stdout, r.stdout
    invs, items = invoices_of("cus_gamma", "2026-10")
    assert len(invs) == 1 and len(items) == 1 and invs[0]["status"] == "open"
    assert invs[0]["total"] == 700
    assert st.sql("SELECT customer FROM bill_invoice WHERE tenant_id = %d"
                  % gamma) == [["cus_gamma"]]


@test
def the_dashboard_shows_the_months_estimate_as_the_dry_run_does():
    t = st.tenant("Epsilon")
    _, pw = st.account(t, "owner@epsilon.example")
    _, vpw = st.account(t, "viewer@epsilon.example", role="viewer")
    tok = st.token(t)
    y, m, today = [int(x) for x in
                   st.sql("SELECT DATE_FORMAT(UTC_DATE(), '%Y %m %d')")[0][0]
                   .split()]
    month = "%04d-%02d" % (y, m)
    a = add_org(t, "Estimated <b>org</b>", ts(y, m, 1))
    b = add_org(t, "Long connected", ts(y, m, 1) - 86400 * 40)
    # a: 12 users on the 1st, 13 since (no pull on the other days: carried
    # to the end of the month); b: a pull on the 1st only.
    put_days(t, a, y, m, [(12, 2)])
    if today > 1:
        put_days(t, a, y, m, [(13, 3)], first=today)
    put_days(t, b, y, m, [(4, 1)])
    out = dry(month, "--tenant", str(t))
    rows = {o: table_row(out, o) for o in (a, b)}
    n = month_days(y, m)
    daily = [(12, 2)] + ([(12, 2)] * (today - 2) + [(13, 3)] *
                         (n - today + 1) if today > 1 else [(12, 2)] * (n - 1))
    ua, pa, ca = expect(daily, y, m)
    assert rows[a] == (n, tenths(ua), tenths(pa), ca), (rows[a], today)
    # Through the API, the same numbers.
    view = st.api("/api/v1/billing", tok)
    est = view["estimate"]
    assert est["month"] == month and est["day"] == today, est
    got = {o["org_id"]: (o["days"], o["avg_users"], o["avg_projects"],
                         o["amount_cents"]) for o in est["orgs"]}
    assert got == rows, (got, rows)
    assert est["amount_cents"] == sum(r[3] for r in rows.values())
    assert view["invoices"] == []
    # On the owner's page, the same numbers, escaped.
    c = WebClient(st).login("owner@epsilon.example", pw)
    status, _, body = c.get("/billing")
    assert status == 200, body
    assert "Estimated &lt;b&gt;org&lt;/b&gt;" in body and "<b>org" not in body
    for o, (days, u, p, cents) in rows.items():
        cells = "<td class=\"num\">%d</td><td class=\"num\">%s</td><td " \
            "class=\"num\">%s</td><td class=\"num\">%s%d.%02d</td>" % (
                days, u, p, EURO, cents // 100, cents % 100)
        assert cells in body, (cells, body)
    total = est["amount_cents"]
    assert "<strong>%s%d.%02d</strong>" % (EURO, total // 100, total % 100) \
        in body
    # A viewer does not see billing.
    v = WebClient(st).login("viewer@epsilon.example", vpw)
    status, _, _ = v.get("/billing")
    assert status == 403, status
    # After a month is invoiced, the page lists it.
    c = WebClient(st).login("owner@epsilon.example", pw)
    st.sql("INSERT INTO bill_invoice (tenant_id, month, customer, orgs,"
           " amount_cents, planned_at, invoice_id, number, status,"
           " finalized_at) VALUES (%d, '2026-01', 'cus_e', 2, 4250, 0,"
           " 'in_x', 'ORG-0042', 'open', 1)" % t)
    _, _, body = c.get("/billing")
    assert "ORG-0042" in body and EURO + "42.50" in body, body


def teardown():
    st.stop()


if __name__ == "__main__":
    run(setup, teardown)
