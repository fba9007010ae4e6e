"""Book-keeping of one open call on a link: its direction, deadline and flow-control credit.

Flow control counts messages. ``send_credit`` is how many more messages this side may send;
the peer raises it with CallCredit frames. On the receiving side the invariant

    peer_allowance + held + ungranted == receive window

holds once all sent messages have arrived: every message the peer sends uses one unit of its
allowance, the application holds it until it calls ``consume``, and consumed messages are
granted back in batches of half a window so a long stream costs one credit frame per half window.
"""

from __future__ import annotations


class Call:
    """State of one open call, seen from one side of the link."""

    __slots__ = (
        "call_id",
        "deadline",
        "half_closed",
        "headers",
        "held",
        "is_caller",
        "peer_allowance",
        "send_credit",
        "ungranted",
        "window",
    )

    def __init__(
        self,
        *,
        call_id: int,
        is_caller: bool,
        deadline: float | None,
        send_credit: int,
        window: int,
    ) -> None:
        self.call_id = call_id
        self.is_caller = is_caller
        """True when this side started the call (it sends CallStart, HalfClose, Cancel)."""
        self.deadline = deadline
        self.half_closed = False
        """True once the caller has sent its last message."""
        self.headers = False
        """True once the callee's handler started: CallHeaders or a first message went (or came)."""
        self.send_credit = send_credit
        self.window = window
        """Messages the peer may have outstanding on this call (this side's call_window)."""
        self.peer_allowance = window
        """Messages the peer may still send before this side grants more."""
        self.held = 0
        """Messages delivered to the application and not consumed yet."""
        self.ungranted = 0
        """Consumed messages not yet granted back to the peer."""

    @property
    def may_send(self) -> bool:
        """Whether this side may still send messages on the call (credit aside)."""
        return not (self.is_caller and self.half_closed)

    @property
    def peer_may_send(self) -> bool:
        """Whether the peer may still send messages on the call."""
        return self.is_caller or not self.half_closed

    def take_grant(self) -> int:
        """Credit to grant the peer now (0 while below half a window or after the peer is done)."""
        if not self.peer_may_send or self.ungranted < max(1, self.window // 2):
            return 0
        grant, self.ungranted = self.ungranted, 0
        self.peer_allowance += grant
        return grant
