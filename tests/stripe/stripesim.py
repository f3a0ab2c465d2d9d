#!/usr/bin/env python3
"""stripesim: a Stripe API test server for orgaudit's billing tests.

Serves the part of https://api.stripe.com that orgaudit's billing binary uses
(customers, invoices, invoice items, finalization) with Stripe's object shapes,
errors, authentication and idempotency, and injects the faults a billing client
must survive.  Python 3 standard library only.

Data
    Customers, invoices and invoice items live in memory (optionally persisted
    to --state-file after every change, and reloaded at start).  Ids are random
    and never reused: cus_ + 14, in_/ii_/il_ + 24 letters and digits, requests
    req_ + 14.  Times are the wall clock.  Invoices are one-off ("manual"):
    totals are the sum of their invoice items (no tax, discounts, customer
    balance or payment attempts).  Numbers are account-wide, PREFIX-0001 on,
    assigned at finalization and never reused.

Wire format
    Form-encoded requests with bracketed nested keys (metadata[org]=x,
    period[start]=1, expand[]=x); pretty-printed JSON answers as Stripe sends
    them.  Lists use {"object":"list","data","has_more","url"}, newest first,
    paged with limit (1..100, default 10), starting_after and ending_before.
    Errors are {"error":{"code","doc_url","message","param","request_log_url",
    "type"}} with the absent members left out, as Stripe does: a 401 carries only
    message and type.  Every answer carries Request-Id and Stripe-Version (the
    request's, or --api-version).

Idempotency
    As Stripe documents it, per API key: a POST with Idempotency-Key (1..255
    characters) stores the status and body of the first execution; the same key
    with the same path and parameters replays them (Idempotent-Replayed: true,
    Original-Request: the first request id); with another path or other
    parameters it is a 400 idempotency_error; while the first is still running
    it is a 409 idempotency_key_in_use.  Nothing is stored for answers given
    before execution starts (401, 429, 409, 503, parameter validation 400s,
    unknown URLs, dropped connections): a retry executes.  Errors raised while
    executing (unknown customer, finalized invoice, ...) and 500s are stored
    and replayed, like Stripe ("including 500 errors"); --no-store-500 changes
    the latter.  Keys are pruned after --idempotency-ttl seconds (24 h) or on
    POST /_stripe/forget-idempotency.  GET ignores the header.

Faults (/v1 paths only; the knobs are live through POST /_stripe/config)
    latency, 429, 500, a connection closed before executing (drop) or after
    executing and storing the result (drop_after_commit: the client cannot
    know whether it happened), a scripted list of faults for the next
    requests, a per-second rate limit, and "down" (503 for everything, or
    connections reset).  --fail-path restricts faults and latency to matching
    paths.  The random draws come from --seed.

Control paths (no auth, never faulted, not under /v1)
    GET  /_stripe/state               customers, invoices, items, counts per route and status
    GET|POST /_stripe/config          read / replace fault knobs (JSON object)
    POST /_stripe/forget-idempotency  drop stored keys ({} all, or {"key":K})
    POST /_stripe/reset               empty everything but the knobs
    POST /_stripe/customers           preload customers: {"id","name","email",...} or a list
    GET  /_stripe/log[?since=N]       every /v1 request received, in order

Design
    One lock guards all state.  A request is parsed and validated without it,
    takes it to claim its idempotency key, sleeps the latency without it, then
    takes it once to execute, store the idempotent result, count and persist.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import collections
import copy
import dataclasses
import http.server
import json
import os
import random
import re
import secrets
import signal
import socket
import string
import struct
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import parse_qsl, unquote

ALNUM = string.ascii_letters + string.digits
DEFAULT_API_KEY = "sk_test_orgaudit"
DEFAULT_API_VERSION = "2024-06-20"
STATE_FORMAT = "stripesim-state/1"
MAX_BODY = 1 << 20
MAX_LOG = 200000
MAX_IDEMPOTENCY_KEY = 255
MAX_AMOUNT = 99999999
INT64 = 1 << 63
LIST_MAX = 100
LIST_DEFAULT = 10
EMBEDDED_LINES = 10
FAULT_NAMES = ("none", "429", "500", "drop", "drop_after_commit")
DOWN_MODES = ("503", "refuse")
VERSION_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$")
KEY_RE = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
SEG_RE = re.compile(r"\[([^\[\]]*)\]")
INT_RE = re.compile(r"^-?[0-9]+$")
ID_RE = re.compile(r"^[A-Za-z0-9_]{3,255}$")
CURRENCIES = tuple(sorted(set("""
usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bif bmd bnd bob brl bsd bwp
byn bzd cad cdf chf clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp gel
gip gmd gnf gtq gyd hkd hnl htg huf idr ils inr isk jmd jpy kes kgs khr kmf krw kyd kzt
lak lbp lkr lrd lsl mad mdl mga mkd mmk mnt mop mur mvr mwk mxn myr mzn nad ngn nio nok
npr nzd pab pen pgk php pkr pln pyg qar ron rsd rub rwf sar sbd scr sek sgd shp sle sos
srd std szl thb tjs top try ttd twd tzs uah ugx uyu uzs vnd vuv wst xaf xcd xof xpf yer
zar zmw""".split())))
INVOICE_STATUSES = ("draft", "open", "paid", "uncollectible", "void")
COLLECTION = ("charge_automatically", "send_invoice")
PENDING = ("exclude", "include")

MSG_NO_KEY = ("You did not provide an API key. You need to provide your API key in the "
              "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
              "YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, "
              "or we can help at https://support.stripe.com/.")
MSG_BAD_KEY = "Invalid API Key provided: {masked}"
MSG_RATE = ("Request rate limit exceeded. Learn more about rate limits here "
            "https://stripe.com/docs/rate-limits.")
MSG_500 = ("Sorry, something went wrong. We've already been notified of the problem, but if "
           "you need any help, you can reach out to support: https://support.stripe.com/contact")
MSG_503 = ("Stripe is temporarily unavailable. Please retry the request later; if the "
           "problem persists, see https://status.stripe.com/.")
MSG_URL = ("Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
           "or we can help at https://support.stripe.com/.")
MSG_CTYPE = ("Invalid request: unsupported Content-Type {ctype}. If error persists and you "
             "need assistance, please contact support@stripe.com.")
MSG_IDEM_PARAMS = ("Keys for idempotent requests can only be used with the same parameters "
                   "they were first used with. Try using a key other than '{key}' if you meant "
                   "to execute a different request.")
MSG_IDEM_PATH = ("Keys for idempotent requests can only be used for the same endpoint they were "
                 "first used for ('{new}' vs '{old}'). Try using a key other than '{key}' if "
                 "you meant to execute a different request.")
MSG_IDEM_IN_USE = ("There is currently another in-progress request using this Idempotent Key "
                   "(that probably means you submitted twice, and the other request is still "
                   "going through): {key}. Please try again later.")
MSG_IDEM_LONG = ("Invalid Idempotency-Key: keys can be at most 255 characters long, but you "
                 "passed in a key that is {n} characters long.")
MSG_EMPTY = ("You passed an empty string for '{p}'. We assume empty values are an attempt to "
             "unset a parameter; however '{p}' cannot be unset. You should remove '{p}' from "
             "your request or supply a non-empty value.")
MSG_REFINALIZE = "This invoice is already finalized, you can't re-finalize a non-draft invoice."
MSG_NOT_EDITABLE = ("Invoice {id} can no longer be edited: its status is {status}. Invoice items "
                    "can only be added to draft invoices.")

_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_STRIPE = json.JSONEncoder(ensure_ascii=False, indent=2)


def dumps(obj) -> bytes:
    """Compact UTF-8 JSON: control paths and the state file."""
    return _COMPACT.encode(obj).encode("utf-8")


def stripe_dumps(obj) -> bytes:
    """Stripe's own layout: two-space indentation, UTF-8, trailing newline."""
    return (_STRIPE.encode(obj) + "\n").encode("utf-8")


def rand_alnum(n):
    return "".join(secrets.choice(ALNUM) for _ in range(n))


def new_request_id():
    return "req_" + rand_alnum(14)


