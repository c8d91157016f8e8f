"""A camera source: rendered frames of labelled cartons with ground truth of label sightings."""

from firmware_bridge.camera.scene import (
    Carton,
    Impairment,
    ImpairmentKind,
    Label,
    LabelSymbology,
    Rect,
    Region,
    Scene,
    SceneError,
    Sighting,
    Visit,
    sightings,
    visits,
)

__all__ = [
    "Carton",
    "Impairment",
    "ImpairmentKind",
    "Label",
    "LabelSymbology",
    "Rect",
    "Region",
    "Scene",
    "SceneError",
    "Sighting",
    "Visit",
    "sightings",
    "visits",
]
