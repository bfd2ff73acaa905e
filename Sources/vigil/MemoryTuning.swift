#if canImport(Glibc)
import Glibc
#endif

/// keepLargeAllocationsMapped stops glibc from unmapping freed blocks of up to 64 MiB.
///
/// Query results of a few MiB are built and freed on every request. By default glibc maps each
/// one fresh and unmaps it again, and the page faults of touching new pages cost as much as the
/// query. `mallopt` is not in Swift's Glibc module, so it is looked up by name.
func keepLargeAllocationsMapped() {
    #if canImport(Glibc)
    typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
    guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "mallopt") else { return }
    let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
    let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3  // M_TRIM_THRESHOLD, M_MMAP_THRESHOLD in <malloc.h>
    _ = mallopt(mmapThreshold, 64 << 20)
    _ = mallopt(trimThreshold, 128 << 20)
    #endif
}
