"""Domain errors: raised by services with a translatable message; the UI turns them into a
form error or a message, the API into a 4xx with a JSON body — never a 500."""


class DomainError(Exception):
    status = 400

    def __init__(self, message, *, field: str | None = None, code: str = "invalid", params: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code
        self.params = params or {}

    def __str__(self):
        return str(self.message)


class NotAllowed(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409
