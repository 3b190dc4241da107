#!/usr/bin/env python3
"""The bounded network fuzzer (netfuzz.py) as a case of the security suite:
about 30 s of random, valid-looking tracker, seeder and downloader traffic,
after which every process must still run, answer an honest announce and
serve an honest download, with no sanitizer report in its stderr.

Each run draws a new seed (printed); a failure is replayed with
`tests/security/netfuzz.py --seed S` and the failing session alone with
`--only PHASE:N`. NETFUZZ_SECONDS and NETFUZZ_SEED override the defaults.
"""
import os
import subprocess
import sys

sys.dont_write_bytecode = True
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "pylib"))
import mtlib  # noqa: E402


def main():
    suite = mtlib.Suite()
    seconds = os.environ.get("NETFUZZ_SECONDS", "30")
    args = [sys.executable, os.path.join(here, "netfuzz.py"), "--seconds", seconds, "--bin", mtlib.BIN]
    if os.environ.get("NETFUZZ_SEED"):
        args += ["--seed", os.environ["NETFUZZ_SEED"]]

    def run():
        # The fuzzing time plus start-up, the honest download and the
        # downloader's finish (each bounded inside netfuzz.py).
        r = subprocess.run(args, capture_output=True, text=True, timeout=float(seconds) + 240)
        sys.stdout.write("".join("  " + line + "\n" for line in r.stdout.splitlines()))
        if r.returncode != 0:
            raise AssertionError("netfuzz exit %d: %s %s" % (r.returncode, r.stdout[-800:], r.stderr[-800:]))
        if "netfuzz: ok" not in r.stdout:
            raise AssertionError("no 'netfuzz: ok' line: %r" % r.stdout[-400:])

    suite.case("netfuzz_bounded_run", run)
    return suite.finish()


if __name__ == "__main__":
    sys.exit(main())
