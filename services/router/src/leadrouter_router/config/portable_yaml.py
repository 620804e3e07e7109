"""PyYAML's safe dumper made portable: the set-up export's YAML reads back the same
in any reader. Imported only to export (PyYAML is not loaded by a starting router, #15)."""

import re

import yaml

# Plain scalars that a YAML 1.2 reader (core schema) takes for something other than a
# string, or a YAML 1.1 reader does where PyYAML (also 1.1) does not: ``1e+100`` (a
# 1.2 float, a 1.1 string), ``0o17``, ``y``/``n`` (1.1 booleans that PyYAML skips).
# https://yaml.org/spec/1.2.2/#1032-tag-resolution, https://yaml.org/type/bool.html
_OTHER_READERS_TYPED = re.compile(
    r"""[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?
    |0o[0-7]+|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)
    |null|Null|NULL|~|true|True|TRUE|false|False|FALSE|[yYnN]""",
    re.VERBOSE,
)


class PortableDumper(yaml.SafeDumper):
    """Quotes every string that any YAML 1.1 or 1.2 reader would read as another type,
    so that the export reads back the same in PyYAML, ruamel.yaml, Go or JavaScript."""

    def represent_str(self, data: str) -> yaml.ScalarNode:
        typed = self.resolve(yaml.ScalarNode, data, (True, False)) != _STR_TAG  # type: ignore[no-untyped-call]
        if typed or _OTHER_READERS_TYPED.fullmatch(data):
            return self.represent_scalar(_STR_TAG, data, style="'")
        return self.represent_scalar(_STR_TAG, data)


_STR_TAG = "tag:yaml.org,2002:str"
PortableDumper.add_representer(str, PortableDumper.represent_str)
