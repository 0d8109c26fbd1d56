"""pytest's final summary carries the statistics tests hand it, after the progress dots."""

pytest_plugins = ["pytester"]


def test_statistics_go_to_the_summary_not_among_the_dots(pytester):
    pytester.makeconftest((__import__("pathlib").Path(__file__).parent / "conftest.py").read_text())
    pytester.makepyfile(browser=(__import__("pathlib").Path(__file__).parent / "browser.py").read_text())  # conftest imports it
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


def test_with_no_skips_set_every_skip_fails_except_the_allowed_ones(pytester, monkeypatch):
    """What .ci/run relies on: a skipped test (marked, inside, or a module's importorskip) fails."""
    pytester.makeconftest((__import__("pathlib").Path(__file__).parent / "conftest.py").read_text())
    pytester.makepyfile(browser=(__import__("pathlib").Path(__file__).parent / "browser.py").read_text())  # conftest imports it
    pytester.makepyfile(test_skips="""
        import pytest

        @pytest.mark.skipif(True, reason="marked")
        def test_marked(): pass

        def test_inside(): pytest.skip("inside")

        @pytest.mark.xfail(strict=True, reason="a known failure is not a skip")
        def test_known(): assert False

        def test_plain(): pass
    """)
    pytester.makepyfile(test_module_skip="""
        import pytest
        pytest.importorskip("a_module_that_is_not_installed")
        def test_never(): pass
    """)
    monkeypatch.delenv("MICROGRAD_ID_NO_SKIPS", raising=False)  # CI sets it for this run itself
    quiet = pytester.runpytest_subprocess("-q", "-p", "no:randomly", "test_skips.py")
    quiet.assert_outcomes(passed=1, skipped=2, xfailed=1)
    assert "to run them too: make test EXTRAS=" in quiet.stdout.str()

    monkeypatch.setenv("MICROGRAD_ID_NO_SKIPS", "1")
    strict = pytester.runpytest_subprocess("-q", "-p", "no:randomly", "test_skips.py")
    strict.assert_outcomes(passed=1, failed=1, errors=1, xfailed=1)
    assert "skipped (Skipped: inside), but MICROGRAD_ID_NO_SKIPS=1 forbids skips" in strict.stdout.str()
    module = pytester.runpytest_subprocess("-q", "-p", "no:randomly", "test_module_skip.py")
    assert module.ret != 0 and "a_module_that_is_not_installed" in module.stdout.str()
