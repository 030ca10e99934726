"""The classroom: who is asking, what they may do with a run, how many runs they may queue, and what the
lecturer is showing.

Two modes, one code path:

* **solo** (the default: no class key). One user on ``localhost``; no sign-in; every action is allowed and
  every caller acts as :data:`SOLO`.
* **classroom** (``CNN_CLASSROOM_CLASS_KEY`` set). Learners join with the class key and a nickname, the lecturer
  with ``CNN_CLASSROOM_LECTURER_KEY`` and a name. With ``CNN_CLASSROOM_LECTURER_EMAILS`` set (and the school's
  identity provider in Streamlit's ``secrets.toml``), members may instead sign in with their school account
  (:meth:`Classroom.join_school`): the provider vouches for them, the lecturer is whoever has one of those emails. A member's identity is a signed token
  (``payload.HMAC-SHA256(secret, payload)``): the secret lives in the classroom folder and never leaves the
  server, so a token cannot be forged or edited, and it is bound to the keys in force when it was issued, so a
  new class key signs everybody out. The dashboard keeps the token in a cookie: it survives a reload and a
  server restart and is never part of a URL, so sharing a link never shares an identity. :data:`SOLO` is
  refused in classroom mode: an action that forgot to say who asks fails closed.

The rules, each stated once:

* :func:`authorize`: the owner or the lecturer may stop, rename or delete a run; a recorded run is nobody's
  to change; in solo mode anything goes.
* :func:`may_see`: a learner sees their own runs, and the others' unless the lecturer hid them (:func:`visible_to`
  applies it to a list; the pages get their runs through it).
* :func:`check_quota`: a learner has at most ``max_running + max_queued`` active runs (default 1 + 1).

The classroom folder is ``RUNS_DIR/.classroom/`` (beside the runs, so it is shared the way they are):
``secret`` (the signing key), ``members.json`` (id -> nickname, role), ``state.json`` (class-wide switches
the lecturer sets), ``lecturer_view.json`` (the page and URL state the lecturer shows, for followers),
``challenge.json`` (the class challenge's rules, :mod:`cnn_core.classroom.challenge`).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import logging
import math
import os
import secrets
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from cnn_core.classroom.challenge import Challenge
from cnn_core.core.atomic import write_json_atomic, write_text_atomic
from cnn_core.core.errors import CodedError

logger = logging.getLogger(__name__)

FOLDER_NAME = ".classroom"
CHALLENGE_FILE = "challenge.json"
ENV_KEYS = (
    "CNN_CLASSROOM_RUNS_DIR",
    "CNN_CLASSROOM_HOME",
    "CNN_CLASSROOM_CLASS_KEY",
    "CNN_CLASSROOM_LECTURER_KEY",
    "CNN_CLASSROOM_MAX_RUNNING_PER_LEARNER",
    "CNN_CLASSROOM_MAX_QUEUED_PER_LEARNER",
    "CNN_CLASSROOM_LECTURER_EMAILS",
)
"""The environment the classroom is read from (a server caches its classroom per these values)."""
NICKNAME_MAX = 24
SCHOOL_PREFIX = "school-"
"""Member ids of members who signed in with their school account."""
PREPARED_STORY = "prepared"
"""``meta.json``'s ``story.kind`` of the book-length runs the lecturer prepared for the class: teaching material,
everyone's to see (:func:`may_see`), like the shipped recordings."""


class Role(StrEnum):
    SOLO = "solo"
    LEARNER = "learner"
    LECTURER = "lecturer"


class Action(StrEnum):
    """What a member may try to do to a run (or to the class)."""

    STOP = "stop"
    RENAME = "rename"
    DELETE = "delete"
    LAUNCH = "launch"
    MANAGE_CLASS = "manage_class"


class ClassroomError(CodedError):
    """Refused by a classroom rule; ``code`` is one of ``not_owner``, ``recorded``, ``lecturer_only``, ``quota``,
    ``wrong_key``, ``slow_down``, ``bad_code``, ``weak_lecturer_key``, ``nickname``, ``nickname_taken``, ``signed_out``."""

    catalog = "classroom_errors"


