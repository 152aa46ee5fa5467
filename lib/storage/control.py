"""The class's shared switches and numbers, in the results database so every app server sees the same.

- `class_state`: a small key/value table (JSON values): the pause switch, the last readiness verdict.
- Spend: what an owner (or the whole class) has spent, counted from stored results and answers plus the
  estimates of calls still running (job claims carry their estimate), so two quick clicks can't both slip
  under a cap.
- Activity: the instructor's dashboard (attendees active, calls per minute, errors by kind, most used models).

Nothing here knows Streamlit or Bedrock.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from lib.storage.results import PACK_OWNER, chat_answers, jobs, meta, results

class_state = sa.Table(
    "class_state", meta,
    sa.Column("key", sa.Text, primary_key=True), sa.Column("value", sa.Text), sa.Column("updated_at", sa.Float),
    sa.Column("updated_by", sa.Text),
)

PAUSE_KEY = "calls_paused"
READINESS_KEY = "readiness"


@dataclass(frozen=True)
class Pause:
    since: float
    by: str
    note: str = ""


@dataclass
class ClassActivity:
    """The dashboard's numbers over the last `window_s` seconds (spend: since the class began)."""

    window_s: float
    active_attendees: int
    calls: int
    calls_per_minute: float
    per_minute: list[tuple[float, int]]  # (minute start, calls started in it), oldest first
    errors_by_kind: dict[str, int]
    models: list[tuple[str, int]]  # (model label, calls), most used first
    running: int
    spend_total: float
    spend_by_owner: list[tuple[str, float, int]]  # (owner, USD, results + answers), biggest first
    spend_running: float = 0.0  # estimates of calls still running
    failed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class ClassControl:
    """Reads and writes the class's shared state through the results database's engine."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    # -- key/value ---------------------------------------------------------------------------------------------
    def get(self, key: str) -> Any | None:
        with self.engine.connect() as db:
            row = db.execute(sa.select(class_state.c.value).where(class_state.c.key == key)).first()
        return json.loads(row.value) if row else None

    def put(self, key: str, value: Any, by: str = "") -> None:
        values = dict(value=json.dumps(value), updated_at=time.time(), updated_by=by)
        update = class_state.update().where(class_state.c.key == key).values(**values)
        with self.engine.begin() as db:
            done = db.execute(update).rowcount
        if not done:
            try:
                with self.engine.begin() as db:
                    db.execute(class_state.insert().values(key=key, **values))
            except sa.exc.IntegrityError:  # another server inserted it meanwhile: ours is the newer value
                with self.engine.begin() as db:
                    db.execute(update)
        _forget_cached(self.engine)

    def delete(self, key: str) -> None:
        with self.engine.begin() as db:
            db.execute(class_state.delete().where(class_state.c.key == key))
        _forget_cached(self.engine)

    def cached(self, key: str, ttl_s: float = 3.0) -> Any | None:
        """`get`, at most one database read per `ttl_s` per process (a banner on every page run)."""
        now = time.monotonic()
        slot = (str(self.engine.url), key)
        with _cache_lock:
            hit = _cache.get(slot)
            if hit is not None and now - hit[0] < ttl_s:
                return hit[1]
        value = self.get(key)
        with _cache_lock:
            _cache[slot] = (now, value)
        return value

    # -- pause -------------------------------------------------------------------------------------------------
    def pause(self, by: str, note: str = "") -> None:
        self.put(PAUSE_KEY, {"since": time.time(), "by": by, "note": note}, by)

    def resume(self, by: str = "") -> None:
        self.delete(PAUSE_KEY)

    def paused(self, *, ttl_s: float | None = None) -> Pause | None:
        """The pause switch; fresh from the database unless `ttl_s` allows a cached answer."""
        value = self.get(PAUSE_KEY) if ttl_s is None else self.cached(PAUSE_KEY, ttl_s)
        if not value:
            return None
        return Pause(float(value.get("since", 0)), str(value.get("by", "")), str(value.get("note", "")))

    # -- spend -------------------------------------------------------------------------------------------------
    def spent(self, owner: str | None = None, *, exclude_job: str | None = None) -> float:
        """USD spent by `owner` (None: the whole class): stored results and answers, plus calls still running."""
        def mine(table: sa.Table) -> list[Any]:
            where = [table.c.owner != PACK_OWNER]
            if owner is not None:
                where.append(table.c.owner == owner)
            return where

        running = [jobs.c.state == "running", *mine(jobs)]
        if exclude_job:
            running.append(jobs.c.id != exclude_job)
        with self.engine.connect() as db:
            made = db.execute(sa.select(sa.func.coalesce(sa.func.sum(results.c.cost_usd), 0))
                              .where(*mine(results))).scalar_one()
            said = db.execute(sa.select(sa.func.coalesce(sa.func.sum(chat_answers.c.cost_usd), 0))
                              .where(*mine(chat_answers))).scalar_one()
            flying = db.execute(sa.select(sa.func.coalesce(sa.func.sum(jobs.c.est_cost_usd), 0))
                                .where(*running)).scalar_one()
        return float(made) + float(said) + float(flying)

    # -- the dashboard -----------------------------------------------------------------------------------------
    def activity(self, window_s: float = 3600.0, active_s: float = 900.0, now: float | None = None) -> ClassActivity:
        now = time.time() if now is None else now
        since = now - window_s
        in_window = [jobs.c.started_at >= since, jobs.c.owner != PACK_OWNER]
        with self.engine.connect() as db:
            started = [float(r.started_at) for r in db.execute(sa.select(jobs.c.started_at).where(*in_window))]
            active = db.execute(sa.select(sa.func.count(sa.distinct(jobs.c.owner)))
                                .where(jobs.c.started_at >= now - active_s, jobs.c.owner != PACK_OWNER)).scalar_one()
            errors = {(r.kind or "other"): int(r.n) for r in db.execute(
                sa.select(jobs.c.error_kind.label("kind"), sa.func.count().label("n"))
                .where(*in_window, jobs.c.state == "failed").group_by(jobs.c.error_kind))}
            models = [(r.model_label or "?", int(r.n)) for r in db.execute(
                sa.select(jobs.c.model_label, sa.func.count().label("n")).where(*in_window)
                .group_by(jobs.c.model_label).order_by(sa.func.count().desc(), jobs.c.model_label).limit(10))]
            running, flying = db.execute(
                sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(jobs.c.est_cost_usd), 0))
                .where(jobs.c.state == "running", jobs.c.owner != PACK_OWNER)).one()
            spend: dict[str, list[float]] = {}
            for table in (results, chat_answers):
                for r in db.execute(sa.select(table.c.owner, sa.func.count().label("n"),
                                              sa.func.coalesce(sa.func.sum(table.c.cost_usd), 0).label("cost"))
                                    .where(table.c.owner != PACK_OWNER).group_by(table.c.owner)):
                    slot = spend.setdefault(r.owner, [0.0, 0])
                    slot[0] += float(r.cost)
                    slot[1] += int(r.n)
        minutes: dict[float, int] = {}
        first = since - since % 60
        for m in range(int((now - first) // 60) + 1):
            minutes[first + 60 * m] = 0
        for t in started:
            minutes[t - t % 60] = minutes.get(t - t % 60, 0) + 1
        recent = [t for t in started if t >= now - 300]
        by_owner = sorted(((o, c, int(n)) for o, (c, n) in spend.items()), key=lambda x: (-x[1], x[0]))
        return ClassActivity(
            window_s=window_s, active_attendees=int(active), calls=len(started),
            calls_per_minute=len(recent) / 5.0, per_minute=sorted(minutes.items()), errors_by_kind=errors,
            models=models, running=int(running), spend_total=sum(c for _, c, _ in by_owner),
            spend_by_owner=by_owner, spend_running=float(flying), failed=sum(errors.values()))


_cache: dict[tuple[str, str], tuple[float, Any]] = {}
_cache_lock = threading.Lock()


def _forget_cached(engine: sa.Engine) -> None:
    with _cache_lock:
        for slot in [s for s in _cache if s[0] == str(engine.url)]:
            del _cache[slot]


def refuse_if_paused(settings: Any) -> None:
    """For model calls outside the labs' jobs (lab 1's embeddings): raise CallsPaused while the class is paused.

    Read at most every 2 s per process: an index build makes many calls.
    """
    from lib.errors import CallsPaused
    from lib.storage.db import database_url, engine_for

    pause = ClassControl(engine_for(database_url(settings.data_dir, settings.database_url))).paused(ttl_s=2.0)
    if pause is not None:
        raise CallsPaused.because(pause.note)
