"""ExportError and where a failure comes from: the user's own file:line.

Every failure of an export is an ExportError whose message names what failed (the module path and
class, the ATen op), where in the user's code it is called (the innermost stack frame outside
torch and tfjs_torch) and what to do.
"""
import os
import traceback

_PKG_DIR = os.path.dirname(os.path.abspath(__file__))


class ExportError(ValueError):
    """An export that cannot be done (an unsupported op or argument, a bad call of export)."""


def _is_library_file(filename):
    if filename.startswith("<"):   # <string>, <frozen ...>, <eval_with_key>: generated code
        return True
    f = os.path.abspath(filename)
    if f.startswith(_PKG_DIR + os.sep):
        return True
    parts = f.split(os.sep)
    if "torch" in parts or "functorch" in parts or "sympy" in parts:
        return True
    return f.startswith("<frozen") or f.startswith("<string") or "importlib" in parts


def user_frame_of_trace(stack_trace):
    """The innermost 'File "...", line N, in f' of a stack_trace string (torch.fx node meta) that
    is the user's own code, as 'path:line (in f): source', or None."""
    if not stack_trace:
        return None
    lines = stack_trace.rstrip().splitlines()
    found = None
    for i, line in enumerate(lines):
        s = line.strip()
        if not s.startswith("File "):
            continue
        try:
            path = s.split('"')[1]
            rest = s.split('"', 2)[2]
            lineno = rest.split("line ")[1].split(",")[0].strip()
            func = rest.split(" in ", 1)[1].strip() if " in " in rest else "?"
        except IndexError:
            continue
        if _is_library_file(path):
            continue
        code = lines[i + 1].strip() if i + 1 < len(lines) and not lines[i + 1].strip().startswith(
            "File ") else ""
        found = f"{path}:{lineno} (in {func})" + (f": {code}" if code else "")
    return found


def user_frame_of_stack(frames):
    """The innermost frame of the user's own code in traceback.extract_stack()'s list, or None."""
    import sysconfig
    stdlib = os.path.abspath(sysconfig.get_paths()["stdlib"]) + os.sep
    found = None
    for frame in frames:
        if not _is_library_file(frame.filename) and not os.path.abspath(
                frame.filename).startswith(stdlib):
            found = f"{frame.filename}:{frame.lineno} (in {frame.name})" + (
                f": {frame.line.strip()}" if frame.line else "")
    return found


class FixedSizeWarning(UserWarning):
    """An export whose input dim the defaults leave free but torch.export fixed at the example's
    size (Python in the model that branches on that size): the model takes that size only."""


def user_frame_of_exception(exc):
    """The innermost frame of the user's own code in an exception's traceback, or None."""
    found = None
    tb = exc.__traceback__
    for frame in traceback.extract_tb(tb):
        if _is_library_file(frame.filename):
            continue
        found = f"{frame.filename}:{frame.lineno} (in {frame.name})" + (
            f": {frame.line.strip()}" if frame.line else "")
    # A chained cause (torch re-raises) may hold the user's frame when the outer one does not.
    cause = exc.__cause__ or exc.__context__
    if found is None and cause is not None and cause is not exc:
        return user_frame_of_exception(cause)
    return found
