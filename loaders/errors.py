class LoadError(Exception):
    """A file that cannot be read as a report: says which file, where and why."""

    def __init__(self, why: str, where: str = "file", file: str | None = None):
        super().__init__(why)
        self.why = why
        self.where = where
        self.file = file

    def with_file(self, file: str) -> "LoadError":
        self.file = self.file or file
        return self

    def __str__(self) -> str:
        return f"{self.file or '<input>'}: {self.where}: {self.why}"


class UnexpectedError(LoadError):
    """A parser failed in a way no check foresaw (``unreadable pdf: RecursionError``):
    still one line for the user, but a bug to fix; the fuzz tests count these."""


def first_line(e: BaseException) -> str:
    """A library's exception message as one short line (some span several)."""
    return (str(e).strip().splitlines() or [""])[0][:200]
