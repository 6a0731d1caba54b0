
// A bcc program that uses a type of a kernel module (nfsslower's struct
// nfs_commit_data, rdmaucma's struct rdma_cm_id) compiled with bcc when the
// module's headers were installed. The BTF header has vmlinux's types only,
// so clang reports an incomplete or unknown type; the message then says why:
// which type, the module it likely belongs to, and that its BTF is absent.

/// Explains clang's incomplete-type errors for types the kernel's BTF lacks.
struct ModuleTypeDiagnostics {
    /// True when vmlinux's BTF defines the type ("struct T", "union T").
    var kernelDefinesType: (String) throws -> Bool
    /// Where the kernel exposes its own and its loaded modules' BTF.
    var btfDirectory = "/sys/kernel/btf"

    /// clang's messages that name a struct or union it has no definition of,
    /// up to where the name starts. (An unknown typedef name is more often a
    /// typo than a module's type.)
    private static let markers = [
        "incomplete definition of type '", "has incomplete type '", "to an incomplete type '",
        "incomplete result type '", "incomplete type '",
    ]

    /// `diagnostics` with each error about a type that neither the program
    /// nor vmlinux defines extended by the explanation.
    func explain(_ diagnostics: [CompileDiagnostic], programTypes: Set<String>) -> [CompileDiagnostic] {
        diagnostics.map { diagnostic in
            guard diagnostic.severity == .error, let type = Self.typeName(in: diagnostic.message),
                  !programTypes.contains(type), (try? kernelDefinesType(type)) == false else { return diagnostic }
            var explained = diagnostic
            explained.message += "; \(explanation(for: type))"
            return explained
        }
    }

    /// The struct or union a clang message names ("struct T").
    static func typeName(in message: String) -> String? {
        for marker in markers {
            guard let range = message.firstRange(of: marker) else { continue }
            let rest = message[range.upperBound...]
            guard let end = rest.firstIndex(of: "'") else { continue }
            let name = String(rest[..<end])
            return name.hasPrefix("struct ") || name.hasPrefix("union ") ? name : nil
        }
        return nil
    }

    /// Why `type` is missing: not in vmlinux, likely in a module whose BTF is absent.
    func explanation(for type: String) -> String {
        let bareName = String(type.split(separator: " ").last ?? Substring(type))
        let module = Self.likelyModule(ofType: bareName)
        let loaded = (FileSystem.entries(ofDirectory: btfDirectory) ?? []).filter { $0 != "vmlinux" }.sorted()
        var text = "\(type) is not a type of the running kernel (its BTF, \(btfDirectory)/vmlinux, has no \(type)); "
        text += "it likely belongs to kernel module '\(module)'"
        if loaded.contains(module) {
            text += ", whose BTF (\(btfDirectory)/\(module)) swift-bcc does not compile against: only vmlinux's types are in the header"
        } else if loaded.isEmpty {
            text += ", and that module's BTF is absent: \(btfDirectory) has no module BTF at all (no module with BTF is loaded)"
        } else {
            text += ", and that module's BTF is absent: \(btfDirectory) has no '\(module)' (loaded modules with BTF: \(loaded.prefix(8).joined(separator: ", "))\(loaded.count > 8 ? ", ..." : ""))"
        }
        return text
    }

    /// The module a type name suggests: known prefixes of modules bcc's
    /// tools trace, else the name's first word.
    static func likelyModule(ofType name: String) -> String {
        let known: [(prefix: String, module: String)] = [
            ("nfs4_", "nfsv4"), ("nfs_", "nfs"), ("rpc_", "sunrpc"), ("svc_", "sunrpc"), ("rdma_cm", "rdma_cm"),
            ("rdma_", "rdma_ucm"), ("ib_", "ib_core"), ("xfs_", "xfs"), ("btrfs_", "btrfs"), ("ext4_", "ext4"),
            ("f2fs_", "f2fs"), ("zfs", "zfs"), ("zpl_", "zfs"), ("kvm_", "kvm"), ("vcpu_", "kvm"), ("nf_conn", "nf_conntrack"),
            ("virtnet", "virtio_net"), ("virtio_", "virtio"), ("mlx5", "mlx5_core"), ("drm_", "drm"), ("usb_", "usbcore"),
        ]
        if let match = known.first(where: { name.hasPrefix($0.prefix) }) { return match.module }
        return String(name.prefix { $0 != "_" })
    }
}
