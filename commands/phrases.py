"""The phrase table: how people ask, and the command each way of asking stands for.

"how is acme doing" is `customer acme`; "who are my top customers" is `clv top 10 owner me`.
Each phrase is one regular expression over the whole line (case aside; a trailing "?", "."
or "please" and a leading "please", "can you" are dropped first), the command it becomes,
and the parts added when a group matched. Its examples are its tests: tests/test_phrases.py
rewrites every one and runs what it becomes.

The line comes cleaned, one space between words, so a pattern writes a space as " ", never
`\\s+`: a name matched as little as possible followed by `\\s+` would read a long run of
spaces once from every space in it (tests/test_bounded_input.py times every pattern).

To teach the CRM a new phrasing, add a Phrase with at least one example. Keep patterns
specific: a phrase is tried before the commands, so it must never match a command as typed.
Phrases whose pattern begins with free text (a customer's name) are only tried when the
line does not start with a command's word (`free_start=True`).
"""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass, field

# A customer's name, as far as a phrase can tell: anything, matched as little as possible.
_NAME = r"(?P<customer>.+?)"
_COUNT = r"(?:(?P<top>\d{1,3}) )?"
_CUSTOMERS = r"(?:customers|clients|accounts)"
_SEGMENT = (
    r"(?: (?:in|from|of) (?:the )?(?:segment )?(?P<segment>[\w &-]+?)"
    r"(?: segment)?)?"
)
_AMOUNT = r"(?P<amount>(?:[a-z]{3} ?)?[-+]?[$€£]? ?\d[\d.,]*(?: ?[a-z]{3})?)"
_POLITE_START = re.compile(r"^(?:please|pls|can you|could you|would you|hey crm,?) ", re.I)
# A run of these characters is entered at its first one only (the look-behinds), so a line
# of 4,000 spaces or commas is read once, not once from every character in it.
_POLITE_END = re.compile(r"(?:(?<![ ,])[ ,]+please)?(?<![ ?.!])[ ?.!]*$", re.I)


@dataclass(frozen=True)
class Phrase:
    """One way of asking: `pattern` over the whole line becomes `command`, then each part of
    `extras` whose group matched (" segment {}" with the segment's text)."""

    pattern: str
    command: str
    examples: tuple[tuple[str, str], ...]
    extras: dict[str, str] = field(default_factory=dict)
    free_start: bool = False
    # What a group reads as when it did not match ("top": "10").
    defaults: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "compiled", re.compile(rf"^(?:{self.pattern})$", re.I))

    def rewrite(self, text: str) -> str | None:
        match = self.compiled.match(text)  # type: ignore[attr-defined]
        if not match:
            return None
        found = {k: v.strip() for k, v in match.groupdict().items() if v and v.strip()}
        command = self.command.format_map(_Defaults({**self.defaults, **found}))
        for group, part in self.extras.items():
            if group in found:
                command += part.format(found[group])
        return " ".join(command.split())


class _Defaults(dict):
    """Groups a phrase names but did not match read as empty."""

    def __missing__(self, key: str) -> str:
        return ""


