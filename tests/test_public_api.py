import petool


def test_public_api_is_pinned():
    assert petool.__all__ == sorted(petool.__all__)
    assert set(petool.__all__) == {
        "Backend",
        "BackendError",
        "BackendResponse",
        "ConfigError",
        "DataMissingError",
        "InputError",
        "Interaction",
        "ParamRoles",
        "PetoolError",
        "Prediction",
        "RunError",
        "Suite",
        "SuiteInfo",
        "Task",
        "TaskMeta",
        "Tool",
        "ToolCall",
        "UserContext",
        "__version__",
        "evaluate",
        "load_suite",
        "make_backend",
        "parse_output",
        "register_backend",
        "register_scorer",
        "register_suite",
        "score",
    }
    for name in petool.__all__:
        assert getattr(petool, name) is not None
