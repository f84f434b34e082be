#!/usr/bin/env python3
"""Writes the seed corpora under Fuzz/corpus/<Target>/ (deterministic: same bytes every run).

The seeds are committed; this script is how they were made and how to extend them. Each seed is
small and shows one feature of its format (or one way of breaking it), so the fuzzer starts from
every branch a real input takes. Run it from anywhere: python3 Fuzz/make-corpus.py
"""

import hashlib
import io
import json
import os
import tarfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def write(target, name, data):
    directory = os.path.join(ROOT, target)
    os.makedirs(directory, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(directory, name), "wb") as out:
        out.write(data)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


# MARK: - TarLayer: a pulled layer's tar (modelgate puts the model under model/)


def tar(members, fmt=tarfile.USTAR_FORMAT, pax_headers=None):
    """members: (name, bytes or None for a directory, type, linkname)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=fmt, pax_headers=pax_headers or {}) as archive:
        for name, data, kind, link in members:
            info = tarfile.TarInfo(name)
            info.mtime = 1700000000
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mode = 0o755 if data is None else 0o644
            info.type = kind
            info.linkname = link or ""
            info.size = len(data) if (data is not None and kind == tarfile.REGTYPE) else 0
            archive.addfile(info, io.BytesIO(data) if info.size else None)
    # tarfile pads the archive to 10 KiB; keep the end marker (two zero blocks) only.
    data = buffer.getvalue().rstrip(b"\0")
    return data + bytes(-len(data) % 512 + 1024)


def file(name, data):
    return (name, data, tarfile.REGTYPE, None)


def directory(name):
    return (name, None, tarfile.DIRTYPE, None)


MODEL = b'{"kind":"linear-regression","coefficients":[1.5,-0.25],"intercept":3}\n'
METRICS = b'{"r2":0.913,"rmse":2.41}\n'


def artifact_manifest(files, tamper=False):
    entries = [
        {"path": path, "sha256": sha256(data) if not tamper else "0" * 64, "size": len(data)}
        for path, data in sorted(files.items())
    ]
    manifest = {
        "schema": 1,
        "name": "housing",
        "tree": "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
        "fingerprint": "sha256:" + "ab" * 32,
        "verdict": "pass",
        "metrics": {"r2": 0.913, "rmse": 2.41},
        "inputs": {"data/train.csv": "ce013625030ba8dba906f756967f9e9ca394464a"},
        "files": entries,
        "tool": "modelgate 0.9.0",
        "created": "2026-12-01T10:00:00Z",
        "source": "rev",
    }
    return (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()


def tar_seeds():
    files = {"model.json": MODEL, "metrics.json": METRICS}
    manifest = artifact_manifest(files)
    write("TarLayer", "model-layer.tar", tar([
        directory("model/"), file("model/manifest.json", manifest),
        file("model/metrics.json", METRICS), file("model/model.json", MODEL)]))
    write("TarLayer", "tampered-manifest.tar", tar([
        directory("model/"), file("model/manifest.json", artifact_manifest(files, tamper=True)),
        file("model/model.json", MODEL), file("model/metrics.json", METRICS)]))
    write("TarLayer", "dot-slash-paths.tar", tar([
        directory("./model/"), file("./model/model.json", MODEL), directory("./model/sub/"),
        file("./model/sub/weights.bin", bytes(range(256)))]))
    long_dir = "model/" + "/".join(["d" * 40] * 3)
    write("TarLayer", "ustar-prefix-split.tar", tar([file(long_dir + "/model.json", MODEL)]))
    write("TarLayer", "pax-long-path.tar", tar(
        [file("model/" + "p" * 180 + "/weights.bin", b"\x00\x01\x02")], fmt=tarfile.PAX_FORMAT))
    write("TarLayer", "pax-many-records.tar", tar(
        [file("model/" + "ü" * 60 + ".json", MODEL)], fmt=tarfile.PAX_FORMAT,
        pax_headers={"comment": "made by make-corpus.py", "mtime": "1700000000.5"}))
    write("TarLayer", "gnu-long-name.tar", tar(
        [file("model/" + "g" * 120 + ".json", MODEL)], fmt=tarfile.GNU_FORMAT))
    write("TarLayer", "symlink-in-model.tar", tar([
        directory("model/"), ("model/link", None, tarfile.SYMTYPE, "/etc/passwd")]))
    write("TarLayer", "hardlink-in-model.tar", tar([
        file("model/a.json", MODEL), ("model/b.json", None, tarfile.LNKTYPE, "model/a.json")]))
    write("TarLayer", "fifo-and-device.tar", tar([
        ("model/fifo", None, tarfile.FIFOTYPE, None), ("model/dev", None, tarfile.CHRTYPE, None)]))
    write("TarLayer", "dot-dot-path.tar", tar([file("model/../escaped.json", MODEL)]))
    write("TarLayer", "absolute-path.tar", tar([file("/model/abs.json", MODEL)]))
    write("TarLayer", "double-slash.tar", tar([file("model//x.json", MODEL)]))
    write("TarLayer", "outside-model-only.tar", tar([
        directory("etc/"), file("etc/config.json", b"{}"), file("README", b"not a model\n")]))
    write("TarLayer", "empty-file.tar", tar([file("model/empty", b"")]))
    write("TarLayer", "same-path-twice.tar", tar([
        file("model/model.json", b"first"), file("model/model.json", MODEL)]))
    write("TarLayer", "file-then-directory.tar", tar([
        file("model/x", b"a file"), file("model/x/y", b"below a file")]))
    write("TarLayer", "end-marker-only.tar", bytes(1024))
    whole = tar([file("model/model.json", MODEL * 20)])
    write("TarLayer", "truncated-content.tar", whole[:700])
    write("TarLayer", "truncated-header.tar", whole[:300])
    header = bytearray(tar([file("model/model.json", MODEL)]))
    header[148:156] = b"0000000\x00"
    write("TarLayer", "bad-checksum.tar", bytes(header))
    # A v7 header: no ustar magic, type '\0' for a regular file.
    v7 = bytearray(512)
    v7[0:16] = b"model/v7.json\x00\x00\x00"
    v7[100:108] = b"0000644\x00"
    v7[124:136] = b"%011o\x00" % len(MODEL)
    v7[136:148] = b"14760000000\x00"
    v7[148:156] = b" " * 8
    v7[148:155] = b"%06o\x00" % sum(v7)
    write("TarLayer", "v7-header.tar", bytes(v7) + MODEL.ljust(512, b"\x00") + bytes(1024))


# MARK: - Challenge: WWW-Authenticate headers registries send


def challenge_seeds():
    seeds = {
        "docker-hub": 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
        'scope="repository:library/ubuntu:pull"',
        "ghcr": 'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:acme/model:pull"',
        "basic": 'Basic realm="Registry Realm"',
        "basic-charset": 'Basic realm="registry", charset="UTF-8"',
        "insufficient-scope": 'Bearer realm="https://r.example/token",service="r.example",'
        'scope="repository:a/b:pull,push",error="insufficient_scope"',
        "escapes": r'Bearer realm="https://r.example/t\"ok\\en",service="a\,b"',
        "unquoted": "Bearer realm=https://r.example/token,service=r.example",
        "spaces": '  Bearer   realm = "https://r.example/token" ,  service="x"  ',
        "two-challenges": 'Basic realm="x", Bearer realm="https://r.example/token",service="y"',
        "scheme-only": "Bearer",
        "empty-values": 'Bearer realm="",service=,scope=""',
        "unterminated-quote": 'Bearer realm="https://r.example/token',
        "trailing-backslash": 'Bearer realm="abc\\',
        "uppercase-keys": 'BEARER REALM="https://r.example/token",SERVICE="R"',
        "negotiate": "Negotiate",
        "non-ascii": 'Bearer realm="https://régistry.example/tökén",service="ü"',
        "duplicate-keys": 'Bearer realm="https://one.example/",realm="https://two.example/"',
    }
    for name, text in seeds.items():
        write("Challenge", name + ".txt", text)


# MARK: - RegistryJSON: documents a registry or token service sends


def registry_json_seeds():
    layer = {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "sha256:" + "1" * 64,
             "size": 10240, "annotations": {"org.opencontainers.image.title": "model"}}
    config = {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + "2" * 64,
              "size": 512}
    documents = {
        "oci-manifest": {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                         "config": config, "layers": [layer],
                         "annotations": {"org.opencontainers.image.revision": "a" * 40,
                                         "dev.modelgate.metrics": '{"r2":0.913}'}},
        "oci-manifest-gzip-zstd": {"schemaVersion": 2, "config": config, "layers": [
            dict(layer, mediaType="application/vnd.oci.image.layer.v1.tar+gzip"),
            dict(layer, mediaType="application/vnd.oci.image.layer.v1.tar+zstd", digest="sha256:" + "3" * 64)]},
        "docker-manifest": {"schemaVersion": 2,
                            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                            "config": dict(config, mediaType="application/vnd.docker.container.image.v1+json"),
                            "layers": [dict(layer, mediaType="application/vnd.docker.image.rootfs.diff.tar.gzip")]},
        "oci-index": {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                      "manifests": [
                          {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + "4" * 64,
                           "size": 700, "platform": {"architecture": "arm64", "os": "linux"}},
                          {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + "5" * 64,
                           "size": 700, "platform": {"architecture": "amd64", "os": "linux"}}]},
        "docker-list": {"schemaVersion": 2,
                        "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
                        "manifests": [{"mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                                       "digest": "sha256:" + "6" * 64, "size": 528,
                                       "platform": {"architecture": "amd64", "os": "linux", "variant": "v8"}}]},
        "image-config": {"created": "2026-12-01T10:00:00Z", "architecture": "amd64", "os": "linux",
                         "config": {"Labels": {"org.opencontainers.image.title": "housing"},
                                    "WorkingDir": "/model"},
                         "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "7" * 64]},
                         "history": [{"created": "2026-12-01T10:00:00Z", "created_by": "modelgate package",
                                      "comment": "model files"}]},
        "token": {"token": "eyJhbGciOiJSUzI1NiJ9.e30.c2ln", "expires_in": 300,
                  "issued_at": "2026-12-01T10:00:00Z"},
        "access-token": {"access_token": "ya29.token", "token_type": "Bearer", "expires_in": 3600,
                         "refresh_token": "rt"},
        "errors": {"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown",
                               "detail": {"Tag": "v1"}}]},
        "errors-digest-invalid": {"errors": [{"code": "DIGEST_INVALID",
                                              "message": "provided digest did not match uploaded content"},
                                             {"code": "UNAUTHORIZED"}]},
        "artifact-manifest": json.loads(artifact_manifest({"model.json": MODEL})),
    }
    for name, document in documents.items():
        write("RegistryJSON", name + ".json", json.dumps(document, indent=2))
    write("RegistryJSON", "numbers.json",
          '{"schemaVersion": 2.0, "size": 1e3, "big": 18446744073709551616, "neg": -0, "f": 1.5E-7}')
    write("RegistryJSON", "escapes.json", '{"mediaType": "a\\u0000b\\ud83d\\ude00\\n\\"\\\\", "x": "\\ud800"}')
    write("RegistryJSON", "nested.json", "[" * 40 + "]" * 40)
    write("RegistryJSON", "truncated.json", json.dumps(documents["oci-manifest"])[:120])
    write("RegistryJSON", "html-error-page.json", "<html><body>502 Bad Gateway</body></html>\n")


# MARK: - CSV: the first byte chooses how the rest is read (see Fuzz/README.md)


def csv_seeds():
    # The selector byte: bit 0 label target, bit 1 drop-row, bit 2 no target; bits 3-5 the buffer
    # size, 16 + 8 * ((byte >> 3) & 7): "@" reads with a 16-byte buffer, "0" with 64; bit 7 a
    # record limit of 128 bytes.
    seeds = {
        "regression": ("0", "rooms,area,price\n3,120.5,250\n4,99,199.5\n2,45.25,120\n"),
        "classification": ("1", "x1,x2,label\n0.5,1.5,cat\n1.5,0.5,dog\n0.1,0.2,cat\n"),
        "numeric-labels": ("9", "a,b,class\n1,2,0\n3,4,1\n5,6,2\n7,8,10\n"),
        "quotes": ("@", 'name,x,y\n"Smith, J.",1,2\n"say ""hi""",3,4\n"multi\nline",5,6\n'),
        "crlf": ("@", "x,y\r\n1,2\r\n3,4\r\n"),
        "cr-only": ("H", "x,y\r1,2\r3,4\r"),
        "missing-values": ("B", "x,y,z\n1,,3\nNA,2,3\n1,NaN,3\n\"\",2,3\n4,5,6\n"),
        "missing-error": ("0", "x,y\n1,\n"),
        "bom": ("0", "\ufeffx,y\n1,2\n"),
        "single-column-blank-lines": ("4", "y\n1\n\n2\n\n"),
        "blank-lines": ("0", "x,y\n1,2\n\n\n3,4\n"),
        "numbers": ("P", "x,y\n+1,-2\n1e5,1E-5\n.5,5.\n 7 ,\t8\t\n0x10,1e999\ninf,-Infinity\n"
                    "123456789012345678,0.000000000000000000001\n"),
        "text-in-numeric": ("0", "x,y\n1,2\nabc,3\n"),
        "ragged-short": ("0", "a,b,c\n1,2\n"),
        "ragged-long": ("0", "a,b\n1,2,3\n"),
        "unterminated-quote": ("0", 'a,b\n"1,2\n'),
        "bad-quote": ("0", 'a,b\n"1"x,2\n'),
        "duplicate-header": ("0", "a,a\n1,2\n"),
        "header-only": ("0", "a,b,c\n"),
        "empty": ("0", ""),
        "no-trailing-newline": ("0", "x,y\n1,2"),
        "long-record": ("@", "x,y\n" + "1" * 200 + "," + "2" * 200 + "\n"),
        "wide": ("0", ",".join("c%d" % i for i in range(80)) + "\n" + ",".join(str(i) for i in range(80)) + "\n"),
        "utf8-names": ("4", "größe,preis\n1,2\n"),
        "unknown-class-later": ("1", "x,label\n1,a\n2,b\n3,\n4,c\n"),
        "drop-row-label": ("3", "x,label\n1,a\n2,NA\n3,b\n"),
        "no-feature-columns": ("0", "name,y\nalpha,1\n"),
        "big-buffer": ("@", "x,y\n" + "".join("%d,%d\n" % (i, i * i) for i in range(60))),
        "tiny-buffer-quoted": ("A", 'x,"y"\n"1",2\n"3","4"\n'),
        # Also read as a command stage's predictions file (id,y_true,y_pred[,score|p_<label>]).
        "predictions": ("0", "id,y_true,y_pred,score\nr1,1,1,0.9\nr2,0,1,0.6\nr3,0,0,0.1\n"),
        "predictions-classes": ("@", "id,y_true,y_pred,p_cat,p_dog\na,cat,cat,0.7,0.3\nb,dog,cat,0.6,0.4\n"),
        "predictions-repeated-id": ("0", "id,y_true,y_pred\nx,1,1\ny,0,0\nx,1,0\n"),
        "predictions-nan": ("0", "id,y_true,y_pred,score\n1,1,1,nan\n2,0,0,NaN\n"),
    }
    for name, (selector, text) in seeds.items():
        write("CSV", name + ".csv", selector + text)
    # Bit 7: records of at most 128 bytes; the second row is longer, the open quote longer still.
    limited = "x,y\n1,2\n" + "3," + "4" * 150 + "\n5,6\n\"" + "7,8\n" * 40
    write("CSV", "record-limit.csv", b"\xc0" + limited.encode())


