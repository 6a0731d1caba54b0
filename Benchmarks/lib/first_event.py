#!/usr/bin/env python3
"""Seconds from starting an opensnoop-like tool to its first event line.

    first_event.py GROUP IMPL command...

While the tool starts, a thread opens /dev/null every millisecond, so an
event is always at hand once the tool is attached. The first line of the
tool's standard output that is not its column header ends the measurement;
the tool then gets SIGINT (SIGKILL after 5 s). Prints
`RESULT name=GROUP.IMPL value=SECONDS unit=s` (wall seconds), or nothing and
exit status 1 when no event came within 60 s.
"""

import os
import signal
import subprocess
import sys
import threading
import time


def main():
    group, impl, command = sys.argv[1], sys.argv[2], sys.argv[3:]
    stop = threading.Event()

    def opens():
        while not stop.is_set():
            os.close(os.open("/dev/null", os.O_RDONLY))
            time.sleep(0.001)

    threading.Thread(target=opens, daemon=True).start()
    start = time.monotonic()
    tool = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    timer = threading.Timer(60, tool.kill)
    timer.start()
    elapsed = None
    for raw in tool.stdout:
        line = raw.decode(errors="replace").strip()
        # Column headers (opensnoop's start with PID, TIME or a comment), and
        # the "Tracing..." line some versions print.
        if not line or line.split()[0] in ("PID", "TIME(s)", "TIME", "#") or line.startswith("Tracing"):
            continue
        elapsed = time.monotonic() - start
        break
    timer.cancel()
    stop.set()
    tool.send_signal(signal.SIGINT)
    try:
        tool.wait(timeout=5)
    except subprocess.TimeoutExpired:
        tool.kill()
        tool.wait()
    if elapsed is None:
        print(f"first_event.py: {' '.join(command)} printed no event", file=sys.stderr)
        return 1
    print(f"RESULT name={group}.{impl} value={elapsed:.4f} unit=s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
