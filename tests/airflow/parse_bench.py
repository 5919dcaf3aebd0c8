"""How long Airflow takes to import zenc's DAG file, next to a hand-written KubernetesPodOperator
DAG of the same shape (same tasks, edges, image, command, arguments, environment, secret,
labels). Not run in CI: it takes minutes at 5,000 steps. Run it with the conformance
validator's Airflow venv and a release build:

    cargo build --release
    ~/.cache/zenc-conformance/airflow/bin/python tests/airflow/parse_bench.py 1000 5000 --rounds 5

For each size it writes a ZenML snapshot of layered steps (layers of ten; each step depends on
two steps of the layer before and one three layers up; every step a copy of `transform_left`
of fixtures/ok/diamond.json), compiles it with `target/release/zenc`, writes the hand-written
DAG, checks that Airflow reads the same tasks from both, then imports each file with Airflow's
`DagBag` (what the DAG processor does on every parse loop) in interleaved rounds after a
warm-up, and prints the medians of wall and CPU time."""
import argparse
import copy
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="zenc-airflow-bench-"))
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "ERROR")
import logging  # noqa: E402

logging.disable(logging.WARNING)
from airflow.dag_processing.dagbag import DagBag  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
URL, SECRET = "https://zenml.example.com", "zenml-api-key"


def name(i):
    return f"step_{i:06d}"


def upstream(i):
    layer, j = divmod(i, 10)
    if layer == 0:
        return []
    ups = {(layer - 1) * 10 + j, (layer - 1) * 10 + (j + 3) % 10}
    if layer >= 3:
        ups.add((layer - 3) * 10 + (j + 7) % 10)
    return sorted(ups)


def snapshot(n):
    d = json.load(open(os.path.join(ROOT, "fixtures/ok/diamond.json")))
    meta = d["metadata"]
    proto = meta["step_configurations"]["transform_left"]
    proto_spec = next(s for s in meta["pipeline_spec"]["steps"] if s["invocation_id"] == "transform_left")
    confs, specs = {}, []
    for i in range(n):
        ups = [name(u) for u in upstream(i)]
        inputs = {f"in{k}": {"step_name": u, "output_name": "output", "chunk_index": None, "chunk_size": None}
                  for k, u in enumerate(ups)}
        c = copy.deepcopy(proto)
        c["spec"].update(upstream_steps=ups, invocation_id=name(i), inputs=inputs)
        confs[name(i)] = c
        s = copy.deepcopy(proto_spec)
        s.update(upstream_steps=ups, invocation_id=name(i), inputs=inputs)
        specs.append(s)
    meta["step_configurations"] = confs
    meta["pipeline_spec"]["steps"] = specs
    meta["pipeline_configuration"]["name"] = f"layered_{n}"
    return d


def hand_written(n, snapshot_id, stack_id, project_id, image):
    """What a person writes: the environment once, one explicit operator per task, `a >> b`."""
    env = [("ZENML_STORE_URL", URL), ("ZENML_STORE_TYPE", "rest"), ("ZENML_ACTIVE_STACK_ID", stack_id),
           ("ZENML_ACTIVE_PROJECT_ID", project_id), ("DISABLE_CREDENTIALS_DISK_CACHING", "true"),
           ("ZENML_KUBERNETES_RUN_ID", "{{ run_id }}"), ("ZENML_ENABLE_REPO_INIT_WARNINGS", "False")]
    args = ["--entrypoint_config_source",
            "zenml.entrypoints.step_entrypoint_configuration.StepEntrypointConfiguration",
            "--snapshot_id", snapshot_id, "--step_name"]
    labels = {"app.kubernetes.io/managed-by": "zenc", "zenml.io/pipeline": f"layered_{n}",
              "zenml.io/snapshot-id": snapshot_id}
    out = [
        "from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator",
        "from airflow.providers.cncf.kubernetes.secret import Secret",
        "from airflow.sdk import DAG",
        "from kubernetes.client import models as k8s",
        "",
        "ENV = [",
        *[f"    k8s.V1EnvVar(name={json.dumps(k)}, value={json.dumps(v)})," for k, v in env],
        "]",
        f'SECRETS = [Secret("env", "ZENML_STORE_API_KEY", {json.dumps(SECRET)}, "api-key")]',
        f"ARGS = {json.dumps(args)}",
        f"LABELS = {json.dumps(labels)}",
        "",
        f'with DAG(dag_id="layered_{n}", schedule=None, catchup=False, tags=[]) as dag:',
    ]
    for i in range(n):
        s = name(i)
        out.append(
            f'    {s} = KubernetesPodOperator(task_id="{s}", name="{s.replace("_", "-")}", image={json.dumps(image)}, '
            f'cmds=["python", "-m", "zenml.entrypoints.entrypoint"], arguments=ARGS + ["{s}"], env_vars=ENV, '
            f'secrets=SECRETS, labels={{**LABELS, "zenml.io/step": "{s}"}}, '
            f'annotations={{"zenml.io/step-name": "{s}"}}, retries=0)')
    for i in range(n):
        out += [f"    {name(u)} >> {name(i)}" for u in upstream(i)]
    return "\n".join(out) + "\n"


