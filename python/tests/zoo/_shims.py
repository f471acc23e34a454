"""Stand-ins for upstream infrastructure the zoo's copied files import (not upstream code).

BasicSR and Real-ESRGAN decorate each architecture with `@ARCH_REGISTRY.register()` (basicsr.utils.registry),
which records the class by name for config files; here the decorator returns the class unchanged.
"""


class _Registry:
    def register(self, obj=None):
        if obj is None:
            return lambda o: o
        return obj


ARCH_REGISTRY = _Registry()
