"""The loader refuses bad rule files, naming the file and the line."""

from datetime import date
from pathlib import Path

import pytest

from engine.rulebook import RuleBook, RuleFileError, load_rulebook, parse_rule, rules_dir
from engine.values import Words

GOOD = (rules_dir() / "task32_flexible_employment_subsidy_extension.yaml").read_text("utf-8")


def test_shipped_rules_load():
    book = load_rulebook()
    assert "task23_one_off_hiring_subsidy" in book.rules
    assert len(book.version) == 12


def _error(text: str) -> Words:
    """The refusal of ``text`` as a rule file: the Chinese, with the English as ``.en``."""
    with pytest.raises(RuleFileError) as err:
        parse_rule(text, "x.yaml")
    return err.value.args[0]


def test_unknown_key_is_refused_with_its_line():
    text = GOOD.replace("kind: extension", "kind: extension\nbogus: 1")
    line = text.splitlines().index("bogus: 1") + 1
    message = _error(text)
    assert f"x.yaml：第{line}行：bogus：不认识的键（拼写有误？）" in message
    assert f"x.yaml:{line}: bogus: Extra inputs are not permitted" in message.en


def test_bad_date_is_refused():
    message = _error(GOOD.replace("start: 2020-01-01", "start: 2020-02-30"))
    assert "x.yaml：第" in message and "window.start：日期格式应为 YYYY-MM-DD" in message


def test_unknown_fact_is_refused():
    message = _error(GOOD.replace("fact: person.stably_employed", "fact: person.stably_employd"))
    assert "条件 `not_stably_employed`：未知的事实 `person.stably_employd`（案件模型中没有）" in message
    assert "unknown fact `person.stably_employd`" in message.en


def test_fact_of_the_other_subject_is_refused():
    message = _error(GOOD.replace("fact: person.stably_employed", "fact: enterprise.ui_insured"))
    assert "事实 `enterprise.ui_insured` 不是个人案件的事实" in message
    assert "not a fact of a person case" in message.en


def test_value_of_the_wrong_type_is_refused():
    message = _error(GOOD.replace("      value: false", '      value: "false"'))
    assert "值 'false' 与事实 `person.stably_employed` 的类型（是否（true/false））不符" in message
    assert "does not fit bool fact" in message.en


def test_duplicate_condition_id_is_refused():
    message = _error(GOOD.replace("id: not_stably_employed", "id: employment_difficulty"))
    assert "条件ID `employment_difficulty` 重复" in message
    assert "duplicate condition id `employment_difficulty`" in message.en


def test_unknown_parameter_is_refused():
    message = _error(GOOD.replace("param: extension_months", "param: extension_monthz", 1))
    assert "未定义的参数 `extension_monthz`" in message
    assert "unknown parameter `extension_monthz`" in message.en


def test_duplicate_rule_id_is_refused():
    with pytest.raises(RuleFileError, match="项目ID `task32_flexible_employment_subsidy_extension` 重复"):
        RuleBook([("a.yaml", GOOD), ("b.yaml", GOOD)])


def test_every_shipped_file_is_a_rule_or_the_catalog():
    names = {p.name for p in Path(rules_dir()).glob("*.yaml")}
    assert names - {"catalog.yaml", "districts.yaml"} == {f"{r}.yaml" for r in load_rulebook().rules}


def test_each_parameter_comes_into_force_as_sources_md_reads_it():
    """One reading of when parameters come into force (rules/SOURCES.md), held to every rule file:
    each parameter's first date is the table's, and the table names no parameter that is not there."""
    table = rules_dir() / "SOURCES.md"
    text = table.read_text("utf-8").split("## When each parameter comes into force", 1)[1]
    stated: dict[tuple[str, str], date] = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("task"):
            for name in cells[1].split(", "):
                stated[(cells[0], name)] = date.fromisoformat(cells[2])
    found = {
        (rule.id, name): min(param.values)
        for rule in load_rulebook().rules.values()
        for name, param in rule.parameters.items()
    }
    assert found == stated


FAILS = next(line for line in GOOD.splitlines(keepends=True) if "fails:" in line and "稳定就业" in line)


def test_a_condition_without_its_fails_sentence_is_refused_with_its_line():
    assert FAILS in GOOD
    text = GOOD.replace(FAILS, "")
    line = text.splitlines().index("    - id: not_stably_employed") + 1
    message = _error(text)
    assert f"x.yaml：第{line}行：conditions.all.2.fails：缺少此项" in message
    assert f"x.yaml:{line}: conditions.all.2.fails: Field required" in message.en


@pytest.mark.parametrize(
    ("sentence", "says"),
    [
        ("期满时申请人为{values}", "`fails` 引用了 values：句子中只能引用 {value} 和 {expected}"),
        ("期满时申请人{date}", "`fails` 引用了 date"),
        ("期满时申请人{", "`fails`：花括号不成对"),
    ],
)
def test_a_sentence_may_quote_only_the_value_and_the_threshold(sentence, says):
    assert says in _error(GOOD.replace("期满时申请人已实现稳定就业", sentence))


