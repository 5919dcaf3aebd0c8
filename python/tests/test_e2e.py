"""A spec the zenc flavor wrote runs end to end on the engine emulator of ../shared/e2e.

The harness pipeline (``zenc_e2e_pipeline``, diamond with hostile environment values) runs
on a `zenc`-flavor stack with submit `none`; its spec (also checked against `zenc fetch` +
`zenc compile` in test_zenml_server.py) then runs twice on the emulated engine: every step
runs ZenML's real entrypoint as a local process against the local server, and the harness
checks one completed ZenML run per engine run, recorded under the engine's run id (read by
`ZencOrchestrator.get_orchestrator_run_id` from ``ZENML_ZENC_RUN_ID``), with every
environment value intact. Argo and Airflow run always; ``pytest --e2e`` adds Tekton and Kubeflow.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import E2E_IMAGE, TARGETS, e2e_targets, requirement_missing, shared_dir
from test_zenml_server import refetch, run_result, written

pytestmark = pytest.mark.e2e

SUFFIX = {"argo": "argo.yaml", "tekton": "tekton.yaml", "airflow": "airflow.py", "kubeflow": "kubeflow.yaml"}


def manifest(server, runs, target: str, snapshot_file: Path) -> Path:
    """The harness manifest (what make_e2e_snapshot.py writes) for one zenc-flavor snapshot."""
    snap = json.loads(snapshot_file.read_text())
    steps = snap["metadata"]["step_configurations"]
    out = server.workdir / "out"
    shutil.copy(snapshot_file, out / snapshot_file.name)
    data = {
        "version": 1,
        "server_url": server.url,
        "workdir": str(server.workdir),
        "config_path": str(server.workdir / "config"),
        "repository_path": str(server.repo),
        "pythonpath": str(server.repo),
        "pipeline_module": "zenc_e2e_pipeline",
        "pipeline_name": snap["metadata"]["pipeline_configuration"]["name"],
        "project_id": runs["project_id"],
        "artifact_store_path": str(server.workdir / "artifacts"),
        "report_dir": str(server.workdir / "artifacts" / "zenc_e2e_reports"),
        "image": E2E_IMAGE,
        "steps": list(steps),
        "edges": {name: s["spec"]["upstream_steps"] for name, s in steps.items()},
        "snapshots": {
            "zenc": {
                "snapshot_id": snap["id"],
                "snapshot_file": snapshot_file.name,
                "stack_id": runs["stacks"][f"zenc_{target}"],
                "orchestrator_flavor": "zenc",
                "run_id_var": "ZENML_ZENC_RUN_ID",
                "expected_env": {
                    name: {k: str(v) for k, v in (s["config"]["environment"] or {}).items()}
                    for name, s in steps.items()
                },
                "upstream_steps": {name: s["spec"]["upstream_steps"] for name, s in steps.items()},
            }
        },
    }
    path = server.workdir / f"manifest-{target}.json"
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False))
    return path


@pytest.mark.parametrize("target", TARGETS)
def test_the_flavor_spec_runs_one_zenml_run_per_engine_run(server, runs, zenc_bin, target, request, tmp_path):
    if target not in e2e_targets(request.config):
        pytest.skip(f"opt-in: `pytest --e2e` also runs the {target} spec on the emulator")
    shared = shared_dir()
    if shared is None:
        requirement_missing("the engine emulator (../shared/e2e, or $ZENC_SHARED/e2e) is not there")
    # The server's HOME is a scratch directory: name the Airflow venv the harness defaults to.
    airflow_python = os.environ.get("ZENC_E2E_AIRFLOW_PYTHON") or str(
        Path(os.environ.get("CONFORMANCE_VENVS") or Path.home() / ".cache/zenc-conformance") / "airflow/bin/python"
    )
    if target == "airflow" and not Path(airflow_python).is_file():
        requirement_missing(f"no Airflow venv at {airflow_python} (../shared/conformance/setup installs it)")
    sid = run_result(runs, f"e2e_{target}")["snapshot_id"]
    files = written(server, target, sid)
    spec = next(p for n, p in files.items() if n.endswith(SUFFIX[target]))
    snapshot_file = next(p for n, p in files.items() if n.endswith(f"{sid}.json"))
    # The spec is what `zenc fetch` + `zenc compile` make of the snapshot on the server.
    refetch(server, zenc_bin, sid, snapshot_file.name[: -len(".json")], target, tmp_path)
    assert (tmp_path / spec.name).read_bytes() == spec.read_bytes()
    env = dict(server.env, ZENC_E2E_VENV=str(Path(sys.executable).parent.parent), ZENC_E2E_AIRFLOW_PYTHON=airflow_python)
    verdict_file = server.workdir / f"verdict-{target}.json"
    proc = subprocess.run(
        [sys.executable, str(shared / "e2e" / "run_spec.py"), target, str(spec),
         str(manifest(server, runs, target, snapshot_file)), "--runs", "2", "--output", str(verdict_file)],
        env=env, capture_output=True, text=True, timeout=900, check=False,
    )
    assert proc.returncode == 0, f"{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}"
    verdict = json.loads(verdict_file.read_text())
    assert verdict["ok"] and verdict["distinct_runs"]["ok"]
    for run in verdict["runs"]:
        # get_orchestrator_run_id of the zenc flavor recorded the engine's own run id.
        assert run["checks"]["orchestrator_run_id"]["matched"], run["checks"]["orchestrator_run_id"]
        assert run["checks"]["run_id_env"]["variable"] == "ZENML_ZENC_RUN_ID"
