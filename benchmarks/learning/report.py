#!/usr/bin/env python3
"""Markdown table from run.sh's hyperfine JSON and peak-RSS figures: report.py RESULTS_DIR."""
import json
import os
import statistics
import sys

results = sys.argv[1]
rss = {}
with open(os.path.join(results, "rss-all.txt")) as f:
    for line in f:
        name, ours, theirs = line.split()
        rss[name] = (int(ours) / 1024, int(theirs) / 1024)

print("| trainer | modelgate wall | scikit-learn wall | speed-up | modelgate peak RSS | scikit-learn peak RSS | memory ratio |")
print("|---|---|---|---|---|---|---|")
for name in ["linear-regression", "logistic-regression", "kmeans"]:
    with open(os.path.join(results, f"{name}.json")) as f:
        runs = {r["command"]: r for r in json.load(f)["results"]}
    ours, theirs = runs["modelgate"], runs["scikit-learn"]
    ours_median, theirs_median = statistics.median(ours["times"]), statistics.median(theirs["times"])
    ours_rss, theirs_rss = rss[name]
    print(f"| {name} | {ours_median:.2f} s (user {ours['user']:.2f} s) | {theirs_median:.2f} s (user {theirs['user']:.2f} s) "
          f"| {theirs_median / ours_median:.1f}x | {ours_rss:.0f} MiB | {theirs_rss:.0f} MiB | 1/{theirs_rss / ours_rss:.1f} |")
