"""What keeps a hub with thousands of members standing: patient nodes, cheap links."""

from __future__ import annotations

import pytest

from nanoping.api import hub_node_pb2
from nanoping.hub import client
from nanoping.hub.client import WELCOME_WAIT, node_link_configuration
from nanoping.link import HeartbeatTimedOut, LinkConfiguration, LinkConnection, LinkRole, LinkState


def test_a_node_waits_for_a_late_welcome_longer_than_the_hub_waits_for_a_hello() -> None:
    hub_hello_deadline = LinkConfiguration().handshake_timeout
    assert hub_hello_deadline < WELCOME_WAIT
    connection = LinkConnection(
        role=LinkRole.NODE, now=0.0, configuration=node_link_configuration()
    )
    connection.send_hello(node=hub_node_pb2.Node(id="n1"), credential="secret")
    connection.handle_timer(WELCOME_WAIT - 0.5)  # a busy hub is late, but the node holds on
    assert connection.state is LinkState.HELLO_SENT
    assert connection.next_event() is None
    connection.handle_timer(WELCOME_WAIT)
    closed = connection.next_event()
    assert isinstance(closed, HeartbeatTimedOut)
    assert closed.reason == f"no welcome within {WELCOME_WAIT:g} s"


async def test_a_handshake_the_websocket_library_breaks_off_is_one_more_failed_dial(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken_handshake() -> None:
        raise AssertionError  # what websockets 17 raises when the server hangs up mid-upgrade

    monkeypatch.setattr(client, "_dial", lambda url: broken_handshake())
    with pytest.raises(ConnectionError, match="the WebSocket handshake broke off"):
        async with client._opened("ws://127.0.0.1:9/hub/link"):
            pass  # pragma: no cover - never opened
