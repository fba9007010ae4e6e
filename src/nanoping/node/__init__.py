"""The node daemon: data dir, identity, listeners and lifecycle."""
