"""Cameras: frames decoded with zxing-cpp, labels tracked across regions into stable moves.

The adapter lives in edge.camera.adapter (opencv, zxing-cpp); this package root only
exposes the pure stability rule, so importing it pulls in no image library.
"""

from edge.camera.tracker import Detection, LabelMove, TrackerState, observe

__all__ = ["Detection", "LabelMove", "TrackerState", "observe"]
