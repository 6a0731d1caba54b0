"""Network and user-space tools (tools-c): the cases compare.py runs."""

import os

from toolbench import Case

CONNECTIONS = 500     # loopback TCP connections, client and server in the workload
LOOKUPS = 2000        # getaddrinfo("localhost")
COMMANDS = 200        # lines typed into an interactive bash
PORT = 47311          # the workload's listening port (tcpstates -L)


def connections(context):
    return {"events": CONNECTIONS}


def connect(context, setup):
    return [context["workload"], "connect", str(PORT), str(CONNECTIONS)]


def lines_of_pid(lines, pid, column=0):
    return sum(1 for line in lines if len(line.split()) > column and line.split()[column] == str(pid))


def bash_input(context):
    """A file of COMMANDS lines for bash, and the script(1) that gives bash a terminal."""
    path = os.path.join(context["work"], "bash-input")
    with open(path, "w") as commands:
        commands.write("true\n" * COMMANDS + "exit\n")
    return {"events": COMMANDS, "input": path}


def bash(context, setup):
    # Waits for the driver's byte like the C workload, then runs bash on a pty.
    return ["sh", "-c", f"read go; script -qc 'bash --norc --noprofile -i' /dev/null < {setup['input']} > /dev/null"]


CASES = [
    # Client and server sessions of each connection: both closed by the workload.
    Case("tcplife", ours=["-p", "PID"], peer=["-p", "PID"], setup=connections, workload=connect,
         count=lambda lines, pid, s: lines_of_pid(lines, pid), expected=lambda s: 2 * CONNECTIONS, ready=r"PID"),
    # The server side of each connection: LISTEN->SYN_RECV->ESTABLISHED->CLOSE_WAIT->LAST_ACK->CLOSE,
    # and the listener's own two changes.
    Case("tcpstates", ours=["-L", str(PORT)], peer=["-L", str(PORT)], setup=connections, workload=connect,
         count=lambda lines, pid, s: sum(1 for line in lines if f" {PORT} " in line),
         expected=lambda s: 5 * CONNECTIONS + 2, ready=r"SKADDR"),
    Case("tcpconnect", ours=["-p", "PID"], peer=["-p", "PID"], setup=connections, workload=connect,
         count=lambda lines, pid, s: lines_of_pid(lines, pid), expected=lambda s: CONNECTIONS, ready=r"PID"),
    Case("gethostlatency", ours=["-p", "PID"], peer=["-p", "PID"], setup=lambda c: {"events": LOOKUPS},
         workload=lambda c, s: [c["workload"], "resolve", str(LOOKUPS)],
         count=lambda lines, pid, s: lines_of_pid(lines, pid, 1), expected=lambda s: LOOKUPS, ready=r"TIME"),
    Case("bashreadline", ours=[], peer=[], setup=bash_input, workload=bash,
         count=lambda lines, pid, s: sum(1 for line in lines if line.endswith(" true")),
         expected=lambda s: COMMANDS, ready=r"TIME|COMMAND"),
]