def test_a_confirmation_sentence_quotes_nothing():
    text = (rules_dir() / "task57_temporary_living_allowance.yaml").read_text("utf-8")
    bad = text.replace("申请人不符合当地规定的其他条件", "申请人{value}")
    with pytest.raises(RuleFileError, match="`fails` 引用了 value：句子中不能有占位符"):
        parse_rule(bad, "x.yaml")


BENEFIT = (rules_dir() / "task55_unemployment_benefit.yaml").read_text("utf-8")
MONTHS = "      1999-01-22: 12\n"  # min_contribution_months, in 个月


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (".inf", "应为有限的数字"),
        ("1e400", "应为有限的数字"),
        (".nan", "应为有限的数字"),
        ("1" * 25, "数字过大"),
        ("-5", "单位为“个月”的值不能为负数"),
    ],
)
def test_a_number_the_engine_cannot_compare_is_refused_on_its_line(value: str, says: str) -> None:
    """An infinite or 25-digit number crashed every worker of a compare run, again and again."""
    assert BENEFIT.count(MONTHS) == 1
    text = BENEFIT.replace(MONTHS, f"      1999-01-22: {value}\n")
    line = text.splitlines().index(f"      1999-01-22: {value}") + 1
    assert f"x.yaml：第{line}行：parameters.min_contribution_months.values.1999-01-22：{says}" in _error(text)


def test_a_rate_may_be_negative_but_not_infinite() -> None:
    text = (rules_dir() / "task1_job_retention_refund.yaml").read_text("utf-8")
    assert "      2019-01-01: 5.5\n" in text
    parse_rule(text.replace("      2019-01-01: 5.5\n", "      2019-01-01: -5.5\n"), "x.yaml")
    assert "应为有限的数字" in _error(text.replace("      2019-01-01: 5.5\n", "      2019-01-01: .inf\n"))


def test_a_condition_compares_with_no_infinite_number() -> None:
    text = BENEFIT.replace("value: {param: min_contribution_months}", "value: .inf")
    assert "conditions.all.0.value：应为有限的数字" in _error(text)


def nested_aliases(levels: int, each: int) -> str:
    """``levels`` anchors, each list naming the one before ``each`` times: each**levels leaves."""
    lines = [f"a0: &a0 [{', '.join(['x'] * each)}]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * each)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_anchors_and_aliases_are_refused_before_any_tree_is_built():
    """Nine anchors named nine times over took 4 GB in 30 s; no rule file needs one."""
    message = _error(GOOD + nested_aliases(3, 3))
    line = len(GOOD.splitlines()) + 1
    assert f"第{line}行：不能使用 YAML 锚点或别名（&a0、*a0）" in message


def test_a_single_alias_is_refused_too():
    text = GOOD.replace("subject: person", "subject: &who person\nquote_subject: *who", 1)
    assert "不能使用 YAML 锚点或别名（&who、*who）" in _error(text)


def test_a_key_written_twice_is_refused_naming_both_lines():
    """YAML keeps the last of two equal keys: the first one's value was lost without a word."""
    text = GOOD.replace("kind: extension", "kind: extension\nkind: grant", 1)
    first = text.splitlines().index("kind: extension") + 1
    message = _error(text)
    assert f"x.yaml：第{first + 1}行：键“kind”重复（第{first}行和第{first + 1}行）" in message


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda p: p.mkdir(), "task99_x.yaml 是一个文件夹，不是 YAML 文件"),
        (lambda p: p.symlink_to(p.parent / "gone.yaml"), "task99_x.yaml 是失效的链接"),
    ],
)
def test_a_folder_or_a_broken_link_named_as_a_rule_file_is_refused(tmp_path: Path, make, says: str):
    (tmp_path / "task32.yaml").write_text(GOOD, encoding="utf-8")
    make(tmp_path / "task99_x.yaml")
    with pytest.raises(RuleFileError, match=says):
        load_rulebook(tmp_path)


@pytest.mark.parametrize(("days", "says"), [("-1", "不能小于 0"), ("1000000", "不能大于 36525")])
def test_days_counted_back_stay_within_a_century(days: str, says: str) -> None:
    text = BENEFIT.replace("      minus_days: 1\n", f"      minus_days: {days}\n")
    line = text.splitlines().index(f"      minus_days: {days}") + 1
    assert f"x.yaml：第{line}行：outcome.dates.1.minus_days：{says}" in _error(text)


def test_a_value_of_no_allowed_kind_is_one_line_naming_the_kinds() -> None:
    """A parameter's value may be a number, true/false or a scale: one line says so, not one per
    kind, each with pydantic's name for it (``….float``) in the key."""
    message = _error(BENEFIT.replace(MONTHS, "      1999-01-22: abc\n"))
    line = BENEFIT.splitlines().index(MONTHS.rstrip()) + 1
    assert message == (
        f"x.yaml：第{line}行：parameters.min_contribution_months.values.1999-01-22："
        "应为数字，或应为整数，或应为“是”或“否”，或应为列表"
    )
