#!/usr/bin/env bash
# Installs the Debian packages the test suite drives as real programs: ping and iperf3 for
# traffic through TUN pipelines, srt-tools for the transport comparison, nftables and iproute2
# for emulated links between network namespaces, Chromium for the dashboard's browser tests,
# and Go with grpc-go and the protoc plugins to build the Go walkthrough (examples/go).
# Needs root (apt-get); does nothing when all are there.
set -euo pipefail

packages=(
  iproute2 iputils-ping iperf3 nftables srt-tools chromium
  golang-go golang-google-grpc-dev golang-google-protobuf-dev golang-github-golang-protobuf-1-5-dev
  protobuf-compiler protoc-gen-go protoc-gen-go-grpc
)

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
  [ "$status" = installed ] || missing+=("$package")
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
