"""The 12 provider-neutral business actions through `run()` (policy and audit included), on every provider with an
adapter (each over its sandbox). What a provider cannot do is asserted as the typed error, never skipped."""

from __future__ import annotations

import base64
from datetime import date, timedelta

import pytest

from lexflow.actions import InvalidInput, Profile, registry, run
from lexflow.audit import Actor, AuditTrail
from lexflow.core import AdapterNotBuilt, CapabilityMissing
from lexflow.core.provider import Provider
from lexflow.providers import built

ALL = Profile(name="dev", scopes=["*"], approval_for=[])
TWELVE = [
    "create_invoice", "get_invoice", "list_invoices", "update_invoice", "create_customer", "get_customer",
    "search_customers", "create_expense", "list_expenses", "get_bank_transaction", "list_bank_transactions",
    "record_payment",
]  # fmt: skip
PDF = base64.b64encode(b"%PDF-1.4\n%%EOF\n").decode()


@pytest.fixture
def trail(tmp_path) -> AuditTrail:
    return AuditTrail(f"sqlite:///{tmp_path}/audit.db")


@pytest.fixture(params=built())
def backend(request) -> Provider:
    """The provider the actions run on. Lexware gets its client (the adapter is made by `run()` as in production),
    the others their adapter."""
    if request.param == "lexware":
        from lexflow.lexware.adapter import LexwareAdapter

        return LexwareAdapter(request.getfixturevalue("sandbox_client"))
    from lexflow.quickbooks.adapter import QuickBooksAdapter
    from lexflow.sevdesk.adapter import SevdeskAdapter
    from tests.xero.support import sandbox_adapter

    return {
        "sevdesk": lambda: SevdeskAdapter(request.getfixturevalue("sevdesk_client")),
        "xero": sandbox_adapter,
        "quickbooks": lambda: QuickBooksAdapter(request.getfixturevalue("quickbooks_client")),
    }[request.param]()


@pytest.fixture
def act(backend, trail):
    client = backend.client if backend.name == "lexware" else backend

    def _act(name: str, data: dict, **kw):
        kw.setdefault("profile", ALL)
        return run(name, data, actor=Actor.agent("pytest"), client=client, trail=trail, **kw)

    return _act


def test_the_twelve_are_registered():
    for name in TWELVE:
        action = registry.get(name)
        assert action.group == "neutral", name
        assert action.examples, name
        for example in action.examples:
            action.input_model.model_validate(example)


def test_the_plain_names_are_the_neutral_ones_and_lexwares_own_are_prefixed():
    for name in ("create_invoice", "create_expense"):
        assert registry.get(name).group == "neutral"
        assert registry.get(f"lexware_{name}").group == "lexware"


def test_customer_created_once_per_email(act, trail, backend):
    first = act("create_customer", {"name": "Neutral GmbH", "email": "Office@Neutral.de"})
    again = act("create_customer", {"name": "Neutral GmbH", "email": "office@NEUTRAL.de"})
    assert not first.already_existed and again.already_existed and again.customer.id == first.customer.id
    got = act("get_customer", {"id": first.customer.id})
    assert got.name == "Neutral GmbH" and got.provider == backend.name
    assert [c.id for c in act("search_customers", {"email": "office@neutral.de"}).items] == [first.customer.id]
    assert first.customer.id in [c.id for c in act("search_customers", {"name": "Neutral"}).items]
    assert [r.outcome for r in trail.list(action="create_customer")] == ["ok", "ok"]


def test_invoice_create_get_list_by_status(act, backend):
    cid = act("create_customer", {"name": "Status KG", "email": "status@kg.de"}).customer.id
    body = {
        "customer_id": cid,
        "finalize": True,
        "payment_term_days": 10,
        "issue_date": (date.today() - timedelta(days=30)).isoformat(),
        "reference": "ORDER-N-1",
        "lines": [{"name": "Beratung", "quantity": "2", "unit_price": "100.00", "tax": "standard"}],
    }
    made = act("create_invoice", body)
    assert not made.already_existed and made.invoice.status == "open" and made.invoice.overdue
    assert act("create_invoice", body).invoice.id == made.invoice.id  # the reference is the business key
    assert act("create_invoice", body).already_existed
    got = act("get_invoice", {"id": made.invoice.id})
    assert got.total_gross.amount == 238 and got.lines[0].tax.code == backend.tax.resolve("standard").code
    overdue = act("list_invoices", {"status": ["overdue"], "customer_id": cid})
    assert [i.id for i in overdue.items] == [made.invoice.id] and not overdue.truncated
    assert act("list_invoices", {"status": ["paid"], "customer_id": cid}).items == []
    one = act("list_invoices", {"limit": 1})
    assert len(one.items) == 1


