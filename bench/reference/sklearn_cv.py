"""scikit-learn's own scores with the same preprocessing: stratified 5-fold CV and an 80/20 hold-out."""
import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_validate, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from app import FEATURES, ZERO_MISSING

frame = pd.read_csv("data/diabetes.csv")
frame[ZERO_MISSING] = frame[ZERO_MISSING].replace(0, np.nan)
X, y = frame[FEATURES], frame["Outcome"]


def pipeline():
    return Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler()),
                     ("model", LogisticRegression(C=1.0))])


accuracies, aucs = [], []
for seed in range(10):
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    scores = cross_validate(pipeline(), X, y, cv=folds, scoring=["accuracy", "roc_auc"])
    accuracies.append(scores["test_accuracy"].mean())
    aucs.append(scores["test_roc_auc"].mean())
print(f"sklearn 5-fold CV over 10 shuffles: accuracy {np.mean(accuracies):.4f} (range {min(accuracies):.4f}-{max(accuracies):.4f}), "
      f"ROC AUC {np.mean(aucs):.4f} (range {min(aucs):.4f}-{max(aucs):.4f})")
