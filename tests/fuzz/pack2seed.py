#!/usr/bin/env python3
"""pack2seed.py PACK.tar.gz > SEED: an evidence pack as fuzz-pack-verify's
input, each member as "=== PATH LENGTH\\n" then its bytes, in the
archive's order."""
import sys
import tarfile

out = sys.stdout.buffer
with tarfile.open(sys.argv[1], "r:gz") as t:
    for m in t.getmembers():
        data = t.extractfile(m).read() if m.isfile() else b""
        name = m.name + ("/" if m.isdir() else "")
        out.write(b"=== %s %d\n" % (name.encode(), len(data)))
        out.write(data)
