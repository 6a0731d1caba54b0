// The BCC module. See DESIGN.md for what this layer owns.
