# The README's two commands: `make demo` and `make test`. Each sets itself up.
EXTRAS ?= dev,plot

.PHONY: demo test lint bench docs docs-site setup clean mutation

setup:
	@scripts/bootstrap "$(EXTRAS)"

demo: setup
	.venv/bin/python -m micrograd_id demo --out out

test: setup
	.venv/bin/python -m pytest -q

# Lint and type-check the package (config: [tool.ruff] and [tool.mypy] in pyproject.toml).
lint: setup
	.venv/bin/ruff check micrograd_id
	.venv/bin/mypy

bench:
	@scripts/bootstrap "$(EXTRAS),bench,torch"
	.venv/bin/python benchmarks/run.py

# Mutation testing of engine.py (config: [tool.mutmut] in pyproject.toml); ~15-25 min on 2 shared cores, not in CI.
mutation:
	@scripts/bootstrap "dev,torch,mutation"
	rm -rf mutants
	.venv/bin/mutmut run --max-children 2; .venv/bin/mutmut results
	scripts/mutation_recheck  # survivors again, each mutant active from import (mutmut cannot do that)

docs: setup
	.venv/bin/python docs/make_figures.py
	.venv/bin/python docs/make_higher_order.py
	.venv/bin/python docs/notebooks/make_notebooks.py

# The docs as a site in site/ (mkdocs-material; the API reference from the docstrings).
# --strict: a broken link, a missing page or an unresolved docstring reference fails.
docs-site:
	@scripts/bootstrap "$(EXTRAS),docs"
	.venv/bin/python docs/make_explorer_pages.py
	NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs build --strict --site-dir site  # without Material's notice about its successor

clean:
	rm -rf .venv out .pytest_cache .hypothesis build *.egg-info mutants site docs/explorer .cache
