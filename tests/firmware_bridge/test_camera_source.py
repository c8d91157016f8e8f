"""The camera source: ground truth from the scene, and pixels that agree with it."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import zxingcpp

from firmware_bridge.camera import (
    Carton,
    Impairment,
    ImpairmentKind,
    Label,
    LabelSymbology,
    Rect,
    Region,
    Scene,
    SceneError,
    sightings,
    visits,
)
from firmware_bridge.camera.demo import dock_door_scene
from firmware_bridge.camera.scene_file import load_scene
from firmware_bridge.camera.source import CameraSource

QR = Label("(00)106141410000000018", LabelSymbology.QR)
REGIONS = (Region("door", "DOCK-01", Rect(0, 0, 100, 100)),
           Region("staging", "STAGE-01", Rect(100, 0, 100, 100)))


def tiny_scene(*cartons: Carton, impairments: tuple[Impairment, ...] = ()) -> Scene:
    return Scene(200, 100, 10.0, 8, REGIONS, cartons, impairments)


def test_a_label_is_sighted_only_wholly_in_view_and_in_the_region_of_its_centre() -> None:
    scene = tiny_scene(Carton("U1", QR, enter_frame=0, y=10, speed=40.0, size=(60, 60)))
    seen = sightings(scene, {"U1": (40, 40)})
    # carton starts at x=-60; the label (x+10) is wholly in view from frame 2 (x=30-10=20)
    assert [(s.frame, s.rect.x, s.region, s.location) for s in seen] == [
        (2, 30, "door", "DOCK-01"), (3, 70, "door", "DOCK-01"),
        (4, 110, "staging", "STAGE-01"), (5, 150, "staging", "STAGE-01")]
    assert all(s.decodable and s.t == s.frame / 10.0 for s in seen)
    assert [(v.region, v.first_frame, v.last_frame) for v in visits(seen)] == [
        ("door", 2, 3), ("staging", 4, 5)]


def test_blur_occlusion_and_a_carton_in_front_make_labels_undecodable() -> None:
    scene = tiny_scene(
        Carton("U1", QR, 0, 10, 40.0, size=(60, 60)),
        Carton("U2", Label("x", LabelSymbology.QR, gs1=False), 4, 10, 0.0, size=(60, 60),
               start_x=130),
        impairments=(Impairment(ImpairmentKind.BLUR, 2, 2),
                     Impairment(ImpairmentKind.OCCLUSION, 3, 3, unit_id="U1"),
                     Impairment(ImpairmentKind.OCCLUSION, 3, 9, unit_id="nobody")),
    )
    seen = sightings(scene, {"U1": (40, 40), "U2": (40, 40)})
    u1 = {s.frame: s.impairment for s in seen if s.unit_id == "U1"}
    assert u1 == {2: "blur", 3: "occlusion", 4: "hidden", 5: "hidden"}
    assert all(s.decodable for s in seen if s.unit_id == "U2")


def test_scene_errors_are_ours() -> None:
    with pytest.raises(SceneError, match="unique"):
        tiny_scene(Carton("U1", QR, 0, 0, 1.0), Carton("U1", QR, 0, 0, 1.0))
    with pytest.raises(SceneError, match="does not fit"):
        CameraSource(tiny_scene(Carton("U1", QR, 0, 0, 1.0, size=(30, 30))))
    with pytest.raises(SceneError, match="cannot encode"):
        CameraSource(tiny_scene(Carton("U1", Label("(01)123", LabelSymbology.GS1_128), 0, 0,
                                       1.0)))


@pytest.fixture(scope="module")
def dev_camera() -> CameraSource:
    return CameraSource(dock_door_scene())


def _clipped_labels(source: CameraSource, index: int) -> set[str]:
    """Labels cut by the frame edge: truth makes no claim about them."""
    out = set()
    for carton in source.scene.cartons:
        box = carton.rect(index, source.scene.width)
        if box is not None and box.overlaps(Rect(0, 0, source.scene.width, source.scene.height)):
            out.add(carton.label.text)
    return out - {s.text for s in source.truth_at(index)}


def test_rendered_frames_decode_to_the_ground_truth(dev_camera: CameraSource) -> None:
    expected_ids = {"gs1-128": "]C1", "datamatrix": "]d2", "qr": "]Q3"}
    decoded = undecodable = 0
    for frame in dev_camera:
        assert frame.image.shape == (540, 960, 3) and frame.image.dtype == np.uint8
        read = {b.text: b for b in zxingcpp.read_barcodes(frame.image)}
        for s in frame.truth:
            if not s.decodable:
                undecodable += 1
                assert s.text not in read, f"frame {frame.index}: {s.impairment} label was read"
                continue
            decoded += 1
            assert s.text in read, f"frame {frame.index}: {s.unit_id} not decoded"
            barcode = read[s.text]
            assert barcode.symbology_identifier == expected_ids[s.symbology]
            x, y = barcode.position.top_left.x, barcode.position.top_left.y
            assert s.rect.holds_point(x, y)
        stray = set(read) - {s.text for s in frame.truth} - _clipped_labels(dev_camera, frame.index)
        assert not stray, f"frame {frame.index}: read labels the truth does not have: {stray}"
    assert decoded >= 50 and undecodable >= 8  # the scene really exercises both


def test_ground_truth_names_the_locations_each_unit_passed(dev_camera: CameraSource) -> None:
    stays = {(v.unit_id, v.location) for v in dev_camera.visits()}
    assert stays == {(u, loc) for u in ("U1", "U2", "U3") for loc in ("DOCK-01", "STAGE-01")}
    reasons = {s.impairment for s in dev_camera.truth if not s.decodable}
    assert reasons == {"blur", "occlusion"}


def test_same_seed_same_frames_and_noise_differs_by_seed() -> None:
    a, b, c = (CameraSource(dock_door_scene(20, seed)) for seed in (1, 1, 2))
    assert np.array_equal(a.render(15), b.render(15))
    assert not np.array_equal(a.render(15), c.render(15))
    with pytest.raises(IndexError):
        a.render(20)


def test_video_file_holds_every_frame_and_labels_stay_readable(
    dev_camera: CameraSource, tmp_path: Path
) -> None:
    path = tmp_path / "dock.avi"
    assert dev_camera.write_video(path) == 90
    capture = cv2.VideoCapture(str(path))
    try:
        images = []
        while True:
            ok, image = capture.read()
            if not ok:
                break
            images.append(image)
    finally:
        capture.release()
    assert len(images) == 90
    for index in (15, 20, 50):
        want = {s.text for s in dev_camera.truth_at(index) if s.decodable}
        assert want and want <= {b.text for b in zxingcpp.read_barcodes(images[index])}
    truth = tmp_path / "truth.json"
    dev_camera.write_truth(truth)
    assert '"location": "STAGE-01"' in truth.read_text()


def test_the_yaml_dock_door_scene_is_the_demo_scene() -> None:
    text = (Path(__file__).parents[2] / "firmware_bridge/camera/dock_door.yaml").read_text()
    assert load_scene(text) == dock_door_scene()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("frames: [", "not YAML"),
        ("- 1", "scene: expected a mapping"),
        ("width: 10", "frames: is required"),
        ("frames: 5\nzoom: 2", "unknown key"),
        ("frames: 5\nfps: fast", "fps: expected float"),
        ("frames: 5\nregions: [{name: a, location: B, rect: [0, 0, 1]}]",
         r"regions\[0\].rect: expected a list of 4"),
        ("frames: 5\ncartons: [{unit_id: U, y: 1, speed: 2, label: {text: x, "
         "symbology: pdf417}}]", r"cartons\[0\].label.symbology: 'pdf417' is not one of"),
        ("frames: 5\ncartons: [{unit_id: U, y: true, speed: 2, label: {text: x, "
         "symbology: qr}}]", r"cartons\[0\].y: expected int"),
        ("frames: 5\nimpairments: [{kind: blur, first_frame: 4, last_frame: 2}]",
         "first_frame <= last_frame"),
    ],
)
def test_bad_scene_files_name_the_bad_key(text: str, message: str) -> None:
    with pytest.raises(SceneError, match=message):
        load_scene(text)


def test_command_line_writes_video_and_truth(tmp_path: Path) -> None:
    from firmware_bridge.camera.__main__ import main

    scene = tmp_path / "s.yaml"
    scene.write_text("frames: 12\nregions: [{name: a, location: A-01, rect: [0, 0, 960, 540]}]\n"
                     "cartons: [{unit_id: U, y: 100, speed: 80, label: {text: '(00)"
                     "106141411234567897', symbology: qr}}]\n")
    assert main(["--scene", str(scene), "--video", str(tmp_path / "v.avi"),
                 "--truth", str(tmp_path / "t.json")]) == 0
    assert (tmp_path / "v.avi").stat().st_size > 0
    assert '"location": "A-01"' in (tmp_path / "t.json").read_text()
    assert main(["--scene", str(tmp_path / "missing.yaml")]) == 2
