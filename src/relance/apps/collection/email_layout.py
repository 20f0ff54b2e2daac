"""The HTML a debtor receives: a light, responsive page a phone shows at its own width.

One column at most 600 px wide that shrinks to the screen; the creditor's logo on top when it
has one (inline, ``cid:``); the step's text; a clear button to the debtor portal ("Voir et
régler mes factures") whose long link never widens the page (long links in the text wrap);
the transfer QR code; the creditor's identity in small print. Styles are inline (mail
programs drop most ``<style>`` rules); the plain-text twin is built beside it in
``messages.email_compose`` and says the same, the portal link written out.
"""

from __future__ import annotations

import html

BUTTON = {"fr": "Voir et régler mes factures", "en": "View and pay my invoices"}
# The portal link where the text names it, the button below saying the rest.
PORTAL_WORDS = {"fr": "votre espace en ligne", "en": "your online space"}
LOGO_ALT = {"fr": "Logo de {name}", "en": "{name} logo"}

_FONT = "font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.5;color:#1f2328;"


def portal_button(url: str, lang: str) -> str:
    """The button to the portal (a link styled as a button: every mail program shows it)."""
    label = BUTTON.get(lang, BUTTON["fr"])
    return (
        f'<a class="portal-button" href="{html.escape(url)}" style="display:inline-block;'
        "background:#1d4ed8;color:#ffffff;text-decoration:none;font-weight:bold;"
        f'padding:12px 22px;border-radius:6px;{_FONT.replace("color:#1f2328;", "")}">'
        f"{html.escape(label)}</a>"
    )


def email_page(
    *,
    lang: str,
    subject: str,
    body: str,
    footer: str,
    portal_url: str = "",
    logo_cid: str = "",
    creditor_name: str = "",
    after_body: str = "",
) -> str:
    """The whole HTML part; ``body`` and ``after_body`` are HTML already escaped."""
    rows = []
    if logo_cid:
        alt = LOGO_ALT.get(lang, LOGO_ALT["fr"]).format(name=creditor_name)
        rows.append(
            f'<tr><td style="padding:20px 24px 0 24px;"><img src="cid:{logo_cid}" '
            f'alt="{html.escape(alt)}" style="display:block;max-width:180px;max-height:64px;'
            'height:auto;border:0;"></td></tr>'
        )
    rows.append(f'<tr><td class="body" style="padding:16px 24px;{_FONT}">{body}</td></tr>')
    if portal_url:
        rows.append(
            f'<tr><td align="center" style="padding:8px 24px 20px 24px;">'
            f"{portal_button(portal_url, lang)}</td></tr>"
        )
    if after_body:
        rows.append(f'<tr><td style="padding:0 24px 16px 24px;{_FONT}">{after_body}</td></tr>')
    rows.append(
        '<tr><td style="padding:12px 24px;border-top:1px solid #e5e7eb;'
        f'font-family:Arial,Helvetica,sans-serif;font-size:12px;color:#555555;">'
        f"{html.escape(footer)}</td></tr>"
    )
    return (
        f'<!doctype html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(subject)}</title>"
        "<style>a{overflow-wrap:anywhere;word-break:break-word}img{max-width:100%;height:auto}"
        "</style></head>\n"
        '<body style="margin:0;padding:0;background:#f4f5f7;">\n'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        'style="background:#f4f5f7;"><tr><td align="center" style="padding:16px 8px;">\n'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        'style="width:100%;max-width:600px;background:#ffffff;border-radius:6px;'
        'table-layout:fixed;">\n'
        + "\n".join(rows)
        + "\n</table>\n</td></tr></table>\n</body></html>\n"
    )
