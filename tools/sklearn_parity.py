#!/usr/bin/env python3
"""Train scikit-learn pipelines on a CSV, export them with export_sklearn.py, and write predict_proba / predict.

Used by Tests/VigilCLITests/ScikitLearnExportTests.swift: Vigil must reproduce every value to 1e-9.

    python tools/sklearn_parity.py DATA.csv TARGET OUTDIR

writes OUTDIR/data.csv (zeros in --zero-missing columns become empty cells, which Vigil reads as missing),
OUTDIR/logistic.json + logistic.expected (predict_proba[:, 1]) and OUTDIR/linear.json + linear.expected
(a LinearRegression of the first feature on the others).
"""
import os
import sys

import numpy as np
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_sklearn import export  # noqa: E402

ZERO_MEANS_MISSING = {"Glucose", "BloodPressure", "SkinThickness", "Insulin", "BMI"}


def main(path, target, out):
    lines = open(path).read().splitlines()
    header = lines[0].split(",")
    rows = np.array([[float(c) for c in line.split(",")] for line in lines[1:] if line.strip()])
    features = [c for c in header if c != target]
    X = rows[:, [header.index(c) for c in features]]
    y = rows[:, header.index(target)].astype(int)
    for j, name in enumerate(features):
        if name in ZERO_MEANS_MISSING:
            X[X[:, j] == 0, j] = np.nan
    with open(os.path.join(out, "data.csv"), "w") as f:
        f.write(",".join(features) + "\n")
        for row in X:
            f.write(",".join("" if np.isnan(v) else repr(float(v)) for v in row) + "\n")

    logistic = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler()),
                         ("model", LogisticRegression(C=1.0, max_iter=1000))]).fit(X, y)
    export(logistic, X, features, os.path.join(out, "logistic.json"), class_labels=["non_diabetic", "diabetic"],
           name="sklearn-diabetes", target=target)
    np.savetxt(os.path.join(out, "logistic.expected"), logistic.predict_proba(X)[:, 1], fmt="%.17g")

    linear = Pipeline([("impute", SimpleImputer(strategy="mean")), ("scale", StandardScaler()),
                       ("model", LinearRegression())]).fit(X[:, 1:], np.nan_to_num(X[:, 0]))
    export(linear, X[:, 1:], features[1:], os.path.join(out, "linear.json"), target=features[0])
    np.savetxt(os.path.join(out, "linear.expected"), linear.predict(X[:, 1:]), fmt="%.17g")


if __name__ == "__main__":
    main(*sys.argv[1:4])