def mask_key(key):
    """Stripe's echo of a wrong key: known prefix, asterisks, last four."""
    m = re.match(r"^((?:sk|rk|pk)_(?:test|live)_)(.*)$", key, re.S)
    prefix, rest = (m.group(1), m.group(2)) if m else ("", key)
    if len(rest) <= 4:
        return prefix + "*" * len(rest)
    return prefix + "*" * (len(rest) - 4) + rest[-4:]


def public(rec):
    """A stored record without its private (underscore) members."""
    return {k: v for k, v in rec.items() if not k.startswith("_")}


def ordered(obj_id, obj_type, fields):
    """Stripe's member order: id, object, then alphabetical."""
    out = {"id": obj_id, "object": obj_type}
    for k in sorted(fields):
        out[k] = fields[k]
    return out


# --------------------------------------------------------------------------
# Errors: the single place the error envelope is built.

class StripeError(Exception):
    """A Stripe-style error answer.  `stored` says whether an idempotent
    request remembers it (True for errors raised while executing)."""

    def __init__(self, status, message, etype="invalid_request_error", code=None,
                 param=None, headers=()):
        super().__init__(message)
        self.status = status
        self.message = message
        self.etype = etype
        self.code = code
        self.param = param
        self.headers = tuple(headers)

    def body(self, request_id) -> bytes:
        e = {}
        if self.code:
            e["code"] = self.code
            e["doc_url"] = "https://stripe.com/docs/error-codes/" + self.code.replace("_", "-")
        e["message"] = self.message
        if self.param:
            e["param"] = self.param
        if self.status not in (401, 503):
            e["request_log_url"] = ("https://dashboard.stripe.com/test/logs/%s?t=%d"
                                    % (request_id, int(time.time())))
        e["type"] = self.etype
        return stripe_dumps({"error": e})


def invalid(param, message, code=None, status=400):
    return StripeError(status, message, code=code, param=param)


def missing(param):
    return invalid(param, "Missing required param: %s." % param, "parameter_missing")


def no_such(what, oid, param, status=400):
    return StripeError(status, "No such %s: '%s'" % (what, oid), code="resource_missing",
                       param=param)


# --------------------------------------------------------------------------
# Form bodies and query strings

def parse_form(text):
    """Nested parameters from a form-encoded string (Rack's bracket rules):
    a[b]=1 -> {"a": {"b": "1"}}, a[]=1&a[]=2 -> {"a": ["1", "2"]}."""
    try:
        pairs = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise StripeError(400, "Invalid request: the parameters are not valid UTF-8.")
    root = {}
    for key, value in pairs:
        m = KEY_RE.match(key)
        if not m:
            raise invalid(key, "Received unknown parameter: %s" % key, "parameter_unknown")
        segs = [m.group(1)] + SEG_RE.findall(m.group(2))
        _insert(root, segs, value, key)
    return root


def _insert(root, segs, value, raw):
    cur = root
    for i, s in enumerate(segs):
        last = i == len(segs) - 1
        if isinstance(cur, list):
            if s != "":
                raise invalid(segs[0], "Invalid array: %s" % raw)
            if last:
                cur.append(value)
                return
            nxt = [] if segs[i + 1] == "" else {}
            cur.append(nxt)
            cur = nxt
            continue
        if s == "":
            raise invalid(segs[0], "Invalid hash: %s" % raw)
        if last:
            if isinstance(cur.get(s), (dict, list)):
                raise invalid(segs[0], "Invalid hash" if isinstance(cur[s], dict)
                              else "Invalid array")
            cur[s] = value
            return
        want = list if segs[i + 1] == "" else dict
        if s not in cur or cur[s] == "":
            cur[s] = want()
        elif not isinstance(cur[s], want):
            raise invalid(segs[0], "Invalid hash" if want is dict else "Invalid array")
        cur = cur[s]


def shown(v):
    """A parameter value as Stripe's messages quote it."""
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)


class Params:
    """Typed access to one request's parameters; every getter raises the
    matching Stripe validation error."""

    def __init__(self, d):
        self.d = d

    def only(self, *allowed):
        for k in self.d:
            if k not in allowed and k != "expand":
                raise invalid(k, "Received unknown parameter: %s" % k, "parameter_unknown")
        exp = self.d.get("expand")
        if exp is not None:
            vals = exp if isinstance(exp, list) else list(exp.values()) if isinstance(
                exp, dict) else [exp]
            for v in vals:
                if v != "":
                    raise invalid("expand", "This property cannot be expanded (%s)." % shown(v))

    def has(self, name):
        return name in self.d

    def raw(self, name):
        return self.d.get(name)

    def _scalar(self, name, v, kind):
        if not isinstance(v, str):
            raise invalid(name, "Invalid %s: %s" % (kind, shown(v)))
        return v

    def string(self, name, required=False, maxlen=5000):
        v = self.d.get(name)
        if v is None:
            if required:
                raise missing(name)
            return None
        v = self._scalar(name, v, "string")
        if v == "":
            if required:
                raise invalid(name, MSG_EMPTY.format(p=name), "parameter_invalid_empty")
            return None
        if len(v) > maxlen:
            raise invalid(name, "Invalid string: %s...; must be at most %d characters"
                          % (v[:20], maxlen), "parameter_invalid_string")
        return v

    def integer(self, name, required=False, lo=None, hi=None, value=None):
        v = self.d.get(name) if value is None else value
        if v is None:
            if required:
                raise missing(name)
            return None
        v = self._scalar(name, v, "integer")
        if v == "":
            if required:
                raise invalid(name, MSG_EMPTY.format(p=name), "parameter_invalid_empty")
            return None
        if not INT_RE.match(v) or not -INT64 <= int(v) < INT64:
            raise invalid(name, "Invalid integer: %s" % v, "parameter_invalid_integer")
        n = int(v)
        if lo is not None and n < lo:
            raise invalid(name, "This value must be greater than or equal to %d." % lo)
        if hi is not None and n > hi:
            raise invalid(name, "This value must be less than or equal to %d." % hi)
        return n

    def boolean(self, name):
        v = self.d.get(name)
        if v is None or v == "":
            return None
        v = self._scalar(name, v, "boolean")
        if v not in ("true", "false"):
            raise invalid(name, "Invalid boolean: %s" % v)
        return v == "true"

    def enum(self, name, allowed):
        v = self.d.get(name)
        if v is None or v == "":
            return None
        v = self._scalar(name, v, "string")
        if v not in allowed:
            choices = ", ".join(allowed[:-1]) + (", or " if len(allowed) > 2 else " or ") \
                + allowed[-1]
            raise invalid(name, "Invalid %s: must be one of %s" % (name, choices))
        return v

    def currency(self, name="currency", required=False):
        v = self.string(name, required=required)
        if v is not None and v not in CURRENCIES:
            raise invalid(name, "Invalid currency: %s. Stripe currently supports these "
                          "currencies: %s" % (v, ", ".join(CURRENCIES)))
        return v

    def metadata(self, name="metadata"):
        """{} when absent or emptied; set keys only (an empty value unsets)."""
        v = self.d.get(name)
        if v is None or v == "":
            return {}
        if not isinstance(v, dict):
            raise invalid(name, "Invalid hash")
        out = {}
        for k, val in v.items():
            p = "%s[%s]" % (name, k)
            if not isinstance(val, str):
                raise invalid(p, "Invalid string: %s" % shown(val))
            if len(k) > 40:
                raise invalid(p, "Metadata keys can have up to 40 characters, but you passed "
                              "in a key that is %d characters. Invalid key: '%s'" % (len(k), k))
            if len(val) > 500:
                raise invalid(p, "Metadata values can have up to 500 characters, but you "
                              "passed in a value that is %d characters. Invalid value: '%s'"
                              % (len(val), val[:40] + "..."))
            if val != "":
                out[k] = val
        if len(v) > 50:
            raise invalid(name, "Invalid metadata: metadata can have up to 50 keys, but you "
                          "passed in %d keys." % len(v))
        return out

    def hash(self, name, keys):
        v = self.d.get(name)
        if v is None or v == "":
            return None
        if not isinstance(v, dict):
            raise invalid(name, "Invalid hash")
        for k in v:
            if k not in keys:
                p = "%s[%s]" % (name, k)
                raise invalid(p, "Received unknown parameter: %s" % p, "parameter_unknown")
        return v

    def page(self, cursor_prefixes=None):
        limit = self.d.get("limit")
        if limit is not None and limit != "":
            self._scalar("limit", limit, "integer")
            if not INT_RE.match(limit):
                raise invalid("limit", "Invalid integer: %s" % limit, "parameter_invalid_integer")
            if not 1 <= int(limit) <= LIST_MAX:
                raise invalid("limit", "Invalid limit: must be between 1 and %d" % LIST_MAX)
        after = self.string("starting_after")
        before = self.string("ending_before")
        if after and before:
            raise invalid("ending_before", "You may only specify one of these parameters: "
                          "ending_before, starting_after.", "parameters_exclusive")
        return {"limit": int(limit) if limit else LIST_DEFAULT, "after": after,
                "before": before}


