"""Chat answers rendered for people: Block Kit for Slack, plain text for the terminal.

Each result type has two templates, `text/<name>.txt.j2` and `slack/<name>.mrkdwn.j2`, named
after the result class (CustomerCard -> customer_card). A Slack template writes mrkdwn in
which every value is escaped (our own mentions excepted); a line `# Title` opens with a
header, a line `---` starts a new section, a line `~ text` is a context line. Buttons come
from the result's data here, each carrying the command it runs. A button that acts on what
the asker typed (a choice, a confirmation, an undo) is bound to the asker (`offered_to`), and
a destructive one asks Slack's confirm question before it sends anything.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import tzinfo
from typing import Any

from commands import results
from reports import blockkit
from reports.action_ids import LOG_BUTTON, RUN_COMMAND
from reports.button_values import button_value
from reports.mrkdwn import truncate
from reports.templating import environment, slack_environment

UNDO_HINT = "(Type `undo` to take it back.)"
# Commands that destroy or take back something: their buttons always ask first, even when a
# choice came without its own question.
_DESTRUCTIVE = re.compile(r"^(?:forget|delete|merge|undo|alerts\s+unsubscribe)\b", re.I)


def template_name(result: object) -> str:
    """CustomerCard -> customer_card."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(result).__name__).lower()


def render_text(answer: results.Answer, tz: tzinfo, names: Mapping[str, str] | None = None) -> str:
    """The answer as terminal text; `names` shows Slack ids as people's names ("Jane Roe")."""
    template = environment().get_template(f"text/{template_name(answer.result)}.txt.j2")
    text = template.render(r=answer.result, tz=tz, names=names or {}).rstrip() + "\n"
    if getattr(answer.result, "undo_id", None):
        text += UNDO_HINT + "\n"
    return text


def render_message(
    answer: results.Answer,
    tz: tzinfo,
    *,
    surface: str = "message",
    offered_to: str | None = None,
) -> dict[str, Any]:
    """The answer as a Slack message: {"text": fallback, "blocks": [...]}, within Slack's limits.

    `offered_to` is the Slack user who asked: their choices and confirmations act for them only.
    """
    result = answer.result
    if isinstance(result, results.AlertDigest):  # a section and its buttons per customer
        from reports.alerts import digest_message  # it loads the tables: `help` needs none

        return digest_message(result, tz)
    mrkdwn = (
        slack_environment()
        .get_template(f"slack/{template_name(result)}.mrkdwn.j2")
        .render(r=result, tz=tz)
    )
    mrkdwn = mrkdwn.replace("&#39;", "'").replace("&#34;", '"')  # markupsafe's, not Slack's
    blocks = _blocks(mrkdwn)
    buttons = _buttons(result, offered_to)
    if undo_id := getattr(result, "undo_id", None):  # only its author can use it (crm_core.undo)
        buttons.append(
            _choice(results.Choice("Undo", f"undo {undo_id}", "Take this back?"), offered_to)
        )
    blocks.append(blockkit.actions(buttons))
    return blockkit.message(_fallback(mrkdwn), blocks, surface=surface)


def load_templates() -> int:
    """Compile the Slack templates (and the parts they include) now, ~6 ms each, so that the
    first answers of a new server process do not each wait for theirs; how many there are."""
    env = slack_environment()
    names = env.list_templates(filter_func=lambda name: name.startswith(("slack/", "_")))
    for name in names:
        env.get_template(name)
    return len(names)


def _blocks(mrkdwn: str) -> list[blockkit.Block | None]:
    blocks: list[blockkit.Block | None] = []
    lines = mrkdwn.strip().splitlines()
    if lines and lines[0].startswith("# "):
        blocks.append(blockkit.header(html.unescape(lines.pop(0)[2:])))
    for part in "\n".join(lines).split("\n---\n"):
        section: list[str] = []
        for line in part.strip("\n").splitlines():
            if line.startswith("~ "):
                blocks.extend(_sections(section))
                section = []
                blocks.append(blockkit.context(line[2:]))
            else:
                section.append(line)
        blocks.extend(_sections(section))
    return blocks


