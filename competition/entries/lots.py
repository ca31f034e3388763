"""Drawing lots (抽签): stations (工位号) and anonymous codes (加密号) for an event's entries.

Pure: imports neither Flask nor the database, so anyone can re-run a recorded
draw with nothing but Python and the values printed on the draw record.

Why the draw is fair
- The seed is 128 bits from the operating system's secure generator
  (``secrets.token_hex(16)``, made by the service), drawn only after the list
  of entries is fixed, so nobody can pick a seed that favours someone.
- Stations: every order of the stations is equally likely (a Fisher–Yates
  shuffle over the entries sorted by id, so the input order is fixed and
  cannot be arranged by hand).
- Codes: a random sample without replacement from the whole code space
  (``prefix`` + ``digits`` digits, e.g. A100…A999), drawn from a second
  generator seeded separately from the stations' one. So a code says nothing
  about a name, about the order of registration (the sequence of codes is not
  sorted by entry) or about the station (knowing the station does not narrow
  the code). Codes never start with 0, so spreadsheets cannot strip a digit.

Why it is reproducible
- ``random.Random(seed)`` with a text seed hashes the text with SHA-512, so the
  generator does not depend on the process (unlike ``hash()``).
- The shuffles use only ``Random.random()``, the one method whose sequence
  Python promises to keep across versions; ``shuffle`` and ``sample`` are not
  promised, so they are not used.
- ``verify`` recomputes a draw from its recorded seed and inputs (entry ids,
  the stations handed out, the prefix, the digits and the codes already taken
  by other divisions) and compares it with the recorded result.

Rules: stations and codes are random, unique within the event, and stored
with the seed so the draw can be shown to be fair; codes reveal nothing about
names or order of registration; docs/design.md section 5 (judges score codes,
never names).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from competition.errors import N_

ALGORITHM = "lots-v1"
CODE_DIGITS = (3, 4)
# One to three capital letters, optionally ended by a hyphen: A, YL, YL-.
CODE_PREFIX = re.compile(r"[A-Z]{1,3}-?")


class DrawError(ValueError):
    """A draw that cannot be made; ``message`` is an English id marked with ``N_``."""

    def __init__(self, message: str, **params) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


class Lot(NamedTuple):
    """What one entry drew."""

    entry_id: int
    station: int
    code: str


def draw(seed: str, entry_ids: Iterable[int], code_prefix: str, code_digits: int = 3, *,
         stations: Iterable[int] | None = None, taken_codes: Iterable[str] = ()) -> list[Lot]:
    """Draw a station and a code for every entry, reproducibly from ``seed``.

    ``stations`` are the station numbers to hand out (default 1..n; a draw for
    one division gets the numbers the other divisions left free); there must
    be exactly one per entry. ``taken_codes`` are codes other entries of the
    event already hold, never drawn again. Returns one ``Lot`` per entry, in
    the order of entry ids.
    """
    ids = _checked_ids(entry_ids)
    count = len(ids)
    pool = _checked_stations(stations, count)
    codes = code_space(code_prefix, code_digits, taken_codes)
    if len(codes) < count:
        raise DrawError(N_("Codes of %(digits)s digits leave room for %(room)s more entries, "
                           "fewer than the %(count)s to draw; choose more digits."),
                        digits=code_digits, room=len(codes), count=count)
    station_order = _shuffled(random.Random(f"{seed}/stations"), pool, count)
    code_order = _shuffled(random.Random(f"{seed}/codes"), codes, count)
    return [Lot(entry_id, station, code)
            for entry_id, station, code in zip(ids, station_order, code_order, strict=True)]


def verify(seed: str, entry_ids: Iterable[int], code_prefix: str, code_digits: int = 3, *,
           result: Iterable[Sequence], stations: Iterable[int] | None = None,
           taken_codes: Iterable[str] = ()) -> bool:
    """Whether ``result`` (entry id, station, code) is what the seed and inputs give."""
    try:
        expected = draw(seed, entry_ids, code_prefix, code_digits, stations=stations,
                        taken_codes=taken_codes)
    except DrawError:
        return False
    recorded = sorted(Lot(int(e), int(s), str(c)) for e, s, c in result)
    return recorded == expected


def code_space(code_prefix: str, code_digits: int, taken_codes: Iterable[str] = ()) -> list[str]:
    """Every code that may be drawn, in a fixed order: the prefix, then a number of
    ``code_digits`` digits without a leading zero, less the codes already taken."""
    if not CODE_PREFIX.fullmatch(code_prefix or ""):
        raise DrawError(N_("A code prefix is one to three capital letters, optionally "
                           "followed by a hyphen, e.g. A or YL-."))
    if code_digits not in CODE_DIGITS:
        raise DrawError(N_("Codes have 3 or 4 digits."))
    taken = set(taken_codes)
    low, high = 10 ** (code_digits - 1), 10 ** code_digits
    return [code for code in (f"{code_prefix}{n}" for n in range(low, high))
            if code not in taken]


def free_stations(taken: Iterable[int], count: int) -> list[int]:
    """The ``count`` lowest station numbers not taken by other entries of the event.

    A division drawn after another continues after its stations (1–8 taken:
    9, 10 …); a division drawn again gets back the numbers it held, since they
    are no longer taken by anyone else.
    """
    taken_set = set(taken)
    free: list[int] = []
    number = 1
    while len(free) < count:
        if number not in taken_set:
            free.append(number)
        number += 1
    return free


def _checked_ids(entry_ids: Iterable[int]) -> list[int]:
    ids = sorted(int(i) for i in entry_ids)
    if not ids:
        raise DrawError(N_("There is no one to draw lots for."))
    if len(set(ids)) != len(ids):
        raise DrawError(N_("An entry appears twice in the draw."))
    return ids


def _checked_stations(stations: Iterable[int] | None, count: int) -> list[int]:
    if stations is None:
        return list(range(1, count + 1))
    pool = sorted({int(s) for s in stations})
    if len(pool) != count or pool[0] < 1:
        raise DrawError(N_("The draw needs exactly one distinct station number from 1 up "
                           "for each of the %(count)s entries."), count=count)
    return pool


def _shuffled(rng: random.Random, items: list, count: int) -> list:
    """The first ``count`` items of a uniformly random order of ``items``.

    Fisher–Yates from the front, stopped after ``count`` steps (so a sample of
    ``count`` without replacement); positions come from ``rng.random()`` only.
    ``int(random() * k)`` is uniform on 0..k-1 up to k / 2**53, far below any
    count of entries or codes here.
    """
    order = list(items)
    for i in range(count):
        j = i + int(rng.random() * (len(order) - i))
        order[i], order[j] = order[j], order[i]
    return order[:count]


# --- Sessions (场次) ----------------------------------------------------------------------
#
# With sessions, an entry draws a place: a session and a station in it. Places are
# pairs (session id, station); the draw shuffles the places offered exactly as it
# shuffles stations (the same generator, over the places sorted by session id then
# station), and draws codes the same way. Which places are offered follows from the
# sessions recorded with the draw — each session's id, its number of stations and the
# stations other entries already hold there — so ``verify_places`` recomputes them too:
#
# - a draw spreads the entries over the sessions in proportion to the stations each
#   has free (largest remainder, ties to the earlier session), and in each session
#   offers its lowest free stations: sessions run about equally full, so no session
#   is left with a handful of contestants;
# - an addition (补充抽签) offers the next free places: the lowest free station of the
#   first session, in the sessions' order, that has room; nobody else moves.

PLACEMENT_SPREAD = "spread"
PLACEMENT_NEXT_FREE = "next_free"


class PlacedLot(NamedTuple):
    """What one entry drew when the event has sessions."""

    entry_id: int
    session_id: int
    station: int
    code: str


class SessionRoom(NamedTuple):
    """A session as a draw sees it: its id, its number of stations, the stations taken."""

    session_id: int
    stations: int
    taken: tuple[int, ...] = ()

    def free(self) -> list[int]:
        taken = set(self.taken)
        return [s for s in range(1, self.stations + 1) if s not in taken]


def session_places(sessions: Sequence[SessionRoom], count: int,
                   placement: str = PLACEMENT_SPREAD) -> list[tuple[int, int]]:
    """The ``count`` places (session id, station) a draw offers, in the sessions' order.

    Refused when the sessions have fewer free stations than ``count``."""
    rooms = [SessionRoom(int(s[0]), int(s[1]), tuple(int(t) for t in s[2])) for s in sessions]
    free = [room.free() for room in rooms]
    room_left = sum(len(f) for f in free)
    if count > room_left:
        raise DrawError(N_("The sessions have %(room)s free stations, fewer than the "
                           "%(count)s entries to place: add a session or more stations."),
                        room=room_left, count=count)
    if placement == PLACEMENT_NEXT_FREE:
        places = [(room.session_id, station) for room, stations in zip(rooms, free, strict=True)
                  for station in stations]
        return places[:count]
    if placement != PLACEMENT_SPREAD:
        raise DrawError(N_("Unknown way of placing entries in sessions."))
    # Largest remainder: each session's share of ``count`` by its free stations.
    shares = [count * len(f) // room_left for f in free] if room_left else []
    remainders = sorted(range(len(free)),
                        key=lambda i: (-(count * len(free[i]) % room_left), i))
    left = count - sum(shares)
    for i in remainders:
        if left == 0:
            break
        if shares[i] < len(free[i]):
            shares[i] += 1
            left -= 1
    return [(room.session_id, station)
            for room, stations, share in zip(rooms, free, shares, strict=True)
            for station in stations[:share]]


def draw_places(seed: str, entry_ids: Iterable[int], code_prefix: str, code_digits: int = 3,
                *, places: Iterable[Sequence[int]],
                taken_codes: Iterable[str] = ()) -> list[PlacedLot]:
    """Draw a place (session and station) and a code for every entry, from ``seed``.

    ``places`` are the (session id, station) pairs to hand out, one per entry. The
    same generators as ``draw``: places are shuffled like stations, codes drawn alike.
    Returns one ``PlacedLot`` per entry, in the order of entry ids."""
    ids = _checked_ids(entry_ids)
    pool = sorted({(int(s), int(t)) for s, t in places})
    if len(pool) != len(ids) or any(t < 1 for _, t in pool):
        raise DrawError(N_("The draw needs exactly one distinct station number from 1 up "
                           "for each of the %(count)s entries."), count=len(ids))
    codes = code_space(code_prefix, code_digits, taken_codes)
    if len(codes) < len(ids):
        raise DrawError(N_("Codes of %(digits)s digits leave room for %(room)s more entries, "
                           "fewer than the %(count)s to draw; choose more digits."),
                        digits=code_digits, room=len(codes), count=len(ids))
    place_order = _shuffled(random.Random(f"{seed}/stations"), pool, len(ids))
    code_order = _shuffled(random.Random(f"{seed}/codes"), codes, len(ids))
    return [PlacedLot(entry_id, session_id, station, code)
            for entry_id, (session_id, station), code
            in zip(ids, place_order, code_order, strict=True)]


def verify_places(seed: str, entry_ids: Iterable[int], code_prefix: str,
                  code_digits: int = 3, *, sessions: Sequence[Sequence], result: Iterable[Sequence],
                  placement: str = PLACEMENT_SPREAD, taken_codes: Iterable[str] = ()) -> bool:
    """Whether ``result`` (entry id, session id, station, code) is what the seed, the
    sessions (id, stations, stations taken) and the other inputs give."""
    ids = list(entry_ids)
    try:
        places = session_places(sessions, len(ids), placement)
        expected = draw_places(seed, ids, code_prefix, code_digits, places=places,
                               taken_codes=taken_codes)
    except (DrawError, TypeError, ValueError, IndexError):
        return False
    recorded = sorted(PlacedLot(int(e), int(s), int(t), str(c)) for e, s, t, c in result)
    return recorded == expected
