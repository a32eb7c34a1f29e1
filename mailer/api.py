"""The email core's contract: the only way anything in the cockpit sends mail (DESIGN section 5).

Callers render a template (`render_template`), then queue the result with `queue_mail` inside their
own transaction. A dispatcher sends queued mail later; the idempotency key is unique in
`email_messages`, so the same key never produces a second provider call.

Code outside the email core imports from here; inside it, modules import from where a name is defined
(the types in mailer.message, a message's states in domain.model, queueing in mailer.queue, rendering
in mailer.template_store).
"""
from __future__ import annotations

from domain.model import MessageStatus
from mailer.message import MailError, MailOutcomes, MailRequest, QueueOutcome, RenderedMail
from mailer.queue import queue_mail, queue_mails
from mailer.template_store import render_template

__all__ = ["MailError", "MailOutcomes", "MailRequest", "MessageStatus", "QueueOutcome", "RenderedMail",
           "queue_mail", "queue_mails", "render_template"]
