"""The built-in, read-only blueprints: a virtual LAN out of ``tun``, ``udp_socket`` and
``ip_router``.

How the defaults make the LAN (a star through the relay):
- every client runs one pipeline (*client*): a TUN interface holding the client's network
  address with the network's prefix, exchanging packets over UDP with its own port on the
  relay (the relay's first carrier address, port + the client's numeric id);
- the relay runs one pipeline (*relay*): its own TUN interface, one UDP socket per client on
  that client's port, and an ``ip_router`` carrying packets between them by destination;
- the *relay client* blueprint renders nothing (the relay pipeline serves every client), and
  the client blueprint renders nothing on the relay: a template that renders only white space
  means "no pipeline for this node".

The data these templates see is described in docs/networks.md.
"""

from __future__ import annotations

from nanoping.networks.records import BlueprintRecord

RELAY_ID = "default-relay"
RELAY_CLIENT_ID = "default-relay-client"
CLIENT_ID = "default-client"

_RELAY = """{
  "version": 13,
  "plumr_config": {
    "pipeline": {
{{- range $port, $client := .clients }}
      "udp_socket-{{ $client.numeric_id }}": {
        "udp_socket": {
          "bind_address": "{{ with index $.node.carriers 0 }}{{ .address.ip }}{{ end }}:{{ $client.relay_port }}",
          "remote_address": "{{ with $client.carriers }}{{ with index . 0 }}{{ with .address }}{{ or .external_ip .ip }}:{{ .port }}{{ end }}{{ end }}{{ end }}",
          "input": "[udp_socket-{{ $client.numeric_id }}|in:0]-[ip_router-1|out:{{ $port }}]",
          "output": "[ip_router-1|in:{{ $port }}]-[udp_socket-{{ $client.numeric_id }}|out:0]"
        }
      },
{{- end }}
      "tun-1": {
        "tun": {
          "interface_name": "np{{ .network.short_id }}",
          "ip": "{{ .node.ip }}",
          "netmask": "{{ .network.prefix_length }}",
          "mtu": {{ or .parameters.mtu 1400 }},
          "input": "[tun-1|in:0]-[ip_router-1|out:{{ len .clients }}]",
          "output": "[ip_router-1|in:{{ len .clients }}]-[tun-1|out:0]"
        }
      },
      "ip_router-1": {
        "ip_router": {
          "flows": [
{{- range $port, $client := .clients }}
            {
              "input": "[ip_router-1|in:{{ $port }}]-[udp_socket-{{ $client.numeric_id }}|out:0]",
              "output": "[udp_socket-{{ $client.numeric_id }}|in:0]-[ip_router-1|out:{{ $port }}]",
              "destination": "{{ $client.ip }}/32"
            },
{{- end }}
            {
              "input": "[ip_router-1|in:{{ len .clients }}]-[tun-1|out:0]",
              "output": "[tun-1|in:0]-[ip_router-1|out:{{ len .clients }}]",
              "destination": "{{ .node.ip }}/32"
            }
          ]
        }
      }
    }
  }
}
"""

_CLIENT = """{{- if eq .node.type "client" -}}
{
  "version": 13,
  "plumr_config": {
    "pipeline": {
      "tun-1": {
        "tun": {
          "interface_name": "np{{ .network.short_id }}",
          "ip": "{{ .node.ip }}",
          "netmask": "{{ .network.prefix_length }}",
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

_RELAY_CLIENT = """{{- /* The default relay pipeline serves every client itself (one UDP socket per
client and a router): no separate pipeline per client. */ -}}
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
