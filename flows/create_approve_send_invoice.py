"""Invoice request → preview → approval → create finalized → PDF → e-mail → audit, on every accounting system.

The flow speaks only the neutral actions (`LEXFLOW_PROVIDER` picks the system; docs/flows.md#choosing-the-provider)
and branches on capabilities, never on a provider's name.

Approval comes BEFORE creation on purpose, for every provider: the person decides in lexflow (Slack or the Prefect
UI), never through a provider's own approval state. On Lexware Office this is also the only safe order: its API can
neither finalize a draft later nor delete or void an invoice (docs/lexware.md#sales-documents-are-final), and
QuickBooks has no drafts at all. Where a provider has drafts lexflow still creates only after the approval, so on a
rejection or expiry nothing exists anywhere.

Re-runs are safe: the request's business key (`request_id`, else a digest of the request) keys the create task's
persisted result and the operations-ledger row, and is the invoice's `reference`, so a crash after creation followed
by a rerun continues with the existing invoice (no second approval, no second invoice, no second mail); an unknown
outcome is settled by the provider's exact lookup of that reference.

No `from __future__ import annotations` here: `serve()` ships the flow to its subprocess with cloudpickle, which
keeps only the globals the function body uses, so a parameter annotated with the string "InvoiceRequest" could not be
resolved there and every served run failed parameter validation (tests/flows/test_invoice_suspend.py).
"""

from datetime import date, timedelta
from typing import Any, Self

from prefect.runtime import flow_run
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from lexflow.actions.approvals import StoreApprovals
from lexflow.actions.neutral.invoices import CreateInvoiceOutput
from lexflow.approvals.models import DecisionRequest, Summary, SummaryField, SummaryLine, Totals, slug
from lexflow.core.models import CurrencyCode, Customer, InvoiceDraft, InvoiceLineDraft, InvoicePreview
from lexflow.ledger import Ledger
from lexflow.operations import Operations, request_digest
from lexflow.prefect.artifacts import audit_artifact, invoice_outcome_artifact
from lexflow.prefect.flow import SmtpUrl, lexflow_flow
from lexflow.prefect.flow import smtp_url as smtp_url_for
from tasks.audit import audit
from tasks.common import business_key, current_provider, digest, run_logger
from tasks.contacts import find_customers_by_email, get_customer
from tasks.invoices import (
    INVOICE,
    create_invoice,
    finalized_invoice_input,
    invoice_pdf,
    preview_invoice,
    settle_invoice,
)
from tasks.mail import send_document_mail


