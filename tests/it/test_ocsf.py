#!/usr/bin/env python3
"""The OCSF exports against the OCSF schema.

After one pull of the simulator's org, every line of events.ocsf.jsonl
and findings.ocsf.jsonl is an OCSF 1.3.0 event that validates against the
class definitions recorded in tests/data/ocsf/ (required attributes,
types, enum ids, type_uid = class_uid * 100 + activity_id); every event
type of the simulator's log is there, each as the class it is; each line
is the event or finding the JSON API shows, mapped; resuming with
after_seq or after_id gives exactly the rest; only a token of the org's
tenant reads them.
"""
import json
import os
import sys
import time

from common import SRC, new_stack
from tap import diag, run, test

sys.path.insert(0, os.path.join(SRC, "tests", "sim"))
import oasim  # noqa: E402

try:
    import jsonschema
except ImportError:     # a Python of its own; Debian's python3-jsonschema
    sys.path.append("/usr/lib/python3/dist-packages")
    import jsonschema

st = new_stack("it-ocsf")
S = {}
SCHEMA_FILE = os.path.join(SRC, "tests", "data", "ocsf",
                           "ocsf-1.3.0.schema.json")


def setup():
    st.start_db()
    st.start_sim("--users", "12", "--projects", "4", "--keys-per-project",
                 "4", "--seed", "83", "--events", "1500", "--events-days",
                 "20", "--owners", "5", "--stale-invites", "2")
    st.write_conf()
    st.init_orgaudit()
    st.start_web()
    S["tenant"] = st.tenant("Siem Co")
    S["tok"] = st.token(S["tenant"])
    S["org"] = st.connect(S["tenant"])
    collect()
    with open(SCHEMA_FILE) as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    S["validator"] = cls(schema, format_checker=jsonschema.FormatChecker())


def collect():
    r = st.collect("--org", str(S["org"]))
    assert r.returncode == 0, r.stderr


def export(name, query="", token=None, expect=200):
    """The lines of an export, each decoded."""
    path = "/api/v1/openai/orgs/%d/%s" % (S["org"], name)
    status, h, body = st.http("GET", path + query, token=token or S["tok"])
    assert status == expect, (path + query, status, body[:300])
    if expect != 200:
        return None
    assert h["content-type"].startswith("application/x-ndjson"), h
    assert body == b"" or body.endswith(b"\n")
    return [json.loads(line) for line in body.decode().splitlines()]


def validate(line):
    """Every schema error of one line, and the arithmetic it cannot do."""
    errs = ["%s: %s" % ("/".join(map(str, e.absolute_path)), e.message)
            for e in S["validator"].iter_errors(line)]
    if line.get("type_uid") != line.get("class_uid", 0) * 100 + \
            line.get("activity_id", 0):
        errs.append("type_uid is not class_uid * 100 + activity_id")
    if line.get("category_uid") != line.get("class_uid", 0) // 1000:
        errs.append("category_uid is not the class's category")
    return errs


def check_all(lines):
    bad = [(n, e) for n, line in enumerate(lines, 1) for e in validate(line)]
    assert not bad, "%d errors, the first: %s" % (len(bad), bad[:5])


def api_all(path):
    """Every object of a list through the API, following next_cursor."""
    out, cursor = [], None
    while True:
        q = ("&" if "?" in path else "?") + "limit=200" + (
            "&cursor=" + cursor if cursor else "")
        page = st.api("/api/v1/openai/orgs/%d/%s%s" % (S["org"], path, q),
                      S["tok"])
        out.extend(page["data"])
        cursor = page["next_cursor"]
        if cursor is None:
            return out


# The class each kind of type is (docs/ocsf.md).
def expected_class(t):
    if t.startswith(("login.", "logout.")):
        return 3002
    if t.startswith(("api_key.", "service_account.", "project.", "invite.")):
        return 3004
    if t.startswith(("user.", "role.")):
        return 3001
    return 6003


@test
def every_event_line_validates_against_the_ocsf_schema():
    lines = export("events.ocsf.jsonl")
    n = int(st.sql("SELECT COUNT(*) FROM audit_event WHERE org_id = %d"
                   % S["org"])[0][0])
    assert len(lines) == n > 1000, (len(lines), n)
    check_all(lines)
    seqs = [x["metadata"]["sequence"] for x in lines]
    assert seqs == list(range(1, n + 1)), "oldest first, every seq once"
    S["events"] = lines
    diag("%d events, %d classes" % (n, len({x["class_uid"] for x in lines})))


@test
def the_recorded_schema_refuses_what_ocsf_refuses():
    """The validator is not a rubber stamp: a line with a required
    attribute missing, an enum id the class lacks, a wrong type or an
    attribute OCSF does not define fails."""
    import copy
    good = next(x for x in S["events"] if x["class_uid"] == 3001)
    assert not validate(good)
    for spoil in (lambda x: x.pop("user"),
                  lambda x: x.pop("metadata"),
                  lambda x: x["metadata"]["product"].pop("vendor_name"),
                  lambda x: x.update(severity_id=7),
                  lambda x: x.update(activity_id=12, type_uid=300112),
                  lambda x: x.update(type_uid=300150),
                  lambda x: x.update(time="yesterday"),
                  lambda x: x.update(usr=x["user"]),
                  lambda x: x.update(src_endpoint={"ip": "203.0.113"})):
        bad = copy.deepcopy(good)
        spoil(bad)
        assert validate(bad), bad


