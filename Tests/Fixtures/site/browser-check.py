#!/usr/bin/env python3
"""Opens every page of a generated site in headless Chromium from file:// and fails on any console
message, script error, CSP violation or DevTools issue, on any request that is not for one of the
site's own files, and on any script element in the rendered page.

Usage:
  browser-check.py MODELGATE_BINARY            the check (`make test-browser`, and `make test`)
  browser-check.py --screenshots SITE OUT NAME=PAGE@WIDTH...
                                               PNGs of a built site's pages (`make screenshots`):
                                               PAGE (a path in SITE) at WIDTH px to OUT/NAME.png

The check builds a history with every page kind and hostile content in it: script tags in commit
messages, metric names and environment names; a stage-written report (`report:`) with a PNG, an
SVG, a remote image, an SVG that runs script, a file posing as an image, raw HTML and
`javascript:` links; the same in a committed report.md, a MODEL_CARD.md and a `--page`; releases
with model cards; deployments. It asserts that every page kind the site writes is there (index,
metrics, commits, metric, commit, environment, releases, release, page), opens every page, and
then opens pages it plants itself with a remote image, an inline script, a console message, a
script error and a request outside the site, each of which must fail the check: a check that
cannot fail proves nothing.

Chromium is driven through the DevTools protocol over --remote-debugging-pipe (file descriptors
3 and 4, messages ending in NUL), with Python's standard library only. One browser serves every
page, each in a fresh tab; the host resolver maps every name to nothing, so no request leaves the
machine even if a page asked for one.
"""
import base64, fcntl, glob, html.parser, json, os, pathlib, re, select, shutil, struct, subprocess, sys
import tempfile, time, zlib

TIMEOUT = 30  # seconds for one protocol answer or one page load; a hang fails the check

# Every kind of page the site writes, by path. A kind missing from the built site fails the check,
# so a fixture that stops producing one cannot silently shrink what is checked.
KINDS = {
    "index": r"index\.html", "metrics": r"metrics\.html", "commits": r"commits/(latest|\d+)\.html",
    "metric": r"metrics/[^/]+/\d+\.html", "commit": r"commit/[0-9a-f]{40}\.html",
    "environment": r"env/[^/]+\.html", "releases": r"releases\.html", "release": r"releases/[^/]+\.html",
    "page": r"pages/[^/]+\.html",
}


