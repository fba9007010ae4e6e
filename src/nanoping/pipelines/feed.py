"""Fans pipeline events out to every open stream, in commit order, without losing any silently.

A :class:`~nanoping.streams.fanout.Fanout` whose subscribers each have their own bounded
backlog, so a slow reader never holds back the writer or the other readers. A reader that
falls ``backlog`` events behind is cut off: its iteration raises RESOURCE_EXHAUSTED instead of
skipping events, so a client never holds a view that quietly diverged from the store.
"""

from __future__ import annotations

from typing import TypeAlias

from nanoping.errors import ResourceExhausted
from nanoping.pipelines.events import PipelineEvent
from nanoping.streams.fanout import Fanout, Subscriber

DEFAULT_BACKLOG = 1024
"""Events a subscriber may have queued before it is cut off."""

Subscription: TypeAlias = Subscriber[PipelineEvent]
"""One reader's queue of events; iterate it (``async for``) to receive them in order."""


class PipelineFeed(Fanout[PipelineEvent]):
    """The open subscriptions to pipeline events; :meth:`publish` hands an event to each."""

    def __init__(self, *, backlog: int = DEFAULT_BACKLOG) -> None:
        super().__init__(
            backlog=backlog,
            overflow=ResourceExhausted(
                f"pipeline stream closed: this reader fell {backlog} events behind, "
                "so the stream ends instead of skipping changes; reopen it and call "
                "getPipelines to catch up"
            ),
        )

    def close(self) -> None:
        """End every subscription normally (node shutdown); later ones end at once."""
        self.end()
