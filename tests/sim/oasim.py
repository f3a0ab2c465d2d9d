#!/usr/bin/env python3
"""oasim: a deterministic simulator of the OpenAI Administration API.

Serves the read side of ``/v1/organization/*`` (users, projects, project API
keys, service accounts and users, admin API keys, invites, audit logs, costs
and usage) for orgaudit's integration tests, demo and benchmark.  Python 3
standard library only.

Data
    Every object is a pure function of --seed, the size options, --email-domain,
    --hostile-names, the accepted --admin-key values and --now.  The org holds
    the cases an auditor must find: stale keys (never used, or last used long
    ago), orphan keys (owner left the org, or lost project access), legacy user
    keys, service-account keys, admin keys of departed users.  Key usage cycles
    through seven ages (see USAGE_CASES) so that every case appears even in a
    small org; no timestamp lies within 12 hours of the 90-day boundary.

Audit history
    The org's own history (project.created, user.added, api_key.created, ...)
    plus --events N synthetic events over the --events-days before --now, plus
    events added at run time (``POST /_sim/events``, the events_per_request
    knob) at wall-clock time: one list ordered by (effective_at, id), served
    newest first.  Synthetic and added events are made on demand from (--seed,
    seq) by ``AuditGen``: a million cost nothing at start-up.  Ids of those are
    ``audit_log-`` + 8 base62 digits of seq + 6 hash characters, so a cursor
    maps back to its position in O(1).

Ground truth
    ``--truth F`` and ``GET /_sim/truth`` give what a correct audit must report
    (format in ``Org.truth``).  ``POST /_sim/mutate`` changes the org the way an
    hour of real life would (see ``Org.mutate``) and rewrites the truth.  The
    audit history has its own: every id, a digest, and each served entry.

Wire format
    Objects follow the schemas of shared/openai/admin-subset.yaml.  Lists use the
    cursor envelope {"object":"list","data","first_id","last_id","has_more"},
    ordered by id ascending (audit logs newest first); usage and costs use the
    {"object":"page",...,"next_page"} envelope with one empty bucket per period.
    One user-owned key in five carries the older owner shape
    ({"object":"organization.project.user",...,"added_at"}).  Errors use
    {"error":{"message","type","param","code"}}; a wrong admin key is echoed
    partially masked, as the real API does.

Faults
    Latency, 429, 500 and dropped connections are injected per request from a
    RNG seeded by --seed; single streams can be forced to 403 / 404 or to a
    cursor that never advances.  ``POST /_sim/config`` changes the knobs live.

Control paths (no auth, never faulted, not under /v1)
    GET  /_sim/truth         ground truth JSON
    GET  /_sim/stats         request counters for /v1 paths
    POST /_sim/stats/reset   zero the counters
    GET|POST /_sim/config    read / replace fault knobs (JSON body)
    POST /_sim/mutate        {"seed": N}: deterministic change, answers new truth
    POST /_sim/events        {"count": N, "age_seconds": S}: N audit events at
                             wall-clock now - S (S default 0); answers {"added": [ids]}
    GET  /_sim/audit/ids     {"count", "ids": every audit id, oldest first}; 413
                             beyond 200,000 entries
    GET  /_sim/audit/digest  {"count", "sha256": of the ids joined by "\\n", oldest first}
    GET  /_sim/audit/event/ID  the entry exactly as audit_logs serves it (404 if none)
    The audit paths describe the history as recorded, whatever the fault knobs
    (audit_logging, forbid, ...) make /v1 answer.

Design
    Reads take no lock but one: every list is pre-serialised into an immutable
    ``Snapshot`` (ids sorted, one JSON byte string per item) and a page is a
    bisect plus a join.  A mutation builds a new snapshot under the org lock
    and swaps the reference.  Audit pages merge three sorted parts (``AuditIndex``):
    the snapshot's org history, the synthetic history (positions by arithmetic)
    and the added events (``LiveLog``, whose short lock is the one exception).
"""

from __future__ import annotations

import argparse
import array
import base64
import binascii
import bisect
import dataclasses
import hashlib
import http.server
import itertools
import json
import os
import random
import re
import secrets
import signal
import string
import sys
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import parse_qsl, unquote

DAY = 86400
HOUR = 3600
ALNUM = string.ascii_letters + string.digits
_ALNUM_TABLE = "".join(ALNUM[b % len(ALNUM)] for b in range(256)).encode("ascii")
DEFAULT_ADMIN_KEY = "sk-admin-SIMULATORKEY0000000000000000000000000000abcd"
STREAMS = ("users", "projects", "api_keys", "service_accounts", "project_users",
           "admin_api_keys", "invites", "audit_logs", "costs", "usage")
