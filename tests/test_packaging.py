"""Installing the project: `make build` on a fresh clone prints no packaging warnings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# PEP 660's hook, as pip calls it for `pip install -e .`, with setuptools' warnings shown
BUILD_EDITABLE = """
import sys, warnings
warnings.simplefilter("always")
from setuptools import build_meta
print(build_meta.build_editable(sys.argv[1]))
"""


def test_editable_install_gives_no_setuptools_warning(tmp_path: Path) -> None:
    """setuptools builds the editable wheel with no warning (pip shows BuildBackendWarning)."""
    result = subprocess.run(
        [sys.executable, "-c", BUILD_EDITABLE, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert list(tmp_path.glob("*.whl")), result.stdout
    output = result.stdout + result.stderr
    # setuptools frames each of its warnings in !! lines (pip shows them as BuildBackendWarning)
    assert "!!" not in output, output
    assert "Warning" not in output, output