# --------------------------------------------------------------------------
# The account: customers, invoices, invoice items

class Store:
    """Stripe objects as stored records (Stripe members plus private _ ones).
    Not thread-safe by itself: Sim holds its lock around every call."""

    def __init__(self, o):
        self.o = o
        self.clear()

    def clear(self):
        self.customers = {}
        self.invoices = {}
        self.items = {}
        self.lines = {}          # il_ -> ii_
        self.used = set()
        self.seq = 0
        self.invoice_number = 0

    # ---- persistence
    def to_json(self):
        return {"customers": list(self.customers.values()),
                "invoices": list(self.invoices.values()),
                "invoiceitems": list(self.items.values()),
                "seq": self.seq, "invoice_number": self.invoice_number}

    def load_json(self, d):
        self.clear()
        for c in d.get("customers", []):
            self.customers[c["id"]] = c
        for i in d.get("invoices", []):
            self.invoices[i["id"]] = i
        for it in d.get("invoiceitems", []):
            self.items[it["id"]] = it
            self.lines[it["_line"]] = it["id"]
        self.used = set(self.customers) | set(self.invoices) | set(self.items) | set(self.lines)
        self.seq = int(d.get("seq", 0))
        self.invoice_number = int(d.get("invoice_number", 0))

    # ---- helpers
    def new_id(self, prefix, n):
        while True:
            i = prefix + rand_alnum(n)
            if i not in self.used:
                self.used.add(i)
                return i

    def next_seq(self):
        self.seq += 1
        return self.seq

    def customer(self, cid, param):
        c = self.customers.get(cid)
        if c is None:
            raise no_such("customer", cid, param, 404 if param == "id" else 400)
        return c

    def invoice(self, iid, param):
        inv = self.invoices.get(iid)
        if inv is None:
            raise no_such("invoice", iid, param, 404 if param == "id" else 400)
        return inv

    # ---- customers
    def add_customer(self, cid, name, email, description, metadata, now):
        c = self.customers.get(cid)
        if c is None:
            self.used.add(cid)
            c = ordered(cid, "customer", {
                "address": None, "balance": 0, "created": now, "currency": None,
                "default_source": None, "delinquent": False, "description": description,
                "discount": None, "email": email,
                "invoice_prefix": "".join(secrets.choice("ABCDEF0123456789") for _ in range(8)),
                "invoice_settings": {"custom_fields": None, "default_payment_method": None,
                                     "footer": None, "rendering_options": None},
                "livemode": False, "metadata": metadata, "name": name,
                "next_invoice_sequence": 1, "phone": None, "preferred_locales": [],
                "shipping": None, "tax_exempt": "none", "test_clock": None})
            c["_seq"] = self.next_seq()
            self.customers[cid] = c
        else:
            c.update(name=name, email=email, description=description, metadata=metadata)
        return c

    # ---- invoices
    def create_invoice(self, a, now):
        cust = self.customer(a["customer"], "customer")
        currency = a["currency"] or cust["currency"] or self.o.default_currency
        iid = self.new_id("in_", 24)
        send = a["collection_method"] == "send_invoice"
        inv = ordered(iid, "invoice", {
            "account_country": "US", "account_name": "orgaudit test account",
            "application": None, "attempt_count": 0, "attempted": False,
            "auto_advance": bool(a["auto_advance"]),
            "automatic_tax": {"enabled": False, "liability": None, "status": None},
            "billing_reason": "manual", "charge": None,
            "collection_method": a["collection_method"], "created": now, "currency": currency,
            "custom_fields": None, "customer": cust["id"], "default_payment_method": None,
            "default_source": None, "default_tax_rates": [], "description": a["description"],
            "discount": None, "discounts": [],
            "due_date": now + a["days_until_due"] * 86400 if send else None,
            "effective_at": None, "ending_balance": None, "footer": None,
            "hosted_invoice_url": None, "invoice_pdf": None, "last_finalization_error": None,
            "livemode": False, "metadata": a["metadata"], "next_payment_attempt": None,
            "number": None, "paid": False, "paid_out_of_band": False, "payment_intent": None,
            "period_end": now, "period_start": now, "starting_balance": 0,
            "statement_descriptor": None, "status": "draft",
            "status_transitions": {"finalized_at": None, "marked_uncollectible_at": None,
                                   "paid_at": None, "voided_at": None},
            "subscription": None, "tax": None, "test_clock": None,
            "total_discount_amounts": [], "total_tax_amounts": [],
            "webhooks_delivered_at": now})
        inv["_seq"] = self.next_seq()
        inv["_items"] = []
        self.invoices[iid] = inv
        if cust["currency"] is None:
            cust["currency"] = currency
        if a["pending_invoice_items_behavior"] == "include":
            pending = sorted((it for it in self.items.values()
                              if it["customer"] == cust["id"] and it["invoice"] is None
                              and it["currency"] == currency), key=lambda it: it["_seq"])
            for it in pending:
                it["invoice"] = iid
                inv["_items"].append(it["id"])
        return inv

    def finalize(self, iid, auto_advance, now):
        inv = self.invoice(iid, "id")
        if inv["status"] != "draft":
            raise StripeError(400, MSG_REFINALIZE, code="invoice_not_editable")
        self.invoice_number += 1
        inv["number"] = "%s-%04d" % (self.o.invoice_prefix, self.invoice_number)
        inv["status"] = "open"
        inv["status_transitions"]["finalized_at"] = now
        inv["effective_at"] = now
        inv["ending_balance"] = 0
        token = rand_alnum(40)
        inv["hosted_invoice_url"] = "https://invoice.stripe.com/i/acct_stripesim/test_" + token
        inv["invoice_pdf"] = ("https://pay.stripe.com/invoice/acct_stripesim/test_%s/pdf"
                              % token)
        if auto_advance is not None:
            inv["auto_advance"] = auto_advance
        if self.totals(inv)["amount_due"] == 0:
            # Nothing to collect: Stripe marks the invoice paid on finalization.
            inv.update(status="paid", paid=True, attempted=True, auto_advance=False)
            inv["status_transitions"]["paid_at"] = now
        cust = self.customers.get(inv["customer"])
        if cust is not None:
            cust["next_invoice_sequence"] += 1
        return inv

    def totals(self, inv):
        subtotal = sum(self.items[i]["amount"] for i in inv["_items"])
        due = max(subtotal, 0)
        paid = inv["status"] == "paid"
        return {"amount_due": due, "amount_paid": due if paid else 0,
                "amount_remaining": 0 if paid else due, "amount_shipping": 0,
                "subtotal": subtotal, "subtotal_excluding_tax": subtotal,
                "total": subtotal, "total_excluding_tax": subtotal}

    def render_invoice(self, inv):
        fields = public(inv)
        del fields["id"], fields["object"]
        fields.update(self.totals(inv))
        cust = self.customers.get(inv["customer"], {})
        fields["customer_email"] = cust.get("email")
        fields["customer_name"] = cust.get("name")
        lines = [self.render_line(self.items[i]) for i in inv["_items"]]
        fields["lines"] = {"object": "list", "data": lines[:EMBEDDED_LINES],
                           "has_more": len(lines) > EMBEDDED_LINES, "total_count": len(lines),
                           "url": "/v1/invoices/%s/lines" % inv["id"]}
        return ordered(inv["id"], "invoice", fields)

    # ---- invoice items
    def create_item(self, a, now):
        cust = self.customer(a["customer"], "customer")
        inv = None
        if a["invoice"] is not None:
            inv = self.invoice(a["invoice"], "invoice")
            if inv["customer"] != cust["id"]:
                raise invalid("invoice", "The invoice %s belongs to customer %s, not to %s."
                              % (inv["id"], inv["customer"], cust["id"]))
            if inv["status"] != "draft":
                raise StripeError(400, MSG_NOT_EDITABLE.format(id=inv["id"],
                                                               status=inv["status"]),
                                  code="invoice_not_editable", param="invoice")
            if inv["currency"] != a["currency"]:
                raise invalid("currency", "The currency of the invoice item (%s) must match "
                              "the currency of the invoice %s (%s)."
                              % (a["currency"], inv["id"], inv["currency"]))
        iid = self.new_id("ii_", 24)
        period = a["period"] or {"start": now, "end": now}
        it = ordered(iid, "invoiceitem", {
            "amount": a["amount"], "currency": a["currency"], "customer": cust["id"],
            "date": now, "description": a["description"], "discountable": True,
            "discounts": [], "invoice": inv["id"] if inv else None, "livemode": False,
            "metadata": a["metadata"], "period": {"end": period["end"], "start": period["start"]},
            "plan": None, "price": None, "proration": False, "quantity": a["quantity"],
            "subscription": None, "tax_rates": [], "test_clock": None,
            "unit_amount": a["unit_amount"], "unit_amount_decimal": str(a["unit_amount"])})
        it["_seq"] = self.next_seq()
        it["_line"] = self.new_id("il_", 24)
        self.items[iid] = it
        self.lines[it["_line"]] = iid
        if inv is not None:
            inv["_items"].append(iid)
        if cust["currency"] is None:
            cust["currency"] = a["currency"]
        return it

    def render_line(self, it):
        return ordered(it["_line"], "line_item", {
            "amount": it["amount"], "amount_excluding_tax": it["amount"],
            "currency": it["currency"], "description": it["description"],
            "discount_amounts": [], "discountable": True, "discounts": [],
            "invoice": it["invoice"], "invoice_item": it["id"], "livemode": False,
            "metadata": dict(it["metadata"]),
            "period": dict(it["period"]), "plan": None, "price": None, "proration": False,
            "proration_details": {"credited_items": None}, "quantity": it["quantity"],
            "subscription": None, "tax_amounts": [], "tax_rates": [], "type": "invoiceitem",
            "unit_amount_excluding_tax": it["unit_amount_decimal"]})

    # ---- lists
    @staticmethod
    def page(recs, pg, url, lookup, what, render, oldest_first=False):
        """One page of `recs` (any order in, newest first out unless
        oldest_first) in Stripe's list envelope."""
        recs = sorted(recs, key=lambda r: r["_seq"], reverse=not oldest_first)
        limit, after, before = pg["limit"], pg["after"], pg["before"]
        if after or before:
            cur = lookup(after or before)
            if cur is None:
                raise no_such(what, after or before, "starting_after" if after
                              else "ending_before")
            s = cur["_seq"]
        if after:
            rest = [r for r in recs if (r["_seq"] > s if oldest_first else r["_seq"] < s)]
            data, more = rest[:limit], len(rest) > limit
        elif before:
            rest = [r for r in recs if (r["_seq"] < s if oldest_first else r["_seq"] > s)]
            data, more = rest[-limit:], len(rest) > limit
        else:
            data, more = recs[:limit], len(recs) > limit
        return {"object": "list", "data": [render(r) for r in data], "has_more": more,
                "url": url}


