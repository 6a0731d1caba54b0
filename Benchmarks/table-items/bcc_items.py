#!/usr/bin/env python3
"""bcc's side of the table-reading benchmark: the same 100,000-key hash read
with `table.items()` (bcc 0.26: a key walk, BPF_MAP_GET_NEXT_KEY and
BPF_MAP_LOOKUP_ELEM per key). Prints RESULT lines for items_100k.bcc (CPU
seconds per call) and items_100k_wall.bcc."""
import ctypes
import resource
import sys
import time

from bcc import BPF

keys = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3

b = BPF(text=f"BPF_HASH(counts, u32, u64, {keys});\n")
table = b["counts"]
KeyArray = table.Key * keys
LeafArray = table.Leaf * keys
table.items_update_batch(KeyArray(*[table.Key(i) for i in range(keys)]), LeafArray(*[table.Leaf(i * 2) for i in range(keys)]))
if len(table.items()) != keys:
    sys.exit(f"bcc_items.py: the table does not hold {keys} keys")


def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


cpu_start, wall_start = cpu(), time.monotonic()
checksum = 0
for _ in range(repeats):
    for key, value in table.items():
        checksum += value.value & 0xff
cpu_each = (cpu() - cpu_start) / repeats
wall_each = (time.monotonic() - wall_start) / repeats
print(f"RESULT name=items_100k.bcc value={cpu_each:.5f} unit=s")
print(f"RESULT name=items_100k_wall.bcc value={wall_each:.5f} unit=s")
print(f"bcc_items.py: {keys} keys, {repeats} reads, checksum {checksum}", file=sys.stderr)
