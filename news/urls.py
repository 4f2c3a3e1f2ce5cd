from django.urls import path

from alliance.kernel.http import allow

from . import feeds, views

app_name = "news"

urlpatterns = [
    path("", views.ArticleListView.as_view(), name="article-list"),
    path("feed/", allow("GET")(feeds.LatestArticlesFeed()), name="feed-rss"),
    path("feed/atom/", allow("GET")(feeds.LatestArticlesAtomFeed()), name="feed-atom"),
    path("<slug:slug>/", views.ArticleDetailView.as_view(), name="article-detail"),
]
