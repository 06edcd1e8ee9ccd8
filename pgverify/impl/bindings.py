"""What each argument of the function is: ``# pgverify:`` lines above the ``def``, or ``--bind``.

One argument per line, its axes in brackets, its meaning in the derivation
language (ASCII spellings such as ``pi_theta`` and ``gamma`` are accepted)::

    # pgverify: log_probs[n, t] = log π_θ(a_t | s_t)
    # pgverify: rewards[n, t] = r(s_t, a_t)
    # pgverify: gamma = γ

Axes: ``n`` (the N sampled trajectories), ``t`` (time, 0..T-1), ``a`` (the
actions).  Other lines are declarations: ``use rl``, ``param φ``,
``depends V on θ`` (V shares the policy's parameters), ``returns reward-to-go``
(the loss is meant to weigh each step by the rewards from that step on).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

PREFIX = re.compile(r"^\s*#\s*pgverify\s*:\s*(?P<body>.*?)\s*$")
AXES = ("n", "t", "a")
# ASCII spellings of the Greek letters, as whole words or joined by underscores (pi_theta)
_ASCII = [(rf"(?<![A-Za-z]){word}(?![A-Za-z])", greek) for word, greek in
          (("pi", "π"), ("theta", "θ"), ("phi", "φ"), ("gamma", "γ"), ("lambda", "λ"), ("psi", "ψ"))]
_BINDING = re.compile(r"^(?P<name>[A-Za-z_]\w*)\s*(\[(?P<axes>[^\]]*)\])?\s*=\s*(?P<meaning>.+)$")
_FUNC = r"(?P<f>[VQ])(?:_(?P<sub>[^\W\d_]\w*)|\^π)?"
_S = r"s_(?P<st>t|\{t\+1\}|\(t\+1\))"
MEANINGS: list[tuple[str, re.Pattern[str]]] = [
    ("logp", re.compile(r"^logπ_θ\((?P<act>a_t|a)\|s_t\)$")),
    ("prob", re.compile(r"^π_θ\((?P<act>a_t|a)\|s_t\)$")),
    ("logits", re.compile(r"^logits?(?:of)?π_θ\((?:a|·|\.)\|s_t\)$")),
    ("action", re.compile(r"^a_t$")),
    ("state", re.compile(r"^s_t$")),
    ("reward", re.compile(r"^(?:r\(s_t,a_t\)|r_t)$")),
    ("value", re.compile(r"^" + _FUNC + r"\(" + _S + r"\)$")),
    ("qvalue", re.compile(r"^" + _FUNC + r"\(s_t,a_t\)$")),
    ("logtrans", re.compile(r"^log(?P<f>[pP])\(s_\{t\+1\}\|s_t,a_t\)$")),
    ("gamma", re.compile(r"^γ$")),
    ("lambda", re.compile(r"^λ$")),
    ("horizon", re.compile(r"^T$")),
    ("count", re.compile(r"^N$")),
    ("number", re.compile(r"^-?\d+(?:\.\d*)?(?:[eE]-?\d+)?$")),
]


class BindingError(Exception):
    """A binding or declaration pgverify cannot read (at ``line`` of the file, 0 for ``--bind``)."""

    def __init__(self, message: str, line: int = 0, col: int = 1):
        super().__init__(message)
        self.message, self.line, self.col = message, line, col


@dataclass(frozen=True)
class Binding:
    """One argument: its axes and what it stands for."""

    name: str
    axes: tuple[str, ...]
    kind: str          # a key of MEANINGS
    text: str          # the meaning as written
    line: int = 0
    func: str = ""     # V, Q, r or p for functions of the model
    sub: str = ""      # the function's subscript (φ), "π" for the true value of the policy, "" for none
    next_state: bool = False
    number: float = 0.0
    # set only by the mistake search's fixes: the value times γ^t; the value without its θ-dependence
    discounted: bool = False
    stopped: bool = False


@dataclass
class Bindings:
    """Every argument's binding, and the declarations."""

    args: dict[str, Binding] = field(default_factory=dict)
    params: set[str] = field(default_factory=set)
    depends: set[str] = field(default_factory=set)   # functions declared to depend on θ: V, Q, r, p
    reward_to_go: bool = False

    def kind(self, name: str) -> str | None:
        b = self.args.get(name)
        return b.kind if b else None


def _normalise(meaning: str) -> str:
    text = meaning
    for pattern, repl in _ASCII:
        text = re.sub(pattern, repl, text)
    return re.sub(r"\s+", "", text)


