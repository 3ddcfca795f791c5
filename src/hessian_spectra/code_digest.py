"""Digests of the code a workflow job runs, for the rules' `code` param: a job reruns when
its script or the library code that script reaches changes, and no other job does.

A script's digest covers the script (and the sibling modules it imports), each name it
imports from the library with what that name reaches, and the `__init__` of each package
on the way. A name reaches its definition, the top-level statements of its module that
are neither definitions nor imports (constants, settings), the definitions these use by
name, and what the package imports they use reach in turn; a module imported whole
(`from .. import logistic`) counts whole, with everything it imports. Each piece counts
by its tokens less comments, blank lines and docstrings: rewording a comment or a
docstring, or re-wrapping a call, reruns nothing. Files are read, never imported: no
torch here, since the Snakefile calls this while it parses.
"""

from __future__ import annotations

import ast
import bisect
import hashlib
import io
import os
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE = "hessian_spectra"
SOURCE = Path(__file__).resolve().parents[1]  # src/

_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_IMPORTS = (ast.Import, ast.ImportFrom)
_SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}

Target = tuple[str, str | None]  # (module, top-level name in it, or None: the whole module)


def script_digest(script: str | os.PathLike, source: str | os.PathLike = SOURCE) -> str:
    """sha256 of `script`, the sibling modules it imports (`_source_path`) and the library
    code (of the package under `source`) that its imports of `hessian_spectra` reach."""
    script = Path(script).resolve()
    library = _Library(Path(source).resolve())
    pieces = {script.name: _read(script).code()}
    targets = []
    for node in ast.walk(_read(script).tree):
        if isinstance(node, ast.Import):
            names = [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [(node.module, alias.name) for alias in node.names]
        else:
            continue
        for module, name in names:
            sibling = script.parent / f"{module}.py"
            if sibling.is_file():
                pieces[sibling.name] = _read(sibling).code()
            elif library.path(module):
                targets.append(library.binding(module, name))
    return _digest(pieces | library.pieces(targets))


def library_digest(*targets: str, source: str | os.PathLike = SOURCE) -> str:
    """sha256 of the library code `targets` reach: each a module ("hessian_spectra.
    logistic") or a top-level name in one ("hessian_spectra.steps.figures.figure_fig10")."""
    library = _Library(Path(source).resolve())
    resolved = []
    for target in targets:
        module, _, name = target.rpartition(".")
        if library.path(target):
            resolved.append((target, None))
        elif library.path(module):
            resolved.append((module, name))
        else:
            raise ValueError(f"{target} is neither a module of {PACKAGE} nor a name in one")
    return _digest(library.pieces(resolved))


def _digest(pieces: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for key in sorted(pieces):
        digest.update(f"{key}\0{pieces[key]}\0".encode())
    return digest.hexdigest()


@dataclass
class _File:
    """One source file: its tree, its tokens that count (each with its line) and its
    top-level definitions."""

    text: str
    tree: ast.Module
    lines: list[int] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    definitions: dict[str, list[ast.stmt]] = field(default_factory=dict)

    def __post_init__(self):
        docstrings = set()
        for node in ast.walk(self.tree):
            if isinstance(node, (ast.Module, *_DEFINITIONS)) and node.body:
                first = node.body[0]
                if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                    if isinstance(first.value.value, str):
                        docstrings.add((first.lineno, first.col_offset))
        for kind, string, start in _tokenize(self.text):
            if kind in _SKIPPED or (kind == tokenize.STRING and start in docstrings):
                continue
            # A DEDENT stands where the next statement starts; it closes the block before.
            dedent = kind == tokenize.DEDENT and self.lines
            self.lines.append(self.lines[-1] if dedent else start[0])
            self.tokens.append(f"{tokenize.tok_name[kind]} {string}")
        for node in self.tree.body:
            for name in _defined_names(node):
                self.definitions.setdefault(name, []).append(node)

    def code(self, nodes: list[ast.stmt] | None = None) -> str:
        """The tokens of the whole file, or of top-level statements `nodes`."""
        if nodes is None:
            return "\n".join(self.tokens)
        kept = []
        for node in sorted({id(n): n for n in nodes}.values(), key=lambda n: n.lineno):
            first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
            start = bisect.bisect_left(self.lines, first)
            end = bisect.bisect_right(self.lines, node.end_lineno)
            kept += self.tokens[start:end]
        return "\n".join(kept)


def _tokenize(text: str) -> Iterator[tuple[int, str, tuple[int, int]]]:
    """(type, string, start) of each token, an f-string as one STRING token as Python 3.11
    gives it (3.12 splits it into parts), so that a digest does not change with Python."""
    fstring = getattr(tokenize, "FSTRING_START", None)
    offsets = [0]
    for line in text.splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line))
    depth, first = 0, None
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if fstring is None:
            yield token.type, token.string, token.start
        elif token.type == fstring:
            depth, first = depth + 1, first if depth else token.start
        elif token.type == tokenize.FSTRING_END:
            depth -= 1
            if not depth:
                begin = offsets[first[0] - 1] + first[1]
                end = offsets[token.end[0] - 1] + token.end[1]
                yield tokenize.STRING, text[begin:end], first
        elif not depth:
            yield token.type, token.string, token.start


