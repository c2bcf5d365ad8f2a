"""The English page, entirely English (issue 23 items 5 and 7; WCAG 3.1.2 language of parts).

Page text is translated by the catalogue, the engine's words come in English from the rule files;
what is left in Chinese on an English page is either a proper name with an English one (a district,
a lead unit: ``GLOSSARY``) or the record itself (an applicant's name, a document number such as
其他〔2020〕4号, a quoted line of the notice). This pass over every English HTML page, on its text
only (never a tag, an attribute, a script or a form's text area), puts the English name in place of
the first kind, marks the second ``<span lang="zh-CN">`` so a screen reader reads it in Chinese,
and turns the full-width punctuation between English words (（ ） ： ； 、 ，) into English
punctuation. Chinese punctuation inside a Chinese run stays as it is.
"""

from __future__ import annotations

import re

from flask import Flask, Response, request
from markupsafe import escape

from web.i18n import lang
from web.pinyin import DISTRICTS

HAN = "\u3400-\u9fff"
CJK_PUNCT = "\u3000-\u303f\uff00-\uffef\u2018-\u201d"
# A Chinese run: Han characters, and the digits and Chinese punctuation between them (其他〔2020〕4号).
RUN = re.compile(f"[{HAN}](?:[{HAN}{CJK_PUNCT}0-9]*[{HAN}〕）」』”。！？])?")
TAG = re.compile(r"(<!--.*?-->|<[^>]*>)", re.S)
RAW = re.compile(r"<(script|style|textarea)\b", re.I)
PUNCT = {
    "（": " (",
    "）": ")",
    "：": ": ",
    "；": "; ",
    "、": ", ",
    "，": ", ",
    "。": ". ",
    "！": "! ",
    "？": "? ",
    "〔": "[",
    "〕": "]",
    "\u3000": " ",
    "＿": "_",
}
SPACES = re.compile(r" {2,}")
LIST_MARKS = re.compile("[、，；]")

# Lead and responsible units of the notice (engine/catalog.py), in English.
UNITS = {
    "人行重庆营管部": "PBOC Chongqing Operations Office",
    "各区县政府": "district and county governments",
    "团市委": "Chongqing Communist Youth League Committee",
    "国家统计局重庆调查总队": "NBS Chongqing Survey Team",
    "市交通局": "Municipal Transport Bureau",
    "市人力社保局": "Municipal Human Resources and Social Security Bureau",
    "市住房城乡建委": "Municipal Housing and Urban-Rural Development Commission",
    "市信访办": "Municipal Letters and Calls Office",
    "市公安局": "Municipal Public Security Bureau",
    "市农业农村委": "Municipal Agriculture and Rural Affairs Commission",
    "市卫生健康委": "Municipal Health Commission",
    "市发展改革委": "Municipal Development and Reform Commission",
    "市商务委": "Municipal Commerce Commission",
    "市国资委": "Municipal State-owned Assets Supervision and Administration Commission",
    "市大数据发展局": "Municipal Big Data Development Bureau",
    "市委宣传部": "Publicity Department of the Municipal Party Committee",
    "市委组织部": "Organisation Department of the Municipal Party Committee",
    "市委编办": "Municipal Commission Office for Public Sector Reform",
    "市委网信办": "Municipal Cyberspace Affairs Office",
    "市工商联": "Municipal Federation of Industry and Commerce",
    "市市场监管局": "Municipal Market Regulation Administration",
    "市征兵办": "Municipal Conscription Office",
    "市总工会": "Municipal Federation of Trade Unions",
    "市扶贫办": "Municipal Poverty Alleviation Office",
    "市政府口岸物流办": "Municipal Port and Logistics Office",
    "市教委": "Municipal Education Commission",
    "市文化旅游委": "Municipal Culture and Tourism Commission",
    "市残联": "Municipal Disabled Persons' Federation",
    "市民政局": "Municipal Civil Affairs Bureau",
    "市水利局": "Municipal Water Resources Bureau",
    "市生态环境局": "Municipal Ecology and Environment Bureau",
    "市科技局": "Municipal Science and Technology Bureau",
    "市经济信息委": "Municipal Economy and Information Technology Commission",
    "市统计局": "Municipal Statistics Bureau",
    "市规划自然资源局": "Municipal Planning and Natural Resources Bureau",
    "市财政局": "Municipal Finance Bureau",
    "市退役军人事务局": "Municipal Veterans Affairs Bureau",
    "市通信管理局": "Chongqing Communications Administration",
    "市金融监管局": "Municipal Financial Regulatory Bureau",
    "重庆市税务局": "Chongqing Tax Service",
    "重庆银保监局": "CBIRC Chongqing Office",
}
ETHNIC = {"土家族苗族": "Tujia and Miao", "苗族土家族": "Miao and Tujia", "土家族": "Tujia"}


