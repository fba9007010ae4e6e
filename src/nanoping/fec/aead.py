"""Authenticated encryption of single datagrams (AES-GCM, ChaCha20-Poly1305 via ``cryptography``).

Wire format (docs/fec-wire-formats.md): ``0x50 | suite (1) | salt (4) | counter (8) |
ciphertext || tag (16)``; the 14-byte header is the associated data, so it cannot be changed
without failing authentication. The 12-byte nonce is ``salt || counter``: the salt is drawn at
random when a :class:`Sealer` is made (a restarted sender gets a new one) and the counter counts
packets, so a nonce never repeats for a key. A sealer refuses to go past 2^32 packets
(:class:`KeyExhausted`): a new key is needed then.

An :class:`Opener` drops (and counts, never raises on) malformed, truncated, wrong-suite,
tampered or wrong-key packets and replays: each sender salt has a 1,024-packet sliding replay
window, and the windows of the last 8 salts seen are kept.

The per-packet bookkeeping (headers, nonces, replay windows, counters) runs in the ``_aead``
extension around ``cryptography``'s encrypt and decrypt; the cipher work is OpenSSL's.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from nanoping.fec import _aead

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

PACKET_TYPE = 0x50
SUITES: dict[str, tuple[int, int]] = {
    "aes_128_gcm": (1, 16),
    "aes_256_gcm": (2, 32),
    "chacha20_poly1305": (3, 32),
}
"""Suite name -> (wire id, key bytes)."""
MAX_PACKETS_PER_KEY = 2**32
"""Packets one key may seal; the counter could go on, but the limit keeps GCM's bounds wide."""
TAG_SIZE = 16
REPLAY_WINDOW = 1024
"""Counters this far behind the highest seen are still accepted once (_aead.c has the same)."""
SALTS_KEPT = 8
"""Senders (salts) whose replay windows are kept, the least recently heard going first
(_aead.c has the same)."""


class Carrier(Protocol):
    """Anything whose ``payload`` can be replaced, such as a data-plane packet."""

    payload: bytes


C = TypeVar("C", bound=Carrier)


class KeyFormatError(ValueError):
    """A key that cannot be used: wrong encoding, wrong length or unreadable file."""


class KeyExhausted(RuntimeError):
    """The key has sealed its 2^32 packets; sealing more would risk a repeated nonce."""


def parse_key(suite: str, *, text: str | None = None, file: str | None = None) -> bytes:
    """The key for ``suite`` from hex or base64 text, or from a file holding either (or raw bytes)."""
    if suite not in SUITES:
        raise KeyFormatError(f"unknown suite {suite!r}; allowed: {', '.join(SUITES)}")
    size = SUITES[suite][1]
    if (text is None) == (file is None):
        raise KeyFormatError("give the key either as text or as a file, not both or neither")
    raw = None
    if file is not None:
        try:
            raw = Path(file).read_bytes()
        except OSError as error:
            raise KeyFormatError(f"cannot read key file {file}: {error.strerror}") from None
        text = raw.decode("ascii", errors="replace")
    assert text is not None
    key = _decode(text.strip())
    if key is not None and len(key) == size:
        return key
    if raw is not None and len(raw) == size:  # not text of the right size: the key's own bytes
        return raw
    raise KeyFormatError(f"{suite} needs a {size}-byte key as {2 * size} hex digits or base64")


def _decode(text: str) -> bytes | None:
    try:
        return bytes.fromhex(text)
    except ValueError:
        pass
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def cipher(suite: str, key: bytes) -> AESGCM | ChaCha20Poly1305:
    """The ``cryptography`` AEAD object of ``suite`` under ``key`` (checked by the caller)."""
    # Imported here: every pipeline run imports all components, few of them encrypt.
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

    return ChaCha20Poly1305(key) if suite == "chacha20_poly1305" else AESGCM(key)


