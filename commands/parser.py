"""The one parser: a line of chat text to a command, or a ParseError saying what was wrong."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable

from commands import phrases, when_phrases
from commands.alerts_grammar import AlertsParseError, parse_alerts
from commands.directory_grammar import DirectoryParseError, parse_directory
from commands.verbs import (
    AddContact,
    AddCustomer,
    Channels,
    CheckClvModels,
    Command,
    CompleteFollowUp,
    DeleteInteraction,
    EditInteraction,
    ExportCustomer,
    FindCustomers,
    ForgetCustomer,
    Help,
    ListFollowUps,
    LogInteraction,
    People,
    RecordNps,
    RecordPurchase,
    Remind,
    ShareChannel,
    ShowAudit,
    ShowCac,
    ShowChurnRate,
    ShowChurnRisk,
    ShowClv,
    ShowCustomer,
    ShowNps,
    ShowPareto,
    ShowRetention,
    ShowSegments,
    Undo,
)

TEXT_LIMIT = 4_000
KINDS = ("call", "meeting", "email", "note", "other")
_KIND_WORDS = {
    "calls": "call",
    "meetings": "meeting",
    "mail": "email",
    "emails": "email",
    "notes": "note",
}
# Between the customer and the summary: a colon or a dash. Without one, the handler finds
# where a customer's exact name ends ("acme yesterday about pricing").
_SEPARATOR = re.compile(r"\s*(?::|\s[-–—]\s)\s*")
_WITH = re.compile(r"^(?:with|w/|for|about|to|on)(?:\s+|(?<=/))", re.I)
_FOLLOW_UP = re.compile(
    r"(?:^|[\s,;.]+)(?:follow[\s-]?up|f/u|remind me)(?:\s+(?:on|by))?\s+(?P<when>.+)$", re.I
)
_SLACK_LINK = re.compile(r"<(?:mailto:|tel:|https?://)([^|>]+)(?:\|([^>]+))?>")
_NPS_SUMMARY = re.compile(r"^\s*$|^(?:last|this|previous|by|for|over|in|summary|trend)\b", re.I)
_AS_NEW = re.compile(r"\s+as\s+(?:a\s+)?new(?:\s+(?:customer|company|one))?(?=\s)", re.I)
# What a reminder is for: the word before the customer's name.
_TO_DO_WORDS = (
    "call", "phone", "ring", "email", "mail", "write to", "text", "message", "ping", "meet",
    "meet with", "visit", "see", "follow up with", "check in with", "chase", "send",
    "get back to", "reach out to", "thank",
)  # fmt: skip
_TO_DO = re.compile(
    r"^(" + "|".join(sorted(map(re.escape, _TO_DO_WORDS), key=len, reverse=True)) + r")\s+",
    re.I,
)
_INTERACTION_ID = re.compile(
    r"^(?:(?:interaction|log|call|meeting|email|note)\s*)?#?(?P<id>\d{1,18})(?:\s*[:-]\s*|\s+|$)"
    r"(?P<rest>.*)$",
    re.I,
)
_SCORE = re.compile(r"^[+-]?\d+(?:[.,]\d+)?/?(?:10)?$")


class ParseError(ValueError):
    """The text names a verb but breaks its grammar; `verb` says whose usage to show, and
    `suggestion` the command that was probably meant."""

    def __init__(self, verb: str | None, problem: str, suggestion: str | None = None) -> None:
        self.verb = verb
        self.problem = problem
        self.suggestion = suggestion
        super().__init__(problem)


class UnknownVerb(ValueError):
    """The first word is no verb we know."""

    def __init__(self, word: str) -> None:
        self.word = word
        super().__init__(word)


def clean(text: str) -> str:
    """Text as typed: Slack's <mailto:…|label> and <http…|label> wrappers unwrapped."""
    text = _SLACK_LINK.sub(lambda m: m.group(2) or m.group(1), text)
    return " ".join(text.split())


def parse(text: str) -> Command:
    """Turn one line into a command. Empty text means help. A natural phrasing of the phrase
    table (commands.phrases) is read as the command it stands for."""
    if len(text) > TEXT_LIMIT:
        raise ParseError(
            None, f"that is {len(text):,} characters; a command can be at most {TEXT_LIMIT:,}"
        )
    text = clean(text)
    if not text:
        return Help()
    text = phrases.rephrase(text, verbs=_VERBS) or text
    word, _, rest = text.partition(" ")
    read = _VERBS.get(word.lower())
    if read is None:
        raise UnknownVerb(word)
    return read(rest, text)


