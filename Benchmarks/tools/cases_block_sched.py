"""Block I/O, scheduler and irq tools (tools-a): the cases compare.py runs."""

import os
import re
import subprocess

from toolbench import Case, histogram_total, stack_values

READS = 2000          # O_DIRECT reads of 4 KiB
SLEEPS = 2000         # sleeps of SLEEP_US
SLEEP_US = 1000
SPIN_SECONDS = 3


def data_file(context):
    """A 16 MiB file on the disk behind the work directory, and that disk's name and irq prefix."""
    path = os.path.join(context["work"], "tools-data")
    if not os.path.exists(path) or os.path.getsize(path) != 16 << 20:
        subprocess.check_call(["dd", "if=/dev/urandom", f"of={path}", "bs=1M", "count=16", "conv=fsync", "status=none"])
    device = os.stat(path).st_dev
    node = os.path.realpath(f"/sys/dev/block/{os.major(device)}:{os.minor(device)}")
    if os.path.exists(os.path.join(node, "partition")):
        node = os.path.dirname(node)
    disk = os.path.basename(node)
    # The disk's interrupt handlers are named after its device ("virtio1-req.0", "nvme0q1").
    irq = os.path.basename(os.path.realpath(os.path.join(node, "device")))
    return {"path": path, "disk": disk, "irq": irq, "events": READS}


def reads(context, setup):
    return [context["workload"], "read", setup["path"], str(READS)]


def sleeps(context, setup):
    return [context["workload"], "sleep", str(SLEEPS), str(SLEEP_US)]


def sleeper(context):
    return {"events": SLEEPS}


def column_total(lines, row, column):
    """The number in `column` of the lines `row(fields)` accepts, summed."""
    total = 0
    for line in lines:
        fields = line.split()
        if fields and row(fields):
            try:
                total += int(fields[column])
            except (ValueError, IndexError):
                pass
    return total


def runqslower_lines(lines, pid):
    return sum(1 for line in lines if len(line.split()) >= 4 and line.split()[2] == str(pid))


CASES = [
    Case("biolatency", ours=["-d", "DISK"], peer=["-d", "DISK"], setup=data_file, workload=reads,
         count=lambda lines, pid, s: histogram_total(lines), expected=lambda s: READS),
    Case("biopattern", ours=["-d", "DISK"], peer=["-d", "DISK"], setup=data_file, workload=reads,
         count=lambda lines, pid, s: column_total(lines, lambda f: s["disk"] in f and f[-1].isdigit(), -2),
         expected=lambda s: READS, ready=r"DISK|Tracing"),
    Case("bitesize", ours=["-c", "workload"], peer=["-c", "workload"], setup=data_file, workload=reads,
         count=lambda lines, pid, s: histogram_total(lines, r"Process Name = workload"), expected=lambda s: READS),
    Case("biosnoop", ours=["-d", "DISK"], peer=["-d", "DISK"], setup=data_file, workload=reads,
         count=lambda lines, pid, s: sum(1 for line in lines if line.split()[1:3] == ["workload", str(pid)]),
         expected=lambda s: READS, ready=r"TIME"),
    Case("hardirqs", ours=["-C"], peer=["-C"], setup=data_file, workload=reads,
         count=lambda lines, pid, s: column_total(lines, lambda f: f[0].startswith(s["irq"] + "-"), 1),
         expected=lambda s: READS, ready=r"Tracing"),
    # libbpf's softirqs has no -C (counts): both sum time; found is the block vector's microseconds.
    Case("softirqs", ours=[], peer=[], setup=data_file, workload=reads,
         count=lambda lines, pid, s: column_total(lines, lambda f: f[0] == "block", 1),
         expected=lambda s: 0, ready=r"Tracing"),
    Case("cpudist", ours=["-p", "PID"], peer=["-p", "PID"], setup=sleeper, workload=sleeps,
         count=lambda lines, pid, s: histogram_total(lines), expected=lambda s: SLEEPS),
    # libbpf's runqslower refuses 0 (bcc's "every wait"); 1 us keeps nearly all.
    Case("runqslower", ours=["-p", "PID", "1"], peer=["-p", "PID", "1"], setup=sleeper, workload=sleeps,
         count=lambda lines, pid, s: runqslower_lines(lines, pid), expected=lambda s: SLEEPS),
    # Microseconds off CPU (expected: the sleeps' total); the CPU per event is per sleep.
    Case("offcputime", ours=["-p", "PID"], peer=["-p", "PID"], setup=sleeper, workload=sleeps,
         count=lambda lines, pid, s: stack_values(lines, rf"\({pid}\)\s*$"), expected=lambda s: SLEEPS * SLEEP_US,
         ready=None),  # libbpf's prints no header
    Case("wakeuptime", ours=["-p", "PID"], peer=["-p", "PID"], setup=sleeper, workload=sleeps,
         count=lambda lines, pid, s: stack_values(lines, r"waker:"), expected=lambda s: SLEEPS * SLEEP_US),
    # Samples at 99 Hz of a process spinning for SPIN_SECONDS.
    Case("profile", ours=["-F", "99", "-p", "PID"], peer=["-F", "99", "-p", "PID"],
         setup=lambda c: {"events": 99 * SPIN_SECONDS},
         workload=lambda c, s: [c["workload"], "spin", str(SPIN_SECONDS)],
         count=lambda lines, pid, s: stack_values(lines, rf"\({pid}\)\s*$"), expected=lambda s: 99 * SPIN_SECONDS,
         ready=r"Sampling"),
    # Samples at 99 Hz on every CPU for the sleeper's run.
    Case("runqlen", ours=[], peer=[], setup=lambda c: {}, workload=sleeps,
         count=lambda lines, pid, s: histogram_total(lines),
         expected=lambda s: 0, ready=r"Sampling"),
]
