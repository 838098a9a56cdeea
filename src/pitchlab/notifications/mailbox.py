"""Reading the outbox for ``pitchlab outbox``: the developer's mailbox, newest first.

Plain psycopg on an owner connection, so that the command needs neither the ORM nor the app
(it answers in about a second beside a running server). The outbox is a system table: the
transaction sets the system context that its row-level-security policy asks for, the same
three settings ``db.py`` applies.
"""

from __future__ import annotations

import psycopg
from psycopg.rows import dict_row

_SYSTEM_CONTEXT = (
    "SELECT set_config('app.company_id', '', true), set_config('app.context', 'system', true),"
    " set_config('app.system_reason', 'outbox_cli', true)"
)
_MESSAGES = """
SELECT id, to_address, subject, kind, status, links, created_at, sent_at, text_body
FROM email_outbox
WHERE %(to)s::text IS NULL OR lower(to_address) = %(to)s
ORDER BY created_at DESC, id
LIMIT %(limit)s
"""


def read_mailbox(conn: psycopg.Connection, to: str | None, limit: int) -> list[dict]:
    """The newest ``limit`` messages (to ``to`` only, when given) as plain dicts."""
    to = to.strip().lower() if to else None
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cursor:
        cursor.execute(_SYSTEM_CONTEXT)
        rows = cursor.execute(_MESSAGES, {"to": to, "limit": limit}).fetchall()
    return [_as_dict(row) for row in rows]


def _as_dict(row: dict) -> dict:
    return {
        "id": str(row["id"]),
        "to": row["to_address"],
        "subject": row["subject"],
        "kind": row["kind"],
        "status": row["status"],
        "links": list(row["links"]),
        "created_at": row["created_at"].isoformat(),
        "sent_at": row["sent_at"].isoformat() if row["sent_at"] else None,
        "text": row["text_body"],
    }
