"""The Dockerfile and its build context: pins agree, the user is not root, the image holds the app.

Docker cannot run on the development machine, so the build itself is not run here; these tests
check what can go wrong without it: a pin that drifts from requirements.txt, a missing health
check, and a .dockerignore that leaves out a file the app needs or lets in local clutter (the app
is served, with the image's command, from a copy of exactly the files the build context would send,
read from the disk as docker reads them, not from git).
"""

from __future__ import annotations

import asyncio
import fnmatch
import re
import shutil
from pathlib import Path

from tools import browser, wire

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def _pins(text: str) -> dict[str, str]:
    return dict(re.findall(r"^([A-Za-z0-9_.-]+)==([^\s#]+)", text, flags=re.MULTILINE))


def test_the_image_installs_the_pinned_torch_as_the_cpu_build():
    pinned = _pins((ROOT / "requirements.txt").read_text())["torch"]
    installs = re.findall(r"pip install torch==(\S+) --index-url (\S+)", DOCKERFILE)
    assert installs == [(pinned, "https://download.pytorch.org/whl/cpu")]
    assert "pip install -r requirements.txt" in DOCKERFILE


def test_the_image_runs_as_a_user_with_a_health_check():
    users = re.findall(r"^USER\s+(\S+)", DOCKERFILE, flags=re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    health = re.search(r"^HEALTHCHECK .*?(?<!\\)$", DOCKERFILE, flags=re.MULTILINE | re.DOTALL)
    assert health and "/_stcore/health" in health.group(0)
    cmd = re.search(r"^CMD (\[.*\])$", DOCKERFILE, flags=re.MULTILINE).group(1)
    assert '"streamlit", "run", "app.py"' in cmd and "--server.address=0.0.0.0" in cmd


def _context_files() -> list[Path]:
    """The files `docker build .` sends: every file under the root not matched by .dockerignore."""
    patterns = [p.strip() for p in (ROOT / ".dockerignore").read_text().splitlines()
                if p.strip() and not p.startswith("#")]
    tracked = [f.relative_to(ROOT).as_posix() for f in ROOT.rglob("*") if f.is_file()]

    def ignored(rel: str) -> bool:
        parts = rel.split("/")
        prefixes = ["/".join(parts[:k]) for k in range(1, len(parts) + 1)]
        return any(fnmatch.fnmatch(pre, pat) or fnmatch.fnmatch(pre, pat.removeprefix("**/"))
                   or fnmatch.fnmatch(parts[k - 1], pat.removeprefix("**/"))
                   for pat in patterns for k, pre in enumerate(prefixes, 1))

    return [Path(rel) for rel in tracked if not ignored(rel)]


def test_the_build_context_holds_the_app_and_leaves_out_the_rest(tmp_path):
    files = _context_files()
    names = {f.as_posix() for f in files}
    assert {"app.py", "app_router.py", "app_start.py", "app.css", "requirements.txt", ".streamlit/config.toml",
            "static/chart.js", "static/typeset.js", "static/katex-0.16.47.min.js", "app_components/prose.css"} <= names
    assert any(n.startswith("diffusion_core/pretrained/") and n.endswith(".pt") for n in names)
    assert not any(n.startswith(("tests/", "tools/", ".git/", "screenshots/")) for n in names)
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    for f in files:  # the app, run from a copy of exactly the build context
        (tmp_path / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / f, tmp_path / f)
    with browser.server(cwd=tmp_path) as srv:  # the image's command, on the copy
        assert "pages rehearsed: / " in srv.output()  # Home computed and opened before the server answered
        charts, exceptions = asyncio.run(_open(srv.url, "diffusion_process"))
    assert exceptions == 0
    assert charts == 8  # the forward run, paths, five rungs and the gentle ablation


async def _open(url: str, page: str) -> tuple[int, int]:
    """Home and then `page`, as a reader opens them: the charts `page` draws, and the exceptions of both runs."""
    session = wire.WireSession(url)
    await session.open()
    await session.run(page)
    await session.close()
    return session.charts(), session.exceptions
