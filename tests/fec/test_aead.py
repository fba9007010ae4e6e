"""AEAD: known answers per suite, exact wire bytes, and every bad packet dropped and counted."""

import base64
from dataclasses import asdict
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st

from nanoping.dataplane.packet import Packet
from nanoping.fec import aead, reference
from nanoping.fec.aead import KeyExhausted, KeyFormatError, Opener, Sealer, parse_key

RFC8439_PLAINTEXT = (
    b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the "
    b"future, sunscreen would be it."
)


@pytest.mark.parametrize(
    ("suite", "key", "nonce", "aad", "plaintext", "expected"),
    [
        # GCM specification test cases 2 and 14 (zero key, zero IV, one zero block).
        (
            "aes_128_gcm",
            bytes(16),
            bytes(12),
            b"",
            bytes(16),
            "0388dace60b6a392f328c2b971b2fe78ab6e47d42cec13bdf53a67b21257bddf",
        ),
        (
            "aes_256_gcm",
            bytes(32),
            bytes(12),
            b"",
            bytes(16),
            "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919",
        ),
        # RFC 8439 section 2.8.2: first block of ciphertext and the tag.
        (
            "chacha20_poly1305",
            bytes(range(0x80, 0xA0)),
            bytes.fromhex("070000004041424344454647"),
            bytes.fromhex("50515253c0c1c2c3c4c5c6c7"),
            RFC8439_PLAINTEXT,
            "d31a8d34648e60db7b86afbc53ef7ec2",
        ),
    ],
)
def test_known_answers(
    suite: str, key: bytes, nonce: bytes, aad: bytes, plaintext: bytes, expected: str
) -> None:
    sealed = aead.cipher(suite, key).encrypt(nonce, plaintext, aad)
    assert sealed.hex().startswith(expected)
    if suite == "chacha20_poly1305":
        assert sealed[-16:].hex() == "1ae10b594f09e26a7e902ecbd0600691"


def test_wire_bytes_nonce_and_header_as_associated_data() -> None:
    key = bytes(range(16))
    sealer = Sealer("aes_128_gcm", key, salt=0x01020304)
    sealer.seal(b"first")
    packet = sealer.seal(b"hello")
    header = bytes.fromhex("50 01 01020304 0000000000000001")
    assert packet[:14] == header
    nonce = bytes.fromhex("01020304 0000000000000001")
    assert packet[14:] == AESGCM(key).encrypt(nonce, b"hello", header)
    assert Opener("aes_128_gcm", key).open(packet) == b"hello"


@pytest.mark.parametrize("suite", sorted(aead.SUITES))
def test_round_trip_and_every_bad_packet_is_dropped_and_counted(suite: str) -> None:
    size = aead.SUITES[suite][1]
    key = bytes(range(size))
    sealer, opener = Sealer(suite, key), Opener(suite, key)
    packets = [sealer.seal(bytes([i]) * i) for i in range(5)]
    assert [opener.open(p) for p in reversed(packets)] == [bytes([i]) * i for i in range(4, -1, -1)]
    tampered = bytearray(sealer.seal(b"fresh"))
    tampered[-1] ^= 1
    header_changed = bytearray(sealer.seal(b"x"))
    header_changed[5] ^= 1  # another salt: the nonce no longer matches the tag
    other_key = Sealer(suite, bytes(size)).seal(b"secret")
    other_suite = next(s for s in aead.SUITES if s != suite)
    wrong_suite = Sealer(other_suite, bytes(aead.SUITES[other_suite][1])).seal(b"x")
    assert opener.open(packets[2]) is None  # replayed
    assert opener.open(bytes(tampered)) is None
    assert opener.open(bytes(header_changed)) is None
    assert opener.open(other_key) is None
    assert opener.open(packets[3][:20]) is None  # truncated
    assert opener.open(b"") is None
    assert opener.open(wrong_suite) is None
    counters = opener.counters
    assert (counters.opened, counters.replayed, counters.auth_failures) == (5, 1, 3)
    assert (counters.malformed, counters.wrong_suite) == (2, 1)


