import csv
import hashlib

import numpy as np
import pytest
import torch
from PIL import Image

from aelib import data, profiles
from aelib.data import DataError
from aelib.profiles import ProfileError


def _photo(path, seed, size=(80, 60)):
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)).save(path)


def test_shipped_photos_match_their_manifest():
    with open(data.SHIPPED_MANIFEST, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) >= 20
    for r in rows:
        p = data.SHIPPED_PHOTOS / r["file"]
        assert hashlib.sha256(p.read_bytes()).hexdigest() == r["sha256"], f"{p} changed"


def test_shipped_set_is_split_by_photo_and_preloaded():
    s = data.load(profiles.get("smoke"))
    assert s.train.dtype == torch.uint8 and s.train.shape[1:] == (3, 16, 16)
    assert set(s.train_groups).isdisjoint(s.heldout_groups)
    assert len(s.heldout) > 0 and len(s.train) == profiles.get("smoke").data.max_train
    again = data.load(profiles.get("smoke"))
    assert again.fingerprint == s.fingerprint and torch.equal(again.train, s.train)


def test_folder_loader_center_crop_and_groups(tmp_path):
    for i in range(5):
        _photo(tmp_path / f"p{i}.jpg", i)
    s = data.load_photos(tmp_path, image_size=8, crop_size=None, heldout_fraction=0.4)
    assert len(s.train) + len(s.heldout) == 5 and s.train.shape[1:] == (3, 8, 8)
    assert len(s.heldout_groups) == 2


def test_empty_folder_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="holds no image files"):
        data.load_photos(tmp_path)
    with pytest.raises(DataError, match="does not exist"):
        data.load_photos(tmp_path / "missing")


def test_corrupt_image_is_named_or_skipped_and_counted(tmp_path):
    for i in range(4):
        _photo(tmp_path / f"p{i}.jpg", i)
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    with pytest.raises(DataError, match="broken.jpg"):
        data.load_photos(tmp_path, crop_size=None)
    with pytest.warns(UserWarning, match="skipped 1"):
        s = data.load_photos(tmp_path, crop_size=None, skip_corrupt=True, image_size=8)
    assert len(s.skipped) == 1 and len(s.train) + len(s.heldout) == 4


def test_greyscale_and_rgba_images_are_converted(tmp_path):
    Image.fromarray(np.zeros((40, 40), dtype=np.uint8), mode="L").save(tmp_path / "g.png")
    Image.fromarray(np.zeros((40, 40, 4), dtype=np.uint8), mode="RGBA").save(tmp_path / "a.png")
    s = data.load_photos(tmp_path, crop_size=None, image_size=8, heldout_fraction=0.5)
    assert s.train.shape[1] == 3


def test_lsun_npy_loader(tmp_path):
    arr = np.random.default_rng(0).integers(0, 255, (20, 64, 64, 3), dtype=np.uint8)
    np.save(tmp_path / "church.npy", arr)
    s = data.load_lsun_npy(tmp_path / "church.npy", image_size=32, heldout=4)
    assert s.train.shape == (16, 3, 32, 32) and s.heldout.shape == (4, 3, 32, 32)
    np.save(tmp_path / "bad.npy", arr.astype(np.float32))
    with pytest.raises(DataError, match="uint8"):
        data.load_lsun_npy(tmp_path / "bad.npy")
    (tmp_path / "trunc.npy").write_bytes((tmp_path / "church.npy").read_bytes()[:500])
    with pytest.raises(DataError, match="trunc.npy"):
        data.load_lsun_npy(tmp_path / "trunc.npy")


def test_cifar_without_local_copy_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="nothing is downloaded"):
        data.load_cifar10(tmp_path)


def test_profiles_reject_unknown_names_and_parameters():
    with pytest.raises(ProfileError, match="unknown profile 'laptop'"):
        profiles.get("laptop")
    with pytest.raises(ProfileError, match="unknown profile parameter 'stepz'"):
        profiles.get("cpu", stepz=3)
    with pytest.raises(ProfileError, match="must not be negative"):
        profiles.get("cpu", **{"train.steps": -5})
    with pytest.raises(ProfileError, match="must be int"):
        profiles.get("cpu", **{"train.steps": "many"})
    assert profiles.get("cpu", **{"train.steps": 7}).train.steps == 7
    with pytest.raises(ProfileError, match="did you mean .*'train.steps'"):
        profiles.get("cpu", steps=7)  # the flat names of the first profiles point to their section


def test_non_shipped_dataset_without_a_path():
    with pytest.raises(DataError, match="AELIB_DATA"):
        data.load(profiles.get("cpu", **{"data.dataset": "lsun"}))


def test_profile_overrides_from_the_environment(monkeypatch):
    monkeypatch.setenv("AELIB_OVERRIDES", '{"data.dataset": "photos", "train.steps": 3000}')
    p = profiles.get("paper")
    assert p.data.dataset == "photos" and p.train.steps == 3000 and p.unet.base == 64
    monkeypatch.setenv("AELIB_OVERRIDES", '{"train": {"steps": 3000}}')  # the nested spelling
    assert profiles.get("paper").train.steps == 3000
    monkeypatch.setenv("AELIB_OVERRIDES", '{"stepz": 1}')
    with pytest.raises(ProfileError, match="unknown profile parameter 'stepz'"):
        profiles.get("cpu")
    monkeypatch.setenv("AELIB_OVERRIDES", "steps=3")
    with pytest.raises(ProfileError, match="not a JSON object"):
        profiles.get("cpu")


def test_subset_by_group_takes_whole_groups_near_the_share():
    groups = [g for g in "abcdefgh" for _ in range(4)]  # 8 groups of 4 images
    idx = data.subset_by_group(groups, 0.25, seed=3)
    chosen = {groups[i] for i in idx}
    assert len(idx) == 8 and len(chosen) == 2  # two whole groups: exactly a quarter
    assert sorted(idx.tolist()) == [i for i, g in enumerate(groups) if g in chosen]
    assert torch.equal(idx, data.subset_by_group(groups, 0.25, seed=3))  # seeded
    assert {frozenset(groups[i] for i in data.subset_by_group(groups, 0.25, seed=s)) for s in range(6)} != {
        frozenset(chosen)}  # another seed, other groups
    # unequal groups, target 0.125 * 40 = 5: whichever of "small" (4) and "mid" (6) comes first is taken
    # alone (the other would move the count to 10), and "big" (30) never is
    uneven = ["big"] * 30 + ["small"] * 4 + ["mid"] * 6
    picks = {tuple(sorted({uneven[i] for i in data.subset_by_group(uneven, 0.125, seed=s)})) for s in range(12)}
    assert picks == {("small",), ("mid",)}
    # every group larger than twice the target: the smallest alone; a share near 1: never every group
    assert all(len(data.subset_by_group(["a"] * 10 + ["b"] * 12, 0.1, seed=s)) == 10 for s in range(8))
    assert len(data.subset_by_group(["a", "b"], 0.9)) == 1
    # one group per image: a plain random subset of round(frac * n)
    singles = [str(i) for i in range(40)]
    assert len(data.subset_by_group(singles, 0.125, seed=1)) == 5
    with pytest.raises(ValueError):
        data.subset_by_group(groups, 1.0)
    with pytest.raises(DataError):
        data.subset_by_group(["a"] * 5, 0.5)
