// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "modelgate",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "modelgate", targets: ["modelgate"]),
        .executable(name: "modelgate-serve", targets: ["modelgate-serve"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        // Serving only (modelgate-serve): HTTP/1.1 over SwiftNIO, graceful shutdown, Prometheus text.
        // Hummingbird's default traits would pull swift-configuration, which the server does not use.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // C libraries, found with pkg-config; `make deps` installs the apt packages named here.
        .systemLibrary(
            name: "CLibGit2", pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"]), .brew(["libgit2"])]),
        .systemLibrary(
            name: "CCmark", pkgConfig: "libcmark",
            providers: [.apt(["libcmark-dev"]), .brew(["cmark"])]),

        .systemLibrary(
            name: "CLibCrypto", pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"]), .brew(["openssl"])]),

        // libcrypto's digests, linked statically (module.modulemap: libcrypto.a, from libssl-dev):
        // the one C library of modelgate-serve, which hashes one manifest at start-up and so ships
        // no libcrypto.so in its image.
        .systemLibrary(name: "CLibCryptoDigest", providers: [.apt(["libssl-dev"])]),

        .systemLibrary(
            name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),
        .systemLibrary(
            name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"]), .brew(["zstd"])]),
        // Reads the tar layers of pulled images (tar format only, no filters). Linked statically
        // (module.modulemap: libarchive.a, from libarchive-dev): only its tar reader comes in, and
        // no process loads the eight shared libraries libarchive.so needs (about 5 ms at start).
        .systemLibrary(name: "CLibArchive", providers: [.apt(["libarchive-dev"])]),

        // glibc calls that Swift's Glibc module leaves out (declared only under _GNU_SOURCE):
        // pipe2, posix_spawn's closefrom and chdir actions, syncfs, renameat2, statx.
        .target(name: "CLinux"),

        // SHA-256 over libcrypto, for fingerprints and artifact digests.
        .target(name: "Checksum", dependencies: ["CLibCrypto"]),
        // Errors users see and the exit-code contract; every module below the CLI shares it.
        .target(name: "Diagnostics"),
        // Folders reached through descriptors without following links, owned work folders,
        // files written whole: the one file-system layer under Pipeline, Artifacts and Site.
        .target(name: "FileSafety", dependencies: ["CLinux", "Diagnostics"]),
        // Every child process (stage commands, credential helpers, git): one runner, one
        // environment policy.
        .target(name: "Processes", dependencies: ["CLinux", "Diagnostics"]),
        // libgit2's initialisation without the system CA-bundle parse that Debian's mbedTLS build
        // does on every start (~5 ms; modelgate never uses libgit2's TLS): libgit2_startup.c.
        .target(name: "CLibGit2Startup", dependencies: ["CLibGit2"]),
        // The only importer of CLibGit2 (and of CLibGit2Startup).
        .target(
            name: "GitKit",
            dependencies: ["CLibGit2", "CLibGit2Startup", "Checksum", "Diagnostics", "Processes"]),
        // SSH signatures (PROTOCOL.sshsig) and git's allowed_signers, natively over libcrypto.
        .target(name: "Trust", dependencies: ["CLibCrypto", "Diagnostics"]),
        // The only importer of CCmark.
        .target(name: "Markdown", dependencies: ["CCmark"]),
        // Intervals and tests for gates (Clopper–Pearson, McNemar, DeLong, paired bootstrap,
        // Holm/BH): no git, no I/O, nothing but Foundation.
        .target(name: "Statistics"),
        // CSV reader, built-in trainers, metrics, model files, data checks (no git).
        .target(name: "Learning", dependencies: ["Diagnostics"]),
        // Config, fingerprints, run cache, stage runner, gates, baselines, records.
        .target(
            name: "Pipeline",
            dependencies: [
                "Checksum", "Diagnostics", "FileSafety", "GitKit", "Learning", "Markdown", "Processes",
                "Statistics", "Trust",
                .product(name: "Yams", package: "Yams"),
            ]),
        // Run records + tags -> static HTML/SVG site, history.json, metrics.prom, Grafana JSON.
        // The default templates are compiled in (DefaultTemplates.swift, generated from site-templates/).
        .target(
            name: "Site",
            dependencies: [
                "CLinux", "Checksum", "Diagnostics", "FileSafety", "GitKit", "Markdown", "Pipeline",
                .product(name: "Mustache", package: "swift-mustache"),
            ]),
        // Artifact store, manifest, verification, OCI image layout, registry client, releases.
        .target(
            name: "Artifacts",
            dependencies: [
                "CLibArchive", "CZlib", "CZstd", "Checksum", "Diagnostics", "FileSafety", "GitKit",
                "Pipeline",
                "Processes", "Trust",
            ]),
        // Request bodies of the Open Inference Protocol v2 and KServe v1 decoded into rows
        // (FoundationEssentials only, so the fuzz targets that exercise it do not build the HTTP stack).
        .target(name: "InferenceProtocol"),
        // Deployment, Service, ServiceMonitor and InferenceService manifests, emitted by Yams.
        .target(name: "Kubernetes", dependencies: ["Diagnostics", .product(name: "Yams", package: "Yams")]),
        // The model server behind `modelgate-serve`: the Open Inference Protocol v2 and KServe v1
        // over Hummingbird, Prometheus metrics, input drift. The only importer of Hummingbird,
        // SwiftNIO and service-lifecycle; the hook binary `modelgate` never links it. Everything
        // modelgate-serve links (this, InferenceProtocol, Learning, Diagnostics and the packages)
        // imports FoundationEssentials, never Foundation, so the static binary carries no ICU; the
        // artifact digest is one call to a static libcrypto, as Checksum reads files with
        // Foundation's FileHandle.
        .target(
            name: "Serving",
            dependencies: [
                "CLibCryptoDigest", "Diagnostics", "InferenceProtocol", "Learning",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]),
        // Temporary repositories and fixtures, for tests only.
        .target(name: "TestSupport", dependencies: ["GitKit"]),
        // One entry point per parser of hostile input (bytes in), shared by the libFuzzer
        // executables under Fuzz/ and the regression test that replays their corpora.
        .target(
            name: "FuzzTargets",
            dependencies: [
                "Artifacts", "GitKit", "InferenceProtocol", "Learning", "Markdown", "Pipeline", "Site",
                "Trust",
            ]),

        .executableTarget(
            name: "modelgate",
            dependencies: [
                "Artifacts", "Diagnostics", "FileSafety", "GitKit", "Kubernetes", "Learning", "Markdown",
                "Pipeline", "Processes", "Site", "Trust",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        .executableTarget(
            name: "modelgate-serve",
            dependencies: [
                "Diagnostics", "Serving", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // --static-swift-stdlib links with -export-dynamic; the server is looked up by no one,
            // and without its 21,000 dynamic symbols the stripped binary is 2 MB smaller.
            linkerSettings: [.unsafeFlags(["-Xlinker", "--no-export-dynamic"])]),

        .testTarget(name: "FileSafetyTests", dependencies: ["FileSafety", "TestSupport"]),
        .testTarget(name: "ProcessesTests", dependencies: ["Processes", "TestSupport"]),
        .testTarget(name: "GitKitTests", dependencies: ["GitKit", "TestSupport"]),
        .testTarget(name: "TrustTests", dependencies: ["Trust", "TestSupport"]),
        .testTarget(name: "ChecksumTests", dependencies: ["Checksum", "TestSupport"]),
        .testTarget(name: "MarkdownTests", dependencies: ["Markdown"]),
        .testTarget(name: "LearningTests", dependencies: ["Learning"]),
        .testTarget(name: "StatisticsTests", dependencies: ["Statistics", "TestSupport"]),
        .testTarget(
            name: "PipelineTests",
            dependencies: ["Learning", "Pipeline", "TestSupport", .product(name: "Yams", package: "Yams")]),
        .testTarget(
            name: "SiteTests", dependencies: ["FileSafety", "Site", "Pipeline", "GitKit", "TestSupport"]),
        .testTarget(name: "ArtifactsTests", dependencies: ["Artifacts", "Checksum", "TestSupport"]),
        .testTarget(
            name: "KubernetesTests", dependencies: ["Kubernetes", .product(name: "Yams", package: "Yams")]),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["Artifacts", "Checksum", "TestSupport", "GitKit", "Markdown", "Pipeline"]),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["FuzzTargets"]),
        // The command-line plumbing of the executable itself (its fast path against ArgumentParser).
        .testTarget(name: "ModelgateTests", dependencies: ["modelgate"]),
        .testTarget(
            name: "ServingTests",
            dependencies: [
                "Artifacts", "Checksum", "InferenceProtocol", "Learning", "Pipeline", "Serving",
                "TestSupport",
                "GitKit",
            ]),
    ]
)

// The libFuzzer executables, Fuzz/<Name>/main.swift, exist only for `make fuzz` (MODELGATE_FUZZ=1,
// built with --sanitize fuzzer): an ordinary build or test never compiles or links them.
let fuzzTargets = [
    "TarLayer", "Challenge", "RegistryJSON", "CSV", "Config", "RunRecord", "PrePush", "PathPattern", "Tag",
    "Signature", "Deployment", "InferenceRequest", "Markdown",
]
if Context.environment["MODELGATE_FUZZ"] == "1" {
    package.targets += fuzzTargets.map {
        .executableTarget(name: "Fuzz\($0)", dependencies: ["FuzzTargets"], path: "Fuzz/\($0)")
    }
}

// `make bench-significance`: speed and calibration of the significance methods. Built only with
// MODELGATE_BENCH=1, so an ordinary build never compiles it.
if Context.environment["MODELGATE_BENCH"] == "1" {
    package.targets.append(
        .executableTarget(
            name: "SignificanceBench", dependencies: ["Statistics"],
            path: "benchmarks/significance/SignificanceBench"))
}
