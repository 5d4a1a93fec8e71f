import Foundation
import PoolKeeper

/// A `poolkeeper` process that runs on while a test or benchmark goes on
/// (such as `watch`), with every line it prints kept with the moment it arrived.
public final class RunningPoolKeeper: @unchecked Sendable {
    public struct Line: Sendable {
        public let text: String
        public let at: ContinuousClock.Instant
    }

    private let process = Process()
    private let lock = NSLock()
    private var output: [Line] = []
    private var errors: [Line] = []

    /// Starts the `poolkeeper` executable next to this process's own.
    public init(_ arguments: [String], environment: [String: String] = [:]) throws {
        let buildFolder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        process.executableURL = buildFolder.appendingPathComponent("poolkeeper")
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = collect { [self] lines in lock.withLock { output += lines } }
        process.standardError = collect { [self] lines in lock.withLock { errors += lines } }
        try process.run()
    }

    deinit {
        if process.isRunning { process.terminate() }
    }

    /// A pipe whose complete lines go to `store` as they arrive.
    private func collect(_ store: @escaping @Sendable ([Line]) -> Void) -> Pipe {
        let pipe = Pipe()
        let pending = LockedBuffer()
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            let now = ContinuousClock.now
            let lines = pending.append(data)
            if !lines.isEmpty { store(lines.map { Line(text: $0, at: now) }) }
            if data.isEmpty { handle.readabilityHandler = nil }
        }
        return pipe
    }

    public var lines: [Line] { lock.withLock { output } }
    public var errorLines: [Line] { lock.withLock { errors } }

    /// Waits until a printed line (standard error too, with `stderr`) passes `test`; nil after `timeout`.
    public func waitForLine(stderr: Bool = false, timeout: Duration = .seconds(30), where test: (String) -> Bool) async throws -> Line? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let line = (stderr ? errorLines : lines).first(where: { test($0.text) }) { return line }
            try await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    /// Sends `signal` and waits for the process to end; returns its exit status
    /// (128 + the signal when a signal killed it), nil if it did not end within 10 s.
    public func stop(signal: Int32 = SIGTERM) async throws -> Int32? {
        kill(process.processIdentifier, signal)
        return try await process.exitStatus(within: .seconds(10))
    }
}

/// Bytes that have arrived, cut into complete lines.
private final class LockedBuffer: @unchecked Sendable {
    private let lock = NSLock()
    private var pending = Data()

    func append(_ data: Data) -> [String] {
        lock.withLock {
            pending.append(data)
            guard let last = pending.lastIndex(of: UInt8(ascii: "\n")) else { return [] }
            let complete = pending[pending.startIndex...last]
            pending = Data(pending[(last + 1)...])
            return complete.split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self) }
        }
    }
}
