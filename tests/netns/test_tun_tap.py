"""Real traffic through tun/tap pipelines between two network namespaces joined by veth."""

import json
import os
import re
import signal
import time
from collections.abc import Iterator

import pytest

from nanoping.dataplane.fakes import config_doc, wire
from nanoping.testing.netns import (
    Impairments,
    Namespace,
    NamespaceError,
    PipelineProcess,
    emulated_link,
    namespaces,
    veth,
)

PORT = 4000


def tunnel_doc(
    kind: str,
    *,
    name: str,
    inner: str,
    bind: str,
    remote: str,
    mtu: int = 1400,
    offload: bool = False,
) -> dict[str, object]:
    """``kind`` (tun or tap) ⇄ udp_socket: the interface's packets travel as datagrams."""
    to_udp, to_dev = wire("udp", 0, "dev", 0), wire("dev", 0, "udp", 0)
    extra = {"generic_offload": True} if offload else {}
    return config_doc(
        {
            "dev": {
                kind: {
                    "interface_name": name,
                    "ip": inner,
                    "mtu": mtu,
                    "output": to_udp,
                    "input": to_dev,
                    **extra,
                }
            },
            "udp": {
                "udp_socket": {
                    "bind_address": bind,
                    "remote_address": remote,
                    "input": to_udp,
                    "output": to_dev,
                }
            },
        }
    )


@pytest.fixture
def pair() -> Iterator[tuple[Namespace, Namespace]]:
    with namespaces(2, "np13") as (a, b):
        veth(a, b, "10.132.0.1/24", "10.132.0.2/24")
        yield a, b


def start_tunnel(
    kind: str, a: Namespace, b: Namespace, a_remote: str, b_remote: str, *, offload: bool = False
) -> tuple[PipelineProcess, PipelineProcess]:
    one = PipelineProcess(
        a,
        tunnel_doc(
            kind,
            name="np13x",
            inner="192.168.131.1",
            bind=f"10.132.0.1:{PORT}",
            remote=a_remote,
            offload=offload,
        ),
    )
    try:
        two = PipelineProcess(
            b,
            tunnel_doc(
                kind,
                name="np13x",
                inner="192.168.131.2",
                bind=f"10.132.0.2:{PORT}",
                remote=b_remote,
                offload=offload,
            ),
        )
    except BaseException:
        one.stop()
        raise
    return one, two


def ping(namespace: Namespace, address: str, count: int = 3) -> list[float]:
    """Ping and return the RTTs in ms; fails the test when a reply is missing."""
    out = namespace.run("ping", "-c", str(count), "-i", "0.2", "-W", "3", address)
    assert f"{count} received" in out, out
    return [float(x) for x in re.findall(r"time=([0-9.]+) ms", out)]


@pytest.mark.parametrize("offload", [False, True], ids=["packets", "generic_offload"])
def test_ping_and_a_tcp_transfer_cross_tun_pipelines(
    pair: tuple[Namespace, Namespace], offload: bool
) -> None:
    a, b = pair
    one, two = start_tunnel(
        "tun", a, b, f"10.132.0.2:{PORT}", f"10.132.0.1:{PORT}", offload=offload
    )
    with one, two:
        assert "np13x" in a.interfaces()
        assert len(ping(a, "192.168.131.2")) == 3
        server = b.popen("iperf3", "-s", "-1", "-B", "192.168.131.2", "--logfile", "/dev/null")
        b.wait_listening(5201)
        report = json.loads(
            a.run("iperf3", "-c", "192.168.131.2", "-n", "8M", "-J", "--connect-timeout", "5000")
        )
        server.wait(timeout=10)
        udp = json.loads(one.stop().splitlines()[-1])["/components/udp"]
    sent, received = report["end"]["sum_sent"]["bytes"], report["end"]["sum_received"]["bytes"]
    # iperf3 stops counting once the client has written its 8 MiB, with some still in flight.
    assert sent >= 8 * 1024 * 1024
    assert sent >= received >= 4 * 1024 * 1024
    per_datagram = udp["bytes_sent"] / udp["datagrams_sent"]
    if offload:  # TCP super-packets crossed whole, the kernel segmenting them at the far end
        assert per_datagram > 1400
    else:
        assert per_datagram <= 1400
    assert "np13x" not in a.interfaces()  # gone with the run


