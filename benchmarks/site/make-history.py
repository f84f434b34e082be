#!/usr/bin/env python3
"""Writes a synthetic model history: COMMITS commits, each with a run record of METRICS metrics
stored as a real git note under refs/notes/modelgate, fast (git fast-import, two passes: the
commits first, then one notes commit holding every record with the real commit ids).

Usage: make-history.py REPO COMMITS METRICS [--append N]
  --append N  add N more commits (each with a record) on top of an existing history.
"""
import json, os, random, subprocess, sys

def run(args, cwd, stdin=None):
    return subprocess.run(args, cwd=cwd, input=stdin, check=True, capture_output=True).stdout

def main():
    repo, commits, metrics = os.path.abspath(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    append = "--append" in sys.argv
    env = dict(os.environ, GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1")
    os.environ.update(env)
    if not append:
        os.makedirs(repo, exist_ok=True)
        run(["git", "init", "-q", "-b", "main"], repo)
        start, parent = 0, None
    else:
        count = int(sys.argv[sys.argv.index("--append") + 1])
        start = int(run(["git", "rev-list", "--count", "main"], repo))
        parent = run(["git", "rev-parse", "main"], repo).decode().strip()
        commits = start + count
    names = [f"m{i:03d}" for i in range(metrics)]
    rng = random.Random(42 + start)
    epoch = 1_767_225_600
    # Pass 1: the commits.
    out = []
    rows = [f"{i},{i * 0.5:.2f},{i * 2}" for i in range(20)]
    for n in range(start, commits):
        rows[n % 20] = f"{n % 20},{rng.random():.4f},{n}"
        data = "x,y,z\n" + "\n".join(rows) + "\n"
        cfg = "version: 1\nname: synthetic\nstages:\n  - name: train\n    cmd: sh train.sh\n    deps: [\"data/*.csv\"]\n    metrics: metrics.json\ngates:\n  - {metric: m000, min: 0.5}\n  - {metric: m000, max_drop: 0.05}\n"
        message = f"change {n}: tune row {n % 20}\n"
        when = epoch + n * 600
        out.append(f"commit refs/heads/main\nmark :{n + 1}\n")
        out.append(f"author Synthetic Author <a@example.com> {when} +0000\ncommitter Synthetic Author <a@example.com> {when} +0000\n")
        out.append(f"data {len(message.encode())}\n{message}")
        if n == start and parent:
            out.append(f"from {parent}\n")
        elif n > start:
            out.append(f"from :{n}\n")
        out.append(f"M 100644 inline data/train.csv\ndata {len(data.encode())}\n{data}\n")
        if n == 0:
            out.append(f"M 100644 inline modelgate.yml\ndata {len(cfg.encode())}\n{cfg}\n")
    marks = os.path.join(repo, ".git", "bench-marks")
    run(["git", "fast-import", "--quiet", f"--export-marks={marks}"], repo, "".join(out).encode())
    ids = {}
    for line in open(marks):
        mark, sha = line.split()
        ids[int(mark[1:])] = sha
    # Pass 2: one notes commit with every record.
    notes_parent = subprocess.run(["git", "rev-parse", "-q", "--verify", "refs/notes/modelgate"], cwd=repo,
                                  capture_output=True).stdout.decode().strip()
    out = ["commit refs/notes/modelgate\n", f"committer Synthetic Author <a@example.com> {epoch} +0000\n",
           "data 14\nsynthetic runs\n"]
    if notes_parent:
        out.append(f"from {notes_parent}\n")
    previous = None
    for n in range(start, commits):
        commit = ids[n + 1]
        values = {name: round(0.8 + 0.1 * rng.random() + (0.0001 * n if name == "m000" else 0), 6) for name in names}
        failed = rng.random() < 0.05
        if failed:
            values["m000"] = 0.45
        gates = [
            {"metric": "m000", "kind": "min", "limit": 0.5, "relative": False, "value": values["m000"],
             "baseline": previous, "passed": not failed, "status": "fail" if failed else "pass"},
            {"metric": "m000", "kind": "max_drop", "limit": 0.05, "relative": False, "value": values["m000"],
             "baseline": previous, "passed": True if previous is not None else None,
             "status": "pass" if previous is not None else "no-baseline"},
        ]
        record = {
            "schema": 1, "commit": commit, "fingerprint": f"{n:064x}", "verdict": "fail" if failed else "pass",
            "metrics": values, "gates": gates,
            "stages": [{"name": "train", "status": "pass", "duration_ms": 800 + n % 50, "cached": n % 7 == 0,
                        "fingerprint": f"{n:064x}", "metrics": values}],
            "artifact": None, "tool": "modelgate 0.1.0", "started": f"2026-01-01T00:00:00Z", "duration_ms": 900,
            "baseline": {"policy": "ancestor", "commit": ids.get(n), "comparison": "recorded metrics of the baseline run"},
            "source": "rev", "inputs": {"data/train.csv": "0" * 40},
        }
        if not failed:
            previous = values["m000"]
        text = json.dumps(record, indent=2, sort_keys=True) + "\n"
        out.append(f"N inline {commit}\ndata {len(text.encode())}\n{text}\n")
    run(["git", "fast-import", "--quiet"], repo, "".join(out).encode())
    print(f"{repo}: {commits} commits, {metrics} metrics per record")

main()
