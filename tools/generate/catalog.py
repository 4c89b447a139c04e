"""Fixed vocabularies the synthetic world draws from.

Chinese surnames (with pinyin for staff user ids) and given-name characters, WeChat-style
nicknames, the shop's product catalog (with the categories people replenish on a cycle, those
they buy whenever and those they buy once), mini-program pages, coupon faces and thresholds,
WeCom tag groups and remark labels. Everything here is constant: the seed only decides who gets what.
"""

import hashlib
from dataclasses import dataclass

SURNAMES = [
    ("王", "wang", 71), ("李", "li", 70), ("张", "zhang", 67), ("刘", "liu", 54), ("陈", "chen", 45),
    ("杨", "yang", 31), ("黄", "huang", 22), ("赵", "zhao", 20), ("吴", "wu", 20), ("周", "zhou", 19),
    ("徐", "xu", 14), ("孙", "sun", 13), ("马", "ma", 12), ("朱", "zhu", 12), ("胡", "hu", 11),
    ("郭", "guo", 11), ("何", "he", 11), ("高", "gao", 10), ("林", "lin", 10), ("罗", "luo", 9),
    ("郑", "zheng", 8), ("梁", "liang", 8), ("谢", "xie", 7), ("宋", "song", 6), ("唐", "tang", 6),
    ("许", "xu", 6), ("韩", "han", 6), ("冯", "feng", 6), ("邓", "deng", 6), ("曹", "cao", 5),
    ("彭", "peng", 5), ("曾", "zeng", 5), ("肖", "xiao", 5), ("田", "tian", 5), ("董", "dong", 5),
    ("袁", "yuan", 4), ("潘", "pan", 4), ("于", "yu", 4), ("蒋", "jiang", 4), ("蔡", "cai", 4),
    ("余", "yu", 4), ("杜", "du", 4), ("叶", "ye", 4), ("程", "cheng", 4), ("苏", "su", 4),
    ("魏", "wei", 4), ("吕", "lv", 3), ("丁", "ding", 3), ("任", "ren", 3), ("沈", "shen", 3),
    ("姚", "yao", 3), ("卢", "lu", 3), ("姜", "jiang", 3), ("崔", "cui", 3), ("钟", "zhong", 3),
    ("谭", "tan", 3), ("陆", "lu", 3), ("汪", "wang", 3), ("范", "fan", 3), ("金", "jin", 3),
    ("石", "shi", 3), ("廖", "liao", 3), ("贾", "jia", 3), ("夏", "xia", 2), ("韦", "wei", 2),
    ("方", "fang", 2), ("白", "bai", 2), ("邹", "zou", 2), ("孟", "meng", 2), ("熊", "xiong", 2),
    ("秦", "qin", 2), ("邱", "qiu", 2), ("江", "jiang", 2), ("尹", "yin", 2), ("薛", "xue", 2),
]

GIVEN_FEMALE = list("芳娜敏静丽艳娟霞秀玲婷雪慧颖琳晶欣悦怡佳雨梦思嘉萱涵琪瑶薇倩洁燕红梅兰玉珍莉萍蕾")
GIVEN_MALE = list("伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙峰建文志博晨阳宏成亮")
GIVEN_SHARED = list("子一诗安可晓家天睿心若晨")

STAFF_GIVEN = [
    "wei", "fang", "na", "min", "jing", "li", "qiang", "lei", "jun", "yang", "yong", "yan", "jie",
    "juan", "tao", "ming", "chao", "xia", "ping", "gang", "hui", "peng", "hua", "fei", "xin", "bo",
    "bin", "yu", "hao", "kai", "jian", "ting", "xue", "lin", "qi", "yao", "qian", "xiaoyu", "yuting",
]

NICKNAME_STEMS = [
    "快乐每一天", "小鱼儿", "阳光", "岁月静好", "宝妈", "淡定", "追梦人", "一路向北", "花开半夏",
    "简单就好", "小确幸", "柠檬", "微笑", "向日葵", "糖糖", "果果妈", "乐乐", "安然", "静待花开",
    "木子", "晴天", "月亮船", "奶茶控", "吃货一枚", "慢慢来", "Amy", "Lily", "Coco", "Tina",
    "Kevin", "Jason", "Vivian", "Cherry", "Sunny", "Grace", "Leo", "Mia", "A-雅诗", "A1王姐",
]
NICKNAME_MARKS = ["", "", "", "🌸", "🍀", "☀️", "~", "💕", "👶", "_", "😊"]
NICKNAME_ODD = ["吃货,一枚", "Tina, 宝妈", "Amy\"小窝\"", "乐乐,妈妈", "\"晴天\""]

