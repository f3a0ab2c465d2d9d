#!/usr/bin/env python3
"""Benchmark: the dashboard and the API of an org with 20,003 keys and
1,000,000 audit entries, through nginx and the FastCGI pool, measured with
wrk (2 connections per core) beside nginx serving a static file of the
same size as the keys page (the anchor, measured in the same run).

Rows, each a ratio to the anchor and absolute figures:
- the keys page (HTML, 50 of 20,003) with each sort and filter it offers,
  and the JSON API's keys page;
- the audit log page and the API's /events, unfiltered and with each
  single filter (type, actor, actor_email, project, target, since, until);
- the org's overview page, idle and while a pull of the same org runs.
Each web process keeps answers (web_cache_entries, src/cache.h); the
second table is the same requests with web_cache_entries = 0, every
answer made anew: what the first view after a pull costs.

BENCH_SECONDS (10) per row; BENCH_EVENTS and BENCH_KEYS_PER_PROJECT shrink
the org for a quick look.  Prints tables; nothing passes or fails.
"""
import hashlib
import os
import re
import subprocess
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "it"))
from common import new_stack  # noqa: E402

DURATION = os.environ.get("BENCH_SECONDS", "10")
EVENTS = int(os.environ.get("BENCH_EVENTS", "1000000"))
KEYS_PER_PROJECT = os.environ.get("BENCH_KEYS_PER_PROJECT", "40")
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


def table(title, rows, anchor):
    print(title)
    print("%-46s %9s %8s %9s %9s %9s" % ("", "req/s", "x static", "p50 ms",
                                         "p99 ms", "bytes"))
    for name, (rps, p50, p99, size) in rows:
        print("%-46s %9.0f %8.3f %9.2f %9.2f %9.0f" % (
            name, rps, rps / anchor[0], p50, p99, size))
    print()


class Puller:
    """Pulls the org again and again while the overview is measured."""

    def __init__(self, st, org):
        self.st, self.org, self.stop, self.pulls = st, org, False, 0
        self.t = threading.Thread(target=self.loop)

    def loop(self):
        while not self.stop:
            self.st.collect("--org", str(self.org), check=True)
            self.pulls += 1

    def __enter__(self):
        self.t.start()
        return self

    def __exit__(self, *exc):
        self.stop = True
        self.t.join()


