from tests.export.conftest import plan, run_dir, signals_plan, signals_run  # noqa: F401