@dataclass(frozen=True)
class Identity:
    """A member of the class (or the solo user): a stable id, the nickname shown to others, and a role."""

    member_id: str
    nickname: str
    role: Role

    @property
    def is_lecturer(self) -> bool:
        return self.role == Role.LECTURER

    @property
    def is_solo(self) -> bool:
        return self.role == Role.SOLO

    @property
    def via_school(self) -> bool:
        """Signed in with the school's identity provider (signing out ends that sign-in too)."""
        return self.member_id.startswith(SCHOOL_PREFIX)

    def as_owner(self) -> dict[str, str]:
        """What a run records about its owner (``meta.json``'s ``owner``)."""
        return {"id": self.member_id, "nickname": self.nickname, "role": str(self.role)}


SOLO = Identity("local", "", Role.SOLO)
"""The one user of a dashboard without a class key."""


@dataclass(frozen=True)
class ClassroomSettings:
    """The mode and its limits, read from the environment (``CNN_CLASSROOM_CLASS_KEY``,
    ``CNN_CLASSROOM_LECTURER_KEY``, ``CNN_CLASSROOM_MAX_RUNNING_PER_LEARNER``, ``CNN_CLASSROOM_MAX_QUEUED_PER_LEARNER``,
    ``CNN_CLASSROOM_LECTURER_EMAILS``: comma-separated, turns on the school sign-in;
    ``CNN_CLASSROOM_DEVICE_CODE_SECONDS``: how long a second device's one-time code is valid, 5 s to 1 h)."""

    class_key: str = ""
    lecturer_key: str = ""
    max_running: int = 1
    max_queued: int = 1
    lecturer_emails: tuple[str, ...] = ()
    device_code_seconds: float = 300.0

    @property
    def enabled(self) -> bool:
        return bool(self.class_key) or self.school_sign_in

    @property
    def school_sign_in(self) -> bool:
        """Members may sign in with the school's identity provider (``st.login``)."""
        return bool(self.lecturer_emails)

    @property
    def max_active(self) -> int:
        return self.max_running + self.max_queued

    @property
    def fingerprint(self) -> str:
        """Changes when either key changes: tokens issued under other keys are no longer valid."""
        keys = f"{self.class_key}\0{self.lecturer_key}\0{','.join(self.lecturer_emails)}"
        return hashlib.sha256(keys.encode()).hexdigest()[:16]

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ClassroomSettings:
        env = os.environ if env is None else env

        def count(name: str) -> int:
            try:
                return max(0, int(env.get(name, "1")))
            except ValueError:
                return 1

        return cls(
            class_key=env.get("CNN_CLASSROOM_CLASS_KEY", "").strip(),
            lecturer_key=env.get("CNN_CLASSROOM_LECTURER_KEY", "").strip(),
            max_running=max(1, count("CNN_CLASSROOM_MAX_RUNNING_PER_LEARNER")),
            max_queued=count("CNN_CLASSROOM_MAX_QUEUED_PER_LEARNER"),
            lecturer_emails=tuple(
                sorted(
                    {e.strip().casefold() for e in env.get("CNN_CLASSROOM_LECTURER_EMAILS", "").split(",") if e.strip()}
                )
            ),
            device_code_seconds=code_seconds(env.get("CNN_CLASSROOM_DEVICE_CODE_SECONDS", "")),
        )


def code_seconds(text: str) -> float:
    """A one-time code's lifetime from its setting: 5 s to 1 h, 300 s when unset or not a number."""
    try:
        return min(max(float(text), MIN_CODE_S), MAX_CODE_S)
    except ValueError:
        return DEVICE_CODE_S


def classroom_enabled() -> bool:
    return ClassroomSettings.from_env().enabled


