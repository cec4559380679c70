"""The motion programs carry the class: checks on the pose sequences themselves."""
import numpy as np
import pytest

from darkvid.synthetic.actions import CLASS_NAMES, ActionParams, action_motion, pose_sequence
from darkvid.synthetic.scene import project
from darkvid.synthetic.skeleton import J

PARAMS = [ActionParams(tempo=t, phase=ph, hand=h) for t, ph, h in ((1.0, 0.0, 1), (0.85, 0.4, 0), (1.2, 0.9, 1))]


def _joint(pose, name):
    return pose.joints[:, J[name]]


def _crossings(x: np.ndarray) -> int:
    return int(np.sum(np.diff(np.sign(x)) != 0))


@pytest.mark.parametrize("params", PARAMS)
def test_stand_is_sit_played_backwards(params):
    sit = pose_sequence("Sit", 24, params)
    stand = pose_sequence("Stand", 24, params)
    np.testing.assert_array_equal(stand.joints, sit.joints[::-1])
    assert not np.allclose(stand.joints, sit.joints)
    assert _joint(sit, "pelvis")[-1, 2] < _joint(sit, "pelvis")[0, 2] - 0.15  # ends seated


@pytest.mark.parametrize("params", PARAMS)
def test_run_has_faster_cadence_than_walk(params):
    walk, run = pose_sequence("Walk", 64, params), pose_sequence("Run", 64, params)
    stride = {name: _joint(p, "foot_l")[:, 0] - _joint(p, "foot_r")[:, 0] for name, p in (("walk", walk), ("run", run))}
    assert _crossings(stride["run"]) >= 1.4 * _crossings(stride["walk"]) > 0
    low_foot = {name: np.minimum(_joint(p, "foot_l")[:, 2], _joint(p, "foot_r")[:, 2])
                for name, p in (("walk", walk), ("run", run))}
    assert low_foot["run"].max() > 0.02 and low_foot["walk"].max() < 1e-9  # only running has flight
    lean = {name: (_joint(p, "neck") - _joint(p, "pelvis"))[:, 0].mean() for name, p in (("walk", walk), ("run", run))}
    assert lean["run"] > lean["walk"] + 0.05


def test_every_action_is_grounded_and_distinct():
    params = ActionParams(tempo=1.0, phase=0.3)
    poses = {name: pose_sequence(name, 16, params) for name in CLASS_NAMES}
    for name, pose in poses.items():
        assert np.isfinite(pose.joints).all(), name
        assert pose.joints[..., 2].min() > -1e-9, f"{name} goes below the ground"
    names = list(poses)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert not np.allclose(poses[a].joints, poses[b].joints), f"{a} and {b} move alike"


def test_arm_actions_put_the_hand_where_the_class_says():
    params = ActionParams(tempo=1.0, phase=0.0, hand=1)
    drink, pour, wave = (pose_sequence(n, 32, params) for n in ("Drink", "Pour", "Wave"))
    to_head = np.linalg.norm(_joint(drink, "hand_r") - _joint(drink, "head"), axis=1)
    assert to_head.min() < 0.12  # hand to mouth
    pour_hand = _joint(pour, "hand_r")[:, 2]
    assert pour_hand.max() > _joint(pour, "pelvis")[0, 2] + 0.1  # above the waist
    assert np.nanmax(pour.cup[:, 1]) > 1.5  # the cup tips over
    assert (_joint(wave, "hand_r")[:, 2] > _joint(wave, "head")[:, 2]).mean() > 0.5  # raised arm


def test_turn_flips_the_facing_direction():
    pose = pose_sequence("Turn", 32, ActionParams(tempo=1.0, phase=0.5))
    x, _ = project(pose, base_yaw=0.4, mirror=1)
    facing = x[:, J["toe_l"]] - x[:, J["foot_l"]]
    assert facing[0] > 0 > facing[-1]
    width = np.abs(x[:, J["shoulder_l"]] - x[:, J["shoulder_r"]])
    assert width.max() > 1.5 * max(width[0], width[-1])


def test_pick_lifts_the_box_and_push_moves_it():
    params = ActionParams(tempo=1.0, phase=0.5)
    pick, push = pose_sequence("Pick", 32, params), pose_sequence("Push", 32, params)
    assert pick.box[-1, 1] > pick.box[0, 1] + 0.2
    assert push.box[-1, 0] > push.box[0, 0] + 0.15


def test_unknown_action_is_named():
    with pytest.raises(KeyError, match="Dance"):
        action_motion("Dance", 8, ActionParams())
