"""The Slack front door: verify, dedupe, route, publish, answer within Slack's 3 seconds."""
