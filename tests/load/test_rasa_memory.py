"""The Rasa server process keeps PyTorch out (spaCy's thinc would import it: ~450 MB that nothing there uses)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.paths import REPO_ROOT

PROBE = ("from bot.server.rasa_server import keep_torch_out; keep_torch_out(); import thinc.compat, sys; "
         "print(thinc.compat.has_torch, 'torch' in sys.modules and sys.modules['torch'] is not None)")


def probe(env: dict[str, str]) -> str:
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO_ROOT, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO_ROOT), **env}, check=True)
    return result.stdout.split()[-2] + " " + result.stdout.split()[-1]


def test_the_rasa_server_process_keeps_torch_out() -> None:
    assert probe({"BOT_RASA_ALLOW_TORCH": ""}) == "False False"


def test_torch_can_be_let_in() -> None:
    pytest.importorskip("torch")
    assert probe({"BOT_RASA_ALLOW_TORCH": "1"}) == "True True"
