"""Two nodes protect a stream end to end over 127.0.0.1:
``source -> encoder -> encrypt -> loss -> udp`` on the controller, ``udp -> decrypt -> decoder
-> sink`` on the client (managed through the hub).

The loss components are seeded and the codecs deterministic, so what the sink must count is
computed by replaying the same loss pattern through the same codec in process; the decoder's
counters must account for every packet the source sent.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from nanoping.dataplane.config import validate_config
from nanoping.dataplane.fakes import config_doc, wire
from nanoping.fec.block import BlockConfig, BlockDecoder, BlockEncoder, ReedSolomonCode
from nanoping.fec.sliding_window import (
    SlidingWindowConfig,
    SlidingWindowDecoder,
    SlidingWindowEncoder,
)
from nanoping.testing.cluster import joined_pair, wait_until
from nanoping.testing.node_process import NodeProcess
from nanoping.testing.reference_client import ReferenceApi

from .harness import PipelinesApi
from .test_two_nodes import TelemetryReader

# The sender's packet rate follows the CPU it gets, and the timed bursts follow the clock. Three
# of five suite runs with two workers failed here (one case each), so the module runs after the
# parallel part (README's test command). The timed-burst case also failed in one process on a
# loaded machine (1 run in 3 at load 5 to 6, as 1998 delivered and 2 lost): a burst took the
# stream's last two sources, which one repair cannot rebuild. rely_encoder now sends repairs
# once its stream goes quiet (tests/fec/test_components.py holds that case in virtual time).
pytestmark = pytest.mark.alone

PACKETS = 2000
PACKET_SIZE = 200
SEED = 4242
KEY = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
Codec = tuple[str, dict[str, Any], dict[str, Any]]
# Time limits far above any scheduling stall of a loaded machine, so the outcome depends on the
# packet order only (which the replay reproduces), not on timing. At 1 s, a sender stalled for
# over a second after a burst (seen at load 8) made the receiver give up two sources. The block
# code's defaults (a short block repaired 50 ms after its first packet, given up after 200 ms)
# made a stalled sender's datagrams differ from the replay's (seen with two test workers).
RELY: Codec = ("rely", {"repair_target_rate": 0.25, "repair_time_window": 5000}, {"timeout": 5000})
REED_SOLOMON: Codec = (
    "reed_solomon",
    {"symbols": 10, "repair": 4, "flush_timeout": 5000},
    {"symbols": 10, "repair": 4, "timeout": 5000},
)


def chain(names: list[str]) -> dict[str, dict[str, str]]:
    """The input/output wiring of each component of a straight chain."""
    out: dict[str, dict[str, str]] = {name: {} for name in names}
    for producer, consumer in itertools.pairwise(names):
        link = wire(consumer, 0, producer, 0)
        out[producer]["output"] = link
        out[consumer]["input"] = link
    return out


def sender_doc(codec: Codec, loss: dict[str, Any], port: int) -> dict[str, object]:
    io = chain(["source", "encoder", "encrypt", "loss", "udp"])
    name, encoder, _ = codec
    ((loss_type, loss_params),) = loss.items()
    if loss_type == "loss_dynamic":
        loss_params = {"flows": [io["loss"]], **loss_params}
    else:
        loss_params = {**io["loss"], **loss_params}
    source = {"total_packets": PACKETS, "interval": 1, "packet_size": PACKET_SIZE}
    encrypt = {"key": KEY, "cipher_suite": "aes_256_gcm"}
    return config_doc(
        {
            "source": {"uniform_traffic_source": {**io["source"], **source}},
            "encoder": {f"{name}_encoder": {**io["encoder"], **encoder}},
            "encrypt": {"boringssl_encrypt": {**io["encrypt"], **encrypt}},
            "loss": {loss_type: loss_params},
            "udp": {"udp_socket": {**io["udp"], "remote_address": f"127.0.0.1:{port}"}},
        }
    )


def receiver_doc(codec: Codec) -> dict[str, object]:
    io = chain(["udp", "decrypt", "decoder", "sink"])
    name, _, decoder = codec
    decrypt = {"key": KEY, "cipher_suite": "aes_256_gcm"}
    return config_doc(
        {
            "udp": {"udp_socket": {**io["udp"], "bind_address": "127.0.0.1:0"}},
            "decrypt": {"boringssl_decrypt": {**io["decrypt"], **decrypt}},
            "decoder": {f"{name}_decoder": {**io["decoder"], **decoder}},
            # Stopped by the test once the stream is accounted for.
            "sink": {"traffic_sink": {**io["sink"], "timeout_ms": 120_000}},
        }
    )


def replay(codec: Codec, loss_percent: float) -> tuple[int, int]:
    """(delivered, lost for good) for the loss_dynamic pattern of SEED through ``codec``."""
    name, encoder_params, _ = codec
    if name == "rely":
        config = SlidingWindowConfig(
            repair_rate=encoder_params["repair_target_rate"],
            window_time=encoder_params["repair_time_window"] / 1000,
        )
        encoder: Any = SlidingWindowEncoder(config)
        decoder: Any = SlidingWindowDecoder(config)
    else:
        code = ReedSolomonCode(BlockConfig(symbols=10, repair=4))
        encoder, decoder = BlockEncoder(code), BlockDecoder(code)
    datagrams = []
    for index in range(PACKETS):
        datagrams += encoder.encode(bytes(PACKET_SIZE), index * 0.001)
    while (due := encoder.next_deadline()) is not None:  # flush and tail repairs
        datagrams += encoder.poll(due)
    draw = random.Random(SEED).random
    delivered = sum(len(decoder.receive(d, 0.0)) for d in datagrams if draw() * 100 >= loss_percent)
    decoder.poll(1e9)
    return delivered, decoder.counters.lost


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory, reference_api: ReferenceApi
) -> Iterator[tuple[NodeProcess, NodeProcess]]:
    tmp_path: Path = tmp_path_factory.mktemp("fec-two-nodes")
    with joined_pair(reference_api, tmp_path) as pair:
        yield pair


def transfer(
    cluster: tuple[NodeProcess, NodeProcess],
    api: ReferenceApi,
    codec: Codec,
    loss: dict[str, Any],
    expected: Collection[tuple[int, int]],
) -> dict[str, float]:
    """Run the stream; wait until the receiver reports one of ``expected`` (delivered, lost);
    return the sender's and receiver's final counters."""
    controller, client = cluster
    with grpc.insecure_channel(controller.grpc_address) as channel:
        here = PipelinesApi(api, channel, controller.node_id)
        there = PipelinesApi(api, channel, client.node_id)  # routed by the hub
        receiving = there.create("fec-receiver", validate_receiver(codec))
        receiver = TelemetryReader(there, there.start(receiving.id))
        wait_until(lambda: bool(receiver.samples), what="the first sample of the receiver")
        port = int(receiver.metric("udp", "local_port", sample=0))
        doc = sender_doc(codec, loss, port)
        validate_config(doc)
        sender = TelemetryReader(here, here.start(here.create("fec-sender", doc).id))
        sender.join(timeout=60)
        assert "ended: all components finished" in sender.error.details()

        def accounted() -> bool:
            sink = receiver.metric("sink", "packets_unique")
            return (sink, receiver.metric("decoder", "lost")) in expected

        try:
            wait_until(accounted, timeout=30, what=f"the receiver to count {expected}")
        except AssertionError as timeout:
            seen = {
                name: receiver.metric("decoder", name) for name in ("recovered", "lost", "late")
            }
            unique = receiver.metric("sink", "packets_unique")
            dropped = sender.metric("loss", "packets_dropped")
            raise AssertionError(f"{timeout}; unique {unique}, {seen}, dropped {dropped}") from None
        finally:
            there.call("stopPipeline", id=receiving.id)
            receiver.join(timeout=30)
        return {
            "dropped": sender.metric("loss", "packets_dropped"),
            "recovered": receiver.metric("decoder", "recovered"),
            "auth_failures": receiver.metric("decrypt", "auth_failures"),
            "unique": receiver.metric("sink", "packets_unique"),
        }


def validate_receiver(codec: Codec) -> dict[str, object]:
    doc = receiver_doc(codec)
    validate_config(doc)  # fail here, not in a node, if the config is wrong
    return doc


@pytest.mark.parametrize(
    ("codec", "percent"), [(RELY, 5), (REED_SOLOMON, 10)], ids=["rely-5%", "reed_solomon-10%"]
)
def test_random_loss_is_repaired_as_predicted(
    cluster: tuple[NodeProcess, NodeProcess],
    reference_api: ReferenceApi,
    codec: Codec,
    percent: int,
) -> None:
    phases = [{"duration": 1000, "loss_probability": percent}]
    loss = {"loss_dynamic": {"phases": phases, "seed": SEED}}
    delivered, lost = replay(codec, percent)
    counts = transfer(cluster, reference_api, codec, loss, {(delivered, lost)})
    assert delivered + lost == PACKETS
    assert counts["dropped"] > PACKETS * percent / 100  # sources and repairs both hit
    assert counts["recovered"] > 0
    assert counts["auth_failures"] == 0
    assert delivered > PACKETS * (1 - percent / 100 / 10)  # at least a tenfold improvement


def test_timed_bursts_shorter_than_the_window_lose_nothing(
    cluster: tuple[NodeProcess, NodeProcess], reference_api: ReferenceApi
) -> None:
    # Two packets dropped after every 40 ms: one repair per four sources over a 64-packet
    # window rebuilds each burst, whatever the exact timing of the bursts. A burst at the
    # stream's end (the source's schedule puts one there, and a loaded sender moves it) takes
    # the last sources or repairs; the repairs sent once the stream went quiet rebuild those.
    loss = {"timed_burst_loss": {"interval_ms": 40, "burst_packets": 2}}
    counts = transfer(cluster, reference_api, RELY, loss, {(PACKETS, 0)})
    assert counts["dropped"] >= 2 * (PACKETS // 50)
    assert counts["recovered"] >= counts["dropped"] * 0.5  # bursts hit sources and repairs