_FILES: dict[tuple, _File] = {}
_PIECES: dict[tuple, tuple[str, list[Target]]] = {}  # by id() of a _File kept in _FILES


def _read(path: Path) -> _File:
    """A source file, read once per version of it (every rule reads the same modules)."""
    stat = path.stat()
    key = (path, stat.st_mtime_ns, stat.st_size)
    if key not in _FILES:
        text = path.read_text()
        _FILES[key] = _File(text, ast.parse(text, filename=str(path)))
    return _FILES[key]


def _defined_names(node: ast.stmt) -> set[str]:
    if isinstance(node, _DEFINITIONS):
        return {node.name}
    targets = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        targets = [node.target]
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


def _used_names(nodes: list[ast.AST]) -> set[str]:
    return {n.id for node in nodes for n in ast.walk(node) if isinstance(n, ast.Name)}


class _Library:
    """The modules of the package under `source`, read as text."""

    def __init__(self, source: Path):
        self.source = source

    def path(self, module: str) -> Path | None:
        if module != PACKAGE and not module.startswith(PACKAGE + "."):
            return None
        base = self.source.joinpath(*module.split("."))
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
        return None

    def binding(self, module: str, name: str | None) -> Target:
        """What `from module import name` (or `import module`) reaches: a submodule, or a
        name defined in a module."""
        if name is not None and self.path(f"{module}.{name}"):
            return f"{module}.{name}", None
        return module, None if name == "*" else name

    def imports(self, module: str, nodes: list[ast.AST]) -> dict[str, Target]:
        """local name -> target of each package import among `nodes` of `module`."""
        package = module if self.path(module).name == "__init__.py" else module.rpartition(".")[0]
        bound = {}
        for node in nodes:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if self.path(alias.name):
                        bound[alias.asname or alias.name.split(".")[0]] = (alias.name, None)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
                if self.path(base):
                    for alias in node.names:
                        bound[alias.asname or alias.name] = self.binding(base, alias.name)
        return bound

    def pieces(self, targets: list[Target]) -> dict[str, str]:
        """key -> tokens of each piece of code `targets` reach, with the `__init__` of each
        package on the way (importing a module runs them)."""
        pieces: dict[str, str] = {}
        pending = list(targets)
        while pending:
            module, name = pending.pop()
            key = module if name is None else f"{module}:{name}"
            if key in pieces:
                continue
            parts = module.split(".")
            pending += [(".".join(parts[:i]), None) for i in range(1, len(parts))]
            pieces[key], reached = self.piece(module, name)
            pending += reached
        return pieces

    def piece(self, module: str, name: str | None) -> tuple[str, list[Target]]:
        """The tokens of one module, or of one name in it with what it reaches in its
        module; and the targets that its package imports reach."""
        source = _read(self.path(module))
        key = (id(source), module, name)
        if key not in _PIECES:
            _PIECES[key] = self._piece(source, module, name)
        return _PIECES[key]

    def _piece(self, source: _File, module: str, name: str | None):
        if name is None or name not in source.definitions:  # a name the module imports
            return source.code(), list(self.imports(module, list(ast.walk(source.tree))).values())
        kept = {
            id(node): node
            for node in source.tree.body
            if not isinstance(node, (*_DEFINITIONS, *_IMPORTS))
        }
        pending = [name, *_used_names(list(kept.values()))]
        while pending:
            for node in source.definitions.get(pending.pop(), []):
                if id(node) not in kept:
                    kept[id(node)] = node
                    pending += _used_names([node])
        nodes = list(kept.values())
        top = self.imports(module, source.tree.body)
        reached = [top[local] for local in sorted(_used_names(nodes) & set(top))]
        inner = [n for node in nodes for n in ast.walk(node) if isinstance(n, _IMPORTS)]
        reached += self.imports(module, inner).values()  # imports inside definitions
        return source.code(nodes), reached
