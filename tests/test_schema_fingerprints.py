"""What the declaration, the pledge and the ledger report ask and store changes only with a new
version: the fields' names, order, types, labels, help, bounds, conditions, requirements, choices
and rules are fingerprinted per version, and a change without a bump of the version fails here."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import typing

import pytest

from schemas import PLEDGE_VERSION, SCHEMA_VERSION, Declaration, Pledge, is_tick, meta
from schemas.base import base_type, item
from schemas.ledger import LEDGER_VERSION, LedgerReport
from schemas.readiness import SECTIONS, Campus, declaration_model

# (model, version) → fingerprint. A new version adds its line; the old lines stay as a record.
FINGERPRINTS = {
    ("Declaration", 1): "3b80294773b42a896a5336a4805db88f06e311efd4f26081d4bdd894cb1f46c6",
    ("Pledge", 1): "0984e5b7ca6385bf4ecf6e05ae0ff4555a89f89b92fc0c35dfc7f54302363f78",
    ("LedgerReport", 1): "9953263bd626564c3a91a06293f435b61187dfeaec5d2ccf3fbec7ab293c256c",
    ("Declaration", 2): "22b30ca27cf9109167d76dc1e6d4945eb8bf3234835104eccdad305144ddd5c4",
    ("Pledge", 2): "e5765cf45e6bde5ca97786563b5c528547c336000a1bb96e18635f0f7636f6dc",
    ("LedgerReport", 2): "9e52a44c2818b50503b8345f0e41b15c32fdaa20286a0a018d8fa585278c9f78",
}

CURRENT = {"Declaration": (Declaration, SCHEMA_VERSION), "Pledge": (Pledge, PLEDGE_VERSION)}
CURRENT["LedgerReport"] = (LedgerReport, LEDGER_VERSION)


def _constraint(value) -> object:
    if hasattr(value, "func"):  # AfterValidator and its kin: the function's name
        return [type(value).__name__, value.func.__qualname__]
    if dataclasses.is_dataclass(value):
        return [type(value).__name__, dataclasses.asdict(value)]
    return [type(value).__name__, {k: v for k, v in vars(value).items() if v is not None}]


def _type(annotation) -> object:
    kind, optional = base_type(annotation)
    validators = [_constraint(m) for m in getattr(annotation, "__metadata__", ())]
    if typing.get_origin(annotation) is not typing.Annotated and optional:
        inner = next(a for a in typing.get_args(annotation) if a is not type(None))
        validators = [_constraint(m) for m in getattr(inner, "__metadata__", ())]
    name = list(typing.get_args(kind)) if typing.get_origin(kind) is typing.Literal else kind.__name__
    return {"type": name, "optional": optional, "validators": validators}


def field_print(name: str, info) -> dict:
    extra = meta(info)
    policy, requires = extra.get("policy"), extra.get("requires")
    return {
        "name": name,
        **_type(info.annotation),
        "tick": is_tick(info),
        "required": info.is_required(),
        "label": info.title,
        "help": info.description,
        "constraints": [_constraint(m) for m in info.metadata],
        "condition": extra.get("condition"),
        "policy": [policy.page, policy.heading] if policy else None,
        "requires": requires.wording if requires else None,
        "choices": extra.get("choices"),
        "widget": extra.get("widget"),
        "messages": extra.get("messages"),
        "must_be_true": extra.get("must_be_true"),
    }


def fingerprint(model) -> str:
    shape = {
        "fields": [field_print(name, info) for name, info in model.model_fields.items()],
        "rules": [[rule.field, rule.message] for rule in model.all_rules()],
        "sections": [
            [s.section_id, s.title, [s.policy.page, s.policy.heading], list(s.model_fields)]
            for s in getattr(model, "sections", ())
        ],
    }
    text = json.dumps(shape, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize("name", CURRENT)
def test_fields_change_only_with_a_new_version(name):
    model, version = CURRENT[name]
    assert (name, version) in FINGERPRINTS, f"{name} version {version}: add its fingerprint {fingerprint(model)}"
    assert fingerprint(model) == FINGERPRINTS[name, version], (
        f"{name} changed what it asks or stores: raise its version and add the line "
        f"({name!r}, {version + 1}): {fingerprint(model)!r}"
    )


def test_a_changed_label_changes_the_fingerprint():
    class Relabelled(Campus):
        closed_management: bool = item("校园已封闭", condition="C2", policy=Campus.policy, default=False)

    changed = declaration_model(tuple(Relabelled if s is Campus else s for s in SECTIONS))
    assert fingerprint(changed) != fingerprint(Declaration)


def test_a_changed_bound_changes_the_fingerprint():
    class Bounded(Pledge):
        name: str = item("姓名", min_length=2, max_length=30)

    assert fingerprint(Bounded) != fingerprint(Pledge)
