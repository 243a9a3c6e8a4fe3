"""YAML reading that remembers line numbers, so content errors can name file and line."""
import yaml


class LineMap(dict):
    """A YAML mapping; `line` is where it starts, `lines[key]` where each key is."""

    line: int = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines: dict = {}

    def line_of(self, key) -> int:
        return self.lines.get(key, self.line)


class LineList(list):
    """A YAML sequence; `line` is where it starts, `lines[i]` where item i is."""

    line: int = 0

    def __init__(self, *args):
        super().__init__(*args)
        self.lines: list[int] = []

    def line_of(self, index: int) -> int:
        return self.lines[index] if index < len(self.lines) else self.line


class DuplicateKey(yaml.MarkedYAMLError):
    pass


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader, node):
    loader.flatten_mapping(node)
    mapping = LineMap()
    mapping.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain value", key_node.start_mark
            )
        if key in mapping:
            raise DuplicateKey(None, None, f"duplicate key {key!r}", key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.lines[key] = key_node.start_mark.line + 1
    return mapping


def _construct_sequence(loader, node):
    sequence = LineList(loader.construct_object(child, deep=True) for child in node.value)
    sequence.line = node.start_mark.line + 1
    sequence.lines = [child.start_mark.line + 1 for child in node.value]
    return sequence


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


# Deeper than any course file needs; deeper data would exhaust the recursion of whatever walks it.
MAX_DEPTH = 50


def _depth(data) -> int:
    """How deeply `data` nests lists and mappings, counted without recursion."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            deepest = max(deepest, depth)
            if depth <= MAX_DEPTH:
                stack.extend((child, depth + 1) for child in (value.values() if isinstance(value, dict) else value))
    return deepest


class YamlProblem(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def parse_yaml(text: str, first_line: int = 1):
    """Parse YAML text; raise YamlProblem(line, message) if it is not valid YAML."""
    try:
        # _LineLoader is a SafeLoader subclass: it builds plain data only.
        data = yaml.load(text, Loader=_LineLoader)  # nosec B506
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = (mark.line if mark else 0) + first_line
        raise YamlProblem(line, f"invalid YAML: {error.problem or error.context}") from error
    except yaml.YAMLError as error:
        raise YamlProblem(first_line, f"invalid YAML: {error}") from error
    except RecursionError:
        raise YamlProblem(first_line, f"nested too deeply (at most {MAX_DEPTH} levels)") from None
    if _depth(data) > MAX_DEPTH:
        raise YamlProblem(first_line, f"nested too deeply (at most {MAX_DEPTH} levels)")
    if isinstance(data, (LineMap, LineList)) and first_line != 1:
        _shift_lines(data, first_line - 1)
    return data


def _shift_lines(data, offset: int) -> None:
    if isinstance(data, LineMap):
        data.line += offset
        data.lines = {key: line + offset for key, line in data.lines.items()}
        children = data.values()
    elif isinstance(data, LineList):
        data.line += offset
        data.lines = [line + offset for line in data.lines]
        children = data
    else:
        return
    for child in children:
        _shift_lines(child, offset)
