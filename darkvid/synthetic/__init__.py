"""Synthetic dark-action videos in the UG2+ / ARID layout: the project's stand-in for ARID.

Articulated figures perform the eleven ARID actions (skeleton, actions), are placed in varied
scenes (scene) and drawn (render); a camera model makes normal-light or dark footage (darkness),
stored as H.264 MP4 (writer) in the challenge's folders and CSVs (layout, builder).
"""
from darkvid.synthetic.actions import CLASS_NAMES, ActionParams, action_motion, pose_sequence
from darkvid.synthetic.builder import format_summary, generate
from darkvid.synthetic.darkness import CameraParams, capture, gamma_correct
from darkvid.synthetic.presets import PRESETS, SynthSettings, get_preset
from darkvid.synthetic.writer import read_mp4, write_mp4

__all__ = [
    "CLASS_NAMES", "ActionParams", "action_motion", "pose_sequence", "CameraParams", "capture",
    "gamma_correct", "format_summary", "generate", "PRESETS", "SynthSettings", "get_preset",
    "read_mp4", "write_mp4",
]
