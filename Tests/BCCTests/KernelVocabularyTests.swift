import BPFObject
import ELF
import EBPF
import Foundation
import Testing
@testable import BCC
@testable import BCCDialect
import TestSupport

// The kernel's C vocabulary bcc programs use without kernel headers: every
// name compiles against the running kernel's BTF header, and the constants
// equal the kernel's (the UAPI headers installed here, the kernel's BTF, uname).

/// One group of vocabulary names and how a program uses each.
struct VocabularyUse: CustomTestStringConvertible, Sendable {
    var group: String
    /// Name -> a C expression (or, with `statement`, a statement) using it.
    var uses: [(name: String, code: String)]
    /// The system headers that define the group's UAPI names, for the host comparison.
    var hostHeaders: [String] = []
    var testDescription: String { group }

    /// Constants are used as values (and their values compared).
    static func constants(_ group: String, _ lines: String, hostHeaders: [String]) -> VocabularyUse {
        let names = lines.split(separator: "\n").map { KernelVocabulary.definedName($0) }
        return VocabularyUse(group: group, uses: names.map { ($0, "(long long)(\($0))") }, hostHeaders: hostHeaders)
    }
}

/// The running kernel's facts, as BPF(text:) computes them.
private func runningKernelFacts() throws -> KernelFacts {
    try KernelCompileEnvironment.current().kernelFacts()
}

/// The system headers that define each constant group's UAPI names.
private let hostHeadersByGroup: [String: [String]] = [
    "errno": ["errno.h"],
    "limits": ["limits.h", "stdint.h", "linux/limits.h"],
    "fcntl": ["linux/fcntl.h", "linux/stat.h", "stdio.h"],
    "socket": ["sys/socket.h", "netinet/in.h", "netinet/tcp.h"],
    "ether": ["linux/if_ether.h"],
    "tc": ["linux/pkt_cls.h", "linux/pkt_sched.h", "linux/netfilter.h"],
    "sched": ["linux/sched.h", "signal.h", "linux/capability.h"],
    "mm": ["sys/mman.h", "sys/mount.h", "sys/ipc.h", "sys/shm.h"],
]

private let constantUses: [VocabularyUse] = KernelVocabulary.constantGroups.map { group in
    let groupNames = [("errno", "errno"), ("time64", "time"), ("limits", "limits"), ("fcntl", "fcntl"), ("socket", "socket"),
                      ("if_ether", "ether"), ("pkt_cls", "tc"), ("sched", "sched"), ("mman", "mm"), ("perf_event", "perf")]
    let key = groupNames.first { group.header.contains($0.0) }?.1 ?? group.header
    return VocabularyUse.constants(key, group.lines, hostHeaders: hostHeadersByGroup[key] ?? [])
}

private let factUses: VocabularyUse = {
    let facts = (try? runningKernelFacts()) ?? KernelFacts(pageSize: 4096, architecture: "x86_64", versionCode: 0)
    let configured = Set(configUses.uses.map(\.name))
    var uses = facts.definitions.filter { !configured.contains($0.name) }.map { ($0.name, "(long long)(\($0.name))") }
    uses.removeAll { $0.0 == "KERNEL_VERSION" }
    uses.append(("KERNEL_VERSION", "(long long)(KERNEL_VERSION(5, 15, 300))"))
    return VocabularyUse(group: "kernel facts", uses: uses, hostHeaders: ["net/if.h", "linux/fcntl.h"])
}()

