"""Streams of items inside the node, independent of any transport.

- ``fanout``: hands each published item to every open subscriber, each reading in order from
  its own bounded backlog (the pipeline, telemetry, node, connection-state and join-request
  streams are built on it).
"""
