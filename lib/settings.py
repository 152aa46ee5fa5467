"""One frozen settings object, read from the environment.

Why env only: the same variables drive boto3 itself (AWS_PROFILE, AWS_REGION,
AWS_ENDPOINT_URL_BEDROCK_RUNTIME), so the app and boto3 can never disagree.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class Settings:
    region: str
    profile: str | None
    data_dir: Path
    endpoint_url: str | None
    max_attempts: int
    read_timeout_s: float
    connect_timeout_s: float
    max_upload_bytes: int
    max_upload_pixels: int
    embed_workers: int  # concurrent embedding calls while building lab 1's index
    # Where results live (lib/storage): SQLite in data_dir by default; PostgreSQL (+pgvector) and S3 for a
    # class on several servers.
    database_url: str | None = None  # WORKSHOP_DATABASE_URL, e.g. postgresql://user:pw@host/db
    blob_url: str | None = None  # WORKSHOP_BLOB_URL, e.g. s3://bucket/prefix
    # Who is who (lib/ui/identity.py)
    workspaces: str = "single"  # WORKSHOP_WORKSPACES: "single" (a laptop: one user, the instructor) or "browser"
    instructors: tuple[str, ...] = ()  # WORKSHOP_INSTRUCTORS: emails (with an OpenID Connect provider)
    instructor_passcode: str | None = None  # WORKSHOP_INSTRUCTOR_PASSCODE (without a provider)
    # Lab 1's sources (lib/search/sources.py)
    folder_roots: tuple[Path, ...] = ()  # WORKSHOP_FOLDER_ROOTS (os.pathsep-separated), besides samples and data
    s3_prefixes: tuple[str, ...] = ()  # WORKSHOP_S3_PREFIXES: comma-separated s3://bucket/prefix allowed
    upload_quota: int = 50  # WORKSHOP_UPLOAD_QUOTA: images each attendee may keep for lab 1
    # Spend caps in USD (lib/services/guard.py): a call whose estimate would pass one is refused before it is sent
    cap_attendee_usd: float | None = None  # WORKSHOP_CAP_ATTENDEE_USD: each person, the instructor included
    cap_class_usd: float | None = None  # WORKSHOP_CAP_CLASS_USD: everyone together
    # The language a new session starts in (lib/i18n.py): WORKSHOP_LANGUAGE "en" or "ko" for every browser;
    # unset (or "auto"): the browser's language when the app speaks it, else English. Each attendee can switch.
    language: str | None = None

    @property
    def region_is_default(self) -> bool:
        return self.region == DEFAULT_REGION


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    try:
        return int(env.get(name, default))
    except ValueError:
        return default


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    try:
        return float(env.get(name, default))
    except ValueError:
        return default


def _cap(env: Mapping[str, str], name: str) -> float | None:
    """A spend cap in USD; unset, empty or not a number: no cap."""
    try:
        value = float(env.get(name, "") or "nan")
    except ValueError:
        return None
    return max(0.0, value) if value == value else None


_last: tuple[dict, Settings] | None = None  # the process environment it was read from, and the settings


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read settings; cheap enough to call many times on every page run.

    From the process environment they are read again only when it changed (a dict comparison, a few
    microseconds): reading them cost 0.2 ms, and a page asked dozens of times per run.
    """
    global _last
    if env is not None:
        return _read(env)
    current = getattr(os.environ, "_data", None)  # the live dict behind os.environ (CPython)
    last = _last
    if current is not None and last is not None and last[0] == current:
        return last[1]
    snapshot = dict(current) if current is not None else None
    settings = _read(os.environ)
    if snapshot is not None:
        _last = (snapshot, settings)
    return settings


def _read(env: Mapping[str, str]) -> Settings:
    region = (
        env.get("WORKSHOP_REGION")
        or env.get("AWS_REGION")
        or env.get("AWS_DEFAULT_REGION")
        or DEFAULT_REGION
    )
    return Settings(
        region=region,
        profile=env.get("AWS_PROFILE") or None,
        data_dir=Path(env.get("WORKSHOP_DATA_DIR", "data")).expanduser(),
        endpoint_url=env.get("AWS_ENDPOINT_URL_BEDROCK_RUNTIME") or env.get("AWS_ENDPOINT_URL") or None,
        # AWS_MAX_ATTEMPTS is boto3's own variable; we honour it explicitly
        # because an explicit botocore Config would otherwise override it.
        max_attempts=max(1, _int(env, "AWS_MAX_ATTEMPTS", 5)),
        read_timeout_s=_float(env, "WORKSHOP_READ_TIMEOUT_S", 120.0),
        connect_timeout_s=_float(env, "WORKSHOP_CONNECT_TIMEOUT_S", 5.0),
        max_upload_bytes=_int(env, "WORKSHOP_MAX_UPLOAD_MB", 20) * 1024 * 1024,
        max_upload_pixels=_int(env, "WORKSHOP_MAX_UPLOAD_MEGAPIXELS", 40) * 1_000_000,
        embed_workers=min(16, max(1, _int(env, "WORKSHOP_EMBED_WORKERS", 8))),
        database_url=env.get("WORKSHOP_DATABASE_URL") or None,
        blob_url=env.get("WORKSHOP_BLOB_URL") or None,
        workspaces="browser" if env.get("WORKSHOP_WORKSPACES", "").strip().lower() == "browser" else "single",
        instructors=tuple(e.strip().lower() for e in env.get("WORKSHOP_INSTRUCTORS", "").split(",") if e.strip()),
        instructor_passcode=env.get("WORKSHOP_INSTRUCTOR_PASSCODE") or None,
        folder_roots=tuple(Path(p).expanduser() for p in env.get("WORKSHOP_FOLDER_ROOTS", "").split(os.pathsep)
                           if p.strip()),
        s3_prefixes=tuple(p.strip() for p in env.get("WORKSHOP_S3_PREFIXES", "").split(",") if p.strip()),
        upload_quota=max(0, _int(env, "WORKSHOP_UPLOAD_QUOTA", 50)),
        cap_attendee_usd=_cap(env, "WORKSHOP_CAP_ATTENDEE_USD"),
        cap_class_usd=_cap(env, "WORKSHOP_CAP_CLASS_USD"),
        language=_language(env.get("WORKSHOP_LANGUAGE", "")),
    )


def _language(value: str) -> str | None:
    """WORKSHOP_LANGUAGE as a lowercase language code ("ko-KR" → "ko"); None for unset or "auto"."""
    code = value.strip().replace("_", "-").split("-")[0].lower()
    return None if code in ("", "auto") else code
