"""What the figures were measured on: CPU, cores, OS, Python, and the versions that matter."""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Any


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine() or "unknown"


def _memory_total() -> int | None:
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    return None


def version_of(distribution: str) -> str | None:
    """The installed version of a distribution, or None when it is not installed."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def load_average() -> list[float] | None:
    """1, 5 and 15 minute load averages (a sign of other work on a shared machine)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def machine_info() -> dict[str, Any]:
    """Everything needed to judge whether two runs are comparable."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    return {
        "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
        "memory_bytes": _memory_total(),
        "machine": platform.machine(),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        "python_executable": sys.executable,
        "versions": {
            "durable-stores-client": version_of("durable-stores-client"),
            "httpx": version_of("httpx"),
            "httpcore": version_of("httpcore"),
            "h11": version_of("h11"),
            "attrs": version_of("attrs"),
            "cattrs": version_of("cattrs"),
            "agentkernel-sdk": version_of("agentkernel-sdk"),
        },
        "load_average_start": load_average(),
    }


def describe(info: dict[str, Any]) -> str:
    """One line for the top of the table."""
    versions = info["versions"]
    return (
        f"{info['cpu_model']}, {info['cpus_usable']} usable of {info['cpu_count']} CPUs, "
        f"{info['os']}, {info['python_implementation']} {info['python']}, "
        f"httpx {versions['httpx']}, durable-stores-client {versions['durable-stores-client']}, "
        f"agentkernel-sdk {versions['agentkernel-sdk'] or 'not installed'}"
    )
