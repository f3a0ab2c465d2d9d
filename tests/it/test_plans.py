#!/usr/bin/env python3
"""What a page costs MariaDB, whatever plan the optimizer picks.

A page's cost used to depend on the statistics of the moment: right after
a pull (statistics not yet recomputed) the keys page of a 20,000-key org
walked the whole audit log once per key and took 73 s.  These tests count
the rows the server reads (the Handler_read_* counters) for one request
of each list, right after a pull and again with statistics that claim
every table is empty, and hold each page to a small multiple of its size:
a slow plan reads tens of thousands of rows or millions, a good one a few
hundred.  Counts, not times: they do not depend on the machine.  The web
keeps no answers here (web_cache_entries = 0): what is measured is the
work of making one, which a kept answer only postpones to the next pull.
"""
import hashlib
import urllib.parse

from common import all_keys, new_stack
from tap import diag, run, test

st = new_stack("it-plans")
S = {}
LIMIT = 50
# A page of LIMIT rows may read each row, its joins (a handful each, all
# by primary key), its live findings (by finding_subject) and the rows a
# filter skips; never the org.
BOUND = 12 * LIMIT + 200


def setup():
    st.start_db()
    st.start_sim("--users", "400", "--projects", "30", "--keys-per-project",
                 "40", "--events", "2500", "--seed", "5")
    st.write_conf(web_cache_entries=0)
    st.init_orgaudit()
    S["tenant"] = st.tenant("Plans")
    S["org"] = st.connect(S["tenant"])
    S["token"] = st.token(S["tenant"])
    st.start_web()


def reads():
    """Rows read by the whole server so far (every Handler_read_*)."""
    return sum(int(v) for _, v in st.mariadb(
        "SHOW GLOBAL STATUS LIKE 'Handler_read%'"))


def cost(path):
    """Rows the server read to answer one GET of path (through nginx)."""
    idle = reads()
    idle = reads() - idle          # what the measuring itself reads
    before = reads()
    status, _, body = st.http("GET", path, token=S["token"])
    assert status == 200, (path, status, body[:200])
    return reads() - before - idle


def pages():
    org = S["org"]
    base = "/api/v1/openai/orgs/%d" % org
    keys = st.api(base + "/keys?limit=%d" % LIMIT, S["token"])
    project = keys["data"][0]["project"]["id"]
    return [
        base + "/keys?limit=%d" % LIMIT,
        base + "/keys?limit=%d&cursor=%s" % (LIMIT, keys["next_cursor"]),
        base + "/keys?limit=%d&stale=true" % LIMIT,
        base + "/keys?limit=%d&orphan=false&type=project" % LIMIT,
        base + "/keys?limit=%d&project=%s" % (LIMIT, project),
        base + "/users?limit=%d" % LIMIT,
        base + "/projects?limit=%d" % LIMIT,
        base + "/events?limit=%d" % LIMIT,
    ] + [base + "/events?limit=%d&%s" % (LIMIT, q) for q in event_filters()]


def event_filters():
    """One value of each audit log filter, from the stored chain: the
    busiest and the rarest actor, the rarest of the rest."""
    org = S["org"]

    def by(col, order):
        return st.sql("SELECT %s FROM audit_event WHERE org_id = %d AND %s"
                      " IS NOT NULL GROUP BY %s ORDER BY COUNT(*) %s, %s"
                      " LIMIT 1" % (col, org, col, col, order, col))[0][0]
    hashes = {r[0] for r in st.sql(
        "SELECT actor_email_sha256 FROM audit_event WHERE org_id = %d AND"
        " actor_email_sha256 IS NOT NULL GROUP BY actor_email_sha256"
        " ORDER BY COUNT(*), actor_email_sha256 LIMIT 5" % org)}
    email = next(e for e in S.setdefault("emails", st.sim_get(
        "/_sim/truth?usage=0")["emails"]) if hashlib.sha256(
            e.lower().encode()).hexdigest() in hashes)
    return ["type=" + by("type", "ASC"),
            "actor=" + by("actor_id", "DESC"),
            "actor=" + by("actor_id", "ASC"),
            "actor=" + by("actor_key_id", "ASC"),
            "actor_email=" + urllib.parse.quote(email),
            "project=" + by("project_id", "ASC"),
            "target=" + by("target_id", "ASC")]


