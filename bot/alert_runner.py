"""Posting retention alerts: claim what is due, build each digest, post it once, record it.

`AlertRunner.tick()` is what the scheduler (and `crm alerts run`) calls every minute. It
claims due deliveries in the database (crm_core.alerts.claims), so several instances and
overlapping runs post each subscription's slot once; posts to one channel are spaced by
PACE seconds (Slack allows about one message a second per channel); a failed post is recorded
and retried by a later tick, and reported to the subscriber when it cannot succeed. A post
whose answer was lost (a timeout after Slack may have posted) is posted again, a rare double
post, unless alerts.check_history_after_timeout lets the retry look in the channel first. It
also sends each new NPS detractor's owner a DM, once.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine, String, cast, exists, literal
from sqlmodel import col, select

from bot.client import posting_client
from bot.workspaces import Workspaces
from commands.results import AlertDigest
from crm_core import deliveries, shared_channels
from crm_core.alerts import claims, pacing
from crm_core.alerts.claims import Claim
from crm_core.alerts.digest import DigestFilter, RiskSnapshot, at_risk_snapshot, build_digest
from crm_core.analytics.scoring import NotEnoughData, freshness, refresh_scores
from crm_core.db import unit_of_work
from crm_core.models import AlertSubscription, Customer, Delivery, NpsResponse, utcnow
from crm_core.settings import Settings
from reports.alerts import delivery_failed_message, detractor_message, digest_message

logger = logging.getLogger(__name__)

PACE = 1.0  # seconds between two posts to the same channel
METADATA_TYPE = "crm_alert"  # the event_type of a digest's message metadata
DETRACTOR_KEY = "nps-detractor:"  # + the response id: its claim in the delivery table
DETRACTOR_WINDOW = timedelta(hours=12)  # answers newer than this get the DM (< delivery KEEP)
CHANNEL_THREADS = 8


@dataclass
class TickReport:
    posted: int = 0
    skipped: int = 0
    failed: int = 0
    gave_up: int = 0
    lost: int = 0  # claims another process took over (their holder was presumed gone)
    detractors: int = 0


class NotInstalled(Exception):
    """The workspace has uninstalled the app: there is no token to post with."""


class SharedWithoutAllowance(Exception):
    """The channel is shared with another organisation and no admin allowed customer data
    into it (`channels share`): the digest is not posted, and its subscriber is told."""


class AlertRunner:
    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        workspaces: Workspaces,
        *,
        instance: str | None = None,
        pace: float = PACE,
    ) -> None:
        self.engine, self.settings, self.workspaces = engine, settings, workspaces
        self.instance = instance or claims.this_instance()
        self.pace = pace

    # -- the scheduler's entry point -----------------------------------------------------

    def tick(self, now: datetime | None = None, *, every: bool = False) -> TickReport:
        """Deliver what is due (with `every`: every subscription now), retry what failed,
        report what gave up, DM new detractors' owners."""
        now = now or utcnow()
        report = TickReport()
        grace = timedelta(minutes=self.settings.alerts.grace_period_minutes)
        due = claims.claim_due(
            self.engine, now=now, grace=grace, instance=self.instance, every=every
        )
        self._refresh_scores({claim.team_id for claim in due}, now)
        by_channel: defaultdict[str, list[tuple[Claim, AlertSubscription]]] = defaultdict(list)
        with unit_of_work(self.engine) as session:
            for claim in due:
                subscription = session.get(AlertSubscription, claim.subscription_id)
                if subscription is not None:
                    by_channel[subscription.channel_id].append((claim, subscription))
        snapshots = _Snapshots(self.engine, self.settings.analytics.churn_risk_threshold, now)
        with ThreadPoolExecutor(CHANNEL_THREADS, thread_name_prefix="crm-alerts") as pool:
            outcomes = pool.map(
                lambda items: self._deliver_all(items, now, snapshots), by_channel.values()
            )
            for statuses in outcomes:
                for status in statuses:
                    setattr(report, status, getattr(report, status) + 1)
        self._report_failures()
        report.detractors = self.alert_detractors(now)
        return report

    def post_now(self, subscription_id: int, now: datetime) -> str:
        """`alerts test`: the digest posted at once, outside the schedule and its claims."""
        with unit_of_work(self.engine) as session:
            subscription = session.get(AlertSubscription, subscription_id)
            result = self._digest(session, subscription, now, slot=now)
        message = digest_message(result, self._zone(subscription))
        posted = self._post(
            subscription.team_id, subscription.channel_id, message, delivery_id=None
        )
        return posted["ts"]

    # -- one delivery ----------------------------------------------------------------------

    def _deliver_all(
        self, items: list[tuple[Claim, AlertSubscription]], now: datetime, snapshots: _Snapshots
    ) -> list[str]:
        return [self._deliver(claim, sub, now, snapshots) for claim, sub in items]

    def _deliver(
        self, claim: Claim, subscription: AlertSubscription, now: datetime, snapshots: _Snapshots
    ) -> str:
        try:
            with unit_of_work(self.engine) as session:
                result = self._digest(
                    session,
                    subscription,
                    now,
                    slot=claim.slot_at,
                    snapshot=snapshots.of(subscription.team_id),
                )

            def done(ts: str | None) -> None:  # what was posted, remembered for the next post
                claims.finish(
                    self.engine,
                    claim,
                    instance=self.instance,
                    now=now,
                    posted_ts=ts,
                    total_value_at_risk=result.digest.total_value_at_risk,
                    customer_ids=result.digest.customer_ids,
                )

            # An earlier attempt may have posted before its answer was lost or its process
            # died. Without the history check (the default, so no team grants the right to
            # read its channels for it) the digest is posted again: a rare double post.
            if claim.uncertain and self.settings.alerts.check_history_after_timeout:
                posted = self._find_posted(
                    subscription.team_id, subscription.channel_id, claim.delivery_id
                )
                if posted is not None:
                    done(posted)
                    return "posted"
            if not result.digest.changed and subscription.quiet_when_unchanged:
                done(None)
                return "skipped"
            if not claims.start_posting(self.engine, claim, instance=self.instance, now=now):
                return "lost"  # another process took the claim over
            message = digest_message(result, self._zone(subscription))
            done(self._post(subscription.team_id, subscription.channel_id, message,
                            delivery_id=claim.delivery_id)["ts"])  # fmt: skip
            return "posted"
        except SlackApiError as exc:
            error = str(exc.response.get("error") or exc.response.status_code)
        except NotInstalled:
            error = "not_installed"
        except SharedWithoutAllowance:
            error = "shared_channel_not_allowed"
        except Exception as exc:  # a connection that stayed down after the client's retries
            logger.exception("alert delivery %s failed", claim.delivery_id)
            error = type(exc).__name__
        logger.warning(
            "alert delivery %s to %s failed: %s", claim.delivery_id, subscription.channel_id, error
        )
        status = claims.fail(self.engine, claim, instance=self.instance, now=now, error=error)
        return "gave_up" if status == "gave_up" else "failed"

    def _digest(
        self,
        session,
        subscription: AlertSubscription,
        now: datetime,
        *,
        slot: datetime,
        snapshot: RiskSnapshot | None = None,
    ) -> AlertDigest:
        threshold = self.settings.analytics.churn_risk_threshold
        previous = claims.previous_post(session, subscription_id=subscription.id, before=slot)
        digest = build_digest(
            session,
            team_id=subscription.team_id,
            alive_threshold=threshold,
            now=now,
            only=DigestFilter.of(subscription),
            previous=previous,
            snapshot=snapshot,
        )
        return AlertDigest(digest, subscription, threshold)

    def _zone(self, subscription: AlertSubscription) -> ZoneInfo:
        return ZoneInfo(subscription.timezone)

    def _post(self, team_id: str, channel: str, message: dict, *, delivery_id: int | None) -> dict:
        """chat.postMessage, at the channel's next free moment (one a PACE, in any process)."""
        self._check_not_shared(team_id, channel)
        metadata = None
        if delivery_id is not None:
            metadata = {"event_type": METADATA_TYPE, "event_payload": {"delivery_id": delivery_id}}
        with pacing.channel_turn(
            self.engine, team_id=team_id, channel_id=channel, pace=timedelta(seconds=self.pace)
        ):
            return (
                posting_client(self._client(team_id))
                .chat_postMessage(
                    channel=channel,
                    text=message["text"],
                    blocks=message["blocks"],
                    metadata=metadata,
                    unfurl_links=False,
                )
                .data
            )

    def _check_not_shared(self, team_id: str, channel: str) -> None:
        """Refuse a channel that became shared with another organisation after it was
        subscribed, or whose allowance an admin took back, checked at every post: Slack says
        whether it is shared now (an error there fails the delivery: nothing is posted)."""
        found = self._client(team_id).conversations_info(channel=channel)["channel"]
        if not found.get("is_ext_shared"):
            return
        with unit_of_work(self.engine) as session:
            if not shared_channels.is_allowed(session, team_id=team_id, channel_id=channel):
                raise SharedWithoutAllowance(channel)

    def _client(self, team_id: str) -> WebClient:
        client = self.workspaces.client_for(team_id)
        if client is None:  # uninstalled: a permanent failure, reported to nobody
            raise NotInstalled(team_id)
        return client

    def _find_posted(self, team_id: str, channel: str, delivery_id: int) -> str | None:
        """The ts of a message this delivery already posted, from its metadata, if any.

        Needs channels:history or groups:history: only called with the history check on. An
        installation made before the check was turned on lacks them; it posts again, as if off.
        """
        try:
            response = self._client(team_id).conversations_history(
                channel=channel, limit=100, include_all_metadata=True
            )
        except SlackApiError as exc:
            if exc.response.get("error") != "missing_scope":
                raise
            logger.warning(
                "alerts.check_history_after_timeout is on but %s has not granted the history "
                "scopes: reinstall the app there; posting delivery %s again",
                team_id,
                delivery_id,
            )
            return None
        for message in response.get("messages", []):
            metadata = message.get("metadata") or {}
            if (
                metadata.get("event_type") == METADATA_TYPE
                and (metadata.get("event_payload") or {}).get("delivery_id") == delivery_id
            ):
                return message["ts"]
        return None

    # -- around the deliveries -------------------------------------------------------------

    def _refresh_scores(self, teams: set[str], now: datetime) -> None:
        """Scores refreshed before a digest when purchases arrived since the last fit; one
        instance refreshes each data version (a claim keyed by the newest purchase)."""
        for team_id in teams:
            with unit_of_work(self.engine) as session:
                current = freshness(session, team_id=team_id)
            if current.fit is not None and not current.stale:
                continue
            key = f"refresh-after-fit:{current.fit.id if current.fit else 0}"
            if not deliveries.take_delivery(self.engine, team_id=team_id, key=key, now=now):
                continue
            try:
                with unit_of_work(self.engine) as session:
                    refresh_scores(
                        session, team_id=team_id, settings=self.settings.analytics, now=now
                    )
            except NotEnoughData as exc:
                logger.info("no scores for %s: %s", team_id, exc)

    def _report_failures(self) -> None:
        for delivery in claims.failures_to_report(self.engine):
            with unit_of_work(self.engine) as session:
                subscription = session.get(AlertSubscription, delivery.subscription_id)
            message = delivery_failed_message(subscription, delivery.last_error or "unknown")
            try:
                self._client(subscription.team_id).chat_postMessage(
                    channel=subscription.created_by, **message
                )
            except (SlackApiError, NotInstalled) as exc:
                logger.warning("could not tell %s: %s", subscription.created_by, exc)

    def alert_detractors(self, now: datetime) -> int:
        """DM each new detractor's owner once (claimed per response in the delivery table).

        Answers already claimed are left out by the query, so a tick does not try again, every
        minute for the whole window, what an earlier tick (in any instance) has sent."""
        claimed = exists().where(
            Delivery.team_id == NpsResponse.team_id,
            Delivery.key == literal(DETRACTOR_KEY) + cast(NpsResponse.id, String),
        )
        with unit_of_work(self.engine) as session:
            rows = session.exec(
                select(NpsResponse, Customer)
                .join(Customer, col(Customer.id) == col(NpsResponse.customer_id))
                .where(
                    col(NpsResponse.score) <= 6,
                    col(NpsResponse.created_at) >= now - DETRACTOR_WINDOW,
                    # An import of old answers is history, not news for the owner.
                    col(NpsResponse.responded_at) >= now - DETRACTOR_WINDOW - timedelta(days=6),
                    col(Customer.owner_user_id).is_not(None),
                    ~claimed,
                )
            ).all()
        sent = 0
        for response, customer in rows:
            key = f"{DETRACTOR_KEY}{response.id}"
            if not deliveries.take_delivery(
                self.engine, team_id=customer.team_id, key=key, now=now
            ):
                continue
            try:
                self._client(customer.team_id).chat_postMessage(
                    channel=customer.owner_user_id, **detractor_message(response, customer)
                )
                sent += 1
            except (SlackApiError, NotInstalled) as exc:
                logger.warning("detractor DM for response %s failed: %s", response.id, exc)
        return sent


class _Snapshots:
    """Each workspace's at-risk customers, read once per tick however many digests use them."""

    def __init__(self, engine: Engine, threshold: float, now: datetime) -> None:
        self._engine, self._threshold, self._now = engine, threshold, now
        self._taken: dict[str, RiskSnapshot] = {}
        self._locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
        self._guard = threading.Lock()

    def of(self, team_id: str) -> RiskSnapshot:
        with self._guard:
            lock = self._locks[team_id]
        with lock:
            if team_id not in self._taken:
                with unit_of_work(self._engine) as session:
                    self._taken[team_id] = at_risk_snapshot(
                        session, team_id=team_id, alive_threshold=self._threshold, now=self._now
                    )
            return self._taken[team_id]
