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
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ("bot", "mentorbot_sandbox", "migrations")  # migrations/ is installed as bot/migrations/
HEAD = "0003"


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
    assert f"bot/migrations/versions/{HEAD}_job_run_period_key_length.py" in names
    assert "bot/migrations/env.py" in names and "bot/migrations/script.py.mako" in names


@pytest.mark.slow
def test_an_installed_wheel_migrates_and_runs_the_demo(wheel, tmp_path):
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    run(python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheel, cwd=tmp_path)
    # The dependencies come from the test environment (installing them again would take
    # minutes): a path line after the new venv's own site-packages, which holds `bot`.
    fresh_site = Path(
        run(
            python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=tmp_path
        ).stdout.strip()
    )
    (fresh_site / "test-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")

    where = run(
        python,
        "-c",
        "import bot, bot.db; print(bot.__file__); print(bot.db.MIGRATIONS_DIR)",
        cwd=tmp_path,
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
    assert {p.name for p in out.iterdir()} == {
        "chart.png",
        "report.txt",
        "transcript.txt",
        "weekly.csv",
    }
