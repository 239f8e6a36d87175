"""The state machines behind one small public helper, on django-fsm-2's public API only.

Orders, invoices (and every later lifecycle) declare their moves as ``@transition`` methods on an
``FSMField``. Services, the API and the admin ask these questions of them:

- ``transition_for(instance, target)``: the declared move from the instance's current status to ``target``
  (``None`` when the state machine has no such move), with its method, permission and conditions;
- ``may_move(instance, target, user)``: the move exists from here and the user's role may make it (its
  conditions, such as "not on hold", are checked separately so that each gets its own refusal);
- ``conditions_met(instance, target)``: the move exists from here and its conditions hold now;
- ``allowed_targets(instance, user)``: the statuses the instance may be moved to now (conditions met), and
  with ``user`` only those the user may make — what ``allowed_statuses`` shows. Moves declared with
  ``custom={"automatic": True}`` (an invoice becoming paid) happen as a consequence of something else and
  are never offered;
- ``declared_transition(model, source, target)``: the declared move between two statuses, for batch services
  that write the target status in bulk and must write exactly what the state machine declares;
- ``permission_for(model, target)``: the permission a role needs to move instances of ``model`` to
  ``target`` (for bulk actions, which have no single instance);
- ``transition_apply(instance, target, ...)``: the one skeleton of a service's move of a locked instance
  (find the move → may the actor make it → its own refusals → its conditions → side effects → call → save →
  history), each state machine giving its refusals (``invalid_move``: 409 naming the allowed statuses;
  ``refused_move``: 403) and its history writer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple, TypeVar

from django.db import models
from django_fsm import ConcurrentTransition, ConcurrentTransitionMixin, FSMFieldMixin, Transition

from .errors import InvalidTransition, PermissionRefused
from .postgres import LaterWrite
from .postgres_documents import update_and_record

_ANY_SOURCE = ("*", "+")

M = TypeVar("M", bound=models.Model)
R = TypeVar("R")
H = TypeVar("H", bound=models.Model)


class ConcurrentTransitions(ConcurrentTransitionMixin):
    """django-fsm-2's ``ConcurrentTransitionMixin``, with the model's state fields found once per class: the
    mixin looks them up among all fields each time an instance is made (a page of 50 orders showed it)."""

    @property
    def state_fields(self) -> tuple[FSMFieldMixin, ...]:
        cls = type(self)
        found: tuple[FSMFieldMixin, ...] | None = cls.__dict__.get("_state_fields_found")
        if found is None:
            found = tuple(field for field in self._meta.fields if isinstance(field, FSMFieldMixin))
            cls._state_fields_found = found  # type: ignore[attr-defined]
        return found


def all_transitions(model: type[models.Model] | models.Model, field: str = "status") -> list[Transition]:
    """Every declared transition of ``field`` on ``model`` (one per source status)."""
    model_class = model if isinstance(model, type) else type(model)
    fsm_field: Any = model_class._meta.get_field(field)
    return list(fsm_field.get_all_transitions(model_class))


def _state(instance: Any, field: str) -> str:
    return str(getattr(instance, field))


def _from_state(transition: Transition, state: str) -> bool:
    source = transition.source
    if source == "+":
        return state != str(transition.target)
    return source == "*" or str(source) == state


def transition_for(instance: models.Model, target: str, field: str = "status") -> Transition | None:
    """The declared move of ``instance`` from its current status to ``target``, or None."""
    state = _state(instance, field)
    for transition in all_transitions(instance, field):
        if str(transition.target) == str(target) and _from_state(transition, state):
            return transition
    return None


def conditions_met(instance: models.Model, target: str, field: str = "status") -> bool:
    transition = transition_for(instance, target, field)
    return transition is not None and all(condition(instance) for condition in transition.conditions)


def may_move(instance: models.Model, target: str, user: Any, field: str = "status") -> bool:
    """The move exists from the current status and ``user``'s role allows it (conditions not checked)."""
    transition = transition_for(instance, target, field)
    return transition is not None and transition.has_perm(instance, user)


