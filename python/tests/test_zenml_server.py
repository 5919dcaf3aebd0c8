"""The zenc flavor in a real ZenML 0.98 client and server (local, 127.0.0.1).

Pipelines run on `zenc`-flavor stacks with submit mode `none`; the spec each run writes must
equal, byte for byte, what `zenc fetch` + `zenc compile` make of the same snapshot read back
from the server: the flavor adds nothing of its own to the compile.
"""

import json
import subprocess
from pathlib import Path
from typing import Dict, List

import pytest
import yaml

from conftest import TARGETS, TIMEZONE, Server, zenc_flags

pytestmark = pytest.mark.server

SUFFIX = {"argo": "argo.yaml", "tekton": "tekton.yaml", "airflow": "airflow.py", "kubeflow": "kubeflow.yaml"}
RUNS = {t: t for t in TARGETS} | {"argo_cron": "argo", "kubeflow_cron": "kubeflow", "dynamic": "argo"}


def written(server: Server, target: str, snapshot_id: str) -> Dict[str, Path]:
    """Files the orchestrator wrote for a snapshot, by name."""
    out = server.workdir / "specs" / target
    return {p.name: p for p in out.iterdir() if snapshot_id in p.name}


def refetch(server: Server, zenc_bin: str, snapshot_id: str, stem: str, target: str, out: Path) -> subprocess.CompletedProcess:
    """`zenc fetch` the snapshot into OUT/STEM.json and compile it with the flavor's flags."""
    out.mkdir(parents=True, exist_ok=True)
    snap = out / f"{stem}.json"
    env = {k: v for k, v in server.env.items() if k not in ("ZENML_STORE_API_KEY", "ZENML_STORE_API_TOKEN")}
    subprocess.run([zenc_bin, "fetch", snapshot_id, "--server", server.url, "-o", str(snap)], env=env, check=True)
    return subprocess.run(
        [zenc_bin, "compile", str(snap), "-t", target, "--out-dir", str(out), *zenc_flags(server)],
        env=env, capture_output=True, text=True, check=True,
    )


def without_run_metadata(path: Path) -> Dict:
    data = json.loads(path.read_text())
    schedule = data["resources"].get("schedule")
    if schedule and schedule.get("metadata"):
        schedule["metadata"].pop("run_metadata", None)
    return data


def run_result(runs: Dict, name: str) -> Dict:
    result = runs["runs"][name]
    assert "error" not in result, f"{name}: {result.get('error', {}).get('traceback')}\n{runs['log'][-3000:]}"
    assert result["snapshot_id"], f"{name}: no new snapshot"
    return result


@pytest.mark.parametrize("name", sorted(RUNS))
def test_spec_equals_compile_of_the_fetched_snapshot(server, runs, zenc_bin, tmp_path, name):
    target = RUNS[name]
    sid = run_result(runs, name)["snapshot_id"]
    files = written(server, target, sid)
    snapshot_file = next(p for n, p in files.items() if n.endswith(f"{sid}.json"))
    stem = snapshot_file.name[: -len(".json")]
    assert f"{stem}.{SUFFIX[target]}" in files, sorted(files)
    refetch(server, zenc_bin, sid, stem, target, tmp_path)
    again = {p.name: p for p in tmp_path.iterdir()}
    assert sorted(again) == sorted(files)
    for file_name, path in files.items():
        if file_name.endswith(f"{sid}.json"):
            # The flavor's dump and the server's answer are the same snapshot, key for key,
            # except what the submission itself published afterwards on the schedule.
            assert without_run_metadata(path) == without_run_metadata(again[file_name])
        else:
            assert path.read_bytes() == again[file_name].read_bytes(), file_name


def argo_docs(server: Server, runs: Dict, name: str) -> List[Dict]:
    sid = run_result(runs, name)["snapshot_id"]
    spec = next(p for n, p in written(server, "argo", sid).items() if n.endswith(".argo.yaml"))
    return [d for d in yaml.safe_load_all(spec.read_text()) if d]


def templates(doc: Dict) -> Dict[str, Dict]:
    spec = doc["spec"].get("workflowSpec", doc["spec"])
    return {t["name"]: t for t in spec["templates"]}


def step_template(doc: Dict, task: str) -> Dict:
    """The container template a DAG task runs: steps that differ only in name share one."""
    t = templates(doc)
    for dag in (x["dag"] for x in t.values() if "dag" in x):
        for entry in dag["tasks"]:
            if entry["name"] == task:
                return t[entry["template"]]
    raise KeyError(task)


