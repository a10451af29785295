"""Each service's own database, reached only through its store and the door (see :mod:`shared.store.door`)."""

from shared.store.door import Collection, Door, UnsafeStoreCall, safe_filter
from shared.store.provider import ServiceStore, Staged, Store, client_for, database, door_for, forget_clients
from shared.store.recount import Recount
from shared.store.versions import keep_newest

__all__ = [
    "Collection",
    "Door",
    "Recount",
    "ServiceStore",
    "Staged",
    "Store",
    "UnsafeStoreCall",
    "client_for",
    "database",
    "door_for",
    "forget_clients",
    "keep_newest",
    "safe_filter",
]
