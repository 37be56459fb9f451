"""Browser tests: a real ``longgov serve`` on a free port, driven by Debian's Chromium through Playwright.

One server per test session (per xdist worker), seeded by ``longgov demo --no-serve`` in a temporary
var dir. With ``LONGGOV_TEST_DATABASE_URL`` set, the server runs on PostgreSQL, on a fresh database of
its own (``<name>_browser``) created here and dropped afterwards, so it never meets the functional
tests' schema. Without /usr/bin/chromium the tests are skipped, unless ``LONGGOV_REQUIRE_BROWSER=1``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, DESKTOP, MOBILE, DemoServer, SignedIn, parse_demo_output
from tests.pg_support import pg_admin_url, pg_execute

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

STARTUP_SECONDS = 60
NEEDED_STAFF = {"lz_scjg_window", "lz_scjg_leader", "auditor", "sysadmin"}


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker here: the suite may run without the project's pytest settings."""
    config.addinivalue_line("markers", "browser: end-to-end test in a real browser (Chromium + Playwright)")


# --- the server -------------------------------------------------------------------------------


def _longgov_command() -> list[str]:
    """The ``longgov`` console script of this venv (``longgov.cli`` has no ``__main__`` guard)."""
    script = Path(sys.executable).parent / "longgov"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from longgov.cli import main; sys.argv[0] = 'longgov'; main()"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def _browser_database() -> Iterator[str | None]:
    """A fresh PostgreSQL database for the browser server when the suite runs on PostgreSQL."""
    url = os.environ.get("LONGGOV_TEST_DATABASE_URL")
    if not url:
        yield None
        return
    admin_url, base = pg_admin_url(url)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    name = re.sub(r"[^a-z0-9_]", "_", f"{base}_browser{'_' + worker if worker else ''}".lower())[:63]
    pg_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    parts = urlsplit(url)
    try:
        yield urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))
    finally:
        pg_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], deadline: float) -> bool:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:  # noqa: S310 - our own local server
                if response.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.15)
    return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server we started and its granian workers (its own process group)."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # a worker left behind by the main process


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium, or a skip (a failure with ``LONGGOV_REQUIRE_BROWSER=1``)."""
    reason = None
    if not CHROMIUM.is_file():
        reason = f"{CHROMIUM} is not installed (apt-get install chromium fonts-noto-cjk, or make browser)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "the python playwright package is not installed (uv sync --group dev)"
    if reason:
        if os.environ.get("LONGGOV_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests required (LONGGOV_REQUIRE_BROWSER=1) but {reason}")
        pytest.skip(f"browser tests skipped: {reason}")
    return CHROMIUM


@pytest.fixture(scope="session")
def server(chromium: Path) -> Iterator[DemoServer]:
    """Seed a demo database in a temp var dir, serve it on a free port, yield it, stop it."""
    var_dir = Path(tempfile.mkdtemp(prefix="longgov-browser-"))
    try:
        with _browser_database() as database_url:
            env = {k: v for k, v in os.environ.items() if not k.startswith("LONGGOV_")}
            env.update({"LONGGOV_MODE": "demo", "LONGGOV_VAR_DIR": str(var_dir), "COLUMNS": "400", "NO_COLOR": "1", "TERM": "dumb", "PYTHONUNBUFFERED": "1"})
            if database_url:
                env["LONGGOV_DATABASE_URL"] = database_url
            seeded = subprocess.run([*_longgov_command(), "demo", "--no-serve"], env=env, capture_output=True, text=True, timeout=180, check=False)
            if seeded.returncode != 0:
                pytest.fail(f"`longgov demo --no-serve` failed ({seeded.returncode}):\n{seeded.stdout[-3000:]}\n{seeded.stderr[-3000:]}")
            citizens, staff = parse_demo_output(seeded.stdout)
            if len(citizens) < 3 or not staff.keys() >= NEEDED_STAFF:
                pytest.fail(f"could not read the demo logins printed by `longgov demo --no-serve`:\n{seeded.stdout[-3000:]}")
            log_path = var_dir / "server.log"
            proc = None
            base_url = ""
            for _attempt in range(3):  # another process may take the free port before granian binds it
                port = _free_port()
                base_url = f"http://127.0.0.1:{port}"
                with log_path.open("ab") as log:
                    proc = subprocess.Popen(
                        [*_longgov_command(), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                if _wait_healthy(base_url, proc, time.monotonic() + STARTUP_SECONDS):
                    break
                _stop(proc)
                proc = None
            if proc is None:
                pytest.fail(f"`longgov serve` did not become healthy:\n{_tail(log_path)}")
            with urllib.request.urlopen(base_url + "/healthz", timeout=5) as response:  # noqa: S310 - our own local server
                kind = json.load(response).get("database")
            if kind != ("postgresql" if database_url else "sqlite"):
                _stop(proc)
                pytest.fail(f"the browser server runs on {kind!r}, not on the database it was given")
            try:
                yield DemoServer(base_url=base_url, var_dir=var_dir, env=env, citizens=citizens, staff=staff, log_path=log_path)
            finally:
                _stop(proc)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


# --- the browser ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser(chromium: Path) -> Iterator[Any]:
    """One headless Chromium for the session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def new_context(browser: Any, server: DemoServer) -> Iterator[Callable[..., Any]]:
    """Factory of browser contexts on the server (``mobile=True``: a 390×844 touch phone); closed after the test."""
    contexts: list[Any] = []

    def make(*, mobile: bool = False, storage_state: Any = None, **options: Any) -> Any:
        settings: dict[str, Any] = {**(MOBILE if mobile else DESKTOP), "base_url": server.base_url, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}
        settings.update(options)
        if storage_state is not None:
            settings["storage_state"] = storage_state
        context = browser.new_context(**settings)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def signed_in(browser: Any, server: DemoServer) -> SignedIn:
    """``signed_in("auditor")``, ``signed_in("citizen")``: storage state of a UI login, cached per session."""
    return SignedIn(browser, server)
