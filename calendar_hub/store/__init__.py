"""All SQL lives here, one module per concept; this package offers every public function and class by name.

    version   the change counter          registry  the registry's groups, feeds and weeks
    feeds     leases, health, active rows outcomes  what a refresh found, written back
    events    occurrences for the catalogue  pages  cached linked event pages
    decisions merge decisions             queue     join requests and sent events awaiting a decision
    groups    console groups and feeds    weeks     console weeks    hidden  hidden events and series
    held      changes held for a second fetch   succession  new source UIDs that continue vanished occurrences
    site      the hub's identity and its images
    accounts  accounts, sign-in failures, the audit log     lookups  the geocoder's cache and rate limit
    links     one-time password links
    followers who follows the hub by e-mail     outbox  every e-mail, recorded once before it is sent
    figures   counts for monitoring (/metrics)
    engine    engines and migrations      models    the tables

Functions take a keyword-only `session` (a SQLModel Session) and plain objects; callers own the
transaction unless a function says it commits.
"""

from __future__ import annotations

from calendar_hub.store.accounts import (
    add_audit_entry,
    all_users,
    audit_entries,
    end_sessions,
    forget_login_failures,
    lock_login_failures,
    login_failure_counts,
    prune_login_failures,
    save_user,
    user_by_email,
    user_by_id,
)
from calendar_hub.store.decisions import (
    NO_DECISIONS,
    Decisions,
    decision_on,
    decision_rows,
    delete_decision,
    merge_decisions,
    pair,
    save_decision,
)
from calendar_hub.store.engine import (
    Engine,
    Session,
    commit_unless_taken,
    make_engine,
    normalise_url,
    ping,
    unavailable,
    upgrade,
)
from calendar_hub.store.events import add_event, occurrence_rows
from calendar_hub.store.feeds import (
    FeedHealth,
    FeedJob,
    active_groups,
    active_weeks,
    claim_feeds,
    feed_health,
    feed_names,
    lease_holders,
    next_attempt,
    release_leases,
)
from calendar_hub.store.figures import HubFigures, hub_figures
from calendar_hub.store.followers import (
    FollowAttempt,
    Follower,
    add_follow_attempt,
    confirmed_followers,
    delete_follower,
    follow_attempts,
    follower_by_id,
    follower_by_token,
    follower_counts,
    forget_follow_attempts,
    forget_unconfirmed,
    save_follower,
)
from calendar_hub.store.groups import (
    add_feed,
    add_group,
    all_groups,
    change_feed,
    change_group,
    feed_owners,
    feed_with_group,
    feeds_of,
    group_by_id,
    group_by_slug,
    group_feed,
    make_due,
)
from calendar_hub.store.held import Hold, held_change, held_changes
from calendar_hub.store.hidden import (
    HiddenSeries,
    add_hidden,
    add_hidden_series,
    delete_hidden,
    delete_hidden_series,
    hidden_event,
    hidden_events,
    hidden_series,
    hidden_series_keys,
    hidden_series_of,
    hidden_uids,
)
from calendar_hub.store.links import PasswordLink, drop_password_links, password_link_by_hash, save_password_link
from calendar_hub.store.outbox import (
    NewMessage,
    OutboxMessage,
    claim_message,
    due_messages,
    forget_messages_of,
    mark_failed,
    mark_retry,
    mark_sent,
    outbox_counts,
    prune_sent,
    queue_message,
    queue_messages,
    queued_keys,
    sent_since,
)
from calendar_hub.store.outcomes import FeedOutcome, accept_held, prune_fetch_log, record_outcomes
from calendar_hub.store.pages import linked_pages, prune_linked_pages, save_linked_pages
from calendar_hub.store.queue import (
    add_join_request,
    add_submitted_event,
    decide_pending,
    decided_join_requests,
    decided_submitted_events,
    forget_sender_addresses,
    join_request,
    join_requests_waiting_for,
    pending_join_requests,
    pending_submitted_events,
    sent_from_address,
    waiting_from_contact,
)
from calendar_hub.store.registry import RegistryChanges, apply_registry, current_registry
from calendar_hub.store.site import save_site, stored_site
from calendar_hub.store.version import bump_version, changes_since, current_version
from calendar_hub.store.weeks import add_week, all_weeks, change_week, week_by_slug
from calendar_hub.store.work import WaitingWork, followers_of, waiting_work

__all__ = [
    "Engine", "Session", "commit_unless_taken", "ping", "unavailable",
    # version
    "bump_version", "changes_since", "current_version",
    # registry
    "RegistryChanges", "apply_registry", "current_registry",
    # site
    "save_site", "stored_site",
    # feeds
    "FeedHealth", "FeedJob", "active_groups", "active_weeks", "claim_feeds", "feed_health", "feed_names",
    "lease_holders", "next_attempt",
    "release_leases",
    # figures
    "HubFigures", "hub_figures",
    # outcomes
    "FeedOutcome", "accept_held", "prune_fetch_log", "record_outcomes",
    # held
    "Hold", "held_change", "held_changes",
    # events
    "add_event", "occurrence_rows",
    # pages
    "linked_pages", "prune_linked_pages", "save_linked_pages",
    # decisions
    "NO_DECISIONS", "Decisions", "decision_on", "decision_rows", "delete_decision", "merge_decisions", "pair",
    "save_decision",
    # queue
    "add_join_request", "add_submitted_event", "decide_pending", "decided_join_requests", "decided_submitted_events",
    "forget_sender_addresses", "join_request", "join_requests_waiting_for", "pending_join_requests",
    "pending_submitted_events", "sent_from_address", "waiting_from_contact",
    # groups
    "add_feed", "add_group", "all_groups", "change_feed", "change_group", "feed_owners", "feed_with_group", "feeds_of",
    "group_by_id", "group_by_slug", "group_feed", "make_due",
    # weeks
    "add_week", "all_weeks", "change_week", "week_by_slug",
    # hidden
    "add_hidden", "delete_hidden", "hidden_event", "hidden_events", "hidden_uids",
    "HiddenSeries", "add_hidden_series", "delete_hidden_series", "hidden_series", "hidden_series_keys",
    "hidden_series_of",
    # accounts
    "add_audit_entry", "audit_entries", "end_sessions", "forget_login_failures", "lock_login_failures",
    "login_failure_counts", "prune_login_failures", "save_user", "user_by_email", "user_by_id",
    "all_users",
    # password links
    "PasswordLink", "drop_password_links", "password_link_by_hash", "save_password_link",
    # followers
    "FollowAttempt", "Follower", "add_follow_attempt", "confirmed_followers", "delete_follower", "follow_attempts",
    "follower_by_id", "follower_by_token", "follower_counts", "forget_follow_attempts", "forget_unconfirmed",
    "save_follower",
    # outbox
    "NewMessage", "OutboxMessage", "claim_message", "due_messages", "forget_messages_of", "mark_failed", "mark_retry",
    "mark_sent", "outbox_counts", "prune_sent", "queue_message", "queue_messages", "queued_keys", "sent_since",
    # work
    "WaitingWork", "followers_of", "waiting_work",
    # engine
    "make_engine", "normalise_url", "upgrade",
]
