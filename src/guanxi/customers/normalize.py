"""Normalised keys of customer data, shared by search (F-CUS-10), the duplicate check (F-CUS-6)
and import: pure functions, no database access.

- `name_key(name)`: full-/half-width, case, spaces, punctuation and company suffixes
  (有限公司, 有限责任公司, 股份有限公司, 集团, 公司…) folded away, so 「华新钢铁集团有限公司」,
  「华新钢铁 （集团）」 and 「华新钢铁」 share one key.
- `phone_key(raw)`: the digits of a mainland number (mobile: 11 digits; landline: area code with
  its leading 0 and the subscriber number; 400/800 service numbers: 10 digits), "" when the
  value is not a valid mainland number. Extensions are ignored.
- `pinyin_keys(name)`: (full pinyin, initials) in lower case, e.g. 华新钢铁 → ("huaxingangtie",
  "hxgt"); letters and digits in the name are kept as they are.
- `trade_key(name)`: the trade name 字号 of a company name (行政区划 + 字号 + 行业 + 组织形式),
  e.g. 南京宏达新材料科技有限公司 → 宏达: the duplicate check's "similar name".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import phonenumbers

# Longest first, removed repeatedly from the end of the name.
COMPANY_SUFFIXES = (
    "股份有限公司",
    "有限责任公司",
    "集团有限公司",
    "有限公司",
    "分公司",
    "总公司",
    "集团",
    "公司",
    "corporation",
    "company",
    "limited",
    "coltd",
    "corp",
    "ltd",
    "inc",
)
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
_EXTENSION = re.compile(r"(?:转|分机|ext\.?|x|#)\s*(\d{1,6})\s*$", re.IGNORECASE)
_DIGITS = re.compile(r"\d")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def fold(text: str | None) -> str:
    """Full-width → half-width (NFKC), ideographic space → space, trimmed."""
    return unicodedata.normalize("NFKC", text or "").strip()


def name_key(name: str | None) -> str:
    key = _NOT_WORD.sub("", fold(name).lower())
    stripped = True
    while stripped:
        stripped = False
        for suffix in COMPANY_SUFFIXES:
            if key.endswith(suffix) and len(key) > len(suffix):
                key = key[: -len(suffix)]
                stripped = True
                break
    return key[:200]


# ---------------------------------------------------------------- trade name 字号

# Provinces and province-level cities (short forms), then prefecture-level cities, autonomous
# prefectures and leagues; a frozen list so trade_key stays pure and fast.
_REGION_NAMES = """
北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 海南
四川 贵州 云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门
石家庄 唐山 秦皇岛 邯郸 邢台 保定 张家口 承德 沧州 廊坊 衡水
太原 大同 阳泉 长治 晋城 朔州 晋中 运城 忻州 临汾 吕梁
呼和浩特 包头 乌海 赤峰 通辽 鄂尔多斯 呼伦贝尔 巴彦淖尔 乌兰察布 兴安 锡林郭勒 阿拉善
沈阳 大连 鞍山 抚顺 本溪 丹东 锦州 营口 阜新 辽阳 盘锦 铁岭 朝阳 葫芦岛
长春 四平 辽源 通化 白山 松原 白城 延边
哈尔滨 齐齐哈尔 鸡西 鹤岗 双鸭山 大庆 伊春 佳木斯 七台河 牡丹江 黑河 绥化 大兴安岭
南京 无锡 徐州 常州 苏州 南通 连云港 淮安 盐城 扬州 镇江 泰州 宿迁
杭州 宁波 温州 嘉兴 湖州 绍兴 金华 衢州 舟山 台州 丽水
合肥 芜湖 蚌埠 淮南 马鞍山 淮北 铜陵 安庆 黄山 滁州 阜阳 宿州 六安 亳州 池州 宣城
福州 厦门 莆田 三明 泉州 漳州 南平 龙岩 宁德
南昌 景德镇 萍乡 九江 新余 鹰潭 赣州 吉安 宜春 抚州 上饶
济南 青岛 淄博 枣庄 东营 烟台 潍坊 济宁 泰安 威海 日照 临沂 德州 聊城 滨州 菏泽
郑州 开封 洛阳 平顶山 安阳 鹤壁 新乡 焦作 濮阳 许昌 漯河 三门峡 南阳 商丘 信阳 周口 驻马店 济源
武汉 黄石 十堰 宜昌 襄阳 鄂州 荆门 孝感 荆州 黄冈 咸宁 随州 恩施 仙桃 潜江 天门
长沙 株洲 湘潭 衡阳 邵阳 岳阳 常德 张家界 益阳 郴州 永州 怀化 娄底 湘西
广州 韶关 深圳 珠海 汕头 佛山 江门 湛江 茂名 肇庆 惠州 梅州 汕尾 河源 阳江 清远 东莞 中山 潮州 揭阳 云浮
南宁 柳州 桂林 梧州 北海 防城港 钦州 贵港 玉林 百色 贺州 河池 来宾 崇左
海口 三亚 三沙 儋州
成都 自贡 攀枝花 泸州 德阳 绵阳 广元 遂宁 内江 乐山 南充 眉山 宜宾 广安 达州 雅安 巴中 资阳 阿坝 甘孜 凉山
贵阳 六盘水 遵义 安顺 毕节 铜仁 黔西南 黔东南 黔南
昆明 曲靖 玉溪 保山 昭通 丽江 普洱 临沧 楚雄 红河 文山 西双版纳 大理 德宏 怒江 迪庆
拉萨 日喀则 昌都 林芝 山南 那曲 阿里
西安 铜川 宝鸡 咸阳 渭南 延安 汉中 榆林 安康 商洛
兰州 嘉峪关 金昌 白银 天水 武威 张掖 平凉 酒泉 庆阳 定西 陇南 临夏 甘南
西宁 海东 海北 黄南 果洛 玉树 海西
银川 石嘴山 吴忠 固原 中卫
乌鲁木齐 克拉玛依 吐鲁番 哈密 昌吉 博尔塔拉 巴音郭楞 阿克苏 克孜勒苏 喀什 和田 伊犁 塔城 阿勒泰 石河子
"""
# Generic prefixes of a name that are not the trade name.
_NAME_PREFIXES = ("中国", "中华")
# What may follow a region name: 江苏省, 南京市, 广西壮族自治区, 延边朝鲜族自治州 …
_REGION_ENDINGS = (
    "省", "市", "区", "县", "盟", "地区", "自治区", "自治州", "特别行政区", "壮族自治区", "回族自治区", "维吾尔自治区",
    "朝鲜族自治州", "土家族苗族自治州", "藏族自治州", "彝族自治州", "白族自治州", "傣族自治州", "哈萨克自治州",
)  # fmt: skip
# A district / county / town not in the list: 2–3 characters and its ending (玄武区, 浦东新区, 长安镇).
_DISTRICT = re.compile(r"^.{2,3}?(?:区|县|旗|镇|街道)")
# Industry words 行业 and organisational forms left over after name_key's suffixes; removed
# repeatedly from the end, longest first.
_INDUSTRY_WORDS = """
新材料科技 信息技术 网络科技 科技发展 电子商务 供应链管理 国际贸易 人力资源 建筑设计研究院 设计研究院
房地产开发 房地产 进出口 供应链 新材料 新能源 自动化 钢结构 铁合金 紧固件 研究院 研究所 工作室 事务所 合作社
门市部 经营部 营业部 办事处 分公司 工业气体
科技 技术 贸易 商贸 工贸 经贸 实业 钢铁 钢材 钢管 管业 机械 电子 电器 电气 电力 化工 化学 石化 石油 建设 建筑
建材 建工 工程 路桥 物流 运输 医药 药业 生物 食品 服装 纺织 信息 网络 软件 通信 智能 投资 发展 开发 集团 控股
制造 设备 材料 能源 环保 农业 汽车 家具 矿业 焦化 煤业 物资 管理 咨询 服务 传媒 传播 文化 广告 装饰 模具 五金
重工 船舶 冶金 金属 制品 零部件 配件 国际 置业 地产 塑料 塑胶 橡胶 印刷 包装 玻璃 陶瓷 照明 光电 仪器 仪表
精密 机电 水泥 燃气 热力 水务 餐饮 酒店 旅游 教育 培训 劳务 物业 园林 绿化 景观 电商 商务 商业 百货 超市
供应 销售 营销 幕墙 门窗 设计 压力容器 耐火材料 工业 商行 商店 中心 总厂 分厂 店 厂
"""
_GENERIC_KEYS = frozenset(_NAME_PREFIXES)
# Latin names: words that are no trade name (after case folding).
_LATIN_GENERIC_WORDS = """
co ltd limited inc corp corporation company group holding holdings trading trade technology technologies tech
industrial industries industry international intl china chinese beijing shanghai shenzhen guangzhou hong kong
steel material materials logistics electronics electronic import export development investment the and of
"""
_LATIN_GENERIC = frozenset(_LATIN_GENERIC_WORDS.split())


def _lengths(words) -> tuple[int, ...]:
    return tuple(sorted({len(w) for w in words}, reverse=True))


_HEADS = frozenset(_REGION_NAMES.split()) | frozenset(_NAME_PREFIXES)
_HEAD_LENGTHS = _lengths(_HEADS)
_ENDINGS = frozenset(_REGION_ENDINGS)
_ENDING_LENGTHS = _lengths(_ENDINGS)
_TAILS = frozenset(_INDUSTRY_WORDS.split())
_TAIL_LENGTHS = _lengths(_TAILS)
_BRACKETED = re.compile(r"[（(【\[][^）)】\]]*[）)】\]]")
MIN_TRADE_KEY = 2


def _strip_tail(key: str) -> str:
    """Industry words and forms from the end, longest first, repeatedly; at least 2 characters stay."""
    while True:
        for n in _TAIL_LENGTHS:
            if len(key) - n >= MIN_TRADE_KEY and key[-n:] in _TAILS:
                key = key[:-n]
                break
        else:
            return key


def _strip_head(key: str) -> str:
    """Region names (with 省/市/区… after them), 中国/中华 and districts from the start,
    repeatedly; at least 2 characters stay."""
    while True:
        rest = None
        for n in _HEAD_LENGTHS:
            if len(key) - n >= MIN_TRADE_KEY and key[:n] in _HEADS:
                rest = key[n:]
                for m in _ENDING_LENGTHS:
                    if len(rest) - m >= MIN_TRADE_KEY and rest[:m] in _ENDINGS:
                        rest = rest[m:]
                        break
                break
        if rest is None:
            m = _DISTRICT.match(key)
            if m and len(key) - m.end() >= MIN_TRADE_KEY:
                rest = key[m.end() :]
        if rest is None:
            return key
        key = rest


def trade_key(name: str | None) -> str:
    """The trade name 字号 of a company name: bracketed parts ((集团), (上海), (分公司…)) and
    what follows the first 公司 (a branch: …有限公司南京分公司) dropped, then name_key, then
    industry words and forms stripped from the end and region names from the start:
    南京宏达新材料科技有限公司 and 江苏省南京市宏达钢铁集团有限公司 → 宏达, 华新钢铁 → 华新.
    At least 2 characters are kept: a part whose removal would leave fewer stays (南京钢铁 → 南京).
    Latin names keep their words other than generic ones (co, ltd, trading, shanghai …)."""
    text = fold(name).lower()
    if not text:
        return ""
    unbracketed = _BRACKETED.sub("", text)
    if len(_NOT_WORD.sub("", unbracketed)) >= MIN_TRADE_KEY:
        text = unbracketed
    at = text.find("公司")
    if at >= 0 and at + 2 < len(text) and len(_NOT_WORD.sub("", text[:at])) >= MIN_TRADE_KEY:
        text = text[: at + 2]
    key = name_key(text)
    if not has_han(key):
        words = [w for w in _NOT_WORD.split(text) if w]
        kept = [w for w in words if w not in _LATIN_GENERIC]
        latin = "".join(kept)
        return (latin if len(latin) >= MIN_TRADE_KEY else key)[:200]
    core = _strip_head(_strip_tail(key))
    return (key if core in _GENERIC_KEYS else core)[:200]


def has_han(text: str) -> bool:
    return bool(_HAN.search(text or ""))


def pinyin_keys(name: str | None) -> tuple[str, str]:
    """(full pinyin, initials), lower case, without spaces or punctuation."""
    from pypinyin import Style, lazy_pinyin

    text = fold(name).lower()
    if not text:
        return "", ""
    # Both calls split the text the same way (one token per Chinese character, other runs
    # passed through whole), and pypinyin picks polyphone readings from phrases (重庆, 银行).
    full = _NOT_WORD.sub("", "".join(lazy_pinyin(text, style=Style.NORMAL)))
    initials = _NOT_WORD.sub("", "".join(lazy_pinyin(text, style=Style.FIRST_LETTER)))
    return full[:400], initials[:100]


# ---------------------------------------------------------------- phone numbers


@dataclass(frozen=True)
class PhoneNumber:
    kind: str  # mobile | landline | service
    digits: str  # the key: 13812345678, 02112345678, 4008208820
    display: str  # 13812345678, 021-12345678, 400-820-8820
    extension: str = ""

    @property
    def formatted(self) -> str:
        return f"{self.display}-{self.extension}" if self.extension else self.display


class PhoneError(ValueError):
    """Why a value is not a mainland number: code is empty | invalid | no_area_code | foreign."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


