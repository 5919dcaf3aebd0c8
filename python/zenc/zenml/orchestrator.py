"""The ``zenc`` orchestrator: dump the snapshot, compile it with the bundled binary, submit it."""

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Set, Tuple, Type, cast

from zenml.enums import StackComponentType
from zenml.logger import get_logger
from zenml.orchestrators import ContainerizedOrchestrator, SubmissionResult
from zenml.orchestrators.exceptions import PipelineSubmissionError
from zenml.stack import StackValidator

import zenc
from zenc import compiler
from zenc.zenml import submit
from zenc.zenml.flavor import ZENC_RUN_ID_ENV, ZencOrchestratorConfig, ZencOrchestratorSettings

if TYPE_CHECKING:
    from zenml.config.base_settings import BaseSettings
    from zenml.models import PipelineRunResponse, PipelineSnapshotResponse
    from zenml.stack import Stack

logger = get_logger(__name__)


class ZencSubmissionError(PipelineSubmissionError):
    """zenc could not compile the snapshot, or the spec could not be submitted.

    The message is zenc's own (or the submitting tool's), unchanged.
    """


def snapshot_json(snapshot: "PipelineSnapshotResponse") -> Dict[str, Any]:
    """The snapshot as the JSON zenc reads: ``model_dump(mode="json")`` with the nested stack,
    build and schedule hydrated, exactly what ``zenc fetch`` gets from the server."""
    if snapshot.metadata is None:
        snapshot = snapshot.get_hydrated_version()
    data = snapshot.model_dump(mode="json")
    resources = data.get("resources") or {}
    nested_models = snapshot.resources
    for key in ("stack", "build", "schedule"):
        nested = getattr(nested_models, key, None) if nested_models is not None else None
        if nested is not None:
            resources[key] = nested.get_hydrated_version().model_dump(mode="json")
    return data


