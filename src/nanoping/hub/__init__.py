"""The control plane: the hub server (registry, join requests, links) and the hub client."""
