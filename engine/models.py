"""The applicant case, as a caseworker states it.

Every field is optional: a missing fact is not an error, it is a question the decision asks.
Each field carries its Chinese label (the form's and the feature files' vocabulary), its English
label and the question to put to the applicant when it is missing.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationInfo,
    field_validator,
    model_validator,
)

from engine.creditcode import SHAPE as CREDIT_CODE_SHAPE
from engine.creditcode import CreditCodeError, check_credit_code
from engine.districts import shipped_names
from engine.idcard import IdNumberError, parse_id_number
from engine.values import MIN_DATE, Worded, a_number, no_control, parse_date, parse_yes_no
from engine.words import unit_word

MAX_STAFF = 10_000_000  # a head count above this is a typing slip, not an employer


def fact(
    zh: str, en: str, ask: str | None = None, ask_en: str | None = None, unit: str = "", **kwargs: Any
) -> Any:
    """A pydantic field that is also a fact: labels in both languages, the question to ask in both,
    and the unit of an amount or count (元, 个月, 人; ``unit_en`` in English), shown beside the input
    and the value."""
    extra = {"en": en, "ask": ask or f"请提供：{zh}", "ask_en": ask_en or f"Please provide: {en}"}
    if unit:
        extra |= {"unit": unit, "unit_en": unit_word(unit, "en")}
    return Field(default=kwargs.pop("default", None), title=zh, json_schema_extra=extra, **kwargs)


Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
# Dates and yes/no as every way in writes them (JSON, registry cells, the form): engine/values.py.
Day = Annotated[date, BeforeValidator(parse_date)]
YesNo = Annotated[bool, BeforeValidator(parse_yes_no)]
Count = Annotated[int, BeforeValidator(a_number)]  # numbers are numbers: true is no count
Money = Annotated[Decimal, BeforeValidator(a_number)]
# A program applied for, by its id (``task55_benefit_to_retirement``): the engine refuses one its
# rule book does not hold (engine/applications.py), as it refuses an unknown confirmation.
ProgramId = Annotated[Text, AfterValidator(no_control)]
# A case number is printed on the terminal and copied into every output file: an ESC or CR in it
# could forge a "符合" line, a NUL would end up in the results, so control characters are refused.
CaseId = Annotated[Text, AfterValidator(no_control)]


class Sex(StrEnum):
    male = "male"
    female = "female"


class FemalePost(StrEnum):
    """Which original retirement age applies to a woman (国发〔1978〕104号)."""

    cadre = "cadre"  # 干部岗位, original age 55
    worker = "worker"  # 工人岗位, original age 50


class HukouType(StrEnum):
    urban = "urban"
    rural = "rural"


class SchoolLevel(StrEnum):
    junior_high = "junior_high"
    senior_high = "senior_high"
    vocational_or_higher = "vocational_or_higher"
    none = "none"


class OrgType(StrEnum):
    enterprise = "enterprise"
    public_employment_service = "public_employment_service"
    hr_service_agency = "hr_service_agency"
    industry_association = "industry_association"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Person(Strict):
    """A worker or job-seeker: the applicant of a person case, or the person an enterprise hired."""

    name: Text | None = fact("姓名", "Name", ask_en="What is the applicant's name?")
    id_number: str | None = fact(
        "身份证号码",
        "ID number",
        "请提供18位居民身份证号码。",
        max_length=40,
        ask_en="What is the applicant's 18-digit resident ID number?",
    )
    birth_date: Day | None = fact(
        "出生日期",
        "Date of birth",
        "申请人的出生日期是哪天？",
        ask_en="What is the applicant's date of birth?",
    )
    sex: Sex | None = fact("性别", "Sex", "申请人的性别是？", ask_en="What is the applicant's sex?")
    female_post: FemalePost | None = fact(
        "女性岗位类别",
        "Woman's post category (cadre 55 / worker 50)",
        "申请人（女性）原法定退休年龄适用干部岗位（55岁）还是工人岗位（50岁）？",
        ask_en="Does the applicant (a woman) retire under the cadre rule (55) or the worker rule (50)?",
    )
    hukou_type: HukouType | None = fact(
        "户籍类型",
        "Household registration",
        "申请人是城镇户籍还是农村户籍？",
        ask_en="Is the applicant's household registration urban or rural?",
    )
    employed: YesNo | None = fact(
        "目前已就业",
        "Currently employed",
        "申请人目前是否已就业？",
        ask_en="Is the applicant employed at present?",
    )
    employment_start_date: Day | None = fact(
        "实现就业日期",
        "Date employment started",
        "申请人从哪天开始就业？",
        ask_en="On what day did the applicant start work?",
    )
    able_to_work: YesNo | None = fact(
        "有劳动能力", "Able to work", "申请人是否有劳动能力？", ask_en="Is the applicant able to work?"
    )
    wants_work: YesNo | None = fact(
        "有就业要求", "Wants work", "申请人是否有就业要求？", ask_en="Does the applicant want work?"
    )
    at_usual_residence: YesNo | None = fact(
        "在常住地申请",
        "Applying at place of usual residence",
        "申请人是否在常住地办理？",
        ask_en="Is the applicant applying at their place of usual residence?",
    )
    registered_unemployed: YesNo | None = fact(
        "已进行失业登记",
        "Registered as unemployed",
        "申请人是否已进行失业登记？",
        ask_en="Has the applicant registered as unemployed?",
    )
    unemployment_registration_date: Day | None = fact(
        "失业登记日期",
        "Date registered unemployed",
        "申请人哪天进行的失业登记？",
        ask_en="On what day did the applicant register as unemployed?",
    )
    employment_difficulty: YesNo | None = fact(
        "就业困难人员",
        "Person with employment difficulty (“就业困难人员”)",
        "申请人是否经认定为就业困难人员？",
        ask_en="Has the applicant been recognised as a person with employment difficulty?",
    )
    flexible_subsidy_end_date: Day | None = fact(
        "灵活就业社保补贴期满日期",
        "Flexible-employment insurance subsidy end date",
        "申请人享受的灵活就业社会保险补贴哪天期满？",
        ask_en="On what day does the applicant's flexible-employment social-insurance subsidy end?",
    )
    public_welfare_post_end_date: Day | None = fact(
        "公益性岗位期满日期",
        "Public-welfare post end date",
        "申请人从事公益性岗位的政策享受期哪天期满？",
        ask_en="On what day does the applicant's public-welfare post entitlement end?",
    )
    stably_employed: YesNo | None = fact(
        "已实现稳定就业",
        "Stably employed",
        "期满时申请人是否已实现稳定就业？",
        ask_en="Was the applicant stably employed when the period ended?",
    )
    ui_contribution_months: Count | None = fact(
        "失业保险累计缴费月数",
        "Unemployment-insurance contribution months",
        "申请人失业保险累计缴费多少个月？",
        ge=0,
        le=1000,
        unit="个月",
        ask_en="How many months in all has the applicant paid unemployment-insurance contributions?",
    )
    involuntary_unemployment: YesNo | None = fact(
        "非本人意愿中断就业",
        "Lost job involuntarily",
        "申请人是否非因本人意愿中断就业？",
        ask_en="Did the applicant lose their job against their will?",
    )
    ui_benefit_start_date: Day | None = fact(
        "失业保险金起始日期",
        "Unemployment benefit start date",
        "申请人哪天开始领取失业保险金？",
        ask_en="On what day did the applicant start receiving unemployment benefit?",
    )
    ui_benefit_end_date: Day | None = fact(
        "失业保险金期满日期",
        "Unemployment benefit end date",
        "申请人领取失业保险金哪天期满？",
        ask_en="On what day does the applicant's unemployment benefit end?",
    )
    dibao_recipient: YesNo | None = fact(
        "低保对象",
        "Minimum-living-guarantee (“低保”) recipient",
        "申请人是否为低保对象？",
        ask_en="Does the applicant receive the minimum living guarantee (“低保”)?",
    )
    living_difficulty: YesNo | None = fact(
        "生活困难",
        "In living difficulty",
        "申请人（及家庭）是否生活困难？",
        ask_en="Is the applicant (with their family) in living difficulty?",
    )
    laid_off: YesNo | None = fact(
        "下岗失业人员",
        "Laid-off worker",
        "申请人是否为下岗失业人员？",
        ask_en="Is the applicant a laid-off worker?",
    )
    family_in_difficulty: YesNo | None = fact(
        "困难家庭成员",
        "Member of a family in difficulty",
        "申请人是否为困难家庭成员？",
        ask_en="Is the applicant a member of a family in difficulty?",
    )
    registered_poor: YesNo | None = fact(
        "建档立卡贫困人口",
        "Registered poor (“建档立卡”)",
        "申请人是否为建档立卡贫困人口？",
        ask_en="Is the applicant registered as poor (“建档立卡”)?",
    )
    migrant_worker: YesNo | None = fact(
        "农民工",
        "Migrant worker (“农民工”)",
        "申请人是否为农民工？",
        ask_en="Is the applicant a migrant worker?",
    )
    college_graduate: YesNo | None = fact(
        "高校毕业生",
        "College or university graduate",
        "申请人是否为高校毕业生？",
        ask_en="Is the applicant a college or university graduate?",
    )
    veteran: YesNo | None = fact(
        "退役军人", "Veteran", "申请人是否为退役军人？", ask_en="Is the applicant a veteran?"
    )
    disabled: YesNo | None = fact(
        "残疾人",
        "Person with a disability",
        "申请人是否为残疾人？",
        ask_en="Does the applicant have a disability?",
    )
    school_level: SchoolLevel | None = fact(
        "最高学历",
        "Highest schooling completed",
        "申请人最近毕业于哪一级学校？",
        ask_en="What level of school did the applicant last graduate from?",
    )
    continuing_education: YesNo | None = fact(
        "继续升学",
        "Continuing to further education",
        "申请人毕业后是否继续升学？",
        ask_en="Is the applicant going on to further education after graduating?",
    )
    wants_training: YesNo | None = fact(
        "有参加培训意愿",
        "Wishes to train",
        "申请人是否有意愿参加劳动预备制培训？",
        ask_en="Does the applicant wish to take labour-preparatory training?",
    )
    training_start_date: Day | None = fact(
        "培训开始日期",
        "Training start date",
        "申请人参加的劳动预备制培训哪天开始？",
        ask_en="On what day does the applicant's labour-preparatory training start?",
    )
    returning_migrant_worker: YesNo | None = fact(
        "返乡农民工",
        "Returning migrant worker",
        "申请人是否为返乡农民工？",
        ask_en="Is the applicant a migrant worker who has returned home?",
    )
    first_business: YesNo | None = fact(
        "首次创业",
        "First business",
        "这是申请人首次创业吗？",
        ask_en="Is this the applicant's first business?",
    )
    business_start_date: Day | None = fact(
        "开始经营日期",
        "Business start date",
        "所创办企业或个体户哪天开始经营（登记日期）？",
        ask_en="On what day did the business (enterprise or sole trader) start (its registration date)?",
    )
    operating_normally: YesNo | None = fact(
        "正常经营",
        "Operating normally",
        "所创办企业或个体户目前是否正常经营？",
        ask_en="Is the business operating normally at present?",
    )

    @field_validator("id_number")
    @classmethod
    def _id_number_valid(cls, value: str | None, info: ValidationInfo) -> str | None:
        """Checksum, shape and birth date of the ID number, reported on the ID field itself."""
        if not value:
            return None
        try:
            parsed = parse_id_number(value)
        except IdNumberError as err:
            raise Worded(str(err), err.args[0].en) from None
        if parsed.birth_date < MIN_DATE:  # a valid number of someone no applicant can be
            raise Worded(
                f"号码中的出生日期 {parsed.birth_date} 早于 {MIN_DATE}",
                f"the birth date in the number, {parsed.birth_date}, is before {MIN_DATE}",
            )
        as_of = _as_of(info)
        if as_of is not None and parsed.birth_date > as_of:
            raise Worded(
                f"号码中的出生日期 {parsed.birth_date} 晚于评估日期 {as_of}",
                f"the birth date in the number, {parsed.birth_date}, is after the evaluation date {as_of}",
            )
        return parsed.number

    @field_validator("birth_date")
    @classmethod
    def _birth_date_agrees(cls, value: date | None, info: ValidationInfo) -> date | None:
        """A birth date that contradicts the ID number, or comes after the evaluation date, is an
        error, not a silent choice (it would be decided as a negative age)."""
        as_of = _as_of(info)
        if value is not None and as_of is not None and value > as_of:
            raise Worded(f"晚于评估日期 {as_of}", f"after the evaluation date {as_of}")
        number = info.data.get("id_number")
        if value is not None and number and value != parse_id_number(number).birth_date:
            birth = parse_id_number(number).birth_date
            raise Worded(
                f"与身份证号码中的出生日期 {birth} 不一致",
                f"disagrees with the birth date in the ID number, {birth}",
            )
        return value

    @field_validator("sex")
    @classmethod
    def _sex_agrees(cls, value: Sex | None, info: ValidationInfo) -> Sex | None:
        number = info.data.get("id_number")
        if value is not None and number and value != parse_id_number(number).sex:
            raise Worded(
                "与身份证号码（第17位）表示的性别不一致",
                "disagrees with the sex the ID number gives (17th digit)",
            )
        return value

    @model_validator(mode="after")
    def _fill_from_id_number(self) -> Person:
        """The ID number supplies the birth date and sex the caseworker did not type."""
        if self.id_number:
            parsed = parse_id_number(self.id_number)
            self.birth_date = self.birth_date or parsed.birth_date
            self.sex = self.sex or Sex(parsed.sex)
        return self


class Hire(Strict):
    """An enterprise's hiring of one person (task 23)."""

    hire_date: Day | None = fact(
        "招用日期",
        "Hire date",
        "企业哪天招用该人员？",
        ask_en="On what day did the enterprise hire the person?",
    )
    contract_start_date: Day | None = fact(
        "劳动合同起始日期",
        "Contract start date",
        "劳动合同从哪天开始？",
        ask_en="On what day does the labour contract start?",
    )
    contract_end_date: Day | None = fact(
        "劳动合同终止日期",
        "Contract end date",
        "劳动合同到哪天终止？（无固定期限合同请勾选）",
        ask_en="On what day does the labour contract end? (For an open-ended contract, tick that box.)",
    )
    open_ended_contract: YesNo | None = fact(
        "无固定期限劳动合同",
        "Open-ended contract",
        "是否签订无固定期限劳动合同？",
        ask_en="Is the labour contract open-ended?",
    )
    social_insurance_paid: YesNo | None = fact(
        "按规定缴纳社会保险",
        "Social insurance paid as required",
        "企业是否已按规定为其缴纳社会保险？",
        ask_en="Has the enterprise paid social insurance for the person as required?",
    )
    person: Person = Field(default_factory=Person, title="被吸纳人员")

    @field_validator("contract_end_date", mode="before")
    @classmethod
    def _no_end_date(cls, value: Any) -> Any:
        """HR systems write 9999-12-31 for "no end date"; here that is the open-ended flag."""
        if isinstance(value, str) and value.strip().startswith("9999"):
            raise Worded(
                "无固定期限合同请将“无固定期限劳动合同”填“是”，终止日期留空（不要填 9999 年）",
                "for an open-ended contract answer yes to the open-ended question and leave the end date "
                "empty (not 9999)",
            )
        return value

    @model_validator(mode="after")
    def _contract_in_order(self) -> Hire:
        if (
            self.contract_start_date
            and self.contract_end_date
            and self.contract_end_date < self.contract_start_date
        ):
            raise Worded("劳动合同终止日期早于起始日期", "the contract ends before it starts")
        return self


