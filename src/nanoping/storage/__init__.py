"""Durable storage of a node: one SQLite file in the data dir, behind small store classes."""
