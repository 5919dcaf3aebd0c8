"""Shared fixtures: the zenc binary, and one local ZenML server per test session.

The server tests need the real ZenML package (``pip install "zenml[local,server]==0.98.0"``;
``.ci/run`` uses the e2e venv of ``../shared/e2e/setup``) and this package installed (the
wheel, so the ``zenc`` binary sits where ``pip`` puts it). Without them these tests are
skipped with the reason shown; ``ZENC_REQUIRE_ZENML=1`` (set by ``.ci/run``) turns such a skip
into a failure, so CI cannot pass by skipping.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
TARGETS = ["argo", "tekton", "airflow", "kubeflow"]
#: Targets whose spec runs on the engine emulator in every run (CI); the rest need `--e2e`.
CI_E2E_TARGETS = ["argo", "airflow"]
#: What the flavor's orchestrators pass to zenc besides the server URL (tests compile the
#: fetched snapshot with the same flags).
SECRET = "zenml-api-key"
TIMEZONE = "Europe/Paris"
#: The image of the e2e harness pipeline (never pulled: the emulator runs steps as processes).
E2E_IMAGE = "registry.example.com/team/zenml-app:1.0.0"


def pytest_addoption(parser):
    parser.addoption("--e2e", action="store_true", help="run every target's spec on the engine emulator (slow)")


def e2e_targets(config) -> List[str]:
    return TARGETS if config.getoption("--e2e") else CI_E2E_TARGETS


def requirement_missing(reason: str):
    """Skip, or fail when CI demands the requirement."""
    if os.environ.get("ZENC_REQUIRE_ZENML") == "1":
        pytest.fail(f"{reason} (ZENC_REQUIRE_ZENML=1)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def zenc_bin() -> str:
    try:
        import zenc
    except ImportError:
        requirement_missing("the zenc package is not installed (build and install the wheel: see README)")
    try:
        return zenc.find_zenc_bin()
    except FileNotFoundError as e:
        requirement_missing(str(e))


def shared_dir() -> Optional[Path]:
    """``../shared`` beside the repository, or ``$ZENC_SHARED``."""
    candidate = Path(os.environ.get("ZENC_SHARED") or REPO.parent / "shared")
    return candidate if (candidate / "e2e" / "run_spec.py").is_file() else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    workdir: Path
    env: Dict[str, str]

    @property
    def repo(self) -> Path:
        return self.workdir / "repo"

    def zenml(self, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
        zenml_bin = Path(sys.executable).parent / "zenml"
        return subprocess.run(
            [str(zenml_bin), *args], cwd=self.repo, env=self.env, timeout=timeout,
            capture_output=True, text=True, check=True,
        )

    def python(self, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, *args], cwd=self.repo, env=self.env, timeout=timeout,
            capture_output=True, text=True, check=False,
        )


def clean_env(workdir: Path) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZENML_")}
    env.update(
        {
            "HOME": str(workdir / "home"),
            "ZENML_CONFIG_PATH": str(workdir / "config"),
            "ZENML_REPOSITORY_PATH": str(workdir / "repo"),
            "ZENML_ANALYTICS_OPT_IN": "false",
            "ZENML_LOGGING_VERBOSITY": "INFO",
            "ZENML_ENABLE_RICH_TRACEBACK": "false",
            "ZENML_LOGGING_COLORS_DISABLED": "true",
            "ZENML_DISABLE_INTERACTIVE_INPUT": "true",
        }
    )
    env.pop("KUBECONFIG", None)
    return env


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/health", timeout=3) as r:
            return r.status == 200
    except Exception:  # noqa: BLE001
        return False


@pytest.fixture(scope="session")
def server(tmp_path_factory, zenc_bin) -> Server:
    """A local ZenML server (``zenml login --local``, NO_AUTH) with the zenc flavor registered
    by the documented command; stopped (by its recorded PID) after the session."""
    try:
        import zenml  # noqa: F401
    except ImportError:
        requirement_missing("zenml is not installed in this Python (use the e2e venv: ../shared/e2e/setup)")
    workdir = tmp_path_factory.mktemp("zenml")
    for d in ("repo", "home", "config", "out", "artifacts", "specs"):
        (workdir / d).mkdir()
    for module in (HERE / "zenml_project").glob("*.py"):
        shutil.copy(module, workdir / "repo" / module.name)
    shared = shared_dir()
    if shared:
        # The harness pipeline predates the zenc flavor: teach its step reports our run-id variable.
        source = (shared / "e2e" / "zenc_e2e_pipeline.py").read_text(encoding="utf-8")
        source += (
            "\n\n# Added by zenc's tests: the `zenc` orchestrator flavor reads its run id here.\n"
            'RUN_ID_VARS.append("ZENML_ZENC_RUN_ID")\nFLAVOR_RUN_ID_VAR["zenc"] = "ZENML_ZENC_RUN_ID"\n'
        )
        (workdir / "repo" / "zenc_e2e_pipeline.py").write_text(source, encoding="utf-8")
    port = free_port()
    srv = Server(url=f"http://127.0.0.1:{port}", workdir=workdir, env=clean_env(workdir))
    srv.zenml("init")
    srv.zenml("login", "--local", "--port", str(port))
    if not healthy(srv.url):
        pytest.fail(f"the local ZenML server does not answer at {srv.url}")
    # The README's commands, as written there.
    srv.zenml("orchestrator", "flavor", "register", "zenc.zenml.ZencOrchestratorFlavor")
    srv.zenml(
        "orchestrator", "register", "argo", "--flavor=zenc", "--target=argo", "--kubernetes_namespace=ml",
        "--zenml_secret=zenml-api-key", "--submit=kubectl", """--extra_flags=["--airflow-version", "2"]""",
    )
    yield srv
    pid_file = workdir / "config" / "zen_server" / "daemon" / "service.pid"
    pid = int(pid_file.read_text().strip()) if pid_file.is_file() else None
    try:
        srv.zenml("logout", "--local", timeout=120)
    except subprocess.SubprocessError:
        pass
    if pid:
        for _ in range(20):
            try:
                os.kill(pid, 0)
            except OSError:
                break
            time.sleep(0.5)
        else:
            os.kill(pid, signal.SIGTERM)


def orchestrator_config(server: Server, target: str, **extra) -> Dict:
    return {
        "target": target,
        "zenml_secret": SECRET,
        "timezone": TIMEZONE,
        "output_dir": str(server.workdir / "specs" / target),
        "skip_local_validations": True,
        **extra,
    }


def zenc_flags(server: Server) -> List[str]:
    """The flags the orchestrators above pass to zenc."""
    return ["--zenml-url", server.url, "--zenml-secret", SECRET, "--timezone", TIMEZONE]


@pytest.fixture(scope="session")
def runs(server: Server, request) -> Dict:
    """Every pipeline run of the session, made by one driver process (ZenML import once)."""
    stacks = {f"zenc_{t}": {"orchestrator": orchestrator_config(server, t)} for t in TARGETS}
    stacks["zenc_broken"] = {
        "orchestrator": orchestrator_config(server, "argo", extra_flags=["--service-account", "Not_A_Kubernetes_Name"])
    }
    flavor = "zenc_flavor_pipeline.zenc_flavor_pipeline"
    plan_runs = [{"name": t, "stack": f"zenc_{t}", "pipeline": flavor} for t in TARGETS]
    plan_runs += [
        {"name": "argo_cron", "stack": "zenc_argo", "pipeline": flavor, "cron": "30 2 * * 1-5"},
        {"name": "kubeflow_cron", "stack": "zenc_kubeflow", "pipeline": flavor, "cron": "30 2 * * 1-5"},
        {"name": "dynamic", "stack": "zenc_argo", "pipeline": "zenc_flavor_pipeline.zenc_dynamic_pipeline"},
        {"name": "broken", "stack": "zenc_broken", "pipeline": flavor},
    ]
    if shared_dir():
        plan_runs += [
            {"name": f"e2e_{t}", "stack": f"zenc_{t}", "pipeline": "zenc_e2e_pipeline.zenc_e2e_diamond",
             "e2e_environment": True, "docker_image": E2E_IMAGE, "delete_placeholder": True}
            for t in e2e_targets(request.config)
        ]
    plan = {"stacks": stacks, "artifact_path": str(server.workdir / "artifacts"), "runs": plan_runs}
    plan_file = server.workdir / "plan.json"
    result_file = server.workdir / "result.json"
    plan_file.write_text(json.dumps(plan, indent=2))
    proc = server.python(str(server.repo / "zenml_driver.py"), str(plan_file), str(result_file))
    if proc.returncode != 0:
        pytest.fail(f"the ZenML driver failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-8000:]}")
    result = json.loads(result_file.read_text())
    result["log"] = proc.stdout + proc.stderr
    return result
