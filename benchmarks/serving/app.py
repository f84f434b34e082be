"""The article's serving stack: a Flask app that loads a scikit-learn model with joblib and
answers KServe v1 requests ({"instances": [[...], ...]} -> {"predictions": [...]}).

Run under gunicorn (as a team would ship it) or the Flask development server (for reference).
MODEL_PATH names the joblib file.
"""

import os

import joblib
import numpy as np
from flask import Flask, jsonify, request

app = Flask(__name__)
model = joblib.load(os.environ["MODEL_PATH"])


@app.post("/v1/models/housing:predict")
def predict():
    instances = request.get_json(force=True)["instances"]
    rows = np.asarray(instances, dtype=np.float64)
    return jsonify({"predictions": model.predict(rows).tolist()})


@app.get("/v2/health/ready")
def ready():
    return "", 200


if __name__ == "__main__":
    # The Flask development server, threaded as `flask run` is by default.
    app.run(host="127.0.0.1", port=int(os.environ["PORT"]), threaded=True)
