#!/usr/bin/env python3
"""Convert a fitted scikit-learn Pipeline into a Vigil model artifact (JSON, format_version 2).

Supported pipelines: [SimpleImputer] -> [StandardScaler] -> LogisticRegression (binary) or LinearRegression,
each of the first two optional. The training matrix is needed for the feature types and the training
distribution (deciles) that drift monitoring compares live requests with.

    from export_sklearn import export
    export(pipeline, X_train, feature_names, "model.json", schema={"Glucose": {"minimum": 0, "maximum": 300}})

or from the command line with a pickled pipeline (joblib) and a CSV of the training rows:

    python tools/export_sklearn.py --pipeline model.joblib --data train.csv --target Outcome --out model.json
"""
import argparse
import hashlib
import json
import math
import sys

import numpy as np
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

FORMAT_VERSION = 2
SCHEMA_KEYS = {"type", "minimum", "maximum", "missing_values", "nullable", "description", "example"}


class ExportError(Exception):
    """A pipeline or input that cannot become an artifact; the message says why."""


def _finite(values, what):
    values = [float(v) for v in np.ravel(values)]
    for i, v in enumerate(values):
        if not math.isfinite(v):
            raise ExportError(f"{what}[{i}] is not finite ({v})")
    return values


def _distribution(column):
    """Nine deciles (numpy's linear interpolation) and the shares of the ten buckets they bound."""
    deciles = [float(q) for q in np.percentile(column, [10, 20, 30, 40, 50, 60, 70, 80, 90])]
    # Bucket 0 holds values <= deciles[0], bucket i values in (deciles[i-1], deciles[i]], bucket 9 the rest.
    buckets = np.searchsorted(np.asarray(deciles), column, side="left")
    counts = np.bincount(buckets, minlength=10)
    return {"deciles": deciles, "fractions": [float(c) / len(column) for c in counts]}


def export(pipeline, X, feature_names, out_path=None, *, schema=None, class_labels=None, name=None,
           description=None, target=None, metrics=None, dataset=None, dataset_sha256=None):
    """Write (or return, when out_path is None) the artifact of a fitted pipeline trained on X."""
    if not isinstance(pipeline, Pipeline):
        pipeline = Pipeline([("model", pipeline)])
    steps = [step for _, step in pipeline.steps if step != "passthrough" and step is not None]
    if not steps:
        raise ExportError("the pipeline is empty")
    X = np.asarray(X, dtype=float)
    width = len(feature_names)
    if X.ndim != 2 or X.shape[1] != width:
        raise ExportError(f"X has shape {X.shape}, expected (rows, {width}) for {width} feature names")
    *pre, estimator = steps
    imputer = scaler = None
    for step in pre:
        if isinstance(step, SimpleImputer) and imputer is None and scaler is None:
            imputer = step
        elif isinstance(step, StandardScaler) and scaler is None:
            scaler = step
        else:
            raise ExportError(f"unsupported pipeline step {type(step).__name__}: only SimpleImputer, then StandardScaler")

    imputation = [0.0] * width
    missing_values = []
    nullable = False
    if imputer is not None:
        if imputer.add_indicator:
            raise ExportError("SimpleImputer(add_indicator=True) is not supported")
        if imputer.strategy not in ("mean", "median", "most_frequent", "constant"):
            raise ExportError(f"SimpleImputer strategy {imputer.strategy!r} is not supported")
        stats = np.asarray(imputer.statistics_, dtype=float)
        if len(stats) != width or np.isnan(stats).any():
            raise ExportError("SimpleImputer dropped a column (all values missing); drop it before training")
        imputation = _finite(stats, "SimpleImputer.statistics_")
        marker = imputer.missing_values
        if isinstance(marker, float) and math.isnan(marker):
            nullable = True
        elif marker is None:
            nullable = True
        else:
            missing_values = [float(marker)]

    means = [0.0] * width
    scales = [1.0] * width
    if scaler is not None:
        if scaler.with_mean:
            means = _finite(scaler.mean_, "StandardScaler.mean_")
        if scaler.with_std:
            scales = _finite(scaler.scale_, "StandardScaler.scale_")

    if isinstance(estimator, LogisticRegression):
        classes = list(estimator.classes_)
        if len(classes) != 2:
            raise ExportError(f"LogisticRegression has {len(classes)} classes; only binary classification is supported")
        kind = "logistic_regression"
        labels = class_labels or [str(c) for c in classes]
        threshold = 0.5
        coefficients = _finite(estimator.coef_[0], "coef_")
        intercept = _finite(estimator.intercept_, "intercept_")[0]
    elif isinstance(estimator, LinearRegression):
        coef = np.asarray(estimator.coef_, dtype=float)
        if coef.ndim != 1:
            raise ExportError("LinearRegression with several targets is not supported")
        kind = "linear_regression"
        labels = threshold = None
        coefficients = _finite(coef, "coef_")
        intercept = _finite([estimator.intercept_], "intercept_")[0]
    else:
        raise ExportError(f"unsupported estimator {type(estimator).__name__}: LogisticRegression or LinearRegression")
    if len(coefficients) != width:
        raise ExportError(f"the estimator has {len(coefficients)} coefficients for {width} features")

    schema = schema or {}
    unknown = set(schema) - set(feature_names)
    if unknown:
        raise ExportError(f"schema names unknown features: {sorted(unknown)}")
    features = []
    distribution = []
    for j, feature in enumerate(feature_names):
        column = X[:, j]
        missing = np.isnan(column) | np.isin(column, missing_values)
        observed = column[~missing]
        spec = {
            "name": feature,
            "type": "integer" if observed.size and np.all(observed == np.round(observed)) else "number",
            "missing_values": missing_values,
            "nullable": nullable,
        }
        overrides = schema.get(feature, {})
        bad = set(overrides) - SCHEMA_KEYS
        if bad:
            raise ExportError(f"schema of {feature} has unknown keys {sorted(bad)}")
        spec.update(overrides)
        features.append(spec)
        distribution.append(_distribution(np.where(missing, imputation[j], column)))

    artifact = {
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "model_version": "",
        "features": features,
        "preprocessing": {"imputation": imputation, "means": means, "scales": scales},
        "coefficients": coefficients,
        "intercept": intercept,
        "training_distribution": distribution,
        "training": {"dataset": dataset or "<array>", "rows": int(X.shape[0]), "tool": "tools/export_sklearn.py",
                     "solver": type(estimator).__name__},
        "metrics": {k: float(v) for k, v in (metrics or {}).items()},
    }
    if dataset_sha256:
        artifact["training"]["dataset_sha256"] = dataset_sha256
    for key, value in (("name", name), ("description", description), ("target", target),
                       ("class_labels", labels), ("threshold", threshold)):
        if value is not None:
            artifact[key] = value
    # The version is a hash of what determines predictions, as `vigil train` does.
    digest = hashlib.sha256(json.dumps([imputation, means, scales, coefficients, intercept], sort_keys=True).encode())
    artifact["model_version"] = ("logreg-" if kind == "logistic_regression" else "linreg-") + digest.hexdigest()[:16]
    if out_path is None:
        return artifact
    with open(out_path, "w") as f:
        json.dump(artifact, f, indent=2, sort_keys=True)
        f.write("\n")
    return artifact