def _alerts(rest: str) -> Command:
    try:
        return parse_alerts(rest)
    except AlertsParseError as exc:
        raise ParseError(exc.verb, exc.problem) from None


def _directory(command: type[People], rest: str) -> People:
    try:
        return parse_directory(command, rest)
    except DirectoryParseError as exc:
        raise ParseError(exc.verb, exc.problem) from None


def _channels(rest: str) -> Channels | ShareChannel:
    """`channels share|unshare #name` is the sharing allowance; the rest, the directory."""
    action, _, channel = rest.strip().partition(" ")
    if action.lower() not in ("share", "unshare"):
        return _directory(Channels, rest)
    if not channel.strip():
        raise ParseError(
            "channels share", f"{action.lower()} which channel? e.g. channels {action.lower()} "
            "#partners (in Slack, pick it from the list that opens as you type #)",
        )  # fmt: skip
    return ShareChannel(channel.strip(), allowed=action.lower() == "share")


def _words(words: tuple[str, ...], read: Callable[[str, str], Command]) -> dict:
    return dict.fromkeys(words, read)


# The first word of a line -> how to read the line: (what follows the word, the whole line).
_VERBS: dict[str, Callable[[str, str], Command]] = {
    "log": lambda rest, text: _log(rest),
    **_words((*KINDS, *_KIND_WORDS), lambda rest, text: _log(text)),
    **_words(("remind", "reminder"), lambda rest, text: _remind(rest)),
    **_words(
        ("customer", "360", "show", "card"),
        lambda rest, text: ShowCustomer(
            _required(rest, "customer", "which customer? e.g. customer Acme")
        ),
    ),
    **_words(
        ("find", "search"),
        lambda rest, text: FindCustomers(
            _required(rest, "find", "find what? a name, an email or a contact, e.g. find acme")
        ),
    ),
    "add": lambda rest, text: _add(rest),
    **_words(("purchase", "order", "sale"), lambda rest, text: _purchase(rest)),
    "nps": lambda rest, text: _nps_summary(rest) if _NPS_SUMMARY.match(rest) else _nps(rest),
    "clv": lambda rest, text: _clv(rest),
    "churn": lambda rest, text: _churn(rest),
    "retention": lambda rest, text: _retention(rest),
    **_words(("segments", "segment", "rfm"), lambda rest, text: ShowSegments()),
    "pareto": lambda rest, text: ShowPareto(),
    "cac": lambda rest, text: ShowCac(),
    **_words(
        ("followups", "follow-ups", "followup", "follow-up", "todo"),
        lambda rest, text: _follow_ups(rest),
    ),
    **_words(
        ("done", "complete", "completed"),
        lambda rest, text: CompleteFollowUp(
            _required(rest, "done", "which follow-up? e.g. done #12 or done acme")
        ),
    ),
    **_words(("alerts", "alert"), lambda rest, text: _alerts(rest)),
    **_words(("people", "person", "users"), lambda rest, text: _directory(People, rest)),
    **_words(("channels", "channel"), lambda rest, text: _channels(rest)),
    **_words(("undo", "revert"), lambda rest, text: _undo(rest)),
    **_words(("edit", "correct"), lambda rest, text: _edit(rest)),
    **_words(
        ("delete", "remove"),
        lambda rest, text: DeleteInteraction(_interaction_id(rest, "delete", "delete #12")[0]),
    ),
    "export": lambda rest, text: ExportCustomer(
        _required(rest, "export", "export whom? e.g. export Acme")
    ),
    **_words(("forget", "erase"), lambda rest, text: _forget(rest)),
    "audit": lambda rest, text: ShowAudit(_days(rest, "audit")),
    **_words(("help", "?", "usage"), lambda rest, text: Help(rest.lower().strip() or None)),
}


def _required(rest: str, verb: str, problem: str) -> str:
    if not rest.strip():
        raise ParseError(verb, problem)
    return rest.strip()