def test_replay_window_accepts_late_packets_once_and_refuses_very_old_ones() -> None:
    sealer, opener = Sealer("aes_128_gcm", bytes(16)), Opener("aes_128_gcm", bytes(16))
    packets = [sealer.seal(b"") for _ in range(aead.REPLAY_WINDOW + 2)]
    assert opener.open(packets[-1]) == b""
    assert opener.open(packets[5]) == b""  # late but inside the window
    assert opener.open(packets[5]) is None
    assert opener.open(packets[0]) is None  # too far behind
    assert opener.counters.replayed == 2


def test_a_new_sender_gets_a_new_salt_so_nonces_never_repeat() -> None:
    first, second = Sealer("aes_128_gcm", bytes(16)), Sealer("aes_128_gcm", bytes(16))
    assert first.salt != second.salt
    opener = Opener("aes_128_gcm", bytes(16))
    assert opener.open(first.seal(b"a")) == b"a"
    assert opener.open(second.seal(b"b")) == b"b"  # its counter 0 is not a replay


def test_a_key_is_refused_after_two_to_the_32_packets() -> None:
    sealer = Sealer("chacha20_poly1305", bytes(32))
    sealer.counter = aead.MAX_PACKETS_PER_KEY - 1
    sealer.seal(b"last one")
    with pytest.raises(KeyExhausted, match="2\\^32 packets"):
        sealer.seal(b"one too many")


def test_keys_from_hex_base64_and_files(tmp_path: Path) -> None:
    key = bytes(range(32))
    assert parse_key("aes_256_gcm", text=key.hex()) == key
    assert parse_key("aes_256_gcm", text=base64.b64encode(key).decode()) == key
    (tmp_path / "hex").write_text(key.hex() + "\n")
    (tmp_path / "raw").write_bytes(key)
    assert parse_key("aes_256_gcm", file=str(tmp_path / "hex")) == key
    assert parse_key("chacha20_poly1305", file=str(tmp_path / "raw")) == key
    with pytest.raises(KeyFormatError, match="aes_128_gcm needs a 16-byte key"):
        parse_key("aes_128_gcm", text=key.hex())
    with pytest.raises(KeyFormatError, match="needs a 32-byte key"):
        parse_key("aes_256_gcm", text="not a key!")
    with pytest.raises(KeyFormatError, match="cannot read key file"):
        parse_key("aes_256_gcm", file=str(tmp_path / "absent"))
    with pytest.raises(KeyFormatError, match="unknown suite 'rot13'"):
        parse_key("rot13", text="00")
    with pytest.raises(KeyFormatError, match="either as text or as a file"):
        parse_key("aes_128_gcm")


def test_a_jump_of_the_counter_forgets_the_old_window() -> None:
    sealer, opener = Sealer("aes_128_gcm", bytes(16)), Opener("aes_128_gcm", bytes(16))
    first = sealer.seal(b"a")
    assert opener.open(first) == b"a"
    sealer.counter = 2**31
    assert opener.open(sealer.seal(b"far ahead")) == b"far ahead"
    assert opener.open(first) is None  # far behind now: refused as a replay
    assert opener.counters.replayed == 1


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_opening_a_batch_is_opening_each_packet_in_turn(data: st.DataObject) -> None:
    sealer = Sealer("chacha20_poly1305", bytes(32))
    other = Sealer("chacha20_poly1305", bytes(range(32)))  # a wrong key
    good = [sealer.seal(bytes([i]) * i) for i in range(20)]
    bad = [other.seal(b"x"), b"", b"\x50" + bytes(40), good[3][:-1] + b"\x00"]
    stream = data.draw(st.lists(st.sampled_from(good + bad), max_size=40))
    one, many = Opener("chacha20_poly1305", bytes(32)), Opener("chacha20_poly1305", bytes(32))
    expected = [(p, i) for i, d in enumerate(stream) if (p := one.open(d)) is not None]
    payloads, origins = many.open_batch(stream)
    assert list(zip(payloads, origins, strict=True)) == expected
    assert one.counters == many.counters


