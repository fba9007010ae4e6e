"""The run process's agent, driven in-process over a real socket pair (no child process)."""

from __future__ import annotations

import asyncio
import json
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from nanoping.internal import run_control_pb2 as control
from nanoping.runs.agent import RunAgent
from nanoping.runs.channel import ControlChannel
from nanoping.runs.exit_status import ORPHANED, START_FAILED
from nanoping.runs.log_file import open_for_append

from .harness import traffic


class Node:
    """The node's end of the channel, and the agent serving the other end."""

    def __init__(self, channel: ControlChannel, agent: asyncio.Task[int], log: Path) -> None:
        self.channel = channel
        self.agent = agent
        self.log = log
        self._ids = 0

    def send(self, **kind: Any) -> int:
        self._ids += 1
        self.channel.send(control.Instruction(id=self._ids, **kind))
        return self._ids

    async def receive(self) -> control.RunMessage:
        async with asyncio.timeout(10):
            data = await self.channel.receive()
        assert data is not None, "the agent closed the channel"
        return control.RunMessage.FromString(data)

    async def ask(self, **kind: Any) -> control.Reply:
        instruction_id = self.send(**kind)
        message = await self.receive()
        assert message.reply.instruction_id == instruction_id
        return message.reply

    async def start(self, document: dict[str, Any]) -> control.Reply:
        start = control.StartRun(
            run_id="r", pipeline_id="p", json_config=json.dumps(document), log_level="INFO"
        )
        return await self.ask(start=start)

    def messages(self) -> list[str]:
        return [json.loads(line)["message"] for line in self.log.read_text().splitlines()]


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[Node]:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    log = tmp_path / "run.log"
    log_fd = open_for_append(log)
    run_side = await ControlChannel.open(theirs)
    agent = asyncio.ensure_future(RunAgent(channel=run_side, log_fd=log_fd).serve())
    channel = await ControlChannel.open(ours)
    try:
        yield Node(channel, agent, log)
    finally:
        channel.close()
        async with asyncio.timeout(10):
            await asyncio.gather(agent, return_exceptions=True)
        run_side.close()
        os.close(log_fd)


async def test_start_report_apply_and_stop(node: Node) -> None:
    assert (await node.start(traffic(total=0, interval=5, delay_ms=10))).error == ""
    report = await node.ask(report=control.Report())
    assert {c.path for c in report.sample.metric_collections} == {
        "/components/source",
        "/components/delay",
        "/components/sink",
    }
    live = json.dumps(traffic(total=0, interval=5, delay_ms=30))
    applied = await node.ask(apply_config=control.ApplyConfig(json_config=live, log_level="INFO"))
    assert applied.error == ""
    fixed = json.dumps(traffic(total=7, interval=5, delay_ms=30))
    refused = await node.ask(apply_config=control.ApplyConfig(json_config=fixed))
    assert "cannot change total_packets" in refused.error
    again = await node.start(traffic(total=1, interval=1))
    assert again.error == "instruction 'start' is not valid while running"
    assert (await node.ask(stop=control.StopRun(reason="enough"))).error == ""
    ended = (await node.receive()).ended
    assert (ended.exit_code, ended.reason) == (0, "enough")
    assert ended.cpu_seconds > 0
    assert ended.final_sample.metric_collections
    assert await node.agent == 0
    assert node.messages() == ["run started", "configuration applied"]


async def test_a_run_that_ends_by_itself_reports_its_end(node: Node) -> None:
    assert (await node.start(traffic(total=10, interval=0))).error == ""
    ended = (await node.receive()).ended
    assert (ended.exit_code, ended.reason) == (0, "all components finished")
    assert await node.agent == 0


async def test_an_invalid_config_fails_the_start(node: Node) -> None:
    reply = await node.start({"version": 13, "plumr_config": {"pipeline": {}}})
    assert reply.error.startswith("run could not start: plumr_config.pipeline")
    ended = (await node.receive()).ended
    assert ended.exit_code == START_FAILED
    assert await node.agent == START_FAILED


async def test_end_of_file_means_the_node_is_gone(node: Node) -> None:
    assert (await node.start(traffic(total=0, interval=5))).error == ""
    node.channel.close()
    async with asyncio.timeout(10):
        assert await node.agent == ORPHANED
    assert node.messages()[-1] == "the node went away; the run stops with it"


async def test_the_first_instruction_must_be_start(node: Node) -> None:
    reply = await node.ask(report=control.Report())
    assert reply.error == "the first instruction of a run must be start"
    assert await node.agent == START_FAILED
