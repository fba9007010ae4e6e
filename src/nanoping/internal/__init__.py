"""Generated from proto/nanoping/internal; do not edit; run scripts/gen_protos.py."""
