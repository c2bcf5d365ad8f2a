"""Pydantic's validation errors in our words, Chinese and English: the case form's (engine/errors.py
adds the fields' labels) and a rule file's or district table's. Apart from the models, so that the
rule book and the district table, which the models read, can word their own errors."""

from __future__ import annotations

import re

from pydantic_core import ErrorDetails

from engine.values import Words

MESSAGES = {
    "missing": "必填",
    "extra_forbidden": "不认识的字段",
    "bool_parsing": "应为“是”或“否”",
    "bool_type": "应为“是”或“否”",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "decimal_parsing": "应为数字",
    "decimal_type": "应为数字",
    "decimal_max_digits": "数字位数过多",
    "decimal_max_places": "小数位数过多（最多2位）",
    "float_parsing": "应为数字",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "date_type": "日期格式应为 YYYY-MM-DD",
    "greater_than_equal": "不能小于 {ge}",
    "less_than_equal": "不能大于 {le}",
    "string_too_long": "过长（最多 {max_length} 个字符）",
    "string_type": "应为文字",
    "string_pattern_mismatch": "格式不正确",
    "enum": "应为以下之一：{expected}",
    "literal_error": "应为以下之一：{expected}",
    "union_tag_invalid": "案件类型应为 person（个人）或 enterprise（单位）",
    "model_type": "应为一组字段",
    "dict_type": "应为一组字段",
    "model_attributes_type": '应为一组字段（JSON 对象，如 {"kind": "person", "person": {…}}）',
    "finite_number": "应为有限的数字（不能是 NaN 或 Infinity）",
    "int_parsing_size": "数字过大",
    "union_tag_not_found": "缺少案件类型 kind（person 或 enterprise）",
    "string_unicode": "应为文字",
    "string_sub_type": "应为文字",
    "list_type": "应为列表（JSON 数组）",
    "too_long": "过多（最多 {max_length} 项）",
}
UNKNOWN = "取值无效"  # a pydantic error this table does not word yet: never English to a caseworker
# The same in English (a registry run with --lang en writes its errors file in English).
MESSAGES_EN = {
    "missing": "required",
    "extra_forbidden": "unknown field",
    "bool_parsing": "yes or no (是/否)",
    "bool_type": "yes or no (是/否)",
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "decimal_parsing": "a number",
    "decimal_type": "a number",
    "decimal_max_digits": "too many digits",
    "decimal_max_places": "too many decimal places (2 at most)",
    "float_parsing": "a number",
    "date_parsing": "a date as YYYY-MM-DD",
    "date_from_datetime_parsing": "a date as YYYY-MM-DD",
    "date_type": "a date as YYYY-MM-DD",
    "greater_than_equal": "at least {ge}",
    "less_than_equal": "at most {le}",
    "string_too_long": "too long (at most {max_length} characters)",
    "string_type": "text",
    "string_pattern_mismatch": "not in the right form",
    "enum": "one of {expected}",
    "literal_error": "one of {expected}",
    "union_tag_invalid": "the kind of case is person or enterprise",
    "model_type": "a set of fields",
    "dict_type": "a set of fields",
    "model_attributes_type": 'a set of fields (a JSON object, such as {"kind": "person", "person": {…}})',
    "finite_number": "a finite number (not NaN or Infinity)",
    "int_parsing_size": "too large a number",
    "union_tag_not_found": "the kind of case (person or enterprise) is missing",
    "string_unicode": "text",
    "string_sub_type": "text",
}
UNKNOWN_EN = "not a valid value"


# pydantic's errors as a rule file's author reads them (the case form's words, engine/errors.py,
# where they fit a YAML file too); pydantic's own English stays the English.
RULE_MESSAGES = {
    **MESSAGES,
    "missing": "缺少此项",
    "extra_forbidden": "不认识的键（拼写有误？）",
    "model_type": "应为一组键值",
    "model_attributes_type": "应为一组键值",
    "list_type": "应为列表",
    "float_type": "应为数字",
    "string_too_short": "不能为空",
    "too_short": "至少要有 {min_length} 项",
}


def said_in_words(error: ErrorDetails) -> Words:
    """What a validation error of a rule file or district table says, in Chinese and English: a
    check of ours words its own."""
    ctx = error.get("ctx") or {}
    raised = ctx.get("error")
    if error["type"] == "value_error" and isinstance(raised, ValueError) and raised.args:
        said = raised.args[0]
        return said if isinstance(said, Words) else Words(str(said), str(said))
    if error["type"] == "literal_error":
        options = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return Words(f"应为以下之一：{'、'.join(options)}", error["msg"])
    try:
        zh = RULE_MESSAGES.get(error["type"], UNKNOWN).format(**{k: str(v) for k, v in ctx.items()})
    except KeyError:
        zh = UNKNOWN
    return Words(zh, error["msg"])
