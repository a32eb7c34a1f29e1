"""The sandbox mail templates render in: Jinja2's ImmutableSandboxedEnvironment held to render_limits.

How each limit is kept:
- the parsed template nests at most MAX_NESTING levels (Jinja's compiler slows down sharply with depth);
- every `for` iterates through the bounded_loop filter, added to the parsed template: each pass is a
  step and charges the loop body's literal text as built; recursive loops are refused;
- range() has at most MAX_RANGE items; lipsum() and str.encode() are not offered; lists and dicts
  cannot be changed;
- calls and filters are a step each; their inputs are measured, the arguments that decide a result's
  size (widths, counts, formats, replace, join) are checked first, and results are measured and charged;
- the operators * ** + % and ~ have their result's size estimated before it is built;
- every `{{ }}` value is measured and charged, and one part's output stops at MAX_VALUE_CHARS.
"""
from __future__ import annotations

import functools
from collections.abc import Iterator

from jinja2 import nodes, pass_eval_context
from jinja2.runtime import markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

from mailer.render_limits import (MAX_NESTING, MAX_RANGE, MAX_VALUE_CHARS, LimitExceeded, argument, bounded_list,
                                  budget, check_binop, check_estimate, check_printf, check_replace, check_size,
                                  check_str_call, check_width, size_of)

LOOP_GUARD, CONCAT_GUARD = "bounded_loop", "bounded_concat"
SLOW_FILTERS = ("wordwrap", "urlize")  # pure Python over the whole text: slow on very long input
MAX_SLOW_INPUT = 64 * 1024
MAX_JSON_INDENT = 8
WIDTH_ARGUMENT = {"center": "width", "truncate": "length", "batch": "linecount", "slice": "slices",
                  "urlize": "trim_url_limit", "indent": "width", "wordwrap": "width"}


def _measured(value, what: str):
    """`value` if it is within the value limit, charged to the budget as built."""
    size = size_of(value)
    check_estimate(size, what)
    budget().build(size)
    return value


def bounded_range(*args) -> range:
    numbers = range(*args)
    try:
        too_many = len(numbers) > MAX_RANGE
    except OverflowError:
        too_many = True
    if too_many:
        raise LimitExceeded(f"range() of more than {MAX_RANGE} items")
    return numbers


def bounded_loop(items, literal_chars: int = 0):
    """What a template `for` iterates: each pass a step, its body's literal text charged as built."""
    def passes():
        spent = budget()
        for item in items:
            spent.step()
            spent.build(literal_chars)
            yield item
    return passes()


@pass_eval_context
def bounded_concat(eval_ctx, parts: tuple):
    """a ~ b, its size checked before the string is built (as Jinja would join it)."""
    budget().step()
    check_estimate(sum(size_of(p) for p in parts), "a ~ concatenation")
    return _measured((markup_join if eval_ctx.autoescape else str_join)(parts), "a ~ concatenation")


def _check_filter(name: str, value, args: tuple, kwargs: dict) -> None:
    """Before filter `name` runs: refuse arguments that would make its result too big."""
    what = f"the result of |{name}"
    width = check_width(argument(args, kwargs, 0, WIDTH_ARGUMENT[name]), f"the width given to |{name}") \
        if name in WIDTH_ARGUMENT else 0
    if name in SLOW_FILTERS and len(str(value)) > MAX_SLOW_INPUT:
        raise LimitExceeded(f"|{name} takes at most {MAX_SLOW_INPUT} characters")
    if name == "indent":
        check_estimate(len(str(value)) + (str(value).count("\n") + 1) * width, what)
    elif name == "wordwrap":
        wrap = str(argument(args, kwargs, 2, "wrapstring") or "\n")
        check_estimate(len(str(value)) + (len(str(value)) + 1) * len(wrap), what)
    elif name == "tojson" and check_width(argument(args, kwargs, 0, "indent") or 0, "|tojson indent") > MAX_JSON_INDENT:
        raise LimitExceeded(f"|tojson indents at most {MAX_JSON_INDENT}")
    elif name == "join":
        joiner = str(argument(args, kwargs, 0, "d", ""))
        check_estimate(size_of(value) + (len(value) if hasattr(value, "__len__") else 0) * len(joiner), what)
    elif name == "replace":
        check_replace(str(value), argument(args, kwargs, 0, "old"), argument(args, kwargs, 1, "new"),
                      argument(args, kwargs, 2, "count"))
    elif name == "format":
        check_printf(str(value), kwargs or tuple(args))


