"""Shared fixtures: a fake bedrock-runtime on 127.0.0.1 and an environment that can only reach it."""

from __future__ import annotations

import io
import sys
from concurrent.futures import Executor, Future
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from fake_bedrock import FakeBedrock  # noqa: E402

AWS_VARIABLES = (
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
    "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "WORKSHOP_REGION",
    "AWS_ENDPOINT_URL_BEDROCK", "AWS_ENDPOINT_URL_STS",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE",
)


def _clear_app_caches() -> None:
    import streamlit as st

    from lib.bedrock import clear_client_cache
    from lib.search.build import forget_builds
    from lib.search.index import forget_shared_indexes

    clear_client_cache()
    forget_builds()
    forget_shared_indexes()
    st.cache_data.clear()
    st.cache_resource.clear()
    from lib.ui.common import forget_history_stores

    forget_history_stores()


class InlineExecutor(Executor):
    """Runs a job's work at once, in the caller's thread: an AppTest run then sees the job's result."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the future, as a thread pool would
            future.set_exception(exc)
        return future


@pytest.fixture(autouse=True)
def inline_jobs():
    """Page tests (AppTest) run each job inline; lib/jobs.py's own tests and the browser tests use threads."""
    from lib import jobs

    previous = jobs.use_runner(jobs.JobRunner(executor=InlineExecutor()))
    yield
    jobs.use_runner(previous)


@pytest.fixture(scope="session")
def fake_bedrock() -> FakeBedrock:
    with FakeBedrock() as fake:
        yield fake


@pytest.fixture
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No AWS credentials or config of the machine leak in; data goes to a temp folder."""
    for name in AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("WORKSHOP_DATA_DIR", str(tmp_path / "data"))
    _clear_app_caches()
    yield tmp_path
    _clear_app_caches()


@pytest.fixture
def aws_env(isolated_env: Path, monkeypatch: pytest.MonkeyPatch, fake_bedrock: FakeBedrock) -> FakeBedrock:
    """Dummy credentials and the fake endpoint; boto3 reaches it only through the standard variable."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", fake_bedrock.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK", fake_bedrock.url)  # the control plane, on the same fake
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", fake_bedrock.url)  # "signed in as …" asks STS in the background
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # a throttle surfaces at once instead of after backoff
    fake_bedrock.reset()
    yield fake_bedrock
    fake_bedrock.reset()


def png_bytes(size: tuple[int, int] = (64, 48), color: tuple[int, ...] = (200, 40, 40), mode: str = "RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, color).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A real PostgreSQL (+pgvector) for this test session, started by the test command and stopped after.

    Its folder is not under pytest's tmp_path: run as root, pgserver runs PostgreSQL as its own user, who
    can't enter pytest's private /tmp/pytest-of-root (mode 0700). A folder straight under /tmp can be.
    """
    import shutil
    import tempfile

    from real_engines import pgserver_available, postgres

    if not pgserver_available():
        pytest.skip("the pgserver wheel is not installed (requirements-dev.txt installs it)")
    folder = Path(tempfile.mkdtemp(prefix="workshop-pg-"))
    try:
        with postgres(folder) as url:
            yield url
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory) -> str:
    """moto's S3 server for this test session (moto[server] in requirements-dev.txt)."""
    from real_engines import s3_server

    with s3_server(tmp_path_factory.mktemp("moto")) as url:
        yield url
