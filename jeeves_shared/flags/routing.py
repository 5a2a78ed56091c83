"""Routing at the publisher: which queue an action goes to while its worker is rolled out."""

from __future__ import annotations

import structlog
from openfeature.evaluation_context import EvaluationContext

from jeeves_shared.bus.topology import ROLLOUTS, action_key, variant_key
from jeeves_shared.flags.client import Flags
from jeeves_shared.flags.rules import Split, check_variants, parse_flags
from jeeves_shared.messages import Action

log = structlog.get_logger(__name__)

#: The flags Jeeves evaluates, and their variants (one flag per rollout of a worker).
KNOWN_FLAGS = {rollout.flag: rollout.variants for rollout in ROLLOUTS.values()}


def rollout_rules(text: str) -> dict[str, Split]:
    """The rollouts of ``JEEVES_FLAGS`` (``text``), checked against :data:`KNOWN_FLAGS`.

    Every process that routes by these flags (the front door for chat, the scheduler for
    daily alerts) reads the setting through this, so both refuse the same mistakes. Raises
    :class:`~jeeves_shared.flags.rules.FlagsError` as :func:`parse_flags` does, and for a flag
    or variant no rollout has (a typo must stop the process, not route nobody).
    """
    rules = parse_flags(text)
    check_variants(rules, KNOWN_FLAGS)
    return rules


def targeting(action: Action) -> EvaluationContext:
    """The evaluation context of ``action``'s user.

    The targeting key is ``<team_id>:<user_id>`` with the user's *own* team
    (:attr:`~jeeves_shared.messages.Conversation.user_team`, the key of their settings), so one
    person keeps one variant on every message, in their workspace as in a Slack Connect channel
    of another organisation, and two workspaces' users are bucketed apart. The team, the user
    and the command are attributes for providers that target on them.
    """
    where = action.conversation
    team = where.user_team
    return EvaluationContext(
        targeting_key=f"{team}:{where.user_id}",
        attributes={"team_id": team, "user_id": where.user_id, "command": action.command},
    )


async def action_routing_key(action: Action, flags: Flags) -> str:
    """``action.<command>``, or ``action.<command>.<variant>`` for a user whose rollout flag
    gives the new version (:data:`~jeeves_shared.bus.topology.ROLLOUTS`).

    Commands without a rollout evaluate no flag. A variant the rollout does not know (a
    provider configured elsewhere) keeps the current worker, with a warning.
    """
    rollout = ROLLOUTS.get(action.command)
    if rollout is None:
        return action_key(action.command)
    variant = await flags.variant(rollout.flag, rollout.current, targeting(action))
    if variant in rollout.versions:
        return variant_key(action.command, variant)
    if variant != rollout.current:
        log.warning("flag.unknown_variant", flag=rollout.flag, variant=variant[:48])
    return action_key(action.command)