# --------------------------------------------------------------------------
# Endpoints: validate (no lock, errors not remembered) then execute (under the
# lock, errors remembered by idempotent requests).

def v_create_customer(p, _args):
    p.only("name", "email", "description", "metadata")
    return {"name": p.string("name", maxlen=256), "email": p.string("email", maxlen=512),
            "description": p.string("description", maxlen=350), "metadata": p.metadata()}


def x_create_customer(st, a, now):
    c = st.add_customer(st.new_id("cus_", 14), a["name"], a["email"], a["description"],
                        a["metadata"], now)
    return public(c)


def v_get(p, args):
    p.only()
    return {"id": args[0]}


def x_get_customer(st, a, now):
    return public(st.customer(a["id"], "id"))


def v_list_customers(p, _args):
    p.only("email", "limit", "starting_after", "ending_before")
    return {"email": p.string("email"), "page": p.page()}


def x_list_customers(st, a, now):
    recs = [c for c in st.customers.values() if a["email"] in (None, c["email"])]
    return st.page(recs, a["page"], "/v1/customers", st.customers.get, "customer", public)


def v_create_invoice(p, _args):
    p.only("customer", "auto_advance", "collection_method", "days_until_due", "currency",
           "description", "pending_invoice_items_behavior", "metadata")
    a = {"customer": p.string("customer", required=True),
         "auto_advance": p.boolean("auto_advance"),
         "collection_method": p.enum("collection_method", COLLECTION) or "charge_automatically",
         "days_until_due": p.integer("days_until_due", lo=0, hi=36500),
         "currency": p.currency(),
         "description": p.string("description", maxlen=1500),
         "pending_invoice_items_behavior": p.enum("pending_invoice_items_behavior", PENDING)
         or "exclude",
         "metadata": p.metadata()}
    if a["collection_method"] == "send_invoice":
        if a["days_until_due"] is None:
            raise missing("days_until_due")
    elif a["days_until_due"] is not None:
        raise invalid("days_until_due", "You can only set `days_until_due` when "
                      "`collection_method` is `send_invoice`.")
    return a


def x_create_invoice(st, a, now):
    return st.render_invoice(st.create_invoice(a, now))


def x_get_invoice(st, a, now):
    return st.render_invoice(st.invoice(a["id"], "id"))


def v_list_invoices(p, _args):
    p.only("customer", "status", "collection_method", "limit", "starting_after",
           "ending_before")
    return {"customer": p.string("customer"), "status": p.enum("status", INVOICE_STATUSES),
            "collection_method": p.enum("collection_method", COLLECTION), "page": p.page()}


def x_list_invoices(st, a, now):
    recs = [i for i in st.invoices.values()
            if a["customer"] in (None, i["customer"]) and a["status"] in (None, i["status"])
            and a["collection_method"] in (None, i["collection_method"])]
    return st.page(recs, a["page"], "/v1/invoices", st.invoices.get, "invoice",
                   st.render_invoice)


def v_list_lines(p, args):
    p.only("limit", "starting_after", "ending_before")
    return {"id": args[0], "page": p.page()}


def x_list_lines(st, a, now):
    inv = st.invoice(a["id"], "id")
    recs = [st.items[i] for i in inv["_items"]]

    def lookup(lid):
        iid = st.lines.get(lid)
        return st.items[iid] if iid in inv["_items"] else None
    return st.page(recs, a["page"], "/v1/invoices/%s/lines" % inv["id"], lookup,
                   "line item", st.render_line, oldest_first=True)


def v_finalize(p, args):
    p.only("auto_advance")
    return {"id": args[0], "auto_advance": p.boolean("auto_advance")}


def x_finalize(st, a, now):
    return st.render_invoice(st.finalize(a["id"], a["auto_advance"], now))


def v_create_item(p, _args):
    p.only("customer", "amount", "unit_amount", "quantity", "currency", "description",
           "invoice", "period", "metadata")
    a = {"customer": p.string("customer", required=True),
         "currency": p.currency(required=True),
         "description": p.string("description", maxlen=500),
         "invoice": p.string("invoice"), "metadata": p.metadata()}
    amount = p.integer("amount", lo=-MAX_AMOUNT, hi=MAX_AMOUNT)
    unit = p.integer("unit_amount", lo=-MAX_AMOUNT, hi=MAX_AMOUNT)
    qty = p.integer("quantity", lo=0, hi=MAX_AMOUNT)
    if amount is not None and unit is not None:
        raise invalid("unit_amount", "You may only specify one of these parameters: amount, "
                      "unit_amount.", "parameters_exclusive")
    if amount is None and unit is None:
        raise missing("amount")
    if amount is not None:
        if qty not in (None, 1):
            raise invalid("quantity", "When `amount` is set, `quantity` must be 1; use "
                          "`unit_amount` and `quantity` to bill several units.")
        a.update(amount=amount, unit_amount=amount, quantity=1)
    else:
        qty = 1 if qty is None else qty
        if abs(unit * qty) > MAX_AMOUNT:
            raise invalid("unit_amount", "The total amount (unit_amount * quantity = %d) "
                          "must be no more than %d in absolute value." % (unit * qty, MAX_AMOUNT),
                          "amount_too_large")
        a.update(amount=unit * qty, unit_amount=unit, quantity=qty)
    period = p.hash("period", ("start", "end"))
    if period is not None:
        a["period"] = {
            "start": p.integer("period[start]", required=True, value=period.get("start")),
            "end": p.integer("period[end]", required=True, value=period.get("end"))}
    else:
        a["period"] = None
    return a


