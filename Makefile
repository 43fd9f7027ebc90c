# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test fuzz bench lint clean sample package

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/exposure gui

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

# Every reader fuzzed with many more examples than the suite runs (tests/test_fuzz_readers.py):
# about ten minutes; a hang fails it after thirty.
fuzz: $(STAMP)
	EXPOSURE_FUZZ=1 QT_QPA_PLATFORM=offscreen timeout 1800 $(BIN)/python -m pytest -q \
		-p no:cacheprovider tests/test_fuzz_readers.py

lint: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/python -m ruff check desktop tests

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	$(BIN)/python benchmarks/bench_ingest.py

sample: $(STAMP)
	$(BIN)/python sample_tracks/generate.py

clean:
	rm -rf $(VENV) $(BUILD_VENV) build dist *.egg-info .pytest_cache

# The release tarball (docs/install.md): built in its own venv holding the app (with s3fs, for
# archives on S3) and PyInstaller only, so nothing of the test extras can end up in the
# bundle. Writes dist/maritime-exposure-<version>-linux-x86_64.tar.gz and its .sha256.
BUILD_VENV := .build-venv
BUILD_STAMP := $(BUILD_VENV)/.installed
PYINSTALLER := "pyinstaller>=6.10,<7"

$(BUILD_STAMP): pyproject.toml
	rm -rf $(BUILD_VENV)
	$(PYTHON) -m venv $(BUILD_VENV)
	$(BUILD_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BUILD_VENV)/bin/python -m pip install --quiet ".[s3]" $(PYINSTALLER)
	touch $@

package: $(BUILD_STAMP)
	rm -rf build/pyinstaller dist/exposure dist/maritime-exposure-*
	$(BUILD_VENV)/bin/pyinstaller --noconfirm --log-level WARN --distpath dist \
		--workpath build/pyinstaller installer/exposure.spec
	$(BUILD_VENV)/bin/python installer/build_package.py --dist dist --work build/pyinstaller
