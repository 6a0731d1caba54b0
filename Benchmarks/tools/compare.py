#!/usr/bin/env python3
"""Runs each of swift-bcc's tools and the libbpf-tools one of the same name on
the same workload, one after the other, and prints RESULT lines.

    compare.py OURS_DIR PEER_DIR WORKLOAD WORK_DIR [tool ...]

A case (Benchmarks/tools/cases_*.py, each a CASES list) names the tool, the
arguments of each implementation, the workload and how to count what the
tool found. Per implementation the driver:

1. starts the workload, which waits for a byte on standard input, so its pid
   can be given to the tool (-p PID);
2. starts the tool and waits for its ready line (or a fixed delay);
3. releases the workload and waits for it to finish;
4. reads the kernel's statistics of the tool's BPF programs (run count and
   run time, /proc/PID/fdinfo with kernel.bpf_stats_enabled=1);
5. reads the tool's peak RSS (VmHWM), stops it with SIGINT, and collects its
   output and rusage (CPU of the process and its children, clang included
   when our tool compiles).

For `tools.<tool>.<metric>.<impl>` (impl `swift` or `libbpf`) it prints:

- `found`: what the tool reported about the workload (its events, or the
  microseconds it measured), unit `records` (no ratio);
- `expected`: what the workload made (unit `records`), for comparison;
- `cpu`: user + system CPU seconds of the tool process, start to exit (unit s);
- `cpu_per_event`: that CPU per workload event (the setup's `events`, else
  what was found), microseconds (unit us/ev);
- `bpf_ns_per_run`: kernel time per run of the tool's BPF programs (unit ns);
- `maxrss`: peak resident set of the tool process itself, KiB, read before
  it is stopped (the report it prints at the end is not included).

A peer that fails (libbpf-tools builds that need fentry or a field this
kernel renamed) prints `PEER-FAILED tool.libbpf: reason` instead of its lines;
one that runs but finds nothing prints `PEER-FOUND-NOTHING tool.libbpf` and
its lines with found=0. Ours failing either way makes the exit status 1.
"""

import glob
import importlib.util
import os
import re
import signal
import subprocess
import sys
import threading
import time


class Run:
    """One implementation's run of a tool: its output lines, rusage and BPF statistics."""

    def __init__(self, lines, stderr, status, cpu, maxrss, bpf_runs, bpf_ns):
        self.lines, self.stderr, self.status = lines, stderr, status
        self.cpu, self.maxrss, self.bpf_runs, self.bpf_ns = cpu, maxrss, bpf_runs, bpf_ns


def bpf_program_stats(pid):
    """(run_cnt, run_time_ns) summed over the BPF programs process `pid` holds."""
    runs = nanoseconds = 0
    for fd in glob.glob(f"/proc/{pid}/fd/*"):
        try:
            if os.readlink(fd) != "anon_inode:bpf-prog":
                continue
            with open(f"/proc/{pid}/fdinfo/{os.path.basename(fd)}") as info:
                for line in info:
                    key, _, value = line.partition(":")
                    if key == "run_cnt":
                        runs += int(value)
                    elif key == "run_time_ns":
                        nanoseconds += int(value)
        except OSError:
            continue
    return runs, nanoseconds


