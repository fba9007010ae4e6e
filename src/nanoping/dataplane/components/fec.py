"""FEC components: rely (sliding-window RLC), rlnc, reed_solomon and parity_2d encoders/decoders.

Each wraps a sans-IO codec of :mod:`nanoping.fec`. An encoder passes every packet on at once
(behind the codec's header) and adds repair packets, counted as produced here. A decoder takes
the codec's datagrams (each one ends here: consumed) and emits the payloads they give back
(produced here), so the standard counters balance for both. The wire formats are in
docs/fec-wire-formats.md; both ends of a stream must use the same parameters.

The packets handed in are reused, not copied: an encoder writes each source datagram into its
source's packet, a decoder a payload into the packet of the datagram that delivered it. That
is safe because an output port feeds one input and no component hands a packet on twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from nanoping.dataplane.component import Component, register
from nanoping.dataplane.errors import ParamError
from nanoping.dataplane.metrics import Metric, counter, gauge
from nanoping.dataplane.packet import Batch, Packet
from nanoping.dataplane.parameter import UINT32_MAX, param
from nanoping.fec.symbol import SymbolError

if TYPE_CHECKING:
    from nanoping.fec.block import BlockCode, BlockConfig, Parity2dCode

# The codecs are imported when a component is built, not here: every pipeline run imports
# all components to register them, and run start-up time is on the critical path.
MAX_PAYLOADS = 4095
"""Largest ``max_payloads``: a repair's NSS field has 12 bits (sliding_window.MAX_WINDOW)."""


class _Encoder(Protocol):
    @property
    def counters(self) -> Any: ...

    def encode(self, payload: bytes, now: float) -> list[bytes]: ...
    def encode_batch(
        self, payloads: list[bytes], now: float
    ) -> list[tuple[int, list[bytes], list[bytes]]]: ...
    def poll(self, now: float) -> list[bytes]: ...
    def next_deadline(self) -> float | None: ...


class _Decoder(Protocol):
    counters: Any

    def receive_batch(
        self, datagrams: list[bytes], now: float
    ) -> tuple[list[bytes], list[int]]: ...
    def poll(self, now: float) -> list[bytes]: ...
    def next_deadline(self) -> float | None: ...


_COUNTER_DOCS: dict[str, tuple[str, str]] = {
    "sources_sent": ("packets", "Source packets sent."),
    "repairs_sent": ("packets", "Repair packets sent."),
    "flushes": ("packets", "Repairs sent because the window was ending."),
    "tail_repairs": ("packets", "Repairs sent after the stream went quiet, over its last packets."),
    "blocks": ("blocks", "Blocks closed and repaired."),
    "short_blocks": ("blocks", "Blocks closed by the flush timer before they were full."),
    "sources_received": ("packets", "Source packets received (duplicates excluded)."),
    "repairs_received": ("packets", "Repair packets received."),
    "recovered": ("packets", "Lost source packets rebuilt from repairs."),
    "lost": ("packets", "Source packets given up on: lost for good."),
    "late": ("packets", "Packets that came after their source was given up."),
    "unneeded": ("packets", "Packets of blocks that were already complete."),
    "duplicates": ("packets", "Packets received twice."),
    "decode_failures": ("packets", "Malformed packets and rebuilt packets that failed checks."),
    "repairs_useless": ("packets", "Repairs that covered no loss or added no information."),
    "equations_dropped": ("packets", "Repair equations dropped unsolved to bound decoding work."),
    "decode_table_hits": ("blocks", "Rebuilds that reused a cached decode table."),
    "decode_table_misses": ("blocks", "Rebuilds that computed their decode table."),
}
_GAUGE_DOCS: dict[str, tuple[str, str]] = {
    "window": ("packets", "Source packets in the encoding window."),
    "block_fill": ("packets", "Source packets in the block being filled."),
    "missing": ("packets", "Source packets missing and still waited for."),
    "equations": ("packets", "Repair equations waiting for more packets."),
    "open_blocks": ("blocks", "Blocks waiting for more packets."),
    "decode_tables": ("tables", "Decode tables cached (one per loss pattern seen)."),
}


