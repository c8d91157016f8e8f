"""Pure capture logic for RFID: dock-door passes with direction, and zone presence."""

from edge.portal.config import (
    PortalAntenna,
    PortalConfig,
    PortalParams,
    PortalsConfig,
    ZoneAntenna,
    ZoneConfig,
    ZoneParams,
    ZonesConfig,
)
from edge.portal.tracker import PortalPass, PortalTracker

__all__ = [
    "PortalAntenna",
    "PortalConfig",
    "PortalParams",
    "PortalPass",
    "PortalTracker",
    "PortalsConfig",
    "ZoneAntenna",
    "ZoneConfig",
    "ZoneParams",
    "ZonesConfig",
]