/// The kernel configuration's symbols (strings by their size) and kconfig.h's tests.
private let configUses: VocabularyUse = {
    let facts = (try? runningKernelFacts()) ?? KernelFacts(pageSize: 4096, architecture: "x86_64", versionCode: 0)
    var uses = (facts.configuration?.symbols ?? []).map { symbol in
        symbol.value == "m" ? (symbol.name + "_MODULE", "(long long)(\(symbol.name)_MODULE)")
            : symbol.value.hasPrefix("\"") ? (symbol.name, "(long long)(sizeof(\(symbol.name)))") : (symbol.name, "(long long)(\(symbol.name))")
    }
    uses += [("IS_ENABLED", "(long long)(IS_ENABLED(CONFIG_BPF_SYSCALL))"), ("IS_BUILTIN", "(long long)(IS_BUILTIN(CONFIG_BPF_SYSCALL))"),
             ("IS_MODULE", "(long long)(IS_MODULE(CONFIG_BPF_SYSCALL))")]
    // The helpers behind IS_ENABLED, used through it.
    uses += ["__ARG_PLACEHOLDER_1", "__take_second_arg", "__is_defined", "___is_defined", "____is_defined"].map {
        ($0, "(long long)(IS_ENABLED(CONFIG_NO_SUCH_OPTION_HERE))")
    }
    return VocabularyUse(group: "kernel config", uses: uses)
}()

