"""Rasterise a pose sequence in its scene to RGB uint8 frames (anti-aliased OpenCV primitives).

Items are painted far to near by their depth, so the far arm and leg disappear behind the torso
and the near ones cross in front of it. The whole frame is then shifted by the camera shake.
"""
from __future__ import annotations

import cv2
import numpy as np

from darkvid.synthetic.scene import Colour, SceneParams, project
from darkvid.synthetic.skeleton import J, Pose

SUB = 4  # OpenCV sub-pixel bits: coordinates are given in 1/16 pixel
ONE = 1 << SUB
LIMBS = (  # (joint a, joint b, what colours it)
    ("hip", "knee", "pants"), ("knee", "foot", "pants"), ("foot", "toe", "shoe"),
    ("shoulder", "elbow", "shirt"), ("elbow", "hand", "forearm"),
)


def _pt(x: float, y: float) -> tuple[int, int]:
    return int(round(x * ONE)), int(round(y * ONE))


def _shade(colour: Colour, factor: float) -> Colour:
    return tuple(int(min(255, c * factor)) for c in colour)


def _line(img: np.ndarray, a, b, colour: Colour, width: float) -> None:
    cv2.line(img, _pt(*a), _pt(*b), colour, max(1, int(round(width))), cv2.LINE_AA, SUB)


