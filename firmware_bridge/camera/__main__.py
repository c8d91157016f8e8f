"""python -m firmware_bridge.camera [--scene S.yaml] --video out.avi --truth truth.json."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from firmware_bridge.camera.demo import dock_door_scene
from firmware_bridge.camera.scene import SceneError
from firmware_bridge.camera.scene_file import load_scene
from firmware_bridge.camera.source import CameraSource


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m firmware_bridge.camera",
                                     description="Render the dock-door camera scene.")
    parser.add_argument("--scene", type=Path, help="YAML scene (default: the dock-door demo)")
    parser.add_argument("--video", type=Path, help="video file to write (.avi, MJPG)")
    parser.add_argument("--truth", type=Path, help="ground-truth JSON to write")
    parser.add_argument("--frames-dir", type=Path, help="also write every frame as PNG here")
    parser.add_argument("--frames", type=int, default=90, help="demo scene length")
    parser.add_argument("--seed", type=int, default=0, help="demo scene noise seed")
    args = parser.parse_args(argv)
    try:
        scene = (load_scene(args.scene.read_text()) if args.scene
                 else dock_door_scene(args.frames, args.seed))
        source = CameraSource(scene)
        if args.video:
            count = source.write_video(args.video)
            print(f"wrote {count} frames to {args.video}")
        if args.frames_dir:
            import cv2

            args.frames_dir.mkdir(parents=True, exist_ok=True)
            for frame in source:
                cv2.imwrite(str(args.frames_dir / f"frame-{frame.index:05d}.png"), frame.image)
        if args.truth:
            source.write_truth(args.truth)
            print(f"wrote {len(source.truth)} sightings to {args.truth}")
    except (SceneError, OSError) as exc:
        print(f"camera: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