/// Function-like macros and inline functions, each called as a program would.
private let functionUses = VocabularyUse(group: "functions", uses: [
    ("ntohs", "ntohs(x)"), ("htons", "htons(x)"), ("ntohl", "ntohl(x)"), ("htonl", "htonl(x)"),
    ("be16_to_cpu", "be16_to_cpu(x)"), ("be32_to_cpu", "be32_to_cpu(x)"), ("be64_to_cpu", "be64_to_cpu(x)"),
    ("cpu_to_be16", "cpu_to_be16(x)"), ("cpu_to_be32", "cpu_to_be32(x)"), ("cpu_to_be64", "cpu_to_be64(x)"),
    ("le16_to_cpu", "le16_to_cpu(x)"), ("le32_to_cpu", "le32_to_cpu(x)"), ("le64_to_cpu", "le64_to_cpu(x)"),
    ("cpu_to_le16", "cpu_to_le16(x)"), ("cpu_to_le32", "cpu_to_le32(x)"), ("cpu_to_le64", "cpu_to_le64(x)"),
    ("__be16_to_cpu", "__be16_to_cpu(x)"), ("__be32_to_cpu", "__be32_to_cpu(x)"), ("__be64_to_cpu", "__be64_to_cpu(x)"),
    ("__cpu_to_be16", "__cpu_to_be16(x)"), ("__cpu_to_be32", "__cpu_to_be32(x)"), ("__cpu_to_be64", "__cpu_to_be64(x)"),
    ("swab16", "swab16(x)"), ("swab32", "swab32(x)"), ("swab64", "swab64(x)"),
    ("bpf_ntohs", "bpf_ntohs(x)"), ("bpf_htons", "bpf_htons(x)"), ("bpf_ntohl", "bpf_ntohl(x)"), ("bpf_htonl", "bpf_htonl(x)"),
    ("bpf_ntohll", "bpf_ntohll(x)"), ("bpf_htonll", "bpf_htonll(x)"),
    ("bpf_be64_to_cpu", "bpf_be64_to_cpu(x)"), ("bpf_cpu_to_be64", "bpf_cpu_to_be64(x)"),
    ("min", "min(x, y)"), ("max", "max(x, y)"), ("min_t", "min_t(u64, x, y)"), ("max_t", "max_t(u64, x, y)"),
    ("umin", "umin(x, y)"), ("umax", "umax(x, y)"), ("min3", "min3(x, y, z)"), ("max3", "max3(x, y, z)"),
    ("clamp", "clamp(x, y, z)"), ("clamp_t", "clamp_t(u64, x, 1, 9)"), ("clamp_val", "clamp_val(x, 1, 9)"),
    ("swap", "({ swap(y, z); y; })"),
    ("div_u64", "div_u64(x, 7)"), ("div_s64", "div_s64(-(s64)x, 7)"), ("div64_u64", "div64_u64(x, y + 1)"),
    ("div64_s64", "div64_s64(-(s64)x, 3)"), ("div_u64_rem", "div_u64_rem(x, 7, &remainder)"),
    ("do_div", "({ u64 n = x; do_div(n, 7); })"),
    ("DIV_ROUND_UP", "DIV_ROUND_UP(x, 8)"), ("DIV_ROUND_UP_ULL", "DIV_ROUND_UP_ULL(x, 8)"),
    ("roundup", "roundup(x, 8)"), ("rounddown", "rounddown(x, 8)"), ("round_up", "round_up(x, 8)"),
    ("round_down", "round_down(x, 8)"), ("ALIGN", "ALIGN(x, 8)"), ("ALIGN_DOWN", "ALIGN_DOWN(x, 8)"),
    ("IS_ALIGNED", "IS_ALIGNED(x, 8)"), ("ARRAY_SIZE", "ARRAY_SIZE(buffer)"), ("BIT", "BIT(3)"), ("BIT_ULL", "BIT_ULL(40)"),
    ("GENMASK", "GENMASK(7, 4)"), ("GENMASK_ULL", "GENMASK_ULL(40, 8)"),
    ("sizeof_field", "sizeof_field(struct task_struct, pid)"), ("FIELD_SIZEOF", "FIELD_SIZEOF(struct task_struct, pid)"),
    ("offsetofend", "offsetofend(struct task_struct, pid)"), ("offsetof", "offsetof(struct task_struct, pid)"),
    ("container_of", "(u64)container_of(list, struct task_struct, tasks)"),
    ("list_entry", "(u64)list_entry(list, struct task_struct, tasks)"),
    ("list_first_entry", "(u64)list_first_entry(list, struct task_struct, tasks)"),
    ("hlist_entry", "(u64)hlist_entry(hnode, struct inode, i_hash)"),
    ("rb_entry", "(u64)rb_entry(rbnode, struct sched_entity, run_node)"),
    ("likely", "likely(x)"), ("unlikely", "unlikely(x)"), ("READ_ONCE", "READ_ONCE(x)"),
    ("WRITE_ONCE", "({ WRITE_ONCE(y, 4); y; })"), ("barrier", "({ barrier(); 0; })"),
    ("__stringify_1", "sizeof(__stringify_1(abc))"), ("__stringify", "sizeof(__stringify(TASK_COMM_LEN))"),
    ("__packed", "sizeof(struct packed_pair)"), ("__aligned", "sizeof(struct aligned_pair)"),
    ("__maybe_unused", "({ int unused_a __maybe_unused = 1; 0; })"), ("__always_unused", "({ int unused_b __always_unused = 1; 0; })"),
    ("noinline", "not_inlined(x)"), ("__noinline", "not_inlined_either(x)"), ("notrace", "({ int notrace t = 1; t; })"),
    ("__percpu", "({ int __percpu *pc = 0; (u64)pc; })"), ("__iomem", "({ void __iomem *io = 0; (u64)io; })"),
    ("__must_check", "checked(x)"), ("__bitwise", "({ u32 __bitwise bw = 1; bw; })"),
    ("__read_mostly", "({ static int __read_mostly rm; rm; })"),
    ("fallthrough", "({ int f = 0; switch (x) { case 1: f = 1; fallthrough; default: f += 1; } f; })"),
    ("IS_ERR_VALUE", "IS_ERR_VALUE(x)"), ("IS_ERR", "IS_ERR(pointer)"), ("IS_ERR_OR_NULL", "IS_ERR_OR_NULL(pointer)"),
    ("PTR_ERR", "PTR_ERR(pointer)"), ("ERR_PTR", "(u64)ERR_PTR(-ENOENT)"),
    ("MAJOR", "MAJOR(x)"), ("MINOR", "MINOR(x)"), ("MKDEV", "MKDEV(8, 1)"),
    ("TC_H_MAJ", "TC_H_MAJ(y)"), ("TC_H_MIN", "TC_H_MIN(y)"), ("TC_H_MAKE", "TC_H_MAKE(y, z)"),
    ("S_ISLNK", "S_ISLNK(y)"), ("S_ISREG", "S_ISREG(y)"), ("S_ISDIR", "S_ISDIR(y)"), ("S_ISCHR", "S_ISCHR(y)"),
    ("S_ISBLK", "S_ISBLK(y)"), ("S_ISFIFO", "S_ISFIFO(y)"), ("S_ISSOCK", "S_ISSOCK(y)"),
    ("TCP_SKB_CB", "TCP_SKB_CB(skb)->seq"), ("inet_sk", "inet_sk(sk)->inet_sport"),
    ("inet_csk", "inet_csk(sk)->icsk_rto"), ("tcp_sk", "tcp_sk(sk)->srtt_us"), ("udp_sk", "(u64)udp_sk(sk)"),
    ("inet_twsk", "inet_twsk(sk)->tw_substate"), ("inet_rsk", "(u64)inet_rsk(request)"), ("tcp_rsk", "tcp_rsk(request)->snt_isn"),
    ("skb_network_header", "(u64)skb_network_header(skb)"), ("skb_transport_header", "(u64)skb_transport_header(skb)"),
    ("skb_mac_header", "(u64)skb_mac_header(skb)"), ("skb_end_pointer", "(u64)skb_end_pointer(skb)"),
    ("skb_shinfo", "skb_shinfo(skb)->nr_frags"), ("ip_hdr", "ip_hdr(skb)->protocol"), ("ipv6_hdr", "ipv6_hdr(skb)->nexthdr"),
    ("tcp_hdr", "tcp_hdr(skb)->dest"), ("udp_hdr", "udp_hdr(skb)->dest"), ("icmp_hdr", "icmp_hdr(skb)->type"),
    ("skb_rx_queue_recorded", "skb_rx_queue_recorded(skb)"), ("skb_get_rx_queue", "skb_get_rx_queue(skb)"),
    ("skb_get_queue_mapping", "skb_get_queue_mapping(skb)"),
    ("SG_CHAIN", "SG_CHAIN"), ("SG_END", "SG_END"), ("SG_PAGE_LINK_MASK", "SG_PAGE_LINK_MASK"),
    ("sg_is_chain", "sg_is_chain(sg)"), ("sg_is_last", "sg_is_last(sg)"), ("sg_chain_ptr", "(u64)sg_chain_ptr(sg)"),
    ("folio_page", "(u64)folio_page(folio, 1)"), ("page_folio", "(u64)page_folio(page)"),
])

