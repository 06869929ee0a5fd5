"""Reading the YAML files users write (studies): what a user means, or a message saying why not.

Two departures from PyYAML's `safe_load`, both towards YAML 1.2 and what users type:
- `1e-3`, `5E+2` are floats (YAML 1.1, which PyYAML follows, reads a float only with a dot: `1.0e-3`);
- a key given twice in one mapping is an error (PyYAML keeps the last one silently);
- aliases (`*name`) are errors: nested ones make a tiny file expand beyond memory.
A missing file, a folder, or a file that is not UTF-8 text is reported with its path.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

_FLOAT_1_2 = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$|^[-+]?\.(?:inf|Inf|INF)$"
                        r"|^\.(?:nan|NaN|NAN)$")


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 floats and duplicate keys refused."""


# Replace the float resolver: YAML 1.1's regexp requires a dot, so "1e-3" would be a string.
_Loader.yaml_implicit_resolvers = {k: [(tag, regexp) for tag, regexp in v if tag != "tag:yaml.org,2002:float"]
                                   for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_1_2, list("-+0123456789."))


def _mapping(loader: _Loader, node: yaml.MappingNode) -> dict:
    loader.flatten_mapping(node)
    seen = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None,
                f"the key {key!r} is given twice (lines {seen[key] + 1} and {key_node.start_mark.line + 1})",
                key_node.start_mark)
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=True)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def _no_alias(loader: _Loader, parent, index):
    """Aliases (`*name`) refused: a study spells its values out, and nested aliases in a 1-KB file expand to
    gigabytes (a "billion laughs" file) before any check could run."""
    if loader.check_event(yaml.AliasEvent):
        event = loader.peek_event()
        raise yaml.composer.ComposerError(None, None, f"the alias *{event.anchor} repeats another part of the file; "
                                          "spell the value out (aliases are not read)", event.start_mark)
    return yaml.SafeLoader.compose_node(loader, parent, index)


_Loader.compose_node = _no_alias


def read_yaml(path: Path, *, what: str = "file"):
    """The parsed contents of a YAML file; FileNotFoundError or ValueError naming `path` and the problem."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{what} {str(path)!r} is a folder, not a YAML file")
    if not path.exists():
        raise FileNotFoundError(f"{what} {str(path)!r} does not exist")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not UTF-8 text (byte {error.start}: {error.reason}); save it as UTF-8") from None
    except OSError as error:
        raise ValueError(f"{path}: cannot be read ({error.strerror or error})") from None
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        raise ValueError(f"{path}: not valid YAML ({error})") from None
