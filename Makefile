# Each target is a line or two; read them to see exactly what runs.
PREFIX ?= /usr/local
SWIFT ?= swift
# Debian packages. Building needs the libraries we link (libcurl for Foundation's networking in
# the static build); the tests also drive real tools: shellcheck lints hooks/, promtool
# (prometheus) checks the site's metrics.prom, docker-registry, skopeo, umoci and htpasswd
# (apache2-utils) check the OCI images and pushes, runc runs the `package --serve` image,
# openssl makes the certificate of the HTTPS registry tests (Tests/Fixtures/registry), and the
# pre-commit framework and kubernetes-validate (PyPI) check hooks and `deploy k8s` manifests;
# chromium opens every page of a generated site (Tests/Fixtures/site/browser-check.py, over the
# DevTools pipe with Python's standard library) and photographs the demo's site, in the fonts of
# fonts-dejavu-core.
BUILD_PACKAGES = libgit2-dev libcmark-dev libssl-dev libcurl4-openssl-dev zlib1g-dev libzstd-dev libarchive-dev pkg-config git
BROWSER_PACKAGES = chromium fonts-dejavu-core
TEST_PACKAGES = shellcheck openssh-client prometheus docker-registry skopeo umoci runc apache2-utils python3-venv gzip zstd openssl $(BROWSER_PACKAGES)

.PHONY: deps deps-build build release test test-browser screenshots fuzz fuzz-smoke demo demo-sklearn bench bench-floor bench-hooks bench-serving bench-significance lint format install uninstall clean

deps-build:
	./scripts/install-deps.sh $(BUILD_PACKAGES)

deps: deps-build
	./scripts/install-deps.sh $(TEST_PACKAGES) && ./scripts/install-test-tools.sh

build: deps-build
	$(SWIFT) build

# A static Swift standard library: the binaries run anywhere libgit2 and cmark are, and start faster.
# Both products: modelgate (what the hooks run) and modelgate-serve (the model server).
release: deps-build
	$(SWIFT) build -c release --static-swift-stdlib --product modelgate && $(SWIFT) build -c release --static-swift-stdlib --product modelgate-serve

# The Swift tests, then every page kind of a generated site in headless Chromium (test-browser).
test: deps
	$(SWIFT) build && $(SWIFT) test && python3 Tests/Fixtures/site/browser-check.py .build/debug/modelgate

# libFuzzer on every parser of hostile input (Fuzz/README.md): FUZZ_SECONDS per target, stops at the first finding.
FUZZ_SECONDS ?= 60
fuzz: deps-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) ./scripts/fuzz.sh

# The short run CI does, so that a new crash fails the build.
fuzz-smoke: deps-build
	FUZZ_SECONDS=10 ./scripts/fuzz.sh

# Opens every page of a generated site in headless Chromium from file://: fails on any console
# message, script error, CSP violation or request outside the site (make test runs it too).
test-browser: build
	./scripts/install-deps.sh $(BROWSER_PACKAGES) && python3 Tests/Fixtures/site/browser-check.py .build/debug/modelgate

# The README's screenshots (docs/screenshots/*.png) of the demo's site, taken by the same Chromium.
screenshots: release
	./scripts/install-deps.sh $(BROWSER_PACKAGES) && ./scripts/screenshots.sh .build/release/modelgate docs/screenshots

# The product's story in a fresh temporary directory, no network, no Python: examples/demo.sh.
demo: release
	MODELGATE=.build/release/modelgate ./examples/demo.sh

# The same story, shorter, with a scikit-learn script as the stage, in a virtualenv from PyPI.
demo-sklearn: release
	./scripts/install-test-tools.sh sklearn
	MODELGATE=.build/release/modelgate ./examples/sklearn/demo.sh

bench: release
	./scripts/install-deps.sh hyperfine time python3-venv gcc openssh-client && ./benchmarks/run.sh .build/release/modelgate

# Cached answers (status, run, verify, pre-push) against git and a C program linked with libgit2,
# at 1 MB and 1 GB of tracked data (see benchmarks/floor/RESULTS.md).
bench-floor: release
	./scripts/install-deps.sh hyperfine gcc openssh-client && ./benchmarks/floor/run.sh .build/release/modelgate

# Speed of every significance method and the A/A calibration study (benchmarks/significance/RESULTS.md).
bench-significance:
	MODELGATE_BENCH=1 swift build -c release --scratch-path .build-bench --product SignificanceBench
	.build-bench/release/SignificanceBench timing && .build-bench/release/SignificanceBench calibration 1000 benchmarks/significance/power.svg

# Hook latency against plain git, the pre-commit framework, lefthook and DVC (see benchmarks/hooks/RESULTS.md).
bench-hooks: release
	./scripts/install-deps.sh hyperfine time python3-venv && ./benchmarks/hooks/run.sh .build/release/modelgate

# modelgate-serve against Flask + scikit-learn (gunicorn and the dev server) with wrk on loopback,
# and the --serve image's size (see benchmarks/serving/RESULTS.md). BASE=path/to/other/modelgate
# adds the hook path (status, no-op commit) of both binaries side by side.
bench-serving: release
	./scripts/install-deps.sh wrk curl hyperfine python3-venv gzip && ./benchmarks/serving/run.sh .build/release 10 $(BASE)

lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Fuzz Package.swift && shellcheck hooks/* scripts/*.sh && shellcheck -x examples/*.sh examples/*/*.sh

format:
	$(SWIFT) format --in-place --recursive Sources Tests Fuzz Package.swift

# Both stripped binaries (modelgate serve execs the modelgate-serve beside it) and the shell
# completions (bash, zsh, fish); DESTDIR for staged installs.
install: release
	install -d $(DESTDIR)$(PREFIX)/bin && install -s -m 755 .build/release/modelgate $(DESTDIR)$(PREFIX)/bin/modelgate
	install -s -m 755 .build/release/modelgate-serve $(DESTDIR)$(PREFIX)/bin/modelgate-serve
	./scripts/install-completions.sh $(DESTDIR)$(PREFIX)/bin/modelgate $(DESTDIR)$(PREFIX)

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/modelgate $(DESTDIR)$(PREFIX)/bin/modelgate-serve $(DESTDIR)$(PREFIX)/share/bash-completion/completions/modelgate \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions/_modelgate $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/modelgate.fish

clean:
	rm -rf .build .build-fuzz
