"""bcc's side of Benchmarks/compile.sh: BPF(text=...) of a file, which
compiles, loads and auto-attaches it (TRACEPOINT_PROBE), then exits."""
import sys

from bcc import BPF

with open(sys.argv[1]) as source:
    b = BPF(text=source.read())
b.cleanup()
