"""``raft``: reliable real-time streams over lossy, bonded carriers (the Raft transport).

One component per node. Each stream's ``input`` takes application packets and its ``output``
delivers the peer's packets of the same ``stream_handle``; each carrier's ``output`` sends
datagrams onto a network path (usually a ``udp_socket``) and its ``input`` takes what arrives
from it. The protocol work is :class:`nanoping.raft.endpoint.RaftEndpoint`; this class wires
it to ports and telemetry. Wire format: docs/raft-wire-format.md.
"""

from __future__ import annotations

import math
import secrets
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nanoping.dataplane.component import Component, register
from nanoping.dataplane.components.encryption import AeadKeyParams
from nanoping.dataplane.errors import ParamError
from nanoping.dataplane.metrics import Metric, counter, gauge
from nanoping.dataplane.packet import Batch, Packet
from nanoping.dataplane.parameter import UINT32_MAX, param
from nanoping.dataplane.ports import Ports
from nanoping.dataplane.wiring import parse_link
from nanoping.fec.aead import KeyExhausted
from nanoping.raft.jitter import ON_ORDERED, ON_TIMEOUT, TRANSIT
from nanoping.raft.settings import CarrierSpec, RaftSettings, SettingsError, StreamSpec
from nanoping.raft.wire import DATA_OVERHEAD

if TYPE_CHECKING:  # the endpoint pulls in the FEC codec: loaded only when a run uses raft
    from nanoping.raft.endpoint import RaftEndpoint
    from nanoping.raft.sealing import RaftOpener, RaftSealer

UINT64_MAX = 2**64 - 1
_TYPE, _REPAIR = 3, 3
"""Offset of the type byte in a plain datagram, and the REPAIR type (docs/raft-wire-format.md)."""
MAX_HELD = 4096
"""Repairs held back in one engine step at most; beyond that they are decoded at once."""
REFUSALS = (
    "short",
    "foreign",
    "version",
    "malformed",
    "stale",
    "foreign_carrier",
    "unknown_stream",
    "expired_in_queue",
    "reflected",
    "unsealed",
    "auth_failed",
    "replayed",
)
"""Reasons a datagram is refused (or dropped before sending), each counted in telemetry."""
SEAL_OVERHEAD = 25
"""Bytes the built-in AEAD adds to a datagram (nanoping.raft.sealing, not imported here)."""
POLICIES = (ON_TIMEOUT, ON_ORDERED)


def _check_policy(value: str) -> str | None:
    return None if value in POLICIES else f"unknown delivery policy; allowed: {', '.join(POLICIES)}"


@dataclass(frozen=True)
class FixedReplication:
    """Empty marker object: send every packet on every usable carrier."""


@dataclass(frozen=True)
class StreamExtension:
    """Optional behaviours of a realtime stream."""

    # Nested records are frozen dataclasses, so a shared default is safe.
    fixed_replication: FixedReplication | None = param(  # noqa: RUF009
        None, doc="Replicate every packet to all valid carriers (first copy wins)."
    )


@dataclass(frozen=True)
class RealtimeStream:
    """Settings of a latency-sensitive stream."""

    timeout: int = param(
        100,
        doc="Milliseconds from sending to delivery; later packets are lost.",
        minimum=1,
        maximum=60000,
    )
    jitter_buffer: int | None = param(
        None,
        doc="on_timeout playout delay in milliseconds (unset: the timeout; 0: deliver at once).",
        minimum=0,
        maximum=60000,
    )
    delivery_policy: str = param(
        ON_TIMEOUT,
        doc="on_timeout (playout at send time + delay) or on_ordered.",
        check=_check_policy,
    )
    extension: StreamExtension | None = param(None, doc="Optional stream behaviours.")  # noqa: RUF009


