"""The FEC and encryption components in a pipeline on a fake clock:
source -> encoder -> encrypt -> loss -> decrypt -> decoder -> sink."""

import logging
import subprocess
import sys
from typing import Any

import pytest

from nanoping.dataplane.components import fec as fec_components
from nanoping.dataplane.components.encryption import (
    BoringsslDecrypt,
    BoringsslEncrypt,
    CipherParams,
)
from nanoping.dataplane.config import validate_config
from nanoping.dataplane.dataflow import Dataflow
from nanoping.dataplane.errors import ConfigError
from nanoping.dataplane.events import ComponentFailed, RunEnded
from nanoping.dataplane.fakes import FakeClock, config_doc, run_virtual, wire
from nanoping.dataplane.packet import Packet
from nanoping.fec import sliding_window
from nanoping.fec.aead import MAX_PACKETS_PER_KEY

PACKETS = 3000
KEY = "00112233445566778899aabbccddeeff"
CHAIN = ["source", "encoder", "encrypt", "loss", "decrypt", "decoder", "sink"]
CODECS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "rely": ({"repair_target_rate": 0.25}, {"release_in_order": True}),
    "rlnc": ({"symbols": 8, "repair": 3}, {"symbols": 8, "repair": 3}),
    "reed_solomon": ({"symbols": 8, "repair": 3}, {"symbols": 8, "repair": 3}),
    "parity_2d": ({"rows": 4, "columns": 4}, {"rows": 4, "columns": 4}),
}


def pipeline(
    codec: str, loss: dict[str, Any], *, decrypt_key: str = KEY, packets: int = PACKETS
) -> dict[str, object]:
    links = [wire(CHAIN[i + 1], 0, CHAIN[i], 0) for i in range(len(CHAIN) - 1)]

    def io(i: int) -> dict[str, str]:
        out = {}
        if i > 0:
            out["input"] = links[i - 1]
        if i < len(CHAIN) - 1:
            out["output"] = links[i]
        return out

    encoder, decoder = CODECS[codec]
    return config_doc(
        {
            "source": {
                "uniform_traffic_source": {
                    **io(0),
                    "total_packets": packets,
                    "interval": 1,
                    "packet_size": 300,
                }
            },
            "encoder": {f"{codec}_encoder": {**io(1), **encoder}},
            "encrypt": {"boringssl_encrypt": {**io(2), "key": KEY}},
            "loss": {
                next(iter(loss)): {
                    **(
                        {"input": links[2], "output": links[3]}
                        if "timed" in next(iter(loss))
                        else {}
                    ),
                    **next(iter(loss.values())),
                }
            },
            "decrypt": {"boringssl_decrypt": {**io(4), "key": decrypt_key}},
            "decoder": {f"{codec}_decoder": {**io(5), **decoder}},
            "sink": {"traffic_sink": {**io(6), "timeout_ms": 1000}},
        }
    )


def random_loss(percent: float) -> dict[str, Any]:
    flows = [{"input": wire("loss", 0, "encrypt", 0), "output": wire("decrypt", 0, "loss", 0)}]
    phases = [{"duration": 1000, "loss_probability": percent}]
    return {"loss_dynamic": {"flows": flows, "phases": phases, "seed": 7}}


def run(doc: dict[str, object]) -> Dataflow:
    flow = Dataflow(validate_config(doc))
    assert run_virtual(flow, FakeClock(1000.0)) == RunEnded(0, "all components finished")
    return flow


def value(flow: Dataflow, component: str, name: str) -> float:
    return flow.components[component].metrics(0.0).value(name)


@pytest.mark.parametrize("codec", sorted(CODECS))
def test_the_sink_gets_what_the_decoder_did_not_lose(codec: str) -> None:
    flow = run(pipeline(codec, random_loss(5)))
    unique = value(flow, "sink", "packets_unique")
    lost_for_good = value(flow, "decoder", "lost")
    assert value(flow, "decoder", "recovered") > 0.03 * PACKETS
    assert unique + lost_for_good == PACKETS
    assert value(flow, "sink", "packets_duplicated") == 0
    assert value(flow, "decrypt", "auth_failures") == 0
    assert value(flow, "decoder", "decode_failures") == 0
    if codec != "parity_2d":  # 2-D parity cannot rebuild some 2x2 patterns
        assert unique > 0.995 * PACKETS


