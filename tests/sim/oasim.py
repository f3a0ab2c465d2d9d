#!/usr/bin/env python3
"""oasim: a deterministic simulator of the OpenAI Administration API.

Serves ``/v1/organization/*`` for orgaudit's integration tests, demo and
benchmark: users, projects, project API keys, service accounts and users,
admin API keys, invites, audit logs, the ten usage endpoints and costs, the
posture settings (model permissions, spend alerts, data retention, rate
limits), roles and groups, and the DELETE endpoints a remediation needs.
Python 3 standard library only.

Data
    Every object is a pure function of --seed, the size and usage options,
    --email-domain, --hostile-names, the accepted --admin-key /
    --admin-key-readonly values and --now.  The org holds the cases an auditor
    must find: stale keys (never used, or last used long ago), orphan keys
    (owner left the org, or lost project access), legacy user keys,
    service-account keys, admin keys of departed users, admin keys created
    more than 90 days ago.  Key usage
    cycles through seven ages (see USAGE_CASES) so that every case appears
    even in a small org; no timestamp lies within 12 hours of the 90-day
    boundary.  Every tenth user is an owner (--owners N: exactly N, spread
    evenly); --stale-invites N pending invites were sent 45, 52, ... days ago.

Posture settings, roles and groups
    Project number i (in creation order) has the model policy
    MODEL_POLICIES[i % 3] (none, an allow list, a deny list), a spend alert
    when i is odd (two when i % 4 == 3), data retention RETENTION_CYCLE[i % 5]
    and RATE_LIMITS (halved when i is odd); the org has no spend alert and
    retention ORG_RETENTION.  model_permissions of a project without a policy
    answers {"mode":"deny_list","model_ids":[]} (nothing denied): the spec
    documents only the 200 answer with a mode, not this case.  Roles: the
    predefined Owner and Reader and two custom ones (ROLES); groups (GROUPS):
    "Platform Admins" (two owners, grants Owner), "Finance" and "Support Team"
    (readers).  Who holds which org role is read from GET /roles,
    /users/{id}/roles (a user's roles; assignment_sources names the group a
    role comes from), /groups, /groups/{id}/users and /groups/{id}/roles; a
    user holds Owner iff the users list says role "owner".

Usage and costs
    --usage-keys N keys of the key list carry traffic (default 8; 0 = every
    bucket empty), over the --usage-days days before --now's UTC day and that
    day, with --usage-models chat models (of CHAT_MODELS) and the other
    endpoints in SECONDARY proportions; each endpoint has traffic from some
    key.  ``UsageData`` makes a UTC day's rows on first use and caches them:
    one per key, model and day up to the day before yesterday of the start-up
    --now, spread over 2-7 hours of the day from then on (hourly detail for
    at least the last 48 hours).
    user_id is the key's owner, null for service-account keys.  A key is
    never used after its last_used_at nor before its creation, except the
    planted stale wake-ups.  Keys used within a day of start-up stay in use:
    when --now moves ahead (POST /_sim/clock) their new hours appear, today's
    bucket grows and their last_used_at follows; keys that leave the key list
    carry no usage from then on.  Costs are made per day from the same usage
    (unrevised): "<model>, input" / "<model>, output" per project and key,
    embeddings, images, audio, web / file search tool calls per key, code
    interpreter sessions and vector store storage per project (api_key_id
    null) and "file storage" with project_id and api_key_id null.  Amounts are
    exact in pico-dollars; an amount is served (by a hash of its bucket and
    group) as a JSON number when it has at most 15 significant digits, or as a
    decimal string, minimal or with 12 decimals.
    Planted, first among the --usage-keys: a spike (a nearly daily key at 30
    requests a day, 25 times that on --now's day - 5); two stale keys used
    from --now's day - 2 on (their last_used_at is left old: the key list
    lags, the usage stream is the evidence); a departed user's key used from
    the day after its owner left (its last_used_at follows); a key used on
    the first day, then not for stale_days, then daily (needs --usage-days >
    stale_days).  Unmapped, besides them: two deleted keys (one of a departed
    user) and a key of a project that is not listed.
    ``POST /_sim/usage/revise`` revises recent rows (see UsageData.revise).

Audit history
    The org's own history (project.created, user.added, api_key.created, ...)
    plus --events N synthetic events over the --events-days before --now, plus
    events added at run time (``POST /_sim/events``, the events_per_request
    knob) at wall-clock time: one list ordered by (effective_at, id), served
    newest first.  Synthetic and added events are made on demand from (--seed,
    seq) by ``AuditGen``: a million cost nothing at start-up.  Ids of those are
    ``audit_log-`` + 8 base62 digits of seq + 6 hash characters, so a cursor
    maps back to its position in O(1).

Writes
    DELETE projects/{p}/api_keys/{k} (400 for a service-account key),
    projects/{p}/service_accounts/{s} (with its keys), projects/{p}/users/{u}
    (the user's keys there become owner_project_access inactive), users/{u}
    (the user becomes departed) and admin_api_keys/{k} answer the spec's
    deleted objects; the object leaves the lists and the truth, and a second
    DELETE answers 404.  The audit log gains api_key.deleted,
    service_account.deleted or user.deleted at wall-clock time, in the
    default project (the spec: admin-key actions are associated with it), by
    the acting admin key (actor api_key with its id and owner).  Project
    member removal and admin key deletion log nothing: no org-scoped event
    type exists for them.  A --admin-key-readonly key reads but its writes
    answer 403.  An accepted key that deletes itself answers 401 from then on.

Ground truth
    ``--truth F`` and ``GET /_sim/truth`` give what a correct audit must report:
    the org (format in ``Org.truth``), "posture" (``Org.posture``; the finding
    org_audit_logging_off follows the audit_logging knob) and "usage":
        {"window": {start, end, hourly_from}, "models", "traffic_keys",
         "planted": {spike, stale, orphan, gap: [key ids]},
         "rows": {endpoint: [{day, project_id, user_id, api_key_id, model,
                  every counter}]}   (daily sums; null where an endpoint lacks a
                                      dimension)
         "costs": {"currency": "usd", "total", "totals": {project_id,
                   api_key_id, line_item, day: [{<that>, amount}]},
                   "rows": [{day, project_id, line_item, api_key_id, amount,
                             currency, quantity, quantity_unit}]},
         "spikes": [{api_key_id, day, count, median}],
         "wakeups": [{api_key_id, day, why: "stale"|"orphan"|"gap"}],
         "unmapped": [{kind: "api_key"|"user"|"project", id, requests, amount,
                       first_day, last_day}],
         "revisions": [{revision, endpoint, bucket_width, start_time, group}]}
    All of it is computed from the rows as served up to --now, for the org as
    it is now.  Days are the UTC midnights that start 1d buckets; amounts are
    exact decimal strings.  A key's "requests" on a day are its
    num_model_requests summed over REQUEST_KINDS.  A spike: a day with >= 100
    requests and >= 10 x the median (mean of the 7th and 8th of the 14 sorted
    values) of the key's requests on the 14 days before, that median > 0 and
    the 14 days inside the window.  Wake-ups: a listed stale key's first day
    with usage after its last_used_at (or creation); a departed user's key's
    first usage day after the day its owner left; any key's usage day that
    follows its previous one by more than stale_days days.  Unmapped: ids in
    usage or costs that the key, user or project list lacks; requests and
    first / last day from usage and costs, amount from the costs of that key
    or project, or of the keys whose usage carries that user.  Revisions: for
    each revised usage row its 1h and 1d buckets (group: the four ids above;
    the 1m bucket inside changes too), for each costs row its 1d bucket
    (group: project_id, line_item, api_key_id).  The usage section of a big
    org is large (all rows): ``?usage=summary`` leaves the rows out,
    ``?usage=0`` the whole section (as cheap as before), and
    --truth-without-usage keeps it out of F.  ``POST /_sim/mutate`` changes
    the org the way an hour of real life would (see ``Org.mutate``); every
    change rewrites F.  The audit history has its own: every id, a digest,
    and each served entry.

Wire format
    Objects follow the schemas of shared/openai/admin-subset.yaml.  Lists use the
    cursor envelope {"object":"list","data","first_id","last_id","has_more"},
    ordered by id ascending (audit logs newest first); roles, groups and their
    members use {"object":"list","data","has_more","next"} (after=next);
    usage and costs use {"object":"page","data":[bucket],"has_more","next_page"}
    with buckets {"object":"bucket","start_time","end_time","results"}
    aligned to the width (1d: UTC midnight), end_time exclusive, ungrouped
    fields null, "results": [] when empty.  Their parameters are checked as
    OpenAI's (``UsageQuery``): group_by repeated, with [] or comma-joined;
    filters repeated or with []; limit out of range is a 400, never clamped;
    a page token works only with the parameters it was issued for.  One
    user-owned key in five carries the older owner shape
    ({"object":"organization.project.user",...,"added_at"}).  Errors use
    {"error":{"message","type","param","code"}}; a wrong admin key is echoed
    partially masked, as the real API does.

Faults
    Latency, 429, 500 and dropped connections are injected per request from a
    RNG seeded by --seed (reads and writes alike); any stream (STREAMS) can be
    forced to 403 / 404 or to a cursor that never advances (for usage and
    costs: the first page again, with the same next_page).  Usage and costs
    also take missing_next_page (has_more true, next_page null),
    missing_data (no "data") and extra_fields (buckets get "timezone", results
    "organization_id"); costs take bad_amount ("abc" or NaN as the first
    amount of each page) and currency_switch (every bucket after the query's
    first one in that currency).  Writes take write_failures (the next N fail
    with write_failure_status, without effect) and write_drops (the next N
    take effect, then the connection closes unanswered).  ``POST
    /_sim/config`` changes the knobs live; the command line sets the stream
    ones.

Control paths (no auth, never faulted, not under /v1)
    GET  /_sim/truth         ground truth JSON; ?usage=0|summary|1 (default 1)
    GET  /_sim/stats         request counters for /v1 paths
    POST /_sim/stats/reset   zero the counters
    GET|POST /_sim/config    read / replace fault knobs (JSON body)
    POST /_sim/mutate        {"seed": N}: deterministic change, answers new truth
                             (?usage= as for the truth)
    POST /_sim/events        {"count": N, "age_seconds": S}: N audit events at
                             wall-clock now - S (S default 0); answers {"added": [ids]}
    POST /_sim/posture       {"op": ..., ...}: fix or break a posture setting
                             (POSTURE_OPS, ``Org.posture_op``) at --now, logged
                             where an event type exists; answers {"result",
                             "posture": the new posture truth}
    POST /_sim/usage/revise  {"seed": N}: revise recent usage and costs rows;
                             answers {"revision", "changed": [as in the truth]}
    POST /_sim/clock         {"advance_seconds": S}: --now moves S seconds ahead;
                             answers {"now"}
    GET  /_sim/audit/ids     {"count", "ids": every audit id, oldest first}; 413
                             beyond 200,000 entries
    GET  /_sim/audit/digest  {"count", "sha256": of the ids joined by "\\n", oldest first}
    GET  /_sim/audit/event/ID  the entry exactly as audit_logs serves it (404 if none)
    The audit paths describe the history as recorded, whatever the fault knobs
    (audit_logging, forbid, ...) make /v1 answer.

Design
    Reads take no lock but one: every list is pre-serialised into an immutable
    ``Snapshot`` (ids sorted, one JSON byte string per item) and a page is a
    bisect plus a join.  A change builds a new snapshot under the simulator's
    lock and swaps the reference.  Audit pages merge three sorted parts
    (``AuditIndex``): the snapshot's org history, the synthetic history
    (positions by arithmetic) and the added events (``LiveLog``, whose short
    lock is one exception).  Usage and costs pages aggregate cached day rows
    per bucket and cache each bucket's results as bytes (``UsagePages``;
    the caches' short locks are the other exception).
"""

from __future__ import annotations

import argparse
import array
import base64
import binascii
import bisect
import collections
import dataclasses
import functools
import hashlib
import http.server
import itertools
import json
import operator
import os
import random
import re
import secrets
import signal
import string
import sys
import threading
import time
import zlib
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import parse_qsl, unquote

DAY = 86400
HOUR = 3600
ALNUM = string.ascii_letters + string.digits
_ALNUM_TABLE = "".join(ALNUM[b % len(ALNUM)] for b in range(256)).encode("ascii")
DEFAULT_ADMIN_KEY = "sk-admin-SIMULATORKEY0000000000000000000000000000abcd"
STREAMS = ("users", "projects", "api_keys", "service_accounts", "project_users",
           "admin_api_keys", "invites", "audit_logs", "costs", "usage",
           "model_permissions", "spend_alerts", "project_spend_alerts", "data_retention",
           "project_data_retention", "rate_limits", "roles", "user_roles", "groups",
           "group_users", "group_roles")
PAGE_STREAMS = ("costs", "usage")       # the streams served in the {"object":"page"} envelope
KEY_PREFIX = {"project": "sk-proj-", "service_account": "sk-svcacct-", "user": "sk-",
              "admin": "sk-admin-"}
ELLIPSIS = "\u2026"
KEYLIKE = re.compile(r"sk-[A-Za-z0-9_\-]+")

# (created N days ago, last used N days ago or None).  Cycled through by key
# number so that every case is present in every org of 7 keys or more.
USAGE_CASES = (
    (10, None),   # never used, young: fresh
    (200, None),  # never used, old: stale
    (300, 1),     # used yesterday
    (150, 89),    # last used 89 days ago: fresh
    (250, 91),    # last used 91 days ago: stale
    (450, 400),   # last used 400 days ago: stale
    (60, 0),      # used today
)
# Order in which generated admin keys take the usage cases.
ADMIN_CASES = (5, 2, 1, 3, 6, 0, 4)
# Posture thresholds of the ground truth (stale_days comes from --stale-days).
ROTATION_DAYS, INVITE_DAYS, MAX_OWNERS = 90, 30, 3

FIRST = ("Jane", "John", "Aisha", "Carlos", "Mei", "Olu", "Priya", "Lars", "Sofia",
         "Kenji", "Fatima", "Liam", "Noah", "Emma", "Ava", "Mateo", "Zara", "Ivan",
         "Nadia", "Tom", "Grace", "Hugo", "Yuki", "Omar", "Chloe", "Raj", "Elena",
         "Kwame", "Ines", "Felix")
LAST = ("Smith", "Garcia", "Chen", "Okafor", "Patel", "Nilsson", "Rossi", "Tanaka",
        "Haddad", "Murphy", "Kowalski", "Silva", "Nguyen", "Muller", "O'Brien",
        "Dubois", "Ivanova", "Mensah", "Kim", "Larsen", "Costa", "Novak")
PROJECT_NAMES = ("Support Assistant", "Search", "Internal Tools", "Data Platform",
                 "Marketing Copy", "Mobile App", "Research", "Sales Insights",
                 "Docs Bot", "Onboarding", "Fraud Signals", "Translation")
KEY_NAMES = ("CI deploy", "notebook", "{first}'s laptop", "staging backend",
             "prod backend", "eval runner", "data pipeline", "Slack bot", "batch jobs",
             "local dev", "analytics export", "support widget", "{first}'s experiments",
             "cron summariser", "load test")
SA_NAMES = ("ci-bot", "deploy-bot", "etl-service", "support-assistant", "ingest-worker",
            "nightly-batch", "webhook-relay")
SA_KEY_NAMES = ("deploy pipeline", "nightly batch", "webhook handler", "ingest worker")
ADMIN_NAMES = ("Terraform", "Audit export", "Billing sync", "SCIM bridge", "Ops console")
# Every project's rate limits (project.rate_limit); odd projects get half of each value.
RATE_LIMITS = (
    ("dall-e-3", {"max_requests_per_1_minute": 500, "max_tokens_per_1_minute": 0,
                  "max_images_per_1_minute": 50}),
    ("gpt-4o", {"max_requests_per_1_minute": 10000, "max_tokens_per_1_minute": 30000000,
                "batch_1_day_max_input_tokens": 5000000000}),
    ("gpt-4o-mini", {"max_requests_per_1_minute": 30000, "max_tokens_per_1_minute": 150000000,
                     "batch_1_day_max_input_tokens": 15000000000}),
    ("text-embedding-3-small", {"max_requests_per_1_minute": 10000,
                                "max_tokens_per_1_minute": 10000000,
                                "max_requests_per_1_day": 14400000}),
    ("whisper-1", {"max_requests_per_1_minute": 500, "max_tokens_per_1_minute": 0,
                   "max_audio_megabytes_per_1_minute": 25}),
)
# Model permission policies, cycled through by project number (0 = no policy).
MODEL_POLICIES = (None, ("allow_list", ["gpt-4o-mini-2024-07-18", "o3-mini-2025-01-31"]),
                  ("deny_list", ["gpt-4o-audio-preview-2024-12-17"]))
RETENTION_CYCLE = ("organization_default", "organization_default", "zero_data_retention",
                   "organization_default", "none")
ORG_RETENTION = "modified_abuse_monitoring"
# (name, description, permissions, predefined, created N days ago)
ROLES = (("Owner", "Full access to the organization", [
             "api.groups.read", "api.groups.write", "api.management.read",
             "api.management.write", "api.organization.read", "api.organization.write",
             "api.usage.read"], True, None),
         ("Reader", "Read access to the organization", ["api.organization.read",
                                                        "api.usage.read"], True, None),
         ("API Group Manager", "Allows managing organization groups",
          ["api.groups.read", "api.groups.write"], False, 200),
         ("Usage Viewer", "Reads usage and costs", ["api.usage.read"], False, 120))
# (name, SCIM-managed, members: owners or readers, how many, role names)
GROUPS = (("Platform Admins", False, "owner", 2, ("Owner", "API Group Manager")),
          ("Finance", True, "reader", 2, ("Usage Viewer",)),
          ("Support Team", True, "reader", 3, ()))
USER_AGENTS = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 "
               "(KHTML, like Gecko) Version/17.5 Safari/605.1.15",
               "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
               "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
               "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
HOSTILE_NAMES = (
    "<script>alert(1)</script>",
    "\"O'Brien & <Co>\"",
    "invoice \u202egnp.exe\u202c key",
    "\U0001F511 prod key \U0001F680",
    "long-name-" + "x" * 9990,          # exactly 10,000 characters
)

MSG_NO_KEY = ("You didn't provide an API key. You need to provide your API key in an "
              "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), "
              "or as the password field (with blank username) if you're accessing the API "
              "from your browser and are prompted for a username and password. You can "
              "obtain an API key from https://platform.openai.com/account/api-keys.")
MSG_BAD_KEY = ("Incorrect API key provided: {masked}. You can find your API key at "
               "https://platform.openai.com/account/api-keys.")
MSG_SCOPES = ("You have insufficient permissions for this operation. Missing scopes: "
              "api.management.read. Check that you have the correct role in your "
              "organization (Owner), and if you're using a restricted API key, that it "
              "has the necessary scopes.")
MSG_FORBIDDEN = "You have insufficient permissions for this operation."
MSG_READ_ONLY = ("You have insufficient permissions for this operation. Missing scopes: "
                 "api.management.write. Check that you have the correct role in your "
                 "organization (Owner), and if you're using a restricted API key, that it "
                 "has the necessary scopes.")
MSG_RATE = ("Rate limit reached for requests in organization {org} on administration "
            "requests. Please try again in {secs}s.")
MSG_500 = "The server had an error while processing your request. Sorry about that!"


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dumps(obj) -> bytes:
    """Compact UTF-8 JSON, the one encoder used for every body."""
    return _ENCODER.encode(obj).encode("utf-8")


# --------------------------------------------------------------------------
# Errors: the single place the error envelope is built.

class ApiError(Exception):
    """An OpenAI-style error answer."""

    def __init__(self, status, message, etype="invalid_request_error", param=None,
                 code=None, headers=()):
        super().__init__(message)
        self.status = status
        self.message = message
        self.etype = etype
        self.param = param
        self.code = code
        self.headers = tuple(headers)

    def body(self) -> bytes:
        return dumps({"error": {"message": self.message, "type": self.etype,
                                "param": self.param, "code": self.code}})


def bad_param(param, message, code="invalid_value"):
    return ApiError(400, message, param=param, code=code)


# --------------------------------------------------------------------------
# Model

@dataclass
class User:
    id: str
    name: str
    email: str
    role: str
    added_at: int
    is_service_account: bool = False


@dataclass
class Project:
    id: str
    name: str
    created_at: int
    archived_at: int | None = None

    @property
    def archived(self):
        return self.archived_at is not None


@dataclass
class ServiceAccount:
    id: str
    project_id: str
    name: str
    role: str
    created_at: int


@dataclass
class Member:
    user_id: str
    role: str
    added_at: int


@dataclass
class Key:
    id: str
    project_id: str
    kind: str              # "project" | "service_account" | "user" (legacy)
    name: str
    secret: str
    created_at: int
    last_used_at: int | None
    owner_type: str        # "user" | "service_account"
    owner_id: str
    access: str            # owner_project_access: "active" | "inactive"
    old_shape: bool = False


@dataclass
class AdminKey:
    id: str
    name: str
    secret: str
    created_at: int
    expires_at: int | None
    last_used_at: int | None
    owner_id: str


@dataclass
class Invite:
    id: str
    email: str
    role: str
    status: str
    created_at: int
    expires_at: int | None
    accepted_at: int | None
    projects: list


@dataclass
class Event:
    id: str
    type: str
    effective_at: int
    project_id: str | None
    actor: dict
    payload: dict


Write = collections.namedtuple("Write", "t actor key_id")   # a DELETE: when, by whom


@dataclass
class SpendAlert:
    id: str
    threshold_amount: int       # cents
    recipients: list


@dataclass
class Settings:
    """A project's posture settings.  model_mode None = no model policy."""
    model_mode: str | None
    model_ids: list
    spend_alerts: dict          # id -> SpendAlert
    data_retention: str
    rate_limits: list           # (model, {max_* field: int}) in schema field order


@dataclass
class Role:
    id: str
    name: str
    description: str | None
    permissions: list
    predefined: bool
    created_at: int | None
    created_by: str | None      # user id


@dataclass
class Group:
    id: str
    name: str
    created_at: int
    scim: bool
    members: list               # user ids
    roles: list                 # role ids


def alnum(rng, n):
    """n pseudo-random letters and digits from rng (fast; a slight bias is fine)."""
    return rng.randbytes(n).translate(_ALNUM_TABLE).decode("ascii")


def slug(s):
    return "".join(c for c in s.lower() if c.isascii() and c.isalnum())


def redacted(secret, prefix):
    """OpenAI's redacted_value: prefix + 3 characters + '...' + last 4."""
    head = secret[len(prefix):len(prefix) + 3] if secret.startswith(prefix) else secret[:3]
    return prefix + head + "..." + secret[-4:]


def expected_redacted(secret, prefix):
    """orgaudit's redacted form: prefix + U+2026 + last 4."""
    return prefix + ELLIPSIS + secret[-4:]