def _log(rest: str) -> LogInteraction:
    """log [a|the] <kind> [<when>] [with|w/] <customer> [<when>] (:|-|about|re:) <summary>"""
    rest = re.sub(r"^(?:a|an|the)\s+", "", rest.strip(), flags=re.I)
    kind_word, _, body = rest.partition(" ")
    kind = _KIND_WORDS.get(kind_word.lower(), kind_word.lower())
    if kind not in KINDS:
        close = difflib.get_close_matches(kind_word.lower(), [*KINDS, *_KIND_WORDS], n=1)
        meant = f"log {_KIND_WORDS.get(close[0], close[0])} {body}".strip() if close else None
        raise ParseError(
            "log",
            f"say what to log: {', '.join(KINDS)}"
            + (f" (not {kind_word!r})" if kind_word else "")
            + (f"; did you mean `{meant}`?" if meant else ""),
            suggestion=meant,
        )
    occurred, body = when_phrases.leading_past(body.strip())
    body = _WITH.sub("", body.strip())
    if not body:
        raise ParseError("log", f"which customer was the {kind} with?")
    follow_up = None
    found = _FOLLOW_UP.search(body)
    if found:
        follow_up = found["when"].strip()
        body = body[: found.start()].strip()
    parts = _SEPARATOR.split(body, maxsplit=1)
    if len(parts) == 2:
        customer, summary = parts[0].strip(), parts[1].strip()
        customer = re.sub(r"\s+(?:re|about|regarding)$", "", customer, flags=re.I)  # "re: demo"
        from_name = False
        if occurred is None:
            customer, occurred = when_phrases.trailing_past(customer)
            from_name = occurred is not None
        if ahead := when_phrases.trailing_future(customer):
            name = customer[: -len(ahead)].strip()
            raise ParseError(
                "log",
                f"{ahead!r} is still to come, and a {kind} is logged once it happened. To plan "
                f"one: `log {kind} with {name}: {summary or '...'}, follow up {ahead}`, or "
                f"`remind me to {kind} {name} {ahead}`",
            )
        if occurred is None:
            occurred, summary = when_phrases.leading_past(summary)
        if not customer:
            raise ParseError(
                "log", "name the customer before the colon, e.g. log call with Acme: talked renewal"
            )
        follow_up = follow_up or when_phrases.follow_up_in(summary)
        return LogInteraction(kind, body, customer, summary, follow_up, occurred, from_name)
    follow_up = follow_up or when_phrases.follow_up_in(body)
    return LogInteraction(kind, body, None, "", follow_up, occurred)


def _remind(rest: str) -> Remind:
    """remind [me] [<when>] to <call|email|meet|send|...> <customer> [...] [<when>]"""
    text = re.sub(r"^(?:me|us)\s+", "", rest.strip(), flags=re.I)
    when, text = when_phrases.leading_future(text)
    if when is None:
        text, when = when_phrases.split_trailing_future(text)
    text = re.sub(r"^to\s+", "", text.strip(), flags=re.I)
    action = _TO_DO.match(text)
    if not action or when is None:
        raise ParseError(
            "remind",
            "say what to do, with whom and when, e.g. remind me to call acme friday"
            + ("" if action else f" (I know: {', '.join(_TO_DO_WORDS)})"),
        )
    name = text[action.end() :].strip()
    if not name:
        raise ParseError("remind", f"{action[1]} whom? e.g. remind me to {action[1]} acme friday")
    return Remind(action[1].lower(), name, when)


def _keywords(text: str, names: tuple[str, ...]) -> tuple[str, dict[str, str]]:
    """Split "Acme email a@b.com owner @jo" into ("Acme", {"email": ..., "owner": ...})."""
    pattern = re.compile(r"\s+(" + "|".join(names) + r")\s+", re.I)
    pieces = pattern.split(" " + text + " ")
    head = pieces[0].strip()
    found = {}
    for key, value in zip(pieces[1::2], pieces[2::2], strict=True):
        found[key.lower()] = value.strip()
    return head, found


def _add(rest: str) -> AddCustomer | AddContact:
    what, _, body = rest.partition(" ")
    what = what.lower()
    if what in ("customer", "client", "account", "company"):
        body, as_new = _AS_NEW.subn(" ", f" {body} ")
        name, extra = _keywords(body.strip(), ("email", "owner", "segment"))
        if not name:
            raise ParseError(
                "add customer", "give the customer a name, e.g. add customer Acme Corp"
            )
        return AddCustomer(
            name, extra.get("email"), extra.get("owner"), extra.get("segment"), bool(as_new)
        )
    if what in ("contact", "person"):
        name, _, tail = body.partition(" to ")
        if not name.strip() or not tail.strip():
            raise ParseError("add contact", "say who and where, e.g. add contact Jane Roe to Acme")
        customer, extra = _keywords(tail, ("email", "phone", "role"))
        return AddContact(
            name.strip(), customer, extra.get("email"), extra.get("phone"), extra.get("role")
        )
    raise ParseError("add", "add what? `add customer <name>` or `add contact <name> to <customer>`")


