"""The resources Moorage measures on a panel, and how a period's usage is taken from the samples (pure).

A period's usage of a *level* resource (disk, database size, counted objects) is its **peak**: the
largest sample taken in the period — what the client held at most, so deleting files the day before
the invoice does not avoid the charge. *Bandwidth* is a flow, so its usage is the **sum** of the
traffic transferred between samples (each sample stores the traffic since the previous one).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Basis(StrEnum):
    PEAK = "peak"
    SUM = "sum"


@dataclass(frozen=True)
class ResourceInfo:
    name: str
    label: str
    unit: str  # the unit the panel measures it in ("" for a count)
    basis: Basis


RESOURCES: dict[str, ResourceInfo] = {
    r.name: r
    for r in (
        ResourceInfo("disk_mib", "Disk space", "MiB", Basis.PEAK),
        ResourceInfo("bandwidth_mib", "Bandwidth", "MiB", Basis.SUM),
        ResourceInfo("database_mib", "Database size", "MiB", Basis.PEAK),
        ResourceInfo("websites", "Websites", "", Basis.PEAK),
        ResourceInfo("databases", "Databases", "", Basis.PEAK),
        ResourceInfo("mailboxes", "Mailboxes", "", Basis.PEAK),
        ResourceInfo("ftp_users", "FTP users", "", Basis.PEAK),
        ResourceInfo("domains", "DNS domains", "", Basis.PEAK),
    )
}
RESOURCE_ORDER: tuple[str, ...] = tuple(RESOURCES)
CHOICES: list[tuple[str, str]] = [(r.name, f"{r.label} ({r.unit})" if r.unit else r.label) for r in RESOURCES.values()]
PEAK_RESOURCES = tuple(name for name, r in RESOURCES.items() if r.basis is Basis.PEAK)
SUM_RESOURCES = tuple(name for name, r in RESOURCES.items() if r.basis is Basis.SUM)
