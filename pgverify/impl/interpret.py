"""Interpreting one Python function symbolically, from its ``ast``: the file is never imported or run.

The subset: numbers, arrays (``Tensor``), lists and tuples; assignment (names,
tuples, items), augmented assignment, ``if``, ``for`` over ``range``,
``reversed``, ``zip``, ``enumerate``, lists and arrays (with ``break`` and
``continue``), ``with torch.no_grad():``, ``return``; arithmetic, comparisons,
``and``/``or``/``not``, conditional expressions, list comprehensions and
generator expressions, indexing and slicing; calls of other functions defined
at the top of the same file, of a few builtins and of the library functions in
``library``.  Anything else raises ``ImplError`` at its line and column.
Module-level names are read only when they are imports, functions or literal
constants: nothing at the top of the file is evaluated.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from ..falsify import jets
from . import indexing as ix
from . import library as lib
from . import tensor as tz
from .tensor import ShapeError, Tensor

# interpreted nodes before a function gives up (a loop that never ends in the subset is a runaway range)
MAX_STEPS = 200_000
MAX_DEPTH = 20   # nested calls of the file's own functions
MAX_RANGE = 10_000
MAX_WORK = 2_000_000   # array elements one call may create


class ImplError(Exception):
    """The function is outside the subset or fails on the model's shapes: a message at a line and column."""

    def __init__(self, message: str, line: int, col: int):
        super().__init__(message)
        self.message, self.line, self.col = message, line, col


class Undefined(ImplError):
    """The function computes something undefined on a model (log of a non-positive number, 0/0)."""


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class _Return(Exception):
    def __init__(self, v: Any):
        self.value = v


@dataclass
class Method:
    """``obj.name`` awaiting its call."""

    obj: Any
    name: str


@dataclass(frozen=True)
class Builtin:
    name: str


BUILTINS = ("range", "len", "reversed", "zip", "enumerate", "sum", "min", "max", "abs", "float", "int", "list",
            "tuple", "print", "round")
_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.FloorDiv: "//",
           ast.Mod: "%", ast.BitAnd: "&", ast.BitOr: "|"}
_CMPOPS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}