class Enterprise(Strict):
    """An enterprise or service organisation applying for an enterprise-side measure."""

    name: Text | None = fact("单位名称", "Name", ask_en="What is the enterprise's name?")
    credit_code: str | None = fact(
        "统一社会信用代码",
        "Unified social credit code",
        pattern=CREDIT_CODE_SHAPE,
        ask_en="What is the enterprise's unified social credit code?",
    )
    org_type: OrgType | None = fact(
        "单位类型",
        "Organisation type",
        "申请单位属于哪一类？",
        ask_en="What kind of organisation is the applicant?",
    )
    application_date: Day | None = fact(
        "申请日期", "Application date", "单位哪天提出申请？", ask_en="On what day did the enterprise apply?"
    )
    ui_insured: YesNo | None = fact(
        "参加失业保险",
        "Insured for unemployment",
        "单位是否参加失业保险并足额缴费？",
        ask_en="Is the enterprise insured for unemployment, with contributions paid in full?",
    )
    staff_count: Count | None = fact(
        "现有职工人数",
        "Current staff",
        "单位现有职工多少人？",
        ge=0,
        le=MAX_STAFF,
        unit="人",
        ask_en="How many staff does the enterprise have now?",
    )
    insured_staff_count: Count | None = fact(
        "参保职工人数",
        "Insured staff",
        "单位参加失业保险的职工多少人？",
        ge=0,
        le=MAX_STAFF,
        unit="人",
        ask_en="How many of its staff are insured for unemployment?",
    )
    laid_off_count: Count | None = fact(
        "裁员人数",
        "Staff laid off",
        "单位上年度裁减了多少名参保职工？",
        ge=0,
        le=MAX_STAFF,
        unit="人",
        ask_en="How many insured staff did the enterprise lay off last year?",
    )
    temporary_difficulty: YesNo | None = fact(
        "面临暂时性生产经营困难",
        "In temporary difficulty",
        "单位是否面临暂时性生产经营困难？",
        ask_en="Is the enterprise in temporary difficulty in production or business?",
    )
    recovery_expected: YesNo | None = fact(
        "恢复有望",
        "Recovery expected",
        "单位生产经营是否恢复有望？",
        ask_en="Is the enterprise's production or business expected to recover?",
    )
    prior_year_ui_contributions: Money | None = fact(
        "上年度缴纳失业保险费",
        "Previous year's unemployment-insurance contributions",
        "单位上年度实际缴纳失业保险费多少元？",
        ge=0,
        max_digits=14,
        decimal_places=2,
        unit="元",
        ask_en="How much did the enterprise pay in unemployment-insurance contributions last year (CNY)?",
    )
    in_difficulty: YesNo | None = fact(
        "困难企业",
        "Enterprise in difficulty",
        "单位是否为困难企业？",
        ask_en="Is the enterprise an enterprise in difficulty?",
    )
    on_job_training: YesNo | None = fact(
        "开展职工在岗培训",
        "Runs on-the-job training",
        "单位是否组织职工开展在岗培训？",
        ask_en="Does the enterprise organise on-the-job training for its staff?",
    )
    training_date: Day | None = fact(
        "培训日期",
        "Training date",
        "在岗培训哪天开展？",
        ask_en="On what day is the on-the-job training held?",
    )
    small_or_micro: YesNo | None = fact(
        "小微企业",
        "Small or micro enterprise",
        "单位是否为小微企业？",
        ask_en="Is the enterprise a small or micro enterprise?",
    )
    new_eligible_hires: Count | None = fact(
        "当年新招用符合条件人员数",
        "Eligible people newly hired this year",
        "单位当年新招用符合创业担保贷款条件的人员多少名？",
        ge=0,
        le=MAX_STAFF,
        unit="人",
        ask_en="How many people eligible for a guarantee loan did the enterprise newly hire this year?",
    )
    economic_layoff_planned: YesNo | None = fact(
        "拟进行经济性裁员",
        "Economic layoff planned",
        "单位是否拟进行经济性裁员？",
        ask_en="Does the enterprise plan an economic layoff?",
    )
    layoff_explained_date: Day | None = fact(
        "向工会或全体职工说明日期",
        "Date explained to union or staff",
        "单位哪天向工会或全体职工说明裁员情况？",
        ask_en="On what day did the enterprise explain the layoff to the union or all staff?",
    )
    layoff_date: Day | None = fact(
        "裁员实施日期",
        "Layoff date",
        "单位计划哪天实施裁员？",
        ask_en="On what day does the enterprise plan to carry out the layoff?",
    )
    severance_paid: YesNo | None = fact(
        "依法支付经济补偿",
        "Severance paid",
        "单位是否依法支付经济补偿？",
        ask_en="Does the enterprise pay the economic compensation the law requires?",
    )
    wage_arrears_settled: YesNo | None = fact(
        "已偿还拖欠工资",
        "Wage arrears settled",
        "单位是否已偿还拖欠的职工工资？",
        ask_en="Has the enterprise paid the wages it owed its staff?",
    )
    insurance_arrears_settled: YesNo | None = fact(
        "已补缴欠缴社会保险费",
        "Insurance arrears settled",
        "单位是否已补缴欠缴的社会保险费？",
        ask_en="Has the enterprise paid the social-insurance contributions it owed?",
    )
    serves_key_enterprises: YesNo | None = fact(
        "为重点企业提供用工服务",
        "Serves key enterprises",
        "机构是否为重点企业提供用工指导、政策咨询、劳动关系协调等服务？",
        ask_en=(
            "Does the organisation give key enterprises staffing guidance, policy advice, labour-relations"
            " coordination or similar services?"
        ),
    )

    @field_validator("credit_code")
    @classmethod
    def _credit_code_valid(cls, value: str | None) -> str | None:
        """The check character of the credit code (GB 32100-2015), its shape being the pattern's."""
        if value is None:
            return None
        try:
            return check_credit_code(value)
        except CreditCodeError as err:
            raise Worded(str(err), err.args[0].en) from None


