"""petool serve: personalized tool selection as a service (extra ``[serve]``).

* :mod:`petool.serve.service` — :class:`SelectionService`, the contract the HTTP API, the
  OpenAI-compatible proxy and the MCP server all use;
* :mod:`petool.serve.db` — the SQLAlchemy 2 tables; :mod:`petool.serve.migrate` — Alembic;
* :mod:`petool.serve.app` — :func:`create_app` (FastAPI), auth, limits, metrics, logs;
* :mod:`petool.serve.api` — the ``/v1`` routes; :mod:`petool.serve.toolsets` — toolset input.

Nothing here is imported by ``petool --help``; the heavy packages load with the app.
"""