def _imports(stmts: list[ast.stmt], into: dict[str, Any]) -> None:
    for node in stmts:
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    into[a.asname] = lib.Module(a.name)
                else:
                    into[a.name.split(".")[0]] = lib.Module(a.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                into[a.asname or a.name] = lib.Module(f"{node.module}.{a.name}")


def _literal(node: ast.expr) -> Any:
    """A module-level constant written as a literal (a number, a string, a tuple of them), or None."""
    try:
        v = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    return v if isinstance(v, (int, float, str, tuple)) and not isinstance(v, complex) else None


class _Evaluator:
    """Expressions and calls (the statements are ``Interpreter``'s)."""

    globals: dict[str, Any]
    torch: bool
    steps: int

    # ------------------------------------------------------------ errors

    @staticmethod
    def _err(message: str, node: ast.AST) -> ImplError:
        return ImplError(message, getattr(node, "lineno", 0), getattr(node, "col_offset", -1) + 1)

    def _tick(self, node: ast.AST) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS or tz.work() > MAX_WORK:
            raise self._err("the function does more work on a small model than the subset allows", node)

    def _iterate(self, v: Any, node: ast.AST) -> list[Any]:
        if isinstance(v, range):
            if len(v) > MAX_RANGE:
                raise self._err(f"a loop of {len(v)} iterations is longer than the subset allows", node)
            return list(v)
        if isinstance(v, (list, tuple)):
            return list(v)
        if isinstance(v, Tensor):
            return v.rows()
        raise self._err(f"cannot loop over a {type(v).__name__}", node)

    # ------------------------------------------------------------ expressions

    def eval(self, e: ast.expr, frame: dict[str, Any], no_grad: bool = False) -> Any:
        """The value of expression ``e`` in ``frame``."""
        self._tick(e)
        try:
            return self._eval(e, frame, no_grad)
        except (ShapeError, TypeError, ValueError, IndexError, KeyError, AttributeError, ZeroDivisionError,
                OverflowError) as err:
            raise self._err(str(err) or type(err).__name__, e) from None
        except jets.Undefined as err:
            raise Undefined(str(err) or "the value is undefined", e.lineno, e.col_offset + 1) from None

    def _eval(self, e: ast.expr, frame: dict[str, Any], ng: bool) -> Any:
        if isinstance(e, ast.Constant):
            if isinstance(e.value, (int, float, bool, str)) or e.value is None or e.value is Ellipsis:
                return e.value
            raise self._err("this constant is outside the subset", e)
        if isinstance(e, ast.Name):
            return self._name(e, frame)
        if isinstance(e, ast.BinOp):
            op = _BINOPS.get(type(e.op))
            if op is None:
                raise self._err(f"the operator '{type(e.op).__name__}' is outside the subset", e)
            return self._binop(op, self.eval(e.left, frame, ng), self.eval(e.right, frame, ng))
        if isinstance(e, ast.UnaryOp):
            v = self.eval(e.operand, frame, ng)
            if isinstance(e.op, ast.USub):
                return tz.elementwise(tz.UNARY["neg"], _num(v))
            if isinstance(e.op, ast.UAdd):
                return v
            if isinstance(e.op, ast.Not):
                return not ix.truth(v)
            raise self._err("this unary operator is outside the subset", e)
        if isinstance(e, ast.BoolOp):
            v = self.eval(e.values[0], frame, ng)
            for nxt in e.values[1:]:
                if ix.truth(v) == isinstance(e.op, ast.Or):
                    return v
                v = self.eval(nxt, frame, ng)
            return v
        if isinstance(e, ast.Compare):
            left = self.eval(e.left, frame, ng)
            result: Any = True
            for op, right_node in zip(e.ops, e.comparators):
                right = self.eval(right_node, frame, ng)
                name = _CMPOPS.get(type(op))
                if name is None:
                    if isinstance(op, (ast.Is, ast.IsNot)) and (left is None or right is None):
                        same = left is right
                        r: Any = same if isinstance(op, ast.Is) else not same
                    else:
                        raise self._err("this comparison is outside the subset", e)
                else:
                    r = tz.elementwise(tz.BINARY[name], _num(left), _num(right))
                result = r if result is True else tz.elementwise(tz.BINARY["&"], result, r)
                left = right
            return result
        if isinstance(e, ast.IfExp):
            return self.eval(e.body if ix.truth(self.eval(e.test, frame, ng)) else e.orelse, frame, ng)
        if isinstance(e, (ast.Tuple, ast.List)):
            if any(isinstance(x, ast.Starred) for x in e.elts):
                raise self._err("starred items are outside the subset", e)
            items = [self.eval(x, frame, ng) for x in e.elts]
            return tuple(items) if isinstance(e, ast.Tuple) else items
        if isinstance(e, (ast.ListComp, ast.GeneratorExp)):
            return self._comprehension(e, frame, ng)
        if isinstance(e, ast.Attribute):
            return self._attribute(self.eval(e.value, frame, ng), e)
        if isinstance(e, ast.Subscript):
            obj = self.eval(e.value, frame, ng)
            key = self._key(e.slice, frame, ng)
            if isinstance(obj, (list, tuple)):
                if isinstance(key, slice):
                    return obj[key]
                return obj[ix._int(key)]
            if isinstance(obj, Tensor):
                return ix.getitem(obj, key)
            raise self._err(f"cannot index a {type(obj).__name__}", e)
        if isinstance(e, ast.Call):
            return self._call(e, frame, ng)
        raise self._err(f"a '{type(e).__name__}' expression is outside the supported subset", e)

    def _name(self, e: ast.Name, frame: dict[str, Any]) -> Any:
        if e.id in frame:
            return frame[e.id]
        if e.id in self.globals:
            return self.globals[e.id]
        if e.id in BUILTINS:
            return Builtin(e.id)
        if e.id in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[e.id]
        raise self._err(f"'{e.id}' is not defined here (only arguments, locals, imports, functions and literal"
                        " constants of this file are)", e)

    def _key(self, node: ast.expr, frame: dict[str, Any], ng: bool) -> Any:
        if isinstance(node, ast.Slice):
            return slice(*[None if p is None else _index_value(self.eval(p, frame, ng))
                           for p in (node.lower, node.upper, node.step)])
        if isinstance(node, ast.Tuple):
            return tuple(self._key(x, frame, ng) for x in node.elts)
        v = self.eval(node, frame, ng)
        return _index_value(v)

    def _binop(self, op: str, a: Any, b: Any) -> Any:
        if op == "+" and isinstance(a, list) and isinstance(b, list):
            return a + b
        if op == "*" and isinstance(a, list) and tz.is_integral(b):
            if len(a) * int(b) > tz.MAX_ELEMENTS:
                raise ShapeError("a list longer than the subset allows")
            return a * int(b)
        if isinstance(a, (list, tuple, str)) or isinstance(b, (list, tuple, str)):
            raise ShapeError(f"'{op}' between a list and a number: make the list an array first")
        return tz.elementwise(tz.BINARY[op], _num(a), _num(b))

    def _attribute(self, obj: Any, e: ast.Attribute) -> Any:
        name = e.attr
        if isinstance(obj, lib.Module):
            return lib.Module(f"{obj.path}.{name}")
        if isinstance(obj, lib.Categorical):
            if name == "logits":
                return obj.log_p
            if name == "probs":
                return obj.log_p.map(jets.exp)
            return Method(obj, name)
        if isinstance(obj, list):
            if name in ("append", "insert", "extend", "reverse"):
                return Method(obj, name)
            raise self._err(f"the list method '{name}' is outside the subset", e)
        if isinstance(obj, (Tensor, int, float, jets.Jet)):
            t = tz.to_tensor(obj)
            if name == "shape":
                return t.shape
            if name == "ndim":
                return t.ndim
            if name == "T":
                return tz.transpose(t)
            if name == "data":
                return lib.stop_all(t)
            return Method(obj, name)
        raise self._err(f"'.{name}' of a {type(obj).__name__} is outside the subset", e)

    def _call(self, e: ast.Call, frame: dict[str, Any], ng: bool) -> Any:
        f = self.eval(e.func, frame, ng)
        if any(isinstance(a, ast.Starred) for a in e.args) or any(k.arg is None for k in e.keywords):
            raise self._err("*args and **kwargs in a call are outside the subset", e)
        args = [self.eval(a, frame, ng) for a in e.args]
        kwargs = {k.arg: self.eval(k.value, frame, ng) for k in e.keywords if k.arg is not None}
        if isinstance(f, ast.FunctionDef):
            return self._call_def(f, args, kwargs, e)
        if isinstance(f, Builtin):
            return self._builtin(f.name, args, kwargs, e)
        if isinstance(f, Method):
            if isinstance(f.obj, list):
                return self._list_method(f.obj, f.name, args, e, ng)
            return lib.method(f.obj, f.name, args, kwargs, self.torch)
        if isinstance(f, lib.Module):
            head = f.path.split(".")[0]
            if head not in ("numpy", "torch", "jax", "scipy", "math"):
                raise self._err(f"'{f.path}' comes from a module outside the subset", e)
            return lib.call(f.path, args, kwargs)
        raise self._err(f"calling a {type(f).__name__} is outside the subset", e)

    def _builtin(self, name: str, args: list[Any], kwargs: dict[str, Any], e: ast.Call) -> Any:
        if kwargs and name not in ("sum", "print", "round"):
            raise self._err(f"keyword arguments to {name}() are outside the subset", e)
        if name == "range":
            return range(*[_index_value(a) for a in args])
        if name == "len":
            v = args[0]
            if isinstance(v, Tensor):
                if not v.shape:
                    raise ShapeError("len() of a 0-d array")
                return v.shape[0]
            return len(v)
        if name == "reversed":
            return self._iterate(args[0], e)[::-1]
        if name == "zip":
            return [tuple(t) for t in zip(*[self._iterate(a, e) for a in args])]
        if name == "enumerate":
            start = int(args[1]) if len(args) > 1 else 0
            return [(start + i, x) for i, x in enumerate(self._iterate(args[0], e))]
        if name == "sum":
            acc: Any = args[1] if len(args) > 1 else kwargs.get("start", 0)
            for x in self._iterate(args[0], e):
                acc = self._binop("+", acc, x)
            return acc
        if name in ("min", "max"):
            items = self._iterate(args[0], e) if len(args) == 1 else list(args)
            return (min if name == "min" else max)(items, key=lambda x: tz.value(tz.scalar_of(tz.to_tensor(x))))
        if name == "abs":
            return tz.elementwise(tz.UNARY["abs"], _num(args[0]))
        if name == "float":
            # float() of a torch value gives a Python number, which carries no gradient
            v = tz.scalar_of(tz.to_tensor(args[0]))
            return tz.stop(v) if self.torch else (float(v) if tz.is_integral(v) else v)
        if name == "int":
            return int(tz.value(tz.scalar_of(tz.to_tensor(args[0]))))
        if name in ("list", "tuple"):
            items = self._iterate(args[0], e) if args else []
            return list(items) if name == "list" else tuple(items)
        if name == "print":
            return None  # printing is not part of the loss
        if name == "round":
            return round(tz.value(args[0]), *(int(a) for a in args[1:]))
        raise self._err(f"{name}() is outside the subset", e)



class Interpreter(_Evaluator):
    """The functions, imports and literal constants of one parsed file, ready to interpret a call."""

    def __init__(self, module: ast.Module):
        self.globals: dict[str, Any] = {}
        _imports(module.body, self.globals)
        self.torch = any(isinstance(v, lib.Module) and v.path.startswith("torch") for v in self.globals.values())
        for node in module.body:
            if isinstance(node, ast.FunctionDef):
                self.globals[node.name] = node
            elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                v = _literal(node.value)
                if v is not None:
                    self.globals[node.targets[0].id] = v
        self.steps = 0
        self.depth = 0

    def _out(self, v: Any, no_grad: bool) -> Any:
        return lib.stop_all(v) if no_grad else v

    def _list_method(self, obj: list[Any], name: str, args: list[Any], e: ast.Call, ng: bool) -> None:
        if name == "append" and len(args) == 1:
            obj.append(self._out(args[0], ng))
        elif name == "insert" and len(args) == 2:
            obj.insert(ix._int(args[0]), self._out(args[1], ng))
        elif name == "extend" and len(args) == 1:
            obj.extend(self._iterate(self._out(args[0], ng), e))
        elif name == "reverse" and not args:
            obj.reverse()
        else:
            raise self._err(f"this use of list.{name} is outside the subset", e)

    def _comprehension(self, e: ast.ListComp | ast.GeneratorExp, frame: dict[str, Any], ng: bool) -> list[Any]:
        inner = dict(frame)
        out: list[Any] = []

        def level(k: int) -> None:
            if k == len(e.generators):
                out.append(self.eval(e.elt, inner, ng))
                return
            gen = e.generators[k]
            if gen.is_async:
                raise self._err("async comprehensions are outside the subset", e)
            for item in self._iterate(self.eval(gen.iter, inner, ng), gen.iter):
                self._assign(gen.target, item, inner, ng)
                if all(ix.truth(self.eval(c, inner, ng)) for c in gen.ifs):
                    level(k + 1)
        level(0)
        return out


    # ------------------------------------------------------------ calls

    def run(self, fdef: ast.FunctionDef, args: list[Any], kwargs: dict[str, Any]) -> Any:
        """The value ``fdef`` returns for these arguments."""
        self.steps = 0
        tz.reset_work()
        return self._call_def(fdef, args, kwargs, fdef)

    def _call_def(self, fdef: ast.FunctionDef, args: list[Any], kwargs: dict[str, Any], at: ast.AST) -> Any:
        a = fdef.args
        if a.vararg or a.kwarg or a.posonlyargs or a.kwonlyargs:
            raise ImplError("*args, **kwargs and keyword-only parameters are outside the subset", fdef.lineno,
                            fdef.col_offset + 1)
        if fdef.decorator_list:
            d = fdef.decorator_list[0]
            raise ImplError("a decorated function is outside the subset", d.lineno, d.col_offset + 1)
        names = [p.arg for p in a.args]
        if len(args) > len(names):
            raise self._err(f"{fdef.name}() takes {len(names)} arguments, {len(args)} given", at)
        frame: dict[str, Any] = dict(zip(names, args))
        for k, v in kwargs.items():
            if k not in names or k in frame:
                raise self._err(f"{fdef.name}() got an unexpected or repeated argument '{k}'", at)
            frame[k] = v
        defaults = dict(zip(names[len(names) - len(a.defaults):], a.defaults))
        for n in names:
            if n not in frame:
                if n not in defaults:
                    raise self._err(f"{fdef.name}() is missing the argument '{n}'", at)
                v = _literal(defaults[n]) if not (isinstance(defaults[n], ast.Constant)
                                                  and defaults[n].value is None) else None
                if v is None and not (isinstance(defaults[n], ast.Constant) and defaults[n].value is None):
                    raise self._err("a default value must be a literal", defaults[n])
                frame[n] = v
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self._err("calls nest too deeply (recursion is outside the subset)", at)
        try:
            self._block(fdef.body, frame, False)
        except _Return as r:
            return r.value
        finally:
            self.depth -= 1
        return None

    # ------------------------------------------------------------ statements

    def _block(self, stmts: list[ast.stmt], frame: dict[str, Any], no_grad: bool) -> None:
        for s in stmts:
            self._stmt(s, frame, no_grad)

    def _stmt(self, s: ast.stmt, frame: dict[str, Any], no_grad: bool) -> None:
        self._tick(s)
        try:
            self._stmt_inner(s, frame, no_grad)
        except (ShapeError, TypeError, ValueError, IndexError, KeyError, AttributeError, ZeroDivisionError,
                OverflowError) as err:
            raise self._err(str(err) or type(err).__name__, s) from None
        except RecursionError:
            raise self._err("the function nests too deeply", s) from None
        except jets.Undefined as err:
            raise Undefined(str(err) or "the value is undefined", s.lineno, s.col_offset + 1) from None

    def _stmt_inner(self, s: ast.stmt, frame: dict[str, Any], no_grad: bool) -> None:
        if isinstance(s, ast.Expr):
            if isinstance(s.value, ast.Constant):
                return  # a docstring or a bare literal
            self.eval(s.value, frame, no_grad)
        elif isinstance(s, ast.Assign):
            v = self._out(self.eval(s.value, frame, no_grad), no_grad)
            for target in s.targets:
                self._assign(target, v, frame, no_grad)
        elif isinstance(s, ast.AnnAssign):
            if s.value is not None:
                self._assign(s.target, self._out(self.eval(s.value, frame, no_grad), no_grad), frame, no_grad)
        elif isinstance(s, ast.AugAssign):
            op = _BINOPS.get(type(s.op))
            if op is None:
                raise self._err("this augmented assignment is outside the subset", s)
            current = self.eval(_as_load(s.target), frame, no_grad)
            v = self._out(self._binop(op, current, self.eval(s.value, frame, no_grad)), no_grad)
            if isinstance(s.target, ast.Name) and isinstance(current, Tensor):
                # NumPy and PyTorch update an array in place: every other name for it sees the change
                if current.derived:
                    raise self._err("updating a slice or row of another array in place is outside the subset", s)
                if not isinstance(v, Tensor) or v.shape != current.shape:
                    raise self._err("an in-place update cannot change an array's shape", s)
                current.data[:] = v.data
                return
            self._assign(s.target, v, frame, no_grad)
        elif isinstance(s, ast.Return):
            v = None if s.value is None else self.eval(s.value, frame, no_grad)
            raise _Return(self._out(v, no_grad))
        elif isinstance(s, ast.If):
            self._block(s.body if ix.truth(self.eval(s.test, frame, no_grad)) else s.orelse, frame, no_grad)
        elif isinstance(s, ast.For):
            self._for(s, frame, no_grad)
        elif isinstance(s, ast.With):
            self._with(s, frame, no_grad)
        elif isinstance(s, ast.Pass):
            return
        elif isinstance(s, ast.Break):
            raise _Break()
        elif isinstance(s, ast.Continue):
            raise _Continue()
        elif isinstance(s, (ast.Import, ast.ImportFrom)):
            _imports([s], frame)
        elif isinstance(s, ast.Assert):
            if not ix.truth(self.eval(s.test, frame, no_grad)):
                raise self._err("an assertion fails on the model's inputs", s)
        else:
            raise self._err(f"a '{type(s).__name__}' statement is outside the supported subset", s)

    def _for(self, s: ast.For, frame: dict[str, Any], no_grad: bool) -> None:
        if s.orelse:
            raise self._err("for … else is outside the subset", s.orelse[0])
        items = self._iterate(self.eval(s.iter, frame, no_grad), s.iter)
        for item in items:
            self._assign(s.target, item, frame, no_grad)
            try:
                self._block(s.body, frame, no_grad)
            except _Break:
                break
            except _Continue:
                continue

    def _with(self, s: ast.With, frame: dict[str, Any], no_grad: bool) -> None:
        for item in s.items:
            ctx = item.context_expr
            path = self.eval(ctx.func, frame, no_grad) if isinstance(ctx, ast.Call) else None
            if not (isinstance(path, lib.Module) and path.path in ("torch.no_grad", "torch.inference_mode")) \
                    or item.optional_vars is not None or ctx.args:
                raise self._err("the only 'with' in the subset is 'with torch.no_grad():'", ctx)
        self._block(s.body, frame, True)

    def _assign(self, target: ast.expr, v: Any, frame: dict[str, Any], no_grad: bool) -> None:
        if isinstance(target, ast.Name):
            frame[target.id] = v
        elif isinstance(target, (ast.Tuple, ast.List)):
            items = self._iterate(v, target)
            if len(items) != len(target.elts):
                raise self._err(f"cannot unpack {len(items)} values into {len(target.elts)} names", target)
            for t, x in zip(target.elts, items):
                self._assign(t, x, frame, no_grad)
        elif isinstance(target, ast.Subscript):
            obj = self.eval(target.value, frame, no_grad)
            key = self._key(target.slice, frame, no_grad)
            if isinstance(obj, list):
                obj[ix._int(key)] = v
            elif isinstance(obj, Tensor):
                if obj.derived:
                    raise self._err("assigning into a slice or row of another array is outside the subset"
                                    " (NumPy and PyTorch would write through a view)", target)
                ix.setitem(obj, key, v)
            else:
                raise self._err(f"cannot assign into a {type(obj).__name__}", target)
        else:
            raise self._err(f"assigning to a '{type(target).__name__}' is outside the subset", target)

def _num(v: Any) -> Any:
    if isinstance(v, list):
        raise ShapeError("arithmetic on a list: make it an array first (np.array, torch.stack)")
    if v is None or isinstance(v, (str, lib.Module, Method)):
        raise ShapeError(f"arithmetic on {'None' if v is None else 'a ' + type(v).__name__}")
    return v


def _index_value(v: Any) -> Any:
    if isinstance(v, Tensor) and not v.shape and tz.is_integral(v.data[0]):
        return v.data[0]
    return v


def _as_load(target: ast.expr) -> ast.expr:
    """The target of an augmented assignment, read."""
    if isinstance(target, ast.Name):
        return ast.copy_location(ast.Name(id=target.id, ctx=ast.Load()), target)
    if isinstance(target, ast.Subscript):
        return ast.copy_location(ast.Subscript(value=target.value, slice=target.slice, ctx=ast.Load()), target)
    raise ShapeError("this augmented assignment target is outside the subset")