_MOBILE_TYPES = {phonenumbers.PhoneNumberType.MOBILE}
_LANDLINE_TYPES = {phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
_SERVICE_TYPES = {
    phonenumbers.PhoneNumberType.TOLL_FREE,
    phonenumbers.PhoneNumberType.SHARED_COST,
    phonenumbers.PhoneNumberType.UAN,
    phonenumbers.PhoneNumberType.PREMIUM_RATE,
}


def parse_phone(raw: str | None) -> PhoneNumber:
    """Parses a mainland China number (mobile, landline with area code, 400/800 number);
    full-width digits, spaces, dashes, brackets, +86/0086 and an extension (转 / ext / -) are
    accepted. Raises PhoneError."""
    text = fold(raw)
    if not text:
        raise PhoneError("empty")
    extension = ""
    m = _EXTENSION.search(text)
    if m:
        extension, text = m.group(1), text[: m.start()].strip()
    if text.startswith("0086"):
        text = "+86" + text[4:]
    digits = "".join(_DIGITS.findall(text))
    if not digits:
        raise PhoneError("invalid")
    # 021-12345678-801: a third dash-separated group after a complete landline is an extension.
    if not extension:
        parts = [p for p in re.split(r"[-\s]+", text) if p]
        if len(parts) == 3 and parts[0].startswith("0") and len(parts[-1]) <= 5 and len(parts[1]) >= 7:
            extension = parts[2]
            digits = parts[0] + parts[1]
            text = digits
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException as exc:
        raise PhoneError("invalid") from exc
    if number.country_code != 86:
        raise PhoneError("foreign")
    if not phonenumbers.is_valid_number(number):
        national = str(number.national_number)
        if 7 <= len(national) <= 8 and not text.lstrip("+").startswith(("0", "86")):
            raise PhoneError("no_area_code")
        raise PhoneError("invalid")
    if number.extension and not extension:
        extension = number.extension
    national = str(number.national_number)
    kind_type = phonenumbers.number_type(number)
    if kind_type in _MOBILE_TYPES:
        return PhoneNumber("mobile", national, national, extension)
    if kind_type in _SERVICE_TYPES:
        return PhoneNumber("service", national, f"{national[:3]}-{national[3:6]}-{national[6:]}", extension)
    if kind_type in _LANDLINE_TYPES:
        area_len = phonenumbers.length_of_geographical_area_code(number) or 2
        area, subscriber = national[:area_len], national[area_len:]
        return PhoneNumber("landline", f"0{national}", f"0{area}-{subscriber}", extension)
    raise PhoneError("invalid")


def phone_key(raw: str | None) -> str:
    """Digits of a mainland number, "" when the value is not one."""
    try:
        return parse_phone(raw).digits
    except PhoneError:
        return ""


def query_digits(text: str | None) -> str:
    """The digits of a search query such as "138-1234 5678" or "(021)12345678"."""
    return "".join(_DIGITS.findall(fold(text)))
