"""Demo content of the alliance's own content (see load_demo_content).

Built from the facts of the 2023 launch event. The six scenarios are
illustrations of the named fields: the facts name the fields, not the
scenarios, so each one is marked as an example.
"""

import datetime
from decimal import Decimal

from alliance.content.models import (
    Event,
    Field,
    Initiative,
    InitiativeKind,
    InitiativeRole,
    Page,
    Participation,
    Scenario,
    ScenarioStage,
)
from alliance.kernel.publishing import Status
from alliance.kernel.records import upsert
from alliance.kernel.rich_text import with_markdown_converted
from members.models import Member

EVENT_SLUG = "aerospace-information-ecosystem-event-2023"

EVENT = {
    "name_en": "Aerospace Information Industry International Ecosystem Event 2023",
    "name_zh_hans": "2023航天信息产业国际生态大会",
    "summary_en": "Two days in Chongqing where the alliance, an industry community and a fund group were launched.",
    "summary_zh_hans": "在重庆举行的为期两天的大会，发布了国际生态联盟、产业共同体和基金群。",
    "description_en": (
        "More than 1,000 people from companies, Chinese and international institutions and "
        "government met in Chongqing for two days.\n\n"
        "## What was launched\n\n"
        "- The International Ecological Alliance for the Aerospace Information Industry.\n"
        "- China's first aerospace information industry community, with 19 companies signing as its first members.\n"
        "- A fund group of 100 billion yuan backed by ten investment institutions.\n"
        "- 15 innovative application scenarios for space and airspace information, announced at the opening ceremony.\n\n"
        "## International voices\n\n"
        "Olivier Contant, Executive Director of the International Academy of Astronautics, spoke "
        "about openness, trust and tolerance as the basis of international cooperation."
    ),
    "description_zh_hans": (
        "来自企业、国内外机构和政府部门的1000多名代表在重庆参加了为期两天的大会。\n\n"
        "## 大会发布\n\n"
        "- 航天信息产业国际生态联盟。\n"
        "- 中国首个航天信息产业共同体，首批19家企业签约。\n"
        "- 由十家投资机构支持的千亿元基金群。\n"
        "- 开幕式上发布的15个航天（空天）信息创新应用场景。\n\n"
        "## 国际声音\n\n"
        "国际宇航科学院执行院长 Olivier Contant 谈到，开放、信任与包容是国际合作的基础。"
    ),
    "starts_on": datetime.date(2023, 11, 20),
    "ends_on": datetime.date(2023, 11, 21),
    "city_en": "Chongqing",
    "city_zh_hans": "重庆",
    "country": "CN",
    "attendance": 1000,
}

INITIATIVES = [
    {
        "slug": "international-ecological-alliance",
        "kind": InitiativeKind.ALLIANCE,
        "name_en": "International Ecological Alliance for the Aerospace Information Industry",
        "name_zh_hans": "航天信息产业国际生态联盟",
        "summary_en": "Industry leaders, enterprises, investors and research institutions working together across borders.",
        "summary_zh_hans": "产业龙头、企业、投资机构和科研院所跨越国界的合作平台。",
        "description_en": (
            "The alliance brings together industry leaders, enterprises, investment institutions "
            "and research institutions. It works for global exchange and cooperation, "
            "collaboration across borders, integration of the industry chain, "
            "internationalization, and market-driven development."
        ),
        "description_zh_hans": (
            "联盟汇聚产业龙头、企业、投资机构和科研院所，致力于全球交流与合作、"
            "跨境协同、产业融合、国际化发展和市场化运作。"
        ),
    },
    {
        "slug": "aerospace-information-industry-community",
        "kind": InitiativeKind.COMMUNITY,
        "name_en": "Aerospace Information Industry Community",
        "name_zh_hans": "航天信息产业共同体",
        "summary_en": "China's first aerospace information industry community; 19 companies signed as its first members.",
        "summary_zh_hans": "中国首个航天信息产业共同体，首批19家企业签约加入。",
        "description_en": "Nineteen companies signed as the first members of the community at its launch in Chongqing.",
        "description_zh_hans": "共同体在重庆成立时，首批19家企业签约成为成员。",
        "participants_note_en": "19 first signatories, among them LandSpace and China Siwei.",
        "participants_note_zh_hans": "首批19家签约企业，其中包括蓝箭航天和中国四维。",
        # The two first members the facts name; both are members of the alliance.
        "participations": [
            {"member": "landspace", "role": InitiativeRole.MEMBER},
            {"member": "china-siwei", "role": InitiativeRole.MEMBER},
        ],
    },
    {
        "slug": "aerospace-information-fund-group",
        "kind": InitiativeKind.FUND,
        "name_en": "Aerospace Information Industry Fund Group",
        "name_zh_hans": "航天信息产业基金群",
        "summary_en": "A 100 billion yuan fund group for aerospace information infrastructure and related fields.",
        "summary_zh_hans": "聚焦航天信息基础设施及相关领域的千亿元基金群。",
        "description_en": (
            "The fund group invests in aerospace information infrastructure and related areas, "
            "with the aim of growing companies that lead globally and go public."
        ),
        "description_zh_hans": "基金群投向航天信息基础设施及相关领域，目标是培育全球领先企业和上市企业。",
        "amount": Decimal("100000000000"),
        "currency": "CNY",
        "participants_note_en": "Backed by ten investment institutions, including the National Industry Investment Fund.",
        "participants_note_zh_hans": "由包括国家产业投资基金在内的十家投资机构支持。",
        # One backer is named in the facts; the other nine stand in as examples
        # until their names are published.
        "participations": [
            {
                "organization_en": "National Industry Investment Fund",
                "organization_zh_hans": "国家产业投资基金",
                "role": InitiativeRole.INVESTOR,
            },
            *(
                {
                    "organization_en": f"Example investment institution {number}",
                    "organization_zh_hans": f"示例投资机构{number}",
                    "role": InitiativeRole.INVESTOR,
                    "is_example": True,
                }
                for number in range(2, 11)
            ),
        ],
    },
]

