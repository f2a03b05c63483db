"""Push (推送): what the early warning and the refreshes bring, sent to the groups that act on it.

`python -m cockpit.notify`, run by the scheduler after each refresh, reads the served generation
and the ETL's run log through the cockpit's read path, and sends to the channels of a TOML file
(channels.py): 企业微信 and 钉钉 group robots (markdown; 钉钉 signed), a generic JSON webhook and
e-mail (SMTP). Each channel hears only its area, as an account of that area sees it, and only
the kinds it asks for (notices.py); it is told of a thing once, and again only when it changes;
quiet hours, a rate limit, retries with back-off and the delivery log: run.py, deliver.py,
store.py. Messages carry area and subclass names, counts, dates and a link to the cockpit page,
never a resident's data (every one is checked with warehouse/personal.py before it leaves)."""