def _read_csv(path, target):
    with open(path, "rb") as f:
        raw = f.read()
    lines = raw.decode().splitlines()
    header = [c.strip() for c in lines[0].split(",")]
    if target not in header:
        raise ExportError(f"{path}:1: header has no column {target}")
    features = [c for c in header if c != target]
    rows = []
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = [c.strip() for c in line.split(",")]
        if len(cells) != len(header):
            raise ExportError(f"{path}:{n}: expected {len(header)} cells, got {len(cells)}")
        rows.append([float(cells[header.index(c)]) if cells[header.index(c)] else math.nan for c in features])
    return features, np.asarray(rows, dtype=float), hashlib.sha256(raw).hexdigest()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pipeline", required=True, help="fitted Pipeline saved with joblib.dump")
    parser.add_argument("--data", required=True, help="CSV of the training rows (header line; empty cell = missing)")
    parser.add_argument("--target", required=True, help="the target column of --data, left out of the features")
    parser.add_argument("--out", required=True, help="where to write the artifact")
    parser.add_argument("--schema", help="JSON object: feature name -> {minimum, maximum, description, ...}")
    parser.add_argument("--class-labels", help="comma-separated labels of classes 0 and 1")
    parser.add_argument("--name")
    args = parser.parse_args(argv)
    import joblib
    try:
        features, X, sha = _read_csv(args.data, args.target)
        schema = json.load(open(args.schema)) if args.schema else None
        labels = args.class_labels.split(",") if args.class_labels else None
        artifact = export(joblib.load(args.pipeline), X, features, args.out, schema=schema, class_labels=labels,
                          name=args.name, target=args.target, dataset=args.data, dataset_sha256=sha)
    except ExportError as error:
        print(f"export_sklearn: {error}", file=sys.stderr)
        return 1
    print(f"wrote {args.out}: {artifact['kind']} {artifact['model_version']} with {len(features)} features")
    return 0


if __name__ == "__main__":
    sys.exit(main())
