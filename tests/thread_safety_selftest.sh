#!/usr/bin/env bash
# Self-test of make thread-safety: with common/mutex.h, clang must refuse a
# guarded field touched without its lock and a REQUIRES function called
# without it, and accept the same code with the lock held. If the macros
# ever expand to nothing under clang, this fails instead of the analysis
# silently checking nothing.
set -u
cd "$(dirname "$0")/.."
cxx=${CXX_TS:-clang++}
check() {  # check <want 0|1> <name> <body of a member function>
    src=$(mktemp --suffix=.cpp)
    cat >"$src" <<CPP
#include "common/mutex.h"
struct Account {
    mt::common::Mutex mu;
    int balance GUARDED_BY(mu) = 0;
    void add_locked(int n) REQUIRES(mu) { balance += n; }
    void run() { $3 }
};
int main() { Account a; a.run(); }
CPP
    $cxx -std=c++20 -I. -fsyntax-only -Wthread-safety -Werror "$src" 2>/dev/null
    rc=$?
    rm -f "$src"
    if [ $(( rc != 0 )) -eq "$1" ]; then echo "$2: ok"; else echo "$2: FAIL (clang exit $rc)"; fails=1; fi
}
fails=0
check 0 locked_write_accepted 'mt::common::MutexLock l(mu); balance = 1;'
check 0 locked_call_accepted 'mt::common::MutexLock l(mu); add_locked(1);'
check 1 unlocked_write_refused 'balance = 1;'
check 1 unlocked_read_refused 'int x = balance; (void)x;'
check 1 unlocked_call_refused 'add_locked(1);'
check 1 write_after_unlock_refused 'mt::common::MutexLock l(mu); l.unlock(); balance = 2;'
exit $fails
