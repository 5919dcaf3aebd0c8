"""Deploy a compiled spec: ``kubectl``, ``argo``, an Airflow dags folder, or the KFP API.

Nothing here changes a spec: files are passed to each tool as zenc wrote them (split into
documents only where ``kubectl`` needs two verbs), and KFP's recurring run is read from the
request body zenc wrote.
"""

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

import yaml

from zenc.compiler import Compiled

if TYPE_CHECKING:
    from zenml.models import PipelineSnapshotResponse

    from zenc.zenml.flavor import ZencOrchestratorConfig


class SubmitError(Exception):
    """A submitting tool failed; the message carries its own output."""


@dataclass
class Outcome:
    """What was submitted: a line for the log and metadata for the ZenML run."""

    summary: str
    metadata: Dict[str, Any] = field(default_factory=dict)


@dataclass
class Document:
    """One YAML document of a spec, as zenc wrote it."""

    text: str
    kind: str
    name: str
    generate_name: bool
    namespace: Optional[str]


def documents(text: str) -> List[Document]:
    """Split a multi-document YAML spec without re-serialising it."""
    docs = []
    for chunk in re.split(r"(?m)^---[ \t]*$\n?", text):
        data = yaml.safe_load(chunk)
        if not isinstance(data, dict):
            continue
        meta = data.get("metadata") or {}
        docs.append(
            Document(
                text=chunk if chunk.endswith("\n") else chunk + "\n",
                kind=str(data.get("kind", "")),
                name=str(meta.get("name") or meta.get("generateName") or ""),
                generate_name="generateName" in meta and "name" not in meta,
                namespace=meta.get("namespace"),
            )
        )
    return docs


def _run(command: Sequence[str], what: str, stdin: Optional[str] = None) -> str:
    tool = shutil.which(command[0])
    if tool is None:
        raise SubmitError(f"`{command[0]}` is not on PATH: install it, or use submit `none` and {what} by hand")
    proc = subprocess.run(
        [tool, *command[1:]],
        input=stdin,
        capture_output=True,
        text=True,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        check=False,
    )
    if proc.returncode != 0:
        output = (proc.stderr.strip() or proc.stdout.strip() or "(no output)")
        raise SubmitError(f"`{' '.join(command)}` failed (exit {proc.returncode}):\n{output}")
    return proc.stdout


def manual_hint(cfg: "ZencOrchestratorConfig", compiled: Compiled) -> str:
    """How to submit by hand what was written (the log line of submit `none`)."""
    spec = compiled.spec
    if cfg.target in ("argo", "tekton"):
        docs = documents(spec.read_text(encoding="utf-8"))
        verb = "create" if any(d.generate_name for d in docs) else "apply --server-side"
        how = f"`kubectl {verb} -f {spec}`"
        if cfg.target == "argo" and verb == "create":
            how += f" or `argo submit {spec}`"
    elif cfg.target == "airflow":
        how = f"copy {spec} into Airflow's dags folder"
    elif cfg.target == "vertex":
        schedule = [p for p in compiled.files[1:] if p.name.endswith(".vertex.schedule.json")]
        how = (
            f"`aiplatform.PipelineJob(display_name=…, template_path=\"{spec}\", pipeline_root=\"gs://…\", "
            "enable_caching=False).submit(service_account=…)`"
        )
        if schedule:
            how = f"POST {schedule[0]} (plus `createPipelineJobRequest.parent` and the pipeline root) to the Vertex AI API's …/schedules"
    else:
        recurring = [p for p in compiled.files[1:] if p.name.endswith(".recurring-run.json")]
        how = f"`kfp run create --experiment-name <EXPERIMENT> --package-file {spec}`"
        if recurring:
            how = f"POST {recurring[0]} (plus `experiment_id`) to the KFP API's /apis/v2beta1/recurringruns"
    return f"zenc: spec written to {spec}; submit it with {how}"


def _context(cfg: "ZencOrchestratorConfig") -> List[str]:
    return ["--context", cfg.kubernetes_context] if cfg.kubernetes_context else []


def _created(stdout: str) -> List[str]:
    """`workflow.argoproj.io/train-x7k2p created` → `workflow.argoproj.io/train-x7k2p`."""
    return [line.split()[0] for line in stdout.splitlines() if line.strip()]


def kubectl(cfg: "ZencOrchestratorConfig", spec: Path) -> Outcome:
    """``kubectl apply --server-side`` the objects with a fixed name, then ``kubectl create`` the
    ones with a ``generateName`` (``apply`` refuses those; ``create`` refuses to update the
    former). Server-side: a client-side apply keeps a copy of the object in an annotation, which
    Kubernetes caps at 256 KiB — less than a large pipeline's Pipeline or WorkflowTemplate."""
    docs = documents(spec.read_text(encoding="utf-8"))
    fixed = [d for d in docs if not d.generate_name]
    generated = [d for d in docs if d.generate_name]
    objects: List[str] = []
    for verb, group in ((["apply", "--server-side"], fixed), (["create"], generated)):
        if group:
            stdout = _run(
                ["kubectl", *_context(cfg), *verb, "-f", "-"],
                f"`kubectl {' '.join(verb)} -f {spec}`",
                stdin="---\n".join(d.text for d in group),
            )
            objects += _created(stdout)
    return Outcome(f"zenc: kubectl submitted {', '.join(objects) or spec}", {"zenc_objects": ", ".join(objects)})


