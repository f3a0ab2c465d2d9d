#!/usr/bin/env python3
"""Self-test of the Stripe test server (tests/stripe/stripesim.py).

Starts servers as subprocesses on free ports (read from --port-file) and checks
them over HTTP with urllib (http.client where a raw connection is needed):
authentication, content types, parameter errors, the customer -> draft invoice
-> items -> finalize life cycle and its refusals, pending items, list paging,
idempotency (replay, mismatch, in flight, what is and is not remembered,
scoping, forgetting, expiry), every fault knob, drop-after-commit, state
persistence, the request log, counts, signals and argument errors.  Prints TAP
via tests/lib/tap.py.

Run: python3 tests/stripe/test_stripesim.py   (ORGAUDIT_TEST_FILTER=name runs a subset)
"""
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "lib"))
from tap import run, test  # noqa: E402

SIM = REPO / "tests" / "stripe" / "stripesim.py"
KEY = "sk_test_orgaudit"
KEY2 = "sk_test_secondaccountkey"
TMP = tempfile.mkdtemp(prefix="stripesim-test-")
ERROR_KEYS = {"code", "doc_url", "message", "param", "request_log_url", "type"}

# --------------------------------------------------------------------------
# Harness


class Dropped(Exception):
    """The server closed the connection without an answer."""


class Resp:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    @property
    def json(self):
        return json.loads(self.body)

    def header(self, name):
        return self.headers.get(name)


