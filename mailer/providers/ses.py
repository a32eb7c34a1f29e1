"""Amazon SES through boto3's SESv2 `send_email` with the raw MIME message (our headers intact).

botocore's own retries are off: the dispatcher owns retries, so a throttled send waits with the
message's backoff instead of inside the call.
"""
from __future__ import annotations

import re
from email.utils import formataddr

import boto3
from botocore.config import Config
from botocore.exceptions import (BotoCoreError, ClientError, ConnectTimeoutError, EndpointConnectionError,
                                 ReadTimeoutError)

from mailer.message import MailError, OutgoingMail
from mailer.providers.base import MailProvider, OutcomeUnknown, Throttled

THROTTLING = {"ThrottlingException", "TooManyRequestsException", "LimitExceededException", "Throttling"}
PERMANENT = {"MessageRejected", "BadRequestException", "MailFromDomainNotVerifiedException", "NotFoundException"}


class SesProvider(MailProvider):
    def __init__(self, *, region: str = "eu-central-1", endpoint_url: str | None = None, name: str = "ses",
                 timeout: float = 30.0, **client_options):
        self.name = name
        config = Config(retries={"total_max_attempts": 1}, connect_timeout=10, read_timeout=timeout)
        self._client = boto3.client("sesv2", region_name=region, endpoint_url=endpoint_url, config=config,
                                    **client_options)

    def send(self, mail: OutgoingMail) -> str:
        try:
            answer = self._client.send_email(
                FromEmailAddress=formataddr(mail.sender_address),  # encodes a non-ASCII display name
                Destination={"ToAddresses": [mail.to_email]},
                Content={"Raw": {"Data": mail.to_mime().as_bytes()}},
                EmailTags=[{"Name": "message_key", "Value": _tag_value(mail.key)}])
        except ClientError as exc:
            raise _classified(exc) from exc
        except (ConnectTimeoutError, EndpointConnectionError) as exc:
            raise MailError(f"ses connection: {exc}") from exc
        except ReadTimeoutError as exc:
            raise OutcomeUnknown(f"ses gave no answer: {exc}") from exc
        except BotoCoreError as exc:
            raise MailError(f"ses: {exc}") from exc
        return answer["MessageId"]


def _classified(exc: ClientError) -> MailError:
    code = exc.response.get("Error", {}).get("Code", "")
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    reason = f"ses {code or status}: {exc.response.get('Error', {}).get('Message', '')}"[:400]
    if code in THROTTLING or status == 429:
        return Throttled(reason)
    return MailError(reason, permanent=code in PERMANENT)


def _tag_value(key: str) -> str:
    """SES tag values allow letters, digits, '_', '-', '.', '@' only (at most 256 characters)."""
    return re.sub(r"[^A-Za-z0-9_.@-]", "_", key)[:256]