def test_rlnc_with_repeated_coefficients_reuses_decode_tables_in_telemetry() -> None:
    doc = pipeline("rlnc", random_loss(5))
    stages: Any = doc["plumr_config"]
    for stage in ("encoder", "decoder"):
        stages["pipeline"][stage][f"rlnc_{stage}"]["repeat_coefficients"] = True
    flow = run(doc)
    hits, misses = (value(flow, "decoder", f"decode_table_{n}") for n in ("hits", "misses"))
    assert value(flow, "sink", "packets_unique") + value(flow, "decoder", "lost") == PACKETS
    assert value(flow, "decoder", "recovered") > 0.03 * PACKETS
    # 8 sources + 3 repairs: a few dozen loss patterns recur over ~270 blocks with losses
    assert hits > misses > 0
    assert value(flow, "decoder", "decode_tables") == misses


def test_an_oversized_payload_in_a_batch_is_dropped_alone() -> None:
    encoder = fec_components.RlncEncoder(
        component_id="e", params=fec_components.RlncEncoderParams(symbols=4, repair=1)
    )
    batch = [Packet(b"a", 1.0), Packet(bytes(70_000), 2.0), Packet(b"b", 3.0)]
    encoder.push(0, batch, 0.0)
    out = encoder.outputs[0].take()
    assert [p.payload[7:] for p in out] == [b"a", b"b"]
    assert [p.created for p in out] == [1.0, 3.0]
    assert encoder.metrics(0.0).value("packets_oversized") == 1
    assert encoder.packets_dropped == 1


def test_rely_rides_out_timed_bursts_shorter_than_its_power() -> None:
    burst = {"timed_burst_loss": {"interval_ms": 40, "burst_packets": 2}}
    flow = run(pipeline("rely", burst))
    assert value(flow, "loss", "packets_dropped") > 100
    assert value(flow, "sink", "packets_unique") == PACKETS
    assert value(flow, "decoder", "lost") == 0


@pytest.mark.parametrize("first_burst_ms", [96, 97, 98, 99])
def test_rely_rebuilds_a_burst_that_takes_the_last_packets_of_a_stream(first_burst_ms: int) -> None:
    # 100 packets 1 ms apart, one repair per four sources: the first burst (two packets after
    # first_burst_ms) takes the last two sources, or the last source and the repair after it.
    # One repair cannot rebuild two sources, and a lost last source with its repair leaves
    # nothing that shows it existed: only the repairs sent once the stream went quiet save them.
    burst = {"timed_burst_loss": {"interval_ms": first_burst_ms, "burst_packets": 2}}
    flow = run(pipeline("rely", burst, packets=100))
    assert value(flow, "loss", "packets_dropped") == 2
    assert value(flow, "encoder", "tail_repairs") == sliding_window.TAIL_REPAIRS
    assert value(flow, "sink", "packets_unique") == 100
    assert value(flow, "decoder", "lost") == 0


def test_a_wrong_key_drops_everything_counted_and_nothing_gets_through(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="nanoping.dataplane.components.encryption"):
        flow = run(pipeline("rely", random_loss(0), decrypt_key="ff" * 16))
    assert value(flow, "decrypt", "auth_failures") > PACKETS
    assert value(flow, "decrypt", "packets_out") == 0
    assert value(flow, "sink", "packets_received") == 0
    # 3 s of stream, at most one line per 10 s: one line, naming the likely cause
    (record,) = caplog.records
    assert "failed authentication - wrong key or tampered" in record.getMessage()


@pytest.mark.parametrize(
    ("component", "params", "key", "message"),
    [
        ("boringssl_encrypt", {"key": "abcd"}, "key", "aes_128_gcm needs a 16-byte key"),
        ("boringssl_decrypt", {}, "key", "either as text or as a file"),
        ("boringssl_encrypt", {"key": KEY, "cipher_suite": "rot13"}, "cipher_suite", "allowed"),
        ("rely_encoder", {"repair_target_rate": 0}, "repair_target_rate", "must be > 0"),
        ("rely_encoder", {"max_payloads": 5000}, "max_payloads", "must be <= 4095"),
        ("parity_2d_decoder", {"rows": 0}, "rows", "must be >= 1"),
        ("reed_solomon_encoder", {"repair": 0}, "repair", "must be >= 1"),
    ],
)
def test_bad_parameters_are_refused_naming_the_key(
    component: str, params: dict[str, Any], key: str, message: str
) -> None:
    doc = config_doc({"c": {component: params}})
    with pytest.raises(ConfigError, match=message) as error:
        validate_config(doc)
    assert error.value.key == key


