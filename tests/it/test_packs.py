#!/usr/bin/env python3
"""Evidence packs with real parts: packs made by the CLI, the API and the
dashboard from a private MariaDB filled by orgaudit-collect from the
simulator, checked with stock tools (tar, sha256sum, openssl) and with
'orgaudit pack verify', which must reject every mutation of every line of
every file, a forged manifest, and a broken chain of monthly packs.
"""
import calendar
import gzip
import hashlib
import io
import json
import os
import stat
import subprocess
import tarfile
import time

from common import CANARY_DOMAIN, WebClient, new_stack
from tap import diag, run, test

st = new_stack("it-packs")
S = {}
OUT = None


def setup():
    global OUT
    st.start_db()
    st.start_sim("--users", "12", "--projects", "4", "--keys-per-project",
                 "5", "--seed", "5", "--events", "90", "--events-days", "40",
                 "--email-domain", CANARY_DOMAIN)
    st.write_conf()
    st.init_orgaudit()
    st.start_web()
    OUT = st.path("work")
    os.makedirs(OUT, exist_ok=True)
    S["tenant"] = st.tenant("Packs")
    S["tok"] = st.token(S["tenant"], scope="admin")
    S["read"] = st.token(S["tenant"], name="reader")
    S["org"] = st.connect(S["tenant"])
    r = st.collect("--org", str(S["org"]))
    assert r.returncode == 0, r.stderr
    time.sleep(1.2)
    S["t1"] = int(time.time())              # after the pull
    S["t0"] = S["t1"] - 30 * 86400
    pub = st.api("/api/v1/signing-key", None)
    S["fp"] = pub["fingerprint"]
    S["pub"] = os.path.join(OUT, "published.pem")
    with open(S["pub"], "w") as f:
        f.write(pub["public_key_pem"])


def create(start, end, out=None, check=True):
    args = ["pack", "create", "--org", str(S["org"]), "--start", str(start),
            "--end", str(end)]
    if out:
        args += ["--out", out]
    return st.cli(*args, check=check)


def verify(path, *extra):
    r = st.cli("pack", "verify", path, *extra, check=False)
    return r.returncode, r.stdout + r.stderr


def members(path):
    """The pack's files in archive order: [(name, bytes)], and its top dir."""
    out, top = [], None
    with tarfile.open(path, "r:gz") as t:
        for m in t.getmembers():
            top, name = m.name.split("/", 1)
            out.append((name, t.extractfile(m).read()))
    return out, top


