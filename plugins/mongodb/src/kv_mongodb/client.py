"""pymongo's AsyncMongoClient for a store's options, and its errors as kv errors."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from bson.errors import InvalidDocument
from pymongo import AsyncMongoClient
from pymongo import errors as mongo

from kv import errors
from kv.url import Host
from kv_mongodb.plugin import MongoDBOptions

__all__ = ["connection_string", "make_client", "translate_error"]

Client = AsyncMongoClient[dict[str, Any]]

_UNAUTHORIZED = {13, 18}  # Unauthorized, AuthenticationFailed


def connection_string(options: MongoDBOptions) -> str:
    """The connection string pymongo gets: hosts, database and client options, never
    the credentials (they go as keywords)."""
    if options.srv:
        hosts = options.hosts[0]
    else:
        ports = options.port or (27017,)
        hosts = ",".join(
            str(Host(name, ports[index] if len(ports) > 1 else ports[0]))
            for index, name in enumerate(options.hosts or ("localhost",))
        )
    scheme = "mongodb+srv" if options.srv else "mongodb"
    database = quote(options.database, safe="") if options.database else ""
    query = f"?{urlencode(options.client_options)}" if options.client_options else ""
    return f"{scheme}://{hosts}/{database}{query}"


def make_client(options: MongoDBOptions) -> Client:
    """A new client (it connects lazily, in the running event loop)."""
    given = {name.lower() for name, _ in options.client_options}
    timeout_ms = round(options.connect_timeout * 1000)
    keywords: dict[str, Any] = {
        "connectTimeoutMS": timeout_ms,
        "serverSelectionTimeoutMS": timeout_ms,
    }
    if options.command_timeout is not None:
        keywords["socketTimeoutMS"] = round(options.command_timeout * 1000)
    keywords = {name: value for name, value in keywords.items() if name.lower() not in given}
    if options.user is not None:
        keywords["username"] = options.user
    if options.password is not None:
        keywords["password"] = options.password
    return AsyncMongoClient(connection_string(options), **keywords)


def _summary(error: Exception) -> str:
    """The first line of a driver message, cut short (it never holds the password)."""
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def translate_error(error: Exception, where: str) -> errors.KeyValueError | None:
    """pymongo's errors as kv errors."""
    if isinstance(error, mongo.ExecutionTimeout | mongo.WTimeoutError | mongo.NetworkTimeout):
        return errors.StoreTimeoutError(f"{where} did not answer in time: {_summary(error)}")
    if isinstance(error, mongo.ServerSelectionTimeoutError | mongo.ConnectionFailure):
        return errors.StoreConnectionError(f"Cannot reach {where}: {_summary(error)}")
    if isinstance(error, InvalidDocument | OverflowError):
        return errors.SerializationError(f"{where} cannot store the document as BSON")
    if isinstance(error, mongo.ConfigurationError | mongo.InvalidURI):
        return errors.StoreSetupError(f"Bad MongoDB client options for {where}: {_summary(error)}")
    if isinstance(error, mongo.OperationFailure):
        code = error.code
        if code in _UNAUTHORIZED:
            return errors.StoreSetupError(f"{where} refused the credentials or the operation")
        # The server's message may quote the document (a value): only its code name.
        name = (error.details or {}).get("codeName") or "an error"
        return errors.StoreError(f"{where} refused the operation: {name} (code {code})")
    if isinstance(error, mongo.PyMongoError):
        return errors.StoreError(f"{where} failed: {_summary(error)}")
    return None
