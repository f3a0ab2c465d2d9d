#!/usr/bin/env python3
"""Benchmark: alerts on a burst of audit events.

Bursts of EVENTS (BENCH_ALERT_EVENTS, default 10,000) audit events over
ten seconds are pulled (each pull reading only its own burst), two with
no alert channel (the anchor) and two with a webhook
channel that wants every event type the simulator logs: the pull's extra
time is the outbox's.  Then 'orgaudit-notify' delivers the queued
messages to the local receiver, under /usr/bin/time for its wall time and
peak RSS (the goals: the outbox costs at most 10% of the pull; 10,000
messages in under 30 s and 32 MiB).
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "it"))
from common import new_stack  # noqa: E402
from benchlib import timed  # noqa: E402

EVENTS = int(os.environ.get("BENCH_ALERT_EVENTS", "10000"))
TYPES = ("login.succeeded,login.failed,logout.succeeded,api_key.created,"
         "api_key.updated,api_key.deleted,project.created,project.archived,"
         "user.added,user.updated,user.deleted,invite.sent,"
         "service_account.created,rate_limit.updated,"
         "role.assignment.created")


def burst(st, org):
    # Ten seconds of events: the simulator dates a batch by the wall
    # clock, and a real log does not hold 10,000 events in one second.
    for _ in range(10):
        st.sim_post("/_sim/events", {"count": EVENTS // 10})
        time.sleep(1.0)
    t0 = time.monotonic()
    r = st.collect("--org", str(org))
    if r.returncode != 0:
        sys.exit("bench: collect failed:\n" + r.stderr[-2000:])
    return time.monotonic() - t0


def main():
    st = new_stack("bench-alerts")
    try:
        st.start_db(buffer_pool="512M")
        st.start_sim("--users", "50", "--projects", "5", "--seed", "13",
                     "--events", "1000", access_log=False)
        # Each pull reads only its burst: without this, a pull reads
        # again the last hour's events (audit_overlap_seconds), and each
        # later burst would cost more than the one before.
        st.write_conf(alert_allow_private=1, audit_overlap_seconds=0)
        st.init_orgaudit()
        tenant = st.tenant("Bench")
        org = st.connect(tenant)
        st.collect("--org", str(org), check=True)
        port = st.start_receiver("s" * 32)
        with open(st.path("etc", "hook.secret"), "w") as f:
            f.write("s" * 32 + "\n")
        plain = [burst(st, org) for _ in range(2)]
        st.cli("alert", "add", "--tenant", str(tenant), "--type", "webhook",
               "--url", "http://127.0.0.1:%d/hook" % port, "--secret-file",
               st.path("etc", "hook.secret"), "--on",
               ",".join("audit:" + t for t in TYPES.split(",")))
        alerted = [burst(st, org) for _ in range(2)]
        queued = int(st.sql("SELECT COUNT(*) FROM alert_outbox")[0][0])
        wall, rss, _ = timed([st.bin("orgaudit-notify")], env=st.env())
        got = st.receiver(port, "/_ctl/received")["count"]
        sent = int(st.sql("SELECT COUNT(*) FROM alert_outbox WHERE status"
                          " = 'sent'")[0][0])
        a, b = min(plain), min(alerted)
        print("alerts: two bursts of %d audit events each way, best of two"
              % EVENTS)
        print("| | wall | ratio to the anchor |")
        print("|---|---|---|")
        print("| pull, no channel (anchor) | %.2f s | 1.00 |" % a)
        print("| pull, a channel wanting every event | %.2f s | %.2f |" % (
            b, b / a))
        print("| orgaudit-notify, %d messages | %.2f s, peak RSS %.1f MiB |"
              " %d received, %d marked sent |" % (queued, wall, rss / 1024,
                                                 got, sent))
    finally:
        st.stop()


if __name__ == "__main__":
    main()