def x_create_item(st, a, now):
    return public(st.create_item(a, now))


def x_get_item(st, a, now):
    it = st.items.get(a["id"])
    if it is None:
        raise no_such("invoiceitem", a["id"], "id", 404)
    return public(it)


def v_list_items(p, _args):
    p.only("customer", "invoice", "pending", "limit", "starting_after", "ending_before")
    return {"customer": p.string("customer"), "invoice": p.string("invoice"),
            "pending": p.boolean("pending"), "page": p.page()}


def x_list_items(st, a, now):
    recs = [it for it in st.items.values()
            if a["customer"] in (None, it["customer"]) and a["invoice"] in (None, it["invoice"])
            and (a["pending"] is None or a["pending"] == (it["invoice"] is None))]
    return st.page(recs, a["page"], "/v1/invoiceitems", st.items.get, "invoiceitem", public)


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern
    name: str                  # counted under this name, e.g. "POST /v1/invoices/:id/finalize"
    validate: object
    execute: object
    mutates: bool


def _route(method, path, validate, execute):
    rx = re.compile("^" + path.replace(":id", "([^/]+)") + "$")
    return Route(method, rx, "%s %s" % (method, path), validate, execute, method == "POST")


ROUTES = (
    _route("POST", "/v1/customers", v_create_customer, x_create_customer),
    _route("GET", "/v1/customers", v_list_customers, x_list_customers),
    _route("GET", "/v1/customers/:id", v_get, x_get_customer),
    _route("POST", "/v1/invoices", v_create_invoice, x_create_invoice),
    _route("GET", "/v1/invoices", v_list_invoices, x_list_invoices),
    _route("GET", "/v1/invoices/:id", v_get, x_get_invoice),
    _route("GET", "/v1/invoices/:id/lines", v_list_lines, x_list_lines),
    _route("POST", "/v1/invoices/:id/finalize", v_finalize, x_finalize),
    _route("POST", "/v1/invoiceitems", v_create_item, x_create_item),
    _route("GET", "/v1/invoiceitems", v_list_items, x_list_items),
    _route("GET", "/v1/invoiceitems/:id", v_get, x_get_item),
)


def resolve(method, path):
    """(route, path arguments) or None."""
    for r in ROUTES:
        if r.method == method:
            m = r.pattern.match(path)
            if m:
                return r, tuple(unquote(g) for g in m.groups())
    return None


# --------------------------------------------------------------------------
# Live knobs

@dataclass(frozen=True)
class Config:
    latency_ms: int = 0
    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_drop: float = 0.0
    drop_after_commit: float = 0.0
    fail_path: str | None = None
    down: str | None = None
    rate_limit: int = 0
    store_500: bool = True
    next_faults: tuple = ()

    def as_json(self):
        d = dataclasses.asdict(self)
        d["next_faults"] = list(self.next_faults)
        return d

    def updated(self, body):
        """A new Config with the knobs in `body` replaced; ValueError if invalid."""
        if not isinstance(body, dict):
            raise ValueError("body must be a JSON object")
        known = {f.name for f in dataclasses.fields(self)}
        bad = sorted(set(body) - known)
        if bad:
            raise ValueError("unknown knob(s): %s" % ", ".join(bad))
        new = dataclasses.replace(self, **{k: check_knob(k, v) for k, v in body.items()})
        if new.rate_429 + new.rate_500 + new.rate_drop + new.drop_after_commit > 1:
            raise ValueError("rate_429 + rate_500 + rate_drop + drop_after_commit must not "
                             "exceed 1")
        return new

    @property
    def fail_re(self):
        return _compiled(self.fail_path)


_RE_CACHE = {}


def _compiled(rx):
    if rx is None:
        return None
    if rx not in _RE_CACHE:
        _RE_CACHE[rx] = re.compile(rx)
    return _RE_CACHE[rx]


def check_knob(name, v):
    def num(lo, hi, integer):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or (integer and v != int(v)):
            raise ValueError("%s: expected a number" % name)
        if not lo <= v <= hi:
            raise ValueError("%s: must be in %s..%s" % (name, lo, hi))
        return int(v) if integer else float(v)
    if name == "latency_ms":
        return num(0, 600000, True)
    if name == "rate_limit":
        return num(0, 1000000, True)
    if name.startswith("rate_") or name == "drop_after_commit":
        return num(0, 1, False)
    if name == "store_500":
        if not isinstance(v, bool):
            raise ValueError("store_500: expected true or false")
        return v
    if name == "fail_path":
        if v is None or v == "":
            return None
        if not isinstance(v, str):
            raise ValueError("fail_path: expected a regular expression or null")
        try:
            _compiled(v)
        except re.error as e:
            raise ValueError("fail_path: %s" % e)
        return v
    if name == "down":
        if v in (None, False, "", "off"):
            return None
        if v is True:
            return "503"
        if v not in DOWN_MODES:
            raise ValueError("down: expected null, \"503\" or \"refuse\"")
        return v
    if not isinstance(v, list) or any(f not in FAULT_NAMES for f in v):
        raise ValueError("next_faults: expected a list of %s" % ", ".join(FAULT_NAMES))
    return tuple(v)


def atomic_write(path, data: bytes):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


# --------------------------------------------------------------------------
# The simulator

@dataclass
class Stored:
    """One idempotency key: in flight, or the answer to replay."""
    path: str
    params: str
    created: float
    in_flight: bool = True
    status: int = 0
    body: bytes = b""
    request_id: str = ""
    version: str = ""

    def as_json(self):
        return {"path": self.path, "params": self.params, "created": self.created,
                "status": self.status, "body": self.body.decode("utf-8"),
                "request_id": self.request_id, "version": self.version}


