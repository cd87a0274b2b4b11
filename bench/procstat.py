"""CPU time from /proc, to tell a saturated client from a saturated server.

The load generator (locust), the server (gunicorn's processes and the PostgreSQL backends of
the benchmark's database) and everything else on the machine share the same cores. A sample
taken before and after a measured window gives each one's CPU in cores (1.0 = one core busy
for the whole window) and the machine's total, from /proc/<pid>/stat and /proc/stat (Linux).
"""

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces: the fields after it follow the last ")".
    return text[text.rindex(")") + 2 :].split()


def nice(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[16]) if fields is not None else None


def cpu_seconds(pid: int) -> float:
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def _all_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def descendants(root: int) -> list[int]:
    """`root` and every process below it."""
    parents: dict[int, int] = {}
    for pid in _all_pids():
        fields = _stat_fields(pid)
        if fields is not None:
            parents[pid] = int(fields[1])
    found = {root}
    changed = True
    while changed:
        changed = False
        for pid, parent in parents.items():
            if parent in found and pid not in found:
                found.add(pid)
                changed = True
    return sorted(pid for pid in found if pid in parents or pid == root)


def postgres_backends(database: str) -> list[int]:
    """The PostgreSQL backends connected to `database` on this host (their process title is
    `postgres: [cluster:] user database host(port) state`)."""
    found = []
    for pid in _all_pids():
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, UnicodeDecodeError):
            continue
        if title.startswith("postgres:") and f" {database} " in f"{title} ":
            found.append(pid)
    return found


def machine_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, summed over the cores."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    total = sum(values[:8])  # guest time is already in user
    return (total - idle) / TICKS, total / TICKS


@dataclass
class CpuSample:
    """CPU shares over a window: call `start()`, run the load, call `stop()`."""

    client_pid: int
    server_pid: int | None
    database: str
    # More groups to report (the background workers): name → pids, each with descendants.
    extra: dict[str, list[int]] = field(default_factory=dict)
    started: float = 0.0
    _before: dict[str, dict[int, float]] = field(default_factory=dict)
    _machine: tuple[float, float] = (0.0, 0.0)

    def _groups(self) -> dict[str, list[int]]:
        return {
            "client": [self.client_pid],
            "server_app": descendants(self.server_pid) if self.server_pid else [],
            "server_db": postgres_backends(self.database) if self.database else [],
            **{
                name: [p for pid in pids for p in descendants(pid)]
                for name, pids in self.extra.items()
            },
        }

    def start(self) -> None:
        self._before = {
            name: {pid: cpu_seconds(pid) for pid in pids} for name, pids in self._groups().items()
        }
        self._machine = machine_seconds()
        self.started = time.monotonic()

    def stop(self) -> dict[str, float | int]:
        wall = max(time.monotonic() - self.started, 1e-6)
        busy0, total0 = self._machine
        busy1, total1 = machine_seconds()
        out: dict[str, float | int] = {"seconds": round(wall, 1), "cpus": os.cpu_count() or 1}
        used = 0.0
        for name, pids in self._groups().items():
            before = self._before.get(name, {})
            # A process that started within the window counts from zero.
            seconds = sum(max(0.0, cpu_seconds(pid) - before.get(pid, 0.0)) for pid in pids)
            out[f"{name}_cores"] = round(seconds / wall, 2)
            used += seconds
        share = (busy1 - busy0) / max(total1 - total0, 1e-6)
        machine = share * (os.cpu_count() or 1)
        server = float(out["server_app_cores"]) + float(out["server_db_cores"])
        out["server_cores"] = round(server, 2)
        out["machine_busy_cores"] = round(machine, 2)
        # Everything else on the machine: other jobs, the kernel, other databases' backends.
        out["other_cores"] = round(max(0.0, machine - used / wall), 2)
        return out
