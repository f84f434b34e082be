# Each target is a line or two; read them to see exactly what runs.
PREFIX ?= /usr/local
SWIFT ?= swift
# Debian packages: libraries we link, and the tools the tests drive (shellcheck lints hooks/,
# promtool from prometheus checks the site's metrics.prom).
APT_PACKAGES = libgit2-dev libcmark-dev libssl-dev pkg-config git shellcheck prometheus

.PHONY: deps build release test test-browser demo bench lint format install clean

deps:
	./scripts/install-deps.sh $(APT_PACKAGES)

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

test: deps
	$(SWIFT) build && $(SWIFT) test

# Opens a generated site in headless Chromium from file://: fails on console messages or network requests.
test-browser: build
	./scripts/install-deps.sh chromium && python3 Tests/Fixtures/site/browser-check.py .build/debug/modelgate

bench: release
	./benchmarks/run.sh .build/release/modelgate

lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift && shellcheck hooks/* scripts/*.sh

format:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift

install: release
	install -d $(PREFIX)/bin && install -m 755 .build/release/modelgate $(PREFIX)/bin/modelgate

clean:
	rm -rf .build
