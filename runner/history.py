"""Every run's results in SQLite, so a periodic re-check can tell what changed, and what the platform switched back on.

One database in the user data dir (`history.sqlite3`), in WAL mode. Each finished job is recorded in its own
transaction the moment it finishes, so a run that is killed keeps everything it had already recorded, and a
crash never leaves half a record. The schema is versioned with `PRAGMA user_version`; MIGRATIONS lists the
steps from an empty file to the current version, applied in order, each in one transaction.

Drift: a setting that an earlier run left opted out (compliant or changed) and a later run finds exposed again
(changed, or non_compliant under --check) was re-enabled by the platform.
"""

from __future__ import annotations

import secrets
import shutil
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import structlog

from runner import proof
from runner.notices import NewSwitches, Notice, notice_id
from runner.paths import UNSAVED, Paths, private_dir, unwritable, why_not_written
from runner.results import Result, Status

log = structlog.get_logger("optout.history")

FILE_NAME = "history.sqlite3"

OPTED_OUT = {Status.COMPLIANT.value, Status.CHANGED.value}  # what an earlier run may leave behind
FOUND_EXPOSED = {Status.CHANGED.value, Status.NON_COMPLIANT.value}  # this run's read-before-change said exposed
KNOWN = OPTED_OUT | FOUND_EXPOSED  # statuses that say what the setting was; failures and people say nothing