# MARK: - Config: modelgate.yml


CONFIG_FULL = """\
version: 1
name: housing
stages:
  - name: validate
    builtin: validate
    data: data/train.csv
    columns: [rooms, area, price]
    types: {area: number, label: text}
    ranges: {area: [10, 1000]}
    min_rows: 100
    drift: true
    missing: drop-row
  - name: train
    builtin: linear-regression
    data: data/train.csv
    target: price
    features: [rooms, area]
    test: data/test.csv
    alpha: 1.0
    fit_intercept: true
    standardize: false
    missing: error
    model: train.model.json
  - name: shrink
    builtin: optimize
    from: train
    dtype: float16
    max_change: 0.01
  - name: evaluate
    cmd: python evaluate.py
    deps: [evaluate.py, "data/*.csv"]
    params: params.yaml
    outs: [report.html]
    metrics: metrics.json
    timeout: 10m
    env: {SEED: "1"}
gates:
  - {metric: r2, min: 0.90}
  - {metric: rmse, max: 2.5}
  - {metric: r2, max_drop: 0.01}
  - {metric: rmse, max_rise: 0.05, relative: true}
baseline: ancestor
hooks:
  pre-commit: train
  pre-push: require
"""


def config_seeds():
    seeds = {
        "full": CONFIG_FULL,
        "housing-example": open(os.path.join(ROOT, "..", "..", "examples", "housing", "modelgate.yml")).read(),
        "logistic": "version: 1\nname: iris\nstages:\n  - name: train\n    builtin: logistic-regression\n"
                    "    data: d.csv\n    target: species\n    split: 0.25\n    seed: 7\n    C: 0.5\n"
                    "    max_iter: 200\n    tol: 1e-6\ngates:\n  - {metric: accuracy, min: 0.9}\n",
        "kmeans": "version: 1\nstages:\n  - name: cluster\n    builtin: kmeans\n    data: d.csv\n"
                  "    n_clusters: 3\n    n_init: 4\n    random_state: 0\n",
        "command-only": "stages:\n  - name: train\n    cmd: python train.py\n    deps: [train.py]\n"
                        "    metrics: m.json\n    timeout: 90s\nbaseline: branch:main\nhooks: {pre-commit: off, pre-push: off}\n",
        "flow-style": '{version: 1, name: m, stages: [{name: t, cmd: "true", metrics: m.json}], gates: []}',
        "baseline-release": "version: 1\nname: m\nstages:\n  - {name: t, cmd: make, metrics: m.json}\n"
                            "baseline: release\nhooks:\n  pre-commit: validate\n",
        "anchors": "version: 1\nstages:\n  - &s {name: a, cmd: x, metrics: m.json}\n  - <<: *s\n    name: b\n",
        "tabs": "version: 1\nstages:\n\t- name: a\n",
        "duplicate-key": "version: 1\nname: a\nname: b\nstages: []\n",
        "unknown-key": "version: 1\nstages:\n  - name: train\n    timout: 10m\n    cmd: x\n",
        "wrong-types": "version: one\nstages: {name: x}\ngates: 3\n",
        "empty": "",
        "comment-only": "# nothing here\n",
        "multi-document": "version: 1\n---\nversion: 2\n",
        "bad-indentation": "version: 1\nstages:\n  - name: a\n   cmd: b\n",
        "quoted-scalars": "version: 1\nname: \"quoted \\u00e9 \\x41\"\nstages:\n  - name: 'single '' quote'\n"
                          "    cmd: |\n      echo one\n      echo two\n    metrics: >-\n      m.json\n",
        "tags-and-nulls": "version: !!int 1\nname: ~\nstages: !!seq []\nbaseline: null\n",
        "huge-numbers": "version: 99999999999999999999\nstages:\n  - {name: a, builtin: linear-regression, "
                        "data: d.csv, target: y, alpha: 1e400, split: -0.5, seed: -1}\n",
        "params-file": "train:\n  lr: 0.01\n  layers: [64, 32]\n  optimizer: {name: adam, beta: [0.9, 0.999]}\n"
                       "seed: 42\nnotes: ~\n",
        "params-json": '{"alpha": 0.5, "grid": [[1, 2], [3, 4]], "nested": {"a": {"b": {"c": true}}}}\n',
    }
    for name, text in seeds.items():
        write("Config", name + ".yml", text)


