import hashlib

from django.core.exceptions import BadRequest, DisallowedHost
from django.db.models import Count, Prefetch, Q
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.generic import DetailView, ListView

from alliance.content.models import (
    Event,
    Field,
    Initiative,
    Page,
    Participation,
    Scenario,
    ScenarioParticipation,
    ScenarioStage,
)
from alliance.kernel import ical
from alliance.kernel.http import allow
from alliance.kernel.listing import ListPageMixin
from alliance.kernel.preview import PreviewMixin
from alliance.kernel.publishing import columns, summary_fields
from alliance.kernel.response_cache import remember
from alliance.kernel.search import Kind, SiteSearch
from members.models import Member, Sector
from news.models import Article

# Cards show no long text: leave it in the database.
SCENARIO_CARD_DEFERRED = ["description", "description_en", "description_zh_hans"]
EVENT_CARD_DEFERRED = ["description", "description_en", "description_zh_hans"]


# How many of the newest related articles a page lists.
RELATED_NEWS = 10


def latest_articles(*also):
    """Published articles, newest first, with what a link to one needs (and `also`)."""
    return (
        Article.objects.published()
        .newest_first()
        .only("published_at", *summary_fields("title"), *also)
    )


def published_participations():
    return ScenarioParticipation.objects.filter(
        member__in=Member.objects.published()
    ).select_related("member")


def at_a_glance():
    """The alliance in figures: counts, members by sector, scenarios by field.

    Counting whole tables is the dearest part of the home page and changes
    only with the content, so the result is remembered until it does.
    """
    members = Member.objects.published()
    scenarios = Scenario.objects.published()
    sectors = (
        Sector.objects.published()
        .annotate(member_count=Count("members", filter=Q(members__in=members)))
        .filter(member_count__gt=0)
        .order_by("-member_count", "order")
    )
    fields = (
        Field.objects.published()
        .annotate(scenario_count=Count("scenarios", filter=Q(scenarios__in=scenarios)))
        .filter(scenario_count__gt=0)
    )
    return {
        "members": members.count(),
        "scenarios": scenarios.count(),
        "articles": Article.objects.published().count(),
        "sectors": [
            {"name": s.name, "slug": s.slug, "member_count": s.member_count}
            for s in sectors
        ],
        "fields": [
            {"name": f.name, "slug": f.slug, "scenario_count": f.scenario_count}
            for f in fields
        ],
    }


@allow("GET")
def home(request):
    """The alliance at a glance: figures, members by sector, news, scenarios, events, logos."""
    figures = remember(f"at-a-glance:{get_language()}", at_a_glance)
    articles = Article.objects.published().only(
        "slug", "title_en", "title_zh_hans", "summary_en", "summary_zh_hans",
        "published_at", "featured", "status",
    )  # fmt: skip
    latest = list(articles.newest_first()[:6])
    featured = articles.featured().newest_first().first()
    context = {
        "figures": figures,
        "sectors": figures["sectors"],
        "featured": featured,
        "latest": [article for article in latest if article != featured][:4],
        "fields": figures["fields"],
        "events": Event.objects.published().upcoming()[:3],
        "logo_members": Member.objects.published()
        .exclude(logo="")
        .order_by("tier_order", "name", "pk")[:24],
    }
    return render(request, "alliance/home.html", context)


class ScenarioListView(ListPageMixin, ListView):
    """Published scenarios grouped by field, a page at a time; filters ?field= and ?status=."""

    template_name = "alliance/scenario_list.html"
    paginate_by = 24

    def get_queryset(self):
        scenarios = (
            Scenario.objects.published()
            .select_related("field")
            .defer(*SCENARIO_CARD_DEFERRED)
            .by_field()
        )
        self.field = self.stage = None
        if slug := self.request.GET.get("field"):
            self.field = Field.objects.published().filter(slug=slug).first()
            if self.field is None:
                raise BadRequest(_("Unknown field “%(value)s”.") % {"value": slug[:50]})
            scenarios = scenarios.in_field(self.field)
        if stage := self.request.GET.get("status"):
            if stage not in ScenarioStage.values:
                raise BadRequest(
                    _("Unknown status “%(value)s”. Use one of: %(stages)s.")
                    % {"value": stage[:50], "stages": ", ".join(ScenarioStage.values)}
                )
            self.stage = ScenarioStage(stage)
            scenarios = scenarios.at_stage(stage)
        return scenarios

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(field=self.field, stage=self.stage, facets=self.facets)
        return context

    def facets(self):
        """Scenarios per field and per status: the same for every page, so remembered."""
        published = Scenario.objects.published()
        stage_counts = dict(
            published.order_by()
            .values_list("stage")
            .annotate(n=Count("pk"))
            .values_list("stage", "n")
        )
        fields = Field.objects.published().annotate(
            scenario_count=Count("scenarios", filter=Q(scenarios__in=published))
        )
        return {
            "fields": list(fields),
            "stages": [
                (stage, stage_counts.get(stage.value, 0)) for stage in ScenarioStage
            ],
        }


