"""The node's resource metrics: psutil readings in, ``metrics.Collection`` messages out.

:func:`read` takes one set of readings from psutil (the only I/O here); :func:`collections`
turns two consecutive readings into the collections of a sample, computing per-second rates
and CPU percentages from the counters' differences, so it is tested with made-up readings.

Collections (metric names in brackets):

- ``/system/cpu``: busy percent of every core (``core<N>``) and of all (``total``), and
  ``threads`` (constant);
- ``/system/memory``: ``total``, ``available``, ``used`` bytes, ``used_percent``, swap;
- ``/system/disk``: the file system holding the data dir: ``mountpoint``, ``total``, ``used``,
  ``free`` bytes, ``used_percent``, and its disk's I/O (``read_bytes_per_second``,
  ``write_bytes_per_second``, ``reads_per_second``, ``writes_per_second``) when the kernel
  counts I/O for that device;
- ``/system/network/<interface>``: bytes, packets, errors and drops per second, each way,
  plus the bytes totals (counters);
- ``/system/load``: 1, 5 and 15 minute load averages;
- ``/process``: the node process's ``cpu_percent`` (of one core), ``rss`` bytes, ``open_fds``,
  ``threads`` and ``runs_alive``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import psutil

from nanoping.api import metrics_pb2
from nanoping.resources.metric import amount, constant, counter, gauge

PERCENT = "percent"
BYTES = "bytes"
BYTES_PER_SECOND = "bytes/s"
PER_SECOND = "1/s"


class CpuTimes(NamedTuple):
    """Seconds one CPU (or all) spent busy and in total."""

    busy: float
    total: float


class DiskIo(NamedTuple):
    """I/O totals of one disk."""

    read_bytes: int
    write_bytes: int
    reads: int
    writes: int


class NicCounters(NamedTuple):
    """Totals of one network interface since boot."""

    bytes_sent: int
    bytes_received: int
    packets_sent: int
    packets_received: int
    errors_in: int
    errors_out: int
    drops_in: int
    drops_out: int


@dataclass(frozen=True)
class Readings:
    """One look at the machine and the node process."""

    now: float
    """Monotonic seconds when read."""
    cores: tuple[CpuTimes, ...]
    total_cpu: CpuTimes
    memory_total: int
    memory_available: int
    memory_used: int
    swap_total: int
    swap_used: int
    mountpoint: str
    disk_total: int
    disk_used: int
    disk_free: int
    disk_io: DiskIo | None
    nics: Mapping[str, NicCounters]
    load: tuple[float, float, float]
    process_cpu_seconds: float
    process_rss: int
    process_fds: int
    process_threads: int
    runs_alive: int = 0


def read(*, data_dir: Path, runs_alive: int, process: psutil.Process) -> Readings:
    """Read everything a sample needs from psutil (a few milliseconds)."""
    cores = tuple(_cpu(times) for times in psutil.cpu_times(percpu=True))
    memory = psutil.virtual_memory()
    swap = psutil.swap_memory()
    mountpoint, device = _mount_of(data_dir)
    disk = psutil.disk_usage(str(data_dir))
    with process.oneshot():
        cpu = process.cpu_times()
        rss = process.memory_info().rss
        fds = process.num_fds()
        threads = process.num_threads()
    return Readings(
        now=time.monotonic(),
        cores=cores,
        total_cpu=_cpu(psutil.cpu_times()),
        memory_total=memory.total,
        memory_available=memory.available,
        memory_used=memory.used,
        swap_total=swap.total,
        swap_used=swap.used,
        mountpoint=mountpoint,
        disk_total=disk.total,
        disk_used=disk.used,
        disk_free=disk.free,
        disk_io=_disk_io(device),
        nics={name: NicCounters(*counters[:8]) for name, counters in _nics().items()},
        load=os.getloadavg(),
        process_cpu_seconds=cpu.user + cpu.system,
        process_rss=rss,
        process_fds=fds,
        process_threads=threads,
        runs_alive=runs_alive,
    )


def collections(previous: Readings | None, current: Readings) -> list[metrics_pb2.Collection]:
    """The collections of a sample; rates are over ``previous`` .. ``current`` (0 without one)."""
    elapsed = current.now - previous.now if previous is not None else 0.0
    return [
        _cpu_collection(previous, current),
        _memory_collection(current),
        _disk_collection(previous, current, elapsed),
        *_network_collections(previous, current, elapsed),
        _load_collection(current),
        _process_collection(previous, current, elapsed),
    ]


# ---- collections ------------------------------------------------------------------------------


def _collection(path: str, metrics: Mapping[str, metrics_pb2.Metric]) -> metrics_pb2.Collection:
    result = metrics_pb2.Collection(path=path)
    for name, metric in metrics.items():
        result.metrics[name].CopyFrom(metric)
    return result


def _cpu_collection(previous: Readings | None, current: Readings) -> metrics_pb2.Collection:
    metrics = {"threads": constant(len(current.cores), "CPU threads of the machine")}
    metrics["total"] = _busy_gauge(
        previous.total_cpu if previous else None, current.total_cpu, "all CPU threads"
    )
    for index, times in enumerate(current.cores):
        before = previous.cores[index] if previous and index < len(previous.cores) else None
        metrics[f"core{index}"] = _busy_gauge(before, times, f"CPU thread {index}")
    return _collection("/system/cpu", metrics)


def _busy_gauge(before: CpuTimes | None, now: CpuTimes, what: str) -> metrics_pb2.Metric:
    percent = 0.0
    if before is not None and now.total > before.total:
        percent = 100.0 * (now.busy - before.busy) / (now.total - before.total)
    return gauge(
        min(100.0, max(0.0, percent)),
        f"Busy time of {what} since the previous sample",
        unit=PERCENT,
        minimum=0.0,
        maximum=100.0,
    )


def _memory_collection(current: Readings) -> metrics_pb2.Collection:
    used_percent = 100.0 * current.memory_used / current.memory_total if current.memory_total else 0
    return _collection(
        "/system/memory",
        {
            "total": amount(current.memory_total, "Physical memory", unit=BYTES),
            "available": amount(
                current.memory_available, "Memory available to new processes", unit=BYTES
            ),
            "used": amount(current.memory_used, "Memory in use", unit=BYTES),
            "used_percent": gauge(
                used_percent, "Memory in use", unit=PERCENT, minimum=0.0, maximum=100.0
            ),
            "swap_total": amount(current.swap_total, "Swap space", unit=BYTES),
            "swap_used": amount(current.swap_used, "Swap space in use", unit=BYTES),
        },
    )


def _disk_collection(
    previous: Readings | None, current: Readings, elapsed: float
) -> metrics_pb2.Collection:
    used_percent = 100.0 * current.disk_used / current.disk_total if current.disk_total else 0.0
    metrics = {
        "mountpoint": constant(current.mountpoint, "Mount point of the node's data dir"),
        "total": amount(current.disk_total, "Size of the file system", unit=BYTES),
        "used": amount(current.disk_used, "Space in use", unit=BYTES),
        "free": amount(current.disk_free, "Space free for the node", unit=BYTES),
        "used_percent": gauge(
            used_percent, "Space in use", unit=PERCENT, minimum=0.0, maximum=100.0
        ),
    }
    before = previous.disk_io if previous is not None else None
    now = current.disk_io
    if now is not None:
        for name, unit, what in (
            ("read_bytes", BYTES_PER_SECOND, "Bytes read from the disk"),
            ("write_bytes", BYTES_PER_SECOND, "Bytes written to the disk"),
            ("reads", PER_SECOND, "Read operations of the disk"),
            ("writes", PER_SECOND, "Write operations of the disk"),
        ):
            earlier = getattr(before, name) if before is not None else None
            metrics[f"{name}_per_second"] = gauge(
                _rate(earlier, getattr(now, name), elapsed), f"{what} per second", unit=unit
            )
    return _collection("/system/disk", metrics)


_NIC_RATES = (
    ("bytes_sent", BYTES_PER_SECOND, "Bytes sent"),
    ("bytes_received", BYTES_PER_SECOND, "Bytes received"),
    ("packets_sent", PER_SECOND, "Packets sent"),
    ("packets_received", PER_SECOND, "Packets received"),
    ("errors_in", PER_SECOND, "Receive errors"),
    ("errors_out", PER_SECOND, "Send errors"),
    ("drops_in", PER_SECOND, "Incoming packets dropped"),
    ("drops_out", PER_SECOND, "Outgoing packets dropped"),
)


def _network_collections(
    previous: Readings | None, current: Readings, elapsed: float
) -> list[metrics_pb2.Collection]:
    result = []
    for name, now in sorted(current.nics.items()):
        before = previous.nics.get(name) if previous is not None else None
        metrics = {
            f"{field_name}_per_second": gauge(
                _rate(getattr(before, field_name, None), getattr(now, field_name), elapsed),
                f"{what} per second",
                unit=unit,
            )
            for field_name, unit, what in _NIC_RATES
        }
        metrics["bytes_sent_total"] = counter(now.bytes_sent, "Bytes sent since boot", unit=BYTES)
        metrics["bytes_received_total"] = counter(
            now.bytes_received, "Bytes received since boot", unit=BYTES
        )
        result.append(_collection(f"/system/network/{name}", metrics))
    return result


def _load_collection(current: Readings) -> metrics_pb2.Collection:
    one, five, fifteen = current.load
    return _collection(
        "/system/load",
        {
            "load1": gauge(one, "Runnable processes, 1 minute average", minimum=0.0),
            "load5": gauge(five, "Runnable processes, 5 minute average", minimum=0.0),
            "load15": gauge(fifteen, "Runnable processes, 15 minute average", minimum=0.0),
        },
    )


def _process_collection(
    previous: Readings | None, current: Readings, elapsed: float
) -> metrics_pb2.Collection:
    before = previous.process_cpu_seconds if previous is not None else None
    cpu_percent = 100.0 * _rate(before, current.process_cpu_seconds, elapsed)
    return _collection(
        "/process",
        {
            "cpu_percent": gauge(
                cpu_percent, "CPU time of the node process (100 = one core)", unit=PERCENT,
                minimum=0.0,
            ),
            "rss": amount(current.process_rss, "Resident memory of the node process", unit=BYTES),
            "open_fds": amount(current.process_fds, "Open file descriptors of the node"),
            "threads": amount(current.process_threads, "Threads of the node process"),
            "runs_alive": amount(current.runs_alive, "Pipeline runs alive on this node"),
        },
    )  # fmt: skip


def _rate(before: float | None, now: float, elapsed: float) -> float:
    """Per-second growth of a counter; 0 without a previous value or when it went backwards."""
    if before is None or elapsed <= 0 or now < before:
        return 0.0
    return (now - before) / elapsed


# ---- psutil -----------------------------------------------------------------------------------


def _cpu(times: object) -> CpuTimes:
    values = times._asdict()  # type: ignore[attr-defined]
    total = float(sum(values.values()))
    idle = float(values.get("idle", 0.0)) + float(values.get("iowait", 0.0))
    return CpuTimes(busy=total - idle, total=total)


def _mount_of(path: Path) -> tuple[str, str]:
    """Mount point and device of the file system holding ``path`` (longest matching mount)."""
    resolved = str(path.resolve())
    best = ("/", "")
    for partition in psutil.disk_partitions(all=True):
        mount = partition.mountpoint
        inside = resolved == mount or resolved.startswith(mount.rstrip("/") + "/")
        if inside and len(mount) >= len(best[0]):
            best = (mount, partition.device)
    return best


def _disk_io(device: str) -> DiskIo | None:
    counters = psutil.disk_io_counters(perdisk=True) or {}
    found = counters.get(os.path.basename(device))
    if found is None:
        return None
    return DiskIo(found.read_bytes, found.write_bytes, found.read_count, found.write_count)


def _nics() -> dict[str, tuple[int, ...]]:
    return {name: tuple(values) for name, values in psutil.net_io_counters(pernic=True).items()}
