// Swift symbol names made readable, as bcc demangles C++ names.
import Glibc

@_silgen_name("swift_demangle")
private func runtimeDemangle(
    _ mangledName: UnsafePointer<CChar>?, _ mangledNameLength: Int,
    _ outputBuffer: UnsafeMutablePointer<CChar>?, _ outputBufferSize: UnsafeMutablePointer<Int>?,
    _ flags: UInt32
) -> UnsafeMutablePointer<CChar>?

/// Demangles Swift symbol names with the Swift runtime's demangler.
enum SymbolDemangler {
    /// The readable form of `name` when it is a mangled Swift symbol, else `name`.
    static func demangle(_ name: String) -> String {
        guard name.hasPrefix("$s") || name.hasPrefix("_$s") || name.hasPrefix("$S") || name.hasPrefix("_T0") else {
            return name
        }
        return name.withCString { mangled in
            guard let demangled = runtimeDemangle(mangled, strlen(mangled), nil, nil, 0) else { return name }
            defer { free(demangled) }
            return String(cString: demangled)
        }
    }
}