@dataclass(frozen=True)
class TransitStream:
    """Settings of a stream tunnelling another transport (TCP, QUIC): delivered on arrival."""

    timeout: int = param(
        100,
        doc="Milliseconds after which a packet is not worth sending any more.",
        minimum=1,
        maximum=60000,
    )


@dataclass(frozen=True)
class RaftAeadParams(AeadKeyParams):
    """The built-in AEAD: every datagram sealed, header included; both ends need the same key."""


@dataclass(frozen=True, kw_only=True)
class RaftStreamParams:
    """One stream of a raft component."""

    input: str | None = param(None, doc="Link the stream's outgoing packets arrive on.", link=True)
    output: str | None = param(
        None, doc="Link the peer's packets of this stream leave on.", link=True
    )
    stream_handle: int = param(
        doc="Stream id; must match the stream handle on the receiving end.",
        minimum=0,
        maximum=UINT32_MAX,
    )
    realtime: RealtimeStream | None = param(  # noqa: RUF009
        None, doc="Realtime stream settings (the default)."
    )
    transit: TransitStream | None = param(  # noqa: RUF009
        None, doc="Transit stream settings (instead of realtime)."
    )


@dataclass(frozen=True, kw_only=True)
class RaftCarrierParams:
    """One carrier (network path) of a raft component."""

    input: str | None = param(None, doc="Link datagrams from the path arrive on.", link=True)
    output: str | None = param(None, doc="Link datagrams for the path leave on.", link=True)
    carrier_handle: int = param(
        doc="Carrier id; must match the carrier handle on the receiving end.",
        minimum=0,
        maximum=UINT64_MAX,
    )
    priority: int = param(
        0,
        doc="Bonding priority: higher carries traffic first, lower only on saturation.",
        minimum=-1000,
        maximum=1000,
    )
    initial_rate_kbps: int = param(
        10_000,
        doc="Capacity assumed until the peer's feedback measures it, in kbit/s: set a known "
        "carrier rate so a stream above 10 Mbit/s is not queued while the estimate climbs.",
        minimum=64,
        maximum=100_000_000,
    )


@dataclass(frozen=True)
class RaftParams:
    """Parameters of ``raft``."""

    streams: tuple[RaftStreamParams, ...] = param(doc="The streams carried.", minimum=1)
    carriers: tuple[RaftCarrierParams, ...] = param(doc="The carriers (paths) used.", minimum=1)
    max_packet_bytes: int = param(
        1472,
        doc="Largest datagram put on a carrier, in bytes.",
        minimum=DATA_OVERHEAD + 1,
        maximum=65507,
    )
    aead: RaftAeadParams | None = param(  # noqa: RUF009
        None,
        doc="Built-in authenticated encryption of every datagram (unset: none; then put "
        "boringssl_encrypt/decrypt around the carriers on untrusted paths).",
    )

    def __post_init__(self) -> None:
        smallest = DATA_OVERHEAD + 1 + (SEAL_OVERHEAD if self.aead is not None else 0)
        if self.max_packet_bytes < smallest:
            raise ParamError(
                "max_packet_bytes", f"must be >= {smallest} with aead (its {SEAL_OVERHEAD} bytes)"
            )
        for i, stream in enumerate(self.streams):
            if stream.realtime is not None and stream.transit is not None:
                raise ParamError(
                    f"streams[{i}]", "a stream is either realtime or transit, not both"
                )
        try:
            self.settings()
        except SettingsError as error:
            raise ParamError(
                "streams" if "stream" in str(error) else "carriers", str(error)
            ) from None

    def settings(self) -> RaftSettings:
        """The core's settings for these parameters."""
        return RaftSettings(
            streams=tuple(_stream_spec(s) for s in self.streams),
            carriers=tuple(
                CarrierSpec(
                    handle=c.carrier_handle,
                    priority=c.priority,
                    initial_rate_bps=c.initial_rate_kbps * 1e3,
                )
                for c in self.carriers
            ),
            max_packet_bytes=self.max_packet_bytes
            - (SEAL_OVERHEAD if self.aead is not None else 0),
        )