CATEGORIES = ["奶粉", "纸尿裤", "护肤", "个护", "美妆", "食品", "保健", "家居", "玩具"]
# Replenishable categories and the days a purchase lasts: the customers on a routine buy again
# about this long after the last time.
CYCLE_DAYS = {"奶粉": 30, "纸尿裤": 20, "护肤": 60}
# Bought again whenever: a customer's favourite and most other lines come from these.
EVERYDAY = ["个护", "美妆", "食品", "保健"]
# Bought once: the share of a customer's later lines of the category that are not turned into
# an everyday category (a stroller is bought once; a second home item now and then).
ONE_OFF_REPEATS = {"家居": 0.05, "玩具": 0.005}
PRODUCTS = {
    "奶粉": [("婴儿配方奶粉 1段 800g", 358), ("婴儿配方奶粉 2段 800g", 338), ("婴儿配方奶粉 3段 800g", 328),
             ("儿童成长奶粉 4段 800g", 268), ("婴儿配方奶粉 3段 400g", 178), ("羊奶粉 3段 800g", 398),
             ("奶粉便携装 25gx10条", 69)],
    "纸尿裤": [("婴儿纸尿裤 S码 72片", 119), ("婴儿纸尿裤 M码 62片", 129), ("婴儿纸尿裤 L码 52片", 129),
               ("拉拉裤 XL码 38片", 139), ("夜用纸尿裤 L码 40片", 149), ("纸尿裤 试用装 S码 10片", 29)],
    "护肤": [("玻尿酸精华液 30ml", 299), ("保湿面霜 50g", 259), ("氨基酸洗面奶", 89), ("防晒霜 SPF50", 139),
             ("补水面膜 10片", 99), ("紧致眼霜", 329), ("温和卸妆水", 79), ("保湿爽肤水 200ml", 159)],
    "个护": [("控油洗发水 500ml", 69), ("香氛沐浴露", 59), ("美白牙膏", 29), ("电动牙刷", 299),
             ("滋润身体乳", 79), ("护手霜", 39), ("漱口水", 35), ("电动剃须刀", 399)],
    "美妆": [("丝绒口红", 199), ("持妆粉底液", 259), ("淡香水 50ml", 599), ("大地色眼影盘", 299),
             ("纤长睫毛膏", 129), ("气垫BB霜", 229), ("控油散粉", 159), ("眉笔", 59)],
    "食品": [("每日坚果礼盒", 168), ("有机大米 5kg", 89), ("进口纯牛奶 1Lx12", 109), ("挂耳咖啡", 69),
             ("新疆红枣", 49), ("即食燕麦片", 45), ("椴树蜂蜜", 88), ("零食大礼包", 99), ("特级橄榄油", 128),
             ("宝宝辅食米粉", 68)],
    "保健": [("维生素C片", 99), ("深海鱼油软胶囊", 199), ("液体钙", 129), ("益生菌粉", 239),
             ("乳清蛋白粉", 299), ("胶原蛋白肽", 359), ("孕妇叶酸片", 98)],
    "家居": [("收纳箱", 59), ("纯棉四件套", 399), ("乳胶枕", 259), ("纯棉毛巾", 39), ("不锈钢保温杯", 149),
             ("空气炸锅", 459), ("静音加湿器", 199)],
    "玩具": [("婴儿推车", 1299), ("儿童安全座椅", 1599), ("益智积木", 199), ("毛绒玩具", 89),
             ("儿童滑板车", 299), ("儿童绘本套装", 159), ("学步车", 399)],
}
PRODUCT_VARIANTS = [("", 1.0), (" 两件装", 1.9), (" 体验装", 0.45)]

PAGES = [
    "pages/index/index", "pages/category/index", "pages/goods/detail", "pages/cart/index",
    "pages/user/index", "pages/live/index", "pages/coupon/index", "pages/search/index",
]
SHARE_TARGETS = ["friend", "moments", "group"]
SEARCH_WORDS = ["纸尿裤", "奶粉", "面霜", "防晒", "坚果", "益生菌", "保温杯", "口红"]
COUPON_FACES = [5, 10, 20, 30, 50, 100]
# The order total (yuan) a coupon of each face needs: 满69减10; the 5-yuan one has none (无门槛).
COUPON_MIN_SPEND = [0, 69, 129, 199, 299, 599]

REMARK_LABELS = ["宝妈", "孕妈", "老客户", "VIP", "新客", "团购", "同事推荐", "门店会员", "高意向"]
ADD_WAYS = [(1, 45), (2, 15), (3, 10), (0, 5), (202, 10), (201, 15)]

TAG_GROUPS = {
    "宝宝月龄": ["备孕", "孕期", "0-6月", "6-12月", "1-3岁", "3岁以上"],
    "客户来源": ["门店扫码", "直播间", "朋友推荐", "广告投放", "社群裂变"],
    "兴趣": ["母婴", "美妆", "食品", "保健", "家居"],
    "客户等级": ["普通客户", "重要客户", "核心客户"],
    "CDP-lifecycle": ["introduction", "growth", "mature", "dormant", "churned"],
    "CDP-value_tier": ["normal", "silver", "gold", "platinum"],
}


@dataclass(frozen=True)
class Product:
    sku_id: str
    name: str
    category: int
    price_cents: int


def products() -> list[Product]:
    """Every SKU, grouped by category and sorted by price inside each category."""
    out = []
    serial = 10001
    for category, name in enumerate(CATEGORIES):
        items = []
        for base, price in PRODUCTS[name]:
            for suffix, factor in PRODUCT_VARIANTS:
                items.append((max(990, round(price * factor) * 100 - 10), base + suffix))
        for cents, title in sorted(items):
            out.append(Product(f"SKU{serial}", title, category, cents))
            serial += 1
    return out


def tag_id(group: str, tag: str) -> str:
    """A stable WeCom-looking tag id (`et` + 22 url-safe characters) for a group and tag name."""
    digest = hashlib.sha256(f"{group}/{tag}".encode()).digest()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
    return "et" + "".join(alphabet[b % 64] for b in digest[:22])
