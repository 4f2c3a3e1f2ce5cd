"""The query shapes of the content: cards, links, detail pages and facet counts."""

import datetime
from pathlib import Path

import pytest
from django.utils import timezone

from alliance.content.models import (
    RELATED_NEWS,
    Event,
    Field,
    Initiative,
    ParticipationRole,
    Scenario,
    ScenarioParticipation,
    ScenarioStage,
    event_page_relations,
)
from alliance.kernel.translated import columns
from tests.factories import (
    ArticleFactory,
    EventFactory,
    FieldFactory,
    InitiativeFactory,
    MemberFactory,
    ParticipationFactory,
    RegistrationSettingsFactory,
    ScenarioFactory,
    ScenarioParticipationFactory,
)

pytestmark = pytest.mark.django_db

DESCRIPTION = {"description", *columns("description")}


def loaded(obj):
    """The columns read from the database (the others wait, deferred)."""
    return {f.attname for f in obj._meta.concrete_fields} - obj.get_deferred_fields()


def link(*translated):
    return {"id", "slug", "status", *columns(*translated)}


# --- Fields and scenarios ----------------------------------------------------


def test_fields_count_their_published_scenarios():
    busy, quiet, empty = FieldFactory(), FieldFactory(), FieldFactory()
    ScenarioFactory.create_batch(2, field=busy)
    ScenarioFactory(field=quiet)
    ScenarioFactory(field=quiet, status="draft")
    ScenarioFactory(field=empty, status="draft")
    counted = {f: f.scenario_count for f in Field.objects.with_scenario_counts()}
    assert counted == {busy: 2, quiet: 1, empty: 0}
    assert set(Field.objects.with_scenario_counts().with_scenarios()) == {busy, quiet}


def test_stage_counts_name_the_stages_with_scenarios():
    ScenarioFactory.create_batch(2, stage=ScenarioStage.PILOTING)
    ScenarioFactory(stage=ScenarioStage.OPERATIONAL)
    ScenarioFactory(stage=ScenarioStage.ANNOUNCED, status="draft")
    assert Scenario.objects.published().stage_counts() == {
        ScenarioStage.PILOTING: 2,
        ScenarioStage.OPERATIONAL: 1,
    }


def test_scenario_cards_leave_the_description_and_bring_the_field(
    django_assert_num_queries,
):
    ScenarioFactory(field=FieldFactory(name="Energy"))
    with django_assert_num_queries(1):
        (card,) = Scenario.objects.cards()
        assert card.field.name == "Energy"
    assert card.get_deferred_fields() >= DESCRIPTION
    assert {"summary", "stage", "image_small", "is_example"} <= loaded(card)


def test_scenario_links_read_a_link_and_the_fields_name(django_assert_num_queries):
    event = EventFactory()
    ScenarioFactory(announced_at=event, field=FieldFactory(name="Energy"))
    with django_assert_num_queries(1):
        (scenario,) = Scenario.objects.links("announced_at")
        assert scenario.field.name == "Energy"
    assert loaded(scenario) == link("title") | {"field_id", "announced_at_id"}
    assert loaded(scenario.field) == {"id", "status", *columns("name")}


def test_scenario_for_detail_lists_published_members_and_the_newest_articles(
    django_assert_num_queries,
):
    scenario = ScenarioFactory(announced_at=EventFactory())
    provider = ScenarioParticipationFactory(
        scenario=scenario,
        member=MemberFactory(name="Alpha"),
        role=ParticipationRole.TECHNOLOGY_PROVIDER,
    )
    lead_b = ScenarioParticipationFactory(
        scenario=scenario, member=MemberFactory(name="Beta")
    )
    lead_a = ScenarioParticipationFactory(
        scenario=scenario, member=MemberFactory(name="Aaa")
    )
    ScenarioParticipationFactory(
        scenario=scenario, member=MemberFactory(status="draft")
    )
    now = timezone.now()
    articles = [
        ArticleFactory(
            scenarios=[scenario], published_at=now - datetime.timedelta(hours=i + 1)
        )
        for i in range(RELATED_NEWS + 1)
    ]
    ArticleFactory(scenarios=[scenario], status="draft")
    # The scenario with its field and event, its participations, its articles.
    with django_assert_num_queries(3):
        found = Scenario.objects.for_detail().get(pk=scenario.pk)
        assert found.field.pk == scenario.field_id
        assert found.announced_at.pk == scenario.announced_at_id
        parts = list(found.participations.all())
        assert [p.member.name for p in parts] == ["Aaa", "Beta", "Alpha"]
    assert parts == [lead_a, lead_b, provider]
    assert found.latest_articles == articles[:RELATED_NEWS]
    assert loaded(found.latest_articles[0]) == link("title") | {"published_at"}


