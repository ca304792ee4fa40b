"""Declared recipe parameters: every name, type and range is checked before any pixel is touched."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vitrine.inference.errors import UnsupportedParameter

Color = tuple[int, int, int]

_HEX_COLOR = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def parse_color(value: Any) -> Color:
    """``"#RRGGBB"``, ``"#RGB"`` or ``[r, g, b]`` (0-255) as an RGB tuple."""
    if isinstance(value, str) and (match := _HEX_COLOR.match(value.strip())):
        digits = match.group(1)
        if len(digits) == 3:
            digits = "".join(ch * 2 for ch in digits)
        return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))
    if (
        isinstance(value, list | tuple)
        and len(value) == 3
        and all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= 255 for c in value)
    ):
        return (value[0], value[1], value[2])
    raise ValueError(f'{value!r} is not a colour; write it as "#RRGGBB"')


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # "str" | "int" | "float" | "bool" | "color" | "mapping"
    default: Any
    choices: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    modes: tuple[str, ...] | None = None  # the modes this parameter affects; None = every mode
    help: str = ""

    def coerce(self, recipe: str, value: Any) -> Any:
        where = f"parameter {self.name!r} of the {recipe} recipe"
        if self.kind == "color":
            try:
                return parse_color(value)
            except ValueError as exc:
                raise UnsupportedParameter(f"{where}: {exc}") from None
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise UnsupportedParameter(f"{where} must be true or false, not {value!r}")
            return value
        if self.kind == "int":
            if not isinstance(value, int) or isinstance(value, bool):
                raise UnsupportedParameter(f"{where} must be a whole number, not {value!r}")
        elif self.kind == "float":
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise UnsupportedParameter(f"{where} must be a number, not {value!r}")
            value = float(value)
        elif self.kind == "str":
            if isinstance(value, int | float) and not isinstance(value, bool):
                value = str(value)  # "age": 30 from a template or the command line means the text "30"
            if not isinstance(value, str):
                raise UnsupportedParameter(f"{where} must be text, not {value!r}")
            if self.choices is not None and value not in self.choices:
                raise UnsupportedParameter(f"{where} must be one of {', '.join(self.choices)}; got {value!r}")
        elif self.kind == "mapping":
            if not isinstance(value, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()
            ):
                raise UnsupportedParameter(f"{where} must map text to text, not {value!r}")
            return dict(value)
        if self.minimum is not None and value < self.minimum:
            raise UnsupportedParameter(f"{where} must be at least {self.minimum}; got {value}")
        if self.maximum is not None and value > self.maximum:
            raise UnsupportedParameter(f"{where} must be at most {self.maximum}; got {value}")
        return value


class ParamSet:
    """The parameters one recipe accepts."""

    def __init__(self, recipe: str, params: Sequence[Param]) -> None:
        self.recipe = recipe
        self.params = {param.name: param for param in params}

    def resolve(self, given: Mapping[str, Any], *, mode: str | None = None) -> tuple[dict[str, Any], list[str]]:
        """Defaults merged with ``given``, coerced. Returns (values, warnings about ignored parameters)."""
        unknown = sorted(set(given) - set(self.params))
        if unknown:
            raise UnsupportedParameter(
                f"the {self.recipe} recipe has no parameter {unknown[0]!r}; it takes: {', '.join(sorted(self.params))}"
            )
        values: dict[str, Any] = {}
        warnings: list[str] = []
        for name, param in self.params.items():
            if name not in given or given[name] is None:
                values[name] = None if param.default is None else param.coerce(self.recipe, param.default)
                continue
            values[name] = param.coerce(self.recipe, given[name])
            if mode is not None and param.modes is not None and mode not in param.modes:
                warnings.append(f"parameter {name!r} has no effect in {self.recipe} mode {mode!r}")
        return values, warnings
