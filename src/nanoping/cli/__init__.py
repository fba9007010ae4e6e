"""The `np` command."""