def env_of(template: Dict) -> Dict[str, object]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in template["container"]["env"]}


def test_zenc_flavor_settings_reach_the_spec(server, runs, zenc_bin, tmp_path):
    (workflow,) = argo_docs(server, runs, "argo")
    assert workflow["kind"] == "Workflow"
    assert workflow["spec"]["parallelism"] == 2
    assert workflow["spec"]["ttlStrategy"]["secondsAfterCompletion"] == 3600
    train = step_template(workflow, "train-a")
    # The zenc flavor: run id in its own variable, retries by the engine (2 + margin 1).
    assert env_of(train)["ZENML_ZENC_RUN_ID"] == "{{workflow.uid}}"
    assert train["retryStrategy"]["limit"] == 3
    assert train["nodeSelector"] == {"pool": "gpu"}
    assert train["activeDeadlineSeconds"] == 600
    assert train["serviceAccountName"] == "zenml-steps"
    assert train["metadata"]["labels"]["team"] == "ml"
    assert train["container"]["resources"]["limits"]["cpu"] == "2"
    assert env_of(train)["ZENML_STORE_URL"] == server.url
    assert env_of(train)["ZENML_STORE_API_KEY"] == {"secretKeyRef": {"name": "zenml-api-key", "key": "api-key"}}
    assert "retryStrategy" not in step_template(workflow, "load")
    # Every setting of ZencOrchestratorSettings is one zenc reads: nothing is ignored.
    sid = run_result(runs, "argo")["snapshot_id"]
    stem = next(n for n in written(server, "argo", sid) if n.endswith(".json"))[: -len(".json")]
    compiled = refetch(server, zenc_bin, sid, stem, "argo", tmp_path)
    assert "setting-ignored" not in compiled.stderr, compiled.stderr


def test_a_schedule_goes_through(server, runs):
    docs = argo_docs(server, runs, "argo_cron")
    kinds = [d["kind"] for d in docs]
    assert kinds == ["WorkflowTemplate", "CronWorkflow"]
    cron = docs[1]["spec"]
    assert cron["schedules"] == ["30 2 * * 1-5"]
    assert cron["timezone"] == TIMEZONE
    assert cron["concurrencyPolicy"] == "Forbid"
    sid = run_result(runs, "kubeflow_cron")["snapshot_id"]
    recurring = [p for n, p in written(server, "kubeflow", sid).items() if n.endswith(".recurring-run.json")]
    assert len(recurring) == 1
    body = json.loads(recurring[0].read_text())
    assert body["trigger"]["cron_schedule"]["cron"] == "0 30 2 * * 1-5"


def test_a_dynamic_pipeline_is_one_orchestration_container(server, runs):
    (workflow,) = argo_docs(server, runs, "dynamic")
    steps = [t for name, t in templates(workflow).items() if "container" in t]
    assert len(steps) == 1
    args = steps[0]["container"]["args"]
    assert "zenml.pipelines.dynamic.entrypoint_configuration.DynamicPipelineEntrypointConfiguration" in args
    assert env_of(steps[0])["ZENML_ZENC_RUN_ID"] == "{{workflow.uid}}"


def test_a_zenc_error_is_a_zenml_submission_error_with_zencs_message(server, runs):
    error = runs["runs"]["broken"].get("error")
    assert error, "the broken stack must fail the run"
    assert "PipelineSubmissionError" in error["mro"], error["type"]
    assert "zenc could not compile snapshot" in error["message"]
    assert "error: invalid service-account `Not_A_Kubernetes_Name`" in error["message"] or (
        "Not_A_Kubernetes_Name" in error["message"] and "error:" in error["message"]
    ), error["message"]
    # Nothing was written for it.
    sid = runs["runs"]["broken"]["snapshot_id"]
    assert sid and not any((server.workdir / "specs" / "argo").glob(f"*{sid}.argo.yaml"))


def test_a_bad_orchestrator_config_is_refused_at_registration(server):
    with pytest.raises(subprocess.CalledProcessError) as info:
        server.zenml("orchestrator", "register", "bad", "--flavor=zenc", "--target=airflow", "--submit=kubectl")
    output = " ".join((info.value.stdout + info.value.stderr).split())
    assert "submit `kubectl` cannot deploy the `airflow` target" in output, output
