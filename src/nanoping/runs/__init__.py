"""Pipeline runs: each start of a pipeline is a child process of the node, supervised from here.

Modules, node side first, then the run process; the run side imports nothing from the node
side, so a run process stays light to start:

- ``supervisor``: :class:`RunSupervisor`, the node's entry point (start, stop, live update,
  restart, telemetry and log access, recovery after a node restart, shutdown);
- ``supervision``: one started pipeline's loop: spawn a run, watch it, restart with backoff;
- ``child``: the node's handle on one run process (spawn, instructions with timeouts, kill);
- ``spawned_process``: starts a process without ``fork`` and awaits its exit;
- ``telemetry_feed``: fans a run's telemetry samples out to open telemetry streams;
- ``log_entry``: one log line as the API's ``logging.Message``;
- ``backoff``: delays between restarts;
- ``events``: what happened to runs, as small past-tense dataclasses;
- ``live_update``: which config changes a running run can take without a restart;
- ``process``: the run process's entry point (``python -m nanoping.runs.process``);
- ``agent``: carries out the node's instructions on a data-plane engine, inside the run;
- ``parent_death``: makes a run process die with its node, even on kill -9;
- ``telemetry_sample``: an engine snapshot as the API's ``TelemetrySample``;
- ``log_file``: writes a run's log as JSON lines, filtered by level;
- ``channel`` and ``frame``: the control channel (length-prefixed protobuf frames);
- ``exit_status``: exit codes with a meaning, and how an exit is described.
"""
