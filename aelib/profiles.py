"""The book's scales, assembled from the settings each concept declares (:mod:`aelib.config`).

- ``smoke``: seconds per chapter; what the tests run. Numbers are meaningless, code paths are real.
- ``cpu``:   the default main job: the whole book in minutes on a 2-core laptop.
- ``long``:  the cpu book with every training budget four times as long (the fields of
  :data:`aelib.reference.TRAINING_BUDGETS`); its committed results stand beside every build.
- ``paper``: the essay's data sizes, resolutions and model widths; a GPU job.

A profile is the run-level fields (``seed``, ``seeds``, ``device``) and one section per concept:
``P.data.image_size``, ``P.train.steps``, ``P.walk.eps``. Each section is that concept's own config
class, whose defaults are the cpu scale; overrides name fields with dots
(``AELIB_OVERRIDES='{"train.steps": 3000}'``). Chapters name a profile in their ``parameters`` cell.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import json
import math
import os
from dataclasses import dataclass

from . import config


class ProfileError(ValueError):
    """An unknown profile name, an unknown override, or a field of the wrong type, out of range or
    inconsistent with another (see :meth:`Profile.validate`)."""


DEVICES = ("cpu", "cuda")


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)  # isinstance(True, int) holds in Python


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


# A field's type (its annotation, as written in its config class) -> (what it must be, test). Every
# field's type is here (a test checks it); JSON lists from AELIB_OVERRIDES arrive as tuples.
TYPE_RULES = {
    "int": ("int (a whole number; true and false are not integers)", _is_int),
    "int | None": ("int or null", lambda v: v is None or _is_int(v)),
    "float": ("a number (true and false are not numbers)", _is_number),
    "bool": ("bool (true or false)", lambda v: isinstance(v, bool)),
    "str": ("str", lambda v: isinstance(v, str)),
    "str | None": ("str or null", lambda v: v is None or isinstance(v, str)),
    "tuple[int, ...]": ("a list of int", lambda v: isinstance(v, tuple) and all(map(_is_int, v))),
    "tuple[float, ...]": ("a list of numbers", lambda v: isinstance(v, tuple) and all(map(_is_number, v))),
}

# The range of a field of each numeric type: sizes, counts and steps are positive, and so are the
# learning rates, scales and tolerances; a list is non-empty. A field whose range differs says so
# in its config class (:func:`aelib.config.rule`).
_POSITIVE = ("a positive integer (it must not be negative or zero)", lambda v: v > 0)
RANGE_BY_TYPE = {
    "int": _POSITIVE,
    "int | None": ("null or a positive integer (it must not be negative or zero)", lambda v: v > 0),
    "float": ("a positive finite number", lambda v: math.isfinite(v) and v > 0),
    "tuple[int, ...]": ("a non-empty list of positive integers", lambda v: len(v) > 0 and min(v) > 0),
}


@dataclass(frozen=True)
class _Run:
    """The run-level fields of a profile (the smoke scale repeats fewer seeds; the paper runs on GPUs)."""
    seed: int = config.rule(0, *config.NON_NEGATIVE)  # the data crops and split, and anything not repeated per seed
    seeds: tuple[int, ...] = config.rule(
        (0, 1, 2), "a non-empty list of distinct non-negative integers",
        lambda v: len(v) > 0 and min(v) >= 0 and len(set(v)) == len(v))
    # independent repeats of every claim: each retrains the models the claim rests on and redraws its noise,
    # starts and patches (verdicts need at least 3: aelib.claims.MIN_SEEDS)
    device: str = config.rule("cpu", f"one of {', '.join(map(repr, DEVICES))}", lambda v: v in DEVICES)


RUN_SCALES = {"smoke": dict(seeds=(0, 1)), "paper": dict(device="cuda")}
RUN_FIELDS = tuple(f.name for f in dataclasses.fields(_Run))


def _field_error(name: str, value, requirement: str, fix) -> ProfileError:
    """The one message of a bad field: its name, what it must be, the bad value and a setting that works."""
    return ProfileError(f"profile field {name!r} must be {requirement}, got {value!r} "
                        f"(set it with AELIB_OVERRIDES='{json.dumps({name: fix})}')")


@functools.cache
def _fields() -> dict[str, dataclasses.Field]:
    """Every field of a profile by its dotted name (``seed``, ``train.steps``, ...); computed once."""
    out = {f.name: f for f in dataclasses.fields(_Run)}
    for name, sec in config.load_all().items():
        out |= {f"{name}.{f.name}": f for f in dataclasses.fields(sec.cls) if not f.metadata.get("per_seed")}
    return out


def _shipped(prof: Profile, name: str):
    """Field ``name`` of the shipped profile called like ``prof`` (the cpu profile's for another name):
    the value a message suggests as the fix."""
    return (PROFILES.get(prof.name) or PROFILES["cpu"]).value(name)


def _check_field(prof: Profile, name: str, value) -> None:
    """Type, then range of one field's value; raises ProfileError suggesting the shipped value."""
    fix = _shipped(prof, name)
    f = _fields()[name]
    what, ok = TYPE_RULES[f.type]
    if not ok(value):
        raise _field_error(name, value, what, fix)
    if value is None:
        return
    rule = f.metadata.get("rule") or RANGE_BY_TYPE.get(f.type)
    if rule is not None and not rule[1](value):
        raise _field_error(name, value, rule[0], fix)


def _unknown(name: str) -> ProfileError:
    known = sorted(_fields())
    near = [k for k in known if k.split(".")[-1] == name.split(".")[-1] or k.replace(".", "_") == name]
    near = near or difflib.get_close_matches(name, known, n=3)
    hint = f"; did you mean {' or '.join(map(repr, near))}?" if near else f"; known: {', '.join(known)}"
    return ProfileError(f"unknown profile parameter {name!r}{hint}")


@dataclass(frozen=True)
class Profile:
    """A named scale: run-level fields and one frozen config per section (``P.walk`` is a WalkConfig)."""
    name: str
    seed: int
    seeds: tuple[int, ...]
    device: str
    sections: tuple[tuple[str, object], ...]  # (section name, its config), in the order of aelib.config

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        for key, cfg in object.__getattribute__(self, "sections"):
            if key == name:
                return cfg
        raise AttributeError(f"profile {self.name!r} has no field or section {name!r}")

    def value(self, dotted: str):
        """The value of one field by its dotted name (``"train.steps"``)."""
        section, _, field = dotted.rpartition(".")
        return getattr(getattr(self, section), field) if section else getattr(self, field)

    def as_dict(self) -> dict:
        """Every field, sections nested: what a run's identity and the first page record."""
        fields = _fields()
        return {"name": self.name, **{k: getattr(self, k) for k in RUN_FIELDS},
                **{k: {f: v for f, v in dataclasses.asdict(cfg).items() if f"{k}.{f}" in fields}
                   for k, cfg in self.sections}}

    def with_overrides(self, **overrides) -> Profile:
        """A copy with some fields changed, named with dots (``**{"train.steps": 3000}``; lists become
        tuples). An unknown name, or a value of the wrong type or out of its field's range, raises
        ProfileError. Each changed field is checked alone: how fields must agree (the sizes the models
        are built at) is left to :meth:`validate`, which :func:`get` calls, because a chapter asks for
        its data at another resolution through this method without building the profile's U-Nets there."""
        fields = _fields()
        run, by_section = {}, {}
        for key, value in _flatten(overrides).items():
            if key not in fields:
                raise _unknown(key)
            value = tuple(value) if isinstance(value, list) else value
            _check_field(self, key, value)
            section, _, field = key.rpartition(".")
            (by_section.setdefault(section, {}) if section else run)[field] = value
        sections = tuple((k, dataclasses.replace(cfg, **by_section[k]) if k in by_section else cfg)
                         for k, cfg in self.sections)
        return dataclasses.replace(self, sections=sections, **run)

    def validate(self) -> Profile:
        """Check every field, then the sizes the chapters build their models at; returns ``self``.

        Runs before anything else (:func:`get` calls it on every resolved profile), so that a bad
        value fails at once with one message naming the field, the value and a value that works,
        instead of minutes later deep inside a kernel (``image_size`` 17 once failed in a U-Net's
        convolution with "Expected 3D or 4D tensor"). Raises :class:`ProfileError`."""
        for name in _fields():
            _check_field(self, name, self.value(name))
        self._check_model_sizes()
        return self

    def _check_model_sizes(self) -> None:
        """The sizes at which the chapters build models with down-sampling, and nothing stricter:

        - the U-Net at ``data.image_size`` halves it ``unet.depth`` times (the wide + deep variant
          ``unet.depth + 1`` times), and the hidden-MLP U-Net needs a bottleneck side divisible by 4:
          ``data.image_size`` divisible by 2**(unet.depth + 2);
        - U-Nets of depth ``unet.depth`` are also trained at ``fc.image_size`` and ``mem.image_size``;
        - the attention U-Net halves ``data.image_size`` ``attn.unet_depth`` times and normalises
          ``attn.unet_base`` maps with GroupNorm(8);
        - the non-invertibility MLP has ``nonin.layers`` encoder layers, each a quarter as wide as the last.

        The FC and MLP models at ``fc.image_size`` and the single-attention models at
        ``attn.small_size`` do not down-sample: any positive size builds them."""
        d = self.unet.depth
        self._require_divisible("data.image_size", 2 ** (d + 2),
                                f"2**(unet.depth + 2) = {2 ** (d + 2)} (the U-Nets halve it unet.depth = {d} "
                                "times, and the hidden-MLP U-Net needs a bottleneck side divisible by 4)")
        self._require_divisible("fc.image_size", 2 ** d, f"2**unet.depth = {2 ** d} (U-Nets are trained at this size)")
        self._require_divisible("mem.image_size", 2 ** d,
                                f"2**unet.depth = {2 ** d} (the ladder of U-Nets runs at this size)")
        self._require_divisible("attn.unet_base", 8, "8 (the attention U-Net uses GroupNorm(8))")
        size, depth = self.data.image_size, self.attn.unet_depth
        if size % 2 ** depth:
            deepest = max((k for k in range(1, depth) if size % 2 ** k == 0), default=1)
            raise _field_error("attn.unet_depth", depth,
                               f"at most {deepest} at data.image_size {size} (the attention U-Net halves "
                               "data.image_size attn.unet_depth times)",
                               min(deepest, _shipped(self, "attn.unet_depth")))
        width, layers = self.nonin.width, self.nonin.layers
        if width // 4 ** (layers - 1) < 1:
            most = max((k for k in range(1, layers) if width // 4 ** (k - 1) >= 1), default=1)
            raise _field_error("nonin.layers", layers,
                               f"at most {most} at nonin.width {width} (the non-invertibility MLP makes each "
                               "encoder layer a quarter as wide as the one before)",
                               min(most, _shipped(self, "nonin.layers")))

    def _require_divisible(self, name: str, divisor: int, why: str) -> None:
        value = self.value(name)
        if value % divisor:
            raise _field_error(name, value, f"divisible by {why}", divisor * max(1, round(value / divisor)))


def _flatten(overrides: dict) -> dict:
    """Dotted names from either spelling: ``{"train.steps": 3}`` or ``{"train": {"steps": 3}}``."""
    out = {}
    for key, value in overrides.items():
        if isinstance(value, dict) and key in config.load_all():
            out |= {f"{key}.{k}": v for k, v in value.items()}
        else:
            out[key] = value
    return out


def _scale(name: str) -> Profile:
    """The shipped profile ``name``: every section's defaults, then what differs at that scale."""
    sections = tuple((key, sec.cls(**sec.scales.get(name, {}))) for key, sec in config.load_all().items())
    return Profile(name=name, sections=sections, **dataclasses.asdict(_Run(**RUN_SCALES.get(name, {}))))


PROFILES: dict[str, Profile] = {name: _scale(name) for name in config.SCALES}


def env_overrides() -> dict:
    """The fields set with ``$AELIB_OVERRIDES``, a JSON object of dotted names (e.g.
    ``'{"data.dataset": "photos", "train.steps": 3000}'`` for a short paper run); empty when unset."""
    env = os.environ.get("AELIB_OVERRIDES")
    if not env:
        return {}
    try:
        extra = json.loads(env)
    except json.JSONDecodeError as err:
        raise ProfileError(f"AELIB_OVERRIDES is not a JSON object: {err}") from None
    if not isinstance(extra, dict):
        raise ProfileError("AELIB_OVERRIDES must be a JSON object of profile fields")
    return _flatten(extra)


def get(name: str | Profile, **overrides) -> Profile:
    """The named profile, then ``$AELIB_OVERRIDES``, then keyword ``overrides``, then ``$AELIB_DATA``;
    validated (:meth:`Profile.validate`), so a bad field fails here, before anything runs.

    ``$AELIB_DATA`` is the path of whichever data set the *resolved* profile names, so it is applied
    last: ``AELIB_OVERRIDES='{"data.dataset": "folder"}'`` or ``python -m aelib.train --dataset folder``
    finds its folder there. It is not applied to the shipped photos, nor where a ``data.path`` was
    given explicitly (keyword or ``$AELIB_OVERRIDES``). A :class:`Profile` passed in is taken as
    already resolved: only ``overrides`` apply to it before it is validated."""
    if isinstance(name, Profile):
        return (name.with_overrides(**overrides) if overrides else name).validate()
    if name not in PROFILES:
        raise ProfileError(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}")
    from_env = env_overrides()
    prof = PROFILES[name].with_overrides(**from_env).with_overrides(**overrides)
    env_path = os.environ.get("AELIB_DATA")
    given = set(from_env) | set(_flatten(overrides))
    if env_path and prof.data.dataset != "photos" and "data.path" not in given:
        prof = prof.with_overrides(**{"data.path": env_path})
    return prof.validate()


def threads_from_env() -> int | None:
    """The torch thread count asked for with ``$AELIB_THREADS``: None when unset (or empty), else a
    positive integer. Anything else raises ProfileError, so that a typo is refused before a run
    starts rather than in ``int()`` inside a chapter's kernel."""
    value = os.environ.get("AELIB_THREADS")
    if value is None or not value.strip():
        return None
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise ProfileError(f"AELIB_THREADS must be a positive integer, got {value!r}")
    return n


def check_data(prof: Profile) -> int | None:
    """The checks of a profile that need its data set; returns the held-out count (None where it cannot
    be known cheaply: see :func:`aelib.data.heldout_size`, which reads image headers, not pixels).

    ``data.n_eval`` (the held-out images every metric uses) must not exceed the held-out set: slicing
    ``heldout[:n_eval]`` would silently evaluate on fewer. Raises ProfileError; a missing shipped
    photo raises :class:`aelib.data.DataError`."""
    from . import data  # imports torch; importing profiles stays light

    n = data.heldout_size(prof)
    if n is not None and prof.data.n_eval > n:
        raise ProfileError(f"profile field 'data.n_eval' must be at most the {n} held-out images of data set "
                           f"{prof.data.dataset!r} at profile {prof.name!r}, got {prof.data.n_eval} "
                           f"(set it with AELIB_OVERRIDES='{json.dumps({'data.n_eval': n})}')")
    return n
