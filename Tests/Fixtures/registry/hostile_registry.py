#!/usr/bin/env python3
"""A registry that misbehaves on purpose, and the CDN it redirects to, for modelgate's tests.

Usage: hostile_registry.py STATE_DIR SCENARIO [--tls CERT KEY]

Plays an OCI registry on 127.0.0.1 (HTTPS with --tls) and a CDN / foreign host on 127.0.0.2
(always plain HTTP), both on free ports written to STATE_DIR/ports.json once they listen. Every
request either server receives is appended to STATE_DIR/requests.jsonl when its answer is done:
{"server", "method", "path", "headers" (names lowercased), "sent" (body bytes written before the
answer ended or the connection closed)}. Python 3 standard library only; nothing leaves loopback.

SCENARIO picks the misbehaviour; every repository serves the same small public image (a
`model/model.bin` and its manifest.json in one uncompressed tar layer):

  basic             Basic auth (alice / ALICE_PASSWORD); blobs answer 307 to the CDN
  cdn-asks          like basic, but the CDN answers 401 with a Basic challenge of its own
  bearer            Bearer tokens from /token on the registry (Basic alice there); blobs 307 to the CDN
  http-realm        Bearer challenge whose realm is plain HTTP on the CDN host
  loop              blobs redirect to themselves forever (same origin)
  endless           the manifest declares a 2-byte layer; the blob's body never ends (close-delimited)
  endless-length    the same, announcing a Content-Length of 1 TB
  redirect-flood    blobs answer 307 to the CDN with a body that keeps coming: 64 KiB every 50 ms for
                    20 s (URLSession shares one work queue across a process, and an unpaced flood
                    would starve every other test in it; 20 s is far past the deadline the test
                    sets, and if it is missed the redirect is followed and the pull succeeds)
  drip              the layer's body comes a byte every half second (within its declared size)
  leaky-redirect    like basic, but the CDN URL carries the password in its query
  redirect-leak     Basic auth; the manifest redirects to itself forever, the password in the query
  media-leak        Basic auth; the layer's mediaType holds the password
  scheme-leak       a challenge whose scheme is the password
  realm-leak        a Bearer challenge whose realm (not a URL) holds the password
  diffid-leak       Basic auth; a gzip layer whose diff_id in the config holds the password
  name-leak         Basic auth; the layer holds a link named after the password
  digest-leak       Basic auth; uploads answer with the password as Docker-Content-Digest (push)
  digest            answers every request 401 with a Digest challenge
  echo              Basic auth; the manifest answers 500 echoing the Authorization header
  token-echo        Bearer; the token service answers 401 echoing the Authorization header
  huge-manifest     no auth; a 5 MiB manifest
  upload-elsewhere  Basic auth; uploads are sent to the CDN host (push), on plain HTTP even with --tls
"""
import gzip, hashlib, io, json, os, signal, ssl, sys, tarfile, threading, time, uuid
from base64 import b64encode
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ALICE_PASSWORD = "alice-s3cret-password"
TOKEN = "tok-SECRET-4242"
BASIC = "Basic " + b64encode(f"alice:{ALICE_PASSWORD}".encode()).decode()
ENDLESS_LENGTH = 1 << 40

# The test runner may start this with SIGTERM blocked (a mask inherited through posix_spawn); and
# when the runner dies, stdin reaches its end: stop then too, rather than outlive it.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
threading.Thread(target=lambda: (sys.stdin.buffer.read(), os._exit(0)), daemon=True).start()

state_dir, scenario = sys.argv[1], sys.argv[2]
tls = sys.argv[4:6] if len(sys.argv) >= 6 and sys.argv[3] == "--tls" else None
record_lock = threading.Lock()
uploads = {}


def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def make_layer(extra=None):
    buffer = io.BytesIO()
    content = b"public model bytes\n" * 1000
    # modelgate's own manifest.json lists the files a pull may write (and their digests).
    listing = json.dumps({
        "created": "2026-01-01T00:00:00Z", "fingerprint": "f", "inputs": {}, "metrics": {},
        "name": "demo", "schema": 1, "source": "rev", "tool": "hostile registry", "verdict": "pass",
        "files": [{"path": "model.bin", "sha256": hashlib.sha256(content).hexdigest(), "size": len(content)}],
    }).encode()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in (("model/model.bin", content), ("model/manifest.json", listing)):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
        if extra:  # a link, which pull refuses by name
            link = tarfile.TarInfo(extra)
            link.type, link.linkname, link.mtime = tarfile.SYMTYPE, "model.bin", 0
            tar.addfile(link)
    return buffer.getvalue()


LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar"
if scenario == "name-leak":
    LAYER = make_layer(extra=f"model/{ALICE_PASSWORD}")
elif scenario == "diffid-leak":
    LAYER = gzip.compress(make_layer(), mtime=0)
    LAYER_TYPE += "+gzip"
else:
    LAYER = make_layer()
if scenario == "media-leak":
    LAYER_TYPE = f"leak-{ALICE_PASSWORD}"
