from tests.rundir.conftest import mock  # noqa: F401  (the local OpenAI mock fixture)
