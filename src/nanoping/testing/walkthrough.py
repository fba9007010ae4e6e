"""What the integration guide's walkthrough must print, checked line by line.

The Python and the Go walkthrough (examples/) print the guide's lines; tests and the join-race
benchmark check them here, so both programs are held to the same expectations.
"""

from __future__ import annotations

import re

UUID = r"[0-9a-f-]{36}"


class WalkthroughMismatch(AssertionError):
    """The walkthrough's output differs from what the guide promises."""


def _expect(condition: bool, what: str, lines: list[str]) -> None:
    if not condition:
        raise WalkthroughMismatch(f"{what}; output was:\n" + "\n".join(lines))


def section(lines: list[str], title: str) -> list[str]:
    """The lines after ``title`` up to the next empty line."""
    _expect(title in lines, f"no {title!r} section", lines)
    start = lines.index(title) + 1
    end = lines.index("", start) if "" in lines[start:] else len(lines)
    return lines[start:end]


def check_crud(lines: list[str], node_name: str) -> str:
    """Check the create/update/get/delete lines and events on one node; returns the pipeline id."""
    title = f"Doing CRUD pipeline operations on node {node_name}"
    _expect(title in lines, f"no CRUD on {node_name}", lines)
    start = lines.index(title)
    steps = [line for line in lines[start + 1 :] if line.startswith(" ")][:4]
    created = re.fullmatch(rf" Created pipeline My First Pipeline with id ({UUID})", steps[0])
    _expect(created is not None, f"no create line on {node_name}", lines)
    assert created is not None
    pipeline_id = created.group(1)
    _expect(
        steps[1:]
        == [
            f" Updated pipeline to name My Updated Pipeline for id {pipeline_id}",
            f" Got pipeline by id {pipeline_id} with name My Updated Pipeline",
            f" Deleted pipeline with id {pipeline_id}",
        ],
        f"update/get/delete lines on {node_name}",
        lines,
    )
    events = [line for line in lines if line.endswith(pipeline_id) and line.startswith("Received")]
    _expect(
        events
        == [f"Received {kind} event: {pipeline_id}" for kind in ("create", "update", "delete")],
        f"create, update and delete events of {pipeline_id}",
        lines,
    )
    return pipeline_id


def check_output(
    lines: list[str], client_id: str, *, first_run: bool, just_restarted: bool = False
) -> None:
    """Check a whole walkthrough; ``first_run`` when the client was not a member before.

    ``just_restarted``: the nodes were restarted a moment ago, so the client may still be
    relinking (DISCONNECTED) when the program starts, before it is CONNECTED.
    """
    prefix = "Connection state: "
    states = [line.removeprefix(prefix) for line in lines if line.startswith(prefix)]
    if first_run:
        expected = states == ["UNAUTHENTICATED", "CONNECTED"]
        _expect(expected, "states UNAUTHENTICATED, then CONNECTED", lines)
    elif just_restarted:
        settled = bool(states) and states[-1] == "CONNECTED"
        _expect(settled and set(states[:-1]) <= {"DISCONNECTED"}, "DISCONNECTED, CONNECTED", lines)
    else:
        _expect(states == ["CONNECTED"], "the state CONNECTED only", lines)
    _expect(f"Updated client {client_id} with node information" in lines, "the setNode line", lines)
    _expect("Authenticated with the Hub Server" in lines, "the join line", lines)
    both = [" Node: My Controller", " Node: My NanoPing Client"]
    _expect(section(lines, "All nodes:") == both, "all nodes", lines)
    by_type = section(lines, "Nodes with metadata type=my-type:")
    _expect(by_type == [" Node: My NanoPing Client"], "nodes by metadata", lines)
    with_pipelines = section(lines, "Nodes with Pipelines service enabled:")
    _expect(with_pipelines == both, "nodes by service", lines)
    first, second = check_crud(lines, "My Controller"), check_crud(lines, "My NanoPing Client")
    _expect(first != second, "two different pipelines", lines)
