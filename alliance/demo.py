"""Demo content of the alliance's own pages (see load_demo_content)."""

from .models import Page
from .publishing import Status

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
            "The alliance brings together industry leaders, enterprises, investment "
            "institutions and research institutions that build and use space information: "
            "launch, satellites, remote sensing, navigation and communications.\n\n"
            "## What we do\n\n"
            "- Open channels for exchange and cooperation across borders.\n"
            "- Connect the industry chain, from satellites to applications.\n"
            "- Help companies reach international markets on commercial terms.\n"
        ),
        "body_zh_hans": (
            "## 我们是谁\n\n"
            "联盟汇聚航天信息产业的龙头企业、创新企业、投资机构和科研院所，"
            "覆盖发射、卫星、遥感、导航与通信等领域。\n\n"
            "## 我们做什么\n\n"
            "- 搭建跨国交流与合作的渠道。\n"
            "- 打通从卫星到应用的产业链。\n"
            "- 以市场化方式帮助企业走向国际市场。\n"
        ),
    },
]


def load(log):
    for record in PAGES:
        record = dict(record)
        slug = record.pop("slug")
        page, created = Page.objects.update_or_create(
            slug=slug, defaults={**record, "status": Status.PUBLISHED}
        )
        log("created" if created else "updated", page)