def allowed_targets(instance: Any, user: Any = None, field: str = "status", *,
                    model: type[models.Model] | None = None) -> list[str]:
    """Statuses ``instance`` may be moved to now (conditions met); with ``user``, only those the user may
    make. Automatic moves are left out. In the order the status choices are declared. ``instance`` is a model
    instance, or a row of its fields by their names (``model`` names the model then): the conditions read it.

    What the answer depends on besides the instance is worked out once per user object (as Django caches the
    user's permissions on it: one request) and status (``_targets_plan``): from a status whose moves have no
    conditions and no permission given as a function, the answer is that list; otherwise per instance only the
    conditions are checked, and a permission given as a function (which may read the instance) is asked."""
    plan = _targets_plan(model or type(instance), field, _state(instance, field), user)
    if plan.fixed is not None:
        return list(plan.fixed)
    return [target for target, moves in plan.moves
            if any(all(condition(instance) for condition in transition.conditions)
                   and (not ask or transition.has_perm(instance, user)) for transition, ask in moves)]


class _TargetsPlan(NamedTuple):
    """The requestable moves from one status that one user may make, by target in declared order; ``fixed``:
    the targets themselves when none of them has a condition or a permission to ask per instance."""

    fixed: tuple[str, ...] | None
    moves: tuple[tuple[str, tuple[tuple[Transition, bool], ...]], ...]


_PLANS: dict[tuple[type[models.Model], str, str], _TargetsPlan] = {}


def _targets_plan(model: type[models.Model], field: str, state: str, user: Any) -> _TargetsPlan:
    key = (model, field, state)
    plans: dict[tuple[type[models.Model], str, str], _TargetsPlan] = (
        _PLANS if user is None else user.__dict__.setdefault("_fsm_targets_plans", {}))
    plan = plans.get(key)
    if plan is None:
        by_target: dict[str, list[tuple[Transition, bool]]] = {}
        for transition, ask in _permitted_moves(model, field, state, user):
            by_target.setdefault(str(transition.target), []).append((transition, ask))
        moves = tuple((status, tuple(by_target[status])) for status in _declared_statuses(model, field)
                      if status in by_target)
        fixed = not any(ask or transition.conditions for _status, each in moves for transition, ask in each)
        plan = plans[key] = _TargetsPlan(tuple(status for status, _each in moves) if fixed else None, moves)
    return plan


_MOVES: dict[tuple[type[models.Model], str, str], list[Transition]] = {}
_DECLARED: dict[tuple[type[models.Model], str], list[str]] = {}


def _declared_statuses(model: type[models.Model], field: str) -> list[str]:
    key = (model, field)
    if key not in _DECLARED:
        fsm_field: Any = model._meta.get_field(field)
        _DECLARED[key] = [str(value) for value, _label in fsm_field.choices or []]
    return _DECLARED[key]


def _permitted_moves(model: type[models.Model], field: str, state: str, user: Any) -> list[tuple[Transition, bool]]:
    """The requestable moves from ``state`` (automatic ones left out) that ``user`` may make (all, without a
    user), each with whether its permission must still be asked per instance (a function)."""
    key = (model, field, state)
    if key not in _MOVES:  # declared in code: the same for the life of the process
        _MOVES[key] = [t for t in all_transitions(model, field)
                       if _from_state(t, state) and not t.custom.get("automatic")]
    if user is None:
        return [(transition, False) for transition in _MOVES[key]]
    cache: dict[tuple[type[models.Model], str, str], list[tuple[Transition, bool]]] = (
        user.__dict__.setdefault("_fsm_permitted_moves", {}))
    if key not in cache:
        cache[key] = [(t, True) if callable(t.permission) else (t, False) for t in _MOVES[key]
                      if callable(t.permission) or not t.permission or user.has_perm(t.permission)]
    return cache[key]


def declared_transition(model: type[models.Model], source: str, target: str, field: str = "status") -> Transition:
    for transition in all_transitions(model, field):
        if str(transition.target) == str(target) and transition.source in (*_ANY_SOURCE, source):
            return transition
    raise LookupError(f"{model.__name__} declares no move from {source!r} to {target!r}")


