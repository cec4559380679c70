"""Nuisance variation around the actor: placement, size, facing, clothes, background, shake, distractors."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from darkvid.synthetic.skeleton import Pose

BACKGROUNDS = ("noise", "stripes", "gradient")
ACTOR_HEIGHT = (0.78, 0.95)  # the actor's standing height, fraction of the frame height (framed on the actor)
WALL_SATURATION = 0.4  # walls and floors keep this share of a random colour's saturation (muted rooms)
Colour = tuple[int, int, int]


@dataclass(frozen=True)
class Look:
    """Colours (RGB) of the actor and the props."""

    shirt: Colour
    pants: Colour
    skin: Colour
    hair: Colour
    sleeves: bool
    cup: Colour
    box: Colour
    chair: Colour


@dataclass(frozen=True)
class Distractor:
    """A ball drifting across the scene, unrelated to the action."""

    start: tuple[float, float]
    velocity: tuple[float, float]
    radius: float
    colour: Colour


@dataclass(frozen=True)
class SceneParams:
    """Where and how the actor is shown; pixel quantities are at the output size."""

    scale: float  # pixels per body height
    origin_x: float  # pixel column of the body-frame origin at travel 0
    ground_y: float  # pixel row of the ground
    mirror: int  # +1: the actor faces right, -1: faces left
    base_yaw: float  # radians away from a pure side view
    look: Look
    background: np.ndarray  # uint8 [H, W, 3]
    shake: np.ndarray  # [T, 2] pixel offsets of the camera
    distractors: tuple[Distractor, ...]


def project(pose: Pose, base_yaw: float, mirror: int) -> tuple[np.ndarray, np.ndarray]:
    """Screen x (body units, before scaling) and depth of every joint; larger depth is nearer.

    `pose.yaw` is the fraction of a half turn done so far: 1 faces the opposite way.
    """
    psi = base_yaw + pose.yaw * (np.pi - 2.0 * base_yaw)
    c, s = np.cos(psi)[:, None], np.sin(psi)[:, None]
    f, left = pose.joints[..., 0], pose.joints[..., 1]
    return mirror * (f * c - left * s), f * s + left * c


def _colour(rng: np.random.Generator, lo: int = 20, hi: int = 235) -> Colour:
    return tuple(int(v) for v in rng.integers(lo, hi, size=3))


def sample_look(rng: np.random.Generator) -> Look:
    """Random clothes and prop colours; skin tones from a light-to-dark ramp."""
    tone = rng.uniform(0.0, 1.0)
    skin = tuple(int(v) for v in np.array([235, 190, 160]) * (1 - tone) + np.array([95, 60, 40]) * tone)
    return Look(
        shirt=_colour(rng), pants=_colour(rng, 10, 180), skin=skin, hair=_colour(rng, 5, 120),
        sleeves=bool(rng.random() < 0.5), cup=_colour(rng, 120, 255), box=_colour(rng, 60, 200),
        chair=_colour(rng, 30, 160),
    )


def _muted(colour: np.ndarray) -> np.ndarray:
    grey = colour.mean()
    return grey + WALL_SATURATION * (colour - grey)


def make_background(rng: np.random.Generator, width: int, height: int, ground_y: float) -> np.ndarray:
    """A smooth textured wall (noise, stripes or gradient) above a floor of another colour."""
    kind = BACKGROUNDS[int(rng.integers(len(BACKGROUNDS)))]
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    if kind == "noise":
        cells = rng.normal(size=(int(rng.integers(3, 8)), int(rng.integers(3, 8)))).astype(np.float32)
        field = cv2.resize(cells, (width, height), interpolation=cv2.INTER_CUBIC)
        field = (field - field.min()) / max(float(np.ptp(field)), 1e-6)
    elif kind == "stripes":
        theta = rng.uniform(0, np.pi)
        period = rng.uniform(0.1, 0.4) * width
        field = 0.5 + 0.5 * np.sin(2 * np.pi * (xx * np.cos(theta) + yy * np.sin(theta)) / period)
    else:
        theta = rng.uniform(0, 2 * np.pi)
        proj = xx * np.cos(theta) + yy * np.sin(theta)
        field = (proj - proj.min()) / max(float(np.ptp(proj)), 1e-6)
    a = _muted(np.array(_colour(rng, 40, 215)))
    b = np.clip(a + rng.normal(0, 15, size=3), 0, 255)  # a gentle texture: the actor should stand out
    wall = a + field[..., None] * (b - a)
    floor = _muted(np.array(_colour(rng, 20, 200))) * (1.0 + 0.15 * (yy[..., None] - ground_y) / height)
    image = np.where(yy[..., None] >= ground_y, floor, wall)
    image += rng.normal(0, 4, size=image.shape)  # fine grain so flat areas are not perfectly flat
    return np.clip(image, 0, 255).astype(np.uint8)


def camera_shake(rng: np.random.Generator, frames: int, amplitude: float) -> np.ndarray:
    """Smooth random-walk jitter [T, 2] with a peak of about `amplitude` pixels."""
    walk = np.cumsum(rng.normal(size=(frames, 2)), axis=0)
    walk = cv2.GaussianBlur(walk.astype(np.float32), (1, 5), 1.5) if frames >= 5 else walk
    walk -= walk.mean(axis=0)
    peak = max(float(np.abs(walk).max()), 1e-6)
    return (walk / peak * amplitude).astype(np.float64)


def _extent(pose: Pose, base_yaw: float, mirror: int) -> tuple[float, float]:
    """Horizontal range (body units) covered by the actor and any box over the whole clip."""
    x, _ = project(pose, base_yaw, mirror)
    xs = [x.min() - 0.1, x.max() + 0.1]
    if not np.isnan(pose.box).any():
        psi = base_yaw + pose.yaw * (np.pi - 2.0 * base_yaw)
        centre = mirror * pose.box[:, 0] * np.cos(psi)
        half = 0.5 * pose.box[:, 2]
        xs += [(centre - half).min(), (centre + half).max()]
    return float(min(xs)), float(max(xs))


def sample_scene(
    rng: np.random.Generator, pose: Pose, width: int, height: int, spread: float = 1.0
) -> SceneParams:
    """Place the actor so the whole performance stays in frame, then draw the rest of the scene.

    `spread` is how far from the centre the performance may sit, as a fraction of the free room
    on either side: a camera framed on the actor (as ARID's are) keeps it small.
    """
    mirror = 1 if rng.random() < 0.5 else -1
    base_yaw = float(rng.uniform(0.25, 0.8))
    x_lo, x_hi = _extent(pose, base_yaw, mirror)
    up = pose.joints[..., 2].max() + 0.08
    ground_y = float(rng.uniform(0.84, 0.97) * height)
    max_scale = min(0.92 * width / (x_hi - x_lo), (ground_y - 0.03 * height) / up)
    scale = float(min(rng.uniform(*ACTOR_HEIGHT) * height, max_scale))
    lo, hi = -x_lo * scale, width - x_hi * scale
    offset = float(rng.uniform(0.0, 1.0)) if hi > lo else 0.5
    origin_x = lo + (hi - lo) * (0.5 + spread * (offset - 0.5))
    frames = pose.joints.shape[0]
    distractors = tuple(
        Distractor(
            start=(float(rng.uniform(0, width)), float(rng.uniform(0, ground_y))),
            velocity=(float(rng.normal(0, 0.01 * width)), float(rng.normal(0, 0.005 * height))),
            radius=float(rng.uniform(0.02, 0.05) * height), colour=_colour(rng),
        )
        for _ in range(int(rng.choice([0, 0, 0, 1])))
    )
    return SceneParams(
        scale=scale, origin_x=origin_x, ground_y=ground_y, mirror=mirror, base_yaw=base_yaw,
        look=sample_look(rng), background=make_background(rng, width, height, ground_y),
        shake=camera_shake(rng, frames, float(rng.uniform(0.0, 0.015) * width)),
        distractors=distractors,
    )