def repack(files, top, path):
    """Writes files back as a pack would be, in the given order."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in files:
            ti = tarfile.TarInfo(top + "/" + name)
            ti.size = len(data)
            ti.mode = 0o644
            t.addfile(ti, io.BytesIO(data))
    with open(path, "wb") as f:
        f.write(gzip.compress(buf.getvalue(), mtime=0))


# -- the key ----------------------------------------------------------------

@test
def keygen_makes_a_private_key_and_refuses_to_replace_it():
    key = st.path("etc", "signing.key")
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    r = st.cli("keygen", check=False)
    assert r.returncode == 1 and "--force" in r.stderr, r.stderr
    # The web serves the public half; the private key is in no response.
    status, _, body = st.http("GET", "/api/v1/signing-key")
    assert status == 200 and b"PRIVATE" not in body
    der = subprocess.run(["openssl", "pkey", "-pubin", "-in", S["pub"],
                          "-outform", "DER"], capture_output=True).stdout
    assert hashlib.sha256(der).hexdigest() == S["fp"]


# -- making and checking --------------------------------------------------------

@test
def a_pack_passes_tar_sha256sum_and_openssl():
    path = os.path.join(OUT, "a.tar.gz")
    r = create(S["t0"], S["t1"], path)
    assert "pack 1" in r.stdout, r.stdout
    S["a"] = path
    ex = os.path.join(OUT, "a")
    os.makedirs(ex, exist_ok=True)
    subprocess.run(["tar", "xzf", path, "-C", ex], check=True)
    top = os.path.join(ex, os.listdir(ex)[0])
    names = sorted(os.listdir(top))
    assert names == sorted(["README.txt", "manifest.json", "manifest.sig",
                            "public-key.pem", "SHA256SUMS", "users.jsonl",
                            "projects.jsonl", "api_keys.jsonl",
                            "admin_api_keys.jsonl", "service_accounts.jsonl",
                            "findings.jsonl", "events.jsonl",
                            "orgaudit_activity.jsonl", "usage.jsonl",
                            "costs.jsonl"]), names
    r = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=top,
                       capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.count(": OK") == 14, r.stdout
    r = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey",
                        "public-key.pem", "-rawin", "-in", "manifest.json",
                        "-sigfile", "manifest.sig"], cwd=top,
                       capture_output=True, text=True)
    assert r.returncode == 0 and "Verified Successfully" in r.stdout, r
    r = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey",
                        S["pub"], "-rawin", "-in", "manifest.json",
                        "-sigfile", "manifest.sig"], cwd=top,
                       capture_output=True, text=True)
    assert r.returncode == 0, r
    man = json.load(open(os.path.join(top, "manifest.json")))
    assert man["format"] == "orgaudit-evidence-pack/3"
    assert {"usage.jsonl", "costs.jsonl"} <= {f["name"] for f in
                                               man["files"]}
    assert man["org"]["id"] == S["org"]
    assert man["signing_key"]["fingerprint"] == S["fp"]
    assert man["previous_manifest_sha256"] is None
    # The period's events, in chain order, each hash recomputable.
    lines = open(os.path.join(top, "events.jsonl"), "rb").read().splitlines()
    assert len(lines) == man["events"]["records"] > 10
    prev = None
    for raw in lines:
        ev = json.loads(raw)
        entry = raw[raw.index(b'"entry":') + 8:-1]
        assert hashlib.sha256(bytes.fromhex(ev["prev_hash"]) + entry) \
            .hexdigest() == ev["hash"]
        assert S["t0"] <= ev["entry"]["effective_at"] < S["t1"]
        if prev and ev["seq"] == prev["seq"] + 1:
            assert ev["prev_hash"] == prev["hash"]
        prev = ev
    # The tenant's own trail in the period: the operator's tenant, tokens
    # and org, chained the same way, consecutive.
    acts = open(os.path.join(top, "orgaudit_activity.jsonl"),
                "rb").read().splitlines()
    assert len(acts) == man["activity"]["records"] >= 4, acts
    prev = None
    for raw in acts:
        a = json.loads(raw)
        entry = raw[raw.index(b'"entry":') + 8:-1]
        assert hashlib.sha256(bytes.fromhex(a["prev_hash"]) + entry) \
            .hexdigest() == a["hash"]
        assert S["t0"] <= a["entry"]["at"] < S["t1"]
        assert a["entry"]["tenant"] == S["tenant"]
        if prev:
            assert a["seq"] == prev["seq"] + 1 and \
                a["prev_hash"] == prev["hash"]
        prev = a
    assert {"tenant.added", "token.created", "org.connected"} <= \
        {json.loads(x)["entry"]["action"] for x in acts}
    # As of the pull; no address anywhere; README says how to check.
    users = [json.loads(x) for x in open(os.path.join(top, "users.jsonl"))]
    assert len(users) == 13 and all("email_sha256" in u for u in users)
    for name in names:
        assert CANARY_DOMAIN.encode() not in \
            open(os.path.join(top, name), "rb").read(), name
    readme = open(os.path.join(top, "README.txt")).read()
    assert "sha256sum -c SHA256SUMS" in readme and S["fp"] in readme
    rc, out = verify(path, "--public-key", S["pub"])
    assert rc == 0 and "pack verifies" in out, out
    diag("%d events, %d users; tar, sha256sum -c and openssl pkeyutl accept "
         "it" % (len(lines), len(users)))


def signed(man):
    """manifest.json's bytes for man, as a pack writes them, and their
    signature by the stack's signing key (openssl, Ed25519)."""
    mtext = (json.dumps(man, indent=2, sort_keys=True) + "\n").encode()
    d = os.path.join(OUT, "resign")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "manifest.json"), "wb") as f:
        f.write(mtext)
    subprocess.run(["openssl", "pkeyutl", "-sign", "-rawin", "-inkey",
                    st.path("etc", "signing.key"), "-in",
                    os.path.join(d, "manifest.json"), "-out",
                    os.path.join(d, "manifest.sig")], check=True)
    return mtext, open(os.path.join(d, "manifest.sig"), "rb").read()


def resigned(files, man):
    """files with manifest.json and manifest.sig replaced by man, signed."""
    mtext, sig = signed(man)
    return [(n, mtext if n == "manifest.json" else sig if n ==
             "manifest.sig" else b) for n, b in files]


def without(files, man, gone):
    """An older pack's files: those named in gone left out, the manifest
    man re-signed, SHA256SUMS recomputed over what is left."""
    kept = resigned([(n, b) for n, b in files
                     if n not in gone + ("SHA256SUMS",)], man)
    sums = "".join("%s  %s\n" % (hashlib.sha256(b).hexdigest(), n)
                   for n, b in kept).encode()
    kept.insert([n for n, _ in files].index("SHA256SUMS"),
                ("SHA256SUMS", sums))
    return kept


