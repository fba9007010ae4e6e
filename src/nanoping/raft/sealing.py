"""Raft's optional built-in AEAD: sealed datagrams whose every header field is authenticated.

Format (docs/raft-wire-format.md, "Sealed datagrams"): the plain datagram's 20-byte common
header with its type replaced by SEALED, an 8-byte packet counter, then the AEAD ciphertext
of ``inner type (1 byte) || body`` with its 16-byte tag. Header and counter are the associated
data; the 12-byte nonce is ``source session (4) || counter (8)``. The source session is random
and new at every start and the counter counts every datagram the sealer ever sealed, so a
nonce never repeats under a key. A sealer stops at 2^32 datagrams (:class:`KeyExhausted`).

The opener drops, and counts by reason, anything short, foreign, unsealed, tampered, sealed
with another key or suite, and replays: each peer session has a sliding replay window of
:data:`REPLAY_PACKETS` counters (carriers reorder against each other), and the windows of the
last :data:`SESSIONS_KEPT` sessions to authenticate are kept, so a restarted peer starts a fresh
window at once.
Sans-IO: bytes in, bytes out.
"""

from __future__ import annotations

import struct
from collections import Counter, OrderedDict

from nanoping.fec.aead import (
    MAX_PACKETS_PER_KEY,
    SUITES,
    TAG_SIZE,
    KeyExhausted,
    KeyFormatError,
    ReplayWindow,
    cipher,
)
from nanoping.raft import wire

SEALED = 6
"""Packet type of a sealed datagram (the first free type number)."""
_COUNTER = struct.Struct(">Q")
AAD_BYTES = wire.HEADER_BYTES + _COUNTER.size
"""Header and counter: authenticated, not encrypted."""
SEAL_OVERHEAD = _COUNTER.size + 1 + TAG_SIZE
"""Bytes sealing adds to a datagram: counter, inner type, tag."""
REPLAY_PACKETS = 8192
"""Counters below a session's highest that are still accepted once (reordering across carriers)."""
SESSIONS_KEPT = 8
"""Peer sessions whose replay windows are remembered."""
_SEALED_BYTE = bytes([SEALED])
_SEALED_PREFIX = wire.MAGIC + bytes([wire.VERSION, SEALED])
_SMALLEST = AAD_BYTES + 1 + TAG_SIZE
"""Header, counter, the inner type byte and the tag."""
_TYPE = 3
"""Offset of the type byte in the common header."""


def _check(suite: str, key: bytes) -> None:
    if suite not in SUITES or len(key) != SUITES[suite][1]:
        raise KeyFormatError(f"{suite} needs a {SUITES.get(suite, (0, 0))[1]}-byte key")


class RaftSealer:
    """Seals the plain datagrams one endpoint sends, with never-repeating nonces."""

    def __init__(self, suite: str, key: bytes) -> None:
        _check(suite, key)
        self._cipher = cipher(suite, key)
        self.counter = 0

    def seal(self, datagram: bytes) -> bytes:
        """The sealed form of a plain Raft datagram (header + body)."""
        counter = self.counter
        if counter >= MAX_PACKETS_PER_KEY:
            raise KeyExhausted("this key has sealed 2^32 datagrams: configure a new key")
        self.counter = counter + 1
        count = _COUNTER.pack(counter)
        aad = b"".join(
            (datagram[:_TYPE], _SEALED_BYTE, datagram[_TYPE + 1 : wire.HEADER_BYTES], count)
        )
        nonce = datagram[4:8] + count
        plain = datagram[_TYPE : _TYPE + 1] + datagram[wire.HEADER_BYTES :]
        return aad + self._cipher.encrypt(nonce, plain, aad)

    def seal_batch(self, datagrams: list[bytes]) -> list[bytes]:
        """:meth:`seal` of each datagram, in order, in one loop (the counters they get are
        consecutive). Raises :class:`KeyExhausted`, sealing none, when the key cannot seal all."""
        first = self.counter
        if first + len(datagrams) > MAX_PACKETS_PER_KEY:
            raise KeyExhausted("this key has sealed 2^32 datagrams: configure a new key")
        self.counter = first + len(datagrams)
        encrypt, pack, header = self._cipher.encrypt, _COUNTER.pack, wire.HEADER_BYTES
        out = []
        for counter, datagram in enumerate(datagrams, first):
            count = pack(counter)
            aad = b"".join((datagram[:_TYPE], _SEALED_BYTE, datagram[_TYPE + 1 : header], count))
            plain = datagram[_TYPE : _TYPE + 1] + datagram[header:]
            out.append(aad + encrypt(datagram[4:8] + count, plain, aad))
        return out


class RaftOpener:
    """Authenticates and opens sealed datagrams back into plain ones; counts what it drops."""

    def __init__(self, suite: str, key: bytes) -> None:
        _check(suite, key)
        self._cipher = cipher(suite, key)
        from cryptography.exceptions import InvalidTag

        self._invalid_tag = InvalidTag
        self._windows: OrderedDict[bytes, ReplayWindow] = OrderedDict()
        self.dropped: Counter[str] = Counter()
        """Datagrams dropped, by reason: short, foreign, version, unsealed, auth_failed, replayed."""
        self.opened = 0

    def open(self, datagram: bytes) -> bytes | None:
        """The plain datagram, or None when it is dropped (``dropped`` says why)."""
        if len(datagram) < _SMALLEST or datagram[:4] != _SEALED_PREFIX:
            self.dropped[self._refusal(datagram)] += 1
            return None
        session, count = datagram[4:8], datagram[wire.HEADER_BYTES : AAD_BYTES]
        counter = int.from_bytes(count, "big")
        window = self._windows.get(session)
        if window is not None and window.seen(counter):
            self.dropped["replayed"] += 1
            return None
        aad = datagram[:AAD_BYTES]
        try:
            plain = self._cipher.decrypt(session + count, datagram[AAD_BYTES:], aad)
        except self._invalid_tag:
            self.dropped["auth_failed"] += 1
            return None
        if window is None:  # a new peer session: only an authenticated one gets a window
            window = self._windows[session] = ReplayWindow(REPLAY_PACKETS)
            while len(self._windows) > SESSIONS_KEPT:
                self._windows.popitem(last=False)
        window.mark(counter)
        self.opened += 1
        return b"".join(
            (datagram[:_TYPE], plain[:1], datagram[_TYPE + 1 : wire.HEADER_BYTES], plain[1:])
        )

    @staticmethod
    def _refusal(datagram: bytes) -> str:
        if len(datagram) < wire.HEADER_BYTES:
            return "short"
        if datagram[:2] != wire.MAGIC:
            return "foreign"
        if datagram[2] != wire.VERSION:
            return "version"
        if datagram[_TYPE] != SEALED:
            return "unsealed"
        return "short"
