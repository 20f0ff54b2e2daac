"""Django apps, one per business area.

Each app holds models, services (writes, ``<entity>_<action>``), selectors (reads), admin,
and later views, urls and tasks. Views, the CLI and tasks call services and selectors only.
"""
