"""One factory per model: the only way tests build data.

Factories make published objects unless told otherwise (`status="draft"`).
"""

import datetime

import factory
from django.utils import timezone

from alliance.content.models import (
    Event,
    Field,
    Initiative,
    InitiativeKind,
    InitiativeRole,
    Page,
    Participation,
    ParticipationRole,
    Scenario,
    ScenarioParticipation,
)
from alliance.kernel.changes import content_changed
from alliance.kernel.publishing import Status
from members.models import (
    ImportStatus,
    Member,
    MemberImport,
    MembershipApplication,
    Sector,
    Tier,
)
from news.models import Article, Tag
from portal.models import ChangeRequest, Representative, member_values
from registrations.models import Registration, RegistrationSettings
from registrations.models import Status as RegistrationStatus
from webhooks import models as webhooks


class PublishedFactory(factory.django.DjangoModelFactory):
    status = Status.PUBLISHED

    class Meta:
        abstract = True


class TierFactory(PublishedFactory):
    name = factory.Sequence(lambda n: f"Tier {n}")
    slug = factory.Sequence(lambda n: f"tier-{n}")
    order = factory.Sequence(int)

    class Meta:
        model = Tier
        django_get_or_create = ("slug",)


class SectorFactory(PublishedFactory):
    name = factory.Sequence(lambda n: f"Sector {n}")
    slug = factory.Sequence(lambda n: f"sector-{n}")

    class Meta:
        model = Sector


class MemberFactory(PublishedFactory):
    name = factory.Sequence(lambda n: f"Sample Orbital Co. {n}")
    slug = factory.Sequence(lambda n: f"sample-orbital-{n}")
    country = "CN"
    city = "Chongqing"
    tier = factory.SubFactory(TierFactory)
    summary = "A synthetic member used in tests."
    contact_name = "Private Person"
    contact_email = factory.Sequence(lambda n: f"private-{n}@member.example")
    contact_phone = "+86 23 0000 0000"
    internal_notes = "PRIVATE-NOTE: never shown in public."

    class Meta:
        model = Member
        skip_postgeneration_save = True

    @factory.post_generation
    def sectors(self, create, extracted, **kwargs):
        if create and extracted:
            self.sectors.set(extracted)


class MembershipApplicationFactory(factory.django.DjangoModelFactory):
    organization_name = factory.Sequence(lambda n: f"Applicant Space Lab {n}")
    country = "CN"
    capability = "Ground stations for small satellites."
    contact_name = "Applicant Person"
    contact_email = factory.Sequence(lambda n: f"applicant-{n}@example.com")

    class Meta:
        model = MembershipApplication


class MemberImportFactory(factory.django.DjangoModelFactory):
    """A finished import of a long file (the file itself is gone once imported)."""

    file_name = "members.xlsx"
    file_format = "xlsx"
    rows = 2500
    status = ImportStatus.DONE
    new = 2500

    class Meta:
        model = MemberImport


class UserFactory(factory.django.DjangoModelFactory):
    email = factory.Sequence(lambda n: f"person-{n}@rep.example")
    username = factory.SelfAttribute("email")
    password = factory.django.Password("a-long-password-for-tests")

    class Meta:
        model = "auth.User"
        skip_postgeneration_save = True


class RepresentativeFactory(factory.django.DjangoModelFactory):
    user = factory.SubFactory(UserFactory)
    member = factory.SubFactory(MemberFactory)

    class Meta:
        model = Representative


class ChangeRequestFactory(factory.django.DjangoModelFactory):
    """A pending change of the member's English summary, made by a representative."""

    member = factory.SubFactory(MemberFactory)
    submitted_by = factory.SubFactory(UserFactory)

    class Meta:
        model = ChangeRequest

    @factory.lazy_attribute
    def original(self):
        return member_values(self.member)

    @factory.lazy_attribute
    def proposed(self):
        return {**self.original, "summary_en": "A proposed new summary."}


class TagFactory(PublishedFactory):
    name = factory.Sequence(lambda n: f"Tag {n}")
    slug = factory.Sequence(lambda n: f"tag-{n}")

    class Meta:
        model = Tag


class EndpointFactory(factory.django.DjangoModelFactory):
    partner = factory.Sequence(lambda n: f"Partner {n}")
    url = "https://hooks.partner.example/alliance"
    contact_email = factory.Sequence(lambda n: f"ops{n}@partner.example")

    class Meta:
        model = webhooks.Endpoint


class WebhookEventFactory(factory.django.DjangoModelFactory):
    resource = "news"
    slug = factory.Sequence(lambda n: f"sample-article-{n}")
    kind = "published"
    occurred_at = factory.LazyFunction(timezone.now)

    class Meta:
        model = webhooks.Event


class DeliveryFactory(factory.django.DjangoModelFactory):
    endpoint = factory.SubFactory(EndpointFactory)
    event = factory.SubFactory(WebhookEventFactory)

    class Meta:
        model = webhooks.Delivery


