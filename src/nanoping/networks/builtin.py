"""The built-in, read-only blueprints: a virtual LAN out of ``tun`` and ``udp_socket``.

How the defaults make the LAN (a star through the relay):
- every client runs one pipeline (*client*): a TUN device holding the client's network address
  with the network's prefix, exchanging packets over UDP with its own port on the relay
  (the relay's first carrier address, port + the client's numeric id);
- the relay runs one pipeline per client (*relay client*): a point-to-point TUN device (the
  relay's address, the client's as peer) and the UDP socket of that client's port; the relay's
  kernel forwards between those devices (IP forwarding must be enabled on the relay);
- the *relay* blueprint and the client blueprint on the relay render nothing: a template that
  renders only white space means "no pipeline for this node".

The data these templates use is described in docs/networks.md.
"""

from __future__ import annotations

from nanoping.networks.records import BlueprintRecord

RELAY_ID = "default-relay"
RELAY_CLIENT_ID = "default-relay-client"
CLIENT_ID = "default-client"

_RELAY = """{{- /* The relay's part is done by its relay-client pipelines (one per client) and
the kernel's forwarding between their devices: nothing to run here. */ -}}
"""

_CLIENT = """{{- if eq .node.type "client" -}}
{
  "version": 13,
  "plumr_config": {
    "pipeline": {
      "tun-1": {
        "tun": {
          "name": "np{{ .network.short_id }}c",
          "address": "{{ .node.ip }}/{{ .network.prefix_length }}",
          "mtu": {{ or .parameters.mtu 1400 }},
          "input": "[tun-1|in:0]-[udp_socket-1|out:0]",
          "output": "[udp_socket-1|in:0]-[tun-1|out:0]"
        }
      },
      "udp_socket-1": {
        "udp_socket": {
          "bind_address": "{{ with .node.carriers }}{{ with index . 0 }}{{ with .address }}{{ .ip }}:{{ .port }}{{ end }}{{ end }}{{ end }}",
          "remote_address": "{{ with index .relay.carriers 0 }}{{ or .address.external_ip .address.ip }}{{ end }}:{{ .node.relay_port }}",
          "input": "[udp_socket-1|in:0]-[tun-1|out:0]",
          "output": "[tun-1|in:0]-[udp_socket-1|out:0]"
        }
      }
    }
  }
}
{{- end }}
"""

_RELAY_CLIENT = """{
  "version": 13,
  "plumr_config": {
    "pipeline": {
      "tun-1": {
        "tun": {
          "name": "np{{ .network.short_id }}r{{ .client.numeric_id }}",
          "address": "{{ .node.ip }}/32",
          "peer_address": "{{ .client.ip }}",
          "mtu": {{ or .parameters.mtu 1400 }},
          "input": "[tun-1|in:0]-[udp_socket-1|out:0]",
          "output": "[udp_socket-1|in:0]-[tun-1|out:0]"
        }
      },
      "udp_socket-1": {
        "udp_socket": {
          "bind_address": "{{ with index .node.carriers 0 }}{{ .address.ip }}{{ end }}:{{ .client.relay_port }}",
          "remote_address": "{{ with .client.carriers }}{{ with index . 0 }}{{ with .address }}{{ or .external_ip .ip }}:{{ .port }}{{ end }}{{ end }}{{ end }}",
          "input": "[udp_socket-1|in:0]-[tun-1|out:0]",
          "output": "[tun-1|in:0]-[udp_socket-1|out:0]"
        }
      }
    }
  }
}
"""

BUILTIN: dict[str, BlueprintRecord] = {
    RELAY_ID: BlueprintRecord(RELAY_ID, "Default relay", _RELAY, read_only=True),
    RELAY_CLIENT_ID: BlueprintRecord(
        RELAY_CLIENT_ID, "Default relay client", _RELAY_CLIENT, read_only=True
    ),
    CLIENT_ID: BlueprintRecord(CLIENT_ID, "Default client", _CLIENT, read_only=True),
}
"""The built-in blueprints by id."""

DEFAULT_FOR_ROLE = {
    "relay_blueprint": RELAY_ID,
    "relay_client_blueprint": RELAY_CLIENT_ID,
    "client_blueprint": CLIENT_ID,
}
"""The blueprint a network uses for a role it leaves unset."""
