#!/usr/bin/env python3
"""Copies modelgate's run records (git notes under refs/notes/modelgate) into an MLflow tracking store,
one MLflow run per record, so both tools can be queried on the same data.

Usage: to-mlflow.py REPO STORE [--backend file|sqlite]
  file   (default) tracking URI file:STORE (MLflow 3's file store is in maintenance mode; this sets
         MLFLOW_ALLOW_FILE_STORE=true to use it anyway)
  sqlite tracking URI sqlite:///STORE/mlflow.db (needs SQLAlchemy and Alembic in the environment)
Each run gets: every metric of the record (step 0, timestamp = commit time), tags commit=<id> and
verdict=<verdict>, start_time = end_time = the commit's committer time, status FINISHED.
"""
import json, os, subprocess, sys

def main():
    repo, store = sys.argv[1], os.path.abspath(sys.argv[2])
    backend = sys.argv[sys.argv.index("--backend") + 1] if "--backend" in sys.argv else "file"
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    from mlflow.tracking import MlflowClient
    from mlflow.entities import Metric, RunTag

    git = ["git", "-C", repo]
    # note blob -> annotated commit
    pairs = [line.split() for line in subprocess.run(git + ["notes", "--ref=modelgate", "list"], check=True,
                                                      capture_output=True, text=True).stdout.splitlines()]
    # committer time of every commit reachable from any ref
    times = {}
    for line in subprocess.run(git + ["log", "--all", "--format=%H %ct"], check=True, capture_output=True,
                               text=True).stdout.splitlines():
        sha, ct = line.split()
        times[sha] = int(ct)
    # read all note blobs in one git process
    blobs = subprocess.run(git + ["cat-file", "--batch"], input="".join(b + "\n" for b, _ in pairs).encode(),
                           check=True, capture_output=True).stdout
    records, pos = [], 0
    for blob, commit in pairs:
        header_end = blobs.index(b"\n", pos)
        size = int(blobs[pos:header_end].split()[2])
        body = blobs[header_end + 1:header_end + 1 + size]
        pos = header_end + 1 + size + 1
        records.append((commit, json.loads(body)))
    records.sort(key=lambda r: times.get(r[0], 0))

    os.makedirs(store, exist_ok=True)
    uri = f"file:{store}" if backend == "file" else f"sqlite:///{store}/mlflow.db"
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("modelgate")
    experiment_id = experiment.experiment_id if experiment else client.create_experiment("modelgate")
    for commit, record in records:
        millis = times[commit] * 1000
        run = client.create_run(experiment_id, start_time=millis, run_name=commit[:12],
                                tags={"commit": commit, "verdict": record.get("verdict", "")})
        metrics = [Metric(name, float(value), millis, 0) for name, value in sorted(record.get("metrics", {}).items())]
        client.log_batch(run.info.run_id, metrics=metrics)
        client.set_terminated(run.info.run_id, "FINISHED", end_time=millis)
    print(f"{uri}: {len(records)} runs in experiment {experiment_id}")

main()