USAGE_KINDS = ("completions", "embeddings", "moderations", "images", "audio_speeches",
               "audio_transcriptions", "vector_stores", "code_interpreter_sessions",
               "web_search_calls", "file_search_calls")
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
        self.mutations = 0
        self._humans = None
        self.hostile = list(HOSTILE_NAMES) if o.hostile_names else []
        self._gen_people(self._rng("people"))
        self._gen_projects(self._rng("projects"))
        self._gen_keys(self._rng("keys"))
        self._gen_admin_keys(self._rng("admin_keys"))
        self._gen_invites(self._rng("invites"))
        self._gen_history(self._rng("audit"))

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
    def _gen_people(self, rng):
        o = self.o
        for i in range(o.users):
            u = self._new_person(rng, "owner" if i % 10 == 0 else "reader")
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
            self.event(rng, "user.deleted", self.now - (5 + 3 * i) * DAY,
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
        keep = {k.owner_id for k in self.admin_keys.values() if k.secret in self.o.admin_key}
        owned = {k.owner_id for k in self.keys.values()}
        n_owners = len([u for u in self.humans() if u.role == "owner"])
        cands = [u for u in self._sorted(self.humans())
                 if u.id in owned and u.id not in keep and (u.role != "owner" or n_owners > 1)]
        for u in rng.sample(cands, min(2, len(cands))):
            del self.users[u.id]
            self._humans = None
            self.departed[u.id] = u
            for m in self.members.values():
                m.pop(u.id, None)
            self.event(rng, "user.deleted", t, actor, {"id": u.id}, default)

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

    def _delete_key(self, rng, k, t, actor):
        del self.keys[k.id]
        self.event(rng, "api_key.deleted", t, actor, {"id": k.id}, self.projects[k.project_id])

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
        gone = rng.choice(cands)
        del self.sas[gone.id]
        for k in [k for k in self._sorted(self.keys.values()) if k.owner_id == gone.id]:
            self._delete_key(rng, k, t, actor)
        self.event(rng, "service_account.deleted", t, actor, {"id": gone.id},
                   self.projects[gone.project_id])

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
         active projects, "invites", "emails": every address the simulator can return}
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
        }

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


def is_stale(created_at, last_used_at, limit):
    return (last_used_at if last_used_at is not None else created_at) < limit


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

    def page(self, limit, after=None, desc=False, stuck=False):
        """Items after the cursor `after` (ids compare as strings, so a deleted
        id works too), in ascending or descending id order."""
        n = len(self.ids)
        if stuck:
            after = None
        if not desc:
            lo = bisect.bisect_right(self.ids, after) if after is not None else 0
            hi = min(n, lo + limit)
            sel, more = range(lo, hi), hi < n
        else:
            hi = bisect.bisect_left(self.ids, after) if after is not None else n
            lo = max(0, hi - limit)
            sel, more = range(hi - 1, lo - 1, -1), lo > 0
        return envelope_of(self.ids, self.items, sel, more or stuck)


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
        self.audit = AuditIndex(org, gen, live)
        self.truth = org.truth()
        self.truth_bytes = dumps(self.truth)

    def project(self, pid):
        if pid not in self.archived:
            raise ApiError(404, "No project found with id '%s'." % pid)
        return pid


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
    """What a handler sees: the snapshot, the live config and the query."""

    __slots__ = ("snap", "cfg", "q", "stream")

    def __init__(self, snap, cfg, q, stream):
        self.snap, self.cfg, self.q, self.stream = snap, cfg, q, stream

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


def page_token(n):
    return base64.b64encode(b"p%d" % n).decode()


def page_index(tok):
    try:
        raw = base64.b64decode(tok, validate=True)
        if raw[:1] == b"p" and raw[1:].isdigit():
            return int(raw[1:])
    except (binascii.Error, ValueError):
        pass
    raise bad_param("page", "Invalid 'page': '%s' is not a valid page token." % tok)


