"""Rasa's Redis lock store with every change of a conversation lock made in one Redis transaction.

Rasa 3.6's RedisLockStore reads a lock, changes it in Python and writes it back. Two Rasa servers that receive
messages of the same conversation at the same moment can both read "no lock", both take ticket 0 and process the
conversation at once; the second save then drops events (seen in tests/production). Here each read-change-write
runs under Redis WATCH/MULTI/EXEC and is retried when another server changed the lock in between.
endpoints.production.yml: `lock_store: {type: bot.server.lock_store.AtomicRedisLockStore, url: ..., port: ...}`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)


class AtomicRedisLockStore(RedisLockStore):
    """Ticket locks in Redis, safe when several Rasa servers share them."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        super().__init__(host=endpoint_config.url, **endpoint_config.kwargs)

    def _atomically(self, conversation_id: str, change: Callable[[TicketLock], bool], create: bool = False) -> None:
        """Apply `change` to the stored lock in one transaction; `change` returns False to delete the lock.

        Without `create`, a missing lock is left missing.
        """
        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    stored = pipe.get(key)
                    if stored is None and not create:
                        pipe.unwatch()
                        return
                    lock = TicketLock.from_dict(json.loads(stored)) if stored else self.create_lock(conversation_id)
                    keep = change(lock)
                    pipe.multi()
                    if keep:
                        pipe.set(key, lock.dumps())
                    else:
                        pipe.delete(key)
                    pipe.execute()
                    return
                except redis.WatchError:
                    logger.debug("Lock of conversation %s changed meanwhile; retrying.", conversation_id)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """Issue the next ticket of the conversation's lock, creating the lock if needed."""
        tickets: list[int] = []

        def issue(lock: TicketLock) -> bool:
            tickets.append(lock.issue_ticket(lock_lifetime))
            return True

        try:
            self._atomically(conversation_id, issue, create=True)
        except redis.RedisError as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error
        return tickets[-1]

    def update_lock(self, conversation_id: str) -> None:
        """Drop the expired tickets of the conversation's lock."""
        self._atomically(conversation_id, lambda lock: lock.remove_expired_tickets() or True)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Remove a served ticket from the lock."""
        self._atomically(conversation_id, lambda lock: lock.remove_ticket_for(ticket_number) or True)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Remove a served ticket, and the whole lock if nobody else waits for it."""
        self._atomically(conversation_id, lambda lock: lock.remove_ticket_for(ticket_number) or
                         lock.is_someone_waiting())
