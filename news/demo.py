"""Demo content of the news app (see load_demo_content).

Two articles retell reported facts in our own words, with their sources;
the rest are fictional ("Sample news: ...") and say so.
"""

import datetime
import io
import math

from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image, ImageDraw

from alliance.kernel.images import render_image
from alliance.kernel.publishing import Status
from alliance.kernel.records import upsert
from alliance.kernel.rich_text import with_markdown_converted
from members.models import Member

from .models import Article, Tag

TAGS = [
    ("launch-event", "Launch event", "成立大会"),
    ("industry-outlook", "Industry outlook", "产业展望"),
    ("investment", "Investment", "投资"),
    ("remote-sensing", "Remote sensing", "遥感"),
    ("policy", "Policy", "政策"),
    ("members", "Members", "成员动态"),
]

LAUNCH = {
    "slug": "alliance-launched-in-chongqing",
    "tags": ["launch-event", "investment", "policy"],
    "members": ["landspace", "china-siwei"],
    "scenarios": "all",
    "event": "aerospace-information-ecosystem-event-2023",
    "featured": True,
    "published_at": datetime.datetime(2023, 11, 21, 18, 0, tzinfo=datetime.UTC),
    "title_en": "International alliance for the aerospace information industry launched in Chongqing",
    "title_zh_hans": "航天信息产业国际生态联盟在重庆成立",
    "summary_en": (
        "An international alliance, China's first aerospace information industry community and a "
        "100 billion yuan fund group were launched at a two-day event attended by over 1,000 people."
    ),
    "summary_zh_hans": "为期两天、逾千人参加的大会上，国际生态联盟、中国首个航天信息产业共同体和千亿元基金群相继发布。",
    "body_en": (
        "Chongqing hosted the Aerospace Information Industry International Ecosystem Event on 20 and "
        "21 November 2023. More than 1,000 participants came from industry, from Chinese and "
        "international institutions and from government.\n\n"
        "## An alliance and a community\n\n"
        "Two initiatives were launched. The International Ecological Alliance for the Aerospace "
        "Information Industry gathers industry leaders, enterprises, investors and research "
        "institutions around exchange, cross-border cooperation, integration of the industry and "
        "market-driven growth. Alongside it, China's first aerospace information industry "
        "community was formed: 19 companies signed as its first members, LandSpace and China "
        "Siwei among them.\n\n"
        "## Money and scenarios\n\n"
        "A fund group of 100 billion yuan was unveiled, backed by ten investment institutions "
        "including the National Industry Investment Fund. It targets aerospace information "
        "infrastructure and related fields, and aims to grow globally leading and listed "
        "companies.\n\n"
        "At the opening ceremony, 15 innovative application scenarios for space and airspace "
        "information were announced, in public security, natural resources, transportation, "
        "emergency services, elderly care, energy and other fields. The city government plans "
        "to guide companies in building and using them, with priority access to policy-driven "
        "financial institutions and funds, financing matched to each project, and, for "
        "specialized and innovative enterprises, a commercial value credit loan limit raised to "
        "10 million yuan.\n\n"
        "## Openness and trust\n\n"
        "Olivier Contant, Executive Director of the International Academy of Astronautics, told "
        "the event that openness, trust and tolerance are what international cooperation rests "
        "on.\n\n"
        "iiMedia Research expects the aerospace information industry to pass one trillion yuan, "
        "about 140 billion US dollars, by 2025."
    ),
    "body_zh_hans": (
        "2023年11月20日至21日，航天信息产业国际生态大会在重庆举行，来自产业界、国内外机构和"
        "政府部门的1000多名代表参会。\n\n"
        "## 一个联盟，一个共同体\n\n"
        "大会发布了两项倡议。航天信息产业国际生态联盟汇聚产业龙头、企业、投资机构和科研院所，"
        "推动交流合作、跨境协同、产业融合和市场化发展。同时，中国首个航天信息产业共同体成立，"
        "首批19家企业签约加入，其中包括蓝箭航天和中国四维。\n\n"
        "## 资金与场景\n\n"
        "大会发布了规模千亿元的基金群，由包括国家产业投资基金在内的十家投资机构支持，"
        "聚焦航天信息基础设施及相关领域，目标是培育全球领先企业和上市企业。\n\n"
        "开幕式上发布了15个航天（空天）信息创新应用场景，涵盖公共安全、自然资源、交通运输、"
        "应急服务、养老服务和能源等领域。重庆市政府计划引导企业建设和应用这些场景："
        "优先对接政策性金融机构和基金，提供量身定制的融资匹配，并将专精特新企业的"
        "商业价值信用贷款额度提高到1000万元。\n\n"
        "## 开放与信任\n\n"
        "国际宇航科学院执行院长 Olivier Contant 在会上表示，开放、信任与包容是国际合作的基础。\n\n"
        "艾媒咨询预计，到2025年航天信息产业规模将突破1万亿元（约1400亿美元）。"
    ),
    "cover": "orbits",
    "cover_alt_en": "Abstract drawing: satellite orbits around the curve of the Earth",
    "cover_alt_zh_hans": "抽象图案：环绕地球弧线的卫星轨道",
    "byline_en": "Secretariat",
    "byline_zh_hans": "秘书处",
    "source_name_en": "iChongqing (article by Zhan Chen)",
    "source_name_zh_hans": "iChongqing（作者：Zhan Chen）",
    "source_published_on": datetime.date(2023, 11, 21),
}

