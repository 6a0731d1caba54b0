#!/usr/bin/env python3
"""One opensnoop storm per implementation: events printed, lost, CPU per event, peak RSS.

    storm.py STORM_BINARY COUNT IMPL=TOOL [IMPL=TOOL ...]

For each tool: starts the storm process (it waits on stdin), starts the tool
with `-p <storm pid>` writing to a file, waits until it holds its attachments
(libbpf-tools' stdout is block-buffered, so no header shows), releases the
storm (COUNT opens of /dev/null), waits until the output stops growing, reads
the tool's peak RSS (VmHWM: this program only, not the fork it was exec'd
from, which ru_maxrss would count), stops it with SIGINT and reads its user
and system CPU (wait4). Printed = lines for the storm's pid and /dev/null; lost = the
tool's own reports ("Possibly lost N samples" on stdout for ours, libbpf-tools'
"Lost N events on CPU #k!" on stderr). Prints RESULT lines
(opensnoop_storm.{printed,lost,cpu_per_event,maxrss}.IMPL).
"""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time

LOST = [re.compile(r"^Possibly lost (\d+) samples$"), re.compile(r"^Lost (\d+) events on CPU #\d+!$")]


def wait_for(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def attachments(pid):
    """The tool's descriptors that are tracepoint attachments (perf events, BPF links)."""
    count = 0
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target in ("anon_inode:[perf_event]", "anon_inode:bpf_link"):
                count += 1
    except OSError:
        pass
    return count


def peak_rss(pid):
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def run(storm, count, impl, tool, work):
    out_path, err_path = os.path.join(work, f"{impl}.out"), os.path.join(work, f"{impl}.err")
    release_r, release_w = os.pipe()
    storm_proc = subprocess.Popen([storm, str(count)], stdin=release_r)
    os.close(release_r)
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        tool_proc = subprocess.Popen([tool, "-p", str(storm_proc.pid)], stdout=out, stderr=err)
    size = lambda: os.path.getsize(out_path)
    # opensnoop attaches an entry and an exit tracepoint for open, openat and openat2.
    if not wait_for(lambda: attachments(tool_proc.pid) >= 4 or tool_proc.poll() is not None, 120):
        raise SystemExit(f"storm.py: {impl} attached nothing in 120 s")
    time.sleep(1.0)  # the rest of the attachments, and the poll loop
    started = time.monotonic()
    os.write(release_w, b"x")
    os.close(release_w)
    storm_proc.wait()
    storm_seconds = time.monotonic() - started
    # Until the output stops growing for a second (at most 60 s).
    last, still = -1, time.monotonic()
    while time.monotonic() - still < 1.0 and time.monotonic() - started < 60:
        now = size()
        if now != last:
            last, still = now, time.monotonic()
        time.sleep(0.1)
    rss = peak_rss(tool_proc.pid)
    tool_proc.send_signal(signal.SIGINT)
    _, status, usage = os.wait4(tool_proc.pid, 0)
    tool_proc.returncode = status
    cpu = usage.ru_utime + usage.ru_stime
    pid = str(storm_proc.pid)
    printed, lost = 0, 0
    for path in (out_path, err_path):
        with open(path, errors="replace") as handle:
            for line in handle:
                line = line.rstrip("\n")
                fields = line.split()
                if len(fields) >= 5 and fields[0] == pid and fields[-1] == "/dev/null":
                    printed += 1
                for pattern in LOST:
                    match = pattern.match(line)
                    if match:
                        lost += int(match.group(1))
    print(f"{impl}: storm {storm_seconds:.2f} s, printed {printed}, lost {lost}, of {count}; "
          f"CPU {cpu:.3f} s, peak RSS {rss} KiB", file=sys.stderr)
    print(f"RESULT name=opensnoop_storm.printed.{impl} value={printed} unit=records")
    print(f"RESULT name=opensnoop_storm.lost.{impl} value={lost} unit=records")
    if printed:
        print(f"RESULT name=opensnoop_storm.cpu_per_event.{impl} value={cpu / printed * 1e6:.4f} unit=us")
    print(f"RESULT name=opensnoop_storm.maxrss.{impl} value={rss} unit=KiB")


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    storm, count = sys.argv[1], int(sys.argv[2])
    with tempfile.TemporaryDirectory(prefix="opensnoop-storm-") as work:
        for spec in sys.argv[3:]:
            impl, _, tool = spec.partition("=")
            run(storm, count, impl, tool, work)


if __name__ == "__main__":
    main()
