#!/usr/bin/env python3
"""Generate small CSV fixtures and scikit-learn's answers for the Learning module's tests.

Run from the repository root with a virtualenv that has scikit-learn, pandas and numpy:

    python3 -m venv /tmp/skl && /tmp/skl/bin/pip install scikit-learn pandas joblib
    /tmp/skl/bin/python scripts/sklearn_reference.py

Writes Tests/Fixtures/learning/*.csv and reference.json. The output is deterministic; commit it,
so Swift tests need no Python.
"""
import json
import os

import numpy as np
import sklearn
from sklearn.cluster import KMeans
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.metrics import (accuracy_score, f1_score, log_loss, mean_absolute_error,
                             mean_squared_error, precision_score, r2_score, recall_score,
                             roc_auc_score, silhouette_score)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "learning")
rng = np.random.default_rng(20261129)


def write_csv(name, columns, rows):
    with open(os.path.join(OUT, name), "w") as f:
        f.write(",".join(columns) + "\n")
        for row in rows:
            f.write(",".join(v if isinstance(v, str) else repr(float(v)) for v in row) + "\n")


def regression_metrics(y, p):
    mse = mean_squared_error(y, p)
    return {"mse": mse, "rmse": float(np.sqrt(mse)), "mae": mean_absolute_error(y, p), "r2": r2_score(y, p)}


def classification_metrics(y, pred, proba, classes):
    m = {"accuracy": accuracy_score(y, pred), "log_loss": log_loss(y, proba, labels=classes)}
    if len(classes) == 2:
        pos = classes[1]
        m["precision"] = precision_score(y, pred, pos_label=pos, zero_division=0)
        m["recall"] = recall_score(y, pred, pos_label=pos, zero_division=0)
        m["f1"] = f1_score(y, pred, pos_label=pos, zero_division=0)
        m["roc_auc"] = roc_auc_score(y, proba[:, 1])
    else:
        m["precision"] = precision_score(y, pred, average="macro", zero_division=0)
        m["recall"] = recall_score(y, pred, average="macro", zero_division=0)
        m["f1"] = f1_score(y, pred, average="macro", zero_division=0)
        m["roc_auc"] = roc_auc_score(y, proba, multi_class="ovr", labels=classes)
    for name, fn in [("precision", precision_score), ("recall", recall_score), ("f1", f1_score)]:
        m[name + "_weighted"] = fn(y, pred, average="weighted", zero_division=0)
    return {k: float(v) for k, v in m.items()}


def tolist(a):
    return np.asarray(a, dtype=float).tolist()


reference = {"sklearn_version": sklearn.__version__}

# --- Regression: 5 features far from zero (centring matters), noise. ---------------------------
def regression_rows(n):
    X = rng.normal(size=(n, 5)) * [1.0, 2.0, 0.5, 3.0, 1.5] + [1000.0, -50.0, 3.0, 0.0, 250.0]
    y = X @ [1.5, -2.0, 0.25, 4.0, 0.0] + 7.0 + rng.normal(scale=0.8, size=n)
    return X, y


features = ["x1", "x2", "x3", "x4", "x5"]
X, y = regression_rows(300)
Xt, yt = regression_rows(100)
write_csv("regression.csv", features + ["y"], np.column_stack([X, y]))
write_csv("regression_test.csv", ["y"] + features, np.column_stack([yt, Xt]))  # other column order
cases = {}
for name, model in [
    ("ols", LinearRegression()),
    ("ols_no_intercept", LinearRegression(fit_intercept=False)),
    ("ridge", Ridge(alpha=2.5)),
    ("ridge_standardized", make_pipeline(StandardScaler(), Ridge(alpha=2.5))),
    ("ols_standardized", make_pipeline(StandardScaler(), LinearRegression())),
]:
    model.fit(X, y)
    final = model[-1] if hasattr(model, "steps") else model
    p = model.predict(Xt)
    case = {"coefficients": tolist(final.coef_), "intercept": float(final.intercept_),
            "predictions": tolist(p), "metrics": regression_metrics(yt, p)}
    if hasattr(model, "steps"):
        case["means"] = tolist(model[0].mean_)
        case["scales"] = tolist(model[0].scale_)
    cases[name] = case
