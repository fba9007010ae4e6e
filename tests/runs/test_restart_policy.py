"""Restart policies with real run processes: never, always, on failure, caps and backoff.

All pipelines run side by side on one node; the store (opened after the node stopped) tells
how many runs each had, how each ended, and when.
"""

from __future__ import annotations

from pathlib import Path

from nanoping.testing.node_process import NodeProcess

from .harness import PipelinesApi, bomb, stored_runs, traffic

FINITE = traffic(total=20, interval=1)
"""Ends by itself with exit code 0 after about 20 ms."""


def test_restart_policies(pipelines: PipelinesApi, node: NodeProcess, data_dir: Path) -> None:
    policies = {
        "on failure, 2 restarts": (bomb(), {"on_failure": {"max_restarts": 2}}),
        "always, 1 restart": (FINITE, {"always": {"max_restarts": 1}}),
        "never": (bomb(), {"never": {}}),
        "on failure, ended well": (FINITE, {"on_failure": {"max_restarts": 0}}),
        "on failure, unlimited": (bomb(), {"on_failure": {"max_restarts": 0}}),
    }
    ids = {
        name: pipelines.create(name, document, restart_policy=policy).id
        for name, (document, policy) in policies.items()
    }
    events = pipelines.stream("streamPipelines", timeout=30)
    events.initial_metadata()
    for pipeline_id in ids.values():
        pipelines.start(pipeline_id)
    endless = ids.pop("on failure, unlimited")
    endless_runs: set[str] = set()
    for event in events:
        if event.update.pipeline.id == endless and event.update.pipeline.current_run:
            endless_runs.add(event.update.pipeline.current_run)
        if len(endless_runs) == 3:
            break
    events.cancel()
    pipelines.call("stopPipeline", id=endless)  # while it runs or waits to restart
    for pipeline_id in [*ids.values(), endless]:
        pipelines.wait_stopped(pipeline_id, timeout=20)
    node.stop()

    runs = stored_runs(data_dir)
    exit_codes = {name: [run.exit_code for run in runs[name]] for name in ids}
    assert exit_codes == {
        "on failure, 2 restarts": [1, 1, 1],
        "always, 1 restart": [0, 0],
        "never": [1],
        "on failure, ended well": [0],
    }
    assert len(runs["on failure, unlimited"]) >= 3
    # backoff: 0.5 s before the first restart, then 1 s
    first, second, third = runs["on failure, 2 restarts"]
    assert first.ended_at is not None
    assert second.ended_at is not None
    assert second.started_at - first.ended_at >= 0.5
    assert third.started_at - second.ended_at >= 1.0
