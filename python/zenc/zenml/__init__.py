"""The ``zenc`` ZenML orchestrator flavor: ZenML compiles a snapshot, zenc compiles it for an engine.

Register it once per ZenML server::

    zenml orchestrator flavor register zenc.zenml.ZencOrchestratorFlavor

This module imports only the flavor, its config and its settings (cheap, no engine clients);
the orchestrator itself is loaded when a stack uses it.
"""

from zenc.zenml.flavor import (
    ZENC_ORCHESTRATOR_FLAVOR,
    ZENC_RUN_ID_ENV,
    ZencOrchestratorConfig,
    ZencOrchestratorFlavor,
    ZencOrchestratorSettings,
)

__all__ = [
    "ZENC_ORCHESTRATOR_FLAVOR",
    "ZENC_RUN_ID_ENV",
    "ZencOrchestratorConfig",
    "ZencOrchestratorFlavor",
    "ZencOrchestratorSettings",
]