reference["regression"] = cases

# --- Collinear and constant columns. ----------------------------------------------------------
n = 200
a = rng.normal(size=n)
b = rng.normal(size=n)
c = a + 2.0 * b  # exactly representable combination up to rounding
const = np.full(n, 7.0)
yc = 3.0 * a - b + 0.5 + rng.normal(scale=0.1, size=n)
write_csv("collinear.csv", ["a", "b", "c", "k", "y"], np.column_stack([a, b, c, const, yc]))
Xc = np.column_stack([a, b, c, const])
lr = LinearRegression().fit(Xc, yc)
reference["collinear"] = {"coefficients": tolist(lr.coef_), "intercept": float(lr.intercept_),
                          "predictions": tolist(lr.predict(Xc))}

# --- Binary logistic regression: labels 0/1, overlapping classes. ------------------------------
def binary_rows(n):
    X = rng.normal(size=(n, 4)) * [1.0, 2.0, 0.5, 1.0] + [0.0, 5.0, -1.0, 2.0]
    logits = X @ [1.2, -0.6, 2.0, 0.0] + 1.0
    yb = (rng.random(n) < 1 / (1 + np.exp(-logits))).astype(int)
    return X, yb


bfeatures = ["f1", "f2", "f3", "f4"]
Xb, yb = binary_rows(400)
Xbt, ybt = binary_rows(150)
write_csv("binary.csv", bfeatures + ["label"], [list(r) + [str(int(t))] for r, t in zip(Xb, yb)])
write_csv("binary_test.csv", bfeatures + ["label"], [list(r) + [str(int(t))] for r, t in zip(Xbt, ybt)])
cases = {}
for name, C, standardize in [("default", 1.0, False), ("strong_penalty", 0.05, False), ("standardized", 1.0, True)]:
    logistic = LogisticRegression(C=C, tol=1e-12, max_iter=100000)  # sklearn's optimum, tightly converged
    model = make_pipeline(StandardScaler(), logistic) if standardize else logistic
    model.fit(Xb, yb)
    proba = model.predict_proba(Xbt)
    pred = model.predict(Xbt)
    case = {"C": C, "coefficients": tolist(logistic.coef_), "intercept": tolist(logistic.intercept_),
            "predictions": [str(v) for v in pred], "probabilities": tolist(proba),
            "metrics": classification_metrics(ybt, pred, proba, [0, 1])}
    default_fit = LogisticRegression(C=C) if not standardize else None
    if default_fit is not None:
        default_fit.fit(Xb, yb)
        case["default_tol_coefficients"] = tolist(default_fit.coef_)
    cases[name] = case
reference["binary"] = cases

# --- Multinomial logistic regression: three string labels. -------------------------------------
def multi_rows(n):
    centers = np.array([[0.0, 0.0, 1.0], [2.0, 1.0, -1.0], [0.5, 2.5, 0.0]])
    labels = rng.integers(0, 3, size=n)
    X = centers[labels] + rng.normal(scale=1.1, size=(n, 3))
    names = np.array(["versicolor", "setosa", "virginica"])[labels]
    return X, names


mfeatures = ["m1", "m2", "m3"]
Xm, ym = multi_rows(360)
Xmt, ymt = multi_rows(120)
write_csv("multiclass.csv", mfeatures + ["species"], [list(r) + [t] for r, t in zip(Xm, ym)])
write_csv("multiclass_test.csv", mfeatures + ["species"], [list(r) + [t] for r, t in zip(Xmt, ymt)])
logistic = LogisticRegression(tol=1e-12, max_iter=100000).fit(Xm, ym)
proba = logistic.predict_proba(Xmt)
pred = logistic.predict(Xmt)
reference["multiclass"] = {
    "classes": [str(c) for c in logistic.classes_], "coefficients": tolist(logistic.coef_),
    "intercept": tolist(logistic.intercept_), "predictions": [str(v) for v in pred],
    "probabilities": tolist(proba),
    "metrics": classification_metrics(ymt, pred, proba, list(logistic.classes_))}

