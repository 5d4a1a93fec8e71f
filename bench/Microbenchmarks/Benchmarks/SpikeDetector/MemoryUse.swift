import CMallocInfo
import Foundation

/// This process's memory as the kernel and malloc count it, to take the
/// difference of two moments.
struct MemoryUse {
    /// Resident bytes, from `/proc/self/statm`; 0 where there is none (not Linux).
    let resident: Int
    /// Bytes malloc has handed out and not had back (glibc's `mallinfo2`:
    /// in-use chunks plus mmapped ones); 0 where there is none.
    let heapInUse: Int

    static func now() -> MemoryUse {
        MemoryUse(resident: residentBytes(), heapInUse: heapBytes())
    }

    private static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    private static func heapBytes() -> Int {
        Int(cmallocinfo_heap_in_use())
    }
}
