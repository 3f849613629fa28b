"""Demo customer archive: about 5,000 believable customers of 华新钢铁 (registered with
guanxi.core.demo, run by `manage.py demo --seed N`; `--customers N` changes the count).

Chinese company names across the industries a steel group deals with (steel trade, construction,
machinery, chemicals, logistics; retail outlets; banks, government offices, tax bureaux and
design institutes for the special category), in the demo region tree's cities, with legal
representatives, real district names and division codes, unified social credit codes with a
correct GB 32100-2015 check digit (and a correct GB 11714 organisation-code digit inside),
mainland mobile and landline numbers; 1–4 contacts each, grouped into customer departments;
owners among the demo sales reps (with their units); a mix of statuses, sources and categories,
some key customers, about 2 % near-duplicates (有限公司 vs 有限责任公司, full-width spaces and
digits, the same phone) for the duplicate page to work on, about 10 % incomplete records and some
unfiled or late ones for the archivist queue, and outlets with the outlet-profile custom fields.

Rows go in with bulk inserts in batches, field-history rows with them (simple-history's
bulk_create_with_history), so the whole demo stays well under a minute on SQLite. The
vocabularies and number helpers are reused by the benchmark generator
(bench/generators/customers.py).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from django.contrib.auth import get_user_model
from django.utils import timezone

from guanxi.core import demo as demo_registry
from guanxi.core.demo import register

DEFAULT_COUNT = 5000
BATCH = 500

# ------------------------------------------------------------------------------ number helpers

# GB 32100-2015: 31 characters (no I, O, S, V, Z); weights 3^i mod 31.
CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
# GB 11714-1997 organisation code (positions 9–17 of the credit code): weights and mod 11.
ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]


def credit_check_digit(first17: str) -> str:
    """The 18th character of a unified social credit code (GB 32100-2015)."""
    total = sum(CREDIT_CHARS.index(ch) * w for ch, w in zip(first17, CREDIT_WEIGHTS, strict=True))
    return CREDIT_CHARS[(31 - total % 31) % 31]


def org_code_check(body8: str) -> str:
    """The check character of a GB 11714 organisation code (digits and capitals A=10…Z=35)."""
    total = sum((int(ch) if ch.isdigit() else ord(ch) - 55) * w for ch, w in zip(body8, ORG_WEIGHTS, strict=True))
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def credit_code(rng: random.Random, division: str, *, authority: str = "9", kind: str = "1") -> str:
    """A well-formed credit code: registration authority (9 = market regulator, 1 = 机构编制),
    organisation kind (1 = enterprise / 机关, 2 = individual business / 事业单位), the six-digit
    division code, a nine-character organisation code with its own check, and the check digit."""
    body = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY" if i in (0, 1) and rng.random() < 0.3 else "0123456789") for i in range(8))
    first17 = f"{authority}{kind}{division}{body}{org_code_check(body)}"
    return first17 + credit_check_digit(first17)


MOBILE_PREFIXES = [
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "147", "150", "151", "152", "153", "155", "156",
    "157", "158", "159", "166", "171", "173", "176", "177", "178", "180", "181", "182", "183", "184", "185", "186", "187",
    "188", "189", "191", "198", "199",
]  # fmt: skip


def mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


# Areas whose local numbers have 7 digits (the others 8).
SEVEN_DIGIT_AREAS = {"0771", "0772", "0592", "0315", "0310"}


def landline(rng: random.Random, area: str, *, check: bool = True) -> str:
    """A local number after the area code, written the usual way (025-84561234); with `check`,
    one that the phone-number rules (customers.normalize) accept (a few ranges are unallocated)."""
    rest = 6 if area in SEVEN_DIGIT_AREAS else 7
    for _attempt in range(20):
        number = f"{area}-{rng.choice('2345678')}{rng.randrange(10**rest):0{rest}d}"
        if not check or key_functions()[1](number):
            return number
    return number


ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def id_number(rng: random.Random, division: str, birthday: dt.date) -> str:
    """A resident identity number (GB 11643) with a correct ISO 7064 MOD 11-2 check."""
    first17 = f"{division}{birthday:%Y%m%d}{rng.randrange(1000):03d}"
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


FULL_WIDTH = str.maketrans("0123456789-() ", "０１２３４５６７８９－（）　")


def full_width(text: str) -> str:
    return text.translate(FULL_WIDTH)


# ------------------------------------------------------------------------------- vocabularies

# Demo region code -> (short name, area code, [(district, division code)], streets).
CITIES: dict[str, tuple[str, str, list[tuple[str, str]], list[str]]] = {
    "cn-js-nj": ("南京", "025", [("玄武区", "320102"), ("秦淮区", "320104"), ("建邺区", "320105"), ("鼓楼区", "320106"), ("浦口区", "320111"), ("江宁区", "320115")],
                 ["中山路", "中央路", "江东中路", "汉中路", "龙蟠路", "双龙大道", "应天大街"]),
    "cn-js-sz": ("苏州", "0512", [("虎丘区", "320505"), ("吴中区", "320506"), ("相城区", "320507"), ("姑苏区", "320508"), ("吴江区", "320509")],
                 ["干将西路", "人民路", "金鸡湖大道", "星湖街", "东环路", "长江路"]),
    "cn-js-wx": ("无锡", "0510", [("锡山区", "320205"), ("惠山区", "320206"), ("滨湖区", "320211"), ("梁溪区", "320213"), ("新吴区", "320214")],
                 ["中山路", "人民中路", "太湖大道", "梁溪路", "长江路"]),
    "cn-js-cz": ("常州", "0519", [("天宁区", "320402"), ("钟楼区", "320404"), ("新北区", "320411"), ("武进区", "320412")],
                 ["延陵西路", "和平北路", "通江中路", "龙城大道"]),
    "cn-js-nt": ("南通", "0513", [("崇川区", "320602"), ("通州区", "320612"), ("海门区", "320614")], ["工农路", "人民中路", "青年中路", "世纪大道"]),
    "cn-zj-hz": ("杭州", "0571", [("上城区", "330102"), ("拱墅区", "330105"), ("西湖区", "330106"), ("滨江区", "330108"), ("萧山区", "330109"), ("余杭区", "330110")],
                 ["延安路", "文三路", "江南大道", "湖墅南路", "庆春路", "建国北路"]),
    "cn-zj-nb": ("宁波", "0574", [("海曙区", "330203"), ("江北区", "330205"), ("北仑区", "330206"), ("镇海区", "330211"), ("鄞州区", "330212")],
                 ["中山东路", "天童南路", "解放北路", "百丈路", "明州路"]),
    "cn-zj-wz": ("温州", "0577", [("鹿城区", "330302"), ("龙湾区", "330303"), ("瓯海区", "330304")], ["车站大道", "人民路", "学院路", "府东路"]),
    "cn-sh-sh": ("上海", "021", [("徐汇区", "310104"), ("静安区", "310106"), ("闵行区", "310112"), ("宝山区", "310113"), ("嘉定区", "310114"), ("浦东新区", "310115"), ("松江区", "310117")],
                 ["世纪大道", "张杨路", "漕宝路", "沪太路", "曹安公路", "南京西路", "虹梅路"]),
    "cn-sd-jn": ("济南", "0531", [("历下区", "370102"), ("市中区", "370103"), ("槐荫区", "370104"), ("历城区", "370112")], ["经十路", "泉城路", "工业南路", "二环西路"]),
    "cn-sd-qd": ("青岛", "0532", [("市南区", "370202"), ("市北区", "370203"), ("黄岛区", "370211"), ("李沧区", "370213"), ("城阳区", "370214")],
                 ["香港中路", "山东路", "长江中路", "正阳路", "重庆中路"]),
    "cn-gd-gz": ("广州", "020", [("越秀区", "440104"), ("海珠区", "440105"), ("天河区", "440106"), ("白云区", "440111"), ("黄埔区", "440112"), ("番禺区", "440113")],
                 ["天河路", "中山大道", "环市东路", "广州大道", "黄埔大道", "机场路"]),
    "cn-gd-sz": ("深圳", "0755", [("罗湖区", "440303"), ("福田区", "440304"), ("南山区", "440305"), ("宝安区", "440306"), ("龙岗区", "440307")],
                 ["深南大道", "滨河大道", "科技南路", "宝安大道", "龙岗大道"]),
    "cn-gd-fs": ("佛山", "0757", [("禅城区", "440604"), ("南海区", "440605"), ("顺德区", "440606")], ["季华路", "佛山大道", "桂澜路", "乐从钢铁世界大道"]),
    "cn-gd-dg": ("东莞", "0769", [("南城街道", "441900"), ("长安镇", "441900"), ("虎门镇", "441900"), ("塘厦镇", "441900")], ["东莞大道", "鸿福路", "莞太路", "松山湖大道"]),
    "cn-gx-nn": ("南宁", "0771", [("兴宁区", "450102"), ("青秀区", "450103"), ("江南区", "450105"), ("西乡塘区", "450107")], ["民族大道", "友爱路", "星光大道", "五象大道"]),
    "cn-gx-lz": ("柳州", "0772", [("城中区", "450202"), ("鱼峰区", "450203"), ("柳南区", "450204"), ("柳北区", "450205")], ["文昌路", "航银路", "潭中西路", "屏山大道"]),
    "cn-fj-fz": ("福州", "0591", [("鼓楼区", "350102"), ("台江区", "350103"), ("仓山区", "350104"), ("晋安区", "350111")], ["五四路", "八一七北路", "福新中路", "工业路"]),
    "cn-fj-xm": ("厦门", "0592", [("思明区", "350203"), ("海沧区", "350205"), ("湖里区", "350206"), ("集美区", "350211")], ["湖滨南路", "厦禾路", "嘉禾路", "集美大道"]),
    "cn-bj-bj": ("北京", "010", [("东城区", "110101"), ("朝阳区", "110105"), ("丰台区", "110106"), ("海淀区", "110108"), ("通州区", "110112"), ("大兴区", "110115")],
                 ["建国路", "中关村大街", "南四环西路", "东直门南大街", "荣华中路", "新华大街"]),
    "cn-tj-tj": ("天津", "022", [("和平区", "120101"), ("河西区", "120103"), ("南开区", "120104"), ("东丽区", "120110"), ("滨海新区", "120116")],
                 ["南京路", "友谊路", "卫津路", "第二大街", "津塘公路"]),
    "cn-he-sjz": ("石家庄", "0311", [("长安区", "130102"), ("桥西区", "130104"), ("新华区", "130105"), ("裕华区", "130108")], ["中山路", "建设大街", "槐安路", "和平西路"]),
    "cn-he-ts": ("唐山", "0315", [("路南区", "130202"), ("路北区", "130203"), ("丰润区", "130208"), ("曹妃甸区", "130209")], ["新华道", "建设路", "北新道", "唐曹公路"]),
    "cn-he-hd": ("邯郸", "0310", [("邯山区", "130402"), ("丛台区", "130403"), ("复兴区", "130404"), ("峰峰矿区", "130406")], ["人民路", "中华大街", "联纺路", "滏河大街"]),
}  # fmt: skip

BRAND_FIRST = "宏恒金华永鑫顺中东远瑞天昌嘉宝盛安兴德新富久博海祥荣凯大卓万润同晟锦利泰协众佳信亿福聚合鼎汇隆正通创铭"
BRAND_SECOND = "达通泰盛兴源发联方航丰成昌禾信安业胜远纳和荣宏德鼎河隆诚润美桥众合利康晟辉骏腾达力峰"

# category -> [(industry label, name pattern)]; {c} city, {b} brand, {d} district.
INDUSTRIES: dict[str, list[tuple[str, str]]] = {
    "supplier": [
        ("矿业", "{c}{b}矿业有限公司"), ("焦化", "{c}{b}焦化有限公司"), ("耐火材料", "{c}{b}耐火材料有限公司"),
        ("铁合金", "{c}{b}铁合金有限公司"), ("化工", "{c}{b}工业气体有限公司"), ("物流", "{c}{b}物流有限公司"),
        ("物流", "{c}{b}运输有限公司"), ("机械", "{c}{b}冶金设备有限公司"), ("电气", "{c}{b}电气有限公司"),
        ("煤炭", "{c}{b}煤业有限公司"), ("化工", "{c}{b}化工股份有限公司"),
    ],
    "distributor": [
        ("钢材贸易", "{c}{b}钢材贸易有限公司"), ("钢材贸易", "{c}{b}钢铁贸易有限公司"), ("金属材料", "{c}{b}金属材料有限公司"),
        ("物资", "{c}{b}物资有限公司"), ("供应链", "{c}{b}供应链管理有限公司"), ("钢材贸易", "{c}{b}钢材有限责任公司"),
        ("建材", "{c}{b}建材贸易有限公司"),
    ],
    "agreement": [
        ("建筑施工", "{c}{b}建设集团有限公司"), ("机械制造", "{c}{b}重工机械股份有限公司"), ("船舶", "{c}{b}船舶重工有限公司"),
        ("汽车零部件", "{c}{b}汽车零部件有限公司"), ("钢结构", "{c}{b}钢结构工程有限公司"), ("桥梁", "{c}{b}路桥工程有限公司"),
        ("电力", "{c}{b}电力建设有限公司"),
    ],
    "direct": [
        ("机械制造", "{c}{b}机械制造有限公司"), ("建筑施工", "{c}{b}建筑工程有限公司"), ("钢结构", "{c}{b}钢结构有限公司"),
        ("五金制品", "{c}{b}五金制品有限公司"), ("管材", "{c}{b}管业有限公司"), ("电力设备", "{c}{b}电力设备有限公司"),
        ("化工", "{c}{b}化工有限公司"), ("门窗幕墙", "{c}{b}门窗幕墙有限公司"), ("紧固件", "{c}{b}紧固件有限公司"),
        ("模具", "{c}{b}模具有限公司"), ("压力容器", "{c}{b}压力容器有限公司"), ("家电", "{c}{b}电器有限公司"),
        ("机械制造", "{c}{b}精密机械有限责任公司"), ("建筑施工", "{c}{b}建设工程有限公司"),
    ],
    "outlet": [
        ("零售", "{d}{b}五金建材店"), ("零售", "{d}{b}钢材门市部"), ("零售", "{c}{d}{b}建材经营部"), ("零售", "{d}{b}装饰材料店"),
        ("零售", "{c}{b}钢材经营部"),
    ],
}  # fmt: skip

BANKS = [
    "中国工商银行股份有限公司",
    "中国建设银行股份有限公司",
    "中国农业银行股份有限公司",
    "中国银行股份有限公司",
    "交通银行股份有限公司",
    "招商银行股份有限公司",
    "兴业银行股份有限公司",
]
GOV_OFFICES = ["住房和城乡建设局", "发展和改革委员会", "交通运输局", "工业和信息化局", "应急管理局", "自然资源和规划局", "水务局"]

# (special kind, industry, name pattern). {bank} a bank, {gov} an office, {p} the province.
SPECIALS = [
    ("bank", "金融", "{bank}{c}{d}支行"), ("bank", "金融", "{bank}{c}分行"),
    ("government", "政府机关", "{city}{gov}"), ("government", "政府机关", "{city}{d}人民政府"),
    ("tax", "税务", "国家税务总局{city}{d}税务局"),
    ("design_institute", "工程设计", "{c}{b}建筑设计研究院有限公司"), ("design_institute", "工程设计", "{c}市政工程设计研究院"),
    ("design_institute", "工程设计", "{c}{b}工程咨询有限公司"),
    ("advertising", "广告传媒", "{c}{b}广告传媒有限公司"), ("advertising", "广告传媒", "{c}{b}文化传播有限公司"),
]  # fmt: skip

CATEGORY_WEIGHTS = [("direct", 38), ("distributor", 20), ("agreement", 10), ("supplier", 10), ("outlet", 14), ("special", 8)]
STATUS_WEIGHTS = [("active", 46), ("potential", 38), ("lost", 14), ("blacklisted", 2)]
SOURCE_WEIGHTS = [("walk_in", 10), ("phone", 16), ("cold_visit", 20), ("online", 10), ("direct", 22), ("exhibition", 10), ("referral", 12)]
SCALE_WEIGHTS = [("micro", 18), ("small", 40), ("medium", 30), ("large", 12)]
NATURE_WEIGHTS = [("private", 62), ("state", 16), ("joint", 6), ("foreign", 6), ("collective", 4), ("individual", 6)]
CAPITAL_WAN = [50, 100, 200, 300, 500, 800, 1000, 2000, 3000, 5000, 10000, 20000]
TAGS = [("重点跟进", "red"), ("年度框架协议", "blue"), ("国有企业", "purple"), ("上市公司", "indigo"), ("新开发", "green"),
        ("账期客户", "orange"), ("展会线索", "cyan"), ("工程项目", "teal"), ("价格敏感", "yellow")]  # fmt: skip
SUPERVISORS = ["国资委", "住房和城乡建设局", "工业和信息化局", "交通运输局"]

# Departments of a customer and the contacts' titles there (title, decision role).
DEPARTMENTS: dict[str, list[tuple[str, str]]] = {
    "总经理办公室": [("总经理", "decision_maker"), ("副总经理", "decision_maker"), ("办公室主任", "gatekeeper")],
    "采购部": [("采购经理", "buyer"), ("采购部长", "buyer"), ("采购专员", "buyer")],
    "财务部": [("财务总监", "influencer"), ("财务经理", "influencer"), ("会计", "user")],
    "技术部": [("技术总监", "influencer"), ("总工程师", "influencer"), ("工程师", "user")],
    "工程部": [("项目经理", "user"), ("工程部经理", "influencer")],
    "设备物资部": [("物资部长", "buyer"), ("设备主管", "user")],
    "质检部": [("质检主管", "user")],
}
DEPARTMENT_SETS = {
    "outlet": {"门店": [("店长", "decision_maker"), ("店员", "user")]},
    "bank": {"公司业务部": [("客户经理", "influencer"), ("部门总经理", "decision_maker")], "信贷部": [("信贷经理", "influencer")]},
    "government": {"办公室": [("主任", "gatekeeper")], "建设管理处": [("处长", "decision_maker"), ("科员", "user")]},
    "tax": {"纳税服务科": [("科长", "decision_maker"), ("科员", "user")]},
    "design_institute": {"结构设计所": [("所长", "decision_maker"), ("结构工程师", "influencer")], "材料设备部": [("主任", "buyer")]},
    "advertising": {"客户部": [("客户总监", "decision_maker"), ("客户经理", "user")]},
}
HOBBIES = ["钓鱼", "羽毛球", "书法", "茶艺", "摄影", "登山", "高尔夫", "乒乓球", "围棋", "跑步", "收藏紫砂壶"]
NEEDS = [
    "希望缩短交货周期", "关注钢材价格波动，需要每月报价", "每批货需附材质证明书", "希望账期延长到60天", "需要送货到工地",
    "对表面质量要求高", "希望统一开具增值税专用发票", "要求按图纸定尺加工",
]  # fmt: skip
EXPERIENCE = ["曾在本地国有钢厂工作多年", "原为设计院结构工程师", "从基层采购做起，在公司十余年", "曾任同行企业销售经理", "部队转业"]
FAMILY = ["已婚，育有一子", "已婚，育有一女", "已婚，孩子在读大学", "未婚"]
BUSINESS_INFO = ["主要采购螺纹钢、线材", "年用钢量约2万吨", "以热轧板卷为主", "工程项目集中在长三角", "按季度招标，年度框架协议"]
COMMUNICATION_INFO = ["每月拜访一次", "习惯微信沟通，重要事项电话确认", "报价需经采购部长审批", "周三下午方便接待"]
BACKGROUND_INFO = ["公司成立于2005年", "2018年完成股份制改造", "当地行业协会副会长单位", "近年业务增长较快"]

# The outlet profile 客户资料表 of seed 003 附表二 (custom fields of the outlet category).
OUTLET_TYPES = ["A", "B", "C"]
OUTLET_LOCATIONS = ["十字路口东北角", "小区南门旁", "农贸市场入口", "沿街商铺一楼", "建材市场内"]


def weighted(rng: random.Random, pairs):
    return rng.choices([p for p, _w in pairs], [w for _p, w in pairs])[0]


# ------------------------------------------------------------------------------- search keys


def _local_pinyin(name: str) -> tuple[str, str]:
    from pypinyin import Style, lazy_pinyin

    full = "".join(lazy_pinyin(name, errors="ignore")).lower()
    initials = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")).lower()
    return full, initials


def _local_name_key(name: str) -> str:
    import unicodedata

    text = unicodedata.normalize("NFKC", name).lower()
    text = "".join(ch for ch in text if ch.isalnum())
    for suffix in ("股份有限公司", "有限责任公司", "有限公司", "集团", "公司"):
        if text.endswith(suffix):
            text = text[: -len(suffix)]
            break
    return text


def _local_phone_key(raw: str) -> str:
    import unicodedata

    return "".join(ch for ch in unicodedata.normalize("NFKC", raw or "") if ch.isdigit())


@lru_cache(maxsize=1)
def key_functions():
    """(name_key, phone_key, pinyin_keys) from customers.normalize (helper A1's shared
    definitions, so the duplicate check and search find demo rows), else local stand-ins."""
    try:
        from guanxi.customers import normalize
    except ImportError:
        return _local_name_key, _local_phone_key, _local_pinyin
    return (
        getattr(normalize, "name_key", _local_name_key),
        getattr(normalize, "phone_key", _local_phone_key),
        getattr(normalize, "pinyin_keys", _local_pinyin),
    )


def search_keys(name: str, phone: str) -> dict[str, str]:
    name_key, phone_key, pinyin_keys = key_functions()
    full, initials = pinyin_keys(name)
    try:
        pkey = phone_key(phone) if phone else ""
    except Exception:  # a deliberately odd demo number must not stop the demo
        pkey = _local_phone_key(phone)
    from guanxi.customers.normalize import trade_key

    return {
        "name_key": name_key(name)[:200],
        "trade_key": trade_key(name)[:200],
        "pinyin": full[:400],
        "initials": initials[:100],
        "phone_key": (pkey or "")[:20],
    }


# ---------------------------------------------------------------------------- company builder


@dataclass
class Owner:
    user_id: int
    unit_id: int
    region_code: str  # the unit's region code ("cn-js-nj"), or ""


@dataclass
class Company:
    """One generated customer, before it becomes model rows."""

    name: str
    category: str
    special_kind: str
    industry: str
    city_code: str
    district: str
    division: str
    area: str
    street: str
    brand: str = ""
    credit_authority: str = "9"
    credit_kind: str = "1"
    extras: dict = field(default_factory=dict)


class Namer:
    """Unique, believable names: city + brand (字号) + industry + form."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def company(self, category: str, city_code: str) -> Company:
        rng = self.rng
        short, area, districts, streets = CITIES[city_code]
        for _attempt in range(200):
            district, division = rng.choice(districts)
            brand = rng.choice(BRAND_FIRST) + rng.choice(BRAND_SECOND)
            if brand[0] == brand[1]:
                continue
            special_kind, authority, kind = "", "9", "1"
            if category == "special":
                special_kind, industry, pattern = rng.choice(SPECIALS)
                if special_kind in ("government", "tax"):
                    authority, kind = "1", "1"
                elif pattern.endswith("研究院"):
                    authority, kind = "1", "2"  # a public institution 事业单位
            else:
                industry, pattern = rng.choice(INDUSTRIES[category])
                if category == "outlet":
                    kind = "2"  # 个体工商户
            city = f"{short}市"
            c = short if rng.random() < 0.8 or category == "outlet" else city
            name = pattern.format(c=c, b=brand, d=district, city=city, bank=rng.choice(BANKS), gov=rng.choice(GOV_OFFICES))
            if name in self.used:
                continue
            self.used.add(name)
            return Company(
                name, category, special_kind, industry, city_code, district, division, area, rng.choice(streets), brand, authority, kind
            )
        raise RuntimeError("ran out of demo customer names")


