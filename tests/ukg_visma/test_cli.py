from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ukg_visma.cli import main


def test_help_lists_commands(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "settings" in out
    assert "usage: ukg-visma" in out


def test_console_script_installed():
    script = shutil.which("ukg-visma") or str(Path(sys.executable).parent / "ukg-visma")
    out = subprocess.run([script, "--help"], capture_output=True, text=True, check=True)
    assert "usage: ukg-visma" in out.stdout


def test_settings_command(capsys):
    assert main(["settings"]) == 0
    assert '"currency": "NOK"' in capsys.readouterr().out
