"""Who is asking: the Data Service's record of the Slack user behind an action."""

from __future__ import annotations

from jeeves_shared.dataclient import DataServiceClient, User
from jeeves_shared.messages import Action


async def asker(data: DataServiceClient, action: Action) -> User:
    """The user who sent ``action``, created on first sight."""
    where = action.conversation
    return await data.get_or_create_user(where.team_id, where.user_id)
