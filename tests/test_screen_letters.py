"""Letters to the people a screen lists (tests/data/screen/registry.csv, 2020-09-15), read back with
pdftotext: one page per person, combined per district, with the office's address, phone and hours
from the district settings, and never a full ID number."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
import yaml

from engine.districts import SHIPPED, load_districts
from engine.evaluate import Engine
from engine.rulebook import load_rulebook
from engine.screen.options import Options
from engine.screen.screen import screen

reads_pdf = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) reads letters"
)

REGISTRY = Path(__file__).parent / "data" / "screen" / "registry.csv"
OFFICE = {
    "office": "重庆市渝中区人力资源和社会保障局",
    "office_address": "重庆市渝中区测试路1号",
    "office_phone": "023-00000000",
    "office_hours": "工作日 9:00-12:00、14:00-17:00",
}


def _pages(pdf: Path) -> list[str]:
    """Each page's text, whitespace removed (lines wrap where the layout puts them)."""
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True, text=True).stdout
    return [re.sub(r"\s+", "", page) for page in text.split("\f") if page.strip()]


@pytest.fixture(scope="module")
def screened(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("letters")
    table = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    table["districts"]["渝中区"] = OFFICE
    path = folder / "districts.yaml"
    path.write_text(yaml.safe_dump(table, allow_unicode=True), encoding="utf-8")
    engine = Engine(load_rulebook(), load_districts(path))
    out = folder / "out"
    report = screen(
        Options(REGISTRY, out, date(2020, 9, 15), letters=True, workers=2, quiet=True), engine=engine
    )
    return out, report


@reads_pdf
def test_one_letter_per_person_per_district(screened: tuple[Path, str]) -> None:
    out, _ = screened
    pages = {p.parent.name: _pages(p) for p in out.glob("*/告知信.pdf")}
    # 渝中区 lists S01, S02, S05 and S08; 江北区 S03 and S04; S07 named no district
    assert {d: [re.search(r"编号：(S\d\d)", p).group(1) for p in ps] for d, ps in pages.items()} == {  # type: ignore[union-attr]
        "渝中区": ["S01", "S02", "S05", "S08"],
        "江北区": ["S03", "S04"],
        "（未填区县）": ["S07"],
    }


@reads_pdf
def test_what_when_and_where(screened: tuple[Path, str]) -> None:
    out, _ = screened
    yuzhong = _pages(out / "渝中区" / "告知信.pdf")
    s01, s02 = yuzhong[0], yuzhong[1]
    assert s01.startswith("稳就业政策待遇告知信") and "王小明同志" in s01
    assert "失业保险金：符合，无需另行申请，享受至2021年12月31日止" in s01
    assert "最迟于2021年12月31日前" in s01
    assert "灵活就业社会保险补贴延长1年：自2020年11月1日起符合，享受至2021年10月31日止" in s02
    assert "请于2020年11月1日起携带本人居民身份证到经办机构确认" in s02
    for value in OFFICE.values():
        assert value.replace(" ", "") in s01
    s03 = _pages(out / "江北区" / "告知信.pdf")[0]
    assert "享受至2020年10月31日止" in s03 and "请于2020年10月31日期满前" in s03
    s04 = _pages(out / "江北区" / "告知信.pdf")[1]
    assert "失业保险金：尚需一项信息。还需一项信息才能作出决定：申请人是否有就业要求？" in s04


@reads_pdf
def test_no_full_id_number_and_missing_contacts_reported(screened: tuple[Path, str]) -> None:
    out, report = screened
    text = "".join("".join(_pages(p)) for p in out.glob("*/告知信.pdf"))
    for number in re.findall(r"\d{17}[\dX]", REGISTRY.read_text(encoding="utf-8")):
        assert number not in text
    assert "500103********0113" in text
    assert "江北区的告知信缺少经办机构、办公地址、联系电话、办公时间" in report
    assert "渝中区的告知信缺少" not in report
    assert not (out / ".letters").exists()  # the parts are joined and removed


@reads_pdf
def test_an_enterprise_is_named_as_it_is(tmp_path: Path) -> None:
    from engine.batch.layout import csv_text
    from engine.batch.template import template_rows

    header, example = template_rows("enterprise")  # the headers and the example unit, as a case
    registry = tmp_path / "units.csv"
    registry.write_text(csv_text([header, ["E-001", *example[1:]]]), encoding="utf-8")
    report = screen(
        Options(registry, tmp_path / "out", date(2020, 9, 15), kind="enterprise", letters=True, workers=1)
    )
    assert "现在符合（免申即享）：1 人" in report
    folder = tmp_path / "out" / "（未填区县）"
    worklist = (folder / "市人力社保局-工作清单.csv").read_text(encoding="utf-8-sig")
    assert "请告知本单位" in worklist and "由本单位回答" in worklist and "本人" not in worklist
    public = (folder / "市人力社保局-公示名单.csv").read_text(encoding="utf-8-sig")
    assert "重庆某机械制造有限公司" in public  # a unit's name is public: not masked
    (letter,) = _pages(folder / "告知信.pdf")
    assert "重庆某机械制造有限公司：" in letter and "同志" not in letter and "居民身份证" not in letter


@reads_pdf
def test_a_part_rendered_before_an_interruption_is_kept(tmp_path: Path) -> None:
    """Parts are named by their content's hash: one already there (a run stopped after rendering
    it) is joined as it is, not rendered again."""
    import hashlib

    from weasyprint import HTML

    from engine.evaluate import default_engine
    from engine.screen import letters as L
    from engine.screen.screen import judge
    from engine.screen.words import Words

    engine = default_engine()
    opts = Options(REGISTRY, tmp_path / "out", date(2020, 9, 15), workers=1, quiet=True, district="江北区")
    listed = judge(opts, engine).listed
    words = Words(engine.book, engine.settings)
    people = L.letters(listed.collect(), words)["江北区"]
    office = engine.settings.settings("江北区") or L.DistrictSettings()
    page = L.html(people, "江北区", office, opts.as_of, engine.book.version)
    kept = tmp_path / "out" / ".letters" / f"{hashlib.sha256(page.encode('utf-8')).hexdigest()[:20]}.pdf"
    kept.parent.mkdir(parents=True)
    kept.write_bytes(HTML(string="<p>RENDERED-BEFORE</p>").write_pdf())
    files, _ = L.write_letters(listed, opts, words)
    assert [p.parent.name for p in files] == ["江北区"]
    assert _pages(files[0]) == ["RENDERED-BEFORE"]


def test_letters_are_refused_where_no_font_prints_chinese(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without a Chinese font WeasyPrint prints boxes and says nothing: the run is refused first,
    naming the package to install (fontconfig is pointed at a configuration with no fonts)."""
    from engine.cli import main

    empty = tmp_path / "fonts.conf"
    empty.write_text("<?xml version='1.0'?><fontconfig></fontconfig>", encoding="utf-8")
    monkeypatch.setenv("FONTCONFIG_FILE", str(empty))
    out = tmp_path / "out"
    assert main(["screen", str(REGISTRY), "-o", str(out), "--letters", "--workers", "1", "--quiet"]) == 2
    assert "fonts-wqy-microhei" in capsys.readouterr().err
    assert not out.exists()
