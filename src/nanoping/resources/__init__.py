"""What a node is doing, for ResourcesService and ``/metrics``: machine and process metrics
sampled with psutil, network flows captured while watched, and the Prometheus exposition.
"""
