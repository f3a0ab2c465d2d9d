#!/usr/bin/env python3
"""What a web process keeps (src/cache.h) is never served once what it
shows has moved.

The keys page, the pages and API answers of the snapshot lists, findings
and audit log are kept by each web process under the org's stamp (SQL_ORG_STAMP: the
snapshot generations, the audit chain's head, org_view's generation and
the org's own columns).  The oracle: after each change, every answer of
the process that kept the old ones equals the answer of a freshly started
process, which keeps nothing; and at least one answer differs from before
the change, so the change was one the pages show.  The changes: a pull
after the org changed, a usage-only pull (no snapshot moves: only the
keys' 30-day figures and the findings), new audit events, a disconnect.
The overview follows the pull in progress and keeps only its chart of key
ages.  One FastCGI process, so every request meets the same cache.  Also: a kept
answer costs two statements, and another tenant never gets it.
"""
import re

from common import new_stack
from tap import run, test

st = new_stack("it-pagecache", fcgi_children=1)
S = {}


def setup():
    st.start_db()
    st.start_sim("--users", "40", "--projects", "4", "--keys-per-project",
                 "5", "--usage-keys", "8", "--usage-days", "20",
                 "--events", "300", "--seed", "11")
    st.write_conf(usage_backfill_days=20)
    st.init_orgaudit()
    S["tenant"] = st.tenant("Kept")
    S["org"] = st.connect(S["tenant"])
    st.collect("--org", str(S["org"]), check=True)
    S["token"] = st.token(S["tenant"])
    _, pw = st.account(S["tenant"], "lead@kept.example", "owner")
    S["pw"] = pw
    S["other"] = st.tenant("Other")
    S["other_org"] = st.connect(S["other"])
    st.collect("--org", str(S["other_org"]), check=True)
    S["other_token"] = st.token(S["other"])
    st.start_web()
    login()


def login():
    status, _, cookie = st.login("lead@kept.example", S["pw"])
    assert status == 303 and cookie, status
    S["cookie"] = cookie


def urls():
    org = S["org"]
    api = "/api/v1/openai/orgs/%d" % org
    return [
        ("page", "/orgs/%d/keys" % org),
        ("live", "/orgs/%d" % org),
        ("page", "/orgs/%d/keys?sort=name&dir=desc" % org),
        ("page", "/orgs/%d/keys?stale=false" % org),
        ("page", "/orgs/%d/users" % org),
        ("page", "/orgs/%d/service-accounts" % org),
        ("page", "/orgs/%d/findings" % org),
        ("page", "/orgs/%d/events" % org),
        ("api", api + "/keys?limit=50"),
        ("api", api + "/keys?limit=10&type=project"),
        ("api", api + "/users?limit=50"),
        ("api", api + "/findings?limit=100"),
        ("api", api + "/events?limit=20"),
    ]


def get(kind, path, token=None):
    if kind == "api-other":
        kind, token = "api", S["other_token"]
    if kind in ("page", "live"):
        status, _, body = st.http("GET", path,
                                  headers={"Cookie": S["cookie"]})
    else:
        status, _, body = st.http("GET", path, token=token or S["token"])
    assert status == 200, (path, status, body[:200])
    return body


def answers():
    return {path: get(kind, path) for kind, path in urls()}


def statements():
    return int(st.mariadb("SHOW GLOBAL STATUS LIKE 'Com_stmt_execute'")
               [0][1])


def cost(kind, path):
    """Prepared statements executed to answer one GET."""
    before = statements()
    body = get(kind, path)
    return statements() - before, body


def fresh():
    """The same answers from a web process that has kept nothing."""
    st.stop_web()
    st.start_web()
    return answers()


def same_as_fresh(before, what):
    kept = answers()
    again = fresh()
    for path in kept:
        assert kept[path] == again[path], \
            "after %s, %s is not what a fresh process answers" % (what, path)
    moved = [p for p in kept if kept[p] != before[p]]
    assert moved, "%s changed no answer: the test shows nothing" % what
    # The fresh process keeps them now; warm it as the next test expects.
    assert answers() == again
    return again, moved


@test
def a_kept_answer_costs_two_statements():
    for kind, path in urls():
        if kind == "live":
            continue                # the overview keeps only its chart
        first, body1 = cost(kind, path)
        second, body2 = cost(kind, path)
        assert body1 == body2, path
        # The session (or token); the org's stamp, which is also the
        # check that the org is the tenant's.
        assert second <= 2, "%s: %d statements when kept" % (path, second)
        assert first > second, "%s: %d then %d statements" % (path, first,
                                                              second)
    S["warm"] = answers()


@test
def a_pull_after_the_org_changed_is_shown():
    st.sim_post("/_sim/mutate", {"seed": 4})
    st.collect("--org", str(S["org"]), check=True)
    S["warm"], moved = same_as_fresh(S["warm"], "a pull of a changed org")
    assert any("/keys" in p for p in moved), moved


@test
def a_usage_only_pull_is_shown():
    gens = st.sql("SELECT stream, gen FROM org_stream WHERE org_id = %d"
                  " ORDER BY stream" % S["org"])
    view = st.sql("SELECT gen FROM org_view WHERE org_id = %d" % S["org"])
    st.sim_post("/_sim/usage/revise", {"seed": 9})
    st.sim_post("/_sim/usage/revise", {"seed": 10})
    st.sql("UPDATE org SET usage_at = usage_at - 900, collected_at_ms = 0"
           " WHERE id = %d" % S["org"])
    st.collect("--all", check=True)
    # No snapshot moved: what changed the stamp is org_view.
    assert st.sql("SELECT stream, gen FROM org_stream WHERE org_id = %d"
                  " ORDER BY stream" % S["org"]) == gens
    assert st.sql("SELECT gen FROM org_view WHERE org_id = %d" %
                  S["org"]) != view
    S["warm"], moved = same_as_fresh(S["warm"], "a usage-only pull")
    assert any(re.search(r"/keys", p) for p in moved), moved


@test
def new_audit_events_are_shown():
    st.sim_post("/_sim/events", {"count": 7})
    st.collect("--org", str(S["org"]), check=True)
    S["warm"], moved = same_as_fresh(S["warm"], "new audit events")
    assert any("/events" in p for p in moved), moved


@test
def another_tenant_never_gets_a_kept_answer():
    answers()                                   # all kept
    for kind, path in urls():
        if kind != "api":
            continue
        status, _, body = st.http("GET", path, token=S["other_token"])
        assert status == 404, (path, status, body[:200])
        # Its own org's answer is its own (made, not kept: first ask).
        theirs = path.replace("/orgs/%d/" % S["org"],
                              "/orgs/%d/" % S["other_org"])
        n, _ = cost("api-other", theirs)
        assert n > 2, (theirs, n)


@test
def a_disconnect_is_shown():
    st.cli("org", "disconnect", "--tenant", str(S["tenant"]), "--org",
           str(S["org"]))
    S["warm"], moved = same_as_fresh(S["warm"], "a disconnect")
    assert any(p.startswith("/orgs/") for p in moved), moved
    assert b"disconnected" in S["warm"]["/orgs/%d/keys" % S["org"]]


run(setup=setup, teardown=st.stop)
