"""Pruning the logs of old runs, so a node that starts runs for months keeps bounded disk use.

Policy: the logs of the ``keep`` most recently written runs that are not live stay; the logs of
older ended runs are deleted (live file and rotated parts). A live run's log is never deleted,
whatever its age. Pruning happens when the node starts and whenever a run starts.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection
from pathlib import Path

from nanoping.logs.rotation import remove_log

DEFAULT_KEPT_RUNS = 100
"""Ended runs whose logs are kept by default."""


def run_logs(runs_dir: Path, suffix: str) -> dict[str, Path]:
    """Run id -> live log path, for every run that has a log file (or rotated part) here."""
    found: dict[str, Path] = {}
    with contextlib.suppress(FileNotFoundError):
        for entry in runs_dir.iterdir():
            run_id, separator, _ = entry.name.partition(suffix)
            if separator and run_id:
                found[run_id] = runs_dir / f"{run_id}{suffix}"
    return found


def _last_written(path: Path) -> float:
    """When the log was last written (its newest file's mtime); 0 when it has no file."""
    candidates = [path, path.with_name(path.name + ".1")]
    times = []
    for candidate in candidates:
        with contextlib.suppress(FileNotFoundError):
            times.append(candidate.stat().st_mtime)
    return max(times, default=0.0)


def prune_run_logs(runs_dir: Path, *, suffix: str, keep: int, live: Collection[str]) -> list[str]:
    """Delete the logs of ended runs beyond the ``keep`` newest; returns the pruned run ids."""
    ended = [
        (run_id, path) for run_id, path in run_logs(runs_dir, suffix).items() if run_id not in live
    ]
    ended.sort(key=lambda item: _last_written(item[1]), reverse=True)
    pruned = []
    for run_id, path in ended[keep:]:
        remove_log(path)
        pruned.append(run_id)
    return pruned
