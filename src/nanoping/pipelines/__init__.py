"""Pipelines as the node keeps them: settings, persistence and the feed of changes.

Modules, in import order (each imports only those above it):

- ``json_config``: a checked, pretty-printed ``json_config`` and whether this node can run it;
- ``settings``: every other setting of a pipeline, with the API's defaults and limits;
- ``record``: a stored pipeline (settings + run state) and a stored run;
- ``events``: what changed (created / updated / deleted), as small past-tense dataclasses;
- ``feed``: fans events out to every open stream through bounded per-subscriber queues;
- ``store``: SQLite persistence; every committed change is published on the feed.

Nothing here speaks protobuf: the API glue in ``nanoping.service.pipelines`` translates, and a
run supervisor uses the store directly.
"""
