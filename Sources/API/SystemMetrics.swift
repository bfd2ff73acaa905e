import Foundation
import Prometheus
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Process metrics from /proc and container metrics from this process's own cgroup.
///
/// The container series carry the names cAdvisor uses, so queries written for the seed's
/// cAdvisor keep working when Vigil runs without it. Readings are taken when `/metrics` is
/// scraped; cumulative OS counters advance the Prometheus counters by their increase.
final class SystemMetrics: Sendable {
    private let processCPU: Counter
    private let residentMemory: Gauge
    private let virtualMemory: Gauge
    private let openFDs: Gauge
    private let maxFDs: Gauge
    private let containerCPU: Counter
    private let containerMemory: Gauge
    private let registry: PrometheusCollectorRegistry
    private let containerName: String
    private let cgroup: CgroupPaths
    private let previous = Mutex<Previous>(Previous())

    private struct Previous {
        var processCPU = 0.0
        var containerCPU = 0.0
        var network: [String: (receive: Double, transmit: Double, rx: Counter, tx: Counter)] = [:]
    }

    init(registry: PrometheusCollectorRegistry, containerName: String) {
        self.registry = registry
        self.containerName = containerName
        processCPU = registry.makeCounter(descriptor: .named("process_cpu_seconds_total", help: "Total user and system CPU time spent in seconds."))
        residentMemory = registry.makeGauge(descriptor: .named("process_resident_memory_bytes", help: "Resident memory size in bytes."))
        virtualMemory = registry.makeGauge(descriptor: .named("process_virtual_memory_bytes", help: "Virtual memory size in bytes."))
        openFDs = registry.makeGauge(descriptor: .named("process_open_fds", help: "Number of open file descriptors."))
        maxFDs = registry.makeGauge(descriptor: .named("process_max_fds", help: "Maximum number of open file descriptors."))
        let startTime = registry.makeGauge(descriptor: .named("process_start_time_seconds", help: "Start time of the process since unix epoch in seconds."))
        let labels = [("name", containerName)]
        containerCPU = registry.makeCounter(descriptor: .named("container_cpu_usage_seconds_total", help: "Cumulative cpu time consumed in seconds."), labels: labels)
        containerMemory = registry.makeGauge(descriptor: .named("container_memory_usage_bytes", help: "Current memory usage in bytes, including all memory regardless of when it was accessed"), labels: labels)
        cgroup = CgroupPaths.discover()
        if let stat = ProcessStat.read() { startTime.set(stat.startTimeSeconds) }
        refresh()
    }

    func refresh() {
        let stat = ProcessStat.read()
        let containerCPUSeconds = cgroup.cpuSeconds()
        let network = NetworkDevices.read()
        previous.withLock { previous in
            if let stat {
                previous.processCPU = advance(processCPU, from: previous.processCPU, to: stat.cpuSeconds)
                residentMemory.set(stat.residentBytes)
                virtualMemory.set(stat.virtualBytes)
            }
            if let containerCPUSeconds {
                previous.containerCPU = advance(containerCPU, from: previous.containerCPU, to: containerCPUSeconds)
            }
            for device in network {
                var entry = previous.network[device.interface] ?? (
                    0, 0,
                    registry.makeCounter(descriptor: .named("container_network_receive_bytes_total", help: "Cumulative count of bytes received"), labels: [("name", containerName), ("interface", device.interface)]),
                    registry.makeCounter(descriptor: .named("container_network_transmit_bytes_total", help: "Cumulative count of bytes transmitted"), labels: [("name", containerName), ("interface", device.interface)])
                )
                entry.receive = advance(entry.rx, from: entry.receive, to: device.receiveBytes)
                entry.transmit = advance(entry.tx, from: entry.transmit, to: device.transmitBytes)
                previous.network[device.interface] = entry
            }
        }
        if let memory = cgroup.memoryBytes() { containerMemory.set(memory) }
        openFDs.set(Double(Self.countOpenFileDescriptors()))
        maxFDs.set(Double(Self.maxFileDescriptors()))
    }

    /// Moves a counter forward by the OS counter's increase and returns the new baseline.
    private func advance(_ counter: Counter, from old: Double, to new: Double) -> Double {
        if new > old { counter.increment(by: new - old) }
        return max(old, new)
    }

    static func countOpenFileDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
    }

    static func maxFileDescriptors() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        return limit.rlim_cur >= UInt64(Int.max) ? Int.max : Int(limit.rlim_cur)
    }
}

/// The fields of /proc/self/stat that the process metrics need.
struct ProcessStat {
    var cpuSeconds: Double
    var virtualBytes: Double
    var residentBytes: Double
    var startTimeSeconds: Double