# (field slug, field names, scenario names, summaries, space data)
SCENARIOS = [
    ("public-security", "Public security", "公共安全",
     "Example: satellite-assisted public safety patrols", "示例：卫星辅助的公共安全巡查",
     "Navigation and communication satellites keep patrol teams located and connected, even where mobile networks are weak.",
     "借助导航与通信卫星，巡查队伍在移动网络薄弱的地区也能定位和保持联络。",
     ["navigation", "satcom"]),
    ("natural-resources", "Natural resources", "自然资源",
     "Example: monitoring land use from orbit", "示例：从太空监测土地利用",
     "Regular remote sensing images show changes in farmland, forests and water bodies.",
     "定期获取的遥感影像反映耕地、森林和水体的变化。",
     ["remote_sensing"]),
    ("transportation", "Transportation", "交通运输",
     "Example: precise positioning for freight corridors", "示例：货运通道的精准定位",
     "High-precision satellite navigation helps trucks and trains on long freight corridors.",
     "高精度卫星导航服务长距离货运通道上的卡车和列车。",
     ["navigation"]),
    ("emergency-management", "Emergency management", "应急管理",
     "Example: rapid mapping after floods", "示例：洪涝灾后快速制图",
     "Satellite images and low-altitude drones map flooded areas within hours for rescue teams.",
     "卫星影像与低空无人机在数小时内为救援队伍绘制受灾区域图。",
     ["remote_sensing", "low_altitude"]),
    ("elderly-care", "Elderly care", "养老服务",
     "Example: location-aware alarms for older people", "示例：面向老年人的定位报警服务",
     "Wearable alarms with satellite positioning tell carers where help is needed.",
     "带卫星定位的可穿戴报警器让照护人员知道哪里需要帮助。",
     ["navigation", "satcom"]),
    ("energy", "Energy", "能源",
     "Example: inspecting power lines with satellites and drones", "示例：卫星与无人机协同巡检电网",
     "Remote sensing and low-altitude flights spot risks along power lines and pipelines.",
     "遥感与低空飞行发现输电线路和管道沿线的隐患。",
     ["remote_sensing", "low_altitude"]),
]  # fmt: skip

PAGES = [
    {
        "slug": "about",
        "order": 1,
        "title_en": "About the alliance",
        "title_zh_hans": "关于联盟",
        "summary_en": "An international alliance of companies, investors and research institutions in the aerospace information industry.",
        "summary_zh_hans": "由航天信息产业的企业、投资机构和科研院所组成的国际联盟。",
        "body_en": (
            "## Who we are\n\n"
            "The alliance brings together industry leaders, enterprises, investment institutions "
            "and research institutions that build and use space information: launch, satellites, "
            "remote sensing, navigation and communications. It was launched in Chongqing in "
            "November 2023.\n\n"
            "## What we do\n\n"
            "- Open channels for exchange and cooperation across borders.\n"
            "- Connect the industry chain, from satellites to applications.\n"
            "- Help companies reach international markets on commercial terms.\n"
        ),
        "body_zh_hans": (
            "## 我们是谁\n\n"
            "联盟汇聚航天信息产业的龙头企业、创新企业、投资机构和科研院所，"
            "覆盖发射、卫星、遥感、导航与通信等领域，于2023年11月在重庆成立。\n\n"
            "## 我们做什么\n\n"
            "- 搭建跨国交流与合作的渠道。\n"
            "- 打通从卫星到应用的产业链。\n"
            "- 以市场化方式帮助企业走向国际市场。\n"
        ),
    },
    {
        "slug": "how-to-join",
        "order": 2,
        "title_en": "How to join",
        "title_zh_hans": "如何加入",
        "summary_en": "Who can join and how applications are reviewed.",
        "summary_zh_hans": "谁可以加入，以及申请如何审核。",
        "body_en": (
            "Companies, investors, research institutions and public bodies that work with space "
            "information can apply.\n\n"
            "1. Fill in the application form.\n"
            "2. The secretariat reviews it and may ask for details.\n"
            "3. Once approved, your organization appears in the member directory.\n\n"
            "[Apply to join](/members/join/)"
        ),
        "body_zh_hans": (
            "从事航天信息相关工作的企业、投资机构、科研院所和公共机构均可申请。\n\n"
            "1. 填写入会申请表。\n"
            "2. 秘书处审核，必要时与您联系补充信息。\n"
            "3. 通过后，贵机构将出现在成员名录中。\n\n"
            "[申请加入](/zh-hans/members/join/)"
        ),
    },
    {
        "slug": "charter",
        "order": 3,
        "title_en": "Charter",
        "title_zh_hans": "章程",
        "summary_en": "The principles the members agree on.",
        "summary_zh_hans": "成员共同遵守的原则。",
        "body_en": (
            "*This page is a placeholder for the alliance's charter; editors replace it in the admin.*\n\n"
            "## Principles\n\n- Openness\n- Trust\n- Mutual benefit\n"
        ),
        "body_zh_hans": "*本页为联盟章程的占位内容，编辑可在后台替换。*\n\n## 原则\n\n- 开放\n- 互信\n- 互利\n",
    },
    {
        "slug": "contact",
        "order": 4,
        "title_en": "Contact",
        "title_zh_hans": "联系我们",
        "summary_en": "How to reach the secretariat.",
        "summary_zh_hans": "如何联系秘书处。",
        "body_en": "Write to the secretariat at the address in the footer. We answer in English or Chinese.",
        "body_zh_hans": "请发邮件至页脚所列的秘书处邮箱，我们可用中文或英文回复。",
    },
]


