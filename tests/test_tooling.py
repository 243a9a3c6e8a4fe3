"""The environment the app runs in: its packaging tools are current, and `make audit` audits all of it."""
import re
from importlib import metadata
from pathlib import Path

from packaging.version import Version

PROJECT = Path(__file__).resolve().parent.parent
# The first setuptools releases without CVE-2024-6345 (70.0.0) and CVE-2025-47273 (78.1.1).
SETUPTOOLS_FIXED = Version("78.1.1")


def test_the_venvs_setuptools_has_neither_known_vulnerability():
    try:
        installed = Version(metadata.version("setuptools"))
    except metadata.PackageNotFoundError:
        return  # a venv without setuptools has nothing to patch
    assert installed >= SETUPTOOLS_FIXED, f"setuptools {installed}: run make (it upgrades pip and setuptools)"


def test_make_builds_the_venv_with_current_pip_and_setuptools_and_audits_all_of_it():
    makefile = (PROJECT / "Makefile").read_text()
    assert "-m venv --upgrade-deps" in makefile
    assert re.search(r"pip install --quiet --upgrade pip setuptools\n", makefile)
    audit = makefile[makefile.index("\naudit:"):]
    audit = audit[:audit.index("\n\n")]
    command = re.search(r"pip-audit[^;\n]*", audit).group(0)
    assert " -r " not in command, "the audit must cover the whole environment, not only requirements.txt"
