"""Raft between two namespaces over two emulated links, one of them blacked out mid-run.

``app -> udp_socket -> raft => (two relays in a middle namespace) => raft -> udp_socket -> app``:
the sending application in namespace A stamps every datagram with its number and the time;
carrier 1 (the higher priority, so it carries the stream) goes dark for 1.5 s in the middle
of the run (nftables drops everything arriving on its veth ends in the middle namespace),
then comes back. The receiving application in B must get every datagram, each within the
stream's budget (plus the two loopback hops and scheduling on a loaded machine). Both raft
components seal their datagrams with the built-in AEAD.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
import selectors
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from nanoping.dataplane import validate_config
from nanoping.dataplane.fakes import config_doc, wire
from nanoping.testing.netns import (
    RELAY_PORT,
    Impairments,
    Namespace,
    PipelineProcess,
    namespaces,
    relay_doc,
    unique_name,
    veth,
)

PACKETS = 1000
INTERVAL_MS = 4.0
BUDGET_MS = 1000
"""Generous for a real-time stream: the test runs beside others on a busy machine, and a
process stalled for a few hundred milliseconds must not turn into a false failure."""
HOP_ALLOWANCE_MS = 150
"""Loopback hops into and out of raft and process wake-ups on a busy machine."""
APP_IN, APP_OUT = 5000, 5001
"""Application ports on 127.0.0.1 inside A and B (private namespaces: no clash possible)."""
CARRIERS = ((51, 10), (52, 0))
"""(carrier handle, priority) of the two carriers; the first carries the stream until it fails."""
LINK = Impairments(delay_ms=10, loss_percent=2)
KEY = "5a" * 32
APP = str(Path(__file__).with_name("raft_app.py"))


def subnet(carrier: int, side: str) -> tuple[str, str]:
    """(endpoint address, relay address) of one carrier on side "a" or "b"."""
    third = 1 + 2 * carrier + (side == "b")
    return f"10.142.{third}.1", f"10.142.{third}.254"


def carrier_relay(carrier: int) -> dict[str, object]:
    """The middle namespace's relay of one carrier, with its own loss draws."""
    (a_own, a_relay), (b_own, b_relay) = subnet(carrier, "a"), subnet(carrier, "b")
    impairments = dataclasses.replace(LINK, seed=LINK.seed + 10 * carrier)
    return relay_doc(
        a_side=a_relay, b_side=b_relay, a_address=a_own, b_address=b_own, impairments=impairments
    )


def endpoint_doc(side: str) -> dict[str, object]:
    """The raft pipeline of side "a" (sends the application's stream) or "b" (delivers it)."""
    stream: dict[str, object] = {
        "stream_handle": 7,
        "realtime": {"timeout": BUDGET_MS, "delivery_policy": "on_ordered"},
    }
    pipeline: dict[str, dict[str, dict[str, object]]] = {}
    app_socket: dict[str, object]
    if side == "a":
        stream["input"] = wire("raft", 0, "app", 0)
        app_socket = {"bind_address": f"127.0.0.1:{APP_IN}", "output": wire("raft", 0, "app", 0)}
    else:
        stream["output"] = wire("app", 0, "raft", 0)
        app_socket = {"remote_address": f"127.0.0.1:{APP_OUT}", "input": wire("app", 0, "raft", 0)}
    pipeline["app"] = {"udp_socket": app_socket}
    carriers = []
    for i, (handle, priority) in enumerate(CARRIERS):
        into, out_of = wire("raft", 1 + i, f"udp{i}", 0), wire(f"udp{i}", 0, "raft", 1 + i)
        carriers.append(
            {"input": into, "output": out_of, "carrier_handle": handle, "priority": priority}
        )
        own, relay = subnet(i, side)
        pipeline[f"udp{i}"] = {
            "udp_socket": {
                "bind_address": f"{own}:{RELAY_PORT}",
                "remote_address": f"{relay}:{RELAY_PORT}",
                "input": out_of,
                "output": into,
            }
        }
    aead = {"cipher_suite": "chacha20_poly1305", "key": KEY}  # the built-in AEAD, for real
    pipeline["raft"] = {"raft": {"streams": [stream], "carriers": carriers, "aead": aead}}
    doc = config_doc(pipeline)
    validate_config(doc)
    return doc


