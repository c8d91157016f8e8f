"""Scenarios for the LLRP emulator: a site, what happens there, a seeded read model, ground truth.

Pure core: `load_scenario(path)` / `parse_scenario(dict)` -> Scenario; `simulate(scenario, seed)`
-> Simulation(reads sorted by time, truth); `truth_json(sim, epoch_us)` for --truth-out.
"""

from firmware_bridge.scenario.epc import is_epc96_hex, sgtin96_hex, sscc96_hex
from firmware_bridge.scenario.fields import ScenarioError
from firmware_bridge.scenario.loader import load_scenario, parse_scenario
from firmware_bridge.scenario.model import (
    AntennaRef,
    Dwell,
    Linger,
    PalletPass,
    Parked,
    Portal,
    PortalAntenna,
    ReaderSpec,
    ReadModel,
    Scenario,
    SimRead,
    Simulation,
    Site,
    Stray,
    TruePass,
    Zone,
)
from firmware_bridge.scenario.simulate import ground_truth, read_probability, simulate
from firmware_bridge.scenario.truth import truth_document, truth_json

__all__ = [
    "AntennaRef",
    "Dwell",
    "Linger",
    "PalletPass",
    "Parked",
    "Portal",
    "PortalAntenna",
    "ReadModel",
    "ReaderSpec",
    "Scenario",
    "ScenarioError",
    "SimRead",
    "Simulation",
    "Site",
    "Stray",
    "TruePass",
    "Zone",
    "ground_truth",
    "is_epc96_hex",
    "load_scenario",
    "parse_scenario",
    "read_probability",
    "sgtin96_hex",
    "simulate",
    "sscc96_hex",
    "truth_document",
    "truth_json",
]
