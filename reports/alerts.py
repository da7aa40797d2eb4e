"""The churn digest as a Slack message, the detractor DM, and the failed-delivery notice.

One section per customer with its own buttons (Log call, Snooze 30 days, Not at risk,
Open 360), so a rep acts on the line they read. Every value comes escaped from the
templates; the header is plain text.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from commands.results import AlertDigest
from crm_core.models import AlertSubscription, Customer, NpsResponse
from reports import blockkit
from reports.action_ids import LOG_BUTTON, NOT_AT_RISK_BUTTON, RUN_COMMAND, SNOOZE_BUTTON
from reports.mrkdwn import escape, mention
from reports.templating import money, number, slack_environment


def digest_message(result: AlertDigest, tz: tzinfo) -> dict[str, Any]:
    """The digest (or its all-clear line) as a message within Block Kit's limits."""
    env = slack_environment()
    digest = result.digest
    summary = env.get_template("slack/_digest_summary.mrkdwn.j2").render(r=result, tz=tz).strip()
    title = (
        f"Churn digest: {number(digest.customers)} at risk, {money(digest.total_value_at_risk)}"
        if digest.changed and digest.customers
        else "Churn digest: all clear"
    )
    blocks: list[blockkit.Block | None] = [blockkit.header(title), blockkit.section(summary)]
    if digest.changed:
        line_template = env.get_template("slack/_digest_line.mrkdwn.j2")
        for line in digest.lines:
            customer_id = str(line.at_risk.value.customer_id)
            blocks.append(
                blockkit.section(line_template.render(line=line, a=line.at_risk, tz=tz).strip())
            )
            blocks.append(
                blockkit.actions(
                    [
                        blockkit.button(
                            "Log call", action_id=LOG_BUTTON, value=customer_id, style="primary"
                        ),
                        blockkit.button(
                            "Snooze 30 days", action_id=SNOOZE_BUTTON, value=customer_id
                        ),
                        blockkit.button(
                            "Not at risk", action_id=NOT_AT_RISK_BUTTON, value=customer_id
                        ),
                        blockkit.button(
                            "Open 360", action_id=RUN_COMMAND, value=f"customer #{customer_id}"
                        ),
                    ]
                )
            )
        shown = len(digest.lines)
        if digest.customers > shown:
            blocks.append(
                blockkit.context(
                    f"… and {number(digest.customers - shown)} more at risk, not listed here."
                )
            )
    blocks.append(blockkit.context(_footnote(result)))
    text = f"{title}. {summary}" if digest.changed else summary
    return blockkit.message(text, blocks)


def _footnote(result: AlertDigest) -> str:
    parts = [
        f"At risk: P(alive) under {100 * result.threshold:.0f}% or overdue against their own "
        "rhythm (more than twice their usual gap since the last purchase)"
    ]
    subscription = result.subscription
    if subscription is not None:
        filters = []
        if subscription.min_value_at_risk:
            filters.append(f"at least {money(subscription.min_value_at_risk)} at risk")
        if subscription.owner_user_id:
            filters.append(f"owned by {mention(subscription.owner_user_id)}")
        if subscription.segment:
            filters.append(f"segment {escape(subscription.segment)}")
        if filters:
            parts.append("only " + ", ".join(filters))
        parts.append(f"subscription #{subscription.id}")
    if result.digest.hidden:
        parts.append(f'{number(result.digest.hidden)} hidden by snoozes or "not at risk"')
    fit = result.digest.fit
    if fit is not None:
        fresh = " (purchases arrived since; the next refresh includes them)" if result.stale else ""
        parts.append(f"scores of {fit.fitted_at:%Y-%m-%d %H:%M} UTC{fresh}")
    return " · ".join(parts)


def detractor_message(response: NpsResponse, customer: Customer) -> dict[str, Any]:
    """The DM to a customer's owner when the customer answers NPS with 0-6."""
    comment = f"\n>{escape(response.comment)}" if response.comment else ""
    text = (
        f":rotating_light: *{escape(customer.name)}* answered NPS *{response.score}* "
        f"(a detractor).{comment}\nA call soon can turn this around."
    )
    blocks = [
        blockkit.section(text),
        blockkit.actions(
            [
                blockkit.button(
                    "Log call", action_id=LOG_BUTTON, value=str(customer.id), style="primary"
                ),
                blockkit.button(
                    "Open 360", action_id=RUN_COMMAND, value=f"customer #{customer.id}"
                ),
            ]
        ),
    ]
    return blockkit.message(f"{customer.name} answered NPS {response.score} (a detractor)", blocks)


def delivery_failed_message(subscription: AlertSubscription, error: str) -> dict[str, Any]:
    """The DM to a subscriber whose digest could not be posted, saying what to do."""
    advice = {
        "not_in_channel": "invite me to the channel (`/invite @CRM` there)",
        "channel_not_found": "the channel is gone or private to me: subscribe another one",
        "is_archived": "the channel is archived: subscribe another one",
        "channel_is_archived": "the channel is archived: subscribe another one",
        "shared_channel_not_allowed": "the channel is shared with another organisation: an "
        f"admin must allow customer data there first (`/crm channels share "
        f"<#{subscription.channel_id}>`)",
    }.get(error, "I will try again at the next scheduled time")
    text = (
        f"I could not post the churn digest of subscription #{subscription.id} to "
        f"<#{subscription.channel_id}>: `{escape(error)}`. To fix it, {advice}; or stop it "
        f"with `/crm alerts unsubscribe {subscription.id}`."
    )
    return blockkit.message(text, [blockkit.section(text)])
