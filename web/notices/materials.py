"""What the applicant brings to answer an open question, by the fact it answers.

The notice asks the applicant to bring something for each question a decision waits on; these are
the documents an office ordinarily reads each fact from. A statement only the applicant can make
(wants work, able to work) is made in writing at the office. Every fact a case states has an entry
(tests/web/test_web_notice.py), so a new fact cannot reach a notice without one.
"""

from __future__ import annotations

ID_CARD = "居民身份证"
STATEMENT = "本人书面说明（可在办理窗口当场填写）"
HUKOU = "户口簿"
REGISTRATION = "《就业创业证》或失业登记证明"
UI_RECORD = "社会保险经办机构出具的失业保险缴费和待遇领取记录"
WORK = "劳动合同或用人单位出具的就业证明；未就业的，本人书面说明"
HARDSHIP = "民政部门或街道（乡镇）出具的困难证明"
LICENCE = "营业执照"
INSURED = "社会保险经办机构出具的单位参保缴费证明"
LAYOFF = "裁员方案及向工会或全体职工说明情况的书面记录"
CONTRACT = "劳动合同"

# A person's facts, for the applicant and for the person an enterprise hired (``hire.person.*``).
PERSON = {
    "name": ID_CARD,
    "id_number": ID_CARD,
    "birth_date": ID_CARD,
    "sex": ID_CARD,
    "female_post": "原工作单位出具的岗位证明或本人人事档案",
    "hukou_type": HUKOU,
    "employed": WORK,
    "employment_start_date": WORK,
    "stably_employed": WORK,
    "able_to_work": STATEMENT,
    "wants_work": STATEMENT,
    "at_usual_residence": "居住证或户口簿",
    "registered_unemployed": REGISTRATION,
    "unemployment_registration_date": REGISTRATION,
    "employment_difficulty": "就业困难人员认定证明",
    "flexible_subsidy_end_date": "灵活就业社会保险补贴的核准材料",
    "public_welfare_post_end_date": "公益性岗位协议或劳动合同",
    "ui_contribution_months": UI_RECORD,
    "involuntary_unemployment": "原单位出具的解除或终止劳动合同证明",
    "ui_benefit_start_date": UI_RECORD,
    "ui_benefit_end_date": UI_RECORD,
    "dibao_recipient": "最低生活保障证或民政部门出具的证明",
    "living_difficulty": HARDSHIP,
    "family_in_difficulty": HARDSHIP,
    "laid_off": "原单位出具的解除劳动关系证明或《就业创业证》",
    "registered_poor": "建档立卡贫困人口的证明",
    "migrant_worker": "户口簿及外出务工的证明（如劳动合同或社会保险缴费记录）",
    "returning_migrant_worker": "户口簿及外出务工的证明（如劳动合同或社会保险缴费记录）",
    "college_graduate": "毕业证书",
    "school_level": "最高学历的毕业证书",
    "continuing_education": "继续升学的，录取通知书或学籍证明；未升学的，本人书面说明",
    "veteran": "退役证件",
    "disabled": "残疾人证",
    "wants_training": STATEMENT,
    "training_start_date": "培训机构出具的开班证明",
    "first_business": "营业执照及本人书面说明",
    "business_start_date": LICENCE,
    "operating_normally": "营业执照及近期经营情况证明（如纳税或社会保险缴费记录）",
}

OTHER = {
    "district.name": "居住证或户口簿",
    "enterprise.name": LICENCE,
    "enterprise.credit_code": LICENCE,
    "enterprise.org_type": "营业执照或登记证书",
    "enterprise.application_date": "申请书",
    "enterprise.ui_insured": INSURED,
    "enterprise.staff_count": "职工名册",
    "enterprise.insured_staff_count": INSURED,
    "enterprise.laid_off_count": LAYOFF,
    "enterprise.temporary_difficulty": "生产经营困难情况说明及近期财务报表",
    "enterprise.recovery_expected": "生产经营困难情况说明及近期财务报表",
    "enterprise.prior_year_ui_contributions": INSURED,
    "enterprise.in_difficulty": "生产经营困难情况说明及近期财务报表",
    "enterprise.on_job_training": "培训计划及培训记录",
    "enterprise.training_date": "培训计划及培训记录",
    "enterprise.small_or_micro": "营业执照、职工名册及上年度财务报表",
    "enterprise.new_eligible_hires": "新招用人员名册及劳动合同",
    "enterprise.economic_layoff_planned": LAYOFF,
    "enterprise.layoff_explained_date": LAYOFF,
    "enterprise.layoff_date": LAYOFF,
    "enterprise.severance_paid": "经济补偿的支付凭证",
    "enterprise.wage_arrears_settled": "工资支付凭证",
    "enterprise.insurance_arrears_settled": "社会保险费补缴凭证",
    "enterprise.serves_key_enterprises": "为重点企业提供用工服务的协议或记录",
    "hire.hire_date": CONTRACT,
    "hire.contract_start_date": CONTRACT,
    "hire.contract_end_date": CONTRACT,
    "hire.open_ended_contract": CONTRACT,
    "hire.social_insurance_paid": "被吸纳人员的社会保险缴费记录",
}


def to_bring(fact: str) -> str | None:
    """What shows ``fact`` (a dotted input name); None for a fact no document answers."""
    if fact in OTHER:
        return OTHER[fact]
    for prefix in ("person.", "hire.person."):
        if fact.startswith(prefix):
            return PERSON.get(fact.removeprefix(prefix))
    return None
