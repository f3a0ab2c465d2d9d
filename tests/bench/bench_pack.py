#!/usr/bin/env python3
"""Benchmark: an evidence pack of 1,000,000 audit events.

The simulator's org with a million audit entries over 30 days is pulled
once by orgaudit-collect; then 'orgaudit pack create' makes the pack of
the whole period (the chain verified while the events are written,
gzip, signature), under /usr/bin/time for wall time and peak RSS.  Beside
it, 'tar czf' of the very JSONL files the pack holds (extracted from it),
on the same machine: the goal is within 1.3x of tar's time and a peak RSS
under 64 MiB.  Then 'orgaudit pack verify' of the pack.  Median of RUNS
runs (default 3; BENCH_RUNS); EVENTS (BENCH_PACK_EVENTS) sets the size.
"""
import os
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "it"))
from common import new_stack  # noqa: E402
from benchlib import timed  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "3"))
EVENTS = int(os.environ.get("BENCH_PACK_EVENTS", "1000000"))


def main():
    st = new_stack("bench-pack")
    try:
        st.start_db(buffer_pool="1G")
        st.start_sim("--users", "200", "--projects", "20", "--seed", "5",
                     "--events", str(EVENTS), "--events-days", "30",
                     access_log=False)
        st.write_conf()
        st.init_orgaudit()
        org = st.connect(st.tenant("Bench"))
        t0 = time.monotonic()
        r = st.collect("--org", str(org))
        if r.returncode != 0:
            sys.exit("bench: collect failed:\n" + r.stderr[-2000:])
        pull = time.monotonic() - t0
        time.sleep(1.1)
        end = int(time.time())
        start = end - 86400 * 32
        out = st.path("pack.tar.gz")
        packs = []
        for _ in range(RUNS):
            # Each run makes the pack anew (the stored one is removed).
            st.sql("DELETE FROM evidence_pack")
            shutil.rmtree(st.path("packs"), ignore_errors=True)
            packs.append(timed([st.bin("orgaudit"), "pack", "create",
                                "--org", str(org), "--start", str(start),
                                "--end", str(end), "--out", out],
                               env=st.env()))
        ex = st.path("extracted")
        shutil.rmtree(ex, ignore_errors=True)
        os.makedirs(ex)
        subprocess.run(["tar", "xzf", out, "-C", ex], check=True)
        top = os.path.join(ex, os.listdir(ex)[0])
        jsonl = sorted(f for f in os.listdir(top) if f.endswith(".jsonl"))
        size = sum(os.path.getsize(os.path.join(top, f)) for f in jsonl)
        events = sum(1 for _ in open(os.path.join(top, "events.jsonl"), "rb"))
        tars = [timed(["tar", "czf", st.path("plain.tar.gz")] + jsonl,
                      cwd=top) for _ in range(RUNS)]
        pub = st.path("published.pem")
        subprocess.run(["openssl", "pkey", "-in", st.path("etc",
                        "signing.key"), "-pubout", "-out", pub], check=True)
        verify = timed([st.bin("orgaudit"), "pack", "verify", out,
                        "--public-key", pub])
        pw = statistics.median(p[0] for p in packs)
        tw = statistics.median(t[0] for t in tars)
        print("evidence pack: %d events (%.0f MB of JSONL), pulled in %.1f s"
              % (events, size / 1e6, pull))
        print("%-34s %9s %10s %12s" % ("", "wall (s)", "RSS (MiB)",
                                       "output (MB)"))
        print("%-34s %9.1f %10.1f %12.1f" % (
            "orgaudit pack create", pw, max(p[1] for p in packs) / 1024,
            os.path.getsize(out) / 1e6))
        print("%-34s %9.1f %10.1f %12.1f" % (
            "tar czf of the same JSONL files", tw,
            max(t[1] for t in tars) / 1024,
            os.path.getsize(st.path("plain.tar.gz")) / 1e6))
        print("%-34s %9.1f %10.1f %12s" % (
            "orgaudit pack verify", verify[0], verify[1] / 1024, "-"))
        print("pack create / tar czf = %.2f (goal: at most 1.3); peak RSS "
              "%.1f MiB (goal: under 64)" % (pw / tw, max(p[1] for p in
                                                          packs) / 1024))
    finally:
        st.stop()


if __name__ == "__main__":
    main()