def wait_line(process: subprocess.Popen[str], expected: str, timeout: float = 20.0) -> None:
    """Wait until ``process`` prints the line ``expected``."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while (left := deadline - time.monotonic()) > 0 and selector.select(left):
            line = process.stdout.readline()
            if not line:
                break
            if line.strip() == expected:
                return
            seen.append(line)
    raise AssertionError(f"no {expected!r} line within {timeout} s: {''.join(seen)}")


@contextmanager
def blackout(middle: Namespace, devices: list[str]) -> Iterator[list[int]]:
    """Drop everything arriving on ``devices`` in ``middle`` while the block runs.

    Yields a list that receives, when the block ends, how many datagrams were dropped: of a
    stream packet's size (control packets are under 100 bytes, the test's data over 200), and
    of any size (keep-alives probe even a carrier raft no longer uses, 20 a second each way).
    """
    table = unique_name("np14").replace("-", "_")
    names = ", ".join(f'"{d}"' for d in devices)
    rules = (
        f"table inet {table} {{\n  chain input {{ type filter hook input priority 0;\n"
        f"    iifname {{ {names} }} meta length > 200 counter drop\n"
        f"    iifname {{ {names} }} counter drop\n  }}\n}}\n"
    )
    middle.run("nft", "-f", "-", input_text=rules)
    dropped: list[int] = []
    try:
        yield dropped
    finally:
        listing = middle.run("nft", "list", "table", "inet", table)
        middle.run("nft", "delete", "table", "inet", table)
        data, rest = (int(n) for n in re.findall(r"counter packets (\d+)", listing))
        dropped += [data, data + rest]


def telemetry(output: str) -> dict[str, Any]:
    """The raft component's final metrics from a pipeline process's output."""
    for line in reversed(output.splitlines()):
        if line.startswith("{") and "/components/raft" in line:
            metrics: dict[str, Any] = json.loads(line)["/components/raft"]
            return metrics
    raise AssertionError(f"no telemetry in the pipeline output: {output[-2000:]}")


@contextmanager
def app(namespace: Namespace, *args: object) -> Iterator[subprocess.Popen[str]]:
    """The test application (raft_app.py) running inside ``namespace``; killed if still running."""
    command = [sys.executable, APP, *(str(a) for a in args)]
    process: subprocess.Popen[str] = namespace.popen(
        *command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    with process:  # closes the pipe and reaps the process
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()


def test_a_blacked_out_carrier_costs_the_application_no_packet_and_no_deadline() -> None:
    with namespaces(3, "np14") as (a, middle, b):
        middle_ends: list[str] = []
        for i in range(len(CARRIERS)):
            for side, namespace in (("a", a), ("b", b)):
                own, relay_address = subnet(i, side)
                _, end = veth(namespace, middle, f"{own}/24", f"{relay_address}/24")
                middle_ends.append(end)
        with contextlib.ExitStack() as running:  # every pipeline stops, also on failure
            for i in range(len(CARRIERS)):
                running.enter_context(PipelineProcess(middle, carrier_relay(i)))
            receiving = running.enter_context(PipelineProcess(b, endpoint_doc("b")))
            sending = running.enter_context(PipelineProcess(a, endpoint_doc("a")))
            with app(b, "receive", APP_OUT, PACKETS, 3.0) as receiver:
                wait_line(receiver, "ready")
                with app(a, "send", APP_IN, PACKETS, INTERVAL_MS) as sender:
                    wait_line(sender, "sending")
                    time.sleep(1.2)  # the scenario: 1.2 s of normal service, then carrier 1 fails
                    with blackout(middle, middle_ends[:2]) as dropped:
                        time.sleep(1.5)
                    assert sender.wait(timeout=30) == 0
                out, _ = receiver.communicate(timeout=30)
            outputs = [receiving.stop(), sending.stop()]
    b_metrics, a_metrics = (telemetry(output) for output in outputs)
    result = json.loads(out.strip().splitlines()[-1])
    latency = {int(seq): ms for seq, ms in result["latency_ms"].items()}
    report = f"receiver raft: {b_metrics}\nsender raft: {a_metrics}"
    # The blackout was in force on a live carrier. Usually it also cut the stream in flight
    # (dropped[0] > 0); on a loaded machine raft may have moved the stream off carrier 51
    # before, after a stall it took for a failure, which is no less correct.
    assert dropped[1] >= 20, f"{dropped}\n{report}"
    assert sorted(latency) == list(range(PACKETS)), (
        f"missing {sorted(set(range(PACKETS)) - set(latency))[:20]}\n{report}"
    )
    worst = max(latency.values())
    assert worst <= BUDGET_MS + HOP_ALLOWANCE_MS, f"slowest packet took {worst:.1f} ms\n{report}"
    assert result["copies"] == PACKETS  # raft delivers each packet once
    assert b_metrics["stream_7_delivered"] == PACKETS
    assert b_metrics["datagrams_refused_auth_failed"] == 0
    assert b_metrics["stream_7_recovered_arq"] + b_metrics["stream_7_recovered_fec"] > 0
    assert a_metrics["carrier_51_sent_datagrams"] > 0
    assert a_metrics["carrier_52_sent_datagrams"] > 0