@test
def a_pack_of_the_first_format_without_the_trail_still_verifies():
    """Packs made before the activity trail (orgaudit-evidence-pack/1)
    have no orgaudit_activity.jsonl (nor usage.jsonl, costs.jsonl);
    verify checks them as they are, and refuses a /2 pack without it."""
    files, top = members(S["a"])
    man = json.loads(dict(files)["manifest.json"])
    man["format"] = "orgaudit-evidence-pack/1"
    del man["activity"]
    gone = ("orgaudit_activity.jsonl", "usage.jsonl", "costs.jsonl")
    man["files"] = [f for f in man["files"] if f["name"] not in gone]
    kept = without(files, man, gone)
    v1 = os.path.join(OUT, "v1.tar.gz")
    repack(kept, top, v1)
    rc, out = verify(v1, "--public-key", S["pub"])
    assert rc == 0 and "pack verifies" in out, out
    # The same files under format /2: the trail is missing.
    man["format"] = "orgaudit-evidence-pack/2"
    kept = resigned(kept, man)
    repack(kept, top, v1)
    rc, out = verify(v1, "--public-key", S["pub"])
    assert rc == 1 and "orgaudit_activity.jsonl is missing" in out, out


@test
def a_pack_of_the_second_format_without_usage_still_verifies():
    """Packs made before usage and costs (orgaudit-evidence-pack/2) have
    no usage.jsonl nor costs.jsonl; verify checks them as they are, and
    refuses a /3 pack without them."""
    files, top = members(S["a"])
    man = json.loads(dict(files)["manifest.json"])
    gone = ("usage.jsonl", "costs.jsonl")
    man["format"] = "orgaudit-evidence-pack/2"
    man["files"] = [f for f in man["files"] if f["name"] not in gone]
    kept = without(files, man, gone)
    v2 = os.path.join(OUT, "v2.tar.gz")
    repack(kept, top, v2)
    rc, out = verify(v2, "--public-key", S["pub"])
    assert rc == 0 and "pack verifies" in out, out
    man["format"] = "orgaudit-evidence-pack/3"
    kept = resigned(kept, man)
    repack(kept, top, v2)
    rc, out = verify(v2, "--public-key", S["pub"])
    assert rc == 1 and "usage.jsonl is missing" in out, out


@test
def the_same_data_gives_the_same_bytes():
    r = create(S["t0"], S["t1"], os.path.join(OUT, "a2.tar.gz"))
    assert "stored before" in r.stdout, r.stdout
    a = open(S["a"], "rb").read()
    assert open(os.path.join(OUT, "a2.tar.gz"), "rb").read() == a
    # Gone from the store and made again from the same rows: the same.
    st.sql("DELETE FROM evidence_pack")
    for d, _, fs in os.walk(st.path("packs")):
        for f in fs:
            os.unlink(os.path.join(d, f))
    create(S["t0"], S["t1"], os.path.join(OUT, "a3.tar.gz"))
    assert open(os.path.join(OUT, "a3.tar.gz"), "rb").read() == a
    with gzip.open(S["a"]) as g:
        g.read()
    assert a[4:8] == b"\0\0\0\0", "the gzip header carries a time"
    with tarfile.open(S["a"]) as t:
        for m in t.getmembers():
            assert (m.uid, m.gid, m.uname, m.gname, m.mtime) == \
                (0, 0, "", "", S["t1"]), m


