"""``subsidy batch --template``: the headers a registry may use, with one example row to copy."""

from __future__ import annotations

from engine.batch.columns import CASE_ID, KIND, SUBJECT_ZH
from engine.batch.layout import csv_text
from engine.batch.options import BOM
from engine.labels import input_facts
from engine.text import choice_label

# The example row's case number starts with this: a run skips such rows (counted, never judged), so
# a template filled in below its example is run as it is.
EXAMPLE_PREFIXES = ("示例-", "example-")

# Written as staff write them (是/否, Chinese options, ISO dates); facts not listed stay empty.
EXAMPLES: dict[str, dict[str, object]] = {
    "person": {
        "person.name": "张某",
        "person.id_number": "500101196103100037",
        "person.hukou_type": "urban",
        "person.employed": False,
        "person.able_to_work": True,
        "person.wants_work": True,
        "person.at_usual_residence": True,
        "person.registered_unemployed": True,
        "person.unemployment_registration_date": "2018-09-01",
        "person.ui_contribution_months": 150,
        "person.involuntary_unemployment": True,
        "person.ui_benefit_start_date": "2018-09-01",
        "person.ui_benefit_end_date": "2020-08-31",
        "person.dibao_recipient": False,
        "person.employment_difficulty": True,
        "person.flexible_subsidy_end_date": "2020-06-30",
        "person.stably_employed": False,
    },
    "enterprise": {
        "enterprise.name": "重庆某机械制造有限公司",
        "enterprise.org_type": "enterprise",
        "enterprise.ui_insured": True,
        "enterprise.staff_count": 80,
        "enterprise.small_or_micro": True,
        "enterprise.new_eligible_hires": 16,
        "hire.hire_date": "2020-03-16",
        "hire.contract_start_date": "2020-03-16",
        "hire.contract_end_date": "2021-03-15",
        "hire.social_insurance_paid": True,
        "hire.person.name": "李某",
        "hire.person.unemployment_registration_date": "2019-09-16",
    },
}


def _written(value: object, spec_type: str, lang: str) -> str:
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if spec_type == "choice" and lang == "zh":
        return choice_label(str(value))
    return str(value)


def is_example(case_id: str) -> bool:
    """A template's example row, by its case number."""
    return case_id.strip().startswith(EXAMPLE_PREFIXES)


def template_rows(kind: str, lang: str = "zh") -> list[list[str]]:
    """The header row (Chinese labels; English dotted names with ``lang`` en) and one example row
    of a ``kind`` case, which a run skips."""
    specs = input_facts(kind)
    example = EXAMPLES[kind]
    if lang == "zh":
        header = [CASE_ID[0], KIND[0], *(s.zh for s in specs)]
        row = [f"{EXAMPLE_PREFIXES[0]}{SUBJECT_ZH[kind]}-001", SUBJECT_ZH[kind]]
    else:
        header = [CASE_ID[1], KIND[1], *(s.name for s in specs)]
        row = [f"{EXAMPLE_PREFIXES[1]}{kind}-001", kind]
    row += [_written(example[s.name], s.type, lang) if s.name in example else "" for s in specs]
    return [header, row]


def template_file(kind: str, lang: str = "zh") -> bytes:
    """The template as ``--template`` writes it and the web desk serves it: UTF-8 with BOM, CRLF."""
    return BOM + csv_text(template_rows(kind, lang)).encode("utf-8")