def codec_metrics(counters: object) -> list[Metric]:
    """Telemetry of a codec's counters dataclass: counters and gauges by field name."""
    out = []
    for name in counters.__slots__:  # type: ignore[attr-defined]
        value = getattr(counters, name)
        if name in _GAUGE_DOCS:
            unit, doc = _GAUGE_DOCS[name]
            out.append(gauge(name, value, unit, doc))
        else:
            unit, doc = _COUNTER_DOCS[name]
            out.append(counter(name, value, unit, doc))
    return out


class EncoderComponent(Component[Any]):
    """Base of the FEC encoders: one codec, sources out at once, repairs counted as produced."""

    def __init__(self, *, component_id: str, params: Any) -> None:
        super().__init__(component_id=component_id, params=params)
        self.codec = self.make_codec(params)
        self.oversized = 0

    def make_codec(self, params: Any) -> _Encoder:
        """The codec for these parameters."""
        raise NotImplementedError

    def handle(self, port: int, batch: Batch, now: float) -> None:
        # One codec call for the whole batch (framing and coding in native code). The packets
        # handed in carry their source datagrams on (payload replaced in place: this component
        # owns them); only repairs get new Packets, stamped with their last source's time.
        try:
            runs = self.codec.encode_batch([packet.payload for packet in batch], now)
        except SymbolError:
            self._handle_each(batch, now)
            return
        if len(runs) == 1:  # the usual batch: within one block, perhaps closing it
            _, sources, repairs = runs[0]
            for packet, source in zip(batch, sources, strict=False):  # one each, by contract
                packet.payload = source
            if repairs:  # the batch list is this component's too: the repairs join it
                self.packets_produced += len(repairs)
                last = batch[-1].created
                batch += [Packet(r, last) for r in repairs]
            self.emit(0, batch)
            return
        out: Batch = []
        for start, sources, repairs in runs:
            end = start + len(sources)
            packets = batch[start:end]
            for packet, source in zip(packets, sources, strict=True):
                packet.payload = source
            out += packets
            if repairs:
                self.packets_produced += len(repairs)
                last = batch[end - 1].created
                out += [Packet(r, last) for r in repairs]
        if out:
            self.emit(0, out)

    def _handle_each(self, batch: Batch, now: float) -> None:
        """One packet at a time, dropping (and counting) the ones too big to code."""
        out: Batch = []
        encode = self.codec.encode
        for packet in batch:
            try:
                datagrams = encode(packet.payload, now)
            except SymbolError:
                self.oversized += 1
                self.packets_dropped += 1
                continue
            self.packets_produced += len(datagrams) - 1
            out += [Packet(d, packet.created) for d in datagrams]
        if out:
            self.emit(0, out)

    def poll(self, now: float) -> None:
        deadline = self.codec.next_deadline()
        if deadline is None or now < deadline:
            return
        datagrams = self.codec.poll(now)
        if datagrams:
            self.packets_produced += len(datagrams)
            self.emit(0, [Packet(d, now) for d in datagrams])

    def next_deadline(self) -> float | None:
        return self.codec.next_deadline()

    def finished(self, now: float, *, inputs_done: bool, outputs_done: bool) -> bool:
        # Once the input ended, the last window or block still gets its repairs.
        idle = self.codec.next_deadline() is None
        return (inputs_done and idle) or (outputs_done and bool(self.outputs))

    def extra_metrics(self, now: float) -> Iterable[Metric]:
        return (
            *codec_metrics(self.codec.counters),
            counter("packets_oversized", self.oversized, "packets", "Payloads too big to code."),
        )


