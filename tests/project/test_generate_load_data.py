import pytest
from django.core.management import CommandError, call_command

from alliance.content.models import Event, Scenario
from alliance.kernel import changes
from members.models import Member
from news.models import Article, Tag

pytestmark = pytest.mark.django_db


def generate(*args, **options):
    from io import StringIO

    out = StringIO()
    call_command("generate_load_data", *args, stdout=out, **options)
    return out.getvalue()


def test_scale_1x_makes_the_demo_size_clearly_marked_and_stales_the_cache():
    before = changes.current_generation()
    output = generate("--scale", "1x")
    assert "Load data in place" in output
    assert Member.objects.filter(slug__startswith="load-").count() == 100
    assert Article.objects.filter(slug__startswith="load-").count() == 1000
    assert Scenario.objects.filter(slug__startswith="load-").count() == 10
    assert Event.objects.filter(slug__startswith="load-").count() == 5
    assert Tag.objects.filter(slug__startswith="load-").count() == 1
    article = Article.objects.filter(slug__startswith="load-").first()
    assert (
        "Synthetic load-test record" in article.body_en
        and "合成记录" in article.body_zh_hans
    )
    assert article.tags.exists() and article.members.exists()
    assert changes.current_generation() != before


def test_the_same_seed_gives_the_same_data_and_clear_replaces_it():
    generate(scale=1, seed=7)
    first = list(
        Article.objects.filter(slug__startswith="load-")
        .order_by("slug")
        .values_list("title_en", "status")[:50]
    )
    with pytest.raises(CommandError, match="--clear"):
        generate(scale=1, seed=7)
    generate(scale=1, seed=7, clear=True)
    again = list(
        Article.objects.filter(slug__startswith="load-")
        .order_by("slug")
        .values_list("title_en", "status")[:50]
    )
    assert first == again
    assert Member.objects.filter(slug__startswith="load-").count() == 100


@pytest.mark.parametrize("scale", ["500x", "0", "big"])
def test_scale_out_of_range_is_refused(scale):
    with pytest.raises(CommandError, match="1x to 100x"):
        generate("--scale", scale)
    with pytest.raises(CommandError, match="1x to 100x"):
        generate(scale=500)
