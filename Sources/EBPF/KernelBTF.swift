import BTF

// MARK: - KernelBTF

/// The running kernel's BTF (/sys/kernel/btf/vmlinux), decoded once per
/// process and shared by everything that reads the kernel's types.
public enum KernelBTF {
    /// Where the kernel exposes its BTF.
    public static let path = "/sys/kernel/btf/vmlinux"

    private static let cached: Result<BTF, BPFError> = Result { () throws(BPFError) in
        let bytes: [UInt8]
        do throws(BPFError) {
            bytes = try SysFile.readBytes(path)
        } catch {
            guard case .notFound = error else { throw error }
            throw .notSupported(feature: "kernel BTF (\(path))", requirement: "CONFIG_DEBUG_INFO_BTF")
        }
        do {
            return try BTF(bytes: bytes)
        } catch {
            throw .malformed(what: path, detail: "\(error)")
        }
    }

    /// The decoded kernel BTF.
    ///
    /// - Throws: `BPFError.notSupported` when the kernel has no BTF
    ///   (CONFIG_DEBUG_INFO_BTF), `BPFError.malformed` when it does not decode.
    public static func shared() throws(BPFError) -> BTF { try cached.get() }
}
