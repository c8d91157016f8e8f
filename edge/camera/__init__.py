"""Cameras: frames decoded with zxing-cpp, labels tracked across regions into stable moves."""

from edge.camera.adapter import CameraAdapter, video_frames
from edge.camera.tracker import Detection, LabelMove, TrackerState, observe

__all__ = ["CameraAdapter", "Detection", "LabelMove", "TrackerState", "observe",
           "video_frames"]
