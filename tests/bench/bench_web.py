#!/usr/bin/env python3
"""Benchmark: the dashboard's keys page of an org with 20,000 keys, through
nginx and the FastCGI pool, measured with wrk (2 connections per core),
beside nginx serving a static file of the same size, and the JSON API's
keys page for comparison.  Prints a table; nothing passes or fails.
"""
import os
import re
import subprocess
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "it"))
from common import new_stack  # noqa: E402

DURATION = os.environ.get("BENCH_SECONDS", "10")
CONNS = 2 * os.cpu_count()


def wrk(url, headers=()):
    """Runs wrk; returns (requests/s, p50 ms, p99 ms, bytes per answer)."""
    cmd = ["wrk", "-t", "2", "-c", str(CONNS), "-d", DURATION + "s",
           "--latency"]
    for h in headers:
        cmd += ["-H", h]
    out = subprocess.run(cmd + [url], capture_output=True, text=True,
                         check=True).stdout

    def ms(label):
        m = re.search(r"^\s+%s\s+([\d.]+)(us|ms|s)" % label, out, re.M)
        v = float(m.group(1))
        return {"us": v / 1000, "ms": v, "s": v * 1000}[m.group(2)]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = re.search(r"(\d+) requests in .*, ([\d.]+)(B|KB|MB|GB) read",
                      out)
    size = float(total.group(2)) * {"B": 1, "KB": 1024, "MB": 1 << 20,
                                    "GB": 1 << 30}[total.group(3)]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        sys.exit("bench: %s answered %s errors" % (url, non2xx.group(1)))
    return rps, ms("50%"), ms("99%"), size / int(total.group(1))


def main():
    st = new_stack("bench-web", fcgi_children=CONNS, api_rate="100000r/s")
    try:
        st.start_db()
        st.start_sim("--users", "5000", "--projects", "500",
                     "--archived-projects", "20", "--keys-per-project", "40",
                     "--seed", "3")
        st.write_conf()
        st.init_orgaudit()
        tenant = st.tenant("Bench")
        _, pw = st.account(tenant, "bench@bench.example", "owner")
        org = st.connect(tenant)
        st.collect("--org", str(org), check=True)
        token = st.token(tenant)
        st.start_web()
        status, h, cookie = st.login("bench@bench.example", pw)
        assert status == 303 and cookie, (status, h)
        page = "/orgs/%d/keys" % org
        status, _, body = st.http("GET", page, headers={"Cookie": cookie})
        assert status == 200
        os.makedirs(st.path("bench-static"), exist_ok=True)
        with open(st.path("bench-static", "keys.html"), "wb") as f:
            f.write(body)
        nkeys = st.sql("SELECT COUNT(*) FROM oa_key WHERE org_id = %d" %
                       org)[0][0]
        # The findings engine's time after that pull, from its log line.
        rules_ms = re.findall(r"rules: org %d: \d+ rules evaluated in "
                              r"(\d+) ms" % org,
                              open(st.path("logs", "collect.log")).read())
        nfind = st.sql("SELECT COUNT(*) FROM finding WHERE org_id = %d" %
                       org)[0][0]
        rows = [
            ("findings page (HTML, 50 of %s)" % nfind,
             wrk(st.url("/orgs/%d/findings" % org), ["Cookie: " + cookie])),
            ("keys page (HTML, 50 of %s keys)" % nkeys,
             wrk(st.url(page), ["Cookie: " + cookie])),
            ("keys page, stale only", wrk(st.url(page + "?stale=true"),
                                          ["Cookie: " + cookie])),
            ("API keys, 50 per page", wrk(
                st.url("/api/v1/openai/orgs/%d/keys?limit=50" % org),
                ["Authorization: Bearer " + token])),
            ("static file, same size", wrk(
                st.url("/bench-static/keys.html"))),
        ]
        print("web: wrk -t2 -c%d -d%ss through nginx, %d FastCGI "
              "processes, %d cores" % (CONNS, DURATION, CONNS,
                                       os.cpu_count()))
        print("findings engine after the pull: %s ms for %s findings" % (
            rules_ms[-1] if rules_ms else "?", nfind))
        print("%-36s %10s %9s %9s %10s" % ("", "req/s", "p50 ms",
                                           "p99 ms", "bytes"))
        for name, (rps, p50, p99, size) in rows:
            print("%-36s %10.0f %9.2f %9.2f %10.0f" % (name, rps, p50, p99,
                                                        size))
    finally:
        st.stop()


if __name__ == "__main__":
    main()