def district_english(name: str) -> str:
    """渝中区 → Yuzhong District; 石柱土家族自治县 → Shizhu Tujia Autonomous County."""
    place = DISTRICTS[name].capitalize().replace("Nanan", "Nan'an")
    if name.endswith("自治县"):
        ethnic = next(en for zh, en in ETHNIC.items() if zh in name)
        return f"{place} {ethnic} Autonomous County"
    return f"{place} {'District' if name.endswith('区') else 'County'}"


GLOSSARY = {**UNITS, **{name: district_english(name) for name in DISTRICTS}}


def english_text(text: str, markup: bool = True) -> str:
    """A text node of an English page, HTML-escaped as it came: glossary names in English, other
    Chinese marked (``markup``; not inside a title or an option), punctuation made English."""
    out: list[str] = []
    last = 0
    for match in RUN.finditer(text):
        out.append(_punctuate(text[last : match.start()]))
        run = match.group(0)
        name = run.rstrip("〕）」』”。！？")
        names = LIST_MARKS.split(name)  # 各区县政府、市财政局: a list of names
        if all(n in GLOSSARY for n in names):
            marks = [_punctuate(m) for m in LIST_MARKS.findall(name)] + [_punctuate(run[len(name) :])]
            out.append("".join(str(escape(GLOSSARY[n])) + m for n, m in zip(names, marks, strict=True)))
        elif markup:
            out.append(f'<span lang="zh-CN">{run}</span>')
        else:
            out.append(run)
        last = match.end()
    out.append(_punctuate(text[last:]))
    return "".join(out)


def _punctuate(text: str) -> str:
    if not any(mark in text for mark in PUNCT):
        return text
    for mark, english in PUNCT.items():
        text = text.replace(mark, english)
    text = SPACES.sub(" ", text)
    return text.replace(" )", ")").replace("( ", "(").replace(" ,", ",")


def english_page(html: str) -> str:
    """Every text node of an English page through ``english_text``; tags and raw text untouched."""
    parts = TAG.split(html)
    raw_until: str | None = None
    plain_only = False  # inside <title> or <option>: text only, no elements
    option: int | None = None  # the <option> tag whose text this is
    for i, part in enumerate(parts):
        if i % 2 == 1:  # a tag or a comment
            low = part.lower()
            if raw_until is not None:
                if low.startswith(raw_until):
                    raw_until = None
            elif (m := RAW.match(part)) is not None:
                raw_until = f"</{m.group(1).lower()}"
            elif low.startswith(("<title", "<option")):
                plain_only = True
                option = i if low.startswith("<option") else None
            elif low.startswith(("</title", "</option")):
                plain_only = False
                option = None
            continue
        if raw_until is None and (RUN.search(part) or any(m in part for m in PUNCT)):
            parts[i] = english_text(part, markup=not plain_only)
            if option is not None and RUN.search(parts[i]) and "lang=" not in parts[option]:
                parts[option] = (
                    parts[option][:-1].rstrip("/") + ' lang="zh-CN">'
                )  # 中文 in a list of languages
    return "".join(parts)


def _english_pages(response: Response) -> Response:
    if (
        response.mimetype == "text/html"
        and not response.direct_passthrough
        and not response.is_streamed
        and request.endpoint != "static"
        and lang() == "en"
    ):
        response.set_data(english_page(response.get_data(as_text=True)))
    return response


def init_app(app: Flask) -> None:
    app.after_request(_english_pages)
