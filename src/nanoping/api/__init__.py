"""Generated from proto/nanoping/api; do not edit; run scripts/gen_protos.py."""