class Sim:
    """The account, the idempotency store, the knobs, counters and logs, all
    behind one lock."""

    def __init__(self, o):
        self.o = o
        self.lock = threading.Lock()
        self.store = Store(o)
        self.idem = {}                      # api key -> {idempotency key -> Stored}
        self.cfg = Config(o.latency_ms, o.rate_429, o.rate_500, o.rate_drop,
                          o.drop_after_commit, o.fail_path, o.down, o.rate_limit,
                          o.store_500, ())
        self.rng = random.Random("%d:faults" % o.seed)
        self.counts = {}
        self.reqlog = collections.deque(maxlen=MAX_LOG)
        self.log_seq = 0
        self.windows = {}
        self.access = open(o.log, "a", encoding="utf-8", buffering=1) if o.log else None
        if o.state_file and os.path.exists(o.state_file):
            self.load_state()

    # ---- persistence (caller holds the lock, except at start)
    def load_state(self):
        with open(self.o.state_file, "rb") as f:
            d = json.loads(f.read() or b"{}")
        if d.get("format") != STATE_FORMAT:
            raise ValueError("%s: not a stripesim state file" % self.o.state_file)
        self.store.load_json(d)
        for api_key, keys in d.get("idempotency", {}).items():
            self.idem[api_key] = {
                k: Stored(e["path"], e["params"], e["created"], False, e["status"],
                          e["body"].encode("utf-8"), e["request_id"], e["version"])
                for k, e in keys.items()}

    def save_state(self):
        if not self.o.state_file:
            return
        d = {"format": STATE_FORMAT}
        d.update(self.store.to_json())
        d["idempotency"] = {ak: {k: e.as_json() for k, e in keys.items() if not e.in_flight}
                            for ak, keys in self.idem.items()}
        atomic_write(self.o.state_file, dumps(d) + b"\n")

    # ---- knobs and faults
    def configure(self, body):
        with self.lock:
            self.cfg = self.cfg.updated(body)
            return self.cfg

    def draw_fault(self):
        """None or one of "429", "500", "drop", "drop_after_commit"."""
        with self.lock:
            cfg = self.cfg
            if cfg.next_faults:
                f = cfg.next_faults[0]
                self.cfg = dataclasses.replace(cfg, next_faults=cfg.next_faults[1:])
                return None if f == "none" else f
            r = self.rng.random()
        for kind, rate in (("drop", cfg.rate_drop), ("429", cfg.rate_429),
                           ("500", cfg.rate_500), ("drop_after_commit", cfg.drop_after_commit)):
            if r < rate:
                return kind
            r -= rate
        return None

    def rate_limited(self, api_key, limit):
        now = time.monotonic()
        with self.lock:
            w = self.windows.setdefault(api_key, collections.deque())
            while w and w[0] <= now - 1.0:
                w.popleft()
            if len(w) >= limit:
                return True
            w.append(now)
            return False

    # ---- idempotency
    def _keys(self, api_key):
        keys = self.idem.setdefault(api_key, {})
        ttl = self.o.idempotency_ttl
        if ttl and keys:
            old = time.time() - ttl
            for k in [k for k, e in keys.items() if not e.in_flight and e.created < old]:
                del keys[k]
        return keys

    def claim(self, api_key, key, path, params):
        """None when the key is now claimed for this request, or the Stored
        answer to replay; raises the idempotency errors."""
        with self.lock:
            keys = self._keys(api_key)
            e = keys.get(key)
            if e is None:
                keys[key] = Stored(path, params, time.time())
                return None
            if e.in_flight:
                raise StripeError(409, MSG_IDEM_IN_USE.format(key=key), "idempotency_error",
                                  "idempotency_key_in_use",
                                  headers=[("Stripe-Should-Retry", "true")])
            if e.path != path:
                raise StripeError(400, MSG_IDEM_PATH.format(new=path, old=e.path, key=key),
                                  "idempotency_error")
            if e.params != params:
                raise StripeError(400, MSG_IDEM_PARAMS.format(key=key), "idempotency_error")
            return e

    def _settle(self, api_key, key, status, body, rid, version):
        e = self.idem.get(api_key, {}).get(key)
        if e is None:           # forgotten while in flight
            e = self.idem.setdefault(api_key, {})[key] = Stored("", "", time.time())
        e.in_flight, e.status, e.body, e.request_id, e.version = False, status, body, rid, version

    def settle(self, api_key, key, status, body, rid, version):
        with self.lock:
            self._settle(api_key, key, status, body, rid, version)
            self.save_state()

    def release(self, api_key, key):
        with self.lock:
            keys = self.idem.get(api_key, {})
            if key in keys and keys[key].in_flight:
                del keys[key]

    def forget(self, body):
        key = body.get("key") if isinstance(body, dict) else None
        with self.lock:
            n = 0
            for keys in self.idem.values():
                for k in [k for k, e in keys.items()
                          if not e.in_flight and (key is None or k == key)]:
                    del keys[k]
                    n += 1
            self.save_state()
            return {"forgotten": n}

    # ---- execution
    def execute(self, route, args, api_key, key, rid, version):
        """Runs one endpoint under the lock; (status, body, object id).  The
        answer of an idempotent request is stored in the same critical section."""
        with self.lock:
            try:
                obj = route.execute(self.store, args, int(time.time()))
                status, body, oid = 200, stripe_dumps(obj), obj.get("id")
            except StripeError as e:
                status, body, oid = e.status, e.body(rid), None
                err = e
            else:
                err = None
            if key is not None:
                self._settle(api_key, key, status, body, rid, version)
            if route.mutates and (err is None or key is not None):
                self.save_state()
        return status, body, oid, err

    # ---- counters and logs
    def log_begin(self, method, path, query, idem_key, version, api_key):
        with self.lock:
            self.log_seq += 1
            rec = {"seq": self.log_seq, "time": round(time.time(), 3), "method": method,
                   "path": path, "query": query, "params": None, "idempotency_key": idem_key,
                   "stripe_version": version, "api_key": api_key, "route": None,
                   "status": None, "replayed": False, "executed": False, "fault": None,
                   "request_id": None, "object_id": None}
            self.reqlog.append(rec)
            return rec

    def log_end(self, rec, status, t0):
        """`status` is an int, or "dropped" / "reset" for no answer."""
        with self.lock:
            if isinstance(status, int):
                rec["status"] = status
            name = rec["route"] or "%s %s" % (rec["method"], rec["path"])
            c = self.counts.setdefault(name, {})
            k = str(status)
            c[k] = c.get(k, 0) + 1
            line = None
            if self.access is not None:
                now = time.time()
                line = "%s.%03dZ %s %s %s %.1f key=%s%s%s\n" % (
                    time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)),
                    int(now * 1000) % 1000, rec["method"], rec["path"], status,
                    (time.monotonic() - t0) * 1000, rec["idempotency_key"] or "-",
                    " replayed" if rec["replayed"] else "",
                    " fault=" + rec["fault"] if rec["fault"] else "")
                self.access.write(line)

    def state(self):
        """The whole account as JSON bytes (serialised under the lock)."""
        with self.lock:
            st = self.store
            inv = sorted(st.invoices.values(), key=lambda r: r["_seq"])
            return dumps({"customers": [public(c) for c in sorted(st.customers.values(),
                                                            key=lambda r: r["_seq"])],
                    "invoices": [st.render_invoice(i) for i in inv],
                    "invoiceitems": [public(i) for i in sorted(st.items.values(),
                                                               key=lambda r: r["_seq"])],
                    "counts": copy.deepcopy(self.counts),
                    "requests": self.log_seq,
                    "idempotency_keys": sum(len(k) for k in self.idem.values()),
                    "config": self.cfg.as_json()})

    def log_since(self, since):
        with self.lock:
            return dumps({"requests": [r for r in self.reqlog if r["seq"] > since]})

    def reset(self):
        with self.lock:
            self.store.clear()
            self.idem.clear()
            self.counts.clear()
            self.reqlog.clear()
            self.log_seq = 0
            self.windows.clear()
            self.save_state()

    def preload(self, body):
        objs = body if isinstance(body, list) else [body]
        checked = []
        for c in objs:
            if not isinstance(c, dict):
                raise ValueError("a customer must be a JSON object")
            bad = sorted(set(c) - {"id", "name", "email", "description", "metadata"})
            if bad:
                raise ValueError("unknown customer field(s): %s" % ", ".join(bad))
            cid = c.get("id")
            if cid is not None and (not isinstance(cid, str) or not ID_RE.match(cid)):
                raise ValueError("id: 3..255 letters, digits or '_'")
            md = c.get("metadata", {})
            if not isinstance(md, dict) or any(not isinstance(v, str) for v in md.values()):
                raise ValueError("metadata: an object of strings")
            for f in ("name", "email", "description"):
                if c.get(f) is not None and not isinstance(c[f], str):
                    raise ValueError("%s: a string or null" % f)
            checked.append(c)
        with self.lock:
            out = []
            for c in checked:
                cid = c.get("id") or self.store.new_id("cus_", 14)
                out.append(public(self.store.add_customer(
                    cid, c.get("name"), c.get("email"), c.get("description"),
                    dict(c.get("metadata", {})), int(time.time()))))
            self.save_state()
        return out if isinstance(body, list) else out[0]

    def close(self):
        with self.lock:
            self.save_state()
            if self.access:
                self.access.close()
                self.access = None

    # ---- auth
    def check_auth(self, header):
        """The API key of the request; raises the 401s Stripe gives."""
        key = None
        if header:
            scheme, _, cred = header.strip().partition(" ")
            cred = cred.strip()
            if scheme.lower() == "bearer" and cred:
                key = cred
            elif scheme.lower() == "basic" and cred:
                try:
                    key = base64.b64decode(cred, validate=True).decode("utf-8").partition(":")[0]
                except (binascii.Error, UnicodeDecodeError):
                    key = None
        hdr = [("WWW-Authenticate", 'Basic realm="Stripe"')]
        if not key:
            raise StripeError(401, MSG_NO_KEY, headers=hdr)
        if key not in self.o.api_key:
            raise StripeError(401, MSG_BAD_KEY.format(masked=mask_key(key)), headers=hdr)
        return key


# --------------------------------------------------------------------------
# HTTP

REASONS = {s.value: s.phrase for s in HTTPStatus}