def mutations(files):
    """Every mutation of every line of every file: (label, files)."""
    for i, (name, data) in enumerate(files):
        if name == "manifest.sig":
            cuts = [(b, bytes([data[b] ^ 1])) for b in (0, 31, 63)]
            for b, rep in cuts:
                yield "%s: byte %d flipped" % (name, b), \
                    files[:i] + [(name, data[:b] + rep + data[b + 1:])] + \
                    files[i + 1:]
            yield name + ": cut", files[:i] + [(name, data[:40])] + \
                files[i + 1:]
            continue
        lines = data.split(b"\n")
        tail = lines[-1] == b""
        if tail:
            lines = lines[:-1]

        def put(ls, label):
            body = b"\n".join(ls) + (b"\n" if tail and ls else b"")
            return label, files[:i] + [(name, body)] + files[i + 1:]
        for k, line in enumerate(lines):
            flipped = bytearray(line or b" ")
            flipped[len(flipped) // 2] ^= 0x20 if flipped[len(flipped) // 2] \
                not in (0x22, 0x5c) else 0x01
            yield put(lines[:k] + [bytes(flipped)] + lines[k + 1:],
                      "%s line %d: a byte flipped" % (name, k + 1))
            yield put(lines[:k] + lines[k + 1:],
                      "%s line %d: deleted" % (name, k + 1))
            yield put(lines[:k + 1] + [line] + lines[k + 1:],
                      "%s line %d: duplicated" % (name, k + 1))
            if k + 1 < len(lines) and lines[k + 1] != line:
                yield put(lines[:k] + [lines[k + 1], line] + lines[k + 2:],
                          "%s lines %d and %d: swapped" % (name, k + 1, k + 2))
            yield put(lines[:k] + [line[:len(line) // 2]],
                      "%s: cut in line %d" % (name, k + 1))


@test
def every_mutation_of_every_line_is_rejected():
    files, top = members(S["a"])
    bad = os.path.join(OUT, "bad.tar.gz")
    n, passed = 0, []
    for label, mutated in mutations(files):
        repack(mutated, top, bad)
        rc, out = verify(bad, "--public-key", S["pub"])
        n += 1
        if rc != 1:
            passed.append(label)
    assert not passed, "verify accepted: %s" % passed[:10]
    # A file missing, a file added, the whole pack as it was.
    repack(files[:-1], top, bad)
    assert verify(bad, "--public-key", S["pub"])[0] == 1
    repack(files + [("notes.txt", b"x\n")], top, bad)
    assert verify(bad, "--public-key", S["pub"])[0] == 1
    repack(files, top, bad)
    rc, out = verify(bad, "--public-key", S["pub"])
    assert rc == 0, out
    diag("%d mutated packs, each rejected" % n)


def verify_rss(path, *extra):
    """verify under /usr/bin/time: (exit code, output, peak RSS in KiB)."""
    r = subprocess.run(["/usr/bin/time", "-f", "RSS %M", st.bin("orgaudit"),
                        "pack", "verify", path] + list(extra), env=st.env(),
                       capture_output=True, text=True)
    rss = int([x for x in r.stderr.splitlines()
               if x.startswith("RSS ")][-1].split()[1])
    return r.returncode, r.stdout, rss


@test
def names_in_the_archive_cannot_print_lines_of_their_own():
    files, top = members(S["a"])
    bad = os.path.join(OUT, "names.tar.gz")
    fake = "x\nok    this pack is genuine\x1b[32m\r"
    repack(files + [(fake, b"")], top, bad)
    rc, out = verify(bad, "--public-key", S["pub"])
    assert rc == 1, out
    assert "\x1b" not in out and "\r" not in out, repr(out)
    lines = out.splitlines()
    assert not any(line.startswith("ok    this pack") for line in lines), \
        out
    assert any("x\\x0aok    this pack" in line and line.startswith(
        "FAIL  ") for line in lines), out


@test
def a_small_pack_cannot_make_verify_use_much_memory():
    files, top = members(S["a"])
    bomb = os.path.join(OUT, "bomb.tar.gz")
    # 64 MiB of one line compresses to about 65 kB.
    d = dict(files)
    d["events.jsonl"] = b"[" * (64 << 20)
    repack([(n, d[n]) for n, _ in files], top, bomb)
    assert os.path.getsize(bomb) < 200000, os.path.getsize(bomb)
    rc, out, rss = verify_rss(bomb, "--public-key", S["pub"])
    assert rc == 1 and "a line too long" in out, out
    assert rss < 48 * 1024, "verify took %d KiB for a %d-byte pack" % (
        rss, os.path.getsize(bomb))
    diag("a %d-byte pack of 64 MiB: verify peaked at %d KiB" % (
        os.path.getsize(bomb), rss))
    # A describing file over its limit, and a pack over --max-bytes.
    d = dict(files)
    d["README.txt"] = b"r" * (2 << 20)
    repack([(n, d[n]) for n, _ in files], top, bomb)
    rc, out = verify(bomb, "--public-key", S["pub"])
    assert rc == 1 and "README.txt is larger than 1024 KiB" in out, out
    rc, out = verify(S["a"], "--public-key", S["pub"], "--max-bytes", "4096")
    assert rc == 1 and "more than 4096 bytes" in out, out


@test
def sums_and_manifest_recomputed_without_the_key_fail():
    files, top = members(S["a"])
    d = dict(files)
    users = d["users.jsonl"].replace(b'"role":"owner"', b'"role":"reader"', 1)
    assert users != d["users.jsonl"]
    man = json.loads(d["manifest.json"])
    for f in man["files"]:
        if f["name"] == "users.jsonl":
            f["sha256"] = hashlib.sha256(users).hexdigest()
            f["bytes"] = len(users)
    d["users.jsonl"] = users
    d["manifest.json"] = (json.dumps(man, indent=2, sort_keys=True) +
                          "\n").encode()

    def sums(dd):
        return "".join("%s  %s\n" % (hashlib.sha256(dd[n]).hexdigest(), n)
                       for n, _ in files if n != "SHA256SUMS").encode()
    d["SHA256SUMS"] = sums(d)
    forged = os.path.join(OUT, "forged.tar.gz")
    repack([(n, d[n]) for n, _ in files], top, forged)
    rc, out = verify(forged, "--public-key", S["pub"])
    assert rc == 1 and "manifest.sig" in out, out
    # Signed again with another key, that key put in the pack.
    key = os.path.join(OUT, "other.key")
    subprocess.run(["openssl", "genpkey", "-algorithm", "ED25519", "-out",
                    key], check=True)
    pem = subprocess.run(["openssl", "pkey", "-in", key, "-pubout"],
                         capture_output=True, check=True).stdout
    der = subprocess.run(["openssl", "pkey", "-in", key, "-pubout",
                          "-outform", "DER"], capture_output=True,
                         check=True).stdout
    man["signing_key"]["fingerprint"] = hashlib.sha256(der).hexdigest()
    d["manifest.json"] = (json.dumps(man, indent=2, sort_keys=True) +
                          "\n").encode()
    d["public-key.pem"] = pem
    for f in man["files"]:
        if f["name"] == "public-key.pem":
            f["sha256"] = hashlib.sha256(pem).hexdigest()
            f["bytes"] = len(pem)
    d["manifest.json"] = (json.dumps(man, indent=2, sort_keys=True) +
                          "\n").encode()
    mpath = os.path.join(OUT, "m.json")
    open(mpath, "wb").write(d["manifest.json"])
    subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", key, "-rawin",
                    "-in", mpath, "-out", mpath + ".sig"], check=True)
    d["manifest.sig"] = open(mpath + ".sig", "rb").read()
    d["SHA256SUMS"] = sums(d)
    repack([(n, d[n]) for n, _ in files], top, forged)
    rc, out = verify(forged, "--public-key", S["pub"])
    assert rc == 1 and "does not verify with the key given" in out, out
    # Against its own key it is consistent, and says whose key that is,
    # but a key the pack brings vouches for nothing: it does not verify.
    rc, out = verify(forged)
    assert rc == 1 and man["signing_key"]["fingerprint"] in out, out
    assert "not checked against a trusted key" in out, out
    assert S["fp"] not in out
    # Trusted by fingerprint: the published one refuses the forgery, the
    # genuine pack passes.
    rc, out = verify(forged, "--fingerprint", S["fp"])
    assert rc == 1 and "not the trusted key" in out, out
    rc, out = verify(S["a"], "--fingerprint", S["fp"])
    assert rc == 0 and "is the trusted key" in out, out


@test
def a_chain_of_packs_reports_a_replaced_or_skipped_one():
    # Three adjoining periods after the first, each made right after a
    # pull (a pack holds the newest pull at or before its end).
    ends, paths = [], []
    start = S["t1"]
    for k in range(3):
        time.sleep(1.1)         # each pull after the previous period's end
        r = st.collect("--org", str(S["org"]))
        assert r.returncode == 0
        time.sleep(1.2)
        ends.append(int(time.time()))
        p = os.path.join(OUT, "chain%d.tar.gz" % k)
        create(start, ends[-1], p)
        paths.append(p)
        start = ends[-1]
    man = [json.loads(dict(members(p)[0])["manifest.json"]) for p in paths]
    assert man[0]["previous_manifest_sha256"] == hashlib.sha256(
        dict(members(S["a"])[0])["manifest.json"]).hexdigest()
    rc, out = verify(paths[0], "--public-key", S["pub"], "--previous", S["a"])
    assert rc == 0 and "periods adjoining" in out, out
    rc, out = verify(paths[1], "--public-key", S["pub"], "--previous",
                     paths[0])
    assert rc == 0, out
    # Skipped: the third after the first.
    rc, out = verify(paths[2], "--public-key", S["pub"], "--previous",
                     paths[0])
    assert rc == 1 and "replaced or skipped" in out, out
    # Replaced: another pack put where the second was.
    other = os.path.join(OUT, "other.tar.gz")
    create(S["t1"] - 3600, ends[2], other)
    rc, out = verify(paths[2], "--public-key", S["pub"], "--previous", other)
    assert rc == 1 and "replaced or skipped" in out, out
    # A period whose pull has been replaced since cannot be made again.
    r = create(ends[0], ends[1], check=False)
    assert r.returncode == 2 and "nothing of org" in r.stderr, r.stderr


@test
def a_past_period_holds_the_pull_of_its_end():
    # Make the current pulls last month's, then pull again: those become
    # kept (a month's last pull), and a pack for last month holds them.
    now = int(time.time())
    y, m = time.gmtime(now)[:2]
    this_month = calendar.timegm((y, m, 1, 0, 0, 0))
    old = this_month - 86400 * 3
    st.sql("UPDATE org_stream SET pulled_at = %d WHERE org_id = %d"
           % (old, S["org"]))
    r = st.collect("--org", str(S["org"]))
    assert r.returncode == 0
    kept = st.sql("SELECT stream, pulled_at FROM org_stream_kept WHERE"
                  " org_id = %d ORDER BY stream" % S["org"])
    # Every snapshot stream: the seven of the keys and people, and the
    # eight of the settings.
    assert len(kept) == 15 and {int(k[1]) for k in kept} == {old}, kept
    # The kept rows survive the purge.
    n_users = st.sql("SELECT COUNT(DISTINCT gen) FROM oa_user WHERE org_id"
                     " = %d" % S["org"])[0][0]
    assert n_users == "2", n_users
    p = os.path.join(OUT, "lastmonth.tar.gz")
    create(this_month - 86400 * 20, this_month, p)
    man = json.loads(dict(members(p)[0])["manifest.json"])
    assert man["as_of"] == time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                         time.gmtime(old)), man["as_of"]
    assert verify(p, "--public-key", S["pub"])[0] == 0


