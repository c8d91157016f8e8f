"""A reader's RF settings as sllurp takes them, and the ROSpec parts sllurp cannot say (pure).

Rule kept here: everything is standard LLRP 1.0.1 (no vendor extension): transmit power per
antenna is an RFTransmitter index (§16.2.6.8) that sllurp picks from the reader's own power
table; session, tag population and tag transit time are C1G2SingulationControl (§16.3.1.2.1.3),
which LLRP has per antenna but sllurp 3.0.5 fills from one value: `tune_rospec` writes each
antenna's own into the ROSpec sllurp built. A power below the reader's table is refused, never
rounded (sllurp's index 0 would mean full power).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from edge.rfid.config import ReaderConfig


def sllurp_settings(config: ReaderConfig) -> dict[str, Any]:
    """The LLRPReaderConfig keys for this reader's RF settings."""
    antennas = list(config.antennas)
    rf = [config.rf_for(a) for a in antennas]
    out: dict[str, Any] = {"session": rf[0].session, "tag_population": rf[0].tag_population}
    if any(a.tx_power_dbm is not None for a in rf):
        # sllurp takes the table entry at or below each value; +inf is the table's top
        out["tx_power_dbm"] = {a.antenna: math.inf if a.tx_power_dbm is None
                               else float(a.tx_power_dbm) for a in rf}
    else:
        out["tx_power"] = dict.fromkeys(antennas, 0)  # 0: the table's highest power
    if config.mode_identifier is not None:
        out["mode_identifier"] = config.mode_identifier
    return out


def power_problems(config: ReaderConfig, table_dbm: Sequence[float]) -> list[str]:
    """Requested powers the reader cannot give (table_dbm: its power table, lowest first)."""
    lowest = min(table_dbm, default=math.inf)
    return [f"antenna {a}: tx_power_dbm {rf.tx_power_dbm:g} is below the reader's lowest "
            f"power {lowest:g} dBm" for a in config.antennas
            if (rf := config.rf_for(a)).tx_power_dbm is not None and rf.tx_power_dbm < lowest]


def tune_rospec(rospec: dict[str, Any], config: ReaderConfig) -> None:
    """Give every AntennaConfiguration of sllurp's ROSpec its antenna's own Gen2 settings."""
    for ai_spec in rospec.get("AISpec", []):
        for spec in ai_spec.get("InventoryParameterSpec", []):
            for antenna in spec.get("AntennaConfiguration", []):
                rf = config.rf_for(int(antenna["AntennaID"]))
                for command in antenna.get("C1G2InventoryCommand", []):
                    command["C1G2SingulationControl"] = {
                        "Session": rf.session, "TagPopulation": rf.tag_population,
                        "TagTransitTime": rf.tag_transit_time_ms}
