"""Who is asking: the Data Service's record of the Slack user behind an action."""

from __future__ import annotations

from jeeves_shared.dataclient import DataServiceClient, User
from jeeves_shared.messages import Action


async def asker(data: DataServiceClient, action: Action) -> User:
    """The user who sent ``action``, created on first sight.

    Keyed on the user's own team (:attr:`~jeeves_shared.messages.Conversation.user_team`), not
    the installation's: one person asking in a Slack Connect channel and in their DM with the
    bot is one user, with one set of settings.
    """
    where = action.conversation
    return await data.get_or_create_user(where.user_team, where.user_id)