# MARK: - RunRecord: the JSON note of a commit


def record(verdict, **extra):
    base = {
        "schema": 1, "commit": "3f2a9c1" + "0" * 33, "tree": "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
        "fingerprint": "sha256:" + "cd" * 32, "verdict": verdict,
        "metrics": {"r2": 0.913, "rmse": 2.41, "drift.psi.area": 0.01},
        "gates": [
            {"metric": "r2", "kind": "min", "limit": 0.9, "relative": False, "value": 0.913, "baseline": None,
             "passed": True, "status": "pass"},
            {"metric": "r2", "kind": "max_drop", "limit": 0.01, "relative": False, "value": 0.913,
             "baseline": 0.911, "passed": True, "status": "pass"},
            {"metric": "rmse", "kind": "max_rise", "limit": 0.05, "relative": True, "value": 2.41,
             "baseline": None, "passed": None, "status": "no-baseline"},
        ],
        "stages": [
            {"name": "validate", "status": "pass", "duration_ms": 12, "cached": False,
             "fingerprint": "sha256:" + "01" * 32, "metrics": {"rows": 1000}},
            {"name": "train", "status": "pass", "duration_ms": 812, "cached": True,
             "fingerprint": "sha256:" + "02" * 32, "metrics": {"r2": 0.913, "rmse": 2.41}},
        ],
        "artifact": "sha256:" + "ef" * 32, "tool": "modelgate 0.9.0", "started": "2026-12-01T10:00:00Z",
        "duration_ms": 830, "baseline": {"policy": "ancestor", "commit": "b736162" + "0" * 33,
                                         "comparison": "recorded metrics of the baseline run"},
        "source": "rev", "inputs": {"data/train.csv": "ce013625030ba8dba906f756967f9e9ca394464a"},
        "error": None,
    }
    base.update(extra)
    return json.dumps(base, indent=2, sort_keys=True)


