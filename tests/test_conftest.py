"""pytest's final summary carries the statistics tests hand it, after the progress dots."""

pytest_plugins = ["pytester"]


def test_statistics_go_to_the_summary_not_among_the_dots(pytester):
    pytester.makeconftest((__import__("pathlib").Path(__file__).parent / "conftest.py").read_text())
    pytester.makepyfile(test_counts="""
        import pytest

        @pytest.fixture(scope="module", autouse=True)
        def counts(summary_lines):
            yield
            summary_lines.append("fuzz cases total: 3")

        def test_a(): pass
        def test_b(): pass
    """)
    out = pytester.runpytest("-q", "-p", "no:randomly").stdout.str()
    dots, _, summary = out.partition("statistics")
    assert "fuzz cases total" not in dots
    assert "fuzz cases total: 3" in summary
