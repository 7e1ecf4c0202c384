"""The exceptions bert2bilstm raises."""


class Error(ValueError):
    """A failure in bert2bilstm: a bad model file, a bad text, a failed command.

    The message is the library's (or the program's) one line, naming the file or the problem.
    """


class ModelNotFoundError(Error, FileNotFoundError):
    """A model directory, or a file it must hold, that is not there."""