DistrictName = StrEnum("DistrictName", {name: name for name in shipped_names()})  # type: ignore[misc]


class District(Strict):
    """The district that decides. What it runs where the notice says “有条件的地区” is its own setting
    (engine/districts.py), never the applicant's answer."""

    name: DistrictName | None = fact(
        "区县",
        "District",
        "案件由哪个区县（自治县）办理？",
        ask_en="Which district or county handles the case?",
    )


def _once(ids: list[str]) -> list[str]:
    """A program named twice is applied for once, in the order first named."""
    return list(dict.fromkeys(ids))


# What the person applies for: then only these programs are decided, the others are advice
# (Evaluation.suggestions). Empty: every program of the subject is screened.
AppliedFor = Annotated[list[ProgramId], Field(max_length=100), AfterValidator(_once)]
APPLIED_FOR = (
    "申请的项目ID（subsidy rules 可查），如 task55_benefit_to_retirement；"
    "只判断这些项目，其余列为可能还符合。为空时筛查全部项目。"
    " Program ids applied for: only these are decided, the others are suggestions;"
    " empty: every program is screened."
)


class PersonCase(Strict):
    kind: Literal["person"] = "person"
    case_id: CaseId | None = Field(None, title="案件编号")
    person: Person = Field(default_factory=Person, title="申请人")
    district: District = Field(default_factory=District, title="区县")
    confirmations: dict[str, YesNo] = Field(default_factory=dict, title="经办人确认事项")
    applied_for: AppliedFor = Field(default_factory=list, title="申请事项", description=APPLIED_FOR)