def _purchase(rest: str) -> RecordPurchase:
    body, on = rest.strip(), None
    dated = re.search(r"\s+on\s+(?P<when>.+)$", body, re.I)
    if dated:
        body, on = body[: dated.start()].strip(), dated["when"].strip()
    words = body.split()
    if len(words) < 2:
        raise ParseError("purchase", "name the customer and the amount, e.g. purchase Acme 1200")
    if (
        len(words) >= 3
        and re.fullmatch(r"[A-Za-z]{3}", words[-2])
        and re.match(r"[\d.(]", words[-1])
    ):
        return RecordPurchase(" ".join(words[:-2]), " ".join(words[-2:]), on)
    if (  # the currency after the number: "purchase acme 1.234,56 €", "... 99 EUR"
        len(words) >= 3
        and re.fullmatch(r"[A-Za-z]{3}|[$€£¥₹₩₽]", words[-1])
        and re.match(r"[-+\d.(]", words[-2])
    ):
        return RecordPurchase(" ".join(words[:-2]), " ".join(words[-2:]), on)
    return RecordPurchase(" ".join(words[:-1]), words[-1], on)


def _nps(rest: str) -> RecordNps:
    words = rest.split()
    for position, word in enumerate(words[1:], start=1):
        if _SCORE.match(word):
            comment = " ".join(words[position + 1 :]).strip(" -:") or None
            return RecordNps(" ".join(words[:position]), word.removesuffix("/10"), comment)
    if len(words) >= 2:
        return RecordNps(" ".join(words[:-1]), words[-1])
    raise ParseError(
        "nps", "name the customer and a score from 0 to 10, e.g. nps Acme 9 great support"
    )


def _follow_ups(rest: str) -> ListFollowUps:
    scope = rest.strip().lower()
    if scope in ("", "mine", "me", "my"):
        return ListFollowUps("mine")
    if scope in ("today", "overdue", "all"):
        return ListFollowUps(scope)  # type: ignore[arg-type]
    person = re.sub(r"^(?:of|for|by)\s+", "", rest.strip(), flags=re.I)
    if len(person.split()) > 3:
        raise ParseError("followups", f"{rest.strip()!r} is not a list of follow-ups I know")
    return ListFollowUps("user", person)


def _top(text: str, verb: str) -> tuple[int, str]:
    """("top 5 segment SMB" -> 5, "segment SMB"); the default is 10."""
    match = re.match(r"^top\s+(\S+)\s*", text, re.I)
    if not match:
        return 10, text
    if not match.group(1).isdigit() or not 1 <= int(match.group(1)) <= 100:
        raise ParseError(verb, f"{match.group(1)!r} is not a count; use top 1 to top 100")
    return int(match.group(1)), text[match.end() :]


_CLV_CHECK = re.compile(r"^check(?:\s+(?:holdout\s+)?(?P<weeks>\S+)(?:\s+weeks?)?)?\s*$", re.I)


def _clv(rest: str) -> ShowClv | CheckClvModels:
    if rest.strip().lower().split()[:1] == ["check"]:
        match = _CLV_CHECK.match(rest.strip())
        weeks = match.group("weeks") if match else None
        if match is None or (weeks is not None and not (weeks.isdigit() and int(weeks) >= 1)):
            raise ParseError(
                "clv check", f"{rest.strip()!r}: use clv check, or clv check holdout 26 weeks"
            )
        return CheckClvModels(int(weeks) if weeks else None)
    top, rest = _top(rest.strip(), "clv")
    head, extra = _keywords(rest, ("segment", "owner"))
    if head and (extra or top != 10):
        raise ParseError(
            "clv", f"{head!r} is not a filter; use clv top N segment <segment> owner @user"
        )
    if head:
        return ShowClv(customer=head)
    return ShowClv(top=top, segment=extra.get("segment"), owner=extra.get("owner"))


