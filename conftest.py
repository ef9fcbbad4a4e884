# The one conftest: fixtures live in fixture modules under src/yiyun/testing/.
pytest_plugins = [
    "yiyun.testing.fixtures",
    "yiyun.testing.servers",
]