@test
def refusals_are_clear():
    now = int(time.time())
    r = create(now - 86400, now + 86400, check=False)
    assert r.returncode == 2 and "future" in r.stderr, r.stderr
    r = create(now - 86400, now - 2 * 86400, check=False)
    assert r.returncode == 2 and "end after it starts" in r.stderr
    r = create(S["t0"] - 86400 * 400, S["t0"] - 86400 * 300, check=False)
    assert r.returncode == 2 and "nothing of org" in r.stderr, r.stderr
    r = st.cli("pack", "create", "--org", str(S["org"]), "--start",
               "2026-13-01", "--end", "2026-12-01", check=False)
    assert r.returncode == 2 and "UTC" in r.stderr
    r = st.cli("pack", "verify", "/nonexistent.tar.gz", check=False)
    assert r.returncode == 1 and "FAIL" in r.stdout
    # A chain that does not verify makes no pack.
    st.sql("DROP TRIGGER IF EXISTS audit_event_no_update;"
           " UPDATE audit_event SET body = REPLACE(body, '\"type\"',"
           " '\"type\" ') WHERE org_id = %d AND seq = 5" % S["org"])
    try:
        r = create(S["t0"], S["t1"] + 1, check=False)
        assert r.returncode == 1 and "does not verify" in r.stderr, r.stderr
        status, _, body = api_post({"org_id": S["org"], "period_start":
                                    "2026-01-01", "period_end":
                                    time.strftime("%Y-%m-%d")})
        assert status == 202, body
        job = json.loads(body)
        assert st.worker(check=False).returncode == 1
        job = st.api(job["url"], S["tok"])
        assert job["status"] == "failed" and "does not verify" in \
            job["error"] and job["pack"] is None, job
    finally:
        st.sql("UPDATE audit_event SET body = REPLACE(body, '\"type\" ',"
               " '\"type\"') WHERE org_id = %d AND seq = 5" % S["org"])
        sql = open(os.path.join(os.path.dirname(__file__), "..", "..",
                                "sql", "005_audit.sql")).read()
        st.sql("DROP TRIGGER IF EXISTS audit_event_no_update;"
               " DROP TRIGGER IF EXISTS audit_event_no_delete;" +
               sql[sql.index("CREATE TRIGGER"):])
    assert st.cli("events", "verify", "--org", str(S["org"])).returncode == 0