def person_name(rng: random.Random) -> str:
    from guanxi.accounts.demo import GIVEN_DOUBLE, GIVEN_SINGLE, SURNAMES

    return rng.choice(SURNAMES) + (rng.choice(GIVEN_DOUBLE) if rng.random() < 0.55 else rng.choice(GIVEN_SINGLE))


def address(rng: random.Random, company: Company) -> str:
    prefix = company.district if company.district.endswith(("镇", "街道")) else f"{company.district}"
    return f"{prefix}{company.street}{rng.randrange(1, 999)}号"


@lru_cache(maxsize=4096)
def _slug(name: str) -> str:
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(name, errors="ignore")).lower()


def _domain(company: Company) -> str:
    """A made-up web domain under example.com: brand pinyin + industry initials."""
    from pypinyin import Style, lazy_pinyin

    return _slug(company.brand) + "".join(lazy_pinyin(company.industry[:2], style=Style.FIRST_LETTER)).lower()


# ---------------------------------------------------------------------------------- the demo


def _owners() -> list[Owner]:
    """Sales reps (by their primary position) own most customers; the managers of selling
    departments own a few."""
    from guanxi.accounts.models import Position

    rows = (
        Position.objects.filter(is_primary=True, role__code__in=["sales_rep", "department_manager"], user__is_active=True)
        .select_related("unit__region", "role")
        .order_by("user_id")
    )
    reps, managers = [], []
    for pos in rows:
        owner = Owner(pos.user_id, pos.unit_id, pos.unit.region.code if pos.unit.region_id else "")
        (reps if pos.role.code == "sales_rep" else managers).append(owner)
    return reps, managers