class DecoderComponent(Component[Any]):
    """Base of the FEC decoders: every datagram ends here; recovered payloads start here."""

    def __init__(self, *, component_id: str, params: Any) -> None:
        super().__init__(component_id=component_id, params=params)
        self.codec = self.make_codec(params)

    def make_codec(self, params: Any) -> _Decoder:
        """The codec for these parameters."""
        raise NotImplementedError

    def held(self) -> int:
        """Payloads the codec holds back (in-order release)."""
        return 0

    def handle(self, port: int, batch: Batch, now: float) -> None:
        # One codec call for the batch. Every datagram ends here, so its Packet object carries
        # on the first payload it delivered (usually its own source's; payload replaced in
        # place); further payloads (rebuilt ones) get new Packets with the same creation time.
        payloads, origins = self.codec.receive_batch([packet.payload for packet in batch], now)
        self.packets_consumed += len(batch)
        out: Batch = []
        append = out.append
        last = -1
        for payload, origin in zip(payloads, origins, strict=True):
            packet = batch[origin]
            if origin == last:
                append(Packet(payload, packet.created))
            else:
                packet.payload = payload
                append(packet)
                last = origin
        self._emit(out)

    def poll(self, now: float) -> None:
        deadline = self.codec.next_deadline()
        if deadline is None or now < deadline:
            return
        self._emit([Packet(p, now) for p in self.codec.poll(now)])

    def _emit(self, out: Batch) -> None:
        if out:
            self.emit(0, out)
        self.packets_produced = self.packets_out + self.held()

    def pending(self) -> int:
        return self.held()

    def finished(self, now: float, *, inputs_done: bool, outputs_done: bool) -> bool:
        # After the input ends the codec still gives up on what is missing (its deadline),
        # so the counters end up saying exactly what was lost.
        idle = self.pending() == 0 and self.codec.next_deadline() is None
        return (inputs_done and idle) or (outputs_done and bool(self.outputs))

    def next_deadline(self) -> float | None:
        return self.codec.next_deadline()

    def extra_metrics(self, now: float) -> Iterable[Metric]:
        return codec_metrics(self.codec.counters)


def _ms(value: int) -> float:
    return value / 1000.0


def _input() -> str | None:
    return param(None, doc="Link the packets arrive on.", link=True)  # type: ignore[no-any-return]


def _output() -> str | None:
    return param(None, doc="Link the packets leave on.", link=True)  # type: ignore[no-any-return]


# ---- rely -----------------------------------------------------------------------------------


def _max_payloads() -> int:
    return param(  # type: ignore[no-any-return]
        64,
        doc="Most source packets one repair covers (the window's cap in packets).",
        minimum=1,
        maximum=MAX_PAYLOADS,
    )


@dataclass(frozen=True)
class RelyEncoderParams:
    """Parameters of ``rely_encoder``."""

    input: str | None = _input()
    output: str | None = _output()
    repair_time_window: int = param(
        75, doc="Milliseconds a source packet stays in the repair window.", minimum=1
    )
    repair_target_rate: float = param(
        0.1, doc="Repair packets per source packet, 0.1 = 10 % more packets.", maximum=16
    )
    max_payloads: int = _max_payloads()

    def __post_init__(self) -> None:
        if not self.repair_target_rate > 0:
            raise ParamError("repair_target_rate", "must be > 0")


@register("rely_encoder")
class RelyEncoder(EncoderComponent):
    """Sliding-window RLC encoder: sources at once, repairs interleaved at the target rate."""

    params_type = RelyEncoderParams

    def make_codec(self, params: RelyEncoderParams) -> _Encoder:
        from nanoping.fec.sliding_window import (
            TAIL_REPAIRS,
            SlidingWindowConfig,
            SlidingWindowEncoder,
        )

        return SlidingWindowEncoder(
            SlidingWindowConfig(
                repair_rate=params.repair_target_rate,
                window_time=_ms(params.repair_time_window),
                max_window=params.max_payloads,
                tail_repairs=TAIL_REPAIRS,
            )
        )


