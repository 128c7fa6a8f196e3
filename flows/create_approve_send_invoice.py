"""Invoice request → preview → approval → create finalized → PDF → e-mail → audit.

Approval comes BEFORE creation on purpose: the Lexware API can neither finalize a draft later nor delete or
void an invoice (docs/lexware.md#sales-documents-are-final). Creating a draft first would leave an undeletable draft on every rejection,
and an approved draft could still not be finalized through the API. So nothing exists in Lexware until a person
said yes; on rejection or expiry nothing is created.

Re-runs are safe: the request's business key (`request_id`, else a digest of the request) keys the create task's
persisted result and the ledger row, so a crash after creation followed by a rerun continues with the existing
invoice (no second approval, no second invoice, no second mail).

No `from __future__ import annotations` here: `serve()` ships the flow to its subprocess with cloudpickle, which
keeps only the globals the function body uses, so a parameter annotated with the string "InvoiceRequest" could not be
resolved there and every served run failed parameter validation (tests/flows/test_invoice_suspend.py).
"""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal, Self

from prefect.runtime import flow_run
from pydantic import BaseModel, ConfigDict, Field, model_validator

from lexflow.actions.approvals import StoreApprovals
from lexflow.approvals.models import DecisionRequest, Summary, SummaryField, SummaryLine, Totals, slug
from lexflow.ledger import Ledger
from lexflow.models import Contact
from lexflow.operations import Operations, request_digest
from lexflow.prefect.artifacts import audit_artifact, invoice_outcome_artifact
from lexflow.prefect.flow import SmtpUrl, lexflow_flow
from lexflow.prefect.flow import smtp_url as smtp_url_for
from tasks.audit import audit
from tasks.common import business_key, digest, get_client, run_logger
from tasks.contacts import find_contacts_by_email, get_contact
from tasks.invoices import (
    INVOICE,
    create_invoice,
    finalized_invoice_input,
    invoice_pdf,
    preview_invoice,
    settle_invoice,
)
from tasks.mail import send_document_mail


class InvoiceLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=255)
    quantity: Decimal = Field(default=Decimal(1), gt=0)
    unit_name: str = "Stück"
    unit_price: Decimal = Field(description="Net unit price (gross when tax_type=gross).")
    tax_rate: Decimal = Decimal(19)
    description: str | None = None


