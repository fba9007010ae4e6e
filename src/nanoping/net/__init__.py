"""Socket-level helpers shared by every listener of the node."""