class InvoiceRequest(BaseModel):
    """Who gets billed for what. Give exactly one of customer_id, email or crm_id."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    request_id: str | None = Field(
        default=None,
        min_length=4,
        max_length=80,
        pattern=r"^[\w./#:-]+$",
        description="Your reference (order number), 4 to 80 characters; the business key that makes reruns safe. "
        "The invoice carries it (as its reference), so a repeat after a lost answer finds the invoice.",
    )
    customer_id: str | None = Field(
        default=None, validation_alias=AliasChoices("customer_id", "contact_id"), description="The customer's id."
    )
    email: str | None = Field(default=None, description="Find the customer by this e-mail address.")
    crm_id: str | None = Field(default=None, description="Find the customer through the CRM ledger.")
    crm_source: str = "crm"
    lines: list[InvoiceLineDraft] = Field(
        min_length=1,
        max_length=300,
        description="name, quantity, unit, unit_price, tax (standard|reduced|zero or code)",
    )
    prices_include_tax: bool = Field(default=False, description="unit_price is gross (tax included).")
    currency: CurrencyCode = "EUR"
    service_date: date | None = Field(default=None, description="Leistungsdatum; default: none printed.")
    issue_date: date | None = Field(
        default=None, validation_alias=AliasChoices("issue_date", "voucher_date"), description="Default: today."
    )
    payment_term_days: int = Field(default=14, ge=0, le=365)
    title: str | None = Field(default=None, max_length=25)
    note: str | None = Field(
        default=None, max_length=2000, validation_alias=AliasChoices("note", "remark"), description="Below the lines."
    )
    send_to: str | None = Field(default=None, description="Recipient; default: the customer's first e-mail address.")

    @model_validator(mode="after")
    def _one_customer_ref(self) -> Self:
        given = [k for k in ("customer_id", "email", "crm_id") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError(f"give exactly one of customer_id, email or crm_id (got {given or 'none'})")
        return self


def resolve_customer(req: InvoiceRequest, profile: str | None, database_url: str | None) -> Customer:
    """The customer, found by id, e-mail or CRM id; errors say how to fix the request."""
    if req.customer_id:
        return get_customer(req.customer_id, profile=profile)
    if req.email:
        found = find_customers_by_email(req.email, profile=profile)
        if len(found) != 1:
            raise ValueError(
                f"email {req.email!r} matches {len(found)} customers; give customer_id instead"
                if found
                else f"no customer has e-mail {req.email!r}; run crm_lead_to_customer first or give customer_id"
            )
        return found[0]
    cid = Ledger(database_url).contact_for(str(req.crm_id), req.crm_source)
    if cid is None:
        raise ValueError(f"CRM id {req.crm_id!r} is not in the ledger; run crm_lead_to_customer for it first")
    return get_customer(cid, profile=profile)


def draft_for(req: InvoiceRequest, customer_id: str, reference: str | None = None) -> InvoiceDraft:
    """The neutral `preview_invoice` / `create_invoice` draft (each provider's adapter builds its request body)."""
    return InvoiceDraft(
        customer_id=customer_id,
        issue_date=req.issue_date or date.today(),
        service_date=req.service_date,
        payment_term_days=req.payment_term_days,
        currency=req.currency,
        prices_include_tax=req.prices_include_tax,
        lines=req.lines,
        reference=reference,
        title=req.title,
        note=req.note,
        finalize=True,
    )


def decision_request(
    draft: InvoiceDraft,
    name: str,
    recipient: str,
    preview: InvoicePreview,
    key: str,
    approvers: list[str],
    expires: timedelta,
) -> DecisionRequest:
    amounts = preview.line_amounts
    lines = [
        SummaryLine(
            description=li.name,
            quantity=li.quantity,
            unit=li.unit,
            unit_price=li.unit_price,
            amount=amounts[i] if i < len(amounts) else None,
        )
        for i, li in enumerate(draft.lines)
    ]
    return DecisionRequest(
        subject=f"Invoice for {name}: {preview.total_gross:.2f} {preview.currency}",
        summary=Summary(
            fields=[
                SummaryField(label="Customer", value=name),
                SummaryField(label="Send to", value=recipient),
                SummaryField(label="Reference", value=draft.reference or key),
            ],
            lines=lines,
            totals=Totals(
                net=preview.total_net, tax=preview.total_tax, gross=preview.total_gross, currency=preview.currency
            ),
            due_date=(draft.issue_date or date.today()) + timedelta(days=draft.payment_term_days or 0),
        ),
        approvers=approvers,
        expires_in=expires,
        kind="invoice",
        key=slug(f"invoice-{key[-24:]}", 60),
        links=[],
    )


@lexflow_flow(name="create-approve-send-invoice", persist_result=True)
def create_approve_send_invoice(
    request: InvoiceRequest,
    smtp_url: SmtpUrl | None = None,
    smtp_secret: str | None = None,
    sender: str = "rechnung@localhost",
    approvers: list[str] | None = None,
    expires_in_minutes: int = 24 * 60,
    approval_poll_interval: float | None = None,
    profile: str | None = None,
    database_url: str | None = None,
    resend_mail: bool = False,
) -> dict[str, Any]:
    """Create, approve and send one invoice. Returns status `sent`, `rejected` or `expired` with the ids.

    A rerun with the same `request_id` continues where the last run stopped and never creates, asks or mails twice;
    with other data under the same `request_id` it is refused. If an earlier run died while mailing, the rerun says
    "possibly sent at … (Message-ID …)" and fails; `resend_mail=true` sends it again.

    SMTP: `smtp_url` without credentials, or `smtp_secret` (a Prefect Secret block holding the URL), or
    `LEXFLOW_SMTP_URL` on the worker; flow parameters are stored in plain text, so passwords never go there.
    """
    log = run_logger()
    mail_server = smtp_url_for(smtp_url, smtp_secret)  # fails before anything is asked or created
    ledger = Ledger(database_url)
    provider = current_provider(profile)
    customer = resolve_customer(request, profile, database_url)
    recipient = request.send_to or next(iter(customer.emails), None)
    if not recipient:
        raise ValueError(
            f"customer {customer.name!r} ({customer.id}) has no e-mail address; set send_to in the request"
        )
    draft = draft_for(request, customer.id)
    key = business_key("invoice", request.request_id or digest({**draft.model_dump(mode="json"), "send_to": recipient}))
    # The request as given (not the draft: its default issue date is today's) is what the key stands for.
    request_hash = request_digest({**request.model_dump(mode="json"), "customer_id": customer.id, "send_to": recipient})
    ops = Operations(database_url)
    earlier = ops.get(INVOICE, key)
    if earlier is not None and earlier.pending:  # an earlier run died or lost the answer around the create
        settle_invoice(
            key, database_url=database_url, profile=profile
        )  # the exact lookup by reference: created, or certainly not
    ops.check(
        INVOICE, key, request_hash, what=f"request_id {request.request_id or key!r}",
        hint="An issued invoice cannot be changed: use a new request_id for a new invoice, and cancel it in the "
        "accounting system if it was wrong.",
    )  # fmt: skip
    earlier = ops.get(INVOICE, key)
    if earlier is not None and earlier.digest != request_hash:  # never created, asked for other data: start afresh
        earlier = None
    # Approved in an earlier run: created then, or provably not and its approval still allows the call.
    reuse = earlier is not None and (earlier.done or StoreApprovals().still_usable(earlier.request["approval_ref"]))
    # A repeat sends exactly what was approved (same issue date, same reference).
    if earlier is not None and reuse:
        draft = InvoiceDraft.model_validate(earlier.request["draft"])
    else:
        draft = draft.model_copy(update={"reference": request.request_id or key})
    preview = preview_invoice(draft, profile=profile)
    if preview.warnings:
        raise ValueError("the invoice would be refused: " + "; ".join(preview.warnings))
    gross = preview.total_gross

    done = ledger.sent_invoice(key)
    if done is not None:  # a rerun after a crash past creation: continue, never ask or create again
        # The ledger, not a cached task result, is the proof: result storage may live on another machine.
        log.info("request %s already approved by %s and created as %s; continuing", key, done.approver, done.invoice_id)
        approver, approval_ref = done.approver, str((done.extra or {}).get("approval_ref") or "")
        invoice_id, number = done.invoice_id, done.voucher_number
    else:
        if earlier is not None and reuse:
            approver, approval_ref = str(earlier.request["approver"]), str(earlier.request["approval_ref"])
            log.info("request %s was approved by %s in an earlier run; not asking again", key, approver)
        else:
            from lexflow.actions.approvals import approval_digest
            from lexflow.approvals import request_approval

            ask = decision_request(
                draft, customer.name, recipient, preview, key, approvers or [], timedelta(minutes=expires_in_minutes)
            )
            # Bind the approval to exactly the call below: any other action or argument is refused by create_invoice.
            bound = approval_digest("create_invoice", finalized_invoice_input(draft, gross))
            ask = ask.model_copy(update={"action": "create_invoice", "args_digest": bound})
            # Keyed by the request: a rerun after a run that died while waiting reuses that request, no new message.
            decision = request_approval(ask, poll_interval=approval_poll_interval, business_key=key)
            if not decision.approved:
                status = "expired" if decision.expired else "rejected"
                log.warning("invoice %s %s by %s: %s; nothing was created", key, status, decision.approver,
                            decision.reason)  # fmt: skip
                audit_artifact()
                return {"status": status, "approver": decision.approver, "reason": decision.reason, "request_key": key}
            approver = decision.approver
            approval_ref = str(decision.approval_ref)
        created = (
            CreateInvoiceOutput.model_validate(earlier.result) if earlier is not None and earlier.done else None
        ) or create_invoice(
            draft, request_key=key, approval_ref=approval_ref, expected_total_gross=gross, profile=profile,
            request_digest=request_hash, approver=approver, database_url=database_url,
        )  # fmt: skip
        invoice_id, number = created.invoice.id, created.invoice.number
        ledger.record_sent_invoice(
            request_key=key, invoice_id=invoice_id, voucher_number=number, contact_id=customer.id, approver=approver,
            recipient=recipient, flow_run_id=str(flow_run.id), extra={"approval_ref": approval_ref},
        )  # fmt: skip
    total = f"{gross:.2f}"
    sent = {
        "status": "sent", "invoice_id": invoice_id, "voucher_number": number, "approver": approver,
        "total_gross": total, "request_key": key,
    }  # fmt: skip
    link = provider.view_url("invoice", invoice_id)
    if done is not None and done.message_id:
        log.info("invoice %s was already mailed (Message-ID %s); nothing to do", number, done.message_id)
        invoice_outcome_artifact(number, invoice_id, total, recipient, done.message_id, approver, link)
        return {**sent, "message_id": done.message_id}
    pdf = invoice_pdf(invoice_id, profile=profile)
    message_id = send_document_mail(
        mail_server,
        document_id=f"{provider.name}:{invoice_id}",  # ids are the provider's own: two providers may share one
        to=recipient,
        subject=f"Rechnung {number}",
        body=f"Guten Tag,\n\nanbei erhalten Sie unsere Rechnung {number} über {total} {preview.currency}.\n\n"
        "Mit freundlichen Grüßen",
        content=pdf,
        filename=f"Rechnung-{number or invoice_id}.pdf",
        sender=sender,
        database_url=database_url,
        resend=resend_mail,
    )
    ledger.record_sent_invoice(
        request_key=key, invoice_id=invoice_id, voucher_number=number, contact_id=customer.id, approver=approver,
        recipient=recipient, message_id=message_id, flow_run_id=str(flow_run.id), extra={"approval_ref": approval_ref},
    )  # fmt: skip
    audit(
        "flow.invoice_sent",
        key,
        {"approver": approver, "invoice_id": invoice_id, "voucher_number": number, "message_id": message_id,
         "total_gross": total, "request_key": key},
        [invoice_id, customer.id],
        approval_ref=approval_ref,
    )  # fmt: skip
    log.info("invoice %s (%s) approved by %s and mailed (Message-ID %s)", number, invoice_id, approver, message_id)
    invoice_outcome_artifact(number, invoice_id, total, recipient, message_id, approver, link)
    audit_artifact()
    return {**sent, "message_id": message_id}