def test_encrypt_ends_the_run_instead_of_reusing_a_nonce() -> None:
    component = BoringsslEncrypt(component_id="e", params=CipherParams(key=KEY))
    component._sealer.counter = MAX_PACKETS_PER_KEY - 1
    component.push(0, [Packet(b"last", 0.0)], 0.0)
    assert len(component.outputs[0].take()) == 1
    component.push(0, [Packet(b"one too many", 0.0)], 0.0)
    assert component.outputs[0].take() == []
    assert component.packets_dropped == 1
    (event,) = component.events
    assert isinstance(event, ComponentFailed)
    assert "2^32 packets" in event.reason


def test_registering_the_components_loads_no_codec_library() -> None:
    # Every run imports every component: the codecs and their libraries load only when a
    # pipeline uses them, so runs without FEC or encryption start as fast as before.
    code = (
        "import sys, nanoping.dataplane.components\n"
        "heavy = ('cryptography', 'pyeclib', 'nanoping.fec.sliding_window', 'nanoping.fec.block')\n"
        "print(sorted(name for name in sys.modules if name.startswith(heavy)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
    assert fec_components.MAX_PAYLOADS == sliding_window.MAX_WINDOW


def test_encryption_seals_and_opens_the_packets_it_is_handed_in_place() -> None:
    encrypt = BoringsslEncrypt(component_id="e", params=CipherParams(key=KEY))
    decrypt = BoringsslDecrypt(component_id="d", params=CipherParams(key=KEY))
    batch = [Packet(b"one", 1.0), Packet(b"two", 2.0), Packet(b"three", 3.0)]
    encrypt.push(0, list(batch), 0.0)
    sealed = encrypt.outputs[0].take()
    assert [p is q for p, q in zip(sealed, batch, strict=True)] == [True] * 3
    assert all(p.payload[0] == 0x50 and len(p.payload) > 30 for p in sealed)
    sealed[1].payload = sealed[1].payload[:-1] + bytes([sealed[1].payload[-1] ^ 1])
    decrypt.push(0, sealed, 0.0)
    opened = decrypt.outputs[0].take()
    assert [(p.payload, p.created) for p in opened] == [(b"one", 1.0), (b"three", 3.0)]
    assert opened[0] is batch[0]
    assert opened[1] is batch[2]
    assert (decrypt.packets_dropped, decrypt._opener.counters.auth_failures) == (1, 1)


@pytest.mark.parametrize("codec", ["rely", "rlnc"])
def test_coders_pass_on_the_packets_they_are_handed(codec: str) -> None:
    encoder_type = fec_components.RelyEncoder if codec == "rely" else fec_components.RlncEncoder
    decoder_type = fec_components.RelyDecoder if codec == "rely" else fec_components.RlncDecoder
    if codec == "rely":
        encoder_params: Any = fec_components.RelyEncoderParams(repair_target_rate=0.5)
        decoder_params: Any = fec_components.RelyDecoderParams()
    else:
        encoder_params = fec_components.RlncEncoderParams(symbols=2, repair=1)
        decoder_params = fec_components.RlncDecoderParams(symbols=2, repair=1)
    encoder = encoder_type(component_id="e", params=encoder_params)
    decoder = decoder_type(component_id="d", params=decoder_params)
    batch = [Packet(b"first", 1.0), Packet(b"second", 2.0)]
    encoder.push(0, list(batch), 0.0)
    sent = encoder.outputs[0].take()
    assert sent[:2] == batch  # the same objects, now carrying source datagrams
    assert len(sent) == 3
    assert sent[2].created == 2.0
    repair = sent[2]
    decoder.push(0, [sent[0], Packet(b"x" * 20, 0.0), repair], 0.0)  # the second one lost
    out = decoder.outputs[0].take()
    assert [p.payload for p in out] == [b"first", b"second"]
    assert out[0] is batch[0]  # a source's packet carries its own payload on
    assert out[1] is repair  # the rebuilt payload rides in the packet of the repair
    assert decoder.packets_consumed == 3