DIFF_ID = f"sha256:{ALICE_PASSWORD}" if scenario == "diffid-leak" else digest(LAYER)
CONFIG = json.dumps({
    "created": "2026-01-01T00:00:00Z", "architecture": "amd64", "os": "linux",
    "config": {"Labels": {}, "WorkingDir": "/"},
    "rootfs": {"type": "layers", "diff_ids": [DIFF_ID]},
    "history": [{"created": "2026-01-01T00:00:00Z", "created_by": "test"}],
}).encode()
BLOBS = {digest(LAYER): LAYER, digest(CONFIG): CONFIG}
BASIC_SCENARIOS = ("basic", "cdn-asks", "echo", "upload-elsewhere", "leaky-redirect", "redirect-leak",
                   "media-leak", "diffid-leak", "name-leak", "digest-leak")


def manifest(layer_size=len(LAYER), layer_digest=digest(LAYER)):
    return json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": digest(CONFIG), "size": len(CONFIG)},
        "layers": [{"mediaType": LAYER_TYPE, "digest": layer_digest, "size": layer_size}],
    }).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_name = "registry"

    def log_message(self, *args):
        pass

    def record(self, sent):
        line = json.dumps({
            "server": self.server_name, "method": self.command, "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()}, "sent": sent,
        })
        with record_lock, open(os.path.join(state_dir, "requests.jsonl"), "a") as log:
            log.write(line + "\n")

    def answer(self, status, body=b"", headers=None, length=True):
        sent = 0
        try:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if length:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD" and body:
                self.wfile.write(body)
                sent = len(body)
        except OSError:
            self.close_connection = True
        self.record(sent)

    def stream_endless(self, status=200, headers=None, length=None, pause=0, seconds=None):
        """A body that never ends until the client hangs up (or, with `seconds`, until then),
        `pause` seconds between its 64 KiB chunks."""
        sent = 0
        stop = time.monotonic() + seconds if seconds else None
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/octet-stream")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if length is not None:
                self.send_header("Content-Length", str(length))
            self.send_header("Connection", "close")
            self.end_headers()
            chunk = b"x" * 65536
            while stop is None or time.monotonic() < stop:
                self.wfile.write(chunk)
                sent += len(chunk)
                if pause:
                    self.wfile.flush()
                    time.sleep(pause)
        except OSError:
            pass
        self.close_connection = True
        self.record(sent)

    def drip(self, body):
        """`body` with an honest Content-Length, a byte every half second."""
        sent = 0
        try:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            for byte in body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                sent += 1
                time.sleep(0.5)
        except OSError:
            self.close_connection = True
        self.record(sent)

    def read_body(self):
        # FoundationNetworking streams uploads chunked (and sends a Content-Length beside it).
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_HEAD(self):
        self.route()

    def do_GET(self):
        self.route()

    def do_POST(self):
        self.route()

    def do_PUT(self):
        self.route()

    def do_PATCH(self):
        self.route()

    def scheme(self):
        return "https" if tls else "http"

    def route(self):
        body = self.read_body()
        path, _, query = self.path.partition("?")
        parts = path.split("/")
        if self.server_name == "cdn":
            return self.cdn(path, query, body)
        if path == "/token":
            return self.token()
        if path == "/v2/":
            return self.authorized_or_challenge(lambda: self.answer(200, b"{}"))
        if len(parts) < 6 or parts[1] != "v2":
            return self.answer(404, b'{"errors":[{"code":"NAME_UNKNOWN"}]}')
        # /v2/<a>/<b>/(manifests|blobs)/<reference>: repositories have two components here.
        kind = parts[4]
        return self.authorized_or_challenge(lambda: self.serve(kind, parts, query, body))

    def authorized_or_challenge(self, serve):
        auth = self.headers.get("Authorization")
        if scenario in BASIC_SCENARIOS:
            if auth != BASIC:
                return self.answer(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}',
                                   {"WWW-Authenticate": 'Basic realm="hostile"'})
        elif scenario in ("bearer", "token-echo"):
            if auth != "Bearer " + TOKEN:
                realm = f"{self.scheme()}://127.0.0.1:{ports['registry']}/token"
                if scenario == "token-echo":
                    realm += "?echo=1"
                return self.answer(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}', {
                    "WWW-Authenticate": f'Bearer realm="{realm}",service="hostile",scope="repository:team/model:pull"'})
        elif scenario == "http-realm":
            if auth != "Bearer " + TOKEN:
                return self.answer(401, b"{}", {
                    "WWW-Authenticate": f'Bearer realm="http://127.0.0.2:{ports["cdn"]}/token",service="hostile"'})
        elif scenario == "digest":
            return self.answer(401, b"{}", {"WWW-Authenticate": 'Digest realm="hostile", nonce="abc", qop="auth"'})
        elif scenario == "scheme-leak":
            return self.answer(401, b"{}", {"WWW-Authenticate": f'{ALICE_PASSWORD} realm="hostile"'})
        elif scenario == "realm-leak":
            return self.answer(401, b"{}", {"WWW-Authenticate": f'Bearer realm="leak-{ALICE_PASSWORD}"'})
        serve()

    def token(self):
        if "echo=1" in self.path:
            echoed = json.dumps({"details": "you sent " + str(self.headers.get("Authorization"))})
            return self.answer(401, echoed.encode())
        if self.headers.get("Authorization") != BASIC:
            return self.answer(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}')
        return self.answer(200, json.dumps({"token": TOKEN}).encode(), {"Content-Type": "application/json"})

    def serve(self, kind, parts, query, body):
        reference = "/".join(parts[5:])
        if kind == "manifests":
            if scenario == "echo":
                message = "cannot serve you, " + str(self.headers.get("Authorization"))
                return self.answer(500, json.dumps({"errors": [{"code": "UNKNOWN", "message": message}]}).encode())
            if scenario == "redirect-leak":
                count = int(query.partition("n=")[2] or 0) + 1
                location = f"{self.path.partition('?')[0]}?leak={ALICE_PASSWORD}&n={count}"
                return self.answer(302, b"", {"Location": location})
            if scenario == "huge-manifest":
                return self.answer(200, b" " * (5 << 20), {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
            if self.command == "PUT":
                return self.answer(201, b"", {"Docker-Content-Digest": digest(body)})
            if scenario in ("endless", "endless-length"):
                document = manifest(layer_size=2, layer_digest=digest(b"ok"))
            else:
                document = manifest()
            return self.answer(200, document, {"Content-Type": "application/vnd.oci.image.manifest.v1+json",
                                               "Docker-Content-Digest": digest(document)})
        if kind == "blobs" and len(parts) > 5 and parts[5] == "uploads":
            if scenario == "digest-leak":
                if self.command == "PUT":
                    return self.answer(201, b"", {"Docker-Content-Digest": f"sha256:{ALICE_PASSWORD}"})
                return self.answer(202, b"", {"Location": f"/v2/team/model/blobs/uploads/{uuid.uuid4()}"})
            # POST .../blobs/uploads/: the upload goes to another host, always on plain HTTP.
            location = f"http://127.0.0.2:{ports['cdn']}/upload/{uuid.uuid4()}"
            return self.answer(202, b"", {"Location": location})
        if kind == "blobs":
            if self.command == "HEAD":
                return self.answer(404, b"")
            if scenario == "loop":
                count = int(query.partition("n=")[2] or 0) + 1
                return self.answer(307, b"", {"Location": f"{self.path.partition('?')[0]}?n={count}"})
            if scenario in ("endless", "endless-length") and reference != digest(CONFIG):
                return self.stream_endless(length=ENDLESS_LENGTH if scenario == "endless-length" else None)
            if scenario == "redirect-flood":
                cdn = f"http://127.0.0.2:{ports['cdn']}/cdn/blobs/{reference}"
                return self.stream_endless(307, {"Location": cdn}, pause=0.05, seconds=20)
            if scenario == "drip" and reference == digest(LAYER):
                return self.drip(LAYER)
            if scenario in ("basic", "bearer", "cdn-asks") and reference in BLOBS:
                return self.answer(307, b"", {"Location": f"http://127.0.0.2:{ports['cdn']}/cdn/blobs/{reference}"})
            if scenario == "leaky-redirect" and reference in BLOBS:
                cdn = f"http://127.0.0.2:{ports['cdn']}/cdn/blobs/{reference}?sig={ALICE_PASSWORD}"
                return self.answer(307, b"", {"Location": cdn})
            if reference in BLOBS:
                return self.answer(200, BLOBS[reference], {"Docker-Content-Digest": reference})
        return self.answer(404, b'{"errors":[{"code":"BLOB_UNKNOWN"}]}')

    def cdn(self, path, query, body):
        if scenario == "cdn-asks":
            return self.answer(401, b"{}", {"WWW-Authenticate": 'Basic realm="cdn"'})
        if path.startswith("/cdn/blobs/") and path[len("/cdn/blobs/"):] in BLOBS:
            return self.answer(200, BLOBS[path[len("/cdn/blobs/"):]])
        if path == "/token":
            return self.answer(200, json.dumps({"token": TOKEN}).encode())
        if path.startswith("/upload/") and self.command == "PUT":
            wanted = query.partition("digest=")[2].replace("%3A", ":")
            return self.answer(201, b"", {"Docker-Content-Digest": wanted})
        return self.answer(404, b"")


class CDNHandler(Handler):
    server_name = "cdn"


def serve(server):
    server.serve_forever()


registry = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
cdn = ThreadingHTTPServer(("127.0.0.2", 0), CDNHandler)
registry.daemon_threads = cdn.daemon_threads = True
if tls:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls[0], tls[1])
    registry.socket = context.wrap_socket(registry.socket, server_side=True)
ports = {"registry": registry.server_address[1], "cdn": cdn.server_address[1]}
threading.Thread(target=serve, args=(cdn,), daemon=True).start()
with open(os.path.join(state_dir, "ports.json.tmp"), "w") as out:
    json.dump(ports, out)
os.rename(os.path.join(state_dir, "ports.json.tmp"), os.path.join(state_dir, "ports.json"))
serve(registry)
