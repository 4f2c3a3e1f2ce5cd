"""Make a large synthetic data set for benchmarks: deterministic, clearly marked, fast.

Every record is fictional and says so; slugs start with `load-`, so
`--clear` removes exactly what this command made. `--scale 100x` (or 100) is
the full set (10,000 members, 100,000 articles, 1,000 scenarios, 500 events,
50 tags), a hundred times the demo's size; `--scale 1x` is the demo's size
(100 members, 1,000 articles) and every step in between takes that share. Rows are written with bulk inserts in
batches, relations through their join tables, in both languages.
"""

import argparse
import datetime
import random
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from alliance.content.models import Event, Field, Scenario, ScenarioParticipation
from alliance.kernel.changes import content_changed
from alliance.kernel.publishing import Status
from members.models import Member, Sector, Tier
from news.models import Article, Tag

FULL = {
    "tags": 50,
    "members": 10_000,
    "events": 500,
    "scenarios": 1_000,
    "articles": 100_000,
}
BATCH = 2_000
BASE_TIME = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
NOTE_EN = "Synthetic load-test record; it describes nothing real."
NOTE_ZH = "用于负载测试的合成记录，不描述任何真实内容。"
WORDS = ["orbit", "signal", "imagery", "launch", "ground", "station", "navigation", "data", "satellite", "network",
         "mapping", "energy", "transport", "emergency", "resource", "analysis", "platform", "sensor", "cloud", "city"]  # fmt: skip
WORDS_ZH = ["轨道", "信号", "影像", "发射", "地面", "站点", "导航", "数据", "卫星", "网络",
            "测绘", "能源", "交通", "应急", "资源", "分析", "平台", "传感器", "云端", "城市"]  # fmt: skip


def translated(name, english, chinese):
    """Values of a translated field for bulk inserts (which skip modeltranslation's syncing)."""
    return {name: english, f"{name}_en": english, f"{name}_zh_hans": chinese}


class Progress:
    """A one-line progress bar on the terminal."""

    def __init__(self, stream, label, total):
        self.stream, self.label, self.total, self.done, self.started = (
            stream,
            label,
            total,
            0,
            time.monotonic(),
        )

    def advance(self, count):
        self.done += count
        width = 30
        filled = int(width * self.done / max(self.total, 1))
        self.stream.write(
            f"\r  {self.label:<12} [{'#' * filled}{'.' * (width - filled)}] {self.done:>7}/{self.total}",
            ending="",
        )
        self.stream.flush()

    def finish(self):
        self.stream.write(f"  {time.monotonic() - self.started:5.1f} s")


