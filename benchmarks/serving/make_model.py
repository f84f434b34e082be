"""Builds the scikit-learn twin of a modelgate linear-regression model file: the same
coefficients and intercept in a LinearRegression, saved with joblib; checks that both predict
the same on the test rows (modelgate predict's output) before anything is benchmarked.

Usage: make_model.py MODEL_JSON PREDICT_CSV PREDICTIONS OUT_JOBLIB
"""

import csv
import json
import sys

import joblib
import numpy as np
from sklearn.linear_model import LinearRegression

model_json, rows_csv, predictions_txt, out = sys.argv[1:5]
spec = json.load(open(model_json))
assert spec["kind"] == "linear-regression", spec["kind"]
features = spec["features"]
model = LinearRegression()
model.coef_ = np.asarray(spec["coefficients"][0], dtype=np.float64)
model.intercept_ = float(spec["intercept"][0])
model.n_features_in_ = len(features)

with open(rows_csv) as handle:
    reader = csv.DictReader(handle)
    rows = np.asarray([[float(row[name]) for name in features] for row in reader])
theirs = np.asarray([float(line) for line in open(predictions_txt).read().split()[1:]])
ours = model.predict(rows)
worst = float(np.max(np.abs(ours - theirs) / np.maximum(1.0, np.abs(theirs))))
assert worst < 1e-12, f"scikit-learn and modelgate disagree by {worst}"
joblib.dump(model, out)
print(f"{len(rows)} rows agree (largest relative difference {worst:.1e})")
