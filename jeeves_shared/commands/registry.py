"""The command registry: which words Jeeves understands, and what each command does.

The front door routes on a command's :attr:`Command.name` (``action.<name>``); the help worker
renders its answers from :data:`COMMANDS`, so help always matches what is routed.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The command name of text that matches nothing: the help worker answers it.
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Command:
    """One command: its name (the routing key suffix), how to use it, and what it does."""

    name: str
    usage: str
    summary: str
    #: Word sequences that invoke it, in lower case; by default its name.
    words: tuple[str, ...] = ()
    details: str = ""
    examples: tuple[str, ...] = ()
    #: Its arguments end in the person's own words (a reminder's text, a setting's value), so a
    #: final ``?``, ``.``, ``!`` or "please" is theirs and is kept (see :mod:`.parsing`).
    free_text: bool = False

    @property
    def phrases(self) -> tuple[str, ...]:
        """Every word sequence that invokes this command."""
        return self.words or (self.name,)


COMMANDS: tuple[Command, ...] = (
    Command(
        name="help",
        usage="help [command]",
        summary="List what I can do, or explain one command.",
        words=("help", "commands"),
        details="With a command name, shows how to use that command and some examples.",
        examples=("help", "help weather"),
    ),
    Command(
        name="weather",
        usage="weather [in <place>]",
        summary="The weather now, for a place or for where you are.",
        details="Without a place I use your location (`set location <place>`). Temperatures "
        "follow your units (`config set units imperial`).",
        examples=("weather", "weather in Paris", "weather New York"),
    ),
    Command(
        name="set_location",
        usage="set location <place>",
        summary="Tell me where you are, for `weather` and daily alerts.",
        words=("set location",),
        examples=("set location Lyon, FR",),
    ),
    Command(
        name="get_location",
        usage="get location",
        summary="Where I think you are.",
        words=("get location", "where am i"),
        examples=("get location", "where am i"),
    ),
    Command(
        name="config",
        usage="config show | get <key> | set <key> <value> | unset <key>",
        summary="Your settings.",
        details="Known keys: `units` (metric or imperial) and `timezone` (an IANA name such as "
        "Europe/Paris). Other keys hold up to 200 characters each, 50 keys at most.",
        examples=("config show", "config set units imperial", "config set timezone Asia/Tokyo"),
        free_text=True,
    ),
    Command(
        name="alerts",
        usage="alerts [on [HH:MM] | off]",
        summary="A daily weather message at a time of your choosing (08:00 by default).",
        details="The time is in your timezone (`config set timezone <name>`), UTC otherwise. "
        "`alerts` alone tells you what is set.",
        examples=("alerts on", "alerts on 07:30", "alerts off", "alerts"),
    ),
    Command(
        name="remind",
        usage="remind me in <n> <minutes|hours|days|weeks> to <text> | "
        "remind me at <time> to <text>",
        summary="A reminder, by direct message (or in this thread) when it is due.",
        words=("remind me", "remind"),
        details="The time can also come last (`remind me to stretch in 10 minutes`). `<n>` is "
        "a number or a word up to twelve (`in two hours`), `an`/`a` (`in an hour`); `<time>` is "
        "`17:30`, `5:30pm` or `9pm`, in your timezone. At most 365 days ahead.",
        examples=(
            "remind me in 10 minutes to stretch",
            "remind me to call Ann at 5pm",
            "remind me in two weeks to renew the parking permit",
        ),
        free_text=True,
    ),
    Command(
        name="reminders",
        usage="reminders [cancel <id>]",
        summary="Your pending reminders, or cancel one.",
        examples=("reminders", "reminders cancel 12"),
    ),
    Command(
        name="login",
        usage="login",
        summary="A link to your Jeeves dashboard, by direct message.",
    ),
)

#: Commands by name (the routing key suffix).
BY_NAME = {command.name: command for command in COMMANDS}
