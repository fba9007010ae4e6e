"""A node killed with -9 while its run holds a TUN interface leaves no interface behind."""

import json
import os
import signal
import sys
import time
from pathlib import Path

from nanoping.dataplane.fakes import config_doc, wire
from nanoping.testing.netns import Namespace, namespaces
from nanoping.testing.node_process import NodeProcess


def np_in(namespace: Namespace, *args: str) -> str:
    """Run an ``np`` client command inside the namespace (where the node listens)."""
    return namespace.run(sys.executable, "-m", "nanoping.cli.main", *args)


def wait_for(condition: object, what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_kill_9_of_the_node_leaves_no_interface_once_it_restarts(tmp_path: Path) -> None:
    to_udp, to_tun = wire("udp", 0, "tun", 0), wire("tun", 0, "udp", 0)
    doc = config_doc(
        {
            "tun": {"tun": {"interface_name": "np13k", "ip": "192.168.135.1",
                            "output": to_udp, "input": to_tun}},
            "udp": {"udp_socket": {"bind_address": "127.0.0.1:0", "remote_address": "127.0.0.1:9",
                                   "input": to_udp, "output": to_tun}},
        }
    )  # fmt: skip
    config = tmp_path / "tun.json"
    config.write_text(json.dumps(doc))
    data_dir = tmp_path / "node"
    with namespaces(1, "np13") as (ns,):
        node = NodeProcess(data_dir=data_dir, command_prefix=ns.exec_prefix()).start()
        try:
            grpc = ("--grpc", node.grpc_address)
            created = json.loads(np_in(ns, "pipelines", "create", *grpc, "--name", "tun",
                                       "--config", str(config), "--json"))  # fmt: skip
            pipeline_id = created["id"]
            np_in(ns, "pipelines", "start", *grpc, pipeline_id)
            wait_for(lambda: "np13k" in ns.interfaces(), "the run's interface")
            assert node.process is not None
            os.kill(node.process.pid, signal.SIGKILL)  # the node only: its run must follow
            node.wait()
        finally:
            node.kill()
        wait_for(lambda: "np13k" not in ns.interfaces(), "the interface to go")
        with NodeProcess(data_dir=data_dir, command_prefix=ns.exec_prefix()) as again:
            shown = json.loads(np_in(ns, "pipelines", "show", "--grpc", again.grpc_address,
                                     pipeline_id, "--json"))  # fmt: skip
            assert "np13k" not in ns.interfaces()
        assert shown["id"] == pipeline_id