class Sealer:
    """Encrypts and authenticates datagrams under one key, with never-repeating nonces."""

    def __init__(self, suite: str, key: bytes, *, salt: int | None = None) -> None:
        if suite not in SUITES or len(key) != SUITES[suite][1]:
            raise KeyFormatError(f"{suite} needs a {SUITES.get(suite, (0, 0))[1]}-byte key")
        self.suite_id = SUITES[suite][0]
        self._encrypt = cipher(suite, key).encrypt
        self.salt = int.from_bytes(os.urandom(4), "big") if salt is None else salt
        self.counter = 0

    def seal(self, payload: bytes) -> bytes:
        """The sealed datagram carrying ``payload``."""
        return self.seal_batch([payload])[0]

    def seal_batch(self, payloads: list[bytes]) -> list[bytes]:
        """The sealed datagrams of ``payloads``, in order; raises :class:`KeyExhausted`, sealing
        none of them, when they would take the key past its 2^32 packets."""
        first = self._reserve(len(payloads))
        return _aead.seal(self._encrypt, self.suite_id, self.salt, first, payloads)

    def seal_packets(self, packets: Sequence[Carrier]) -> None:
        """Replace each packet's payload by its sealed datagram, in order (the packets are
        reused, not copied: the caller must own them); :class:`KeyExhausted` as for
        :meth:`seal_batch`, sealing none of them."""
        first = self._reserve(len(packets))
        _aead.seal_packets(self._encrypt, self.suite_id, self.salt, first, packets)

    def _reserve(self, count: int) -> int:
        """The first of ``count`` counters, taken; KeyExhausted past the key's limit."""
        first = self.counter
        if first + count > MAX_PACKETS_PER_KEY:
            raise KeyExhausted("this key has sealed 2^32 packets: configure a new key")
        self.counter = first + count
        return first


@dataclass(frozen=True, slots=True)
class OpenerCounters:
    """What an opener accepted and why it dropped the rest (a snapshot)."""

    opened: int = 0
    """Packets that passed authentication and the replay check."""
    auth_failures: int = 0
    """Tampered packets or packets sealed with another key."""
    replayed: int = 0
    """Packets seen before or too old for the replay window."""
    malformed: int = 0
    """Packets too short to hold a header and a tag, or not of this format."""
    wrong_suite: int = 0
    """Packets sealed with another cipher suite."""


class ReplayWindow:
    """The counters seen among the last ``size``: slot ``c % size`` holds the last counter
    marked there, so checking and marking are O(1) whatever the jump. (The opener's windows
    are native; Raft's sealing uses this one.)"""

    __slots__ = ("highest", "size", "slots")

    def __init__(self, size: int = REPLAY_WINDOW) -> None:
        self.size = size
        self.highest = -1
        self.slots = [-1] * size

    def seen(self, counter: int) -> bool:
        """True when ``counter`` was seen already or is too far behind to tell."""
        if counter > self.highest:
            return False
        return self.highest - counter >= self.size or self.slots[counter % self.size] == counter

    def mark(self, counter: int) -> None:
        """Remember ``counter`` (after it passed authentication)."""
        self.slots[counter % self.size] = counter
        if counter > self.highest:
            self.highest = counter


class Opener:
    """Authenticates and decrypts datagrams of a :class:`Sealer` with the same suite and key.

    The header checks, replay windows and counters run in native code around the cipher's
    decrypt (:mod:`nanoping.fec.reference` holds the same rules in Python, for the tests).
    """

    def __init__(self, suite: str, key: bytes) -> None:
        if suite not in SUITES or len(key) != SUITES[suite][1]:
            raise KeyFormatError(f"{suite} needs a {SUITES.get(suite, (0, 0))[1]}-byte key")
        from cryptography.exceptions import InvalidTag

        self.suite_id = SUITES[suite][0]
        self._core = _aead.OpenerCore(cipher(suite, key).decrypt, InvalidTag, self.suite_id)
        self.open = self._core.open
        """The payload of one datagram, or None when it is dropped (the counters say why)."""
        self.open_batch = self._core.open_batch
        """(payloads, origins): the payloads of the datagrams that pass every check and the
        index of each one's datagram; the same as :meth:`open` on each in turn."""

    def open_packets(self, packets: Sequence[C]) -> list[C]:
        """The packets that pass every check, their payload replaced by the plaintext (the
        packets are reused, not copied: the caller must own them); the rest are dropped."""
        return self._core.open_packets(packets)

    @property
    def counters(self) -> OpenerCounters:
        """The counters as they are now."""
        return OpenerCounters(*self._core.counters())
