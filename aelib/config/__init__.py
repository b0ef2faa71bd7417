"""Profile sections: each concept's config class, registered once with its values at each scale.

Each module of this package declares one concept's settings as a frozen dataclass whose defaults
are the ``cpu`` scale, and registers it under a short section name with what differs at the other
scales; the concept module (``aelib.walk`` for the walk) imports its class from here::

    @section("walk", smoke=dict(steps=12, walkers=8), paper=dict(walkers=256))
    @dataclass(frozen=True)
    class WalkConfig:
        steps: int = 300      # re-encodings per walk
        ...

:mod:`aelib.profiles` assembles every registered section into a profile (``P.walk.steps``), so a
setting has one default, written once. A field whose allowed range is not simply "positive" says
so with :func:`rule`. The package imports neither torch nor the rest of ``aelib`` (checking a
profile stays fast); :func:`load_all` imports every module of it, which registers every section.
A new concept with settings adds one module here; nothing else lists the sections.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from dataclasses import dataclass

SCALES = ("smoke", "cpu", "long", "paper")


@dataclass(frozen=True)
class Section:
    name: str        # the attribute of a profile (``P.<name>``) and the prefix of dotted overrides
    cls: type        # the frozen dataclass; its defaults are the cpu scale
    scales: dict     # scale name -> {field: value} that differs from the defaults there


SECTIONS: dict[str, Section] = {}


def section(name: str, **scales: dict):
    """Register the decorated dataclass as profile section ``name``; ``scales`` give the fields that
    differ from its defaults at the other scales (``smoke``, ``long``, ``paper``)."""
    unknown = set(scales) - set(SCALES)
    if unknown:
        raise ValueError(f"section {name!r}: unknown scale(s) {sorted(unknown)}; scales are {SCALES}")

    def register(cls: type) -> type:
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"section {name!r} must be a dataclass, got {cls!r}")
        fields = {f.name for f in dataclasses.fields(cls)}
        for scale, values in scales.items():
            bad = set(values) - fields
            if bad:
                raise ValueError(f"section {name!r}, scale {scale!r}: unknown field(s) {sorted(bad)}")
        if name in SECTIONS and SECTIONS[name].cls.__qualname__ != cls.__qualname__:
            raise ValueError(f"profile section {name!r} is registered twice ({SECTIONS[name].cls} and {cls})")
        SECTIONS[name] = Section(name, cls, scales)
        return cls

    return register


NON_NEGATIVE = ("a non-negative integer", lambda v: v >= 0)


def per_seed(default) -> dataclasses.Field:
    """A field of a config class that is not a setting of the profile: chapters set it for each
    seed they repeat (a training run's seed). It is neither overridden nor checked nor recorded."""
    return dataclasses.field(default=default, metadata={"per_seed": True})


def rule(default, requirement: str, check) -> dataclasses.Field:
    """A dataclass field whose allowed values are not simply those of its type (positive numbers,
    non-empty lists of positive integers): ``requirement`` says what they are, ``check`` tests one."""
    kw = {"default_factory": lambda: default} if isinstance(default, (list, dict)) else {"default": default}
    return dataclasses.field(metadata={"rule": (requirement, check)}, **kw)


_LOADED = False


def load_all() -> dict[str, Section]:
    """Every registered section, in the order of their modules' names (the package is scanned and
    its modules imported on the first call only)."""
    global _LOADED
    if not _LOADED:
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
            importlib.import_module(f"{__name__}.{info.name}")
        _LOADED = True
    return SECTIONS
