"""Flavor, config and settings of the ``zenc`` orchestrator (no heavy imports here)."""

from typing import TYPE_CHECKING, List, Literal, Optional, Type

from pydantic import NonNegativeInt, PositiveInt, model_validator
from zenml.config.base_settings import BaseSettings
from zenml.integrations.kubernetes.pod_settings import KubernetesPodSettings
from zenml.orchestrators import BaseOrchestratorConfig, BaseOrchestratorFlavor

if TYPE_CHECKING:
    from zenc.zenml.orchestrator import ZencOrchestrator

#: The flavor name; zenc reads it from the snapshot's stack to pick the run-id variable.
ZENC_ORCHESTRATOR_FLAVOR = "zenc"
#: The variable zenc sets in every step container of a `zenc`-flavor stack to the engine's
#: run id (Argo `workflow.uid`, Tekton PipelineRun uid, Airflow `run_id`, KFP run id, Vertex AI
#: PipelineJob id).
ZENC_RUN_ID_ENV = "ZENML_ZENC_RUN_ID"

Target = Literal["argo", "tekton", "airflow", "kubeflow", "vertex"]
SubmitMode = Literal["none", "kubectl", "argo", "airflow", "kfp"]


class ZencOrchestratorSettings(BaseSettings):
    """Per-pipeline and per-step settings (``settings={"orchestrator": ZencOrchestratorSettings(…)}``).

    Names and meaning are those of ZenML's Kubernetes orchestrator settings: ZenML stores them
    in the snapshot and zenc compiles them into each engine's fields (see zenc's README for
    which engine carries what). Resources come from ZenML's ``ResourceSettings``; retries from
    the step's ``retry`` config (the engine retries: this flavor has ``handles_step_retries``).
    """

    #: Kubernetes pod settings of the step pods (node selectors, tolerations, volumes, env…).
    pod_settings: Optional[KubernetesPodSettings] = None
    #: Service account of the step pods (and of the run, where the engine has one).
    service_account_name: Optional[str] = None
    #: Service account of the step pods only; wins over ``service_account_name`` for steps.
    step_pod_service_account_name: Optional[str] = None
    #: Run the step containers privileged.
    privileged: bool = False
    #: Namespace of the emitted objects.
    kubernetes_namespace: Optional[str] = None
    #: At most this many steps at once.
    max_parallelism: Optional[PositiveInt] = None
    #: Step deadline in seconds.
    active_deadline_seconds: Optional[NonNegativeInt] = None
    #: Delete finished runs after this many seconds (engines that can).
    ttl_seconds_after_finished: Optional[NonNegativeInt] = None
    #: Extra engine-level retries on top of ``retry.max_retries`` (pods that never started).
    backoff_limit_margin: NonNegativeInt = 0
    #: Seconds a stopped step pod gets to shut down.
    pod_stop_grace_period: Optional[PositiveInt] = None
    #: Scheduled runs: ``Allow``, ``Forbid`` or ``Replace`` overlapping runs.
    concurrency_policy: Optional[Literal["Allow", "Forbid", "Replace"]] = None
    #: Scheduled runs: how late (seconds) a missed run may still start.
    starting_deadline_seconds: Optional[NonNegativeInt] = None
    #: Scheduled runs: finished runs kept.
    successful_jobs_history_limit: Optional[NonNegativeInt] = None
    failed_jobs_history_limit: Optional[NonNegativeInt] = None


