// What the prelude needs to know about the kernel a program is compiled
// for: the constants kernel headers would have given a bcc program that
// differ from kernel to kernel (array sizes, request flag bits, the version).
// BCC fills it from the running kernel's BTF; here it is plain data.

/// The per-kernel facts the compatibility prelude is written from.
package struct KernelFacts: Sendable, Equatable {
    /// The kernel's page size in bytes.
    package var pageSize: Int
    /// `uname -m` of the target ("x86_64", "aarch64").
    package var architecture: String
    /// LINUX_VERSION_CODE: major << 16 | minor << 8 | min(patch, 255).
    package var versionCode: UInt32
    /// TASK_COMM_LEN: the size of task_struct.comm.
    package var taskCommLength = 16
    /// DNAME_INLINE_LEN: the size of dentry.d_iname (d_shortname since 6.14).
    package var dentryInlineNameLength = 32
    /// DISK_NAME_LEN: the size of gendisk.disk_name.
    package var diskNameLength = 32
    /// IFNAMSIZ: the size of net_device.name.
    package var interfaceNameSize = 16
    /// REQ_OP_BITS: the bits of a request's cmd_flags that hold the operation
    /// (the first flag bit of enum req_flag_bits).
    package var requestOperationBits = 8
    /// The request flags of enum req_flag_bits (REQ_SYNC for __REQ_SYNC, ...).
    package var requestFlags: [RequestFlag] = []
    /// CONFIG_NET_NS: possible_net_t has a `net` member.
    package var hasNetworkNamespaces = true
    /// The kernel's build configuration, when the system has it (/proc/config.gz,
    /// /boot/config-RELEASE): every CONFIG_ symbol then comes from it.
    package var configuration: KernelConfig?

    /// Facts with the classic sizes, for a kernel whose BTF has not been read.
    package init(pageSize: Int, architecture: String, versionCode: UInt32) {
        self.pageSize = pageSize
        self.architecture = architecture
        self.versionCode = versionCode
    }

    /// One flag of a block request's cmd_flags: REQ_<name> is 1 << bit.
    package struct RequestFlag: Sendable, Equatable {
        /// The name without prefix ("SYNC" for __REQ_SYNC).
        package var name: String
        /// The bit number.
        package var bit: Int

        package init(name: String, bit: Int) {
            self.name = name
            self.bit = bit
        }
    }

    /// True on 64-bit Arm.
    var isArm64: Bool { architecture == "aarch64" || architecture == "arm64" }

    /// The #defines these facts give, one per line: sizes, request flags, the
    /// version, the page and the architecture's configuration symbols
    /// and the open flags whose values differ between x86_64 and arm64.
    var definitions: [(name: String, text: String)] {
        var lines: [(String, String)] = [
            ("TASK_COMM_LEN", "\(taskCommLength)"),
            ("DNAME_INLINE_LEN", "\(dentryInlineNameLength)"),
            ("DISK_NAME_LEN", "\(diskNameLength)"),
            ("IFNAMSIZ", "\(interfaceNameSize)"),
            ("REQ_OP_BITS", "\(requestOperationBits)"),
            ("REQ_OP_MASK", "((1U << \(requestOperationBits)) - 1)"),
        ]
        for flag in requestFlags {
            lines.append(("REQ_\(flag.name)", "(1ULL << \(flag.bit))"))
        }
        lines += [
            ("KERNEL_VERSION(a, b, c)", "(((a) << 16) + ((b) << 8) + ((c) > 255 ? 255 : (c)))"),
            ("LINUX_VERSION_CODE", "\(versionCode)"),
            ("PAGE_SIZE", "\(pageSize)"),
            ("PAGE_SHIFT", "\(pageSize.trailingZeroBitCount)"),
            ("PAGE_MASK", "(~(PAGE_SIZE - 1))"),
        ]
        // Without the kernel's configuration, the symbols the architecture implies.
        if configuration == nil {
            lines += isArm64 ? [("CONFIG_ARM64", "1"), ("CONFIG_64BIT", "1")] : [("CONFIG_X86_64", "1"), ("CONFIG_64BIT", "1")]
            if hasNetworkNamespaces { lines.append(("CONFIG_NET_NS", "1")) }
        }
        if isArm64 {
            // The linear map starts at -(1 << VA_BITS); 48-bit virtual addresses are the default.
            lines += [("PAGE_OFFSET", "0xffff000000000000UL"),
                      ("O_DIRECTORY", "040000"), ("O_NOFOLLOW", "0100000"), ("O_DIRECT", "0200000"), ("O_LARGEFILE", "0400000")]
        } else {
            // The direct map's base without KASLR (the kernel randomizes it with RANDOMIZE_MEMORY).
            lines += [("__PAGE_OFFSET_BASE_L4", "0xffff888000000000UL"),
                      ("__PAGE_OFFSET_BASE_L5", "0xff11000000000000UL"),
                      ("PAGE_OFFSET", "__PAGE_OFFSET_BASE_L4"),
                      ("O_DIRECT", "00040000"), ("O_LARGEFILE", "00100000"), ("O_DIRECTORY", "00200000"), ("O_NOFOLLOW", "00400000")]
        }
        return lines.map { (name: String($0.0.prefix { $0 != "(" }), text: "#define \($0.0) \($0.1)") }
            + (configuration?.definitions ?? []) + KernelConfig.testMacros
    }
}
