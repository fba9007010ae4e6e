"""NanoPing node software: hub control plane, public gRPC/REST API and pipeline data plane."""

__version__ = "0.1.0"
