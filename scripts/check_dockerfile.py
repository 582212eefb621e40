"""Checks a Dockerfile with BuildKit's own parser (the `dockerfile` package)
plus what the parser leaves to the build: known instructions, FROM first,
well-formed exec-form arrays, and COPY --from naming an earlier stage.
Exits non-zero with one line per problem. Docker itself does not run here."""

import json
import sys

import dockerfile

KNOWN = {
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK",
    "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
}
EXEC_FORM = {"CMD", "ENTRYPOINT", "RUN", "SHELL"}


def problems(path):
    try:
        commands = dockerfile.parse_file(path)
    except dockerfile.GoParseError as e:
        yield f"{path}: {e}"
        return
    stages = []
    for c in commands:
        where = f"{path}:{c.start_line}"
        if c.cmd not in KNOWN:
            yield f"{where}: unknown instruction {c.cmd}"
            continue
        if not stages and c.cmd not in ("FROM", "ARG"):
            yield f"{where}: {c.cmd} before the first FROM"
        if c.cmd == "FROM":
            value = [v.lower() for v in c.value]
            stages.append(value[value.index("as") + 1] if "as" in value else str(len(stages)))
        rest = c.original.split(None, 1)[1].strip() if " " in c.original.strip() else ""
        if c.cmd in EXEC_FORM and rest.startswith("["):
            try:
                args = json.loads(rest)
                assert isinstance(args, list) and all(isinstance(a, str) for a in args)
            except (ValueError, AssertionError):
                yield f"{where}: {c.cmd} is not a valid JSON array of strings"
        for flag in c.flags:
            if flag.startswith("--from=") and flag[7:].lower() not in stages[:-1]:
                yield f"{where}: COPY --from={flag[7:]} names no earlier stage"
    if not stages:
        yield f"{path}: no FROM"


if __name__ == "__main__":
    found = [p for path in sys.argv[1:] for p in problems(path)]
    for p in found:
        print(p)
    sys.exit(1 if found else 0)
