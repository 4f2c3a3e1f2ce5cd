import csv

from csp.decorators import csp_replace
from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.generic import DetailView, ListView
from django_countries import countries

from alliance.kernel.api.backends import client_address
from alliance.kernel.http import allow
from alliance.kernel.listing import ListPageMixin
from alliance.kernel.preview import PreviewMixin
from alliance.kernel.shared_cache import count as count_in_window

from .forms import MembershipApplicationForm
from .models import Member, Sector, Tier
from .services import application_submit
from .spreadsheets import BYTE_ORDER_MARK, escape_formula

MAX_QUERY_LENGTH = 100


class DirectoryFilter:
    """The directory's filters (?sector=, ?country=, ?tier=, ?q=), shared by the page and the CSV."""

    def __init__(self, params):
        self.sector = self.tier = None
        self.country = ""
        self.query = params.get("q", "").strip()[:MAX_QUERY_LENGTH]
        if slug := params.get("sector"):
            self.sector = Sector.objects.published().filter(slug=slug).first()
            if self.sector is None:
                raise BadRequest(
                    _("Unknown sector “%(value)s”.") % {"value": slug[:50]}
                )
        if slug := params.get("tier"):
            self.tier = Tier.objects.published().filter(slug=slug).first()
            if self.tier is None:
                raise BadRequest(
                    _("Unknown membership tier “%(value)s”.") % {"value": slug[:50]}
                )
        if code := params.get("country"):
            code = code.upper()
            if code not in countries:
                raise BadRequest(
                    _(
                        "Unknown country or region code “%(value)s”: use a two-letter ISO code."
                    )
                    % {"value": code[:10]}
                )
            self.country = code

    @property
    def active(self):
        return bool(self.sector or self.tier or self.country or self.query)

    def apply(self, members, *, skip=None):
        if self.sector and skip != "sector":
            members = members.in_sector(self.sector)
        if self.tier and skip != "tier":
            members = members.in_tier(self.tier)
        if self.country and skip != "country":
            members = members.in_country(self.country)
        if self.query:
            # The site search's index: every word (or Chinese pair) must match.
            members = members.search(self.query)
        return members


class MemberListView(ListPageMixin, ListView):
    """The directory: published members grouped by tier, with filters and counts."""

    template_name = "members/member_list.html"
    paginate_by = 48

    def get_queryset(self):
        self.filters = DirectoryFilter(self.request.GET)
        return self.filters.apply(Member.objects.published().tiles())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop(self.page_kwarg, None)
        context.update(
            filters=self.filters, facets=self.facets, facet_key=query.urlencode()
        )
        return context

    def facets(self):
        """Members per sector, tier and country, each counted under the other active filters.

        Counting a large directory three ways costs more than the rest of the
        page; the template remembers the result until the content changes.
        """
        filters = self.filters
        published = Member.objects.published()
        sector_counts = filters.apply(published, skip="sector").counts_by_sector()
        tier_counts = filters.apply(published, skip="tier").counts_by_tier()
        country_counts = filters.apply(published, skip="country").counts_by_country()
        return {
            "sectors": [
                (s, sector_counts.get(s.pk, 0)) for s in Sector.objects.published()
            ],
            "tiers": [(t, tier_counts.get(t.pk, 0)) for t in Tier.objects.published()],
            "countries": sorted(
                ((code, countries.name(code), n) for code, n in country_counts.items()),
                key=lambda c: c[1],
            ),
        }


class MemberDetailView(PreviewMixin, DetailView):
    model = Member
    template_name = "members/member_detail.html"

    def get_base_queryset(self):
        return Member.objects.for_detail()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        member = self.object
        # Lazy: the template reads them inside a cached fragment, so they run
        # only when it is rendered again (after a change of the content).
        # The scenarios and initiatives are the content app's models, reached
        # through their relations: their querysets hold their shapes.
        context.update(
            sectors=member.sectors.published().links(),
            latest_articles=member.articles.published().newest_first().links()[:10],
            participations=member.scenario_participations.in_published_scenarios().scenario_links(),
            initiatives=member.initiatives.published().links(),
        )
        return context


PUBLIC_CSV_COLUMNS = [
    "slug",
    "name",
    "short_name",
    "tier",
    "sectors",
    "country",
    "city",
    "website",
    "joined_on",
    "summary",
    "url",
]


@allow("GET")
def export_csv(request):
    """The published directory as open data, with the page's filters applied."""
    filters = DirectoryFilter(request.GET)
    members = filters.apply(Member.objects.published()).for_export()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="members.csv"'
    # The byte-order mark makes Excel read the file as UTF-8 (Chinese names).
    response.write(BYTE_ORDER_MARK)
    writer = csv.writer(response)
    writer.writerow(PUBLIC_CSV_COLUMNS)
    for member in members:
        writer.writerow(
            escape_formula(value)
            for value in [
                member.slug,
                member.name,
                member.short_name,
                member.public_tier.slug if member.public_tier else "",
                ";".join(sector.slug for sector in member.sectors.all()),
                member.country.code,
                member.city,
                member.website,
                member.joined_on.isoformat() if member.joined_on else "",
                member.summary,
                request.build_absolute_uri(member.get_absolute_url()),
            ]
        )
    return response


@allow("GET")
@xframe_options_exempt
# Only who may frame the page changes; the rest of the site's policy still holds.
@csp_replace({"frame-ancestors": ["*"]})
def embed(request):
    """A logo wall for members' and partners' sites; the only page that may be framed."""
    members = Member.objects.published().logo_wall()
    return render(request, "members/embed.html", {"members": members})


JOIN_RATE_LIMIT = 5  # submissions per client address
JOIN_RATE_WINDOW = 60 * 60  # seconds


@allow("GET", "POST")
def join(request):
    """The application form. Honeypot, CSRF and a per-address rate limit keep spam out."""
    if request.method == "POST":
        # Counted in the shared cache; in this worker's memory while it is away.
        attempts = count_in_window(
            f"join-rate:{client_address(request)}", JOIN_RATE_WINDOW
        )
        if attempts > JOIN_RATE_LIMIT:
            response = render(request, "members/join_rate_limited.html", status=429)
            response["Retry-After"] = str(JOIN_RATE_WINDOW)
            return response
        form = MembershipApplicationForm(request.POST)
        if form.is_valid():
            application_submit(
                form=form, site_url=settings.SITE_URL, language=request.LANGUAGE_CODE
            )
            return redirect("members:join-thanks")
    else:
        form = MembershipApplicationForm()
    return render(
        request, "members/join.html", {"form": form}, status=400 if form.errors else 200
    )


@allow("GET")
def join_thanks(request):
    return render(
        request,
        "members/join_thanks.html",
        {"directory_url": reverse("members:member-list")},
    )
