"""The Slack side of the workers: the poster (the only code that posts to Slack), its leased
reply claims, and the Slack client factory other worker kinds use for lookups."""
