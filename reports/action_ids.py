"""The action ids of the buttons reports draw, as prefixes (blockkit numbers them `prefix:N`);
the bot's listeners match on the same names."""

RUN_COMMAND = "crm_run"  # a button whose value is a command to run
LOG_BUTTON = "crm_log"  # "Log call" (value: the customer id)
SNOOZE_BUTTON = "crm_snooze"  # a digest's "Snooze 30 days" (value: the customer id)
NOT_AT_RISK_BUTTON = "crm_not_at_risk"  # a digest's "Not at risk" (value: the customer id)
