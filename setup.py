"""Builds the Python package's extension module with CMake (see pyproject.toml).

The module is python/src/module.cpp linked with the static libbert2bilstm: CMake configures
this repository with B2B_PYTHON=ON and B2B_WITH_TORCH=OFF (no libtorch, no tests) in
build/python-package/cmake and builds the one target. Needs cmake, a C++17 compiler, Python's
headers and pybind11-dev (scripts/setup.sh --test installs them). CMAKE_BUILD_PARALLEL_LEVEL
sets the build's jobs (default: every core).
"""

import os
import re
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
Path(ROOT, "build", "python-package").mkdir(parents=True, exist_ok=True)  # setup.cfg's egg_base


def version() -> str:
    cmake = (ROOT / "CMakeLists.txt").read_text()
    match = re.search(r"project\(bert2bilstm VERSION ([0-9.]+)", cmake)
    if not match:
        raise RuntimeError("CMakeLists.txt: no project(bert2bilstm VERSION ...) line")
    return match.group(1)


class CMakeBuild(build_ext):
    def build_extension(self, ext: Extension) -> None:
        out = Path(self.get_ext_fullpath(ext.name)).resolve().parent
        build = ROOT / "build" / "python-package" / "cmake"
        configure = [
            "cmake", "-S", str(ROOT), "-B", str(build),
            "-DCMAKE_BUILD_TYPE=Release", "-DB2B_PYTHON=ON", "-DB2B_WITH_TORCH=OFF",
            "-DBUILD_TESTING=OFF", f"-DPython3_EXECUTABLE={sys.executable}",
            f"-DB2B_PYTHON_OUTPUT_DIR={out}",
        ]
        subprocess.run(configure, check=True, stdout=subprocess.DEVNULL)
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", str(os.cpu_count() or 1))
        subprocess.run(["cmake", "--build", str(build), "--target", "_bert2bilstm", "-j", jobs],
                       check=True)


setup(
    version=version(),
    ext_modules=[Extension("bert2bilstm._bert2bilstm", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
)
