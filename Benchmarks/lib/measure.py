#!/usr/bin/env python3
"""Runs a command and prints the RESULT lines of one run of it.

    measure.py GROUP IMPL command [args...]

prints `RESULT name=GROUP.IMPL value=<user+system CPU seconds> unit=s` and
`RESULT name=GROUP_wall.IMPL value=<wall seconds> unit=s`. The CPU time is the
command's whole process tree (getrusage RUSAGE_CHILDREN), at microsecond
resolution; its standard output is discarded so the terminal or disk is not
measured. Exits with the command's status.
"""

import resource
import subprocess
import sys
import time


def main():
    if len(sys.argv) < 4:
        sys.exit("usage: measure.py GROUP IMPL command [args...]")
    group, impl, command = sys.argv[1], sys.argv[2], sys.argv[3:]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    status = subprocess.call(command, stdout=subprocess.DEVNULL)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if status != 0:
        print(f"measure.py: {' '.join(command)} exited with {status}", file=sys.stderr)
        sys.exit(status)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(f"RESULT name={group}.{impl} value={cpu:.6f} unit=s")
    print(f"RESULT name={group}_wall.{impl} value={wall:.6f} unit=s")


if __name__ == "__main__":
    main()