def owner_of(meta: Mapping) -> dict:
    """The owner recorded in a run's ``meta.json``; runs from before classrooms (or solo runs) belong to the solo user."""
    owner = meta.get("owner")
    return owner if isinstance(owner, dict) and isinstance(owner.get("id"), str) else SOLO.as_owner()


def authorize(actor: Identity, meta: Mapping, action: Action, settings: ClassroomSettings | None = None) -> None:
    """Allow ``action`` on the run whose ``meta.json`` is ``meta``, or raise :class:`ClassroomError`.

    Rule: a recorded run is nobody's to change; in solo mode the solo user may do anything; in classroom mode
    the lecturer may do anything, a learner only to runs whose ``owner.id`` is their own ``member_id``, and the
    solo identity nothing (a caller that did not say who asks).
    """
    settings = settings or ClassroomSettings.from_env()
    if meta.get("recorded"):
        raise ClassroomError("recorded", f"A recorded run cannot be changed. Received: action={action}", action=action)
    if not settings.enabled:
        return
    if actor.is_solo:
        raise ClassroomError("signed_out", f"Sign in to the class first. Received: action={action}", action=action)
    if actor.is_lecturer:
        return
    owner = owner_of(meta)
    if owner["id"] != actor.member_id:
        raise ClassroomError(
            "not_owner",
            f"Only its owner or the lecturer may {action} this run. Received: owner={owner.get('nickname')!r}, "
            f"you={actor.nickname!r}",
            action=str(action),
            owner=owner.get("nickname") or "?",
        )


def require_lecturer(actor: Identity, settings: ClassroomSettings | None = None) -> None:
    """Class-wide switches (hide the class's runs) are the lecturer's; the solo user is their own lecturer."""
    settings = settings or ClassroomSettings.from_env()
    if settings.enabled and not actor.is_lecturer:
        raise ClassroomError("lecturer_only", f"Only the lecturer may do this. Received: role={actor.role}")


def may_see(actor: Identity, meta: Mapping, runs_hidden: bool) -> bool:
    """A run is visible to the lecturer and its owner always, to other learners unless the lecturer hid the
    class's runs (recorded runs and the lecturer's prepared story are everyone's)."""
    prepared = (meta.get("story") or {}).get("kind") == PREPARED_STORY
    if actor.is_solo or actor.is_lecturer or meta.get("recorded") or prepared or not runs_hidden:
        return True
    return owner_of(meta)["id"] == actor.member_id


def visible_to(records: Iterable, viewer: Identity, runs_hidden: bool) -> list:
    """The runs (records with a ``meta``) ``viewer`` may see, in the order given: the one rule every page and helper
    that lists runs goes through (:func:`may_see` for each)."""
    return [r for r in records if may_see(viewer, r.meta, runs_hidden)]


def check_quota(
    actor: Identity, active_owners: Iterable[Mapping], settings: ClassroomSettings | None = None, adding: int = 1
) -> None:
    """Refuse a learner's launch of ``adding`` runs when that would give them more than ``max_running +
    max_queued`` runs queued or training.

    ``active_owners`` is the ``owner`` of every active run. The lecturer has no quota, nor the solo user in solo
    mode; in classroom mode the solo identity may not launch at all (a caller that did not say who asks).
    """
    settings = settings or ClassroomSettings.from_env()
    if not settings.enabled or actor.is_lecturer:
        return
    if actor.is_solo:
        raise ClassroomError("signed_out", "Sign in to the class first. Received: action=launch", action="launch")
    mine = sum(1 for owner in active_owners if owner.get("id") == actor.member_id)
    if mine + adding > settings.max_active:
        raise ClassroomError(
            "quota",
            f"At most {settings.max_running} running and {settings.max_queued} queued run(s) per learner. "
            f"Received: {mine} active run(s) of {actor.nickname!r}",
            running=settings.max_running,
            queued=settings.max_queued,
            active=mine,
        )


MIN_LECTURER_KEY = 12
"""A lecturer key shorter than this is refused: a learner who knows the class key could guess it."""


