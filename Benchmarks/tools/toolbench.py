"""What a case of compare.py is, and parsers for the output bcc-style tools share."""

import re
from dataclasses import dataclass, field
from typing import Callable, Optional


@dataclass
class Case:
    """One tool run the same way by both implementations.

    `ours` and `peer` are the arguments ("PID" becomes the workload's pid);
    `setup(context)` prepares files and returns what the other callables get;
    `workload(context, setup)` is the workload's argv; `count(lines, pid,
    setup)` what the tool found (None: nothing, a failure); `expected(setup)`
    what the workload made; `ready` a regex of the tool's ready line (None:
    wait 3 s); `settle` seconds between the workload's end and SIGINT.
    """
    tool: str
    ours: list
    peer: list
    workload: Optional[Callable] = None
    count: Callable = lambda lines, pid, setup: None
    expected: Callable = lambda setup: 0
    setup: Optional[Callable] = None
    ready: Optional[str] = r"Tracing|Sampling|TIME|HARDIRQ|SOFTIRQ"
    settle: float = 1.0


HISTOGRAM_ROW = re.compile(r"^\s*-?\d+(?:\s*->\s*\d+)?\s*:\s*(\d+)\s")


def histogram_total(lines, section=None):
    """The counts of a histogram's rows; with `section` ("pid = 42" or a
    regex), only the rows of sections whose header matches it."""
    total, inside = 0, section is None
    for line in lines:
        if section is not None and re.match(r"^\S.* = ", line):
            inside = re.match(section, line) is not None
            continue
        match = HISTOGRAM_ROW.match(line)
        if inside and match:
            total += int(match.group(1))
    return total


def stack_values(lines, footer):
    """The values of multi-line stack reports whose footer line matches
    `footer`: the number on the line after it (bcc's and libbpf's offcputime
    and profile), summed."""
    total, take = 0, False
    for line in lines:
        if take:
            take = False
            if line.strip().isdigit():
                total += int(line.strip())
            continue
        take = re.search(footer, line) is not None
    return total


def table_value(lines, name_pattern, column=-1):
    """The number in `column` of the rows whose first column matches `name_pattern`, summed."""
    total = 0
    for line in lines:
        fields = line.split()
        if fields and re.fullmatch(name_pattern, fields[0]):
            try:
                total += int(fields[column])
            except ValueError:
                pass
    return total
