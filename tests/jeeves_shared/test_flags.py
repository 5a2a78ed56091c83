"""Feature flags through the OpenFeature SDK, answered by the provider fed from ``JEEVES_FLAGS``.

Every evaluation here goes through OpenFeature's client (``Flags``), as the front door's do, and
asserts the evaluation's reason: the SDK turns any failure into the caller's default, which
would otherwise look like a rollout that happens to give the current version.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from openfeature import api
from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import FlagResolutionDetails, Reason
from prometheus_client import REGISTRY
from pydantic import ValidationError
from structlog.testing import capture_logs

from jeeves_frontend.settings import FrontendSettings
from jeeves_shared.flags import (
    DOMAIN,
    FlagEvaluationError,
    Flags,
    FlagsError,
    SettingsProvider,
    action_routing_key,
    parse_flags,
)
from jeeves_shared.messages import Action, Conversation
from jeeves_shared.runtime.settings import describe_errors
from workers.settings import WorkerSettings

FLAG = "weather-worker"
USERS = [EvaluationContext(targeting_key=f"T{n % 7:04d}:U{n:07d}") for n in range(10_000)]


def flags(rollout: str, *, strict: bool = True) -> Flags:
    """The flags of ``JEEVES_FLAGS=rollout``, strict: a failed evaluation raises."""
    return Flags.install(SettingsProvider(parse_flags(rollout)), strict=strict)


def split(percent_v2: float) -> str:
    return f'{{"{FLAG}": {{"v1": {100 - percent_v2}, "v2": {percent_v2}}}}}'


async def variants(flagged: Flags, users: list[EvaluationContext]) -> list[str]:
    return [await flagged.variant(FLAG, "v1", user) for user in users]


async def details_of(users: list[EvaluationContext]) -> list[tuple[str, str | None]]:
    """(value, reason) of each user's evaluation through OpenFeature's own client."""
    client = api.get_client(DOMAIN)
    found = []
    for user in users:
        details = await client.get_string_details_async(FLAG, "v1", user)
        assert details.error_code is None, details
        found.append((details.value, details.reason))
    return found


async def test_the_same_user_always_gets_the_same_variant() -> None:
    first = await variants(flags(split(50)), USERS[:500])
    again = await variants(flags(split(50)), USERS[:500])  # a new provider: a restart
    assert first == again
    assert [await flags(split(50)).variant(FLAG, "v1", USERS[7]) for _ in range(20)] == [
        first[7]
    ] * 20
    assert set(first) == {"v1", "v2"}


@pytest.mark.parametrize(("percent", "expected"), [(0, "v1"), (100, "v2")])
async def test_zero_and_one_hundred_percent_are_exact(percent: int, expected: str) -> None:
    flags(split(percent))
    found = await details_of(USERS)
    assert Counter(found) == {(expected, Reason.STATIC): len(USERS)}


async def test_ten_percent_is_ten_percent_of_ten_thousand_users_within_one_and_a_half() -> None:
    flags(split(10))
    found = await details_of(USERS)
    assert {reason for _, reason in found} == {Reason.SPLIT}
    share = sum(value == "v2" for value, _ in found) / len(USERS)
    # A uniform hash gives a binomial count: sd = sqrt(0.1 * 0.9 / 10,000) = 0.3 %, so the
    # issue's ±1.5 % is five of them; a biased or broken bucketing falls outside it.
    assert 0.085 <= share <= 0.115, share


async def test_growing_the_share_keeps_who_has_the_new_version_and_a_rollback_reverses() -> None:
    steps = {p: await variants(flags(split(p)), USERS[:2000]) for p in (10, 50, 100)}
    for smaller, bigger in ((10, 50), (50, 100)):
        moved_back = [
            n for n, v in enumerate(steps[smaller]) if v == "v2" and steps[bigger][n] != "v2"
        ]
        assert moved_back == [], (smaller, bigger)
    assert await variants(flags(split(10)), USERS[:2000]) == steps[10]  # rolled back to 10 %


async def test_flags_split_users_independently_of_each_other() -> None:
    rollout = '{"a": {"v1": 50, "v2": 50}, "b": {"v1": 50, "v2": 50}}'
    flagged = flags(rollout)
    pairs = [
        (await flagged.variant("a", "v1", u), await flagged.variant("b", "v1", u))
        for u in USERS[:2000]
    ]
    # Keyed on the flag too: about a quarter of users in each pair, not all on the diagonal.
    assert all(300 < n < 700 for n in Counter(pairs).values()), Counter(pairs)


async def test_a_broken_evaluator_fails_instead_of_silently_defaulting() -> None:
    class Broken(SettingsProvider):
        def resolve_string_details(
            self,
            flag_key: str,
            default_value: str,
            evaluation_context: EvaluationContext | None = None,
        ) -> FlagResolutionDetails[str]:
            raise ZeroDivisionError("a bug in the evaluator")

    strict = Flags.install(Broken(parse_flags(split(100))), strict=True)
    # The SDK's trap: the exception is swallowed and the default comes back, reason ERROR.
    details = await api.get_client(DOMAIN).get_string_details_async(FLAG, "v1", USERS[0])
    assert (details.value, details.reason, details.error_code) == ("v1", "ERROR", "GENERAL")
    with pytest.raises(FlagEvaluationError, match="a bug in the evaluator"):
        await strict.variant(FLAG, "v1", USERS[0])
    # In production the current version is the safe answer: used, logged and counted.
    lenient = Flags.install(Broken(parse_flags(split(100))), strict=False)
    before = evaluations(FLAG, "default", "ERROR")
    with capture_logs() as logs:
        assert await lenient.variant(FLAG, "v1", USERS[0]) == "v1"
    assert [line["event"] for line in logs] == ["flag.evaluation_failed"]
    assert logs[0]["error_code"] == ErrorCode.GENERAL
    assert evaluations(FLAG, "default", "ERROR") == before + 1


async def test_an_evaluation_without_a_user_is_an_error_not_a_default() -> None:
    with pytest.raises(FlagEvaluationError, match="TARGETING_KEY_MISSING"):
        await flags(split(10)).variant(FLAG, "v1", EvaluationContext())


async def test_a_flag_that_is_not_configured_gives_the_default_quietly() -> None:
    with capture_logs() as logs:
        assert await flags("").variant(FLAG, "v1", USERS[0]) == "v1"
    assert logs == []


async def test_a_provider_set_without_waiting_answers_defaults_at_first() -> None:
    release = threading.Event()

    class Slow(SettingsProvider):
        def initialize(self, evaluation_context: EvaluationContext) -> None:
            release.wait(5)

    api.set_provider(Slow(parse_flags(split(100))), DOMAIN)  # the trap: not waited for
    details = await api.get_client(DOMAIN).get_string_details_async(FLAG, "v1", USERS[0])
    assert (details.value, details.error_code) == ("v1", ErrorCode.PROVIDER_NOT_READY)
    release.set()

    class Slower(SettingsProvider):
        def initialize(self, evaluation_context: EvaluationContext) -> None:
            time.sleep(0.2)

    flagged = Flags.install(Slower(parse_flags(split(100))), strict=True)  # waits
    assert await flagged.variant(FLAG, "v1", USERS[0]) == "v2"


def evaluations(flag: str, variant: str, reason: str) -> float:
    labels = {"flag": flag, "variant": variant, "reason": reason}
    return REGISTRY.get_sample_value("jeeves_flag_evaluations_total", labels) or 0.0


async def test_every_evaluation_is_counted_by_flag_variant_and_reason() -> None:
    flagged = flags(split(10))
    before = {v: evaluations(FLAG, v, "SPLIT") for v in ("v1", "v2")}
    got = Counter(await variants(flagged, USERS[:300]))
    after = {v: evaluations(FLAG, v, "SPLIT") for v in ("v1", "v2")}
    assert {v: after[v] - before[v] for v in after} == {"v1": got["v1"], "v2": got["v2"]}


async def test_a_flag_not_configured_counts_as_not_found_not_as_an_error() -> None:
    # Without JEEVES_FLAGS every weather request evaluated the flag and counted ERROR (review).
    flagged = Flags.install(SettingsProvider({}))
    before = (evaluations(FLAG, "default", "FLAG_NOT_FOUND"), evaluations(FLAG, "default", "ERROR"))
    assert await flagged.variant(FLAG, "v1", USERS[0]) == "v1"
    after = (evaluations(FLAG, "default", "FLAG_NOT_FOUND"), evaluations(FLAG, "default", "ERROR"))
    assert (after[0] - before[0], after[1] - before[1]) == (1.0, 0.0)


#: The settings of the processes that route by the flags: the front door (chat) and the
#: workers' (the scheduler: daily alerts).
Reader = FrontendSettings | WorkerSettings
READERS: list[type[Reader]] = [FrontendSettings, WorkerSettings]


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        ("{", "not JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"weather-worker": {"v1": 90, "v2": 20}}', "add up to 110, not 100"),
        ('{"weather-worker": {"v1": 90, "v2": "10"}}', "'10' is not a percentage"),
        ('{"weather-worker": {"v1": 90.001, "v2": 9.999}}', "at most two decimals"),
        ('{"weather-worker": {"v1": 110, "v2": -10}}', "not a percentage from 0 to 100"),
        ('{"weather-worker": {"v1": true, "v2": 99}}', "True is not a percentage"),
        ('{"weather-worker": {}}', "give its variants and percentages"),
        ('{"Weather Worker": {"v1": 100}}', "flag name 'Weather Worker' must be"),
        ('{"weather-wroker": {"v1": 90, "v2": 10}}', "unknown flag 'weather-wroker'"),
        ('{"weather-worker": {"v1": 90, "v3": 10}}', "has no variant 'v3'; its variants: v1, v2"),
    ],
)
@pytest.mark.parametrize("process", READERS, ids=lambda cls: cls.__name__)
def test_an_unusable_rollout_stops_the_front_door_and_the_scheduler_naming_the_setting(
    value: str, complaint: str, process: type[Reader], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JEEVES_FLAGS", value)
    with pytest.raises(ValidationError) as failed:
        process()
    [line] = describe_errors(failed.value)
    assert line.startswith("JEEVES_FLAGS: ")
    assert complaint in line


@pytest.mark.parametrize("process", READERS, ids=lambda cls: cls.__name__)
def test_a_valid_rollout_is_read(process: type[Reader], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JEEVES_FLAGS", '{"weather-worker": {"v2": 12.5, "v1": 87.5}}')
    [(flag, rule)] = process().flag_rules().items()
    assert (flag, rule.percent("v1"), rule.percent("v2")) == (FLAG, 87.5, 12.5)
    with pytest.raises(FlagsError):
        parse_flags('{"x": {"v1": 100, "v2": 0.001}}')


def asking(command: str) -> Action:
    where = Conversation(origin="slack", team_id="T0001", channel_id="C0001", user_id="U0001")
    return Action(id=f"ev-{command}", command=command, conversation=where)


async def test_the_routing_key_follows_the_variant_and_only_rolled_out_commands_evaluate() -> None:
    flagged = flags(split(100))
    before = evaluations(FLAG, "v2", "STATIC")
    assert await action_routing_key(asking("weather"), flagged) == "action.weather.v2"
    assert await action_routing_key(asking("help"), flagged) == "action.help"
    assert evaluations(FLAG, "v2", "STATIC") == before + 1
    assert await action_routing_key(asking("weather"), flags(split(0))) == "action.weather"


async def test_a_variant_the_rollout_does_not_know_keeps_the_current_worker() -> None:
    class Elsewhere(SettingsProvider):  # as a provider configured outside Jeeves might answer
        def resolve_string_details(
            self,
            flag_key: str,
            default_value: str,
            evaluation_context: EvaluationContext | None = None,
        ) -> FlagResolutionDetails[str]:
            return FlagResolutionDetails(value="v9", variant="v9", reason=Reason.TARGETING_MATCH)

    flagged = Flags.install(Elsewhere({}), strict=True)
    with capture_logs() as logs:
        assert await action_routing_key(asking("weather"), flagged) == "action.weather"
    assert [(line["event"], line["variant"]) for line in logs] == [("flag.unknown_variant", "v9")]


def test_every_rolled_out_version_has_its_own_queue_and_worker_kind() -> None:
    from jeeves.cli import WORKER_KINDS
    from jeeves_shared.bus.topology import (
        ACTIONS_EXCHANGE,
        ROLLOUTS,
        WORKER_QUEUES,
        topic_matches,
        variant_key,
    )

    for command, rollout in ROLLOUTS.items():
        assert rollout.command == command
        for variant, kind in rollout.versions.items():
            key = variant_key(command, variant)
            serving = [
                name
                for name, queue in WORKER_QUEUES.items()
                if queue.exchange == ACTIONS_EXCHANGE
                and any(topic_matches(pattern, key) for pattern in queue.routing_keys)
            ]
            assert serving == [kind], key
            assert kind in WORKER_KINDS


def test_a_retried_message_of_the_new_version_returns_to_its_own_queue() -> None:
    from jeeves_shared.bus.topology import WORKER_QUEUES, requeue_key, topic_matches

    # Work queues are bound to jeeves.requeue with "*.<name>"; "jeeves.weather.v2" has one
    # more word than "jeeves.weather", so neither binding takes the other's retries.
    for kind, queue in WORKER_QUEUES.items():
        key = requeue_key("5s", queue.name)
        back_to = [k for k, q in WORKER_QUEUES.items() if topic_matches(f"*.{q.name}", key)]
        assert back_to == [kind]
