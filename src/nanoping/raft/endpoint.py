"""The Raft endpoint: a sans-IO core for N streams over M carriers to one peer.

Inputs: :meth:`RaftEndpoint.send` (an application packet of a stream), :meth:`receive` (a
datagram from a carrier) and :meth:`poll` (time passed). Outputs: :meth:`take_datagrams`
(``(carrier index, bytes)``), :meth:`take_delivered` (``(stream index, bytes)``),
:meth:`take_events` and :meth:`next_deadline`. Time is always an argument, in seconds.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from nanoping.raft import scheduler, wire
from nanoping.raft.arq import (
    MAX_RETRANSMITS,
    NACK_COPIES,
    NACK_COPIES_BURSTY,
    NACK_COPY_SPACING,
    RENACK_FLOOR,
    NackPlanner,
    SendHistory,
    Sent,
    ranges,
)
from nanoping.raft.carrier import (
    EXCLUDED,
    PATH_BYTES,
    UP,
    CarrierState,
    ReceiveStats,
    WindowedMin,
    unwrap,
)
from nanoping.raft.events import CarrierExcluded, CarrierRestored, PeerSessionStarted, RaftEvent
from nanoping.raft.jitter import TRANSIT, JitterBuffer
from nanoping.raft.repair import (
    BURSTY,
    MIN_RATE,
    RateController,
    RepairInputs,
    StreamRepair,
    covered,
    deficit,
    split,
    window_time,
)
from nanoping.raft.settings import RaftSettings, SettingsError, StreamSpec

HELLO_REPLY_GAP = 0.01
"""Least time between two HELLO answers on one carrier (no amplification for a flooder)."""
LOSSY = 0.25
"""Loss rate above which a carrier much lossier than the others is excluded."""
DARK_UNANSWERED = 4
"""Datagrams that must go unanswered (besides the time limit) before a carrier counts as dark."""
MAX_RESENDS_PER_NACK = 1024
TAIL_PROBES = 2
"""Tail probes per stream tail: the second covers a probe lost in the burst that took the tail."""
TAIL_PROBE_PACKETS = 8
"""Most packets one tail probe resends (the newest ones no report showed arrived)."""
"""Sequence numbers one NACK may have resent."""
MAX_WAITING = 4096
"""Packets one stream holds while no carrier is established yet."""
LOSS_SAMPLES = 200
"""Packets a carrier's loss rate must be measured over before it can exclude the carrier."""
MIN_COPY_SPACING = 0.005
"""Least time between a last-chance resend and its copy on the same carrier, seconds."""
REORDER_SLACK = 0.002
"""Seconds a gap is always given to be reordering before it counts as a loss."""
TICK = 1e-6
"""Resolution of the wire's timestamps, seconds."""
CARRYING_MEMORY = 1.0
"""Seconds after its last DATA packet a carrier still counts as carrying the streams (whose
holes then wait for its frontier): the scheduler moves traffic between carriers for a while."""
COPY_BURSTS = 3
"""Mean loss bursts (in packets sent on the carrier) a same-carrier copy waits behind its
original, so that one burst does not take both."""


@dataclass(slots=True)
class StreamCounters:
    """Per-stream telemetry besides the jitter buffer's delivery counters."""

    sent: int = 0
    """Packets the application handed to this stream."""
    retransmitted: int = 0
    """Retransmissions sent for this stream."""
    recovered_arq: int = 0
    """Missing packets that arrived after a NACK."""
    dropped_local: int = 0
    """Packets dropped before leaving: no usable carrier, too big, or no time left."""
    recovered_fec: int = 0
    """Missing packets rebuilt from repair symbols."""
    repairs_sent: int = 0
    """Repair packets sent for this stream."""
    resends_doubled: int = 0
    """Last-chance resends sent twice (the copies; also in ``retransmitted``)."""
    tail_probes: int = 0
    """Times the stream's unreported tail was resent (its resends are in ``retransmitted``)."""
    resends_unneeded: int = 0
    """Resends received for packets already delivered, rebuilt or given up (waste)."""


@dataclass(slots=True)
class StreamState:
    """Both directions of one stream at this endpoint."""

    spec: StreamSpec
    next_seq: int = 0
    history: SendHistory = field(init=False)
    buffer: JitterBuffer = field(init=False)
    planner: NackPlanner = field(default_factory=NackPlanner)
    last_src_us: int = 0
    counters: StreamCounters = field(default_factory=StreamCounters)
    repair: StreamRepair | None = None
    rate: RateController = field(default_factory=RateController)
    repair_gap: float = 0.0
    repair_span: int = 0
    """Sources the last repair received covered (the peer's encoding window)."""
    last_repair_at: float = -1.0
    sent_repair_gap: float = 0.0
    """Smoothed time between the repairs this side sends (the peer's ``repair_gap``)."""
    last_repair_sent: float = -1.0
    waiting: deque[tuple[bytes, float]] = field(default_factory=deque)
    copies: list[tuple[float, int]] = field(default_factory=list)
    """Copies of last-chance resends due later on the same carrier: (when, sequence number)."""
    tail: tuple[int, int, tuple[int | None, int, int | None] | None] = (-1, 0, None)
    """(newest sequence number, tail probes sent for it, the first report span that reached
    its last transmission: see ``CarrierEstimate.echo_span``)."""

    def __post_init__(self) -> None:
        self.history = SendHistory(self.spec.timeout)
        spec = self.spec
        if spec.fec and spec.policy != TRANSIT:
            self.repair = StreamRepair(timeout=spec.timeout, window_time=0.05, rate=MIN_RATE)
        self.reset_receive()

    def reset_receive(self) -> None:
        """Forget everything received (the peer restarted)."""
        spec = self.spec
        self.buffer = JitterBuffer(policy=spec.policy, timeout=spec.timeout, playout=spec.playout)
        self.planner = NackPlanner()
        self.last_src_us = 0
        self.repair_gap, self.last_repair_at, self.repair_span = 0.0, -1.0, 0
        if self.repair is not None:
            self.repair.reset_receive()

    def reset_send(self) -> None:
        """Start numbering again at 0 (the peer restarted)."""
        self.next_seq = 0
        self.history = SendHistory(self.spec.timeout)
        self.copies.clear()
        self.tail = (-1, 0, None)
        if self.repair is not None:
            self.repair.reset_send()


