"""The parts of a node that let operators see it: LoggingService, ResourcesService and the
``/metrics`` endpoint, built together from the node's other parts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nanoping.api import pipelines_pb2
from nanoping.hub.server import HubServer
from nanoping.networks.controller import NetworkController
from nanoping.resources.prometheus import MetricsEndpoint, NodeCollector
from nanoping.resources.sampler import MetricsSampler
from nanoping.runs.supervisor import RunSupervisor
from nanoping.service.logs import SERVICE_NAME as LOGGING_SERVICE
from nanoping.service.logs import LoggingService
from nanoping.service.pipelines import PipelinesService
from nanoping.service.resources import SERVICE_NAME as RESOURCES_SERVICE
from nanoping.service.resources import ResourcesService


@dataclass(frozen=True)
class Observability:
    """The logging and resources services of one node and its metrics endpoint."""

    logs: LoggingService
    resources: ResourcesService
    metrics: MetricsEndpoint

    @classmethod
    def build(
        cls,
        *,
        node_id: str,
        data_dir: Path,
        app_log: Path,
        pipelines: PipelinesService | None,
        hub: HubServer | None,
        networks: NetworkController | None = None,
    ) -> Observability:
        """Wire the services to the node's app log, its runs (if any) and its hub (if any)."""
        runs = pipelines.runs if pipelines is not None else None
        logs = LoggingService(
            node_id=node_id,
            app_log=app_log,
            run_log=runs.log_path if runs is not None else None,
            network_log=networks.network_log_path if networks is not None else None,
            instance_log=networks.instance_log_path if networks is not None else None,
        )
        sampler = MetricsSampler(data_dir=data_dir, runs_alive=lambda: len(_live(runs)))
        resources = ResourcesService(node_id=node_id, sampler=sampler)
        collector = NodeCollector(sampler=sampler, runs=lambda: _run_samples(runs), hub=hub)
        return cls(logs=logs, resources=resources, metrics=MetricsEndpoint(collector))

    def implementations(self) -> dict[str, object]:
        """The services, keyed for the method table."""
        return {LOGGING_SERVICE: self.logs, RESOURCES_SERVICE: self.resources}

    async def close(self) -> None:
        """End every log, metrics and flows stream; stop sampling and capturing."""
        self.logs.close()
        await self.resources.close()


def _live(runs: RunSupervisor | None) -> list[object]:
    return list(runs.live_children()) if runs is not None else []


def _run_samples(
    runs: RunSupervisor | None,
) -> list[tuple[str, str, pipelines_pb2.TelemetrySample]]:
    children = runs.live_children() if runs is not None else []
    return [
        (child.pipeline_id, child.run_id, child.telemetry.latest)
        for child in children
        if child.telemetry.latest is not None
    ]
