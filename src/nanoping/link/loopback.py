"""Two link connections wired back to back in memory with a fake clock, for tests.

No sockets and no sleeping: ``pump`` carries frames until both sides are quiet, and
``advance`` moves the shared clock forward, firing every timer that falls due on the way.
"""

from __future__ import annotations

from nanoping.api.hub_node_pb2 import Node
from nanoping.link.configuration import LinkConfiguration
from nanoping.link.connection import LinkConnection, LinkRole
from nanoping.link.events import LinkEvent

_MAX_PUMP_ROUNDS = 10_000


class LinkPair:
    """A node-side and a hub-side ``LinkConnection`` talking to each other in memory."""

    def __init__(
        self,
        *,
        now: float = 0.0,
        node_configuration: LinkConfiguration | None = None,
        hub_configuration: LinkConfiguration | None = None,
    ) -> None:
        self.now = now
        """The shared fake clock, in seconds."""
        self.node = LinkConnection(role=LinkRole.NODE, now=now, configuration=node_configuration)
        self.hub = LinkConnection(role=LinkRole.HUB, now=now, configuration=hub_configuration)

    def handshake(self, *, node_id: str = "node-1", hub_node_id: str = "hub-node") -> None:
        """Run Hello/Welcome so calls can start; the handshake's events are discarded."""
        self.node.send_hello(node=Node(id=node_id, name=node_id), credential="secret")
        self.pump()
        self.hub.accept(hub_node_id=hub_node_id, now=self.now)
        self.pump()
        self.drain(self.node)
        self.drain(self.hub)

    def pump(self) -> int:
        """Carry frames both ways until neither side has anything to send; returns the count."""
        carried = 0
        for _ in range(_MAX_PUMP_ROUNDS):
            moved = self._carry(self.node, self.hub) + self._carry(self.hub, self.node)
            if moved == 0:
                return carried
            carried += moved
        raise RuntimeError("link pair still busy after many rounds; a side keeps sending")

    def advance(self, seconds: float) -> None:
        """Move the clock forward, running each side's timers in time order and pumping."""
        until = self.now + seconds
        while (due := self._next_deadline()) is not None and due <= until:
            self.now = max(self.now, due)
            self.node.handle_timer(self.now)
            self.hub.handle_timer(self.now)
            self.pump()
        self.now = until

    @staticmethod
    def drain(connection: LinkConnection) -> list[LinkEvent]:
        """Every pending event of one side, oldest first."""
        events: list[LinkEvent] = []
        while (event := connection.next_event()) is not None:
            events.append(event)
        return events

    def _carry(self, sender: LinkConnection, receiver: LinkConnection) -> int:
        messages = sender.data_to_send()
        for data in messages:
            receiver.receive_bytes(data, self.now)
        return len(messages)

    def _next_deadline(self) -> float | None:
        deadlines = [
            d for d in (self.node.next_deadline(), self.hub.next_deadline()) if d is not None
        ]
        return min(deadlines, default=None)
