import hashlib

from django.core.exceptions import BadRequest, DisallowedHost
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
    Scenario,
    ScenarioStage,
)
from alliance.kernel import ical
from alliance.kernel.http import allow
from alliance.kernel.listing import ListPageMixin
from alliance.kernel.preview import PreviewMixin
from alliance.kernel.response_cache import remember
from alliance.kernel.search import Kind, SiteSearch
from members.models import Member, Sector
from news.models import Article


def at_a_glance():
    """The alliance in figures: counts, members by sector, scenarios by field.

    Counting whole tables is the dearest part of the home page and changes
    only with the content, so the result is remembered until it does.
    """
    sectors = Sector.objects.published().with_member_counts()
    fields = Field.objects.published().with_scenario_counts().with_scenarios()
    return {
        "members": Member.objects.published().count(),
        "scenarios": Scenario.objects.published().count(),
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
    articles = Article.objects.published().teasers()
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
        .with_logo()
        .in_directory_order()[:24],
    }
    return render(request, "alliance/home.html", context)


class ScenarioListView(ListPageMixin, ListView):
    """Published scenarios grouped by field, a page at a time; filters ?field= and ?status=."""

    template_name = "alliance/scenario_list.html"
    paginate_by = 24

    def get_queryset(self):
        scenarios = Scenario.objects.published().cards().by_field()
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
        stage_counts = Scenario.objects.published().stage_counts()
        return {
            "fields": list(Field.objects.published().with_scenario_counts()),
            "stages": [
                (stage, stage_counts.get(stage.value, 0)) for stage in ScenarioStage
            ],
        }


class ScenarioDetailView(PreviewMixin, DetailView):
    model = Scenario
    template_name = "alliance/scenario_detail.html"

    def get_base_queryset(self):
        return Scenario.objects.for_detail()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["event"] = self.object.public_announced_at
        return context


class EventListView(ListPageMixin, ListView):
    """Upcoming events in full, then past ones, newest first, a page at a time."""

    template_name = "alliance/event_list.html"
    paginate_by = 24

    def get_queryset(self):
        return Event.objects.published().past().cards()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["upcoming"] = Event.objects.published().upcoming().cards()
        return context


class EventDetailView(PreviewMixin, DetailView):
    model = Event
    template_name = "alliance/event_detail.html"

    def get_base_queryset(self):
        return Event.objects.for_detail()


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
        return Initiative.objects.published().for_index().cards()


class InitiativeDetailView(PreviewMixin, DetailView):
    model = Initiative
    template_name = "alliance/initiative_detail.html"

    def get_base_queryset(self):
        return Initiative.objects.for_detail()

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
