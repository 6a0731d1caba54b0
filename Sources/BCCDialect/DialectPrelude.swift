// The C text every bcc program is compiled with after the BTF header: bcc's
// types and macros, the helpers the running kernel has, and what the kernel
// headers bcc programs include would have defined.

/// Builds the prelude for one kernel.
package struct DialectPrelude: Sendable {
    /// What the kernel's headers would have said that differs between kernels.
    package var kernel: KernelFacts
    /// Helper names (without bpf_) whose BPF_FUNC_ enumerator the kernel's BTF has.
    package var availableHelpers: Set<String>
    /// Names the program defines itself, which the kernel vocabulary leaves out.
    package var programNames: Set<String>
    /// libbpf Kconfig externs the program declares: their values follow the vocabulary.
    package var kconfigNames: Set<String>

    /// The prelude for a kernel with these facts and helpers, for a program defining `programNames`.
    package init(kernel: KernelFacts, availableHelpers: Set<String>, programNames: Set<String> = [], kconfigNames: Set<String> = []) {
        self.kernel = kernel
        self.availableHelpers = availableHelpers
        self.programNames = programNames
        self.kconfigNames = kconfigNames
    }

    /// The prelude's C text.
    package var text: String {
        var lines: [String] = ["/* swift-bcc dialect prelude */"]
        lines.append(Self.basics)
        lines.append(KernelVocabulary.text(facts: kernel, omitting: programNames))
        lines += KernelConfig.externDefinitions(kconfigNames, configuration: kernel.configuration, versionCode: kernel.versionCode)
        lines.append(registerMacros)
        lines.append(helperDeclarations)
        lines.append(Self.dialectHelpers)
        lines.append(BCCLibrary.helpersText(availableHelpers: availableHelpers))
        return lines.joined(separator: "\n") + "\n"
    }

    /// The forward declarations and helper pointers, one per helper the kernel has.
    package var helperDeclarations: String {
        var structTags = Set<String>()
        var declarations: [String] = []
        for helper in HelperPrototypes.all where availableHelpers.contains(helper.name) {
            for tag in Self.structTags(in: helper.returnType + " " + helper.parameters) { structTags.insert(tag) }
            let returnType = helper.returnType
            let separator = returnType.hasSuffix("*") ? "" : " "
            declarations.append("static \(returnType)\(separator)(* const bpf_\(helper.name))(\(helper.parameters)) = (void *) BPF_FUNC_\(helper.name);")
        }
        return structTags.sorted().map { "struct \($0);" }.joined(separator: " ") + "\n" + declarations.joined(separator: "\n")
    }

    private static func structTags(in text: String) -> [String] {
        let words = text.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") })
        var tags: [String] = []
        for (index, word) in words.enumerated() where word == "struct" && index + 1 < words.count {
            tags.append(String(words[index + 1]))
        }
        return tags
    }

    private static let basics = """
        typedef unsigned char u8; typedef signed char s8;
        typedef unsigned short u16; typedef short s16;
        typedef unsigned int u32; typedef int s32;
        typedef unsigned long long u64; typedef long long s64;
        #ifndef __always_inline
        #define __always_inline inline __attribute__((always_inline))
        #endif
        #ifndef NULL
        #define NULL ((void *)0)
        #endif
        #define SEC(name) __attribute__((section(name), used))
        #define __uint(name, val) int (*name)[val]
        #define __type(name, val) typeof(val) *name
        #define __array(name, val) typeof(val) *name[]
        #define __user
        #define __kernel
        #define __force
        #define __rcu
        char _license[] SEC("license") = "GPL";
        #define BPF_ANY 0
        #define BPF_NOEXIST 1
        #define BPF_EXIST 2
        #define BPF_F_INDEX_MASK 0xffffffffULL
        #define BPF_F_CURRENT_CPU BPF_F_INDEX_MASK
        #define BPF_F_USER_STACK (1ULL << 8)
        #define BPF_F_FAST_STACK_CMP (1ULL << 9)
        #define BPF_F_REUSE_STACKID (1ULL << 10)
        #define BPF_RB_NO_WAKEUP (1ULL << 0)
        #define BPF_RB_FORCE_WAKEUP (1ULL << 1)
        #define BPF_RB_AVAIL_DATA 0
        #define BPF_RB_RING_SIZE 1
        #define BPF_RB_CONS_POS 2
        #define BPF_RB_PROD_POS 3
        """

    /// PT_REGS_* for the target architecture's struct pt_regs.
    private var registerMacros: String {
        let parameters: [String], rc: String, sp: String, fp: String, ip: String
        switch kernel.architecture {
        case "aarch64", "arm64":
            parameters = (0..<6).map { "regs[\($0)]" }
            (rc, sp, fp, ip) = ("regs[0]", "sp", "regs[29]", "pc")
        default:
            parameters = ["di", "si", "dx", "cx", "r8", "r9"]
            (rc, sp, fp, ip) = ("ax", "sp", "bp", "ip")
        }
        let parameterMacros = parameters.enumerated().map { "#define PT_REGS_PARM\($0.offset + 1)(x) ((x)->\($0.element))" }
        return (parameterMacros + [
            "#define PT_REGS_RC(x) ((x)->\(rc))", "#define PT_REGS_SP(x) ((x)->\(sp))",
            "#define PT_REGS_FP(x) ((x)->\(fp))", "#define PT_REGS_IP(x) ((x)->\(ip))",
        ]).joined(separator: "\n")
    }

    /// bcc's own inline helpers: log2 for histograms, the atomic add, bpf_trace_printk with a literal
    /// format, and the ring buffer drop counter the rewritten ringbuf calls bump.
    private static let dialectHelpers = """
        #define lock_xadd(ptr, val) ((void)__sync_fetch_and_add(ptr, val))
        #define bpf_trace_printk(fmt, ...) __builtin_choose_expr(1, ({ char ____fmt[] = fmt; bpf_trace_printk(____fmt, sizeof(____fmt), ##__VA_ARGS__); }), 0)
        static __always_inline unsigned int bpf_log2(unsigned int v) {
            unsigned int r = 0, shift;
            shift = (v > 0xFFFF) << 4; v >>= shift; r |= shift;
            shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
            shift = (v > 0xF) << 2; v >>= shift; r |= shift;
            shift = (v > 0x3) << 1; v >>= shift; r |= shift;
            return r | (v >> 1);
        }
        static __always_inline unsigned int bpf_log2l(unsigned long v) {
            unsigned int high = v >> 32;
            return high ? bpf_log2(high) + 33 : bpf_log2(v) + 1;
        }
        static __always_inline void __bcc_count_lost(void *counter) {
            u32 zero = 0;
            u64 *count = bpf_map_lookup_elem(counter, &zero);
            if (count) *count += 1;
        }
        """
}
