"""Forum thread parsers: one module per engine family, plus the shared pieces.

``xenforo``, ``phpbb``, ``vbulletin``, ``discourse``, ``mybb``, ``smf`` and
``invision`` read the HTML a board serves (Discourse also its JSON API);
``text`` reads the plain-text rendering of a thread (seed ``002_*``). Each
module is a plugin of its own, listed in ``DEFAULT_PLUGINS``, and has the
shape ``engine`` describes (the kit every engine imports from, a third party's
too). ``discourse_json`` reads Discourse's JSON API; ``board`` is the
``forum`` source kind, which reads boards with every registered engine.
"""
