"""The ``raft`` component with its built-in AEAD, two of them back to back on a fake clock:
delivery, an attacker on the path (tampered copies, replays), wrong keys, a restart."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from nanoping.dataplane.component import Component
from nanoping.dataplane.errors import ParamError
from nanoping.dataplane.packet import Packet

from .test_component import CARRIERS, STREAM, build

KEY = "000102030405060708090a0b0c0d0e0f"
Tamper = Callable[[Component[Any], int, bytes], list[bytes]]
"""What the path does to one datagram on its way to a component: the datagrams that arrive."""


def sealed(key: str = KEY, **extra: Any) -> dict[str, Any]:
    return {"streams": [STREAM], "carriers": CARRIERS, "aead": {"key": key, **extra}}


def faithful(_to: Component[Any], _port: int, payload: bytes) -> list[bytes]:
    return [payload]


@dataclass
class Path2:
    """Two components joined by both carriers, 20 ms each way, stepped 1 ms at a time."""

    a: Component[Any]
    b: Component[Any]
    now: float = 0.0
    delivered: list[bytes] = field(default_factory=list)
    flight: list[tuple[float, Component[Any], int, bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.a.start(self.now)
        self.b.start(self.now)

    def run(self, seconds: float, *, send: range = range(0), tamper: Tamper = faithful) -> None:
        """Step the clock; packet i of ``send`` goes into ``a`` at step i."""
        to_send = iter(send)
        end = self.now + seconds
        while self.now < end:
            if (i := next(to_send, None)) is not None:
                self.a.push(0, [Packet(b"pkt%05d" % i + bytes(100), self.now)], self.now)
            self.step(tamper)

    def step(self, tamper: Tamper) -> None:
        now = self.now
        for here, there in ((self.a, self.b), (self.b, self.a)):
            for port in (1, 2):
                for packet in here.outputs[port].take():
                    for copy in tamper(there, port, packet.payload):
                        self.flight.append((now + 0.02, there, port, copy))
        self.delivered += [p.payload for p in self.b.outputs[0].take()]
        self.a.outputs[0].take()
        due = [f for f in self.flight if f[0] <= now]
        self.flight = [f for f in self.flight if f[0] > now]
        for _, there, port, payload in due:
            there.push(port, [Packet(payload, now)], now)
        for component in (self.a, self.b):
            component.poll(now)
        self.now = round(now + 0.001, 6)


def metrics(component: Component[Any], now: float) -> dict[str, float]:
    return {m.name: m.value for m in component.metrics(now).metrics}


def expected(packets: range) -> list[bytes]:
    return [b"pkt%05d" % i + bytes(100) for i in packets]


def test_sealed_components_deliver_everything_despite_an_attacker_on_the_path() -> None:
    rng = random.Random(3)
    replays: list[tuple[int, bytes]] = []

    def attacker(to: Component[Any], port: int, payload: bytes) -> list[bytes]:
        draw = rng.random()
        if draw < 0.05:  # held back, to come later as a delayed copy or a replay
            replays.append((port, payload))
            out = []
        elif draw < 0.15:  # replaced by a copy with one bit flipped anywhere
            bad = bytearray(payload)
            bad[rng.randrange(len(bad))] ^= 1 << rng.randrange(8)
            out = [bytes(bad)]
        else:
            out = [payload]
        if replays and rng.random() < 0.1:  # replayed anywhere, also back to its sender
            out.append(replays[rng.randrange(len(replays))][1])
        return out

    path = Path2(build(sealed(), "a"), build(sealed(), "b"))
    path.run(3.0, send=range(1500), tamper=attacker)
    assert path.delivered == expected(range(1500))
    got = metrics(path.b, path.now)
    assert got["datagrams_refused_auth_failed"] > 20
    assert got["datagrams_refused_replayed"] > 0
    assert got["datagrams_refused_reflected"] > 0
    assert got["stream_5_recovered_fec"] + got["stream_5_recovered_arq"] > 0


def test_datagrams_on_the_carriers_are_sealed() -> None:
    seen: list[bytes] = []

    def spy(_to: Component[Any], _port: int, payload: bytes) -> list[bytes]:
        seen.append(payload)
        return [payload]

    path = Path2(build(sealed(), "a"), build(sealed(), "b"))
    path.run(0.5, send=range(100), tamper=spy)
    assert path.delivered == expected(range(100))
    assert len(seen) > 100
    assert all(d[3] == 6 for d in seen)  # every datagram is of type SEALED
    assert not any(b"pkt00042" in d for d in seen)  # and its payload is not in the clear


@pytest.mark.parametrize(
    "b_params",
    [
        sealed(key="0f" * 16),
        sealed(cipher_suite="chacha20_poly1305", key="00" * 32),
        {"streams": [STREAM], "carriers": CARRIERS},  # no aead at all on b
    ],
    ids=["wrong-key", "wrong-suite", "unsealed-peer"],
)
def test_mismatched_keys_deliver_nothing_and_say_why(b_params: dict[str, Any]) -> None:
    path = Path2(build(sealed(), "a"), build(b_params, "b"))
    path.run(0.5, send=range(100))
    assert path.delivered == []
    refused = metrics(path.b, path.now)
    a_refused = metrics(path.a, path.now)
    if "aead" in b_params:
        assert refused["datagrams_refused_auth_failed"] > 0
        assert a_refused["datagrams_refused_auth_failed"] > 0
    else:
        assert refused["datagrams_refused_malformed"] > 0  # type 6 unknown without a key
        assert a_refused["datagrams_refused_unsealed"] > 0


@pytest.mark.parametrize("restarted", ["a", "b"])
def test_a_restart_of_either_side_resyncs_and_nothing_old_is_delivered(restarted: str) -> None:
    captured: list[tuple[int, bytes]] = []

    def recorder(to: Component[Any], port: int, payload: bytes) -> list[bytes]:
        if to is path.b:
            captured.append((port, payload))
        return [payload]

    path = Path2(build(sealed(), "a"), build(sealed(), "b"))
    path.run(1.0, send=range(300), tamper=recorder)
    assert path.delivered == expected(range(300))
    path.delivered.clear()
    fresh = build(sealed(), restarted)  # that node restarted: new session, counter from 0
    fresh.start(path.now)
    setattr(path, restarted, fresh)
    old = list(captured)

    def replayer(to: Component[Any], port: int, payload: bytes) -> list[bytes]:
        if to is path.b and old:  # an attacker replays the old session's datagrams meanwhile
            return [payload, old.pop(0)[1]]
        return [payload]

    path.run(1.5, send=range(300, 600), tamper=replayer)
    # A restarted receiver loses what was in flight until the sender heard of the restart
    # (one round trip, 40 ms here); from then on everything, once, in order.
    first = 300 if restarted == "a" else int(path.delivered[0][3:8]) if path.delivered else 600
    assert first <= 300 + 60
    assert path.delivered == expected(range(first, 600))
    got = metrics(path.b, path.now)
    # A restarted receiver has no replay window for the old datagrams: the session rules
    # refuse them (from or to an earlier session) instead.
    refused = "replayed" if restarted == "a" else "stale"
    assert got[f"datagrams_refused_{refused}"] > 0
    assert got["stream_5_delivered"] == 600 - first  # counted since the new peer session


def test_bad_aead_settings_are_refused_naming_the_key(tmp_path: Path) -> None:
    with pytest.raises(ParamError, match="16-byte key") as caught:
        build(sealed(key="abcd"))
    assert "key" in caught.value.key
    with pytest.raises(ParamError, match="allowed: aes_128_gcm"):
        build(sealed(cipher_suite="rot13"))
    with pytest.raises(ParamError, match="cannot read key file") as caught:
        build({"streams": [STREAM], "carriers": CARRIERS, "aead": {"key_file": "/nonexistent"}})
    assert "key_file" in caught.value.key
    with pytest.raises(ParamError, match="max_packet_bytes"):
        build({**sealed(), "max_packet_bytes": 40})
    key_file = tmp_path / "raft.key"
    key_file.write_text(KEY + "\n")
    aead = {"key_file": str(key_file)}
    path = Path2(build({**sealed(), "aead": aead}, "a"), build(sealed(), "b"))
    path.run(0.3, send=range(20))
    assert path.delivered == expected(range(20))
