// swift-tools-version: 6.1
// Micro-benchmarks (ordo-one/benchmark), kept in their own package so the main build stays lean.
// Run from this directory: swift package --allow-writing-to-package-directory benchmark
import PackageDescription

let package = Package(
    name: "VigilBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "vigil", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "Inference",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "API", package: "vigil"),
            ],
            path: "Benchmarks/Inference",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "Exposition",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Scraper", package: "vigil"),
            ],
            path: "Benchmarks/Exposition",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