def file_stem(snapshot: "PipelineSnapshotResponse") -> str:
    """``<pipeline name>-<snapshot id>`` with only file-name-safe characters."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", snapshot.pipeline_configuration.name).strip("._") or "pipeline"
    return f"{name}-{snapshot.id}"


class ZencOrchestrator(ContainerizedOrchestrator):
    """Compiles each snapshot with zenc for Argo, Tekton, Airflow or Kubeflow, and submits it.

    The steps then run under the engine with ZenML's own step entrypoint; every step container
    gets the engine's run id in ``ZENML_ZENC_RUN_ID`` (``get_orchestrator_run_id``).
    """

    @property
    def config(self) -> ZencOrchestratorConfig:
        return cast(ZencOrchestratorConfig, self._config)

    @property
    def settings_class(self) -> Optional[Type["BaseSettings"]]:
        return ZencOrchestratorSettings

    @property
    def requirements(self) -> Set[str]:
        """Step images need this package: each step container loads the flavor to read its run id."""
        requirements = set(super().requirements)
        if zenc.__version__ != "0+unknown":
            requirements.add(f"zenc=={zenc.__version__}")
        return requirements

    @property
    def validator(self) -> Optional[StackValidator]:
        """Images need a container registry; step pods cannot reach this machine's files."""

        def no_local_components(stack: "Stack") -> Tuple[bool, str]:
            if self.config.skip_local_validations:
                return True, ""
            for component in stack.all_components:
                if component.local_path is not None:
                    return False, (
                        f"the zenc orchestrator `{self.name}` runs steps on a remote engine, but the "
                        f"{component.type.value} `{component.name}` keeps its data on this machine, "
                        "where the step pods cannot reach it. Use remote components, or set "
                        f"`zenml orchestrator update {self.name} --skip_local_validations=True` "
                        "if the engine runs here."
                    )
            return True, ""

        return StackValidator(
            required_components={StackComponentType.CONTAINER_REGISTRY, StackComponentType.IMAGE_BUILDER},
            custom_validation_function=no_local_components,
        )

    def get_orchestrator_run_id(self) -> str:
        """The engine's run id, which zenc puts into ``ZENML_ZENC_RUN_ID`` of every step container
        (the same in all steps and retries of one engine run, new in the next run)."""
        try:
            return os.environ[ZENC_RUN_ID_ENV]
        except KeyError:
            raise RuntimeError(
                f"{ZENC_RUN_ID_ENV} is not set: a step of a `zenc`-flavor stack must be started by a "
                "spec that zenc compiled (it sets the engine's run id there)"
            ) from None

    def submit_pipeline(
        self,
        snapshot: "PipelineSnapshotResponse",
        stack: "Stack",
        base_environment: Dict[str, str],
        step_environments: Dict[str, Dict[str, str]],
        placeholder_run: Optional["PipelineRunResponse"] = None,
    ) -> Optional[SubmissionResult]:
        """Compile the snapshot with zenc and submit the spec (``submit`` in the config).

        The step environments are not used: zenc derives each step's environment from the
        snapshot itself (the same in every spec it compiles from this snapshot, however it got
        it), and takes server credentials by Secret reference, never a token.
        """
        return self._compile_and_submit(snapshot, base_environment)

    def submit_dynamic_pipeline(
        self,
        snapshot: "PipelineSnapshotResponse",
        stack: "Stack",
        environment: Dict[str, str],
        placeholder_run: Optional["PipelineRunResponse"] = None,
    ) -> Optional[SubmissionResult]:
        """As ``submit_pipeline``: zenc compiles a dynamic snapshot into its orchestration container."""
        return self._compile_and_submit(snapshot, environment)

    def zenc_flags(self, base_environment: Dict[str, str]) -> List[str]:
        """``zenc compile`` options from the config (target and output are added by the caller)."""
        cfg = self.config
        flags: List[str] = []
        url = cfg.zenml_url or base_environment.get("ZENML_STORE_URL")
        if url and url.startswith(("http://", "https://")):
            flags += ["--zenml-url", url]
        if cfg.zenml_secret:
            flags += ["--zenml-secret", cfg.zenml_secret]
        if cfg.timezone:
            flags += ["--timezone", cfg.timezone]
        if cfg.kind != "run":
            flags += ["--kind", cfg.kind]
        return flags + list(cfg.extra_flags)

    def output_dir(self) -> Path:
        """Where specs go: ``output_dir``, or ``<ZenML config dir>/zenc/<component id>``."""
        if self.config.output_dir:
            return Path(self.config.output_dir).expanduser()
        from zenml.utils import io_utils

        return Path(io_utils.get_global_config_directory()) / "zenc" / str(self.id)

    def _compile_and_submit(
        self, snapshot: "PipelineSnapshotResponse", base_environment: Dict[str, str]
    ) -> SubmissionResult:
        cfg = self.config
        try:
            compiled = compiler.compile_snapshot(
                snapshot_json(snapshot),
                file_stem(snapshot),
                cfg.target,
                self.output_dir(),
                self.zenc_flags(base_environment),
            )
        except compiler.ZencError as e:
            raise ZencSubmissionError(f"zenc could not compile snapshot {snapshot.id}:\n{e.message}") from None
        except (OSError, ValueError) as e:
            raise ZencSubmissionError(f"zenc could not compile snapshot {snapshot.id}: {e}") from None
        for warning in compiled.warnings:
            logger.warning("zenc: %s", warning)
        logger.info("zenc wrote %s", ", ".join(str(p) for p in compiled.files))
        metadata: Dict[str, Any] = {"zenc_target": cfg.target, "zenc_spec": str(compiled.spec)}
        try:
            outcome = submit.submit(cfg, compiled, snapshot)
        except submit.SubmitError as e:
            raise ZencSubmissionError(str(e)) from None
        logger.info("%s", outcome.summary)
        metadata.update(outcome.metadata)
        return SubmissionResult(metadata=metadata)