@dataclass(frozen=True)
class RelyDecoderParams:
    """Parameters of ``rely_decoder``."""

    input: str | None = _input()
    output: str | None = _output()
    timeout: int = param(
        100,
        doc="Milliseconds to wait for a missing packet before giving up on it.",
        minimum=1,
        maximum=UINT32_MAX,
    )
    release_in_order: bool = param(
        False, doc="Deliver packets in sequence order, waiting for gaps (adds latency)."
    )
    max_payloads: int = _max_payloads()


@register("rely_decoder")
class RelyDecoder(DecoderComponent):
    """Sliding-window RLC decoder: sources at once, lost ones rebuilt as soon as possible."""

    params_type = RelyDecoderParams

    def make_codec(self, params: RelyDecoderParams) -> _Decoder:
        from nanoping.fec.sliding_window import SlidingWindowConfig, SlidingWindowDecoder

        return SlidingWindowDecoder(
            SlidingWindowConfig(
                timeout=_ms(params.timeout),
                release_in_order=params.release_in_order,
                max_window=params.max_payloads,
            )
        )

    def held(self) -> int:
        held: int = self.codec.held  # type: ignore[attr-defined]
        return held


# ---- block codes ----------------------------------------------------------------------------


def _symbols(default: int, maximum: int) -> int:
    return param(  # type: ignore[no-any-return]
        default, doc="Source packets per block.", minimum=1, maximum=maximum
    )


def _repair(default: int) -> int:
    return param(  # type: ignore[no-any-return]
        default, doc="Repair packets added per block.", minimum=1, maximum=255
    )


def _flush() -> int:
    return param(  # type: ignore[no-any-return]
        50,
        doc="Milliseconds after a block's first packet at which a short block is repaired.",
        minimum=1,
        maximum=UINT32_MAX,
    )


def _timeout() -> int:
    return param(  # type: ignore[no-any-return]
        200,
        doc="Milliseconds the decoder waits for a block's packets before giving up on it.",
        minimum=1,
        maximum=UINT32_MAX,
    )


@dataclass(frozen=True)
class BlockEncoderParams:
    """Parameters of ``rlnc_encoder`` and ``reed_solomon_encoder``."""

    input: str | None = _input()
    output: str | None = _output()
    symbols: int = _symbols(10, 255)
    repair: int = _repair(2)
    flush_timeout: int = _flush()


@dataclass(frozen=True)
class BlockDecoderParams:
    """Parameters of ``rlnc_decoder`` and ``reed_solomon_decoder``."""

    input: str | None = _input()
    output: str | None = _output()
    symbols: int = _symbols(10, 255)
    repair: int = _repair(2)
    timeout: int = _timeout()


def _repeat_coefficients() -> bool:
    return param(  # type: ignore[no-any-return]
        False,
        doc="Use the same coefficients in every block (seeded by the repair index only), so "
        "the decoder reuses the decode table of a loss pattern it has seen; both ends must "
        "agree.",
    )


@dataclass(frozen=True)
class RlncEncoderParams(BlockEncoderParams):
    """Parameters of ``rlnc_encoder``."""

    repeat_coefficients: bool = _repeat_coefficients()


@dataclass(frozen=True)
class RlncDecoderParams(BlockDecoderParams):
    """Parameters of ``rlnc_decoder``."""

    repeat_coefficients: bool = _repeat_coefficients()


def _block_config(params: Any) -> BlockConfig:
    from nanoping.fec.block import BlockConfig

    return BlockConfig(
        symbols=params.symbols,
        repair=getattr(params, "repair", 1),
        flush=_ms(getattr(params, "flush_timeout", 50)),
        timeout=_ms(getattr(params, "timeout", 200)),
        repeat_coefficients=getattr(params, "repeat_coefficients", False),
    )


