"""Generate a realistic person registry for ``subsidy batch`` (seeded, valid ID numbers).

Three populations, as the employment-service system exports them: unemployment-insurance
recipients (many near retirement), 低保 household members of whom some found work, and
registered job-seekers (employment-difficulty persons, flexible-employment subsidy and
public-welfare posts ending). Headers are the form's Chinese labels; some cells are left empty
(unknown), as in real exports.

    python bench/make_registry.py registry.csv [--rows 1000000] [--seed 2020]
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from datetime import date, timedelta
from pathlib import Path

# Run as a script, Python puts bench/ on the path, not the project: without the venv's editable
# install (the system Python of README's command) ``engine`` would not be found. It needs only
# the standard library.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.calendar import add_months
from engine.idcard import check_char

AREAS = ["500101", "500102", "500103", "500104", "500105", "500106", "500107", "500108", "500112", "500113"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"
COLUMNS = [
    "案件编号",
    "姓名",
    "身份证号码",
    "出生日期",
    "性别",
    "女性岗位类别",
    "户籍类型",
    "目前已就业",
    "实现就业日期",
    "有劳动能力",
    "有就业要求",
    "已进行失业登记",
    "失业登记日期",
    "就业困难人员",
    "灵活就业社保补贴期满日期",
    "公益性岗位期满日期",
    "已实现稳定就业",
    "失业保险累计缴费月数",
    "非本人意愿中断就业",
    "失业保险金起始日期",
    "失业保险金期满日期",
    "低保对象",
    "生活困难",
]


def _day(r: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=r.randrange((end - start).days + 1))


def _yes(r: random.Random, p: float, unknown: float = 0.05) -> str:
    """是/否 with probability ``p`` of 是, and a share of empty (unknown) cells."""
    if r.random() < unknown:
        return ""
    return "是" if r.random() < p else "否"


def _id_number(r: random.Random, birth: date, male: bool) -> str:
    seq = r.randrange(0, 100) * 10 + r.choice([1, 3, 5, 7, 9] if male else [0, 2, 4, 6, 8])
    first17 = f"{r.choice(AREAS)}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_char(first17)


def person(r: random.Random, i: int) -> dict[str, str]:
    group = r.random()
    if group < 0.5:  # unemployment-insurance recipients, ages 40-63, many near retirement
        birth = _day(r, date(1957, 1, 1), date(1980, 12, 31))
    elif group < 0.8:  # 低保 household members of working age
        birth = _day(r, date(1962, 1, 1), date(2002, 12, 31))
    else:  # registered job-seekers
        birth = _day(r, date(1960, 1, 1), date(2000, 12, 31))
    male = r.random() < 0.55
    row = {c: "" for c in COLUMNS}
    row["案件编号"] = f"CQ2020{i:08d}"
    row["姓名"] = r.choice(SURNAMES) + r.choice(GIVEN) + (r.choice(GIVEN) if r.random() < 0.7 else "")
    row["身份证号码"] = _id_number(r, birth, male)
    row["出生日期"] = birth.isoformat() if r.random() < 0.9 else ""
    row["性别"] = ("男" if male else "女") if r.random() < 0.9 else ""
    if not male and r.random() < 0.85:
        row["女性岗位类别"] = r.choice(["干部岗位（原55岁）", "工人岗位（原50岁）"])
    row["户籍类型"] = r.choice(["城镇", "城镇", "农村"])
    row["有劳动能力"] = _yes(r, 0.95)
    row["有就业要求"] = _yes(r, 0.85)
    if group < 0.5:
        months = r.choice([r.randrange(6, 60), r.randrange(60, 120), r.randrange(120, 400)])
        start = _day(r, date(2018, 1, 1), date(2020, 6, 30))
        period = 12 if months < 60 else 18 if months < 120 else 24
        row["失业保险累计缴费月数"] = str(months)
        row["非本人意愿中断就业"] = _yes(r, 0.85)
        row["已进行失业登记"] = _yes(r, 0.95)
        row["失业登记日期"] = start.isoformat()
        row["失业保险金起始日期"] = start.isoformat()
        row["失业保险金期满日期"] = (add_months(start, period) - timedelta(days=1)).isoformat()
        row["目前已就业"] = _yes(r, 0.2)
    elif group < 0.8:
        row["低保对象"] = _yes(r, 0.9, 0.02)
        row["生活困难"] = _yes(r, 0.8)
        employed = r.random() < 0.4
        row["目前已就业"] = "是" if employed else _yes(r, 0.0)
        if employed:
            row["实现就业日期"] = _day(r, date(2019, 6, 1), date(2020, 9, 1)).isoformat()
    else:
        row["已进行失业登记"] = _yes(r, 0.9)
        row["失业登记日期"] = _day(r, date(2018, 1, 1), date(2020, 8, 31)).isoformat()
        row["就业困难人员"] = _yes(r, 0.6)
        row["目前已就业"] = _yes(r, 0.3)
        row["已实现稳定就业"] = _yes(r, 0.3)
        if r.random() < 0.5:
            row["灵活就业社保补贴期满日期"] = _day(r, date(2019, 7, 1), date(2021, 6, 30)).isoformat()
        if r.random() < 0.3:
            row["公益性岗位期满日期"] = _day(r, date(2019, 7, 1), date(2021, 6, 30)).isoformat()
    return row


def write_registry(path: Path, rows: int, seed: int = 2020) -> None:
    """``rows`` person rows, UTF-8 with BOM (as Excel saves 'CSV UTF-8')."""
    r = random.Random(seed)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(COLUMNS)
        for i in range(rows):
            w.writerow(person(r, i).values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2020)
    args = parser.parse_args()
    write_registry(args.path, args.rows, args.seed)


if __name__ == "__main__":
    main()