OUTLOOK = {
    "slug": "commercial-space-enters-large-scale-development",
    "tags": ["industry-outlook", "investment"],
    "cover": "growth",
    "cover_alt_en": "Abstract drawing: a rising line over a grid, with a constellation of points",
    "cover_alt_zh_hans": "抽象图案：网格上的上升曲线与星座般的点阵",
    "published_at": datetime.datetime(2023, 12, 5, 9, 0, tzinfo=datetime.UTC),
    "title_en": "Outlook: commercial space enters an era of scale and ecosystems",
    "title_zh_hans": "展望：商业航天进入规模化与生态化发展阶段",
    "summary_en": (
        "A securities research house sees the global commercial space industry, led by China and "
        "the United States, moving from single technologies to whole ecosystems."
    ),
    "summary_zh_hans": "券商研究机构认为，以中美为引领的全球商业航天正从单项技术竞争走向生态体系竞争。",
    "body_en": (
        "Analysts at CITIC Construction Investment describe the global commercial space industry "
        "as entering a period of large-scale development and ecosystem building, with China and "
        "the United States in the lead.\n\n"
        "## What drives it\n\n"
        "- Reusable rockets and mega-constellations, with SpaceX as the reference point.\n"
        "- In China, policy support and capital-market reform, including the fifth set of listing "
        "standards of the Science and Technology Innovation Board.\n"
        "- An industry valued in China at more than one trillion yuan.\n\n"
        "## Where competition moves\n\n"
        "The contest is shifting from single technologies to the engineering of reusable rockets, "
        "industrial-scale satellite manufacturing and the integration of satellites with ground "
        "systems. Frequency and orbit resources, and the standards for the integrated "
        "air-space-ground network of 6G, matter more and more. Further out lie space-based "
        "computing and space tourism."
    ),
    "body_zh_hans": (
        "中信建投证券的分析师认为，全球商业航天正进入规模化发展和生态构建阶段，中美两国处于引领地位。\n\n"
        "## 驱动因素\n\n"
        "- 可重复使用火箭和巨型星座，SpaceX 是参照对象。\n"
        "- 在中国，政策支持和资本市场改革，包括科创板第五套上市标准。\n"
        "- 中国商业航天产业估值超过1万亿元。\n\n"
        "## 竞争焦点的转移\n\n"
        "竞争正从单项技术转向可重复使用火箭工程化、卫星工业化制造和星地融合。"
        "频率与轨道资源、6G空天地一体化网络标准日益重要。更远的前景包括天基计算和太空旅游。"
    ),
    "source_name_en": "C114 Communication Network",
    "source_name_zh_hans": "C114通信网",
}

