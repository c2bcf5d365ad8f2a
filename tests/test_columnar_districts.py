"""The columnar evaluator gives each row its own district's local standard, as in force on the
row's own reference day (the amount is worded once per distinct grant, never borrowed from
another row of the same outcome)."""

from __future__ import annotations

import csv
import io
from datetime import date

from engine.batch.columns import map_columns, row_case
from engine.batch.layout import Layout
from engine.batch.reader import Plain
from engine.batch.work import Job
from engine.columnar import chunk
from engine.districts import DistrictSettings, load_districts
from engine.evaluate import Engine
from engine.rulebook import load_rulebook

AS_OF = date(2020, 9, 15)
KEY = "task23_one_off_hiring_subsidy.amount_per_person"
HEADER = (
    "案件编号,类型,单位类型,参加失业保险,现有职工人数,小微企业,当年新招用符合条件人员数,招用日期,"
    "劳动合同起始日期,劳动合同终止日期,按规定缴纳社会保险,被吸纳人员失业登记日期,区县"
)


def _engine() -> Engine:
    declared = [{"from": "2020-01-01", "value": True, "document": "示例声明"}]
    book = load_districts()
    for name, standards in {
        "渝中区": [
            {"from": "2020-01-01", "value": "1000", "document": "渝中示例1号"},
            {"from": "2020-06-01", "value": "2000", "document": "渝中示例2号"},
        ],
        "江北区": [{"from": "2020-01-01", "value": "1500", "document": "江北示例1号"}],
    }.items():
        settings = {"offers_hiring_subsidy": declared, "standards": {KEY: standards}}
        book = book.replace(name, DistrictSettings.model_validate(settings))
    return Engine(load_rulebook(), settings=book)


def _registry(engine: Engine) -> tuple[list[str], Job, list[list[str]]]:
    """Rows of three districts hired on two days, the job to judge them, and each row's cells as
    the engine judges its case alone (on a fresh engine)."""
    rows = []
    contracts = [("2020-03-16", "2021-03-15"), ("2020-07-01", "2021-06-30")]
    for k, (district, (hired, end)) in enumerate(
        [(d, c) for d in ("渝中区", "江北区", "沙坪坝区") for c in contracts] * 2
    ):
        rows.append(f"E{k},单位,企业,是,80,是,16,{hired},{hired},{end},是,2019-09-16,{district}")
    header = HEADER.split(",")
    cols = map_columns(header, "person", engine.book.confirmation_keys())
    layout = Layout(engine.book)
    expected = []
    for k, row in enumerate(rows):
        case, problems = row_case(cols, row.split(","), AS_OF)
        assert case is not None, problems
        [verdicts] = _engine().judge_many([case], AS_OF, "zh")
        expected += list(
            csv.reader(io.StringIO(layout.lines(case.case_id or "", k + 2, "enterprise", verdicts)))
        )
    return rows, Job(engine, cols, layout, AS_OF), expected


def test_each_row_gets_its_own_district_s_standard_in_force_on_its_own_day():
    rows, job, expected = _registry(_engine())
    done = chunk.evaluate(job, Plain(2, "".join(r + "\r\n" for r in rows)))
    assert done.decided == len(rows) and not done.err
    got = list(csv.reader(io.StringIO(bytes(done.out).decode("utf-8"))))
    assert got == expected
    grant = job.layout.header().index("一次性吸纳就业补贴·标准和期限")
    amounts = {(r[0], r[grant].split(" ")[0]) for r in got}
    assert {"1000", "2000", "1500"} <= {a for _, a in amounts}


def test_a_job_s_later_chunks_read_each_row_s_standard_on_its_own_day():
    """What a job keeps for its later chunks (``Job.memo``) is kept by the day a standard is read
    on: a district's rows hired on another day, in another chunk, get that day's standard."""
    rows, job, expected = _registry(_engine())
    got = []
    for k, row in enumerate(rows):  # a chunk per row, through one job
        done = chunk.evaluate(job, Plain(k + 2, row + "\r\n"))
        got += list(csv.reader(io.StringIO(bytes(done.out).decode("utf-8"))))
    assert got == expected


def test_one_engine_reads_each_case_s_standard_on_its_own_day():
    """The desk's engine judges case after case: an amount read for one case's day is never
    reused for another's (a per-case memory once did)."""
    engine = _engine()
    header = HEADER.split(",")
    cols = map_columns(header, "person", engine.book.confirmation_keys())
    amounts = []
    for hired, end in [
        ("2020-03-16", "2021-03-15"),
        ("2020-07-01", "2021-06-30"),
        ("2020-03-16", "2021-03-15"),
    ]:
        row = f"E,单位,企业,是,80,是,16,{hired},{hired},{end},是,2019-09-16,渝中区".split(",")
        case, _ = row_case(cols, row, AS_OF)
        decision = next(
            d for d in engine.evaluate(case, AS_OF).decisions if d.program == "task23_one_off_hiring_subsidy"
        )
        amounts.append(str(decision.grant.amount.value))
    assert amounts == ["1000", "2000", "1000"]