def _sections(lines: list[str]) -> list[blockkit.Block]:
    """Lines as sections of at most 3,000 characters, split between lines where possible."""
    sections, current = [], ""
    for line in lines:
        if current and len(current) + 1 + len(line) > blockkit.SECTION_TEXT:
            sections.append(blockkit.section(current))
            current = ""
        current = f"{current}\n{line}" if current else line
    if current.strip():
        sections.append(blockkit.section(current))
    return sections


def _fallback(mrkdwn: str) -> str:
    lines = [line for line in mrkdwn.splitlines() if line.strip() and line.strip() != "---"]
    first = lines[0].removeprefix("# ") if lines else "CRM"
    return truncate(first, 300)


def _run(label: str, command: str, style: str | None = None) -> blockkit.Block:
    return blockkit.button(label, action_id=RUN_COMMAND, value=command, style=style)  # type: ignore[arg-type]


def _choice(
    choice: results.Choice, offered_to: str | None, style: str | None = None
) -> blockkit.Block:
    """A button for one of the asker's ways forward: theirs alone, and asking first when it
    destroys something."""
    confirm = choice.confirm
    if confirm is None and _DESTRUCTIVE.match(choice.command):
        confirm = f'This runs "{choice.command}", which removes or takes back data. Go ahead?'
    return blockkit.button(
        choice.label,
        action_id=RUN_COMMAND,
        value=button_value(choice.command, offered_to),
        style="danger" if confirm and style is None else style,  # type: ignore[arg-type]
        confirm=confirm,
    )


def _buttons(result: object, offered_to: str | None = None) -> list[blockkit.Block]:
    match result:
        case results.CustomerCard(card=card):
            customer_id = card.customer.id
            buttons = [
                blockkit.button(
                    "Log call", action_id=LOG_BUTTON, value=str(customer_id), style="primary"
                )
            ]
            buttons += [
                _run(f"Done: {f.summary or f.kind}", f"done #{f.id}")
                for f in card.open_follow_ups[:5]
            ]
            return buttons
        case results.Logged(interaction=interaction, customer=customer):
            buttons = [_run("Open 360", f"customer #{customer.id}")]
            if interaction.follow_up_at and not interaction.follow_up_done:
                buttons.append(_run("Mark follow-up done", f"done #{interaction.id}"))
            return buttons
        case results.ReminderSet(interaction=interaction, customer=customer):
            return [
                _run("Open 360", f"customer #{customer.id}"),
                _run("Mark done", f"done #{interaction.id}"),
            ]
        case results.Found(matches=matches):
            return [_run(f"Open {m.name}", f"customer #{m.customer_id}") for m in matches]
        case (
            results.CustomerAdded(customer=customer)
            | results.PurchaseRecorded(customer=customer)
            | results.NpsRecorded(customer=customer)
            | results.ContactAdded(customer=customer)
        ):
            return [
                _run("Open 360", f"customer #{customer.id}"),
                blockkit.button("Log call", action_id=LOG_BUTTON, value=str(customer.id)),
            ]
        case results.FollowUpList(items=items):
            return [
                _run(f"Done #{f.interaction_id} {f.customer_name}", f"done #{f.interaction_id}")
                for f in items
            ]
        case results.ClvTop(values=top):
            return [_run(f"Open {v.name}", f"customer #{v.customer_id}") for v in top]
        case results.ChurnList(items=items):
            return [_run(f"Open {a.value.name}", f"customer #{a.value.customer_id}") for a in items]
        case results.ClvOne(card=card):
            return [_run("Open 360", f"customer #{card.customer.id}")]
        case results.ForgetConfirm(card=card, confirm_command=command):
            question = (
                f"Erase the personal data of {card.customer.name} for good? This cannot be undone."
            )
            erase = results.Choice(f"Erase {card.customer.name}", command, question)
            return [_choice(erase, offered_to, "danger")]
        case results.DidYouMean(choices=choices) | results.Problem(choices=choices):
            return [_choice(c, offered_to) for c in choices]
        case results.NotFound(suggestions=suggestions, add_command=add_command):
            return [_choice(c, offered_to) for c in suggestions] + [
                _choice(results.Choice("Add it", add_command), offered_to, "primary")
            ]
    return []
