"""Packet protection codecs: FEC (sliding-window RLC, block RLNC, Reed-Solomon, 2-D parity) and AEAD.

Every codec here is sans-IO: payloads and ``now`` go in, wire datagrams (or recovered payloads)
and counters come out. Pipeline components and the Raft transport wrap them.
"""