def scale_factor(value):
    """`--scale`: 1x to 100x, the "x" optional."""
    try:
        scale = int(value.strip().lower().removesuffix("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{value}' is not a scale: use 1x to 100x."
        ) from None
    if not 1 <= scale <= 100:
        raise argparse.ArgumentTypeError("Use a scale from 1x to 100x.")
    return scale


class Command(BaseCommand):
    help = (
        "Insert a synthetic data set for benchmarks (load- slugs; --scale 1x to 100x)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=scale_factor,
            default=1,
            help="1x (the demo's size) to 100x (10,000 members, 100,000 articles); default 1x.",
        )
        parser.add_argument(
            "--seed", type=int, default=1, help="Same seed, same data (default 1)."
        )
        parser.add_argument(
            "--clear", action="store_true", help="Remove earlier load data first."
        )

    def handle(self, *args, scale, seed, clear, **options):
        if not 1 <= scale <= 100:  # call_command(scale=...) skips the parser
            raise CommandError("Use a scale from 1x to 100x.")
        self.rng = random.Random(seed)
        self.out = self.stdout
        counts = {name: max(1, full * scale // 100) for name, full in FULL.items()}
        started = time.monotonic()
        if clear:
            self.clear()
        elif Member.objects.filter(slug__startswith="load-").exists():
            raise CommandError(
                "Load data is already present: add --clear to replace it."
            )
        with transaction.atomic():
            tiers, sectors, fields = self.taxonomies()
            tags = self.make_tags(counts["tags"])
            members = self.make_members(counts["members"], tiers, sectors)
            events = self.make_events(counts["events"])
            scenarios = self.make_scenarios(
                counts["scenarios"], fields, events, members
            )
            self.make_articles(counts["articles"], tags, members, scenarios, events)
        # Bulk inserts send no signals: say the content changed (cached pages
        # and API answers go), and give the planner statistics for the new rows.
        content_changed()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        summary = ", ".join(f"{count:,} {name}" for name, count in counts.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"Load data in place: {summary} ({time.monotonic() - started:.1f} s)."
            )
        )

    def clear(self):
        for model in (
            Article,
            ScenarioParticipation,
            Scenario,
            Event,
            Member,
            Tag,
            Field,
            Sector,
            Tier,
        ):
            field = "scenario__slug" if model is ScenarioParticipation else "slug"
            model.objects.filter(**{f"{field}__startswith": "load-"}).delete()

    def words(self, count):
        picks = [self.rng.randrange(len(WORDS)) for _ in range(count)]
        return " ".join(WORDS[i] for i in picks), "".join(WORDS_ZH[i] for i in picks)

    def bulk(self, model, objects, label):
        progress = Progress(self.out, label, len(objects))
        created = []
        for start in range(0, len(objects), BATCH):
            created += model.objects.bulk_create(objects[start : start + BATCH])
            progress.advance(len(objects[start : start + BATCH]))
        progress.finish()
        return created

    def taxonomies(self):
        tiers = list(Tier.objects.published()) or [
            Tier.objects.create(
                slug=f"load-tier-{i}",
                order=i,
                status=Status.PUBLISHED,
                **translated("name", f"Tier {i}", f"级别{i}"),
            )
            for i in range(1, 5)
        ]
        sectors = list(Sector.objects.published()) or [
            Sector.objects.create(
                slug=f"load-sector-{i}",
                order=i,
                status=Status.PUBLISHED,
                **translated("name", f"Sector {i}", f"领域{i}"),
            )
            for i in range(1, 11)
        ]
        fields = list(Field.objects.published()) or [
            Field.objects.create(
                slug=f"load-field-{i}",
                order=i,
                status=Status.PUBLISHED,
                **translated("name", f"Field {i}", f"领域{i}"),
            )
            for i in range(1, 7)
        ]
        return tiers, sectors, fields

    def make_tags(self, count):
        return self.bulk(
            Tag,
            [
                Tag(
                    slug=f"load-tag-{i:03}",
                    status=Status.PUBLISHED,
                    **translated("name", f"Sample tag {i}", f"示例标签{i}"),
                )
                for i in range(count)
            ],
            "tags",
        )

    def make_members(self, count, tiers, sectors):
        countries = ["CN", "SG", "DE", "FR", "AE", "BR", "GB", "US", "KE", "ID"]
        members = []
        for i in range(count):
            en, zh = self.words(4)
            members.append(
                Member(
                    slug=f"load-member-{i:05}",
                    status=Status.PUBLISHED
                    if self.rng.random() > 0.05
                    else Status.DRAFT,
                    tier=(tier := self.rng.choice(tiers)),
                    tier_order=tier.order,
                    country=self.rng.choice(countries),
                    joined_on=(
                        BASE_TIME + datetime.timedelta(days=self.rng.randrange(900))
                    ).date(),
                    **translated(
                        "name", f"Sample Orbital Co. {i:05}", f"示例轨道公司{i:05}"
                    ),
                    **translated(
                        "summary", f"{en.capitalize()}. {NOTE_EN}", f"{zh}。{NOTE_ZH}"
                    ),
                    **translated("capability", en, zh),
                    **translated("description", NOTE_EN, NOTE_ZH),
                    **translated("city", "Sample City", "示例城市"),
                )
            )
        members = self.bulk(Member, members, "members")
        links = [
            Member.sectors.through(member_id=member.pk, sector_id=sector.pk)
            for member in members
            for sector in self.rng.sample(
                sectors, k=min(len(sectors), self.rng.randint(1, 2))
            )
        ]
        self.bulk(Member.sectors.through, links, "  sectors")
        return members

    def make_events(self, count):
        events = []
        for i in range(count):
            start = (
                BASE_TIME + datetime.timedelta(days=self.rng.randrange(-400, 900))
            ).date()
            en, zh = self.words(3)
            events.append(
                Event(
                    slug=f"load-event-{i:04}",
                    status=Status.PUBLISHED,
                    starts_on=start,
                    ends_on=start + datetime.timedelta(days=self.rng.randint(0, 2)),
                    country="CN",
                    **translated(
                        "name", f"Sample forum {i:04}: {en}", f"示例论坛{i:04}：{zh}"
                    ),
                    **translated("summary", NOTE_EN, NOTE_ZH),
                    **translated("city", "Sample City", "示例城市"),
                )
            )
        return self.bulk(Event, events, "events")

    def make_scenarios(self, count, fields, events, members):
        scenarios = []
        for i in range(count):
            en, zh = self.words(4)
            scenarios.append(
                Scenario(
                    slug=f"load-scenario-{i:04}",
                    status=Status.PUBLISHED,
                    field=self.rng.choice(fields),
                    announced_at=self.rng.choice(events),
                    is_example=True,
                    space_data=["remote_sensing"],
                    **translated(
                        "title",
                        f"Sample scenario {i:04}: {en}",
                        f"示例场景{i:04}：{zh}",
                    ),
                    **translated("summary", NOTE_EN, NOTE_ZH),
                    **translated(
                        "description",
                        f"<p>{en}. {NOTE_EN}</p>",
                        f"<p>{zh}。{NOTE_ZH}</p>",
                    ),
                )
            )
        scenarios = self.bulk(Scenario, scenarios, "scenarios")
        participations = [
            ScenarioParticipation(scenario=scenario, member=member, role=role)
            for scenario in scenarios
            for member, role in zip(
                self.rng.sample(members, k=2),
                ["lead", "technology_provider"],
                strict=True,
            )
        ]
        self.bulk(ScenarioParticipation, participations, "  members")
        return scenarios

    def make_articles(self, count, tags, members, scenarios, events):
        articles = []
        for i in range(count):
            en, zh = self.words(6)
            body_en, body_zh = self.words(60)
            status = Status.PUBLISHED if self.rng.random() > 0.03 else Status.DRAFT
            articles.append(
                Article(
                    slug=f"load-article-{i:06}",
                    status=status,
                    published_at=BASE_TIME + datetime.timedelta(minutes=7 * i),
                    featured=self.rng.random() < 0.01,
                    event=self.rng.choice(events) if self.rng.random() < 0.1 else None,
                    **translated(
                        "title", f"Sample news {i:06}: {en}", f"示例新闻{i:06}：{zh}"
                    ),
                    **translated("summary", NOTE_EN, NOTE_ZH),
                    **translated(
                        "body",
                        f"<h2>{en}</h2><p>{body_en}.</p><p>{NOTE_EN}</p>",
                        f"<h2>{zh}</h2><p>{body_zh}。</p><p>{NOTE_ZH}</p>",
                    ),
                )
            )
        articles = self.bulk(Article, articles, "articles")
        tag_links = [
            Article.tags.through(article_id=a.pk, tag_id=t.pk)
            for a in articles
            for t in self.rng.sample(tags, k=min(2, len(tags)))
        ]
        self.bulk(Article.tags.through, tag_links, "  tags")
        member_links = [
            Article.members.through(
                article_id=a.pk, member_id=self.rng.choice(members).pk
            )
            for a in articles
        ]
        self.bulk(Article.members.through, member_links, "  members")
        scenario_links = [
            Article.scenarios.through(
                article_id=a.pk, scenario_id=self.rng.choice(scenarios).pk
            )
            for a in articles
            if self.rng.random() < 0.2
        ]
        self.bulk(Article.scenarios.through, scenario_links, "  scenarios")
