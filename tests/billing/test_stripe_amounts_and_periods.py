"""Pure rules of the Stripe handlers: how an email says an amount, and which period an invoice
opens (a renewal's line, never a proration's or a one-off item's)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pitchlab.billing.subscriptions import format_amount
from pitchlab.providers.payments import paid_period

START, END = 1_790_000_000, 1_792_592_000


@pytest.mark.parametrize(("amount", "currency", "said"), [
    (4900, "usd", "$49.00"),
    (4900, "eur", "49,00 EUR"),
    (19905, "gbp", "199.05 GBP"),
    (5, "usd", "$0.05"),
    (0, "eur", "0,00 EUR"),
    (4900, "jpy", "4900 JPY"),  # zero-decimal: Stripe counts yen, not hundredths
])
def test_an_amount_reads_as_the_email_says_it(amount, currency, said):
    assert format_amount(amount, currency) == said


def line(start: int, end: int, *, proration: bool = False, kind: str = "subscription") -> dict:
    if kind == "subscription":
        parent = {"type": "subscription_item_details", "subscription_item_details": {
            "proration": proration, "subscription": "sub_1", "subscription_item": "si_1"}}
    else:
        parent = {"type": "invoice_item_details", "invoice_item_details": {"invoice_item": "ii"}}
    return {"object": "line_item", "period": {"start": start, "end": end}, "parent": parent}


def invoice(*lines: dict) -> dict:
    return {"id": "in_1", "object": "invoice", "lines": {"object": "list", "data": list(lines)},
            "period_start": START - 100, "period_end": START}


def test_a_renewal_opens_the_period_of_its_subscription_line():
    assert paid_period(invoice(line(START, END))) == (
        datetime.fromtimestamp(START, UTC), datetime.fromtimestamp(END, UTC))


def test_prorations_and_one_off_items_before_the_renewal_line_are_skipped():
    found = paid_period(invoice(line(START - 50, START, proration=True),
                                line(START - 10, START, kind="invoice_item"),
                                line(START, END)))
    assert found is not None and found[0] == datetime.fromtimestamp(START, UTC)


def test_an_invoice_of_prorations_only_opens_no_period():
    assert paid_period(invoice(line(START + 99, END, proration=True))) is None
    assert paid_period(invoice()) is None


def test_an_older_api_versions_line_with_its_proration_flag_on_the_line_is_understood():
    old = {"object": "line_item", "type": "subscription", "proration": True,
           "period": {"start": START + 5, "end": END}}
    assert paid_period(invoice(old)) is None
    assert paid_period(invoice({**old, "proration": False})) is not None
