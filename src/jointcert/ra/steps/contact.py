"""Step 8 — confirm name, e-mail, address and the notification mobile; a change goes to the bank
(``update_contact``) and is notified to the customer's phone."""

from __future__ import annotations

from dataclasses import dataclass

from jointcert.bank.model import Customer, NotificationEvent, PhoneKind
from jointcert.ra.context import Outcome, StepContext
from jointcert.ra.session import IssuanceSession
from jointcert.ra.steps.identity import PhoneChoice
from jointcert.ra.workflow import State

__all__ = ["ContactDetails", "confirm", "show"]


@dataclass(frozen=True)
class ContactDetails:
    """What the confirmation screen shows; ``mobiles`` are the numbers that can receive notifications."""

    name: str
    email: str
    address: str
    mobiles: tuple[PhoneChoice, ...]
    contact_phone_id: str | None
    changed: bool = False


def _details(customer: Customer, *, changed: bool = False) -> ContactDetails:
    mobiles = tuple(PhoneChoice(p.id, p.masked, p.kind.value) for p in customer.phones if p.kind is PhoneKind.MOBILE)
    return ContactDetails(
        customer.name, customer.email, customer.address, mobiles, customer.contact_phone_id, changed=changed
    )


def show(ctx: StepContext, session: IssuanceSession) -> Outcome[ContactDetails]:
    """The customer's contact details as the bank has them."""
    return Outcome(session, _details(ctx.customer(session)))


def confirm(
    ctx: StepContext,
    session: IssuanceSession,
    *,
    email: str | None = None,
    address: str | None = None,
    phone_id: str | None = None,
) -> Outcome[ContactDetails]:
    """Confirm as shown (all ``None``) or with changes, which the bank validates and stores."""
    customer = ctx.customer(session)
    wanted = (
        email if email is not None else customer.email,
        address if address is not None else customer.address,
        phone_id if phone_id is not None else customer.contact_phone_id,
    )
    changed = wanted != (customer.email, customer.address, customer.contact_phone_id)
    if changed:
        new_email, new_address, new_phone = wanted
        customer = ctx.bank.customers.update_contact(
            customer.id, email=new_email, address=new_address, phone_id=new_phone or ""
        )
        ctx.notifications.send(customer.id, NotificationEvent.CONTACT_CHANGED)
    moved = session.moved(State.CONTACT_CONFIRMED, ctx.now(), contact_changed=changed)
    return Outcome(moved, _details(customer, changed=changed))
