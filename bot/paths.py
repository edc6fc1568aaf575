"""Repository paths shared by the command-line verbs."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = REPO_ROOT / "var"
MODELS_DIR = REPO_ROOT / "models"
REPORTS_DIR = REPO_ROOT / "reports"
TRAINING_DATA_DIR = REPO_ROOT / "bot" / "data"
CONFIG_FILE = REPO_ROOT / "config.yml"
DOMAIN_FILE = REPO_ROOT / "domain.yml"
ENDPOINTS_FILE = REPO_ROOT / "endpoints.yml"
CREDENTIALS_FILE = REPO_ROOT / "credentials.yml"
VENV_BIN = REPO_ROOT / ".venv" / "bin"
