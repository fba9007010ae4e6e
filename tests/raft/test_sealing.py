"""Raft's built-in AEAD (nanoping.raft.sealing): golden bytes from docs/raft-wire-format.md,
every header field authenticated, tampering, wrong keys, replays, restarts."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from nanoping.dataplane.components import raft as raft_component
from nanoping.fec.aead import MAX_PACKETS_PER_KEY, KeyExhausted, KeyFormatError
from nanoping.raft import sealing, wire
from nanoping.raft.sealing import RaftOpener, RaftSealer

KEY = bytes(range(16))
HELLO_PLAIN = "5246010101020304000000000000000000000000" + "000000000000002a" + "01"
HELLO_SEALED = (
    "5246010601020304000000000000000000000000"  # header, type 6 (SEALED)
    "0000000000000000"  # counter 0
    "3ce8f71c4e24baa08318"  # ciphertext of 01 (HELLO) || the 9-byte body
    "44c567d1a15737741868633a760ab7c1"  # tag
)
DATA_PLAIN = "52460102010203040a0b0c0d00000001000003e8" + "00000005000000000000038400" + "6869"
DATA_SEALED = (
    "52460106010203040a0b0c0d00000001000003e8"
    "0000000000000001"
    "a8f65347344b92d01b4f6a748edb59d610b8b9606d9fe323ea62409fd4ca318d"
)


def datagram(
    *, session: int = 0x01020304, pkt_num: int = 0, payload: bytes = b"payload", kind: int = 2
) -> bytes:
    """A plain DATA datagram of ``session``."""
    header = wire.Header(
        kind=kind, src_session=session, dst_session=0x0A0B0C0D, pkt_num=pkt_num, tx_us=5
    )
    return wire.encode(header, wire.encode_body(wire.Data(1, pkt_num, 3, 0, payload))[1])


def test_golden_sealed_datagrams_from_the_document() -> None:
    sealer = RaftSealer("aes_128_gcm", KEY)
    hello = sealer.seal(bytes.fromhex(HELLO_PLAIN))
    data = sealer.seal(bytes.fromhex(DATA_PLAIN))
    assert hello.hex() == HELLO_SEALED
    assert data.hex() == DATA_SEALED
    # Checked against the cipher directly: nonce = source session || counter, AAD = 28 bytes.
    nonce = bytes.fromhex("01020304" + "0000000000000001")
    plain = AESGCM(KEY).decrypt(nonce, data[28:], data[:28])
    assert plain == b"\x02" + bytes.fromhex(DATA_PLAIN)[20:]
    opener = RaftOpener("aes_128_gcm", KEY)
    assert opener.open(hello) == bytes.fromhex(HELLO_PLAIN)
    assert opener.open(data) == bytes.fromhex(DATA_PLAIN)
    assert sealing.SEAL_OVERHEAD == raft_component.SEAL_OVERHEAD == len(data) - len(DATA_PLAIN) // 2


@pytest.mark.parametrize("offset", range(sealing.AAD_BYTES))
def test_a_change_to_any_header_or_counter_byte_is_refused(offset: int) -> None:
    sealed = bytearray(RaftSealer("aes_128_gcm", KEY).seal(datagram()))
    sealed[offset] ^= 0x01
    opener = RaftOpener("aes_128_gcm", KEY)
    assert opener.open(bytes(sealed)) is None
    expected = {0: "foreign", 1: "foreign", 2: "version", 3: "unsealed"}.get(offset, "auth_failed")
    assert opener.dropped == {expected: 1}
    assert opener.opened == 0


@pytest.mark.parametrize("where", ["type", "body", "tag"])
def test_a_tampered_type_payload_or_tag_fails_authentication(where: str) -> None:
    sealed = bytearray(RaftSealer("chacha20_poly1305", bytes(32)).seal(datagram()))
    sealed[{"type": 28, "body": 40, "tag": -1}[where]] ^= 0x80
    opener = RaftOpener("chacha20_poly1305", bytes(32))
    assert opener.open(bytes(sealed)) is None
    assert opener.dropped == {"auth_failed": 1}


def test_a_wrong_key_or_suite_fails_authentication() -> None:
    sealed = RaftSealer("aes_256_gcm", bytes(32)).seal(datagram())
    for suite, key in (("aes_256_gcm", b"\x01" * 32), ("chacha20_poly1305", bytes(32))):
        opener = RaftOpener(suite, key)
        assert opener.open(sealed) is None
        assert opener.dropped == {"auth_failed": 1}
    assert RaftOpener("aes_256_gcm", bytes(32)).open(sealed) == datagram()


def test_replays_are_refused_and_reordering_within_the_window_is_not() -> None:
    sealer, opener = RaftSealer("aes_128_gcm", KEY), RaftOpener("aes_128_gcm", KEY)
    sealed = [sealer.seal(datagram(pkt_num=i)) for i in range(sealing.REPLAY_PACKETS + 10)]
    assert opener.open(sealed[5]) == datagram(pkt_num=5)
    assert opener.open(sealed[3]) == datagram(pkt_num=3)  # reordered: first time, accepted
    assert opener.open(sealed[5]) is None
    assert opener.open(sealed[3]) is None
    assert opener.open(sealed[-1]) is not None
    assert opener.open(sealed[4]) is None  # now older than the window: cannot tell, refused
    assert opener.dropped == {"replayed": 3}
    assert opener.opened == 3


def test_a_restarted_sender_is_accepted_at_once_and_its_old_datagrams_stay_refused() -> None:
    opener = RaftOpener("aes_128_gcm", KEY)
    before = RaftSealer("aes_128_gcm", KEY)
    old = [before.seal(datagram(session=11, pkt_num=i)) for i in range(100)]
    assert all(opener.open(d) is not None for d in old)
    after = RaftSealer("aes_128_gcm", KEY)  # the restart: a new session, the counter from 0
    assert opener.open(after.seal(datagram(session=12))) == datagram(session=12)
    assert opener.open(old[50]) is None
    assert opener.dropped == {"replayed": 1}


def test_unsealed_garbage_and_truncated_datagrams_are_refused_by_reason() -> None:
    opener = RaftOpener("aes_128_gcm", KEY)
    sealed = RaftSealer("aes_128_gcm", KEY).seal(datagram())
    for bad in (datagram(), b"x" * 50, b"RF", sealed[:44], b"RF\x02" + sealed[3:]):
        assert opener.open(bad) is None
    assert opener.dropped == {"unsealed": 1, "foreign": 1, "short": 2, "version": 1}


def test_nonces_never_repeat_and_the_key_stops_at_its_limit() -> None:
    sealer = RaftSealer("aes_128_gcm", KEY)
    sealed = [sealer.seal(datagram(pkt_num=i % 3)) for i in range(1000)]
    nonces = {d[4:8] + d[20:28] for d in sealed}
    assert len(nonces) == 1000
    sealer.counter = MAX_PACKETS_PER_KEY
    with pytest.raises(KeyExhausted, match="2\\^32"):
        sealer.seal(datagram())


def test_keys_of_the_wrong_size_are_refused() -> None:
    with pytest.raises(KeyFormatError, match="16-byte key"):
        RaftSealer("aes_128_gcm", bytes(32))
    with pytest.raises(KeyFormatError, match="32-byte key"):
        RaftOpener("chacha20_poly1305", bytes(16))


def test_the_golden_bytes_are_the_documents() -> None:
    doc = Path(__file__).parents[2] / "docs" / "raft-wire-format.md"
    text = doc.read_text().replace("` `", "").replace("`\n  `", "")
    for golden in (HELLO_PLAIN, HELLO_SEALED, DATA_PLAIN, DATA_SEALED):
        assert golden in text


def test_sealing_a_batch_is_sealing_each_in_turn() -> None:
    plain = [datagram(pkt_num=i, payload=bytes(i * 7)) for i in range(20)]
    one, many = RaftSealer("aes_128_gcm", KEY), RaftSealer("aes_128_gcm", KEY)
    one.counter = many.counter = 1000
    assert many.seal_batch(plain) == [one.seal(d) for d in plain]
    assert many.counter == one.counter == 1020
    assert many.seal_batch([]) == []


def test_a_batch_the_key_cannot_finish_is_not_sealed_at_all() -> None:
    sealer = RaftSealer("aes_128_gcm", KEY)
    sealer.counter = MAX_PACKETS_PER_KEY - 1
    with pytest.raises(KeyExhausted):
        sealer.seal_batch([datagram(), datagram()])
    assert sealer.counter == MAX_PACKETS_PER_KEY - 1
    assert len(sealer.seal_batch([datagram()])) == 1
