"""The flavor's config and settings, and the orchestrator's zenc command line (no server)."""

import re
import uuid
from datetime import datetime

import pytest

pytest.importorskip("zenml", reason="the ZenML flavor tests need zenml (the e2e venv has it)")

from zenml.enums import StackComponentType  # noqa: E402

from conftest import REPO  # noqa: E402
from zenc.zenml import ZENC_RUN_ID_ENV, ZencOrchestratorConfig, ZencOrchestratorFlavor, ZencOrchestratorSettings  # noqa: E402


def orchestrator(**config):
    flavor = ZencOrchestratorFlavor()
    return flavor.implementation_class(
        name="zenc",
        id=uuid.uuid4(),
        config=ZencOrchestratorConfig(**config),
        flavor=flavor.name,
        type=StackComponentType.ORCHESTRATOR,
        user=None,
        created=datetime.now(),
        updated=datetime.now(),
    )


def test_every_setting_is_one_zenc_reads():
    """zenc warns `setting-ignored` for orchestrator settings it does not know: keep the
    flavor's settings a subset of zenc's `OrchestratorSettings`."""
    source = (REPO / "src" / "snapshot" / "settings.rs").read_text()
    body = source.split("pub struct OrchestratorSettings {", 1)[1].split("\n}", 1)[0]
    known = set(re.findall(r"pub (\w+):", body)) - {"extra"}
    assert set(ZencOrchestratorSettings.model_fields) <= known, set(ZencOrchestratorSettings.model_fields) - known


def test_the_flavor_owns_retries_and_skips_client_side_caching():
    cfg = ZencOrchestratorConfig()
    assert cfg.handles_step_retries and cfg.is_schedulable
    assert not cfg.supports_client_side_caching and not cfg.is_synchronous
    assert ZencOrchestratorFlavor().name == "zenc"


@pytest.mark.parametrize(
    "config, message",
    [
        ({"target": "airflow", "submit": "kubectl"}, "submit `kubectl` cannot deploy the `airflow` target"),
        ({"target": "tekton", "submit": "argo"}, "submit `argo` cannot deploy the `tekton` target"),
        ({"target": "argo", "submit": "kfp"}, "submit `kfp` cannot deploy the `argo` target"),
        ({"target": "airflow", "submit": "airflow"}, "set it"),
        ({"extra_flags": ["--out-dir", "x"]}, "set by zenc's ZenML integration"),
        ({"target": "spark"}, "target"),
        ({"submit": "helm"}, "submit"),
    ],
)
def test_bad_configs_are_refused(config, message):
    with pytest.raises(ValueError, match=message):
        ZencOrchestratorConfig(**config)


def test_run_id_comes_from_the_variable_zenc_sets(monkeypatch):
    o = orchestrator()
    monkeypatch.setenv(ZENC_RUN_ID_ENV, "wf-uid-1")
    assert o.get_orchestrator_run_id() == "wf-uid-1"
    monkeypatch.delenv(ZENC_RUN_ID_ENV)
    with pytest.raises(RuntimeError, match="ZENML_ZENC_RUN_ID is not set"):
        o.get_orchestrator_run_id()


def test_zenc_flags_from_config_and_client():
    o = orchestrator(zenml_secret="zk:key", timezone="Europe/Paris", kind="template", extra_flags=["--airflow-version", "2"])
    assert o.zenc_flags({"ZENML_STORE_URL": "https://zenml.example.com"}) == [
        "--zenml-url", "https://zenml.example.com", "--zenml-secret", "zk:key", "--timezone", "Europe/Paris",
        "--kind", "template", "--airflow-version", "2",
    ]
    # A SQL store is no URL for steps; an explicit zenml_url wins.
    assert orchestrator().zenc_flags({"ZENML_STORE_URL": "sqlite:///x.db"}) == []
    assert orchestrator(zenml_url="https://in-cluster:8080").zenc_flags({"ZENML_STORE_URL": "http://127.0.0.1:8237"}) == [
        "--zenml-url", "https://in-cluster:8080"
    ]


def test_step_images_get_the_package():
    import zenc

    assert f"zenc=={zenc.__version__}" in orchestrator().requirements