SAMPLE_TOPICS = [
    (
        "Sample news: member opens a new ground station",
        "示例新闻：成员单位新建地面站",
        "members",
    ),
    (
        "Sample news: workshop on remote sensing for cities",
        "示例新闻：城市遥感应用研讨会",
        "remote-sensing",
    ),
    (
        "Sample news: secretariat publishes annual plan",
        "示例新闻：秘书处发布年度计划",
        "policy",
    ),
    (
        "Sample news: investors meet satellite start-ups",
        "示例新闻：投资机构对接卫星初创企业",
        "investment",
    ),
    (
        "Sample news: new observer members welcomed",
        "示例新闻：欢迎新的观察员成员",
        "members",
    ),
    (
        "Sample news: training course on navigation data",
        "示例新闻：导航数据培训课程",
        "remote-sensing",
    ),
    (
        "Sample news: working group on data standards",
        "示例新闻：数据标准工作组成立",
        "policy",
    ),
    (
        "Sample news: members exhibit together at a trade fair",
        "示例新闻：成员单位联合参展",
        "members",
    ),
    ("Sample news: call for scenario proposals", "示例新闻：应用场景征集", "policy"),
    (
        "Sample news: student challenge on space data",
        "示例新闻：空间数据学生挑战赛",
        "remote-sensing",
    ),
]
SAMPLE_BODY_EN = "This is a fictional article included as demo content, so that lists, pages and feeds have some volume."
SAMPLE_BODY_ZH = "这是一篇虚构的演示文章，用于让列表、分页和订阅源有一定的内容量。"


# Cover drawing: the site's blues, one touch of its red; drawn at twice the
# size and scaled down, so that lines come out smooth.
COVER_SIZE = (1600, 900)
SCALE = 2
NAVY, DEEP, LINE, SOFT, RED = "#0b3a6f", "#072646", "#9cc3ea", "#dbe7f3", "#c8454a"


def _canvas():
    width, height = (side * SCALE for side in COVER_SIZE)
    # A quiet vertical gradient from deep to brand blue.
    mask = Image.linear_gradient("L").resize((width, height))
    image = Image.composite(
        Image.new("RGB", (width, height), NAVY),
        Image.new("RGB", (width, height), DEEP),
        mask,
    )
    return image, ImageDraw.Draw(image), width, height


def _ellipse(centre, radii, tilt, steps=360):
    (cx, cy), (rx, ry) = centre, radii
    cos_t, sin_t = math.cos(tilt), math.sin(tilt)
    points = []
    for step in range(steps + 1):
        angle = 2 * math.pi * step / steps
        x, y = rx * math.cos(angle), ry * math.sin(angle)
        points.append((cx + x * cos_t - y * sin_t, cy + x * sin_t + y * cos_t))
    return points


def _dot(draw, point, radius, fill):
    x, y = point
    draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=fill)


def _draw_orbits(draw, width, height):
    # The curve of the Earth along the bottom, and orbits around it.
    centre = (width * 0.5, height * 1.9)
    for ring, colour in ((height * 1.25, "#123f70"), (height * 1.18, "#0d3561")):
        x, y = centre
        draw.ellipse([x - ring, y - ring, x + ring, y + ring], fill=colour)
    x, y = centre
    ring = height * 1.18
    draw.arc(
        [x - ring, y - ring, x + ring, y + ring], 180, 360, fill=LINE, width=3 * SCALE
    )
    orbits = [
        ((width * 0.5, height * 0.62), (width * 0.44, height * 0.16), -0.10),
        ((width * 0.5, height * 0.58), (width * 0.36, height * 0.24), 0.16),
        ((width * 0.52, height * 0.52), (width * 0.28, height * 0.12), -0.32),
    ]
    for index, (middle, radii, tilt) in enumerate(orbits):
        points = _ellipse(middle, radii, tilt)
        draw.line(points, fill=LINE if index else SOFT, width=2 * SCALE)
        for share in (0.08, 0.41, 0.73):
            _dot(draw, points[int(share * 360 + index * 40) % 360], 7 * SCALE, SOFT)
    _dot(draw, _ellipse(*orbits[1])[215], 11 * SCALE, RED)


