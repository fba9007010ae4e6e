"""The Raft endpoint on a fake clock: handshake, restarts, bad input, ARQ deadlines, bonding."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from nanoping.raft import wire
from nanoping.raft.arq import (
    NACK_COPIES,
    NACK_COPY_SPACING,
    NackPlanner,
    SendHistory,
    Sent,
    ranges,
)
from nanoping.raft.carrier import CarrierState
from nanoping.raft.endpoint import MIN_COPY_SPACING, RaftEndpoint
from nanoping.raft.events import PeerSessionStarted
from nanoping.raft.rtt import RttEstimator
from nanoping.raft.scheduler import pick
from nanoping.raft.settings import CarrierSpec, RaftSettings, SettingsError, StreamSpec

SETTINGS = RaftSettings(
    streams=(StreamSpec(handle=1, timeout=0.2, policy="on_ordered"),),
    carriers=(CarrierSpec(handle=10), CarrierSpec(handle=20)),
)


class Bench:
    """Two endpoints joined by lossless links of fixed one-way delay, on one fake clock."""

    def __init__(self, delay: float = 0.01, settings: RaftSettings = SETTINGS) -> None:
        self.delay = delay
        self.now = 0.0
        self.settings = settings
        self.a = RaftEndpoint(settings=settings, session_id=111, now=0.0)
        self.b = RaftEndpoint(settings=settings, session_id=222, now=0.0)
        self.flight: list[tuple[float, str, int, bytes]] = []
        self.got_b: list[bytes] = []
        self.cut: set[int] = set()
        self.drop: Callable[[str, bytes], bool] = lambda side, datagram: False
        """Datagrams to lose: drop(receiving side, datagram) is True."""

    def run(self, until: float) -> None:
        while True:
            self._collect()
            times = [t for t, *_ in self.flight]
            times += [d for d in (self.a.next_deadline(), self.b.next_deadline()) if d is not None]
            t = min(times, default=until)
            if t > until:
                break
            self.now = max(self.now, t)
            due = [f for f in self.flight if f[0] <= self.now]
            self.flight = [f for f in self.flight if f[0] > self.now]
            for _, side, carrier, datagram in due:
                (self.b if side == "b" else self.a).receive(carrier, datagram, self.now)
            self.a.poll(self.now)
            self.b.poll(self.now)
        self.now = until

    def _collect(self) -> None:
        for side, endpoint in (("b", self.a), ("a", self.b)):
            for carrier, datagram in endpoint.take_datagrams():
                if carrier not in self.cut and not self.drop(side, datagram):
                    self.flight.append((self.now + self.delay, side, carrier, datagram))
        self.got_b += [p for _, p in self.b.take_delivered()]
        self.a.take_delivered()

    def restart_b(self, session: int) -> None:
        self.b = RaftEndpoint(settings=self.settings, session_id=session, now=self.now)


def test_handshake_establishes_every_carrier_and_packets_flow() -> None:
    bench = Bench()
    bench.run(0.1)
    assert all(c.established for c in bench.a.carriers + bench.b.carriers)
    assert bench.a.peer_session == 222
    assert bench.b.peer_session == 111
    for i in range(20):
        bench.a.send(0, b"p%d" % i, bench.now)
        bench.run(bench.now + 0.001)
    bench.run(bench.now + 0.3)
    assert bench.got_b == [b"p%d" % i for i in range(20)]


def test_a_restarted_peer_gets_a_new_session_fresh_sequence_numbers_and_no_stale_packets() -> None:
    bench = Bench()
    bench.run(0.1)
    for i in range(5):
        bench.a.send(0, b"old%d" % i, bench.now)
    bench.run(0.105)  # packets in flight towards the old B
    bench.restart_b(333)
    bench.run(0.3)
    assert bench.b.dropped["stale"] > 0
    assert any(e == PeerSessionStarted(333, True) for e in bench.a.take_events())
    assert bench.a.streams[0].next_seq == 0
    for i in range(5):
        bench.a.send(0, b"new%d" % i, bench.now)
    bench.run(bench.now + 0.3)
    assert bench.got_b == [b"new%d" % i for i in range(5)]
    assert bench.b.stream_stats(0)["lost"] == 0


def test_the_sender_restarting_resets_the_receiver_and_delivery_restarts_at_zero() -> None:
    bench = Bench()
    bench.run(0.1)
    for i in range(3):
        bench.a.send(0, b"x%d" % i, bench.now)
    bench.run(0.4)
    bench.a = RaftEndpoint(settings=SETTINGS, session_id=444, now=bench.now)
    bench.run(0.6)
    for i in range(3):
        bench.a.send(0, b"y%d" % i, bench.now)
    bench.run(1.0)
    assert bench.got_b == [b"x0", b"x1", b"x2", b"y0", b"y1", b"y2"]
    assert any(e == PeerSessionStarted(444, True) for e in bench.b.take_events())


@pytest.mark.parametrize(
    ("datagram", "reason"),
    [
        (b"", "short"),
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "foreign"),
        (bytes.fromhex("52460702") + bytes(16), "version"),
        (bytes.fromhex("5246010200000001") + bytes(12) + b"\x00", "malformed"),
    ],
)
def test_garbage_and_foreign_packets_are_dropped_and_counted(datagram: bytes, reason: str) -> None:
    bench = Bench()
    bench.run(0.1)
    before = bench.b.stream_stats(0)
    bench.b.receive(0, datagram, bench.now)
    assert bench.b.dropped[reason] == 1
    assert bench.b.stream_stats(0) == before


def test_a_hello_naming_another_carrier_handle_is_refused() -> None:
    endpoint = RaftEndpoint(settings=SETTINGS, session_id=5, now=0.0)
    header = wire.Header(kind=wire.HELLO, src_session=9, dst_session=5, pkt_num=0, tx_us=0)
    endpoint.receive(0, wire.encode(header, wire.encode_body(wire.Hello(99, 0))[1]), 0.0)
    assert endpoint.dropped["foreign_carrier"] == 1
    assert endpoint.peer_session == 0
    assert not endpoint.carriers[0].established


def test_data_of_an_unknown_stream_is_dropped_and_counted() -> None:
    bench = Bench()
    bench.run(0.1)
    header = wire.Header(kind=wire.DATA, src_session=111, dst_session=222, pkt_num=999, tx_us=1)
    body = wire.encode_body(wire.Data(77, 0, 1, 0, b"z"))[1]
    bench.b.receive(0, wire.encode(header, body), bench.now)
    assert bench.b.dropped["unknown_stream"] == 1


def test_oversized_packets_are_dropped_locally_and_counted() -> None:
    bench = Bench()
    bench.run(0.1)
    assert not bench.a.send(0, bytes(SETTINGS.max_payload + 1), bench.now)
    assert bench.a.stream_stats(0)["dropped_local"] == 1


def test_a_dark_carrier_is_excluded_probed_and_restored_with_hysteresis() -> None:
    bench = Bench()
    bench.run(0.2)
    bench.cut = {0}
    for i in range(100):
        bench.a.send(0, b"%d" % i, bench.now)
        bench.run(bench.now + 0.005)
    assert bench.a.carrier_stats(0)["excluded"] == 1.0
    assert bench.a.carrier_stats(1)["excluded"] == 0.0
    bench.cut = set()
    bench.run(bench.now + 0.5)
    assert bench.a.carrier_stats(0)["excluded"] == 1.0  # not yet: it must stay healthy 1 s
    bench.run(bench.now + 1.0)
    assert bench.a.carrier_stats(0)["excluded"] == 0.0
    bench.run(bench.now + 0.5)
    assert len(bench.got_b) == 100  # the packets lost on the dark carrier were resent


def test_rtt_estimator_follows_rfc9002_smoothing() -> None:
    rtt = RttEstimator()
    rtt.add(0.1)
    assert (rtt.smoothed, rtt.rttvar, rtt.min_rtt) == (0.1, 0.05, 0.1)
    rtt.add(0.2)
    assert rtt.smoothed == pytest.approx(0.1125)
    assert rtt.rttvar == pytest.approx(0.0625)
    assert rtt.min_rtt == 0.1


def test_nacks_are_only_sent_while_a_retransmission_can_arrive_in_time() -> None:
    planner = NackPlanner()
    planner.on_arrival(0, 1.00, 1.01, wait=0.005, timeout=0.2)
    planner.on_arrival(3, 1.03, 1.04, wait=0.005, timeout=0.2)
    assert planner.due(1.04, srtt=0.05, rttvar=0.01) == []  # inside the reorder allowance
    assert planner.due(1.046, srtt=0.05, rttvar=0.01) == [1, 2]
    assert planner.due(1.05, srtt=0.05, rttvar=0.01) == []  # re-NACK after srtt + 4 rttvar + 5 ms
    assert planner.due(1.141, srtt=0.05, rttvar=0.01) == [1, 2]
    # Seq 1 is due at 1.21, 2 at 1.22: with srtt + rttvar = 0.06 nothing can make it after 1.16.
    assert planner.due(1.17, srtt=0.05, rttvar=0.01) == []
    assert not planner.missing


def test_arq_is_off_where_the_budget_is_below_a_round_trip() -> None:
    planner = NackPlanner()
    planner.on_arrival(0, 1.00, 1.05, wait=0.0, timeout=0.15)
    planner.on_arrival(2, 1.02, 1.07, wait=0.0, timeout=0.15)
    assert planner.due(1.07, srtt=0.2, rttvar=0.0) == []


def test_the_sender_resends_only_what_can_still_arrive() -> None:
    history = SendHistory(timeout=0.1)
    history.add(0, Sent(1.0, b"a", 0), 1.0)
    assert history.resendable(0, 1.05, one_way=0.04, echo=0.08) is not None
    assert history.resendable(0, 1.07, one_way=0.04, echo=0.08) is None
    assert ranges([5, 1, 2, 3, 9]) == [(1, 3), (5, 1), (9, 1)]


def test_a_nack_that_left_before_the_last_resend_could_arrive_is_not_answered() -> None:
    history = SendHistory(timeout=1.0)
    history.add(0, Sent(1.0, b"a", 0), 1.0)
    sent = history.resendable(0, 1.1, one_way=0.04, echo=0.08)
    assert sent is not None
    sent.resent, sent.last_resend = 1, 1.1
    # A copy of the same round, or the next round timed from a copy that got through late:
    # sent before the resend could reach the receiver, it says nothing about that resend.
    assert history.resendable(0, 1.1 + 0.079, one_way=0.04, echo=0.08) is None
    # A NACK sent once the resend should have arrived: the resend was lost.
    assert history.resendable(0, 1.1 + 0.08, one_way=0.04, echo=0.08) is sent


def test_a_late_copy_of_a_lost_nack_does_not_double_the_next_rounds_resend() -> None:
    # 80 ms RTT, 300 ms budget. The first NACK is lost and its second copy (10 ms later)
    # gets the resend out; the next round, timed from the first NACK, reaches the sender
    # before a NACK could know of that resend, and must not send it again.
    bench = Bench(delay=0.04, settings=_one_stream(0.3, carriers=1))
    bench.run(0.8)
    lost: list[float] = []

    def drop(side: str, datagram: bytes) -> bool:
        if side == "b" and _data_seq(datagram) == 3 and not datagram[32] & wire.DATA_RETRANSMIT:
            return True
        if side == "a" and datagram[3] == wire.NACK and len(lost) < 2:
            lost.append(bench.now)
            return True
        return False

    bench.drop = drop
    _send_ten_and_settle(bench, 0.5)
    assert len(lost) == 2
    a, b = bench.a.stream_stats(0), bench.b.stream_stats(0)
    assert b["recovered_arq"] == 1
    assert a["retransmitted"] == 1
    assert b["resends_unneeded"] == 0


def _carrier(index: int, priority: int, rate: float, rtt: float) -> CarrierState:
    c = CarrierState(index=index, handle=index, priority=priority, initial_rate_bps=rate)
    c.established = True
    c.estimate.rtt.add(rtt)
    return c


def test_within_a_tier_the_earliest_arrival_wins_and_the_slow_carrier_takes_overflow() -> None:
    fast, slow = _carrier(0, 0, 20e6, 0.030), _carrier(1, 0, 5e6, 0.080)
    assert pick([fast, slow], 1200, 0.0) is fast
    for _ in range(60):  # ~29 ms of queue on the fast carrier, more than the 25 ms difference
        fast.pacer.push(wire.DATA, bytes(1200), 1.0)
    assert pick([fast, slow], 1200, 0.0) is slow


def test_the_queue_a_probe_builds_on_the_path_counts_in_the_expected_arrival() -> None:
    carrier = _carrier(0, 0, 20e6, 0.030)
    carrier.estimate.capacity, carrier.estimate.measured = 10e6, True
    idle = carrier.expected_arrival(0.0, 1200)
    for i in range(200):  # 100 ms of sending at 20 Mbit/s into a 10 Mbit/s path
        carrier.note_sent(1233, i * 0.0005)
    # Half of it still sits on the path: about 100 ms more than on an idle path.
    assert 0.095 < carrier.expected_arrival(0.1, 1200) - 0.1 - idle < 0.105


def test_a_lower_priority_tier_is_used_only_when_the_higher_one_saturates() -> None:
    high, low = _carrier(0, 2, 5e6, 0.080), _carrier(1, 1, 20e6, 0.010)
    assert pick([high, low], 1200, 0.0) is high
    for _ in range(10):  # ~20 ms of queue: saturated
        high.pacer.push(wire.DATA, bytes(1200), 1.0)
    assert pick([high, low], 1200, 0.0) is low


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"handle": -1}, "stream_handle -1"),
        ({"handle": 1, "policy": "sometimes"}, "delivery policy 'sometimes'"),
        ({"handle": 1, "timeout": 0.0}, "timeout 0.0s"),
        ({"handle": 1, "timeout": 0.1, "jitter_buffer": 0.2}, "jitter_buffer 0.2s"),
    ],
)
def test_bad_stream_settings_name_the_field(kwargs: dict[str, object], words: str) -> None:
    with pytest.raises(SettingsError, match=words):
        StreamSpec(**kwargs)  # type: ignore[arg-type]


def test_duplicate_handles_and_tiny_packets_are_refused() -> None:
    with pytest.raises(SettingsError, match="carrier_handle 3 is used twice"):
        RaftSettings(streams=(StreamSpec(handle=1),), carriers=(CarrierSpec(handle=3),) * 2)
    with pytest.raises(SettingsError, match="max_packet_bytes 20"):
        RaftSettings(
            streams=(StreamSpec(handle=1),), carriers=(CarrierSpec(handle=3),), max_packet_bytes=20
        )


def test_a_nack_asking_for_everything_costs_at_most_a_bounded_number_of_resends() -> None:
    bench = Bench()
    bench.run(0.1)
    for i in range(2000):
        bench.a.send(0, b"%d" % i, bench.now)
    bench.a.take_datagrams()
    header = wire.Header(kind=wire.NACK, src_session=222, dst_session=111, pkt_num=10**6, tx_us=1)
    ranges = tuple((0, 0xFFFF) for _ in range(wire.NACK_MAX_RANGES))
    nack = wire.encode(header, wire.encode_body(wire.Nack(1, ranges))[1])
    bench.a.receive(0, nack, bench.now)
    assert 1000 <= bench.a.stream_stats(0)["retransmitted"] <= 1024


def test_a_skip_from_the_sender_releases_what_waits_behind_the_hole_at_once() -> None:
    bench = Bench()
    bench.run(0.1)
    bench.a.send(0, b"p0", bench.now)
    bench.run(bench.now + 0.05)
    bench.a.send(0, b"p1", bench.now)
    bench.a.send(0, b"p2", bench.now)
    datagrams = bench.a.take_datagrams()
    data = [d for d in datagrams if d[1][3] == wire.DATA]
    assert len(data) == 2
    bench.b.receive(data[1][0], data[1][1], bench.now + 0.01)  # p2 only: p1 is a hole
    assert [p for _, p in bench.b.take_delivered()] == []
    header = wire.Header(kind=wire.SKIP, src_session=111, dst_session=222, pkt_num=10**5, tx_us=1)
    skip = wire.encode(header, wire.encode_body(wire.Skip(1, ((1, 1),)))[1])
    bench.b.receive(0, skip, bench.now + 0.02)
    assert [p for _, p in bench.b.take_delivered()] == [b"p2"]  # not 200 ms later


def test_a_numbered_packet_that_expires_in_the_pacer_is_announced_in_a_skip() -> None:
    bench = Bench()
    bench.run(0.1)
    bench.a.take_datagrams()
    carrier = bench.a.carriers[0]
    _, body = wire.encode_body(wire.Data(1, 7, 0, 0, b"late"))
    _, resent = wire.encode_body(wire.Data(1, 8, 0, wire.DATA_RETRANSMIT, b"late"))
    carrier.pacer.push(wire.DATA, body, bench.now - 0.01)
    carrier.pacer.push(wire.DATA, resent, bench.now - 0.01, urgent=True)
    bench.a.poll(bench.now)
    skips = [wire.decode(d)[1] for _, d in bench.a.take_datagrams() if d[3] == wire.SKIP]
    assert skips == [wire.Skip(1, ((7, 1),))]  # the resend was sent once already: no news
    assert bench.a.dropped["expired_in_queue"] == 2


def _data_seq(datagram: bytes) -> int | None:
    """The sequence number of a DATA datagram (None for any other type)."""
    if datagram[3] != wire.DATA:
        return None
    return int.from_bytes(datagram[wire.HEADER_BYTES + 4 : wire.HEADER_BYTES + 8], "big")


def _send_ten_and_settle(bench: Bench, settle: float, *, arrive: int = 10) -> None:
    """Send p0..p9 from a, 1 ms apart, run ``settle`` s more, and check b got the first
    ``arrive`` of them (all by default) each once, in order."""
    for i in range(10):
        bench.a.send(0, b"p%d" % i, bench.now)
        bench.run(bench.now + 0.001)
    bench.run(bench.now + settle)
    assert bench.got_b == [b"p%d" % i for i in range(arrive)]


def _one_stream(timeout: float, *, carriers: int = 2, fec: bool = False) -> RaftSettings:
    return RaftSettings(
        streams=(StreamSpec(handle=1, timeout=timeout, policy="on_ordered", fec=fec),),
        carriers=tuple(CarrierSpec(handle=10 * (i + 1)) for i in range(carriers)),
    )


def test_a_nack_is_followed_by_spaced_copies_within_half_a_round_trip() -> None:
    planner = NackPlanner()
    planner.on_arrival(0, 1.00, 1.01, wait=0.0, timeout=0.5)
    planner.on_arrival(2, 1.002, 1.012, wait=0.0, timeout=0.5)
    srtt, rttvar = 0.1, 0.0  # round: 0.105 s; copies less than 0.05 s after the NACK
    sent = []
    for step in range(200):
        now = 1.012 + step * 0.001
        if planner.due(now, srtt, rttvar):
            sent.append(round(now - 1.012, 3))
    copies = [round(i * NACK_COPY_SPACING, 3) for i in range(NACK_COPIES + 1)]
    assert sent[: NACK_COPIES + 1] == copies
    assert sent[NACK_COPIES + 1] == 0.105  # the next round
    assert planner.nack_copies == 2 * NACK_COPIES
    assert planner.missing[1].nacks == 2


def test_under_bursty_loss_a_round_sends_its_nack_over_most_of_the_round() -> None:
    # A burst of 8 on the sparse reverse path takes a NACK, its copies and the feedback
    # between them for half a round trip (S5): the copies go on until just before the
    # sender's echo (a round trip), where a copy could no longer cause a second resend.
    planner = NackPlanner()
    planner.on_arrival(0, 1.00, 1.04, wait=0.0, timeout=0.5)
    planner.on_arrival(2, 1.002, 1.042, wait=0.0, timeout=0.5)
    steps = range(80)
    sent = [i for i in steps if planner.due(1.042 + i * 0.001, 0.078, 0.0, copies=16, span=0.073)]
    assert sent == list(range(0, 75, 5))
    bench = Bench(delay=0.04, settings=_one_stream(0.3, carriers=1))
    bench.run(0.5)
    seen: list[float] = []

    def drop(side: str, datagram: bytes) -> bool:
        if side == "a" and datagram[3] == wire.NACK:
            seen.append(bench.now)
        if side != "b" or _data_seq(datagram) != 3:
            return False
        return not datagram[32] & wire.DATA_RETRANSMIT

    bench.b.carriers[0].estimate.burst = 8.0  # what the peer's feedback says of this path
    bench.drop = drop
    _send_ten_and_settle(bench, 0.3)
    srtt = bench.b.carriers[0].estimate.rtt.smoothed
    in_round = [t for t in seen if t < seen[0] + srtt]
    assert len(in_round) > 10
    assert max(in_round) > seen[0] + srtt / 2
    assert bench.a.stream_stats(0)["retransmitted"] == 1  # the late copies cost no resend


def test_a_lost_nack_is_made_good_by_its_copy() -> None:
    bench = Bench(delay=0.02, settings=_one_stream(0.3))
    bench.run(0.5)
    nacks_lost: list[float] = []

    def drop(side: str, datagram: bytes) -> bool:
        if side == "b" and _data_seq(datagram) == 3 and not datagram[32] & wire.DATA_RETRANSMIT:
            return True
        if side == "a" and datagram[3] == wire.NACK and not nacks_lost:
            nacks_lost.append(bench.now)
            return True
        return False

    bench.drop = drop
    _send_ten_and_settle(bench, 0.4)
    assert nacks_lost
    assert bench.b.stream_stats(0)["nack_copies"] >= 1
    # The copies after the one that got through are too soon to resend again; only the next
    # round (timed from the lost NACK) may ask once more.
    assert bench.a.stream_stats(0)["retransmitted"] <= 2
    assert bench.b.stream_stats(0)["recovered_arq"] == 1


def test_a_last_chance_resend_goes_twice_on_another_carrier() -> None:
    # 20 ms RTT, 50 ms budget: one retransmission round fits, so it is the last one.
    bench = Bench(delay=0.01, settings=_one_stream(0.05))
    bench.run(0.5)
    bench.drop = lambda side, d: (
        side == "b" and _data_seq(d) == 3 and not d[32] & wire.DATA_RETRANSMIT
    )
    _send_ten_and_settle(bench, 0.2)
    a, b = bench.a.stream_stats(0), bench.b.stream_stats(0)
    assert a["resends_doubled"] == 1
    assert a["retransmitted"] == 2
    assert b["recovered_arq"] == 1
    assert b["resends_unneeded"] == 1  # the second copy found the packet delivered


def test_on_one_carrier_the_copy_follows_later_and_only_if_it_can_still_arrive() -> None:
    bench = Bench(delay=0.01, settings=_one_stream(0.05, carriers=1))
    bench.run(0.5)
    sent_at: list[float] = []

    def drop(side: str, datagram: bytes) -> bool:
        if side == "b" and _data_seq(datagram) == 3:
            if datagram[32] & wire.DATA_RETRANSMIT:
                sent_at.append(bench.now)
                return len(sent_at) == 1  # the resend is lost too: its copy must make it
            return True
        return False

    bench.drop = drop
    _send_ten_and_settle(bench, 0.2)
    assert len(sent_at) == 2
    assert sent_at[1] - sent_at[0] >= MIN_COPY_SPACING - 1e-9
    assert bench.a.stream_stats(0)["resends_doubled"] == 1
    # A copy that could no longer arrive in time is not sent.
    late = Bench(delay=0.01, settings=_one_stream(0.05, carriers=1))
    late.run(0.5)
    stream = late.a.streams[0]
    late.a.send(0, b"x", late.now)
    carrier = late.a.carriers[0]
    deadline = stream.history.packets[0].send_time + 0.05
    late.a._double(stream, 0, b"x" * 40, carrier, deadline, deadline - 0.011)
    assert stream.copies == []


def test_a_hole_the_code_can_still_rebuild_is_not_nacked_until_the_hold_is_over() -> None:
    planner = NackPlanner()
    planner.on_arrival(0, 1.00, 1.01, wait=0.0, timeout=0.5)
    planner.on_arrival(2, 1.002, 1.012, wait=0.0, timeout=0.5)

    waits = [0.02, 0.0]  # then the code no longer expects to rebuild it

    def hold(seq: int) -> float:
        return waits.pop(0)

    assert planner.due(1.012, 0.05, 0.0, hold=hold) == []
    assert planner.due(1.031, 0.05, 0.0, hold=hold) == []
    assert planner.due(1.032, 0.05, 0.0, hold=hold) == [1]
    # Never held so long that fewer than two rounds (2 x 55 ms) are left before the deadline.
    late = NackPlanner()
    late.on_arrival(0, 1.00, 1.01, wait=0.0, timeout=0.15)
    late.on_arrival(2, 1.002, 1.012, wait=0.0, timeout=0.15)
    assert late.due(1.012, 0.05, 0.0, hold=lambda seq: 1.0) == []
    assert late.next_deadline() == pytest.approx(1.001 + 0.15 - 0.11)
    assert late.due(1.041, 0.05, 0.0, hold=lambda seq: 1.0) == [1]


def test_the_hold_is_asked_again_when_it_ends_while_the_code_may_still_catch_up() -> None:
    planner = NackPlanner()
    planner.on_arrival(0, 1.00, 1.01, wait=0.0, timeout=0.5)
    planner.on_arrival(2, 1.002, 1.012, wait=0.0, timeout=0.5)
    waits = [0.02, 0.02, 0.0]  # a loss joined the deficit during the first wait

    def hold(seq: int) -> float:
        return waits.pop(0)

    assert planner.due(1.012, 0.05, 0.0, hold=hold) == []
    assert planner.due(1.032, 0.05, 0.0, hold=hold) == []
    assert planner.next_deadline() == pytest.approx(1.052)
    assert planner.due(1.052, 0.05, 0.0, hold=hold) == [1]
    assert waits == []


def test_under_bursts_the_hold_is_asked_once() -> None:
    # Asked again, a hold would eat the second resend round bursty loss is left to.
    planner = NackPlanner()
    planner.on_arrival(0, 1.00, 1.01, wait=0.0, timeout=0.5)
    planner.on_arrival(2, 1.002, 1.012, wait=0.0, timeout=0.5)
    asked: list[float] = []

    def hold(seq: int) -> float:
        asked.append(0.02)
        return 0.02

    assert planner.due(1.012, 0.05, 0.0, hold=hold, rehold=False) == []
    assert planner.due(1.032, 0.05, 0.0, hold=hold, rehold=False) == [1]
    assert asked == [0.02]


def test_the_hold_is_zero_when_the_repairs_to_come_cannot_cover_the_deficit() -> None:
    bench = Bench(settings=_one_stream(0.3, fec=True))
    stream = bench.b.streams[0]
    assert stream.repair is not None
    stream.repair_gap, stream.repair_span, stream.planner.highest = 0.004, 50, 100
    counters = stream.repair.decoder.counters
    counters.sources_received, counters.repairs_received = 1000, 100  # 0.1 repair per source
    counters.missing, counters.equations = 3, 1
    assert bench.b._fec_hold(stream, 95) == pytest.approx(2 * 0.004)  # 45 x 0.1 >= 2
    assert bench.b._fec_hold(stream, 60) == 0.0  # 10 x 0.1 < 2: ask now
    assert bench.b._fec_hold(stream, 40) == 0.0  # out of the window already
    counters.missing = counters.equations
    assert bench.b._fec_hold(stream, 95) == 0.0


def test_a_repair_that_covers_a_lost_tail_makes_the_receiver_nack_it() -> None:
    bench = Bench(delay=0.01, settings=_one_stream(0.3, carriers=1, fec=True))
    bench.run(0.5)
    repairs: list[float] = []

    def drop(side: str, datagram: bytes) -> bool:
        if side != "b":
            return False
        if datagram[3] == wire.REPAIR:
            repairs.append(bench.now)
            return len(repairs) > 1  # one repair gets through: too few to rebuild two
        seq = _data_seq(datagram)
        return seq is not None and seq >= 8 and not datagram[32] & wire.DATA_RETRANSMIT

    bench.drop = drop
    # Nothing comes after 9: only the repair shows that 8 and 9 exist.
    _send_ten_and_settle(bench, 0.4)
    assert bench.b.stream_stats(0)["nacks_sent"] >= 1
    assert bench.b.stream_stats(0)["recovered_arq"] + bench.b.stream_stats(0)["recovered_fec"] == 2


@pytest.mark.parametrize(
    ("delay", "timeout", "loss", "burst", "low", "high"),
    [(0.04, 0.3, 0.1, 8.0, 2.2, 2.8), (0.025, 0.15, 0.05, 4.0, 1.5, 1.95)],
    ids=["S5", "S4"],
)
def test_the_rounds_a_hole_really_has_count_from_when_it_can_be_nacked(
    delay: float, timeout: float, loss: float, burst: float, low: float, high: float
) -> None:
    # S5's and S4's paths at 1000 packets per second, loss and bursts as feedback reports them.
    # Counted from the first send both have two rounds; taking off the burst, the NACK wait
    # and the last-chance copy's bursts leaves S5 two and S4 fewer (its repair rate keeps
    # the peak hold).
    bench = Bench(delay=delay, settings=_one_stream(timeout, carriers=1, fec=True))
    bench.run(0.5)
    for i in range(1500):
        estimate = bench.a.carriers[0].estimate
        estimate.loss, estimate.burst = loss, burst
        bench.a.send(0, bytes(1200), bench.now)
        bench.run(0.5 + (i + 1) * 0.001)
    assert low < bench.a.streams[0].rate.rounds < high


def _lose_the_tail_and_everything_after(bench: Bench, first: int, until: float) -> None:
    """From b's side, lose DATA ``first``.. (first transmissions only), every repair and
    everything else a until ``until``: the burst that takes a stream's end and all that
    would show it to the receiver."""

    def drop(side: str, datagram: bytes) -> bool:
        if side != "b":
            return False
        seq = _data_seq(datagram)
        if seq is not None and not datagram[32] & wire.DATA_RETRANSMIT:
            return seq >= first
        return bench.now < until

    bench.drop = drop


def test_a_tail_lost_with_everything_after_it_is_resent_by_a_tail_probe() -> None:
    bench = Bench(delay=0.02, settings=_one_stream(0.3, carriers=1, fec=True))
    bench.run(0.5)
    _lose_the_tail_and_everything_after(bench, first=8, until=0.56)
    _send_ten_and_settle(bench, 0.4)  # asserts b got p0..p9 in order
    sent, got = bench.a.stream_stats(0), bench.b.stream_stats(0)
    assert sent["tail_probes"] == 1
    # The probe resends 8 and 9, all that no report showed arrived: b never knew they were
    # missing, so there was nothing to NACK.
    assert sent["retransmitted"] == 2
    assert got["nacks_sent"] == 0


def test_without_the_probe_that_tail_is_lost() -> None:
    """The case above needs the probe: with it switched off the two packets never arrive."""
    bench = Bench(delay=0.02, settings=_one_stream(0.3, carriers=1, fec=True))
    bench.run(0.5)
    bench.a._tail_probe_due = lambda stream: None  # type: ignore[method-assign]
    _lose_the_tail_and_everything_after(bench, first=8, until=0.56)
    _send_ten_and_settle(bench, 0.4, arrive=8)


def test_a_tail_the_peer_reported_is_not_probed() -> None:
    bench = Bench(delay=0.02, settings=_one_stream(0.3, carriers=1, fec=True))
    bench.run(0.5)
    _send_ten_and_settle(bench, 0.4)
    assert bench.a.stream_stats(0)["tail_probes"] == 0
    assert bench.a.stream_stats(0)["retransmitted"] == 0
    assert bench.a.next_deadline() is not None  # keepalives and reports go on


def test_a_steady_stream_is_never_probed_and_a_lost_tail_at_most_twice() -> None:
    bench = Bench(delay=0.02, settings=_one_stream(0.3, carriers=1, fec=True))
    bench.run(0.5)
    for i in range(300):  # 1 kpps for 0.3 s: the newest packet is never a timeout old
        bench.a.send(0, b"q%d" % i, bench.now)
        bench.run(bench.now + 0.001)
    assert bench.a.stream_stats(0)["tail_probes"] == 0
    bench.cut.add(0)  # the path goes dark for good: probes stop after the second
    bench.a.send(0, b"last", bench.now)
    bench.run(bench.now + 1.0)
    assert bench.a.stream_stats(0)["tail_probes"] == 2