def api_post(body, token=None):
    return st.http("POST", "/api/v1/openai/evidence-packs",
                   token=token or S["tok"],
                   headers={"Content-Type": "application/json"},
                   body=json.dumps(body))


def made_by_the_worker(status, h, body):
    """A 202 from a pack request: the worker runs, the job ends with its
    pack; returns (job, pack id)."""
    assert status == 202, body[:300]
    job = json.loads(body)
    assert job["object"] == "orgaudit.job" and job["status"] == "queued"
    assert h["location"] == job["url"] == "/api/v1/jobs/%d" % job["id"]
    st.worker()
    job = st.api(job["url"], S["tok"])
    assert job["status"] == "done" and job["pack"], job
    assert job["progress"]["done"] == job["progress"]["total"] > 0, job
    return job, job["pack"]["id"]


@test
def the_api_makes_lists_and_serves_packs():
    start = time.strftime("%Y-%m-%d", time.gmtime(S["t0"]))
    end = time.strftime("%Y-%m-%d", time.gmtime(S["t1"] - 86400))
    want = {"org_id": S["org"], "period_start": start, "period_end": end}
    # A token that may only read cannot make packs.
    status, _, body = api_post(want, token=S["read"])
    assert status == 403 and b"admin scope" in body, (status, body)
    status, h, body = api_post(want)
    queued = json.loads(body)
    # The same request before the worker ran: the same job, no other.
    status2, _, body2 = api_post(want)
    assert status2 == 202 and json.loads(body2)["id"] == queued["id"]
    job, pid = made_by_the_worker(status, h, body)
    status, h, body = st.http("GET", job["pack"]["download"], token=S["tok"])
    assert status == 200 and h["content-type"] == "application/gzip"
    assert h["x-pack-sha256"] == hashlib.sha256(body).hexdigest()
    assert "attachment; filename=\"orgaudit-pack-org" in \
        h["content-disposition"]
    assert int(h["x-pack-id"]) == pid
    p = os.path.join(OUT, "api.tar.gz")
    open(p, "wb").write(body)
    assert verify(p, "--public-key", S["pub"])[0] == 0
    # Asked again: the stored pack, at once, and no new job.
    jobs = st.sql("SELECT COUNT(*) FROM job")
    status, h2, again = api_post(want)
    assert status == 200 and json.loads(again)["id"] == pid, again
    assert h2["location"] == "/api/v1/openai/evidence-packs/%d" % pid
    assert st.sql("SELECT COUNT(*) FROM job") == jobs
    # A read token follows the job and downloads the pack.
    assert st.api(job["url"], S["read"])["id"] == job["id"]
    status, _, got = st.http("GET", job["pack"]["download"],
                             token=S["read"])
    assert status == 200 and got == body
    lst = st.api("/api/v1/openai/evidence-packs?limit=2", S["tok"])
    assert len(lst["data"]) == 2 and lst["next_cursor"], lst
    assert lst["data"][0]["id"] > lst["data"][1]["id"]
    allp = st.api("/api/v1/openai/evidence-packs?org_id=%d&limit=200"
                  % S["org"], S["tok"])
    assert pid in [x["id"] for x in allp["data"]]
    one = [x for x in allp["data"] if x["id"] == pid][0]
    assert one["sha256"] == hashlib.sha256(body).hexdigest()
    # Refusals.
    for bad, code in (({"org_id": S["org"]}, 400),
                      ({"org_id": S["org"], "period_start": "yesterday",
                        "period_end": end}, 400),
                      ({"org_id": S["org"], "period_start": end,
                        "period_end": start}, 400),
                      ({"org_id": S["org"], "period_start": start,
                        "period_end": "2999-01-01"}, 400),
                      ({"org_id": 999999, "period_start": start,
                        "period_end": end}, 404)):
        status, _, b = api_post(bad)
        assert status == code, (bad, status, b)
    other = st.tenant("Other")
    tok2 = st.token(other, scope="admin")
    status, _, _ = api_post({"org_id": S["org"], "period_start": start,
                             "period_end": end}, token=tok2)
    assert status == 404
    status, _, _ = st.http("GET", "/api/v1/openai/evidence-packs/%d" % pid,
                           token=tok2)
    assert status == 404
    assert st.http("GET", job["url"], token=tok2)[0] == 404
    status, h, _ = st.http("PUT", "/api/v1/openai/evidence-packs",
                           token=S["tok"])
    assert status == 405 and "POST" in h["allow"], h
    status, _, _ = st.http("POST", "/api/v1/openai/evidence-packs",
                           token=S["tok"], body="{not json")
    assert status == 400


