"""What the local Neo4j is built from: Neo4j's jars resolved by Maven from pom.xml, and the
ClewNeo4j launcher compiled once per version into the user's cache directory."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from graph_api.neo4j_local.files import LocalNeo4jError, Paths, tail, write_atomic

log = logging.getLogger(__name__)


HERE = Path(__file__).resolve().parent


JAVA_SOURCE = HERE / "ClewNeo4j.java"


POM = HERE / "pom.xml"


MAIN_CLASS = "ClewNeo4j"


ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


# The first resolution downloads ~150 MB; a stuck mvn must not hang start() forever.
MVN_TIMEOUT = 1800.0


def require_tool(name: str, how_to_install: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise LocalNeo4jError(f"`{name}` was not found on PATH. {how_to_install}")
    return path


def check_java_version(java: str) -> None:
    try:
        banner = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=60, check=False
        ).stderr
    except (OSError, subprocess.SubprocessError) as exc:
        raise LocalNeo4jError(f"Could not run `{java} -version`: {exc}") from exc
    match = re.search(r'version "(\d+)(?:\.(\d+))?', banner)
    if match is None:
        return  # unusual banner; let the JVM itself complain if it cannot cope
    major = int(match.group(1))
    if major == 1:  # "1.8.0_392" style
        major = int(match.group(2) or 0)
    if major < 17:
        raise LocalNeo4jError(
            f"`{java}` is Java {major}, but Neo4j 5.26 needs Java 17 or 21. Install one "
            "(Debian/Ubuntu: `apt-get install openjdk-17-jdk-headless`) and put it first on PATH."
        )


def hash(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()[:16]


def resolve_classpath(paths: Paths) -> str:
    """The jar list for pom.xml, from the cache file while it still matches the pom
    and Maven repository and every jar in it exists; otherwise asks Maven."""
    maven_repo = os.environ.get("CLEW_MAVEN_REPO", "")
    key = hash(POM.read_bytes(), maven_repo.encode())
    try:
        header, jars = paths.classpath_file.read_text().split("\n", 1)
        jars = jars.strip()
        if header == f"# {key}" and jars and all(Path(j).is_file() for j in jars.split(os.pathsep)):
            return jars
    except (OSError, ValueError):
        pass

    mvn = require_tool(
        "mvn",
        "Maven downloads Neo4j's jars from Maven Central on the first start. Install it "
        "(Debian/Ubuntu: `apt-get install maven`) or put its bin directory on PATH.",
    )
    log.info("Resolving Neo4j's jars with Maven (the first run downloads about 150 MB)")
    with tempfile.TemporaryDirectory(prefix="clew-mvn-") as tmp:
        out = Path(tmp) / "classpath.txt"
        command = [
            mvn,
            "-B",
            "-q",
            "-Dstyle.color=never",
            "-f",
            str(POM),
            "dependency:build-classpath",
            f"-Dmdep.outputFile={out}",
        ]
        if maven_repo:
            command.append(f"-Dmaven.repo.local={Path(maven_repo).expanduser().resolve()}")
        output, failed = run(command, cwd=Path(tmp), timeout=MVN_TIMEOUT)
        if failed or not out.is_file():
            raise LocalNeo4jError(
                "Downloading Neo4j's jars with Maven failed. Check that Maven Central "
                "(https://repo.maven.apache.org) is reachable, directly or through a proxy "
                "in ~/.m2/settings.xml. Last lines of mvn's output:\n" + tail(output)
            )
        jars = out.read_text().strip()
    write_atomic(paths.classpath_file, f"# {key}\n{jars}\n")
    return jars


def compile_launcher(classpath: str) -> Path:
    """The directory holding ClewNeo4j.class, compiled once per version of the source
    and the pom (a new Neo4j version may change the API it compiles against)."""
    cache = cache_root()
    target = cache / f"launcher-{hash(JAVA_SOURCE.read_bytes(), POM.read_bytes())}"
    if (target / f"{MAIN_CLASS}.class").is_file():
        return target

    javac = require_tool(
        "javac",
        "The Neo4j launcher is compiled on first use, which needs a JDK, not only a JRE "
        "(Debian/Ubuntu: `apt-get install openjdk-17-jdk-headless`).",
    )
    cache.mkdir(parents=True, exist_ok=True)
    # Compile next to the target and rename into place, so a concurrent start never
    # sees a half-written class.
    build = Path(tempfile.mkdtemp(prefix=".build-", dir=cache))
    try:
        output, failed = run(
            [
                javac,
                "--release",
                "17",
                "-nowarn",
                "-d",
                str(build),
                "-cp",
                classpath,
                str(JAVA_SOURCE),
            ],
            cwd=build,
            timeout=600,
        )
        if failed:
            raise LocalNeo4jError(
                f"Compiling {JAVA_SOURCE.name} failed. javac's output:\n" + tail(output)
            )
        try:
            build.rename(target)
        except OSError:
            if not (target / f"{MAIN_CLASS}.class").is_file():
                raise  # not a lost race with another start: a real problem
    finally:
        shutil.rmtree(build, ignore_errors=True)
    return target


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "clew" / "neo4j_local"


def run(command: list[str], *, cwd: Path, timeout: float) -> tuple[str, bool]:
    """Runs a build tool; returns its combined output and whether it failed."""
    try:
        result = subprocess.run(
            command,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        output = exc.output or b""
        partial = output.decode(errors="replace") if isinstance(output, bytes) else output
        return f"{partial}\n(gave up after {timeout:.0f} s)", True
    # Maven 3.8 emits colour resets even in batch mode with colours off.
    return ANSI_ESCAPE.sub("", result.stdout), result.returncode != 0
