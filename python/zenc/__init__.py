"""zenc: compile ZenML pipeline snapshots into Argo, Tekton, Airflow and Kubeflow specs.

The compiler is the ``zenc`` binary this package ships (``find_zenc_bin``); ``zenc.compiler``
runs it, and ``zenc.zenml`` is the ZenML orchestrator flavor built on it. No compile logic
lives in Python: it only serialises snapshots, calls the binary and submits its output.
"""

from importlib.metadata import PackageNotFoundError, version

from zenc._binary import find_zenc_bin

try:
    __version__ = version("zenc")
except PackageNotFoundError:  # a source checkout on PYTHONPATH, not installed
    __version__ = "0+unknown"

__all__ = ["__version__", "find_zenc_bin"]
