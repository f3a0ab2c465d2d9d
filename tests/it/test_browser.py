#!/usr/bin/env python3
"""The dashboard in a real browser: Debian's Chromium, headless, driven by
playwright-core (tests/browser/dashboard.mjs).  This suite starts the
stack, makes an owner account and an empty tenant, and hands the browser
script what it needs; the script's TAP lines are this suite's.
Every page of a list under an org is taken from the program's route
table (orgaudit routes --json), so a list added later is visited too.
Screenshots of every page land in tests/out/it-browser/screenshots/.
"""
import os
import shlex
import subprocess
import sys

from common import CANARY_DOMAIN, SRC, new_stack

st = new_stack("it-browser")


def main():
    try:
        st.start_db()
        st.start_sim("--users", "30", "--projects", "6", "--keys-per-project",
                     "12", "--seed", "41", "--hostile-names",
                     "--email-domain", CANARY_DOMAIN)
        st.write_conf()
        st.init_orgaudit()
        st.start_web()
        routes = st.path("routes.json")
        with open(routes, "w") as f:
            f.write(st.cli("routes", "--json").stdout)
        tenant = st.tenant("Browser Co")
        _, password = st.account(tenant, "owner@browser-co.example",
                                 "owner")
    except Exception as e:          # the stack itself did not come up
        print("not ok - setup")
        print("# %s" % e)
        st.stop()
        return 1
    env = dict(os.environ,
               OA_URL="http://127.0.0.1:%d" % st.nginx_port,
               OA_EMAIL="owner@browser-co.example",
               OA_PASSWORD=password,
               OA_ADMIN_KEY_FILE=st.path("etc", "admin.key"),
               OA_TRUTH_URL=st.sim_url("/_sim/truth"),
               OA_COLLECT="ORGAUDIT_CONF=%s %s --all" % (
                   shlex.quote(st.conf),
                   shlex.quote(st.bin("orgaudit-collect"))),
               OA_SHOTS=st.path("screenshots"),
               OA_ROUTES=routes)
    try:
        r = subprocess.run(["node", os.path.join(SRC, "tests", "browser",
                                                 "dashboard.mjs")],
                           env=env, cwd=os.path.join(SRC, "tests", "browser"),
                           timeout=300)
        return r.returncode
    finally:
        st.stop()


if __name__ == "__main__":
    sys.exit(main())