def _churn(rest: str) -> ShowChurnRisk | ShowChurnRate:
    words = rest.lower().split()
    if words[:1] == ["rate"] or words[:1] == ["rates"]:
        period = words[-1] if len(words) > 1 else "month"
        period = {
            "monthly": "month",
            "months": "month",
            "quarterly": "quarter",
            "quarters": "quarter",
        }.get(period, period)
        if period not in ("month", "quarter"):
            raise ParseError(
                "churn rate",
                f"{words[-1]!r} is not a period; use churn rate by month or by quarter",
            )
        return ShowChurnRate(period)  # type: ignore[arg-type]
    top, rest = _top(rest.strip(), "churn")
    head, extra = _keywords(rest, ("owner", "segment"))
    if head:
        raise ParseError(
            "churn",
            f"{head!r} is not something churn understands; use churn top N segment <segment> "
            "owner @user",
        )
    return ShowChurnRisk(top, extra.get("owner"), extra.get("segment"))


def _undo(rest: str) -> Undo:
    text = rest.strip().lstrip("#")
    if not text:
        return Undo()
    if not text.isdigit() or len(text) > 18:
        raise ParseError(
            "undo", f"{rest.strip()!r}: undo takes back your last write; just type undo"
        )
    return Undo(int(text))


def _edit(rest: str) -> EditInteraction:
    number, summary = _interaction_id(rest, "edit", "edit #12 talked pricing, not renewal")
    if not summary:
        raise ParseError("edit", f"say the new summary, e.g. edit #{number} talked pricing")
    return EditInteraction(number, summary)


def _interaction_id(rest: str, verb: str, example: str) -> tuple[int, str]:
    """(12, "the rest") from "#12 the rest" or "interaction 12: the rest"."""
    match = _INTERACTION_ID.match(rest.strip())
    if not match:
        hint = "; to erase a customer's data, use forget <customer>" if verb == "delete" else ""
        raise ParseError(
            verb,
            f"{verb} takes an interaction's number, as the card and each confirmation show it: "
            f"{example}{hint}",
        )
    return int(match["id"]), match["rest"].strip()


def _forget(rest: str) -> ForgetCustomer:
    text = _required(rest, "forget", "forget whom? e.g. forget Acme")
    confirmed = text.lower().endswith(" confirm")
    if confirmed:
        text = text[: -len(" confirm")].strip()
    return ForgetCustomer(text, confirmed)


def _days(rest: str, verb: str) -> int:
    """ "" (a week), "last 7 days", "last 2 weeks", "last month" -> a number of days."""
    text = rest.strip().lower()
    if not text:
        return 7
    match = re.fullmatch(r"(?:last\s+)?(\d+)?\s*(day|week|month)s?", text)
    if not match:
        raise ParseError(
            verb, f"{rest.strip()!r} is not a period; write e.g. last 7 days or last 2 weeks"
        )
    return int(match[1] or 1) * {"day": 1, "week": 7, "month": 30}[match[2]]


def _retention(rest: str) -> ShowRetention:
    word = rest.strip().lower()
    if word not in ("", "cohort", "cohorts"):
        raise ParseError("retention", f"{rest.strip()!r} is not something retention understands")
    return ShowRetention(cohorts=bool(word))


def _nps_summary(rest: str) -> ShowNps:
    text = rest.strip().lower()
    days, by, period = 90, None, None
    window = re.search(
        r"(?:last|over|for|in)\s+(?:the\s+)?(\d+)\s*(day|days|week|weeks|month|months|year|years)\b",
        text,
    )
    if window:
        size = {"day": 1, "week": 7, "month": 30, "year": 365}[window.group(2).rstrip("s")]
        days = int(window.group(1)) * size
        if not 1 <= days <= 3650:
            raise ParseError("nps summary", "the window must be between 1 day and 10 years")
    elif calendar := re.search(r"\b(this|last|previous)\s+(month|quarter|year)\b", text):
        period = ("last" if calendar[1] == "previous" else calendar[1], calendar[2])
    elif re.search(r"\blast\b", text):
        raise ParseError("nps summary", "say how far back, e.g. nps last 90 days")
    grouped = re.search(r"\bby\s+(\w+)", text)
    if grouped:
        if grouped.group(1) not in ("segment", "owner"):
            raise ParseError(
                "nps summary",
                f"{grouped.group(1)!r}: NPS can be broken down by segment or by owner",
            )
        by = grouped.group(1)
    return ShowNps(days=days, by=by, period=period)  # type: ignore[arg-type]