def main():
    st = new_stack("bench-web", fcgi_children=CONNS, api_rate="100000r/s")
    try:
        st.start_db(buffer_pool="1G")
        st.start_sim("--users", "5000", "--projects", "500",
                     "--archived-projects", "20", "--keys-per-project",
                     KEYS_PER_PROJECT, "--events", str(EVENTS),
                     "--events-days", "30", "--seed", "3", access_log=False)
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
        nevents = st.sql("SELECT COUNT(*) FROM audit_event WHERE org_id ="
                         " %d" % org)[0][0]
        rules_ms = re.findall(r"rules: org %d: \d+ rules evaluated in "
                              r"(\d+) ms" % org,
                              open(st.path("logs", "collect.log")).read())

        # One value of each filter, from the stored data.
        def one(sql):
            return st.sql(sql % org)[0][0]
        project = one("SELECT project_id FROM oa_key WHERE org_id = %d AND"
                      " project_id IS NOT NULL LIMIT 1")
        common = one("SELECT type FROM audit_event WHERE org_id = %d GROUP"
                     " BY type ORDER BY COUNT(*) DESC LIMIT 1")
        actor = one("SELECT actor_id FROM audit_event WHERE org_id = %d AND"
                    " actor_id IS NOT NULL LIMIT 1")
        target = one("SELECT target_id FROM audit_event WHERE org_id = %d"
                     " AND target_id IS NOT NULL ORDER BY seq LIMIT 1")
        eproject = one("SELECT project_id FROM audit_event WHERE org_id = %d"
                       " AND project_id IS NOT NULL LIMIT 1")
        t0 = int(one("SELECT MIN(effective_at) FROM audit_event WHERE"
                     " org_id = %d"))
        hashes = {r[0] for r in st.sql(
            "SELECT DISTINCT actor_email_sha256 FROM audit_event WHERE"
            " org_id = %d AND actor_email_sha256 IS NOT NULL LIMIT 2000" %
            org)}
        email = next(e for e in st.sim_get("/_sim/truth?usage=0")["emails"]
                     if hashlib.sha256(e.lower().encode()).hexdigest()
                     in hashes)
        api = "/api/v1/openai/orgs/%d/" % org
        c = ["Cookie: " + cookie]
        t = ["Authorization: Bearer " + token]
        keyrows = [
            ("keys page, first 50 by last use", page, c),
            ("keys page, stale only", page + "?stale=true", c),
            ("keys page, orphans, newest first",
             page + "?orphan=true&dir=desc", c),
            ("keys page, by name, Z first", page + "?sort=name&dir=desc", c),
            ("keys page, by project", page + "?sort=project", c),
            ("keys page, service account keys",
             page + "?type=service_account", c),
            ("keys page, one project", page + "?project=" + project, c),
            ("keys page, page 200", page + "?page=200", c),
            ("API keys, 50 per page", api + "keys?limit=50", t),
        ]
        events = "/orgs/%d/events" % org
        eventrows = [
            ("audit log page, newest 50", events, c),
            ("audit log page, one type", events + "?event_type=" + common,
             c),
            ("audit log page, one project", events + "?project=" + eproject,
             c),
            ("API events, newest 100", api + "events?limit=100", t),
            ("API events, type %s" % common, api + "events?limit=100&type="
             + common, t),
            ("API events, one actor", api + "events?limit=100&actor=" +
             actor, t),
            ("API events, one actor_email", api + "events?limit=100&"
             "actor_email=" + email, t),
            ("API events, one project", api + "events?limit=100&project=" +
             eproject, t),
            ("API events, one target", api + "events?limit=100&target=" +
             target, t),
            ("API events, since the last day", api + "events?limit=100&"
             "since=%d" % (t0 + 29 * 86400), t),
            ("API events, until the first day", api + "events?limit=100&"
             "until=%d" % (t0 + 86400), t),
        ]
        anchor = wrk(st.url("/bench-static/keys.html"))
        print("web: wrk -t2 -c%d -d%ss through nginx, %d FastCGI processes,"
              " %d cores; %s keys, %s audit entries" % (
                  CONNS, DURATION, CONNS, os.cpu_count(), nkeys, nevents))
        print("findings engine after the first pull: %s ms" % (
            rules_ms[-1] if rules_ms else "?"))
        print()
        rows = [("nginx, a static file of the same size (anchor)", anchor)]
        for name, path, hdr in keyrows + eventrows:
            rows.append((name, wrk(st.url(path), hdr)))
        overview = "/orgs/%d" % org
        rows.append(("overview page, idle", wrk(st.url(overview), c)))
        with Puller(st, org) as p:
            rows.append(("overview page, while the org is pulled",
                         wrk(st.url(overview), c)))
        table("answers kept per web process (web_cache_entries = 64):",
              rows, anchor)
        print("pulls of the org while its overview was measured: %d" %
              p.pulls)
        print()

        st.stop_web()
        st.write_conf(web_cache_entries=0)
        st.start_web()
        status, _, cookie = st.login("bench@bench.example", pw)
        c[0] = "Cookie: " + cookie
        anchor = wrk(st.url("/bench-static/keys.html"))
        rows = [("nginx, a static file of the same size (anchor)", anchor)]
        for name, path, hdr in keyrows + eventrows:
            rows.append((name, wrk(st.url(path), hdr)))
        table("every answer made anew (web_cache_entries = 0):", rows,
              anchor)
    finally:
        st.stop()


if __name__ == "__main__":
    main()
