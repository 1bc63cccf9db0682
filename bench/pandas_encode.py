"""What a Python user runs instead of SslRec's map step: pandas.read_csv + factorize per declared column
(multi-valued columns split on their separator and exploded first). Prints seconds and rows."""
import json
import sys
import time

import pandas as pd

data_dir, csv = sys.argv[1], sys.argv[2]
schema = json.load(open(f"{data_dir}/schema.json"))
features = schema["query"] + schema["item"]
start = time.perf_counter()
frame = pd.read_csv(csv, dtype=str, keep_default_na=False, usecols=lambda c: c not in set(schema.get("ignore", [])))
codes = {}
for f in features:
    if f["name"] not in frame.columns:
        continue
    column = frame[f["name"]]
    if f["type"] == "multi":
        column = column.str.split(f.get("separator", "|")).explode()
    codes[f["name"]] = pd.factorize(column)
seconds = time.perf_counter() - start
print(json.dumps({"implementation": "pandas", "rows": len(frame), "seconds": seconds, "rows_per_second": len(frame) / seconds,
                  "distinct": {k: len(v[1]) for k, v in codes.items()}}))
