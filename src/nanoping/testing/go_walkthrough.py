"""Build and run the Go walkthrough (examples/go/walkthrough) against real nodes.

The program is built with grpc-go from Debian's Go packages, in GOPATH mode (no module proxy
is needed): stubs come from this repository's protos through protoc-gen-go and
protoc-gen-go-grpc, so a real Go gRPC client proves the nodes speak the public API.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from nanoping.testing.cluster import hub_url
from nanoping.testing.node_process import NodeProcess

REPOSITORY = Path(__file__).resolve().parents[3]
PROTO_ROOT = REPOSITORY / "proto"
PROGRAM = REPOSITORY / "examples" / "go" / "walkthrough"
PIPELINE_CONFIG = REPOSITORY / "examples" / "python" / "pipeline_config.json"
DEBIAN_GOPATH = Path("/usr/share/gocode")
TOOLS = ("go", "protoc", "protoc-gen-go", "protoc-gen-go-grpc")


class GoBuildFailed(RuntimeError):
    """The Go walkthrough could not be built; the message says which step and why."""


def missing_go_tools() -> str | None:
    """What is missing to build the Go walkthrough (None when everything is there)."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if not (DEBIAN_GOPATH / "src" / "google.golang.org" / "grpc").is_dir():
        missing.append("golang-google-grpc-dev")
    if not (PROGRAM / "main.go").is_file() or not PROTO_ROOT.is_dir():
        missing.append(f"the repository's examples and protos under {REPOSITORY}")
    return ", ".join(missing) or None


def _run(step: str, command: list[str], env: dict[str, str] | None = None) -> None:
    result = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=300, check=False
    )
    if result.returncode != 0:
        raise GoBuildFailed(f"{step} failed ({result.returncode}): {result.stderr.strip()}")


def build_go_walkthrough(work: Path) -> Path:
    """Generate the Go stubs and build the walkthrough under ``work``; returns the binary."""
    if problem := missing_go_tools():
        raise GoBuildFailed(f"cannot build the Go walkthrough: missing {problem}")
    source = work / "src"
    source.mkdir(parents=True, exist_ok=True)
    protos = sorted(
        str(path.relative_to(PROTO_ROOT)) for path in PROTO_ROOT.glob("nanoping/api/*.proto")
    )
    _run(
        "protoc",
        [
            "protoc", f"-I{PROTO_ROOT}", f"--go_out={source}", "--go_opt=paths=import",
            f"--go-grpc_out={source}", "--go-grpc_opt=paths=import", *protos,
        ],
    )  # fmt: skip
    shutil.copytree(PROGRAM, source / "walkthrough", dirs_exist_ok=True)
    binary = work / "walkthrough"
    env = {
        **os.environ,
        "GO111MODULE": "off",
        "GOPATH": f"{work}{os.pathsep}{DEBIAN_GOPATH}",
        "GOFLAGS": "",
    }
    _run("go build", ["go", "build", "-o", str(binary), "walkthrough"], env)
    return binary


def run_go_walkthrough(
    binary: Path,
    controller: NodeProcess,
    client: NodeProcess,
    *,
    approver_delay: float = 0.0,
    deadline: float = 45.0,
) -> subprocess.CompletedProcess[str]:
    """Run the built walkthrough once against ``controller`` and ``client``."""
    return subprocess.run(
        [
            str(binary),
            "-client", client.grpc_address,
            "-controller", controller.grpc_address,
            "-hub", hub_url(controller),
            "-pipeline-config", str(PIPELINE_CONFIG),
            "-approver-delay", f"{approver_delay}s",
            "-deadline", f"{deadline}s",
        ],
        capture_output=True, text=True, timeout=deadline + 15, check=False,
    )  # fmt: skip
