"""An articulated stick figure: body proportions, a per-frame motion description and its kinematics.

Angles live in the body frame (f: forward, l: the actor's left, u: up), in body heights. The
origin is a point on the ground under the feet that moves by `Motion.travel`, so stationary
actions keep their feet planted while walking actions slide the origin forward.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

JOINTS = (
    "pelvis", "neck", "head",
    "shoulder_l", "shoulder_r", "elbow_l", "elbow_r", "hand_l", "hand_r",
    "hip_l", "hip_r", "knee_l", "knee_r", "foot_l", "foot_r", "toe_l", "toe_r",
)
J = {name: i for i, name in enumerate(JOINTS)}
SIDE_SIGN = np.array([1.0, -1.0])  # left side has positive l


@dataclass(frozen=True)
class Body:
    """Segment lengths in body heights (a standing actor is about 1.0 tall)."""

    torso: float = 0.30
    neck_to_head: float = 0.085
    head_radius: float = 0.065
    upper_arm: float = 0.15
    forearm: float = 0.14
    thigh: float = 0.24
    shin: float = 0.24
    foot: float = 0.06
    shoulder_half: float = 0.085
    hip_half: float = 0.055


BODY = Body()


@dataclass(frozen=True)
class Motion:
    """Everything an action program decides, one row per frame; [T, 2] arrays are (left, right).

    Limb angles are elevations from straight down (0 down, pi up), signed: positive swings
    forward. `arm_out` turns an arm's swing plane outward from the sagittal plane (pi/2 = sideways).
    `yaw` is the fraction of a half turn done so far (0 keeps the scene's facing, 1 faces the other way).
    Props: `cup` is the tilt of a cup in each hand (NaN: no cup); `box` is a static rest box
    (f, u_centre, width, height) or NaNs, pulled toward the hands by `box_follow` ([T, 2] weights
    for f and u) with its centre `box_offset` ahead of the hands; `chair` is a seat (f, u) or NaNs.
    """

    thigh: np.ndarray
    shin: np.ndarray
    arm_up: np.ndarray
    arm_fore: np.ndarray
    arm_out: np.ndarray
    lean: np.ndarray
    travel: np.ndarray
    lift: np.ndarray
    yaw: np.ndarray
    cup: np.ndarray
    box_follow: np.ndarray
    box: np.ndarray = dataclasses.field(default_factory=lambda: np.full(4, np.nan))
    box_offset: float = 0.0
    chair: np.ndarray = dataclasses.field(default_factory=lambda: np.full(2, np.nan))

    @classmethod
    def standing(cls, frames: int) -> "Motion":
        """A relaxed upright pose held for `frames` frames, the start of every action program."""
        pair = np.zeros((frames, 2))
        return cls(
            thigh=pair.copy(), shin=pair.copy(),
            arm_up=pair + 0.08, arm_fore=pair + 0.2, arm_out=pair + 0.15,
            lean=np.zeros(frames), travel=np.zeros(frames), lift=np.zeros(frames),
            yaw=np.zeros(frames), cup=np.full((frames, 2), np.nan), box_follow=pair.copy(),
        )

    @property
    def frames(self) -> int:
        return len(self.lean)

    def reversed(self) -> "Motion":
        """The same motion played backwards (Stand is Sit reversed)."""
        timed = {f.name: getattr(self, f.name)[::-1].copy() for f in dataclasses.fields(self)
                 if isinstance(getattr(self, f.name), np.ndarray) and f.name not in ("box", "chair")}
        return dataclasses.replace(self, **timed)


@dataclass(frozen=True)
class Pose:
    """Kinematics of a motion: joint positions [T, J, 3] as (f, l, u), plus props and yaw."""

    joints: np.ndarray
    yaw: np.ndarray
    cup: np.ndarray
    box: np.ndarray
    chair: np.ndarray


def direction(elev: np.ndarray, azim: np.ndarray, side: np.ndarray) -> np.ndarray:
    """Unit vectors (f, l, u) for elevation-from-down angles, turned outward by azim on `side`."""
    s = np.sin(elev)
    return np.stack([s * np.cos(azim), side * s * np.sin(azim), -np.cos(elev)], axis=-1)


def kinematics(m: Motion, body: Body = BODY) -> Pose:
    """Joint positions of every frame; the pelvis height keeps the lower foot on the ground."""
    t = m.frames
    zeros = np.zeros_like(m.thigh)
    knee_rel = body.thigh * direction(m.thigh, zeros, SIDE_SIGN)
    foot_rel = knee_rel + body.shin * direction(m.shin, zeros, SIDE_SIGN)
    pelvis = np.stack([
        m.travel - foot_rel[..., 0].mean(axis=1),
        np.zeros(t),
        -foot_rel[..., 2].min(axis=1) + m.lift,
    ], axis=-1)
    torso_dir = np.stack([np.sin(m.lean), np.zeros(t), np.cos(m.lean)], axis=-1)
    neck = pelvis + body.torso * torso_dir
    head_lean = 0.8 * m.lean
    head = neck + body.neck_to_head * np.stack([np.sin(head_lean), np.zeros(t), np.cos(head_lean)], -1)
    lateral = np.zeros((2, 3))
    lateral[:, 1] = SIDE_SIGN
    shoulder = (neck - 0.025 * torso_dir)[:, None, :] + body.shoulder_half * lateral
    hip = pelvis[:, None, :] + body.hip_half * lateral
    elbow = shoulder + body.upper_arm * direction(m.arm_up, m.arm_out, SIDE_SIGN)
    hand = elbow + body.forearm * direction(m.arm_fore, m.arm_out, SIDE_SIGN)
    knee = hip + knee_rel
    foot = hip + foot_rel
    toe = foot + np.array([body.foot, 0.0, 0.0])
    joints = np.concatenate([
        pelvis[:, None], neck[:, None], head[:, None],
        shoulder, elbow, hand, hip, knee, foot, toe,
    ], axis=1)
    return Pose(joints=joints, yaw=m.yaw.copy(), cup=m.cup.copy(), box=_box_track(m, hand), chair=m.chair.copy())


def _box_track(m: Motion, hand: np.ndarray) -> np.ndarray:
    """Box centre and size per frame [T, 4]: the rest position blended toward the hands."""
    rest = np.broadcast_to(m.box, (m.frames, 4)).copy()
    if np.isnan(m.box).any():
        return rest
    grip = hand.mean(axis=1)
    rest[:, 0] += m.box_follow[:, 0] * (grip[:, 0] + m.box_offset - rest[:, 0])
    rest[:, 1] += m.box_follow[:, 1] * (grip[:, 2] - rest[:, 1])
    return rest
