"""Per-row inference time of the scikit-learn pipeline, as the reference API calls it."""
import sys
import time

import numpy as np
import pandas as pd

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from app import FEATURES, ZERO_MISSING, model  # noqa: E402

row = pd.DataFrame([[6, 148, 72, 35, 0, 33.6, 0.627, 50]], columns=FEATURES)
row[ZERO_MISSING] = row[ZERO_MISSING].replace(0, np.nan)
for _ in range(200):
    model.predict_proba(row)
n = 2000
start = time.perf_counter()
for _ in range(n):
    model.predict_proba(row)
per_row = (time.perf_counter() - start) / n
print(f"sklearn_inference_seconds {per_row:.9f}")
