#!/usr/bin/env python3
"""Deterministic benchmark data: generate.py KIND ROWS OUT.csv (KIND: regression, binary, blobs).

20 numeric features x1..x20 with varied offsets and scales, six decimals, plus a target `y`
(regression), a 0/1 `label` (binary), or nothing (blobs: 8 Gaussian clusters).
"""
import sys

import numpy as np

kind, rows, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rng = np.random.default_rng({"regression": 1, "binary": 2, "blobs": 3}[kind])
features = 20
offsets = rng.uniform(-50, 50, size=features)
scales = rng.uniform(0.5, 5, size=features)
beta = rng.normal(size=features)

with open(out, "w") as f:
    header = [f"x{i + 1}" for i in range(features)]
    header += {"regression": ["y"], "binary": ["label"], "blobs": []}[kind]
    f.write(",".join(header) + "\n")
    centres = rng.normal(scale=6, size=(8, features))
    chunk = 100_000
    for start in range(0, rows, chunk):
        n = min(chunk, rows - start)
        z = rng.normal(size=(n, features))
        if kind == "blobs":
            X = centres[rng.integers(0, 8, size=n)] + z
            np.savetxt(f, X, fmt="%.6f", delimiter=",")
            continue
        X = z * scales + offsets
        if kind == "regression":
            y = z @ beta * 3 + 10 + rng.normal(size=n)
            np.savetxt(f, np.column_stack([X, y]), fmt="%.6f", delimiter=",")
        else:
            logits = z @ beta * 0.8 + 0.3
            label = (rng.random(n) < 1 / (1 + np.exp(-logits))).astype(int)
            fmt = ["%.6f"] * features + ["%d"]
            np.savetxt(f, np.column_stack([X, label]), fmt=fmt, delimiter=",")