class Org:
    """The simulated organization and its history.  Not thread-safe by itself:
    the Sim serialises construction and mutation."""

    def __init__(self, o):
        self.o = o
        self.now = o.now
        self.used_ids = set()
        self.person_no = 0
        self.users: dict[str, User] = {}        # listed: humans + service-account users
        self.departed: dict[str, User] = {}
        self.projects: dict[str, Project] = {}
        self.sas: dict[str, ServiceAccount] = {}
        self.members: dict[str, dict[str, Member]] = {}
        self.keys: dict[str, Key] = {}
        self.admin_keys: dict[str, AdminKey] = {}
        self.invites: dict[str, Invite] = {}
        self.events: list[Event] = []
        self.departed_at: dict[str, int] = {}   # user id -> when the user left
        self.settings: dict[str, Settings] = {}
        self.org_alerts: dict[str, SpendAlert] = {}
        self.roles: dict[str, Role] = {}
        self.groups: dict[str, Group] = {}
        self.deletions: list[dict] = []         # what writes and posture ops removed
        self.mutations = 0
        self.write_rng = self._rng("writes")    # ids of the events writes and posture ops log
        self._humans = None
        self.hostile = list(HOSTILE_NAMES) if o.hostile_names else []
        self._gen_people(self._rng("people"))
        self._gen_projects(self._rng("projects"))
        self._gen_keys(self._rng("keys"))
        self._gen_admin_keys(self._rng("admin_keys"))
        self._gen_readonly_admin_keys(self._rng("readonly"))
        self._gen_invites(self._rng("invites"))
        self._gen_history(self._rng("audit"))
        self._gen_settings(self._rng("settings"))
        self._gen_rbac(self._rng("rbac"))

    # ---- helpers
    def _rng(self, tag):
        return random.Random("%d:%s" % (self.o.seed, tag))

    def new_id(self, rng, prefix, n):
        while True:
            i = prefix + alnum(rng, n)
            if i not in self.used_ids:
                self.used_ids.add(i)
                return i

    @staticmethod
    def secret(rng, prefix):
        return prefix + alnum(rng, 48)

    def ago(self, rng, days, jitter=3 * HOUR):
        """now - days, +/- up to `jitter` seconds, never in the future."""
        t = self.now - days * DAY + rng.randint(-jitter, jitter)
        return min(t, self.now - rng.randint(60, jitter)) if days == 0 else t

    def person(self, uid):
        return self.users.get(uid) or self.departed.get(uid)

    def humans(self):
        """Listed human users, in insertion order (cached until users change)."""
        if self._humans is None:
            self._humans = [u for u in self.users.values() if not u.is_service_account]
        return self._humans

    def owners(self):
        return [u for u in self.humans() if u.role == "owner"] or self.humans()

    def default_project(self):
        return next(iter(self.projects.values()))

    def _new_person(self, rng, role, svc=False):
        self.person_no += 1
        n = self.person_no
        if svc:
            word = rng.choice(SA_NAMES)
            name, email = "%s-%d" % (word, n), "svc.%s%d@%s" % (slug(word), n, self.o.email_domain)
        else:
            first, last = rng.choice(FIRST), rng.choice(LAST)
            name = "%s %s" % (first, last)
            email = "%s.%s%d@%s" % (slug(first), slug(last), n, self.o.email_domain)
        added = self.ago(rng, rng.randint(500, 1150))
        return User(self.new_id(rng, "user-", 24), name, email, role, added, svc)

    # ---- generation
    def _owner_numbers(self):
        """Numbers of the listed humans who are owners: every tenth, or --owners N
        spread evenly."""
        n, users = self.o.owners, self.o.users
        if n is None:
            return set(range(0, users, 10))
        return {j * users // n for j in range(min(n, users))}

    def _gen_people(self, rng):
        o = self.o
        owners = self._owner_numbers()
        for i in range(o.users):
            u = self._new_person(rng, "owner" if i in owners else "reader")
            self.users[u.id] = u
        for _ in range(o.service_account_users):
            u = self._new_person(rng, "reader", svc=True)
            self.users[u.id] = u
        for i in range(o.departed_users):
            u = self._new_person(rng, "owner" if i == 0 else "reader")
            self.departed[u.id] = u

    def _gen_projects(self, rng):
        o = self.o
        n = o.projects
        archived = min(o.archived_projects, n - 1)
        for i in range(n):
            if i == 0:
                name, days = "Default project", 1200 + rng.randint(0, 60)
            else:
                base = PROJECT_NAMES[(i - 1) % len(PROJECT_NAMES)]
                rnd = (i - 1) // len(PROJECT_NAMES)
                name = base if rnd == 0 else "%s %d" % (base, rnd + 1)
                days = 1100 - (i - 1) * 500 // max(1, n - 1)
            p = Project(self.new_id(rng, "proj_", 24), name, self.ago(rng, days))
            if 1 <= i <= archived:
                p.archived_at = self.now - (2 + i) * DAY - rng.randint(0, 3 * HOUR)
            self.projects[p.id] = p
        self._apply_hostile_project_names()
        for p in self.projects.values():
            self._gen_members(rng, p)
            if not p.archived:
                for _ in range(o.service_accounts_per_project):
                    self.add_service_account(rng, p, self.ago(rng, rng.randint(480, 560)))
        for i, sa in enumerate(list(self.sas.values())[:2]):
            if self.hostile:
                sa.name = self.hostile[2 + i]

    def _apply_hostile_project_names(self):
        if not self.hostile:
            return
        for p, name in zip(list(self.projects.values())[1:], self.hostile[:3]):
            p.name = name

    def _gen_members(self, rng, p):
        humans = self.humans()
        chosen = rng.sample(humans, min(self.o.project_users_per_project, len(humans)))
        self.members[p.id] = {}
        for j, u in enumerate(chosen):
            added = max(p.created_at, u.added_at) + rng.randint(1, 30) * DAY
            self.members[p.id][u.id] = Member(u.id, "owner" if j == 0 else "member",
                                              min(added, self.now - DAY))

    def add_service_account(self, rng, p, created_at):
        n = len(self.sas)
        sa = ServiceAccount(self.new_id(rng, "svc_acct_", 16), p.id,
                            SA_NAMES[n % len(SA_NAMES)], "owner" if n % 3 == 2 else "member",
                            created_at)
        self.sas[sa.id] = sa
        return sa

    def _gen_keys(self, rng):
        g = 0           # key number over the org: drives usage case and owner category
        u = 0           # user-owned key number: every fifth uses the old owner shape
        sas_by_project = {}
        for s in self.sas.values():
            sas_by_project.setdefault(s.project_id, []).append(s)
        for pi, p in enumerate(self.projects.values()):
            legacy_ok = pi == 0 or p.archived
            for j in range(self.o.keys_per_project):
                owner_type, owner, access = self._key_owner(rng, g, j, p,
                                                            sas_by_project.get(p.id, []))
                if owner_type == "service_account":
                    kind = "service_account"
                else:
                    kind = "user" if legacy_ok and j % 2 == 1 else "project"
                    u += 1
                k = self._make_key(rng, p, g, kind, owner_type, owner, access, old_shape=u % 5 == 4)
                if self.hostile and 1 <= g <= len(self.hostile):
                    k.name = self.hostile[g - 1]
                self.keys[k.id] = k
                g += 1

    def _key_owner(self, rng, g, j, p, sas):
        """(owner_type, owner, owner_project_access) of key number g, j-th in p:
        g % 10 == 0 a service account, 1 a departed user, 2 a current user who
        lost access to the project (inactive), else a project member."""
        cat = g % 10
        departed = list(self.departed.values())
        if cat == 0 and sas:
            return "service_account", sas[j % len(sas)], "active"
        if cat == 1 and departed:
            return "user", departed[(g // 10) % len(departed)], "active"
        if cat == 2:
            return "user", self._non_member(rng, p.id), "inactive"
        members = list(self.members[p.id])
        owner = self.users[members[j % len(members)]] if members else rng.choice(self.humans())
        return "user", owner, "active"

    def _non_member(self, rng, pid):
        """A current human who is not a member of the project (lost access)."""
        humans = self.humans()
        for _ in range(20):
            h = rng.choice(humans)
            if h.id not in self.members[pid]:
                return h
        return h

    def _make_key(self, rng, p, g, kind, owner_type, owner, access, old_shape):
        created_days, used_days = USAGE_CASES[g % len(USAGE_CASES)]
        created_days += rng.randint(0, 20)
        if kind == "user":
            created_days = max(created_days, 500 + rng.randint(0, 200))
        created = self.ago(rng, created_days)
        used = None if used_days is None else self.ago(rng, used_days)
        if p.archived:      # nothing is created or used in a project after it is archived
            created = min(created, p.archived_at - 5 * DAY)
            if used is not None and used > p.archived_at:
                used = p.archived_at - rng.randint(HOUR, 6 * HOUR)
        if owner_type == "service_account":
            name = SA_KEY_NAMES[g % len(SA_KEY_NAMES)]
        else:
            name = KEY_NAMES[rng.randrange(len(KEY_NAMES))].format(first=owner.name.split()[0])
        return Key(self.new_id(rng, "key_", 16), p.id, kind, name,
                   self.secret(rng, KEY_PREFIX[kind]), created, used, owner_type, owner.id,
                   access, old_shape and owner_type == "user")

    def _gen_admin_keys(self, rng):
        boss = self.owners()[0]
        for a, value in enumerate(self.o.admin_key):
            name = "Simulator admin key" + ("" if len(self.o.admin_key) == 1 else " %d" % (a + 1))
            k = AdminKey(self.new_id(rng, "key_", 16), name, value, self.ago(rng, 30 + a),
                         None, self.now - 120, boss.id)
            self.admin_keys[k.id] = k
        owners = self.owners()
        departed = list(self.departed.values())
        for j in range(self.o.admin_keys):
            created_days, used_days = USAGE_CASES[ADMIN_CASES[j % len(ADMIN_CASES)]]
            owner = departed[0] if j == 0 and departed else owners[j % len(owners)]
            created = self.ago(rng, created_days + rng.randint(0, 20))
            k = AdminKey(self.new_id(rng, "key_", 16), ADMIN_NAMES[j % len(ADMIN_NAMES)],
                         self.secret(rng, "sk-admin-"), created,
                         created + 400 * DAY if j % 3 == 1 else None,
                         None if used_days is None else self.ago(rng, used_days), owner.id)
            self.admin_keys[k.id] = k

    def _gen_readonly_admin_keys(self, rng):
        """The --admin-key-readonly keys' own entries (accepted for reads only)."""
        boss = self.owners()[0]
        for a, value in enumerate(self.o.admin_key_readonly):
            k = AdminKey(self.new_id(rng, "key_", 16), "Simulator read-only admin key %d" % (a + 1),
                         value, self.ago(rng, 20 + a), None, self.now - 300, boss.id)
            self.admin_keys[k.id] = k

    def _gen_invites(self, rng):
        humans = self.humans()
        active = [p for p in self.projects.values() if not p.archived]
        for i in range(self.o.invites):
            status = ("pending", "accepted", "expired")[i % 3]
            role = "owner" if i % 4 == 3 else "reader"
            accepted_at = None
            if status == "accepted" and humans:
                u = humans[-1 - (i // 3) % len(humans)]
                email, accepted_at = u.email, u.added_at
                created = accepted_at - DAY
            else:
                email = self._new_person(rng, role).email
                created = self.ago(rng, 1 + i % 5 if status == "pending" else 30 + i)
            projects = ([{"id": active[i % len(active)].id, "role": "member"}]
                        if i % 2 == 1 and active else [])
            inv = Invite(self.new_id(rng, "invite-", 16), email, role, status, created,
                         created + 7 * DAY, accepted_at, projects)
            self.invites[inv.id] = inv
        for i in range(self.o.stale_invites):   # pending for 45, 52, ... days (90-day validity)
            created = self.ago(rng, 45 + 7 * i)
            inv = Invite(self.new_id(rng, "invite-", 16), self._new_person(rng, "reader").email,
                         "reader", "pending", created, created + 90 * DAY, None, [])
            self.invites[inv.id] = inv

    # ---- audit history
    def session_actor(self, rng, user):
        return {"type": "session",
                "session": {"user": {"id": user.id, "email": user.email},
                            "ip_address": "203.0.113.%d" % rng.randint(1, 254),
                            "user_agent": rng.choice(USER_AGENTS)}}

    def admin_actor(self):
        k = next(iter(self.admin_keys.values()), None)
        if k is None:
            return None
        u = self.person(k.owner_id)
        return {"type": "api_key", "api_key": {"id": k.id, "type": "user",
                                               "user": {"id": u.id, "email": u.email}}}

    def event(self, rng, etype, at, actor, payload, project=None):
        self.events.append(Event(self.new_id(rng, "audit_log-", 24), etype, at,
                                 project.id if project else None, actor, payload))

    def _gen_history(self, rng):
        boss = self.owners()[0]
        for p in self.projects.values():
            self.event(rng, "project.created", p.created_at, self.session_actor(rng, boss),
                       {"id": p.id, "data": {"name": p.name, "title": p.name}}, p)
            if p.archived:
                self.event(rng, "project.archived", p.archived_at,
                           self.session_actor(rng, boss), {"id": p.id}, p)
        for u in list(self.users.values()) + list(self.departed.values()):
            self.event(rng, "user.added", u.added_at, self.session_actor(rng, boss),
                       {"id": u.id, "data": {"role": u.role}})
        for i, u in enumerate(self.departed.values()):
            self.departed_at[u.id] = self.now - (5 + 3 * i) * DAY
            self.event(rng, "user.deleted", self.departed_at[u.id],
                       self.session_actor(rng, boss), {"id": u.id})
        for s in self.sas.values():
            self.event(rng, "service_account.created", s.created_at,
                       self.session_actor(rng, boss), {"id": s.id, "data": {"role": s.role}},
                       self.projects[s.project_id])
        for k in self.keys.values():
            self.event(rng, "api_key.created", k.created_at,
                       self.session_actor(rng, self.key_creator(k)),
                       {"id": k.id, "data": {"scopes": ["/v1/*"]}}, self.projects[k.project_id])
        for inv in self.invites.values():
            self.event(rng, "invite.sent", inv.created_at, self.session_actor(rng, boss),
                       {"id": inv.id, "data": {"email": inv.email, "role": inv.role}})
        for i, u in enumerate(self.humans()[:5]):
            self.event(rng, "login.succeeded", self.now - 2 * HOUR - i * 5 * HOUR,
                       self.session_actor(rng, u), {})

    def key_creator(self, k):
        if k.owner_type == "user":
            return self.person(k.owner_id)
        for m in self.members.get(k.project_id, {}).values():
            if m.user_id in self.users:
                return self.users[m.user_id]
        return self.owners()[0]

    # ---- posture settings, roles and groups
    def _gen_settings(self, rng):
        """Project number i: model policy MODEL_POLICIES[i % 3], a spend alert when
        i is odd (two when i % 4 == 3), retention RETENTION_CYCLE[i % 5], rate
        limits halved when i is odd.  No org spend alert."""
        for i, p in enumerate(self.projects.values()):
            mode, models = MODEL_POLICIES[i % len(MODEL_POLICIES)] or (None, [])
            st = self.new_settings(i % 2)
            st.model_mode, st.model_ids = mode, list(models)
            st.data_retention = RETENTION_CYCLE[i % len(RETENTION_CYCLE)]
            for j in range(i % 2 + (i % 4 == 3)):
                self.add_alert(rng, st.spend_alerts, 10000 * (i + 1) * (j + 1),
                               [self.alert_recipient(p.id)])
            self.settings[p.id] = st

    @staticmethod
    def new_settings(halved=0):
        """A new project's settings: no model policy, no alert, the org's retention."""
        limits = [(m, {f: v // (1 + halved) for f, v in fields.items()})
                  for m, fields in RATE_LIMITS]
        return Settings(None, [], {}, "organization_default", limits)

    def add_alert(self, rng, alerts, threshold, recipients):
        a = SpendAlert(self.new_id(rng, "alert_", 20), threshold, recipients)
        alerts[a.id] = a
        return a

    def alert_recipient(self, pid):
        """The email a project's alerts go to: its owner member's, else the boss's."""
        for m in self.members.get(pid, {}).values():
            if m.role == "owner" and m.user_id in self.users:
                return self.users[m.user_id].email
        return self.owners()[0].email

    def _gen_rbac(self, rng):
        """ROLES, and GROUPS filled with owners other than the first, or readers."""
        boss = self.owners()[0]
        by_name = {}
        for name, desc, perms, predefined, age in ROLES:
            r = Role(self.new_id(rng, "role_", 20), name, desc, list(perms), predefined,
                     None if age is None else self.ago(rng, age), None if predefined else boss.id)
            self.roles[r.id] = by_name[name] = r
        for n, (name, scim, kind, size, roles) in enumerate(GROUPS):
            pool = [u for u in self.humans() if u.role == kind and u is not boss]
            g = Group(self.new_id(rng, "group_", 20), name, self.ago(rng, 300 - 40 * n), scim,
                      [u.id for u in pool[:size]], [by_name[r].id for r in roles])
            self.groups[g.id] = g

    def role_named(self, name):
        return next(r for r in self.roles.values() if r.name == name)

    def role_grants(self, uid):
        """{role id: assignment sources} of a listed user: each group's roles (source
        the group), and the direct Owner or Reader role unless a group gives Owner
        (sources None)."""
        grants = {}
        for g in self.groups.values():
            if uid in g.members:
                for rid in g.roles:
                    grants.setdefault(rid, []).append(
                        {"principal_id": g.id, "principal_type": "group"})
        direct = self.role_named("Owner" if self.users[uid].role == "owner" else "Reader")
        if direct.name != "Owner" or direct.id not in grants:
            grants.setdefault(direct.id, None)
        return grants

    def owner_ids(self):
        return sorted(u.id for u in self.humans() if u.role == "owner")

    # ---- mutation
    def mutate(self, seed):
        """A deterministic hour of change, a function of the current org, --seed,
        `seed` and the number of earlier mutations: two listed users leave (their
        keys become orphans), one active non-default project is archived, three
        user-owned keys are deleted, two keys used today are added, one stale key
        is used again, a project with two keys is created, and a service account
        is added while another one is deleted together with its keys.  Matching
        audit events are appended (effective_at just after the generated history,
        before --now)."""
        self.mutations += 1
        rng = random.Random("%d:mutate:%d:%d" % (self.o.seed, seed, self.mutations))
        t = min(self.now - 60, self.now - 2 * HOUR + 60 * self.mutations)
        actor = self.admin_actor() or self.session_actor(rng, self.owners()[0])
        default = self.default_project()
        self._mutate_remove_users(rng, t, actor, default)
        archived = self._mutate_archive(rng, t, actor)
        self._mutate_delete_keys(rng, t, actor)
        self._mutate_add_keys(rng, t, actor)
        self._mutate_touch_stale(rng)
        self._mutate_new_project(rng, t, actor)
        self._mutate_service_accounts(rng, t, actor, archived)

    def _sorted(self, items):
        return sorted(items, key=lambda x: x.id)

    def _mutate_remove_users(self, rng, t, actor, default):
        accepted = set(self.o.admin_key) | set(self.o.admin_key_readonly)
        keep = {k.owner_id for k in self.admin_keys.values() if k.secret in accepted}
        owned = {k.owner_id for k in self.keys.values()}
        n_owners = len([u for u in self.humans() if u.role == "owner"])
        cands = [u for u in self._sorted(self.humans())
                 if u.id in owned and u.id not in keep and (u.role != "owner" or n_owners > 1)]
        for u in rng.sample(cands, min(2, len(cands))):
            self.remove_user(rng, u, t, actor, default)

    def _active_projects(self):
        return [p for p in self.projects.values() if not p.archived]

    def _mutate_archive(self, rng, t, actor):
        cands = [p for p in self._active_projects() if p is not self.default_project()]
        if not cands:
            return None
        p = rng.choice(cands)
        p.archived_at = t
        self.event(rng, "project.archived", t, actor, {"id": p.id}, p)
        return p

    def _delete_key(self, rng, k, t, actor, project=None):
        """Removes key k; logs api_key.deleted in `project` (default: the key's)."""
        del self.keys[k.id]
        self.event(rng, "api_key.deleted", t, actor, {"id": k.id},
                   project or self.projects[k.project_id])

    def _mutate_delete_keys(self, rng, t, actor):
        cands = [k for k in self._sorted(self.keys.values()) if k.owner_type == "user"]
        for k in rng.sample(cands, min(3, len(cands))):
            self._delete_key(rng, k, t, actor)

    def _new_project_key(self, rng, p, t, used, actor):
        members = [self.users[m] for m in self.members[p.id] if m in self.users]
        owner = rng.choice(members or self.humans())
        k = Key(self.new_id(rng, "key_", 16), p.id, "project",
                KEY_NAMES[rng.randrange(len(KEY_NAMES))].format(first=owner.name.split()[0]),
                self.secret(rng, "sk-proj-"), t, t + 30 if used else None, "user", owner.id,
                "active")
        self.keys[k.id] = k
        self.event(rng, "api_key.created", t, self.session_actor(rng, owner),
                   {"id": k.id, "data": {"scopes": ["/v1/*"]}}, p)
        return k

    def _mutate_add_keys(self, rng, t, actor):
        active = self._active_projects()
        for _ in range(2):
            self._new_project_key(rng, rng.choice(active), t, True, actor)

    def _mutate_touch_stale(self, rng):
        limit = self.now - self.o.stale_days * DAY
        cands = [k for k in self._sorted(self.keys.values())
                 if not self.projects[k.project_id].archived and is_stale(
                     k.created_at, k.last_used_at, limit)]
        if cands:
            rng.choice(cands).last_used_at = self.now - rng.randint(60, HOUR)

    def _mutate_new_project(self, rng, t, actor):
        n = len(self.projects)
        p = Project(self.new_id(rng, "proj_", 24), "New project %d" % n, t)
        self.projects[p.id] = p
        self.settings[p.id] = self.new_settings()
        self._gen_members(rng, p)
        for m in self.members[p.id].values():
            m.added_at = t
        self.event(rng, "project.created", t, actor,
                   {"id": p.id, "data": {"name": p.name, "title": p.name}}, p)
        self._new_project_key(rng, p, t, True, actor)
        self._new_project_key(rng, p, t, False, actor)

    def _mutate_service_accounts(self, rng, t, actor, archived):
        active = self._active_projects()
        p = rng.choice(active)
        sa = self.add_service_account(rng, p, t)
        self.event(rng, "service_account.created", t, actor,
                   {"id": sa.id, "data": {"role": sa.role}}, p)
        cands = [s for s in self._sorted(self.sas.values())
                 if s.id != sa.id and not self.projects[s.project_id].archived]
        if not cands:
            return
        self.remove_service_account(rng, rng.choice(cands), t, actor)

    # ---- removals shared by mutation, the DELETE endpoints and posture ops
    def remove_user(self, rng, u, t, actor, project):
        """u leaves: unlisted but kept as departed (its keys become orphans), out of
        every project and group; logs user.deleted."""
        del self.users[u.id]
        self._humans = None
        self.departed[u.id] = u
        self.departed_at[u.id] = t
        for m in self.members.values():
            m.pop(u.id, None)
        for g in self.groups.values():
            if u.id in g.members:
                g.members.remove(u.id)
        self.event(rng, "user.deleted", t, actor, {"id": u.id}, project)

    def remove_service_account(self, rng, sa, t, actor, project=None):
        """Removes sa and its keys; logs api_key.deleted for each, then
        service_account.deleted, in `project` (default: the account's)."""
        project = project or self.projects[sa.project_id]
        del self.sas[sa.id]
        for k in [k for k in self._sorted(self.keys.values()) if k.owner_id == sa.id]:
            self._delete_key(rng, k, t, actor, project)
        self.event(rng, "service_account.deleted", t, actor, {"id": sa.id}, project)

    def remove_member(self, pid, uid):
        """uid leaves project pid: its keys there lose access (owner_project_access
        inactive).  The audit log has no event type for this: nothing is logged."""
        del self.members[pid][uid]
        for k in self.keys.values():
            if k.project_id == pid and k.owner_type == "user" and k.owner_id == uid:
                k.access = "inactive"

    # ---- the DELETE endpoints.  w: a Write (wall-clock time, acting admin key's
    # actor and id).  Admin-key actions are logged in the default project (spec).
    def _project_of(self, pid, what=None):
        p = self.projects.get(pid)
        if p is None:
            raise ApiError(404, "No project found with id '%s'." % pid)
        if what and p.archived:
            raise ApiError(400, "Project '%s' is archived: it has no %s." % (pid, what))
        return p

    def write_delete_key(self, w, pid, kid):
        self._project_of(pid)
        k = self.keys.get(kid)
        if k is None or k.project_id != pid:
            raise ApiError(404, "No API key found with id '%s'." % kid)
        if k.owner_type == "service_account":
            raise ApiError(400, "API key '%s' belongs to a service account: delete the service "
                           "account instead." % kid)
        self._delete_key(self.write_rng, k, w.t, w.actor, self.default_project())
        self.deleted("organization.project.api_key", kid, w.t, "api", w.key_id, pid)
        return {"object": "organization.project.api_key.deleted", "id": kid, "deleted": True}

    def write_delete_sa(self, w, pid, sid):
        self._project_of(pid, "service accounts")
        sa = self.sas.get(sid)
        if sa is None or sa.project_id != pid:
            raise ApiError(404, "No service account found with id '%s'." % sid)
        self.remove_service_account(self.write_rng, sa, w.t, w.actor, self.default_project())
        self.deleted("organization.project.service_account", sid, w.t, "api", w.key_id, pid)
        return {"object": "organization.project.service_account.deleted", "id": sid,
                "deleted": True}

    def write_delete_member(self, w, pid, uid):
        self._project_of(pid, "users")
        if uid not in self.members[pid] or uid not in self.users:
            raise ApiError(404, "No project user found with id '%s'." % uid)
        self.remove_member(pid, uid)
        self.deleted("organization.project.user", uid, w.t, "api", w.key_id, pid)
        return {"object": "organization.project.user.deleted", "id": uid, "deleted": True}

    def write_delete_user(self, w, uid):
        u = self.users.get(uid)
        if u is None:
            raise ApiError(404, "No user found with id '%s'." % uid)
        self.remove_user(self.write_rng, u, w.t, w.actor, self.default_project())
        self.deleted("organization.user", uid, w.t, "api", w.key_id)
        return {"object": "organization.user.deleted", "id": uid, "deleted": True}

    def write_delete_admin_key(self, w, kid):
        """No audit event: the org-scoped event types have none for admin keys."""
        if kid not in self.admin_keys:
            raise ApiError(404, "No admin API key found with id '%s'." % kid)
        del self.admin_keys[kid]
        self.deleted("organization.admin_api_key", kid, w.t, "api", w.key_id)
        return {"id": kid, "object": "organization.admin_api_key.deleted", "deleted": True}

    # ---- posture ops (POST /_sim/posture {"op": ...}): at --now, by the first
    # admin key as mutations are, logged where the audit log has an event type
    def posture_op(self, body):
        """Applies one op; returns what it made.  ValueError if the op is invalid."""
        if not isinstance(body, dict) or body.get("op") not in POSTURE_OPS:
            raise ValueError("posture: 'op' must be one of %s" % ", ".join(POSTURE_OPS))
        arg = PostureArgs(body)
        actor = self.admin_actor() or self.session_actor(self.write_rng, self.owners()[0])
        return getattr(self, "_op_" + body["op"])(arg, actor) or {}

    def _log(self, etype, actor, payload):
        self.event(self.write_rng, etype, self.now, actor, payload, self.default_project())

    def _op_set_model_permissions(self, arg, actor):
        st = self.settings[arg.of("project_id", self.projects).id]
        st.model_mode, st.model_ids = (arg.choice("mode", ("allow_list", "deny_list")),
                                       arg.strings("model_ids"))

    def _op_clear_model_permissions(self, arg, actor):
        st = self.settings[arg.of("project_id", self.projects).id]
        st.model_mode, st.model_ids = None, []

    def _op_add_project_spend_alert(self, arg, actor):
        p = arg.of("project_id", self.projects)
        a = self.add_alert(self.write_rng, self.settings[p.id].spend_alerts,
                           arg.integer("threshold_amount", 1, 10 ** 9, 100000),
                           [self.alert_recipient(p.id)])
        return {"id": a.id}

    def _op_remove_project_spend_alert(self, arg, actor):
        """Removes alert_id, or every alert of the project."""
        alerts = self.settings[arg.of("project_id", self.projects).id].spend_alerts
        gone = [arg.of("alert_id", alerts).id] if arg.has("alert_id") else sorted(alerts)
        for aid in gone:
            del alerts[aid]
        return {"removed": gone}

    def _op_org_spend_alert(self, arg, actor):
        if not arg.boolean("on"):
            self.org_alerts.clear()
        elif not self.org_alerts:
            self.add_alert(self.write_rng, self.org_alerts, 500000, [self.owners()[0].email])
        return {"spend_alerts": sorted(self.org_alerts)}

    def _owner_candidates(self, role):
        """Listed humans of `role` whose role may change (not an accepted key's owner)."""
        accepted = set(self.o.admin_key) | set(self.o.admin_key_readonly)
        keep = {k.owner_id for k in self.admin_keys.values() if k.secret in accepted}
        return [u for u in self._sorted(self.humans()) if u.role == role and u.id not in keep]

    def _set_role(self, arg, actor, old, new):
        cands = {u.id: u for u in self._owner_candidates(old)}
        u = arg.of("user_id", cands) if arg.has("user_id") else next(iter(cands.values()), None)
        if u is None:
            raise ValueError("posture: no listed %s can become %s" % (old, new))
        u.role = new
        if new == "reader":         # and no group gives it Owner any more
            owner = self.role_named("Owner").id
            for g in self.groups.values():
                if owner in g.roles and u.id in g.members:
                    g.members.remove(u.id)
        self._log("user.updated", actor, {"id": u.id, "changes_requested": {"role": new}})
        return {"user_id": u.id}

    def _op_add_owner(self, arg, actor):
        return self._set_role(arg, actor, "reader", "owner")

    def _op_remove_owner(self, arg, actor):
        return self._set_role(arg, actor, "owner", "reader")

    def _pending(self, arg):
        pending = {i.id: i for i in self.invites.values() if i.status == "pending"}
        if arg.has("invite_id"):
            return arg.of("invite_id", pending)
        if not pending:
            raise ValueError("posture: no pending invite")
        return max(pending.values(), key=lambda i: (i.created_at, i.id))

    def _op_age_invite(self, arg, actor):
        """The invite (default: the newest pending one) was sent `days` earlier."""
        inv = self._pending(arg)
        inv.created_at -= arg.integer("days", 1, 3650, INVITE_DAYS + 1) * DAY
        return {"invite_id": inv.id}

    def _op_accept_invite(self, arg, actor):
        inv = self._pending(arg)
        inv.status, inv.accepted_at = "accepted", self.now
        local = inv.email.split("@")[0].rstrip(string.digits)
        u = User(self.new_id(self.write_rng, "user-", 24),
                 " ".join(w.capitalize() for w in local.split(".")), inv.email, inv.role, self.now)
        self.users[u.id] = u
        self._humans = None
        for p in inv.projects:
            if p["id"] in self.members:
                self.members[p["id"]][u.id] = Member(u.id, p["role"], self.now)
        self._log("invite.accepted", actor, {"id": inv.id})
        self._log("user.added", actor, {"id": u.id, "data": {"role": u.role}})
        return {"invite_id": inv.id, "user_id": u.id}

    def _op_delete_invite(self, arg, actor):
        inv = arg.of("invite_id", self.invites)
        if inv.status == "accepted":
            raise ValueError("posture: an accepted invite cannot be deleted")
        del self.invites[inv.id]
        self._log("invite.deleted", actor, {"id": inv.id})
        self.deleted("organization.invite", inv.id, self.now, "posture")
        return {"invite_id": inv.id}

    def _old_admin_key(self, arg):
        accepted = set(self.o.admin_key) | set(self.o.admin_key_readonly)
        k = arg.of("key_id", self.admin_keys)
        if k.secret in accepted:
            raise ValueError("posture: '%s' is one of the simulator's accepted keys" % k.id)
        del self.admin_keys[k.id]
        self.deleted("organization.admin_api_key", k.id, self.now, "posture")
        return k

    def _op_delete_admin_key(self, arg, actor):
        """No audit event: the org-scoped event types have none for admin keys."""
        return {"key_id": self._old_admin_key(arg).id}

    def _op_rotate_admin_key(self, arg, actor):
        """A new key of the same name and owner replaces the old one (no event)."""
        old = self._old_admin_key(arg)
        k = AdminKey(self.new_id(self.write_rng, "key_", 16), old.name,
                     self.secret(self.write_rng, "sk-admin-"), self.now,
                     None if old.expires_at is None else self.now + 400 * DAY, None, old.owner_id)
        self.admin_keys[k.id] = k
        return {"key_id": k.id}

    def _op_rotate_service_account_key(self, arg, actor):
        """A new key for the same service account; the old one is deleted."""
        sa_keys = {k.id: k for k in self.keys.values() if k.owner_type == "service_account"}
        old = arg.of("key_id", sa_keys)
        k = dataclasses.replace(old, id=self.new_id(self.write_rng, "key_", 16),
                                secret=self.secret(self.write_rng, "sk-svcacct-"),
                                created_at=self.now, last_used_at=None)
        self.keys[k.id] = k
        self._log("api_key.created", actor, {"id": k.id, "data": {"scopes": ["/v1/*"]}})
        self._delete_key(self.write_rng, old, self.now, actor, self.default_project())
        self.deleted("organization.project.api_key", old.id, self.now, "posture",
                     project_id=old.project_id)
        return {"key_id": k.id}

    def key_actor(self, kid):
        """The audit actor of admin key kid: its tracking id and its owner."""
        u = self.person(self.admin_keys[kid].owner_id)
        return {"type": "api_key", "api_key": {"id": kid, "type": "user",
                                               "user": {"id": u.id, "email": u.email}}}

    def deleted(self, obj, oid, at, via, actor_key=None, project_id=None):
        """Records a removal for the ground truth's "deletions"."""
        self.deletions.append({"object": obj, "id": oid, "project_id": project_id, "at": at,
                               "via": via, "actor_key_id": actor_key})

    # ---- ground truth
    def truth(self):
        """Ground truth: what a correct audit of this org reports.

        {"now", "stale_days", "org_id",
         "users": listed user ids (humans + service-account users), "human_users",
         "departed_users", "projects", "active_projects", "archived_projects",
         "api_keys": [{id, project_id, type, expected_redacted, owner_type, owner_id,
                       owner_project_access, created_at, last_used_at, stale, orphan}],
         "admin_api_keys": [{id, expected_redacted, owner_id, created_at, last_used_at,
                             expires_at, stale, orphan}],
         "stale", "orphan": key ids of both lists, "service_accounts": ids listable from
         active projects, "invites", "emails": every address the simulator can return,
         "owners": listed humans with role owner,
         "deletions": [{object, id, project_id, at, via: "api"|"posture", actor_key_id}]
         in the order done}
        All id lists are sorted."""
        limit = self.now - self.o.stale_days * DAY
        keys = [self._truth_key(k, limit) for k in self._sorted(self.keys.values())]
        admin = [self._truth_admin(k, limit) for k in self._sorted(self.admin_keys.values())]
        both = keys + admin
        projects = self._sorted(self.projects.values())
        emails = {u.email for u in list(self.users.values()) + list(self.departed.values())}
        emails |= {i.email for i in self.invites.values()}
        return {
            "now": self.now, "stale_days": self.o.stale_days, "org_id": self.o.org_id,
            "users": sorted(self.users),
            "human_users": sorted(u.id for u in self.humans()),
            "departed_users": sorted(self.departed),
            "projects": [p.id for p in projects],
            "active_projects": [p.id for p in projects if not p.archived],
            "archived_projects": [p.id for p in projects if p.archived],
            "api_keys": keys,
            "admin_api_keys": admin,
            "stale": sorted(k["id"] for k in both if k["stale"]),
            "orphan": sorted(k["id"] for k in both if k["orphan"]),
            "service_accounts": sorted(s.id for s in self.sas.values()
                                       if not self.projects[s.project_id].archived),
            "invites": sorted(self.invites),
            "emails": sorted(emails),
            "owners": self.owner_ids(),
            "deletions": list(self.deletions),
        }

    def posture(self):
        """The "posture" truth, except the org_audit_logging_off finding, which
        follows the audit_logging knob (see posture_truth).

        {"thresholds": {stale_days, rotation_days, invite_days, max_owners},
         "findings": [{rule, subject_type, subject_id}] sorted,
         "key_creators": {key id: {event_id, actor_type, actor_id, user_id,
                                   service_account_id} | null},
         "org": {spend_alerts: [ids], data_retention},
         "projects": {id: {status, model_permissions: {mode, model_ids} | null,
                           spend_alerts: [ids], data_retention, rate_limits: [ids]}},
         "roles": {id: {name, users: [ids holding it], groups: [ids granting it]}}}"""
        now = self.now
        return {
            "thresholds": {"stale_days": self.o.stale_days, "rotation_days": ROTATION_DAYS,
                           "invite_days": INVITE_DAYS, "max_owners": MAX_OWNERS},
            "findings": sorted(self._findings(now), key=lambda f: (
                f["rule"], f["subject_type"], f["subject_id"])),
            "key_creators": self._key_creators(),
            "org": {"spend_alerts": sorted(self.org_alerts), "data_retention": ORG_RETENTION},
            "projects": {p.id: self._truth_settings(p) for p in self._sorted(
                self.projects.values())},
            "roles": self._truth_roles(),
        }

    def _findings(self, now):
        """Every open finding but org_audit_logging_off (rule ids of the brief)."""
        stale = now - self.o.stale_days * DAY
        old = now - ROTATION_DAYS * DAY

        def f(rule, stype, sid):
            return {"rule": rule, "subject_type": stype, "subject_id": sid}
        for k in self.keys.values():
            t = self._truth_key(k, stale)
            for rule, hit in (("key_stale", t["stale"]), ("key_orphan", t["orphan"]),
                              ("key_legacy_user", k.kind == "user"),
                              ("service_account_key_old",
                               k.kind == "service_account" and k.created_at < old)):
                if hit:
                    yield f(rule, "api_key", k.id)
        for k in self.admin_keys.values():
            for rule, hit in (("admin_key_stale", is_stale(k.created_at, k.last_used_at, stale)),
                              ("admin_key_old", k.created_at < old),
                              ("admin_key_orphan", k.owner_id not in self.users)):
                if hit:
                    yield f(rule, "admin_api_key", k.id)
        for p in self._active_projects():
            st = self.settings[p.id]
            if st.model_mode != "allow_list":
                yield f("project_no_model_allowlist", "project", p.id)
            if not st.spend_alerts and not self.org_alerts:
                yield f("project_no_spend_alert", "project", p.id)
        if len(self.owner_ids()) > MAX_OWNERS:
            yield f("too_many_owners", "organization", self.o.org_id)
        for i in self.invites.values():
            if i.status == "pending" and i.created_at < now - INVITE_DAYS * DAY:
                yield f("invite_stale", "invite", i.id)

    def _key_creators(self):
        """Each project key's creating actor, from its api_key.created event."""
        made = {e.payload.get("id"): e for e in self.events if e.type == "api_key.created"}
        out = {}
        for kid in sorted(self.keys):
            e = made.get(kid)
            out[kid] = None if e is None else dict(event_id=e.id, **actor_ids(e.actor))
        return out

    def _truth_settings(self, p):
        st = self.settings[p.id]
        return {"status": "archived" if p.archived else "active",
                "model_permissions": None if st.model_mode is None else
                {"mode": st.model_mode, "model_ids": list(st.model_ids)},
                "spend_alerts": sorted(st.spend_alerts), "data_retention": st.data_retention,
                "rate_limits": ["rl-" + m for m, _ in st.rate_limits]}

    def _truth_roles(self):
        holders = {rid: set() for rid in self.roles}
        for uid in self.users:
            for rid in self.role_grants(uid):
                holders[rid].add(uid)
        return {r.id: {"name": r.name, "users": sorted(holders[r.id]),
                       "groups": sorted(g.id for g in self.groups.values() if r.id in g.roles)}
                for r in self._sorted(self.roles.values())}

    def _truth_key(self, k, limit):
        orphan = k.access == "inactive" or (k.owner_type == "user" and k.owner_id not in self.users)
        return {"id": k.id, "project_id": k.project_id, "type": k.kind,
                "expected_redacted": expected_redacted(k.secret, KEY_PREFIX[k.kind]),
                "owner_type": k.owner_type, "owner_id": k.owner_id,
                "owner_project_access": k.access, "created_at": k.created_at,
                "last_used_at": k.last_used_at,
                "stale": is_stale(k.created_at, k.last_used_at, limit), "orphan": orphan}

    def _truth_admin(self, k, limit):
        return {"id": k.id, "expected_redacted": expected_redacted(k.secret, "sk-admin-"),
                "owner_id": k.owner_id, "created_at": k.created_at,
                "last_used_at": k.last_used_at, "expires_at": k.expires_at,
                "stale": is_stale(k.created_at, k.last_used_at, limit),
                "orphan": k.owner_id not in self.users}


POSTURE_OPS = {     # op -> the fields its body may have besides "op"
    "set_model_permissions": ("project_id", "mode", "model_ids"),
    "clear_model_permissions": ("project_id",),
    "add_project_spend_alert": ("project_id", "threshold_amount"),
    "remove_project_spend_alert": ("project_id", "alert_id"),
    "org_spend_alert": ("on",),
    "add_owner": ("user_id",), "remove_owner": ("user_id",),
    "age_invite": ("invite_id", "days"), "accept_invite": ("invite_id",),
    "delete_invite": ("invite_id",),
    "rotate_admin_key": ("key_id",), "delete_admin_key": ("key_id",),
    "rotate_service_account_key": ("key_id",),
}


class PostureArgs:
    """The fields of a POST /_sim/posture body: unknown ones refused at once,
    each checked as it is read (ops read every field before changing anything)."""

    def __init__(self, body):
        self.body, self.op = body, body["op"]
        extra = sorted(set(body) - {"op"} - set(POSTURE_OPS[self.op]))
        if extra:
            self.fail(", ".join(extra), "is not a field of this op")

    def fail(self, name, what):
        raise ValueError("posture %s: '%s' %s" % (self.op, name, what))

    def has(self, name):
        return self.body.get(name) is not None

    def get(self, name):
        if name not in self.body:
            self.fail(name, "is required")
        return self.body[name]

    def of(self, name, objects):
        """objects[body[name]]: the object an id names."""
        v = self.get(name)
        if not isinstance(v, str) or v not in objects:
            self.fail(name, "names nothing here: %r" % (v,))
        return objects[v]

    def choice(self, name, allowed):
        v = self.get(name)
        if v not in allowed:
            self.fail(name, "must be one of %s" % ", ".join(allowed))
        return v

    def strings(self, name):
        v = self.get(name)
        if not isinstance(v, list) or not all(isinstance(x, str) and x for x in v):
            self.fail(name, "must be a list of strings")
        return list(v)

    def integer(self, name, lo, hi, default):
        v = self.body.get(name, default)
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            self.fail(name, "must be an integer in %d..%d" % (lo, hi))
        return v

    def boolean(self, name):
        v = self.get(name)
        if not isinstance(v, bool):
            self.fail(name, "must be true or false")
        return v


def is_stale(created_at, last_used_at, limit):
    return (last_used_at if last_used_at is not None else created_at) < limit


def actor_ids(actor):
    """{actor_type, actor_id, user_id, service_account_id} of an audit actor: a
    session is its user; an API key is its tracking id and its owner."""
    if actor["type"] == "session":
        uid = actor["session"]["user"]["id"]
        return {"actor_type": "session", "actor_id": uid, "user_id": uid,
                "service_account_id": None}
    k = actor["api_key"]
    return {"actor_type": "api_key", "actor_id": k["id"],
            "user_id": (k.get("user") or {}).get("id"),
            "service_account_id": (k.get("service_account") or {}).get("id")}


def posture_truth(posture, org_id, audit_logging):
    """The posture truth with org_audit_logging_off added when logging is off."""
    if audit_logging == "on":
        return posture
    extra = {"rule": "org_audit_logging_off", "subject_type": "organization",
             "subject_id": org_id}
    return dict(posture, findings=sorted(posture["findings"] + [extra], key=lambda f: (
        f["rule"], f["subject_type"], f["subject_id"])))


# --------------------------------------------------------------------------
# Serialisation into API objects (schemas of admin-subset.yaml)

def user_obj(u):
    return {"object": "organization.user", "id": u.id, "name": u.name, "email": u.email,
            "role": u.role, "added_at": u.added_at, "is_service_account": u.is_service_account}


def project_obj(p):
    return {"id": p.id, "object": "organization.project", "name": p.name,
            "created_at": p.created_at, "archived_at": p.archived_at,
            "status": "archived" if p.archived else "active", "external_key_id": None}


def key_owner(org, k):
    if k.owner_type == "service_account":
        s = org.sas.get(k.owner_id)
        return {"type": "service_account",
                "service_account": {"id": k.owner_id, "name": s.name if s else "deleted",
                                    "created_at": s.created_at if s else k.created_at,
                                    "role": s.role if s else "member"}}
    u = org.person(k.owner_id)
    m = org.members.get(k.project_id, {}).get(u.id)
    role = m.role if m else "member"
    if k.old_shape:
        return {"type": "user", "user": {"object": "organization.project.user", "id": u.id,
                                         "name": u.name, "email": u.email, "role": role,
                                         "added_at": m.added_at if m else u.added_at}}
    return {"type": "user", "user": {"id": u.id, "email": u.email, "name": u.name,
                                     "created_at": u.added_at, "role": role}}


def key_obj(org, k):
    return {"object": "organization.project.api_key",
            "redacted_value": redacted(k.secret, KEY_PREFIX[k.kind]), "name": k.name,
            "created_at": k.created_at, "last_used_at": k.last_used_at, "id": k.id,
            "owner_project_access": k.access, "owner": key_owner(org, k)}


def sa_obj(s):
    return {"object": "organization.project.service_account", "id": s.id, "name": s.name,
            "role": s.role, "created_at": s.created_at}


def member_obj(org, m):
    u = org.users[m.user_id]
    return {"object": "organization.project.user", "id": u.id, "name": u.name,
            "email": u.email, "role": m.role, "added_at": m.added_at}


def admin_obj(org, k):
    u = org.person(k.owner_id)
    return {"object": "organization.admin_api_key", "id": k.id, "name": k.name,
            "redacted_value": redacted(k.secret, "sk-admin-"), "created_at": k.created_at,
            "expires_at": k.expires_at, "last_used_at": k.last_used_at,
            "owner": {"type": "user", "object": "organization.user", "id": u.id,
                      "name": u.name, "created_at": u.added_at, "role": "owner"}}


def invite_obj(i):
    return {"object": "organization.invite", "id": i.id, "email": i.email, "role": i.role,
            "status": i.status, "created_at": i.created_at, "expires_at": i.expires_at,
            "accepted_at": i.accepted_at, "projects": i.projects}


def model_permissions_obj(st):
    """project.model_permissions.  The spec documents no answer for a project
    without a policy; the simulator answers an empty deny list (nothing denied)."""
    if st.model_mode is None:
        return {"object": "project.model_permissions", "mode": "deny_list", "model_ids": []}
    return {"object": "project.model_permissions", "mode": st.model_mode,
            "model_ids": list(st.model_ids)}


def alert_obj(a, scope):
    return {"id": a.id, "object": scope + ".spend_alert", "threshold_amount": a.threshold_amount,
            "currency": "USD", "interval": "month",
            "notification_channel": {"type": "email", "recipients": list(a.recipients),
                                     "subject_prefix": "OpenAI spend alert"}}


def rate_limit_obj(model, fields):
    return dict({"object": "project.rate_limit", "id": "rl-" + model, "model": model}, **fields)


def role_obj(r):
    return {"object": "role", "id": r.id, "name": r.name, "description": r.description,
            "permissions": list(r.permissions), "resource_type": "api.organization",
            "predefined_role": r.predefined}


def assigned_role_obj(org, r, sources):
    """AssignedRoleDetails: a role as held by a user or a group."""
    by = org.person(r.created_by) if r.created_by else None
    return {"id": r.id, "name": r.name, "permissions": list(r.permissions),
            "resource_type": "api.organization", "predefined_role": r.predefined,
            "description": r.description, "created_at": r.created_at,
            "updated_at": r.created_at, "created_by": r.created_by,
            "created_by_user_obj": by and {"id": by.id, "name": by.name, "email": by.email},
            "metadata": {}, "assignment_sources": sources}


def group_obj(g):
    return {"id": g.id, "name": g.name, "created_at": g.created_at, "is_scim_managed": g.scim,
            "group_type": "group"}


def group_user_obj(u):
    return {"id": u.id, "name": u.name, "email": u.email}


def event_obj(org, e):
    d = {"id": e.id, "object": "organization.audit_log", "type": e.type,
         "effective_at": e.effective_at}
    if e.project_id:
        d["project"] = {"id": e.project_id, "name": org.projects[e.project_id].name}
    d["actor"] = e.actor
    d[e.type] = e.payload
    return d


# --------------------------------------------------------------------------
# Synthetic audit history: events made on demand from (--seed, seq)

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase   # in ASCII order
B62_PAIRS = tuple(a + b for a in B62 for b in B62)     # 3844 pairs, ascending
B62_PAIR_VALUE = {p: n for n, p in enumerate(B62_PAIRS)}
Q1 = len(B62_PAIRS)
Q2, Q3 = Q1 ** 2, Q1 ** 3
MASK64 = (1 << 64) - 1
AUDIT_PREFIX = "audit_log-"
GEN_ID_LEN = len(AUDIT_PREFIX) + 14     # 8 base62 digits of seq + 6 hash characters
AUDIT_IDS_MAX = 200000                  # GET /_sim/audit/ids lists at most this many
AUDIT_EVENT_PATH = "/_sim/audit/event/"
EVENTS_PER_POST_MAX = 1000000

# One hundred slots, shuffled per seed; event seq takes slot (seq + offset) % 100.
# A None type is the unknown slot: UNKNOWN_TYPES alternate there.
TYPE_MIX = (("login.succeeded", 46), ("login.failed", 6), ("logout.succeeded", 5),
            ("api_key.created", 8), ("api_key.updated", 4), ("api_key.deleted", 3),
            ("project.created", 2), ("project.archived", 1), ("user.added", 4),
            ("user.updated", 3), ("user.deleted", 2), ("invite.sent", 4),
            ("service_account.created", 3), ("rate_limit.updated", 4),
            ("role.assignment.created", 4), (None, 1))
UNKNOWN_TYPES = ("tenant.workspace.ghost_mode.enabled", "resource.deleted")
SESSION_ONLY = frozenset({"login.succeeded", "login.failed", "logout.succeeded"})
PROJECT_SCOPED = frozenset({"api_key.created", "api_key.updated", "api_key.deleted",
                            "project.created", "project.archived", "service_account.created",
                            "rate_limit.updated", "role.assignment.created"})
# (country, city, region, region_code, asn, latitude, longitude): all strings, as served.
LOCATIONS = (("US", "San Francisco", "California", "CA", "13335", "37.7749", "-122.4194"),
             ("IE", "Dublin", "Leinster", "L", "16509", "53.3498", "-6.2603"),
             ("DE", "Berlin", "Berlin", "BE", "3320", "52.5200", "13.4050"),
             ("JP", "Tokyo", "Tokyo", "13", "2516", "35.6762", "139.6503"),
             ("BR", "S\u00e3o Paulo", "S\u00e3o Paulo", "SP", "28573", "-23.5505", "-46.6333"),
             ("IN", "Bengaluru", "Karnataka", "KA", "55836", "12.9716", "77.5946"),
             ("GB", "London", "England", "ENG", "2856", "51.5072", "-0.1276"),
             ("NG", "Lagos", "Lagos", "LA", "37282", "6.5244", "3.3792"))
IP_FORMATS = ("203.0.113.%d", "198.51.100.%d", "192.0.2.%d", "2001:db8:%x::1")
LOGIN_ERRORS = (("invalid_credentials", "Invalid email or password for {email}."),
                ("mfa_failed", "Multi-factor authentication failed for {email}."),
                ("account_locked", "Too many failed attempts: account temporarily locked."))
SCOPE_JSON = ('["/v1/*"]', '["/v1/models","/v1/chat/completions"]', '["/v1/embeddings"]',
              '["/v1/responses","/v1/files"]')
RATE_MODELS = ("gpt-4o", "gpt-4o-mini", "o3-mini", "text-embedding-3-small", "dall-e-3")
SOURCES = (',"source":{"kind":"console"}', ',"source":{"kind":"api","sdk":"openai-python"}',
           ',"source":{"kind":"scim"}')


def mix64(x):
    """splitmix64's finaliser: a well-spread 64-bit hash of the integer x."""
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


class AuditGen:
    """The synthetic audit history and the content of every added event.

    Event ``seq`` is a pure function of (--seed, seq, the org at start-up):
    seq < n (--events) are the synthetic history, spread evenly over the
    --events-days before --now (effective_at = start + (seq*span + phase) // n,
    monotonic in seq); seq >= n are events added at run time (``LiveLog``),
    whose effective_at is stored.  The id is ``audit_log-`` + 8 base62 digits
    of seq (in ASCII order, so ids ascend with seq) + 6 hash characters; a
    cursor decodes back to seq in O(1).  Nothing is stored per event: an item
    is assembled from pre-serialised fragments (actors, projects) when served.

    Types cycle through TYPE_MIX (~1% unknown types with unknown payloads);
    login/logout actors are sessions, other actors are sessions or API keys
    (user or service-account keys of the org); about one event in 50 carries
    a top-level field the schema does not know ("source")."""

    def __init__(self, org, o):
        rng = random.Random("%d:synthetic" % o.seed)
        self.n = o.events
        self.span = int(o.events_days * DAY)
        self.start = o.now - self.span
        self.phase = rng.randrange(self.span)
        # Per-event draws: h = R0[seq & 0xffff] ^ R1[seq >> 16 & 0xffff] (actor, id
        # suffix) and x likewise from R2, R3 (project, payload, extra field).
        self.rand = [[rng.getrandbits(62) for _ in range(65536)] for _ in range(4)]
        self.salt = rng.getrandbits(64)
        self.off = rng.randrange(100)
        self.tokens = [alnum(rng, 8) for _ in range(4096)]    # id material for payloads
        self.suffixes = [alnum(rng, 6) for _ in range(4096)]  # the hash part of event ids
        self.heads = {}     # seq // 3844 -> "audit_log-" + its 6 base62 digits
        slots = [t for t, w in TYPE_MIX for _ in range(w)]
        rng.shuffle(slots)
        self.slots = tuple(self._slot(t) for t in slots)
        self.unknown = tuple(self._slot(t) for t in UNKNOWN_TYPES)
        self.slot_of_type = {}
        for s, t in enumerate(slots):
            self.slot_of_type.setdefault(t, []).append(s)
        humans = org.humans()
        self.users = [(u.id, u.email) for u in humans]
        self.nu = len(self.users)
        self.sessions = [None] * (4 * self.nu)    # made on first use
        self.failures = {}
        self.key_actors = [self._key_actor(org, k.id, k.owner_type, k.owner_id)
                           for k in org.keys.values()]
        self.key_actors += [self._key_actor(org, k.id, "user", k.owner_id)
                            for k in org.admin_keys.values()]
        self.nk = len(self.key_actors)
        self.projects = [('"project":%s,' % dumps({"id": p.id, "name": p.name}).decode(), p.id)
                         for p in org.projects.values() if not p.archived]
        self.np = len(self.projects)
        invited = [i.email for i in org.invites.values() if i.status != "accepted"]
        invitees = invited + [u.email for u in org.departed.values()] or \
            [u.email for u in humans]
        self.invitees = [dumps(e).decode() for e in invitees]     # as JSON strings
        self.meta_cache = {}

    def _slot(self, etype):
        build = None if etype is None else getattr(self, "_p_" + etype.replace(".", "_"))
        return etype, etype in PROJECT_SCOPED, etype in SESSION_ONLY, build

    @staticmethod
    def _key_actor(org, kid, owner_type, owner_id):
        if owner_type == "service_account":
            a = {"id": kid, "type": "service_account", "service_account": {"id": owner_id}}
            return ('{"type":"api_key","api_key":%s}' % dumps(a).decode(),
                    frozenset((kid, owner_id)), None, None)
        u = org.person(owner_id)
        a = {"id": kid, "type": "user", "user": {"id": u.id, "email": u.email}}
        return ('{"type":"api_key","api_key":%s}' % dumps(a).decode(),
                frozenset((kid, u.id)), u.email, (u.id, u.email))

    def session(self, u, v):
        """(fragment, actor ids, email, user) of user number u's session variant v."""
        hit = self.sessions[4 * u + v]
        if hit is None:
            uid, email = self.users[u]
            x = mix64(self.salt ^ (u * 4 + v + 1))
            loc = LOCATIONS[(u * 3 + v) % len(LOCATIONS)]
            fmt = IP_FORMATS[(u + v) % len(IP_FORMATS)]
            s = {"user": {"id": uid, "email": email},
                 "ip_address": fmt % (1 + x % 254), "user_agent": USER_AGENTS[(u + v) % 3],
                 "ja3": "%032x" % (mix64(x) << 64 | mix64(x + 1)),
                 "ja4": "t13d1516h2_%012x_%012x" % (x >> 16, mix64(x + 2) >> 16),
                 "ip_address_details": dict(zip(("country", "city", "region", "region_code",
                                                 "asn", "latitude", "longitude"), loc))}
            hit = ('{"type":"session","session":%s}' % dumps(s).decode(),
                   frozenset((uid,)), email, (uid, email))
            self.sessions[4 * u + v] = hit
        return hit

    # ---- positions and ids
    def at(self, seq):
        """effective_at of synthetic event seq (seq < n)."""
        return self.start + (seq * self.span + self.phase) // self.n

    def first_at(self, t):
        """The first synthetic seq whose effective_at is >= t."""
        if not self.n:
            return 0
        i = -((self.phase - (t - self.start) * self.n) // self.span)
        return 0 if i < 0 else self.n if i > self.n else i

    def id(self, seq):
        """audit_log- + seq in 8 base62 digits + 6 characters picked by a hash of seq."""
        q = seq // Q1
        head = self.heads.get(q)
        if head is None:
            p = B62_PAIRS
            head = self.heads[q] = AUDIT_PREFIX + p[q // Q2 % Q1] + p[q // Q1 % Q1] + p[q % Q1]
        r = self.rand
        return head + B62_PAIRS[seq % Q1] + \
            self.suffixes[(r[0][seq & 65535] ^ r[1][(seq >> 16) & 65535]) >> 50]

    def key(self, seq):
        """(effective_at, id) of synthetic event seq: ascending with seq."""
        return self.start + (seq * self.span + self.phase) // self.n, self.id(seq)

    def position(self, key):
        """How many synthetic events sort before key = (effective_at, id): O(1)
        arithmetic on effective_at, then a bisect among the events of that second."""
        t, eid = key
        a, b = self.first_at(t), self.first_at(t + 1)
        if a < b:
            a += bisect.bisect_left(range(a, b), eid, key=self.id)
        return a

    def decode(self, eid):
        """The seq an id of this generator encodes, or None."""
        if len(eid) != GEN_ID_LEN or not eid.startswith(AUDIT_PREFIX):
            return None
        seq = 0
        for k in (10, 12, 14, 16):
            v = B62_PAIR_VALUE.get(eid[k:k + 2])
            if v is None:
                return None
            seq = seq * Q1 + v
        return seq if self.id(seq) == eid else None

    # ---- content
    def _event(self, seq):
        """(type, project fragment, actor, payload JSON, resource id, extra JSON)."""
        lo, hi, r = seq & 65535, (seq >> 16) & 65535, self.rand
        h = r[0][lo] ^ r[1][hi]
        x = r[2][lo] ^ r[3][hi]
        etype, scoped, session_only, build = self.slots[(seq + self.off) % 100]
        if etype is None:
            etype, scoped, session_only, build = self.unknown[(seq // 100) % 2]
        if session_only or h & 1:
            u = (h >> 1) % self.nu
            actor = self.sessions[4 * u + ((h >> 40) & 3)] or self.session(u, (h >> 40) & 3)
        else:
            actor = self.key_actors[(h >> 1) % self.nk]
        project = self.projects[x % self.np] if scoped else None
        payload, rid, project = build(x >> 8, seq, actor, project)
        extra = SOURCES[(x >> 50) % 3] if (x >> 40) % 50 == 0 else ""
        return etype, project, actor, payload, rid, extra

    def text(self, seq, at, eid):
        """The served JSON of event seq, as str."""
        etype, project, actor, payload, _, extra = self._event(seq)
        return ('{"id":"%s","object":"organization.audit_log","type":"%s","effective_at":%d,'
                '%s"actor":%s,"%s":%s%s}'
                % (eid, etype, at, project[0] if project else "", actor[0], etype, payload,
                   extra))

    def item(self, seq, at, eid):
        """The served JSON bytes of event seq (the exact body of /_sim/audit/event/<id>)."""
        return self.text(seq, at, eid).encode("utf-8")

    def meta(self, seq):
        """(type, project id, actor ids, actor email, resource id): what filters look at."""
        etype, project, actor, _, rid, _ = self._event(seq)
        return etype, project[1] if project else None, actor[1], actor[2], rid

    def matching(self, sets):
        """Ascending synthetic seqs whose meta matches `sets` (cached per filter).
        event_types alone is arithmetic on the type cycle; other filters scan."""
        hit = self.meta_cache.get(sets)
        if hit is not None:
            return hit
        types = sets[0]
        if types:
            runs = []
            for t in types:
                for s in self.slot_of_type.get(t, ()):
                    runs.append(range((s - self.off) % 100, self.n, 100))
                if t in UNKNOWN_TYPES:
                    u = UNKNOWN_TYPES.index(t)
                    for s in self.slot_of_type[None]:
                        s0 = (s - self.off) % 100     # seq = s0 + 100k has type k % 2
                        runs.append(range(s0 + 100 * u, self.n, 200))
            cand = sorted(itertools.chain.from_iterable(runs))
        else:
            cand = range(self.n)
        if any(sets[1:]):
            cand = [s for s in cand if match_sets(sets, self.meta(s))]
        hit = array.array("q", cand)
        if len(self.meta_cache) > 16:
            self.meta_cache.clear()
        self.meta_cache[sets] = hit
        return hit

    # ---- payloads, keyed by type: (x, seq, actor, project) -> (JSON, resource id, project)
    def tok16(self, x):
        """16 letters and digits from the low 24 bits of x."""
        return self.tokens[x & 4095] + self.tokens[(x >> 12) & 4095]

    def tok24(self, x):
        t = self.tokens
        return t[x & 4095] + t[(x >> 12) & 4095] + t[(x >> 24) & 4095]

    def _user(self, x):
        return self.users[x % self.nu]

    def _p_login_succeeded(self, x, seq, actor, project):
        return "{}", None, project

    _p_logout_succeeded = _p_login_succeeded

    def _p_login_failed(self, x, seq, actor, project):
        k = (x % len(LOGIN_ERRORS), actor[2])
        hit = self.failures.get(k)
        if hit is None:
            code, msg = LOGIN_ERRORS[k[0]]
            hit = self.failures[k] = dumps({"error_code": code,
                                            "error_message": msg.format(email=k[1])}).decode()
        return hit, None, project

    def _p_api_key_created(self, x, seq, actor, project):
        kid = "key_" + self.tok16(x)
        return '{"id":"%s","data":{"scopes":%s}}' % (
            kid, SCOPE_JSON[0] if x % 4 else SCOPE_JSON[(x >> 4) % 4]), kid, project

    def _p_api_key_updated(self, x, seq, actor, project):
        kid = "key_" + self.tok16(x)
        return '{"id":"%s","changes_requested":{"scopes":%s}}' % (
            kid, SCOPE_JSON[x % 4]), kid, project

    def _p_api_key_deleted(self, x, seq, actor, project):
        kid = "key_" + self.tok16(x)
        return '{"id":"%s"}' % kid, kid, project

    def _new_project(self, x):
        """A project born in the synthetic history: (id, name, project fragment)."""
        pid, name = "proj_" + self.tok24(x), "Sandbox " + self.tokens[(x >> 36) & 4095][:4]
        return pid, name, ('"project":{"id":"%s","name":"%s"},' % (pid, name), pid)

    def _p_project_created(self, x, seq, actor, project):
        pid, name, project = self._new_project(x)
        return '{"id":"%s","data":{"name":"%s","title":"%s"}}' % (pid, name, name), pid, project

    def _p_project_archived(self, x, seq, actor, project):
        pid, _, project = self._new_project(x)
        return '{"id":"%s"}' % pid, pid, project

    def _p_user_added(self, x, seq, actor, project):
        uid = "user-" + self.tok24(x)
        return '{"id":"%s","data":{"role":"%s"}}' % (uid, ("reader", "owner")[x % 7 == 0]), \
            uid, project

    def _p_user_updated(self, x, seq, actor, project):
        uid = self._user(x)[0]
        return '{"id":"%s","changes_requested":{"role":"%s"}}' % (
            uid, ("reader", "owner")[(x >> 8) % 3 == 0]), uid, project

    def _p_user_deleted(self, x, seq, actor, project):
        uid = "user-" + self.tok24(x)
        return '{"id":"%s"}' % uid, uid, project

    def _p_invite_sent(self, x, seq, actor, project):
        iid = "invite-" + self.tok16(x)
        return '{"id":"%s","data":{"email":%s,"role":"%s"}}' % (
            iid, self.invitees[x % len(self.invitees)], ("reader", "owner")[(x >> 8) % 5 == 0]), \
            iid, project

    def _p_service_account_created(self, x, seq, actor, project):
        sid = "svc_acct_" + self.tok16(x)
        return '{"id":"%s","data":{"role":"%s"}}' % (sid, ("member", "owner")[x % 3 == 0]), \
            sid, project

    def _p_rate_limit_updated(self, x, seq, actor, project):
        rid = "rl-" + RATE_MODELS[x % len(RATE_MODELS)]
        return ('{"id":"%s","changes_requested":{"max_requests_per_1_minute":%d,'
                '"max_tokens_per_1_minute":%d}}'
                % (rid, 500 * (1 + (x >> 8) % 20), 10000 * (1 + (x >> 16) % 50))), rid, project

    def _p_role_assignment_created(self, x, seq, actor, project):
        rid = "ra_" + self.tok16(x)
        return ('{"id":"%s","principal_id":"%s","principal_type":"user","resource_id":"%s",'
                '"resource_type":"api.project"}' % (rid, self._user(x >> 8)[0], project[1])), \
            rid, project

    def _p_tenant_workspace_ghost_mode_enabled(self, x, seq, actor, project):
        wid = "ws_" + self.tok16(x)
        return ('{"id":"%s","data":{"enabled":true,"ttl_hours":%d,"note":"unknown to the '
                'schema"}}' % (wid, 1 + x % 48)), wid, project

    def _p_resource_deleted(self, x, seq, actor, project):
        rid = "vs_" + self.tok16(x)
        return ('{"id":"%s","resource_type":"vector_store","reason":"retention_policy",'
                '"bytes":%d}' % (rid, x % 1000000)), rid, project


class LiveLog:
    """Audit events added while the simulator runs (POST /_sim/events and the
    events_per_request knob).  Event k is seq = n + k of the AuditGen (same
    content rules), with effective_at taken from the wall clock when added.
    Thread-safe: writers and page reads take the lock briefly."""

    def __init__(self, gen):
        self.gen = gen
        self.lock = threading.Lock()
        self.at = []        # effective_at of event k
        self.keys = []      # (effective_at, id) ascending
        self.seqs = []      # seq of keys[j]

    def __len__(self):
        return len(self.at)

    def add(self, count, at):
        """Appends `count` events at effective_at `at`; returns their ids."""
        with self.lock:
            base = self.gen.n + len(self.at)
            seqs = range(base, base + count)
            ids = [self.gen.id(s) for s in seqs]
            self.at.extend([at] * count)
            # Higher seqs have higher ids: the batch goes after every key of second `at`.
            p = bisect.bisect_left(self.keys, (at + 1, ""))
            self.keys[p:p] = [(at, i) for i in ids]
            self.seqs[p:p] = seqs
        return ids

    def at_of(self, seq):
        k = seq - self.gen.n
        return self.at[k] if 0 <= k < len(self.at) else None

    def window(self, sets, lo_key, hi_key, limit, older, cut):
        """window_of over the live entries (those matching `sets`), under the lock."""
        with self.lock:
            keys, seqs = self.keys, self.seqs
            if sets is not None:
                pos = [j for j, s in enumerate(seqs) if match_sets(sets, self.gen.meta(s))]
                keys, seqs = [keys[j] for j in pos], [seqs[j] for j in pos]
            return window_of(keys, lo_key, hi_key, limit, older, cut,
                             lambda j: keys[j] + (seqs[j],))

    def snapshot(self):
        with self.lock:
            return list(self.keys)


# --------------------------------------------------------------------------
# Paging: the single place list envelopes are built.

def list_envelope(items, first_id, last_id, has_more):
    return b"".join((b'{"object":"list","data":[', b",".join(items), b'],"first_id":',
                     dumps(first_id), b',"last_id":', dumps(last_id), b',"has_more":',
                     b"true" if has_more else b"false", b"}"))


def envelope_of(ids, items, sel, has_more):
    """Envelope for the positions `sel` (a range, in serving order)."""
    if not sel:
        return list_envelope([], None, None, has_more)
    return list_envelope([items[i] for i in sel], ids[sel[0]], ids[sel[-1]], has_more)


class Listing:
    """An immutable id-sorted list of pre-serialised items."""

    __slots__ = ("ids", "items", "index")

    def __init__(self, ids, items):
        self.ids = ids
        self.items = items
        self.index = {i: n for n, i in enumerate(ids)}

    @classmethod
    def of(cls, objs):
        objs = sorted(objs, key=lambda o: o["id"])
        return cls([o["id"] for o in objs], [dumps(o) for o in objs])

    def subset(self, keep):
        pos = [n for n, i in enumerate(self.ids) if keep(i)]
        return Listing([self.ids[n] for n in pos], [self.items[n] for n in pos])

    def get(self, oid):
        n = self.index.get(oid)
        return None if n is None else self.items[n]

    def window(self, limit, after=None, before=None, desc=False):
        """(positions in serving order, has_more) of the page next to a cursor:
        after `after`, or else just before `before`, in ascending or descending
        id order (ids compare as strings, so a deleted id works too)."""
        n, ids = len(self.ids), self.ids
        if after is None and before is not None:     # page back towards the start
            if desc:
                lo = bisect.bisect_right(ids, before)
                hi = min(n, lo + limit)
                return range(hi - 1, lo - 1, -1), hi < n
            hi = bisect.bisect_left(ids, before)
            lo = max(0, hi - limit)
            return range(lo, hi), lo > 0
        if not desc:
            lo = bisect.bisect_right(ids, after) if after is not None else 0
            hi = min(n, lo + limit)
            return range(lo, hi), hi < n
        hi = bisect.bisect_left(ids, after) if after is not None else n
        lo = max(0, hi - limit)
        return range(hi - 1, lo - 1, -1), lo > 0

    def page(self, limit, after=None, desc=False, stuck=False, before=None):
        """A cursor-list page ({"object":"list",...,"first_id","last_id","has_more"})."""
        if stuck:
            after = before = None
        sel, more = self.window(limit, after, before, desc)
        return envelope_of(self.ids, self.items, sel, more or stuck)

    def page_next(self, limit, after=None, desc=False, stuck=False):
        """A "next" list page ({"object":"list","data","has_more","next"}): next is
        the last id served when more follow."""
        if stuck:
            after = None
        sel, more = self.window(limit, after, None, desc)
        more = more or stuck
        nxt = self.ids[sel[-1]] if more and sel else after if more else None
        return b"".join((b'{"object":"list","data":[', b",".join(self.items[i] for i in sel),
                         b'],"has_more":', b"true" if more else b"false", b',"next":',
                         dumps(nxt), b"}"))


def match_sets(sets, m):
    """Do the set filters (types, projects, actors, emails, resources) admit an
    entry whose meta is m = (type, project id, actor ids, actor email, resource id)?"""
    types, projects, actors, emails, resources = sets
    etype, pid, actor_ids, email, rid = m[:5]
    return ((not types or etype in types) and (not projects or pid in projects)
            and (not actors or bool(actor_ids & actors))
            and (not emails or email in emails) and (not resources or rid in resources))


def window_of(keys, lo_key, hi_key, limit, older, cut, entry, bisect_key=None):
    """Count of keys in [lo_key, hi_key) (None = unbounded) and up to `limit`
    candidates entry(j), newest first from its newer end (older=True) or oldest
    first from its older end, only those beyond `cut` (newer than it if older,
    else older; None = no cut)."""
    lo = 0 if lo_key is None else bisect.bisect_left(keys, lo_key, key=bisect_key)
    hi = len(keys) if hi_key is None else bisect.bisect_left(keys, hi_key, key=bisect_key)
    if hi <= lo:
        return 0, []
    a, b = lo, hi
    if cut is not None:
        c = bisect.bisect_left(keys, cut, lo, hi, key=bisect_key)
        a, b = (max(a, c), b) if older else (a, min(b, c))
    sel = range(b - 1, max(a, b - limit) - 1, -1) if older else range(a, min(b, a + limit))
    return hi - lo, [entry(j) for j in sel]


def merge_candidates(cands, more, limit, older):
    """The best `limit` of two candidate lists (newest first if older, else
    oldest first) and the cut beyond which no other entry can make the page."""
    if more:
        cands = sorted(cands + more, reverse=older)[:limit]
    return cands, (cands[-1][:2] if len(cands) == limit else None)


class AuditIndex:
    """Audit log entries, served newest first (effective_at, then id, descending).

    One list merged from three sorted parts: the org-derived history
    (pre-serialised, replaced on mutation), the synthetic history (AuditGen:
    positions by arithmetic, items made when served) and the events added at
    run time (LiveLog).  A page bisects each part for the window the cursor
    and the effective_at bounds allow, takes up to `limit` candidates from
    each and merges them; the set filters select a (cached) subset first."""

    def __init__(self, org, gen, live):
        evs = sorted(org.events, key=lambda e: (e.effective_at, e.id))
        self.gen, self.live = gen, live
        self.keys = [(e.effective_at, e.id) for e in evs]     # ascending
        self.ids = [e.id for e in evs]
        self.items = [dumps(event_obj(org, e)) for e in evs]
        self.meta = [self._meta(e) for e in evs]
        self.key_of = {e.id: (e.effective_at, e.id) for e in evs}
        self.pos = {e.id: n for n, e in enumerate(evs)}
        self.cache = {}

    @staticmethod
    def _meta(e):
        a = e.actor or {}
        who = a.get("session") or a.get("api_key") or {}
        user = who.get("user") or {}
        ids = {x for x in (user.get("id"), (who.get("service_account") or {}).get("id"),
                           a.get("api_key", {}).get("id")) if x}
        return e.type, e.project_id, ids, user.get("email"), e.payload.get("id"), e.effective_at

    def select(self, sets):
        """(keys, ids, items) of the org-derived entries matching the set filters."""
        if sets is None:
            return self.keys, self.ids, self.items
        hit = self.cache.get(sets)
        if hit is None:
            pos = [n for n, m in enumerate(self.meta) if match_sets(sets, m)]
            hit = ([self.keys[n] for n in pos], [self.ids[n] for n in pos],
                   [self.items[n] for n in pos])
            if len(self.cache) > 64:
                self.cache.clear()
            self.cache[sets] = hit
        return hit

    def count(self):
        return len(self.keys) + self.gen.n + len(self.live)

    def page(self, sets, bounds, limit, after=None, before=None, stuck=False):
        """One page: `sets` = (event_types, project_ids, actor_ids, actor_emails,
        resource_ids) frozensets or None, `bounds` = effective_at (gt, gte, lt, lte)."""
        if stuck:
            after = before = None
        lo_key, hi_key = key_bounds(*bounds)
        older = after is not None or before is None     # page towards older entries
        if after is not None:
            k = self._cursor(after, "after")
            hi_key = k if hi_key is None else min(hi_key, k)
        elif before is not None:
            at, eid = self._cursor(before, "before")
            k = (at, eid + "\0")            # the smallest key above the cursor
            lo_key = k if lo_key is None else max(lo_key, k)
        # The synthetic part first: its candidates give a cut that spares the others.
        total, cands = self._gen_window(sets, lo_key, hi_key, limit, older)
        cut = cands[-1][:2] if len(cands) == limit else None
        keys, _, items = self.select(sets)
        n, got = window_of(keys, lo_key, hi_key, limit, older, cut,
                           lambda j: keys[j] + (items[j],))
        cands, cut = merge_candidates(cands, got, limit, older)
        m, got = self.live.window(sets, lo_key, hi_key, limit, older, cut)
        sel, _ = merge_candidates(cands, got, limit, older)
        total += n + m
        if not older:
            sel.reverse()
        if not sel:
            return list_envelope([], None, None, stuck)
        text = self.gen.text
        data = ",".join([x.decode("utf-8") if isinstance(x, bytes) else text(x, at, eid)
                         for at, eid, x in sel])
        return list_envelope([data.encode("utf-8")], sel[0][1], sel[-1][1],
                             total > limit or stuck)

    def _gen_window(self, sets, lo_key, hi_key, limit, older):
        g = self.gen
        if not g.n:
            return 0, []
        if sets is not None:
            view = g.matching(sets)
            return window_of(view, lo_key, hi_key, limit, older, None,
                             lambda j: g.key(view[j]) + (view[j],), g.key)
        lo = 0 if lo_key is None else g.position(lo_key)
        hi = g.n if hi_key is None else g.position(hi_key)
        if hi <= lo:
            return 0, []
        sel = range(hi - 1, max(lo, hi - limit) - 1, -1) if older else \
            range(lo, min(hi, lo + limit))
        start, span, phase, n, gid = g.start, g.span, g.phase, g.n, g.id
        return hi - lo, [(start + (s * span + phase) // n, gid(s), s) for s in sel]

    def locate(self, cid):
        """(effective_at, id, seq or None) of an entry, or None if unknown."""
        k = self.key_of.get(cid)
        if k is not None:
            return k + (None,)
        seq = self.gen.decode(cid)
        if seq is None:
            return None
        at = self.gen.at(seq) if seq < self.gen.n else self.live.at_of(seq)
        return None if at is None else (at, cid, seq)

    def _cursor(self, cid, param):
        k = self.locate(cid)
        if k is None:
            raise bad_param(param, "Invalid '%s': no audit log entry with id '%s'." % (param, cid))
        return k[:2]

    def entry(self, cid):
        """The served bytes of one entry, or None."""
        k = self.locate(cid)
        if k is None:
            return None
        return self.items[self.pos[cid]] if k[2] is None else self.gen.item(k[2], k[0], cid)

    def id_chunks(self, chunk=65536):
        """Every id, oldest first, as lists: org and live entries merged into
        the synthetic run by position, synthetic ids made in chunks."""
        g, done = self.gen, 0
        for at, eid in sorted(self.keys + self.live.snapshot()):
            stop = g.position((at, eid))
            while done < stop:
                end = min(stop, done + chunk)
                yield [g.id(s) for s in range(done, end)]
                done = end
            yield [eid]
        while done < g.n:
            end = min(g.n, done + chunk)
            yield [g.id(s) for s in range(done, end)]
            done = end

    def digest(self):
        """{"count", "sha256"} over the ids joined by newlines, oldest first."""
        h, n = hashlib.sha256(), 0
        for ids in self.id_chunks():
            if not ids:
                continue
            h.update(("\n" if n else "").encode() + "\n".join(ids).encode("ascii"))
            n += len(ids)
        return {"count": n, "sha256": h.hexdigest()}


def key_bounds(gt, gte, lt, lte):
    """effective_at bounds as (inclusive lower, exclusive upper) (at, id) keys."""
    lo = [(t, "") for t in (None if gt is None else gt + 1, gte) if t is not None]
    hi = [(t, "") for t in (lt, None if lte is None else lte + 1) if t is not None]
    return (max(lo) if lo else None), (min(hi) if hi else None)


class Snapshot:
    """Everything a GET needs, pre-serialised and immutable (the audit index
    also reads the shared AuditGen and LiveLog)."""

    def __init__(self, org, gen, live):
        self.now = org.now
        self.users = Listing.of([user_obj(u) for u in org.users.values()])
        self.user_email = {u.id: u.email.lower() for u in org.users.values()}
        self.projects_all = Listing.of([project_obj(p) for p in org.projects.values()])
        self.archived = {p.id: p.archived for p in org.projects.values()}
        self.projects_active = self.projects_all.subset(lambda i: not self.archived[i])
        by_project = {pid: [] for pid in org.projects}
        for k in org.keys.values():
            by_project[k.project_id].append(k)
        self.keys = {}
        for pid, ks in by_project.items():
            every = Listing.of([key_obj(org, k) for k in ks])
            inactive = {k.id for k in ks if k.access == "inactive"}
            self.keys[pid] = {"any": every,
                              "active": every.subset(lambda i: i not in inactive),
                              "inactive": every.subset(lambda i: i in inactive)}
        self.sas = {pid: Listing.of([sa_obj(s) for s in org.sas.values() if s.project_id == pid])
                    for pid in org.projects}
        self.members = {pid: Listing.of([member_obj(org, m) for m in org.members[pid].values()
                                         if m.user_id in org.users])
                        for pid in org.projects}
        self.admin_keys = Listing.of([admin_obj(org, k) for k in org.admin_keys.values()])
        self.invites = Listing.of([invite_obj(i) for i in org.invites.values()])
        self._settings(org)
        self._rbac(org)
        self.audit = AuditIndex(org, gen, live)
        self.truth = org.truth()
        self.posture = org.posture()

    def _settings(self, org):
        st = org.settings
        self.model_permissions = {pid: dumps(model_permissions_obj(st[pid])) for pid in st}
        self.project_alerts = {pid: Listing.of([alert_obj(a, "project")
                                                for a in st[pid].spend_alerts.values()])
                               for pid in st}
        self.retention = {pid: dumps({"object": "project.data_retention",
                                      "type": st[pid].data_retention}) for pid in st}
        self.rate_limits = {pid: Listing.of([rate_limit_obj(m, f) for m, f in st[pid].rate_limits])
                            for pid in st}
        self.org_alerts = Listing.of([alert_obj(a, "organization")
                                      for a in org.org_alerts.values()])
        self.org_retention = dumps({"object": "organization.data_retention",
                                    "type": ORG_RETENTION})

    def _rbac(self, org):
        roles = org.roles
        self.roles = Listing.of([role_obj(r) for r in roles.values()])
        self.user_roles = {uid: Listing.of([assigned_role_obj(org, roles[rid], sources)
                                            for rid, sources in org.role_grants(uid).items()])
                           for uid in org.users}
        self.groups = Listing.of([group_obj(g) for g in org.groups.values()])
        self.group_users = {g.id: Listing.of([group_user_obj(org.users[u]) for u in g.members])
                            for g in org.groups.values()}
        self.group_roles = {g.id: Listing.of([assigned_role_obj(org, roles[rid], None)
                                              for rid in g.roles])
                            for g in org.groups.values()}

    def project(self, pid):
        if pid not in self.archived:
            raise ApiError(404, "No project found with id '%s'." % pid)
        return pid


# --------------------------------------------------------------------------
# Usage and costs: the org's traffic, made per UTC day from (--seed, key, day)

# Chat models of --usage-models (the first N): prices in pico-dollars (1e-12 USD) per
# token, mean tokens per request, and whether the model takes audio or images.
ChatModel = collections.namedtuple("ChatModel", "price_in price_cached price_out "
                                   "price_audio_in price_audio_out tokens_in tokens_out "
                                   "audio images")
CHAT_MODELS = {
    "gpt-4o-2024-08-06": ChatModel(2500000, 1250000, 10000000, 0, 0, 1800, 350, False, True),
    "gpt-4o-mini-2024-07-18": ChatModel(150000, 75000, 600000, 0, 0, 1200, 300, False, True),
    "gpt-4o-audio-preview-2024-12-17": ChatModel(2500000, 1250000, 10000000, 40000000,
                                                 80000000, 600, 200, True, False),
    "o3-mini-2025-01-31": ChatModel(1100000, 550000, 4400000, 0, 0, 2500, 1500, False, False),
    "gpt-4.1-2025-04-14": ChatModel(2000000, 500000, 8000000, 0, 0, 2200, 400, False, True),
    "gpt-4.1-mini-2025-04-14": ChatModel(400000, 100000, 1600000, 0, 0, 1500, 300, False, True),
}
EMBED_MODEL, MODERATION_MODEL = "text-embedding-3-small", "omni-moderation-2024-09-26"
SPEECH_MODEL, TRANSCRIBE_MODEL = "tts-1", "whisper-1"
IMAGE_MODELS = {"dall-e-3": 40000000000, "gpt-image-1": 42000000000}   # pico-USD per image
IMAGE_SIZES = ("256x256", "512x512", "1024x1024", "1792x1792", "1024x1792")
IMAGE_SOURCES = ("image.generation", "image.edit", "image.variation")
CONTEXT_LEVELS = ("low", "medium", "high")
SERVICE_TIERS = ("default",) * 17 + ("flex", "flex", "priority")
# pico-USD per unit of what the other cost line items count (tokens, characters,
# seconds, calls, sessions, GiB-hours)
PRICE = {"embeddings": 20000, "audio_speeches": 15000000, "audio_transcriptions": 100000000,
         "web_search_calls": 10000000000, "file_search_calls": 2500000000,
         "code_interpreter_sessions": 30000000000, "vector_stores": 4166666667,
         "file_storage": 138888889}
PICO = 10 ** 12
GIB = 1 << 30
COMPLETION_COUNTERS = (
    "input_tokens", "input_cached_tokens", "input_cache_write_tokens", "input_uncached_tokens",
    "output_tokens", "input_text_tokens", "output_text_tokens", "input_cached_text_tokens",
    "input_audio_tokens", "input_cached_audio_tokens", "output_audio_tokens",
    "input_image_tokens", "input_cached_image_tokens", "output_image_tokens",
    "num_model_requests")
# How often a key with traffic also uses each other endpoint, and how many of its
# completions requests it makes there (percent range).
SECONDARY = (("embeddings", 40, 20, 60), ("moderations", 25, 10, 50), ("images", 10, 2, 10),
             ("audio_speeches", 6, 5, 20), ("audio_transcriptions", 6, 5, 20),
             ("web_search_calls", 15, 5, 30), ("file_search_calls", 12, 10, 40),
             ("code_interpreter_sessions", 10, 100, 100))
REQUEST_KINDS = ("completions", "embeddings", "moderations", "images", "audio_speeches",
                 "audio_transcriptions", "web_search_calls")   # what "requests" counts
RATES = (2, 4, 8, 15, 30, 60, 120, 300)       # mean completions requests per active day
ID_FILTERS = (("project_ids", "project_id"), ("user_ids", "user_id"),
              ("api_key_ids", "api_key_id"))
MODEL_FILTERS = ID_FILTERS + (("models", "model"),)
TRUTH_DIMS = ("project_id", "user_id", "api_key_id", "model")


@dataclass(frozen=True)
class UsageKind:
    """One usage endpoint (or costs): its result object, counters and
    dimensions in served order, group_by values in the spec's order, filters
    (query parameter, dimension) and the values an enum filter accepts."""
    name: str
    obj: str
    counters: tuple
    dims: tuple
    group_by: tuple
    filters: tuple
    choices: tuple = ()
    widths: tuple = ("1m", "1h", "1d")

    def dim(self, name):
        return self.dims.index(name) if name in self.dims else None


def _usage_kind(name, obj, counters, dims, group_by=None, filters=MODEL_FILTERS, choices=()):
    return UsageKind(name, "organization.usage.%s.result" % obj, counters, dims,
                     group_by or dims, filters, choices)


_MODEL_DIMS = ("project_id", "user_id", "api_key_id", "model")
USAGE_SPECS = {k.name: k for k in (
    _usage_kind("completions", "completions", COMPLETION_COUNTERS,
                _MODEL_DIMS + ("batch", "service_tier"),
                filters=MODEL_FILTERS + (("batch", "batch"),)),
    _usage_kind("embeddings", "embeddings", ("input_tokens", "num_model_requests"), _MODEL_DIMS),
    _usage_kind("moderations", "moderations", ("input_tokens", "num_model_requests"),
                _MODEL_DIMS),
    _usage_kind("images", "images", ("images", "num_model_requests"),
                ("source", "size") + _MODEL_DIMS, _MODEL_DIMS + ("size", "source"),
                MODEL_FILTERS + (("sources", "source"), ("sizes", "size")),
                (("sources", IMAGE_SOURCES), ("sizes", IMAGE_SIZES))),
    _usage_kind("audio_speeches", "audio_speeches", ("characters", "num_model_requests"),
                _MODEL_DIMS),
    _usage_kind("audio_transcriptions", "audio_transcriptions",
                ("seconds", "num_model_requests"), _MODEL_DIMS),
    _usage_kind("vector_stores", "vector_stores", ("usage_bytes",), ("project_id",),
                filters=ID_FILTERS[:1]),
    _usage_kind("code_interpreter_sessions", "code_interpreter_sessions", ("num_sessions",),
                ("project_id",), filters=ID_FILTERS[:1]),
    _usage_kind("file_search_calls", "file_searches", ("num_requests",),
                ("project_id", "user_id", "api_key_id", "vector_store_id"),
                filters=ID_FILTERS + (("vector_store_ids", "vector_store_id"),)),
    _usage_kind("web_search_calls", "web_searches", ("num_model_requests", "num_requests"),
                _MODEL_DIMS + ("context_level",),
                filters=MODEL_FILTERS + (("context_levels", "context_level"),),
                choices=(("context_levels", CONTEXT_LEVELS),)),
)}
COSTS_SPEC = UsageKind("costs", "organization.costs.result", ("amount",),
                       ("line_item", "project_id", "api_key_id"),
                       ("project_id", "line_item", "api_key_id"),
                       (("project_ids", "project_id"), ("api_key_ids", "api_key_id")),
                       widths=("1d",))
USAGE_KINDS = tuple(USAGE_SPECS)


def completion_counters(a, b, c, d, e, f, g, r):
    """The 15 served completions counters from uncached text (a), cached text
    (b), cache-write (c), audio (d) and image (e) input, text (f) and audio (g)
    output tokens and r requests: sums hold as the spec defines them."""
    return (a + b + c + d + e, b, c, a + d + e, f + g, a, f, b, d, 0, g, e, 0, 0, r)


def completion_base(cnt):
    """The (a, b, c, d, e, f, g, r) that completion_counters made cnt from."""
    return cnt[5], cnt[1], cnt[2], cnt[8], cnt[11], cnt[6], cnt[10], cnt[14]


def pct(x, shift, lo, hi):
    """An integer in lo..hi taken from bits of the hash x."""
    return lo + (x >> shift) % (hi - lo + 1)


def decimal_text(pico, places=None):
    """Exact decimal text of pico-dollars: no exponent, trailing zeros cut (or
    padded to `places` decimals)."""
    whole, frac = divmod(pico, PICO)
    text = "%012d" % frac
    text = text.rstrip("0") if places is None else text[:places].ljust(places, "0")
    return str(whole) + ("." + text if text else "")


def amount_json(pico, key):
    """The served amount.value: a JSON number (only when it has at most 15
    significant digits, so that a double holds it exactly as written) or a
    decimal string, minimal or with 12 decimals, picked by the hash `key`."""
    mode = key % 4
    if mode < 2 and len(str(pico).rstrip("0") or "0") <= 15:
        return decimal_text(pico)
    return '"%s"' % decimal_text(pico, 12 if mode == 3 else None)


class Traffic:
    """An api_key_id that carries usage and how: its project and user (None
    for service-account keys), the time spans it may be used in (hi None =
    open), an activity class (0 nearly daily, 1 weekdays, 2 one day in five,
    3 one day in fifteen), the mean completions requests of an active day,
    its chat models (primary, secondary or None), the other endpoints it uses
    (kind, percent of its requests), its planted quirks (days forced on, a
    range of days forced off, a day multiplier: the spike), whether it stays in
    use after start-up (live), when it stopped (left the key list), the days
    it can have usage in and its hash h."""

    __slots__ = ("n", "key", "project", "user", "spans", "cls", "rate", "models", "mix",
                 "tier", "batch", "image", "context", "store", "on", "off", "boost",
                 "live", "stop", "days", "h")

    def __init__(self, n, key, project, user, spans, x, models, mix, store):
        self.n, self.key, self.project, self.user, self.spans = n, key, project, user, spans
        self.cls = (0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3)[x % 20]
        self.rate = RATES[(x >> 5) % len(RATES)]
        self.models, self.mix, self.store = models, mix, store
        self.tier = SERVICE_TIERS[(x >> 9) % len(SERVICE_TIERS)]
        self.batch = (x >> 14) % 6 == 0
        self.image = (list(IMAGE_MODELS)[(x >> 17) % 2], IMAGE_SIZES[(x >> 18) % 5],
                      IMAGE_SOURCES[(x >> 21) % 3])
        self.context = CONTEXT_LEVELS[(x >> 23) % 3]
        self.on, self.off, self.boost, self.live, self.stop = frozenset(), None, {}, False, None
        self.h = mix64(x)
        his = [hi for _, hi in spans]
        self.days = (min(lo for lo, _ in spans) // DAY,      # no use outside these days
                     float("inf") if None in his else max(his) // DAY)

    def active(self, d, x):
        """Is the key used on day d (x: the key-day hash)?"""
        if self.off and self.off[0] <= d < self.off[1]:
            return False
        if d in self.on:
            return True
        c = self.cls
        if c == 0:
            return x % 20 != 0
        if c == 1:
            return (d + 3) % 7 < 5 and x % 20 != 0      # epoch day 0 was a Thursday
        return x % (5 if c == 2 else 15) == 0

    def place(self, t, day0, clamp):
        """t if the key may be used then, else (clamp) the nearest whole minute of
        the same day it may be used in, else None."""
        if self.stop is not None and t > self.stop:
            return None
        for lo, hi in self.spans:
            if lo <= t and (hi is None or t <= hi):
                return t
        if not clamp:
            return None
        for lo, hi in self.spans:
            a = -(-max(lo, day0) // 60) * 60
            b = min(v for v in (hi, self.stop, day0 + DAY - 1) if v is not None)
            if a <= b:
                return min(max(t, a), b - b % 60)
        return None


class UsageData:
    """The usage and costs streams of one simulator: deterministic rows made
    per UTC day on first use and cached, revisions laid over them, and the
    usage ground truth.

    A row is (t, dims, counters): t a Unix second on a whole minute, dims the
    endpoint's dimensions in served order (raw values), counters its counters
    in served order.  Days before the origin day - 2 (the origin is --now at
    start-up) hold one row per key, model and day; from then on each active
    day of a key is spread over 2-7 hours (hourly detail).  Rows never move:
    --now moving ahead (POST /_sim/clock) only reveals more of them.  Costs
    rows are made from the unrevised usage rows of the same day up to a cutoff
    (now, for today), then the costs revisions are laid over them."""

    def __init__(self, org, o):
        self.o = o
        self.origin = org.now
        self.origin_day = org.now // DAY
        self.first_day = self.origin_day - o.usage_days
        self.hourly_day = self.origin_day - 2
        self.salt = org._rng("usage-salt").getrandbits(64)
        self.models = list(CHAT_MODELS)[:o.usage_models]
        self.traffic, self.stores = [], {}
        self.planted = {}           # role (spike, stale, orphan, gap) -> [api_key_id]
        self.days = {}              # day -> {kind: (times, rows)} (unrevised)
        self.costs = {}             # (day, cutoff) -> [(dims, amount, quantity, unit)]
        self.overlay = {}           # (kind, day) -> {(t, dims): counters}
        self.cost_overlay = {}      # day -> {dims: amount}
        self.revisions, self.revision = [], 0
        self.version = 0            # bumped whenever a served row may change
        self.lock = threading.Lock()
        if o.usage_keys:
            self._plan(org, org._rng("usage"))
        self.by_key = {p.key: p for p in self.traffic}

    # ---- who has traffic
    def _profile(self, rng, key, project, user, spans):
        x = rng.getrandbits(64)
        models = (self.models[x % len(self.models)],
                  self.models[(x >> 40) % len(self.models)] if (x >> 44) % 3 == 0 else None)
        if models[1] == models[0]:
            models = (models[0], None)
        mix = tuple((kind, pct(x, 7 + 3 * i, lo, hi)) for i, (kind, often, lo, hi)
                    in enumerate(SECONDARY) if mix64(x + i) % 100 < often)
        if any(k == "file_search_calls" for k, _ in mix) and project not in self.stores:
            self.stores[project] = "vs_" + alnum(rng, 24)
        p = Traffic(len(self.traffic), key, project, user, spans, x, models, mix,
                    self.stores.get(project))
        self.traffic.append(p)
        return p

    def _key_profile(self, org, rng, k, spans):
        return self._profile(rng, k.id, k.project_id,
                             k.owner_id if k.owner_type == "user" else None, spans)

    def _plan(self, org, rng):
        """The --usage-keys keys with traffic, planted cases first (a spike, two
        stale keys waking up, a departed user's key waking up, a key with a gap
        longer than stale_days), then keys used in the window; plus the unmapped
        ids (two deleted keys, a key of a project that is not listed)."""
        o, w0 = self.o, self.first_day * DAY
        stale_limit = org.now - o.stale_days * DAY
        keys = org._sorted(org.keys.values())
        rng.shuffle(keys)
        active = [k for k in keys if not org.projects[k.project_id].archived]
        used = [k for k in keys if k.last_used_at is not None and k.last_used_at > w0 + HOUR]
        picks = [("spike", self._pick_spike(used)),
                 ("stale", [k for k in active if is_stale(k.created_at, k.last_used_at,
                                                          stale_limit)
                            and k.owner_id not in org.departed][:2]),
                 ("orphan", sorted((k for k in active if k.owner_id in org.departed),
                                   key=lambda k: is_stale(k.created_at, k.last_used_at,
                                                          stale_limit))[:1]),
                 ("gap", self._pick_gap(used))]
        taken = set()
        for role, ks in picks:
            for k in ks:
                if len(taken) < o.usage_keys and k.id not in taken:
                    taken.add(k.id)
                    getattr(self, "_plant_" + role)(org, rng, k)
                    self.planted.setdefault(role, []).append(k.id)
        for k in used:
            if len(taken) >= o.usage_keys:
                break
            if k.id not in taken:
                taken.add(k.id)
                self._normal(org, rng, k)
        self._cover(rng)
        self._plan_unmapped(org, rng)

    def _cover(self, rng):
        """Every endpoint gets traffic: a kind no key uses goes to the keys in turn."""
        used = {kind for p in self.traffic for kind, _ in p.mix}
        missing = [s for s in SECONDARY if s[0] not in used]
        for i, (kind, _, lo, hi) in enumerate(missing):
            p = self.traffic[i % len(self.traffic)]
            p.mix += ((kind, hi),)
            if kind == "file_search_calls" and p.store is None:
                p.store = self.stores.setdefault(p.project, "vs_" + alnum(rng, 24))

    def _normal_spans(self, org, k):
        lo = max(k.created_at, self.first_day * DAY)
        spans = ((lo, k.last_used_at),)
        live = k.last_used_at >= self.origin - DAY and not org.projects[k.project_id].archived
        return (spans + ((self.origin + 1, None),) if live else spans), live

    def _normal(self, org, rng, k):
        spans, live = self._normal_spans(org, k)
        p = self._key_profile(org, rng, k, spans)
        p.live = live
        return p

    def _pick_spike(self, used):
        s = self.origin_day - 5
        if s - 14 < self.first_day:
            return []
        return [k for k in used if k.created_at <= (s - 15) * DAY
                and k.last_used_at >= (s + 1) * DAY][:1]

    def _plant_spike(self, org, rng, k):
        """Nearly daily, 30 requests a day, 25 times that on origin day - 5."""
        p = self._normal(org, rng, k)
        s = self.origin_day - 5
        p.cls, p.rate, p.on, p.boost = 0, 30, frozenset(range(s - 14, s + 1)), {s: 25}

    def _plant_stale(self, org, rng, k):
        """Used from origin day - 2 on; last_used_at is left as it was (it lags)."""
        p = self._key_profile(org, rng, k, (((self.origin_day - 2) * DAY, None),))
        p.cls, p.rate = 0, 8

    def _plant_orphan(self, org, rng, k):
        """Used from the day after its owner left; last_used_at follows."""
        left = org.departed_at[k.owner_id] // DAY + 1
        k.last_used_at = self.origin - HOUR * (1 + rng.randrange(3))
        p = self._key_profile(org, rng, k, ((max(left * DAY, k.created_at), k.last_used_at),
                                            (self.origin + 1, None)))
        p.cls, p.live = 0, True

    def _pick_gap(self, used):
        resume = self.first_day + self.o.stale_days + 1
        if resume > self.origin_day - 1:
            return []
        return [k for k in used if k.created_at <= self.first_day * DAY
                and k.last_used_at >= (resume + 1) * DAY][:1]

    def _plant_gap(self, org, rng, k):
        """Used on the first day, then not for stale_days days, then daily."""
        p = self._normal(org, rng, k)
        resume = self.first_day + self.o.stale_days + 1
        p.cls, p.on, p.off = 0, frozenset((self.first_day, resume)), (self.first_day + 1, resume)

    def _plan_unmapped(self, org, rng):
        """Two keys deleted before the key list was read (one of a departed
        user), and a key of a project the projects list does not have."""
        humans = org._sorted(org.humans())
        departed = org._sorted(org.departed.values())
        active = [p for p in org._sorted(org.projects.values()) if not p.archived]
        w, u = self.first_day, self.o.usage_days
        owners = (rng.choice(humans), departed[0] if departed else rng.choice(humans))
        for owner, end in zip(owners, (0.7, 0.85)):
            kid = org.new_id(rng, "key_", 16)
            p = self._profile(rng, kid, rng.choice(active).id, owner.id,
                              ((w * DAY, int((w + end * u) * DAY)),))
            p.cls = 0
        pid = org.new_id(rng, "proj_", 24)
        p = self._profile(rng, org.new_id(rng, "key_", 16), pid, rng.choice(humans).id,
                          ((int((w + 0.6 * u) * DAY), int((w + 0.9 * u) * DAY)),))
        p.cls = 0

    # ---- rows
    def day(self, d):
        """{kind: (times, rows)} of day d, unrevised, rows in time order (cached)."""
        hit = self.days.get(d)
        if hit is None:
            version = self.version
            hit = self._make_day(d)
            with self.lock:
                if len(self.days) > 400:
                    self.days.clear()
                if version == self.version:     # else a stop() came meanwhile
                    self.days[d] = hit
        return hit

    def _make_day(self, d):
        out = {k: [] for k in USAGE_SPECS}
        if d < self.first_day or not self.traffic:
            return {k: ([], []) for k in out}
        day0, hourly, sessions = d * DAY, d >= self.hourly_day, {}
        salt = mix64(self.salt ^ d)
        for p in self.traffic:
            if d < p.days[0] or d > p.days[1]:
                continue
            x = stir(p.h ^ salt)                    # the key-day hash
            if not p.active(d, x):
                continue
            r = max(1, p.rate * (700 + (x >> 3) % 601) // 1000) * p.boost.get(d, 1)
            for j, (t, share) in enumerate(self._slots(p, day0, hourly, x)):
                self._emit(p, out, sessions, t, max(1, r * share // 1000), stir(x + j + 1))
        out["code_interpreter_sessions"] = [(t, (pid,), (n,))
                                            for (t, pid), n in sessions.items()]
        for pid, vs in sorted(self.stores.items()):
            size = (mix64(self.salt ^ hash_text(vs)) % 900 + 100) << 20
            out["vector_stores"].append((day0, (pid,), (size * (100 + d - self.first_day)
                                                        // 100,)))
        done = {}
        for kind, rows in out.items():
            rows.sort(key=lambda row: row[0])
            done[kind] = ([row[0] for row in rows], rows)
        return done

    @staticmethod
    def _slots(p, day0, hourly, x):
        """(t, share in 1/1000) of the key's use on a day: one minute of the day,
        or of each of 2-7 hours (hourly detail)."""
        minute = (x >> 58) % 60
        if not hourly:
            t = p.place(day0 + (x >> 12) % 24 * HOUR + minute * 60, day0, True)
            return [] if t is None else [(t, 1000)]
        hours = sorted({(x >> (16 + 5 * i)) % 24 for i in range(2 + (x >> 12) % 6)})
        share = 1000 // len(hours)
        out = []
        for h in hours:
            t = p.place(day0 + h * HOUR + minute * 60, day0, False)
            if t is not None:
                out.append((t, share))
        return out

    def _emit(self, p, out, sessions, t, r, y):
        """The rows of r completions requests of key p at t, and of its other endpoints."""
        pid, uid, kid = p.project, p.user, p.key
        m1, m2 = p.models
        split = ((m1, r * 7 // 10), (m2, r - r * 7 // 10)) if m2 and y >> 61 < 3 else ((m1, r),)
        rows = out["completions"]
        for i, (m, n) in enumerate(split):
            if n:
                rows.append((t, (pid, uid, kid, m, False, p.tier), chat_counters(m, n, y >> i)))
        if p.batch and (y >> 56) % 4 == 0:
            rows.append((t, (pid, uid, kid, m1, True, p.tier),
                         chat_counters(m1, max(1, r // 2), y >> 3)))
        for i, (kind, share) in enumerate(p.mix):
            n = (r * share + (y >> (32 + 3 * i)) % 100) // 100     # rounded at random
            if not n:
                continue
            if kind == "code_interpreter_sessions":
                sessions[t, pid] = sessions.get((t, pid), 0) + max(1, r // 40)
                continue
            out[kind].append(self._secondary(p, kind, t, n, stir(y + i + 1)))

    @staticmethod
    def _secondary(p, kind, t, n, y):
        pid, uid, kid = p.project, p.user, p.key
        v = pct(y, 0, 800, 1200)
        if kind == "embeddings":
            return t, (pid, uid, kid, EMBED_MODEL), (n * 600 * v // 1000, n)
        if kind == "moderations":
            return t, (pid, uid, kid, MODERATION_MODEL), (n * 300 * v // 1000, n)
        if kind == "images":
            model, size, source = p.image
            return t, (source, size, pid, uid, kid, model), (n * pct(y, 11, 1, 2), n)
        if kind == "audio_speeches":
            return t, (pid, uid, kid, SPEECH_MODEL), (n * 400 * v // 1000, n)
        if kind == "audio_transcriptions":
            return t, (pid, uid, kid, TRANSCRIBE_MODEL), (n * 45 * v // 1000, n)
        if kind == "web_search_calls":
            return t, (pid, uid, kid, p.models[0], p.context), (n, n * pct(y, 11, 1, 3))
        return t, (pid, uid, kid, p.store), (n,)

    def rows(self, kind, lo, hi):
        """Revised rows of `kind` with lo <= t < hi, lo and hi in one UTC day."""
        d = lo // DAY
        times, rows = self.day(d)[kind]
        sel = rows[bisect.bisect_left(times, lo):bisect.bisect_left(times, hi)]
        ov = self.overlay.get((kind, d))
        if ov:
            sel = [(t, dims, ov.get((t, dims), c)) for t, dims, c in sel]
        return sel

    def cost_rows(self, d, cutoff):
        """[(dims, amount, quantity, unit)] of day d from the usage before
        `cutoff`, revised (cached)."""
        key = (d, cutoff)
        hit = self.costs.get(key)
        if hit is None:
            version = self.version
            hit = self._make_costs(d, cutoff)
            with self.lock:
                if len(self.costs) > 400:
                    self.costs.clear()
                if version == self.version:
                    self.costs[key] = hit
        ov = self.cost_overlay.get(d)
        if ov:
            hit = [(dims, ov.get(dims, a), q, u) for dims, a, q, u in hit]
        return hit

    def _make_costs(self, d, cutoff):
        acc = {}

        def add(item, pid, kid, amount, quantity, unit):
            a = acc.setdefault((item, pid, kid), [0, 0, unit])
            a[0] += amount
            a[1] += quantity
        day = self.day(d)
        for kind, (times, rows) in day.items():
            for t, dims, c in rows[:bisect.bisect_left(times, cutoff)]:
                for cost in cost_items(kind, dims, c):
                    add(*cost)
        if acc:
            q = 40 + mix64(self.salt ^ d) % 50
            add("file storage", None, None, q * PRICE["file_storage"], q, "gibibyte_hours")
        return [(dims, a, q, u) for dims, (a, q, u) in acc.items()]

    # ---- changes
    def stop(self, kid, t):
        """Key kid is gone: no usage after t (the current now, so nothing
        already visible changes)."""
        p = self.by_key.get(kid)
        if p is None or p.stop is not None:
            return
        p.stop = t
        with self.lock:
            for d in [d for d in self.days if d >= t // DAY]:
                del self.days[d]
            self.costs.clear()
            self.version += 1

    def last_uses(self, lo, hi):
        """{api_key_id: the last time in [lo, hi) it has usage}."""
        last = {}
        for d in range(lo // DAY, (hi - 1) // DAY + 1):
            for kind, spec in USAGE_SPECS.items():
                at = spec.dim("api_key_id")
                if at is None:
                    continue
                for t, dims, _ in self.rows(kind, max(lo, d * DAY), min(hi, (d + 1) * DAY)):
                    last[dims[at]] = max(t, last.get(dims[at], t))
        return last

    def revise(self, seed, now):
        """Revision r: up to three usage rows of the last 48 hours and three of
        the 5 days before grow by 5-30%, and up to three costs rows of the last 7
        whole days grow by 1-20% plus up to 999 pico-dollars."""
        self.revision += 1
        r = self.revision
        rng = random.Random("%d:revise:%d:%d" % (self.o.seed, seed, r))
        changes = []
        for lo, hi in ((now - 2 * DAY, now), (now - 7 * DAY, now - 2 * DAY)):
            cands = self._candidates(max(lo, self.first_day * DAY), hi)
            for kind, t, dims, c in rng.sample(cands, min(3, len(cands))):
                new = revised(kind, c, rng.randint(5, 30))
                self.overlay.setdefault((kind, t // DAY), {})[(t, dims)] = new
                group = truth_group(kind, dims)
                changes += [{"revision": r, "endpoint": kind, "bucket_width": w,
                             "start_time": t - t % size, "group": group}
                            for w, size in (("1h", HOUR), ("1d", DAY))]
        now_day = now // DAY
        cands = [(d, row) for d in range(max(self.first_day, now_day - 7), now_day)
                 for row in self.cost_rows(d, (d + 1) * DAY)]
        for d, (dims, amount, _, _) in rng.sample(cands, min(3, len(cands))):
            new = amount * (100 + rng.randint(1, 20)) // 100 + rng.randint(1, 999)
            self.cost_overlay.setdefault(d, {})[dims] = new
            changes.append({"revision": r, "endpoint": "costs", "bucket_width": "1d",
                            "start_time": d * DAY, "group": dict(zip(
                                ("line_item", "project_id", "api_key_id"), dims))})
        with self.lock:
            self.revisions += changes
            self.version += 1
        return changes

    def _candidates(self, lo, hi):
        out = []
        for kind in USAGE_SPECS:
            for d in range(lo // DAY, (hi - 1) // DAY + 1):
                out += [(kind,) + row for row in
                        self.rows(kind, max(lo, d * DAY), min(hi, (d + 1) * DAY))]
        return out


def stir(x):
    """A cheap 64-bit mix of x (one multiply, one shift) for the row hashes."""
    x = (x * 0xBF58476D1CE4E5B9) & MASK64
    return x ^ (x >> 31)


def chat_counters(model, r, y):
    """Counters of r requests to a chat model, varied by the hash y (pct()
    written out: this runs for every completions row)."""
    cm = CHAT_MODELS[model]
    a = r * cm.tokens_in * (800 + y % 401) // 1000
    b = a * ((y >> 9) % 41) // 100
    c = a * ((y >> 15) % 6) // 100
    f = r * cm.tokens_out * (800 + (y >> 30) % 401) // 1000
    e = r * 85 if cm.images and (y >> 27) % 5 == 0 else 0
    if not cm.audio:
        return (a + b + c + e, b, c, a + e, f, a, f, b, 0, 0, 0, e, 0, 0, r)
    d = r * 220 * (800 + (y >> 18) % 401) // 1000
    g = r * 180 * (800 + (y >> 40) % 401) // 1000
    return completion_counters(a, b, c, d, e, f, g, r)


def revised(kind, c, p):
    """Counters c grown by p percent (at least 1 each), sums kept."""
    def grow(v):
        return v + max(1, v * p // 100) if v else 0
    if kind == "completions":
        return completion_counters(*map(grow, completion_base(c)))
    return tuple(map(grow, c))


def cost_items(kind, dims, c):
    """The costs (line item, project, key, pico-USD, quantity, unit) of one usage row."""
    at_pid, at_kid = DIM_AT[kind]
    pid, kid = dims[at_pid], None if at_kid is None else dims[at_kid]
    if kind == "completions":
        cm = CHAT_MODELS[dims[3]]
        a, b, w, d, e, f, g, _ = completion_base(c)
        return (("%s, input" % dims[3], pid, kid, (a + w + e) * cm.price_in +
                 b * cm.price_cached + d * cm.price_audio_in, c[0], "tokens"),
                ("%s, output" % dims[3], pid, kid, f * cm.price_out + g * cm.price_audio_out,
                 c[4], "tokens"))
    if kind == "embeddings":
        return (("%s, input" % dims[3], pid, kid, c[0] * PRICE[kind], c[0], "tokens"),)
    if kind == "images":
        return (("%s, images" % dims[5], pid, kid, c[0] * IMAGE_MODELS[dims[5]], c[0],
                 "images"),)
    if kind in ("audio_speeches", "audio_transcriptions"):
        item, unit = (("tts-1, characters", "characters") if kind == "audio_speeches" else
                      ("whisper-1, seconds", "duration_seconds"))
        return ((item, pid, kid, c[0] * PRICE[kind], c[0], unit),)
    if kind in ("web_search_calls", "file_search_calls"):
        calls = c[-1]
        item = kind.replace("_calls", "").replace("_", " ") + " tool calls"
        return ((item, pid, kid, calls * PRICE[kind], calls, None),)
    if kind == "code_interpreter_sessions":
        return (("code interpreter sessions", pid, None, c[0] * PRICE[kind], c[0], None),)
    if kind == "vector_stores":
        q = max(1, c[0] * 24 // GIB)
        return (("vector store storage", pid, None, q * PRICE[kind], q, "gibibyte_hours"),)
    return ()


DIM_AT = {k: (spec.dim("project_id"), spec.dim("api_key_id")) for k, spec in USAGE_SPECS.items()}


def truth_group(kind, dims):
    """{project_id, user_id, api_key_id, model} of a usage row (None if the
    endpoint has no such dimension): the key of the truth's daily rows."""
    spec = USAGE_SPECS[kind]
    return {n: None if spec.dim(n) is None else dims[spec.dim(n)] for n in TRUTH_DIMS}


def sort_key(values):
    """A total order on tuples of str / bool / None (None first)."""
    return tuple("" if v is None else str(v) for v in values)


def hash_text(s):
    """A stable 32-bit hash of a string (str's hash() changes per process)."""
    return zlib.crc32(s.encode("utf-8"))


class UsageTruth:
    """The "usage" section of the ground truth, computed from the rows as
    served (revisions included) up to now, for the org as it is now."""

    def __init__(self, data, org, now):
        self.data, self.org, self.now = data, org, now
        self.days = range(data.first_day, (now - 1) // DAY + 1)
        self.acc = {k: {} for k in USAGE_SPECS}
        self.requests = {}      # (api_key_id, day) -> requests
        self.last_t = {}        # (api_key_id, day) -> last usage time of the day
        self.user_of = {}       # api_key_id -> user id of its usage (None: no user)
        self.ids = {}           # (kind, id) -> [requests, first day, last day]
        self.amounts = {}       # (kind, id) -> pico-USD
        self.costs = {}         # (day, dims) -> (amount, quantity, unit)
        for d in self.days:
            self._usage_day(d, min(now, (d + 1) * DAY))
            self._costs_day(d, min(now, (d + 1) * DAY))

    def _usage_day(self, d, cutoff):
        for kind, spec in USAGE_SPECS.items():
            ri = spec.counters.index("num_model_requests") if kind in REQUEST_KINDS else None
            idx = [spec.dim(n) for n in TRUTH_DIMS]
            acc = self.acc[kind]
            for t, dims, c in self.data.rows(kind, d * DAY, cutoff):
                key = (d,) + tuple(None if i is None else dims[i] for i in idx)
                old = acc.get(key)
                acc[key] = c if old is None else tuple(map(operator.add, old, c))
                self._seen(d, t, key[1], key[2], key[3], 0 if ri is None else c[ri])

    def _seen(self, d, t, pid, uid, kid, n):
        if kid is not None:
            self.requests[kid, d] = self.requests.get((kid, d), 0) + n
            self.last_t[kid, d] = max(t, self.last_t.get((kid, d), t))
            self.user_of[kid] = uid
        for kind, oid in (("api_key", kid), ("user", uid), ("project", pid)):
            if oid is not None:
                self._mark(kind, oid, d, n)

    def _mark(self, kind, oid, d, n):
        s = self.ids.get((kind, oid))
        if s is None:
            self.ids[kind, oid] = [n, d, d]
        else:
            s[0] += n
            s[1], s[2] = min(s[1], d), max(s[2], d)

    def _costs_day(self, d, cutoff):
        for (item, pid, kid), amount, q, unit in self.data.cost_rows(d, cutoff):
            self.costs[d, (item, pid, kid)] = (amount, q, unit)
            for kind, oid in (("api_key", kid), ("project", pid),
                              ("user", self.user_of.get(kid) if kid else None)):
                if oid is not None:
                    self.amounts[kind, oid] = self.amounts.get((kind, oid), 0) + amount
                    self._mark(kind, oid, d, 0)

    # ---- the section
    def section(self, full):
        data = self.data
        out = {"window": {"start": data.first_day * DAY, "end": self.now,
                          "hourly_from": data.hourly_day * DAY},
               "models": list(data.models),
               "traffic_keys": sorted(p.key for p in data.traffic),
               "planted": {k: sorted(v) for k, v in sorted(data.planted.items())},
               "costs": self._costs(full), "spikes": self._spikes(),
               "wakeups": self._wakeups(), "unmapped": self._unmapped(),
               "revisions": list(data.revisions)}
        if full:
            out["rows"] = {kind: self._rows(kind) for kind in USAGE_SPECS}
        return out

    def _rows(self, kind):
        counters = USAGE_SPECS[kind].counters
        return [dict(zip(("day",) + TRUTH_DIMS, (key[0] * DAY,) + key[1:]), **dict(zip(
            counters, c))) for key, c in sorted(self.acc[kind].items(),
                                                key=lambda kv: (kv[0][0], sort_key(kv[0][1:])))]

    def _costs(self, full):
        by = {"project_id": {}, "api_key_id": {}, "line_item": {}, "day": {}}
        for (d, (item, pid, kid)), (amount, _, _) in self.costs.items():
            for name, v in (("project_id", pid), ("api_key_id", kid), ("line_item", item),
                            ("day", d * DAY)):
                by[name][v] = by[name].get(v, 0) + amount
        out = {"currency": "usd", "total": decimal_text(sum(a for a, _, _ in
                                                            self.costs.values())),
               "totals": {name: [{name: v, "amount": decimal_text(a)} for v, a in
                                 sorted(t.items(), key=lambda kv: sort_key((kv[0],)))]
                          for name, t in by.items()}}
        if full:
            out["rows"] = [{"day": d * DAY, "project_id": pid, "line_item": item,
                            "api_key_id": kid, "amount": decimal_text(a), "currency": "usd",
                            "quantity": q, "quantity_unit": u}
                           for (d, (item, pid, kid)), (a, q, u) in sorted(
                               self.costs.items(), key=lambda kv: (kv[0][0], sort_key(
                                   (kv[0][1][1], kv[0][1][0], kv[0][1][2]))))]
        return out

    def _spikes(self):
        """Days a key's requests are >= 100 and >= 10 x the median of its 14
        days before (days without usage count 0, median > 0, the 14 days inside
        the window)."""
        out = []
        for (kid, d), n in sorted(self.requests.items()):
            if n < 100 or d - 14 < self.data.first_day:
                continue
            prev = sorted(self.requests.get((kid, d - i), 0) for i in range(1, 15))
            twice = prev[6] + prev[7]
            if twice and 2 * n >= 10 * twice:
                out.append({"api_key_id": kid, "day": d * DAY, "count": n,
                            "median": twice // 2 if twice % 2 == 0 else twice / 2})
        return out

    def _wakeups(self):
        """Listed stale keys with usage after their last_used_at (or creation);
        keys of departed users with usage on a day after they left; any key
        whose usage days have a gap longer than stale_days."""
        org, out = self.org, []
        used = {}
        for kid, d in self.last_t:
            used.setdefault(kid, []).append(d)
        limit = self.now - org.o.stale_days * DAY
        for kid, days in sorted(used.items()):
            days.sort()
            k = org.keys.get(kid)
            if k is not None and is_stale(k.created_at, k.last_used_at, limit):
                ref = k.last_used_at if k.last_used_at is not None else k.created_at
                d = next((d for d in days if self.last_t[kid, d] > ref), None)
                if d is not None:
                    out.append({"api_key_id": kid, "day": d * DAY, "why": "stale"})
            left = org.departed_at.get(k.owner_id) if k is not None else None
            if left is not None:
                d = next((d for d in days if d > left // DAY), None)
                if d is not None:
                    out.append({"api_key_id": kid, "day": d * DAY, "why": "orphan"})
            out += [{"api_key_id": kid, "day": b * DAY, "why": "gap"}
                    for a, b in zip(days, days[1:]) if b - a > org.o.stale_days]
        return sorted(out, key=lambda w: (w["api_key_id"], w["day"], w["why"]))

    def _unmapped(self):
        """Ids in usage or costs that the key, user or project lists lack."""
        org = self.org
        listed = {"api_key": org.keys, "user": org.users, "project": org.projects}
        out = []
        for (kind, oid), (n, first, last) in sorted(self.ids.items()):
            if oid not in listed[kind]:
                out.append({"kind": kind, "id": oid, "requests": n, "amount": decimal_text(
                    self.amounts.get((kind, oid), 0)), "first_day": first * DAY,
                    "last_day": last * DAY})
        return out


class UsagePages:
    """Serves usage and costs pages: each bucket's results aggregated from the
    UsageData rows for the request's group_by and filters, and cached as bytes
    (keyed by the data version, so revisions and stops are never served stale)."""

    CACHE_BYTES = 256 << 20

    def __init__(self, data, org_id):
        self.data = data
        self.cache = collections.OrderedDict()
        self.size = 0
        self.lock = threading.Lock()
        self.js = {None: "null", True: "true", False: "false"}
        self.texts = {}
        self.extra = ',"organization_id":%s' % dumps(org_id).decode()

    def page(self, q, cfg, stream, stuck, now):
        """The {"object":"page"} answer to q; stuck serves the first page again."""
        k0 = 0 if stuck else q.k0
        total = max(0, -(-(q.end - q.first) // q.size))
        hi = min(total, k0 + q.limit)
        more = hi < total or stuck
        extra = stream in cfg.extra_fields
        costs = q.kind is COSTS_SPEC
        bad = cfg.bad_amount if costs else None
        buckets = []
        for k in range(k0, hi):
            bs = q.first + k * q.size
            cur = cfg.currency_switch if costs and cfg.currency_switch and k else "usd"
            res = self.results(q, bs, min(bs + q.size, now), cur, extra, None)
            if bad and res:
                res, bad = self.results(q, bs, min(bs + q.size, now), cur, extra, bad), None
            buckets.append(b'{"object":"bucket","start_time":%d,"end_time":%d,"results":[%s]%s}'
                           % (bs, bs + q.size, res, b',"timezone":"UTC"' if extra else b""))
        nxt = q.token(k0 + q.limit) if more and stream not in cfg.missing_next_page else None
        data = b"" if stream in cfg.missing_data else b'"data":[' + b",".join(buckets) + b"],"
        return b'{"object":"page",%s"has_more":%s,"next_page":%s}' % (
            data, b"true" if more else b"false", dumps(nxt))

    def results(self, q, bs, cutoff, currency, extra, bad):
        """The results of one bucket as JSON text (no brackets), cached."""
        if cutoff <= bs:
            return b""
        key = (self.data.version, q.kind.name, q.size, bs, cutoff, q.group, q.filters,
               currency, extra, bad)
        with self.lock:
            hit = self.cache.get(key)
            if hit is not None:
                self.cache.move_to_end(key)
                return hit
        if q.kind is COSTS_SPEC:
            body = self._costs(q, bs, cutoff, currency, extra, bad)
        else:
            body = self._usage(q, bs, cutoff, extra)
        with self.lock:
            self.cache[key] = body
            self.size += len(body)
            while self.size > self.CACHE_BYTES and len(self.cache) > 1:
                self.size -= len(self.cache.popitem(last=False)[1])
        return body

    def enc(self, v):
        """The JSON text of a dimension value (memoised)."""
        hit = self.js.get(v)
        if hit is None:
            hit = self.js[v] = dumps(v).decode("utf-8")
        return hit

    def dims_text(self, spec, idx, g):
        """The dimensions of a result as JSON members: the grouped ones (positions
        idx, values g) and null for the others (memoised)."""
        key = (spec.name, idx, g)
        hit = self.texts.get(key)
        if hit is None:
            vals = [None] * len(spec.dims)
            for i, v in zip(idx, g):
                vals[i] = v
            hit = ",".join('"%s":%s' % (d, self.enc(v)) for d, v in zip(spec.dims, vals))
            if len(self.texts) > 1000000:
                self.texts.clear()
            self.texts[key] = hit
        return hit

    def _grouped(self, spec, group, filters, rows, value, add):
        """[(dimensions as JSON members, summed value)] of the rows (dims, v) that
        pass the filters, grouped by `group`, sorted by that text."""
        idx = tuple(i for i, d in enumerate(spec.dims) if d in group)
        key = grouper(idx, len(spec.dims))
        acc = {}
        for dims, v in rows:
            if filters and not all(dims[i] in s for i, s in filters):
                continue
            g = key(dims)
            old = acc.get(g)
            acc[g] = value(v) if old is None else add(old, v)
        text = self.dims_text
        return sorted(((text(spec, idx, g), v) for g, v in acc.items()),
                      key=operator.itemgetter(0))

    def _usage(self, q, bs, cutoff, extra):
        spec = q.kind
        rows = ((dims, c) for _, dims, c in self.data.rows(spec.name, bs,
                                                             min(bs + q.size, cutoff)))
        groups = self._grouped(spec, q.group, q.filters, rows, tuple,
                               lambda a, c: tuple(map(operator.add, a, c)))
        head, counters = usage_template(spec)
        tail = (self.extra if extra else "") + "}"
        return ",".join([head + counters % c + d + tail for d, c in groups]).encode("utf-8")

    def _costs(self, q, bs, cutoff, currency, extra, bad):
        by_item = "line_item" in q.group
        rows = ((dims, (a, qty, unit)) for dims, a, qty, unit in
                self.data.cost_rows(bs // DAY, cutoff))
        groups = self._grouped(q.kind, q.group, q.filters, rows, list,
                               lambda a, v: [a[0] + v[0], a[1] + v[1], a[2]])
        out, tail = [], (self.extra if extra else "") + "}"
        for n, (dims, (amount, qty, unit)) in enumerate(groups):
            value = ('"abc"' if bad == "abc" else "NaN") if bad and n == 0 else amount_json(
                amount, hash_text("%d|%s" % (bs, dims)))
            out.append('{"object":"organization.costs.result","amount":{"value":%s,'
                       '"currency":"%s"},%s,"quantity":%s,"quantity_unit":%s%s'
                       % (value, currency, dims, qty if by_item else "null",
                          self.enc(unit) if by_item else "null", tail))
        return ",".join(out).encode("utf-8")


def grouper(idx, n):
    """A function of a row's dims giving the tuple of those at positions idx."""
    if len(idx) == n:
        return lambda dims: dims
    if len(idx) < 2:
        return (lambda dims: ()) if not idx else (lambda dims, i=idx[0]: (dims[i],))
    return operator.itemgetter(*idx)


@functools.lru_cache(maxsize=None)
def usage_template(spec):
    """(head, counters %-template) of one result of an endpoint; the
    dimensions follow them."""
    return ('{"object":"%s",' % spec.obj,
            "".join('"%s":%%d,' % c for c in spec.counters))


class UsageQuery:
    """The parameters of one usage or costs request, checked as OpenAI checks
    them (an error is a 400 naming the parameter).  A page token carries a
    digest of the other parameters and answers 400 with any others."""

    def __init__(self, spec, q, now):
        if q.one("start_time") is None:
            raise bad_param("start_time", "Missing required parameter: 'start_time'.",
                            "missing_required_parameter")
        self.kind = spec
        self.start = q.int("start_time", 0)
        end = q.int("end_time", 0)
        self.end = now if end is None else end
        self.width = q.choice("bucket_width", spec.widths, "1d")
        self.size, default, most = BUCKETS[self.width]
        if spec is COSTS_SPEC:
            default, most = 7, 180
        self.limit = q.int("limit", 1, most, default)
        self.group = self._group_by(q)
        self.filters, canon = self._filters(q)
        self.first = self.start - self.start % self.size
        self.sig = hashlib.blake2b(repr((spec.name, self.start, end, self.width, self.limit,
                                         sorted(self.group), canon)).encode(),
                                   digest_size=8).digest()
        tok = q.one("page")
        self.k0 = 0 if tok is None else self._page(tok)

    def _group_by(self, q):
        """group_by as repeated values, with [] or comma-joined."""
        names = [v.strip() for raw in q.many("group_by") for v in raw.split(",") if v.strip()]
        for v in names:
            if v not in self.kind.group_by:
                raise bad_param("group_by", "Invalid value for 'group_by': '%s'. Supported "
                                "values are: %s." % (v, ", ".join("'%s'" % g for g in
                                                                  self.kind.group_by)))
        return frozenset(names)

    def _filters(self, q):
        """((dimension index, accepted values)...) and their canonical form."""
        out, canon = [], []
        choices = dict(self.kind.choices)
        for param, dim in self.kind.filters:
            vals = q.many(param)
            if not vals:
                continue
            if param == "batch":
                if vals[-1] not in ("true", "false"):
                    raise bad_param("batch", "Invalid 'batch': expected a boolean, but got "
                                    "'%s' instead." % vals[-1], "invalid_type")
                vals = [vals[-1] == "true"]
            for v in vals:
                if param in choices and v not in choices[param]:
                    raise bad_param(param, "Invalid value for '%s': '%s'. Supported values "
                                    "are: %s." % (param, v, ", ".join(
                                        "'%s'" % c for c in choices[param])))
            out.append((self.kind.dim(dim), frozenset(vals)))
            canon.append((param, sorted(map(str, vals))))
        return tuple(out), canon

    def token(self, k):
        """The next_page token of bucket k of this query."""
        return "page_" + base64.urlsafe_b64encode(self.sig + k.to_bytes(5, "big")).decode()

    def _page(self, tok):
        raw = None
        if tok.startswith("page_"):
            try:
                raw = base64.b64decode(tok[5:], altchars=b"-_", validate=True)
            except binascii.Error:
                pass
        if raw is None or len(raw) != 13:
            raise bad_param("page", "Invalid 'page': '%s' is not a valid page token." % tok)
        if raw[:8] != self.sig:
            raise bad_param("page", "Invalid 'page': the token was issued for a request with "
                            "other parameters; repeat them exactly as they were.")
        return int.from_bytes(raw[8:], "big")


# --------------------------------------------------------------------------
# Query parsing and the endpoint handlers

class Query:
    """Decoded query string; brackets may be percent-encoded."""

    def __init__(self, qs):
        self.d = {}
        for k, v in parse_qsl(qs, keep_blank_values=True):
            self.d.setdefault(k, []).append(v)

    def one(self, name):
        v = self.d.get(name)
        return v[-1] if v else None

    def many(self, name):
        return self.d.get(name + "[]", []) + self.d.get(name, [])

    def int(self, name, lo=None, hi=None, default=None):
        raw = self.one(name)
        if raw is None:
            return default
        try:
            v = int(raw, 10)
        except ValueError:
            raise bad_param(name, "Invalid '%s': expected an integer, but got '%s' instead."
                            % (name, raw), "invalid_type") from None
        if lo is not None and v < lo:
            raise bad_param(name, "Invalid '%s': integer below minimum value. Expected a value "
                            ">= %d, but got %d instead." % (name, lo, v), "integer_below_min_value")
        if hi is not None and v > hi:
            raise bad_param(name, "Invalid '%s': integer above maximum value. Expected a value "
                            "<= %d, but got %d instead." % (name, hi, v), "integer_above_max_value")
        return v

    def choice(self, name, allowed, default):
        v = self.one(name)
        if v is None:
            return default
        if v not in allowed:
            raise bad_param(name, "Invalid value for '%s': '%s'. Supported values are: %s."
                            % (name, v, ", ".join("'%s'" % a for a in allowed)))
        return v

    def limit(self):
        return self.int("limit", 1, 100, 20)


class Ctx:
    """What a handler sees: the snapshot, the live config, the query, its
    stream, the simulator (usage pages, writes) and the acting admin key
    (id, read-only)."""

    __slots__ = ("snap", "cfg", "q", "stream", "sim", "actor")

    def __init__(self, snap, cfg, q, stream, sim, actor):
        self.snap, self.cfg, self.q, self.stream = snap, cfg, q, stream
        self.sim, self.actor = sim, actor

    @property
    def usage(self):
        return self.sim.pages

    @property
    def stuck(self):
        return self.stream in self.cfg.stuck_cursor


def found(body, what, oid):
    if body is None:
        raise ApiError(404, "No %s found with id '%s'." % (what, oid))
    return body


def list_users(c):
    listing = c.snap.users
    emails = {e.lower() for e in c.q.many("emails")}
    if emails:
        listing = listing.subset(lambda i: c.snap.user_email[i] in emails)
    return listing.page(c.q.limit(), c.q.one("after"), stuck=c.stuck)


def get_user(c, uid):
    return found(c.snap.users.get(uid), "user", uid)


def list_projects(c):
    arch = c.q.choice("include_archived", ("true", "false"), "false")
    listing = c.snap.projects_all if arch == "true" else c.snap.projects_active
    return listing.page(c.q.limit(), c.q.one("after"), stuck=c.stuck)


def get_project(c, pid):
    return found(c.snap.projects_all.get(pid), "project", pid)


def list_keys(c, pid):
    c.snap.project(pid)
    access = c.q.choice("owner_project_access", ("active", "inactive", "any"), "active")
    return c.snap.keys[pid][access].page(c.q.limit(), c.q.one("after"), stuck=c.stuck)


def get_key(c, pid, kid):
    c.snap.project(pid)
    return found(c.snap.keys[pid]["any"].get(kid), "API key", kid)


def not_archived(c, pid, what):
    c.snap.project(pid)
    if c.snap.archived[pid]:
        raise ApiError(400, "Project '%s' is archived: its %s cannot be listed." % (pid, what))


def list_sas(c, pid):
    not_archived(c, pid, "service accounts")
    return c.snap.sas[pid].page(c.q.limit(), c.q.one("after"), stuck=c.stuck)


def get_sa(c, pid, sid):
    not_archived(c, pid, "service accounts")
    return found(c.snap.sas[pid].get(sid), "service account", sid)


def list_members(c, pid):
    not_archived(c, pid, "users")
    return c.snap.members[pid].page(c.q.limit(), c.q.one("after"), stuck=c.stuck)


def get_member(c, pid, uid):
    not_archived(c, pid, "users")
    return found(c.snap.members[pid].get(uid), "project user", uid)


def list_admin_keys(c):
    order = c.q.choice("order", ("asc", "desc"), "asc")
    return c.snap.admin_keys.page(c.q.limit(), c.q.one("after"), desc=order == "desc",
                                  stuck=c.stuck)


def get_admin_key(c, kid):
    return found(c.snap.admin_keys.get(kid), "admin API key", kid)


def list_invites(c):
    return c.snap.invites.page(c.q.limit(), c.q.one("after"), stuck=c.stuck)


def get_invite(c, iid):
    return found(c.snap.invites.get(iid), "invite", iid)


def list_audit(c):
    q = c.q
    limit = q.limit()
    bounds = tuple(q.int("effective_at[%s]" % op) for op in ("gt", "gte", "lt", "lte"))
    sets = tuple(frozenset(q.many(n)) for n in
                 ("event_types", "project_ids", "actor_ids", "actor_emails", "resource_ids"))
    if c.cfg.audit_logging != "on":
        return list_envelope([], None, None, False)
    return c.snap.audit.page(sets if any(sets) else None, bounds, limit, q.one("after"),
                             q.one("before"), stuck=c.stuck)


BUCKETS = {"1m": (60, 60, 1440), "1h": (HOUR, 24, 168), "1d": (DAY, 7, 31)}


def list_usage(c, kind):
    q = UsageQuery(USAGE_SPECS[kind], c.q, c.snap.now)
    return c.usage.page(q, c.cfg, "usage", c.stuck, c.snap.now)


def list_costs(c):
    q = UsageQuery(COSTS_SPEC, c.q, c.snap.now)
    return c.usage.page(q, c.cfg, "costs", c.stuck, c.snap.now)


# ---- settings, roles and groups
def alert_page(c, listing):
    """A spend-alert list: limit 0..100 (default 20), order, after, before."""
    q = c.q
    return listing.page(q.int("limit", 0, 100, 20), q.one("after"),
                        desc=q.choice("order", ("asc", "desc"), "asc") == "desc",
                        stuck=c.stuck, before=q.one("before"))


def get_model_permissions(c, pid):
    return c.snap.model_permissions[c.snap.project(pid)]


def list_project_alerts(c, pid):
    return alert_page(c, c.snap.project_alerts[c.snap.project(pid)])


def get_project_alert(c, pid, aid):
    return found(c.snap.project_alerts[c.snap.project(pid)].get(aid), "spend alert", aid)


def list_org_alerts(c):
    return alert_page(c, c.snap.org_alerts)


def get_org_alert(c, aid):
    return found(c.snap.org_alerts.get(aid), "spend alert", aid)


def get_org_retention(c):
    return c.snap.org_retention


def get_project_retention(c, pid):
    return c.snap.retention[c.snap.project(pid)]


def list_rate_limits(c, pid):
    listing = c.snap.rate_limits[c.snap.project(pid)]
    return listing.page(c.q.int("limit", 1, 100, 100), c.q.one("after"), stuck=c.stuck,
                        before=c.q.one("before"))


def next_page(c, listing, default_order):
    """A "next" list: limit 0..1000 (default 1000 for roles, 100 otherwise), after, order."""
    q = c.q
    limit = q.int("limit", 0, 1000, 1000 if c.stream == "roles" else 100)
    desc = q.choice("order", ("asc", "desc"), default_order) == "desc"
    return listing.page_next(limit, q.one("after"), desc, stuck=c.stuck)


def list_roles(c):
    return next_page(c, c.snap.roles, "asc")


def get_role(c, rid):
    return found(c.snap.roles.get(rid), "role", rid)


def list_user_roles(c, uid):
    get_user(c, uid)
    return next_page(c, c.snap.user_roles[uid], "asc")


def list_groups(c):
    return next_page(c, c.snap.groups, "asc")


def get_group(c, gid):
    return found(c.snap.groups.get(gid), "group", gid)


def list_group_users(c, gid):
    get_group(c, gid)
    return next_page(c, c.snap.group_users[gid], "desc")


def list_group_roles(c, gid):
    get_group(c, gid)
    return next_page(c, c.snap.group_roles[gid], "asc")


# ---- writes: each runs under the simulator's lock and answers the deleted object
def delete_key(c, pid, kid):
    return c.sim.write(c.actor, lambda org, w: org.write_delete_key(w, pid, kid))


def delete_sa(c, pid, sid):
    return c.sim.write(c.actor, lambda org, w: org.write_delete_sa(w, pid, sid))


def delete_member(c, pid, uid):
    return c.sim.write(c.actor, lambda org, w: org.write_delete_member(w, pid, uid))


def delete_user(c, uid):
    return c.sim.write(c.actor, lambda org, w: org.write_delete_user(w, uid))


def delete_admin_key(c, kid):
    return c.sim.write(c.actor, lambda org, w: org.write_delete_admin_key(w, kid))


# (method, path after /v1/organization, stream, handler).  A "*" segment matches
# any one segment, a tuple one of its values; both are passed to the handler.
P = "projects", "*"
ROUTES = (
    ("GET", ("users",), "users", list_users),
    ("GET", ("users", "*"), "users", get_user),
    ("DELETE", ("users", "*"), "users", delete_user),
    ("GET", ("users", "*", "roles"), "user_roles", list_user_roles),
    ("GET", ("projects",), "projects", list_projects),
    ("GET", P, "projects", get_project),
    ("GET", P + ("api_keys",), "api_keys", list_keys),
    ("GET", P + ("api_keys", "*"), "api_keys", get_key),
    ("DELETE", P + ("api_keys", "*"), "api_keys", delete_key),
    ("GET", P + ("service_accounts",), "service_accounts", list_sas),
    ("GET", P + ("service_accounts", "*"), "service_accounts", get_sa),
    ("DELETE", P + ("service_accounts", "*"), "service_accounts", delete_sa),
    ("GET", P + ("users",), "project_users", list_members),
    ("GET", P + ("users", "*"), "project_users", get_member),
    ("DELETE", P + ("users", "*"), "project_users", delete_member),
    ("GET", P + ("model_permissions",), "model_permissions", get_model_permissions),
    ("GET", P + ("spend_alerts",), "project_spend_alerts", list_project_alerts),
    ("GET", P + ("spend_alerts", "*"), "project_spend_alerts", get_project_alert),
    ("GET", P + ("data_retention",), "project_data_retention", get_project_retention),
    ("GET", P + ("rate_limits",), "rate_limits", list_rate_limits),
    ("GET", ("admin_api_keys",), "admin_api_keys", list_admin_keys),
    ("GET", ("admin_api_keys", "*"), "admin_api_keys", get_admin_key),
    ("DELETE", ("admin_api_keys", "*"), "admin_api_keys", delete_admin_key),
    ("GET", ("invites",), "invites", list_invites),
    ("GET", ("invites", "*"), "invites", get_invite),
    ("GET", ("audit_logs",), "audit_logs", list_audit),
    ("GET", ("costs",), "costs", list_costs),
    ("GET", ("usage", USAGE_KINDS), "usage", list_usage),
    ("GET", ("spend_alerts",), "spend_alerts", list_org_alerts),
    ("GET", ("spend_alerts", "*"), "spend_alerts", get_org_alert),
    ("GET", ("data_retention",), "data_retention", get_org_retention),
    ("GET", ("roles",), "roles", list_roles),
    ("GET", ("roles", "*"), "roles", get_role),
    ("GET", ("groups",), "groups", list_groups),
    ("GET", ("groups", "*"), "groups", get_group),
    ("GET", ("groups", "*", "users"), "group_users", list_group_users),
    ("GET", ("groups", "*", "roles"), "group_roles", list_group_roles),
)
del P


def resolve(method, parts):
    """(route, args, methods): the route of `method` on the path segments after
    /v1 (None if none) and every method the path has (empty: unknown path)."""
    if len(parts) < 2 or parts[0] != "organization":
        return None, (), ()
    rest, hit, methods = parts[1:], None, []
    for route in ROUTES:
        pattern = route[1]
        if len(pattern) != len(rest) or not all(
                p == "*" or p == s or (isinstance(p, tuple) and s in p)
                for p, s in zip(pattern, rest)):
            continue
        methods.append(route[0])
        if route[0] == method:
            hit = route
    args = () if hit is None else tuple(s for p, s in zip(hit[1], rest) if p == "*" or
                                        isinstance(p, tuple))
    return hit, args, tuple(methods)


# --------------------------------------------------------------------------
# Live knobs, counters and the simulator

@dataclass(frozen=True)
class Config:
    latency_ms: int = 0
    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_drop: float = 0.0
    retry_after: int = 1
    retry_after_ms: int | None = None
    forbid: tuple = ()
    missing: tuple = ()
    stuck_cursor: tuple = ()
    audit_logging: str = "on"
    events_per_request: int = 0
    missing_next_page: tuple = ()   # page streams: has_more true, next_page null
    missing_data: tuple = ()        # page streams: pages without "data"
    extra_fields: tuple = ()        # page streams: unknown fields in buckets and results
    bad_amount: str | None = None   # "abc" or "NaN": one amount per costs page
    currency_switch: str | None = None  # costs buckets after the first one use this
    write_failures: int = 0         # the next N writes fail (no effect)...
    write_failure_status: int = 500     # ...with this status
    write_drops: int = 0            # the next N writes take effect, their answer is lost

    def as_json(self):
        return {k: list(v) if isinstance(v, tuple) else v
                for k, v in dataclasses.asdict(self).items()}

    def updated(self, body):
        """A new Config with the knobs in `body` replaced; ValueError if invalid."""
        if not isinstance(body, dict):
            raise ValueError("body must be a JSON object")
        known = {f.name for f in dataclasses.fields(self)}
        bad = sorted(set(body) - known)
        if bad:
            raise ValueError("unknown knob(s): %s" % ", ".join(bad))
        ch = {}
        for name, v in body.items():
            ch[name] = check_knob(name, v)
        return dataclasses.replace(self, **ch)


def check_knob(name, v):
    def num(lo, hi, integer):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or (integer and v != int(v)):
            raise ValueError("%s: expected a number" % name)
        if not lo <= v <= hi:
            raise ValueError("%s: must be in %s..%s" % (name, lo, hi))
        return int(v) if integer else float(v)
    if name == "latency_ms":
        return num(0, 600000, True)
    if name.startswith("rate_"):
        return num(0, 1, False)
    if name == "retry_after":
        return num(1, 86400, True)
    if name == "events_per_request":
        return num(0, 10000, True)
    if name == "retry_after_ms":
        return None if v is None else num(0, 86400000, True)
    if name in ("write_failures", "write_drops"):
        return num(0, 1000000, True)
    if name == "write_failure_status":
        return num(400, 599, True)
    if name == "audit_logging":
        if v in (True, "on"):
            return "on"
        if v in (False, "off"):
            return "off"
        raise ValueError("audit_logging: expected 'on' or 'off'")
    if name == "bad_amount":
        if v not in (None, "abc", "NaN"):
            raise ValueError("bad_amount: expected null, 'abc' or 'NaN'")
        return v
    if name == "currency_switch":
        if v is not None and not (isinstance(v, str) and re.fullmatch("[a-z]{3}", v)):
            raise ValueError("currency_switch: expected null or a lowercase ISO-4217 code")
        return v
    streams = STREAMS if name in ("forbid", "missing", "stuck_cursor") else PAGE_STREAMS
    if not isinstance(v, list) or any(s not in streams for s in v):
        raise ValueError("%s: expected a list of stream names from %s" % (name, ", ".join(streams)))
    return tuple(dict.fromkeys(v))


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.requests, self.dropped = 0, 0
            self.by_stream = {s: 0 for s in STREAMS}
            self.status = {}

    def request(self, stream):
        with self.lock:
            self.requests += 1
            if stream:
                self.by_stream[stream] += 1

    def answered(self, status):
        with self.lock:
            k = str(status)
            self.status[k] = self.status.get(k, 0) + 1

    def drop(self):
        with self.lock:
            self.dropped += 1

    def as_json(self):
        with self.lock:
            return {"requests": self.requests, "by_stream": dict(self.by_stream),
                    "status": dict(self.status), "dropped": self.dropped}


def field_int(body, name, lo, hi, default, known):
    """body[name] as an integer in lo..hi (default if absent and not None);
    ValueError for a bad body, value or unknown field."""
    if not isinstance(body, dict):
        raise ValueError("body must be a JSON object")
    bad = sorted(set(body) - set(known))
    if bad:
        raise ValueError("unknown field(s): %s" % ", ".join(bad))
    v = body.get(name, default)
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise ValueError("'%s' must be an integer in %d..%d" % (name, lo, hi))
    return v


def atomic_write(path, data: bytes):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


class Sim:
    """The org, its current snapshot, the usage streams, the knobs, counters
    and logs.  Every change (mutation, write, posture op, revision, clock) runs
    under `lock`, builds a new snapshot when the org changed, forgets the
    rendered truth and rewrites the --truth file."""

    def __init__(self, o):
        self.o = o
        self.lock = threading.RLock()
        self.org = Org(o)
        self.usage = UsageData(self.org, o)      # may set last_used_at: before the snapshot
        self.pages = UsagePages(self.usage, o.org_id)
        self.gen = AuditGen(self.org, o)
        self.live = LiveLog(self.gen)
        self.cfg = Config(o.latency_ms, o.rate_429, o.rate_500, o.rate_drop, o.retry_after,
                          o.retry_after_ms, tuple(dict.fromkeys(o.forbid)),
                          tuple(dict.fromkeys(o.missing)), tuple(dict.fromkeys(o.stuck_cursor)),
                          o.audit_logging, o.events_per_request,
                          tuple(dict.fromkeys(o.missing_next_page)),
                          tuple(dict.fromkeys(o.missing_data)),
                          tuple(dict.fromkeys(o.extra_fields)), o.bad_amount, o.currency_switch)
        self.stats = Stats()
        self.fault_rng = random.Random("%d:faults" % o.seed)
        self.fault_lock = threading.Lock()
        self.log = open(o.log, "a", encoding="utf-8", buffering=1) if o.log else None
        self.log_lock = threading.Lock()
        self.changed()

    # ---- the truth
    def changed(self, org=True):
        """After a change: a new snapshot (if the org changed), the accepted keys,
        no rendered truth, the --truth file rewritten."""
        with self.lock:
            if org:
                self.snap = Snapshot(self.org, self.gen, self.live)
                accepted, ro = set(self.o.admin_key), set(self.o.admin_key_readonly)
                self.keyring = {k.secret: (k.id, k.secret in ro) for k in
                                self.org.admin_keys.values() if k.secret in accepted | ro}
            self.truths, self.usage_truth = {}, None
            if self.o.truth:
                mode = "0" if self.o.truth_without_usage else "1"
                atomic_write(self.o.truth, self.truth(mode) + b"\n")

    def truth(self, mode="1"):
        """The ground truth JSON: mode "1" whole, "summary" without the usage
        rows, "0" without the usage section (rendered once per change)."""
        with self.lock:
            hit = self.truths.get(mode)
            if hit is None:
                doc = dict(self.snap.truth, posture=posture_truth(
                    self.snap.posture, self.o.org_id, self.cfg.audit_logging))
                if mode != "0":
                    if self.usage_truth is None:
                        self.usage_truth = UsageTruth(self.usage, self.org, self.org.now)
                    doc["usage"] = self.usage_truth.section(mode == "1")
                hit = self.truths[mode] = dumps(doc)
            return hit

    # ---- changes
    def _stop_gone(self):
        """Keys that left the key list carry no usage from now on."""
        for p in self.usage.traffic:
            if p.stop is None and p.days[1] == float("inf") and p.key not in self.org.keys:
                self.usage.stop(p.key, self.org.now)

    def mutate(self, seed):
        with self.lock:
            self.org.mutate(seed)
            self._stop_gone()
            self.changed()

    def write(self, actor, op):
        """A DELETE by admin key actor = (key id, read-only): op(org, Write)
        answers the deleted object (or raises ApiError); JSON bytes."""
        with self.lock:
            body = op(self.org, Write(int(time.time()), self.org.key_actor(actor[0]), actor[0]))
            self._stop_gone()
            self.changed()
            return dumps(body)

    def posture(self, body):
        """POST /_sim/posture: {"result": what the op made, "posture": the new truth's}."""
        with self.lock:
            result = self.org.posture_op(body)
            self._stop_gone()
            self.changed()
            return {"result": result, "posture": json.loads(self.truth("0"))["posture"]}

    def revise(self, body):
        """POST /_sim/usage/revise {"seed": N}: {"revision", "changed": [...]}."""
        seed = field_int(body, "seed", -2 ** 63, 2 ** 63, 0, ("seed",))
        with self.lock:
            changes = self.usage.revise(seed, self.org.now)
            self.changed(org=False)
            return {"revision": self.usage.revision, "changed": changes}

    def clock(self, body):
        """POST /_sim/clock {"advance_seconds": S}: --now moves S seconds ahead;
        keys in live use get the last_used_at of their usage meanwhile."""
        step = field_int(body, "advance_seconds", 0, 3650 * DAY, None, ("advance_seconds",))
        with self.lock:
            old, new = self.org.now, self.org.now + step
            last = self.usage.last_uses(old, new) if step else {}
            for p in self.usage.traffic:
                k = self.org.keys.get(p.key)
                if p.live and k is not None and p.key in last:
                    k.last_used_at = max(k.last_used_at or 0, last[p.key])
            self.org.now = new
            self.changed()
            return {"now": new}

    def configure(self, body):
        with self.lock:
            self.cfg = self.cfg.updated(body)
            self.changed(org=False)     # the posture truth follows audit_logging
            return self.cfg

    def write_fault(self):
        """None, "drop" or the status the next write fails with (counting down)."""
        with self.lock:
            cfg = self.cfg
            if cfg.write_failures:
                self.cfg = dataclasses.replace(cfg, write_failures=cfg.write_failures - 1)
                return cfg.write_failure_status
            if cfg.write_drops:
                self.cfg = dataclasses.replace(cfg, write_drops=cfg.write_drops - 1)
                return "drop"
            return None

    def add_events(self, body):
        """POST /_sim/events {"count": N, "age_seconds": S}: N events at wall-clock
        now - S; answers {"added": [ids]}."""
        if not isinstance(body, dict):
            raise ValueError("body must be a JSON object")
        bad = sorted(set(body) - {"count", "age_seconds"})
        if bad:
            raise ValueError("unknown field(s): %s" % ", ".join(bad))
        n, age = body.get("count"), body.get("age_seconds", 0)
        for name, v, hi in (("count", n, EVENTS_PER_POST_MAX),
                            ("age_seconds", age, 100 * 365 * DAY)):
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= hi:
                raise ValueError("events: '%s' must be an integer in 0..%d" % (name, hi))
        return {"added": self.live.add(n, int(time.time()) - age)}

    def fault(self, cfg):
        """None, "drop", "429" or "500" for one request."""
        with self.fault_lock:
            r = self.fault_rng.random()
        for kind, rate in (("drop", cfg.rate_drop), ("429", cfg.rate_429), ("500", cfg.rate_500)):
            if r < rate:
                return kind
            r -= rate
        return None

    def access_log(self, method, target, status, t0):
        """One line per request; anything that looks like a key is cut out."""
        if self.log is None:
            return
        target = KEYLIKE.sub("[REDACTED-KEY]", target)
        now = time.time()
        line = "%s.%03dZ %s %s %s %.1f\n" % (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)),
                                            int(now * 1000) % 1000, method, target, status,
                                            (time.monotonic() - t0) * 1000)
        with self.log_lock:
            self.log.write(line)

    def check_auth(self, header):
        """(admin key id, read-only) of the bearer key, else ApiError 401."""
        if not header or not header[:7].lower() == "bearer " or not header[7:].strip():
            raise ApiError(401, MSG_NO_KEY)
        key = header[7:].strip()
        hit = self.keyring.get(key)
        if hit is not None:
            return hit
        if key.startswith(("sk-proj-", "sk-svcacct-")):
            raise ApiError(401, MSG_SCOPES)
        masked = key[:8] + "**********" + key[-4:]
        raise ApiError(401, MSG_BAD_KEY.format(masked=masked), code="invalid_api_key")


# --------------------------------------------------------------------------
# HTTP

REASONS = {s.value: s.phrase for s in HTTPStatus}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "oasim"
    disable_nagle_algorithm = True
    timeout = 300               # idle keep-alive connections are closed after this

    def log_message(self, fmt, *args):  # the access log is ours (--log)
        pass

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def do_HEAD(self):
        self.dispatch("HEAD")

    def dispatch(self, method):
        t0 = time.monotonic()
        sim = self.server.sim
        body = self.read_body()
        if body is None:
            return self.reply(400, ApiError(400, "Bad Content-Length.").body(), method)
        path, _, qs = self.path.partition("?")
        if path.startswith("/_sim/") or path == "/_sim":
            status = self.control(sim, method, path, qs, body)
        elif path == "/v1" or path.startswith("/v1/"):
            status = self.openai(sim, method, path, qs)
        else:
            status = self.reply(404, ApiError(404, "Invalid URL (%s %s)" % (method, path)).body(),
                                method)
        sim.access_log(method, self.path, status, t0)

    def read_body(self):
        raw = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            return b""
        if not raw:
            return b""
        try:
            n = int(raw)
            if n < 0:
                raise ValueError
        except ValueError:
            self.close_connection = True
            return None
        return self.rfile.read(n)

    def reply(self, status, body, method, headers=(), openai=False):
        """Writes one whole response with a single write; returns status."""
        head = ["HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
                % (status, REASONS.get(status, ""), len(body))]
        if openai:
            head.append("openai-organization: %s\r\nx-request-id: req_%s\r\n"
                        % (self.server.sim.o.org_id, secrets.token_hex(16)))
        head.extend("%s: %s\r\n" % h for h in headers)
        if self.close_connection:
            head.append("connection: close\r\n")
        head.append("\r\n")
        data = "".join(head).encode("latin-1")
        self.wfile.write(data if method == "HEAD" else data + body)
        return status

    def openai(self, sim, method, path, qs):
        rest = path[4:].strip("/")
        hit, args, methods = resolve(method, [unquote(x) for x in rest.split("/")] if rest else [])
        stream = hit[2] if hit else None
        cfg = sim.cfg
        snap = sim.snap
        sim.stats.request(stream)
        if stream == "audit_logs" and cfg.events_per_request:
            sim.live.add(cfg.events_per_request, int(time.time()))
        if cfg.latency_ms:
            time.sleep(cfg.latency_ms / 1000.0)
        fault = sim.fault(cfg)
        if fault == "drop":
            return self.drop(sim)
        headers = ()
        try:
            actor, drop = self.pre_checks(sim, cfg, fault, method, path, hit, methods)
            body = hit[3](Ctx(snap, cfg, Query(qs), stream, sim, actor), *args)
            if drop:                # the write took effect; its answer is lost
                return self.drop(sim)
            status = 200
        except ApiError as e:
            status, body, headers = e.status, e.body(), e.headers
        sim.stats.answered(status)
        return self.reply(status, body, method, headers, openai=True)

    def drop(self, sim):
        sim.stats.drop()
        self.close_connection = True
        return "drop"

    def pre_checks(self, sim, cfg, fault, method, path, hit, methods):
        """Faults, auth, routing, method, stream knobs, then for a write the
        read-only key and the write knobs, in that order.  Returns (the acting
        admin key (id, read-only), whether to drop the answer)."""
        if fault == "429":
            raise rate_limited(sim.o.org_id, cfg)
        if fault == "500":
            raise ApiError(500, MSG_500, "server_error")
        actor = sim.check_auth(self.headers.get("Authorization"))
        if hit is None and not methods:
            raise ApiError(404, "Invalid URL (%s %s)" % (method, path))
        if hit is None:
            raise ApiError(405, "Method %s not allowed for %s. Only %s %s supported."
                           % (method, path, " and ".join(methods),
                              "is" if len(methods) == 1 else "are"),
                           headers=[("allow", ", ".join(methods))])
        if hit[2] in cfg.forbid:
            raise ApiError(403, MSG_FORBIDDEN, code="insufficient_permissions")
        if hit[2] in cfg.missing:
            raise ApiError(404, "Not found", code=None)
        if method == "GET":
            return actor, False
        if actor[1]:
            raise ApiError(403, MSG_READ_ONLY, code="insufficient_permissions")
        f = sim.write_fault()
        if f is not None and f != "drop":
            raise simulated_failure(f, sim.o.org_id, cfg)
        return actor, f == "drop"

    CONTROL = {"/_sim/truth": ("GET",), "/_sim/stats": ("GET",),
               "/_sim/stats/reset": ("POST",), "/_sim/config": ("GET", "POST"),
               "/_sim/mutate": ("POST",), "/_sim/events": ("POST",),
               "/_sim/posture": ("POST",), "/_sim/usage/revise": ("POST",),
               "/_sim/clock": ("POST",),
               "/_sim/audit/ids": ("GET",), "/_sim/audit/digest": ("GET",),
               AUDIT_EVENT_PATH: ("GET",)}

    def control(self, sim, method, path, qs, body):
        path = path.rstrip("/")
        route = AUDIT_EVENT_PATH if path.startswith(AUDIT_EVENT_PATH) else path
        if route not in self.CONTROL:
            return self.reply(404, ApiError(404, "Invalid URL (%s %s)" % (method, path)).body(),
                              method)
        if method not in self.CONTROL[route]:
            return self.reply(405, ApiError(405, "Method %s not allowed for %s."
                                            % (method, path)).body(), method,
                              [("allow", ", ".join(self.CONTROL[route]))])
        try:
            return self.reply(200, self.control_body(sim, method, path, qs, body), method)
        except ApiError as e:
            return self.reply(e.status, e.body(), method)
        except (ValueError, TypeError) as e:
            return self.reply(400, ApiError(400, str(e)).body(), method)

    @staticmethod
    def control_body(sim, method, path, qs, body):
        if path == "/_sim/truth":
            return sim.truth(truth_mode(qs))
        if path == "/_sim/stats":
            return dumps(sim.stats.as_json())
        if path == "/_sim/stats/reset":
            sim.stats.reset()
            return dumps(sim.stats.as_json())
        if path.startswith("/_sim/audit/"):
            return audit_truth(sim.snap.audit, path)
        data = json.loads(body or b"{}")
        if path == "/_sim/config":
            return dumps((sim.configure(data) if method == "POST" else sim.cfg).as_json())
        if path == "/_sim/events":
            return dumps(sim.add_events(data))
        if path == "/_sim/posture":
            return dumps(sim.posture(data))
        if path == "/_sim/usage/revise":
            return dumps(sim.revise(data))
        if path == "/_sim/clock":
            return dumps(sim.clock(data))
        mode = truth_mode(qs)
        sim.mutate(field_int(data, "seed", -2 ** 63, 2 ** 63, 0, ("seed",)))
        return sim.truth(mode)


def truth_mode(qs):
    """The ?usage= of a truth request: "1" (default), "summary" or "0"."""
    mode = Query(qs).one("usage") or "1"
    if mode not in ("0", "1", "summary"):
        raise ValueError("usage: expected 0, 1 or summary")
    return mode


def rate_limited(org_id, cfg):
    h = [("retry-after", str(cfg.retry_after))]
    if cfg.retry_after_ms is not None:
        h.append(("retry-after-ms", str(cfg.retry_after_ms)))
    return ApiError(429, MSG_RATE.format(org=org_id, secs=cfg.retry_after), "requests",
                    code="rate_limit_exceeded", headers=h)


def simulated_failure(status, org_id, cfg):
    """The error a write told to fail (write_failures) answers."""
    if status == 429:
        return rate_limited(org_id, cfg)
    if status >= 500:
        return ApiError(status, MSG_500, "server_error")
    return ApiError(status, "The simulator was told to fail this write (HTTP %d)." % status,
                    code="simulated_failure")


def audit_truth(audit, path):
    """GET /_sim/audit/{ids,digest,event/<id>}: the audit history as recorded
    (independent of the fault knobs, audit_logging included)."""
    if path == "/_sim/audit/digest":
        return dumps(audit.digest())
    if path == "/_sim/audit/ids":
        n = audit.count()
        if n > AUDIT_IDS_MAX:
            raise ApiError(413, "%d audit log entries are too many to list (at most %d): use "
                           "GET /_sim/audit/digest." % (n, AUDIT_IDS_MAX), code="too_many_entries")
        ids = [i for chunk in audit.id_chunks() for i in chunk]
        return dumps({"count": len(ids), "ids": ids})
    eid = unquote(path[len(AUDIT_EVENT_PATH):])
    body = audit.entry(eid)
    if body is None:
        raise ApiError(404, "No audit log entry with id '%s'." % eid)
    return body


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    allow_reuse_address = True

    def __init__(self, addr, sim):
        self.sim = sim
        super().__init__(addr, Handler)

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


# --------------------------------------------------------------------------
# Command line

def count(v):
    n = int(v)
    if n < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return n


def positive(v):
    n = int(v)
    if n < 1:
        raise argparse.ArgumentTypeError("must be >= 1")
    return n


def days(v):
    d = float(v)
    if not 1 / DAY <= d <= 36500:
        raise argparse.ArgumentTypeError("must be between 1 second and 36500 days")
    return d


def fraction(v):
    f = float(v)
    if not 0 <= f <= 1:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return f


def usage_days(v):
    n = int(v)
    if not 1 <= n <= 3650:
        raise argparse.ArgumentTypeError("must be between 1 and 3650")
    return n


def usage_models(v):
    n = int(v)
    if not 1 <= n <= len(CHAT_MODELS):
        raise argparse.ArgumentTypeError("must be between 1 and %d" % len(CHAT_MODELS))
    return n


def currency(v):
    if not re.fullmatch("[a-z]{3}", v):
        raise argparse.ArgumentTypeError("must be a lowercase ISO-4217 code such as eur")
    return v


def admin_key(v):
    if len(v) < 8 or any(c.isspace() or not c.isprintable() for c in v):
        raise argparse.ArgumentTypeError("must be at least 8 printable characters, no spaces")
    return v


def parse_args(argv=None):
    ap = argparse.ArgumentParser(
        prog="oasim.py",
        description="Deterministic simulator of the OpenAI Administration API "
                    "(/v1/organization/*) with ground truth and fault injection.",
        epilog="Streams: %s.  Control paths (no auth): GET /_sim/truth, GET /_sim/stats, "
               "POST /_sim/stats/reset, GET|POST /_sim/config, POST /_sim/mutate, "
               "POST /_sim/events, POST /_sim/posture, POST /_sim/usage/revise, "
               "POST /_sim/clock, GET /_sim/audit/ids, GET /_sim/audit/digest, "
               "GET /_sim/audit/event/ID. "
               "Prints 'oasim listening on HOST:PORT' once ready; SIGTERM/SIGINT exit 0."
               % ", ".join(STREAMS))
    a = ap.add_argument
    a("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    a("--port", type=int, default=0, help="port, 0 = pick a free one (default 0)")
    a("--port-file", metavar="F", help="write the chosen port to F (atomically) once listening")
    a("--seed", type=int, default=1, help="data and fault seed (default 1)")
    a("--now", type=int, metavar="TS", help="Unix seconds used as 'now' (default: start time)")
    g = ap.add_argument_group("org size")
    g.add_argument("--users", type=count, default=40, help="human users listed (default 40, >= 1)")
    g.add_argument("--service-account-users", type=count, default=1,
                   help="listed users with is_service_account=true (default 1)")
    g.add_argument("--departed-users", type=count, default=3,
                   help="users who own keys but are not listed (default 3)")
    g.add_argument("--projects", type=count, default=6,
                   help="projects, the first is 'Default project' (default 6, >= 1)")
    g.add_argument("--archived-projects", type=count, default=1,
                   help="archived projects, never the default one (default 1)")
    g.add_argument("--keys-per-project", type=count, default=6, help="(default 6)")
    g.add_argument("--service-accounts-per-project", type=count, default=1,
                   help="(default 1; archived projects get none)")
    g.add_argument("--project-users-per-project", type=count, default=4, help="(default 4)")
    g.add_argument("--admin-keys", type=count, default=2,
                   help="admin keys besides the accepted keys' own entries (default 2)")
    g.add_argument("--invites", type=count, default=3, help="(default 3)")
    g.add_argument("--admin-key", action="append", type=admin_key, metavar="KEY",
                   help="accepted admin key, repeatable (default %s)" % DEFAULT_ADMIN_KEY)
    g.add_argument("--admin-key-readonly", action="append", type=admin_key, default=[],
                   metavar="KEY", help="accepted admin key whose writes answer 403, repeatable")
    g.add_argument("--owners", type=positive, metavar="N",
                   help="exactly N listed owners, spread evenly (default: every tenth user)")
    g.add_argument("--stale-invites", type=count, default=1, metavar="N",
                   help="pending invites sent 45, 52, ... days ago (default 1)")
    g.add_argument("--email-domain", default="canary-mail.example",
                   help="domain of every generated address (default canary-mail.example)")
    g.add_argument("--hostile-names", action="store_true",
                   help="give some projects, keys and service accounts hostile names")
    h = ap.add_argument_group("audit history")
    h.add_argument("--events", type=count, default=0, metavar="N",
                   help="N synthetic audit events besides the org's own history, made on "
                        "demand (default 0; 1000000 starts as fast as 0)")
    h.add_argument("--events-days", type=days, default=30, metavar="D",
                   help="spread the --events evenly over the D days before --now; a fraction "
                        "of a day is fine (default 30)")
    h.add_argument("--events-per-request", type=count, default=0, metavar="K",
                   help="every audit_logs request first adds K events at wall-clock now "
                        "(default 0; live knob events_per_request)")
    u = ap.add_argument_group("usage and costs")
    u.add_argument("--usage-keys", type=count, default=8, metavar="N",
                   help="keys of the key list with traffic, planted cases first; 0 = no "
                        "usage at all (default 8)")
    u.add_argument("--usage-days", type=usage_days, default=90, metavar="D",
                   help="days of usage before --now's day (default 90)")
    u.add_argument("--usage-models", type=usage_models, default=3, metavar="M",
                   help="chat models in use, 1..%d (default 3)" % len(CHAT_MODELS))
    f = ap.add_argument_group("faults (OpenAI paths only)")
    f.add_argument("--latency-ms", type=count, default=0, help="delay per response (default 0)")
    f.add_argument("--rate-429", type=fraction, default=0.0, help="fraction answered 429")
    f.add_argument("--rate-500", type=fraction, default=0.0, help="fraction answered 500")
    f.add_argument("--rate-drop", type=fraction, default=0.0,
                   help="fraction closed without a response")
    f.add_argument("--retry-after", type=positive, default=1, metavar="S",
                   help="Retry-After seconds on 429, >= 1 (default 1)")
    f.add_argument("--retry-after-ms", type=count, metavar="MS",
                   help="also send retry-after-ms: MS on 429")
    f.add_argument("--forbid", action="append", default=[], choices=STREAMS, metavar="STREAM",
                   help="stream answers 403 (repeatable)")
    f.add_argument("--missing", action="append", default=[], choices=STREAMS, metavar="STREAM",
                   help="stream answers 404 (repeatable)")
    f.add_argument("--stuck-cursor", action="append", default=[], choices=STREAMS,
                   metavar="STREAM", help="stream always answers its first page, has_more=true")
    f.add_argument("--audit-logging", choices=("on", "off"), default="on",
                   help="off = audit_logs answers an empty list (default on)")
    for name, what in (("missing-next-page", "says has_more but gives no next_page"),
                       ("missing-data", "answers pages without \"data\""),
                       ("extra-fields", "adds fields the schema does not know")):
        f.add_argument("--" + name, action="append", default=[], choices=PAGE_STREAMS,
                       metavar="STREAM", help="usage or costs %s (repeatable)" % what)
    f.add_argument("--bad-amount", choices=("abc", "NaN"),
                   help="one costs amount per page is this instead of a decimal")
    f.add_argument("--currency-switch", type=currency, metavar="CUR",
                   help="costs buckets after the first one are in CUR (e.g. eur)")
    t = ap.add_argument_group("outputs")
    t.add_argument("--truth", metavar="F", help="write ground truth JSON to F (atomically)")
    t.add_argument("--truth-without-usage", action="store_true",
                   help="leave the usage section out of F (as GET /_sim/truth?usage=0)")
    t.add_argument("--stale-days", type=count, default=90, help="stale threshold (default 90)")
    t.add_argument("--org-id", help="openai-organization header (default derived from seed)")
    t.add_argument("--log", metavar="F", help="access log: time method target status ms")
    o = ap.parse_args(argv)
    if o.users < 1:
        ap.error("--users must be >= 1")
    if o.projects < 1:
        ap.error("--projects must be >= 1")
    if o.archived_projects > o.projects - 1:
        ap.error("--archived-projects must be < --projects (the default project is never archived)")
    if not 0 <= o.port <= 65535:
        ap.error("--port must be in 0..65535")
    if o.rate_429 + o.rate_500 + o.rate_drop > 1:
        ap.error("--rate-429 + --rate-500 + --rate-drop must not exceed 1")
    o.admin_key = list(dict.fromkeys(o.admin_key or [DEFAULT_ADMIN_KEY]))
    o.admin_key_readonly = list(dict.fromkeys(o.admin_key_readonly))
    if set(o.admin_key) & set(o.admin_key_readonly):
        ap.error("a key cannot be both --admin-key and --admin-key-readonly")
    if o.now is None:
        o.now = int(time.time())
    if o.org_id is None:
        o.org_id = "org-sim" + alnum(random.Random("%d:org" % o.seed), 20)
    return o


def main(argv=None):
    o = parse_args(argv)
    sim = Sim(o)
    server = Server((o.host, o.port), sim)
    port = server.server_address[1]
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                     daemon=True).start()
    if o.port_file:
        atomic_write(o.port_file, b"%d\n" % port)
    print("oasim listening on %s:%d" % (o.host, port), flush=True)
    while not stop.wait(0.5):
        pass
    server.shutdown()
    server.server_close()
    if sim.log:
        sim.log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
