"""Process, signal and system call tools (tools-b): the cases compare.py runs."""

import os

from toolbench import Case, table_value

SLEEPS = 2000         # the syscount workload: nanosleeps of SLEEP_US
SLEEP_US = 1000
KILLS = 2000          # kill(self, SIGUSR1), ignored
STATS = 2000          # stat() of one path
EXITS = 300           # children exiting with code 3
MOUNTS = 200          # tmpfs mounts, each unmounted


def sleeper(context):
    return {"events": SLEEPS}


def stat_path(context):
    path = os.path.join(context["work"], "stat-target")
    open(path, "w").close()
    return {"path": path, "events": STATS}


def mount_dir(context):
    path = os.path.join(context["work"], "mount-target")
    os.makedirs(path, exist_ok=True)
    return {"path": path, "events": 2 * MOUNTS}


def lines_where(lines, column, value):
    """The lines whose field `column` is `value`."""
    return sum(1 for line in lines if len(line.split()) > column and line.split()[column] == str(value))


CASES = [
    # glibc's nanosleep is the clock_nanosleep system call.
    Case("syscount", ours=["-p", "PID"], peer=["-p", "PID"], setup=sleeper,
         workload=lambda c, s: [c["workload"], "sleep", str(SLEEPS), str(SLEEP_US)],
         count=lambda lines, pid, s: table_value(lines, r"clock_nanosleep|nanosleep"), expected=lambda s: SLEEPS),
    # libbpf's killsnoop is its sigsnoop -k (kill, tkill, tgkill) with a TCOMM column.
    Case("killsnoop", ours=["-p", "PID"], peer=["-p", "PID"], setup=lambda c: {"events": KILLS},
         workload=lambda c, s: [c["workload"], "kill", str(KILLS)],
         count=lambda lines, pid, s: lines_where(lines, 1, pid), expected=lambda s: KILLS, ready=r"TIME"),
    Case("sigsnoop", ours=["-p", "PID"], peer=["-p", "PID"], setup=lambda c: {"events": KILLS},
         workload=lambda c, s: [c["workload"], "kill", str(KILLS)],
         count=lambda lines, pid, s: lines_where(lines, 1, pid), expected=lambda s: KILLS, ready=r"TIME"),
    # Every exit on the machine is traced; found: the workload's children (PPID column).
    Case("exitsnoop", ours=[], peer=[], setup=lambda c: {"events": EXITS},
         workload=lambda c, s: [c["workload"], "exit", str(EXITS)],
         count=lambda lines, pid, s: lines_where(lines, 2, pid), expected=lambda s: EXITS, ready=r"PCOMM"),
    Case("statsnoop", ours=["-p", "PID"], peer=["-p", "PID"], setup=stat_path,
         workload=lambda c, s: [c["workload"], "stat", s["path"], str(STATS)],
         count=lambda lines, pid, s: sum(1 for line in lines if line.split()[-1:] == [s["path"]]),
         expected=lambda s: STATS, ready=r"PID"),
    # bcc's mountsnoop has no -p: ours traces every mount, libbpf's the workload's.
    Case("mountsnoop", ours=[], peer=["-p", "PID"], setup=mount_dir,
         workload=lambda c, s: [c["workload"], "mount", s["path"], str(MOUNTS)],
         count=lambda lines, pid, s: lines_where(lines, 1, pid), expected=lambda s: 2 * MOUNTS, ready=r"COMM"),
]
