#!/usr/bin/env python3
"""Opens a generated site in headless Chromium from file:// and fails on any console message or
any network request the pages make (every request that is not for a file:// URL).

Usage: browser-check.py MODELGATE_BINARY   (`make test-browser` runs it; needs `chromium`)

It builds a small history with hostile content (script tags in messages, a report.md with raw
HTML, a remote image and javascript: links), runs `modelgate run` on each commit, tags a release,
renders the site and opens every page. Chromium's own background traffic (update checks and the
like, whose initiator is "not an origin") is not the page's doing and is ignored.
"""
import glob, json, os, shutil, subprocess, sys, tempfile

binary = os.path.abspath(sys.argv[1])
chromium = shutil.which("chromium") or shutil.which("chromium-browser")
if not chromium:
    sys.exit("chromium is not installed: apt-get install chromium")
work = tempfile.mkdtemp(prefix="modelgate-browser-")
repo, site = os.path.join(work, "repo"), os.path.join(work, "site")
env = dict(os.environ, GIT_AUTHOR_NAME="Ada", GIT_AUTHOR_EMAIL="ada@example.com", GIT_COMMITTER_NAME="Ada",
           GIT_COMMITTER_EMAIL="ada@example.com", GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1")

def sh(*args, cwd=repo):
    subprocess.run(args, cwd=cwd, env=env, check=True, capture_output=True)

os.makedirs(os.path.join(repo, "data"))
sh("git", "init", "-q", "-b", "main")
open(os.path.join(repo, "modelgate.yml"), "w").write(
    "name: browser-demo\nstages:\n  - name: evaluate\n    cmd: sh score.sh\n    deps: [score.sh, \"data/*.csv\"]\n"
    "    metrics: metrics.json\n    timeout: 10s\ngates:\n  - {metric: r2, min: 0.9}\n")
open(os.path.join(repo, "score.sh"), "w").write(
    "rows=$(($(wc -l < data/a.csv) - 1))\nprintf '{\"r2\": 0.9%s, \"<img src=x onerror=alert(1)>\": %s}' \"$rows\" \"$rows\" > metrics.json\n")
open(os.path.join(repo, "report.md"), "w").write(
    "# Report\n\n<script>alert(1)</script>\n\n![pixel](https://tracker.example/p.png)\n\n[x](javascript:alert(1))\n")
for rows in range(1, 6):
    open(os.path.join(repo, "data", "a.csv"), "w").write("x\n" + "".join(f"{i}\n" for i in range(rows)))
    sh("git", "add", "-A")
    sh("git", "commit", "-q", "-m", f"rows {rows} <script>alert({rows})</script>")
    subprocess.run([binary, "run"], cwd=repo, env=env, capture_output=True)
sh("git", "tag", "-a", "browser-demo@v1.0.0", "-m", "release\n\nModelgate-Environment: production\n")
# Deployments: the commit page's section, the index's "Live now" and env/*.html timelines.
sh(binary, "deployed", "--env", "production", "--by", "ada@example.com", "--image",
   "registry.example/demo@sha256:" + "a" * 64)
sh(binary, "deployed", "--env", "<script>alert(2)</script>", "--by", "ada@example.com", "--rev", "HEAD~1")
subprocess.run([binary, "site", "--out", site], cwd=repo, env=env, check=True, capture_output=True)

flags = ["--headless=new", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
         "--host-resolver-rules=MAP * ~NOTFOUND", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--no-default-browser-check"]
pages = sorted(glob.glob(os.path.join(site, "**", "*.html"), recursive=True))
failures = []
for page in pages:
    netlog = os.path.join(work, "net.json")
    result = subprocess.run([chromium, *flags, f"--log-net-log={netlog}", "--dump-dom", "file://" + page],
                            capture_output=True, text=True, timeout=120)
    name = os.path.relpath(page, site)
    for line in result.stderr.splitlines():
        if ":CONSOLE" in line:
            failures.append(f"{name}: console: {line}")
    events = json.load(open(netlog))["events"]
    for event in events:
        params = event.get("params", {})
        url, initiator = params.get("url", ""), params.get("initiator")
        if url and initiator is not None and initiator != "not an origin" and not url.startswith("file://"):
            failures.append(f"{name}: network request to {url}")
    if "<script" in result.stdout.lower():
        failures.append(f"{name}: the rendered DOM has a script element")
print(f"browser check: {len(pages)} pages opened from file:// in {os.path.basename(chromium)}")
shutil.rmtree(work)
if failures:
    print("\n".join(sorted(set(failures))))
    sys.exit(1)
print("browser check: no console messages, no network requests")
