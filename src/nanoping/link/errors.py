"""Errors of the node <-> hub link core.

    LinkError                   (base of everything the link core raises)
    ├── ProtocolError           the peer broke the frame protocol; the link must close
    ├── InvalidStateError       the application called a method the current state forbids
    └── CallError               a call operation failed; carries the call id
        ├── UnknownCallError    no open call has this id (never opened, or already over)
        ├── NoCreditError       the call's send window is empty; wait for CreditAvailable
        └── MessageTooLargeError the message exceeds the peer's advertised limit

The connection never lets a ProtocolError escape from ``receive_bytes``: it turns it into a
``ProtocolViolated`` event. The other errors are raised to the application, which misused the
API or raced with the end of a call.
"""

from __future__ import annotations


class LinkError(Exception):
    """Base class of the link core's errors."""


class ProtocolError(LinkError):
    """The peer sent a frame that breaks the link protocol; the message names the reason."""


class InvalidStateError(LinkError):
    """The method cannot be used in the link's or the call's current state."""


class CallError(LinkError):
    """An operation on one call failed."""

    def __init__(self, call_id: int, message: str) -> None:
        super().__init__(f"call {call_id}: {message}")
        self.call_id = call_id


class UnknownCallError(CallError):
    """No open call has this id: it never existed or is already over."""


class NoCreditError(CallError):
    """The peer granted no more messages on this call yet; wait for ``CreditAvailable``."""


class MessageTooLargeError(CallError):
    """The message is larger than the peer accepts."""
