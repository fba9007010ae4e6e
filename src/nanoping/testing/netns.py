"""Network namespaces for tests: private stacks joined by veth pairs, and an emulated link.

Everything made here has a unique name (a prefix plus random letters) and is removed when
its context ends, also when the test fails; processes started inside a namespace are killed
first. Needs root (or CAP_SYS_ADMIN and CAP_NET_ADMIN) and ``ip`` from iproute2.

Typical use::

    with namespaces(2) as (a, b):
        veth(a, b, "10.9.0.1/24", "10.9.0.2/24")
        a.run("ping", "-c", "1", "10.9.0.2")

    with emulated_link(Impairments(delay_ms=20, loss_percent=1)) as link:  # via a middle
        ...  # link.a sends UDP to link.a_to_b, link.b to link.b_to_a

The emulated link is the pattern the transport and network tests share: namespaces A and B,
each joined by veth to a middle namespace M, and in M a pipeline ``udp ⇄ impairments ⇄ udp``
relaying datagrams between them (delay, loss and rate come from our own components, since
the kernel here has no netem).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nanoping.dataplane.fakes import config_doc, wire

READY_LINE = "pipeline ready"
"""What :mod:`nanoping.testing.pipeline_process` prints once its I/O components are open."""
RELAY_PORT = 4000
"""UDP port the emulated link's relay listens on, on both sides (inside its namespace)."""


class NamespaceError(RuntimeError):
    """A namespace command failed; the message carries the command and its stderr."""


def can_create_namespaces() -> str | None:
    """None when this process can make namespaces, else the reason it cannot."""
    if shutil.which("ip") is None:
        return "the ip command (iproute2) is not installed"
    if os.geteuid() != 0:
        return "network namespaces need root"
    return None


def unique_name(prefix: str) -> str:
    """``prefix`` plus a random suffix, short enough for an interface name (15 bytes)."""
    return f"{prefix}-{secrets.token_hex(3)}"[:15]