def weak_lecturer_key(settings: ClassroomSettings) -> str | None:
    """Why this classroom's lecturer key may not be used (``None``: it may), with a generated key to use instead."""
    key = settings.lecturer_key
    if not settings.class_key or not key or len(key) >= MIN_LECTURER_KEY:
        return None
    return (
        f"CNN_CLASSROOM_LECTURER_KEY has {len(key)} characters; at least {MIN_LECTURER_KEY} are needed. "
        f"For example: CNN_CLASSROOM_LECTURER_KEY={secrets.token_urlsafe(15)}"
    )


def main() -> int:
    """``python -m cnn_core.classroom.room``: exit 2 with the reason when the keys in the environment are unsafe
    (``scripts/serve.sh`` runs it before starting the server)."""
    problem = weak_lecturer_key(ClassroomSettings.from_env())
    if problem:
        print(problem)
        return 2
    return 0


DEVICE_CODE_S = 300.0
MIN_CODE_S, MAX_CODE_S = 5.0, 3600.0
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
_DEVICE_CODES: dict[tuple[str, str], tuple[Identity, float]] = {}
"""Open one-time codes of this server, by (classroom folder, code's HMAC): the codes themselves are not kept."""

FREE_FAILURES = 5
MAX_WAIT_S = 300.0


class JoinThrottle:
    """Wrong keys slow down: after :data:`FREE_FAILURES` wrong keys from a client (a browser session, a client
    address), its next try must come ``2 ** (failures - FREE_FAILURES)`` seconds after its last failure (1 s, 2 s,
    4 s, ... at most :data:`MAX_WAIT_S`); a try before that is refused with ``slow_down`` and never compared with a
    key. A right key clears the client's count. Kept in memory: one server process serves the class."""

    def __init__(self) -> None:
        self._failures: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def wait_seconds(self, clients: Iterable[str], at: float) -> float:
        """How long the slowest of ``clients`` must still wait before its next try (0: it may try now)."""
        with self._lock:
            waits = [
                last + min(2.0 ** (count - FREE_FAILURES), MAX_WAIT_S) - at
                for count, last in (self._failures.get(c, (0, 0.0)) for c in clients)
                if count >= FREE_FAILURES
            ]
        return max([0.0, *waits])

    def check(self, clients: Iterable[str], at: float) -> None:
        clients = list(clients)
        wait = self.wait_seconds(clients, at)
        if wait > 0:
            raise ClassroomError(
                "slow_down",
                f"Too many wrong keys: wait {wait:.0f} s. Received: clients={clients}",
                seconds=math.ceil(wait),
            )

    def failed(self, clients: Iterable[str], at: float) -> None:
        with self._lock:
            for client in clients:
                count, _ = self._failures.get(client, (0, 0.0))
                self._failures[client] = (count + 1, at)

    def succeeded(self, clients: Iterable[str]) -> None:
        with self._lock:
            for client in clients:
                self._failures.pop(client, None)


THROTTLE = JoinThrottle()
"""This server's join throttle."""


def validate_nickname(nickname: str) -> str:
    """1 to 24 printable characters (any script: 한글 is fine), no markup or path characters."""
    nickname = " ".join(str(nickname).split())
    if (
        not nickname
        or len(nickname) > NICKNAME_MAX
        or not nickname.isprintable()
        or any(c in nickname for c in "<>/\\`*_[]#|")
    ):
        raise ClassroomError(
            "nickname",
            f"A nickname has 1 to {NICKNAME_MAX} characters, without <>/\\`*_[]#|. Received: {nickname[:40]!r}",
            max=NICKNAME_MAX,
        )
    return nickname


def _school_nickname(name: str, email: str) -> str:
    """The provider's display name as a nickname, else the email's local part, else "member"."""
    for candidate in (name, email.split("@")[0]):
        cleaned = "".join(c for c in " ".join(str(candidate).split()) if c not in "<>/\\`*_[]#|")[:NICKNAME_MAX].strip()
        try:
            return validate_nickname(cleaned)
        except ClassroomError:
            continue
    return "member"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class LecturerView:
    """What the lecturer's browser shows: the page's URL path and its URL state; ``version`` grows with each change;
    ``section`` names the page section (fragment key) whose widget changed, empty when it was the whole page."""

    page: str
    params: dict[str, str]
    version: int = 0
    at: float = 0.0
    section: str = ""