# Each step takes the database from version i to i + 1. Append new steps; never edit a released one.
MIGRATIONS: list[tuple[str, ...]] = [
    (
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id TEXT NOT NULL UNIQUE,
            started_at TEXT NOT NULL,
            finished_at TEXT,               -- NULL: the run was killed or is still going
            check_mode INTEGER NOT NULL,
            replay INTEGER NOT NULL,
            exit_status INTEGER
        )""",
        """CREATE TABLE results (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run INTEGER NOT NULL REFERENCES runs(id),
            at TEXT NOT NULL,
            platform TEXT NOT NULL,
            account TEXT NOT NULL,
            setting TEXT NOT NULL,
            status TEXT NOT NULL,
            reason TEXT NOT NULL,
            detail TEXT NOT NULL,
            previous_status TEXT,           -- the setting's status before this result; NULL: first time seen
            drift INTEGER NOT NULL DEFAULT 0  -- 1: re-enabled by the platform since an earlier run opted it out
        )""",
        "CREATE INDEX results_by_run ON results(run)",
        "CREATE INDEX results_by_key ON results(platform, account, setting)",
        # The latest state per setting: survives pruning of old runs, so `status` keeps its dates.
        """CREATE TABLE latest (
            platform TEXT NOT NULL,
            account TEXT NOT NULL,
            setting TEXT NOT NULL,
            status TEXT NOT NULL,
            reason TEXT NOT NULL,
            detail TEXT NOT NULL,
            run_id TEXT NOT NULL,
            checked_at TEXT NOT NULL,
            changed_at TEXT NOT NULL,
            known_status TEXT,              -- the last status that said what the setting was
            known_at TEXT,
            reenabled_at TEXT,              -- the last time a run found it re-enabled by the platform
            drift INTEGER NOT NULL DEFAULT 0,  -- the latest result was a re-enable
            PRIMARY KEY (platform, account, setting)
        )""",
    ),
    (
        # What each notification target was told and has not yet heard resolved, so a run says only what is new.
        """CREATE TABLE notified (
            target TEXT NOT NULL,           -- a [notify] target's name, never its URL (that is in the keyring)
            platform TEXT NOT NULL,
            account TEXT NOT NULL,
            setting TEXT NOT NULL,
            kind TEXT NOT NULL,             -- drift, failed, needs_manual (runner/notify.py EVENTS)
            reason TEXT NOT NULL,
            told_at TEXT NOT NULL,
            PRIMARY KEY (target, platform, account, setting)
        )""",
    ),
    (
        "ALTER TABLE results ADD COLUMN proof TEXT",  # the proof image of an opted-out read, relative to the data dir
        "ALTER TABLE results ADD COLUMN locator TEXT",  # "3/4": found only by its 3rd of 4 fallbacks; NULL: first
        "ALTER TABLE latest ADD COLUMN proof TEXT",  # the newest proof; kept while the state is unknown (a failure)
        "ALTER TABLE latest ADD COLUMN locator TEXT",
        # AI-related controls no flow knows, seen on pages a run visited anyway (runner/notices.py).
        """CREATE TABLE notices (
            platform TEXT NOT NULL,
            account TEXT NOT NULL,
            page TEXT NOT NULL,             -- the page's URL without query or fragment
            label TEXT NOT NULL,
            kind TEXT NOT NULL,             -- switch, checkbox, radio, select
            state TEXT NOT NULL,            -- on, off, or the chosen option, as last seen
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            run_id TEXT NOT NULL,           -- the run that first saw it
            acked_at TEXT,                  -- dismissed with `optout-run ack`: never reported again
            PRIMARY KEY (platform, account, page, label)
        )""",
    ),
]


class HistoryError(Exception):
    """The history database cannot be used; the message is one line for the user: where, then why."""

    def __init__(self, path: Path, why: str) -> None:
        super().__init__(f"{path}: {why}")
        self.why = why


CORRUPT = {"SQLITE_CORRUPT", "SQLITE_NOTADB"}


def why_unusable(exc: sqlite3.Error, path: Path) -> str:
    """Why SQLite refused, with the fix that fits: a full or read-only disk is not cured by moving the file aside.

    SQLite says "unable to open database file" for a read-only directory too, so the directory is tried for real.
    """
    trouble = unwritable(path.parent)
    if trouble is not None:
        return why_not_written(trouble)
    if getattr(exc, "sqlite_errorname", "") in CORRUPT:
        return f"the history database cannot be used ({exc}): move it aside to start afresh"
    return f"the history database cannot be used ({exc})"


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def new_run_id() -> str:
    """Sortable and unique: the UTC start time and a little randomness (also names the run's folder, if any)."""
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def database_path(paths: Paths) -> Path:
    return paths.data_dir / FILE_NAME


@dataclass(frozen=True)
class Drift:
    """One setting the platform switched back on after an earlier run had it opted out."""

    platform: str
    account: str
    setting: str
    status: str  # this run's status: changed (switched off again) or non_compliant (--check: still exposed)
    opted_out_at: str  # when an earlier run last saw it opted out
    opted_out_status: str  # what that run found: compliant or changed

    @property
    def key(self) -> tuple[str, str, str]:
        return self.platform, self.account, self.setting

    def line(self) -> str:
        after = "switched off again" if self.status == Status.CHANGED.value else "still exposed: run without --check"
        return (
            f"{self.platform} {self.account} {self.setting}: re-enabled by the platform "
            f"(it was opted out at {self.opted_out_at}); {after}"
        )

    def as_json(self) -> dict:
        return {
            "platform": self.platform,
            "account": self.account,
            "setting": self.setting,
            "status": self.status,
            "opted_out_at": self.opted_out_at,
            "opted_out_status": self.opted_out_status,
            "message": "re-enabled by the platform",
        }


class History:
    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path

    # -- opening -----------------------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path) -> "History":
        private_dir(path.parent)
        try:
            conn = sqlite3.connect(path, isolation_level=None, timeout=10)  # autocommit; transactions are explicit
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout = 10000")
            if conn.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
                raise HistoryError(path, "cannot switch the history database to WAL mode")
            conn.execute("PRAGMA synchronous = FULL")
            history = cls(conn, path)
            history.migrate()
        except sqlite3.DatabaseError as exc:
            raise HistoryError(path, why_unusable(exc, path)) from None
        if path.stat().st_mode & 0o777 != 0o600:  # a chmod that changes nothing still fails on a read-only disk
            path.chmod(0o600)
        return history

    @classmethod
    def for_paths(cls, paths: Paths) -> "History":
        return cls.open(database_path(paths))

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "History":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error: all of it is recorded or none."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    @property
    def version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def migrate(self) -> None:
        if self.version == len(MIGRATIONS):
            return
        with self.transaction() as conn:  # re-read inside the lock: another process may have migrated meanwhile
            version = self.version
            if version > len(MIGRATIONS):
                raise HistoryError(self.path, f"written by a newer optout-run (schema {version}); upgrade optout-run")
            for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in step:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")
                log.info("history migrated", version=number)

    # -- recording ---------------------------------------------------------------------------------------------

    def start_run(self, check: bool, replay: bool, run_id: str | None = None) -> "RunRecord":
        run_id = run_id or new_run_id()
        with self.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO runs (run_id, started_at, check_mode, replay) VALUES (?, ?, ?, ?)",
                (run_id, now(), int(check), int(replay)),
            )
        return RunRecord(self, cursor.lastrowid, run_id)

    def prune(self, keep_runs: int) -> int:
        """Forget all but the newest keep_runs runs (their results and proof images too); `latest` keeps each
        setting's summary, and its newest proof image even when that run is gone (one per setting)."""
        keep_runs = max(1, keep_runs)
        with self.transaction() as conn:
            old = "SELECT id FROM runs ORDER BY id DESC LIMIT -1 OFFSET ?"
            conn.execute(f"DELETE FROM results WHERE run IN ({old})", (keep_runs,))
            removed = conn.execute(f"DELETE FROM runs WHERE id IN ({old})", (keep_runs,)).rowcount
            runs = {row[0] for row in conn.execute("SELECT run_id FROM runs")}
            latest = {row[0] for row in conn.execute("SELECT proof FROM latest WHERE proof IS NOT NULL")}
        proof.prune(self.path.parent, runs, latest)
        return removed

    # -- reading -----------------------------------------------------------------------------------------------

    def latest(self) -> list[sqlite3.Row]:
        return self.conn.execute("SELECT * FROM latest ORDER BY platform, account, setting").fetchall()

    def changes(self, platform: str | None = None, since: str | None = None) -> list[sqlite3.Row]:
        """Status transitions, oldest first: a setting's first result, any change of status, every switch."""
        where = ["(r.previous_status IS NULL OR r.previous_status != r.status OR r.status = 'changed' OR r.drift)"]
        args: list = []
        if platform:
            where.append("r.platform = ?")
            args.append(platform)
        if since:
            where.append("r.at >= ?")
            args.append(since)
        return self.conn.execute(
            "SELECT r.*, runs.run_id, runs.check_mode, runs.replay FROM results r JOIN runs ON runs.id = r.run "
            f"WHERE {' AND '.join(where)} ORDER BY r.id",
            args,
        ).fetchall()

    def runs(self) -> list[sqlite3.Row]:
        return self.conn.execute("SELECT * FROM runs ORDER BY id").fetchall()

    # -- new AI-related settings no flow knows (runner/notices.py) -------------------------------------------------

    def record_notices(self, run_id: str, notices: list[Notice]) -> list[Notice]:
        """Remember what a job saw; return the notices no run had seen before (acknowledged ones never come back)."""
        at = now()
        new = []
        with self.transaction() as conn:
            for n in notices:
                inserted = conn.execute(
                    "INSERT INTO notices (platform, account, page, label, kind, state, first_seen, last_seen, run_id)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (n.platform, n.account, n.page, n.label, n.kind, n.state, at, at, run_id),
                ).rowcount
                if inserted:
                    new.append(n)
                else:
                    conn.execute(
                        "UPDATE notices SET state = ?, kind = ?, last_seen = ?"
                        " WHERE platform = ? AND account = ? AND page = ? AND label = ?",
                        (n.state, n.kind, at, n.platform, n.account, n.page, n.label),
                    )
        return new

    def notices(self, acknowledged: bool = False) -> list[sqlite3.Row]:
        where = "" if acknowledged else " WHERE acked_at IS NULL"
        return self.conn.execute(f"SELECT * FROM notices{where} ORDER BY platform, account, first_seen").fetchall()

    def acknowledge(self, ids: set[str] | None) -> list[sqlite3.Row]:
        """Dismiss the notices with these ids (None: every open one); return those dismissed."""
        chosen = [r for r in self.notices() if ids is None or notice_id(r["platform"], r["page"], r["label"]) in ids]
        with self.transaction() as conn:
            conn.executemany(
                "UPDATE notices SET acked_at = ? WHERE platform = ? AND account = ? AND page = ? AND label = ?",
                [(now(), r["platform"], r["account"], r["page"], r["label"]) for r in chosen],
            )
        return chosen

    # -- what notification targets were told ----------------------------------------------------------------------

    def notified(self, target: str) -> dict[tuple[str, str, str], sqlite3.Row]:
        """The problems target was told about and has not heard resolved, by (platform, account, setting)."""
        rows = self.conn.execute("SELECT * FROM notified WHERE target = ?", (target,)).fetchall()
        return {(r["platform"], r["account"], r["setting"]): r for r in rows}

    def remember_notified(
        self, target: str, told: list[tuple[str, str, str, str, str]], forgotten: list[tuple[str, str, str]]
    ) -> None:
        """After target took a message: told holds (platform, account, setting, kind, reason) it now knows of,
        forgotten the settings it needs to hear no more about. One transaction: a message is remembered whole."""
        at = now()
        with self.transaction() as conn:
            conn.executemany(
                "DELETE FROM notified WHERE target = ? AND platform = ? AND account = ? AND setting = ?",
                [(target, *key) for key in forgotten],
            )
            conn.executemany(
                "INSERT OR REPLACE INTO notified (target, platform, account, setting, kind, reason, told_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(target, *problem, at) for problem in told],
            )

    def forget_targets(self, keep: tuple[str, ...]) -> None:
        """Forget what targets no longer in [notify] were told: one added again hears every open problem afresh."""
        with self.transaction() as conn:
            conn.execute(f"DELETE FROM notified WHERE target NOT IN ({', '.join('?' * len(keep))})", keep)


class RunRecord:
    """One run in the history: record each job's results as it finishes, then finish."""

    def __init__(self, history: History, pk: int, run_id: str) -> None:
        self.history = history
        self.pk = pk
        self.run_id = run_id
        self.drift: list[Drift] = []

    def record(self, results: list[Result]) -> list[Drift]:
        """One job's results in one transaction; returns the settings found re-enabled by the platform."""
        found: list[Drift] = []
        at = now()
        with self.history.transaction() as conn:
            for r in results:
                status = r.status.value
                before = conn.execute(
                    "SELECT * FROM latest WHERE platform = ? AND account = ? AND setting = ?",
                    (r.platform, r.account, r.setting),
                ).fetchone()
                drift = (
                    before is not None
                    and before["run_id"] != self.run_id
                    and before["known_status"] in OPTED_OUT
                    and status in FOUND_EXPOSED
                )
                if drift:
                    found.append(Drift(r.platform, r.account, r.setting, status, before["known_at"], before["known_status"]))
                previous = before["status"] if before is not None else None
                conn.execute(
                    "INSERT INTO results (run, at, platform, account, setting, status, reason, detail, previous_status,"
                    " drift, proof, locator) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        self.pk, at, r.platform, r.account, r.setting, status, r.reason.value, r.detail, previous,
                        int(drift), r.proof or None, r.locator or None,
                    ),
                )
                known = status in KNOWN
                # The setting's own change (opted out <-> exposed, or switched by us), never a failure of ours.
                was = before["known_status"] if before is not None else None
                changed = known and (was is None or (was in OPTED_OUT) != (status in OPTED_OUT) or status == Status.CHANGED.value or drift)
                conn.execute(
                    """INSERT INTO latest (platform, account, setting, status, reason, detail, run_id, checked_at,
                           changed_at, known_status, known_at, reenabled_at, drift, proof, locator)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                       ON CONFLICT (platform, account, setting) DO UPDATE SET
                           status = excluded.status, reason = excluded.reason, detail = excluded.detail,
                           run_id = excluded.run_id, checked_at = excluded.checked_at,
                           changed_at = CASE WHEN ? THEN excluded.changed_at ELSE latest.changed_at END,
                           known_status = CASE WHEN ? THEN excluded.known_status ELSE latest.known_status END,
                           known_at = CASE WHEN ? THEN excluded.known_at ELSE latest.known_at END,
                           reenabled_at = CASE WHEN ? THEN excluded.reenabled_at ELSE latest.reenabled_at END,
                           drift = excluded.drift,
                           proof = CASE WHEN ? THEN excluded.proof ELSE latest.proof END,
                           locator = CASE WHEN ? THEN excluded.locator ELSE latest.locator END""",
                    (
                        r.platform, r.account, r.setting, status, r.reason.value, r.detail, self.run_id, at,
                        at, status if known else None, at if known else None, at if drift else None, int(drift),
                        r.proof or None, r.locator or None,
                        int(changed), int(known), int(known), int(drift), int(known), int(known),
                    ),
                )
        self.drift += found
        return found

    def finish(self, exit_status: int) -> None:
        with self.history.transaction() as conn:
            conn.execute("UPDATE runs SET finished_at = ?, exit_status = ? WHERE id = ?", (now(), int(exit_status), self.pk))


