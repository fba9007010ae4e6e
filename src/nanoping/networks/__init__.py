"""Networks: virtual LANs between nodes through a relay, generated per node from blueprints."""
