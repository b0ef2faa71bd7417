"""A setting has one default, written once: each concept's config class in aelib.config is the
profile's section, the concept module uses that class, and no other config class of the library
declares a default for a setting a section owns."""

import dataclasses
import importlib
import inspect
import pkgutil

import pytest

import aelib
from aelib import config, metrics, profiles, representation, training, walk


def test_concept_modules_use_their_sections_classes():
    sections = config.load_all()
    assert walk.WalkConfig is sections["walk"].cls
    assert training.TrainConfig is sections["train"].cls
    assert representation.RepresentationConfig is sections["rep"].cls
    assert metrics.SWConfig is sections["sw"].cls
    assert profiles.get("cpu").walk == walk.WalkConfig()  # the cpu scale is the classes' defaults


def _library_dataclasses():
    for info in pkgutil.iter_modules(aelib.__path__):
        if info.name in ("__main__", "sphinx_ext"):
            continue
        mod = importlib.import_module(f"aelib.{info.name}")
        for name, obj in vars(mod).items():
            if inspect.isclass(obj) and dataclasses.is_dataclass(obj) and obj.__module__ == mod.__name__:
                yield f"{mod.__name__}.{name}", obj


def test_no_setting_has_a_second_default_outside_its_section():
    sections = config.load_all()
    owned = {f.name: name for name, sec in sections.items() for f in dataclasses.fields(sec.cls)}
    section_classes = {sec.cls for sec in sections.values()}
    twice = []
    for where, cls in _library_dataclasses():
        if cls in section_classes:
            continue
        for f in dataclasses.fields(cls):
            has_default = f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
            # None means "off" or "not given", and every stream has its own seed
            if has_default and f.default is not None and f.name in owned and f.name != "seed":
                twice.append(f"{where}.{f.name} (section {owned[f.name]!r} owns it)")
    assert not twice, f"defaults written a second time: {twice}"


def test_the_check_finds_a_second_default(monkeypatch):
    """The test above can fail: a config class that repeats a walk setting is caught."""

    @dataclasses.dataclass(frozen=True)
    class Repeats:
        eps: float = 0.2

    Repeats.__module__ = "aelib.walk"
    monkeypatch.setattr(walk, "Repeats", Repeats, raising=False)
    with pytest.raises(AssertionError, match="aelib.walk.Repeats.eps"):
        test_no_setting_has_a_second_default_outside_its_section()


def test_every_section_names_only_its_own_fields_at_each_scale():
    with pytest.raises(ValueError, match="unknown field"):
        config.section("bad", smoke=dict(nonexistent=1))(dataclasses.dataclass(frozen=True)(type("Bad", (), {})))
    with pytest.raises(ValueError, match="unknown scale"):
        config.section("bad", laptop={})
    for name, sec in config.load_all().items():
        assert set(sec.scales) <= set(config.SCALES), name