def argo(cfg: "ZencOrchestratorConfig", spec: Path) -> Outcome:
    """``argo submit`` a Workflow; templates and schedules go through ``kubectl apply``."""
    docs = documents(spec.read_text(encoding="utf-8"))
    if not docs or any(not (d.generate_name and d.kind == "Workflow") for d in docs):
        return kubectl(cfg, spec)
    namespace = ["--namespace", docs[0].namespace] if docs[0].namespace else []
    stdout = _run(["argo", "submit", *_context(cfg), *namespace, str(spec)], f"`argo submit {spec}`")
    name = next((line.split(":", 1)[1].strip() for line in stdout.splitlines() if line.startswith("Name:")), "")
    return Outcome(f"zenc: argo submitted workflow {name or spec}", {"zenc_workflow": name})


def airflow_dag_file(snapshot: "PipelineSnapshotResponse") -> str:
    """One file per pipeline: a new snapshot replaces the DAG of the previous one (same dag_id)."""
    name = re.sub(r"[^A-Za-z0-9_]+", "_", snapshot.pipeline_configuration.name).strip("_") or "pipeline"
    return f"zenc_{name}.py"


def airflow(cfg: "ZencOrchestratorConfig", spec: Path, snapshot: "PipelineSnapshotResponse") -> Outcome:
    """Copy the DAG file into the dags folder atomically (Airflow never parses half a file)."""
    assert cfg.airflow_dags_dir, "the config validator requires it"
    dags = Path(cfg.airflow_dags_dir).expanduser()
    target = dags / airflow_dag_file(snapshot)
    try:
        dags.mkdir(parents=True, exist_ok=True)
        tmp = dags / f".{target.name}.tmp"
        shutil.copyfile(spec, tmp)
        os.replace(tmp, target)
    except OSError as e:
        raise SubmitError(f"cannot copy the DAG file into {dags}: {e}") from None
    return Outcome(
        f"zenc: DAG file copied to {target} (Airflow picks it up at its next parse; unscheduled DAGs run when triggered)",
        {"zenc_dag_file": str(target)},
    )


def _kfp_recurring(body: Dict[str, Any]) -> Tuple[Dict[str, Any], str]:
    """kfp ``create_recurring_run`` arguments from zenc's ``RecurringRun`` request body."""
    trigger = body.get("trigger") or {}
    cron = trigger.get("cron_schedule")
    periodic = trigger.get("periodic_schedule")
    window = cron or periodic or {}
    args: Dict[str, Any] = {
        "cron_expression": cron.get("cron") if cron else None,
        "interval_second": int(periodic["interval_second"]) if periodic else None,
        "start_time": window.get("start_time"),
        "end_time": window.get("end_time"),
        "no_catchup": body.get("no_catchup"),
        "enabled": body.get("mode", "ENABLE") == "ENABLE",
        "description": body.get("description"),
    }
    if "max_concurrency" in body:
        args["max_concurrency"] = int(body["max_concurrency"])
    if body.get("service_account"):
        args["service_account"] = body["service_account"]
    return args, str(body.get("display_name") or "zenml-pipeline")


def kfp(cfg: "ZencOrchestratorConfig", compiled: Compiled, snapshot: "PipelineSnapshotResponse") -> Outcome:
    """Create a run (or, with a schedule, a recurring run) on Kubeflow Pipelines, caching off."""
    try:
        import kfp as kfp_sdk
    except ImportError:
        raise SubmitError("submit `kfp` needs the kfp package: `pip install kfp`") from None
    pipeline = snapshot.pipeline_configuration.name
    experiment = cfg.kfp_experiment or pipeline
    recurring = [p for p in compiled.files[1:] if p.name.endswith(".recurring-run.json")]
    try:
        client = kfp_sdk.Client(host=cfg.kfp_host, namespace=cfg.kfp_namespace or "kubeflow")
        if recurring:
            body = json.loads(recurring[0].read_text(encoding="utf-8"))
            args, job_name = _kfp_recurring(body)
            exp = client.create_experiment(name=experiment, namespace=cfg.kfp_namespace)
            job = client.create_recurring_run(
                experiment_id=exp.experiment_id,
                job_name=job_name,
                pipeline_package_path=str(compiled.spec),
                enable_caching=False,
                **args,
            )
            rid = getattr(job, "recurring_run_id", "")
            return Outcome(f"zenc: KFP recurring run {rid} created", {"zenc_kfp_recurring_run_id": str(rid)})
        result = client.create_run_from_pipeline_package(
            pipeline_file=str(compiled.spec),
            arguments={},
            run_name=f"{pipeline}-{str(snapshot.id)[:8]}",
            experiment_name=experiment,
            namespace=cfg.kfp_namespace,
            enable_caching=False,
        )
    except SubmitError:
        raise
    except Exception as e:  # the kfp client raises its API's exceptions, and ValueError
        raise SubmitError(f"Kubeflow Pipelines refused the run: {e}") from None
    return Outcome(f"zenc: KFP run {result.run_id} created", {"zenc_kfp_run_id": str(result.run_id)})


def submit(cfg: "ZencOrchestratorConfig", compiled: Compiled, snapshot: "PipelineSnapshotResponse") -> Outcome:
    """Deploy ``compiled`` as ``cfg.submit`` says."""
    if cfg.submit == "kubectl":
        return kubectl(cfg, compiled.spec)
    if cfg.submit == "argo":
        return argo(cfg, compiled.spec)
    if cfg.submit == "airflow":
        return airflow(cfg, compiled.spec, snapshot)
    if cfg.submit == "kfp":
        return kfp(cfg, compiled, snapshot)
    return Outcome(manual_hint(cfg, compiled))
