"""Metrics: collections from made-up readings (rates, percentages, kinds, units), the shared
sampler that runs only while watched, and one real psutil sample."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from nanoping.api import metrics_pb2, resources_pb2
from nanoping.errors import Unavailable
from nanoping.resources import sampler as sampler_module
from nanoping.resources.sampler import MetricsSampler
from nanoping.resources.system_metrics import CpuTimes, DiskIo, NicCounters, Readings, collections
from nanoping.resources.watched_feed import WatchedFeed
from nanoping.service.resources import ResourcesService

BEFORE = Readings(
    now=100.0,
    cores=(CpuTimes(busy=10.0, total=100.0), CpuTimes(busy=50.0, total=100.0)),
    total_cpu=CpuTimes(busy=60.0, total=200.0),
    memory_total=1000,
    memory_available=600,
    memory_used=250,
    swap_total=0,
    swap_used=0,
    mountpoint="/data",
    disk_total=4000,
    disk_used=1000,
    disk_free=3000,
    disk_io=DiskIo(read_bytes=0, write_bytes=0, reads=0, writes=0),
    nics={"eth0": NicCounters(1000, 2000, 10, 20, 0, 0, 0, 0)},
    load=(0.5, 0.25, 0.125),
    process_cpu_seconds=3.0,
    process_rss=5000,
    process_fds=12,
    process_threads=4,
    runs_alive=2,
)
AFTER = dataclasses.replace(
    BEFORE,
    now=102.0,
    cores=(CpuTimes(busy=60.0, total=200.0), CpuTimes(busy=50.0, total=200.0)),
    total_cpu=CpuTimes(busy=110.0, total=400.0),
    disk_io=DiskIo(read_bytes=4096, write_bytes=8192, reads=2, writes=4),
    nics={"eth0": NicCounters(3000, 2000, 30, 20, 0, 2, 0, 0)},
    process_cpu_seconds=4.0,
)


def by_path(sample: list[metrics_pb2.Collection]) -> dict[str, metrics_pb2.Collection]:
    return {collection.path: collection for collection in sample}


def value(collection: metrics_pb2.Collection, name: str) -> float:
    metric = collection.metrics[name]
    member = getattr(metric, str(metric.WhichOneof("type")))
    return float(member.value)


def test_collections_hold_rates_and_percentages_between_two_readings() -> None:
    sample = by_path(collections(BEFORE, AFTER))
    assert list(sample) == [
        "/system/cpu", "/system/memory", "/system/disk", "/system/network/eth0",
        "/system/load", "/process",
    ]  # fmt: skip
    cpu = sample["/system/cpu"]
    assert (value(cpu, "core0"), value(cpu, "core1"), value(cpu, "total")) == (50.0, 0.0, 25.0)
    assert cpu.metrics["threads"].constant.uint64 == 2
    assert value(sample["/system/memory"], "used_percent") == 25.0
    disk = sample["/system/disk"]
    assert disk.metrics["mountpoint"].constant.string == "/data"
    assert (value(disk, "read_bytes_per_second"), value(disk, "writes_per_second")) == (2048, 2)
    network = sample["/system/network/eth0"]
    assert value(network, "bytes_sent_per_second") == 1000.0
    assert value(network, "packets_sent_per_second") == 10.0
    assert value(network, "errors_out_per_second") == 1.0
    assert value(network, "bytes_received_per_second") == 0.0
    assert network.metrics["bytes_sent_total"].uint64.kind == metrics_pb2.COUNTER
    process = sample["/process"]
    assert value(process, "cpu_percent") == 50.0
    assert (value(process, "runs_alive"), value(process, "open_fds")) == (2, 12)
    assert value(sample["/system/load"], "load5") == 0.25


def test_every_metric_says_what_it_measures_with_kind_and_unit() -> None:
    for collection in collections(BEFORE, AFTER):
        for name, metric in collection.metrics.items():
            member = getattr(metric, str(metric.WhichOneof("type")))
            assert member.description, f"{collection.path} {name}"
            if metric.WhichOneof("type") == "float64":
                assert member.kind == metrics_pb2.GAUGE
            if name.endswith("_per_second"):
                assert member.unit in ("bytes/s", "1/s"), name


def test_the_first_sample_has_zero_rates_and_counters_going_back_give_zero() -> None:
    first = by_path(collections(None, AFTER))
    assert value(first["/system/network/eth0"], "bytes_sent_per_second") == 0.0
    assert value(first["/system/cpu"], "total") == 0.0
    went_back = by_path(collections(AFTER, dataclasses.replace(BEFORE, now=104.0)))
    assert value(went_back["/system/network/eth0"], "bytes_sent_per_second") == 0.0


def test_a_real_psutil_reading_gives_every_collection(tmp_path: Path) -> None:
    sampler = MetricsSampler(data_dir=tmp_path, runs_alive=lambda: 0)
    first = sampler.read()
    sample = sampler.sample(first, sampler.read())
    paths = [collection.path for collection in sample.collections]
    assert paths[:3] == ["/system/cpu", "/system/memory", "/system/disk"]
    assert "/system/network/lo" in paths
    assert paths[-2:] == ["/system/load", "/process"]
    assert by_path(list(sample.collections))["/process"].metrics["rss"].uint64.value > 0


async def test_one_sampler_serves_every_watcher_and_stops_after_the_last(tmp_path: Path) -> None:
    produced: list[int] = []

    async def produce(publish: Callable[[int], None], watched: Callable[[], bool]) -> None:
        while watched():
            produced.append(len(produced))
            publish(produced[-1])
            await asyncio.sleep(0.01)

    feed: WatchedFeed[int] = WatchedFeed(produce, name="test")
    first, second = feed.subscribe(), feed.subscribe()
    async with asyncio.timeout(5):
        assert await anext(first) == 0
        assert await anext(second) == 0
        first.close()
        second.close()
        await feed.stopped()
    assert feed.watchers() == 0
    assert not feed.running
    count = len(produced)
    await asyncio.sleep(0.05)
    assert len(produced) == count  # nothing produced once nobody watches


async def test_metrics_stream_sends_a_sample_at_once(tmp_path: Path) -> None:
    sampler = MetricsSampler(data_dir=tmp_path, runs_alive=lambda: 3)
    service = ResourcesService(node_id="n", sampler=sampler)
    stream = service.open_metrics_stream(resources_pb2.OpenMetricsStreamRequest(node_id="n"))
    async with asyncio.timeout(5):
        sample = await anext(stream)
    assert by_path(list(sample.collections))["/process"].metrics["runs_alive"].uint64.value == 3
    assert sample.timestamp.seconds > 0
    await stream.aclose()  # type: ignore[attr-defined]
    await service.close()


class FlakySampler(MetricsSampler):
    """A sampler whose first readings fail as psutil's do when the machine's tables change."""

    def __init__(self, tmp_path: Path, failures: int) -> None:
        super().__init__(data_dir=tmp_path, runs_alive=lambda: 0)
        self.failures = failures

    def read(self) -> Readings:
        if self.failures:
            self.failures -= 1
            raise psutil.NoSuchProcess(pid=1234)
        return super().read()


async def test_a_failed_reading_is_skipped_not_the_end_of_the_stream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(sampler_module, "SAMPLE_INTERVAL", 0.01)
    sampler = FlakySampler(tmp_path, failures=3)
    service = ResourcesService(node_id="n", sampler=sampler)
    stream = service.open_metrics_stream(resources_pb2.OpenMetricsStreamRequest(node_id="n"))
    async with asyncio.timeout(5):
        sample = await anext(stream)
    assert sampler.failures == 0
    assert "/process" in by_path(list(sample.collections))
    assert "metrics reading skipped: NoSuchProcess" in caplog.text
    await stream.aclose()  # type: ignore[attr-defined]
    await service.close()


async def test_a_producer_that_fails_ends_its_watchers_with_unavailable_naming_why() -> None:
    async def produce(publish: Callable[[int], None], watched: Callable[[], bool]) -> None:
        raise KeyError("eth9")

    feed: WatchedFeed[int] = WatchedFeed(produce, name="test sampler")
    watcher = feed.subscribe()
    with pytest.raises(Unavailable, match=r"test sampler failed: KeyError: 'eth9'"):
        async with asyncio.timeout(5):
            await anext(watcher)
    await feed.close()
