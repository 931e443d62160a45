"""Reading YAML files the one way mlpay does: safe (no tags executed), duplicate keys refused.

Plain YAML keeps the last of two equal keys silently; a config or mapping that names a key
twice is almost always a mistake, so every YAML file mlpay reads goes through `read_yaml`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from mlpay_model.errors import ConfigError


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate keys."""


def _mapping_without_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates
)


def parse_yaml(text: str) -> Any:
    """The document in `text` (safe, duplicate keys refused); yaml.YAMLError when invalid."""
    return yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass: no tags run


def read_yaml(path: Path, what: str) -> dict[str, Any]:
    """The mapping at the top of the YAML file `path`; a one-line ConfigError otherwise.

    `what` names the kind of file for messages, e.g. "a training config".
    """
    path = Path(path)
    if not path.is_file():
        state = "is a folder" if path.is_dir() else "no such file"
        raise ConfigError(f"{path}: {state}; expected {what} (a YAML file)")
    try:
        document = parse_yaml(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; expected {what} (a YAML file)") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ConfigError(f"{path}: invalid YAML{line}: {problem}; expected {what}") from None
    if document is None:
        raise ConfigError(f"{path}: the file is empty; expected {what}")
    if not isinstance(document, dict):
        raise ConfigError(
            f"{path}: expected {what}: a mapping of keys at the top level, "
            f"got {type(document).__name__}"
        )
    return {str(key): value for key, value in document.items()}