def run_record_seeds():
    write("RunRecord", "pass.json", record("pass"))
    write("RunRecord", "fail.json", record("fail", gates=[
        {"metric": "rmse", "kind": "max", "limit": 30, "relative": False, "value": 33.88, "baseline": 25.1,
         "passed": False, "status": "fail"},
        {"metric": "mae", "kind": "max", "limit": 1, "relative": False, "value": None, "baseline": None,
         "passed": None, "status": "missing"}]))
    write("RunRecord", "error.json", record(
        "error", artifact=None, metrics={}, gates=[],
        stages=[{"name": "train", "status": "error", "duration_ms": 5, "cached": False, "fingerprint": "",
                 "metrics": {}}], error="stage 'train' exited with status 1"))
    write("RunRecord", "staged-no-commit.json", record("pass", commit=None, source="staged", baseline=None))
    write("RunRecord", "no-baseline-commit.json", record(
        "pass", baseline={"policy": "branch:main", "commit": None, "comparison": "no baseline"}))
    minimal = {"fingerprint": "x", "verdict": "pass", "metrics": {}, "gates": [], "stages": [], "tool": "t",
               "started": "2026-12-01T10:00:00Z", "duration_ms": 0, "source": "rev", "inputs": {}}
    write("RunRecord", "minimal.json", json.dumps(minimal))
    write("RunRecord", "future-schema.json", record("pass", schema=2, signature="sshsig", trust={"signer": "ci"}))
    write("RunRecord", "fractional-date.json", record("pass", started="2026-12-01T10:00:00.123+02:00"))
    write("RunRecord", "bad-verdict.json", record("maybe"))
    write("RunRecord", "number-edges.json", record(
        "pass", metrics={"a": 1e308, "b": -0.0, "c": 5e-324, "d": 123456789012345678901234567890},
        duration_ms=9223372036854775807))
    write("RunRecord", "compact.json", json.dumps(json.loads(record("pass")), separators=(",", ":")))
    write("RunRecord", "not-json.txt", "modelgate: verdict pass\n")
    # A verdict reused from an earlier run: stages keep their times, cached_from names the run.
    reused_stages = [dict(stage, cached=True) for stage in json.loads(record("pass"))["stages"]]
    write("RunRecord", "cached-from.json", record(
        "pass", stages=reused_stages,
        cached_from={"started": "2026-11-30T08:00:00Z", "commit": "b736162" + "0" * 33, "duration_ms": 824}))
    write("RunRecord", "cached-from-hostile.json", record(
        "pass", stages=[dict(stage, duration_ms=-9223372036854775808) for stage in reused_stages],
        cached_from={"started": "1970-01-01T00:00:00Z", "commit": "a\u001b[2Jb; rm -rf /",
                     "duration_ms": 9223372036854775807}))
    # What `modelgate report` must keep as text in Markdown and JUnit XML.
    markup = "]]></failure><x a='1'>&amp;|<script>alert(1)</script> *b* [l](javascript:x) # h"
    write("RunRecord", "report-markup.json", record(
        "error", metrics={markup: 1.0}, inputs={markup: "00"},
        gates=[{"metric": markup, "kind": "min", "limit": 2, "relative": False, "value": 1.0, "baseline": None,
                "passed": False, "status": "fail"}],
        stages=[{"name": "]]><x>&amp;|<b>", "status": "error", "duration_ms": 1, "cached": False,
                 "fingerprint": "", "metrics": {}}],
        error=markup + "\u0001\u001b[31m\n# h\ufffe" + "]]>" * 3000))


