#!/usr/bin/env python3
"""Benchmark: billing a month for 10,000 orgs.

100 tenants of 100 orgs each, connected all year, with a count for every
day: 31 days of October (310,000 rows), and then a whole year (3,650,000
rows) to show that older history does not slow the month down, and with
no pull on October 1st, so that every org carries its September 30th in.  Measures
orgaudit-bill --dry-run (read the counts, compute every org, print the
table) and the push to the Stripe test server (100 invoices, 10,000 items,
100 finalizations, one request at a time), then a rerun that finds
everything done.  Prints a table: wall time, peak RSS, Stripe requests.
Each compute row is the median of RUNS runs (default 3; BENCH_RUNS), after
one warm-up run.
"""
import datetime
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "it"))
from common import new_stack  # noqa: E402
from benchlib import timed  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "3"))
TENANTS = 100
ORGS_PER_TENANT = 100
MONTH = "2026-10"


def bill(st, *args):
    """orgaudit-bill under /usr/bin/time: (wall s, RSS KiB, stdout)."""
    return timed([st.bin("orgaudit-bill")] + list(args), env=st.env())


def populate(st):
    """Tenants, orgs and their connections, all in SQL."""
    st.sql("INSERT INTO tenant (name, created_at, stripe_customer)"
           " SELECT CONCAT('Bench ', seq), 0, CONCAT('cus_bench', seq)"
           " FROM seq_1_to_%d" % TENANTS)
    st.sql("INSERT INTO org (tenant_id, name, openai_org, status, key_sealed,"
           " key_hint, capabilities, connected_at)"
           " SELECT t.id, CONCAT('Org ', s.seq), CONCAT('org-b', t.id, 'x',"
           " s.seq), 'disconnected', '', 'sk-admin-...none', '[]',"
           " UNIX_TIMESTAMP('2026-01-01')"
           " FROM tenant t JOIN seq_1_to_%d s WHERE t.name LIKE 'Bench %%'"
           % ORGS_PER_TENANT)
    st.sql("INSERT INTO org_connection (tenant_id, org_id, connected_at)"
           " SELECT tenant_id, id, connected_at FROM org")


def days(st, first, last):
    """A count for every org and day in [first, last]; users vary by org
    and day so that no two orgs bill alike."""
    n = (datetime.date.fromisoformat(last) -
         datetime.date.fromisoformat(first)).days
    st.sql("INSERT INTO org_day (tenant_id, org_id, day, users, projects,"
           " run_id, pulled_at)"
           " SELECT o.tenant_id, o.id, DATE('%s') + INTERVAL s.seq DAY,"
           " 5 + (o.id * 7 + s.seq) %% 40, 1 + o.id %% 9, 0, 0"
           " FROM org o JOIN seq_0_to_%d s" % (first, n))


def compute_row(st, label, rows):
    # Right after millions of inserts InnoDB is still busy merging and
    # purging: let it settle, and warm the buffer pool with one run.
    st.sql("ANALYZE TABLE org_day")
    time.sleep(5)
    bill(st, "--month", MONTH, "--dry-run")
    samples = [bill(st, "--month", MONTH, "--dry-run") for _ in range(RUNS)]
    wall = statistics.median(s[0] for s in samples)
    rss = max(s[1] for s in samples)
    out = samples[-1][2]
    total = [x for x in out.splitlines() if " orgs, " in x][-1]
    return (label, rows, wall, rss, total)


def main():
    st = new_stack("bench-bill")
    try:
        st.start_db(buffer_pool="512M")
        st.write_conf(retry_base_ms=50)
        st.init_orgaudit()
        st.start_stripe()
        populate(st)
        days(st, "2026-10-01", "2026-10-31")
        compute = [compute_row(st, "October only", 310000)]
        days(st, "2026-01-01", "2026-09-30")
        days(st, "2026-11-01", "2026-12-31")
        n = int(st.sql("SELECT COUNT(*) FROM org_day")[0][0])
        compute.append(compute_row(st, "a whole year", n))
        # No pull on the 1st: every org carries September 30th in.
        st.sql("DELETE FROM org_day WHERE day = '2026-10-01'")
        compute.append(compute_row(st, "all carried in", n - 10000))
        print("billing: %d tenants x %d orgs, %s" % (TENANTS, ORGS_PER_TENANT,
                                                     MONTH))
        print("%-22s %10s %9s %9s" % ("compute (--dry-run)", "day rows",
                                      "wall (s)", "RSS (MiB)"))
        for label, rows, wall, rss, _ in compute:
            print("%-22s %10d %9.2f %9.1f" % (label, rows, wall, rss / 1024))
        print(compute[-1][4].strip())

        st.stripe("/_stripe/customers", [
            {"id": "cus_bench%d" % i, "name": "Bench %d" % i}
            for i in range(1, TENANTS + 1)])
        wall, rss, out = bill(st, "--month", MONTH)
        state = st.stripe("/_stripe/state")
        posts = sum(v.get("200", 0) for k, v in state["counts"].items()
                    if k.startswith("POST"))
        again, _, out2 = bill(st, "--month", MONTH)
        state2 = st.stripe("/_stripe/state")
        extra = state2["requests"] - state["requests"]
        sim_cpu = sim_seconds(st)
        print("%-22s %9s %9s %10s" % ("push to stripesim", "wall (s)",
                                      "RSS (MiB)", "requests"))
        print("%-22s %9.1f %9.1f %10d" % ("first run", wall, rss / 1024, posts))
        print("%-22s %9.2f %9s %10d" % ("rerun (all done)", again, "-", extra))
        print("invoices %d, items %d, %.0f POSTs/s; stripesim used %.1f s of CPU"
              % (len(state["invoices"]), len(state["invoiceitems"]),
                 posts / wall, sim_cpu))
        if len(state["invoiceitems"]) != TENANTS * ORGS_PER_TENANT:
            sys.exit("bench: expected %d items" % (TENANTS * ORGS_PER_TENANT))
    finally:
        st.stop()


def sim_seconds(st):
    """CPU seconds the Stripe test server has used so far."""
    pid = st.pids["stripe"]["pid"]
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
