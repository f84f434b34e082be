#!/usr/bin/env python3
"""Reference values for StatisticsTests, from statsmodels and scipy.

Reads one JSON request on stdin: {"kind": ..., "cases": [...]}; prints one JSON list of answers.
Run by the tests with the test virtualenv's interpreter (scripts/install-test-tools.sh stats).
"""
import json
import sys

import numpy as np
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import (confint_proportions_2indep,
                                          proportion_confint,
                                          proportions_ztest)


def delong_brute_force(labels, a, b):
    """DeLong, DeLong & Clarke-Pearson (1988), eqs. for V10, V01 and S by pairwise comparison:
    psi(X, Y) = 1 if X > Y, 1/2 if equal, 0 otherwise; an O(m n) implementation independent of
    the midrank algorithm under test."""
    labels = np.asarray(labels, dtype=bool)
    models = [np.asarray(a, float), np.asarray(b, float)]
    m, n = labels.sum(), (~labels).sum()
    v10, v01, aucs = [], [], []
    for s in models:
        x, y = s[labels][:, None], s[~labels][None, :]
        psi = (x > y) + 0.5 * (x == y)
        aucs.append(psi.mean())
        v10.append(psi.mean(axis=1))
        v01.append(psi.mean(axis=0))
    s10, s01 = np.cov(np.array(v10)), np.cov(np.array(v01))
    cov = s10 / m + s01 / n
    var_diff = cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]
    z = (aucs[0] - aucs[1]) / np.sqrt(var_diff)
    return {"auc_a": aucs[0], "auc_b": aucs[1], "var_a": cov[0, 0], "var_diff": var_diff,
            "p": 2 * stats.norm.sf(abs(z))}


def statistic(name):
    def rmse(y, p, axis=-1):
        return np.sqrt(np.mean((y - p) ** 2, axis=axis))

    def mae(y, p, axis=-1):
        return np.mean(np.abs(y - p), axis=axis)

    def r2(y, p, axis=-1):
        sse = np.sum((y - p) ** 2, axis=axis)
        sst = np.sum((y - np.mean(y, axis=axis, keepdims=True)) ** 2, axis=axis)
        return 1 - sse / sst

    def f1(y, p, axis=-1):
        tp = np.sum((y == 1) & (p == 1), axis=axis)
        return 2 * tp / (np.sum(y == 1, axis=axis) + np.sum(p == 1, axis=axis))

    return {"rmse": rmse, "mae": mae, "r2": r2, "f1": f1}[name]


def bootstrap(case):
    f = statistic(case["metric"])
    y, a, b = (np.asarray(case[k], float) for k in ("truth", "candidate", "baseline"))
    if case["paired"]:
        def diff(y, a, b, axis=-1):
            return f(y, a, axis) - f(y, b, axis)
        data, stat = (y, a, b), diff
    else:
        data, stat = (y, a), (lambda y, a, axis=-1: f(y, a, axis))
    result = stats.bootstrap(data, stat, paired=True, vectorized=True, n_resamples=case["resamples"],
                             confidence_level=case["confidence"], method="percentile",
                             random_state=np.random.default_rng(12345))
    return {"low": result.confidence_interval.low, "high": result.confidence_interval.high,
            "se": result.standard_error}


def answer(kind, case):
    if kind == "mcnemar":
        b, c = case
        return mcnemar([[10, b], [c, 10]], exact=True).pvalue
    if kind == "proportion":
        k, n, conf = case
        return {"beta": list(proportion_confint(k, n, alpha=1 - conf, method="beta")),
                "wilson": list(proportion_confint(k, n, alpha=1 - conf, method="wilson"))}
    if kind == "two_sample":
        k1, n1, k2, n2, conf = case
        _, p = proportions_ztest([k1, k2], [n1, n2])
        low, high = confint_proportions_2indep(k1, n1, k2, n2, method="wald", compare="diff",
                                               alpha=1 - conf)
        return {"p": p, "low": low, "high": high}
    if kind == "multitest":
        return {"holm": list(multipletests(case, method="holm")[1]),
                "bh": list(multipletests(case, method="fdr_bh")[1])}
    if kind == "norm_ppf":
        return stats.norm.ppf(case)
    if kind == "binom_cdf":
        k, n, p = case
        return stats.binom.cdf(k, n, p)
    if kind == "delong":
        return delong_brute_force(case["labels"], case["a"], case["b"])
    if kind == "bootstrap":
        return bootstrap(case)
    raise SystemExit(f"unknown kind {kind}")


request = json.load(sys.stdin)
json.dump([answer(request["kind"], case) for case in request["cases"]], sys.stdout,
          default=float)