PHRASES: tuple[Phrase, ...] = (
    # -- numbers first: "how is our nps" is a score, not a customer called "our nps" --------
    Phrase(
        r"(?:what(?:'s|’s| is) |how(?:'s|’s| is) |show(?: me)? )?(?:our |the )?"
        r"(?:nps|net promoter score)(?: score)?"
        r"(?P<rest>(?: (?:this|last|previous|by|over|for|in)\b.*)?)",
        "nps {rest}",
        (
            ("what's our nps", "nps"),
            ("how is our NPS this quarter", "nps this quarter"),
            ("show me the net promoter score by segment", "nps by segment"),
            ("net promoter score last 30 days", "nps last 30 days"),
        ),
    ),
    Phrase(
        r"(?:what(?:'s|’s| is) |show(?: me)? )?(?:our |the )?"
        r"(?P<period>monthly|quarterly) churn(?: rate)?",
        "churn rate by {period}",
        (("what's our quarterly churn rate", "churn rate by quarterly"),),
    ),
    Phrase(
        r"(?:what(?:'s|’s| is) |show(?: me)? )?(?:our |the )?churn rates?"
        r"(?: (?:by|per|this|each) (?P<period>month|quarter))?",
        "churn rate",
        (
            ("what is our churn rate", "churn rate"),
            ("show churn rate by quarter", "churn rate by quarter"),
        ),
        {"period": " by {}"},
    ),
    Phrase(
        r"(?:show(?: me)? |what(?:'s|’s| is) )?(?:the )?churn (?:for|in|of) "
        r"(?:the )?(?:segment )?(?P<segment>[\w &-]+?)(?: segment)?",
        "churn segment {segment}",
        (
            ("show churn for enterprise", "churn segment enterprise"),
            ("churn in the SMB segment", "churn segment SMB"),
        ),
    ),
    Phrase(
        rf"(?:show(?: me)? |list )?"
        rf"(?:my (?:{_CUSTOMERS} at[- ]risk|at[- ]risk {_CUSTOMERS})"
        rf"|(?:{_CUSTOMERS}|who(?:'s|’s| is| are)) at[- ]risk (?:owned by|of) (?:me|myself))",
        "churn owner me",
        (
            ("customers at risk owned by me", "churn owner me"),
            ("my customers at risk", "churn owner me"),
            ("show me my at-risk accounts", "churn owner me"),
        ),
    ),
    Phrase(
        rf"(?:show(?: me)? |list )?(?:{_CUSTOMERS}|who(?:'s|’s| is| are))"
        r" (?:is )?at[- ]risk"
        r"(?: (?:owned by|of) (?P<owner>\S+(?: \S+)?))?" + _SEGMENT,
        "churn",
        (
            ("customers at risk", "churn"),
            ("who is at risk?", "churn"),
            ("accounts at risk owned by @jane", "churn owner @jane"),
            ("customers at risk in enterprise", "churn segment enterprise"),
        ),
        {"owner": " owner {}", "segment": " segment {}"},
    ),
    Phrase(
        r"who(?:'s|’s| is| are) (?:slipping away|churning|likely to churn|about to churn|"
        r"going cold)",
        "churn",
        (("who is slipping away", "churn"), ("who's likely to churn", "churn")),
    ),
    # -- the most valuable customers ----------------------------------------------------------
    Phrase(
        rf"(?:who are |show(?: me)? |list |what are )?my (?:top|best|most valuable|"
        rf"biggest) {_COUNT}{_CUSTOMERS}",
        "clv top {top} owner me",
        (
            ("who are my top customers", "clv top 10 owner me"),
            ("my top 5 accounts", "clv top 5 owner me"),
        ),
        defaults={"top": "10"},
    ),
    Phrase(
        rf"(?:who are |show(?: me)? |list |what are )?(?:our |the )?(?:top|best|"
        rf"most valuable|biggest) {_COUNT}{_CUSTOMERS}" + _SEGMENT,
        "clv top {top}",
        (
            ("who are our best customers", "clv top 10"),
            ("top 5 customers", "clv top 5"),
            ("show me the most valuable clients in Enterprise", "clv top 10 segment Enterprise"),
        ),
        {"segment": " segment {}"},
        defaults={"top": "10"},
    ),
    Phrase(
        rf"(?:what(?:'s|’s| is)|how much is) {_NAME} worth",
        "clv {customer}",
        (("what is acme worth", "clv acme"), ("how much is Globex Corp worth", "clv Globex Corp")),
    ),
    Phrase(
        rf"(?:the )?(?:lifetime value|ltv|clv|customer lifetime value) (?:of|for) {_NAME}",
        "clv {customer}",
        (("lifetime value of acme", "clv acme"),),
    ),
    # -- follow-ups ---------------------------------------------------------------------------
    Phrase(
        r"(?:what(?:'s|’s| is) (?:due|on my plate|on my list)|what do i (?:need|have) to do|"
        r"(?:show(?: me)? )?my (?:follow[- ]?ups|to-?dos|tasks))"
        r"(?P<today> today| for today)?",
        "followups",
        (
            ("what's due today", "followups today"),
            ("what do I need to do today?", "followups today"),
            ("my follow-ups", "followups"),
            ("what's on my plate", "followups"),
        ),
        {"today": " today"},
    ),
    Phrase(
        r"(?:what(?:'s|’s| is)|anything|show(?: me)?(?: what's)?) overdue",
        "followups overdue",
        (("what's overdue", "followups overdue"), ("anything overdue?", "followups overdue")),
    ),
    Phrase(
        rf"mark {_NAME} (?:as )?done",
        "done {customer}",
        (("mark acme as done", "done acme"),),
    ),
    Phrase(
        rf"(?:i'?m )?(?:done|finished) with (?:the follow[- ]?up (?:for|with) )?{_NAME}",
        "done {customer}",
        (
            ("done with globex", "done globex"),
            ("finished with the follow-up for acme", "done acme"),
        ),
    ),
    # -- logging, as people say it ------------------------------------------------------------
    Phrase(
        r"(?:i )?(?:just )?(?:called|phoned|rang|spoke (?:to|with)|talked (?:to|with)|"
        r"had a (?:call|chat) with|got off the phone with) (?P<rest>.+)",
        "log call with {rest}",
        (
            ("called acme corp, talked pricing", "log call with acme corp, talked pricing"),
            ("just spoke to Globex - they want a demo", "log call with Globex - they want a demo"),
            (
                "had a call with acme yesterday: renewal, call back next week",
                "log call with acme yesterday: renewal, call back next week",
            ),
            ("called acme", "log call with acme"),
            (
                "I just got off the phone with acme about pricing",
                "log call with acme about pricing",
            ),
        ),
    ),
    Phrase(
        r"(?:i )?(?:just )?(?:met|had a meeting|met up) with (?P<rest>.+)",
        "log meeting with {rest}",
        (("met with acme: demo went well", "log meeting with acme: demo went well"),),
    ),
    Phrase(
        r"(?:i )?(?:just )?(?:emailed|e-mailed|mailed|wrote to|sent an email to)"
        r" (?P<rest>.+)",
        "log email with {rest}",
        (("emailed acme about the quote", "log email with acme about the quote"),),
    ),
    # -- orders -------------------------------------------------------------------------------
    Phrase(
        rf"{_NAME} (?:bought|paid|ordered|purchased|spent) (?:for )?{_AMOUNT}"
        r"(?: (?:on|last) (?P<on>.+))?",
        "purchase {customer} {amount}",
        (
            ("acme bought $1,200", "purchase acme $1,200"),
            ("Globex paid EUR 99 on Dec 3", "purchase Globex EUR 99 on Dec 3"),
        ),
        {"on": " on {}"},
        free_start=True,
    ),
    Phrase(
        rf"(?:we )?sold {_AMOUNT} (?:worth )?to {_NAME}",
        "purchase {customer} {amount}",
        (("sold $500 to globex", "purchase globex $500"),),
    ),
    Phrase(
        rf"(?:we )?sold (?:to )?{_NAME} {_AMOUNT}",
        "purchase {customer} {amount}",
        (("sold acme 1200", "purchase acme 1200"),),
    ),
    Phrase(
        rf"(?:refund(?:ed)?|gave) {_NAME} (?:a refund of )?[$€£]?(?P<amount>\d[\d.,]*)",
        "purchase {customer} -{amount}",
        (("refund acme 50", "purchase acme -50"), ("refunded Globex $20", "purchase Globex -20")),
    ),
    # -- customers ----------------------------------------------------------------------------
    Phrase(
        r"(?:new|create(?: a)?(?: new)?) (?:customer|client|account|company)[: ]+(?P<rest>.+)",
        "add customer {rest}",
        (("new customer Initech", "add customer Initech"),),
    ),
    Phrase(
        r"(?:search for|look for|find (?:the )?(?:customers?|clients?) (?:named|called)|who is)"
        r" (?P<text>.+)",
        "find {text}",
        (("who is Jane Roe", "find Jane Roe"), ("search for acme", "find acme")),
    ),
    Phrase(
        r"how(?:'s|’s| is| are) (?:things (?:with|at) )?"
        rf"(?!(?:our|the|my|we|it|this|that|many|much|churn|retention|nps)\b){_NAME}"
        r"(?: doing)?",
        "customer {customer}",
        (
            ("how is acme doing", "customer acme"),
            ("how's acme", "customer acme"),
            ("how’s Acme Corp doing?", "customer Acme Corp"),
            ("how are things with globex", "customer globex"),
        ),
    ),
    Phrase(
        rf"(?:tell me about|what do we know about|pull up|bring up|open) {_NAME}",
        "customer {customer}",
        (("tell me about acme", "customer acme"), ("pull up Globex", "customer Globex")),
    ),
    Phrase(
        rf"show me (?!(?:churn|clv|nps|retention|segments|pareto|cac|follow|alerts|audit|"
        rf"my|our|the|top|who|what)\b){_NAME}",
        "customer {customer}",
        (("show me acme", "customer acme"),),
    ),
    # -- reports ------------------------------------------------------------------------------
    Phrase(
        r"show(?: me)? (?:the |our )?(?P<what>churn|clv|retention|segments|pareto|cac|"
        r"followups|follow-ups|alerts|audit)\b(?P<rest>.*)",
        "{what} {rest}",
        (("show segments", "segments"), ("show me the churn top 5", "churn top 5")),
    ),
    Phrase(
        r"(?:rfm|customer segments|segment breakdown|segmentation)(?: analysis)?",
        "segments",
        (("segment breakdown", "segments"),),
    ),
    Phrase(
        r"(?:80/20|eighty[- ]twenty|pareto)(?: (?:rule|split|analysis))?"
        r"|who brings (?:in )?80% of (?:the )?revenue",
        "pareto",
        (("80/20", "pareto"), ("who brings 80% of revenue", "pareto")),
    ),
    Phrase(
        r"(?:what(?:'s|’s| is) )?(?:our |the )?(?:customer )?acquisition cost(?:s)?"
        r"(?: by channel)?|cost (?:to|of) acquir(?:e|ing) (?:a )?customers?",
        "cac",
        (("what's our customer acquisition cost", "cac"),),
    ),
    Phrase(
        r"(?:cohort (?:retention|analysis|table)|retention by cohorts?)",
        "retention cohorts",
        (("cohort analysis", "retention cohorts"),),
    ),
    Phrase(
        r"(?:what(?:'s|’s| is) |how(?:'s|’s| is) )(?:our |the )?retention(?: rate)?",
        "retention",
        (("what's our retention rate", "retention"),),
    ),
    # -- the rest ------------------------------------------------------------------------------
    Phrase(
        r"(?:oops|undo (?:that|it|last|my last)|take (?:that|it) back|scratch that)",
        "undo",
        (("oops", "undo"), ("scratch that", "undo")),
    ),
    Phrase(
        r"(?:send|post) (?:the )?(?:churn )?(?:digest|alerts?) to (?P<channel>\S+)(?P<rest>.*)",
        "alerts subscribe {channel} {rest}",
        (
            (
                "send the churn digest to #sales daily at 9:00",
                "alerts subscribe #sales daily at 9:00",
            ),
        ),
    ),
    Phrase(
        r"what can you do|what do you (?:understand|know)|commands|how do i use (?:this|you)",
        "help",
        (("what can you do?", "help"),),
    ),
)


def rephrase(text: str, *, verbs: Container[str]) -> str | None:
    """The command a natural phrasing of `text` stands for, or None to read it as typed."""
    line = _POLITE_END.sub("", _POLITE_START.sub("", text.strip()))
    starts_with_verb = line.split(" ", 1)[0].lower() in verbs
    for phrase in PHRASES:
        if phrase.free_start and starts_with_verb:
            continue
        if (command := phrase.rewrite(line)) is not None:
            return command
    return None