@dataclass
class Classroom:
    """The classroom folder: signing and checking tokens, the member list, class-wide state, the lecturer's view."""

    root: Path
    settings: ClassroomSettings = field(default_factory=ClassroomSettings.from_env)
    _secret_bytes: bytes | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.root = Path(self.root)

    @classmethod
    def beside(cls, runs_dir: Path, settings: ClassroomSettings | None = None) -> Classroom:
        return cls(Path(runs_dir) / FOLDER_NAME, settings or ClassroomSettings.from_env())

    @property
    def enabled(self) -> bool:
        return self.settings.enabled

    # -- identity -------------------------------------------------------------------------------------------

    def _secret(self) -> bytes:
        if self._secret_bytes is None:
            path = self.root / "secret"
            with _LOCK:
                if not path.exists():
                    self.root.mkdir(parents=True, exist_ok=True)
                    write_text_atomic(path, secrets.token_hex(32))
                    path.chmod(0o600)
            self._secret_bytes = bytes.fromhex(path.read_text().strip())
        return self._secret_bytes

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._secret(), payload.encode(), hashlib.sha256).digest())

    def token_for(self, identity: Identity) -> str:
        payload = _b64(
            json.dumps(
                {
                    "m": identity.member_id,
                    "n": identity.nickname,
                    "r": str(identity.role),
                    "k": self.settings.fingerprint,
                },
                separators=(",", ":"),
                ensure_ascii=False,
            ).encode()
        )
        return f"{payload}.{self._sign(payload)}"

    def identity_from_token(self, token: str | None) -> Identity | None:
        """The member a token was issued to, or ``None`` for a missing, edited, forged or outdated token."""
        if not self.enabled or not token or not isinstance(token, str) or token.count(".") != 1 or len(token) > 1024:
            return None
        payload, signature = token.split(".")
        if not hmac.compare_digest(signature, self._sign(payload)):
            return None
        try:
            data = json.loads(_unb64(payload))
            identity = Identity(str(data["m"]), str(data["n"]), Role(data["r"]))
        except (ValueError, KeyError, TypeError):
            return None
        if data.get("k") != self.settings.fingerprint or identity.is_solo:
            return None
        return identity

    def members(self) -> dict[str, dict]:
        try:
            data = json.loads((self.root / "members.json").read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def join(self, key: str, nickname: str, clients: Iterable[str] = (), at: float | None = None) -> Identity:
        """Sign in with the class key (a learner) or the lecturer key (the lecturer) and a nickname.

        A learner's nickname must be free (any case); the lecturer may sign in again under the same name from
        another browser (the projector and a laptop). ``clients`` name who is trying (the browser session, the
        client address): after :data:`FREE_FAILURES` wrong keys from one of them, :data:`THROTTLE` makes it wait
        longer and longer before its key is even looked at. Raises :class:`ClassroomError` (``slow_down``,
        ``wrong_key``, ``nickname``, ``nickname_taken``).
        """
        at = time.time() if at is None else at
        THROTTLE.check(clients, at)
        key = str(key).strip()
        if self.settings.lecturer_key and hmac.compare_digest(key.encode(), self.settings.lecturer_key.encode()):
            if weak_lecturer_key(self.settings):  # a server started without scripts/serve.sh's check
                raise ClassroomError("weak_lecturer_key", f"The lecturer key is shorter than {MIN_LECTURER_KEY} characters. Received: {len(key)}", length=MIN_LECTURER_KEY)  # fmt: skip
            role = Role.LECTURER
        elif hmac.compare_digest(key.encode(), self.settings.class_key.encode()):
            role = Role.LEARNER
        else:
            THROTTLE.failed(clients, at)
            raise ClassroomError("wrong_key", "That is not this class's key. Received: a key of the wrong value")
        THROTTLE.succeeded(clients)
        nickname = validate_nickname(nickname)
        with _LOCK:
            members = self.members()
            for member_id, member in members.items():
                if member.get("nickname", "").casefold() == nickname.casefold():
                    if role == Role.LECTURER and member.get("role") == Role.LECTURER:
                        return Identity(member_id, member["nickname"], role)
                    raise ClassroomError(
                        "nickname_taken", f"Someone in the class already uses this nickname. Received: {nickname!r}",
                        nickname=nickname,
                    )  # fmt: skip
            identity = Identity(secrets.token_hex(8), nickname, role)
            members[identity.member_id] = {"nickname": nickname, "role": str(role)}
            write_json_atomic(self.root / "members.json", members)
        logger.info("%s %r joined the class", role, nickname)
        return identity

    def join_school(self, subject: str, email: str, name: str, email_verified: bool = True) -> Identity:
        """Sign in a member the school's identity provider vouched for (``st.user``): the same member on every
        visit (``subject`` is the provider's issuer and subject), the lecturer when ``email`` is one of
        ``CNN_CLASSROOM_LECTURER_EMAILS`` and the provider did not say it is unverified (``email_verified``). The nickname is the provider's name (else the email's local part), made
        unique in the class with " 2", " 3", ... Raises :class:`ClassroomError` (``school_off``, ``nickname``).
        """
        if not self.settings.school_sign_in:
            raise ClassroomError("school_off", "This class has no school sign-in. Received: a school account")
        if not subject:
            raise ClassroomError("nickname", "The school account has no subject. Received: ''", max=NICKNAME_MAX)
        member_id = SCHOOL_PREFIX + hashlib.sha256(subject.encode()).hexdigest()[:16]
        lecturer = email_verified and email.strip().casefold() in self.settings.lecturer_emails
        role = Role.LECTURER if lecturer else Role.LEARNER
        with _LOCK:
            members = self.members()
            known = members.get(member_id)
            if known is not None:
                nickname = known["nickname"]
            else:
                base = _school_nickname(name, email)
                taken = {m.get("nickname", "").casefold() for m in members.values()}
                nickname = base
                for n in range(2, 1000):
                    if nickname.casefold() not in taken:
                        break
                    nickname = f"{base[: NICKNAME_MAX - 1 - len(str(n))]} {n}"
            if known is None or known.get("role") != str(role):
                members[member_id] = {"nickname": nickname, "role": str(role), "via": "school"}
                write_json_atomic(self.root / "members.json", members)
        if known is None:
            logger.info("%s %r joined the class with a school account", role, nickname)
        return Identity(member_id, nickname, role)

    # -- a second device -----------------------------------------------------------------------------------------

    def device_code(self, identity: Identity, at: float | None = None) -> tuple[str, float]:
        """A one-time code that signs ``identity`` in on another device: 8 characters (no 0/O, 1/I), valid
        ``settings.device_code_seconds`` (5 minutes unless set), used once; returns ``(code, expires_at)``. Only the member may make it (the
        page asks for the signed-in identity); a nickname alone never signs anyone in."""
        if not self.enabled or identity.is_solo or identity.member_id not in self.members():
            raise ClassroomError("signed_out", "Sign in to the class first. Received: action=device_code", action="device_code")  # fmt: skip
        at = time.time() if at is None else at
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        key = self._code_key(code)  # outside the lock: the secret may be read under it
        with _LOCK:
            for old in [k for k, (_, expires) in _DEVICE_CODES.items() if expires <= at]:
                del _DEVICE_CODES[old]  # the expired ones
            _DEVICE_CODES[key] = (identity, at + self.settings.device_code_seconds)
        return code, at + self.settings.device_code_seconds

    def join_with_code(self, code: str, clients: Iterable[str] = (), at: float | None = None) -> Identity:
        """Sign in on another device with a code from :meth:`device_code`: once, before it expires. Wrong codes count
        toward the same throttle as wrong keys. Raises :class:`ClassroomError` (``slow_down``, ``bad_code``)."""
        at = time.time() if at is None else at
        THROTTLE.check(clients, at)
        key = self._code_key("".join(c for c in str(code).upper() if c.isalnum()))
        with _LOCK:
            entry = _DEVICE_CODES.pop(key, None)
        if entry is None or entry[1] <= at or entry[0].member_id not in self.members():
            THROTTLE.failed(clients, at)
            raise ClassroomError(
                "bad_code", "That code is unknown, used or expired. Received: a code of the wrong value"
            )
        THROTTLE.succeeded(clients)
        logger.info("%r signed in on another device", entry[0].nickname)
        return entry[0]

    def _code_key(self, code: str) -> tuple[str, str]:
        return str(self.root), hmac.new(self._secret(), code.encode(), hashlib.sha256).hexdigest()

    # -- class-wide state -----------------------------------------------------------------------------------

    def state(self) -> dict:
        try:
            data = json.loads((self.root / "state.json").read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    @property
    def runs_hidden(self) -> bool:
        return bool(self.state().get("runs_hidden")) if self.enabled else False

    def set_runs_hidden(self, hidden: bool, by: Identity) -> None:
        """The lecturer hides (or shows) every learner's runs from the other learners."""
        require_lecturer(by, self.settings)
        with _LOCK:
            write_json_atomic(self.root / "state.json", self.state() | {"runs_hidden": bool(hidden)})

    # -- the class challenge -----------------------------------------------------------------------------------

    def challenge(self) -> Challenge | None:
        """The current (or last) challenge; ``None`` when none was opened or its file is unreadable."""
        try:
            return Challenge.from_dict(json.loads((self.root / CHALLENGE_FILE).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError, CodedError):
            return None

    def open_challenge(self, challenge: Challenge, by: Identity) -> Challenge:
        """The lecturer opens ``challenge`` (it replaces the last one; its runs keep their challenge's id)."""
        require_lecturer(by, self.settings)
        opened = dataclasses.replace(challenge, opened_by=by.nickname)
        with _LOCK:
            self.root.mkdir(parents=True, exist_ok=True)
            write_json_atomic(self.root / CHALLENGE_FILE, opened.to_dict())
        logger.info("challenge %s %r opened by %r", opened.challenge_id, opened.title, by.nickname)
        return opened

    def close_challenge(self, by: Identity, at: float) -> Challenge | None:
        """The lecturer ends the current challenge now (before its deadline)."""
        require_lecturer(by, self.settings)
        with _LOCK:
            current = self.challenge()
            if current is None or current.closed_at is not None:
                return current
            closed = current.closed(at)
            write_json_atomic(self.root / CHALLENGE_FILE, closed.to_dict())
        return closed

    # -- follow the lecturer --------------------------------------------------------------------------------

    def lecturer_view(self) -> LecturerView | None:
        try:
            data = json.loads((self.root / "lecturer_view.json").read_text(encoding="utf-8"))
            return LecturerView(str(data["page"]), {str(k): str(v) for k, v in data["params"].items()},
                                int(data["version"]), float(data["at"]), str(data.get("section", "")))  # fmt: skip
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def publish_view(
        self, page: str, params: Mapping[str, str], by: Identity, at: float, section: str = ""
    ) -> LecturerView | None:
        """Record the lecturer's page and URL state when it changed; returns the new view (``None``: unchanged)."""
        require_lecturer(by, self.settings)
        params = {str(k): str(v) for k, v in params.items()}
        with _LOCK:
            current = self.lecturer_view()
            if current is not None and current.page == page and current.params == params:
                return None
            view = LecturerView(page, params, (current.version if current else 0) + 1, at, section)
            write_json_atomic(self.root / "lecturer_view.json", view.__dict__, durable=False)
        return view


_LOCK = threading.Lock()


if __name__ == "__main__":
    raise SystemExit(main())
