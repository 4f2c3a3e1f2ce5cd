"""Demo content of the members app (see load_demo_content).

LandSpace and China Siwei are real: both signed as first members of China's
first aerospace information industry community in November 2023. Every other
member here is fictional, named "Sample ...", and says so.
"""

import datetime
import io

from django.core.files.base import ContentFile
from PIL import Image, ImageDraw, ImageFont

from alliance.kernel.publishing import Status
from alliance.kernel.records import upsert

from .models import Member, Sector, Tier

TIERS = [
    ("founding-member", 1, "Founding member", "创始成员"),
    ("council-member", 2, "Council member", "理事成员"),
    ("member", 3, "Member", "成员"),
    ("observer", 4, "Observer", "观察员"),
]

SECTORS = [
    ("launch-vehicles", "Launch vehicles", "运载火箭"),
    ("satellite-manufacturing", "Satellite manufacturing", "卫星制造"),
    ("remote-sensing", "Remote sensing and geodata", "遥感与地理信息"),
    ("navigation", "Navigation", "卫星导航"),
    ("satellite-communications", "Satellite communications", "卫星通信"),
    ("ground-segment", "Ground segment", "地面段"),
    ("space-computing", "Space computing", "空间计算"),
    ("finance-investment", "Finance and investment", "金融与投资"),
    ("research-education", "Research and education", "科研与教育"),
    ("public-institutions", "Public institutions", "公共机构"),
]

FIRST_SIGNATORIES_EN = (
    "Among the 19 companies that signed as first members of China's first aerospace "
    "information industry community, Chongqing"
)
FIRST_SIGNATORIES_ZH = "重庆，中国首个航天信息产业共同体首批19家签约企业之一"
SYNTHETIC_NOTE_EN = "\n\n*A fictional organization, included as demo content.*"
SYNTHETIC_NOTE_ZH = "\n\n*虚构机构，仅作演示内容。*"

MEMBERS = [
    {
        "slug": "landspace",
        "tier": "founding-member",
        "sectors": ["launch-vehicles"],
        "country": "CN",
        "joined_on": datetime.date(2023, 11, 20),
        "name_en": "LandSpace",
        "name_zh_hans": "蓝箭航天",
        "summary_en": "A Chinese commercial launch vehicle company.",
        "summary_zh_hans": "中国商业运载火箭企业。",
        "capability_en": "Launch services: getting satellites to orbit.",
        "capability_zh_hans": "发射服务：把卫星送入轨道。",
        "description_en": (
            "LandSpace builds launch vehicles. In November 2023, at the aerospace information "
            "ecosystem event in Chongqing, it signed as one of the first members of China's "
            "first aerospace information industry community."
        ),
        "description_zh_hans": (
            "蓝箭航天从事运载火箭研制。2023年11月，在重庆举行的航天信息产业国际生态大会上，"
            "蓝箭航天作为首批成员签约加入中国首个航天信息产业共同体。"
        ),
        "joined_where_en": FIRST_SIGNATORIES_EN,
        "joined_where_zh_hans": FIRST_SIGNATORIES_ZH,
    },
    {
        "slug": "china-siwei",
        "tier": "founding-member",
        "sectors": ["remote-sensing"],
        "country": "CN",
        "joined_on": datetime.date(2023, 11, 20),
        "name_en": "China Siwei",
        "name_zh_hans": "中国四维",
        "summary_en": "A Chinese remote sensing and geographic information company.",
        "summary_zh_hans": "中国遥感与地理信息企业。",
        "capability_en": "Satellite remote sensing data and the geographic information built on it.",
        "capability_zh_hans": "卫星遥感数据及其地理信息服务。",
        "description_en": (
            "China Siwei works with satellite remote sensing and geographic information. It "
            "was among the first signatories of China's first aerospace information industry "
            "community at the November 2023 event in Chongqing."
        ),
        "description_zh_hans": (
            "中国四维从事卫星遥感与地理信息业务，是2023年11月重庆大会上"
            "中国首个航天信息产业共同体的首批签约成员之一。"
        ),
        "joined_where_en": FIRST_SIGNATORIES_EN,
        "joined_where_zh_hans": FIRST_SIGNATORIES_ZH,
    },
]

