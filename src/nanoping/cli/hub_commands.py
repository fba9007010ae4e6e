"""`np authenticate-by-request` and `np authentication-requests`: joining a hub from the shell."""

from __future__ import annotations

import argparse
import json
import queue
import sys
from collections.abc import Iterator
from typing import Any

import grpc

from nanoping.api import hub_client_pb2, hub_client_pb2_grpc, hub_server_pb2, hub_server_pb2_grpc
from nanoping.cli.api_client import (
    CommandFailed,
    StreamReader,
    add_grpc_option,
    call,
    describe,
    wait_for_node,
)
from nanoping.hub.join_requests import PENDING_HEADER

JOIN_HELP = """\
Ask the hub server at URL to admit the node whose gRPC API is at --grpc. Blocks until the hub
accepts (exit 0), rejects, or times out. On the hub node, run `np authentication-requests` to
answer. Once accepted, the node stays joined across restarts."""

REQUESTS_HELP = """\
Answer the join requests arriving at the hub whose gRPC API is at --grpc (run it on the hub
node). On open it lists the requests already pending, then shows each request (pending or new)
one by one; answer y to accept or n to reject. With --accept-all or --reject-all it answers by
itself (for scripts); --count stops after that many requests, --timeout after that many seconds
without a request (exit status 1 when fewer than --count were answered by then)."""


def add_parsers(commands: Any) -> None:
    join = commands.add_parser(
        "authenticate-by-request",
        help="join a node to a hub (blocks until the hub answers)",
        description=JOIN_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    join.add_argument(
        "url", metavar="URL", help="HTTP address of the hub server, e.g. http://127.0.0.1:8769"
    )
    add_grpc_option(join)
    join.set_defaults(run=authenticate_by_request)

    requests = commands.add_parser(
        "authentication-requests",
        help="answer join requests on the hub node",
        description=REQUESTS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_grpc_option(requests)
    verdict = requests.add_mutually_exclusive_group()
    verdict.add_argument("--accept-all", action="store_true", help="accept every request")
    verdict.add_argument("--reject-all", action="store_true", help="reject every request")
    requests.add_argument("--count", type=int, metavar="N", help="stop after answering N requests")
    requests.add_argument(
        "--timeout", type=float, metavar="SECONDS", help="stop after SECONDS without a new request"
    )
    requests.add_argument("--json", action="store_true", help="print one JSON object per request")
    requests.set_defaults(run=authentication_requests)


def authenticate_by_request(arguments: argparse.Namespace) -> int:
    with grpc.insecure_channel(arguments.grpc) as channel:
        stub = hub_client_pb2_grpc.HubClientServiceStub(channel)
        request = hub_client_pb2.AuthenticateByRequestRequest(hub_server_address=arguments.url)
        wait_for_node(channel, arguments.grpc, "authenticate-by-request")
        print(
            f"waiting for the hub at {arguments.url} to answer (an approver on the hub node "
            "must accept: np authentication-requests)",
            file=sys.stderr,
            flush=True,
        )
        call("authenticate-by-request", stub.authenticateByRequest, request)
    print(f"authenticated with the hub server at {arguments.url}")
    return 0


def authentication_requests(arguments: argparse.Namespace) -> int:
    if arguments.count is not None and arguments.count < 1:
        raise CommandFailed("authentication-requests: --count must be at least 1")
    answers: queue.Queue[hub_server_pb2.AuthenticationByRequestAnswer | None] = queue.Queue()
    with grpc.insecure_channel(arguments.grpc) as channel:
        stub = hub_server_pb2_grpc.HubServerServiceStub(channel)
        stream = stub.authenticationByRequests(_drain(answers))
        try:
            headers = stream.initial_metadata()  # the hub has registered this answerer
        except grpc.RpcError as error:
            raise CommandFailed(describe("authentication-requests", error)) from None
        _list_pending(headers)
        print("waiting for authentication requests (Ctrl-C to stop)", file=sys.stderr, flush=True)
        arrivals = StreamReader(stream, "authentication-requests")
        try:
            answered = _answer_arrivals(arguments, arrivals, answers)
        finally:
            # Half-close and let the hub end the stream, so the last answer is delivered.
            answers.put(None)
            arrivals.wait_ended(timeout=5)
            stream.cancel()
    if arguments.count is not None and answered < arguments.count:
        why = (
            "the stream ended"
            if arguments.timeout is None
            else f"{arguments.timeout:g} s passed without a new one"
        )
        raise CommandFailed(
            f"authentication-requests: answered {answered} of {arguments.count} request(s) "
            f"before {why}"
        )
    return 0


def _answer_arrivals(
    arguments: argparse.Namespace,
    arrivals: StreamReader,
    answers: queue.Queue[hub_server_pb2.AuthenticationByRequestAnswer | None],
) -> int:
    """Answer requests as they arrive until --count, --timeout or the stream's end; how many."""
    answered = 0
    while arguments.count is None or answered < arguments.count:
        request = arrivals.next(timeout=arguments.timeout)
        if request is None:
            break
        accept = _verdict(arguments, request)
        answers.put(
            hub_server_pb2.AuthenticationByRequestAnswer(
                request_id=request.request_id, accept=accept
            )
        )
        _report(arguments, request, accept)
        answered += 1
    return answered


def _list_pending(headers: Any) -> None:
    """Say which requests were already waiting (the hub names them in a header of the stream)."""
    value = dict(headers or ()).get(PENDING_HEADER)
    if value is None:
        return  # a hub reached through another node: the requests themselves follow anyway
    try:
        pending = [_pending_line(item) for item in json.loads(value)]
    except (ValueError, TypeError, KeyError):
        return  # not what this version of np expects: the requests themselves follow anyway
    if not pending:
        print("no join request is pending", file=sys.stderr, flush=True)
        return
    print(f"{len(pending)} join request(s) pending:", file=sys.stderr)
    for line in pending:
        print(line, file=sys.stderr)
    sys.stderr.flush()


def _pending_line(item: dict[str, Any]) -> str:
    return (
        f"  request {item['requestId']}: node {item['name']} ({item['nodeId']}) "
        f"from {item['peer']}, waiting {float(item['ageSeconds']):g} s"
    )


def _drain(
    answers: queue.Queue[hub_server_pb2.AuthenticationByRequestAnswer | None],
) -> Iterator[Any]:
    while (answer := answers.get()) is not None:
        yield answer


def _verdict(
    arguments: argparse.Namespace, request: hub_server_pb2.AuthenticationByRequestRequest
) -> bool:
    if arguments.accept_all or arguments.reject_all:
        return bool(arguments.accept_all)
    node = request.node
    prompt = f"Node {node.name} ({node.id}) asks to join. Accept? [y/N] "
    print(prompt, end="", flush=True)
    reply = sys.stdin.readline()
    return reply.strip().lower() in ("y", "yes")


def _report(
    arguments: argparse.Namespace,
    request: hub_server_pb2.AuthenticationByRequestRequest,
    accept: bool,
) -> None:
    node = request.node
    if arguments.json:
        print(
            json.dumps(
                {
                    "requestId": request.request_id,
                    "nodeId": node.id,
                    "name": node.name,
                    "accepted": accept,
                }
            ),
            flush=True,
        )
    else:
        print(f"{'accepted' if accept else 'rejected'} node {node.name} ({node.id})", flush=True)
