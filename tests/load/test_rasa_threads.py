"""The Rasa server runs TensorFlow on one thread per pool unless the environment asks for more."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.paths import REPO_ROOT

PROBE = ("from bot.server.rasa_server import limit_tensorflow_threads; limit_tensorflow_threads(); "
         "from rasa.utils.tensorflow.environment import setup_tf_environment; setup_tf_environment(); "
         "import tensorflow as tf; "
         "print(tf.config.threading.get_intra_op_parallelism_threads(), "
         "tf.config.threading.get_inter_op_parallelism_threads())")


def tensorflow_threads(env: dict[str, str]) -> str:
    clean = {name: value for name, value in os.environ.items() if not name.endswith("_OP_PARALLELISM_THREADS")}
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO_ROOT, capture_output=True, text=True,
                            env={**clean, "PYTHONPATH": str(REPO_ROOT), **env}, check=True, timeout=120)
    return " ".join(result.stdout.split()[-2:])


@pytest.mark.parametrize(("env", "expected"), [
    ({}, "1 1"),
    ({"TF_INTRA_OP_PARALLELISM_THREADS": "2", "TF_INTER_OP_PARALLELISM_THREADS": "2"}, "2 2"),
])
def test_tensorflow_threads(env: dict[str, str], expected: str) -> None:
    assert tensorflow_threads(env) == expected
