"""Split a lesson file into YAML front matter and Markdown body, keeping line numbers for errors."""

from dataclasses import dataclass

import yaml

# libyaml's parser when the wheel has it (it normally does): ~10x faster than the pure-Python one, which made
# `lessonloop lessons lint` take seconds. Both give the same nodes, marks and errors.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class FrontMatterError(ValueError):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class ParsedFile:
    data: dict
    key_lines: dict[str, int]  # "check.options.1.why" -> line in the file (1-based)
    body: str
    body_line: int  # line where the body starts
    end_line: int  # line of the closing "---": where missing fields are reported


def _node_lines(node: yaml.Node, offset: int, prefix: str, out: dict[str, int]) -> None:
    """Maps "check.options.2.text" style paths (list items counted from 0) to their line."""
    if isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            key = f"{prefix}{index}"
            out[key] = item.start_mark.line + offset
            _node_lines(item, offset, key + ".", out)
        return
    if not isinstance(node, yaml.MappingNode):
        return
    for key_node, value_node in node.value:
        key = f"{prefix}{key_node.value}"
        out[key] = key_node.start_mark.line + offset
        _node_lines(value_node, offset, key + ".", out)


def parse(text: str) -> ParsedFile:
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise FrontMatterError(1, "file must start with a '---' line opening the YAML front matter")
    try:
        close = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise FrontMatterError(1, "front matter is not closed by a second '---' line") from None
    yaml_text = "\n".join(lines[1:close])
    try:
        loader = _Loader(yaml_text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 2 if mark else 1
        raise FrontMatterError(line, f"YAML error: {exc.problem}") from None
    if not isinstance(data, dict):
        raise FrontMatterError(2, "front matter must be a mapping of field: value")
    key_lines: dict[str, int] = {}
    _node_lines(node, 2, "", key_lines)
    rest = lines[close + 1 :]
    blank = next((i for i, line in enumerate(rest) if line.strip()), 0)
    body = "\n".join(rest).strip("\n")
    return ParsedFile(data, key_lines, body, close + 2 + blank, close + 1)
