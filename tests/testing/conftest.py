import pytest

from bdsl.testing import MockServer


@pytest.fixture
def mock_server(monkeypatch):
    """Start a MockServer with the given settings, pointing litellm's `openai/` at it."""
    servers = []

    def start(**settings) -> MockServer:
        server = MockServer(**settings).start()
        servers.append(server)
        for name, value in server.env().items():
            monkeypatch.setenv(name, value)
        return server

    yield start
    for server in servers:
        server.stop()


def litellm_quiet():
    import litellm

    litellm.suppress_debug_info = True
    return litellm
