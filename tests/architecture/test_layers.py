"""Imports run one way: knowledge_base and channels import nothing from the packages above them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Package → the top-level packages it must never import.
FORBIDDEN = {"knowledge_base": {"bot", "actions", "channels", "nlu", "rasa", "rasa_sdk"},
             "channels": {"bot", "actions"},
             "nlu": {"bot", "actions", "channels"},
             "actions": {"channels", "nlu"}}


def imported_packages(path: Path) -> set[str]:
    """Top-level package names a module imports (absolute imports only)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_package_imports_nothing_from_above_it(package: str) -> None:
    wrong = {str(path.relative_to(ROOT)): sorted(imported_packages(path) & FORBIDDEN[package])
             for path in sorted((ROOT / package).rglob("*.py"))}
    assert {path: names for path, names in wrong.items() if names} == {}


# Inside bot: subpackage → the bot modules it must never import (verbs → deploy → staff → server).
VERBS = {"bot.__main__", "bot.eval_answers", "bot.eval_nlu", "bot.noisy_nlu", "bot.nlu_scoring", "bot.audit",
         "bot.transcripts", *(f"bot.load_{name}" for name in ("test", "users", "stacks", "stages", "reference",
                                                               "report", "measure", "promotion"))}
BOT_FORBIDDEN = {"bot/server": {"bot.staff", "bot.deploy", *VERBS},
                 "bot/staff": {"bot.deploy", *VERBS},
                 "bot/deploy": VERBS}


def imported_modules(path: Path) -> set[str]:
    """Dotted module names a module imports from (absolute imports; `from a import b` counts a and a.b)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
    return found


@pytest.mark.parametrize("subpackage", sorted(BOT_FORBIDDEN))
def test_bot_subpackages_import_downwards_only(subpackage: str) -> None:
    def forbidden(name: str) -> bool:
        return any(name == wrong or name.startswith(wrong + ".") for wrong in BOT_FORBIDDEN[subpackage])

    wrong = {str(path.relative_to(ROOT)): sorted(filter(forbidden, imported_modules(path)))
             for path in sorted((ROOT / subpackage).rglob("*.py"))}
    assert {path: names for path, names in wrong.items() if names} == {}


def test_the_bot_check_sees_an_upward_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("from bot.deploy import processes\nimport bot.staff.store\n", encoding="utf-8")
    assert {"bot.deploy.processes", "bot.staff.store"} <= imported_modules(module)


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("from bot.privacy import mask_pii\nimport actions.render\n", encoding="utf-8")
    assert imported_packages(module) == {"bot", "actions"}
