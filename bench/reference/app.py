"""Reference implementation of the seed API: FastAPI + prometheus_client + scikit-learn.

Used only by bench/api.sh to measure Vigil against the stack it replaces. Same routes, the
same metric names and the same preprocessing (median imputation of zero-as-missing columns,
standard scaling, logistic regression).
"""
import os
import time

import numpy as np
import pandas as pd
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from pydantic import BaseModel, ConfigDict, Field
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

FEATURES = ["Pregnancies", "Glucose", "BloodPressure", "SkinThickness", "Insulin", "BMI",
            "DiabetesPedigreeFunction", "Age"]
ZERO_MISSING = ["Glucose", "BloodPressure", "SkinThickness", "Insulin", "BMI"]

REQUESTS = Counter("api_requests_total", "Total API requests", ["method", "endpoint", "status"])
DURATION = Histogram("api_request_duration_seconds", "API request duration in seconds", ["method", "endpoint"])
ACTIVE = Gauge("api_active_requests", "Number of requests being processed")
ERRORS = Counter("api_errors_total", "Total API errors", ["endpoint", "error_type"])
MODEL_LOADED = Gauge("model_loaded", "Whether the model is loaded (1) or not (0)")
INFERENCE = Histogram("model_inference_duration_seconds", "Model inference duration in seconds")
PREDICTIONS = Counter("predictions_total", "Total predictions by outcome", ["outcome"])


def train(path):
    frame = pd.read_csv(path)
    frame[ZERO_MISSING] = frame[ZERO_MISSING].replace(0, np.nan)
    pipeline = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler()),
                         ("model", LogisticRegression(C=1.0))])
    pipeline.fit(frame[FEATURES], frame["Outcome"])
    return pipeline


class PatientData(BaseModel):
    model_config = ConfigDict(extra="forbid")
    Pregnancies: int = Field(ge=0, le=20)
    Glucose: float = Field(ge=0, le=300)
    BloodPressure: float = Field(ge=0, le=200)
    SkinThickness: float = Field(ge=0, le=100)
    Insulin: float = Field(ge=0, le=1000)
    BMI: float = Field(ge=0, le=80)
    DiabetesPedigreeFunction: float = Field(ge=0, le=3)
    Age: int = Field(ge=1, le=120)


app = FastAPI(title="Diabetes Prediction API (reference)")
model = train(os.environ.get("DATA", "data/diabetes.csv"))
MODEL_LOADED.set(1)


@app.middleware("http")
async def instrument(request: Request, call_next):
    start = time.perf_counter()
    ACTIVE.inc()
    try:
        response = await call_next(request)
    finally:
        ACTIVE.dec()
    route = request.scope.get("route")
    endpoint = route.path if route is not None else "unmatched"
    REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
    DURATION.labels(request.method, endpoint).observe(time.perf_counter() - start)
    if response.status_code == 422:
        ERRORS.labels(endpoint, "validation_error").inc()
    return response


@app.post("/predict")
def predict(patient: PatientData):
    row = pd.DataFrame([[getattr(patient, name) for name in FEATURES]], columns=FEATURES)
    row[ZERO_MISSING] = row[ZERO_MISSING].replace(0, np.nan)
    start = time.perf_counter()
    probability = float(model.predict_proba(row)[0, 1])
    INFERENCE.observe(time.perf_counter() - start)
    prediction = int(probability >= 0.5)
    outcome = "diabetic" if prediction else "non_diabetic"
    PREDICTIONS.labels(outcome).inc()
    return {"prediction": prediction, "outcome": outcome, "probability": round(probability, 4)}


@app.get("/health")
def health():
    return {"status": "healthy", "model_loaded": True}


@app.get("/metrics")
def metrics():
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