def _load_participations(log, initiative, records):
    """The initiative's organizations, in the order listed, keyed on that order.

    Saved only where a value differs, so that a second run changes nothing.
    """
    members = Member.objects.in_bulk(
        [r["member"] for r in records if "member" in r], field_name="slug"
    )
    existing = {p.order: p for p in initiative.participations.all()}
    for order, record in enumerate(records, start=1):
        record = dict(record)
        member = members.get(record.pop("member", None))
        if member is not None:
            record.setdefault("organization_en", member.name_en)
            record.setdefault("organization_zh_hans", member.name_zh_hans)
        values = {"member": member, "is_example": False, **record}
        participation = existing.get(order)
        if participation is None:
            participation = Participation.objects.create(
                initiative=initiative, order=order, **values
            )
            log("created", participation)
            continue
        changed = False
        for name, value in values.items():
            if getattr(participation, name) != value:
                setattr(participation, name, value)
                changed = True
        if changed:
            participation.save()
            log("updated", participation)
    initiative.participations.filter(order__gt=len(records)).delete()


def load(log):
    event, action = upsert(
        Event,
        slug=EVENT_SLUG,
        values=with_markdown_converted({**EVENT, "status": Status.PUBLISHED}),
    )
    log(action, event)

    for record in INITIATIVES:
        record = dict(record)
        slug = record.pop("slug")
        participations = record.pop("participations", [])
        initiative, action = upsert(
            Initiative,
            slug=slug,
            values=with_markdown_converted(
                {
                    **record,
                    "launched_at": event,
                    "launched_on": event.starts_on,
                    "status": Status.PUBLISHED,
                }
            ),
        )
        log(action, initiative)
        _load_participations(log, initiative, participations)

    for order, (
        field_slug,
        field_en,
        field_zh,
        title_en,
        title_zh,
        summary_en,
        summary_zh,
        data,
    ) in enumerate(SCENARIOS, start=1):
        field, action = upsert(
            Field,
            slug=field_slug,
            values={
                "order": order,
                "name_en": field_en,
                "name_zh_hans": field_zh,
                "status": Status.PUBLISHED,
            },
        )
        log(action, field)
        scenario, action = upsert(
            Scenario,
            slug=f"example-{field_slug}",
            values=with_markdown_converted(
                {
                    "field": field,
                    "title_en": title_en,
                    "title_zh_hans": title_zh,
                    "summary_en": summary_en,
                    "summary_zh_hans": summary_zh,
                    "description_en": (
                        f"{summary_en}\n\nThe field of {field_en.lower()} was one of those named when "
                        "15 application scenarios were announced at the 2023 event in Chongqing."
                    ),
                    "description_zh_hans": f"{summary_zh}\n\n2023年重庆大会发布15个应用场景时，{field_zh}是其中提到的领域之一。",
                    "stage": ScenarioStage.ANNOUNCED,
                    "space_data": data,
                    "is_example": True,
                    "announced_at": event,
                    "region_en": "Chongqing",
                    "region_zh_hans": "重庆",
                    "status": Status.PUBLISHED,
                }
            ),
        )
        log(action, scenario)

    for record in PAGES:
        record = dict(record)
        slug = record.pop("slug")
        page, action = upsert(
            Page,
            slug=slug,
            values=with_markdown_converted({**record, "status": Status.PUBLISHED}),
        )
        log(action, page)
