#!/usr/bin/env python3
"""Converts the run records of a repository's first-parent history into an asv (airspeed velocity)
results tree, so `asv publish` can render the same history: one `track_<metric>` benchmark per
metric, one results file per commit, dated by the commit.

Usage: to-asv.py REPO ASV_DIR
"""
import json, os, subprocess, sys

repo, out = sys.argv[1], sys.argv[2]
machine, env = "bench", "existing-py"
git = lambda *a: subprocess.run(["git", "-C", repo, *a], check=True, capture_output=True, text=True).stdout
commits = git("rev-list", "--first-parent", "--format=%H %ct", "main").split("\n")
dates = {}
for line in commits:
    parts = line.split()
    if len(parts) == 2 and not line.startswith("commit"):
        dates[parts[0]] = int(parts[1]) * 1000
# Every note in one pass: `git notes list` gives blob and commit; cat-file --batch reads the blobs.
pairs = [line.split() for line in git("notes", "--ref=modelgate", "list").splitlines()]
batch = subprocess.run(["git", "-C", repo, "cat-file", "--batch"], input="\n".join(b for b, _ in pairs) + "\n",
                       check=True, capture_output=True, text=True).stdout
records, position = {}, 0
for blob, commit in pairs:
    header_end = batch.index("\n", position)
    size = int(batch[position:header_end].split()[2])
    body = batch[header_end + 1: header_end + 1 + size]
    position = header_end + 1 + size + 1
    records[commit] = json.loads(body)
results = os.path.join(out, "results")
os.makedirs(os.path.join(results, machine), exist_ok=True)
names = sorted({name for record in records.values() for name in record["metrics"]})
benchmarks = {f"track_{n}": {"name": f"track_{n}", "type": "track", "unit": "unit", "param_names": [], "params": [],
                             "version": "1", "timeout": 60, "code": "", "pretty_name": n} for n in names}
benchmarks["version"] = 2
json.dump(benchmarks, open(os.path.join(results, "benchmarks.json"), "w"))
json.dump({"machine": machine, "os": "Linux", "arch": "x86_64", "cpu": "bench", "num_cpu": "2", "ram": "",
           "version": 1}, open(os.path.join(results, machine, "machine.json"), "w"))
columns = ["result", "params", "version"]
for commit, record in records.items():
    if commit not in dates:
        continue
    data = {"commit_hash": commit, "env_name": env, "date": dates[commit], "params": {"machine": machine, "python": "3"},
            "python": "3", "requirements": {}, "env_vars": {}, "result_columns": columns,
            "results": {f"track_{n}": [[v], [], "1"] for n, v in record["metrics"].items()}, "durations": {},
            "version": 2}
    with open(os.path.join(results, machine, f"{commit[:8]}-{env}.json"), "w") as f:
        json.dump(data, f, separators=(",", ":"))
json.dump({"version": 1, "project": "synthetic", "project_url": "", "repo": os.path.abspath(repo), "branches": ["main"],
           "environment_type": "existing", "results_dir": "results", "html_dir": "html", "dvcs": "git"},
          open(os.path.join(out, "asv.conf.json"), "w"))
print(f"{out}: {len(records)} results files, {len(names)} benchmarks")