# MARK: - PrePush: the pre-push hook's stdin


def pre_push_seeds():
    a, b, z = "a" * 40, "0123456789abcdef0123456789abcdef01234567", "0" * 40
    seeds = {
        "one-branch": "refs/heads/main %s refs/heads/main %s\n" % (b, a),
        "new-branch": "refs/heads/topic %s refs/heads/topic %s\n" % (b, z),
        "deletion": "(delete) %s refs/heads/old %s\n" % (z, a),
        "tag": "refs/tags/v1.0 %s refs/tags/v1.0 %s\n" % (a, z),
        "several": "refs/heads/main %s refs/heads/main %s\nrefs/tags/v2 %s refs/tags/v2 %s\n"
                   "(delete) %s refs/heads/gone %s\n" % (b, a, b, z, z, b),
        "blank-lines": "\n\nrefs/heads/main %s refs/heads/main %s\n\n" % (b, a),
        "crlf": "refs/heads/main %s refs/heads/main %s\r\n" % (b, a),
        "uppercase-ids": "refs/heads/main %s refs/heads/main %s\n" % (b.upper(), a.upper()),
        "extra-spaces": "refs/heads/main  %s   refs/heads/main %s  \n" % (b, a),
        "three-fields": "refs/heads/main %s refs/heads/main\n" % b,
        "short-id": "refs/heads/main abc123 refs/heads/main %s\n" % a,
        "sha256-ids": "refs/heads/main %s refs/heads/main %s\n" % ("b" * 64, "0" * 64),
        "no-newline": "refs/heads/main %s refs/heads/main %s" % (b, a),
        "empty": "",
        "tabs": "refs/heads/main\t%s\trefs/heads/main\t%s\n" % (b, a),
        "utf8-ref": "refs/heads/f\u00fcr %s refs/heads/f\u00fcr %s\n" % (b, z),
        "unicode-separators-in-refs": "refs/heads/a\u2028b %s refs/heads/a\u2028b %s\n"
                                      "refs/heads/\u0301e %s refs/heads/c\u0085d %s\n" % (b, z, b, z),
    }
    for name, text in seeds.items():
        write("PrePush", name + ".txt", text)