class EnterpriseCase(Strict):
    kind: Literal["enterprise"] = "enterprise"
    case_id: CaseId | None = Field(None, title="案件编号")
    enterprise: Enterprise = Field(default_factory=Enterprise, title="单位")
    hire: Hire | None = Field(None, title="招用")
    district: District = Field(default_factory=District, title="区县")
    confirmations: dict[str, YesNo] = Field(default_factory=dict, title="经办人确认事项")
    applied_for: AppliedFor = Field(default_factory=list, title="申请事项", description=APPLIED_FOR)


Case = Annotated[PersonCase | EnterpriseCase, Field(discriminator="kind")]

CASE_ADAPTER: TypeAdapter[PersonCase | EnterpriseCase] = TypeAdapter(Case)


def parse_case(data: Any, as_of: date | None = None) -> PersonCase | EnterpriseCase:
    """Validate a case from JSON-like data; a case without ``kind`` is a person case.

    With ``as_of`` (the evaluation date), facts that cannot be true on that date, such as a birth
    after it, are refused too; every way in (file, registry row, form, API) passes it.
    """
    if isinstance(data, dict) and "kind" not in data:
        data = {"kind": "person", **data}
    return CASE_ADAPTER.validate_python(data, context={"as_of": as_of})


def _as_of(info: ValidationInfo) -> date | None:
    """The evaluation date the case is validated for, if the caller gave one."""
    return info.context.get("as_of") if isinstance(info.context, dict) else None
