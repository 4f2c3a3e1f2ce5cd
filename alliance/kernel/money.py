"""Money amounts as readers say them: "100 billion yuan", "1000亿元"."""

from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import get_language

# English reads large amounts in thousands; Chinese in 万 (10^4) and 亿 (10^8).
ENGLISH_UNITS = [
    (Decimal(10) ** 12, "trillion"),
    (Decimal(10) ** 9, "billion"),
    (Decimal(10) ** 6, "million"),
]
CHINESE_UNITS = [(Decimal(10) ** 8, "亿"), (Decimal(10) ** 4, "万")]

ENGLISH_CURRENCY = {"CNY": ("", " yuan"), "USD": ("US$", ""), "EUR": ("€", "")}
CHINESE_CURRENCY = {"CNY": "元", "USD": "美元", "EUR": "欧元"}


def _short(value: Decimal) -> str:
    """At most two decimals, none when the value is whole."""
    value = value.quantize(Decimal("0.01")).normalize()
    text = format(value, "f")
    return text


def format_money(amount, currency: str, language: str | None = None) -> str:
    if amount is None:
        return ""
    amount = Decimal(amount)
    language = (language or get_language() or "en").lower()
    if language.startswith("zh"):
        suffix = CHINESE_CURRENCY.get(currency, currency)
        for size, unit in CHINESE_UNITS:
            if abs(amount) >= size:
                return f"{_short(amount / size)}{unit}{suffix}"
        return f"{_short(amount)}{suffix}"
    prefix, suffix = ENGLISH_CURRENCY.get(currency, (f"{currency} ", ""))
    for size, unit in ENGLISH_UNITS:
        if abs(amount) >= size:
            return f"{prefix}{_short(amount / size)} {unit}{suffix}"
    whole = amount == amount.to_integral_value()
    text = number_format(
        amount, decimal_pos=0 if whole else 2, use_l10n=True, force_grouping=True
    )
    return f"{prefix}{text}{suffix}"