class ScenarioDetailView(PreviewMixin, DetailView):
    model = Scenario
    template_name = "alliance/scenario_detail.html"

    def get_base_queryset(self):
        return Scenario.objects.select_related(
            "field", "announced_at"
        ).prefetch_related(
            Prefetch(
                "participations",
                queryset=published_participations()
                .only(
                    "role",
                    "scenario",
                    *(f"member__{name}" for name in summary_fields("name")),
                )
                .order_by("role", "member__name"),
            ),
            Prefetch(
                "articles",
                queryset=latest_articles()[:RELATED_NEWS],
                to_attr="latest_articles",
            ),
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["event"] = self.object.public_announced_at
        return context


class EventListView(ListPageMixin, ListView):
    """Upcoming events in full, then past ones, newest first, a page at a time."""

    template_name = "alliance/event_list.html"
    paginate_by = 24

    def get_queryset(self):
        return Event.objects.published().past().defer(*EVENT_CARD_DEFERRED)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["upcoming"] = (
            Event.objects.published().upcoming().defer(*EVENT_CARD_DEFERRED)
        )
        return context


class EventDetailView(PreviewMixin, DetailView):
    model = Event
    template_name = "alliance/event_detail.html"

    def get_base_queryset(self):
        # Its registration settings (a reverse relation; the registrations
        # app's template tag reads them) come with the event, in one query.
        return Event.objects.select_related("registration_settings").prefetch_related(
            Prefetch(
                "articles",
                # The event is how the prefetch puts each article in its place.
                queryset=latest_articles("event")[:RELATED_NEWS],
                to_attr="latest_articles",
            ),
            Prefetch(
                "members",
                queryset=Member.objects.published()
                .only(*summary_fields("name"))
                .order_by("name"),
            ),
            Prefetch(
                "scenarios",
                queryset=Scenario.objects.published()
                .select_related("field")
                .only(
                    "announced_at",
                    *summary_fields("title"),
                    "field__status",
                    *columns("field__name"),
                ),
            ),
            Prefetch(
                "initiatives",
                queryset=Initiative.objects.published().only(
                    "launched_at", "kind", *summary_fields("name", "summary")
                ),
            ),
        )


@allow("GET")
def event_ical(request, slug):
    """The event as an iCalendar file, for readers' calendars."""
    event = get_object_or_404(Event.objects.published(), slug=slug)
    url = request.build_absolute_uri(event.get_absolute_url())
    response = HttpResponse(
        ical.event_calendar(event, url=url, host=request.get_host()),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{event.slug}.ics"'
    return response


class InitiativeListView(ListPageMixin, ListView):
    """Published initiatives: the alliance, communities, funds, with amount and launch event."""

    template_name = "alliance/initiative_list.html"
    paginate_by = 24

    def get_queryset(self):
        return (
            Initiative.objects.published()
            .for_index()
            .select_related("launched_at")
            .only(
                "kind",
                "amount",
                "currency",
                "launched_on",
                *summary_fields("name", "summary"),
                *(f"launched_at__{name}" for name in summary_fields("name")),
            )
        )


class InitiativeDetailView(PreviewMixin, DetailView):
    model = Initiative
    template_name = "alliance/initiative_detail.html"

    def get_base_queryset(self):
        return Initiative.objects.select_related("launched_at").prefetch_related(
            Prefetch(
                "participations",
                queryset=Participation.objects.public(),
                to_attr="public_participations",
            )
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["event"] = self.object.public_launched_at
        context["has_example_participants"] = any(
            p.is_example for p in self.object.public_participations
        )
        return context


class PageDetailView(PreviewMixin, DetailView):
    model = Page


def search_kinds():
    """What the site search looks through, in the order its groups appear."""
    return [
        Kind(
            "news",
            _("News"),
            Article,
            "news:article-detail",
            order=("-published_at", "-pk"),
        ),
        Kind("members", _("Members"), Member, "members:member-detail", title="name"),
        Kind(
            "scenarios",
            _("Application scenarios"),
            Scenario,
            "alliance:scenario-detail",
        ),
        Kind(
            "events",
            _("Events"),
            Event,
            "alliance:event-detail",
            title="name",
            order=("-starts_on", "-pk"),
        ),
        Kind(
            "initiatives",
            _("Initiatives"),
            Initiative,
            "alliance:initiative-detail",
            title="name",
        ),
        Kind(
            "pages", pgettext_lazy("site pages", "Pages"), Page, "alliance:page-detail"
        ),
    ]


@allow("GET")
def search(request):
    """One search over news, members, scenarios, events, initiatives and site pages."""
    query = request.GET.get("q", "")
    # The answer is kept like a shared fragment: a popular query is worked
    # out once per change of the content.
    digest = hashlib.md5(
        f"{get_language()}|{query}".encode(), usedforsecurity=False
    ).hexdigest()
    result = remember(f"search:{digest}", lambda: SiteSearch(query, search_kinds()))
    status = 400 if result.error else 200
    return render(request, "alliance/search.html", {"search": result}, status=status)


@allow("GET")
def robots_txt(request):
    """Let crawlers in everywhere but the admin, and tell them where the sitemap is."""
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}",
    ]
    return HttpResponse(
        "\n".join(lines) + "\n", content_type="text/plain; charset=utf-8"
    )


def bad_request(request, exception):
    """The 400 page, saying what was wrong with the request; JSON in the API."""
    if isinstance(exception, DisallowedHost):
        # The page's layout and every link in it are built from the host,
        # which is the part that is wrong: a page that needs none of it.
        if request.path.startswith("/api/"):
            return JsonResponse(
                {
                    "status": 400,
                    "detail": "This site is not served under that host name.",
                },
                status=400,
            )
        return HttpResponseBadRequest(render_to_string("400_host.html"))
    if request.path.startswith("/api/"):
        return JsonResponse({"status": 400, "detail": str(exception)}, status=400)
    return render(request, "400.html", {"message": str(exception)}, status=400)


def server_error(request):
    """The 500 answer: JSON for the API, whose clients parse every answer, else the page."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"status": 500, "detail": "Something went wrong on our side."},
            status=500,
        )
    return defaults.server_error(request)
