"""Prompt files from ``prompts/``: one per purpose and language, rendered strictly (a missing variable fails)."""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from assistant.errors import ConfigError


@dataclass(frozen=True)
class Prompt:
    """A chat prompt: fixed system text and example turns first, then the per-request user turn."""

    name: str
    language: str
    system: str
    user: str
    examples: list[dict[str, str]] = field(default_factory=list)
    extras: dict[str, str] = field(default_factory=dict)

    @property
    def variables(self) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(self.user) if f}

    def render_user(self, **values: Any) -> str:
        missing = self.variables - values.keys()
        if missing:
            raise ConfigError(f"prompt {self.name}.{self.language} needs {sorted(missing)}; got {sorted(values)}")
        return self.user.format(**values)

    def messages(self, **values: Any) -> list[dict[str, str]]:
        """System, example turns, then the rendered user turn (static prefix first, for KV-cache reuse)."""
        msgs = [{"role": "system", "content": self.system.strip()}]
        for ex in self.examples:
            msgs.append({"role": "user", "content": ex["user"].strip()})
            msgs.append({"role": "assistant", "content": ex["assistant"].strip()})
        msgs.append({"role": "user", "content": self.render_user(**values).strip()})
        return msgs

    def listed(self, key: str) -> list[str]:
        """A ";"-separated entry as a list; [] when the file has no such entry."""
        return [v.strip() for v in self.extras.get(key, "").split(";") if v.strip()]

    def extra(self, key: str) -> str:
        try:
            return self.extras[key]
        except KeyError as e:
            raise ConfigError(f"prompt {self.name}.{self.language} has no '{key}' entry") from e


class PromptLibrary:
    """Loads ``{name}.{language}.yaml`` files from a folder once and hands them out by name."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._cache: dict[tuple[str, str], Prompt] = {}

    def get(self, name: str, language: str) -> Prompt:
        key = (name, language)
        if key not in self._cache:
            self._cache[key] = self._load(name, language)
        return self._cache[key]

    def has(self, name: str, language: str) -> bool:
        return (self.folder / f"{name}.{language}.yaml").is_file()

    def all(self) -> list[Prompt]:
        return [self.get(*p.name.split(".")[:2]) for p in sorted(self.folder.glob("*.*.yaml"))]

    def _load(self, name: str, language: str) -> Prompt:
        path = self.folder / f"{name}.{language}.yaml"
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except FileNotFoundError as e:
            raise ConfigError(f"prompt file {path} is missing; prompts live in {self.folder}") from e
        except yaml.YAMLError as e:
            raise ConfigError(f"prompt file {path} is not valid YAML: {e}") from e
        if not isinstance(data, dict) or "system" not in data or "user" not in data:
            raise ConfigError(f"prompt file {path} needs 'system' and 'user' entries")
        extras = {k: str(v) for k, v in data.items() if k not in {"system", "user", "examples"}}
        return Prompt(name, language, str(data["system"]), str(data["user"]), list(data.get("examples") or []), extras)
