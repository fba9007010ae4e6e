#!/usr/bin/env bash
# Installs the Debian packages the test suite drives as real programs: ping and iperf3 for
# traffic through TUN pipelines, srt-tools for the transport comparison, nftables and iproute2
# for emulated links between network namespaces, and
# Chromium for the dashboard's browser tests. Needs root (apt-get); does nothing when all are there.
set -euo pipefail

packages=(iproute2 iputils-ping iperf3 nftables srt-tools chromium)
binaries=(ip ping iperf3 nft srt-live-transmit chromium)

missing=()
for i in "${!packages[@]}"; do
  command -v "${binaries[$i]}" >/dev/null 2>&1 || missing+=("${packages[$i]}")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-test-deps: missing ${missing[*]}; run as root (apt-get) to install them" >&2
  exit 1
fi
echo "install-test-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
