"""The single registry: every verb, its usage line, help, examples and handler."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass

from commands import verbs
from commands.lazy_handlers import HandlerModule
from commands.results import Choice

# Imported when one of their handlers first runs (commands/lazy_handlers.py says why).
(
    alerts,
    analytics,
    corrections,
    customers,
    directory,
    follow_ups,
    help,
    interactions,
    privacy,
    reports,
    sales,
    sharing,
) = (
    HandlerModule(name)
    for name in (
        "alerts",
        "analytics",
        "corrections",
        "customers",
        "directory",
        "follow_ups",
        "help",
        "interactions",
        "privacy",
        "reports",
        "sales",
        "sharing",
    )
)


@dataclass(frozen=True)
class VerbSpec:
    """One verb of the chat language."""

    name: str
    usage: str
    summary: str
    examples: tuple[str, ...]
    command: type
    handler: Callable
    # Other first words that mean this verb.
    aliases: tuple[str, ...] = ()
    # The word that skips the verb's preview (`forget acme confirm`): a choice offered to
    # someone never carries it, so whoever clicks sees the preview first.
    confirm_word: str | None = None
    # The question Slack's confirm dialog asks before a choice running this verb does
    # something that destroys or stops (None: nothing to ask).
    confirm_question: str | None = None


VERBS: tuple[VerbSpec, ...] = (
    VerbSpec(
        "log",
        "log call|meeting|email|note [with] <customer> [<when>]: <summary> [follow up <when>]",
        "Log a call, meeting, email or note (now, or when it happened: yesterday, this "
        "morning, on monday, 2 days ago), optionally with a follow-up date.",
        (
            "log call with Acme: talked renewal, follow up next tue",
            "log a call with Acme yesterday about pricing",
            "note acme - prefers email",
            "log meeting with Globex: demo went well, follow up friday 3pm",
        ),
        verbs.LogInteraction,
        interactions.log,
        ("call", "meeting", "email", "note"),
    ),
    VerbSpec(
        "remind",
        "remind me to <call|email|meet|send|...> <customer> [...] <when>",
        "Set a follow-up with nothing to log yet; it shows in your follow-ups when due.",
        ("remind me to call Acme friday", "remind me tomorrow at 10 to send Globex the quote"),
        verbs.Remind,
        interactions.remind,
        ("reminder",),
    ),
    VerbSpec(
        "undo",
        "undo",
        "Take back your last write (a log, purchase, NPS answer, customer, contact, done, edit, "
        "delete or alert subscription) within the undo window; say what it reversed.",
        ("undo",),
        verbs.Undo,
        corrections.undo_write,
        ("revert",),
        confirm_question="Take this write back?",
    ),
    VerbSpec(
        "edit",
        "edit #<interaction> <new summary>",
        "Correct what a call, meeting, email or note says (yours; an admin's: any).",
        ("edit #12 talked pricing, not renewal",),
        verbs.EditInteraction,
        corrections.edit,
        ("correct",),
    ),
    VerbSpec(
        "delete",
        "delete #<interaction>",
        "Delete a call, meeting, email or note logged by mistake (yours; an admin's: any); "
        "`undo` puts it back.",
        ("delete #12",),
        verbs.DeleteInteraction,
        corrections.delete,
        ("remove",),
        confirm_question="Delete this interaction? `undo` can put it back.",
    ),
    VerbSpec(
        "customer",
        "customer <name>",
        "Show a customer's 360 card: owner, orders, revenue, NPS, follow-ups, latest interactions.",
        ("customer Acme", "360 globex", "customer #42"),
        verbs.ShowCustomer,
        customers.show,
        ("360", "show", "card"),
    ),
    VerbSpec(
        "find",
        "find <text>",
        "Find customers by name, email or contact.",
        ("find acme", "find jane@acme.com", "find Jane Roe"),
        verbs.FindCustomers,
        customers.find,
        ("search",),
    ),
    VerbSpec(
        "add customer",
        "add customer <name> [email <address>] [owner @user] [segment <segment>] [as new]",
        "Add a customer.",
        (
            "add customer Initech email buy@initech.com owner @jane segment Enterprise",
            "add customer Simpson as new",
        ),
        verbs.AddCustomer,
        customers.add_customer,
    ),
    VerbSpec(
        "add contact",
        "add contact <name> to <customer> [email <address>] [phone <number>] [role <role>]",
        "Add a person at a customer.",
        ("add contact Jane Roe to Acme email jane@acme.com role CFO",),
        verbs.AddContact,
        customers.add_contact,
    ),
    VerbSpec(
        "purchase",
        "purchase <customer> <amount> [on <date>]",
        "Record an order (a negative amount is a refund).",
        ("purchase Acme 1200", "purchase Acme $1,250.50 on Dec 3", "purchase Globex EUR 99"),
        verbs.RecordPurchase,
        sales.purchase,
        ("order", "sale"),
    ),
    VerbSpec(
        "nps",
        "nps <customer> <0-10> [comment]",
        "Record a customer's NPS answer (0-10) with an optional comment.",
        ("nps Acme 9 great support", "nps globex 4 too slow"),
        verbs.RecordNps,
        sales.nps,
    ),
    VerbSpec(
        "followups",
        "followups [mine|@user|today|overdue|all]",
        "List open follow-ups: yours (the default), someone's, or the team's due today or overdue.",
        ("followups", "followups overdue", "followups @jane"),
        verbs.ListFollowUps,
        follow_ups.list_open,
        ("follow-ups", "todo"),
    ),
    VerbSpec(
        "done",
        "done <follow-up #id or customer>",
        "Mark a follow-up done.",
        ("done #12", "done acme"),
        verbs.CompleteFollowUp,
        follow_ups.done,
        ("complete",),
    ),
    VerbSpec(
        "clv",
        "clv [top N] [segment <segment>] [owner @user] | clv <customer>",
        "Predicted customer lifetime value (the purchase model + Gamma-Gamma): the top customers, "
        "or one.",
        ("clv top 10", "clv top 5 segment Enterprise", "clv owner me", "clv Acme"),
        verbs.ShowClv,
        analytics.clv,
    ),
    VerbSpec(
        "clv check",
        "clv check [holdout N weeks]",
        "Which purchase model (BG/NBD, MBG/NBD, Pareto/NBD) forecasts held-out weeks best.",
        ("clv check", "clv check holdout 26 weeks"),
        verbs.CheckClvModels,
        analytics.clv_check,
    ),
    VerbSpec(
        "churn",
        "churn [top N] [segment <segment>] [owner @user|me]",
        "Customers slipping away, most value at risk first, each with the reason.",
        ("churn", "churn top 20", "churn owner me", "churn segment Enterprise"),
        verbs.ShowChurnRisk,
        analytics.churn,
    ),
    VerbSpec(
        "churn rate",
        "churn rate [by month|quarter]",
        "Churn and retention rates per month or quarter: (active at end - new) / active at start.",
        ("churn rate", "churn rate by quarter"),
        verbs.ShowChurnRate,
        reports.churn_rate,
    ),
    VerbSpec(
        "retention",
        "retention [cohorts]",
        "Monthly retention rates, or the cohort table by first-purchase month.",
        ("retention", "retention cohorts"),
        verbs.ShowRetention,
        reports.retention_report,
    ),
    VerbSpec(
        "nps summary",
        "nps [last <N> days|weeks|months | this|last month|quarter|year] [by segment|owner]",
        "Net Promoter Score with its 95% interval and monthly trend (default: the last 90 days).",
        (
            "nps",
            "nps last 30 days",
            "nps this quarter",
            "nps by segment",
            "nps last 6 months by owner",
        ),
        verbs.ShowNps,
        reports.nps_report,
    ),
    VerbSpec(
        "segments",
        "segments",
        "RFM segments: Champions, Loyal, At risk, Hibernating, Lost and the rest, with revenue.",
        ("segments",),
        verbs.ShowSegments,
        reports.segments_report,
    ),
    VerbSpec(
        "pareto",
        "pareto",
        "What share of revenue the top 20% of customers bring, and how few bring 80%.",
        ("pareto",),
        verbs.ShowPareto,
        reports.pareto_report,
    ),
    VerbSpec(
        "cac",
        "cac",
        "Acquisition cost and CLV:CAC by acquisition channel.",
        ("cac",),
        verbs.ShowCac,
        analytics.cac,
    ),
    VerbSpec(
        "alerts subscribe",
        "alerts subscribe [#channel] [daily|weekdays|weekly mon] [at 9:00] [min value 500] "
        "[owner @user|segment <segment>] [quiet]",
        "Post the churn digest to a channel on a schedule (your time zone); quiet: skip the "
        "all-clear line when nobody new is at risk.",
        (
            "alerts subscribe #sales daily at 9:00",
            "alerts subscribe #sales weekdays at 8:30 min value 500 owner me",
            "alerts subscribe #enterprise weekly mon at 9:00 segment Enterprise quiet",
        ),
        verbs.SubscribeAlerts,
        alerts.subscribe,
    ),
    VerbSpec(
        "alerts list",
        "alerts [list]",
        "The workspace's alert subscriptions, their next post and how the last one went.",
        ("alerts", "alerts list"),
        verbs.ListAlerts,
        alerts.list_all,
    ),
    VerbSpec(
        "alerts unsubscribe",
        "alerts unsubscribe <id>",
        "Stop an alert subscription (its number is in `alerts list`).",
        ("alerts unsubscribe 3",),
        verbs.UnsubscribeAlerts,
        alerts.unsubscribe,
        confirm_question="Stop this alert subscription? The channel gets no more digests.",
    ),
    VerbSpec(
        "alerts preview",
        "alerts preview [<id>]",
        "What the churn digest would say now: this channel's subscription, or one by number.",
        ("alerts preview", "alerts preview 3"),
        verbs.PreviewAlerts,
        alerts.preview,
    ),
    VerbSpec(
        "alerts test",
        "alerts test [<id>]",
        "Post a subscription's digest now, to check it reaches its channel.",
        ("alerts test 3",),
        verbs.PostAlertNow,
        alerts.post_now,
    ),
    VerbSpec(
        "export",
        "export <customer>",
        "Everything held on a customer, as JSON and CSV files sent only to you (admins).",
        ("export Acme", "export #42"),
        verbs.ExportCustomer,
        privacy.export,
    ),
    VerbSpec(
        "forget",
        "forget <customer> [confirm]",
        "Erase a customer's personal data, keeping anonymous purchases (admins; asks first).",
        ("forget Acme", "forget #42 confirm"),
        verbs.ForgetCustomer,
        privacy.forget,
        ("erase",),
        confirm_word="confirm",
        confirm_question="Erase this customer's personal data? This cannot be undone.",
    ),
    VerbSpec(
        "audit",
        "audit [last <N> days|weeks|months]",
        "Who imported, merged, exported, erased or subscribed, and who was refused (admins).",
        ("audit", "audit last 30 days"),
        verbs.ShowAudit,
        privacy.audit_log,
    ),
    VerbSpec(
        "people",
        "people [add @handle <Slack member id> [full name] | remove @handle]",
        "The people the console knows by name, for `owner @jane` (admins add and remove; "
        "`crm directory sync` fills it from Slack).",
        ("people", "people add @jane U024BE7LH Jane Roe", "people remove @jane"),
        verbs.People,
        directory.people,
        ("person", "users"),
    ),
    VerbSpec(
        "channels",
        "channels [add #name <channel id> | remove #name]",
        "The channels the console knows by name, for `alerts subscribe #sales` (admins add and "
        "remove; `crm directory sync` fills it from Slack).",
        ("channels", "channels add #sales C0123ABCD", "channels remove #sales"),
        verbs.Channels,
        directory.people,
        ("channel",),
    ),
    VerbSpec(
        "channels share",
        "channels share|unshare #channel",
        "Let alert digests and shared answers into a channel shared with another "
        "organisation (Slack Connect), or stop them (admins; such channels get no customer "
        "data otherwise).",
        ("channels share #sales", "channels unshare #sales"),
        verbs.ShareChannel,
        sharing.share_channel,
    ),
    VerbSpec(
        "help",
        "help [command]",
        "List what I understand, or explain one command.",
        ("help", "help log"),
        verbs.Help,
        help.show,
    ),
)

_BY_COMMAND = {spec.command: spec for spec in VERBS}
_BY_NAME = {spec.name: spec for spec in VERBS}


def spec_for(command: object) -> VerbSpec:
    """The verb that handles a parsed command."""
    return _BY_COMMAND[type(command)]


def find_verb(name: str | None) -> VerbSpec | None:
    """A verb by its name or one of its aliases ("360" -> customer)."""
    if not name:
        return None
    name = name.strip().lower()
    if name in _BY_NAME:
        return _BY_NAME[name]
    first = name.split()[0]
    for spec in VERBS:
        if (
            first == spec.name.split()[0]
            and (name == first or spec.name == name)
            or first in spec.aliases
        ):
            return spec
    return None


def closest_verbs(word: str) -> list[str]:
    """Verbs spelled like `word`, for "did you mean"."""
    words = {spec.name.split()[0]: spec.name.split()[0] for spec in VERBS}
    for spec in VERBS:
        words.update({alias: spec.name.split()[0] for alias in spec.aliases})
    close = difflib.get_close_matches(word.lower(), list(words), n=3, cutoff=0.5)
    return list(dict.fromkeys(words[c] for c in close))


def choice(label: str, command: str) -> Choice:
    """A button or suggestion that runs `command`, with the question of Slack's confirm
    dialog when running it destroys or stops something (`undo 3`, `delete #12`,
    `alerts unsubscribe 3`, `forget #2 confirm`; not `forget #2`, which only previews)."""
    spec = _verb_of(command)
    if spec is None or spec.confirm_question is None:
        return Choice(label, command)
    if spec.confirm_word and command.split()[-1].lower() != spec.confirm_word:
        return Choice(label, command)
    return Choice(label, command, confirm=spec.confirm_question)


def without_confirm_word(command: str) -> str:
    """`command` without its verb's step-skipping word: what a choice offered may run."""
    spec = _verb_of(command)
    words = command.split()
    if spec is not None and spec.confirm_word:
        while len(words) > 2 and words[-1].lower() == spec.confirm_word:
            words.pop()
    return " ".join(words)


def _verb_of(command: str) -> VerbSpec | None:
    words = command.lower().split()
    return (find_verb(" ".join(words[:2])) if len(words) > 1 else None) or find_verb(
        words[0] if words else None
    )