@test
def the_dashboard_lists_makes_and_serves_packs():
    _, pw = st.account(S["tenant"], "viewer@packs.example", role="viewer")
    v = WebClient(st).login("viewer@packs.example", pw)
    status, _, page = v.get("/orgs/%d/packs" % S["org"])
    assert status == 200 and S["fp"] in page and "BEGIN PUBLIC KEY" in page
    assert "Owners make packs" in page and 'name="since"' not in page
    day = time.strftime("%Y-%m-%d", time.gmtime(S["t1"] - 86400 * 2))
    day0 = time.strftime("%Y-%m-%d", time.gmtime(S["t0"] + 86400))
    # A viewer's request is refused.
    status, _, _ = v.post("/orgs/%d/packs" % S["org"], {"csrf": v.csrf(
        "/orgs/%d/packs" % S["org"]), "since": day0, "until": day})
    assert status == 403
    _, opw = st.account(S["tenant"], "owner@packs.example", role="owner")
    c = WebClient(st).login("owner@packs.example", opw)
    csrf = c.csrf("/orgs/%d/packs" % S["org"])
    status, h, _ = c.post("/orgs/%d/packs" % S["org"],
                          {"csrf": csrf, "since": day0, "until": day})
    assert status == 303 and "pack_asked" in h["location"], (status, h)
    # While the job waits the page shows it and reloads itself.
    status, _, page = c.get(h["location"])
    assert "The evidence pack is being made" in page
    assert 'http-equiv="refresh"' in page and "queued" in page, page
    st.worker()
    status, _, page = c.get("/orgs/%d/packs" % S["org"])
    assert 'http-equiv="refresh"' not in page and ">done<" in page
    href = page.split('download>')[0].rsplit('href="', 1)[1].split('"')[0]
    status, h, body = st.http("GET", href, headers={"Cookie": c.cookie})
    assert status == 200 and h["content-type"] == "application/gzip"
    assert h["x-pack-sha256"] == hashlib.sha256(body).hexdigest()
    p = os.path.join(OUT, "web.tar.gz")
    open(p, "wb").write(body)
    assert verify(p, "--public-key", S["pub"])[0] == 0
    # The same period again: the pack is there, no work.
    status, h, _ = c.post("/orgs/%d/packs" % S["org"],
                          {"csrf": csrf, "since": day0, "until": day})
    assert status == 303 and "pack_same" in h["location"], h
    status, _, _ = c.post("/orgs/%d/packs" % S["org"],
                          {"since": day0, "until": day})
    assert status == 403                  # no CSRF token
    status, _, _ = c.get("/orgs/%d/packs/999999" % S["org"])
    assert status == 404


