"""``boringssl_encrypt`` / ``boringssl_decrypt``: AEAD on every packet (AES-GCM, ChaCha20-Poly1305).

The names follow the documented components; the cipher work is done by ``cryptography``
(OpenSSL) through :mod:`nanoping.fec.aead`. Decrypt must use the encrypt side's suite and key.
Packets that fail authentication, replays, truncated and foreign packets are dropped and
counted, never passed on; a warning line says so at most once every 10 seconds. Both seal
and open the payloads of the packets they are handed in place and pass those packets on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from nanoping.dataplane.component import Component, register
from nanoping.dataplane.errors import ParamError
from nanoping.dataplane.metrics import Metric, counter
from nanoping.dataplane.packet import Batch
from nanoping.dataplane.parameter import param
from nanoping.fec.aead import SUITES, KeyExhausted, KeyFormatError, Opener, Sealer, parse_key

log = logging.getLogger(__name__)
LOG_INTERVAL = 10.0
"""Seconds between two warnings about dropped packets."""


def _check_suite(value: str) -> str | None:
    return None if value in SUITES else f"unknown cipher suite; allowed: {', '.join(SUITES)}"


@dataclass(frozen=True)
class AeadKeyParams:
    """A cipher suite and its key: what sealing and opening need (here and in ``raft``)."""

    cipher_suite: str = param(
        "aes_128_gcm",
        doc="AEAD suite: aes_128_gcm, aes_256_gcm or chacha20_poly1305.",
        check=_check_suite,
    )
    key: str | None = param(None, doc="The key as hex digits or base64.")
    key_file: str | None = param(
        None, doc="Path of a file holding the key (hex, base64 or raw bytes)."
    )

    def __post_init__(self) -> None:
        self.key_bytes()

    def key_bytes(self) -> bytes:
        """The key these parameters name; ParamError naming the key field when unusable."""
        try:
            return parse_key(self.cipher_suite, text=self.key, file=self.key_file)
        except KeyFormatError as error:
            raise ParamError("key_file" if self.key_file else "key", str(error)) from None


@dataclass(frozen=True)
class CipherParams(AeadKeyParams):
    """Parameters of ``boringssl_encrypt`` and ``boringssl_decrypt``."""

    input: str | None = param(None, doc="Link the packets arrive on.", link=True)
    output: str | None = param(None, doc="Link the packets leave on.", link=True)


@register("boringssl_encrypt")
class BoringsslEncrypt(Component[CipherParams]):
    """Seals every packet; stops the run when the key has sealed 2^32 packets."""

    params_type = CipherParams

    def __init__(self, *, component_id: str, params: CipherParams) -> None:
        super().__init__(component_id=component_id, params=params)
        self._sealer = Sealer(params.cipher_suite, params.key_bytes())

    def handle(self, port: int, batch: Batch, now: float) -> None:
        # The packets are sealed in place and passed on: this component owns them (an output
        # port feeds one input, and no component hands one packet object on twice).
        try:
            self._sealer.seal_packets(batch)
        except KeyExhausted as error:
            self.packets_dropped += len(batch)
            self.fail(str(error))
            return
        self.emit(0, batch)

    def extra_metrics(self, now: float) -> Iterable[Metric]:
        return (counter("packets_sealed", self._sealer.counter, "packets", "Packets sealed."),)


@register("boringssl_decrypt")
class BoringsslDecrypt(Component[CipherParams]):
    """Opens every packet; anything that fails a check is dropped, counted and reported."""

    params_type = CipherParams

    def __init__(self, *, component_id: str, params: CipherParams) -> None:
        super().__init__(component_id=component_id, params=params)
        self._opener = Opener(params.cipher_suite, params.key_bytes())
        self._next_log = 0.0
        self._dropped_since_log = 0

    def handle(self, port: int, batch: Batch, now: float) -> None:
        out = self._opener.open_packets(batch)  # opened in place, like the encrypt side
        dropped = len(batch) - len(out)
        if dropped:
            self.packets_dropped += dropped
            self._report(dropped, now)
        if out:
            self.emit(0, out)

    def _report(self, dropped: int, now: float) -> None:
        self._dropped_since_log += dropped
        if now < self._next_log:
            return
        c = self._opener.counters
        log.warning(
            "%s: dropped %d packets (totals: %d failed authentication - wrong key or tampered, "
            "%d replayed, %d malformed or truncated, %d of another cipher suite)",
            self.id,
            self._dropped_since_log,
            c.auth_failures,
            c.replayed,
            c.malformed,
            c.wrong_suite,
        )
        self._dropped_since_log = 0
        self._next_log = now + LOG_INTERVAL

    def extra_metrics(self, now: float) -> Iterable[Metric]:
        c = self._opener.counters
        return (
            counter("packets_opened", c.opened, "packets", "Packets authenticated and decrypted."),
            counter(
                "auth_failures",
                c.auth_failures,
                "packets",
                "Packets that failed authentication: tampered or sealed with another key.",
            ),
            counter("replayed", c.replayed, "packets", "Packets seen before (replays)."),
            counter("malformed", c.malformed, "packets", "Truncated or foreign packets."),
            counter("wrong_suite", c.wrong_suite, "packets", "Packets of another cipher suite."),
        )
