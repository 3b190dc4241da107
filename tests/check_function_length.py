#!/usr/bin/env python3
"""Fails when a function of the product (common/, client/, tracker/) is longer
than 80 lines and the comment just above it does not give the reason (a
comment that says "Long" or "About N lines"). Functions are found the way a
reader finds them: a definition line at the start of a line (or indented by
one level, for classes), ending in "{", closed by a "}" at the same indent."""
import glob
import re
import sys

LIMIT = 80
DEF = re.compile(r'^( {0,4})[A-Za-z_].*\)\s*(const)?\s*(override)?\s*(noexcept)?\s*\{\s*$')
NOT_FUNC = re.compile(r'^\s*(if|for|while|switch|else|do|namespace|struct|class|enum)\b')
REASON = re.compile(r'(?i)\blong\b|about \d+ lines')


def long_functions(path):
    lines = open(path, encoding='utf-8').read().split('\n')
    i = 0
    while i < len(lines):
        m = DEF.match(lines[i])
        if not m or NOT_FUNC.match(lines[i]):
            i += 1
            continue
        # A wrapped signature: the function starts (and takes its indent)
        # where the signature does.
        start = i
        while start > 0 and lines[start - 1].rstrip().endswith(('(', ',')):
            start -= 1
        indent = re.match(r' *', lines[start]).group(0)
        if start != i and (len(indent) > 4 or NOT_FUNC.match(lines[start])):
            i += 1
            continue
        j = i + 1
        while j < len(lines) and lines[j] != indent + '}' and not lines[j].startswith(indent + '};'):
            j += 1
        n = j - start + 1
        if n > LIMIT and j < len(lines):
            k = start - 1
            comment = []
            while k >= 0 and lines[k].lstrip().startswith('//'):
                comment.append(lines[k])
                k -= 1
            yield start + 1, n, lines[start].strip(), bool(REASON.search(' '.join(comment)))
        i = j + 1 if j < len(lines) else i + 1


def main():
    bad = 0
    for path in sorted(glob.glob('common/**/*.cpp', recursive=True) +
                       glob.glob('client/**/*.cpp', recursive=True) +
                       glob.glob('tracker/**/*.cpp', recursive=True)):
        for line, n, sig, reasoned in long_functions(path):
            if not reasoned:
                print('%s:%d: %d lines, over %d without a reason in a comment: %s'
                      % (path, line, n, LIMIT, sig[:90]))
                bad += 1
    if bad:
        print('check-function-length: %d function(s) to split or explain' % bad)
        return 1
    print('function length: ok')
    return 0


if __name__ == '__main__':
    sys.exit(main())