# Fictional members for a directory with some volume: (slug, tier, sectors, country,
# English name, Chinese name, English summary, Chinese summary).
SAMPLES = [
    ("sample-orbital", "council-member", ["satellite-manufacturing"], "CN",
     "Sample Orbital Co.", "示例轨道公司", "Builds small satellite platforms.", "研制小卫星平台。"),
    ("sample-geodata-lab", "member", ["remote-sensing", "space-computing"], "SG",
     "Sample Geodata Lab", "示例地理数据实验室", "Turns imagery into maps for cities.", "把卫星影像变成城市地图。"),
    ("sample-nav-systems", "member", ["navigation"], "DE",
     "Sample Navigation Systems", "示例导航系统公司", "Precise positioning for farms and ports.", "为农场和港口提供精准定位。"),
    ("sample-skylink", "member", ["satellite-communications", "ground-segment"], "AE",
     "Sample Skylink", "示例天链通信", "Satellite links for remote sites.", "为偏远地区提供卫星通信链路。"),
    ("sample-ground-network", "member", ["ground-segment"], "BR",
     "Sample Ground Network", "示例地面站网络", "Runs ground stations on three continents.", "在三大洲运营地面站。"),
    ("sample-space-capital", "council-member", ["finance-investment"], "HK",
     "Sample Space Capital", "示例航天资本", "Invests in early-stage space companies.", "投资早期航天企业。"),
    ("sample-institute", "observer", ["research-education"], "FR",
     "Sample Institute of Space Applications", "示例空间应用研究院", "Research on applications of space data.", "开展空间数据应用研究。"),
    ("sample-city-agency", "observer", ["public-institutions"], "CN",
     "Sample City Data Agency", "示例城市数据局", "A public user of satellite data.", "卫星数据的公共用户。"),
]  # fmt: skip


LOGO_FOLDER = "members/logos"


def draw_logo(text, colour):
    """A plain square logo with initials: an image to upload in tests."""
    image = Image.new("RGB", (240, 240), colour)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=88)
    initials = "".join(word[0] for word in text.split()[:2]).upper()
    box = draw.textbbox((0, 0), initials, font=font)
    position = (
        (240 - (box[2] - box[0])) / 2 - box[0],
        (240 - (box[3] - box[1])) / 2 - box[1],
    )
    draw.text(position, initials, fill="white", font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    # A named file: the image field reads the logo's size from it when saved.
    return ContentFile(buffer.getvalue(), name="logo.png")


def load(log):
    tiers = {}
    for slug, order, name_en, name_zh in TIERS:
        tiers[slug], action = upsert(
            Tier,
            slug=slug,
            values={
                "order": order,
                "name_en": name_en,
                "name_zh_hans": name_zh,
                "status": Status.PUBLISHED,
            },
        )
        log(action, tiers[slug])
    sectors = {}
    for order, (slug, name_en, name_zh) in enumerate(SECTORS, start=1):
        sectors[slug], action = upsert(
            Sector,
            slug=slug,
            values={
                "order": order,
                "name_en": name_en,
                "name_zh_hans": name_zh,
                "status": Status.PUBLISHED,
            },
        )
        log(action, sectors[slug])

    records = [dict(record) for record in MEMBERS]
    for (
        slug,
        tier,
        sector_slugs,
        country,
        name_en,
        name_zh,
        summary_en,
        summary_zh,
    ) in SAMPLES:
        records.append(
            {
                "slug": slug,
                "tier": tier,
                "sectors": sector_slugs,
                "country": country,
                "name_en": name_en,
                "name_zh_hans": name_zh,
                "summary_en": summary_en,
                "summary_zh_hans": summary_zh,
                "capability_en": summary_en,
                "capability_zh_hans": summary_zh,
                "description_en": summary_en + SYNTHETIC_NOTE_EN,
                "description_zh_hans": summary_zh + SYNTHETIC_NOTE_ZH,
                "joined_on": datetime.date(2024, 3, 1),
            }
        )
    for record in records:
        slug = record.pop("slug")
        sector_slugs = record.pop("sectors")
        record["tier"] = tiers[record["tier"]]
        member, action = upsert(
            Member,
            slug=slug,
            values={
                **record,
                "logo_alt_en": record["name_en"],
                "logo_alt_zh_hans": record["name_zh_hans"],
                "status": Status.PUBLISHED,
                "last_verified_on": datetime.date(2026, 11, 1),
            },
        )
        member.sectors.set([sectors[s] for s in sector_slugs])
        # The demo has no one's real logo: members show the site's quiet
        # placeholder (their short name). Logos drawn by earlier versions of
        # the demo, loud initials in English, are taken away.
        if member.logo and member.logo.name.startswith(f"{LOGO_FOLDER}/{slug}/{slug}"):
            member.logo.delete(save=False)
            member.save()
        log(action, member)