# MARK: - PathPattern: "<pattern>\n<path>"


def path_pattern_seeds():
    pairs = [
        ("data/*.csv", "data/train.csv"), ("*.csv", "dir/x.csv"), ("**/x", "a/b/x"), ("**/x", "x"),
        ("a/**", "a/b/c"), ("a/**/b", "a/b"), ("a/**/b", "a/x/y/b"), ("d**/*.csv", "dataset.csv"),
        ("[a-z]?.txt", "ab.txt"), ("[!a]", "b"), ("[^a-c]x", "dx"), ("\\*", "*"), ("data", "data/train.csv"),
        ("./data/", "data/x"), ("[]]", "]"), ("[a-]", "-"), ("[abc", "[abc"), ("", "anything"),
        ("a*b*c*d", "aXbYcZd"), ("**", "a/b/c"), ("x/**/**/y", "x/y"), ("*/", "dir/"),
        ("f\u00fc*", "f\u00fcr.csv"), ("[\\]]", "]"), ("a?c", "a/c"),
    ]
    for index, (pattern, path) in enumerate(pairs):
        write("PathPattern", "pair-%02d.txt" % index, pattern + "\n" + path)


# MARK: - Tag: "<name>\n<message>"


def tag_seeds():
    metrics = '{"r2":0.93,"rmse":2.4}'
    seeds = {
        "release": "housing-v3\nRelease housing\n\nModelgate-Artifact: sha256:%s\n"
                   "Modelgate-Fingerprint: %s\nModelgate-Metrics: %s\n" % ("a" * 64, "b" * 64, metrics),
        "gto-assignment": "housing#prod#3\nAssign to prod\n\nModelgate-Environment: prod\n",
        "gto-registration": "housing@v1.2.3\nRegister\n",
        "gto-no-counter": "models/housing#staging\n",
        "gto-huge-counter": "housing#prod#99999999999999999999\n",
        "lightweight": "v1.0\n",
        "title-only-trailer": "v2\nModelgate-Artifact: sha256:abc\n",
        "mixed-last-paragraph": "v3\nTitle\n\nbody\n\nSigned-off-by: a <a@b>\nnot a trailer\n",
        "repeated-keys": "v4\nT\n\nmodelgate-environment: a\nModelgate-Environment: b\n",
        "metrics-not-finite": "v5\nT\n\nModelgate-Metrics: {\"r2\":1e999}\n",
        "metrics-not-object": "v6\nT\n\nModelgate-Metrics: [1,2]\n",
        "escape-in-trailer": "v7\nT\n\nModelgate-Environment: prod\x1b[2J\n",
        "bidi-name": "v8\u202e\nT\n",
        "crlf": "v9\r\nT\r\n\r\nModelgate-Environment: prod\r\n",
        "long-body": "v10\nT\n\n" + "x" * 20000 + "\n",
    }
    for name, text in seeds.items():
        write("Tag", name + ".txt", text)


# MARK: - Signature: first byte picks the parser (0 blob, 1 armor, 2 private key, 3 public key
# line, 4 allowed_signers, 5 ssh-agent answer). The keys are throwaway keys made for these seeds
# by ssh-keygen (no passphrase, except "locked": "pw"); they sign nothing real.