/// Member aliases, each read through a pointer to the struct whose member it names.
private let aliasUses = VocabularyUse(group: "member aliases", uses: KernelVocabulary.memberAliases.map { alias in
    let base = switch alias.name.prefix(while: { $0 != "_" }) {
    case "sk": "sk"
    case "inet": "inet"
    case "tw": "tw"
    case "rsk": "request"
    case "ir": "inet_request"
    default: "in6"
    }
    // Bitfields are read; other members (structs, arrays) have their address taken.
    let bitfields: Set = ["sk_reuse", "sk_reuseport", "sk_ipv6only", "sk_net_refcnt", "tw_reuse", "tw_reuseport", "tw_ipv6only"]
    // (read through stack memory: a kernel pointer's bitfield has no address to probe-read from)
    return (alias.name, bitfields.contains(alias.name) ? "(u64)stack_\(base)->\(alias.name)" : "(u64)&\(base)->\(alias.name)")
})

private let allUses = constantUses + [factUses, configUses, functionUses, aliasUses]

/// A program using every name of `use`; for constant groups the values land in
/// section .rodata.vocabulary, in order.
private func program(using use: VocabularyUse) -> String {
    let isConstantGroup = use.uses.allSatisfy { $0.code.hasPrefix("(long long)(") }
    if isConstantGroup {
        return "const long long vocabulary[] __attribute__((section(\".rodata.vocabulary\"), used)) = {\n"
            + use.uses.map { "    \($0.code),\n" }.joined() + "};\nint f(struct pt_regs *ctx) { return 0; }\n"
    }
    return """
        struct packed_pair { u8 a; u32 b; } __packed;
        struct aligned_pair { u8 a; } __aligned(8);
        static noinline u64 not_inlined(u64 v) { return v + 1; }
        static __noinline u64 not_inlined_either(u64 v) { return v + 2; }
        static __must_check u64 checked(u64 v) { return v; }
        int use_all(struct pt_regs *ctx) {
            u64 x = PT_REGS_PARM1(ctx), y = PT_REGS_PARM2(ctx), z = PT_REGS_PARM3(ctx), sink = 0;
            u32 remainder = 0;
            char buffer[12];
            void *pointer = (void *)PT_REGS_PARM4(ctx);
            struct sk_buff *skb = (void *)PT_REGS_PARM5(ctx);
            struct sock *sk = (void *)PT_REGS_PARM6(ctx);
            struct inet_sock *inet = (void *)sk;
            struct inet_timewait_sock *tw = (void *)sk;
            struct request_sock *request = (void *)sk;
            struct inet_request_sock *inet_request = (void *)sk;
            struct in6_addr *in6 = (void *)sk;
            char storage[64] = {};
            struct sock *stack_sk = (void *)storage;
            struct inet_timewait_sock *stack_tw = (void *)storage;
            struct scatterlist *sg = (void *)skb;
            struct folio *folio = (void *)skb;
            struct page *page = (void *)skb;
            struct list_head *list = (void *)skb;
            struct hlist_node *hnode = (void *)skb;
            struct rb_node *rbnode = (void *)skb;

        """ + use.uses.map { "    sink += (u64)(\($0.code)); // \($0.name)\n" }.joined() + """
            return sink + remainder + buffer[0];
        }

        """
}

