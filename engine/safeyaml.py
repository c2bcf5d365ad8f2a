"""YAML read safely (no Python objects from tags, no anchors or aliases, no key written twice), with
LibYAML's parser where PyYAML was built with it: every run loads the rule book and the district
settings, and the C parser takes a tenth of the time of the pure-Python one (the two give the same
data; tests/test_rulebook.py loads every file).

A file that cannot be read this way is refused with ``FileRefused``: one message naming the file and
the line, in Chinese and English, which the commands print as they print any refusal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from engine.cliargs import os_reason
from engine.values import Worded, visible

CSafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class FileRefused(Worded):
    """A YAML file (a rule file, a district table) refused; ``str()`` is the Chinese, ``.en`` the English."""

    @property
    def en(self) -> str:
        return self.args[0].en


class _Problem(yaml.YAMLError):
    """What this module refuses in a document that YAML itself allows, at a 1-based line."""

    def __init__(self, line: int, zh: str, en: str):
        super().__init__(zh)
        self.line, self.zh, self.en = line, zh, en


class SafeLoader(CSafeLoader):  # type: ignore[valid-type,misc]
    """The safe loader, refusing a key written twice in one mapping (YAML would keep the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        lines: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)  # type: ignore[no-untyped-call]
            line = key_node.start_mark.line + 1
            try:
                first = lines.get(key)
            except TypeError:  # a list or mapping as a key: the base class says so
                continue
            lines[key] = line
            if first is not None:
                raise _Problem(
                    line,
                    f"键“{visible(str(key))}”重复（第{first}行和第{line}行）",
                    f"the key “{visible(str(key))}” is written twice (lines {first} and {line})",
                )
        return super().construct_mapping(node, deep)  # type: ignore[no-any-return]


def _refuse_aliases(text: str) -> None:
    """Refuse the first anchor (``&name``) or alias (``*name``) before any tree is built: the rule
    files and district tables use none, and nine anchors each named nine times over nest into some
    400 million nodes (gigabytes in seconds)."""
    for event in yaml.parse(text, Loader=CSafeLoader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            name = visible(event.anchor)
            raise _Problem(
                event.start_mark.line + 1,
                f"不能使用 YAML 锚点或别名（&{name}、*{name}）",
                f"YAML anchors and aliases (&{name}, *{name}) are not allowed",
            )


def _where(line: int, column: int | None = None) -> tuple[str, str]:
    if column is None:
        return f"第{line}行", f"line {line}"
    return f"第{line}行第{column}列", f"line {line}, column {column}"


def load(text: str, source: str = "", loader: type[yaml.SafeLoader] = SafeLoader) -> Any:
    """The data of one YAML document; FileRefused naming ``source`` and the line where the text is
    not YAML, or is YAML this module refuses."""
    try:
        _refuse_aliases(text)
        return yaml.load(text, Loader=loader)
    except _Problem as problem:
        (zh, en), what_zh, what_en = _where(problem.line), problem.zh, problem.en
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        zh, en = _where(mark.line + 1, mark.column + 1) if mark else ("", "")
        what_zh, what_en = "不是有效的 YAML", f"not valid YAML ({err.problem or err.context})"
    except yaml.YAMLError as err:
        zh, en, what_zh, what_en = "", "", "不是有效的 YAML", f"not valid YAML ({err})"
    named = visible(source)
    raise FileRefused(
        "：".join(p for p in (named, zh, what_zh) if p), ": ".join(p for p in (named, en, what_en) if p)
    ) from None


def read(path: Path) -> str:
    """A YAML file's text, or FileRefused naming it: missing (a dangling link too), a folder,
    unreadable, or not UTF-8."""
    shown = visible(str(path))
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if path.is_symlink():
            raise FileRefused(
                f"{shown} 是失效的链接（所指的文件不存在）", f"{shown} is a broken link"
            ) from None
        raise FileRefused(f"找不到文件：{shown}", f"No such file: {shown}") from None
    except IsADirectoryError:
        raise FileRefused(
            f"{shown} 是一个文件夹，不是 YAML 文件", f"{shown} is a folder, not a YAML file"
        ) from None
    except OSError as err:
        raise FileRefused(
            f"无法读取 {shown}（{os_reason(err)}）", f"Cannot read {shown} ({os_reason(err, 'en')})"
        ) from None
    except UnicodeDecodeError as err:
        raise FileRefused(
            f"{shown}：不是 UTF-8 编码的文本（第{err.start + 1}个字节无法读取）",
            f"{shown}: not UTF-8 text (byte {err.start + 1} cannot be read)",
        ) from None