class Dropped(Exception):
    """The connection is closed without an answer."""

    def __init__(self, how):
        super().__init__(how)
        self.how = how


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "stripesim"
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
        path, _, qs = self.path.partition("?")
        if path.startswith("/_stripe/"):
            body = self.read_body()
            if body is None:
                return self.reply(400, dumps({"error": {"message": "Bad request body."}}),
                                  method)
            return self.control(sim, method, path, qs, body)
        if sim.cfg.down == "refuse" and path.startswith("/v1"):
            rec = sim.log_begin(method, path, qs, None, None, None)
            rec["fault"] = "down"
            self.reset_connection()
            return sim.log_end(rec, "reset", t0)
        body = self.read_body()
        if path == "/v1" or path.startswith("/v1/"):
            return self.v1(sim, method, path, qs, body, t0)
        rid = new_request_id()
        err = StripeError(404, MSG_URL.format(method=method, path=path))
        return self.reply(404, err.body(rid), method, self.std_headers(rid, None))

    # ---- body and wire
    def read_body(self):
        """The request body; None (and the connection is closed) if unreadable."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self.read_chunked()
        raw = self.headers.get("Content-Length")
        if not raw:
            return b""
        try:
            n = int(raw)
            if not 0 <= n <= MAX_BODY:
                raise ValueError
        except ValueError:
            self.close_connection = True
            return None
        return self.rfile.read(n)

    def read_chunked(self):
        out = []
        total = 0
        try:
            while True:
                size = int(self.rfile.readline(64).split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline(8192) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(out)
                total += size
                if total > MAX_BODY:
                    raise ValueError
                out.append(self.rfile.read(size))
                self.rfile.readline(8)
        except ValueError:
            self.close_connection = True
            return None

    def std_headers(self, rid, version):
        if version is None or not VERSION_RE.match(version):
            version = self.server.sim.o.api_version
        return [("Request-Id", rid), ("Stripe-Version", version),
                ("Cache-Control", "no-cache, no-store")]

    def answer(self, rec, t0, status, body, method, headers=()):
        """Logs and counts the request, then replies: a client that has its
        answer always finds the request in /_stripe/log and the counts."""
        self.server.sim.log_end(rec, status, t0)
        return self.reply(status, body, method, headers)

    def reply(self, status, body, method, headers=()):
        """Writes one whole response with a single write; returns status."""
        head = ["HTTP/1.1 %d %s\r\nServer: stripesim\r\nContent-Type: application/json\r\n"
                "Content-Length: %d\r\n" % (status, REASONS.get(status, ""), len(body))]
        head.extend("%s: %s\r\n" % h for h in headers)
        if self.close_connection:
            head.append("Connection: close\r\n")
        head.append("\r\n")
        data = "".join(head).encode("latin-1")
        self.wfile.write(data if method == "HEAD" else data + body)
        return status

    def reset_connection(self):
        """Closes the connection with a TCP reset, as a dead load balancer would."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    # ---- /v1
    def v1(self, sim, method, path, qs, body, t0):
        rid = new_request_id()
        version = self.headers.get("Stripe-Version")
        idem = self.headers.get("Idempotency-Key")
        idem = idem if idem not in (None, "") else None
        rec = sim.log_begin(method, path, qs, idem, version, None)
        rec["request_id"] = rid
        cfg = sim.cfg
        fail_re = cfg.fail_re
        faulty = fail_re is None or bool(fail_re.search(path))
        slept = [False]

        def delay():
            if not slept[0]:
                slept[0] = True
                if faulty and cfg.latency_ms:
                    time.sleep(cfg.latency_ms / 1000.0)

        api_key = claimed = None
        try:
            try:
                if cfg.down == "503":
                    rec["fault"] = "down"
                    raise StripeError(503, MSG_503, "api_error",
                                      headers=[("Stripe-Should-Retry", "true")])
                if body is None:
                    raise StripeError(400, "Invalid request: unreadable body.")
                api_key = sim.check_auth(self.headers.get("Authorization"))
                rec["api_key"] = mask_key(api_key)
                fault = sim.draw_fault() if faulty else None
                rec["fault"] = fault
                if fault == "drop":
                    raise Dropped("dropped")
                if fault == "429" or (cfg.rate_limit and sim.rate_limited(api_key,
                                                                          cfg.rate_limit)):
                    rec["fault"] = rec["fault"] or "rate_limit"
                    raise StripeError(429, MSG_RATE, code="rate_limit")
                if version is not None and not VERSION_RE.match(version):
                    raise StripeError(400, "Invalid Stripe API version: %s" % version)
                hit = resolve(method, path)
                if hit is None:
                    raise StripeError(404, MSG_URL.format(method=method, path=path))
                route, args = hit
                rec["route"] = route.name
                if method == "POST" and idem is not None and len(idem) > MAX_IDEMPOTENCY_KEY:
                    raise StripeError(400, MSG_IDEM_LONG.format(n=len(idem)))
                params = Params(self.parse_params(method, qs, body))
                rec["params"] = params.d
                a = route.validate(params, args)
                if method == "POST" and idem is not None:
                    canon = json.dumps(params.d, sort_keys=True, ensure_ascii=False)
                    stored = sim.claim(api_key, idem, path, canon)
                    if stored is not None:
                        rec["replayed"] = True
                        delay()
                        headers = self.std_headers(rid, stored.version) + [
                            ("Idempotency-Key", idem), ("Idempotent-Replayed", "true"),
                            ("Original-Request", stored.request_id)]
                        return self.answer(rec, t0, stored.status, stored.body, method, headers)
                    claimed = idem
                delay()
                if fault == "500":
                    # Stripe-Should-Retry says whether trying again can help:
                    # not when the 500 is stored and would be replayed.
                    stored500 = bool(claimed and cfg.store_500)
                    err = StripeError(500, MSG_500, "api_error", headers=[
                        ("Stripe-Should-Retry", "false" if stored500 else "true")])
                    if stored500:
                        sim.settle(api_key, claimed, 500, err.body(rid), rid,
                                   version or sim.o.api_version)
                        claimed = None
                    raise err
                status, out, oid, err = sim.execute(route, a, api_key, claimed, rid,
                                                    version or sim.o.api_version)
                claimed = None
                rec["executed"] = True
                rec["object_id"] = oid
                if fault == "drop_after_commit":
                    raise Dropped("dropped")
                headers = self.std_headers(rid, version)
                if idem is not None and method == "POST":
                    headers.append(("Idempotency-Key", idem))
                if err is not None:
                    headers.extend(err.headers)
                return self.answer(rec, t0, status, out, method, headers)
            except StripeError as e:
                if claimed:
                    sim.release(api_key, claimed)
                    claimed = None
                delay()
                headers = self.std_headers(rid, version) + list(e.headers)
                if idem is not None and method == "POST":
                    headers.append(("Idempotency-Key", idem))
                return self.answer(rec, t0, e.status, e.body(rid), method, headers)
        except Dropped as d:
            if claimed:
                sim.release(api_key, claimed)
            delay()
            self.close_connection = True
            return sim.log_end(rec, d.how, t0)
        except Exception:  # noqa: BLE001 - a simulator bug must not leave a key in flight
            if claimed:
                sim.release(api_key, claimed)
            traceback.print_exc()
            err = StripeError(500, MSG_500, "api_error")
            return self.answer(rec, t0, 500, err.body(rid), method,
                               self.std_headers(rid, version))

    def parse_params(self, method, qs, body):
        if method != "POST":
            return parse_form(qs)
        ctype = self.headers.get("Content-Type")
        if ctype is None and not body:
            return {}
        media = (ctype or "").split(";")[0].strip().lower()
        if media != "application/x-www-form-urlencoded":
            raise StripeError(400, MSG_CTYPE.format(ctype=ctype or "(none)"))
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise StripeError(400, "Invalid request: the parameters are not valid UTF-8.")
        return parse_form(text)

    # ---- control paths
    def control(self, sim, method, path, qs, body):
        routes = {"/_stripe/state": ("GET",), "/_stripe/config": ("GET", "POST"),
                  "/_stripe/forget-idempotency": ("POST",), "/_stripe/reset": ("POST",),
                  "/_stripe/customers": ("POST",), "/_stripe/log": ("GET",)}
        path = path.rstrip("/")
        if path not in routes:
            return self.reply(404, dumps({"error": {"message": "Unknown control path %s"
                                                    % path}}), method)
        if method not in routes[path]:
            return self.reply(405, dumps({"error": {"message": "Method %s not allowed for %s."
                                                    % (method, path)}}), method,
                              [("Allow", ", ".join(routes[path]))])
        try:
            return self.reply(200, self.control_body(sim, method, path, qs, body), method)
        except (ValueError, TypeError) as e:
            return self.reply(400, dumps({"error": {"message": str(e)}}), method)

    @staticmethod
    def control_body(sim, method, path, qs, body):
        if path == "/_stripe/state":
            return sim.state()
        if path == "/_stripe/log":
            q = dict(parse_qsl(qs))
            since = int(q.get("since", "0"))
            return sim.log_since(since)
        data = json.loads(body or b"{}")
        if path == "/_stripe/config":
            return dumps((sim.configure(data) if method == "POST" else sim.cfg).as_json())
        if path == "/_stripe/forget-idempotency":
            return dumps(sim.forget(data))
        if path == "/_stripe/reset":
            sim.reset()
            return dumps({"reset": True})
        return dumps(sim.preload(data))


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    allow_reuse_address = True

    def __init__(self, addr, sim):
        self.sim = sim
        super().__init__(addr, Handler)

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError, OSError)):
            return
        super().handle_error(request, client_address)