def parse_binding(text: str, line: int = 0) -> Binding:
    """One ``NAME[axes] = MEANING`` line."""
    m = _BINDING.match(text.strip())
    if not m:
        raise BindingError(f"cannot read the binding '{text.strip()}': write NAME[n, t] = MEANING", line)
    axes = tuple(a.strip() for a in (m.group("axes") or "").split(",") if a.strip())
    for a in axes:
        if a not in AXES:
            raise BindingError(f"unknown axis '{a}' in the binding of {m.group('name')}: the axes are n, t and a",
                               line)
    if len(set(axes)) != len(axes):
        raise BindingError(f"an axis appears twice in the binding of {m.group('name')}", line)
    meaning = _normalise(m.group("meaning"))
    for kind, pattern in MEANINGS:
        mm = pattern.fullmatch(meaning)
        if not mm:
            continue
        groups = mm.groupdict()
        b = Binding(name=m.group("name"), axes=axes, kind=kind, text=m.group("meaning").strip(), line=line,
                    func=groups.get("f") or {"reward": "r"}.get(kind, ""),
                    sub="π" if "^π" in meaning else (groups.get("sub") or ""),
                    next_state=(groups.get("st") or "t") != "t",
                    number=float(meaning) if kind == "number" else 0.0)
        _check_axes(b, line)
        return b
    raise BindingError(f"pgverify does not know the meaning '{m.group('meaning').strip()}' (known: log π_θ(a_t | s_t),"
                       " π_θ(a_t | s_t), logits π_θ(a | s_t), a_t, s_t, r(s_t, a_t), V_φ(s_t), V^π(s_t),"
                       " V_φ(s_{t+1}), Q_φ(s_t, a_t), Q^π(s_t, a_t), log p(s_{t+1} | s_t, a_t), γ, λ, T, N, a number)",
                       line)


def _check_axes(b: Binding, line: int) -> None:
    per_step = b.kind not in ("gamma", "lambda", "horizon", "count", "number")
    if not per_step and b.axes:
        raise BindingError(f"{b.name} stands for a number: it takes no axes", line)
    if per_step and "t" not in b.axes:
        raise BindingError(f"{b.name} changes with time: give it a t axis, as in {b.name}[n, t]", line)
    over_actions = b.kind == "logits" or (b.kind in ("logp", "prob") and "a_t" not in b.text.replace(" ", ""))
    if over_actions and "a" not in b.axes:
        raise BindingError(f"{b.name} ranges over the actions: give it an a axis, as in {b.name}[n, t, a]", line)
    if not over_actions and "a" in b.axes:
        raise BindingError(f"{b.name} has an a axis, but its meaning does not range over the actions", line)


def parse_declaration(text: str, into: Bindings, line: int = 0) -> bool:
    """Read a declaration line into ``into``; False when the line is not a declaration."""
    words = _normalise_words(text)
    if not words:
        return True
    if words[0] == "use" and len(words) == 2:
        if words[1] != "rl":
            raise BindingError(f"pgverify knows only the 'rl' vocabulary for implementations, not '{words[1]}'", line)
        return True
    if words[0] == "param" and len(words) >= 2:
        into.params.update(w.strip(",") for w in words[1:])
        return True
    if words[0] == "depends" and len(words) == 4 and words[2] == "on":
        if words[3] != "θ":
            raise BindingError("only a dependence on the policy's θ matters to the check: write 'depends V on θ'", line)
        if words[1] not in ("V", "Q", "r", "p", "P"):
            raise BindingError(f"'{words[1]}' is not a function of the model (V, Q, r or p)", line)
        into.depends.add("p" if words[1] == "P" else words[1])
        return True
    if words[:2] == ["returns", "reward-to-go"]:
        into.reward_to_go = True
        return True
    return False


def _normalise_words(text: str) -> list[str]:
    out = text
    for pattern, repl in _ASCII:
        out = re.sub(pattern, repl, out)
    return out.split()


def read(source: str, fdef: ast.FunctionDef, extra: list[str] = ()) -> Bindings:
    """The bindings of ``fdef``: the ``# pgverify:`` comment lines directly above it, then ``extra`` (--bind)."""
    lines = source.splitlines()
    first = min([fdef.lineno] + [d.lineno for d in fdef.decorator_list])
    found: list[tuple[int, str]] = []
    k = first - 2
    while k >= 0 and lines[k].strip().startswith("#"):
        m = PREFIX.match(lines[k])
        if m:
            found.append((k + 1, m.group("body")))
        k -= 1
    out = Bindings()
    for line, body in reversed(found):
        _one(body, out, line)
    for body in extra:
        _one(body, out, 0)
    for b in out.args.values():
        if b.sub == "θ" and b.func in ("V", "Q"):   # V_θ: a head of the policy's own network
            out.depends.add(b.func)
    names = [a.arg for a in fdef.args.args]
    for name in out.args:
        if name not in names:
            b = out.args[name]
            raise BindingError(f"'{name}' is bound but {fdef.name}() has no such argument", b.line)
    missing = [n for n in names if n not in out.args and n not in _defaulted(fdef)]
    if missing:
        raise BindingError(f"{fdef.name}() has arguments without a binding: {', '.join(missing)} (add a"
                           f" '# pgverify: {missing[0]}[n, t] = …' line above the def, or --bind)", fdef.lineno)
    kinds = {b.kind for b in out.args.values()}
    if not kinds & {"logp", "prob", "logits"}:
        raise BindingError(f"no argument of {fdef.name}() is bound to the policy (log π_θ(a_t | s_t),"
                           " π_θ(a_t | s_t) or its logits), so its loss cannot depend on θ", fdef.lineno)
    with_n = {("n" in b.axes) for b in out.args.values() if "t" in b.axes}
    if len(with_n) > 1:
        raise BindingError("either every per-step argument has an n axis (a batch) or none has (one trajectory)",
                           fdef.lineno)
    return out


def _defaulted(fdef: ast.FunctionDef) -> set[str]:
    args = fdef.args.args
    return {a.arg for a in args[len(args) - len(fdef.args.defaults):]}


def _one(body: str, out: Bindings, line: int) -> None:
    if parse_declaration(body, out, line):
        return
    b = parse_binding(body, line)
    out.args[b.name] = b
