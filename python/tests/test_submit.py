"""Submit modes against stand-in `kubectl`, `argo` and kfp client (no cluster), and Airflow's folder."""

import json
import os
import stat
import sys
import types
from pathlib import Path

import pytest

pytest.importorskip("yaml", reason="pyyaml comes with zenml")
pytest.importorskip("zenml", reason="the ZenML flavor tests need zenml (the e2e venv has it)")

from conftest import REPO  # noqa: E402
from zenc import compiler  # noqa: E402
from zenc.zenml import ZencOrchestratorConfig  # noqa: E402
from zenc.zenml import submit  # noqa: E402

FIXTURES = REPO / "fixtures" / "ok"
FLAGS = ["--zenml-url", "https://zenml.example.com", "--zenml-secret", "zenml-api-key"]


def compiled(zenc_bin, tmp_path, fixture, target, flags=()):
    snapshot = tmp_path / fixture
    snapshot.write_bytes((FIXTURES / fixture).read_bytes())
    return compiler.compile_file(snapshot, target, tmp_path / "out", [*FLAGS, *flags], binary=zenc_bin)


def snapshot(name="line_two_steps", sid="3183e814-e85b-4e82-b208-191a28a0078d"):
    return types.SimpleNamespace(id=sid, pipeline_configuration=types.SimpleNamespace(name=name))


@pytest.fixture
def tools(tmp_path, monkeypatch):
    """`kubectl` and `argo` on PATH that log argv and stdin, and answer like the real ones."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.jsonl"
    script = f"""#!{sys.executable}
import json, sys, yaml
name = sys.argv[0].rsplit("/", 1)[-1]
stdin = sys.stdin.read() if "-" in sys.argv[1:] else ""
with open({str(log)!r}, "a") as f:
    f.write(json.dumps({{"tool": name, "argv": sys.argv[1:], "stdin": stdin}}) + "\\n")
if name == "argo":
    print("Name:                line-two-steps-x7k2p")
    sys.exit(0)
verb = [a for a in sys.argv[1:] if a in ("apply", "create")][0]
for doc in yaml.safe_load_all(stdin):
    if doc:
        meta = doc["metadata"]
        print(doc["kind"].lower() + "/" + (meta.get("name") or meta["generateName"] + "abcde"), "created" if verb == "create" else "configured")
