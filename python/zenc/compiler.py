"""Run the ``zenc`` binary on a snapshot: files in a directory, warnings and errors as data.

All compile logic is the binary's; this module only writes the snapshot JSON, calls
``zenc compile … --out-dir DIR`` and reports which files it wrote.
"""

import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, List, Mapping, Optional, Sequence

from zenc._binary import find_zenc_bin

#: Suffix of the main spec file per target (zenc names outputs ``<stem>.<suffix>``).
SPEC_SUFFIX = {
    "argo": "argo.yaml",
    "tekton": "tekton.yaml",
    "airflow": "airflow.py",
    "kubeflow": "kubeflow.yaml",
    "vertex": "vertex.yaml",
}

#: Options the caller of ``compile_file`` decides; an extra flag may not set them again.
RESERVED_FLAGS = ("-o", "--output", "--out-dir", "-t", "--target", "--check", "--server", "-q", "--quiet")


class ZencError(Exception):
    """zenc refused the input (exit 1) or the command line (exit 2).

    ``str(error)`` is zenc's own message (what is wrong, where, what would be right).
    """

    def __init__(self, message: str, exit_code: int, command: Sequence[str]):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.command = list(command)


@dataclass
class Compiled:
    """What one ``zenc compile`` wrote."""

    #: The main spec (``<stem>.<target suffix>``).
    spec: Path
    #: Every file written, the spec first (e.g. Kubeflow's recurring-run request body).
    files: List[Path]
    #: zenc's warnings, one string per warning (``warning[code]: …`` plus its location line).
    warnings: List[str] = field(default_factory=list)
    #: The command that produced them, to repeat by hand.
    command: List[str] = field(default_factory=list)


def split_warnings(stderr: str) -> List[str]:
    """zenc's stderr as one entry per warning (continuation lines kept with theirs)."""
    warnings: List[str] = []
    for line in stderr.splitlines():
        if line.startswith("warning[") or not warnings:
            warnings.append(line)
        else:
            warnings[-1] += "\n" + line
    return [w for w in warnings if w.strip()]


def check_flags(flags: Sequence[str]) -> None:
    """Reject extra flags that would fight the ones the caller sets."""
    for flag in flags:
        name = flag.split("=", 1)[0]
        if name in RESERVED_FLAGS:
            raise ValueError(f"extra zenc flag `{flag}` is set by zenc's ZenML integration itself; remove it")


def compile_file(
    snapshot: Path,
    target: str,
    out_dir: Path,
    flags: Sequence[str] = (),
    binary: Optional[str] = None,
) -> Compiled:
    """``zenc compile SNAPSHOT --target TARGET --out-dir OUT_DIR FLAGS…``.

    Raises:
        ZencError: zenc exited non-zero; nothing was written (zenc writes all or nothing).
        ValueError: an unknown target or a reserved flag.
    """
    if target not in SPEC_SUFFIX:
        raise ValueError(f"unknown zenc target `{target}`; expected one of {', '.join(SPEC_SUFFIX)}")
    check_flags(flags)
    command = [
        binary or find_zenc_bin(),
        "compile",
        str(snapshot),
        "--target",
        target,
        "--out-dir",
        str(out_dir),
        *flags,
    ]
    proc = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
    if proc.returncode != 0:
        message = proc.stderr.strip() or f"zenc exited with code {proc.returncode}"
        raise ZencError(message, proc.returncode, command)
    stem = snapshot.name[: -len(".json")] if snapshot.name.endswith(".json") else snapshot.stem
    spec = out_dir / f"{stem}.{SPEC_SUFFIX[target]}"
    if not spec.is_file():
        raise ZencError(f"zenc reported success but wrote no {spec}", 0, command)
    others = sorted(
        p for p in out_dir.iterdir() if p.name.startswith(f"{stem}.{target}.") and p != spec and p.is_file()
    )
    return Compiled(spec=spec, files=[spec, *others], warnings=split_warnings(proc.stderr), command=command)


def compile_snapshot(
    snapshot: Mapping[str, Any],
    stem: str,
    target: str,
    out_dir: Path,
    flags: Sequence[str] = (),
    binary: Optional[str] = None,
) -> Compiled:
    """Write ``snapshot`` (a ``PipelineSnapshotResponse`` as JSON data) to ``OUT_DIR/STEM.json``
    and compile it (see ``compile_file``)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{stem}.json"
    tmp = out_dir / f".{stem}.json.tmp"
    tmp.write_text(json.dumps(snapshot, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return compile_file(path, target, out_dir, flags, binary)