/// Compiles `source` for the running kernel (no load) and returns the object.
private func compileForRunningKernel(_ source: String) throws -> [UInt8] {
    try BPFCompiler(environment: KernelCompileEnvironment.current())
        .compile(source: source, fileName: "vocabulary.c", cflags: [], includeDirectory: nil).object
}

@Suite struct KernelVocabularyTests {
    @Test func everyVocabularyNameHasAUseHere() throws {
        let facts = try runningKernelFacts()
        let used = Set(allUses.flatMap { use in use.uses.map { $0.name } })
        let defined = KernelVocabulary.names(facts: facts)
        #expect(defined.filter { !used.contains($0) }.isEmpty, "names without a use: \(defined.filter { !used.contains($0) })")
        #expect(Set(defined).count > 700)
    }

    /// Every name compiles against the running kernel's BTF header, as a bcc
    /// program would use it (and the constants are integers the preprocessor knows).
    @Test(arguments: allUses)
    func namesCompileAgainstTheRunningKernel(_ use: VocabularyUse) throws {
        let object = try compileForRunningKernel(program(using: use))
        #expect(object.starts(with: [0x7F, 0x45, 0x4C, 0x46]))
    }

    /// The constants equal what the system's UAPI headers define (linux-libc-dev,
    /// glibc), compared name by name: the BPF object's values against a host program's.
    @Test(arguments: allUses.filter { !$0.hostHeaders.isEmpty })
    func constantsEqualTheSystemHeaders(_ use: VocabularyUse) throws {
        let names = use.uses.map(\.name)
        let ours = try constantValues(of: use)
        let system = try hostValues(of: names.filter { $0 != "KERNEL_VERSION" }, headers: use.hostHeaders)
        #expect(system.count >= (use.group == "kernel facts" ? 5 : names.count / 3), "the host headers define too few: \(system.keys.sorted())")
        for (name, value) in system {
            #expect(ours[name] == value, "\(name): ours \(ours[name].map(String.init) ?? "none"), the system's \(value)")
        }
    }