def _bounded_filter(name: str, func):
    skip = 0 if getattr(func, "jinja_pass_arg", None) is None else 1  # the context Jinja passes first

    @functools.wraps(func)  # keeps jinja_pass_arg: Jinja passes the wrapper what it passed the filter
    def guarded(*args, **kwargs):
        budget().step()
        head, value, rest = args[:skip], args[skip], args[skip + 1:]
        if isinstance(value, Iterator):
            value = bounded_list(value, f"the input of |{name}")
        for given in (value, *rest, *kwargs.values()):
            check_size(given, f"the input of |{name}")
        _check_filter(name, value, rest, kwargs)
        result = func(*head, value, *rest, **kwargs)
        return result if isinstance(result, Iterator) else _measured(result, f"the result of |{name}")
    return guarded


def _charged(finalize):
    # Taking the eval context also stops Jinja from printing constants at compile time, unmeasured.
    @pass_eval_context
    def bounded_finalize(_eval_ctx, value):
        return finalize(_measured(value, "a printed value"))
    return bounded_finalize


class BoundedSandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, finalize, **options):
        super().__init__(finalize=_charged(finalize), **options)
        self.globals["range"] = bounded_range
        self.globals.pop("lipsum", None)
        self.filters = {name: _bounded_filter(name, f) for name, f in self.filters.items()}
        self.filters.update({LOOP_GUARD: bounded_loop, CONCAT_GUARD: bounded_concat})

    def is_safe_attribute(self, obj, attr: str, value) -> bool:
        # No bytes: their methods (ljust, replace, %) would need every check a second time.
        return not (attr == "encode" and isinstance(obj, str)) and super().is_safe_attribute(obj, attr, value)

    def call_binop(self, context, operator, left, right):
        budget().step()
        check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def call(self, context, obj, /, *args, **kwargs):
        budget().step()
        args = tuple(bounded_list(a, "an argument") if isinstance(a, Iterator) else a for a in args)
        for given in (*args, *kwargs.values()):
            check_size(given, "an argument")
        owner = getattr(getattr(obj, "__wrapped__", obj), "__self__", None)  # str.format comes wrapped
        if isinstance(owner, str):
            check_str_call(owner, getattr(obj, "__name__", ""), args, kwargs)
        result = super().call(context, obj, *args, **kwargs)
        return result if isinstance(result, Iterator) else _measured(result, "a call's result")

    def compile_bounded(self, text: str):
        """The template of `text` with every loop and ~ guarded (see the module's docstring)."""
        ast = self.parse(text)
        check_nesting(ast)
        _Guard().visit(ast)
        ast.set_environment(self)  # the added nodes need it when Jinja folds constants
        return self.from_string(ast)


def check_nesting(ast: nodes.Template) -> None:
    pending = [(ast, 1)]
    while pending:
        node, depth = pending.pop()
        if depth > MAX_NESTING:
            raise LimitExceeded(f"expressions and blocks nest more than {MAX_NESTING} levels deep")
        pending.extend((child, depth + 1) for child in node.iter_child_nodes())


def _literal_chars(node: nodes.Node) -> int:
    """The literal text one pass of a loop writes; nested loops, macros and call blocks charge their own."""
    total = 0
    for child in node.iter_child_nodes():
        if isinstance(child, nodes.TemplateData):
            total += len(child.data)
        elif not isinstance(child, (nodes.For, nodes.Macro, nodes.CallBlock)):
            total += _literal_chars(child)
    return total


class _Guard(NodeTransformer):
    def visit_For(self, node: nodes.For) -> nodes.For:
        if node.recursive:
            raise LimitExceeded("recursive loops are not allowed in mail templates")
        self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, LOOP_GUARD, [nodes.Const(_literal_chars(node))], [], None, None,
                                 lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Filter:
        self.generic_visit(node)
        return nodes.Filter(nodes.Tuple(node.nodes, "load", lineno=node.lineno), CONCAT_GUARD, [], [], None, None,
                            lineno=node.lineno)


def render_bounded(template, context: dict) -> str:
    """The template's output; LimitExceeded once it passes MAX_VALUE_CHARS or the running budget."""
    spent, chunks, chars = budget(), [], 0
    for chunk in template.generate(context):
        chars += len(chunk)
        if chars > MAX_VALUE_CHARS:
            raise LimitExceeded(f"the rendered part would be longer than {MAX_VALUE_CHARS} characters")
        spent.check_deadline()
        chunks.append(chunk)
    return "".join(chunks)
