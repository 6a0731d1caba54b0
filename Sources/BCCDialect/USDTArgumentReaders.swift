import ELF

// bcc's bpf_usdt_readarg(n, ctx, &value) reads argument n of the USDT probe
// the function is enabled on. Where that value is depends on the site: each
// site's note says (a register, a stack slot, a constant, a global). As in
// bcc, every (function, argument) gets a generated reader,
// _bpf_readarg_FUNCTION_N; a probe with several sites is attached once per
// site with the site's index as the BPF cookie, and the reader switches on
// bpf_get_attach_cookie(), which works for PIE executables and libraries
// in any process (bcc switches on the instruction pointer instead, which
// needs the load address).

/// A function enabled on a USDT probe: the probe's name and the argument specs of each site it is attached to.
package struct USDTFunction: Sendable, Equatable {
    /// The C function.
    package var name: String
    /// "provider:name", for messages.
    package var probe: String
    /// Per site (the attach cookie is the index), the site's arguments.
    package var sites: [[SDTArgument]]

    /// Creates one.
    package init(name: String, probe: String, sites: [[SDTArgument]]) {
        self.name = name
        self.probe = probe
        self.sites = sites
    }

    /// How many arguments the probe has (every site has the same count).
    package var argumentCount: Int { sites.first?.count ?? 0 }

    /// The reader function of 1-based argument `index`.
    package func readerName(argument index: Int) -> String { "_bpf_readarg_\(name)_\(index)" }
}

/// The C definitions of the argument readers of every USDT function.
package struct USDTArgumentReaders: Sendable {
    /// The functions, each with its sites.
    package var functions: [USDTFunction]

    /// Readers for `functions`.
    package init(functions: [USDTFunction]) {
        self.functions = functions
    }

    /// One static inline reader per function and argument: it reads the
    /// value where the firing site keeps it, sign- or zero-extends it as
    /// the spec says, and stores it in the 1, 2, 4 or 8 bytes at `dest`.
    /// Returns 0, or the negative error of a failed user memory read
    /// (-EINVAL for an unknown site or destination size).
    package var cText: String {
        var text = ""
        for function in functions.sorted(by: { $0.name < $1.name }) where function.argumentCount > 0 {
            for position in 0..<function.argumentCount {
                text += reader(function, position)
            }
        }
        return text
    }

    private func reader(_ function: USDTFunction, _ position: Int) -> String {
        var lines = [
            "static __always_inline int \(function.readerName(argument: position + 1))(struct pt_regs *ctx, void *dest, u64 len) {",
            "    u64 __value = 0; long __error = 0;",
        ]
        if function.sites.count == 1 {
            lines.append("    { \(read(function.sites[0][position])) }")
        } else {
            lines.append("    switch (bpf_get_attach_cookie(ctx)) {")
            for (cookie, site) in function.sites.enumerated() {
                lines.append("    case \(cookie): { \(read(site[position])) } break;")
            }
            lines.append("    default: return -22;")
            lines.append("    }")
        }
        lines += [
            "    switch (len) {",
            "    case 1: *(u8 *)dest = (u8)__value; return __error;",
            "    case 2: *(u16 *)dest = (u16)__value; return __error;",
            "    case 4: *(u32 *)dest = (u32)__value; return __error;",
            "    case 8: *(u64 *)dest = __value; return __error;",
            "    }",
            "    return -22;",
            "}",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// The statements that leave the argument's value in `__value` (and a read error in `__error`).
    private func read(_ argument: SDTArgument) -> String {
        // Each read of a pt_regs field is followed by a compiler barrier, so
        // that clang does not merge the switch's cases into one load at a
        // variable offset into ctx, which the verifier refuses.
        let barrier = "__asm__ __volatile__(\"\" ::: \"memory\");"
        switch argument.location {
        case let .constant(value):
            return "__value = \(extend("(s64)0x\(String(UInt64(bitPattern: value), radix: 16))ULL", argument));"
        case let .register(register):
            return "__value = \(extend(registerValue(register), argument)); \(barrier)"
        case let .memory(operand):
            var terms: [String] = []
            if let distance = operand.symbolDistance {
                terms.append("(u64)PT_REGS_IP(ctx) + (u64)\(signed(distance))")
            }
            if let base = operand.base, !operand.baseIsSymbolAnchor {
                terms.append("(u64)\(registerValue(base))")
            }
            if let index = operand.index {
                terms.append("(u64)\(registerValue(index)) * \(operand.scale)")
            }
            if operand.displacement != 0 || terms.isEmpty {
                terms.append("(u64)\(signed(operand.displacement))")
            }
            let raw = "u\(argument.size * 8)"
            return "u64 __address = \(terms.joined(separator: " + ")); \(barrier) \(raw) __raw = 0; "
                + "__error = bpf_probe_read_user(&__raw, sizeof(__raw), (void *)__address); "
                + "__value = \(extend("__raw", argument));"
        }
    }

    /// `value` truncated to the argument's size, then sign- or zero-extended to 64 bits.
    private func extend(_ value: String, _ argument: SDTArgument) -> String {
        let bits = argument.size * 8
        return argument.isSigned ? "(u64)(s64)(s\(bits))(\(value))" : "(u64)(u\(bits))(\(value))"
    }

    /// The named part of a register: `ctx->ax` for %rax, `(u8)(ctx->ax >> 8)` for %ah.
    private func registerValue(_ register: SDTRegister) -> String {
        let field = "ctx->\(register.field)"
        guard register.size < 8 || register.bitOffset != 0 else { return field }
        let shifted = register.bitOffset == 0 ? field : "(\(field) >> \(register.bitOffset))"
        return "(u\(register.size * 8))\(shifted)"
    }

    /// A 64-bit signed constant as C (no literal for INT64_MIN, so through its bit pattern).
    private func signed(_ value: Int64) -> String {
        value >= 0 ? "\(value)LL" : "(s64)0x\(String(UInt64(bitPattern: value), radix: 16))ULL"
    }
}
