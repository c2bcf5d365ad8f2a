"""District settings: one model for the YAML table and the desk's database, local standards read by
the engine for the case's district only, and the notice's review body and court kept per district."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from engine.districts import DistrictBook, DistrictSettings, load_districts, shipped_names
from engine.evaluate import Engine, local_standard_keys
from engine.models import parse_case
from engine.rulebook import load_rulebook
from engine.safeyaml import FileRefused

ROOT = Path(__file__).resolve().parents[1]
KEY = "task23_one_off_hiring_subsidy.amount_per_person"


def book_with(name: str, settings: dict) -> DistrictBook:
    return load_districts().replace(name, DistrictSettings.model_validate(settings))


def hiring_case(district: str = "渝中区"):
    data = json.loads((ROOT / "samples/enterprise-hiring.json").read_text(encoding="utf-8"))
    data["district"] = {"name": district}
    return parse_case(data)


def test_the_shorthand_and_the_stored_form_are_the_same_model():
    declared = [{"from": "2020-03-20", "value": True, "document": "渝中人社发〔2020〕1号"}]
    short = DistrictSettings.model_validate({"offers_hiring_subsidy": declared})
    stored = DistrictSettings.model_validate(short.dump())
    assert stored == short
    assert stored.declared["offers_hiring_subsidy"][0].from_ == date(2020, 3, 20)
    assert stored.review_days == 60 and stored.suit_months == 6  # the statutory limits by default
    assert stored.review_body is None and stored.court is None  # never guessed


def test_the_shipped_table_lists_the_38_districts_and_still_loads():
    book = load_districts()
    assert len(shipped_names()) == 38
    assert set(book.districts) == set(shipped_names())
    text = (ROOT / "rules/districts.yaml").read_text(encoding="utf-8")
    assert DistrictBook.model_validate(yaml.safe_load(text)).districts.keys() == book.districts.keys()


def test_an_unknown_setting_is_refused():
    with pytest.raises(
        ValueError, match="渝中区：没有“offers_everything”这项设置（可用的有：offers_hiring_subsidy"
    ):
        DistrictBook.model_validate(
            {"terms": load_districts().terms, "districts": {"渝中区": {"offers_everything": []}}}
        )


def test_a_local_standard_sets_the_amount_for_its_district_only():
    standard = [{"from": "2020-01-01", "value": "1000", "document": "渝中人社发〔2020〕2号"}]
    declared = [{"from": "2020-01-01", "value": True, "document": "渝中人社发〔2020〕1号"}]
    settings = book_with("渝中区", {"offers_hiring_subsidy": declared, "standards": {KEY: standard}})
    engine = Engine(load_rulebook(), settings=settings)
    here = engine.evaluate(hiring_case("渝中区"), date(2020, 9, 15))
    there = engine.evaluate(hiring_case("江北区"), date(2020, 9, 15))
    grant = next(d for d in here.decisions if d.program == "task23_one_off_hiring_subsidy").grant
    assert grant is not None and grant.amount is not None
    assert grant.amount.value == Decimal("1000")
    assert "渝中区当地标准" in grant.amount.text and "渝中人社发〔2020〕2号" in grant.amount.text
    # 江北区 declared nothing: asked of its bureau, never assumed, and no amount borrowed from 渝中区.
    other = next(d for d in there.decisions if d.program == "task23_one_off_hiring_subsidy")
    assert other.status == "needs_information"
    assert [m.asked_of for m in other.missing] == ["district"]


def test_a_standard_before_its_start_date_is_not_in_force():
    standard = [{"from": "2020-10-01", "value": "1000", "document": "渝中人社发〔2020〕2号"}]
    declared = [{"from": "2020-01-01", "value": True, "document": "渝中人社发〔2020〕1号"}]
    settings = book_with("渝中区", {"offers_hiring_subsidy": declared, "standards": {KEY: standard}})
    evaluation = Engine(load_rulebook(), settings=settings).evaluate(hiring_case(), date(2020, 9, 15))
    grant = next(d for d in evaluation.decisions if d.program == "task23_one_off_hiring_subsidy").grant
    assert grant is not None and grant.amount is not None
    assert grant.amount.value is None and grant.amount.text == "按当地标准"  # hired 2020-03-16


def test_a_standard_for_a_figure_the_notice_fixes_is_refused():
    assert KEY in local_standard_keys(load_rulebook())
    settings = book_with(
        "渝中区",
        {
            "standards": {
                "task23_one_off_hiring_subsidy.min_contract_months": [
                    {"from": "2020-01-01", "value": "6", "document": "x"}
                ]
            }
        },
    )
    with pytest.raises(ValueError, match="no amount left to local standards"):
        Engine(load_rulebook(), settings=settings)


def test_a_table_with_anchors_is_refused(tmp_path: Path):
    """An alias bomb in SUBSIDY_DISTRICTS_FILE would be expanded by every reader of the table."""
    text = (ROOT / "rules/districts.yaml").read_text(encoding="utf-8")
    path = tmp_path / "districts.yaml"
    path.write_text(text.replace("  万州区: {}", "  万州区: &same {}\n  黔江区x: *same"), encoding="utf-8")
    with pytest.raises(FileRefused, match="不能使用 YAML 锚点或别名（&same、\\*same）"):
        load_districts(path)


def test_a_district_written_twice_is_refused(tmp_path: Path):
    text = (ROOT / "rules/districts.yaml").read_text(encoding="utf-8")
    path = tmp_path / "districts.yaml"
    path.write_text(text.replace("  黔江区: {}", "  黔江区: {}\n  万州区: {}"), encoding="utf-8")
    first = text.splitlines().index("  万州区: {}") + 1
    with pytest.raises(FileRefused, match=f"键“万州区”重复（第{first}行和第{first + 2}行）"):
        load_districts(path)


@pytest.mark.parametrize(
    ("text", "says"), [(None, "找不到文件"), ("terms: [\n", "第2行第1列：不是有效的 YAML")]
)
def test_a_missing_or_malformed_table_is_refused_naming_it(tmp_path: Path, text: str | None, says: str):
    path = tmp_path / "districts.yaml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(FileRefused, match=says) as err:
        load_districts(path)
    assert str(path) in str(err.value)


def test_a_wrong_setting_is_refused_in_chinese_naming_the_file_and_key(tmp_path: Path):
    text = (ROOT / "rules/districts.yaml").read_text(encoding="utf-8")
    path = tmp_path / "districts.yaml"
    path.write_text(text.replace("  万州区: {}", "  万州区: {supply_days: 0}"), encoding="utf-8")
    with pytest.raises(FileRefused) as err:
        load_districts(path)
    assert str(err.value) == f"{path}：区县设置有误：districts.万州区.supply_days：不能小于 1"
    assert "districts.万州区.supply_days: Input should be greater than or equal to 1" in err.value.en
