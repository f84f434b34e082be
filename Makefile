# Each target is a line or two; read them to see exactly what runs.
PREFIX ?= /usr/local
SWIFT ?= swift
# Debian packages: libraries we link, and the tools the tests drive (shellcheck lints hooks/;
# docker-registry, skopeo, umoci and htpasswd from apache2-utils check the OCI images and pushes).
APT_PACKAGES = libgit2-dev libcmark-dev libssl-dev pkg-config git shellcheck docker-registry skopeo umoci apache2-utils

.PHONY: deps build release test demo bench lint format install clean

deps:
	./scripts/install-deps.sh $(APT_PACKAGES)

build: deps
	$(SWIFT) build

# A static Swift standard library: the binary runs anywhere libgit2 and cmark are, and starts faster.
release: deps
	$(SWIFT) build -c release --static-swift-stdlib

test: deps
	$(SWIFT) build && $(SWIFT) test

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
