// A bcc program may define a struct the kernel also has (dcsnoop's
// nameidata, mountsnoop's mnt_namespace, a test's own struct sock): with
// kernel headers that worked, because the private kernel type was in no
// header it included. The BTF header has every type, so for such a program
// the header's type is renamed for that one compile and the program's own
// definition is the one its code means.

/// Renames the kernel header's types that a program defines itself.
struct KernelTypeRenaming: Sendable, Equatable {
    /// The tags and typedef names to rename (without struct/union/enum).
    var names: [String]

    /// The suffix the header's colliding types get (libbpf's flavor
    /// convention, so CO-RE would still match them to the kernel's).
    static let suffix = "___kernel"

    /// The renaming for a program that defines `definedTypes` ("struct T",
    /// "union T", "enum T", typedef names), given which of those the
    /// kernel's header defines too.
    init<Failure: Error>(definedTypes: Set<String>, kernelDefines: (String) throws(Failure) -> Bool) throws(Failure) {
        var names: [String] = []
        for type in definedTypes.sorted() where try kernelDefines(type) {
            names.append(String(type.split(separator: " ").last ?? Substring(type)))
        }
        self.names = names
    }

    /// True when nothing collides (the precompiled header can be used).
    var isEmpty: Bool { names.isEmpty }

    /// The header included with each colliding name renamed by the
    /// preprocessor while the header is read: the source of a precompiled
    /// header of its own (VmlinuxHeaderCache), or read as text when there is none.
    func headerInclusion(headerPath: String) -> String {
        var text = names.map { "#define \($0) \($0)\(Self.suffix)\n" }.joined()
        text += "#include \"\(headerPath.cStringLiteralContent)\"\n"
        text += names.map { "#undef \($0)\n" }.joined()
        return text
    }
}