class Chromium:
    """One headless Chromium, spoken to over the DevTools pipe."""

    def __init__(self, profile):
        """Starts Chromium with its profile, and its own output in chromium.log, under profile."""
        binary = shutil.which("chromium") or shutil.which("chromium-browser")
        if not binary:
            sys.exit("chromium is not installed: apt-get install chromium (make test-browser does)")
        to_browser, from_browser = os.pipe(), os.pipe()
        # Chromium reads commands from fd 3 and writes answers to fd 4. Moved above 10 first, so
        # that the dup2 calls in the child cannot overwrite one another.
        child_in = fcntl.fcntl(to_browser[0], fcntl.F_DUPFD_CLOEXEC, 10)
        child_out = fcntl.fcntl(from_browser[1], fcntl.F_DUPFD_CLOEXEC, 10)
        for fd in (to_browser[0], from_browser[1]):
            os.close(fd)

        def wire():
            os.dup2(child_in, 3)
            os.dup2(child_out, 4)

        flags = ["--headless=new", "--no-sandbox", "--remote-debugging-pipe", f"--user-data-dir={profile}",
                 "--host-resolver-rules=MAP * ~NOTFOUND", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-default-apps", "--no-first-run",
                 "--no-default-browser-check", "--hide-scrollbars", "--disable-gpu", "--font-render-hinting=none",
                 "--force-color-profile=srgb", "about:blank"]
        os.makedirs(profile, exist_ok=True)
        self.log = os.path.join(profile, "chromium.log")
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen([binary, *flags], pass_fds=(3, 4), preexec_fn=wire,
                                            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        os.close(child_in)
        os.close(child_out)
        self.writer, self.reader = to_browser[1], from_browser[0]
        self.buffer, self.events, self.next_id = b"", [], 0

    def _receive(self, deadline):
        while b"\0" not in self.buffer:
            if not select.select([self.reader], [], [], max(0, deadline - time.monotonic()))[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self.reader, 1 << 20)
            if not chunk:
                raise EOFError("Chromium closed the DevTools pipe")
            self.buffer += chunk
        message, _, self.buffer = self.buffer.partition(b"\0")
        return json.loads(message)

    def call(self, method, params=None, session=None):
        """Sends one command and returns its result; events that arrive meanwhile are kept."""
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.writer, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        while True:
            answer = self._receive(deadline)
            if answer.get("id") != self.next_id:
                self.events.append(answer)
            elif "error" in answer:
                raise RuntimeError(f"{method}: {answer['error']}")
            else:
                return answer["result"]

    def wait_for(self, method, session):
        """Waits for an event of this session (kept in self.events too)."""
        deadline = time.monotonic() + TIMEOUT
        if any(e.get("method") == method and e.get("sessionId") == session for e in self.events):
            return
        while True:
            event = self._receive(deadline)
            self.events.append(event)
            if event.get("method") == method and event.get("sessionId") == session:
                return

    def open(self, url, width=1280, height=800):
        """A fresh tab that has loaded url with every reporting domain on: (target, session)."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network", "Audits"):
            self.call(f"{domain}.enable", session=session)
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600}, session)
        self.call("Emulation.setEmulatedMedia",
                  {"features": [{"name": "prefers-color-scheme", "value": "light"}]}, session)
        self.events.clear()
        navigation = self.call("Page.navigate", {"url": url}, session)
        if "errorText" in navigation:
            raise RuntimeError(f"{url}: {navigation['errorText']}")
        self.wait_for("Page.loadEventFired", session)
        return target, session

    def failure(self, error):
        """What to print when Chromium failed us: the error and the end of Chromium's own output."""
        with open(self.log, errors="replace") as log:
            tail = log.read()[-2000:]
        return f"headless Chromium failed: {error}\n{tail}"

    def close_tab(self, target):
        self.call("Target.closeTarget", {"targetId": target})

    def quit(self):
        try:
            self.call("Browser.close")
        except (EOFError, TimeoutError, OSError):
            pass
        try:
            self.process.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class ResourceReferences(html.parser.HTMLParser):
    """Every script element or event handler, and every URL a rendered page would load (not the
    links it offers): a second line of defence for what a load does not request, e.g. a lazy image."""

    LOADING = {"src", "srcset", "poster", "data", "background", "xlink:href"}

    def __init__(self):
        super().__init__()
        self.scripts, self.urls = 0, []

    def handle_starttag(self, tag, attrs):
        self.scripts += tag == "script"
        for name, value in attrs:
            self.scripts += name.startswith("on")
            if value is None:
                continue
            if name == "srcset":
                self.urls += [part.split()[0] for part in value.split(",") if part.strip()]
            elif name in self.LOADING or (name == "href" and tag in ("link", "image", "use")):
                self.urls.append(value)
            elif name == "style":
                self.urls += re.findall(r"url\(\s*['\"]?([^'\")\s]+)", value)


def page_problems(browser, site, page, loaded=None):
    """Opens page (a file under site) and returns what is wrong with it, one line each; the URLs
    it loaded are added to loaded."""
    target, session = browser.open(pathlib.Path(page).absolute().as_uri())
    problems = loaded_page_problems(browser, session, site, loaded)
    browser.close_tab(target)
    return problems


def loaded_page_problems(browser, session, site, loaded=None):
    """What is wrong with the page a tab has loaded, from its events and its rendered DOM."""
    dom = browser.call("DOM.getOuterHTML",
                       {"nodeId": browser.call("DOM.getDocument", session=session)["root"]["nodeId"]}, session)
    # The round trip above also lets every event the load caused arrive first.
    events = [e for e in browser.events if e.get("sessionId") == session]
    # Percent-encoded, as Chromium reports the requests.
    problems, root, requests = [], pathlib.Path(site).absolute().as_uri() + "/", {}
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled":
            text = " ".join(str(arg.get("value", arg.get("description", ""))) for arg in params.get("args", []))
            problems.append(f"console.{params.get('type')}: {text}")
        elif method == "Log.entryAdded":
            entry = params["entry"]
            problems.append(f"console ({entry.get('source')}, {entry.get('level')}): {entry.get('text')}")
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            problems.append(f"script error: {details.get('exception', {}).get('description', details.get('text'))}")
        elif method == "Audits.issueAdded":
            issue = params["issue"]
            problems.append(f"issue {issue['code']}: {json.dumps(issue.get('details', {}), sort_keys=True)[:300]}")
        elif method == "Network.requestWillBeSent":
            requested = params["request"]["url"]
            if requested.startswith(root):
                requests[params["requestId"]] = requested[len(root):]
            else:
                problems.append(f"request outside the site: {requested}")
        elif method == "Network.loadingFailed":
            requests.pop(params["requestId"], None)
            if not params.get("canceled"):
                problems.append(f"failed to load {params.get('type')}: {params.get('errorText')}")
        elif method == "Page.javascriptDialogOpening":
            problems.append(f"dialog: {params.get('message')}")
    if loaded is not None:
        loaded.update(requests.values())
    references = ResourceReferences()
    references.feed(dom["outerHTML"])
    if references.scripts:
        problems.append(f"the rendered page has {references.scripts} script element(s) or event handler(s)")
    for reference in references.urls:
        if re.match(r"^([a-z][a-z0-9+.-]*:|//)", reference, re.I) and not reference.startswith(root):
            problems.append(f"the page refers to a resource outside the site: {reference[:200]}")
    return problems


def check_site(browser, site):
    """Every page of the site, opened in turn: (number of pages, failures)."""
    pages = sorted(glob.glob(os.path.join(site, "**", "*.html"), recursive=True))
    names = [os.path.relpath(page, site) for page in pages]
    failures = [f"no {kind} page ({pattern}) in the site" for kind, pattern in KINDS.items()
                if not any(re.fullmatch(pattern, name) for name in names)]
    failures += [f"{name}: an HTML file of no known kind (add it to KINDS)" for name in names
                 if not any(re.fullmatch(pattern, name) for pattern in KINDS.values())]
    loaded = set()
    for page, name in zip(pages, names):
        failures += [f"{name}: {problem}" for problem in page_problems(browser, site, page, loaded)]
    # The run report's images were shown, from the site's own copies beside the commit page.
    for kind in ("png", "svg"):
        if not any(re.fullmatch(r"commit/[0-9a-f]{40}/\d+-[^/]+\." + kind, url) for url in loaded):
            failures.append(f"no commit page showed a {kind.upper()} of its run report")
    return len(pages), failures


def check_detects(browser, work):
    """Plants one page per way of breaking the rules, each caught by a different part of the
    check, and returns (number planted, the ones the check missed)."""
    planted = os.path.join(work, "planted")
    os.makedirs(planted)
    head = ("<!doctype html><html lang=en><head><meta charset=utf-8><title>t</title>"
            "<meta http-equiv=Content-Security-Policy content=\"default-src 'self' file:; script-src 'none'\">")
    cases = {
        "remote-image": (head + "</head><body><img alt=x src=http://tracker.example/p.png>", "request outside"),
        "inline-script": (head + "</head><body><script>document.title='x'</script>", "Content Security Policy"),
        "no-csp-console": ("<!doctype html><html lang=en><head><meta charset=utf-8><title>t</title></head>"
                           "<body><script>console.log('hello')</script>", "console.log: hello"),
        "no-csp-error": ("<!doctype html><html lang=en><head><meta charset=utf-8><title>t</title></head>"
                         "<body><script>null.x</script>", "script error"),
        "outside-file": (head + "</head><body><img alt=x src=file:///etc/hostname>", "outside the site"),
        "missing-image": (head + "</head><body><img alt=x src=missing.png>", "ERR_FILE_NOT_FOUND"),
        # Never requested (a template's content is inert): only the scan of the rendered page sees it.
        "inert-remote-image": (head + "</head><body><template><img alt=x src=https://tracker.example/t.png>"
                               "</template>", "refers to a resource"),
    }
    missed = []
    for name, (text, expected) in cases.items():
        page = os.path.join(planted, name + ".html")
        with open(page, "w") as file:
            file.write(text)
        problems = page_problems(browser, planted, page)
        if not any(expected in problem for problem in problems):
            missed.append(f"the check missed a planted {name} page (expected '{expected}', got {problems})")
    return len(cases), missed


def png(width, height):
    """A valid RGB PNG of a gradient, written with zlib: a real image for the report to show."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\0" + b"".join(bytes((x * 255 // width, y * 255 // height, 128)) for x in range(width))
                    for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


HOSTILE_MARKDOWN = """
<script>alert(1)</script>
<img src=x onerror=alert(2)>
<iframe src="https://tracker.example/frame"></iframe>

![pixel](https://tracker.example/p.png) ![protocol relative](//tracker.example/q.png)

[run me](javascript:alert(3)) [data](data:text/html,<script>alert(4)</script>)

| metric | value |
|:--|--:|
| **r2** <script>alert(5)</script> | `0.9` |
"""


def build_fixture_site(binary, work):
    """A history with every page kind and hostile content; returns the site's folder."""
    repo, site = os.path.join(work, "repo"), os.path.join(work, "site")
    env = dict(os.environ, GIT_AUTHOR_NAME="Ada", GIT_AUTHOR_EMAIL="ada@example.com", GIT_COMMITTER_NAME="Ada",
               GIT_COMMITTER_EMAIL="ada@example.com", GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1")
    env.pop("GIT_DIR", None)

    def run(*args, expect=(0,)):
        result = subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True)
        if result.returncode not in expect:
            sys.exit(f"browser check: {' '.join(args)} exited {result.returncode}:\n{result.stderr}")

    def write(path, content):
        os.makedirs(os.path.dirname(os.path.join(repo, path)), exist_ok=True)
        with open(os.path.join(repo, path), "wb") as file:
            file.write(content if isinstance(content, bytes) else content.encode())

    os.makedirs(repo)
    run("git", "init", "-q", "-b", "main")
    write("modelgate.yml", "name: browser-demo\nstages:\n  - name: evaluate\n    cmd: sh score.sh\n"
          "    deps: [score.sh, \"assets/*\", \"data/*.csv\"]\n    metrics: metrics.json\n"
          "    report: out/report.md\n    timeout: 20s\ngates:\n  - {metric: r2, min: 0.92}\n")
    write("assets/cm.png", png(64, 48))
    write("assets/residuals.svg", '<?xml version="1.0" encoding="utf-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" '
          'width="64" height="48"><rect width="64" height="48" fill="#4a7"/></svg>\n')
    write("assets/evil.svg", '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>\n')
    write("assets/report.md", "# Evaluation <script>alert(0)</script>\n\n![Confusion matrix](cm.png)\n"
          "![Residuals](plots/residuals.svg) ![Evil](evil.svg) ![Fake](fake.png)\n" + HOSTILE_MARKDOWN)
    write("score.sh", "rows=$(($(wc -l < data/a.csv) - 1))\nmkdir -p out/plots\n"
          "cp assets/cm.png assets/evil.svg assets/report.md out/ && cp assets/residuals.svg out/plots/\n"
          "printf 'just text' > out/fake.png\n"
          "printf '{\"r2\": 0.9%s, \"rows\": %s, \"<img src=x onerror=alert(1)>\": %s}' \"$rows\" \"$rows\" \"$rows\""
          " > metrics.json\n")
    write("report.md", "# Committed report\n" + HOSTILE_MARKDOWN)
    write("MODEL_CARD.md", "---\nlicense: <script>alert(6)</script>\n---\n# Intended use\n" + HOSTILE_MARKDOWN)
    write("NOTES.md", "# Notes page\n" + HOSTILE_MARKDOWN)
    for rows in range(1, 6):
        write("data/a.csv", "x\n" + "".join(f"{i}\n" for i in range(rows)))
        run("git", "add", "-A")
        run("git", "commit", "-q", "-m", f"rows {rows} <script>alert({rows})</script>")
        run(binary, "run", expect=(1,) if rows == 1 else (0,))  # r2 0.91 fails the first commit's gate
        if rows == 3:
            run(binary, "release", "browser-demo@v0.9.0", "--env", "staging")
    run(binary, "release", "browser-demo@v1.0.0", "--env", "production")
    # Deployments: the commit page's section, the index's "Live now" and env/*.html timelines.
    run(binary, "deployed", "browser-demo@v0.9.0", "--env", "production", "--by", "ada@example.com",
        "--at", "2026-01-01T00:00:00Z")
    run(binary, "deployed", "browser-demo@v1.0.0", "--env", "production", "--by", "ada@example.com",
        "--image", "registry.example/demo@sha256:" + "a" * 64)
    run(binary, "deployed", "--env", "<script>alert(7)</script>", "--by", "<b>ada</b>", "--rev", "HEAD~1")
    run(binary, "site", "--out", site, "--page", "NOTES.md")
    return site


def check(binary):
    work = tempfile.mkdtemp(prefix="modelgate-browser-")
    started = time.monotonic()
    try:
        site = build_fixture_site(os.path.abspath(binary), work)
        built = time.monotonic()
        browser = Chromium(os.path.join(work, "profile"))
        try:
            pages, failures = check_site(browser, site)
            planted, missed = check_detects(browser, work)
        except (EOFError, TimeoutError, RuntimeError) as error:
            sys.exit(f"browser check: {browser.failure(error)}")
        finally:
            browser.quit()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"browser check: {pages} pages of {len(KINDS)} kinds opened from file:// in headless Chromium, "
          f"{planted} planted faults detected ({built - started:.1f} s to build the site, "
          f"{time.monotonic() - built:.1f} s in the browser)")
    if failures or missed:
        print("\n".join(failures + missed))
        sys.exit(1)
    print("browser check: no console messages, script errors, CSP violations, issues or requests outside the site")


def screenshots(site, out, specs):
    """NAME=PAGE@WIDTH: the site's PAGE at that width, full height up to 2.5 widths (at least
    800 px, at most 2,400), to OUT/NAME.png; the page must pass the check's rules too."""
    os.makedirs(out, exist_ok=True)
    profile = tempfile.mkdtemp(prefix="modelgate-screenshots-")
    browser = Chromium(profile)
    try:
        for spec in specs:
            name, _, rest = spec.partition("=")
            page, _, width = rest.rpartition("@")
            width = int(width)
            url = pathlib.Path(site, page).absolute().as_uri()
            target, session = browser.open(url, width=width, height=800)
            problems = loaded_page_problems(browser, session, site)
            if problems:
                sys.exit(f"screenshots: {page}: " + "\n".join(problems))
            size = browser.call("Page.getLayoutMetrics", session=session)["cssContentSize"]
            height = min(int(size["height"]), max(800, min(2400, int(width * 2.5))))
            shot = browser.call("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}}, session)
            path = os.path.join(out, name + ".png")
            with open(path, "wb") as file:
                file.write(base64.b64decode(shot["data"]))
            print(f"screenshots: {path} ({page} at {width}x{height}, {os.path.getsize(path) // 1024} KiB)")
            browser.close_tab(target)
    except (EOFError, TimeoutError, RuntimeError) as error:
        sys.exit(f"screenshots: {browser.failure(error)}")
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) >= 5 and sys.argv[1] == "--screenshots":
        screenshots(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif len(sys.argv) == 2 and not sys.argv[1].startswith("-"):
        check(sys.argv[1])
    else:
        sys.exit(__doc__)
