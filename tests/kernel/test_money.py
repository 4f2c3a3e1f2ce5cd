"""Amounts of money written the way each language says them."""

from decimal import Decimal

import pytest

from alliance.kernel.money import format_money


@pytest.mark.parametrize(
    ("amount", "currency", "english", "chinese"),
    [
        ("100000000000", "CNY", "100 billion yuan", "1000亿元"),
        ("140000000000", "USD", "US$140 billion", "1400亿美元"),
        ("10000000", "CNY", "10 million yuan", "1000万元"),
        ("1500", "EUR", "€1,500", "1500欧元"),
        ("2500000000000", "CNY", "2.5 trillion yuan", "25000亿元"),
    ],
)
def test_money_is_written_the_way_each_language_says_it(
    amount, currency, english, chinese
):
    assert format_money(Decimal(amount), currency, "en") == english
    assert format_money(Decimal(amount), currency, "zh-hans") == chinese