def ip(*args: str, timeout: float = 10.0) -> str:
    """Run ``ip ARGS`` and return its output; NamespaceError when it fails."""
    result = subprocess.run(
        ["ip", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        raise NamespaceError(f"ip {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout


class Namespace:
    """One network namespace made for a test; close it (or use ``with``) to remove it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._processes: list[subprocess.Popen[Any]] = []
        ip("netns", "add", name)
        try:
            ip("-n", name, "link", "set", "lo", "up")
        except BaseException:
            ip("netns", "del", name)
            raise

    def exec_prefix(self) -> list[str]:
        """Command prefix that runs what follows inside this namespace."""
        return ["ip", "netns", "exec", self.name]

    def run(
        self, *command: str, timeout: float = 30.0, check: bool = True, input_text: str = ""
    ) -> str:
        """Run ``command`` inside the namespace and return its stdout (stderr on failure)."""
        result = subprocess.run(
            [*self.exec_prefix(), *command],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            input=input_text,
        )
        if check and result.returncode != 0:
            raise NamespaceError(
                f"{' '.join(command)} in {self.name} exited {result.returncode}: "
                f"{result.stderr.strip() or result.stdout.strip()}"
            )
        return result.stdout

    def popen(self, *command: str, **options: Any) -> subprocess.Popen[Any]:
        """Start ``command`` inside the namespace; it is killed when the namespace closes."""
        process: subprocess.Popen[Any] = subprocess.Popen(
            [*self.exec_prefix(), *command], start_new_session=True, **options
        )
        self._processes.append(process)
        return process

    def limit_rate(self, device: str, *, rate_mbit: float, burst_bytes: int = 32_000) -> None:
        """Shape what ``device`` sends to ``rate_mbit`` with a token bucket (tc tbf).

        The kernel here has no netem, but tbf works; delay and loss come from our components.
        """
        ip_netns = ["netns", "exec", self.name]
        tc = ["tc", "qdisc", "replace", "dev", device, "root", "tbf", "rate", f"{rate_mbit}mbit",
              "burst", str(burst_bytes), "latency", "50ms"]  # fmt: skip
        ip(*ip_netns, *tc)

    def drop_randomly(self, percent: int) -> None:
        """Drop ``percent`` % of the packets this namespace sends (nftables, random)."""
        if not 0 <= percent <= 100:
            raise ValueError(f"percent must be 0 to 100, got {percent}")
        rule = "drop" if percent == 100 else f"numgen random mod 100 < {percent} drop"
        rules = (
            "table inet nanoping_test_drop {\n"
            "  chain output { type filter hook output priority 0; policy accept;\n"
            f"    {rule}\n"
            "  }\n}\n"
        )
        self.run("nft", "-f", "-", input_text=rules)

    def wait_listening(self, port: int, timeout: float = 10.0) -> None:
        """Wait until something listens on TCP ``port`` inside the namespace."""
        deadline = time.monotonic() + timeout
        while not self.run("ss", "-ltnH", f"sport = :{port}").strip():
            if time.monotonic() > deadline:
                raise NamespaceError(f"nothing listens on TCP port {port} in {self.name}")
            time.sleep(0.05)

    def interfaces(self) -> list[str]:
        """Names of the interfaces in the namespace."""
        out = ip("-n", self.name, "-o", "link", "show")
        return [line.split(":")[1].strip().split("@")[0] for line in out.splitlines()]

    def close(self) -> None:
        """Kill what was started inside, then delete the namespace; safe to call twice."""
        for process in self._processes:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
        self._processes.clear()
        with contextlib.suppress(NamespaceError):
            ip("netns", "del", self.name)

    def __enter__(self) -> Namespace:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@contextlib.contextmanager
def namespaces(count: int, prefix: str = "npt") -> Iterator[list[Namespace]]:
    """``count`` fresh namespaces, all removed when the block ends."""
    made: list[Namespace] = []
    try:
        for _ in range(count):
            made.append(Namespace(unique_name(prefix)))
        yield made
    finally:
        for namespace in reversed(made):
            namespace.close()


def veth(
    a: Namespace, b: Namespace, a_address: str, b_address: str, *, mtu: int = 1500
) -> tuple[str, str]:
    """Join ``a`` and ``b`` by a veth pair with these addresses (CIDR form), links up.

    Returns the names of the two ends; the pair goes away with either namespace.
    """
    a_end, b_end = unique_name("vth"), unique_name("vth")
    ip("link", "add", a_end, "mtu", str(mtu), "netns", a.name, "type", "veth",
       "peer", "name", b_end, "mtu", str(mtu), "netns", b.name)  # fmt: skip
    for namespace, end, address in ((a, a_end, a_address), (b, b_end, b_address)):
        ip("-n", namespace.name, "addr", "add", address, "dev", end)
        ip("-n", namespace.name, "link", "set", end, "up")
    return a_end, b_end


class PipelineProcess:
    """A pipeline run by :mod:`nanoping.testing.pipeline_process` inside a namespace.

    ``prefix`` is put before the Python command (e.g. a tool that drops capabilities).
    """

    def __init__(
        self,
        namespace: Namespace,
        doc: dict[str, object],
        *,
        timeout: float = 20.0,
        prefix: Sequence[str] = (),
    ) -> None:
        self._output: str | None = None
        self._dir = tempfile.TemporaryDirectory(prefix="np-pipeline-")
        config = Path(self._dir.name) / "pipeline.json"
        config.write_text(json.dumps(doc))
        self.process = namespace.popen(
            *prefix, sys.executable, "-m", "nanoping.testing.pipeline_process", str(config),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        deadline = time.monotonic() + timeout
        lines: list[str] = []
        with selectors.DefaultSelector() as selector:
            selector.register(stdout, selectors.EVENT_READ)
            while (left := deadline - time.monotonic()) > 0 and selector.select(left):
                line = stdout.readline()  # the harness prints whole lines, flushed
                if not line:
                    break
                lines.append(line)
                if line.strip() == READY_LINE:
                    return
        self.stop()
        raise NamespaceError(f"pipeline did not start: {''.join(lines).strip()}")

    @property
    def pid(self) -> int:
        """Process id of the pipeline (``ip netns exec`` replaces itself with it)."""
        return self.process.pid

    def stop(self) -> str:
        """Stop the pipeline (SIGTERM, then SIGKILL) and return what it printed; idempotent."""
        if self._output is not None:
            return self._output
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        output = self.process.stdout.read() if self.process.stdout else ""
        if self.process.stdout:
            self.process.stdout.close()
        self._dir.cleanup()
        self._output = output
        return output

    def __enter__(self) -> PipelineProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@dataclass(frozen=True, slots=True)
class Impairments:
    """What the emulated link does to each direction."""

    delay_ms: int = 0
    """Constant one-way delay, milliseconds."""
    loss_percent: float = 0.0
    """Random loss, percent (seeded)."""
    rate_mbit: float | None = None
    """Rate limit, Mbit/s; None for none."""
    jitter_ms: float = 0.0
    """Standard deviation of a normal jitter added to the delay (order kept), milliseconds."""
    burst_loss: tuple[float, float] | None = None
    """Gilbert-Elliott burst loss (p, r) in percent, every packet lost in the bad state."""
    seed: int = 13
    """Seed of the random draws."""


@dataclass(frozen=True, slots=True)
class Chain:
    """Impairment components between a producer and a consumer, and the two end links."""

    components: dict[str, dict[str, dict[str, object]]]
    into: str
    """Link the producer writes in its ``output``."""
    out_of: str
    """Link the consumer writes in its ``input``."""


def impairment_chain(prefix: str, producer: str, consumer: str, impairments: Impairments) -> Chain:
    """delay → (jitter) → loss → (burst loss) → (rate), ids starting with ``prefix``."""
    stages: list[tuple[str, str, dict[str, object]]] = [
        (f"{prefix}delay", "delay_constant", {"delay": impairments.delay_ms}),
        (
            f"{prefix}loss",
            "loss_dynamic",
            {
                "seed": impairments.seed,
                "phases": [{"duration": 1000, "loss_probability": impairments.loss_percent}],
            },
        ),
    ]
    if impairments.jitter_ms:
        jitter: dict[str, object] = {"spread": impairments.jitter_ms, "seed": impairments.seed}
        stages.insert(1, (f"{prefix}jitter", "jitter", jitter))
    if impairments.burst_loss is not None:
        p, r = impairments.burst_loss
        burst: dict[str, object] = {"p": p, "r": r, "seed": impairments.seed}
        stages.append((f"{prefix}burst", "loss_gilbert_elliott", burst))
    if impairments.rate_mbit is not None:
        phase = {"duration": 1000, "bandwidth_limit_mbit": impairments.rate_mbit}
        stages.append((f"{prefix}rate", "bandwidth_limit_dynamic", {"phases": [phase]}))
    ids = [producer, *(stage[0] for stage in stages), consumer]
    links = [wire(ids[i + 1], 0, ids[i], 0) for i in range(len(ids) - 1)]
    components: dict[str, dict[str, dict[str, object]]] = {
        cid: {kind: {"flows": [{"input": links[i], "output": links[i + 1]}], **extra}}
        for i, (cid, kind, extra) in enumerate(stages)
    }
    return Chain(components=components, into=links[0], out_of=links[-1])


@dataclass(frozen=True, slots=True)
class EmulatedLink:
    """Namespaces A and B joined through a relay pipeline in a middle namespace."""

    a: Namespace
    b: Namespace
    middle: Namespace
    a_address: str
    """A's own underlay address."""
    b_address: str
    """B's own underlay address."""
    a_to_b: str
    """host:port A sends to for B to receive (B receives on ``b_address``:RELAY_PORT)."""
    b_to_a: str
    """host:port B sends to for A to receive (A receives on ``a_address``:RELAY_PORT)."""


def relay_doc(
    *, a_side: str, b_side: str, a_address: str, b_address: str, impairments: Impairments
) -> dict[str, object]:
    """The middle pipeline: ``udp ⇄ delay/loss/rate ⇄ udp`` between A and B."""
    forward = impairment_chain("ab_", "ua", "ub", impairments)
    backward = impairment_chain(
        "ba_", "ub", "ua", Impairments(**{**_fields(impairments), "seed": impairments.seed + 1})
    )
    pipeline = {**forward.components, **backward.components}
    for cid, side, peer, out, into in (
        ("ua", a_side, a_address, forward.into, backward.out_of),
        ("ub", b_side, b_address, backward.into, forward.out_of),
    ):
        pipeline[cid] = {
            "udp_socket": {
                "bind_address": f"{side}:{RELAY_PORT}",
                "remote_address": f"{peer}:{RELAY_PORT}",
                "output": out,
                "input": into,
            }
        }
    return config_doc(pipeline)


def _fields(impairments: Impairments) -> dict[str, Any]:
    return {name: getattr(impairments, name) for name in Impairments.__slots__}


@contextlib.contextmanager
def emulated_link(
    impairments: Impairments = Impairments(), *, prefix: str = "npl"
) -> Iterator[EmulatedLink]:
    """Namespaces A and B whose UDP between them crosses an impaired relay in namespace M.

    A reaches B by sending to ``link.a_to_b`` from ``a_address``:RELAY_PORT, and B reaches A
    by sending to ``link.b_to_a`` from ``b_address``:RELAY_PORT; each direction is delayed
    by ``impairments.delay_ms``, loses ``loss_percent`` % (seeded) and is limited to
    ``rate_mbit``.
    """
    with namespaces(3, prefix) as (a, middle, b):
        veth(a, middle, "10.131.1.1/24", "10.131.1.254/24")
        veth(middle, b, "10.131.2.254/24", "10.131.2.1/24")
        doc = relay_doc(
            a_side="10.131.1.254", b_side="10.131.2.254", a_address="10.131.1.1",
            b_address="10.131.2.1", impairments=impairments,
        )  # fmt: skip
        with PipelineProcess(middle, doc):
            yield EmulatedLink(
                a=a,
                b=b,
                middle=middle,
                a_address="10.131.1.1",
                b_address="10.131.2.1",
                a_to_b=f"10.131.1.254:{RELAY_PORT}",
                b_to_a=f"10.131.2.254:{RELAY_PORT}",
            )
