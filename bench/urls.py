"""The site's URLs plus the two ceilings the benchmark measures pages against.

(a) /_bench/hello: the least a Django view can do behind the site's middleware.
(b) /_bench/one-query: one query of 20 rows rendered by a small template, the
    least a database-backed page can do.
"""

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from alliance.project import urls as site_urls
from news.models import Tag


# Never cached, so that in the cached pass the ceilings still measure views.
@never_cache
@require_GET
def hello(request):
    return HttpResponse("Hello, world.", content_type="text/plain")


@never_cache
@require_GET
def one_query(request):
    tags = list(Tag.objects.order_by("pk").values("slug", "name", "updated_at")[:20])
    return render(request, "bench/one_query.html", {"tags": tags})


urlpatterns = [
    path("_bench/hello", hello),
    path("_bench/one-query", one_query),
    *site_urls.urlpatterns,
]
handler400 = site_urls.handler400
