import CBPF
import Glibc
import Synchronization

/// Runs the Swift toolchain's clang with the BPF target.
struct ClangDriver: Sendable {
    /// The clang executable.
    var path: String

    /// Set once a clang of this process dies of SIGINT: Ctrl-C at a terminal
    /// reached the foreground process group, so the user is stopping the
    /// tool. Later compiles of this process fail at once rather than start
    /// clang again (a tool catches SIGINT to end its own loop, so the signal
    /// alone does not stop a compile that is still to come).
    private static let interrupted = Atomic<Bool>(false)

    /// The clang to use: $BCC_CLANG, else the clang beside the running Swift
    /// toolchain, else /opt/swift/usr/bin/clang, else `clang` on PATH.
    static func locate(environment: [String: String] = ProcessEnvironment.current) throws(BCCError) -> ClangDriver {
        var searched: [String] = []
        if let override = environment["BCC_CLANG"], !override.isEmpty {
            guard FileSystem.isExecutableFile(override) else {
                throw .compilerNotFound(searched: ["BCC_CLANG=\(override) (not executable)"])
            }
            return ClangDriver(path: override)
        }
        var candidates: [String] = []
        if let toolchain = runningToolchainBinDirectory() { candidates.append(toolchain + "/clang") }
        candidates.append("/opt/swift/usr/bin/clang")
        for directory in (environment["PATH"] ?? "").split(separator: ":") { candidates.append("\(directory)/clang") }
        for candidate in candidates {
            searched.append(candidate)
            if FileSystem.isExecutableFile(candidate) { return ClangDriver(path: candidate) }
        }
        throw .compilerNotFound(searched: searched)
    }

    /// The toolchain's usr/bin, found from where libswiftCore.so is mapped in this process.
    private static func runningToolchainBinDirectory() -> String? {
        guard let maps = try? ProcFile.text("/proc/self/maps") else { return nil }
        for line in maps.split(separator: "\n") where line.hasSuffix("/libswiftCore.so") {
            guard let slash = line.firstIndex(of: "/") else { continue }
            let library = String(line[slash...])
            // <toolchain>/usr/lib/swift/linux/libswiftCore.so -> <toolchain>/usr/bin
            guard let range = library.firstRange(of: "/lib/swift/") else { continue }
            return String(library[..<range.lowerBound]) + "/bin"
        }
        return nil
    }

    /// What identifies the compiler for the cache: its path, size and modification time (no process run).
    func identity() -> String {
        var status = stat()
        guard stat(path, &status) == 0 else { return "\(path)|-1|0" }
        return "\(path)|\(status.st_size)|\(status.st_mtim.tv_sec).\(status.st_mtim.tv_nsec)"
    }

    /// The result of one compilation.
    struct Output: Sendable {
        var status: Int32
        var diagnostics: String
    }

    /// Compiles the C file at `source` to a BPF object at `output`.
    func compile(source: String, arguments: [String], output: String) throws(BCCError) -> Output {
        try run(arguments + ["-c", source, "-o", output])
    }

    /// Runs clang with `arguments`, its standard output going to the file
    /// `standardOutput` (created or truncated), its diagnostics returned.
    ///
    /// clang is tied to its caller: it dies with this process (SIGKILL
    /// included, so no orphan keeps writing into the cache), Ctrl-C at a
    /// terminal stops it with the tool (a tool's ignored SIGINT is not
    /// inherited), and cancelling the calling Swift task kills it at once.
    /// Started with fork and exec in CBPF rather than Foundation's Process,
    /// which keeps monitoring descriptors (epoll, timers, sockets) open for
    /// the process's life.
    func run(_ arguments: [String], standardOutput: String = "/dev/null") throws(BCCError) -> Output {
        if Self.interrupted.load(ordering: .relaxed) {
            throw .compilerFailed(command: path, detail: "stopped by signal \(SIGINT) (Interrupt): Ctrl-C stopped an earlier compile of this process")
        }
        let argv = [path] + arguments
        var pipeEnds: [Int32] = [-1, -1]
        guard pipe(&pipeEnds) == 0 else {
            throw .compilerFailed(command: path, detail: "pipe: \(String(cString: strerror(errno)))")
        }
        let readEnd = pipeEnds[0], writeEnd = pipeEnds[1]
        // Neither end may leak into children other threads spawn.
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(readEnd, F_SETFL, O_NONBLOCK)
        _ = fcntl(writeEnd, F_SETFD, FD_CLOEXEC)
        defer { Glibc.close(readEnd) }
        let output = open(standardOutput, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard output >= 0 else {
            Glibc.close(writeEnd)
            throw .file(path: standardOutput, detail: "cannot write clang's output: \(String(cString: strerror(errno)))")
        }
        var cArguments = argv.map { strdup($0) } + [nil]
        defer { for argument in cArguments { free(argument) } }
        var spawned = cbpf_spawn_tied(path, &cArguments, environ, output, writeEnd)
        // A compiler (or wrapper script) written just before it runs is busy
        // (ETXTBSY) while a fork elsewhere in the process still holds its
        // write descriptor; that ends when the forked child execs.
        for _ in 0..<100 where spawned == -ETXTBSY {
            usleep(10_000)
            spawned = cbpf_spawn_tied(path, &cArguments, environ, output, writeEnd)
        }
        Glibc.close(writeEnd)
        Glibc.close(output)
        guard spawned > 0 else {
            throw .compilerFailed(command: path, detail: "cannot run: \(String(cString: strerror(-spawned)))")
        }
        let child = spawned
        var diagnostics: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var cancelled = false
        var readError: Int32 = 0
        while true {
            // Wake every 50 ms to notice the caller's cancellation.
            var ready = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
            let events = poll(&ready, 1, 50)
            if events < 0 { continue }  // EINTR: the read below must not block where cancellation is not seen
            if events == 0 {
                guard Task.isCancelled else { continue }
                // Not waiting for end of file: a child of clang's may still hold the pipe.
                cancelled = true
                kill(child, SIGKILL)
                break
            }
            let count = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            if count > 0 { diagnostics.append(contentsOf: buffer[0..<count]); continue }
            if count < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            if count < 0 { readError = errno }
            break
        }
        // clang closed its end of the pipe (or the pipe failed): reap it,
        // still noticing cancellation should it linger after closing.
        var status: Int32 = 0
        while true {
            let reaped = waitpid(child, &status, cancelled ? 0 : WNOHANG)
            if reaped == child || (reaped < 0 && errno != EINTR) { break }
            guard reaped == 0 else { continue }
            if Task.isCancelled {
                cancelled = true
                kill(child, SIGKILL)
            } else {
                usleep(10_000)
            }
        }
        if cancelled {
            throw .compilerFailed(command: path, detail: "cancelled: the calling task was cancelled, and clang was stopped")
        }
        if readError != 0 {
            throw .compilerFailed(command: path, detail: "cannot read its diagnostics: \(String(cString: strerror(readError)))")
        }
        // WIFEXITED / WEXITSTATUS / WTERMSIG are macros Swift cannot import.
        let signal = status & 0x7f
        guard signal == 0 else {
            if signal == SIGINT { Self.interrupted.store(true, ordering: .relaxed) }
            // Ctrl-C at the terminal reaches clang too: say that, not "failed" with no diagnostics.
            throw .compilerFailed(command: path, detail: "stopped by signal \(signal) (\(String(cString: strsignal(signal))))")
        }
        return Output(status: (status >> 8) & 0xff, diagnostics: String(decoding: diagnostics, as: UTF8.self))
    }
}