def check_pages(when):
    worst = 0
    for path in pages():
        n = cost(path)
        worst = max(worst, n)
        assert n <= BOUND, "%s %s read %d rows (at most %d for a page of " \
            "%d)" % (when, path, n, BOUND, LIMIT)
    diag("%s: the costliest page read %d rows (bound %d)" % (when, worst,
                                                            BOUND))


@test
def pages_are_range_reads_right_after_a_pull():
    st.collect("--org", str(S["org"]), check=True)
    keys = int(st.sql("SELECT COUNT(*) FROM oa_key WHERE org_id = %d"
                      % S["org"])[0][0])
    events = int(st.sql("SELECT COUNT(*) FROM audit_event")[0][0])
    assert keys >= 1000 and events >= 2500, (keys, events)
    check_pages("after the pull")


@test
def pages_are_range_reads_whatever_the_statistics_say():
    # The statistics of a table never analysed: one row, no distinct
    # values.  Plans chosen from these walked the org before.
    st.sql("UPDATE mysql.innodb_table_stats SET n_rows = 1,"
           " clustered_index_size = 1, sum_of_other_index_sizes = 1"
           " WHERE database_name = 'orgaudit';"
           " UPDATE mysql.innodb_index_stats SET stat_value = 1"
           " WHERE database_name = 'orgaudit'"
           " AND stat_name LIKE 'n_diff%';"
           " FLUSH TABLES;")
    check_pages("with empty statistics")


@test
def each_audit_log_filter_has_its_own_index():
    """The page's query with one filter set, as MariaDB plans it: each
    filter drives an index of its own, never a walk of the chain (row
    counts cannot show this one: a condition pushed into the engine
    hides the rows it skips from Handler_read_*)."""
    want = {"type": "audit_event_type", "actor_id": "audit_event_actor",
            "actor_key_id": "audit_event_key",
            "actor_email_sha256": "audit_event_email",
            "project_id": "audit_event_project",
            "target_id": "audit_event_target"}
    for col, index in want.items():
        plan = st.sql("EXPLAIN SELECT seq FROM audit_event WHERE tenant_id ="
                      " %d AND org_id = %d AND seq < 9223372036854775807"
                      " AND %s = 'x' ORDER BY seq DESC LIMIT 50" % (
                          S["tenant"], S["org"], col))
        keys = [row[5] for row in plan]     # id select_type table type
        assert keys == [index], (col, plan)  # possible_keys key ...


@test
def the_pull_recomputes_statistics():
    # After the rigged statistics above, the next pull that changes the
    # tables enough analyses them again (first pull of a new org here);
    # InnoDB's own recalculation is off, so only the collector can.
    st.mariadb("SET GLOBAL innodb_stats_auto_recalc = OFF")
    org2 = st.connect(S["tenant"], name="Second")
    st.collect("--org", str(org2), check=True)
    rows = st.sql("SELECT n_rows FROM mysql.innodb_table_stats"
                  " WHERE database_name = 'orgaudit'"
                  " AND table_name = 'oa_key'")
    assert int(rows[0][0]) > 1000, rows


@test
def origins_and_counts_match_what_the_log_and_keys_say():
    org = S["org"]
    keys = {k["id"]: k for k in all_keys(st, S["token"], org)}
    # Every key's creator is the first api_key.created event naming it.
    first = {}
    for seq, target, actor in st.sql(
            "SELECT seq, target_id, COALESCE(actor_id, '') FROM audit_event"
            " WHERE org_id = %d AND type = 'api_key.created'"
            " ORDER BY seq" % org):
        first.setdefault(target, actor)
    with_origin = 0
    for kid, k in keys.items():
        cb = k["created_by"]
        if kid in first:
            with_origin += 1
            assert cb is not None, kid
            assert (cb["actor"]["id"] or "") == first[kid], (kid, cb)
        else:
            assert cb is None, (kid, cb)
    assert with_origin > 100, with_origin
    # Each project's counts are those of its keys in the keys list.
    for p in st.api("/api/v1/openai/orgs/%d/projects?limit=100" % org,
                    S["token"])["data"]:
        mine = [k for k in keys.values() if k["project"] and
                k["project"]["id"] == p["id"]]
        assert p["keys"] == {"total": len(mine),
                             "stale": sum(k["stale"] for k in mine),
                             "orphan": sum(k["orphan"] for k in mine)}, \
            (p["id"], p["keys"])


run(setup=setup, teardown=st.stop)