# --------------------------------------------------------------------------
# Command line

def count(v):
    n = int(v)
    if n < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return n


def fraction(v):
    f = float(v)
    if not 0 <= f <= 1:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return f


def api_key(v):
    if len(v) < 8 or any(c.isspace() or not c.isprintable() or c == ":" for c in v):
        raise argparse.ArgumentTypeError("must be at least 8 printable characters, no spaces "
                                         "or ':'")
    return v


def regex(v):
    try:
        re.compile(v)
    except re.error as e:
        raise argparse.ArgumentTypeError("bad regular expression: %s" % e)
    return v


def parse_args(argv=None):
    ap = argparse.ArgumentParser(
        prog="stripesim.py",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Stripe API test server: customers, invoices, invoice items and "
                    "finalization with Stripe's shapes, errors and idempotency, and fault "
                    "injection.",
        epilog="""\
Endpoints (auth: Bearer KEY, or Basic with KEY as the user name):
  POST /v1/customers                 name, email, description, metadata[k]
  GET  /v1/customers[/ID]            list: email, limit, starting_after, ending_before
  POST /v1/invoices                  customer*, auto_advance, collection_method,
                                     days_until_due (send_invoice), currency, description,
                                     pending_invoice_items_behavior (exclude|include),
                                     metadata[k]
  GET  /v1/invoices[/ID]             list: customer, status, collection_method, paging
  GET  /v1/invoices/ID/lines         paging
  POST /v1/invoices/ID/finalize      auto_advance
  POST /v1/invoiceitems              customer*, currency*, amount | unit_amount[+quantity],
                                     description, invoice, period[start], period[end],
                                     metadata[k]
  GET  /v1/invoiceitems[/ID]         list: customer, invoice, pending, paging

Idempotency-Key (POST, <= 255 chars, per API key): same path and parameters replay
the stored answer (Idempotent-Replayed: true); other parameters -> 400
idempotency_error; still running -> 409 idempotency_key_in_use.  Not stored: 401,
429, 409, 503, validation 400s, dropped requests.  Stored: results and errors of
execution, and 500s unless --no-store-500.

Faults are drawn per /v1 request (matching --fail-path, if given) from one random
number: drop, then 429, then 500, then drop-after-commit; their rates must not sum
over 1.  Latency applies to every matching request.

Control paths (no auth, never faulted):
  GET  /_stripe/state                customers, invoices, items, counts per route/status
  GET|POST /_stripe/config           knobs: latency_ms, rate_429, rate_500, rate_drop,
                                     drop_after_commit, fail_path, down (null|"503"|
                                     "refuse"), rate_limit, store_500, next_faults (list of
                                     "none","429","500","drop","drop_after_commit", used one
                                     per matching request before any random draw)
  POST /_stripe/forget-idempotency   {} forgets every stored key, {"key": K} one key
  POST /_stripe/reset                empties customers, invoices, items, keys, log, counts
  POST /_stripe/customers            {"id":"cus_x","name":..,"email":..,"description":..,
                                     "metadata":{..}} or a list; upserts
  GET  /_stripe/log[?since=N]        every /v1 request: method, path, params,
                                     idempotency_key, status, replayed, executed, fault

Prints 'stripesim listening on HOST:PORT' once ready; SIGTERM/SIGINT exit 0; bad
arguments exit 2.""")
    a = ap.add_argument
    a("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    a("--port", type=int, default=0, help="port, 0 = pick a free one (default 0)")
    a("--port-file", metavar="F", help="write the chosen port to F (atomically) once listening")
    a("--api-key", action="append", type=api_key, metavar="KEY",
      help="accepted secret key, repeatable; idempotency keys are scoped per API key "
           "(default %s)" % DEFAULT_API_KEY)
    a("--api-version", default=DEFAULT_API_VERSION, metavar="V",
      help="Stripe-Version answered when the request sends none (default %s)"
           % DEFAULT_API_VERSION)
    a("--invoice-prefix", default="ORG", metavar="P",
      help="invoice numbers are P-0001, P-0002, ... account-wide (default ORG)")
    a("--default-currency", default="usd", choices=CURRENCIES, metavar="CUR",
      help="currency of an invoice created without one for a customer without one "
           "(default usd)")
    a("--seed", type=int, default=1, help="seed of the fault draws (default 1)")
    a("--idempotency-ttl", type=count, default=86400, metavar="S",
      help="stored idempotency keys are pruned after S seconds, 0 = never (default 86400)")
    a("--state-file", metavar="F",
      help="load state from F if it exists and rewrite it (atomically) after every change")
    a("--log", metavar="F", help="access log: time method path status ms key= [replayed] "
                                "[fault=]")
    f = ap.add_argument_group("faults (/v1 paths only; live through POST /_stripe/config)")
    f.add_argument("--latency-ms", type=count, default=0, help="delay per response (default 0)")
    f.add_argument("--rate-429", type=fraction, default=0.0,
                   help="fraction answered 429 rate_limit (not executed, not stored)")
    f.add_argument("--rate-500", type=fraction, default=0.0,
                   help="fraction answered 500 api_error (not executed; stored for the key)")
    f.add_argument("--rate-drop", type=fraction, default=0.0,
                   help="fraction closed without an answer BEFORE executing")
    f.add_argument("--drop-after-commit", type=fraction, default=0.0, metavar="F",
                   help="fraction executed (and stored for the key), then closed without an "
                        "answer")
    f.add_argument("--fail-path", type=regex, metavar="REGEX",
                   help="only paths matching REGEX (re.search) get faults and latency")
    f.add_argument("--down", choices=DOWN_MODES,
                   help="503 = every /v1 request answers 503; refuse = every /v1 connection "
                        "is reset")
    f.add_argument("--rate-limit", type=count, default=0, metavar="N",
                   help="more than N requests per second per API key answer 429 (0 = off)")
    f.add_argument("--no-store-500", dest="store_500", action="store_false",
                   help="a 500 is not remembered: a retry with the same key executes")
    o = ap.parse_args(argv)
    if not 0 <= o.port <= 65535:
        ap.error("--port must be in 0..65535")
    if o.rate_429 + o.rate_500 + o.rate_drop + o.drop_after_commit > 1:
        ap.error("--rate-429 + --rate-500 + --rate-drop + --drop-after-commit must not "
                 "exceed 1")
    if not VERSION_RE.match(o.api_version):
        ap.error("--api-version must look like 2024-06-20")
    if not re.match(r"^[A-Z0-9]{1,12}$", o.invoice_prefix):
        ap.error("--invoice-prefix must be 1..12 upper-case letters or digits")
    o.api_key = list(dict.fromkeys(o.api_key or [DEFAULT_API_KEY]))
    return o


def main(argv=None):
    o = parse_args(argv)
    try:
        sim = Sim(o)
    except (OSError, ValueError, KeyError, TypeError) as e:
        print("stripesim: cannot start: %s" % e, file=sys.stderr)
        return 2
    server = Server((o.host, o.port), sim)
    port = server.server_address[1]
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                     daemon=True).start()
    if o.port_file:
        atomic_write(o.port_file, b"%d\n" % port)
    print("stripesim listening on %s:%d" % (o.host, port), flush=True)
    while not stop.wait(0.5):
        pass
    server.shutdown()
    server.server_close()
    sim.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