class ArticleFactory(PublishedFactory):
    title = factory.Sequence(lambda n: f"Sample article {n}")
    slug = factory.Sequence(lambda n: f"sample-article-{n}")
    summary = "A synthetic article used in tests."
    body = "<h2>Section</h2><p>Some <strong>rich</strong> text.</p>"
    published_at = factory.LazyFunction(
        lambda: timezone.now() - datetime.timedelta(hours=1)
    )

    class Meta:
        model = Article
        skip_postgeneration_save = True

    @factory.post_generation
    def tags(self, create, extracted, **kwargs):
        if create and extracted:
            self.tags.set(extracted)

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if create and extracted:
            self.members.set(extracted)

    @factory.post_generation
    def scenarios(self, create, extracted, **kwargs):
        if create and extracted:
            self.scenarios.set(extracted)


class FieldFactory(PublishedFactory):
    name = factory.Sequence(lambda n: f"Field {n}")
    slug = factory.Sequence(lambda n: f"field-{n}")

    class Meta:
        model = Field


class EventFactory(PublishedFactory):
    name = factory.Sequence(lambda n: f"Sample Event {n}")
    slug = factory.Sequence(lambda n: f"sample-event-{n}")
    starts_on = factory.LazyFunction(
        lambda: timezone.localdate() + datetime.timedelta(days=30)
    )
    ends_on = factory.LazyAttribute(lambda o: o.starts_on + datetime.timedelta(days=1))
    city = "Chongqing"
    country = "CN"

    class Meta:
        model = Event


class RegistrationSettingsFactory(factory.django.DjangoModelFactory):
    event = factory.SubFactory(EventFactory)
    privacy_notice = "We use your details to run the event."

    class Meta:
        model = RegistrationSettings


class RegistrationFactory(factory.django.DjangoModelFactory):
    event = factory.SubFactory(EventFactory)
    status = RegistrationStatus.CONFIRMED
    name = factory.Sequence(lambda n: f"Registrant {n}")
    email = factory.Sequence(lambda n: f"registrant{n}@example.org")
    organization = "Orbit Works"

    class Meta:
        model = Registration


class ScenarioFactory(PublishedFactory):
    title = factory.Sequence(lambda n: f"Sample scenario {n}")
    slug = factory.Sequence(lambda n: f"sample-scenario-{n}")
    field = factory.SubFactory(FieldFactory)
    summary = "A synthetic scenario used in tests."

    class Meta:
        model = Scenario


class ScenarioParticipationFactory(factory.django.DjangoModelFactory):
    scenario = factory.SubFactory(ScenarioFactory)
    member = factory.SubFactory(MemberFactory)
    role = ParticipationRole.LEAD

    class Meta:
        model = ScenarioParticipation


class InitiativeFactory(PublishedFactory):
    name = factory.Sequence(lambda n: f"Sample initiative {n}")
    slug = factory.Sequence(lambda n: f"sample-initiative-{n}")
    kind = InitiativeKind.PROGRAMME

    class Meta:
        model = Initiative


class ParticipationFactory(factory.django.DjangoModelFactory):
    """An organization taking part in an initiative; pass `member=` for a member's part."""

    initiative = factory.SubFactory(InitiativeFactory)
    organization = factory.Sequence(lambda n: f"Sample Investment Institution {n}")
    role = InitiativeRole.INVESTOR
    order = factory.Sequence(int)

    class Meta:
        model = Participation


class PageFactory(PublishedFactory):
    title = factory.Sequence(lambda n: f"Page {n}")
    slug = factory.Sequence(lambda n: f"page-{n}")
    body = "<h2>Heading</h2><p>Page text.</p>"

    class Meta:
        model = Page


class TombstoneFactory(factory.django.DjangoModelFactory):
    resource = "news"
    slug = factory.Sequence(lambda n: f"removed-article-{n}")
    reason = "unpublished"

    class Meta:
        model = "kernel.Tombstone"


# --- Many objects at once -----------------------------------------------------


def create_in_bulk(factory_class, count, *, links=None, **fields):
    """Create `count` objects of a factory in a few queries; return them, saved.

    For data sets of hundreds or thousands of rows (the query budgets), where
    creating them one at a time takes seconds. Each object is the factory's
    `build()` with `fields` (values, or declarations such as
    `factory.Iterator(tiers)`), so it has the factory's defaults: published,
    with unique slugs. Related objects passed in must be saved already.

    The rows go in with `bulk_create`, which skips `save()` and signals. The
    search documents still follow (a database trigger writes them); a
    member's copy of its tier's rank, which `save()` keeps, is set here; no
    file is written. As any bulk load should, it records a change of
    public content (the response cache's generation moves on).

    `links` fills many-to-many relations, by name: `{"tags": tags}` links
    every object to each of `tags`, `{"tags": lambda i: [...]}` links the
    i-th object to what the function returns. A relation through a model of
    its own (a member's role in a scenario) is made with that model's factory
    instead: `create_in_bulk(ScenarioParticipationFactory, ...)`.
    """
    model = factory_class._meta.model
    objects = factory_class.build_batch(count, **fields)
    if model is Member:
        for member in objects:
            member.tier_order = member.tier.directory_rank
    objects = model.objects.bulk_create(objects, batch_size=500)
    for name, targets in (links or {}).items():
        relation = model._meta.get_field(name)
        through = relation.remote_field.through
        source = f"{relation.m2m_field_name()}_id"
        target = f"{relation.m2m_reverse_field_name()}_id"
        rows = [
            through(**{source: obj.pk, target: linked.pk})
            for index, obj in enumerate(objects)
            for linked in (targets(index) if callable(targets) else targets)
        ]
        through.objects.bulk_create(rows, batch_size=1000)
    content_changed()
    return objects
