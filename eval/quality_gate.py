"""The quality gate: compares a run's summary with minimum values from a thresholds file.

A thresholds file mirrors the summary's tree: ``{"retrieval": {mode: {language: {metric: min}}},
"answers": {language: {metric: min}}}`` (keys starting with ``_`` are comments). A section the run did
not evaluate (no LLM, a mode not run) is skipped and listed; a metric that is missing or could not be
measured in an evaluated section fails, so a gate can never pass by accident.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import ConfigError


@dataclass
class GateResult:
    """Metrics below their minimum (``failures``), and sections the run did not evaluate (``skipped``)."""

    failures: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    checked: int = 0

    @property
    def passed(self) -> bool:
        return not self.failures


def load_thresholds(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise ConfigError(f"thresholds file not found: {path}") from e
    except json.JSONDecodeError as e:
        raise ConfigError(f"thresholds file {path} is not valid JSON ({e.msg}, line {e.lineno})") from e
    if not isinstance(data, dict):
        raise ConfigError(f"thresholds file {path} must hold a JSON object")
    return data


def check(summary: dict[str, Any], thresholds: dict[str, Any]) -> GateResult:
    """Every threshold leaf ``path -> minimum`` against the same path in ``summary``."""
    result = GateResult()
    _walk(summary, thresholds, [], result)
    return result


def _walk(summary: Any, thresholds: dict[str, Any], path: list[str], result: GateResult) -> None:
    for key, want in thresholds.items():
        if key.startswith("_"):
            continue
        here = [*path, key]
        name = ".".join(here)
        if isinstance(want, dict):
            if not isinstance(summary, dict) or key not in summary or summary[key] is None:
                if len(here) <= 2:  # "answers", "retrieval.<mode>": a part the run did not evaluate
                    result.skipped.append(name)
                else:
                    result.failures.append(f"{name}: not measured in this run")
                continue
            _walk(summary[key], want, here, result)
            continue
        if not isinstance(want, int | float) or isinstance(want, bool):
            raise ConfigError(f"threshold {name} must be a number, got {want!r}")
        result.checked += 1
        got = summary.get(key) if isinstance(summary, dict) else None
        if not isinstance(got, int | float):
            result.failures.append(f"{name}: not measured in this run (minimum {want:g})")
        elif got < want:
            result.failures.append(f"{name} = {got:.3f} is below the minimum {want:g}")
