/// Object names as the kernel stores them (map_name, prog_name): at most 15
/// characters from [A-Za-z0-9_.], NUL-terminated in 16 bytes.
enum KernelName {
    /// BPF_OBJ_NAME_LEN.
    static let capacity = 16

    /// Copies the kernel-acceptable form of `name` into `buffer` (16 zeroed bytes):
    /// other characters become '_', and the name is cut to 15 characters.
    static func copy(_ name: String, into buffer: UnsafeMutableRawBufferPointer) {
        var index = 0
        for byte in name.utf8 where index < min(capacity, buffer.count) - 1 {
            let allowed = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a)
                || (byte >= 0x61 && byte <= 0x7a) || byte == 0x5f || byte == 0x2e
            buffer[index] = allowed ? byte : 0x5f
            index += 1
        }
    }
}