def test_a_tap_pipeline_carries_arp_and_ping(pair: tuple[Namespace, Namespace]) -> None:
    a, b = pair
    one, two = start_tunnel("tap", a, b, f"10.132.0.2:{PORT}", f"10.132.0.1:{PORT}")
    with one, two:
        b_mac = json.loads(b.run("ip", "-j", "link", "show", "np13x"))[0]["address"]
        assert len(ping(a, "192.168.131.2", count=2)) == 2
        neighbours = json.loads(a.run("ip", "-j", "neigh", "show", "dev", "np13x"))
    learned = {entry["dst"]: entry.get("lladdr") for entry in neighbours}
    assert learned["192.168.131.2"] == b_mac  # resolved by ARP through the pipelines


def test_a_tun_tunnel_over_the_emulated_link_sees_its_delay() -> None:
    with emulated_link(Impairments(delay_ms=15)) as link:
        one = PipelineProcess(
            link.a,
            tunnel_doc("tun", name="np13e", inner="192.168.133.1",
                       bind=f"{link.a_address}:{PORT}", remote=link.a_to_b),
        )  # fmt: skip
        with one, PipelineProcess(
            link.b,
            tunnel_doc("tun", name="np13e", inner="192.168.133.2",
                       bind=f"{link.b_address}:{PORT}", remote=link.b_to_a),
        ):  # fmt: skip
            rtts = ping(link.a, "192.168.133.2")
    assert min(rtts) >= 30.0  # 15 ms each way through the relay's delay_constant


def test_without_net_admin_the_run_fails_at_start_saying_so() -> None:
    with namespaces(1, "np13") as (a,):
        doc = tunnel_doc("tun", name="np13p", inner="192.168.134.1", bind="127.0.0.1:0", remote="")
        with pytest.raises(Exception, match="needs root or CAP_NET_ADMIN"):
            # capsh is not installed everywhere; setpriv (util-linux) drops the capability.
            PipelineProcess(a, doc, prefix=("setpriv", "--inh-caps=-net_admin",
                                            "--bounding-set=-net_admin", "--"))  # fmt: skip


def test_a_run_killed_with_9_takes_its_interface_with_it() -> None:
    with namespaces(1, "np13") as (a,):
        doc = tunnel_doc("tun", name="np13r", inner="192.168.136.1", bind="127.0.0.1:0",
                         remote="127.0.0.1:9")  # fmt: skip
        run = PipelineProcess(a, doc)
        try:
            assert "np13r" in a.interfaces()
            os.kill(run.pid, signal.SIGKILL)
            run.process.wait(timeout=10)
        finally:
            run.stop()
        deadline = time.monotonic() + 10
        while "np13r" in a.interfaces():
            assert time.monotonic() < deadline, "the interface outlived its run"
            time.sleep(0.05)


def test_a_run_whose_interface_is_deleted_fails_saying_so() -> None:
    with namespaces(1, "np13") as (a,):
        doc = tunnel_doc("tun", name="np13d", inner="192.168.137.1", bind="127.0.0.1:0",
                         remote="127.0.0.1:9")  # fmt: skip
        run = PipelineProcess(a, doc)
        try:
            a.run("ip", "link", "del", "np13d")
            run.process.wait(timeout=10)
        finally:
            output = run.stop()
    outcome = json.loads(output.splitlines()[0])
    assert outcome["exit_code"] == 1
    assert "interface 'np13d' stopped working" in outcome["reason"]


def test_a_persistent_interface_of_the_same_name_is_refused_not_reused() -> None:
    with namespaces(1, "np13") as (a,):
        a.run("ip", "tuntap", "add", "dev", "np13q", "mode", "tun")
        doc = tunnel_doc("tun", name="np13q", inner="192.168.138.1", bind="127.0.0.1:0",
                         remote="127.0.0.1:9")  # fmt: skip
        with pytest.raises(NamespaceError, match="a persistent interface of that name exists"):
            PipelineProcess(a, doc)
        assert "np13q" in a.interfaces()  # left as it was
        assert "192.168.138.1" not in a.run("ip", "addr", "show", "np13q")