class Recorder:
    """The run's on_event handler: records each job as it finishes. History trouble never stops a run: it goes
    into UNSAVED, said once after the results, and the run goes on (drift then cannot be detected)."""

    def __init__(self, paths: Paths, check: bool, replay: bool) -> None:
        self.paths = paths
        self.check = check
        self.replay = replay
        self.history: History | None = None
        self.run: RunRecord | None = None
        self.switches = NewSwitches()  # the page watcher whose notices each finished job records
        self.notices: list[Notice] = []  # this run's notices no earlier run had seen
        try:
            self.history = History.for_paths(paths)
        except (HistoryError, OSError) as exc:
            self._fail(exc)

    @property
    def drift(self) -> list[Drift]:
        return list(self.run.drift) if self.run else []

    @property
    def run_id(self) -> str | None:
        return self.run.run_id if self.run else None

    def _fail(self, exc: Exception) -> None:
        path = database_path(self.paths)
        if isinstance(exc, sqlite3.Error):
            why: Exception | str = why_unusable(exc, path)
        elif isinstance(exc, HistoryError):
            why = exc.why
        else:
            why = exc
        UNSAVED.note("the history", path, why)

    def __call__(self, event: str, job, results: list[Result]) -> None:
        if event == "done":
            self.record(results)
            self.record_notices(self.switches.take(job))

    def start(self) -> str | None:
        """Open this run's row (done by the first record; call it earlier to name the run's folder by its id)."""
        if self.history is not None and self.run is None:
            try:
                self.run = self.history.start_run(self.check, self.replay)
            except (sqlite3.Error, OSError) as exc:
                self._fail(exc)
        return self.run_id

    def record(self, results: list[Result]) -> None:
        if self.history is None:
            return
        try:
            if self.start() is None:
                return
            self.run.record(results)
        except (sqlite3.Error, OSError) as exc:
            self._fail(exc)

    def record_notices(self, seen: list[Notice]) -> None:
        """Without a history every notice counts as new: better said twice than never."""
        if not seen:
            return
        if self.history is None or self.start() is None:
            self.notices += seen
            return
        try:
            self.notices += self.history.record_notices(self.run_id, seen)
        except (sqlite3.Error, OSError) as exc:
            self.notices += seen
            self._fail(exc)

    def finish(self, exit_status: int, keep_runs: int) -> None:
        """Mark the run finished, then keep only the newest keep_runs runs and run folders."""
        if self.history is not None:
            try:
                if self.run is not None:
                    self.run.finish(exit_status)
                self.history.prune(keep_runs)
            except (sqlite3.Error, OSError) as exc:
                self._fail(exc)
        try:
            prune_run_dirs(self.paths.state_dir / "runs", keep_runs)
        except OSError as exc:
            log.warning("could not prune old run folders", error=str(exc))

    def close(self) -> None:
        if self.history is not None:
            self.history.close()


def prune_run_dirs(runs_dir: Path, keep: int) -> list[Path]:
    """Keep the newest `keep` per-run folders (evidence and the like) under state/runs/; remove the rest."""
    if not runs_dir.is_dir():
        return []
    folders = [p for p in runs_dir.iterdir() if p.is_dir() and not p.is_symlink()]
    folders.sort(key=lambda p: (p.stat().st_mtime, p.name), reverse=True)
    removed = []
    for old in folders[max(1, keep):]:
        shutil.rmtree(old, ignore_errors=True)
        removed.append(old)
    return removed
