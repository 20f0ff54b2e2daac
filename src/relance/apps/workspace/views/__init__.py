"""The workspace pages: each parses its input, calls one selector or service, and renders.

One module per page or concern: ``home`` (sign-in, creditor, dashboard), ``debtors``,
``imports``, ``settings_page``, ``worklist``, ``calls``; ``labels`` and ``common`` are what
they share. The URL modules import the pages from their own modules.
"""
