"""The built wheel is the product: installed on its own (not editable) it migrates and runs.

The repository keeps Alembic's `migrations/` at the top level and the package ships it as
`bot.migrations` (pyproject.toml), so `pip install mentorbot` then `mentorbot db upgrade` works.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bot.db import alembic_config

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ("bot", "mentorbot_sandbox", "migrations")  # migrations/ is installed as bot/migrations/
#: The newest migration, as the repository's scripts say (other branches add theirs).
HEAD = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
LOCK = ROOT / "requirements.lock"


def locked() -> dict[str, str]:
    """name -> pinned version, from requirements.lock (every line that is not a comment)."""
    pins = {}
    for line in LOCK.read_text().splitlines():
        requirement = line.split("#")[0].strip()
        if requirement:
            name, sep, version = requirement.partition("==")
            assert sep, f"not pinned: {line}"
            pins[canonicalize_name(name)] = version
    return pins


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: float = 600):
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result


def source_files() -> set[str]:
    """Every module and data file of the repository's packages, as the wheel should name it."""
    found = set()
    for top in SHIPPED:
        for path in (ROOT / top).rglob("*"):
            if path.suffix in (".py", ".yaml", ".mako") and "__pycache__" not in path.parts:
                name = path.relative_to(ROOT).as_posix()
                found.add("bot/" + name if top == "migrations" else name)
    return found


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """`pip wheel --no-deps` of a copy of the checkout (the build leaves nothing in the tree)."""
    work = tmp_path_factory.mktemp("build")
    source = work / "src"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "build", "dist", "demo-out", "*.egg-info", "__pycache__", "*.sqlite3"
        ),
    )
    run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "-q",
        "-w",
        work / "dist",
        source,
        cwd=work,
    )
    (built,) = (work / "dist").glob("mentorbot-*.whl")
    return built


@pytest.mark.slow
def test_the_wheel_holds_every_module_and_the_migrations(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert source_files() - names == set()
    assert "bot/migrations/versions/0006_job_run_period_key_length.py" in names
    assert "bot/migrations/env.py" in names and "bot/migrations/script.py.mako" in names


def test_the_lock_pins_every_runtime_dependency_within_its_range():
    pins = locked()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for line in project["dependencies"]:
        wanted = Requirement(line)
        name = canonicalize_name(wanted.name)
        assert name in pins, f"{wanted.name} is not in requirements.lock"
        assert wanted.specifier.contains(pins[name]), f"{wanted.name}=={pins[name]} vs {line}"
    assert "greenlet" in pins  # sqlalchemy[asyncio]: the extra's own dependency


def test_the_container_and_the_platform_install_from_the_lock():
    """Docker cannot run here (no daemon, no registry to pull python:3.11-slim from), so the
    Dockerfile is read: the lock first, then the package without re-resolving, not as root."""
    steps = [
        line.strip()
        for line in (ROOT / "Dockerfile").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert steps[0] == "FROM python:3.11-slim"
    runs = [step for step in steps if step.startswith("RUN pip install")]
    assert runs == [
        "RUN pip install --no-deps -r requirements.lock",
        "RUN pip install --no-deps . && rm -rf /src",
    ]
    user = [step for step in steps if step.startswith("USER ")]
    assert user == ["USER mentorbot"]
    assert steps.index(user[0]) < steps.index('CMD ["mentorbot", "serve"]') == len(steps) - 1
    platform = (ROOT / "requirements.txt").read_text().split("\n")
    assert [line for line in platform if line and not line.startswith("#")] == [
        "-r requirements.lock",
        ".",
    ]


@pytest.mark.slow
def test_the_wheel_installed_from_the_lock_migrates_and_runs_the_demo(wheel, tmp_path):
    """The Dockerfile's two steps in a fresh venv, then what a new user runs first."""
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    run(python, "-m", "pip", "install", "-q", "--no-deps", "-r", LOCK, cwd=tmp_path)
    run(python, "-m", "pip", "install", "-q", "--no-deps", wheel, cwd=tmp_path)
    check = run(python, "-m", "pip", "check", cwd=tmp_path).stdout
    assert "No broken requirements found." in check  # the lock holds everything

    site = run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=tmp_path)
    fresh_site = Path(site.stdout.strip())
    where = run(
        python, "-c", "import bot, bot.db; print(bot.__file__, bot.db.MIGRATIONS_DIR)", cwd=tmp_path
    ).stdout.split()
    assert where == [
        str(fresh_site / "bot" / "__init__.py"),
        str(fresh_site / "bot" / "migrations"),
    ]

    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))},
        "SLACK_BOT_TOKEN": "xoxb-wheel-test",
        "SLACK_SIGNING_SECRET": "wheel-test-secret",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'wheel.sqlite3'}",
    }
    mentorbot = venv / "bin" / "mentorbot"
    assert "serve" in run(mentorbot, "--help", cwd=tmp_path, env=env).stdout
    run(mentorbot, "db", "upgrade", cwd=tmp_path, env=env)
    with sqlite3.connect(tmp_path / "wheel.sqlite3") as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]
        assert conn.execute("SELECT count(*) FROM job_runs").fetchall() == [(0,)]

    out = tmp_path / "demo-out"
    demo = run(
        mentorbot,
        "demo",
        "--people",
        "12",
        "--weeks",
        "4",
        "--quiet",
        "--out",
        out,
        cwd=tmp_path,
        env=env,
    )
    assert "12 people joined" in demo.stdout
    assert {"chart.png", "report.txt", "transcript.txt", "weekly.csv"} <= {
        p.name for p in out.iterdir()
    }