def _deadline_function():
    """first contact -> filing deadline: customers.filing's rule (policy working days), else
    five working days; memoised per day (the demo spans about a thousand days)."""
    from guanxi.core.workdays import add_workdays

    try:
        from guanxi.customers.filing import filing_deadline_for
        from guanxi.policy.services import current

        policy = current()

        def rule(day):
            return filing_deadline_for(day, policy=policy)
    except ImportError:

        def rule(day):
            return add_workdays(day, 5)

    cache: dict[dt.date, dt.date] = {}

    def deadline(day: dt.date) -> dt.date:
        if day not in cache:
            cache[day] = rule(day)
        return cache[day]

    return deadline


PHOTO_COLOURS = [(196, 160, 120), (120, 150, 190), (160, 190, 140)]


def _png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    """A plain PNG picture (one colour, a darker band as the 'door'), written without Pillow."""
    import struct
    import zlib

    dark = tuple(int(v * 0.6) for v in colour)
    rows = b"".join(
        b"\x00" + b"".join(bytes(dark if width // 3 <= x < 2 * width // 3 and y > height // 3 else colour) for x in range(width))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def _outlet_photos(rng: random.Random, customers, outlet_fields, history) -> int:
    """Storefront / door / counter photos of most outlets: one small placeholder picture per
    photo field, stored once and shared by the demo records (CustomerFile rows, the field's
    value the list of their ids)."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from simple_history.utils import bulk_create_with_history

    from .models import Customer, CustomerFile

    photo_keys = [key for key, field_type, _choices in outlet_fields if field_type == "file"]
    outlets = [c for c in customers if c.category == "outlet" and rng.random() < 0.85]
    if not photo_keys or not outlets:
        return 0
    paths = {}
    for i, key in enumerate(photo_keys):
        path = f"customers/demo/{key}.png"
        if not default_storage.exists(path):
            path = default_storage.save(path, ContentFile(_png(96, 64, PHOTO_COLOURS[i % len(PHOTO_COLOURS)])))
        paths[key] = path
    files = []
    for c in outlets:
        for key in photo_keys:
            f = CustomerFile(
                customer=c, field_key=key, file=paths[key], name=f"{key}.png", uploaded_by_id=c.created_by_id, uploaded_at=c.created_at
            )
            f._history_date, f._history_user = c.created_at, c._history_user
            files.append(f)
    bulk_create_with_history(files, CustomerFile, batch_size=BATCH, custom_historical_attrs=history)
    by_customer: dict[int, dict] = {}
    for f in files:
        by_customer.setdefault(f.customer_id, {})[f.field_key] = [f.pk]
    for c in outlets:
        c.custom_data = {**(c.custom_data or {}), **by_customer[c.pk]}
    Customer.objects.bulk_update(outlets, ["custom_data"], batch_size=BATCH)
    return len(files)


def _scan_archive() -> int:
    """Runs the archive scan once (customers.tasks_duplicates), so the duplicates page has the
    demo's near-duplicates to work on straight away instead of after the monthly scan day."""
    from django.apps import apps
    from django.db import connection

    try:
        model = apps.get_model("customers", "DuplicateFinding")
        from guanxi.customers.tasks_duplicates import scan
    except (LookupError, ImportError):
        return 0
    if model._meta.db_table not in connection.introspection.table_names():
        return 0  # its migration is not applied yet
    scan()
    return model.objects.count()


def _refresh_completeness(customers) -> None:
    """Completeness score and missing fields of the new records (customers.completeness, from
    the policy's required fields per category)."""
    from .models import Customer

    try:
        from guanxi.customers.completeness import refresh_queryset
    except ImportError:
        return
    refresh_queryset(Customer.objects.filter(pk__gte=min(c.pk for c in customers), pk__lte=max(c.pk for c in customers)))


@register(30, "customers.archive")
def build(rng, stdout=None) -> None:
    count = demo_registry.OPTIONS.get("customers")
    build_customers(rng, DEFAULT_COUNT if count is None else count, stdout=stdout)


def build_customers(rng: random.Random, count: int, *, stdout=None) -> dict[str, int]:
    """Creates `count` customers with departments, contacts, team members and tags."""
    from simple_history.utils import bulk_create_with_history

    from guanxi.accounts.models import Position, Region

    from .models import Contact, Customer, CustomerDepartment, CustomerMember, CustomFieldDef, Tag

    if count <= 0:
        return {}
    reps, managers = _owners()
    if not reps:
        raise RuntimeError("no sales reps: the organisation demo must run first")
    cities = {r.code: r for r in Region.objects.filter(code__in=list(CITIES))}
    city_codes = sorted(cities)
    if not city_codes:
        raise RuntimeError("no demo regions: the organisation demo must run first")
    service_staff = list(
        Position.objects.filter(is_primary=True, role__code="service_staff").values_list("user_id", flat=True).order_by("user_id")
    )
    tags = []
    for name, color in TAGS:
        tag, _ = Tag.objects.get_or_create(name=name, defaults={"color": color})
        tags.append(tag)
    outlet_fields = [
        (d.key, d.field_type, list(d.choices or [])) for d in CustomFieldDef.objects.filter(category="outlet").order_by("order", "key")
    ]

    today = timezone.localdate()
    now = timezone.now()
    deadline = _deadline_function()
    namer = Namer(rng)
    n_dupes = max(1, count // 50) if count >= 10 else 0
    n_originals = count - n_dupes
    history = {"history_source": "command"}

    # Creation days spread over three years, more of them recent; sorted so ids follow time.
    ages = sorted((int(rng.triangular(0, 1100, 0)) for _ in range(n_originals)), reverse=True)

    customers: list[Customer] = []
    plans: list[dict] = []  # per customer: its company, owner, and the original of a duplicate
    for age in ages:
        category = weighted(rng, CATEGORY_WEIGHTS)
        owner = rng.choice(reps) if rng.random() < 0.93 or not managers else rng.choice(managers)
        # Reps mostly sell in their unit's city; the rest anywhere.
        home = owner.region_code if owner.region_code in cities else None
        city_code = home if home and rng.random() < 0.6 else rng.choice(city_codes)
        company = namer.company(category, city_code)
        c = _customer(rng, company, owner, cities[city_code], age, today, now, deadline)
        if category == "outlet":
            c.custom_data = _outlet_values(rng, company, outlet_fields)
        customers.append(c)
        plans.append({"company": company, "owner": owner})

    # Near-duplicates of some originals: other spellings of the same company (suffix, full-width
    # spaces or digits), often the same phone or credit code, sometimes another owner.
    for i in range(n_dupes):
        original_index = rng.randrange(n_originals)
        original, plan = customers[original_index], plans[original_index]
        owner = plan["owner"] if rng.random() < 0.5 else rng.choice(reps)
        customers.append(_near_duplicate(rng, original, plan["company"], owner, i, deadline))
        plans.append({"company": plan["company"], "owner": owner, "duplicate_of": original_index})

    # Incomplete records (about 10 %): two to four of the optional fields left empty.
    for c in rng.sample(customers, k=max(1, count // 10)):
        for f in rng.sample(
            ["credit_code", "address", "legal_representative", "phone", "industry", "scale", "source", "region"], k=rng.randint(2, 4)
        ):
            setattr(c, f, None if f == "region" else "")
        if not c.phone:
            c.fax = ""

    User = get_user_model()
    people: dict[int, object] = {}
    for c in customers:
        c.__dict__.update(search_keys(c.name, c.phone))
        c._history_user = people.setdefault(c.created_by_id, User(pk=c.created_by_id))
    bulk_create_with_history(customers, Customer, batch_size=BATCH, custom_historical_attrs=history)

    # Departments and contacts (1–4 per customer, the first one primary).
    departments: list[CustomerDepartment] = []
    contacts: list[Contact] = []
    firsts: dict[int, Contact] = {}
    for index, (c, plan) in enumerate(zip(customers, plans, strict=True)):
        dept_set = DEPARTMENT_SETS.get(c.special_kind or c.category, DEPARTMENTS)
        names = list(dept_set)
        chosen = names if len(names) == 1 else rng.sample(names, k=min(len(names), rng.randint(1, 3)))
        depts = [
            CustomerDepartment(
                customer=c,
                name=dname,
                business_info=rng.choice(BUSINESS_INFO) if rng.random() < 0.4 else "",
                communication_info=rng.choice(COMMUNICATION_INFO) if rng.random() < 0.4 else "",
                background_info=rng.choice(BACKGROUND_INFO) if rng.random() < 0.3 else "",
            )
            for dname in chosen
        ]
        for d in depts:
            d._history_date, d._history_user = c.created_at, c._history_user
        departments += depts
        for n in range(rng.choices([1, 2, 3, 4], [30, 38, 22, 10])[0]):
            d = rng.randrange(len(depts))
            title, role = rng.choice(dept_set[chosen[d]])
            contact = Contact(customer=c, department=depts[d], **_contact_values(rng, c, plan["company"], title, role, primary=n == 0))
            contact._history_date, contact._history_user = c.created_at, c._history_user
            if n == 0:
                firsts[index] = contact
                # A duplicate often has its original's primary contact: the same person again.
                if "duplicate_of" in plan and rng.random() < 0.5:
                    twin_of = firsts[plan["duplicate_of"]]
                    contact.name, contact.mobile = twin_of.name, twin_of.mobile
            contacts.append(contact)
    bulk_create_with_history(departments, CustomerDepartment, batch_size=BATCH, custom_historical_attrs=history)
    for contact in contacts:
        contact.department_id = contact.department.pk
    bulk_create_with_history(contacts, Contact, batch_size=BATCH, custom_historical_attrs=history)

    # Team members: most key customers have a second colleague in contact, a few do not (the
    # record then shows the warning); some other customers share the work too.
    members = []
    for c in customers:
        if (c.is_key and rng.random() < 0.75) or rng.random() < 0.03:
            pool = [o.user_id for o in reps if o.unit_id == c.unit_id and o.user_id != c.owner_id] or service_staff
            if pool:
                m = CustomerMember(customer=c, user_id=rng.choice(pool), access=rng.choice(["read", "write"]))
                m._history_date, m._history_user = c.created_at, c._history_user
                members.append(m)
    bulk_create_with_history(members, CustomerMember, batch_size=BATCH, custom_historical_attrs=history)

    # Tags (the M2M has no field history).
    through = Customer.tags.through
    links = [
        through(customer_id=c.pk, tag_id=tag.pk) for c in customers if rng.random() < 0.22 for tag in rng.sample(tags, k=rng.randint(1, 2))
    ]
    through.objects.bulk_create(links, batch_size=BATCH)

    photos = _outlet_photos(rng, customers, outlet_fields, history)
    _refresh_completeness(customers)
    findings = _scan_archive()

    stats = {
        "customers": len(customers),
        "near-duplicates": n_dupes,
        "departments": len(departments),
        "contacts": len(contacts),
        "team members": len(members),
        "outlet photos": photos,
        "scan findings": findings,
    }
    if stdout is not None:
        stdout.write("  customers: " + ", ".join(f"{v} {k}" for k, v in stats.items()))
    return stats


def _customer(rng, company: Company, owner: Owner, region, age: int, today, now, deadline):
    from .models import Customer

    created = now - dt.timedelta(days=age, hours=rng.randrange(0, 9), minutes=rng.randrange(60))
    created_day = timezone.localdate(created)
    first_contact = created_day - dt.timedelta(days=rng.choice([0, 0, 0, 1, 2, 3]))
    due = deadline(first_contact)
    # Filing: most filed within the deadline; recent ones may still be due; some are late.
    filed_at = None
    roll = rng.random()
    if due >= today:
        filed_at = None if roll < 0.6 else created + dt.timedelta(hours=rng.randrange(2, 48))
    elif roll < 0.04:
        filed_at = None  # late and still unfiled
    elif roll < 0.10:
        filed_at = timezone.make_aware(dt.datetime.combine(due + dt.timedelta(days=rng.randint(1, 10)), dt.time(10)))
    else:
        filed_at = created + dt.timedelta(hours=rng.randrange(1, 24 * 4))
    status = weighted(rng, STATUS_WEIGHTS)
    if age < 60 and status in ("lost", "blacklisted"):
        status = "potential"
    category = company.category
    nature = weighted(rng, NATURE_WEIGHTS)
    if company.special_kind in ("government", "tax") or (company.credit_kind == "2" and company.credit_authority == "1"):
        nature = "public"
    elif category == "outlet":
        nature = "individual"
    phone = landline(rng, company.area) if category != "outlet" or rng.random() < 0.3 else mobile(rng)
    is_company = not company.special_kind or company.special_kind in ("design_institute", "advertising", "bank")
    capital = Decimal(rng.choice(CAPITAL_WAN) * 10000) if is_company and category != "outlet" else None
    if category == "outlet":
        capital = Decimal(rng.choice([3, 5, 10, 20]) * 10000)
    slug = _domain(company) if category != "outlet" and company.special_kind not in ("government", "tax", "bank") else ""
    c = Customer(
        name=company.name,
        short_name=f"{company.brand}{company.industry[:2]}" if category not in ("special", "outlet") else "",
        credit_code=credit_code(rng, company.division, authority=company.credit_authority, kind=company.credit_kind),
        category=category,
        special_kind=company.special_kind,
        industry=company.industry,
        scale=weighted(rng, SCALE_WEIGHTS) if category != "outlet" else "micro",
        nature=nature,
        supervising_unit=_supervisor(rng, company, nature),
        region=region,
        address=address(rng, company),
        website=f"https://www.{slug}.example.com" if slug and rng.random() < 0.35 else "",
        business_scope=_scope(company) if category != "special" else "",
        registered_capital=capital,
        legal_representative=person_name(rng) if company.special_kind not in ("government", "tax") else "",
        phone=phone,
        fax=f"{phone[:-1]}{(int(phone[-1]) + 1) % 10}" if "-" in phone and rng.random() < 0.3 else "",
        email=f"info@{slug}.example.com" if slug and rng.random() < 0.3 else "",
        source=weighted(rng, SOURCE_WEIGHTS),
        status=status,
        is_key=status == "active" and rng.random() < 0.09,
        owner_id=owner.user_id,
        unit_id=owner.unit_id,
        first_contact_date=first_contact,
        filing_deadline=due,
        filed_at=filed_at,
        change_report_deadline=deadline(created_day + dt.timedelta(days=rng.randrange(30, 200))) if rng.random() < 0.05 else None,
        created_by_id=owner.user_id,
        created_at=created,
    )
    c._history_date = created
    return c


def _supervisor(rng: random.Random, company: Company, nature: str) -> str:
    """主管单位: the office above a public body, or the owner of a state-owned company."""
    short = CITIES[company.city_code][0]
    city = f"{short}市"
    by_kind = {
        "bank": f"国家金融监督管理总局{short}监管分局",
        "government": f"{city}人民政府",
        "tax": f"国家税务总局{city}税务局",
        "design_institute": f"{city}住房和城乡建设局",
        "advertising": f"{city}市场监督管理局",
    }
    if company.special_kind:
        return by_kind[company.special_kind] if rng.random() < 0.9 else ""
    if nature == "state" or (company.category == "agreement" and rng.random() < 0.85):
        province = {
            "cn-js": "江苏省",
            "cn-zj": "浙江省",
            "cn-sd": "山东省",
            "cn-gd": "广东省",
            "cn-gx": "广西壮族自治区",
            "cn-fj": "福建省",
            "cn-he": "河北省",
        }
        above = province.get(company.city_code.rsplit("-", 1)[0], city) if rng.random() < 0.3 else city
        return above + rng.choice(SUPERVISORS)
    return ""


def _scope(company: Company) -> str:
    scopes = {
        "钢材贸易": "钢材、金属材料、建筑材料的销售；仓储服务（危险品除外）",
        "建筑施工": "房屋建筑工程、市政公用工程施工；钢结构工程",
        "机械制造": "通用机械设备制造、加工、销售；金属结构件加工",
        "化工": "化工产品（不含危险化学品）的生产与销售",
        "物流": "普通货物道路运输；货物仓储；物流信息咨询",
        "零售": "五金、建材、钢材零售",
    }
    return scopes.get(company.industry, f"{company.industry}相关产品的生产、销售及技术服务")


def _outlet_values(rng: random.Random, company: Company, fields: list[tuple[str, str, list]]) -> dict:
    """Values for the outlet profile of seed 003 附表二 (the category's custom field definitions;
    photos stay empty in the demo)."""
    monthly = rng.choice([8000, 15000, 30000, 60000, 90000, 120000])
    known = {
        "outlet_type": 0 if monthly > 80000 else 1 if monthly >= 20000 else 2,
        "region_head": person_name(rng),
        "area_manager": person_name(rng),
        "person_in_charge": person_name(rng),
        "location": rng.choice(OUTLET_LOCATIONS),
        "households_around": rng.choice([300, 800, 1500, 3000, 5000]),
        "floor_area": rng.choice([40, 60, 90, 120, 150, 220]),
        "agent": f"{CITIES[company.city_code][0]}{rng.choice(BRAND_FIRST)}{rng.choice(BRAND_SECOND)}商贸有限公司",
        "monthly_collection": f"{monthly}.00",
        "monthly_payment_count": rng.choice([120, 300, 600, 1200]),
        "collector": person_name(rng),
        "cashier": person_name(rng),
    }
    values = {}
    for key, field_type, choices in fields:
        if field_type == "file":
            continue
        if rng.random() < 0.06:
            continue  # an outlet profile is rarely complete
        value = known.get(key)
        if field_type == "choice" and choices:
            value = choices[min(value, len(choices) - 1)] if isinstance(value, int) else rng.choice(choices)
        elif field_type == "multi" and choices:
            value = rng.sample(choices, k=1)
        elif field_type == "bool":
            value = rng.random() < 0.8
        elif field_type == "number":
            value = value if isinstance(value, int) else rng.randint(1, 500)
        elif field_type == "money":
            value = value if isinstance(value, str) else f"{rng.randint(1, 900) * 100}.00"
        elif field_type == "date":
            value = (timezone.localdate() - dt.timedelta(days=rng.randint(30, 900))).isoformat()
        elif value is None:
            value = ""
        values[key] = value
    return values


def _near_duplicate(rng: random.Random, original, company: Company, owner: Owner, i: int, deadline):
    """Another record of the same company as a colleague might type it."""
    from .models import Customer

    name = original.name
    kind = i % 4
    if kind == 0 and name.endswith("有限责任公司"):
        name = name.removesuffix("有限责任公司") + "有限公司"
    elif kind == 0 and name.endswith("有限公司") and not name.endswith("股份有限公司"):
        name = name.removesuffix("有限公司") + "有限责任公司"
    elif kind == 1:
        cut = min(len(name) - 1, len(CITIES[company.city_code][0]))
        name = name[:cut] + "\u3000" + name[cut:]  # a full-width space after the city
    elif kind == 2:
        city = CITIES[company.city_code][0]
        name = f"（{city}）{name.removeprefix(city)}" if name.startswith(city) else f" {name} "
    elif name.endswith("有限公司"):
        name = name.removesuffix("股份有限公司").removesuffix("有限责任公司").removesuffix("有限公司") + "公司"
    else:
        name = f"{name[:2]} {name[2:]}"
    phone = original.phone
    if phone and rng.random() < 0.5:
        phone = full_width(phone) if rng.random() < 0.5 else phone.replace("-", " ")
    created = original.created_at + dt.timedelta(days=rng.randint(10, 300))
    created = min(created, timezone.now() - dt.timedelta(hours=1))
    twin = Customer(
        name=name,
        credit_code=original.credit_code if rng.random() < 0.4 else "",
        category=original.category,
        special_kind=original.special_kind,
        industry=original.industry,
        scale=original.scale,
        nature=original.nature,
        region_id=original.region_id,
        address=original.address if rng.random() < 0.6 else "",
        legal_representative=original.legal_representative,
        supervising_unit=original.supervising_unit,
        business_scope=original.business_scope,
        phone=phone if rng.random() < 0.8 else "",
        source=weighted(rng, SOURCE_WEIGHTS),
        status="potential",
        custom_data=dict(original.custom_data or {}),
        owner_id=owner.user_id,
        unit_id=owner.unit_id,
        first_contact_date=timezone.localdate(created),
        filing_deadline=deadline(timezone.localdate(created)),  # its own first contact's, not the original's
        created_by_id=owner.user_id,
        created_at=created,
    )
    twin._history_date = created
    return twin


def _contact_values(rng: random.Random, c, company: Company, title: str, role: str, *, primary: bool) -> dict:
    birthday = dt.date(rng.randint(1962, 1996), rng.randint(1, 12), rng.randint(1, 28)) if rng.random() < 0.35 else None
    name = person_name(rng)
    has_mobile = rng.random() < 0.92
    return {
        "name": name,
        "title": title,
        "phone": f"{c.phone}-{rng.randint(801, 899)}" if c.phone and "-" in c.phone and rng.random() < 0.3 else "",
        "mobile": mobile(rng) if has_mobile else "",
        "email": f"{_slug(name)}@{_domain(company)}.example.com" if rng.random() < 0.25 and company.brand else "",
        "decision_role": role if rng.random() < 0.8 else "",
        "birthday": birthday,
        "id_number": id_number(rng, company.division, birthday) if birthday and rng.random() < 0.3 else "",
        "address": f"{company.district}{rng.choice(CITIES[company.city_code][3])}{rng.randint(1, 300)}号{rng.randint(1, 30)}栋"
        if rng.random() < 0.15
        else "",
        "experience": rng.choice(EXPERIENCE) if rng.random() < 0.2 else "",
        "family": rng.choice(FAMILY) if rng.random() < 0.12 else "",
        "hobbies": "、".join(rng.sample(HOBBIES, k=rng.randint(1, 2))) if rng.random() < 0.3 else "",
        "needs": rng.choice(NEEDS) if rng.random() < 0.3 else "",
        "is_primary": primary,
    }
