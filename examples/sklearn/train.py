"""Train the housing model with scikit-learn: the example of a command stage.

Reads data/train.csv and data/test.csv (pandas), fits LinearRegression with the options in
params.json, writes metrics.json (r2, rmse, mae on the test rows) and saves the model with
joblib as model.joblib. modelgate runs it in an isolated checkout of the commit being judged.
"""

import json
import math

import joblib
import pandas as pd
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

TARGET = "price"

with open("params.json") as file:
    params = json.load(file)

train = pd.read_csv("data/train.csv")
test = pd.read_csv("data/test.csv")
features = [column for column in train.columns if column != TARGET]

model = LinearRegression(fit_intercept=params.get("fit_intercept", True))
model.fit(train[features], train[TARGET])
predicted = model.predict(test[features])

metrics = {
    "r2": r2_score(test[TARGET], predicted),
    "rmse": math.sqrt(mean_squared_error(test[TARGET], predicted)),
    "mae": mean_absolute_error(test[TARGET], predicted),
}
with open("metrics.json", "w") as file:
    json.dump(metrics, file, indent=2)
joblib.dump(model, "model.joblib")
print(f"trained on {len(train)} rows, tested on {len(test)}: "
      + ", ".join(f"{name} {value:.4f}" for name, value in metrics.items()))
