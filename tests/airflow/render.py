"""Render every KubernetesPodOperator of the DAG files given as arguments the way an Airflow
worker does before it starts the pod (Jinja over the operator's template_fields with the DAG's
template environment), then build the pod. Prints JSON: {file: {task_id: {image, cmds, args,
env}}}. Run with the conformance validator's Airflow venv: nothing is scheduled or contacted."""
import json
import os
import sys
import tempfile

RUN_ID = sys.argv[1]
home = tempfile.mkdtemp(prefix="zenc-airflow-render-")
os.environ.setdefault("AIRFLOW_HOME", home)
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
kubeconfig = os.path.join(home, "kubeconfig")
with open(kubeconfig, "w") as fh:
    fh.write("apiVersion: v1\nkind: Config\ncurrent-context: z\n"
             "clusters: [{name: z, cluster: {server: 'https://127.0.0.1:9'}}]\n"
             "contexts: [{name: z, context: {cluster: z, user: z, namespace: default}}]\n"
             "users: [{name: z, user: {token: x}}]\n")
os.environ["KUBECONFIG"] = kubeconfig
real_out = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)

import logging  # noqa: E402

logging.disable(logging.WARNING)
from airflow.dag_processing.dagbag import DagBag  # noqa: E402
from kubernetes.client import ApiClient  # noqa: E402

result = {}
for path in sys.argv[2:]:
    bag = DagBag(dag_folder=path, safe_mode=True, load_op_links=False, bundle_path=None)
    assert not bag.import_errors, bag.import_errors
    (dag,) = bag.dags.values()
    env = dag.get_template_env()
    tasks = {}
    for task in dag.tasks:
        task.render_template_fields({"run_id": RUN_ID}, jinja_env=env)
        pod = ApiClient().sanitize_for_serialization(task.build_pod_request_obj())
        c = pod["spec"]["containers"][0]
        tasks[task.task_id] = {
            "image": c["image"],
            "cmds": c.get("command", []),
            "args": c.get("args", []),
            "env": c.get("env", []),
            "labels": pod["metadata"].get("labels", {}),
            "annotations": pod["metadata"].get("annotations", {}),
        }
    result[os.path.basename(path)] = tasks
real_out.write(json.dumps(result))
real_out.flush()
