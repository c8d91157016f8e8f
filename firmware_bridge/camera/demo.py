"""A ready-made dock-door scene: three cartons (QR, DataMatrix, GS1-128) pass door → staging."""

from __future__ import annotations

from firmware_bridge.camera.scene import (
    Carton,
    Impairment,
    ImpairmentKind,
    Label,
    LabelSymbology,
    Rect,
    Region,
    Scene,
)


def dock_door_scene(frames: int = 90, seed: int = 0) -> Scene:
    """960×540 at 15 fps: door (DOCK-01) on the left half, staging (STAGE-01) on the right.
    Frames 30-33 are blurred, and carton U2's label is covered in frames 40-44."""
    return Scene(
        width=960, height=540, fps=15.0, frames=frames, seed=seed, camera_id="dock-cam-1",
        regions=(
            Region("door", "DOCK-01", Rect(0, 0, 480, 540)),
            Region("staging", "STAGE-01", Rect(480, 0, 480, 540)),
        ),
        cartons=(
            Carton("U1", Label("(00)106141411234567897", LabelSymbology.GS1_128), 0, 20, 30.0,
                   size=(400, 160)),
            Carton("U2", Label("(01)09506000134352(10)LOT42(17)270131",
                               LabelSymbology.DATAMATRIX), 10, 200, 28.0, size=(220, 150)),
            Carton("U3", Label("(00)106141410000000018", LabelSymbology.QR), 25, 360, 32.0,
                   size=(240, 170)),
        ),
        impairments=(
            Impairment(ImpairmentKind.BLUR, 30, 33),
            Impairment(ImpairmentKind.OCCLUSION, 40, 44, unit_id="U2"),
        ),
    )
