"""The hub-client connection state and the watchers that follow it."""

from __future__ import annotations

from collections.abc import AsyncIterator

from nanoping.api import hub_client_pb2
from nanoping.streams.fanout import Fanout

State = hub_client_pb2.ConnectionState
UNAUTHENTICATED = hub_client_pb2.UNAUTHENTICATED
DISCONNECTED = hub_client_pb2.DISCONNECTED
CONNECTED = hub_client_pb2.CONNECTED


class ConnectionStateWatch:
    """Holds the current state; every watcher sees the current value first, then each change."""

    def __init__(self, initial: State = UNAUTHENTICATED, *, hosts_hub: bool = False) -> None:
        self._state = initial
        self._hosts_hub = hosts_hub
        self._watchers: Fanout[State] = Fanout()

    @property
    def state(self) -> State:
        return self._state

    @property
    def is_online(self) -> bool:
        """Whether the cluster sees this node online: it hosts the hub or is linked to it."""
        return self._hosts_hub or self._state == CONNECTED

    def set(self, state: State) -> None:
        """Move to ``state``; every watcher is told, in order, without loss."""
        if state == self._state:
            return
        self._state = state
        self._watchers.publish(state)

    async def wait_for(self, state: State) -> None:
        """Return once the state is ``state`` (at once if it already is)."""
        async for current in self.watch():
            if current == state:
                return

    async def watch(self) -> AsyncIterator[State]:
        """Current state, then each new state until the caller stops iterating."""
        with self._watchers.subscribe((self._state,)) as states:
            async for state in states:
                yield state
