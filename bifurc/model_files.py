"""Model files (TOML or YAML) and the built-in model library.

A model file holds the same plain-data specification as
:meth:`bifurc.model.Model.from_spec` (schema in docs/model-files.md). Built-in
models are the files in the top-level ``models/`` folder, installed as the
``bifurc.models`` package.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from .errors import ModelDefinitionError

_SUFFIXES = (".toml", ".yaml", ".yml")


def builtin_model_names() -> list[str]:
    """Names of the models shipped in ``models/``."""
    folder = resources.files("bifurc.models")
    return sorted(p.name.rsplit(".", 1)[0] for p in folder.iterdir()
                  if p.name.endswith(_SUFFIXES))


def _read_spec(text: str, suffix: str, source: str) -> dict:
    if suffix == ".toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ModelDefinitionError(f"{source} does not parse as TOML: {exc}") from None
    try:
        import yaml
    except ImportError:
        raise ModelDefinitionError(
            f"{source} is YAML, which needs PyYAML: `pip install pyyaml` (or use TOML)") from None
    class UniqueKeyLoader(yaml.SafeLoader):
        """SafeLoader that rejects duplicate keys (PyYAML keeps the last one)."""

    def construct_mapping(loader, node, deep=False):
        keys = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in keys:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark)
            keys.add(key)
        return yaml.SafeLoader.construct_mapping(loader, node, deep)

    UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                                    construct_mapping)
    try:
        return yaml.load(text, Loader=UniqueKeyLoader)
    except yaml.YAMLError as exc:
        raise ModelDefinitionError(f"{source} does not parse as YAML: {exc}") from None


def builtin_model_spec(name: str) -> dict:
    """The plain-data specification of a built-in model (no equation parsed)."""
    for suffix in _SUFFIXES:
        entry = resources.files("bifurc.models") / f"{name}{suffix}"
        if entry.is_file():
            return _read_spec(entry.read_text(), suffix, f"built-in model file {name}{suffix}")
    raise ModelDefinitionError(f"unknown built-in model {name!r}: "
                               f"{', '.join(builtin_model_names())}")


def load_model(name_or_path):
    """Load a built-in model by name (``"ei"``) or a model file by path.

    Raises :class:`ModelDefinitionError` naming the problem when the file does
    not exist, does not parse, or defines an invalid model. Returns a
    :class:`bifurc.model.Model`.
    """
    from .model import Model

    if isinstance(name_or_path, Model):
        return name_or_path
    text_name = str(name_or_path)
    path = Path(text_name)
    if path.suffix in _SUFFIXES and path.exists():
        return Model.from_spec(_read_spec(path.read_text(), path.suffix, str(path)), str(path))
    if path.is_file() and path.suffix not in _SUFFIXES:
        raise ModelDefinitionError(
            f"model file {text_name!r} has the extension {path.suffix or '(none)'!r}; model "
            f"files are TOML (.toml) or YAML (.yaml, .yml)")
    if path.suffix in _SUFFIXES or "/" in text_name:
        raise ModelDefinitionError(f"model file {text_name!r} does not exist")
    for suffix in _SUFFIXES:
        entry = resources.files("bifurc.models") / f"{text_name}{suffix}"
        if entry.is_file():
            source = f"built-in model file {text_name}{suffix}"
            return Model.from_spec(_read_spec(entry.read_text(), suffix, source), source)
    raise ModelDefinitionError(
        f"unknown model {text_name!r}: not a built-in ({', '.join(builtin_model_names())}) "
        f"and not a path to a .toml/.yaml file")