def _draw_growth(draw, width, height):
    # A grid, a rising line and a small constellation: growth and networks.
    step = width // 16
    for x in range(step, width, step):
        draw.line([(x, 0), (x, height)], fill="#123f70", width=SCALE)
    for y in range(step, height, step):
        draw.line([(0, y), (width, y)], fill="#123f70", width=SCALE)
    points = [
        (width * (0.08 + 0.84 * i / 11), height * (0.82 - 0.6 * (i / 11) ** 1.6))
        for i in range(12)
    ]
    draw.line(points, fill=SOFT, width=4 * SCALE, joint="curve")
    for point in points[::2]:
        _dot(draw, point, 8 * SCALE, LINE)
    _dot(draw, points[-1], 12 * SCALE, RED)
    stars = [(0.62, 0.22), (0.7, 0.14), (0.78, 0.26), (0.86, 0.16), (0.74, 0.36)]
    stars = [(width * x, height * y) for x, y in stars]
    draw.line([stars[0], stars[1], stars[3], stars[2], stars[0], stars[4], stars[2]],
              fill=LINE, width=SCALE)  # fmt: skip
    for star in stars:
        _dot(draw, star, 6 * SCALE, SOFT)


COVERS = {"orbits": _draw_orbits, "growth": _draw_growth}


def draw_cover(kind):
    """An abstract cover in the site's colours, so the demo articles have images."""
    image, draw, width, height = _canvas()
    COVERS[kind](draw, width, height)
    image = image.resize(COVER_SIZE, Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    # A named file: the image field reads the cover's size from it when saved.
    return ContentFile(buffer.getvalue(), name="cover.jpg")


def load(log):
    tags = {}
    for slug, name_en, name_zh in TAGS:
        tags[slug], action = upsert(
            Tag,
            slug=slug,
            values={
                "name_en": name_en,
                "name_zh_hans": name_zh,
                "status": Status.PUBLISHED,
            },
        )
        log(action, tags[slug])

    # Events are the alliance's content, an app above this one: reached
    # through the article's own link to them.
    events = Article.event.field.related_model.objects
    for record in (LAUNCH, OUTLOOK):
        record = dict(record)
        slug = record.pop("slug")
        tag_slugs = record.pop("tags")
        member_slugs = record.pop("members", [])
        scenarios = record.pop("scenarios", None)
        event_slug = record.pop("event", None)
        cover = record.pop("cover", None)
        record["event"] = events.filter(slug=event_slug).first() if event_slug else None
        article, action = upsert(
            Article,
            slug=slug,
            values=with_markdown_converted({**record, "status": Status.PUBLISHED}),
        )
        article.tags.set([tags[t] for t in tag_slugs])
        article.members.set(Member.objects.filter(slug__in=member_slugs))
        if scenarios == "all" and record["event"]:
            article.scenarios.set(record["event"].scenarios.all())
        image = article.cover_image
        if cover and (not image or not image.storage.exists(image.name)):
            image.save(f"{slug}.jpg", draw_cover(cover), save=True)
            # Made here, not by a worker: the demo shows its pictures at once.
            render_image.call(label="news.article", pk=article.pk, source="cover_image")
        log(action, article)

    now = timezone.now()
    for index, (title_en, title_zh, tag) in enumerate(SAMPLE_TOPICS):
        # One scheduled for next week and one draft show the editorial states.
        if index == 0:
            status, published_at = Status.PUBLISHED, now + datetime.timedelta(days=7)
        elif index == 1:
            status, published_at = Status.DRAFT, now
        else:
            status, published_at = (
                Status.PUBLISHED,
                datetime.datetime(2024, 1, 10, tzinfo=datetime.UTC)
                + datetime.timedelta(days=40 * index),
            )
        timing, relative = {"published_at": published_at}, index < 2
        article, action = upsert(
            Article,
            slug=f"sample-news-{index + 1}",
            values=with_markdown_converted(
                {
                    "title_en": title_en,
                    "title_zh_hans": title_zh,
                    "summary_en": SAMPLE_BODY_EN,
                    "summary_zh_hans": SAMPLE_BODY_ZH,
                    "body_en": f"{SAMPLE_BODY_EN}\n\n## Details\n\nNothing here describes a real event.",
                    "body_zh_hans": f"{SAMPLE_BODY_ZH}\n\n## 详情\n\n本文内容并非真实事件。",
                    "status": status,
                    **({} if relative else timing),
                }
            ),
            # A time relative to the first run is left alone by later runs.
            create_only=timing if relative else None,
        )
        article.tags.set([tags[tag]])
        log(action, article)
