"""The development default: every mail becomes an .eml file, named after its Message-ID."""
from __future__ import annotations

import os
from pathlib import Path

from mailer.message import OutgoingMail
from mailer.providers.base import MailProvider
from mailer.providers.eml import eml_bytes


class FileProvider(MailProvider):
    name = "file"

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def path_for(self, mail: OutgoingMail) -> Path:
        return self.directory / f"{mail.message_id.strip('<>').split('@')[0]}.eml"

    def send(self, mail: OutgoingMail) -> str:
        path = self.path_for(mail)
        partial = path.with_suffix(".eml.part")
        try:
            partial.write_bytes(eml_bytes(mail))
        except FileNotFoundError:  # the first mail, or the folder was removed meanwhile
            self.directory.mkdir(parents=True, exist_ok=True)
            partial.write_bytes(eml_bytes(mail))
        os.replace(partial, path)  # atomic: the .eml exists exactly when the mail was written whole
        return path.name

    def has_mail(self, mail: OutgoingMail) -> bool:
        return self.path_for(mail).exists()
