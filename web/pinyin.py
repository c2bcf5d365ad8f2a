"""Names in pinyin, for the password rule that refuses a password holding one (ASVS 2.1.7 context words).

Districts come from a fixed table (their readings are settled: 长寿 is changshou, not zhangshou);
a person's name from pypinyin, every reading of each character (曾 zeng/ceng, 单 shan/dan) so the
check does not depend on guessing which one the person uses.
"""

from __future__ import annotations

from itertools import islice, product

from pypinyin import Style, pinyin

# Chongqing's 38 districts and counties, the place name without its 区/县/自治县 suffix.
DISTRICTS: dict[str, str] = {
    "万州区": "wanzhou",
    "黔江区": "qianjiang",
    "涪陵区": "fuling",
    "渝中区": "yuzhong",
    "大渡口区": "dadukou",
    "江北区": "jiangbei",
    "沙坪坝区": "shapingba",
    "九龙坡区": "jiulongpo",
    "南岸区": "nanan",
    "北碚区": "beibei",
    "綦江区": "qijiang",
    "大足区": "dazu",
    "渝北区": "yubei",
    "巴南区": "banan",
    "长寿区": "changshou",
    "江津区": "jiangjin",
    "合川区": "hechuan",
    "永川区": "yongchuan",
    "南川区": "nanchuan",
    "璧山区": "bishan",
    "铜梁区": "tongliang",
    "潼南区": "tongnan",
    "荣昌区": "rongchang",
    "开州区": "kaizhou",
    "梁平区": "liangping",
    "武隆区": "wulong",
    "城口县": "chengkou",
    "丰都县": "fengdu",
    "垫江县": "dianjiang",
    "忠县": "zhongxian",
    "云阳县": "yunyang",
    "奉节县": "fengjie",
    "巫山县": "wushan",
    "巫溪县": "wuxi",
    "石柱土家族自治县": "shizhu",
    "秀山土家族苗族自治县": "xiushan",
    "酉阳土家族苗族自治县": "youyang",
    "彭水苗族土家族自治县": "pengshui",
}
MAX_READINGS = 16  # a name of rare polyphones: its first 16 spellings are enough


def district_words(district: str) -> list[str]:
    """The district's place name in pinyin and in characters (渝中区 → yuzhong, 渝中)."""
    if district not in DISTRICTS:
        return []
    stem = district
    for suffix in ("土家族苗族自治县", "苗族土家族自治县", "土家族自治县", "区", "县"):
        if stem.endswith(suffix) and len(stem) > len(suffix) + 1:
            stem = stem.removesuffix(suffix)
            break
    return [DISTRICTS[district], stem]


def name_words(full_name: str) -> list[str]:
    """A Chinese name's spellings in pinyin (王小丽 → wangxiaoli, xiaoliwang, xiaoli), and the name."""
    name = "".join(ch for ch in full_name if not ch.isspace())
    if not name:
        return []
    readings = pinyin(name, style=Style.NORMAL, heteronym=True, errors="ignore")
    words = {name}
    for syllables in islice(product(*readings), MAX_READINGS):
        if not syllables:
            continue
        surname, given = syllables[0], "".join(syllables[1:])
        words.add(surname + given)
        if given:
            words.add(given + surname)
            if len(given) >= 4:
                words.add(given)
    return sorted(w for w in words if len(w) >= 2)