def test_bad_tax_and_bad_status_name_the_field(act, backend):
    cid = act("create_customer", {"name": "Steuer AG"}).customer.id
    knows = f"tax: '21' is not a tax code {backend.capabilities.display_name} knows.*standard"
    with pytest.raises(InvalidInput, match=knows):
        act("create_invoice", {"customer_id": cid, "lines": [{"name": "x", "unit_price": "1", "tax": "21"}]})
    with pytest.raises(InvalidInput, match="status"):
        act("list_invoices", {"status": ["late"]})


OPTIONAL_CALLS = [
    ("record_payment", {"invoice_id": "5f1e3a7c-2b4d-4c6e-8f90-1a2b3c4d5e6f", "amount": "10", "paid_on": "2026-11-30"}, "record_payment"),
    ("get_bank_transaction", {"id": "4711"}, "read_bank_transactions"),
    ("list_bank_transactions", {}, "read_bank_transactions"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "data", "capability"), OPTIONAL_CALLS)
def test_what_a_provider_cannot_is_the_typed_error(act, trail, backend, name, data, capability):
    if backend.capabilities.supports(capability):
        return  # it can: test_payments_and_bank_lines_where_the_provider_can runs it
    with pytest.raises(CapabilityMissing) as exc:
        act(name, data)
    assert exc.value.capability == capability and exc.value.provider == backend.capabilities.display_name
    record = trail.list(action=name)[-1]
    assert record.outcome == "capability_missing" and "Instead:" in (record.error or "") and not record.http_calls


def test_payments_and_bank_lines_where_the_provider_can(act, trail, backend):
    caps = backend.capabilities
    if not (caps.supports("record_payment") and caps.supports("read_bank_transactions")):
        return  # the typed error: test_what_a_provider_cannot_is_the_typed_error
    cid = act("create_customer", {"name": "Zahler GmbH", "email": "zahlt@zahler.de"}).customer.id
    body = {
        "customer_id": cid,
        "finalize": True,
        "lines": [{"name": "Beratung", "unit_price": "100", "tax": "standard"}],
    }
    inv = act("create_invoice", body).invoice
    paid = act("record_payment", {"invoice_id": inv.id, "amount": "19.00", "paid_on": date.today().isoformat()})
    assert paid.amount.amount == 19 and act("get_invoice", {"id": inv.id}).status == "partially_paid"
    assert [r.outcome for r in trail.list(action="record_payment")] == ["ok"]
    assert [i.id for i in act("list_invoices", {"status": ["partially_paid"]}).items] == [inv.id]
    lines = act("list_bank_transactions", {"booked_from": date.today().isoformat()}).items
    assert [t.amount.amount for t in lines] == [19]
    assert act("get_bank_transaction", {"id": lines[0].id}).id == lines[0].id


def test_update_invoice_works_or_is_the_typed_error(act, backend):
    cid = act("create_customer", {"name": "Update GmbH"}).customer.id
    final = not backend.capabilities.supports("drafts")  # without drafts (QuickBooks) the invoice is final at once
    line = {"name": "x", "unit_price": "5", "tax": "zero"}
    inv = act("create_invoice", {"customer_id": cid, "lines": [line], "finalize": final})
    assert inv.invoice.status == ("open" if final else "draft")
    change = {"id": inv.invoice.id, "customer_id": cid, "lines": [{"name": "y", "unit_price": "6", "tax": "zero"}]}
    if backend.capabilities.supports("update_invoice"):
        changed = act("update_invoice", change)
        assert changed.id == inv.invoice.id and [line.name for line in changed.lines] == ["y"]
        return
    with pytest.raises(CapabilityMissing, match="cancel_invoice"):
        act("update_invoice", change)


def test_expense_booked_once_and_listed(act, folders):
    body = {
        "supplier_name": "Papier & Co",
        "number": "PC-991",
        "issue_date": date.today().isoformat(),
        "items": [{"amount": "59.50", "tax": "standard", "category": "Bürobedarf"}],
        "receipt": {"filename": "pc-991.pdf", "content_base64": PDF},
    }
    first = act("create_expense", body)
    assert act("create_expense", body).id == first.id and first.status == "open"
    listed = act("list_expenses", {"issued_from": date.today().isoformat()})
    assert [e.id for e in listed.items if e.number == "PC-991"] == [first.id]
    with pytest.raises(InvalidInput, match=r"items.category.*Use one of"):
        act(
            "create_expense",
            {**body, "number": "PC-992", "items": [{"amount": "1", "tax": "zero", "category": "Raumfahrt"}]},
        )


