import BCCDialect
import Foundation
@testable import BCC

/// Runs bcc's implicit-read rewrite on a program over a small kernel of its
/// own (structs written here, not the running kernel's BTF): the dialect
/// rewrite, clang's AST dump of the unit, the plan. Needs the toolchain's
/// clang, not root.
enum ImplicitReadsHarness {
    /// The rewritten program body, the plan, and whether the result compiles for BPF.
    struct Result {
        var body: String
        var plan: ImplicitReadPlan
        var compileDiagnostics: String?

        /// Each read the rewrite made, outermost first: "kernel t->pid", "user name[0]", "either regs->di".
        var reads: [String] {
            var found: [String] = []
            var rest = Substring(body)
            let open = "({ __typeof__((void)0, ("
            while let start = rest.range(of: open) {
                rest = rest[start.upperBound...]
                guard let close = rest.range(of: ")) __bcc_val; ") else { break }
                let text = String(rest[..<close.lowerBound])
                let after = rest[close.upperBound...]
                let space = after.hasPrefix("bpf_probe_read_kernel(") ? "kernel" : after.hasPrefix("bpf_probe_read_user(") ? "user"
                    : after.hasPrefix("const void *__bcc_src") ? "either" : "?"
                found.append("\(space) \(text)")
            }
            return found
        }
    }

    /// Types and helpers standing in for the kernel's BTF header.
    static let kernel = """
        enum { BPF_MAP_TYPE_HASH = 1, BPF_MAP_TYPE_ARRAY = 2, BPF_MAP_TYPE_PERCPU_ARRAY = 6, BPF_MAP_TYPE_RINGBUF = 27 };
        enum { BPF_FUNC_map_lookup_elem = 1, BPF_FUNC_map_update_elem = 2, BPF_FUNC_probe_read = 4, BPF_FUNC_trace_printk = 6,
               BPF_FUNC_get_current_pid_tgid = 14, BPF_FUNC_get_current_task = 35, BPF_FUNC_probe_read_user = 112,
               BPF_FUNC_probe_read_kernel = 113, BPF_FUNC_probe_read_user_str = 114, BPF_FUNC_probe_read_kernel_str = 115 };
        typedef int pid_t; typedef unsigned short __be16; typedef unsigned int __be32;
        struct pt_regs { unsigned long di, si, dx, cx, r8, r9, ax, sp, bp, ip; };
        struct bpf_raw_tracepoint_args { unsigned long long args[0]; };
        struct mm_struct { unsigned long arg_start; unsigned long arg_end; };
        struct task_struct { int prio; pid_t pid; pid_t tgid; struct task_struct *real_parent; struct mm_struct *mm; char comm[16]; };
        struct qstr { unsigned int hash; const unsigned char *name; };
        struct dentry { struct qstr d_name; struct dentry *d_parent; unsigned char d_iname[32]; };
        struct path { void *mnt; struct dentry *dentry; };
        struct file { struct path f_path; unsigned int f_flags; };
        struct sock_common { __be32 skc_daddr; __be32 skc_rcv_saddr; __be16 skc_dport; unsigned short skc_family;
                             union { unsigned int u6_addr32[4]; } skc_v6_rcv_saddr; };
        struct sock { struct sock_common __sk_common; int sk_priority; };
        struct sk_buff { unsigned char *head; unsigned short transport_header; unsigned int priority; };
        struct tcphdr { __be16 source; __be16 dest; __be32 seq; };
        struct holder { unsigned int *value; unsigned int **values; };
        struct __sk_buff { unsigned int len; unsigned int data; unsigned int data_end; };
        """

    static let helpers: Set<String> = ["map_lookup_elem", "map_update_elem", "probe_read", "trace_printk", "get_current_pid_tgid",
                                       "get_current_task", "probe_read_user", "probe_read_kernel", "probe_read_user_str", "probe_read_kernel_str"]

    static func run(_ program: String, tracepointStructs: String = "") throws -> Result {
        let rewritten = try DialectRewriter(fileName: "prog.c", pageSize: 4096, possibleCPUs: 2).rewrite(program)
        let prelude = DialectPrelude(kernel: KernelFacts(pageSize: 4096, architecture: "x86_64", versionCode: 0x061200),
                                     availableHelpers: helpers, programNames: rewritten.programNames).text
        var unit = kernel + "\n" + prelude + tracepointStructs + "\n#line 1 \"prog.c\"\n"
        let bodyStart = unit.utf8.count
        unit += rewritten.body.text
        let body = bodyStart..<unit.utf8.count
        unit += "\n"
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("implicit-reads-\(getpid())-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let unitPath = directory.appendingPathComponent("unit.c").path
        try Data(unit.utf8).write(to: URL(fileURLWithPath: unitPath))
        let clang = try ClangDriver.locate()
        let arguments = ["-target", "bpf", "-O2", "-g", "-std=gnu11", "-Wno-unused-value", "-Wno-incompatible-pointer-types-discards-qualifiers"]
        guard let json = try ASTDump(clang: clang).json(unitPath: unitPath, arguments: arguments) else {
            let output = try clang.run(arguments + ["-fsyntax-only", unitPath])
            throw HarnessError.doesNotCompile(output.diagnostics)
        }
        let plan = try ImplicitReads.plan(astDump: json, unit: Array(unit.utf8), mainFile: unitPath, editable: [0..<body.upperBound],
                                          probes: rewritten.functions.map { ($0.name, $0.section) },
                                          helpers: .init(kernel: "bpf_probe_read_kernel", user: "bpf_probe_read_user"))
        let rewrittenBody = rewritten.body.inserting(plan.insertions.compactMap { insertion in
            insertion.offset >= body.lowerBound && insertion.offset <= body.upperBound
                ? (offset: insertion.offset - body.lowerBound, text: insertion.text) : nil
        })
        try Data(plan.apply(to: Array(unit.utf8))).write(to: URL(fileURLWithPath: unitPath))
        let compiled = try clang.run(arguments + ["-c", unitPath, "-o", unitPath + ".o"])
        return Result(body: rewrittenBody.text, plan: plan, compileDiagnostics: compiled.status == 0 ? nil : compiled.diagnostics)
    }

    enum HarnessError: Error { case doesNotCompile(String) }
}
