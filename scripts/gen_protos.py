#!/usr/bin/env python3
"""Regenerate the Python code of every .proto under proto/ with grpc_tools.protoc.

Each proto directory becomes a Python package of the same dotted path under src/
(proto/nanoping/api/x.proto -> src/nanoping/api/x_pb2.py, x_pb2.pyi, x_pb2_grpc.py), so the
import path of a proto equals the module path of its generated code. Code is first generated
into a temporary tree and then compared with the output tree: the default mode writes what
differs and removes generated files whose proto is gone; --check only reports and exits 1.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py")
INIT_MARKER = '"""Generated from proto/'


@dataclass
class TreeDiff:
    """Relative paths (under the output root) where the output tree differs from fresh code."""

    changed: list[Path] = field(default_factory=list)
    """Files whose committed bytes differ from freshly generated ones."""
    missing: list[Path] = field(default_factory=list)
    """Files that should exist but do not."""
    extra: list[Path] = field(default_factory=list)
    """Generated files with no proto behind them any more."""

    def is_empty(self) -> bool:
        """True when the output tree is up to date."""
        return not (self.changed or self.missing or self.extra)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options; defaults point at this repository."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write; exit 1 and list stale files if the output tree is not up to date",
    )
    parser.add_argument(
        "--proto-root",
        type=Path,
        default=REPO_ROOT / "proto",
        help="directory holding the .proto tree, also the protoc import root (default: proto/)",
    )
    parser.add_argument(
        "--out-root",
        type=Path,
        default=REPO_ROOT / "src",
        help="directory the generated packages live under (default: src/)",
    )
    return parser.parse_args(argv)


def find_protos(proto_root: Path) -> list[Path]:
    """All .proto files under the root, relative to it, in a stable order."""
    return sorted(path.relative_to(proto_root) for path in proto_root.rglob("*.proto"))


def well_known_protos_dir() -> Path:
    """Include directory of google/protobuf/*.proto shipped inside grpc_tools."""
    spec = importlib.util.find_spec("grpc_tools")
    if spec is None or spec.origin is None:
        raise SystemExit("grpc_tools is not installed (pip install grpcio-tools)")
    return Path(spec.origin).parent / "_proto"


def run_protoc(proto_root: Path, protos: list[Path], out_dir: Path) -> None:
    """Compile the protos into out_dir: messages, type stubs and gRPC service code."""
    command = [
        sys.executable,
        "-m",
        "grpc_tools.protoc",
        f"-I{proto_root}",
        f"-I{well_known_protos_dir()}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *(str(proto_root / proto) for proto in protos),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"protoc failed:\n{result.stderr}")


def write_package_inits(protos: list[Path], out_dir: Path) -> None:
    """Give each generated package an __init__.py that says where it comes from."""
    for package in sorted({proto.parent for proto in protos}):
        docstring = (
            f'{INIT_MARKER}{package.as_posix()}; do not edit; run scripts/gen_protos.py."""\n'
        )
        (out_dir / package / "__init__.py").write_text(docstring, encoding="utf-8")


def generate(proto_root: Path, out_dir: Path) -> None:
    """Write the complete generated tree for proto_root into out_dir."""
    protos = find_protos(proto_root)
    if protos:
        run_protoc(proto_root, protos, out_dir)
        write_package_inits(protos, out_dir)


def files_under(root: Path) -> set[Path]:
    """Every file below root, relative to it."""
    return {path.relative_to(root) for path in root.rglob("*") if path.is_file()}


def is_owned(path: Path) -> bool:
    """Whether an existing output file is one this script generates."""
    if path.name.endswith(GENERATED_SUFFIXES):
        return True
    if path.name != "__init__.py":
        return False
    return path.read_text(encoding="utf-8").startswith(INIT_MARKER)


def owned_files(proto_root: Path, out_root: Path) -> set[Path]:
    """Generated files present in the output tree.

    Looks in the output dirs that mirror a proto directory and in any dir holding an
    __init__.py this script wrote (so a deleted proto directory leaves nothing behind).
    """
    mirrors = [out_root / d.relative_to(proto_root) for d in proto_root.rglob("*") if d.is_dir()]
    marked = [init.parent for init in out_root.rglob("__init__.py") if is_owned(init)]
    found: set[Path] = set()
    for out_dir in {out_root, *mirrors, *marked}:
        if out_dir.is_dir():
            found |= {p for p in out_dir.iterdir() if p.is_file() and is_owned(p)}
    return {path.relative_to(out_root) for path in found}


def compare(fresh_root: Path, proto_root: Path, out_root: Path) -> TreeDiff:
    """How out_root differs from the freshly generated tree in fresh_root."""
    fresh = files_under(fresh_root)
    diff = TreeDiff()
    for path in sorted(fresh):
        target = out_root / path
        if not target.is_file():
            diff.missing.append(path)
        elif target.read_bytes() != (fresh_root / path).read_bytes():
            diff.changed.append(path)
    diff.extra = sorted(owned_files(proto_root, out_root) - fresh)
    return diff


def apply(diff: TreeDiff, fresh_root: Path, out_root: Path) -> None:
    """Bring out_root up to date, touching only the files that differ."""
    for path in [*diff.missing, *diff.changed]:
        target = out_root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((fresh_root / path).read_bytes())
    for path in diff.extra:
        (out_root / path).unlink()


def describe(diff: TreeDiff, out_root: Path) -> list[str]:
    """One line per stale file, prefixed with what is wrong with it."""
    groups = (("changed", diff.changed), ("missing", diff.missing), ("extra", diff.extra))
    return [f"  {kind}: {shown(out_root / path)}" for kind, paths in groups for path in paths]


def shown(path: Path) -> str:
    """A path as printed: relative to the repository when it lies inside it."""
    resolved = path.resolve()
    if resolved.is_relative_to(REPO_ROOT):
        return resolved.relative_to(REPO_ROOT).as_posix()
    return str(path)


def main(argv: list[str] | None = None) -> int:
    """Regenerate (or with --check, verify) the generated code; returns the exit status."""
    args = parse_args(argv)
    proto_root: Path = args.proto_root.resolve()
    out_root: Path = args.out_root.resolve()
    with tempfile.TemporaryDirectory(prefix="gen_protos_") as tmp:
        fresh_root = Path(tmp)
        generate(proto_root, fresh_root)
        diff = compare(fresh_root, proto_root, out_root)
        if args.check:
            return report_check(diff, out_root)
        apply(diff, fresh_root, out_root)
    report_write(diff, out_root)
    return 0


def report_write(diff: TreeDiff, out_root: Path) -> None:
    """Print what a regeneration changed."""
    lines = describe(diff, out_root)
    if not lines:
        print("generated code already up to date")
        return
    print(f"updated {len(lines)} file(s):")
    print("\n".join(lines))


def report_check(diff: TreeDiff, out_root: Path) -> int:
    """Print the verdict of --check; non-zero when anything is stale."""
    if diff.is_empty():
        print("generated code is up to date")
        return 0
    print("stale generated code; run scripts/gen_protos.py to refresh:")
    print("\n".join(describe(diff, out_root)))
    return 1


if __name__ == "__main__":
    sys.exit(main())
