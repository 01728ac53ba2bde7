"""Site-wide behaviour: settings from the environment, health check, deploy checks, CSRF."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from musicweb import settings as site_settings
from tests.conftest import REPO


def test_it_reads_typed_values_from_the_environment(monkeypatch):
    monkeypatch.setenv("X_FLAG", "yes")
    monkeypatch.setenv("X_NUMBER", "12")
    monkeypatch.setenv("X_LIST", "a.example, b.example,")
    assert site_settings.env_bool("X_FLAG") is True
    assert site_settings.env_int("X_NUMBER", 3) == 12
    assert site_settings.env_list("X_LIST", "") == ["a.example", "b.example"]
    assert site_settings.env_int("X_MISSING", 3) == 3


@pytest.mark.parametrize(
    ("name", "value"), [("X_FLAG", "maybe"), ("X_NUMBER", "ten"), ("X_NUMBER", "-1")]
)
def test_it_fails_loudly_on_nonsense(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=name):
        site_settings.env_bool(name) if name == "X_FLAG" else site_settings.env_int(name, 1)


def test_it_parses_database_urls(tmp_path):
    sqlite = site_settings._database(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    assert sqlite["ENGINE"] == "django.db.backends.sqlite3"
    assert "journal_mode=WAL" in sqlite["OPTIONS"]["init_command"]
    postgres = site_settings._database("postgres://me@127.0.0.1:5432/musicweb")
    assert postgres["ENGINE"] == "django.db.backends.postgresql"
    assert (postgres["HOST"], postgres["NAME"], postgres["USER"]) == ("127.0.0.1", "musicweb", "me")
    with pytest.raises(ImproperlyConfigured):
        site_settings._database("nosuchdb://x")


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "HTTPS", "SECRET_KEY"}}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_passes_the_deploy_check_in_production_settings(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "DEBUG",
        DEBUG="0",
        SECRET_KEY="x7#k2p!q9z$w4m@r8v^t1y&u5i*o3e(a6s)d0f-g+h=j_l;c+2B8n",
        VAR_DIR=str(tmp_path),
        ALLOWED_HOSTS="musicweb.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_generates_and_keeps_a_secret_key_when_none_is_given(tmp_path):
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    first = _manage("shell", "-c", code, DEBUG="0", VAR_DIR=str(tmp_path))
    second = _manage("shell", "-c", code, DEBUG="0", VAR_DIR=str(tmp_path))
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout and len(first.stdout.strip()) >= 50
    assert oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"


def test_it_refuses_a_bad_setting_at_start(tmp_path):
    result = _manage("check", MAX_UPLOAD_MB="lots", VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "MAX_UPLOAD_MB must be a whole number" in result.stderr


@pytest.mark.django_db(databases="__all__")
def test_it_reports_health(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = json.loads(response.content)
    assert body == {
        "status": "ok",
        "database": "ok",
        "channel_layer": "ok",
        "workers": 0,
        "worker": "none running",
    }
    from generator.models import WorkerHeartbeat

    WorkerHeartbeat.beat("host:123")
    assert json.loads(client.get("/healthz").content)["worker"] == "ok"


@pytest.mark.django_db
def test_it_enforces_csrf_on_forms(alice):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    for url in ("/library/upload/", "/accounts/profile/", "/accounts/delete/", "/accounts/logout/"):
        assert strict.post(url, {}).status_code == 403, url
    assert (
        Client(enforce_csrf_checks=True)
        .post("/accounts/login/", {"username": "alice", "password": "pw-alice"})
        .status_code
        == 403
    )


@pytest.mark.django_db
def test_it_shows_the_home_page(client):
    page = client.get("/").content.decode()
    assert "Turn your clips into new music" in page and "/accounts/signup/" in page


def test_it_keeps_torch_out_of_web_start_up(tmp_path):
    """Web processes import the engine only when a request needs it; workers keep it warm."""
    code = (
        "import sys, musicweb.asgi, musicweb.urls; "
        "print(sorted(m for m in ('torch', 'librosa', 'music21') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "musicweb.settings", "VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def _variables_read_by_settings() -> list[tuple[int, str]]:
    """(line, pattern) for each environment variable musicweb/settings.py reads.

    Reads go through the env_* helpers (or os.environ / os.getenv with a literal name).
    A name built in an f-string, such as f"MAX_SECONDS_{name.upper()}", becomes a pattern
    that matches the docs' MAX_SECONDS_<MODE>.
    """
    tree = ast.parse((REPO / "musicweb" / "settings.py").read_text())
    assigned: dict[str, list[ast.expr]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    assigned.setdefault(target.id, []).append(node.value)

    def patterns(arg: ast.expr) -> list[str]:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return [re.escape(arg.value)]
        if isinstance(arg, ast.JoinedStr):
            parts = [
                re.escape(v.value) if isinstance(v, ast.Constant) else "<[A-Z_]+>"
                for v in arg.values
            ]
            return ["".join(parts)]
        if isinstance(arg, ast.Name) and arg.id in assigned:
            return [p for value in assigned[arg.id] for p in patterns(value)]
        raise AssertionError(f"settings.py line {arg.lineno}: cannot tell which variable it reads")

    def is_env_read(func: ast.expr) -> bool:
        if isinstance(func, ast.Name):
            return func.id.startswith("env_")
        return ast.unparse(func) in {"os.environ.get", "os.getenv"}

    helpers = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("env_")]
    inside_helpers = {id(node) for helper in helpers for node in ast.walk(helper)}
    return [
        (node.lineno, pattern)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and node.args and is_env_read(node.func)
        if id(node) not in inside_helpers  # the helpers themselves read os.environ.get(name)
        for pattern in patterns(node.args[0])
    ]


def _variables_in_deploy_doc() -> set[str]:
    text = (REPO / "docs" / "deploy.md").read_text()
    section = text.split("## Environment variables", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    return {name for cell in rows for name in re.findall(r"`([^`]+)`", cell)}


def test_it_documents_every_environment_variable_it_reads():
    read = _variables_read_by_settings()
    documented = _variables_in_deploy_doc()
    assert {"SECRET_KEY", "MAX_SECONDS_<MODE>"} <= documented  # the table is found
    patterns = {pattern for _, pattern in read}
    assert {"SECRET_KEY", "DATABASE_URL", "MAX_SECONDS_<[A-Z_]+>"} <= patterns  # reads are seen
    missing = [
        (line, pattern)
        for line, pattern in read
        if not any(re.fullmatch(pattern, name) for name in documented)
    ]
    assert missing == [], f"settings.py reads these, docs/deploy.md does not list them: {missing}"


def test_it_documents_each_modes_longest_output_as_the_engine_has_it():
    from generator.engine.catalog import MODE_INFO

    row = next(
        line
        for line in (REPO / "docs" / "deploy.md").read_text().splitlines()
        if line.startswith("| `MAX_SECONDS_<MODE>`")
    )
    documented = dict(re.findall(r"(\w+) (\d+)", row.split("|")[2]))
    assert documented == {name: f"{info.max_seconds:g}" for name, info in MODE_INFO.items()}
