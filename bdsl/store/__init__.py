"""The run store (SQLite, WAL): journal of LLM calls, jobs, conversations, turns,
annotations, errors, and the tables gates/review/export write."""

from bdsl.store.db import STORE_FILE, Store
from bdsl.store.reader import conversation, conversations, status
from bdsl.store.records import Annotation, CallRecord, Conversation, SyncSummary, TurnRecord, Usage

__all__ = ["STORE_FILE", "Store", "conversation", "conversations", "status", "Annotation",
           "CallRecord", "Conversation", "SyncSummary", "TurnRecord", "Usage"]
