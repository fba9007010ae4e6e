"""The namespace test kit itself: cleanup, kernel shaping helpers, the relay's pipeline."""

import json
import subprocess

from nanoping.dataplane import validate_config
from nanoping.dataplane.dataflow import Dataflow
from nanoping.testing.netns import Impairments, ip, namespaces, relay_doc, veth


def test_namespaces_are_removed_also_when_the_block_fails() -> None:
    names: list[str] = []
    try:
        with namespaces(2, "np13") as made:
            names = [ns.name for ns in made]
            made[0].popen("sleep", "60", stdout=subprocess.DEVNULL)
            raise RuntimeError("test body failed")
    except RuntimeError:
        pass
    listed = ip("netns", "list")
    assert names
    assert not any(name in listed for name in names)


def test_random_drops_and_rate_limits_from_the_kernel() -> None:
    with namespaces(2, "np13") as (a, b):
        a_end, _ = veth(a, b, "10.133.0.1/24", "10.133.0.2/24")
        a.limit_rate(a_end, rate_mbit=20)
        server = b.popen("iperf3", "-s", "-1", "-B", "10.133.0.2", "--logfile", "/dev/null")
        b.wait_listening(5201)
        report = json.loads(a.run("iperf3", "-c", "10.133.0.2", "-t", "1", "-J"))
        server.wait(timeout=10)
        assert report["end"]["sum_received"]["bits_per_second"] < 25e6  # tbf holds it to 20
        a.drop_randomly(100)
        out = a.run("ping", "-c", "2", "-i", "0.2", "-W", "1", "10.133.0.2", check=False)
    assert "0 received" in out


def test_the_relay_pipeline_is_valid_with_every_impairment() -> None:
    doc = relay_doc(
        a_side="10.1.0.254",
        b_side="10.2.0.254",
        a_address="10.1.0.1",
        b_address="10.2.0.1",
        impairments=Impairments(
            delay_ms=5, loss_percent=1.5, rate_mbit=10, jitter_ms=2, burst_loss=(1, 30), seed=3
        ),
    )
    flow = Dataflow(validate_config(doc))
    stages = ["delay", "jitter", "loss", "burst", "rate"]
    assert set(flow.components) == {"ua", "ub"} | {
        f"{direction}_{stage}" for direction in ("ab", "ba") for stage in stages
    }
    assert flow.order[:6] == ["ab_delay", "ab_jitter", "ab_loss", "ab_burst", "ab_rate", "ub"]
    assert flow.components["ba_loss"].params.seed == 4  # each direction draws its own losses