def _stream_spec(stream: RaftStreamParams) -> StreamSpec:
    if stream.transit is not None:
        return StreamSpec(
            handle=stream.stream_handle, policy=TRANSIT, timeout=stream.transit.timeout / 1e3
        )
    rt = stream.realtime or RealtimeStream()
    extension = rt.extension or StreamExtension()
    return StreamSpec(
        handle=stream.stream_handle,
        policy=rt.delivery_policy,
        timeout=rt.timeout / 1e3,
        jitter_buffer=None if rt.jitter_buffer is None else rt.jitter_buffer / 1e3,
        replicate=extension.fixed_replication is not None,
    )


def _port(link: str | None, *, inbound: bool) -> int | None:
    if link is None:
        return None
    parsed = parse_link(link)
    return parsed.in_port if inbound else parsed.out_port


@register("raft")
class Raft(Component[RaftParams]):
    """Both directions of every stream, over every carrier, to the peer raft component."""

    params_type = RaftParams

    @classmethod
    def declare_ports(cls, params: RaftParams) -> Ports:
        """One group on each side, as wide as the highest port a stream or carrier link uses
        (streams and carriers share the numbering the config's links give them)."""
        records: tuple[RaftStreamParams | RaftCarrierParams, ...] = (
            *params.streams,
            *params.carriers,
        )
        ins = [p for r in records if (p := _port(r.input, inbound=True)) is not None]
        outs = [p for r in records if (p := _port(r.output, inbound=False)) is not None]
        return Ports.of(
            inputs={"links": max(ins, default=-1) + 1},
            outputs={"links": max(outs, default=-1) + 1},
        )

    def __init__(self, *, component_id: str, params: RaftParams) -> None:
        super().__init__(component_id=component_id, params=params)
        self._settings = params.settings()
        self._endpoint: RaftEndpoint | None = None
        self._in_routes: dict[int, tuple[str, int]] = {}
        for i, s in enumerate(params.streams):
            if (port := _port(s.input, inbound=True)) is not None:
                self._in_routes[port] = ("stream", i)
        for i, c in enumerate(params.carriers):
            if (port := _port(c.input, inbound=True)) is not None:
                self._in_routes[port] = ("carrier", i)
        self._stream_out = [_port(s.output, inbound=False) for s in params.streams]
        self._carrier_out = [_port(c.output, inbound=False) for c in params.carriers]
        self.unrouted = 0
        self._repairs: list[tuple[int, bytes]] = []
        """Repairs held until the end of the engine step: the sources they cover often sit in
        another carrier's batch of the same step, and decoding before those are in is waste."""
        self._sealer: RaftSealer | None = None
        self._opener: RaftOpener | None = None

    def start(self, now: float) -> None:
        from nanoping.raft.endpoint import RaftEndpoint  # loaded here: see the import above

        self._endpoint = RaftEndpoint(
            settings=self._settings, session_id=1 + secrets.randbelow(2**32 - 1), now=now
        )
        if (aead := self.params.aead) is not None:
            from nanoping.raft.sealing import RaftOpener, RaftSealer

            key = aead.key_bytes()
            self._sealer = RaftSealer(aead.cipher_suite, key)
            self._opener = RaftOpener(aead.cipher_suite, key)

    def _core(self, now: float) -> RaftEndpoint:
        if self._endpoint is None:  # pushed to before start(): start now
            self.start(now)
        assert self._endpoint is not None
        return self._endpoint

    def handle(self, port: int, batch: Batch, now: float) -> None:
        core = self._core(now)
        self.packets_consumed += len(batch)
        kind, index = self._in_routes.get(port, ("", -1))
        # One poll per batch, not per packet: timers and pacers need the time, not each packet.
        if kind == "stream":
            core.send_batch(index, [packet.payload for packet in batch], now)
        elif kind == "carrier":
            opener, later, arrived = self._opener, self._repairs, []
            for packet in batch:
                datagram = packet.payload if opener is None else opener.open(packet.payload)
                if datagram is None:
                    continue
                if len(datagram) > _TYPE and datagram[_TYPE] == _REPAIR and len(later) < MAX_HELD:
                    later.append((index, datagram))
                else:
                    arrived.append(datagram)
            # Repairs held for the end of the step: poll then, not now. A report written now
            # would show their packet numbers as gaps, and the sender counts them as loss.
            core.receive_batch(index, arrived, now, poll=not later)
        else:
            core.poll(now)
        self._flush(core, now)

    def poll(self, now: float) -> None:
        core = self._core(now)
        later, self._repairs = self._repairs, []
        for index, datagram in later:
            core.receive(index, datagram, now, poll=False)
        core.poll(now)
        self._flush(core, now)

    def next_deadline(self) -> float | None:
        if self._repairs:  # this very step, once every carrier's batch is in
            return -math.inf
        return None if self._endpoint is None else self._endpoint.next_deadline()

    def _flush(self, core: RaftEndpoint, now: float) -> None:
        out: dict[int, Batch] = {}
        datagrams = core.take_datagrams()
        if self._sealer is not None and datagrams:
            try:
                sealed = self._sealer.seal_batch([d for _, d in datagrams])
                datagrams = [(c, d) for (c, _), d in zip(datagrams, sealed, strict=True)]
            except KeyExhausted as error:
                self.packets_dropped += len(datagrams)
                self.fail(str(error))
                return
        for carrier, datagram in datagrams:
            self._route(out, self._carrier_out[carrier], datagram, now)
        for stream, payload in core.take_delivered():
            self._route(out, self._stream_out[stream], payload, now)
        for port, batch in out.items():
            self.emit(port, batch)
        core.take_events()

    def _route(self, out: dict[int, Batch], port: int | None, payload: bytes, now: float) -> None:
        if port is None:  # a stream or carrier without an output link: nowhere to go
            self.unrouted += 1
            return
        self.packets_produced += 1
        out.setdefault(port, []).append(Packet(payload, now))

    def extra_metrics(self, now: float) -> Iterable[Metric]:
        core = self._endpoint
        yield counter(
            "unrouted",
            self.unrouted,
            "packets",
            "Packets for a stream or carrier without an output link.",
        )
        if core is None:
            return
        dropped = core.dropped + (self._opener.dropped if self._opener else Counter[str]())
        yield counter(
            "datagrams_refused",
            sum(dropped.values()),
            "datagrams",
            "Datagrams refused on receipt (garbage, foreign, stale, failed authentication, "
            "replayed) or expired before sending.",
        )
        for reason in REFUSALS:
            yield counter(
                f"datagrams_refused_{reason}",
                dropped[reason],
                "datagrams",
                f"Datagrams dropped as {reason.replace('_', ' ')}.",
            )
        for i, stream in enumerate(self.params.streams):
            for name, value in core.stream_stats(i).items():
                yield _metric(f"stream_{stream.stream_handle}_{name}", value)
        for i, carrier in enumerate(self.params.carriers):
            for name, value in core.carrier_stats(i).items():
                yield _metric(f"carrier_{carrier.carrier_handle}_{name}", value)


_UNITS = {
    "_ms": "ms",
    "_bps": "bit/s",
    "_bytes": "bytes",
    "rate": "ratio",
    "loss": "ratio",
    "burst": "packets",
}


def _metric(name: str, value: float) -> Metric:
    unit = next((u for suffix, u in _UNITS.items() if name.endswith(suffix)), "packets")
    description = f"Raft {name.replace('_', ' ')}."
    if isinstance(value, int) and unit in {"packets", "bytes"}:
        return counter(name, value, unit, description)
    return gauge(name, float(value), unit, description)
