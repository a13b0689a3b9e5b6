"""Where settings come from besides keyword arguments: the TOML file, and how layers merge.

``Settings.load`` stacks the layers (file, then environment, then overrides). Tables merge
key by key rather than replace each other, so one environment variable can complete a table
the file started.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from .errors import ConfigurationError

__all__ = ["merged", "read_config_file"]


def read_config_file(config_file: Path | str) -> dict[str, Any]:
    """The values of a TOML file; :class:`~sharekit.ConfigurationError` says why it fails."""
    path = Path(config_file)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigurationError(f"config file {path} does not exist") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"cannot read config file {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path} is not valid TOML: {exc}") from exc


def merged(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``changes`` on top, tables (dicts) merged recursively."""
    result = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merged(result[key], value)
        else:
            result[key] = value
    return result
