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
