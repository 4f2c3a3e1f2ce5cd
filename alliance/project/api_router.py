"""The one router of the partner API, mounted at /api/v1/ (URL namespace "api").

Each app contributes read-only viewsets from its own `api.py`.
"""

from rest_framework import routers

from alliance.content.api import (
    EventViewSet,
    FieldViewSet,
    InitiativeViewSet,
    PageViewSet,
    ScenarioViewSet,
)
from alliance.kernel.api.common import PublicAPIMixin
from alliance.kernel.api.tombstones import TombstoneViewSet
from members.api import MemberViewSet, SectorViewSet
from news.api import ArticleViewSet, TagViewSet


class APIRootView(PublicAPIMixin, routers.APIRootView):
    """The list of resources, with the same headers and parameters as every answer."""


class Router(routers.DefaultRouter):
    APIRootView = APIRootView
    include_format_suffixes = False


router = Router(trailing_slash="/")
router.register("members", MemberViewSet, basename="member")
router.register("sectors", SectorViewSet, basename="sector")
router.register("news", ArticleViewSet, basename="article")
router.register("tags", TagViewSet, basename="tag")
router.register("scenarios", ScenarioViewSet, basename="scenario")
router.register("fields", FieldViewSet, basename="field")
router.register("events", EventViewSet, basename="event")
router.register("initiatives", InitiativeViewSet, basename="initiative")
router.register("pages", PageViewSet, basename="page")
router.register("tombstones", TombstoneViewSet, basename="tombstone")