    /// The values that differ by kernel come from this kernel: its BTF's sizes
    /// and request flags, its page size and its version.
    @Test func kernelFactsAreTheRunningKernels() throws {
        let facts = try runningKernelFacts()
        let btf = try KernelBTF.shared()
        let dentry = try #require(btf.firstType(named: "dentry", kind: .struct))
        let inlineName = try #require(btf.members(of: dentry.id).first { $0.name == "d_shortname" || $0.name == "d_iname" })
        #expect(facts.dentryInlineNameLength == btf.size(of: inlineName.type))
        #expect(facts.dentryInlineNameLength >= 32)
        #expect(facts.taskCommLength == 16)
        #expect(facts.interfaceNameSize == Int(IFNAMSIZ))
        #expect(facts.diskNameLength == 32)
        #expect(facts.requestOperationBits == 8)
        #expect(facts.requestFlags.contains { $0.name == "SYNC" } && facts.requestFlags.contains { $0.name == "FUA" })
        #expect(facts.versionCode == KernelVersion.current.code)
        let values = try constantValues(of: factUses)
        let saturated: Int64 = (5 << 16) + (15 << 8) + 255 // the patch level saturates at 255, as the kernel's does
        #expect(values["KERNEL_VERSION"] == saturated)
        #expect(values["LINUX_VERSION_CODE"] == Int64(KernelVersion.current.code))
        #expect(values["DNAME_INLINE_LEN"] == Int64(facts.dentryInlineNameLength))
        #expect(values["REQ_OP_MASK"] == 0xff)
        #expect(values["PAGE_SIZE"] == Int64(facts.pageSize) && values["PAGE_SHIFT"] == Int64(facts.pageSize.trailingZeroBitCount))
        #expect(facts.pageSize == Int(sysconf(Int32(_SC_PAGESIZE))))
        // /proc/self/ns/net exists exactly when the kernel has CONFIG_NET_NS.
        #expect(facts.hasNetworkNamespaces == FileManager.default.fileExists(atPath: "/proc/self/ns/net"))
    }
}

extension KernelVocabularyTests {
    /// The CONFIG_ symbols are the running kernel's own configuration, as
    /// autoconf.h would define them, and IS_ENABLED tests them.
    @Test func kernelConfigIsTheRunningKernels() throws {
        guard FileManager.default.fileExists(atPath: "/proc/config.gz") else {
            Issue.record("this kernel has no /proc/config.gz (CONFIG_IKCONFIG_PROC) to compare with")
            return
        }
        let facts = try runningKernelFacts()
        let configuration = try #require(facts.configuration)
        let run = try TestSupport.run("/usr/bin/env", ["gzip", "-dc", "/proc/config.gz"])
        let assignments = run.stdout.split(separator: "\n").filter { $0.hasPrefix("CONFIG_") }
        #expect(configuration.symbols.count == assignments.count)
        let values = try constantValues(of: configUses)
        for line in assignments {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            switch parts[1] {
            case "y": #expect(values[parts[0]] == 1, "\(parts[0])")
            case "m": #expect(values[parts[0] + "_MODULE"] == 1, "\(parts[0])")
            case let text where text.hasPrefix("\""):
                #expect(values[parts[0]] == Int64(text.utf8.count - 1), "\(parts[0]): the string and its NUL")
            case let number:
                // A large hexadecimal value (an address) is the same 64 bits as the object's signed one.
                let value = number.hasPrefix("0x") ? UInt64(number.dropFirst(2), radix: 16).map { Int64(bitPattern: $0) } : Int64(number)
                #expect(values[parts[0]] == value, "\(parts[0])")
            }
        }
        #expect(values["IS_ENABLED"] == 1 && values["IS_BUILTIN"] == 1 && values["IS_MODULE"] == 0)
        #expect(values["__is_defined"] == 0, "IS_ENABLED of an option that is not set")
    }

