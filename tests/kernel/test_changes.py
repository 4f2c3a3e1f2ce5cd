"""The announcement of a public change, which the caching proxy's purges follow."""

import logging

import pytest

from alliance.kernel.changes import current_generation, public_content_changed
from alliance.kernel.proxy_cache import purge
from tests.factories import ArticleFactory
from tests.servers import WEB_PORTS, free_port


@pytest.mark.django_db(transaction=True)
def test_a_change_is_announced_once_the_change_time_has_moved():
    """A purge sent earlier would let the proxy refetch the answer kept from before."""
    announced = []

    def listen(sender, tables, **kwargs):
        announced.append((tables, current_generation()))

    before = current_generation()
    public_content_changed.connect(listen)
    try:
        ArticleFactory(slug="announced")
    finally:
        public_content_changed.disconnect(listen)

    assert announced
    assert "news_article" in announced[0][0]
    assert all(generation != before for _tables, generation in announced)


def test_a_proxy_that_does_not_answer_is_logged_not_raised(settings, caplog):
    settings.PROXY_PURGE_URLS = [f"http://127.0.0.1:{free_port(WEB_PORTS)}"]

    with caplog.at_level(logging.WARNING, logger="alliance.kernel.proxy_cache"):
        purged = purge(["news_article"])

    assert purged == 0
    assert "not purged of news_article" in caplog.text
