"""SMTP sending against the aiosmtpd catcher over a real socket."""

from __future__ import annotations

import pytest

from lexflow.mail import MailError, SmtpSettings, send_document
from lexflow.testing import MailCatcher


def test_pdf_arrives_with_message_id_and_attachment() -> None:
    with MailCatcher() as catcher:
        mid = send_document(
            catcher.url + "?from=billing@firma.de",
            to="kunde@example.org",
            subject="Rechnung RE-1",
            body="Anbei Ihre Rechnung.",
            attachment=b"%PDF-1.4 test",
            filename="RE-1.pdf",
        )
        (got,) = catcher.wait_for(1)
    assert got.message_id == mid
    assert got.rcpt_to == ["kunde@example.org"]
    assert got.mail_from == "billing@firma.de"
    assert got.attachments() == [("RE-1.pdf", "application/pdf", b"%PDF-1.4 test")]


def test_url_parsing_keeps_password_secret() -> None:
    s = SmtpSettings.from_url("smtp://user%40x:s3cr%21t@mail.example:587?starttls=true")
    assert (s.host, s.port, s.starttls, s.username) == ("mail.example", 587, True, "user@x")
    assert s.password is not None and s.password.get_secret_value() == "s3cr!t"
    assert "s3cr" not in repr(s) and "s3cr" not in s.redacted_url()
    assert SmtpSettings.from_url("smtps://h").port == 465


def test_unreachable_server_names_it_without_password() -> None:
    from lexflow.testing import free_port

    url = f"smtp://u:topsecret@127.0.0.1:{free_port()}"
    with pytest.raises(MailError) as err:
        send_document(url, to="a@b.de", subject="x", body="y")
    assert "127.0.0.1" in str(err.value) and "topsecret" not in str(err.value)


def test_bad_scheme_is_refused() -> None:
    with pytest.raises(MailError, match="smtp://"):
        SmtpSettings.from_url("http://localhost:25")