# --- K-means: four well-separated blobs, explicit initial centres. -----------------------------
true_centres = np.array([[0.0, 0.0, 0.0], [10.0, 10.0, 0.0], [-10.0, 8.0, 5.0], [5.0, -10.0, -5.0]])
blob = rng.integers(0, 4, size=300)
Xk = true_centres[blob] + rng.normal(scale=1.0, size=(300, 3))
write_csv("blobs.csv", ["u", "v", "w"], Xk)
init = Xk[[0, 1, 2, 3]]
for i, k in enumerate([int(np.where(blob == j)[0][0]) for j in range(4)]):
    init[i] = Xk[k]
km = KMeans(n_clusters=4, init=init, n_init=1, max_iter=300, tol=1e-4).fit(Xk)
reference["kmeans"] = {"initial_centres": tolist(init), "centres": tolist(km.cluster_centers_),
                       "inertia": float(km.inertia_), "labels": km.labels_.tolist(),
                       "silhouette": float(silhouette_score(Xk, km.labels_))}

# --- Metrics on fixed predictions (exercise ties, imbalance, multiclass). ----------------------
n = 500
truth = rng.integers(0, 2, size=n)
score = np.round(np.clip(truth * 0.3 + rng.random(n) * 0.7, 0, 1), 2)  # rounded: many ties
proba = np.column_stack([1 - score, score])
pred = (score > 0.5).astype(int)
reference["metrics_binary"] = {"truth": truth.tolist(), "predictions": pred.tolist(),
                               "probabilities": tolist(proba),
                               "metrics": classification_metrics(truth, pred, proba, [0, 1])}
truth3 = rng.integers(0, 3, size=n)
raw = rng.random((n, 3)) + np.eye(3)[truth3] * 0.5
proba3 = raw / raw.sum(axis=1, keepdims=True)
pred3 = proba3.argmax(axis=1)
pred3[:7] = 2  # make class 2 over-predicted
reference["metrics_multiclass"] = {"truth": truth3.tolist(), "predictions": pred3.tolist(),
                                   "probabilities": tolist(proba3),
                                   "metrics": classification_metrics(truth3, pred3, proba3, [0, 1, 2])}
yr = rng.normal(size=n) * 3 + 1
pr = yr + rng.normal(size=n)
reference["metrics_regression"] = {"truth": tolist(yr), "predictions": tolist(pr),
                                   "metrics": regression_metrics(yr, pr)}

# --- Drift: a baseline and a shifted sample; KS from scipy, PSI by the documented recipe. ------
from scipy.stats import ks_2samp  # noqa: E402  (scipy comes with scikit-learn)

base = np.column_stack([rng.normal(size=400), np.round(rng.uniform(0, 10, size=400))])
moved = np.column_stack([rng.normal(loc=0.4, scale=1.3, size=300), np.round(rng.uniform(0, 12, size=300))])
write_csv("drift_base.csv", ["a", "b"], base)
write_csv("drift_current.csv", ["a", "b"], moved)


def psi(expected, actual):
    edges = np.quantile(expected, np.arange(1, 10) / 10)  # numpy's linear quantiles
    def shares(values):
        bins = np.searchsorted(edges, values, side="right")  # a value equal to an edge goes above
        counts = np.bincount(bins, minlength=10) / len(values)
        return np.maximum(counts, 1e-4)
    e, a = shares(expected), shares(actual)
    return float(np.sum((a - e) * np.log(a / e)))


reference["drift"] = {col: {"ks": float(ks_2samp(base[:, i], moved[:, i]).statistic),
                            "psi": psi(base[:, i], moved[:, i])} for i, col in enumerate(["a", "b"])}

with open(os.path.join(OUT, "reference.json"), "w") as f:
    json.dump(reference, f, indent=1, sort_keys=True)
    f.write("\n")
print("wrote", OUT)