def usage_page(c, costs):
    """Usage/costs buckets: empty results, paged with next_page tokens."""
    q = c.q
    if q.one("start_time") is None:
        raise bad_param("start_time", "Missing required parameter: 'start_time'.",
                        "missing_required_parameter")
    start = q.int("start_time", 0)
    end = q.int("end_time", 0, default=c.snap.now)
    width = q.choice("bucket_width", ("1d",) if costs else tuple(BUCKETS), "1d")
    size, default, most = BUCKETS[width]
    if costs:
        default, most = 7, 180
    limit = q.int("limit", 1, most, default)
    first = start - start % size
    total = max(0, -(-(end - first) // size))
    k0 = 0 if c.stuck else page_index(q.one("page")) if q.one("page") else 0
    hi = min(total, k0 + limit)
    more = hi < total or c.stuck
    data = [{"object": "bucket", "start_time": first + k * size,
             "end_time": first + (k + 1) * size, "results": []} for k in range(k0, hi)]
    return dumps({"object": "page", "data": data, "has_more": more,
                  "next_page": page_token(k0 + limit) if more else None})


def resolve(parts):
    """(stream, handler, args) for the path segments after /v1, or None."""
    if len(parts) < 2 or parts[0] != "organization":
        return None
    p, n = parts[1:], len(parts) - 1
    flat = {("users",): ("users", list_users), ("projects",): ("projects", list_projects),
            ("admin_api_keys",): ("admin_api_keys", list_admin_keys),
            ("invites",): ("invites", list_invites), ("audit_logs",): ("audit_logs", list_audit),
            ("costs",): ("costs", lambda c: usage_page(c, True))}
    if tuple(p) in flat:
        return flat[tuple(p)] + ((),)
    single = {"users": ("users", get_user), "admin_api_keys": ("admin_api_keys", get_admin_key),
              "invites": ("invites", get_invite), "projects": ("projects", get_project)}
    if n == 2 and p[0] in single:
        return single[p[0]] + ((p[1],),)
    if n == 2 and p[0] == "usage" and p[1] in USAGE_KINDS:
        return "usage", lambda c: usage_page(c, False), ()
    sub = {"api_keys": ("api_keys", list_keys, get_key),
           "service_accounts": ("service_accounts", list_sas, get_sa),
           "users": ("project_users", list_members, get_member)}
    if p[0] == "projects" and n in (3, 4) and p[2] in sub:
        stream, lst, one = sub[p[2]]
        return (stream, lst, (p[1],)) if n == 3 else (stream, one, (p[1], p[3]))
    return None


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

    def as_json(self):
        d = dataclasses.asdict(self)
        for f in ("forbid", "missing", "stuck_cursor"):
            d[f] = list(d[f])
        return d

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
    if name == "audit_logging":
        if v in (True, "on"):
            return "on"
        if v in (False, "off"):
            return "off"
        raise ValueError("audit_logging: expected 'on' or 'off'")
    if not isinstance(v, list) or any(s not in STREAMS for s in v):
        raise ValueError("%s: expected a list of stream names from %s" % (name, ", ".join(STREAMS)))
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


def atomic_write(path, data: bytes):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


class Sim:
    """The org, its current snapshot, the knobs, counters and logs."""

    def __init__(self, o):
        self.o = o
        self.lock = threading.Lock()
        self.org = Org(o)
        self.gen = AuditGen(self.org, o)
        self.live = LiveLog(self.gen)
        self.snap = Snapshot(self.org, self.gen, self.live)
        self.cfg = Config(o.latency_ms, o.rate_429, o.rate_500, o.rate_drop, o.retry_after,
                          o.retry_after_ms, tuple(dict.fromkeys(o.forbid)),
                          tuple(dict.fromkeys(o.missing)), tuple(dict.fromkeys(o.stuck_cursor)),
                          o.audit_logging, o.events_per_request)
        self.stats = Stats()
        self.fault_rng = random.Random("%d:faults" % o.seed)
        self.fault_lock = threading.Lock()
        self.log = open(o.log, "a", encoding="utf-8", buffering=1) if o.log else None
        self.log_lock = threading.Lock()
        self.write_truth()

    def write_truth(self):
        if self.o.truth:
            atomic_write(self.o.truth, self.snap.truth_bytes + b"\n")

    def mutate(self, seed):
        with self.lock:
            self.org.mutate(seed)
            self.snap = Snapshot(self.org, self.gen, self.live)
            self.write_truth()
            return self.snap

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

    def configure(self, body):
        with self.lock:
            self.cfg = self.cfg.updated(body)
            return self.cfg

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
        if not header or not header[:7].lower() == "bearer " or not header[7:].strip():
            raise ApiError(401, MSG_NO_KEY)
        key = header[7:].strip()
        if key in self.o.admin_key:
            return
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
            status = self.control(sim, method, path, body)
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
        hit = resolve([unquote(s) for s in rest.split("/")] if rest else [])
        stream = hit[0] if hit else None
        cfg = sim.cfg
        snap = sim.snap
        sim.stats.request(stream)
        if stream == "audit_logs" and cfg.events_per_request:
            sim.live.add(cfg.events_per_request, int(time.time()))
        if cfg.latency_ms:
            time.sleep(cfg.latency_ms / 1000.0)
        fault = sim.fault(cfg)
        if fault == "drop":
            sim.stats.drop()
            self.close_connection = True
            return "drop"
        headers = ()
        try:
            self.pre_checks(sim, cfg, fault, method, path, hit)
            body, status = hit[1](Ctx(snap, cfg, Query(qs), stream), *hit[2]), 200
        except ApiError as e:
            status, body, headers = e.status, e.body(), e.headers
        sim.stats.answered(status)
        return self.reply(status, body, method, headers, openai=True)

    def pre_checks(self, sim, cfg, fault, method, path, hit):
        """Faults, auth, routing, method and stream knobs, in that order."""
        if fault == "429":
            h = [("retry-after", str(cfg.retry_after))]
            if cfg.retry_after_ms is not None:
                h.append(("retry-after-ms", str(cfg.retry_after_ms)))
            raise ApiError(429, MSG_RATE.format(org=sim.o.org_id, secs=cfg.retry_after),
                           "requests", code="rate_limit_exceeded", headers=h)
        if fault == "500":
            raise ApiError(500, MSG_500, "server_error")
        sim.check_auth(self.headers.get("Authorization"))
        if hit is None:
            raise ApiError(404, "Invalid URL (%s %s)" % (method, path))
        if method != "GET":
            raise ApiError(405, "Method %s not allowed for %s. Only GET is supported."
                           % (method, path), headers=[("allow", "GET")])
        if hit[0] in cfg.forbid:
            raise ApiError(403, MSG_FORBIDDEN, code="insufficient_permissions")
        if hit[0] in cfg.missing:
            raise ApiError(404, "Not found", code=None)

    def control(self, sim, method, path, body):
        routes = {"/_sim/truth": ("GET",), "/_sim/stats": ("GET",),
                  "/_sim/stats/reset": ("POST",), "/_sim/config": ("GET", "POST"),
                  "/_sim/mutate": ("POST",), "/_sim/events": ("POST",),
                  "/_sim/audit/ids": ("GET",), "/_sim/audit/digest": ("GET",),
                  AUDIT_EVENT_PATH: ("GET",)}
        path = path.rstrip("/")
        route = AUDIT_EVENT_PATH if path.startswith(AUDIT_EVENT_PATH) else path
        if route not in routes:
            return self.reply(404, ApiError(404, "Invalid URL (%s %s)" % (method, path)).body(),
                              method)
        if method not in routes[route]:
            return self.reply(405, ApiError(405, "Method %s not allowed for %s."
                                            % (method, path)).body(), method,
                              [("allow", ", ".join(routes[route]))])
        try:
            return self.reply(200, self.control_body(sim, method, path, body), method)
        except ApiError as e:
            return self.reply(e.status, e.body(), method)
        except (ValueError, TypeError) as e:
            return self.reply(400, ApiError(400, str(e)).body(), method)

    @staticmethod
    def control_body(sim, method, path, body):
        if path == "/_sim/truth":
            return sim.snap.truth_bytes
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
        seed = data.get("seed", 0) if isinstance(data, dict) else None
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError("mutate: 'seed' must be an integer")
        return sim.mutate(seed).truth_bytes


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


def admin_key(v):
    if len(v) < 8 or any(c.isspace() or not c.isprintable() for c in v):
        raise argparse.ArgumentTypeError("must be at least 8 printable characters, no spaces")
    return v


def parse_args(argv=None):
    ap = argparse.ArgumentParser(
        prog="oasim.py",
        description="Deterministic simulator of the OpenAI Administration API "
                    "(GET /v1/organization/*) with ground truth and fault injection.",
        epilog="Streams: %s.  Control paths (no auth): GET /_sim/truth, GET /_sim/stats, "
               "POST /_sim/stats/reset, GET|POST /_sim/config, POST /_sim/mutate, "
               "POST /_sim/events, GET /_sim/audit/ids, GET /_sim/audit/digest, "
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
    t = ap.add_argument_group("outputs")
    t.add_argument("--truth", metavar="F", help="write ground truth JSON to F (atomically)")
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
