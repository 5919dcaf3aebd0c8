"""Where the ``zenc`` binary of this installation is (the wheel installs it as a script)."""

import os
import sys
import sysconfig
from pathlib import Path

#: Overrides the search, e.g. for a binary built with ``cargo build``.
BINARY_ENV = "ZENC_BINARY"


def find_zenc_bin() -> str:
    """Path of the ``zenc`` executable installed with this package.

    Looks where pip puts a wheel's scripts (the environment's scripts directory, the user
    scheme's, or ``bin/`` beside the package for ``pip install --target``), the way ruff finds
    its binary. ``$ZENC_BINARY`` wins. A ``zenc`` elsewhere on ``PATH`` is not used: it may be
    another version than this package.

    Raises:
        FileNotFoundError: no binary was found.
    """
    override = os.environ.get(BINARY_ENV)
    if override:
        if not os.path.isfile(override):
            raise FileNotFoundError(f"{BINARY_ENV}={override}: no such file")
        return override
    exe = "zenc" + (sysconfig.get_config_var("EXE") or "")
    candidates = [Path(sysconfig.get_path("scripts")) / exe]
    user_scheme = {"nt": "nt_user", "posix": "posix_user"}.get(os.name)
    if sys.platform == "darwin" and getattr(sys, "_framework", None):
        user_scheme = "osx_framework_user"
    if user_scheme and user_scheme in sysconfig.get_scheme_names():
        candidates.append(Path(sysconfig.get_path("scripts", scheme=user_scheme)) / exe)
    candidates.append(Path(__file__).resolve().parent.parent / "bin" / exe)
    for path in candidates:
        if path.is_file():
            return str(path)
    searched = ", ".join(str(p) for p in candidates)
    raise FileNotFoundError(
        f"the zenc binary of this installation was not found (looked at {searched}); "
        f"reinstall with `pip install zenc`, or set {BINARY_ENV} to a zenc executable"
    )
