"""Golden tests of the wiring string grammar."""

import pytest

from nanoping.dataplane.wiring import Link, WiringError, parse_link


def test_parses_the_documented_example() -> None:
    link = parse_link("[traffic_sink-1|in:0]-[uniform_traffic_source-1|out:0]")
    assert link == Link(
        consumer="traffic_sink-1", in_port=0, producer="uniform_traffic_source-1", out_port=0
    )


def test_round_trips_through_str() -> None:
    text = "[b|in:12]-[a|out:3]"
    assert str(parse_link(text)) == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "malformed link '': expected [consumer-id|in:N]-[producer-id|out:M]"),
        (
            "[a|in:0]->[b|out:0]",
            "malformed link '[a|in:0]->[b|out:0]': expected [consumer-id|in:N]-[producer-id|out:M]",
        ),
        (
            "[a|in:0]-[b|out:0] ",
            "malformed link '[a|in:0]-[b|out:0] ': expected [consumer-id|in:N]-[producer-id|out:M]",
        ),
        ("[|in:0]-[b|out:0]", "malformed link '[|in:0]-[b|out:0]': component id must not be empty"),
        (
            "[a|out:0]-[b|out:0]",
            "malformed link '[a|out:0]-[b|out:0]': consumer port 'out:0' must be 'in:N'",
        ),
        (
            "[a|in:0]-[b|in:0]",
            "malformed link '[a|in:0]-[b|in:0]': producer port 'in:0' must be 'out:M'",
        ),
        (
            "[a|in:01]-[b|out:0]",
            "malformed link '[a|in:01]-[b|out:0]': consumer port 'in:01' must be 'in:N'",
        ),
        (
            "[a|in:-1]-[b|out:0]",
            "malformed link '[a|in:-1]-[b|out:0]': consumer port 'in:-1' must be 'in:N'",
        ),
    ],
)
def test_rejects_malformed_links_with_exact_messages(text: str, message: str) -> None:
    with pytest.raises(WiringError) as caught:
        parse_link(text)
    assert str(caught.value) == message