SIGNATURE_ED25519 = '-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAgOEW5VKYsfgvUIFomtEE2lUQ93o\nXM2XpqjrjaRmQBpD8AAAARbW9kZWxnYXRlLXZlcmRpY3QAAAAAAAAABnNoYTUxMgAAAFMA\nAAALc3NoLWVkMjU1MTkAAABAweSlkaoaUeH6cMsWukOkZDgb7eAhDWCkYCQSqnN2kbGXTz\nDHk9GI4FJTiboplbAW5RyALR/DAjvlKp+uvGFnAg==\n-----END SSH SIGNATURE-----\n'
SIGNATURE_ECDSA = '-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAQAAAGgAAAATZWNkc2Etc2hhMi1uaXN0cDI1NgAAAAhuaXN0cDI1NgAAAE\nEEn6wBWvzBrZVTxIapdOoNw0iOadbw3U2w23x2UUr7CFq6QV2SkW9pEhantKlUeCa9e+JX\njhlxyAa+QRXtbVTu3wAAABFtb2RlbGdhdGUtdmVyZGljdAAAAAAAAAAGc2hhNTEyAAAAZQ\nAAABNlY2RzYS1zaGEyLW5pc3RwMjU2AAAASgAAACEAzcwB4whP0kefmpXG/VBudrbIWRXC\np5BEtHg870cm0w0AAAAhAMbnudjlN+SG5Yqw0lFXuTNH3BnMXOd4Y2p6DJXThm4B\n-----END SSH SIGNATURE-----\n'
KEY_ED25519 = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACA4RblUpix+C9QgWia0QTaVRD3ehczZemqOuNpGZAGkPwAAAJD4VPHl+FTx\n5QAAAAtzc2gtZWQyNTUxOQAAACA4RblUpix+C9QgWia0QTaVRD3ehczZemqOuNpGZAGkPw\nAAAEACdXk60hwyXI5ZVJm9NLkQNEUTaXLay9QNlXRJ6aOTDDhFuVSmLH4L1CBaJrRBNpVE\nPd6FzNl6ao642kZkAaQ/AAAACWZ1enotc2VlZAECAwQ=\n-----END OPENSSH PRIVATE KEY-----\n'
KEY_ECDSA = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAaAAAABNlY2RzYS\n1zaGEyLW5pc3RwMjU2AAAACG5pc3RwMjU2AAAAQQSfrAFa/MGtlVPEhql06g3DSI5p1vDd\nTbDbfHZRSvsIWrpBXZKRb2kSFqe0qVR4Jr174leOGXHIBr5BFe1tVO7fAAAAqCGSfwohkn\n8KAAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBJ+sAVr8wa2VU8SG\nqXTqDcNIjmnW8N1NsNt8dlFK+whaukFdkpFvaRIWp7SpVHgmvXviV44ZccgGvkEV7W1U7t\n8AAAAgXWproy4w2X0cOobJmVvmneDKW8iCddhvessvSZa/83cAAAAJZnV6ei1zZWVkAQID\nBAUGBw==\n-----END OPENSSH PRIVATE KEY-----\n'
KEY_LOCKED = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0AAAAGAAAABBp5gbl78\nUKhTXXyLC+y+i6AAAAEAAAAAEAAAAzAAAAC3NzaC1lZDI1NTE5AAAAIFaOblIIiKYRJ2PD\ndXTvT6TszQ+DRR+7tMC1EVhAMUBfAAAAkCLxe3O1L6BidT0xG2gw8arWivsgns5ksmd/O1\nHj1Qn13HCZgbtYCTGhkqEoq8zymhFQ1oCvSP5u5ZoHvvLVTsgaK/u+MmBlW+PIKYHIy9kI\nve0YSb9Gas2t42CL1xh30PpY+dbARS5NaWeTAtvcomgQk1lvkHemfrmO7j875TuHIOVx7M\nVJeE0xwSyweTqbpQ==\n-----END OPENSSH PRIVATE KEY-----\n'
PUBLIC_ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDhFuVSmLH4L1CBaJrRBNpVEPd6FzNl6ao642kZkAaQ/ fuzz-seed'
PUBLIC_ECDSA = 'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBJ+sAVr8wa2VU8SGqXTqDcNIjmnW8N1NsNt8dlFK+whaukFdkpFvaRIWp7SpVHgmvXviV44ZccgGvkEV7W1U7t8= fuzz-seed'


def signature_seeds():
    import base64
    blob = base64.b64decode("".join(SIGNATURE_ED25519.strip().splitlines()[1:-1]))
    agent_sign = bytes([14]) + len(blob[-83:]).to_bytes(4, "big") + blob[-83:]
    seeds = {
        "blob-ed25519": b"\x00" + blob,
        "blob-truncated": b"\x00" + blob[:40],
        "armor-ed25519": b"\x01" + SIGNATURE_ED25519.encode(),
        "armor-ecdsa": b"\x01" + SIGNATURE_ECDSA.encode(),
        "armor-no-footer": b"\x01" + SIGNATURE_ED25519.encode()[:-30],
        "private-ed25519": b"\x02" + KEY_ED25519.encode(),
        "private-ecdsa": b"\x02" + KEY_ECDSA.encode(),
        "private-locked": b"\x02" + KEY_LOCKED.encode(),
        "public-ed25519": b"\x03" + PUBLIC_ED25519.encode(),
        "public-rsa": b"\x03ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ comment",
        "signers": b"\x04" + ("# CI\nci@example.com,\"a b\" namespaces=\"modelgate-verdict,git\",valid-after=20200101,"
                            "valid-before=20991231235959Z %s\n*@example.com %s\n" % (PUBLIC_ED25519, PUBLIC_ECDSA)).encode(),
        "signers-cert-authority": b"\x04*@example.com cert-authority " + PUBLIC_ED25519.encode(),
        "signers-bad-time": b"\x04ci valid-before=2020130199 " + PUBLIC_ED25519.encode(),
        "agent-sign-response": b"\x05" + agent_sign,
        "agent-failure": b"\x05\x05",
        "agent-huge-length": b"\x05\x0e\xff\xff\xff\xff",
    }
    for name, data in seeds.items():
        write("Signature", name + ".bin", data)


# MARK: - Deployment: a deployment note on commit abab…ab (one JSON line per deployment)


def deployment_seeds():
    commit = "ab" * 20
    line = ('{"at":"2026-01-02T10:00:00Z","by":"cd@example.com","commit":"%s","env":"production",'
            '"image":"registry.example/demo@sha256:%s","tag":"demo@v1"}' % (commit, "c" * 64))
    seeds = {
        "one": line + "\n",
        "two-sorted": '{"at":"2026-01-01T00:00:00Z","by":"a","commit":"%s","env":"staging","image":null,"tag":null}\n'
                      % commit + line + "\n",
        "nulls-absent": '{"at":"2026-01-01T00:00:00.5Z","by":"a","commit":"%s","env":"canary"}\n' % commit,
        "other-commit": line.replace(commit, "cd" * 20) + "\n",
        "unknown-field": line[:-1] + ',"extra":[1,{"a":null}]}\n',
        "not-json": "2026-01-02 10:00\n{not json\n",
        "escapes": '{"at":"2026-01-02T10:00:00Z","by":"\\u001b[31m","commit":"%s","env":"prod\\u202e"}\n' % commit,
        "bad-times": "\n".join('{"at":"%s","by":"a","commit":"%s","env":"p"}' % (t, commit) for t in
                               ["2026-02-30T00:00:00Z", "2026-01-01T24:00:00Z", "1969-12-31T23:59:59Z",
                                "2026-01-01T00:00:00+01:00", "2026-01-01T00:00:00.1234567890Z"]) + "\n",
        "time-offset": "2026-01-02T11:00:00+01:00\n",
    }
    for name, text in seeds.items():
        write("Deployment", name + ".txt", text)
