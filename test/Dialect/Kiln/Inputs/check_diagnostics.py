"""Checks that every diagnostic the kiln dialect can emit is exercised by a test.

For each `fail(...)` / `emitOpError(...)` call in the dialect's sources, the
longest string literal of the message (adjacent literals joined) must appear
in one of the given test files. Prints the uncovered messages and exits 1.
"""

import re
import sys

CALL = re.compile(r"\b(?:fail|emitOpError)\(")
LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"')


def messages(source):
    for match in CALL.finditer(source):
        depth, i = 1, match.end()
        while depth and i < len(source):
            ch = source[i]
            if ch == '"':
                i = LITERAL.match(source, i).end()
                continue
            depth += {"(": 1, ")": -1}.get(ch, 0)
            i += 1
        args = source[match.end():i - 1]
        # Join literals separated only by whitespace (C++ concatenation).
        pieces, joined, last_end = [], "", None
        for lit in LITERAL.finditer(args):
            if last_end is not None and args[last_end:lit.start()].strip():
                pieces.append(joined)
                joined = ""
            joined += lit.group(1)
            last_end = lit.end()
        pieces.append(joined)
        longest = max(pieces, key=len)
        if len(longest) >= 6:
            yield longest.replace('\\"', '"')


def main():
    sources, tests = sys.argv[1].split(","), sys.argv[2:]
    text = "".join(open(t).read() for t in tests)
    missing = []
    for path in sources:
        for message in messages(open(path).read()):
            if message not in text:
                missing.append(f"{path}: {message}")
    for line in missing:
        print("untested diagnostic:", line)
    print(f"{len(missing)} untested diagnostics")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
