"""Time Airflow's DagBag import of a DAG file (what the DAG processor does on every parse
loop), best of N runs, in the conformance validator's Airflow venv:
    ~/.cache/zenc-conformance/airflow/bin/python tests/airflow/parse_time.py FILE [N]"""
import os
import sys
import tempfile
import time

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="zenc-airflow-time-"))
import logging  # noqa: E402

logging.disable(logging.WARNING)
from airflow.dag_processing.dagbag import DagBag  # noqa: E402

path, runs = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 5
times = []
for _ in range(runs):
    t0 = time.perf_counter()
    bag = DagBag(dag_folder=path, safe_mode=True, load_op_links=False, bundle_path=None)
    times.append(time.perf_counter() - t0)
    assert not bag.import_errors, bag.import_errors
(dag,) = bag.dags.values()
print(f"{len(dag.tasks)} tasks: DagBag import best {min(times):.2f} s, median {sorted(times)[len(times) // 2]:.2f} s over {runs} runs")