# MARK: - InferenceRequest: the first byte chooses v1 (bit 0) and the width (bits 1-2, 1 to 4 features)
def inference_request_seeds():
    v2, v1 = 0, 1
    two = 1 << 1  # two features: a, b
    seeds = {
        "v2-tensor": (v2 | two, {"id": "r1", "inputs": [{"name": "x", "shape": [2, 2], "datatype": "FP64",
                                                          "data": [[1.5, 2], [3, -4e-3]]}]}),
        "v2-flat-fp32": (v2 | two, {"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}]}),
        "v2-by-feature": (v2 | two, {"inputs": [{"name": "b", "shape": [2], "datatype": "INT64", "data": [1, 2]},
                                                {"name": "a", "shape": [2], "datatype": "FP64", "data": [0.1, 0.2]}]}),
        "v2-bytes": (v2 | two, {"inputs": [{"name": "x", "shape": [1, 2], "datatype": "BYTES", "data": ["a", "b"]}]}),
        "v2-short-data": (v2 | two, {"inputs": [{"name": "x", "shape": [3, 2], "datatype": "FP64", "data": [1, 2]}]}),
        "v2-one-feature": (v2, {"inputs": [{"name": "a", "shape": [3], "datatype": "FP64", "data": [1, 2, 3]}]}),
        "v1-rows": (v1 | two, {"instances": [[1, 2], [3.25, 4]]}),
        "v1-by-name": (v1 | two, {"instances": [{"a": 1, "b": 2}, {"b": 1e300, "a": -0.0}]}),
        "v1-unknown-feature": (v1 | two, {"instances": [{"a": 1, "z": 2}]}),
        "v1-scalars": (v1, {"instances": [1, 2, 3]}),
    }
    for name, (selector, body) in seeds.items():
        write("InferenceRequest", name + ".json", bytes([selector]) + json.dumps(body).encode())
    write("InferenceRequest", "v2-nan.json", bytes([v2 | two]) + b'{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP64","data":[NaN,1e999]}]}')
    write("InferenceRequest", "deep.json", bytes([v1]) + b"[" * 40 + b"]" * 40)
    # The plain v1 form the direct reader takes: numbers at the edges of a double, JSON whitespace.
    write("InferenceRequest", "v1-plain-edges.json", bytes([v1 | two]) +
          b'{"instances": [[0.30000000000000004, -0], [1e-7, 2.2250738585072014e-308],'
          b' [9007199254740993, 1.7976931348623157E+308], [4.9e-324, 123456789012345678901234567890]]}')
    write("InferenceRequest", "v1-plain-spaced.json", bytes([v1 | two]) +
          b' {\n "instances" :\t[ [ 1.5 , -2e1 ] ,\r\n [0e-1, 0.0e5] ] } \n')


# MARK: - Markdown: a report, model card or page (tables, images, links, raw HTML)


def markdown_seeds():
    seeds = {
        "table": "| metric | value |\n|:--|--:|\n| *r2* | **0.93** |\n| rmse | `2.41` |\n",
        "table-escaped-pipes": "| f\\|oo |\n| --- |\n| b `\\|` az |\n| b **\\|** im |\n",
        "table-in-quote-and-list": "> - | a | b |\n>   | - | :-: |\n>   | 1 |\n> lazy | row | extra |\n",
        "table-after-text": "Results:\n[ref]: /x\na | b\n-|-\n[x][ref] | ![plot](plot.png)\n",
        "table-mismatch": "| abc | def |\n| --- |\n| bar |\n",
        "images": "![plot](plot.png) ![pixel](https://tracker.example/p.png) ![x](data:image/png;base64,AA)\n"
                  "[![nested](plot.png)](https://x.example)\n",
        "links": "[a](javascript:alert(1)) [b](JaVaScRiPt:x) [c](data:text/html,x) [d](mailto:a@b) <https://x>\n",
        "raw-html": "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n| <b>x</b> |\n|---|\n",
        "report": "# Report\n\n## Confusion matrix\n\n![cm](plot.png)\n\n| | pred 0 | pred 1 |\n"
                  "|---|---:|---:|\n| **true 0** | 50 | 3 |\n| **true 1** | 4 | 43 |\n",
        "wide": "|" + "a|" * 60 + "\n|" + "-|" * 60 + "\n" + "x\n" * 5,
        "crlf-tabs": "|\ta\t|\tb |\r\n|---|---|\r\n| 1 |\t2 |\r\n",
    }
    for name, text in seeds.items():
        write("Markdown", name + ".md", text)


if __name__ == "__main__":
    tar_seeds()
    challenge_seeds()
    registry_json_seeds()
    csv_seeds()
    config_seeds()
    run_record_seeds()
    pre_push_seeds()
    path_pattern_seeds()
    tag_seeds()
    signature_seeds()
    deployment_seeds()
    inference_request_seeds()
    markdown_seeds()