def _block_encoder(code: BlockCode) -> _Encoder:
    from nanoping.fec.block import BlockEncoder

    return BlockEncoder(code)


def _block_decoder(code: BlockCode) -> _Decoder:
    from nanoping.fec.block import BlockDecoder

    return BlockDecoder(code)


def _code(name: str, params: Any) -> BlockCode:
    from nanoping.fec.block import ReedSolomonCode, RlncCode

    code: type[BlockCode] = RlncCode if name == "rlnc" else ReedSolomonCode
    return code(_block_config(params))


@register("rlnc_encoder")
class RlncEncoder(EncoderComponent):
    """Block random linear code over GF(2^8): ``repair`` coded packets after every ``symbols``."""

    params_type = RlncEncoderParams

    def make_codec(self, params: RlncEncoderParams) -> _Encoder:
        return _block_encoder(_code("rlnc", params))


@register("rlnc_decoder")
class RlncDecoder(DecoderComponent):
    """Block RLNC decoder: rebuilds a block's lost packets once it has enough coded ones."""

    params_type = RlncDecoderParams

    def make_codec(self, params: RlncDecoderParams) -> _Decoder:
        return _block_decoder(_code("rlnc", params))


@register("reed_solomon_encoder")
class ReedSolomonEncoder(EncoderComponent):
    """Reed-Solomon (ISA-L): any ``symbols`` of a block's ``symbols + repair`` packets rebuild it."""

    params_type = BlockEncoderParams

    def make_codec(self, params: BlockEncoderParams) -> _Encoder:
        return _block_encoder(_code("reed_solomon", params))


@register("reed_solomon_decoder")
class ReedSolomonDecoder(DecoderComponent):
    """Reed-Solomon decoder: rebuilds up to ``repair`` lost packets per block."""

    params_type = BlockDecoderParams

    def make_codec(self, params: BlockDecoderParams) -> _Decoder:
        return _block_decoder(_code("reed_solomon", params))


def _rows() -> int:
    return param(  # type: ignore[no-any-return]
        4, doc="Rows of the parity matrix (one parity packet each).", minimum=1, maximum=32
    )


def _columns() -> int:
    return param(  # type: ignore[no-any-return]
        4, doc="Columns of the parity matrix (one parity packet each).", minimum=1, maximum=32
    )


@dataclass(frozen=True)
class Parity2dEncoderParams:
    """Parameters of ``parity_2d_encoder``."""

    input: str | None = _input()
    output: str | None = _output()
    rows: int = _rows()
    columns: int = _columns()
    flush_timeout: int = _flush()


@dataclass(frozen=True)
class Parity2dDecoderParams:
    """Parameters of ``parity_2d_decoder``."""

    input: str | None = _input()
    output: str | None = _output()
    rows: int = _rows()
    columns: int = _columns()
    timeout: int = _timeout()


def _parity_code(params: Any) -> Parity2dCode:
    from nanoping.fec.block import BlockConfig, Parity2dCode

    config = BlockConfig(
        symbols=params.rows * params.columns,
        repair=params.rows + params.columns,
        flush=_ms(getattr(params, "flush_timeout", 50)),
        timeout=_ms(getattr(params, "timeout", 200)),
    )
    return Parity2dCode(config, columns=params.columns)


@register("parity_2d_encoder")
class Parity2dEncoder(EncoderComponent):
    """Row and column XOR parity (SMPTE 2022-1 style) over rows x columns packets."""

    params_type = Parity2dEncoderParams

    def make_codec(self, params: Parity2dEncoderParams) -> _Encoder:
        return _block_encoder(_parity_code(params))


@register("parity_2d_decoder")
class Parity2dDecoder(DecoderComponent):
    """2-D parity decoder: any row or column missing one packet rebuilds it, repeatedly."""

    params_type = Parity2dDecoderParams

    def make_codec(self, params: Parity2dDecoderParams) -> _Decoder:
        return _block_decoder(_parity_code(params))
