"""Email in Debian's Chromium: an email the mail server refused is in the staff's queue with its
error, and staff put it back in the sending queue with one button."""

from __future__ import annotations

import re
import uuid

from playwright.async_api import expect

from .browser_steps import log_in, reload_until, shot
from .conftest import register

expect.set_options(timeout=15_000)


async def test_staff_resend_a_failed_email_from_the_email_page(new_page, api, system):
    refused = f"rifiuta.{uuid.uuid4().hex[:8]}@example.it"  # the sink refuses it for good (550)
    await register(api, refused)

    staff = await new_page(system.settings.backoffice_url)
    await log_in(staff, system.staff_email, system.staff_password)
    await staff.get_by_role("link", name="Email", exact=True).first.click()
    # The welcome email fails once the sender has given up on it: reload until it is listed.
    await reload_until(staff, refused, timeout=30)
    await expect(staff.locator("main")).to_contain_text("550")
    await shot(staff, "bo-12-email-non-consegnata")
    await staff.get_by_role("button", name=re.compile(re.escape(refused))).click()
    await expect(staff.get_by_text(f"Email a {refused} rimessa in coda di invio.")).to_be_visible()
