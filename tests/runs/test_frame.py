"""Control-channel framing: golden bytes, arbitrary cuts, and the size limit."""

from __future__ import annotations

import pytest

from nanoping.internal import run_control_pb2 as control
from nanoping.runs.frame import FrameDecoder, FrameError, encode_frame


def test_a_frame_is_a_big_endian_length_and_the_payload() -> None:
    assert encode_frame(b"abc") == b"\x00\x00\x00\x03abc"
    assert encode_frame(b"") == b"\x00\x00\x00\x00"


def test_golden_bytes_of_a_report_instruction() -> None:
    message = control.Instruction(id=7, report=control.Report())
    assert encode_frame(message.SerializeToString()) == b"\x00\x00\x00\x04\x08\x07\x2a\x00"


def test_frames_survive_any_cut_of_the_stream() -> None:
    payloads = [b"first", b"", b"x" * 300, b"last"]
    stream = b"".join(encode_frame(payload) for payload in payloads)
    for cut in range(len(stream) + 1):
        decoder = FrameDecoder()
        received = decoder.feed(stream[:cut]) + decoder.feed(stream[cut:])
        assert received == payloads
        assert decoder.buffered == 0


def test_byte_by_byte_feeding_waits_for_whole_frames() -> None:
    decoder = FrameDecoder()
    stream = encode_frame(b"hello")
    assert [decoder.feed(stream[i : i + 1]) for i in range(len(stream))][-1] == [b"hello"]
    assert decoder.buffered == 0


def test_an_oversized_length_is_refused_before_the_payload_arrives() -> None:
    decoder = FrameDecoder(max_size=10)
    with pytest.raises(FrameError, match="frame length 11 exceeds the limit of 10 bytes"):
        decoder.feed(b"\x00\x00\x00\x0b")