def load(path):
    """Wall and CPU seconds of one import (CPU time is steadier on a busy machine), and the DAG."""
    t0, c0 = time.perf_counter(), time.process_time()
    bag = DagBag(dag_folder=path, safe_mode=True, load_op_links=False, bundle_path=None)
    elapsed = (time.perf_counter() - t0, time.process_time() - c0)
    assert not bag.import_errors, bag.import_errors
    (dag,) = bag.dags.values()
    return elapsed, dag


def tasks_of(dag):
    """What each task runs and waits for, environment as a map (the order does not matter)."""
    def env(t):
        e = t.env_vars
        return sorted(e.items()) if isinstance(e, dict) else sorted((v.name, v.value) for v in e)
    return {t.task_id: (t.image, t.cmds, t.arguments, env(t), [(s.deploy_target, s.secret, s.key) for s in t.secrets],
                        t.labels, t.annotations, t.retries, sorted(t.upstream_task_ids)) for t in dag.tasks}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("steps", nargs="*", type=int, default=[1000, 5000])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--zenc", default=os.path.join(ROOT, "target/release/zenc"))
    ap.add_argument("--before", help="another zenc binary (e.g. an older release) to time as well")
    opts = ap.parse_args()
    work = tempfile.mkdtemp(prefix="zenc-airflow-bench-")
    rows = []
    for n in opts.steps:
        snap = snapshot(n)
        src = os.path.join(work, f"layered_{n}.json")
        json.dump(snap, open(src, "w"))
        def compile_with(binary, out):
            subprocess.run([binary, "compile", src, "--target", "airflow", "--zenml-url", URL,
                            "--zenml-secret", SECRET, "-q", "-o", out], check=True)
            return out
        zenc = compile_with(opts.zenc, os.path.join(work, f"zenc_{n}.py"))
        image = snap["resources"]["build"]["metadata"]["images"]["orchestrator"]["image"]
        hand = os.path.join(work, f"hand_{n}.py")
        open(hand, "w").write(
            hand_written(n, snap["id"], snap["resources"]["stack"]["id"], snap["body"]["project_id"], image))
        files = [zenc, hand]
        if opts.before:
            files.append(compile_with(opts.before, os.path.join(work, f"before_{n}.py")))
        want = tasks_of(load(hand)[1])  # also the warm-up: imports, .pyc
        for f in files[:1] + files[2:]:
            assert tasks_of(load(f)[1]) == want, f"{n} steps: {f} and {hand} differ"
        times = {f: [] for f in files}
        for _ in range(opts.rounds):
            for f in random.sample(files, len(files)):
                times[f].append(load(f)[0])
        med = {f: [statistics.median(t[k] for t in ts) for k in (0, 1)] for f, ts in times.items()}
        rows.append((n, [(os.path.getsize(f), *med[f]) for f in files]))
        runs = "; ".join(f"{os.path.basename(f)}: " + ", ".join(f"{w:.2f}/{c:.2f}" for w, c in times[f]) for f in files)
        print(f"{n} steps, wall/CPU seconds per import: {runs}", file=sys.stderr, flush=True)
    head = ["zenc", "hand-written", "zenc --before"][:len(files)]
    print("| layered steps | " + " | ".join(f"{h}: file, import wall / CPU" for h in head)
          + " | zenc / hand-written, wall / CPU |")
    print("|---" * (len(head) + 2) + "|")
    for n, cols in rows:
        cells = " | ".join(f"{size / 1e6:.2f} MB, {w:.2f} s / {c:.2f} s" for size, w, c in cols)
        print(f"| {n:,} | {cells} | {cols[0][1] / cols[1][1]:.2f} / {cols[0][2] / cols[1][2]:.2f} |")


if __name__ == "__main__":
    main()