def _disc(img: np.ndarray, c, radius: float, colour: Colour) -> None:
    cv2.circle(img, _pt(*c), max(ONE // 2, int(round(radius * ONE))), colour, -1, cv2.LINE_AA, SUB)


def _poly(img: np.ndarray, pts: np.ndarray, colour: Colour) -> None:
    cv2.fillConvexPoly(img, np.round(pts * ONE).astype(np.int32), colour, cv2.LINE_AA, SUB)


class _Painter:
    """Draws one frame; holds the projected joints of the clip and the scene."""

    def __init__(self, pose: Pose, scene: SceneParams):
        self.pose, self.scene = pose, scene
        x, self.depth = project(pose, scene.base_yaw, scene.mirror)
        self.px = scene.origin_x + scene.scale * x
        self.py = scene.ground_y - scene.scale * pose.joints[..., 2]
        self.psi = scene.base_yaw + pose.yaw * (np.pi - 2.0 * scene.base_yaw)
        look = scene.look
        self.colours = {"pants": look.pants, "shoe": _shade(look.pants, 0.5), "shirt": look.shirt,
                        "forearm": look.shirt if look.sleeves else look.skin}

    def at(self, t: int, name: str) -> tuple[float, float]:
        return self.px[t, J[name]], self.py[t, J[name]]

    def to_px(self, t: int, f: float, left: float, u: float) -> tuple[float, float]:
        c, s = np.cos(self.psi[t]), np.sin(self.psi[t])
        return (self.scene.origin_x + self.scene.scale * self.scene.mirror * (f * c - left * s),
                self.scene.ground_y - self.scene.scale * u)

    def frame(self, t: int) -> np.ndarray:
        img = self.scene.background.copy()
        for d in self.scene.distractors:
            _disc(img, (d.start[0] + t * d.velocity[0], d.start[1] + t * d.velocity[1]), d.radius, d.colour)
        self._chair(img, t)
        items = [(self.depth[t, J["pelvis"]], self._torso), (self.depth[t, J["head"]] + 1e-3, self._head)]
        for side in ("l", "r"):
            for a, b, part in LIMBS:
                ja, jb = f"{a}_{side}", f"{b}_{side}"
                depth = 0.5 * (self.depth[t, J[ja]] + self.depth[t, J[jb]])
                items.append((depth, lambda im, t, ja=ja, jb=jb, part=part: self._limb(im, t, ja, jb, part)))
            hand = f"hand_{side}"
            items.append((self.depth[t, J[hand]] + 1e-3, lambda im, t, side=side: self._cup(im, t, side)))
        items.append((self._box_depth(t), self._box))
        for _, paint in sorted(items, key=lambda item: item[0]):
            paint(img, t)
        return img

    def _limb(self, img: np.ndarray, t: int, ja: str, jb: str, part: str) -> None:
        near = self.depth[t, J[ja]] >= self.depth[t, J["pelvis"]]
        colour = self.colours[part] if near else _shade(self.colours[part], 0.75)
        _line(img, self.at(t, ja), self.at(t, jb), colour, 0.09 * self.scene.scale)

    def _torso(self, img: np.ndarray, t: int) -> None:
        corners = np.array([self.at(t, n) for n in ("shoulder_l", "shoulder_r", "hip_r", "hip_l")])
        shirt = self.scene.look.shirt
        _poly(img, corners, shirt)
        _line(img, self.at(t, "pelvis"), self.at(t, "neck"), shirt, 0.16 * self.scene.scale)

    def _head(self, img: np.ndarray, t: int) -> None:
        r = 0.065 * self.scene.scale
        hx, hy = self.at(t, "head")
        _disc(img, (hx, hy), r, self.scene.look.hair)
        fwd = self.scene.mirror * np.cos(self.psi[t])
        _disc(img, (hx + 0.2 * r * fwd, hy + 0.15 * r), 0.85 * r, self.scene.look.skin)
        base = self.pose.joints[t, J["head"]]
        for lateral in (0.025, -0.025):
            eye_depth = 0.05 * np.sin(self.psi[t]) + lateral * np.cos(self.psi[t])
            if eye_depth > 0:
                ex, ey = self.to_px(t, base[0] + 0.05, lateral, base[2] + 0.005)
                _disc(img, (ex, ey), max(0.6, 0.012 * self.scene.scale), (20, 20, 20))

    def _cup(self, img: np.ndarray, t: int, side: str) -> None:
        tilt = self.pose.cup[t, 0 if side == "l" else 1]
        if np.isnan(tilt):
            return
        s = self.scene.scale
        hx, hy = self.at(t, f"hand_{side}")
        ang = tilt * self.scene.mirror * np.sign(np.cos(self.psi[t]) + 1e-9)
        local = np.array([[-0.02, 0.0], [0.02, 0.0], [0.02, 0.065], [-0.02, 0.065]]) * s
        rot = np.array([[np.cos(ang), np.sin(ang)], [-np.sin(ang), np.cos(ang)]])
        pts = local @ rot.T
        _poly(img, np.stack([hx + pts[:, 0], hy - pts[:, 1] + 0.01 * s], axis=1), self.scene.look.cup)

    def _box_depth(self, t: int) -> float:
        box = self.pose.box[t]
        return -np.inf if np.isnan(box).any() else float(box[0] * np.sin(self.psi[t]))

    def _box(self, img: np.ndarray, t: int) -> None:
        box = self.pose.box[t]
        if np.isnan(box).any():
            return
        cx, cy = self.to_px(t, box[0], 0.0, box[1])
        c, s = abs(np.cos(self.psi[t])), abs(np.sin(self.psi[t]))
        hw, hh = 0.5 * box[2] * (c + 0.8 * s) * self.scene.scale, 0.5 * box[3] * self.scene.scale
        corners = np.array([[cx - hw, cy - hh], [cx + hw, cy - hh], [cx + hw, cy + hh], [cx - hw, cy + hh]])
        _poly(img, corners, self.scene.look.box)
        _line(img, (cx - hw, cy), (cx + hw, cy), _shade(self.scene.look.box, 0.6), 0.02 * self.scene.scale)

    def _chair(self, img: np.ndarray, t: int) -> None:
        seat_f, seat_u = self.pose.chair
        if np.isnan(seat_f):
            return
        colour, w = self.scene.look.chair, 0.035 * self.scene.scale
        front, back = self.to_px(t, seat_f + 0.1, 0, seat_u - 0.04), self.to_px(t, seat_f - 0.1, 0, seat_u - 0.04)
        _line(img, front, back, colour, w)
        for f in (seat_f + 0.1, seat_f - 0.1):
            _line(img, self.to_px(t, f, 0, seat_u - 0.04), self.to_px(t, f, 0, 0.0), colour, w)
        _line(img, back, self.to_px(t, seat_f - 0.1, 0, seat_u + 0.25), colour, w)


def render_clip(pose: Pose, scene: SceneParams) -> np.ndarray:
    """Frames [T, H, W, 3] uint8 (sRGB) of the performance, shaken by the camera."""
    painter = _Painter(pose, scene)
    height, width = scene.background.shape[:2]
    frames = np.empty((pose.joints.shape[0], height, width, 3), np.uint8)
    for t in range(frames.shape[0]):
        dx, dy = scene.shake[t]
        shift = np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]], np.float32)
        frames[t] = cv2.warpAffine(painter.frame(t), shift, (width, height), flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_REFLECT101)
    return frames