    @Test func kernelConfigParsesAssignmentsOnly() {
        let config = KernelConfig(text: """
            #
            # Automatically generated file; DO NOT EDIT.
            CONFIG_BPF=y
            CONFIG_EXT4_FS=m
            # CONFIG_KPROBES is not set
            CONFIG_HZ=250
            CONFIG_PHYSICAL_START=0x1000000
            CONFIG_LSM="landlock,bpf"
            CONFIG_BROKEN="unterminated
            CONFIG_=y
            CONFIG_SPACE=a b
            NOT_CONFIG=y
            """)
        #expect(config.symbols.map(\.name) == ["CONFIG_BPF", "CONFIG_EXT4_FS", "CONFIG_HZ", "CONFIG_PHYSICAL_START", "CONFIG_LSM"])
        let facts = { () -> KernelFacts in
            var facts = KernelFacts(pageSize: 4096, architecture: "x86_64", versionCode: 0)
            facts.configuration = config
            return facts
        }()
        let lines = facts.definitions.map(\.text)
        #expect(lines.contains("#define CONFIG_BPF 1") && lines.contains("#define CONFIG_EXT4_FS_MODULE 1"))
        #expect(lines.contains("#define CONFIG_LSM \"landlock,bpf\"") && lines.contains("#define CONFIG_PHYSICAL_START 0x1000000"))
        #expect(!lines.contains("#define CONFIG_X86_64 1"), "with a configuration, every CONFIG_ symbol is its own")
    }
}

/// The values of a constant group's names in the BPF object compiled for the running kernel.
private func constantValues(of use: VocabularyUse) throws -> [String: Int64] {
    let object = try ELFFile(bytes: try compileForRunningKernel(program(using: use)))
    let section = try #require(object.section(named: ".rodata.vocabulary"))
    let bytes = Array(try object.contents(of: section))
    try #require(bytes.count == use.uses.count * 8)
    var values: [String: Int64] = [:]
    for (index, use) in use.uses.enumerated() {
        values[use.name] = bytes[index * 8 ..< index * 8 + 8].withUnsafeBytes { $0.loadUnaligned(as: Int64.self) }
    }
    return values
}

/// The arch constants for arm64, which this x86_64 machine cannot compare
/// with a kernel of its own: the arm64 UAPI's open flags and the linear map base.
@Test func arm64FactsTakeArm64Values() {
    let facts = KernelFacts(pageSize: 16384, architecture: "aarch64", versionCode: 0x061200)
    let definitions = Dictionary(uniqueKeysWithValues: facts.definitions.map { ($0.name, $0.text) })
    #expect(definitions["O_DIRECTORY"] == "#define O_DIRECTORY 040000")
    #expect(definitions["O_NOFOLLOW"] == "#define O_NOFOLLOW 0100000")
    #expect(definitions["O_DIRECT"] == "#define O_DIRECT 0200000")
    #expect(definitions["O_LARGEFILE"] == "#define O_LARGEFILE 0400000")
    #expect(definitions["PAGE_SHIFT"] == "#define PAGE_SHIFT 14")
    #expect(definitions["PAGE_OFFSET"] == "#define PAGE_OFFSET 0xffff000000000000UL")
    #expect(definitions["CONFIG_ARM64"] != nil && definitions["CONFIG_X86_64"] == nil)
}

/// The values `names` have in the system's headers `headers`, from a host
/// program (names the headers do not define are absent).
private func hostValues(of names: [String], headers: [String]) throws -> [String: Int64] {
    let directory = try TestSupport.temporaryDirectory("vocabulary-host")
    defer { try? FileManager.default.removeItem(at: directory) }
    var source = "#define _GNU_SOURCE\n" + headers.map { "#include <\($0)>\n" }.joined() + "#include <stdio.h>\nint main(void) {\n"
    for name in names {
        source += "#ifdef \(name)\n    printf(\"%s %lld\\n\", \"\(name)\", (long long)(\(name)));\n#endif\n"
    }
    source += "    return 0;\n}\n"
    let file = directory.appendingPathComponent("values.c"), binary = directory.appendingPathComponent("values")
    try source.write(to: file, atomically: true, encoding: .utf8)
    let build = try TestSupport.run(TestSupport.clang, ["-w", "-I/usr/include/x86_64-linux-gnu", "-I/usr/include/aarch64-linux-gnu",
                                                        "-o", binary.path, file.path])
    try #require(build.status == 0, "host program: \(build.stderr)")
    let run = try TestSupport.run(binary.path, [])
    var values: [String: Int64] = [:]
    for line in run.stdout.split(separator: "\n") {
        let parts = line.split(separator: " ")
        if parts.count == 2, let value = Int64(parts[1]) { values[String(parts[0])] = value }
    }
    return values
}