"""
    for tool in ("kubectl", "argo"):
        path = bin_dir / tool
        path.write_text(script)
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")

    def calls():
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    return calls


def test_kubectl_creates_generated_names(zenc_bin, tmp_path, tools):
    # A Tekton run is one self-contained PipelineRun with `generateName`: `kubectl create`.
    c = compiled(zenc_bin, tmp_path, "line_two_steps.json", "tekton")
    cfg = ZencOrchestratorConfig(target="tekton", submit="kubectl", kubernetes_context="prod")
    outcome = submit.submit(cfg, c, snapshot())
    (create,) = tools()
    assert create["argv"] == ["--context", "prod", "create", "-f", "-"]
    assert "kind: PipelineRun\n" in create["stdin"] and "kind: Pipeline\n" not in create["stdin"]
    # What kubectl got is zenc's text, not re-serialised.
    assert create["stdin"] in c.spec.read_text()
    assert outcome.metadata["zenc_objects"] == "pipelinerun/line-two-steps-abcde"


def test_kubectl_applies_fixed_names(zenc_bin, tmp_path, tools):
    # `--kind pipeline`: the Pipeline and the Task its alike steps share have fixed names, so
    # they are applied (created or updated), the Task first.
    c = compiled(zenc_bin, tmp_path, "line_two_steps.json", "tekton", ["--kind", "pipeline"])
    cfg = ZencOrchestratorConfig(target="tekton", submit="kubectl", kubernetes_context="prod")
    outcome = submit.submit(cfg, c, snapshot())
    (apply,) = tools()
    assert apply["argv"] == ["--context", "prod", "apply", "--server-side", "-f", "-"]
    assert "kind: Pipeline\n" in apply["stdin"] and "PipelineRun" not in apply["stdin"]
    assert apply["stdin"] in c.spec.read_text()
    task, pipeline = outcome.metadata["zenc_objects"].split(", ")
    assert task.startswith("task/zenml-") and pipeline == "pipeline/line-two-steps"


def test_argo_submits_a_workflow(zenc_bin, tmp_path, tools):
    c = compiled(zenc_bin, tmp_path, "line_two_steps.json", "argo", ["--namespace", "ml"])
    outcome = submit.submit(ZencOrchestratorConfig(target="argo", submit="argo"), c, snapshot())
    (call,) = tools()
    assert call["tool"] == "argo"
    assert call["argv"] == ["submit", "--namespace", "ml", str(c.spec)]
    assert outcome.metadata == {"zenc_workflow": "line-two-steps-x7k2p"}


def test_argo_applies_a_schedule(zenc_bin, tmp_path, tools):
    c = compiled(zenc_bin, tmp_path, "schedule_cron.json", "argo")
    submit.submit(ZencOrchestratorConfig(target="argo", submit="argo"), c, snapshot("schedule_pipeline"))
    (call,) = tools()
    assert call["tool"] == "kubectl" and call["argv"] == ["apply", "--server-side", "-f", "-"]
    assert "kind: CronWorkflow" in call["stdin"] and "WorkflowTemplate" in call["stdin"]


def test_a_failing_tool_is_a_submit_error_with_its_output(zenc_bin, tmp_path, tools):
    bad = tmp_path / "bin" / "kubectl"
    bad.write_text("#!/bin/sh\necho 'error: the server has asked for the client to provide credentials' >&2\nexit 1\n")
    c = compiled(zenc_bin, tmp_path, "line_two_steps.json", "argo")
    with pytest.raises(submit.SubmitError, match="provide credentials"):
        submit.submit(ZencOrchestratorConfig(target="argo", submit="kubectl"), c, snapshot())


def test_a_missing_tool_is_a_submit_error(zenc_bin, tmp_path, monkeypatch):
    c = compiled(zenc_bin, tmp_path, "line_two_steps.json", "argo")
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    with pytest.raises(submit.SubmitError, match="`argo` is not on PATH"):
        submit.submit(ZencOrchestratorConfig(target="argo", submit="argo"), c, snapshot())


def test_airflow_replaces_the_pipelines_dag_file(zenc_bin, tmp_path):
    dags = tmp_path / "dags"
    cfg = ZencOrchestratorConfig(target="airflow", submit="airflow", airflow_dags_dir=str(dags))
    first = compiled(zenc_bin, tmp_path, "line_two_steps.json", "airflow")
    submit.submit(cfg, first, snapshot())
    assert sorted(p.name for p in dags.iterdir()) == ["zenc_line_two_steps.py"]
    assert (dags / "zenc_line_two_steps.py").read_bytes() == first.spec.read_bytes()
    second = compiled(zenc_bin, tmp_path, "line_two_steps.json", "airflow", ["--airflow-version", "2"])
    outcome = submit.submit(cfg, second, snapshot())
    assert sorted(p.name for p in dags.iterdir()) == ["zenc_line_two_steps.py"]
    assert "from airflow import DAG" in (dags / "zenc_line_two_steps.py").read_text()
    assert outcome.metadata == {"zenc_dag_file": str(dags / "zenc_line_two_steps.py")}


class FakeKfp:
    """Records what the kfp client is asked to do."""

    calls = []

    class Client:
        def __init__(self, **kwargs):
            FakeKfp.calls.append(("Client", kwargs))

        def create_run_from_pipeline_package(self, **kwargs):
            FakeKfp.calls.append(("run", kwargs))
            return types.SimpleNamespace(run_id="run-1")

        def create_experiment(self, **kwargs):
            FakeKfp.calls.append(("experiment", kwargs))
            return types.SimpleNamespace(experiment_id="exp-1")

        def create_recurring_run(self, **kwargs):
            FakeKfp.calls.append(("recurring", kwargs))
            return types.SimpleNamespace(recurring_run_id="rr-1")


@pytest.fixture
def kfp(monkeypatch):
    FakeKfp.calls = []
    monkeypatch.setitem(sys.modules, "kfp", FakeKfp)
    return FakeKfp


def test_kfp_creates_a_run_without_caching(zenc_bin, tmp_path, kfp):
    c = compiled(zenc_bin, tmp_path, "line_two_steps.json", "kubeflow")
    cfg = ZencOrchestratorConfig(target="kubeflow", submit="kfp", kfp_host="http://kfp:8888", kfp_experiment="ml")
    outcome = submit.submit(cfg, c, snapshot())
    (_, client), (_, run) = kfp.calls
    assert client == {"host": "http://kfp:8888", "namespace": "kubeflow"}
    assert run["pipeline_file"] == str(c.spec) and run["experiment_name"] == "ml"
    assert run["enable_caching"] is False and run["run_name"] == "line_two_steps-3183e814"
    assert outcome.metadata == {"zenc_kfp_run_id": "run-1"}


def test_kfp_creates_the_recurring_run_zenc_describes(zenc_bin, tmp_path, kfp):
    c = compiled(zenc_bin, tmp_path, "schedule_cron.json", "kubeflow")
    cfg = ZencOrchestratorConfig(target="kubeflow", submit="kfp")
    submit.submit(cfg, c, snapshot("schedule_pipeline", "90e47b69-ba55-432e-a309-2e5fc98bd2d6"))
    recurring = dict(kfp.calls)["recurring"]
    assert recurring == {
        "experiment_id": "exp-1",
        "job_name": "nightly-weekdays",
        "pipeline_package_path": str(c.spec),
        "enable_caching": False,
        "cron_expression": "0 0 2 * * 1-5",
        "interval_second": None,
        "start_time": "2030-01-01T00:00:00Z",
        "end_time": "2031-01-01T00:00:00Z",
        "no_catchup": False,
        "enabled": True,
        "description": "ZenML pipeline `schedule_pipeline`, snapshot 90e47b69-ba55-432e-a309-2e5fc98bd2d6",
        "max_concurrency": 1,
    }
    assert dict(kfp.calls)["experiment"] == {"name": "schedule_pipeline", "namespace": None}


def test_none_says_how_to_submit_by_hand(zenc_bin, tmp_path):
    argo = compiled(zenc_bin, tmp_path, "line_two_steps.json", "argo")
    hint = submit.submit(ZencOrchestratorConfig(target="argo"), argo, snapshot()).summary
    assert hint == f"zenc: spec written to {argo.spec}; submit it with `kubectl create -f {argo.spec}` or `argo submit {argo.spec}`"
    cron = compiled(zenc_bin, tmp_path, "schedule_cron.json", "argo")
    assert f"`kubectl apply --server-side -f {cron.spec}`" in submit.submit(ZencOrchestratorConfig(target="argo"), cron, snapshot()).summary
    kf = compiled(zenc_bin, tmp_path, "schedule_cron.json", "kubeflow")
    assert "recurring-run.json (plus `experiment_id`)" in submit.submit(
        ZencOrchestratorConfig(target="kubeflow"), kf, snapshot()
    ).summary
    vx = compiled(zenc_bin, tmp_path, "line_two_steps.json", "vertex")
    assert f'template_path="{vx.spec}"' in submit.submit(ZencOrchestratorConfig(target="vertex"), vx, snapshot()).summary
    vx_cron = compiled(zenc_bin, tmp_path, "schedule_cron.json", "vertex")
    assert "vertex.schedule.json (plus `createPipelineJobRequest.parent`" in submit.submit(
        ZencOrchestratorConfig(target="vertex"), vx_cron, snapshot()
    ).summary


def test_vertex_is_written_only(zenc_bin):
    for mode in ("kubectl", "argo", "kfp"):
        with pytest.raises(ValueError, match="cannot deploy the `vertex` target"):
            ZencOrchestratorConfig(target="vertex", submit=mode)