class Stripe:
    """One server subprocess."""

    def __init__(self, name, *args):
        self.name = name
        self.port_file = os.path.join(TMP, name + ".port")
        self.log_file = os.path.join(TMP, name + ".log")
        for f in (self.port_file, self.log_file):
            if os.path.exists(f):
                os.unlink(f)
        cmd = [sys.executable, str(SIM), "--port", "0", "--port-file", self.port_file,
               "--log", self.log_file]
        self.proc = subprocess.Popen(cmd + list(args), stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        try:
            self._wait_ready()
        except BaseException:
            self.proc.kill()
            self.stop()
            raise

    def _wait_ready(self):
        deadline = time.monotonic() + 20
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("%s did not start: %s" % (self.name, self.proc.stderr.read()))
            time.sleep(0.02)
        self.port = int(open(self.port_file).read())
        self.banner = self.proc.stdout.readline().decode()
        self.base = "http://127.0.0.1:%d" % self.port

    def request(self, method, path, params=None, key=KEY, headers=None, body=None,
                timeout=10):
        """A Resp; raises Dropped when the connection closes without an answer."""
        if params is not None:
            body = urllib.parse.urlencode(params).encode()
            if method == "GET":
                path, body = path + "?" + body.decode(), None
        req = urllib.request.Request(self.base + path, method=method, data=body)
        if key is not None:
            req.add_header("Authorization", "Bearer " + key)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return Resp(r.status, r.headers, r.read())
        except urllib.error.HTTPError as e:
            return Resp(e.code, e.headers, e.read())
        except (http.client.RemoteDisconnected, ConnectionResetError) as e:
            raise Dropped(repr(e))
        except urllib.error.URLError as e:
            if isinstance(e.reason, (ConnectionResetError, http.client.RemoteDisconnected)):
                raise Dropped(repr(e))
            raise

    def post(self, path, params=None, idem=None, **kw):
        h = dict(kw.pop("headers", {}) or {})
        if idem is not None:
            h["Idempotency-Key"] = idem
        return self.request("POST", path, params if params is not None else [], headers=h, **kw)

    def get(self, path, params=None, **kw):
        return self.request("GET", path, params, **kw)

    def ok(self, r):
        assert r.status == 200, "%d %s" % (r.status, r.body[:400])
        return r.json

    def control(self, path, obj=None):
        """GET when obj is None, else POST JSON."""
        data = None if obj is None else json.dumps(obj).encode()
        req = urllib.request.Request(self.base + path, data=data,
                                     method="GET" if obj is None else "POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def config(self, **knobs):
        return self.control("/_stripe/config", knobs)

    def state(self):
        return self.control("/_stripe/state")

    def log(self, since=0):
        return self.control("/_stripe/log?since=%d" % since)["requests"]

    def customer(self, name="Acme"):
        return self.ok(self.post("/v1/customers", [("name", name)]))["id"]

    def invoice(self, cust, *extra):
        return self.ok(self.post("/v1/invoices", [("customer", cust)] + list(extra)))

    def item(self, cust, amount=1000, *extra, idem=None):
        return self.ok(self.post("/v1/invoiceitems", [("customer", cust), ("amount", amount),
                                                      ("currency", "usd")] + list(extra),
                                 idem=idem))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(10)
        finally:
            self.proc.stdout.close()
            self.proc.stderr.close()


SERVERS = {}
SERVER_ARGS = {
    "main": ("--api-key", KEY, "--api-key", KEY2),
    "faults": (),
    "cli": ("--rate-500", "1", "--fail-path", "^/v1/invoiceitems$", "--latency-ms", "400",
            "--idempotency-ttl", "1", "--invoice-prefix", "CLI", "--api-version", "2022-11-15"),
}


def server(name):
    if name not in SERVERS:
        SERVERS[name] = Stripe(name, *SERVER_ARGS[name])
    return SERVERS[name]


def teardown():
    for s in SERVERS.values():
        s.stop()
    shutil.rmtree(TMP, ignore_errors=True)


def error_of(r, status, code=None, param=None, etype="invalid_request_error"):
    assert r.status == status, "expected %d, got %d %s" % (status, r.status, r.body[:300])
    doc = r.json
    assert set(doc) == {"error"} and set(doc["error"]) <= ERROR_KEYS, doc
    e = doc["error"]
    assert e["type"] == etype, e
    assert isinstance(e["message"], str) and e["message"], e
    assert e.get("code") == code, e
    assert e.get("param") == param, e
    if code:
        assert e["doc_url"].endswith(code.replace("_", "-")), e
    rid = r.header("Request-Id")
    assert re.match(r"^req_[A-Za-z0-9]{14}$", rid or ""), rid
    if status not in (401, 503):
        assert rid in e["request_log_url"], e
    return e


def count_items(s, cust):
    items, after = [], None
    while True:
        q = [("customer", cust), ("limit", 100)] + ([("starting_after", after)] if after else [])
        page = s.ok(s.get("/v1/invoiceitems", q))
        items += page["data"]
        if not page["has_more"]:
            return items
        after = page["data"][-1]["id"]


# --------------------------------------------------------------------------
# Command line and wire


@test
def banner_help_and_bad_arguments():
    s = server("main")
    assert s.banner == "stripesim listening on 127.0.0.1:%d\n" % s.port, s.banner
    r = subprocess.run([sys.executable, str(SIM), "--help"], capture_output=True, text=True,
                       timeout=20)
    assert r.returncode == 0
    for word in ("--drop-after-commit", "--fail-path", "--state-file", "/_stripe/config",
                 "/_stripe/forget-idempotency", "Idempotency-Key", "next_faults"):
        assert word in r.stdout, word
    for bad in (["--rate-429", "2"], ["--rate-500", "0.6", "--rate-drop", "0.6"],
                ["--port", "70000"], ["--fail-path", "("], ["--api-key", "short"],
                ["--down", "sideways"], ["--invoice-prefix", "lower"], ["--nonsense"]):
        r = subprocess.run([sys.executable, str(SIM)] + bad, capture_output=True, timeout=20)
        assert r.returncode == 2, (bad, r.returncode, r.stderr)
    corrupt = os.path.join(TMP, "corrupt.json")
    with open(corrupt, "w") as f:
        f.write("{not json")
    r = subprocess.run([sys.executable, str(SIM), "--state-file", corrupt],
                       capture_output=True, timeout=20)
    assert r.returncode == 2 and b"cannot start" in r.stderr, r.stderr


@test
def authentication():
    s = server("main")
    e = error_of(s.get("/v1/customers", key=None), 401)
    assert "did not provide an API key" in e["message"] and set(e) == {"message", "type"}
    wrong = "thisisthewrongkey1234"
    r = s.get("/v1/customers", key="sk_test_" + wrong)
    e = error_of(r, 401)
    assert e["message"] == ("Invalid API Key provided: sk_test_" + "*" * (len(wrong) - 4)
                            + "1234"), e
    assert "thisisthewrong" not in r.body.decode()
    assert r.header("WWW-Authenticate") and r.header("Stripe-Version") == "2024-06-20"
    assert s.ok(s.get("/v1/customers"))["object"] == "list"
    assert s.ok(s.get("/v1/customers", key=KEY2))["object"] == "list"
    import base64
    basic = {"Authorization": "Basic " + base64.b64encode((KEY + ":").encode()).decode()}
    assert s.get("/v1/customers", key=None, headers=basic).status == 200
    bad = {"Authorization": "Basic " + base64.b64encode(b"sk_test_nopenopenope:").decode()}
    error_of(s.get("/v1/customers", key=None, headers=bad), 401)
    error_of(s.get("/v1/customers", key=None, headers={"Authorization": "Token " + KEY}), 401)


@test
def unknown_urls_and_methods():
    s = server("main")
    e = error_of(s.get("/v1/charges"), 404)
    assert e["message"].startswith("Unrecognized request URL (GET: /v1/charges)."), e
    e = error_of(s.request("DELETE", "/v1/invoices"), 404)
    assert "(DELETE: /v1/invoices)" in e["message"]
    error_of(s.get("/nowhere"), 404)


@test
def stripe_version_is_recorded_and_echoed():
    s = server("main")
    n = s.log()[-1]["seq"]
    r = s.get("/v1/customers", headers={"Stripe-Version": "2024-06-20"})
    assert r.status == 200 and r.header("Stripe-Version") == "2024-06-20"
    r = s.get("/v1/customers")
    assert r.status == 200 and r.header("Stripe-Version") == "2024-06-20"
    r = s.get("/v1/customers", headers={"Stripe-Version": "2025-03-31.basil"})
    assert r.header("Stripe-Version") == "2025-03-31.basil"
    error_of(s.get("/v1/customers", headers={"Stripe-Version": "yesterday"}), 400)
    log = s.log(n)
    assert [x["stripe_version"] for x in log] == ["2024-06-20", None, "2025-03-31.basil",
                                                  "yesterday"], log
    assert all(re.match(r"^req_[A-Za-z0-9]{14}$", x["request_id"]) for x in log)


@test
def content_type_must_be_form():
    s = server("main")
    cust = s.customer()
    body = json.dumps({"customer": cust}).encode()
    e = error_of(s.request("POST", "/v1/invoices", body=body,
                           headers={"Content-Type": "application/json"}), 400)
    assert "unsupported Content-Type application/json" in e["message"], e
    r = s.request("POST", "/v1/invoices", body=("customer=" + cust).encode(),
                  headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    inv = s.ok(r)
    # A POST without a body needs no Content-Type (finalize takes no parameters).
    c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
    c.request("POST", "/v1/invoices/%s/finalize" % inv["id"], body=b"",
              headers={"Authorization": "Bearer " + KEY, "Content-Length": "0"})
    r = c.getresponse()
    assert r.status == 200 and json.loads(r.read())["status"] == "paid"
    c.close()


@test
def parameter_errors():
    s = server("main")
    cust = s.customer()
    inv = "/v1/invoices"
    ii = "/v1/invoiceitems"
    cases = [
        (inv, [("customer", cust), ("foo", "1")], "parameter_unknown", "foo"),
        (inv, [("auto_advance", "true")], "parameter_missing", "customer"),
        (inv, [("customer", "")], "parameter_invalid_empty", "customer"),
        (inv, [("customer", cust), ("auto_advance", "yes")], None, "auto_advance"),
        (inv, [("customer", cust), ("collection_method", "cash")], None, "collection_method"),
        (inv, [("customer", cust), ("collection_method", "send_invoice")],
         "parameter_missing", "days_until_due"),
        (inv, [("customer", cust), ("days_until_due", "30")], None, "days_until_due"),
        (inv, [("customer", cust), ("currency", "USD")], None, "currency"),
        (inv, [("customer", cust), ("metadata", "flat")], None, "metadata"),
        (inv, [("customer", cust), ("metadata[" + "k" * 41 + "]", "v")], None,
         "metadata[" + "k" * 41 + "]"),
        (inv, [("customer", cust), ("pending_invoice_items_behavior", "all")], None,
         "pending_invoice_items_behavior"),
        (inv, [("customer", cust), ("expand[]", "customer")], None, "expand"),
        (ii, [("customer", cust), ("currency", "usd"), ("amount", "abc")],
         "parameter_invalid_integer", "amount"),
        (ii, [("customer", cust), ("currency", "usd"), ("amount", "1.5")],
         "parameter_invalid_integer", "amount"),
        (ii, [("customer", cust), ("currency", "usd")], "parameter_missing", "amount"),
        (ii, [("customer", cust), ("amount", "100")], "parameter_missing", "currency"),
        (ii, [("customer", cust), ("amount", "100"), ("currency", "xyz")], None, "currency"),
        (ii, [("customer", cust), ("amount", "100"), ("unit_amount", "5"), ("currency", "usd")],
         "parameters_exclusive", "unit_amount"),
        (ii, [("customer", cust), ("amount", "100"), ("currency", "usd"),
              ("period[start]", "1")], "parameter_missing", "period[end]"),
        (ii, [("customer", cust), ("amount", "100"), ("currency", "usd"),
              ("period[start]", "1"), ("period[end]", "2"), ("period[foo]", "3")],
         "parameter_unknown", "period[foo]"),
        (ii, [("customer", cust), ("amount", "100"), ("currency", "usd"),
              ("period[start]", "x"), ("period[end]", "2")],
         "parameter_invalid_integer", "period[start]"),
        (ii, [("customer", cust), ("amount", "1000000000"), ("currency", "usd")], None,
         "amount"),
    ]
    before = len(s.state()["invoiceitems"]), len(s.state()["invoices"])
    for path, params, code, param in cases:
        e = error_of(s.post(path, params), 400, code, param)
        if code == "parameter_unknown":
            assert e["message"] == "Received unknown parameter: %s" % param, e
        if code == "parameter_missing":
            assert e["message"] == "Missing required param: %s." % param, e
        if code == "parameter_invalid_integer":
            assert e["message"].startswith("Invalid integer: "), e
    assert (len(s.state()["invoiceitems"]), len(s.state()["invoices"])) == before
    for params, param in (([("limit", "0")], "limit"), ([("limit", "101")], "limit"),
                          ([("limit", "x")], "limit"), ([("status", "lost")], "status"),
                          ([("starting_after", "in_nope")], "starting_after"),
                          ([("bogus", "1")], "bogus")):
        r = s.get("/v1/invoices", params)
        assert r.status == 400 and r.json["error"]["param"] == param, (params, r.body)


# --------------------------------------------------------------------------
# Objects and life cycle


@test
def customers_create_get_and_preload():
    s = server("main")
    c = s.ok(s.post("/v1/customers", [("name", "Acme Corp"), ("email", "billing@acme.test"),
                                      ("metadata[org]", "org-123"), ("metadata[empty]", "")]))
    assert re.match(r"^cus_[A-Za-z0-9]{14}$", c["id"]) and c["object"] == "customer"
    assert c["metadata"] == {"org": "org-123"} and c["livemode"] is False
    assert c["email"] == "billing@acme.test" and c["balance"] == 0
    assert s.ok(s.get("/v1/customers/" + c["id"])) == c
    e = error_of(s.get("/v1/customers/cus_missing"), 404, "resource_missing", "id")
    assert e["message"] == "No such customer: 'cus_missing'"
    pre = s.control("/_stripe/customers", {"id": "cus_orgpreload1", "name": "Preloaded",
                                           "metadata": {"org": "org-9"}})
    assert pre["id"] == "cus_orgpreload1"
    got = s.ok(s.get("/v1/customers/cus_orgpreload1"))
    assert got["name"] == "Preloaded" and got["metadata"] == {"org": "org-9"}
    many = s.control("/_stripe/customers", [{"id": "cus_orgpreload2"}, {"name": "auto id"}])
    assert many[0]["id"] == "cus_orgpreload2" and many[1]["id"].startswith("cus_")
    found = s.ok(s.get("/v1/customers", [("email", "billing@acme.test")]))
    assert [x["id"] for x in found["data"]] == [c["id"]] and found["url"] == "/v1/customers"


INVOICE_KEYS = {"id", "object", "customer", "status", "currency", "amount_due", "amount_paid",
                "amount_remaining", "total", "subtotal", "lines", "metadata", "auto_advance",
                "created", "period_start", "period_end", "number", "livemode",
                "collection_method", "due_date", "status_transitions", "description",
                "billing_reason", "paid", "customer_email", "customer_name"}
ITEM_KEYS = {"id", "object", "customer", "amount", "currency", "description", "invoice",
             "period", "metadata", "date", "livemode", "quantity", "unit_amount", "proration"}


@test
def invoice_life_cycle():
    s = server("main")
    cust = s.customer("Lifecycle Inc")
    inv = s.invoice(cust, ("auto_advance", "false"), ("collection_method", "send_invoice"),
                    ("days_until_due", "30"), ("currency", "usd"),
                    ("description", "Audit March"), ("metadata[org]", "org-1"))
    assert INVOICE_KEYS <= set(inv), INVOICE_KEYS - set(inv)
    assert re.match(r"^in_[A-Za-z0-9]{24}$", inv["id"]) and inv["object"] == "invoice"
    assert inv["status"] == "draft" and inv["number"] is None and inv["livemode"] is False
    assert inv["total"] == inv["amount_due"] == inv["subtotal"] == 0
    assert inv["lines"] == {"object": "list", "data": [], "has_more": False, "total_count": 0,
                            "url": "/v1/invoices/%s/lines" % inv["id"]}
    assert inv["metadata"] == {"org": "org-1"} and inv["auto_advance"] is False
    assert inv["due_date"] == inv["created"] + 30 * 86400
    assert inv["status_transitions"]["finalized_at"] is None
    it1 = s.item(cust, 1250, ("invoice", inv["id"]), ("description", "seat"),
                 ("period[start]", "1700000000"), ("period[end]", "1702592000"),
                 ("metadata[run]", "r1"))
    assert ITEM_KEYS <= set(it1), ITEM_KEYS - set(it1)
    assert re.match(r"^ii_[A-Za-z0-9]{24}$", it1["id"]) and it1["object"] == "invoiceitem"
    assert it1["invoice"] == inv["id"] and it1["amount"] == 1250
    assert it1["period"] == {"start": 1700000000, "end": 1702592000}
    assert it1["metadata"] == {"run": "r1"}
    it2 = s.ok(s.post("/v1/invoiceitems", [("customer", cust), ("unit_amount", "300"),
                                           ("quantity", "3"), ("currency", "usd"),
                                           ("invoice", inv["id"])]))
    assert it2["amount"] == 900 and it2["quantity"] == 3 and it2["unit_amount"] == 300
    assert it2["period"]["start"] == it2["period"]["end"] == it2["date"]
    cur = s.ok(s.get("/v1/invoices/" + inv["id"]))
    assert cur["total"] == cur["subtotal"] == cur["amount_due"] == 2150
    assert [ln["invoice_item"] for ln in cur["lines"]["data"]] == [it1["id"], it2["id"]]
    assert all(ln["object"] == "line_item" and ln["id"].startswith("il_")
               for ln in cur["lines"]["data"])
    lines = s.ok(s.get("/v1/invoices/%s/lines" % inv["id"], [("limit", "1")]))
    assert lines["has_more"] and lines["data"][0]["invoice_item"] == it1["id"]
    fin = s.ok(s.post("/v1/invoices/%s/finalize" % inv["id"]))
    assert fin["status"] == "open" and re.match(r"^ORG-\d{4}$", fin["number"]), fin["number"]
    assert fin["status_transitions"]["finalized_at"] >= fin["created"]
    assert fin["total"] == fin["amount_due"] == fin["amount_remaining"] == 2150
    assert fin["lines"] == cur["lines"]
    e = error_of(s.post("/v1/invoices/%s/finalize" % inv["id"]), 400, "invoice_not_editable")
    assert e["message"] == ("This invoice is already finalized, you can't re-finalize a "
                            "non-draft invoice."), e
    e = error_of(s.post("/v1/invoiceitems", [("customer", cust), ("amount", "5"),
                                             ("currency", "usd"), ("invoice", inv["id"])]),
                 400, "invoice_not_editable", "invoice")
    after = s.ok(s.get("/v1/invoices/" + inv["id"]))
    assert after["total"] == 2150 and after["number"] == fin["number"]
    inv2 = s.invoice(cust)
    fin2 = s.ok(s.post("/v1/invoices/%s/finalize" % inv2["id"], [("auto_advance", "false")]))
    n1, n2 = int(fin["number"][4:]), int(fin2["number"][4:])
    assert n2 == n1 + 1, (fin["number"], fin2["number"])
    assert fin2["status"] == "paid" and fin2["paid"] is True  # nothing due: paid at once
    error_of(s.post("/v1/invoices/in_nope/finalize"), 404, "resource_missing", "id")
    error_of(s.get("/v1/invoices/in_nope"), 404, "resource_missing", "id")
    error_of(s.get("/v1/invoiceitems/ii_nope"), 404, "resource_missing", "id")
    assert s.ok(s.get("/v1/invoiceitems/" + it1["id"]))["id"] == it1["id"]


@test
def invoice_and_item_refusals():
    s = server("main")
    a, b = s.customer("A"), s.customer("B")
    inv_a = s.invoice(a)
    e = error_of(s.post("/v1/invoices", [("customer", "cus_ghost")]), 400, "resource_missing",
                 "customer")
    assert e["message"] == "No such customer: 'cus_ghost'"
    error_of(s.post("/v1/invoiceitems", [("customer", "cus_ghost"), ("amount", "1"),
                                         ("currency", "usd")]), 400, "resource_missing",
             "customer")
    error_of(s.post("/v1/invoiceitems", [("customer", a), ("amount", "1"), ("currency", "usd"),
                                         ("invoice", "in_ghost")]), 400, "resource_missing",
             "invoice")
    error_of(s.post("/v1/invoiceitems", [("customer", b), ("amount", "1"), ("currency", "usd"),
                                         ("invoice", inv_a["id"])]), 400, None, "invoice")
    error_of(s.post("/v1/invoiceitems", [("customer", a), ("amount", "1"), ("currency", "eur"),
                                         ("invoice", inv_a["id"])]), 400, None, "currency")
    credit = s.item(a, -250, ("invoice", inv_a["id"]))
    assert credit["amount"] == -250
    cur = s.ok(s.get("/v1/invoices/" + inv_a["id"]))
    assert cur["total"] == -250 and cur["amount_due"] == 0


@test
def pending_items_pulled_only_with_include():
    s = server("main")
    cust = s.customer("Pending Ltd")
    p1 = s.item(cust, 100)
    p2 = s.item(cust, 200)
    p_eur = s.ok(s.post("/v1/invoiceitems", [("customer", cust), ("amount", "300"),
                                             ("currency", "eur")]))
    assert p1["invoice"] is None
    plain = s.invoice(cust)
    assert plain["lines"]["data"] == [] and plain["total"] == 0
    pend = s.ok(s.get("/v1/invoiceitems", [("customer", cust), ("pending", "true")]))
    assert {x["id"] for x in pend["data"]} == {p1["id"], p2["id"], p_eur["id"]}
    explicit = s.invoice(cust, ("pending_invoice_items_behavior", "exclude"))
    assert explicit["total"] == 0
    inc = s.invoice(cust, ("pending_invoice_items_behavior", "include"))
    assert inc["total"] == 300 and inc["currency"] == "usd"
    assert [ln["invoice_item"] for ln in inc["lines"]["data"]] == [p1["id"], p2["id"]]
    pend = s.ok(s.get("/v1/invoiceitems", [("customer", cust), ("pending", "true")]))
    assert [x["id"] for x in pend["data"]] == [p_eur["id"]]
    done = s.ok(s.get("/v1/invoiceitems", [("customer", cust), ("pending", "false")]))
    assert {x["id"] for x in done["data"]} == {p1["id"], p2["id"]}
    assert s.ok(s.get("/v1/invoiceitems/" + p1["id"]))["invoice"] == inc["id"]
    by_inv = s.ok(s.get("/v1/invoiceitems", [("invoice", inc["id"])]))
    assert {x["id"] for x in by_inv["data"]} == {p1["id"], p2["id"]}


@test
def lists_page_newest_first():
    s = server("main")
    cust = s.customer("Pager")
    made = [s.item(cust, 100 + i)["id"] for i in range(25)]
    seen, after, pages = [], None, 0
    while True:
        q = [("customer", cust), ("limit", "10")] + ([("starting_after", after)] if after else [])
        page = s.ok(s.get("/v1/invoiceitems", q))
        assert set(page) == {"object", "data", "has_more", "url"}
        assert page["object"] == "list" and page["url"] == "/v1/invoiceitems"
        seen += [x["id"] for x in page["data"]]
        pages += 1
        if not page["has_more"]:
            break
        after = page["data"][-1]["id"]
    assert pages == 3 and seen == made[::-1], (pages, len(seen))
    default = s.ok(s.get("/v1/invoiceitems", [("customer", cust)]))
    assert len(default["data"]) == 10 and default["has_more"]
    back = s.ok(s.get("/v1/invoiceitems", [("customer", cust), ("limit", "5"),
                                           ("ending_before", made[10])]))
    assert [x["id"] for x in back["data"]] == made[15:10:-1] and back["has_more"]
    r = s.get("/v1/invoiceitems", [("starting_after", made[0]), ("ending_before", made[1])])
    error_of(r, 400, "parameters_exclusive", "ending_before")
    invs = [s.invoice(cust)["id"] for _ in range(3)]
    s.ok(s.post("/v1/invoices/%s/finalize" % invs[1]))
    drafts = s.ok(s.get("/v1/invoices", [("customer", cust), ("status", "draft")]))
    assert [x["id"] for x in drafts["data"]] == [invs[2], invs[0]]
    assert drafts["url"] == "/v1/invoices"
    paid = s.ok(s.get("/v1/invoices", [("customer", cust), ("status", "paid")]))
    assert [x["id"] for x in paid["data"]] == [invs[1]]
    p1 = s.ok(s.get("/v1/invoices", [("customer", cust), ("limit", "2")]))
    p2 = s.ok(s.get("/v1/invoices", [("customer", cust), ("limit", "2"),
                                     ("starting_after", p1["data"][-1]["id"])]))
    assert [x["id"] for x in p1["data"] + p2["data"]] == invs[::-1] and not p2["has_more"]


# --------------------------------------------------------------------------
# Idempotency


@test
def idempotent_replay_is_byte_identical():
    s = server("main")
    cust = s.customer("Idem")
    params = [("customer", cust), ("amount", "4200"), ("currency", "usd"),
              ("metadata[org]", "o1"), ("metadata[run]", "r1")]
    r1 = s.post("/v1/invoiceitems", params, idem="key-replay-1")
    assert r1.status == 200 and r1.header("Idempotent-Replayed") is None
    assert r1.header("Idempotency-Key") == "key-replay-1"
    r2 = s.post("/v1/invoiceitems", params, idem="key-replay-1")
    assert r2.status == 200 and r2.body == r1.body
    assert r2.header("Idempotent-Replayed") == "true"
    assert r2.header("Original-Request") == r1.header("Request-Id")
    assert r2.header("Request-Id") != r1.header("Request-Id")
    reordered = [params[4], params[2], params[0], params[3], params[1]]
    r3 = s.post("/v1/invoiceitems", reordered, idem="key-replay-1")
    assert r3.body == r1.body and r3.header("Idempotent-Replayed") == "true"
    assert len(count_items(s, cust)) == 1
    inv = s.post("/v1/invoices", [("customer", cust)], idem="key-replay-inv")
    fin1 = s.post("/v1/invoices/%s/finalize" % inv.json["id"], idem="key-replay-fin")
    fin2 = s.post("/v1/invoices/%s/finalize" % inv.json["id"], idem="key-replay-fin")
    assert fin1.status == fin2.status == 200 and fin1.body == fin2.body
    g1 = s.get("/v1/invoiceitems", [("customer", cust)], headers={"Idempotency-Key": "k-get"})
    assert g1.status == 200 and g1.header("Idempotent-Replayed") is None
    log = s.log()
    replays = [x for x in log if x["idempotency_key"] == "key-replay-1"]
    assert [x["replayed"] for x in replays] == [False, True, True]
    assert [x["executed"] for x in replays] == [True, False, False]


@test
def idempotency_key_with_other_parameters_or_path():
    s = server("main")
    cust = s.customer("Mismatch")
    base = [("customer", cust), ("amount", "100"), ("currency", "usd")]
    assert s.post("/v1/invoiceitems", base, idem="key-mm").status == 200
    e = error_of(s.post("/v1/invoiceitems", base[:1] + [("amount", "101"), base[2]],
                        idem="key-mm"), 400, etype="idempotency_error")
    assert e["message"].startswith("Keys for idempotent requests can only be used with the "
                                   "same parameters they were first used with."), e
    assert "key-mm" in e["message"]
    e = error_of(s.post("/v1/invoices", [("customer", cust)], idem="key-mm"), 400,
                 etype="idempotency_error")
    assert "same endpoint" in e["message"], e
    assert len(count_items(s, cust)) == 1
    error_of(s.post("/v1/invoiceitems", base, idem="k" * 256), 400)
    assert s.post("/v1/invoiceitems", base, idem="k" * 255).status == 200


@test
def idempotency_keys_are_scoped_per_api_key():
    s = server("main")
    cust = s.customer("Scoped")
    base = [("customer", cust), ("amount", "100"), ("currency", "usd")]
    a = s.post("/v1/invoiceitems", base, idem="key-scope")
    b = s.post("/v1/invoiceitems", base, idem="key-scope", key=KEY2)
    assert a.status == b.status == 200 and a.json["id"] != b.json["id"]
    assert b.header("Idempotent-Replayed") is None
    assert len(count_items(s, cust)) == 2


@test
def concurrent_request_with_key_in_flight_gets_409():
    s = server("faults")
    s.config(latency_ms=600)
    try:
        cust = s.customer("Racer")
        base = [("customer", cust), ("amount", "100"), ("currency", "usd")]
        out = [None, None]

        def go(i):
            out[i] = s.post("/v1/invoiceitems", base, idem="key-in-flight")
        t1 = threading.Thread(target=go, args=(0,))
        t1.start()
        time.sleep(0.2)
        t2 = threading.Thread(target=go, args=(1,))
        t2.start()
        t1.join()
        t2.join()
    finally:
        s.config(latency_ms=0)
    assert out[0].status == 200, out[0].body
    e = error_of(out[1], 409, "idempotency_key_in_use", etype="idempotency_error")
    assert "key-in-flight" in e["message"] and out[1].header("Stripe-Should-Retry") == "true"
    again = s.post("/v1/invoiceitems", base, idem="key-in-flight")
    assert again.body == out[0].body and again.header("Idempotent-Replayed") == "true"
    assert len(count_items(s, cust)) == 1


@test
def rejected_requests_are_not_remembered():
    s = server("faults")
    cust = s.customer("Forgetful")
    base = [("customer", cust), ("amount", "100"), ("currency", "usd")]
    s.config(next_faults=["429"])
    error_of(s.post("/v1/invoiceitems", base, idem="key-429"), 429, "rate_limit")
    r = s.post("/v1/invoiceitems", base, idem="key-429")
    assert r.status == 200 and r.header("Idempotent-Replayed") is None
    error_of(s.post("/v1/invoiceitems", base + [("bogus", "1")], idem="key-400"), 400,
             "parameter_unknown", "bogus")
    r = s.post("/v1/invoiceitems", base, idem="key-400")
    assert r.status == 200 and r.header("Idempotent-Replayed") is None
    error_of(s.post("/v1/invoiceitems", base, idem="key-401", key="sk_test_wrong00000000"), 401)
    r = s.post("/v1/invoiceitems", base, idem="key-401")
    assert r.status == 200 and r.header("Idempotent-Replayed") is None
    assert len(count_items(s, cust)) == 3


@test
def execution_errors_and_500s_are_remembered():
    s = server("faults")
    cust = s.customer("Remembered")
    inv = s.invoice(cust)
    s.ok(s.post("/v1/invoices/%s/finalize" % inv["id"]))
    late = [("customer", cust), ("amount", "5"), ("currency", "usd"), ("invoice", inv["id"])]
    r1 = s.post("/v1/invoiceitems", late, idem="key-late")
    error_of(r1, 400, "invoice_not_editable", "invoice")
    r2 = s.post("/v1/invoiceitems", late, idem="key-late")
    assert r2.status == 400 and r2.body == r1.body and r2.header("Idempotent-Replayed") == "true"
    base = [("customer", cust), ("amount", "100"), ("currency", "usd")]
    s.config(next_faults=["500"])
    r1 = s.post("/v1/invoiceitems", base, idem="key-500")
    error_of(r1, 500, etype="api_error")
    r2 = s.post("/v1/invoiceitems", base, idem="key-500")
    assert r2.status == 500 and r2.body == r1.body and r2.header("Idempotent-Replayed") == "true"
    assert count_items(s, cust) == []
    s.config(next_faults=["500"], store_500=False)
    try:
        error_of(s.post("/v1/invoiceitems", base, idem="key-500b"), 500, etype="api_error")
        r = s.post("/v1/invoiceitems", base, idem="key-500b")
        assert r.status == 200 and r.header("Idempotent-Replayed") is None
    finally:
        s.config(store_500=True)
    assert len(count_items(s, cust)) == 1


@test
def forgotten_keys_execute_again_and_duplicate():
    s = server("faults")
    cust = s.customer("Pruned")
    base = [("customer", cust), ("amount", "777"), ("currency", "usd"),
            ("description", "audit seat")]
    a = s.post("/v1/invoiceitems", base, idem="key-forget")
    assert s.post("/v1/invoiceitems", base, idem="key-forget").body == a.body
    other = s.post("/v1/invoiceitems", base, idem="key-forget-other")
    out = s.control("/_stripe/forget-idempotency", {"key": "key-forget-other"})
    assert out == {"forgotten": 1}
    assert s.post("/v1/invoiceitems", base, idem="key-forget").body == a.body
    out = s.control("/_stripe/forget-idempotency", {})
    assert out["forgotten"] >= 1
    b = s.post("/v1/invoiceitems", base, idem="key-forget")
    assert b.status == 200 and b.header("Idempotent-Replayed") is None
    assert b.json["id"] != a.json["id"]
    items = count_items(s, cust)
    assert len(items) == 3 and sorted(x["id"] for x in items) == sorted(
        [a.json["id"], b.json["id"], other.json["id"]])
    assert [x["description"] for x in items] == ["audit seat"] * 3   # the duplicate


@test
def idempotency_keys_expire_after_ttl():
    s = server("cli")       # --idempotency-ttl 1; /v1/customers is outside --fail-path
    base = [("name", "Expiring")]
    a = s.post("/v1/customers", base, idem="key-ttl")
    assert s.post("/v1/customers", base, idem="key-ttl").body == a.body
    time.sleep(1.1)
    b = s.post("/v1/customers", base, idem="key-ttl")
    assert b.status == 200 and b.json["id"] != a.json["id"]
    assert b.header("Idempotent-Replayed") is None


# --------------------------------------------------------------------------
# Faults


@test
def fault_429_500_and_drop():
    s = server("faults")
    cust = s.customer("Faulty")
    base = [("customer", cust), ("amount", "100"), ("currency", "usd")]
    s.config(rate_429=1)
    e = error_of(s.post("/v1/invoiceitems", base), 429, "rate_limit")
    assert "rate limit" in e["message"].lower()
    s.config(rate_429=0, rate_500=1)
    error_of(s.get("/v1/invoices"), 500, etype="api_error")
    s.config(rate_500=0, rate_drop=1)
    try:
        s.post("/v1/invoiceitems", base)
        raise AssertionError("not dropped")
    except Dropped:
        pass
    s.config(rate_drop=0)
    assert count_items(s, cust) == []
    last = s.log()[-2]
    assert last["fault"] == "drop" and last["executed"] is False and last["status"] is None
    s.config(rate_429=0.5)
    try:
        statuses = [s.get("/v1/invoices", [("limit", "1")]).status for _ in range(40)]
    finally:
        s.config(rate_429=0)
    assert set(statuses) == {200, 429} and 5 <= statuses.count(429) <= 35, statuses


@test
def drop_after_commit_really_commits():
    s = server("faults")
    cust = s.customer("Committed")
    base = [("customer", cust), ("amount", "100"), ("currency", "usd")]
    s.config(drop_after_commit=1)
    try:
        s.post("/v1/invoiceitems", base, idem="key-dac")
        raise AssertionError("not dropped")
    except Dropped:
        pass
    finally:
        s.config(drop_after_commit=0)
    items = count_items(s, cust)
    assert len(items) == 1
    rec = [x for x in s.log() if x["idempotency_key"] == "key-dac"][0]
    assert rec["executed"] and rec["fault"] == "drop_after_commit"
    assert rec["object_id"] == items[0]["id"]
    r = s.post("/v1/invoiceitems", base, idem="key-dac")
    assert r.status == 200 and r.header("Idempotent-Replayed") == "true"
    assert r.json["id"] == items[0]["id"]
    s.config(next_faults=["drop_after_commit"])
    try:
        s.post("/v1/invoiceitems", base)
        raise AssertionError("not dropped")
    except Dropped:
        pass
    s.ok(s.post("/v1/invoiceitems", base))      # a retry without a key duplicates
    assert len(count_items(s, cust)) == 3


@test
def scripted_faults_latency_and_fail_path():
    s = server("faults")
    cust = s.customer("Scripted")
    s.config(next_faults=["429", "none", "500"])
    assert s.get("/v1/invoices").status == 429
    assert s.get("/v1/invoices").status == 200
    assert s.get("/v1/invoices").status == 500
    assert s.get("/v1/invoices").status == 200
    assert s.config()["next_faults"] == []
    s.config(latency_ms=500)
    try:
        t0 = time.monotonic()
        assert s.get("/v1/invoices").status == 200
        assert time.monotonic() - t0 >= 0.5
        s.config(fail_path="^/v1/invoiceitems$", rate_500=1)
        t0 = time.monotonic()
        assert s.get("/v1/invoices").status == 200
        assert time.monotonic() - t0 < 0.4
        assert s.post("/v1/invoiceitems", [("customer", cust), ("amount", "1"),
                                           ("currency", "usd")]).status == 500
    finally:
        s.config(latency_ms=0, fail_path=None, rate_500=0)
    assert s.get("/v1/invoiceitems").status == 200


@test
def down_modes_and_rate_limit():
    s = server("faults")
    s.config(down="503")
    try:
        e = error_of(s.get("/v1/invoices"), 503, etype="api_error")
        assert "unavailable" in e["message"]
        assert s.state()["config"]["down"] == "503"       # control paths still answer
        s.config(down="refuse")
        try:
            s.get("/v1/invoices")
            raise AssertionError("not refused")
        except Dropped:
            pass
    finally:
        s.config(down=None)
    assert s.get("/v1/invoices").status == 200
    s.config(rate_limit=3)
    try:
        statuses = [s.get("/v1/invoices").status for _ in range(8)]
    finally:
        s.config(rate_limit=0)
    assert statuses.count(200) == 3 and statuses.count(429) == 5, statuses
    time.sleep(1.05)
    assert s.get("/v1/invoices").status == 200


@test
def config_rejects_bad_knobs():
    s = server("faults")
    for bad in ({"nope": 1}, {"rate_429": 2}, {"rate_429": 0.6, "rate_500": 0.6},
                {"fail_path": "("}, {"down": "sideways"}, {"next_faults": ["boom"]},
                {"store_500": "yes"}, {"latency_ms": -1}):
        try:
            s.config(**bad)
            raise AssertionError("accepted %r" % bad)
        except urllib.error.HTTPError as e:
            assert e.code == 400, bad
    assert s.config()["rate_429"] == 0.0


@test
def command_line_faults():
    s = server("cli")     # --rate-500 1 --fail-path ^/v1/invoiceitems$ --latency-ms 400
    cfg = s.config()
    assert cfg["rate_500"] == 1 and cfg["fail_path"] == "^/v1/invoiceitems$"
    assert cfg["latency_ms"] == 400
    t0 = time.monotonic()
    cust = s.customer()
    assert time.monotonic() - t0 < 0.3
    t0 = time.monotonic()
    r = s.post("/v1/invoiceitems", [("customer", cust), ("amount", "1"), ("currency", "usd")])
    assert r.status == 500 and time.monotonic() - t0 >= 0.4
    assert r.header("Stripe-Version") == "2022-11-15"
    inv = s.invoice(cust)
    assert s.ok(s.post("/v1/invoices/%s/finalize" % inv["id"]))["number"] == "CLI-0001"


# --------------------------------------------------------------------------
# State, log, counts, process


@test
def state_persists_across_restarts():
    path = os.path.join(TMP, "state.json")
    s = Stripe("persist", "--state-file", path)
    try:
        cust = s.customer("Persistent")
        inv = s.invoice(cust)
        item = s.item(cust, 5000, ("invoice", inv["id"]), idem="key-persist")
        fin = s.ok(s.post("/v1/invoices/%s/finalize" % inv["id"]))
        assert fin["number"] == "ORG-0001"
        pending = s.item(cust, 10)
    finally:
        assert s.stop() == 0
    assert json.load(open(path))["format"] == "stripesim-state/1"
    s = Stripe("persist2", "--state-file", path)
    try:
        assert s.ok(s.get("/v1/invoices/" + inv["id"])) == fin
        r = s.post("/v1/invoiceitems", [("customer", cust), ("amount", 5000),
                                        ("currency", "usd"), ("invoice", inv["id"])],
                   idem="key-persist")
        assert r.header("Idempotent-Replayed") == "true" and r.json["id"] == item["id"]
        nxt = s.invoice(cust, ("pending_invoice_items_behavior", "include"))
        assert [ln["invoice_item"] for ln in nxt["lines"]["data"]] == [pending["id"]]
        fin2 = s.ok(s.post("/v1/invoices/%s/finalize" % nxt["id"]))
        assert fin2["number"] == "ORG-0002"
        s.control("/_stripe/reset", {})
    finally:
        assert s.stop() == 0
    s = Stripe("persist3", "--state-file", path)
    try:
        st = s.state()
        assert st["customers"] == [] and st["invoices"] == [] and st["idempotency_keys"] == 0
    finally:
        s.stop()


@test
def request_log_and_counts():
    s = Stripe("logged")
    try:
        cust = s.customer("Logged")
        s.post("/v1/invoiceitems", [("customer", cust), ("amount", "10"), ("currency", "usd"),
                                    ("metadata[org]", "o-1"), ("period[start]", "1"),
                                    ("period[end]", "2")], idem="key-log")
        s.post("/v1/invoiceitems", [("customer", cust), ("amount", "10"), ("currency", "usd"),
                                    ("metadata[org]", "o-1"), ("period[start]", "1"),
                                    ("period[end]", "2")], idem="key-log")
        s.get("/v1/invoiceitems", [("customer", cust), ("limit", "3")])
        s.get("/v1/invoices", key=None)
        log = s.log()
        assert [x["seq"] for x in log] == [1, 2, 3, 4, 5]
        assert [(x["method"], x["path"], x["status"]) for x in log] == [
            ("POST", "/v1/customers", 200), ("POST", "/v1/invoiceitems", 200),
            ("POST", "/v1/invoiceitems", 200), ("GET", "/v1/invoiceitems", 200),
            ("GET", "/v1/invoices", 401)]
        assert log[1]["params"] == {"customer": cust, "amount": "10", "currency": "usd",
                                    "metadata": {"org": "o-1"},
                                    "period": {"start": "1", "end": "2"}}
        assert log[1]["idempotency_key"] == "key-log" and not log[1]["replayed"]
        assert log[2]["replayed"] and log[2]["route"] == "POST /v1/invoiceitems"
        assert log[3]["params"] == {"customer": cust, "limit": "3"}
        assert KEY not in json.dumps(log)       # keys are masked in the log
        assert [x["seq"] for x in s.log(3)] == [4, 5]
        counts = s.state()["counts"]
        assert counts["POST /v1/invoiceitems"] == {"200": 2}
        assert counts["GET /v1/invoiceitems"] == {"200": 1}
        assert counts["GET /v1/invoices"] == {"401": 1}
        inv = s.invoice(cust)
        s.post("/v1/invoices/%s/finalize" % inv["id"])
        s.post("/v1/invoices/%s/finalize" % inv["id"])
        counts = s.state()["counts"]
        assert counts["POST /v1/invoices/:id/finalize"] == {"200": 1, "400": 1}, counts
        lines = open(s.log_file).read().splitlines()
        assert len(lines) == 8 and " POST /v1/invoiceitems 200 " in lines[2]
        assert "key=key-log replayed" in lines[2]
        s.control("/_stripe/reset", {})
        st = s.state()
        assert st["customers"] == [] and st["counts"] == {} and s.log() == []
    finally:
        s.stop()


@test
def keep_alive_and_content_length():
    s = server("main")
    c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
    try:
        for i in range(20):
            if i % 2:
                c.request("GET", "/v1/invoices?limit=1", headers={"Authorization":
                                                                  "Bearer " + KEY})
            else:
                c.request("POST", "/v1/customers", body="name=ka%d" % i,
                          headers={"Authorization": "Bearer " + KEY,
                                   "Content-Type": "application/x-www-form-urlencoded"})
            r = c.getresponse()
            body = r.read()
            assert r.status == 200 and int(r.getheader("Content-Length")) == len(body)
            assert r.getheader("Connection") != "close"
            assert r.getheader("Content-Type") == "application/json"
    finally:
        c.close()


@test
def sigterm_and_sigint_exit_0():
    for sig in (signal.SIGTERM, signal.SIGINT):
        s = Stripe("signal")
        try:
            assert s.get("/v1/customers").status == 200
            s.proc.send_signal(sig)
            assert s.proc.wait(10) == 0
        finally:
            s.stop()


if __name__ == "__main__":
    run(teardown=teardown)
