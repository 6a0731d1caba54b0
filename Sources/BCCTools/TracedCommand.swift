// bcc's --exec (bcc/exec.py): a command started before tracing, held
// until the probes are attached so none of its events is missed, traced by
// its pid; the tool stops when it exits.
import ArgumentParser
import Dispatch
import Glibc
import Synchronization

/// A command the tool runs and traces.
public final class TracedCommand: Sendable {
    /// The command's process id (the held shell execs the command, keeping it).
    public let pid: Int32
    /// The pipe's write end: closing it releases the command.
    private let gate: Mutex<Int32?>

    /// Starts `arguments` (a program looked up in PATH, and its arguments),
    /// held before its exec until ``release(stopping:)``.
    ///
    /// - Throws: `ValidationError` naming `option` when `arguments` is empty
    ///   or the process cannot be started.
    public init(_ arguments: [String], option: String = "--exec") throws {
        guard !arguments.isEmpty else { throw ValidationError("\(option) without command") }
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0, fcntl(ends[0], F_SETFD, FD_CLOEXEC) == 0, fcntl(ends[1], F_SETFD, FD_CLOEXEC) == 0 else {
            throw ValidationError("\(option): cannot make a pipe: \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // The read end becomes fd 3 of the shell (dup2 clears close-on-exec);
        // the shell waits for a byte on it, closes it and execs the command.
        posix_spawn_file_actions_adddup2(&actions, ends[0], 3)
        let script = "read -r _ <&3 || exit 1; exec 3<&-; exec \"$@\""
        let argv = (["/bin/sh", "-c", script, "sh"] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, "/bin/sh", &actions, nil, argv, environ)
        close(ends[0])
        guard result == 0 else {
            close(ends[1])
            throw ValidationError("\(option): cannot run '\(arguments.joined(separator: " "))': \(String(cString: strerror(result)))")
        }
        pid = child
        gate = Mutex(ends[1])
    }

    deinit {
        // Never released (the tool failed before tracing): the command must not run untraced.
        let unreleased = gate.withLock { $0 }
        if let unreleased {
            kill(pid, SIGKILL)
            close(unreleased)
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
        }
    }

    /// Lets the command run, and stops `stop` (if any) when it exits; it is reaped either way.
    public func release(stopping stop: StopSignal?) {
        let descriptor = gate.withLock { gate in
            defer { gate = nil }
            return gate
        }
        guard let descriptor else { return }
        var byte: UInt8 = 0x0a
        _ = write(descriptor, &byte, 1)
        close(descriptor)
        let pid = self.pid
        DispatchQueue.global().async {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            stop?.stop()
        }
    }
}
