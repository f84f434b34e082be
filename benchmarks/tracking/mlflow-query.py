#!/usr/bin/env python3
"""The MLflow side of benchmarks/tracking: reads the store that to-mlflow.py wrote.

Usage: mlflow-query.py latest STORE [--backend file|sqlite]
         prints the newest run (by start_time) as JSON: commit, verdict, metrics
       mlflow-query.py history STORE METRIC [--backend file|sqlite]
         prints every run's METRIC, newest first, as a JSON list of {commit, date, value}
"""
import json, os, sys

def main():
    what, store = sys.argv[1], os.path.abspath(sys.argv[2])
    backend = sys.argv[sys.argv.index("--backend") + 1] if "--backend" in sys.argv else "file"
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    from mlflow.tracking import MlflowClient
    uri = f"file:{store}" if backend == "file" else f"sqlite:///{store}/mlflow.db"
    client = MlflowClient(tracking_uri=uri)
    experiment_id = client.get_experiment_by_name("modelgate").experiment_id
    if what == "latest":
        runs = client.search_runs([experiment_id], order_by=["attributes.start_time DESC"], max_results=1)
        run = runs[0]
        print(json.dumps({"commit": run.data.tags["commit"], "verdict": run.data.tags.get("verdict"),
                          "metrics": run.data.metrics}, indent=2, sort_keys=True))
    elif what == "history":
        metric = sys.argv[3]
        entries, token = [], None
        while True:
            page = client.search_runs([experiment_id], order_by=["attributes.start_time DESC"],
                                      max_results=50000, page_token=token)
            for run in page:
                if metric in run.data.metrics:
                    entries.append({"commit": run.data.tags["commit"], "date": run.info.start_time // 1000,
                                    "value": run.data.metrics[metric]})
            token = page.token
            if not token:
                break
        print(json.dumps(entries, indent=2))
    else:
        sys.exit(f"unknown query {what!r}; use latest or history")

main()
