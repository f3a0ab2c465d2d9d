#!/usr/bin/env python3
"""Benchmark: the dashboard while 20 evidence packs are being made.

Packs are a worker's jobs: a request only queues one.  This measures the
org's overview page (HTML, signed in, through nginx, wrk -t2 -c4) on an
idle stack (the anchor), then again while 20 pack requests, sent at once
from 20 threads by one owner's admin token, are being made by
orgaudit-worker --loop, and reports the p50 and p99 of both, their
ratio, how long the 20 POSTs took to answer, and how long the worker
took to make them all.  EVENTS (BENCH_JOBS_EVENTS, default 200,000) sets
the org's audit log, hence each pack's work; BENCH_SECONDS (default 10)
each wrk run.
"""
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "it"))
from common import new_stack  # noqa: E402
from bench_web import wrk  # noqa: E402

EVENTS = int(os.environ.get("BENCH_JOBS_EVENTS", "200000"))
JOBS = 20


def post_all(st, token, org, start, end):
    """20 distinct pack requests at once; their (status, seconds)."""
    out = [None] * JOBS
    go = threading.Barrier(JOBS)

    def one(i):
        body = json.dumps({"org_id": org,
                           "period_start": time.strftime(
                               "%Y-%m-%dT%H:%M:%SZ",
                               time.gmtime(start + i * 3600)),
                           "period_end": time.strftime(
                               "%Y-%m-%dT%H:%M:%SZ", time.gmtime(end))})
        go.wait()
        t0 = time.monotonic()
        status, _, _ = st.http("POST", "/api/v1/openai/evidence-packs",
                               token=token, body=body)
        out[i] = (status, time.monotonic() - t0)
    threads = [threading.Thread(target=one, args=(i,)) for i in range(JOBS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def main():
    st = new_stack("bench-jobs", fcgi_children=4, api_rate="100000r/s")
    try:
        st.start_db(buffer_pool="1G")
        st.start_sim("--users", "200", "--projects", "20", "--seed", "9",
                     "--events", str(EVENTS), "--events-days", "30",
                     access_log=False)
        st.write_conf(pack_jobs_per_hour=100)
        st.init_orgaudit()
        tenant = st.tenant("Bench")
        _, pw = st.account(tenant, "bench@bench.example", "owner")
        org = st.connect(tenant)
        st.collect("--org", str(org), check=True)
        token = st.token(tenant, scope="admin")
        st.start_web()
        status, _, cookie = st.login("bench@bench.example", pw)
        assert status == 303 and cookie, status
        page = st.url("/orgs/%d" % org)
        hdr = ["Cookie: " + cookie]
        idle = wrk(page, hdr)
        time.sleep(1.1)
        end = int(time.time())
        start = end - 31 * 86400
        t0 = time.monotonic()
        answers = post_all(st, token, org, start, end)
        worker = st.start_worker()
        busy = wrk(page, hdr)
        while st.sql("SELECT COUNT(*) FROM job WHERE status IN "
                     "('queued', 'running')")[0][0] != "0":
            time.sleep(0.5)
        made = time.monotonic() - t0
        worker.terminate()
        worker.wait()
        statuses = sorted({s for s, _ in answers})
        packs = st.sql("SELECT COUNT(*) FROM evidence_pack")[0][0]
        slow = max(t for _, t in answers)
        print("%d audit events; %d pack requests at once answered %s in at "
              "most %.0f ms; the worker made %s packs in %.1f s"
              % (EVENTS, JOBS, statuses, slow * 1000, packs, made))
        print("| overview page | req/s | p50 ms | p99 ms |")
        print("|---|---|---|---|")
        print("| idle (anchor) | %.0f | %.1f | %.1f |" % idle[:3])
        print("| 20 packs being made | %.0f | %.1f | %.1f |" % busy[:3])
        print("| ratio to the anchor | %.2f | %.2f | %.2f |" % (
            busy[0] / idle[0], busy[1] / idle[1], busy[2] / idle[2]))
    finally:
        st.stop()


if __name__ == "__main__":
    main()
