#!/usr/bin/env python3
"""What a user would write instead of `modelgate train`: pandas + scikit-learn + joblib.

sklearn_train.py KIND DATA.csv MODEL.joblib — same work as the modelgate command it is timed
against: read the CSV, hold out 20% (seeded), fit, predict the held-out rows, compute the same
metrics, save the model.
"""
import json
import sys

import joblib
import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import (accuracy_score, f1_score, log_loss, mean_absolute_error,
                             mean_squared_error, precision_score, r2_score, recall_score,
                             roc_auc_score, silhouette_score)
from sklearn.model_selection import train_test_split

kind, data, out = sys.argv[1], sys.argv[2], sys.argv[3]
frame = pd.read_csv(data)
metrics = {}
if kind == "linear-regression":
    X, y = frame.drop(columns=["y"]).to_numpy(), frame["y"].to_numpy()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
    model = LinearRegression().fit(X_train, y_train)
    p = model.predict(X_test)
    mse = mean_squared_error(y_test, p)
    metrics = {"r2": r2_score(y_test, p), "mse": mse, "rmse": float(np.sqrt(mse)),
               "mae": mean_absolute_error(y_test, p)}
elif kind == "logistic-regression":
    X, y = frame.drop(columns=["label"]).to_numpy(), frame["label"].to_numpy()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
    model = LogisticRegression().fit(X_train, y_train)
    proba = model.predict_proba(X_test)
    p = model.predict(X_test)
    metrics = {"accuracy": accuracy_score(y_test, p), "precision": precision_score(y_test, p),
               "recall": recall_score(y_test, p), "f1": f1_score(y_test, p),
               "roc_auc": roc_auc_score(y_test, proba[:, 1]), "log_loss": log_loss(y_test, proba)}
else:
    X = frame.to_numpy()
    X_train, X_test = train_test_split(X, test_size=0.2, random_state=0)
    model = KMeans(n_clusters=8, n_init=3, random_state=0).fit(X_train)
    labels = model.predict(X_test)
    metrics = {"inertia": float(-model.score(X_test)),
               "silhouette": silhouette_score(X_test, labels, sample_size=4096, random_state=0)}
joblib.dump(model, out)
print(json.dumps({k: float(v) for k, v in metrics.items()}))