class RaftEndpoint:
    """One side of a Raft session; see the module docstring for the contract."""

    def __init__(self, *, settings: RaftSettings, session_id: int, now: float) -> None:
        if not 0 < session_id < wire.U32:
            raise SettingsError(f"session id {session_id} must be in 1..2^32-1")
        self.settings = settings
        self.session = session_id
        self.peer_session = 0
        self._epoch = now
        self.carriers = [
            CarrierState(
                index=i, handle=c.handle, priority=c.priority, initial_rate_bps=c.initial_rate_bps
            )
            for i, c in enumerate(settings.carriers)
        ]
        self.streams = [StreamState(spec) for spec in settings.streams]
        self._by_handle = {s.spec.handle: i for i, s in enumerate(self.streams)}
        self._clock = WindowedMin(10.0)
        self._health_check = True
        self._out: list[tuple[int, bytes]] = []
        self._delivered: list[tuple[int, bytes]] = []
        self._events: list[RaftEvent] = []
        self._last_data = -math.inf
        self._data_since = -math.inf
        """When DATA started arriving again after :data:`CARRYING_MEMORY` without any."""
        self._batch_waits: dict[int, float] | None = None
        """During :meth:`receive_batch`: each stream's NACK wait (by index) and, under -1, the
        smallest one-way delay. Emptied whenever something they depend on may have changed."""
        self.dropped: Counter[str] = Counter()
        """Datagrams refused on receipt, by reason (short, foreign, version, malformed, ...)."""

    # ---- outputs ----------------------------------------------------------------------------

    def take_datagrams(self) -> list[tuple[int, bytes]]:
        """Datagrams to put on carriers, as (carrier index, bytes), in order."""
        out, self._out = self._out, []
        return out

    def take_delivered(self) -> list[tuple[int, bytes]]:
        """Packets for the application, as (stream index, bytes), in delivery order."""
        out, self._delivered = self._delivered, []
        return out

    def take_events(self) -> list[RaftEvent]:
        """Events since the last call."""
        out, self._events = self._events, []
        return out

    def next_deadline(self) -> float | None:
        """The earliest time :meth:`poll` has work; None only before any carrier is touched."""
        times: list[float | None] = [self._timer_deadline()]
        for carrier in self.carriers:
            times.append(carrier.pacer.due())
        for stream in self.streams:
            times.append(stream.buffer.next_deadline())
            if stream.repair is not None:
                times.append(stream.repair.next_deadline())
                times.append(stream.repair.decoder.next_deadline())
            if stream.spec.arq and self._nack_carrier() is not None:
                times.append(stream.planner.next_deadline())
            if stream.copies:
                times.append(min(t for t, _ in stream.copies))
            times.append(self._tail_probe_due(stream))
        return min((t for t in times if t is not None), default=None)

    def _timer_deadline(self) -> float:
        s = self.settings
        times = [self._health_deadline()]
        for c in self.carriers:
            times.append(c.last_tx + s.keepalive_interval)
            if c.rx.unreported:
                times.append(c.last_feedback_sent + s.feedback_interval)
        return min(times)

    def _health_deadline(self) -> float:
        """When a carrier may next turn dark or be restored (other verdicts follow feedback)."""
        times = [float("inf")]
        for c in self.carriers:
            others = [o for o in self.carriers if o is not c and o.usable]
            watch = others and c.established and c.state == UP
            silent = c.first_tx_after_rx >= 0 and c.sent_since_rx >= DARK_UNANSWERED
            # Until the peer answers on another carrier the verdict waits for that arrival.
            if watch and silent and self._heard_elsewhere(c, others):
                times.append(c.first_tx_after_rx + self._dark_after(c))
            if c.state == EXCLUDED and c.healthy_since >= 0:
                times.append(c.healthy_since + self.settings.restore_after)
        return min(times)

    # ---- sending ----------------------------------------------------------------------------

    def send(self, stream_index: int, payload: bytes, now: float, *, poll: bool = True) -> bool:
        """Take one application packet of a stream; False if it was dropped at once.

        ``poll=False`` leaves the timers and pacers to one :meth:`poll` after a whole batch.
        """
        taken = self._take(self.streams[stream_index], payload, now, None)
        if poll:
            self.poll(now)
        return taken

    def send_batch(self, stream_index: int, payloads: Iterable[bytes], now: float) -> int:
        """Take application packets of one stream that all arrived at ``now``, then poll once.

        The same as :meth:`send` with ``poll=False`` on each and one :meth:`poll` after (the
        carriers are weighed once for the batch, see :class:`scheduler.Schedule`); returns how
        many were taken.
        """
        stream = self.streams[stream_index]
        schedule = scheduler.Schedule(self.carriers, now)
        take = self._take
        taken = 0
        for payload in payloads:
            taken += take(stream, payload, now, schedule)
        self.poll(now)
        return taken

    def _take(
        self, stream: StreamState, payload: bytes, now: float, schedule: scheduler.Schedule | None
    ) -> bool:
        """:meth:`send` without the poll, scheduled by ``schedule`` (made here when None)."""
        stream.counters.sent += 1
        if len(payload) > self.settings.max_payload:
            stream.counters.dropped_local += 1
            return False
        if not any(c.established for c in self.carriers):
            # No session yet: hold the packet (bounded) until one is up or its time is over.
            if len(stream.waiting) >= MAX_WAITING:
                stream.counters.dropped_local += 1
                return False
            stream.waiting.append((payload, now))
            return True
        if schedule is None:
            schedule = scheduler.Schedule(self.carriers, now)
        return self._send_from(stream, payload, now, schedule) >= 0

    def _send_from(
        self, stream: StreamState, payload: bytes, origin: float, schedule: scheduler.Schedule
    ) -> int:
        """Number, queue and protect one packet the application handed over at ``origin``.

        A packet that cannot leave in time is dropped before it gets a sequence number, so
        the receiver never waits for a hole nobody will fill.
        """
        now = schedule.now
        deadline = origin + stream.spec.timeout
        size = wire.DATA_OVERHEAD - wire.HEADER_BYTES + len(payload)
        targets = self._targets(stream, size, schedule, origin)
        if not targets:
            stream.counters.dropped_local += 1
            return -1
        seq = stream.next_seq
        stream.next_seq += 1
        src_us = self._us(origin)
        body = wire.encode_data(stream.spec.handle, seq, src_us, 0, payload)
        for carrier in targets:
            carrier.pacer.push(wire.DATA, body, deadline)
        chosen = targets[0].index
        if stream.spec.arq:
            stream.history.add(seq, Sent(origin, payload, chosen), now)
        if stream.repair is not None:
            for codec in stream.repair.encode(seq, src_us, payload, now):
                self._send_repair(stream, codec, schedule, avoid=chosen)
        return chosen

    def _release_waiting(self, stream: StreamState, now: float) -> None:
        schedule = scheduler.Schedule(self.carriers, now)
        while stream.waiting:
            payload, origin = stream.waiting.popleft()
            if now < origin + stream.spec.timeout:
                self._send_from(stream, payload, origin, schedule)
            else:
                stream.counters.dropped_local += 1

    def _targets(
        self, stream: StreamState, size: int, schedule: scheduler.Schedule, origin: float
    ) -> list[CarrierState]:
        """Carriers a new packet goes on: all usable ones when replicating, else the best."""
        if stream.spec.replicate:
            return [c for c in self.carriers if c.usable]
        found = schedule.pick_eta(size)
        if found is None:
            return []
        chosen, arrival = found
        if arrival > scheduler.latest_admission(chosen, origin, stream.spec.timeout):
            return []
        return [chosen]

    def _send_repair(
        self, stream: StreamState, codec: bytes, schedule: scheduler.Schedule, *, avoid: int
    ) -> None:
        """Queue a repair, on another carrier than its sources where there is one (diversity)."""
        _, body = wire.encode_body(wire.Repair(stream.spec.handle, codec))
        carrier = schedule.pick(len(body), avoid=avoid)
        if carrier is not None:
            now = schedule.now
            carrier.pacer.push(wire.REPAIR, body, now + stream.spec.timeout)
            stream.counters.repairs_sent += 1
            if stream.last_repair_sent >= 0:
                stream.sent_repair_gap += (
                    now - stream.last_repair_sent - stream.sent_repair_gap
                ) / 8
            stream.last_repair_sent = now

    def _us(self, now: float) -> int:
        return int((now - self._epoch) * 1e6)

    def _transmit(self, carrier: CarrierState, kind: int, body: bytes, now: float) -> None:
        header = wire.encode_header(
            kind, self.session, self.peer_session, carrier.pkt_num, self._us(now)
        )
        carrier.pkt_num += 1
        datagram = header + body
        carrier.note_sent(len(datagram), now)
        self._out.append((carrier.index, datagram))

    def _control(self, carrier: CarrierState, body: wire.Body, now: float) -> None:
        kind, encoded = wire.encode_body(body)
        self._transmit(carrier, kind, encoded, now)

    def _hello(self, carrier: CarrierState, now: float) -> None:
        flags = 0 if carrier.established else wire.HELLO_REPLY
        self._control(carrier, wire.Hello(self.settings.carriers[carrier.index].handle, flags), now)

    # ---- receiving --------------------------------------------------------------------------

    def receive(
        self, carrier_index: int, datagram: bytes, now: float, *, poll: bool = True
    ) -> None:
        """Take one datagram that arrived on a carrier (``poll=False``: as in :meth:`send`)."""
        carrier = self.carriers[carrier_index]
        if self._data_arrived(carrier, datagram, now):  # the common case, without wire objects
            if poll:
                self.poll(now)
            return
        self._batch_waits = {} if self._batch_waits is not None else None
        try:
            header, body = wire.decode(datagram)
        except wire.WireError as error:
            self.dropped[error.reason] += 1
            return
        if header.src_session == self.session:  # our own datagram sent back (reflection)
            self.dropped["reflected"] += 1
            return
        if isinstance(body, wire.Hello):
            self._on_hello(carrier, header, body, now)
        elif header.src_session != self.peer_session or header.dst_session != self.session:
            self.dropped["stale"] += 1
            self._answer_hello(carrier, now)
            return
        else:
            carrier.established = True
            self._account(carrier, header, len(datagram), now)
            self._dispatch(carrier, header, body, now)
        if carrier.state == EXCLUDED or isinstance(body, wire.Feedback | wire.Hello):
            self._health_check = True
        self._batch_waits = {} if self._batch_waits is not None else None
        if poll:
            self.poll(now)

    def receive_batch(
        self, carrier_index: int, datagrams: Iterable[bytes], now: float, *, poll: bool = True
    ) -> None:
        """Take datagrams that arrived together on a carrier, then poll once (unless ``poll``
        is False: the caller polls once more datagrams are in).

        The same as :meth:`receive` with ``poll=False`` on each and one :meth:`poll` after; what
        every DATA packet needs from the carriers' estimates is computed once per batch.
        """
        self._batch_waits = {}
        try:
            receive = self.receive
            for datagram in datagrams:
                receive(carrier_index, datagram, now, poll=False)
        finally:
            self._batch_waits = None
        if poll:
            self.poll(now)

    def _data_arrived(self, carrier: CarrierState, datagram: bytes, now: float) -> bool:
        """Take a DATA packet of the current peer session as :meth:`receive` would, decoded
        without objects; False leaves the datagram (anything else, or one to refuse) to it."""
        fields = wire.decode_data(datagram)
        if fields is None:
            return False
        src, dst, pkt_num, tx_us, handle, seq, src_us, flags, payload = fields
        if src != self.peer_session or dst != self.session or src == self.session:
            return False
        if not carrier.established:
            carrier.established = True
            self._batch_waits = {} if self._batch_waits is not None else None
        carrier.rx.add(pkt_num, tx_us, len(datagram), now)
        carrier.note_received(now)
        self._note_data(carrier, now)
        self._data_fields(handle, seq, src_us, flags, payload, now)
        if carrier.state == EXCLUDED:
            self._health_check = True
        return True

    def _note_data(self, carrier: CarrierState, now: float) -> None:
        if now > self._last_data + CARRYING_MEMORY:
            self._data_since = now
        carrier.last_data = self._last_data = now

    def _account(self, carrier: CarrierState, header: wire.Header, size: int, now: float) -> None:
        carrier.rx.add(header.pkt_num, header.tx_us, size, now)
        carrier.note_received(now)

    def _dispatch(
        self, carrier: CarrierState, header: wire.Header, body: wire.Body, now: float
    ) -> None:
        if isinstance(body, wire.Data):
            self._note_data(carrier, now)
            self._on_data(body, now)
        elif isinstance(body, wire.Repair):
            self._on_repair(body, now)
        elif isinstance(body, wire.Feedback):
            sent_bps = carrier.take_sent_rate(now)
            before = carrier.estimate.rate_bps
            carrier.estimate.on_feedback(body, self._us(now), now, sent_bps)
            self._confirm_tails(carrier)
            if carrier.estimate.rate_bps < 0.8 * before:
                self._replace_queue(carrier, now)
            self._adapt_repair()
        elif isinstance(body, wire.Nack):
            self._on_nack(body, now)
        elif isinstance(body, wire.Skip):
            self._on_skip(body)

    def _on_hello(
        self, carrier: CarrierState, header: wire.Header, body: wire.Hello, now: float
    ) -> None:
        if body.carrier_handle != self.settings.carriers[carrier.index].handle:
            self.dropped["foreign_carrier"] += 1
            return
        if header.src_session != self.peer_session:
            self._adopt_peer(header.src_session)
        if header.dst_session == self.session:
            carrier.established = True
        self._account(carrier, header, wire.HEADER_BYTES + 9, now)
        if body.flags & wire.HELLO_REPLY:
            self._answer_hello(carrier, now)

    def _answer_hello(self, carrier: CarrierState, now: float) -> None:
        if now - carrier.last_hello_reply >= HELLO_REPLY_GAP or carrier.last_hello_reply < 0:
            carrier.last_hello_reply = now
            self._hello(carrier, now)

    def _adopt_peer(self, session: int) -> None:
        restarted = self.peer_session != 0
        self.peer_session = session
        self._clock = WindowedMin(10.0)
        for stream in self.streams:
            stream.reset_receive()
            stream.reset_send()
        for carrier in self.carriers:
            carrier.established = False
            carrier.rx = ReceiveStats()
            carrier.pacer.drain()
        self._events.append(PeerSessionStarted(session, restarted))

    def _on_data(self, data: wire.Data, now: float) -> None:
        self._data_fields(data.stream_handle, data.seq, data.src_us, data.flags, data.payload, now)

    def _data_fields(
        self, handle: int, seq32: int, src_us: int, flags: int, payload: bytes, now: float
    ) -> None:
        index = self._by_handle.get(handle)
        if index is None:
            self.dropped["unknown_stream"] += 1
            return
        stream = self.streams[index]
        retransmit = bool(flags & wire.DATA_RETRANSMIT)
        seq = self._accept(
            index, seq32, src_us, payload, now, clock=not retransmit, resent=retransmit
        )
        if seq is None:
            return
        if stream.repair is not None:
            for rebuilt in stream.repair.source_arrived(seq, src_us, payload, now):
                self._rebuilt(index, rebuilt, now)

    def _on_repair(self, repair: wire.Repair, now: float) -> None:
        index = self._by_handle.get(repair.stream_handle)
        if index is None or self.streams[index].repair is None:
            self.dropped["unknown_stream"] += 1
            return
        stream = self.streams[index]
        assert stream.repair is not None
        if stream.last_repair_at >= 0:
            stream.repair_gap += (now - stream.last_repair_at - stream.repair_gap) / 8
        stream.last_repair_at = now
        window = covered(repair.codec)
        if window is not None:
            stream.repair_span = window[1]
        if stream.spec.arq and window is not None and window[1] > 0:
            # A repair covering sources beyond the highest seen shows a lost tail that no
            # later source will reveal: those are holes to NACK like any other.
            last = unwrap((window[0] + window[1] - 1) & 0xFFFFFFFF, max(stream.planner.highest, 0))
            if stream.planner.highest < last < stream.planner.highest + MAX_RESENDS_PER_NACK:
                stream.planner.on_tail(
                    last,
                    now - self._min_one_way(),
                    now,
                    wait=self._nack_wait(stream),
                    timeout=stream.spec.timeout,
                )
        for rebuilt in stream.repair.repair_arrived(repair.codec, now):
            self._rebuilt(index, rebuilt, now)

    def _rebuilt(self, index: int, coded: bytes, now: float) -> None:
        parts = split(coded)
        if parts is None:
            return
        seq32, src_us, payload = parts
        stream = self.streams[index]
        before = stream.buffer.counters.delivered + stream.buffer.held
        self._accept(index, seq32, src_us, payload, now, clock=False)
        if stream.buffer.counters.delivered + stream.buffer.held > before:
            stream.counters.recovered_fec += 1

    def _accept(
        self,
        index: int,
        seq32: int,
        src_us32: int,
        payload: bytes,
        now: float,
        *,
        clock: bool,
        resent: bool = False,
    ) -> int | None:
        """Put one packet (received, retransmitted or rebuilt) into its stream's buffer."""
        stream = self.streams[index]
        src_us = unwrap(src_us32, stream.last_src_us)
        stream.last_src_us = max(stream.last_src_us, src_us)
        base = self._clock.add(now - src_us / 1e6, now) if clock else self._clock.value
        send_time = src_us / 1e6 + base - self._batch_value(-1, stream)
        seq = unwrap(seq32, max(stream.planner.highest, 0))
        if seq < 0:
            self.dropped["malformed"] += 1
            return None
        filled = stream.planner.on_arrival(
            seq, send_time, now, wait=self._batch_value(index, stream), timeout=stream.spec.timeout
        )
        counters = stream.buffer.counters
        accepted = counters.delivered + stream.buffer.held
        for released in stream.buffer.insert(seq, send_time, payload, now):
            self._delivered.append((index, released))
        if resent:
            if counters.delivered + stream.buffer.held > accepted:
                stream.counters.recovered_arq += int(filled)
            else:
                stream.counters.resends_unneeded += 1
        return seq

    def _batch_value(self, key: int, stream: StreamState) -> float:
        """``_nack_wait(stream)`` (key: the stream's index) or, for key -1, ``_min_one_way()``:
        computed once per :meth:`receive_batch` while nothing they depend on changes."""
        waits = self._batch_waits
        value = None if waits is None else waits.get(key)
        if value is None:
            value = self._min_one_way() if key < 0 else self._nack_wait(stream)
            if waits is not None:
                waits[key] = value
        return value

    def _nack_wait(self, stream: StreamState) -> float:
        """Reordering allowance, plus time for FEC to repair the gap first.

        FEC gets 1.5 repair intervals, but never so long that fewer than two NACK rounds fit
        in the budget after it: under bursty loss a NACK or its resend is often lost too.
        """
        wait = self._reorder_wait()
        via = self._nack_carrier()
        if stream.repair is None or stream.repair_gap <= 0 or via is None:
            return wait
        return wait + self._code_wait(stream, stream.repair_gap, via)

    @staticmethod
    def _code_wait(stream: StreamState, gap: float, via: CarrierState) -> float:
        """1.5 repair intervals (``gap``), at most what leaves two NACK rounds via ``via``."""
        rtt = via.estimate.rtt
        rounds = 2 * (rtt.smoothed + 4 * rtt.rttvar + RENACK_FLOOR)
        room = stream.spec.timeout - rtt.one_way - rounds
        return max(0.0, min(1.5 * gap, room))

    def _fec_hold(self, stream: StreamState, seq: int) -> float:
        """How long the first NACK for hole ``seq`` waits for repairs still to come.

        The decoder lacks ``deficit`` repairs to rebuild what it misses. Repairs keep covering
        the hole until ``repair_span`` sources (the last repair's window) were sent after it;
        if the ones expected by then (at the measured repairs per source) cover the deficit,
        the NACK waits for that many repair gaps, else it goes at once (zero). The planner asks
        again when the wait is over: losses that came meanwhile joined the deficit, and the code
        often still catches up before a resend could arrive (S2 at 10^5 packets: 2,999 resends,
        2,623 of them unneeded with one wait, 2,133 and 1,861 with this). It never holds a NACK
        past the last round that can still arrive.
        """
        repair = stream.repair
        if repair is None or stream.repair_gap <= 0:
            return 0.0
        counters = repair.decoder.counters
        need = deficit(counters)
        left = stream.repair_span - (stream.planner.highest - seq)
        if need == 0 or left <= 0:
            return 0.0
        per_source = counters.repairs_received / max(1, counters.sources_received)
        if need > left * per_source:
            return 0.0
        return need * stream.repair_gap

    def _adapt_repair(self) -> None:
        """Set every stream's repair rate and window from the carriers' measured loss."""
        usable = [c for c in self.carriers if c.usable and c.sent_datagrams]
        via = self._nack_carrier()
        if not usable or via is None:
            return
        worst = max(usable, key=lambda c: c.estimate.loss)
        rtt = via.estimate.rtt
        for stream in self.streams:
            if stream.repair is None:
                continue
            inputs = RepairInputs(
                loss=worst.estimate.loss_for_repair,
                burst=worst.estimate.burst,
                budget=stream.spec.timeout,
                rtt=rtt.smoothed,
                rttvar=rtt.rttvar,
                arq=stream.spec.arq,
                nack_delay=self._nack_delay(stream, worst, via),
                window_packets=stream.repair.encoder.counters.window,
            )
            stream.repair.set_rate(stream.rate.update(inputs), window_time(inputs))

    def _nack_delay(self, stream: StreamState, lossy: CarrierState, via: CarrierState) -> float:
        """What the peer's rules take from a lost packet's budget besides the first one-way
        delay (see :func:`repair.resend_rounds`): a mean loss burst of ``lossy`` passes before
        a later packet shows the hole, then the peer's NACK wait (:meth:`_nack_wait`, with the
        gap of the repairs we send), and :data:`COPY_BURSTS` bursts for a last-chance copy.
        A burst lasts its mean length times the time per packet ``lossy`` sends.
        """
        est = lossy.estimate
        packet_bits = 8 * (lossy.sent_bytes / max(1, lossy.sent_datagrams) + PATH_BYTES)
        burst = est.burst * packet_bits / est.sent_bps if est.sent_bps > 0 else 0.0
        hold = self._code_wait(stream, stream.sent_repair_gap, via)
        return (1 + COPY_BURSTS) * burst + self._reorder_wait() + hold

    def _min_one_way(self) -> float:
        measured = [c.estimate.rtt.min_rtt / 2 for c in self.carriers if c.estimate.rtt.samples]
        return min(measured, default=0.0)

    def _reorder_wait(self) -> float:
        """How long a gap may be reordering (paths of different delay) before it is a loss."""
        used = [c.estimate.rtt for c in self.carriers if c.usable and c.estimate.rtt.samples]
        if not used:
            return 0.005
        spread = max(r.one_way for r in used) - min(r.one_way for r in used)
        return REORDER_SLACK + spread + min(r.rttvar for r in used)

    def _on_nack(self, nack: wire.Nack, now: float) -> None:
        index = self._by_handle.get(nack.stream_handle)
        if index is None:
            self.dropped["unknown_stream"] += 1
            return
        stream = self.streams[index]
        base = max(stream.next_seq - 1, 0)
        # Only what is still kept can be resent, and one NACK buys at most MAX_RESENDS_PER_NACK:
        # a peer asking for millions of sequence numbers costs nothing beyond that.
        lowest = next(iter(stream.history.packets), stream.next_seq)
        budget = MAX_RESENDS_PER_NACK
        for first, count in nack.ranges:
            start = max(unwrap(first, base), lowest)
            for seq in range(start, min(start + count, stream.next_seq)):
                if budget == 0:
                    return
                budget -= 1
                self._resend(stream, seq, now)

    def _on_skip(self, skip: wire.Skip) -> None:
        """The peer gave up on sending these: release what waits behind them at once."""
        index = self._by_handle.get(skip.stream_handle)
        if index is None:
            self.dropped["unknown_stream"] += 1
            return
        stream = self.streams[index]
        base = max(stream.buffer.next_seq, stream.planner.highest, 0)
        for first, count in skip.ranges:
            start = unwrap(first, base)
            stream.buffer.abandon(start, count)
            for seq in range(start, start + min(count, MAX_RESENDS_PER_NACK)):
                stream.planner.missing.pop(seq, None)

    def _resend(self, stream: StreamState, seq: int, now: float) -> None:
        sent = stream.history.packets.get(seq)
        if sent is None:
            return
        body = wire.encode_data(
            stream.spec.handle, seq, self._us(sent.send_time), wire.DATA_RETRANSMIT, sent.payload
        )
        carrier = scheduler.pick(self.carriers, len(body), now, avoid=sent.carrier)
        if carrier is None:
            return
        one_way = carrier.expected_arrival(now, len(body)) - now
        # A NACK's copies span up to half a round trip after it (the planner's rule), and with
        # jitter srtt/2 is longer than the least echo: a NACK that soon may still be a copy.
        echo = max(
            self.carriers[sent.carrier].estimate.rtt.min_rtt / 2 + self._min_one_way(),
            carrier.estimate.rtt.smoothed / 2,
        )
        if stream.history.resendable(seq, now, one_way, echo) is None:
            return
        sent.resent += 1
        sent.last_resend = now
        sent.carrier = carrier.index
        deadline = sent.send_time + stream.spec.timeout
        carrier.pacer.push(wire.DATA, body, deadline, urgent=True)
        stream.counters.retransmitted += 1
        rtt = carrier.estimate.rtt
        next_round = now + rtt.smoothed + 4 * rtt.rttvar + RENACK_FLOOR + one_way
        if next_round > deadline or sent.resent >= MAX_RETRANSMITS:
            self._double(stream, seq, body, carrier, deadline, now)

    def _double(
        self,
        stream: StreamState,
        seq: int,
        body: bytes,
        carrier: CarrierState,
        deadline: float,
        now: float,
    ) -> None:
        """Send a last-chance resend (no later round can arrive) a second time.

        On another carrier at once where one can deliver it in time; otherwise on the same
        carrier :data:`COPY_BURSTS` mean loss bursts later (at least
        :data:`MIN_COPY_SPACING`), if the copy can still arrive before the deadline.
        """
        other = scheduler.pick(self.carriers, len(body), now, avoid=carrier.index)
        if (
            other is not None
            and other is not carrier
            and other.expected_arrival(now, len(body)) <= deadline
        ):
            other.pacer.push(wire.DATA, body, deadline, urgent=True)
            stream.counters.retransmitted += 1
            stream.counters.resends_doubled += 1
            return
        est = carrier.estimate
        gap = 8 * len(body) / est.sent_bps if est.sent_bps > 0 else 0.0
        at = now + max(MIN_COPY_SPACING, COPY_BURSTS * est.burst * gap)
        if carrier.expected_arrival(at, len(body)) <= deadline:
            stream.copies.append((at, seq))

    def _send_copies(self, stream: StreamState, now: float) -> None:
        """Send the same-carrier copies of last-chance resends that are due."""
        due = [seq for at, seq in stream.copies if at <= now]
        stream.copies = [(at, seq) for at, seq in stream.copies if at > now]
        for seq in due:
            sent = stream.history.packets.get(seq)
            if sent is None:
                continue
            deadline = sent.send_time + stream.spec.timeout
            data = wire.Data(
                stream.spec.handle,
                seq,
                self._us(sent.send_time),
                wire.DATA_RETRANSMIT,
                sent.payload,
            )
            _, body = wire.encode_body(data)
            carrier = scheduler.pick(self.carriers, len(body), now)
            if carrier is None or carrier.expected_arrival(now, len(body)) > deadline:
                continue
            carrier.pacer.push(wire.DATA, body, deadline, urgent=True)
            stream.counters.retransmitted += 1
            stream.counters.resends_doubled += 1

    # ---- time -------------------------------------------------------------------------------

    def poll(self, now: float) -> None:
        """Do everything due at ``now``: handshakes, feedback, NACKs, releases, pacing."""
        for carrier in self.carriers:
            self._carrier_timers(carrier, now)
        for index, stream in enumerate(self.streams):
            self._stream_timers(index, stream, now)
        # Health verdicts change only with feedback, arrivals on excluded carriers or time.
        if self._health_check or now >= self._health_deadline():
            self._health_check = False
            for carrier in self.carriers:
                self._health(carrier, now)
        for carrier in self.carriers:
            self._drain_pacer(carrier, now)

    def _carrier_timers(self, carrier: CarrierState, now: float) -> None:
        s = self.settings
        if carrier.rx.unreported and now >= carrier.last_feedback_sent + s.feedback_interval:
            carrier.last_feedback_sent = now
            self._control(carrier, carrier.rx.report(now), now)
        # Keyed on sending only: a carrier we only receive on must still show the peer we live.
        if now >= carrier.last_tx + s.keepalive_interval:
            self._hello(carrier, now)

    def _stream_timers(self, index: int, stream: StreamState, now: float) -> None:
        if stream.waiting and any(c.established for c in self.carriers):
            self._release_waiting(stream, now)
        if stream.repair is not None:
            codecs = stream.repair.poll(now)
            if codecs:
                schedule = scheduler.Schedule(self.carriers, now)
                for codec in codecs:
                    self._send_repair(stream, codec, schedule, avoid=-1)
            stream.repair.decoder.poll(now)
        if stream.copies:
            self._send_copies(stream, now)
        probe = self._tail_probe_due(stream)
        if probe is not None and now >= probe:
            self._tail_probe(stream, now)
        for _seq, payload in stream.buffer.release(now):
            self._delivered.append((index, payload))
        stream.planner.forget_below(stream.buffer.next_seq)
        if not stream.spec.arq or not stream.planner.missing:
            return
        via = self._nack_carrier()
        if via is None:
            return
        rtt = via.estimate.rtt
        bursty = via.estimate.burst >= BURSTY
        # Under bursts the copies go on for most of the round: a sparse reverse path can lose
        # half a round of NACKs to one burst. The sender refuses a NACK that comes less than
        # about the least round trip after a resend (``_resend``'s echo), so copies that stop
        # short of it (by the delay's variation) cost no second resend.
        span = None
        if bursty:
            span = max(rtt.smoothed / 2, rtt.min_rtt - 4 * rtt.rttvar - NACK_COPY_SPACING)
        due = stream.planner.due(
            now,
            rtt.smoothed,
            rtt.rttvar,
            hold=lambda seq: self._fec_hold(stream, seq),
            copies=NACK_COPIES_BURSTY if bursty else NACK_COPIES,
            span=span,
            behind=self._behind(now),
            # Under bursts a hold asked again eats the second round the steady repair rate
            # leaves the waves to (S5 lost runs of 10 with it): the hold is asked once.
            rehold=not bursty,
        )
        wanted = [q for q in due if stream.buffer.missing_below(q)]
        runs = ranges(wanted)
        for start in range(0, len(runs), wire.NACK_MAX_RANGES):
            chunk = tuple(runs[start : start + wire.NACK_MAX_RANGES])
            self._control(via, wire.Nack(stream.spec.handle, chunk), now)

    def _confirm_tails(self, carrier: CarrierState) -> None:
        """Keep, for each stream whose newest packet went on ``carrier``, the first report
        span from it that reaches that packet's last transmission."""
        span = carrier.estimate.echo_span
        if span is None:
            return
        before, echo, _ = span
        for stream in self.streams:
            last = stream.next_seq - 1
            sent = stream.history.packets.get(last)
            if sent is None or sent.carrier != carrier.index:
                continue
            seq, probes, known = stream.tail
            tx = self._us(max(sent.send_time, sent.last_resend))
            if (seq != last or known is None) and tx <= echo and (before is None or before < tx):
                stream.tail = (last, probes if seq == last else 0, span)

    def _tail_arrived(self, stream: StreamState) -> bool:
        """Whether the report span kept by :meth:`_confirm_tails` shows the newest packet
        arrived: the peer counted no loss in it beyond the packets sent in it that it NACKed
        (the sender resent them), so the newest one is not among the lost."""
        span = stream.tail[2]
        if span is None:
            return False
        before, echo, lost = span
        if lost is None:
            return False
        nacked = 0  # (a resend may have moved to another carrier: the first try counts)
        for sent in reversed(stream.history.packets.values()):
            tx = self._us(sent.send_time)
            if before is not None and tx <= before:
                break
            if tx <= echo and sent.resent:
                nacked += 1
        return lost <= nacked

    def _tail_probe_due(self, stream: StreamState) -> float | None:
        """When the stream's newest packet counts as lost, with everything after it; None when
        there is nothing to probe.

        A hole is found by the packets after it; the newest packets of a stream that went
        quiet have none, and a burst that also takes the tail repairs leaves the receiver
        nothing to NACK. So the sender watches the peer's reports instead, as TCP's tail loss
        probe does: the first report whose echo passes the newest packet shows it arrived
        when the losses the peer counted since the report before are all packets it NACKed
        (:meth:`_tail_arrived`). Once a probe timeout (a round trip, its variation, the
        report interval and a margin) passes after the newest packet's last transmission
        without that, the unreported tail is resent (:meth:`_tail_probe`). A second probe
        follows only if no report echoes anything sent after the first: that report's span
        still counts the burst's losses, but the path carried the probe's successors. At most
        ``TAIL_PROBES`` per tail; the resend rules (deadline, echo) apply as to any resend.
        """
        if not stream.spec.arq or stream.next_seq == 0:
            return None
        last = stream.next_seq - 1
        sent = stream.history.packets.get(last)
        seq, probes, _ = stream.tail
        if sent is None or (seq == last and probes >= TAIL_PROBES):
            return None
        estimate = self.carriers[sent.carrier].estimate
        if seq == last and probes and (estimate.echo_us or 0) >= self._us(sent.last_resend):
            return None  # the path carried something sent after the probe: it got through
        rtt = estimate.rtt
        if not rtt.samples:
            return None
        timeout = rtt.smoothed + 4 * rtt.rttvar + self.settings.feedback_interval + RENACK_FLOOR
        return max(sent.send_time, sent.last_resend) + timeout

    def _tail_probe(self, stream: StreamState, now: float) -> None:
        """Resend the tail no report showed arrived (see :meth:`_tail_probe_due`): the packets
        sent after the echo of the report before the one that reached the newest packet, or
        after the newest echo when none did; at most :data:`TAIL_PROBE_PACKETS`, the newest
        always. The burst that took the newest packet often took the ones before it too, and
        NACKing them after the probe would cost a round trip the deadline may not have."""
        last = stream.next_seq - 1
        seq, probes, span = stream.tail
        if seq == last and self._tail_arrived(stream):
            # Looked at only now, when the probe is due: the span scan is not per step.
            stream.tail = (last, TAIL_PROBES, span)
            return
        stream.tail = (last, probes + 1 if seq == last else 1, None)
        stream.counters.tail_probes += 1
        packets = stream.history.packets
        newest = packets[last]
        if span is not None and seq == last:
            reported = span[0]
        else:
            reported = self.carriers[newest.carrier].estimate.echo_us
        first = last
        while first > last - TAIL_PROBE_PACKETS + 1:
            earlier = packets.get(first - 1)
            if earlier is None or (
                reported is not None and self._us(earlier.send_time) <= reported
            ):
                break
            first -= 1
        for resend in range(first, last + 1):
            self._resend(stream, resend, now)

    def _behind(self, now: float) -> Callable[[float], float] | None:
        """Until when a hole handed over at local time ``sent`` may still arrive unread.

        Per usable carrier that carried DATA within :data:`CARRYING_MEMORY` (any usable one in
        the first such span after DATA started to arrive: the others' first may be unread) and
        has not yet delivered anything sent after ``sent`` (its frontier: the sender's ``tx_us``
        of its latest datagram, on the ``src_us`` clock): ``sent`` plus the least one-way
        delay, its extra base delay over the fastest carrier, its worst recent lateness and
        :data:`REORDER_SLACK`. None with fewer than two such carriers: nothing to wait for.
        """
        since = -math.inf if now < self._data_since + CARRYING_MEMORY else now - CARRYING_MEMORY
        carrying = [c for c in self.carriers if c.usable and c.last_data >= since]
        if len(carrying) < 2:
            return None
        one_way = self._min_one_way()
        offset = self._clock.value - one_way
        after = one_way + REORDER_SLACK - min(c.rx.base_delay for c in carrying)
        marks = [
            (c.rx.last_tx_us / 1e6 + offset, after + c.rx.base_delay + c.rx.lateness)
            for c in carrying
        ]

        def until(sent: float) -> float:
            # Datagrams sent together share one timestamp: a frontier equal to ``sent`` does
            # not show that the hole (maybe among the later ones) left.
            waits = [sent + lag for frontier, lag in marks if frontier <= sent + TICK]
            return max(waits, default=-math.inf)

        return until

    def _nack_carrier(self) -> CarrierState | None:
        return scheduler.fastest(self.carriers)

    def _drain_pacer(self, carrier: CarrierState, now: float) -> None:
        pacer, est = carrier.pacer, carrier.estimate
        expired = pacer.expired
        while (item := pacer.pop(now, est.rate_bps, est.rtt.one_way)) is not None:
            kind, body, _deadline = item
            self._transmit(carrier, kind, body, now)
        if pacer.expired > expired:
            self.dropped["expired_in_queue"] += pacer.expired - expired
            self._skip_expired(pacer.expired_bodies, now)
            pacer.expired_bodies.clear()

    def _skip_expired(self, bodies: list[tuple[int, bytes]], now: float) -> None:
        """Tell the peer which numbered packets will never leave, so it stops waiting."""
        never_sent: dict[int, list[int]] = {}
        for kind, body in bodies:
            if kind != wire.DATA or body[12] & wire.DATA_RETRANSMIT:  # a resend is no news
                continue
            handle, seq = int.from_bytes(body[:4], "big"), int.from_bytes(body[4:8], "big")
            never_sent.setdefault(handle, []).append(seq)
        via = self._nack_carrier()
        if via is None:
            return
        for handle, seqs in never_sent.items():
            runs = ranges(seqs)
            for start in range(0, len(runs), wire.NACK_MAX_RANGES):
                chunk = tuple(runs[start : start + wire.NACK_MAX_RANGES])
                self._control(via, wire.Skip(handle, chunk), now)

    # ---- carrier health ---------------------------------------------------------------------

    def _dark_after(self, carrier: CarrierState) -> float:
        rtt = carrier.estimate.rtt
        return rtt.smoothed + 3 * self.settings.feedback_interval + 4 * rtt.rttvar

    def _health(self, carrier: CarrierState, now: float) -> None:
        if not carrier.established:
            return
        reason = self._trouble(carrier, now)
        if carrier.state == UP and reason is not None:
            self._exclude(carrier, reason, now)
        elif carrier.state == EXCLUDED:
            if reason is not None:
                carrier.healthy_since = -1.0
            elif carrier.healthy_since < 0:
                carrier.healthy_since = now
                if carrier.excluded_for == "dark":
                    carrier.estimate.forget_loss()
            elif now >= carrier.healthy_since + self.settings.restore_after:
                carrier.state = UP
                self._events.append(CarrierRestored(carrier.handle))

    def _trouble(self, carrier: CarrierState, now: float) -> str | None:
        others = [c for c in self.carriers if c is not carrier and c.usable]
        if not others:  # excluding the last carrier would only stop the traffic
            return None
        if self._dark(carrier, now) and self._heard_elsewhere(carrier, others):
            return "dark"
        est = carrier.estimate
        best_loss = min(c.estimate.loss for c in others)
        if est.observed >= LOSS_SAMPLES and est.loss > LOSSY and est.loss > 4 * best_loss:
            return "lossy"
        budget = min(s.spec.timeout for s in self.streams)
        best_owd = min(c.estimate.rtt.one_way for c in others)
        if est.rtt.one_way > best_owd + budget:
            return "slow"
        return None

    def _heard_elsewhere(self, carrier: CarrierState, others: list[CarrierState]) -> bool:
        """Whether the peer answered on another carrier after this one's answer was overdue
        (a round trip and a feedback interval after it went silent).

        When every carrier goes silent at once the peer (or this host's reading of all its
        sockets) stalled, not a carrier: excluding one would only move its traffic and resend
        what it carried. An excluded carrier is judged by its own keep-alives alone.
        """
        if carrier.state == EXCLUDED:
            return True
        overdue = carrier.first_tx_after_rx + carrier.estimate.rtt.smoothed
        overdue += self.settings.feedback_interval
        return any(o.last_rx > overdue for o in others)

    def _dark(self, carrier: CarrierState, now: float) -> bool:
        dark_after = self._dark_after(carrier)
        if carrier.state == EXCLUDED:  # probed by keep-alives: healthy only while they are answered
            limit = self.settings.keepalive_interval + dark_after
            return carrier.last_rx < 0 or now > carrier.last_rx + limit
        # Several unanswered datagrams, not one: on a lossy carrier that only carries
        # keep-alives a single lost exchange is common and says nothing.
        silent_since = carrier.first_tx_after_rx
        unanswered = carrier.sent_since_rx >= DARK_UNANSWERED
        return unanswered and silent_since >= 0 and now >= silent_since + dark_after

    def _exclude(self, carrier: CarrierState, reason: str, now: float) -> None:
        carrier.state = EXCLUDED
        carrier.excluded_for = reason
        carrier.healthy_since = -1.0
        self._events.append(CarrierExcluded(carrier.handle, reason))
        self._replace_queue(carrier, now)
        if reason == "dark":
            self._resend_unconfirmed(carrier, now)

    def _resend_unconfirmed(self, carrier: CarrierState, now: float) -> None:
        """Resend at once, elsewhere, what went into a carrier since it last answered.

        The receiver cannot NACK those packets until later ones arrive on another carrier,
        which on a blackout is too late for the first of them.
        """
        since = carrier.last_rx - carrier.estimate.rtt.smoothed
        for stream in self.streams:
            if not stream.spec.arq:
                continue
            lost = [
                seq
                for seq, sent in stream.history.packets.items()
                if sent.carrier == carrier.index and sent.send_time >= since
            ]
            for seq in lost:
                self._resend(stream, seq, now)

    def _replace_queue(self, carrier: CarrierState, now: float) -> None:
        """Schedule a carrier's queue again (it was excluded or its capacity fell)."""
        for kind, body, deadline in carrier.pacer.drain():
            target = scheduler.pick(self.carriers, len(body), now)
            if target is not None:
                target.pacer.push(kind, body, deadline)

    # ---- telemetry --------------------------------------------------------------------------

    def stream_stats(self, index: int) -> dict[str, float]:
        """Counters and gauges of one stream."""
        stream = self.streams[index]
        c, d = stream.counters, stream.buffer.counters
        return {
            "sent": c.sent,
            "delivered": d.delivered,
            "recovered_fec": c.recovered_fec,
            "recovered_arq": c.recovered_arq,
            "late": d.late,
            "lost": d.lost,
            "duplicates": d.duplicates,
            "retransmitted": c.retransmitted,
            "nacks_sent": stream.planner.nacks_sent,
            "nack_copies": stream.planner.nack_copies,
            "resends_doubled": c.resends_doubled,
            "tail_probes": c.tail_probes,
            "resends_unneeded": c.resends_unneeded,
            "dropped_local": c.dropped_local,
            "buffer_delay_ms": 1e3 * d.buffer_delay_sum / d.delivered if d.delivered else 0.0,
            "held": stream.buffer.held,
            "repairs_sent": c.repairs_sent,
            "tail_repairs": stream.repair.tail_flushes if stream.repair else 0,
            "repair_rate": stream.repair.encoder.config.repair_rate if stream.repair else 0.0,
        }

    def carrier_stats(self, index: int) -> dict[str, float]:
        """Counters and estimates of one carrier."""
        c = self.carriers[index]
        est = c.estimate
        return {
            "established": float(c.established),
            "excluded": float(c.state == EXCLUDED),
            "rtt_ms": est.rtt.smoothed * 1e3,
            "rttvar_ms": est.rtt.rttvar * 1e3,
            "loss": est.loss,
            "burst": est.burst,
            "capacity_bps": est.rate_bps,
            "delivery_bps": est.delivered_bps,
            "queue_delay_ms": est.queue_delay * 1e3,
            "sent_datagrams": c.sent_datagrams,
            "sent_bytes": c.sent_bytes,
            "queued_bytes": c.pacer.queued_bytes,
        }
