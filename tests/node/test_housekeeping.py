"""Housekeeping from the shell: status, down, leave, nodes remove, pipelines by name,
deleting a running pipeline, name warnings and shell completion."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from nanoping.testing.cluster import join, start_controller
from nanoping.testing.node_process import NodeProcess, run_np
from nanoping.testing.reference_client import ReferenceApi

SEED_PIPELINE = Path(__file__).resolve().parents[2] / "examples" / "python" / "pipeline_config.json"


def ok(*args: str) -> subprocess.CompletedProcess[str]:
    result = run_np(list(args))
    assert result.returncode == 0, result.stderr
    return result


def test_status_and_down_find_the_node_through_its_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "node"
    node = NodeProcess(data_dir=data_dir).start()
    try:
        status = json.loads(ok("status", "--data-dir", str(data_dir), "--json").stdout)
        assert status["id"] == node.node_id
        assert node.process is not None
        assert status["pid"] == node.process.pid
        assert status["listening"] == {"gRPC API": node.grpc_address}
        assert status["hubLink"] == "unauthenticated"
        assert status["runs"] == []
        text = ok("status", "--data-dir", str(data_dir)).stdout.splitlines()
        assert text[0] == f"node {node.node_id} ({node.name}) is running as pid {status['pid']}"
        assert f"  gRPC API: {node.grpc_address}" in text
        down = ok("down", "--data-dir", str(data_dir))
        assert down.stdout == f"node {node.node_id} (pid {status['pid']}) stopped\n"
        assert node.wait() == 0
    finally:
        node.stop()
    gone = run_np(["status", "--data-dir", str(data_dir)])
    assert gone.returncode == 3
    assert gone.stderr == f"np: status: no node is running on data dir '{data_dir}'\n"
    again = run_np(["down", "--data-dir", str(data_dir)])
    assert again.returncode == 1
    assert again.stderr == f"np: down: no node is running on data dir '{data_dir}'\n"


def test_leave_and_nodes_remove(tmp_path: Path, reference_api: ReferenceApi) -> None:
    controller = start_controller(tmp_path)
    client = NodeProcess(data_dir=tmp_path / "client").start()
    on_hub = ("--grpc", controller.grpc_address)
    try:
        join(reference_api, controller, client)
        left = ok("leave", "--grpc", client.grpc_address)
        assert left.stdout == f"node {client.node_id} left its hub\n"
        assert client.node_id not in ok("nodes", *on_hub).stdout
        not_joined = run_np(["leave", "--grpc", client.grpc_address])
        assert not_joined.stderr == "np: leave: this node has not joined a hub\n"
        join(reference_api, controller, client)
        assert client.node_id in ok("nodes", *on_hub).stdout
        removed = ok("nodes", "remove", client.name, *on_hub)
        assert removed.stdout == f"removed node {client.node_id} from the hub\n"
        assert client.node_id not in ok("nodes", *on_hub).stdout
    finally:
        client.stop()
        controller.stop()


def test_pipelines_by_name_warnings_and_delete_needs_force(tmp_path: Path) -> None:
    with NodeProcess(data_dir=tmp_path / "node") as node:
        grpc = ("--grpc", node.grpc_address)
        config = ("--config", str(SEED_PIPELINE))
        first = ok("pipelines", "create", *grpc, "--name", "demo", *config)
        assert first.stderr == ""
        ok("pipelines", "start", *grpc, "demo")
        refused = run_np(["pipelines", "delete", *grpc, "demo"])
        assert refused.returncode == 1
        assert "is running (run " in refused.stderr
        assert "pass --force to stop and delete it" in refused.stderr
        assert "[running" in ok("pipelines", "list", *grpc).stdout
        ok("pipelines", "delete", *grpc, "demo", "--force")
        assert ok("pipelines", "list", *grpc).stdout == ""
        ok("pipelines", "create", *grpc, "--name", "twin", *config)
        second = ok("pipelines", "create", *grpc, "--name", "twin", *config)
        assert "np: warning: another pipeline is named 'twin'" in second.stderr
        blank = ok("pipelines", "create", *grpc, "--name", "", *config)
        assert "np: warning: the pipeline has no name" in blank.stderr
        ambiguous = run_np(["pipelines", "show", *grpc, "twin"])
        assert ambiguous.returncode == 1
        assert ambiguous.stderr.startswith(
            "np: pipelines show: NOT_FOUND: pipeline name 'twin' is ambiguous: 2 pipelines have it"
        )


def test_bash_completion_knows_commands_and_options(tmp_path: Path) -> None:
    script = tmp_path / "np.bash"
    script.write_text(ok("completion", "bash").stdout)

    def complete(*words: str) -> list[str]:
        line = " ".join(f"'{word}'" for word in words)
        shell = (
            f"source '{script}'; COMP_WORDS=(np {line}); COMP_CWORD={len(words)}; _np; "
            'printf "%s\\n" "${COMPREPLY[@]}"'
        )
        result = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, check=True)
        return result.stdout.split()

    assert complete("pip") == ["pipelines"]
    assert complete("-c", "node.yaml", "pipelines", "de") == ["delete"]
    assert "--force" in complete("pipelines", "delete", "--")
    assert complete("nodes", "remove", "--g") == ["--grpc"]
    zsh = ok("completion", "zsh").stdout
    assert zsh.startswith("autoload -U +X bashcompinit && bashcompinit\n")
