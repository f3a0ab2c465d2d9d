"""Shared by the benchmarks: running a command under /usr/bin/time."""
import subprocess
import sys


def timed(cmd, env=None, cwd=None):
    """Runs cmd under /usr/bin/time: (wall s, peak RSS KiB, stdout); exits
    the benchmark with the command's output when it fails."""
    r = subprocess.run(["/usr/bin/time", "-f", "BENCH %e %M"] + list(cmd),
                       env=env, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("bench: %s failed (%d):\n%s%s" % (
            " ".join(cmd[:4]), r.returncode, r.stdout[-2000:],
            r.stderr[-2000:]))
    line = [x for x in r.stderr.splitlines() if x.startswith("BENCH ")][-1]
    _, wall, rss = line.split()
    return float(wall), int(rss), r.stdout