@test
def a_tenant_has_a_quota_of_requests_and_of_packs():
    start = time.strftime("%Y-%m-%d", time.gmtime(S["t0"] - 86400 * 3))
    st.write_conf(pack_jobs_per_hour=2, pack_quota=1000)
    st.stop_web()
    st.start_web()
    try:
        asked = st.sql("SELECT COUNT(*) FROM job WHERE created_at >= %d"
                       % (time.time() - 3600))[0][0]
        n = 0
        while True:
            end = str(S["t1"] + n)
            status, h, body = api_post({"org_id": S["org"],
                                        "period_start": start,
                                        "period_end": end})
            n += 1
            if status != 202:
                break
            assert n < 5, "no limit after %d requests" % n
        assert int(asked) + n - 1 >= 2
        assert status == 429 and int(h["retry-after"]) > 0, (status, h)
        assert json.loads(body)["error"]["code"] == "rate_limited"
        st.worker()
        stored = int(st.sql("SELECT COUNT(*) FROM evidence_pack WHERE"
                            " tenant_id = %d" % S["tenant"])[0][0])
        st.write_conf(pack_jobs_per_hour=1000, pack_quota=stored)
        st.stop_web()
        st.start_web()
        status, _, body = api_post({"org_id": S["org"], "period_start":
                                    start, "period_end": str(S["t1"] + 9)})
        assert status == 507, (status, body)
        assert json.loads(body)["error"]["code"] == "quota_exceeded"
    finally:
        st.write_conf(pack_jobs_per_hour=30, pack_quota=500)
        st.stop_web()
        st.start_web()


@test
def monthly_makes_last_months_pack_for_each_org():
    now = int(time.time())
    y, m = time.gmtime(now)[:2]
    first = calendar.timegm((y, m, 1, 0, 0, 0))
    st.sql("UPDATE org_connection SET connected_at = %d WHERE org_id = %d"
           % (first - 86400 * 60, S["org"]))
    r = st.cli("pack", "monthly", check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 packs asked for, 0 orgs without one" in r.stdout, r.stdout
    assert st.sql("SELECT COUNT(*) FROM evidence_pack WHERE made_by ="
                  " 'monthly'") == [["0"]], "made by the CLI, not the worker"
    st.worker()
    made = st.sql("SELECT period_start, period_end, made_by FROM"
                  " evidence_pack WHERE made_by = 'monthly'")
    assert made == [[str(calendar.timegm((y - (m == 1), (m - 2) % 12 + 1, 1,
                                          0, 0, 0))), str(first),
                     "monthly"]], made
    r = st.cli("pack", "monthly", check=False)
    assert "holds it already" in r.stdout, r.stdout


def teardown():
    st.stop()


if __name__ == "__main__":
    run(setup, teardown)
