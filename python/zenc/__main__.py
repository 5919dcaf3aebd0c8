"""``python -m zenc …`` runs the bundled binary."""

import os
import subprocess
import sys

from zenc._binary import find_zenc_bin


def main() -> int:
    binary = find_zenc_bin()
    if sys.platform == "win32":
        return subprocess.call([binary, *sys.argv[1:]])
    os.execv(binary, [binary, *sys.argv[1:]])
    return 0  # not reached: execv replaces the process


if __name__ == "__main__":
    sys.exit(main())