    static func read(path: String = "/proc/self/stat") -> ProcessStat? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return parse(text, ticksPerSecond: Double(sysconf(Int32(_SC_CLK_TCK))), pageSize: Double(sysconf(Int32(_SC_PAGESIZE))), bootTime: bootTime())
    }

    /// Parses the stat line; the command name may hold spaces and parentheses, so fields are counted after the last ")".
    static func parse(_ text: String, ticksPerSecond: Double, pageSize: Double, bootTime: Double) -> ProcessStat? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state) of proc(5); field n sits at index n - 3.
        func field(_ n: Int) -> Double? { n - 3 < fields.count ? Double(fields[n - 3]) : nil }
        guard let utime = field(14), let stime = field(15), let start = field(22), let vsize = field(23), let rss = field(24) else { return nil }
        return ProcessStat(
            cpuSeconds: (utime + stime) / ticksPerSecond,
            virtualBytes: vsize,
            residentBytes: rss * pageSize,
            startTimeSeconds: bootTime + start / ticksPerSecond
        )
    }

    static func bootTime() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        return 0
    }
}

/// Where this process's cgroup keeps CPU and memory usage: cgroup v2 first, v1 controllers otherwise.
struct CgroupPaths: Sendable {
    var cpuFile: String?
    var cpuIsV2: Bool
    var memoryFile: String?

    static func discover(root: String = "/sys/fs/cgroup", selfCgroup: String = "/proc/self/cgroup") -> CgroupPaths {
        let fm = FileManager.default
        let lines = ((try? String(contentsOfFile: selfCgroup, encoding: .utf8)) ?? "").split(separator: "\n")
        // Each line is "hierarchy-id:controllers:path".
        let entries = lines.compactMap { line -> (controllers: [Substring], path: String)? in
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { return nil }
            return (parts[1].split(separator: ","), String(parts[2]))
        }
        /// Inside a cgroup namespace the listed path may not exist in our mount; the mount root is then our own cgroup.
        func existing(_ base: String, _ path: String, _ file: String) -> String? {
            for candidate in [base + path + "/" + file, base + "/" + file] where fm.fileExists(atPath: candidate) {
                return candidate
            }
            return nil
        }
        if fm.fileExists(atPath: root + "/cgroup.controllers"), let unified = entries.first(where: { $0.controllers.isEmpty }) {
            return CgroupPaths(cpuFile: existing(root, unified.path, "cpu.stat"), cpuIsV2: true,
                               memoryFile: existing(root, unified.path, "memory.current"))
        }
        var paths = CgroupPaths(cpuFile: nil, cpuIsV2: false, memoryFile: nil)
        if let cpu = entries.first(where: { $0.controllers.contains("cpuacct") }) {
            paths.cpuFile = existing(root + "/cpuacct", cpu.path, "cpuacct.usage") ?? existing(root + "/cpu,cpuacct", cpu.path, "cpuacct.usage")
        }
        if let memory = entries.first(where: { $0.controllers.contains("memory") }) {
            paths.memoryFile = existing(root + "/memory", memory.path, "memory.usage_in_bytes")
        }
        return paths
    }

    func cpuSeconds() -> Double? {
        guard let cpuFile, let text = try? String(contentsOfFile: cpuFile, encoding: .utf8) else { return nil }
        if cpuIsV2 {
            for line in text.split(separator: "\n") where line.hasPrefix("usage_usec ") {
                return Double(line.dropFirst(11)).map { $0 / 1e6 }
            }
            return nil
        }
        return Double(text.trimmingCharacters(in: .whitespacesAndNewlines)).map { $0 / 1e9 }
    }

    func memoryBytes() -> Double? {
        guard let memoryFile, let text = try? String(contentsOfFile: memoryFile, encoding: .utf8) else { return nil }
        return Double(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// Per-interface byte counters of this process's network namespace, from /proc/self/net/dev.
struct NetworkDevices {
    var interface: String
    var receiveBytes: Double
    var transmitBytes: Double

    static func read(path: String = "/proc/self/net/dev") -> [NetworkDevices] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return parse(text)
    }

    static func parse(_ text: String) -> [NetworkDevices] {
        text.split(separator: "\n").dropFirst(2).compactMap { line in
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            let numbers = parts[1].split(separator: " ")
            guard numbers.count >= 9, let rx = Double(numbers[0]), let tx = Double(numbers[8]) else { return nil }
            return NetworkDevices(interface: parts[0].trimmingCharacters(in: .whitespaces), receiveBytes: rx, transmitBytes: tx)
        }
    }
}