def _datagram(salt: int, counter: int, kind: str) -> bytes:
    """A datagram of sender ``salt`` with ``counter``, made bad in the way ``kind`` says."""
    suite = 2 if kind == "wrong_suite" else 1
    sealed = bytearray(
        reference.seal(AESGCM(KEY).encrypt, suite, salt, counter, [b"p%d" % counter])[0]
    )
    if kind == "tampered":
        sealed[-1] ^= 1
    elif kind == "truncated":
        del sealed[20:]
    elif kind == "foreign":
        sealed[0] = 0x51
    return bytes(sealed)


KEY = bytes(range(16))
DATAGRAMS = st.lists(
    st.builds(
        _datagram,
        st.integers(0, 9),  # more senders than the 8 windows kept
        st.one_of(st.integers(0, 2100), st.integers(0, 2**64 - 1)),
        st.sampled_from(["ok"] * 6 + ["tampered", "truncated", "foreign", "wrong_suite"]),
    ),
    max_size=60,
).flatmap(lambda ds: st.permutations(ds + ds[: len(ds) // 2]))  # replays, in any order


@settings(max_examples=200, deadline=None)
@given(DATAGRAMS)
def test_native_opener_matches_the_python_rules(datagrams: list[bytes]) -> None:
    from cryptography.exceptions import InvalidTag

    expected = reference.Opener(AESGCM(KEY).decrypt, InvalidTag, 1)
    one, batch, packets = (Opener("aes_128_gcm", KEY) for _ in range(3))
    wanted = [expected.open(d) for d in datagrams]
    assert [one.open(d) for d in datagrams] == wanted
    payloads, origins = batch.open_batch(datagrams)
    assert payloads == [p for p in wanted if p is not None]
    assert origins == [i for i, p in enumerate(wanted) if p is not None]
    carriers = [Packet(d, float(i)) for i, d in enumerate(datagrams)]
    kept = packets.open_packets(carriers)
    assert [(p.payload, p.created) for p in kept] == [
        (p, float(i)) for i, p in enumerate(wanted) if p is not None
    ]
    assert all(any(k is c for c in carriers) for k in kept)  # the same objects, not copies
    for opener in (one, batch, packets):
        assert asdict(opener.counters) == expected.counters


@settings(max_examples=50, deadline=None)
@given(st.lists(st.binary(max_size=1500), max_size=20), st.integers(0, 2**32 - 1))
def test_native_sealing_matches_the_python_format(payloads: list[bytes], salt: int) -> None:
    sealer = Sealer("aes_128_gcm", KEY, salt=salt)
    sealer.counter = 7
    expected = reference.seal(AESGCM(KEY).encrypt, 1, salt, 7, payloads)
    assert sealer.seal_batch(payloads) == expected
    carriers = [Packet(p, 0.0) for p in payloads]
    sealer.counter = 7
    sealer.seal_packets(carriers)
    assert [c.payload for c in carriers] == expected
    assert sealer.counter == 7 + len(payloads)


def test_sealing_past_the_limit_leaves_every_packet_as_it_was() -> None:
    sealer = Sealer("aes_128_gcm", KEY)
    sealer.counter = aead.MAX_PACKETS_PER_KEY - 1
    carriers = [Packet(b"a", 0.0), Packet(b"b", 0.0)]
    with pytest.raises(KeyExhausted):
        sealer.seal_packets(carriers)
    assert [c.payload for c in carriers] == [b"a", b"b"]


def test_counters_are_a_snapshot() -> None:
    opener = Opener("aes_128_gcm", KEY)
    before = opener.counters
    opener.open(b"junk")
    assert (before.malformed, opener.counters.malformed) == (0, 1)
    with pytest.raises(AttributeError):
        before.malformed = 5  # type: ignore[misc]