def permission_for(model: type[models.Model], target: str, field: str = "status") -> str | None:
    """The permission that moves ``model`` instances to ``target`` (the same for every source status)."""
    permissions = {t.permission for t in all_transitions(model, field) if str(t.target) == str(target)}
    if len(permissions) > 1:
        raise ValueError(f"{model.__name__} moves to {target!r} carry different permissions: {permissions}")
    permission = next(iter(permissions), None)
    return permission if isinstance(permission, str) else None


def invalid_move(error: type[InvalidTransition],
                 allowed: Callable[[M], list[str]]) -> Callable[[M, str], InvalidTransition]:
    """The 409 of a move not declared from the current status (or whose conditions do not hold), naming the
    statuses the instance may move to now (``allowed``), for ``transition_apply``'s ``invalid``."""

    def refuse(instance: M, target: str) -> InvalidTransition:
        return error(current_status=_state(instance, "status"), requested_status=target,
                     allowed_statuses=allowed(instance))

    return refuse


def refused_move(entities: str) -> Callable[[str], PermissionRefused]:
    """The 403 of a move the actor's role may not make, for ``transition_apply``'s ``forbidden``:
    "Your role may not move <entities> to '<target>'."."""
    return lambda target: PermissionRefused(f"Your role may not move {entities} to {str(target)!r}.")


def transition_apply(
    instance: M,
    target: str,
    *,
    actor: Any,
    invalid: Callable[[M, str], Exception],
    forbidden: Callable[[str], Exception] | None,
    record: Callable[[M, str], R],
    guard: Callable[[M], None] | None = None,
    before: Callable[[M], None] | None = None,
    arguments: Mapping[str, Any] | Callable[[M], Mapping[str, Any]] | None = None,
    save: bool = True,
    field: str = "status",
) -> tuple[str, R]:
    """Move ``instance`` (locked by the caller) to ``target``; return the status it left and what ``record``
    returned (the history row). In order:

    1. the move is declared from the current status, else ``invalid(instance, target)`` (409);
    2. ``actor``'s role may make it, else ``forbidden(target)`` (403); skipped without an actor (the system)
       and with ``forbidden=None`` (an automation whose own permission its caller checked);
    3. ``guard`` raises the move's own refusals (such as ``order_on_hold``), before the generic one of
    4. the move's conditions, else ``invalid(instance, target)``;
    5. ``before`` applies the side effects (stock, validation of the move's data);
    6. the transition method is called with ``arguments`` (or what ``arguments(instance)`` returns, worked out
       only now: an invoice's number), the instance saved (unless ``save`` is off: a caller that saves it with
       more changes, or with its history row: ``save_moved``), and ``record(instance, from_status)`` writes the
       history row.
    """
    transition = transition_for(instance, target, field)
    if transition is None:
        raise invalid(instance, target)
    if forbidden is not None and actor is not None and not transition.has_perm(instance, actor):
        raise forbidden(target)
    if guard is not None:
        guard(instance)
    if not all(condition(instance) for condition in transition.conditions):
        raise invalid(instance, target)
    from_status = _state(instance, field)
    if before is not None:
        before(instance)
    kwargs = arguments(instance) if callable(arguments) else arguments
    getattr(instance, transition.name)(**(kwargs or {}))
    if save:
        instance.save()
    return from_status, record(instance, from_status)


def save_moved(instance: ConcurrentTransitions, *, fields: Sequence[str], from_status: str,
               record: Callable[[], H], field: str = "status", along: LaterWrite | None = None) -> H:
    """Save a moved ``instance`` (``transition_apply`` with ``save=False``): its status and ``fields`` (every
    other field it changed) only, and its history row (``record`` builds it, once the row's ``auto_now`` stamps
    are set), in one statement on PostgreSQL (``update_and_record``); as its ``save()`` would, only where its row
    still holds ``from_status`` (``ConcurrentTransition`` otherwise), sending ``along`` (a write its move made
    ready) in the same statement. Returns the history row."""
    row = update_and_record(instance, fields=(field, *fields), only_if={field: from_status}, record=record,
                            along=along)
    if row is None:
        raise ConcurrentTransition("Cannot save object! The state has been changed since fetched from the database!")
    instance._update_initial_state()
    return row
