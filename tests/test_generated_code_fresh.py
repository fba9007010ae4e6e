"""The committed generated code must be what scripts/gen_protos.py produces from proto/.

Each test runs the script in a subprocess, the way a developer or CI would.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SCRIPT = REPO_ROOT / "scripts" / "gen_protos.py"
API_PACKAGE = Path("nanoping") / "api"


def run_script(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run the generation script with the current interpreter and capture its output."""
    return subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def generate_into(out_root: Path) -> None:
    """Generate the whole tree under out_root and insist it worked."""
    result = run_script("--out-root", out_root)
    assert result.returncode == 0, result.stdout + result.stderr


def file_bytes(root: Path) -> dict[Path, bytes]:
    """Every file below root, keyed by relative path."""
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_committed_generated_code_is_fresh() -> None:
    result = run_script("--check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "up to date" in result.stdout


def test_help_describes_the_options() -> None:
    result = run_script("--help")
    assert result.returncode == 0
    for option in ("--check", "--out-root", "--proto-root"):
        assert option in result.stdout


def test_generation_is_deterministic(tmp_path: Path) -> None:
    generate_into(tmp_path / "first")
    generate_into(tmp_path / "second")
    first = file_bytes(tmp_path / "first")
    assert first == file_bytes(tmp_path / "second")
    assert API_PACKAGE / "hub_client_pb2_grpc.py" in first


def test_second_run_changes_nothing(tmp_path: Path) -> None:
    generate_into(tmp_path)
    result = run_script("--out-root", tmp_path)
    assert result.returncode == 0
    assert "already up to date" in result.stdout


def test_check_lists_every_stale_file(tmp_path: Path) -> None:
    generate_into(tmp_path)
    api = tmp_path / API_PACKAGE
    with (api / "metrics_pb2.py").open("a", encoding="utf-8") as changed:
        changed.write("# edited by hand\n")
    (api / "resources_pb2.pyi").unlink()
    shutil.copy(api / "config_pb2.py", api / "retired_pb2.py")
    result = run_script("--check", "--out-root", tmp_path)
    assert result.returncode == 1
    assert "changed: " in result.stdout
    assert "metrics_pb2.py" in result.stdout
    assert "missing: " in result.stdout
    assert "resources_pb2.pyi" in result.stdout
    assert "extra: " in result.stdout
    assert "retired_pb2.py" in result.stdout


def test_check_leaves_the_tree_alone(tmp_path: Path) -> None:
    generate_into(tmp_path)
    stale = tmp_path / API_PACKAGE / "hub_node_pb2.py"
    stale.write_text("stale\n", encoding="utf-8")
    assert run_script("--check", "--out-root", tmp_path).returncode == 1
    assert stale.read_text(encoding="utf-8") == "stale\n"


def test_regeneration_repairs_and_prunes(tmp_path: Path) -> None:
    generate_into(tmp_path)
    api = tmp_path / API_PACKAGE
    (api / "hub_node_pb2.py").write_text("stale\n", encoding="utf-8")
    shutil.copy(api / "config_pb2.py", api / "retired_pb2.py")
    (api / "notes.txt").write_text("not generated\n", encoding="utf-8")
    generate_into(tmp_path)
    assert run_script("--check", "--out-root", tmp_path).returncode == 0
    assert not (api / "retired_pb2.py").exists()
    assert (api / "notes.txt").exists()


def test_hand_written_init_is_not_owned(tmp_path: Path) -> None:
    """Only __init__.py files the script wrote count as generated; others are left alone."""
    generate_into(tmp_path)
    parent_init = tmp_path / "nanoping" / "__init__.py"
    parent_init.write_text('"""Hand-written package."""\n', encoding="utf-8")
    generate_into(tmp_path)
    assert parent_init.exists()


def test_package_of_a_deleted_proto_directory_is_reported(tmp_path: Path) -> None:
    generate_into(tmp_path)
    shutil.copytree(tmp_path / API_PACKAGE, tmp_path / "nanoping" / "retired")
    result = run_script("--check", "--out-root", tmp_path)
    assert result.returncode == 1
    assert "nanoping/retired/__init__.py" in result.stdout
    assert "nanoping/retired/hub_node_pb2.py" in result.stdout