def test_provider_without_adapter_is_the_typed_error(monkeypatch, tmp_path, trail):
    from lexflow.providers import PROVIDERS, ProviderEntry
    from lexflow.settings import get_settings

    # a known provider whose adapter is not built (QuickBooks has one now: take it away for this test)
    monkeypatch.setitem(PROVIDERS, "quickbooks", ProviderEntry(PROVIDERS["quickbooks"].capabilities))
    monkeypatch.chdir(tmp_path)  # run() connects to Lexware's default backend (its sandbox file lands here)
    monkeypatch.setenv("LEXFLOW_PROVIDER", "quickbooks")
    get_settings.cache_clear()
    try:
        with pytest.raises(AdapterNotBuilt, match=r"QuickBooks Online.*lexware, sevdesk"):
            run("get_invoice", {"id": "5f1e3a7c-2b4d-4c6e-8f90-1a2b3c4d5e6f"}, profile=ALL, trail=trail)
        assert [r.outcome for r in trail.list(action="get_invoice")] == ["capability_missing"]
    finally:
        get_settings.cache_clear()


def test_read_only_profile_cannot_write(act):
    from lexflow.actions import PolicyDenied

    with pytest.raises(PolicyDenied):
        act("record_payment", {"invoice_id": "x1", "amount": "1", "paid_on": "2026-11-30"}, profile=Profile())
    assert act("list_invoices", {"limit": 1}, profile=Profile()).items == []


def test_blank_names_are_refused_by_field(act):
    with pytest.raises(InvalidInput, match="name"):
        act("create_customer", {"name": "   ", "kind": "person"})


def test_the_provider_comes_from_lexflow_provider_without_a_client(monkeypatch, tmp_path, trail):
    """`run()` with no client: LEXFLOW_PROVIDER=sevdesk and no token means the embedded sevDesk sandbox."""
    from lexflow.settings import get_settings

    monkeypatch.setenv("LEXFLOW_PROVIDER", "sevdesk")
    monkeypatch.delenv("SEVDESK_API_TOKEN", raising=False)
    monkeypatch.setenv("SEVDESK_SANDBOX_DB", str(tmp_path / "sevdesk.db"))
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    try:
        made = run("create_customer", {"name": "Env GmbH", "email": "env@env.de"}, profile=ALL, trail=trail)
        assert made.customer.provider == "sevdesk" and made.customer.id.isdigit()
        assert [r.http_calls[0].path for r in trail.list(action="create_customer")] == ["/CommunicationWay"]
    finally:
        get_settings.cache_clear()


def test_xero_without_credentials_is_the_embedded_xero_sandbox(monkeypatch, trail):
    from lexflow.settings import get_settings

    monkeypatch.setenv("LEXFLOW_PROVIDER", "xero")
    monkeypatch.delenv("XERO_CLIENT_ID", raising=False)
    get_settings.cache_clear()
    try:
        made = run("create_customer", {"name": "Env Ltd", "email": "env@env.example"}, profile=ALL, trail=trail)
        assert made.customer.provider == "xero"
        calls = [(c.method, c.path) for c in trail.list(action="create_customer")[0].http_calls]
        assert calls[-1] == ("PUT", "/api.xro/2.0/Contacts")  # searched by e-mail (GET) before the one create
        assert [m for m, _ in calls].count("PUT") == 1 and all(p == "/api.xro/2.0/Contacts" for _, p in calls)
    finally:
        get_settings.cache_clear()


async def test_mcp_gives_neutral_tools_the_configured_provider(monkeypatch, tmp_path):
    """One MCP server, two providers: the neutral tools on sevDesk (LEXFLOW_PROVIDER), Lexware's own on Lexware."""
    from mcp import Client

    from lexflow.actions.mcp import create_server
    from lexflow.settings import get_settings

    monkeypatch.setenv("LEXFLOW_PROVIDER", "sevdesk")
    monkeypatch.delenv("SEVDESK_API_TOKEN", raising=False)
    monkeypatch.setenv("SEVDESK_SANDBOX_DB", str(tmp_path / "sevdesk.db"))
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    try:
        server = create_server(
            only=["create_customer", "get_customer"], profile=ALL, audit_url=f"sqlite:///{tmp_path}/a.db"
        )
        async with Client(server) as mcp:
            made = await mcp.call_tool("create_customer", {"name": "MCP GmbH", "email": "mcp@mcp.de"})
            assert not made.is_error, made.content
            customer = made.structured_content["customer"]
            got = await mcp.call_tool("get_customer", {"id": customer["id"]})
            assert got.structured_content["provider"] == "sevdesk" and got.structured_content["name"] == "MCP GmbH"
    finally:
        get_settings.cache_clear()