@test
def every_event_type_of_the_log_is_covered_as_its_class():
    lines = S["events"]
    stored = {r[0] for r in st.sql("SELECT DISTINCT type FROM audit_event "
                                   "WHERE org_id = %d" % S["org"])}
    by_type = {}
    for x in lines:
        t = x["unmapped"]["entry"]["type"]
        if x["class_uid"] == 6003:
            assert x["api"]["operation"] == t
        by_type.setdefault(t, set()).add(x["class_uid"])
    assert set(by_type) == stored, set(by_type) ^ stored
    mix = {t for t, _ in oasim.TYPE_MIX if t} | set(oasim.UNKNOWN_TYPES)
    assert mix <= stored, mix - stored
    for t, classes in by_type.items():
        assert classes == {expected_class(t)}, (t, classes)
    diag("%d types: %s" % (len(by_type), ", ".join(sorted(by_type))))


@test
def each_event_line_is_the_api_event_mapped():
    api = {e["id"]: e for e in api_all("events")}
    org = st.api("/api/v1/openai/orgs/%d" % S["org"], S["tok"])
    assert len(api) == len(S["events"])
    for x in S["events"]:
        e = api[x["metadata"]["uid"]]
        assert x["unmapped"]["entry"] == e["entry"]
        assert x["unmapped"]["seq"] == e["seq"]
        assert x["unmapped"]["hash"] == e["hash"]
        assert x["time"] == e["effective_at"] * 1000
        assert x["metadata"]["product"]["name"] == "orgaudit"
        assert x["cloud"]["org"]["uid"] == org["openai_org"]
        if e["actor"]["id"] is not None and "user" in x["actor"]:
            assert x["actor"]["user"]["uid"] == e["actor"]["id"]
        if e["actor"]["key_id"] is not None:
            assert x["actor"]["user"]["credential_uid"] == \
                e["actor"]["key_id"]
        if x["class_uid"] == 3004 and e["target_id"]:
            assert x["entity"]["uid"] == e["target_id"]
        if e["type"] == "login.failed":
            assert x["status_id"] == 2 and x["status"] == "Failure"


@test
def resuming_after_a_seq_gives_exactly_the_rest():
    lines = S["events"]
    k = len(lines) // 3
    rest = export("events.ocsf.jsonl", "?after_seq=%d" % k)
    assert rest == lines[k:]
    page = export("events.ocsf.jsonl", "?after_seq=%d&limit=100" % k)
    assert page == lines[k:k + 100]
    assert export("events.ocsf.jsonl", "?after_seq=%d" % len(lines)) == []
    export("events.ocsf.jsonl", "?after_seq=-1", expect=400)
    export("events.ocsf.jsonl", "?cursor=x", expect=400)


@test
def every_finding_open_and_resolved_is_a_valid_detection_finding():
    # An accepted invite resolves its invite_stale finding.
    inv = [f for f in api_all("findings?status=open")
           if f["rule"] == "invite_stale"]
    assert inv, "the simulator was asked for stale invites"
    st.sim_post("/_sim/posture", {"op": "accept_invite",
                                  "invite_id": inv[0]["subject"]["id"]})
    time.sleep(1.1)
    collect()
    lines = export("findings.ocsf.jsonl")
    check_all(lines)
    api = api_all("findings?status=all")
    assert [x["finding_info"]["uid"] for x in lines] == \
        sorted((f["id"] for f in api), key=lambda s: int(s[4:]))
    by_id = {f["id"]: f for f in api}
    statuses = set()
    for x in lines:
        f = by_id[x["finding_info"]["uid"]]
        assert x["unmapped"]["finding"] == f
        assert x["finding_info"]["title"] == f["rule"]
        assert x["finding_info"]["first_seen_time"] == f["opened_at"] * 1000
        assert x["severity_id"] == {"low": 2, "medium": 3, "high": 4}[
            f["severity"]]
        resolved = f["resolved_at"] is not None
        assert (x["status_id"], x["activity_id"]) == \
            ((4, 3) if resolved else (1, 1))
        assert x["resources"][0]["uid"] == f["subject"]["id"]
        statuses.add(x["status"])
    assert statuses == {"New", "Resolved"}, statuses
    S["findings"] = lines
    diag("%d findings" % len(lines))


@test
def resuming_findings_after_an_id_gives_exactly_the_rest():
    lines = S["findings"]
    k = len(lines) // 2
    after = lines[k - 1]["metadata"]["sequence"]
    assert export("findings.ocsf.jsonl", "?after_id=%d" % after) == \
        lines[k:]
    assert export("findings.ocsf.jsonl", "?after_id=%d&limit=1" % after) == \
        lines[k:k + 1]
    last = lines[-1]["metadata"]["sequence"]
    assert export("findings.ocsf.jsonl", "?after_id=%d" % last) == []


@test
def only_a_token_of_the_tenant_reads_the_exports():
    other = st.tenant("Nosy Siem")
    tok = st.token(other)
    for name in ("events.ocsf.jsonl", "findings.ocsf.jsonl"):
        export(name, token=tok, expect=404)
        status, _, _ = st.http("GET", "/api/v1/openai/orgs/%d/%s"
                               % (S["org"], name))
        assert status == 401
        status, _, _ = st.http("HEAD", "/api/v1/openai/orgs/%d/%s"
                               % (S["org"], name), token=S["tok"])
        assert status == 405


run(setup=setup, teardown=st.stop)
