"""Exceptions raised by bifurc.

Every message names the argument or definition at fault, the rule it broke and
the offending value, so that the user knows what to change.
"""


class BifurcError(Exception):
    """Base class of all bifurc errors."""


class ModelDefinitionError(BifurcError, ValueError):
    """A model definition (Python or file) is malformed: unknown symbol,
    duplicate name, missing equation, non-finite default, unparsable file."""


class ParameterError(BifurcError, ValueError):
    """A parameter value or name given by the user is invalid."""


class SimulationError(BifurcError, RuntimeError):
    """A simulation could not be run or did not finish.

    Attributes
    ----------
    trajectory : Trajectory or None
        What was computed before the failure (never contains non-finite values).
    """

    def __init__(self, message, trajectory=None):
        super().__init__(message)
        self.trajectory = trajectory


class DivergenceError(SimulationError):
    """A state became non-finite (NaN or infinite) during a simulation."""
