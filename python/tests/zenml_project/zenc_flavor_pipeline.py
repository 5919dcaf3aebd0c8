"""Pipelines the ZenML-server tests run on `zenc`-flavor stacks (copied into the test repo).

They exercise what the flavor hands to zenc: ZencOrchestratorSettings at pipeline and step
level, ResourceSettings, a step retry (the engine retries for this flavor), environment
values with engine syntax in them, and a dynamic pipeline.
"""

from zenml import pipeline, step
from zenml.config import DockerSettings, ResourceSettings, StepRetryConfig

from zenc.zenml import ZencOrchestratorSettings

IMAGE = "registry.example.com/team/zenml-app:1.0.0"
DOCKER = DockerSettings(skip_build=True, parent_image=IMAGE)


@step
def load() -> int:
    return 20


@step(
    retry=StepRetryConfig(max_retries=2, delay=5, backoff=2),
    settings={
        "resources": ResourceSettings(cpu_count=2, memory="1GiB"),
        "orchestrator": ZencOrchestratorSettings(
            pod_settings={
                "node_selectors": {"pool": "gpu"},
                "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
            },
            active_deadline_seconds=600,
            backoff_limit_margin=1,
        ),
    },
)
def train(x: int) -> int:
    return x + 1


@step
def report(a: int, b: int) -> None:
    print(a, b)


@pipeline(
    enable_cache=False,
    settings={
        "docker": DOCKER,
        "orchestrator": ZencOrchestratorSettings(
            service_account_name="zenml-steps",
            max_parallelism=2,
            ttl_seconds_after_finished=3600,
            pod_settings={"labels": {"team": "ml"}, "annotations": {"owner": "ml-platform"}},
            concurrency_policy="Forbid",
        ),
    },
    environment={"LOG_LEVEL": "info", "TEMPLATE_LIKE": "{{ x }} $(y) {{workflow.name}}"},
)
def zenc_flavor_pipeline() -> None:
    x = load()
    a = train(x, id="train_a")
    b = train(x, id="train_b")
    report(a, b)


@pipeline(dynamic=True, enable_cache=False, settings={"docker": DOCKER})
def zenc_dynamic_pipeline() -> None:
    x = load()
    train(x)