def peak_rss(pid):
    """The peak resident set of process `pid` itself (VmHWM, KiB; its children such as clang not included)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def run_tool(command, workload, ready, settle, work):
    """Runs tool `command` around one release of `workload` (argv, or None).

    The workload starts first, blocked on its standard input, so "PID" in the
    tool's arguments can be replaced by its pid."""
    workload_process = None
    if workload:
        workload_process = subprocess.Popen(workload, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        command = [argument.replace("PID", str(workload_process.pid)) for argument in command]
    stderr_path = os.path.join(work, "stderr.txt")
    with open(stderr_path, "w") as stderr_file:
        tool = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr_file, text=True, bufsize=1)
    lines = []
    ready_event = threading.Event()

    def reader():
        for line in tool.stdout:
            lines.append(line.rstrip("\n"))
            if ready is None or re.search(ready, line):
                ready_event.set()
        ready_event.set()

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    if ready is None:
        time.sleep(3)
    elif not ready_event.wait(60):
        tool.kill()
    time.sleep(0.5)  # let a slow consumer settle before the workload starts
    if workload_process:
        workload_process.stdin.write(b"g")
        workload_process.stdin.close()
        workload_process.wait()
    time.sleep(settle)
    bpf_runs, bpf_ns = bpf_program_stats(tool.pid)
    peak = peak_rss(tool.pid)
    # Not Popen.send_signal: its poll() could reap the process before wait4 reads its rusage.
    os.kill(tool.pid, signal.SIGINT)
    _, status, usage = os.wait4(tool.pid, 0)
    thread.join(10)
    with open(stderr_path) as stderr_file:
        stderr = stderr_file.read()
    run = Run(lines, stderr, os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime,
              peak or usage.ru_maxrss, bpf_runs, bpf_ns)
    run.workload_pid = workload_process.pid if workload_process else None
    return run


def load_cases(directory):
    cases = []
    for path in sorted(glob.glob(os.path.join(directory, "cases_*.py"))):
        spec = importlib.util.spec_from_file_location(os.path.basename(path)[:-3], path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        cases.extend(module.CASES)
    return cases


def main():
    if len(sys.argv) < 5:
        sys.exit("usage: compare.py OURS_DIR PEER_DIR WORKLOAD WORK_DIR [tool ...]")
    ours_dir, peer_dir, workload_binary, work = sys.argv[1:5]
    only = set(sys.argv[5:])
    context = {"workload": workload_binary, "work": work}
    failed = False
    for case in load_cases(os.path.dirname(os.path.abspath(__file__))):
        if only and case.tool not in only:
            continue
        setup = case.setup(context) if case.setup else {}
        for impl, directory, arguments in (("swift", ours_dir, case.ours), ("libbpf", peer_dir, case.peer)):
            binary = os.path.join(directory, case.tool)
            if not os.path.exists(binary):
                print(f"PEER-FAILED {case.tool}.{impl}: no {binary}")
                continue
            workload = case.workload(context, setup) if case.workload else None
            # "DISK" and the like: the setup's value of that key.
            arguments = [str(setup.get(a.lower(), a)) if a.isupper() else a for a in arguments]
            # stdbuf: libbpf-tools print with stdio, block-buffered into a pipe.
            run = run_tool(["stdbuf", "-oL", binary] + arguments, workload, case.ready, case.settle, work)
            if run.status not in (0, 130, -2):
                reason = (run.stderr.strip().splitlines() or [f"exit {run.status}"])[-1]
                print(f"{'FAILED' if impl == 'swift' else 'PEER-FAILED'} {case.tool}.{impl}: {reason}")
                print(f"{case.tool}.{impl} stderr: {run.stderr[-2000:]}", file=sys.stderr)
                failed = failed or impl == "swift"
                continue
            found = case.count(run.lines, run.workload_pid, setup) or 0
            if not found:
                print(f"{'FAILED' if impl == 'swift' else 'PEER-FOUND-NOTHING'} {case.tool}.{impl}")
                failed = failed or impl == "swift"
            expected = case.expected(setup)
            name = f"tools.{case.tool}"
            print(f"RESULT name={name}.found.{impl} value={found} unit=records")
            print(f"RESULT name={name}.expected.{impl} value={expected} unit=records")
            print(f"RESULT name={name}.cpu.{impl} value={run.cpu:.6f} unit=s")
            events = setup.get("events") or found or 1
            print(f"RESULT name={name}.cpu_per_event.{impl} value={run.cpu / events * 1e6:.3f} unit=us/ev")
            if run.bpf_runs:
                print(f"RESULT name={name}.bpf_ns_per_run.{impl} value={run.bpf_ns / run.bpf_runs:.1f} unit=ns")
            print(f"RESULT name={name}.maxrss.{impl} value={run.maxrss} unit=KiB")
            sys.stdout.flush()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
