// The EBPF module. See DESIGN.md for what this layer owns.