def test_participations_of_published_members_and_their_shapes(
    django_assert_num_queries,
):
    member = MemberFactory()
    public = ScenarioParticipationFactory(
        member=member, scenario=ScenarioFactory(title="Beta")
    )
    other = ScenarioParticipationFactory(
        member=member, scenario=ScenarioFactory(title="Alpha")
    )
    hidden = ScenarioParticipationFactory(
        member=member, scenario=ScenarioFactory(status="draft")
    )
    draft_member = ScenarioParticipationFactory(member=MemberFactory(status="draft"))
    participations = ScenarioParticipation.objects
    assert draft_member not in participations.of_published_members()
    assert set(participations.in_published_scenarios()) == {
        public,
        other,
        draft_member,
    }
    with django_assert_num_queries(1):
        listed = list(
            member.scenario_participations.in_published_scenarios().scenario_links()
        )
        assert [p.scenario.field.name for p in listed] == [
            other.scenario.field.name,
            public.scenario.field.name,
        ]
    assert listed == [other, public] and hidden not in listed
    assert loaded(listed[0].scenario) == link("title") | {"field_id"}
    with django_assert_num_queries(1):
        assert {p.scenario.summary for p in participations.with_scenarios()} == {
            "A synthetic scenario used in tests."
        }


# --- Events ------------------------------------------------------------------


def test_event_cards_leave_the_description():
    EventFactory()
    (card,) = Event.objects.cards()
    assert card.get_deferred_fields() >= DESCRIPTION
    assert {"summary", "starts_on", "city"} <= loaded(card)


def test_event_for_detail_reads_what_its_page_shows_in_five_queries(
    django_assert_num_queries,
):
    event = EventFactory()
    RegistrationSettingsFactory(event=event, capacity=40)
    event.members.set([MemberFactory(name="Beta"), MemberFactory(name="Alpha")])
    event.members.add(MemberFactory(status="draft"))
    ScenarioFactory(announced_at=event)
    ScenarioFactory(announced_at=event, status="draft")
    InitiativeFactory(launched_at=event)
    InitiativeFactory(launched_at=event, status="draft")
    ArticleFactory.create_batch(RELATED_NEWS + 2, event=event)
    ArticleFactory(event=event, status="draft")
    # The event and its registration settings; articles, members, scenarios,
    # initiatives.
    with django_assert_num_queries(5):
        found = Event.objects.for_detail().get(pk=event.pk)
        assert found.registration_settings.capacity == 40
        members = [m.name for m in found.members.all()]
        scenarios = list(found.scenarios.all())
        initiatives = list(found.initiatives.all())
        assert [s.public_field for s in scenarios] == [scenarios[0].field]
    assert members == ["Alpha", "Beta"]
    assert len(found.latest_articles) == RELATED_NEWS
    assert all(a.is_published for a in found.latest_articles)
    assert loaded(initiatives[0]) == link("name", "summary") | {
        "kind",
        "launched_at_id",
    }


def test_an_event_without_registration_settings_has_none_and_asks_nothing_more(
    django_assert_num_queries,
):
    event = EventFactory()
    found = Event.objects.for_detail().get(pk=event.pk)
    with django_assert_num_queries(0):
        assert getattr(found, "registration_settings", None) is None


def test_what_apps_above_show_on_an_events_page_is_named_by_them():
    assert event_page_relations() == ["registration_settings"]
    # The content app itself never names the relations of apps above it.
    package = Path(__file__).parents[2] / "alliance" / "content"
    for module in package.rglob("*.py"):
        assert "registration" not in module.read_text(), module


# --- Initiatives ---------------------------------------------------------------


def test_initiative_cards_and_links_bring_the_launch_event(django_assert_num_queries):
    InitiativeFactory(launched_at=EventFactory(name="Forum"))
    with django_assert_num_queries(1):
        (card,) = Initiative.objects.cards()
        assert card.launched_at.name == "Forum"
    assert card.get_deferred_fields() >= DESCRIPTION
    assert loaded(card) == link("name", "summary") | {
        "kind",
        "amount",
        "currency",
        "launched_on",
        "launched_at_id",
    }
    with django_assert_num_queries(1):
        (linked,) = Initiative.objects.links()
        assert linked.launched_at.name == "Forum"
    assert loaded(linked) == link("name") | {"launched_at_id"}
    assert loaded(linked.launched_at) == link("name")


def test_initiative_for_detail_lists_public_participations(django_assert_num_queries):
    initiative = InitiativeFactory(launched_at=EventFactory())
    member = ParticipationFactory(
        initiative=initiative, member=MemberFactory(name="Alpha"), order=2
    )
    named = ParticipationFactory(initiative=initiative, order=1)
    ParticipationFactory(
        initiative=initiative,
        member=MemberFactory(status="draft"),
        organization="",
        order=0,
    )
    with django_assert_num_queries(2):
        found = Initiative.objects.for_detail().get(pk=initiative.pk)
        assert found.launched_at.pk == initiative.launched_at_id
        assert found.public_participations == [named, member]
