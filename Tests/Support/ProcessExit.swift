import Foundation

extension Process {
    /// Waits, without blocking a thread, until the process has ended, and
    /// returns its exit status (128 + the signal when a signal killed it, as
    /// a shell reports it); nil when it is still running after `limit`.
    /// Foundation on Linux does not always notice the exit of a child that
    /// started daemons (`isRunning` stays true), so this asks the kernel.
    public func exitStatus(within limit: Duration = .seconds(3600)) async throws -> Int32? {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            var status: Int32 = 0
            let reaped = waitpid(processIdentifier, &status, WNOHANG)
            if reaped == processIdentifier {
                // WIFEXITED, then WEXITSTATUS.
                return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            }
            if reaped == -1 {  // Foundation reaped it first
                while isRunning { try await Task.sleep(for: .milliseconds(10)) }
                return terminationReason == .exit ? terminationStatus : 128 + terminationStatus
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }
}