class InvoiceRequest(BaseModel):
    """Who gets billed for what. Give exactly one of contact_id, email or crm_id."""

    model_config = ConfigDict(extra="forbid")

    request_id: str | None = Field(
        default=None,
        min_length=4,
        max_length=80,
        description="Your reference (order number), 4 to 80 characters; the business key that makes reruns safe. "
        "It is printed on the invoice (remark 'Referenz: …'), so a repeat after a lost answer finds the invoice.",
    )
    contact_id: str | None = None
    email: str | None = Field(default=None, description="Find the customer by this e-mail address.")
    crm_id: str | None = Field(default=None, description="Find the customer through the CRM ledger.")
    crm_source: str = "crm"
    lines: list[InvoiceLine] = Field(min_length=1)
    tax_type: Literal["net", "gross", "vatfree"] = "net"
    service_date: date | None = Field(default=None, description="Leistungsdatum; default: the voucher date.")
    voucher_date: date | None = None
    payment_term_days: int = Field(default=14, ge=0, le=365)
    title: str | None = None
    introduction: str | None = None
    remark: str | None = None
    send_to: str | None = Field(default=None, description="Recipient; default: the contact's first e-mail address.")

    @model_validator(mode="after")
    def _one_customer_ref(self) -> Self:
        given = [k for k in ("contact_id", "email", "crm_id") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError(f"give exactly one of contact_id, email or crm_id (got {given or 'none'})")
        return self


def _contact_email(contact: dict[str, Any]) -> str | None:
    emails = contact.get("emailAddresses") or {}
    for kind in ("business", "office", "private", "other"):
        if emails.get(kind):
            return str(emails[kind][0])
    return None


def resolve_contact(req: InvoiceRequest, profile: str | None, database_url: str | None) -> dict[str, Any]:
    """The customer contact, found by id, e-mail or CRM id; errors say how to fix the request."""
    if req.contact_id:
        return get_contact(req.contact_id, profile=profile)
    if req.email:
        found = find_contacts_by_email(req.email, profile=profile)
        if len(found) != 1:
            raise ValueError(
                f"email {req.email!r} matches {len(found)} contacts; give contact_id instead"
                if found
                else f"no contact has e-mail {req.email!r}; run crm_lead_to_customer first or give contact_id"
            )
        return found[0]
    cid = Ledger(database_url).contact_for(str(req.crm_id), req.crm_source)
    if cid is None:
        raise ValueError(f"CRM id {req.crm_id!r} is not in the ledger; run crm_lead_to_customer for it first")
    return get_contact(cid, profile=profile)


def draft_for(req: InvoiceRequest, contact_id: str) -> dict[str, Any]:
    """The `preview_invoice` / `create_invoice` input (the action owns the API body)."""
    vdate = req.voucher_date or date.today()
    draft: dict[str, Any] = {
        "contact_id": contact_id,
        "voucher_date": vdate.isoformat(),
        "tax_type": req.tax_type,
        "line_items": [li.model_dump(mode="json", exclude_none=True) for li in req.lines],
        "shipping_type": "service",
        "shipping_date": (req.service_date or vdate).isoformat(),
        "payment_term_days": req.payment_term_days,
    }
    for k in ("title", "introduction", "remark"):
        if getattr(req, k):
            draft[k] = getattr(req, k)
    return draft


def decision_request(
    req: InvoiceRequest,
    name: str,
    recipient: str,
    preview: dict[str, Any],
    key: str,
    approvers: list[str],
    expires: timedelta,
) -> DecisionRequest:
    t = preview["totals"]
    due = (req.voucher_date or date.today()) + timedelta(days=req.payment_term_days)
    lines = [
        SummaryLine(
            description=li.name,
            quantity=li.quantity,
            unit=li.unit_name,
            unit_price=li.unit_price,
            amount=Decimal(str(t["line_amounts"][i])) if i < len(t["line_amounts"]) else None,
        )
        for i, li in enumerate(req.lines)
    ]
    return DecisionRequest(
        subject=f"Invoice for {name}: {Decimal(str(t['total_gross'])):.2f} EUR",
        summary=Summary(
            fields=[
                SummaryField(label="Customer", value=name),
                SummaryField(label="Send to", value=recipient),
                SummaryField(label="Reference", value=req.request_id or key),
            ],
            lines=lines,
            totals=Totals(net=t["total_net"], tax=t["total_tax"], gross=t["total_gross"]),
            due_date=due,
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
    contact = resolve_contact(request, profile, database_url)
    contact_id, name = str(contact["id"]), Contact.model_validate(contact).display_name
    recipient = request.send_to or _contact_email(contact)
    if not recipient:
        raise ValueError(f"contact {name!r} ({contact_id}) has no e-mail address; set send_to in the request")
    draft = draft_for(request, contact_id)
    key = business_key("invoice", request.request_id or digest({**draft, "send_to": recipient}))
    # The request as given (not the draft: its default voucher date is today's) is what the key stands for.
    request_hash = request_digest({**request.model_dump(mode="json"), "contact_id": contact_id, "send_to": recipient})
    ops = Operations(database_url)
    earlier = ops.get(INVOICE, key)
    if earlier is not None and earlier.pending:  # an earlier run died or lost the answer around the create
        settle_invoice(key, database_url=database_url)  # the exact lookup by reference: created, or certainly not
    ops.check(
        INVOICE, key, request_hash, what=f"request_id {request.request_id or key!r}",
        hint="An issued invoice cannot be changed: use a new request_id for a new invoice, and cancel_invoice for "
        "the old one if it was wrong.",
    )  # fmt: skip
    earlier = ops.get(INVOICE, key)
    if earlier is not None and earlier.digest != request_hash:  # never created, asked for other data: start afresh
        earlier = None
    # Approved in an earlier run: created then, or provably not and its approval still allows the call.
    reuse = earlier is not None and (earlier.done or StoreApprovals().still_usable(earlier.request["approval_ref"]))
    # A repeat sends exactly what was approved (same voucher date, same reference).
    draft = dict(earlier.request["draft"]) if earlier and reuse else {**draft, "reference": request.request_id or key}
    preview = preview_invoice(draft, profile=profile)
    if preview.get("warnings"):
        raise ValueError("the invoice would be refused: " + "; ".join(preview["warnings"]))
    gross = str(preview["totals"]["total_gross"])

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
                request, name, recipient, preview, key, approvers or [], timedelta(minutes=expires_in_minutes)
            )
            # Bind the approval to exactly the call below: any other action or argument is refused by create_invoice.
            bound = approval_digest("lexware_create_invoice", finalized_invoice_input(draft, gross))
            ask = ask.model_copy(update={"action": "lexware_create_invoice", "args_digest": bound})
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
        created = (earlier.result if earlier is not None and earlier.done else None) or create_invoice(
            draft, request_key=key, approval_ref=approval_ref, expected_total_gross=gross, profile=profile,
            request_digest=request_hash, approver=approver, database_url=database_url,
        )  # fmt: skip
        invoice_id, number = created["invoice_id"], created.get("voucher_number")
        ledger.record_sent_invoice(
            request_key=key, invoice_id=invoice_id, voucher_number=number, contact_id=contact_id, approver=approver,
            recipient=recipient, flow_run_id=str(flow_run.id), extra={"approval_ref": approval_ref},
        )  # fmt: skip
    sent = {
        "status": "sent", "invoice_id": invoice_id, "voucher_number": number, "approver": approver,
        "total_gross": gross, "request_key": key,
    }  # fmt: skip
    if done is not None and done.message_id:
        log.info("invoice %s was already mailed (Message-ID %s); nothing to do", number, done.message_id)
        invoice_outcome_artifact(number, invoice_id, gross, recipient, done.message_id, approver, _link(invoice_id))
        return {**sent, "message_id": done.message_id}
    pdf = invoice_pdf(invoice_id, profile=profile)
    message_id = send_document_mail(
        mail_server,
        document_id=invoice_id,
        to=recipient,
        subject=f"Rechnung {number}",
        body=f"Guten Tag,\n\nanbei erhalten Sie unsere Rechnung {number} über {gross} EUR.\n\nMit freundlichen Grüßen",
        content=pdf,
        filename=f"Rechnung-{number or invoice_id}.pdf",
        sender=sender,
        database_url=database_url,
        resend=resend_mail,
    )
    ledger.record_sent_invoice(
        request_key=key, invoice_id=invoice_id, voucher_number=number, contact_id=contact_id, approver=approver,
        recipient=recipient, message_id=message_id, flow_run_id=str(flow_run.id), extra={"approval_ref": approval_ref},
    )  # fmt: skip
    audit(
        "flow.invoice_sent",
        key,
        {"approver": approver, "invoice_id": invoice_id, "voucher_number": number, "message_id": message_id,
         "total_gross": gross, "request_key": key},
        [invoice_id, contact_id],
        approval_ref=approval_ref,
    )  # fmt: skip
    log.info("invoice %s (%s) approved by %s and mailed (Message-ID %s)", number, invoice_id, approver, message_id)
    invoice_outcome_artifact(number, invoice_id, gross, recipient, message_id, approver, _link(invoice_id))
    audit_artifact()
    return {**sent, "message_id": message_id}


def _link(invoice_id: str) -> str | None:
    """The invoice in Lexware Office's web app (None on the sandbox, which has none)."""
    from lexflow.client.deeplinks import link_for

    return link_for(get_client(), "invoices", invoice_id)