class ZencOrchestratorConfig(BaseOrchestratorConfig, ZencOrchestratorSettings):
    """Configuration of a ``zenc`` orchestrator component (``zenml orchestrator register … --flavor zenc``).

    The settings fields above are defaults that pipelines and steps can override; the fields
    below choose the engine and how the compiled spec is deployed.
    """

    #: Engine to compile for (`vertex`: submit `none` only; submit the spec with
    #: google-cloud-aiplatform, see zenc's README).
    target: Target = "argo"
    #: ``run`` (one run per pipeline call) or ``template`` (Argo WorkflowTemplate / Tekton
    #: Pipeline with a fixed name, to start later).
    kind: Literal["run", "template"] = "run"
    #: ZenML server URL the steps report to (default: the server this client is connected to).
    zenml_url: Optional[str] = None
    #: Kubernetes Secret ``NAME[:KEY]`` holding a ZenML service-account API key for the steps
    #: (KEY defaults to ``api-key``); the key itself never enters a spec.
    zenml_secret: Optional[str] = None
    #: IANA time zone of cron schedules (ZenML stores none), e.g. ``Europe/Paris``.
    timezone: Optional[str] = None
    #: Where the snapshot JSON and the compiled specs go (default: a folder per orchestrator
    #: in ZenML's global config directory, logged at every run).
    output_dir: Optional[str] = None
    #: More ``zenc compile`` options, e.g. ``["--airflow-version", "2"]``.
    extra_flags: List[str] = []
    #: What to do with the spec: ``none`` (write it only), ``kubectl`` (apply/create it with
    #: ``kubernetes_context``), ``argo`` (``argo submit``), ``airflow`` (copy the DAG file into
    #: ``airflow_dags_dir``), ``kfp`` (create a run / recurring run on ``kfp_host``).
    submit: SubmitMode = "none"
    #: kubeconfig context for ``kubectl``/``argo`` (default: the current context).
    kubernetes_context: Optional[str] = None
    #: Airflow's dags folder (``submit: airflow``).
    airflow_dags_dir: Optional[str] = None
    #: Kubeflow Pipelines API endpoint (``submit: kfp``; default: what the kfp client finds).
    kfp_host: Optional[str] = None
    #: Kubeflow profile namespace of the runs (multi-user Kubeflow).
    kfp_namespace: Optional[str] = None
    #: KFP experiment (default: the pipeline name).
    kfp_experiment: Optional[str] = None
    #: Accept stack components that keep data on this machine (local artifact store): for
    #: tests, or engines that run on this machine.
    skip_local_validations: bool = False

    @model_validator(mode="after")
    def _check_submit(self) -> "ZencOrchestratorConfig":
        allowed = {
            "kubectl": ("argo", "tekton"),
            "argo": ("argo",),
            "airflow": ("airflow",),
            "kfp": ("kubeflow",),
        }.get(self.submit)
        if allowed and self.target not in allowed:
            raise ValueError(
                f"submit `{self.submit}` cannot deploy the `{self.target}` target; "
                f"it deploys {' or '.join(allowed)} specs (use submit `none` to only write the spec)"
            )
        if self.submit == "airflow" and not self.airflow_dags_dir:
            raise ValueError("submit `airflow` copies the DAG file into `airflow_dags_dir`: set it")
        from zenc.compiler import check_flags

        check_flags(self.extra_flags)
        return self

    @property
    def is_synchronous(self) -> bool:
        """The engine runs the pipeline; the client does not wait for it."""
        return False

    @property
    def is_schedulable(self) -> bool:
        """zenc compiles ZenML schedules into the engine's (CronWorkflow, CronJob, DAG schedule, recurring run, Vertex AI schedule body)."""
        return True

    @property
    def supports_client_side_caching(self) -> bool:
        """No: a compiled spec runs every step pod, each step checks ZenML's cache itself.

        Pruning cached steps at submission would bake one run's cache state into a spec that
        runs many times.
        """
        return False

    @property
    def handles_step_retries(self) -> bool:
        """The engine owns the step pods, so it retries them (zenc emits engine retries)."""
        return True


class ZencOrchestratorFlavor(BaseOrchestratorFlavor):
    """The ``zenc`` orchestrator flavor."""

    @property
    def name(self) -> str:
        return ZENC_ORCHESTRATOR_FLAVOR

    @property
    def display_name(self) -> str:
        return "zenc (Argo, Tekton, Airflow, Kubeflow, Vertex AI)"

    @property
    def docs_url(self) -> Optional[str]:
        return None

    @property
    def sdk_docs_url(self) -> Optional[str]:
        return None

    @property
    def logo_url(self) -> Optional[str]:
        return None

    @property
    def config_class(self) -> Type[ZencOrchestratorConfig]:
        return ZencOrchestratorConfig

    @property
    def implementation_class(self) -> Type["ZencOrchestrator"]:
        from zenc.zenml.orchestrator import ZencOrchestrator

        return ZencOrchestrator
