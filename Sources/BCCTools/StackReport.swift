// The stack reports of bcc's offcputime and profile: each counted key's
// kernel and user stacks, multi-line or folded for flame graphs, with bcc's
// placeholders for stacks get_stackid could not store.
import BCC
import Glibc

/// Formats the entries of a stack-keyed count table as bcc's offcputime
/// and profile print them, and counts the stacks that were lost.
public struct StackReport {
    /// What to print and how.
    public struct Style: Sendable {
        /// Print kernel stacks (false for -U).
        public var kernelStacks = true
        /// Print user stacks (false for -K).
        public var userStacks = true
        /// A "-" (folded) or "--" (multi-line) between kernel and user frames (-d).
        public var delimited = false
        /// One line per stack, frames joined by ';' (-f).
        public var folded = false
        /// `name+0xoff` in multi-line output (-s; profile always).
        public var showOffset = false
        /// ` [module]` after each multi-line frame (profile).
        public var showModule = false
        /// "_[k]" after kernel frames in folded output (profile -a).
        public var annotateKernel = false
        /// Each multi-line frame's address before its name (profile -A).
        public var showAddresses = false

        /// The default: both stacks, multi-line, plain names.
        public init() {}

        var needsDelimiter: Bool { delimited && kernelStacks && userStacks }
    }

    /// One key of the count table.
    public struct Entry: Sendable {
        /// The task's name.
        public var comm: String
        /// The id printed in parentheses (a thread id in offcputime, a process id in profile).
        public var pid: UInt32
        /// The process whose memory names the user frames.
        public var symbolPid: UInt32
        /// get_stackid's result for the user stack (negative: an error, or -1 when not taken).
        public var userStackID: Int64
        /// get_stackid's result for the kernel stack.
        public var kernelStackID: Int64
        /// The summed value: microseconds off CPU, or samples.
        public var value: UInt64

        /// An entry of the table.
        public init(comm: String, pid: UInt32, symbolPid: UInt32, userStackID: Int64, kernelStackID: Int64, value: UInt64) {
            self.comm = comm
            self.pid = pid
            self.symbolPid = symbolPid
            self.userStackID = userStackID
            self.kernelStackID = kernelStackID
            self.value = value
        }
    }

    /// The style every entry is printed in.
    public let style: Style
    /// Stacks that could not be shown (get_stackid failed other than with -EFAULT).
    public private(set) var missingStacks = 0
    /// True when a stack was lost because the stack table was full (-ENOMEM).
    public private(set) var sawTableFull = false
    /// True when a stack was lost to a hash collision (-EEXIST).
    public private(set) var sawCollision = false

    /// A report in `style`.
    public init(style: Style) {
        self.style = style
    }

    /// True when get_stackid's `id` is an error worth reporting: -EFAULT only
    /// means there was no stack of that kind (a kernel thread's user stack).
    public static func isLost(_ id: Int64) -> Bool {
        id < 0 && id != -Int64(EFAULT)
    }

    /// The text for `entry` (ending in a newline), with frames from `stacks`,
    /// the program's BPF_STACK_TRACE table.
    public mutating func text(for entry: Entry, stacks: Table) -> String {
        if style.kernelStacks { note(entry.kernelStackID) }
        if style.userStacks { note(entry.userStackID) }
        let kernel = entry.kernelStackID < 0 ? [] : Self.withoutTracingFrames((try? stacks.walk(entry.kernelStackID)) ?? [])
        let user = entry.userStackID < 0 ? [] : ((try? stacks.walk(entry.userStackID)) ?? [])
        let pid = Int32(bitPattern: entry.symbolPid)
        let bothTaken = entry.kernelStackID >= 0 && entry.userStackID >= 0
        if style.folded {
            var frames = [entry.comm]
            if style.userStacks {
                if Self.isLost(entry.userStackID) {
                    frames.append("[Missed User Stack]")
                } else {
                    frames += user.reversed().map { BPF.sym($0, pid: pid) }
                }
            }
            if style.kernelStacks {
                if style.needsDelimiter && bothTaken { frames.append("-") }
                if Self.isLost(entry.kernelStackID) {
                    frames.append("[Missed Kernel Stack]")
                } else {
                    let suffix = style.annotateKernel ? "_[k]" : ""
                    frames += kernel.reversed().map { BPF.ksym($0) + suffix }
                }
            }
            return frames.joined(separator: ";") + " \(entry.value)\n"
        }
        var text = ""
        if style.kernelStacks {
            if Self.isLost(entry.kernelStackID) {
                text += "    [Missed Kernel Stack]\n"
            } else {
                for address in kernel {
                    let name = BPF.ksym(address, showModule: style.showModule, showOffset: style.showOffset)
                    text += style.showAddresses ? "    0x\(CText.left(String(address, radix: 16), 16)) \(name)\n" : "    \(name)\n"
                }
            }
        }
        if style.userStacks {
            if style.needsDelimiter && bothTaken { text += "    --\n" }
            if Self.isLost(entry.userStackID) {
                text += "    [Missed User Stack]\n"
            } else {
                for address in user {
                    let name = BPF.sym(address, pid: pid, showModule: style.showModule, showOffset: style.showOffset)
                    text += style.showAddresses ? "    0x\(Self.zeroPadded(address)) \(name)\n" : "    \(name)\n"
                }
            }
        }
        text += "    \(CText.left("-", 16)) \(entry.comm) (\(entry.pid))\n"
        text += "        \(entry.value)\n\n"
        return text
    }

    /// A kernel stack taken in a (raw) tracepoint program without its
    /// innermost frames that belong to the tracing itself (the BPF program,
    /// bpf_trace_run, __traceiter_*), so it starts where the tracepoint fired,
    /// as a kprobe's stack starts at the probed function.
    public static func withoutTracingFrames(_ addresses: [UInt64]) -> [UInt64] {
        let machinery = ["bpf_prog_", "bpf_trace_run", "__traceiter_", "__bpf_trace_", "trace_call_bpf"]
        let skipped = addresses.prefix { address in
            let name = BPF.ksym(address)
            return machinery.contains { name.hasPrefix($0) }
        }
        return Array(addresses.dropFirst(skipped.count))
    }

    /// bcc's warning after the report, for standard error, or nil when no stack was lost.
    public var warning: String? {
        guard missingStacks > 0 else { return nil }
        let hint = sawTableFull || sawCollision ? " Consider increasing --stack-storage-size." : ""
        return "WARNING: \(missingStacks) stack traces lost and could not be displayed.\(hint)"
    }

    private mutating func note(_ id: Int64) {
        guard Self.isLost(id) else { return }
        missingStacks += 1
        if id == -Int64(ENOMEM) { sawTableFull = true }
        if id == -Int64(EEXIST) { sawCollision = true }
    }

    /// `%016x`.
    private static func zeroPadded(_ address: UInt64) -> String {
        let digits = String(address, radix: 16)
        return String(repeating: "0", count: max(0, 16 - digits.count)) + digits
    }
}
