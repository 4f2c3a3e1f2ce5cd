from django.core.exceptions import BadRequest
from django.db.models import Count, Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django.views.generic import DetailView, ListView

from members.models import Member, Sector
from news.models import Article

from . import ical
from .models import (
    Event,
    Field,
    Initiative,
    Page,
    Scenario,
    ScenarioParticipation,
    ScenarioStage,
)
from .preview import PreviewMixin
from .search import SiteSearch


def published_participations():
    return ScenarioParticipation.objects.filter(
        member__in=Member.objects.published()
    ).select_related("member")


@require_GET
def home(request):
    """The alliance at a glance: figures, members by sector, news, scenarios, events, logos."""
    members = Member.objects.published()
    articles = Article.objects.published()
    sectors = (
        Sector.objects.published()
        .annotate(member_count=Count("members", filter=Q(members__in=members)))
        .filter(member_count__gt=0)
        .order_by("-member_count", "order")
    )
    latest = list(articles.newest_first()[:6])
    featured = articles.featured().newest_first().first()
    context = {
        "figures": {
            "members": members.count(),
            "scenarios": Scenario.objects.published().count(),
            "articles": articles.count(),
        },
        "sectors": list(sectors),
        "featured": featured,
        "latest": [article for article in latest if article != featured][:4],
        "fields": Field.objects.published()
        .annotate(
            scenario_count=Count(
                "scenarios", filter=Q(scenarios__in=Scenario.objects.published())
            )
        )
        .filter(scenario_count__gt=0),
        "events": Event.objects.published().upcoming()[:3],
        "logo_members": members.exclude(logo="").order_by("tier__order", "name")[:24],
    }
    return render(request, "alliance/home.html", context)


class ScenarioListView(ListView):
    """Published scenarios grouped by field; filters ?field= and ?stage=."""

    template_name = "alliance/scenario_list.html"

    def get_queryset(self):
        scenarios = (
            Scenario.objects.published()
            .select_related("field")
            .order_by("field__order", "title")
        )
        self.field = self.stage = None
        if slug := self.request.GET.get("field"):
            self.field = Field.objects.published().filter(slug=slug).first()
            if self.field is None:
                raise BadRequest(_("Unknown field “%(value)s”.") % {"value": slug[:50]})
            scenarios = scenarios.in_field(self.field)
        if stage := self.request.GET.get("stage"):
            if stage not in ScenarioStage.values:
                raise BadRequest(
                    _("Unknown stage “%(value)s”. Use one of: %(stages)s.")
                    % {"value": stage[:50], "stages": ", ".join(ScenarioStage.values)}
                )
            self.stage = ScenarioStage(stage)
            scenarios = scenarios.at_stage(stage)
        return scenarios

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        published = Scenario.objects.published()
        stage_counts = dict(
            published.order_by()
            .values_list("stage")
            .annotate(n=Count("pk"))
            .values_list("stage", "n")
        )
        context.update(
            field=self.field,
            stage=self.stage,
            fields=Field.objects.published().annotate(
                scenario_count=Count("scenarios", filter=Q(scenarios__in=published))
            ),
            stages=[
                (stage, stage_counts.get(stage.value, 0)) for stage in ScenarioStage
            ],
        )
        return context


class ScenarioDetailView(PreviewMixin, DetailView):
    model = Scenario
    template_name = "alliance/scenario_detail.html"

    def get_base_queryset(self):
        return Scenario.objects.select_related(
            "field", "announced_at"
        ).prefetch_related(
            Prefetch(
                "participations",
                queryset=published_participations().order_by("role", "member__name"),
            ),
            Prefetch("articles", queryset=Article.objects.published().newest_first()),
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        event = self.object.announced_at
        context["event"] = event if event and event.is_published else None
        return context


class EventListView(ListView):
    template_name = "alliance/event_list.html"

    def get_queryset(self):
        return Event.objects.published()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        events = Event.objects.published()
        context["upcoming"] = events.upcoming()
        context["past"] = events.past()
        return context


class EventDetailView(PreviewMixin, DetailView):
    model = Event
    template_name = "alliance/event_detail.html"

    def get_base_queryset(self):
        return Event.objects.prefetch_related(
            Prefetch("articles", queryset=Article.objects.published().newest_first()),
            Prefetch("members", queryset=Member.objects.published().order_by("name")),
            Prefetch(
                "scenarios",
                queryset=Scenario.objects.published().select_related("field"),
            ),
            Prefetch("initiatives", queryset=Initiative.objects.published()),
        )


@require_GET
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


class InitiativeDetailView(PreviewMixin, DetailView):
    model = Initiative
    template_name = "alliance/initiative_detail.html"

    def get_base_queryset(self):
        return Initiative.objects.select_related("launched_at").prefetch_related(
            Prefetch(
                "participants", queryset=Member.objects.published().order_by("name")
            )
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        event = self.object.launched_at
        context["event"] = event if event and event.is_published else None
        return context


class PageDetailView(PreviewMixin, DetailView):
    model = Page


@require_GET
def search(request):
    """One search over news, members, scenarios and events."""
    result = SiteSearch(request.GET.get("q", ""))
    status = 400 if result.error else 200
    return render(request, "alliance/search.html", {"search": result}, status=status)


@require_GET
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
    """The 400 page, saying what was wrong with the request."""
    return render(request, "400.html", {"message": str(exception)}, status=400)
