// A mutex the compiler can reason about. Clang's thread-safety analysis
// (`make thread-safety`: clang++ -Wthread-safety -Werror) checks that every
// field marked GUARDED_BY(mu) is touched only with `mu` held, that functions
// marked REQUIRES(mu) are called with it held and EXCLUDES(mu) without; under
// g++ the marks are empty. libstdc++'s std::mutex carries no marks, hence
// this thin wrapper (the pattern of Abseil's Mutex and LLVM's own).
//
//   common::Mutex mu_;
//   int count_ GUARDED_BY(mu_) = 0;
//   void bump() EXCLUDES(mu_) { common::MutexLock lock(mu_); ++count_; }
//   void wait_for_work() { common::MutexLock lock(mu_);
//                          while (!work_) cv_.wait(lock.native()); }
#pragma once

#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define MT_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define MT_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) MT_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY MT_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) MT_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) MT_THREAD_ANNOTATION(pt_guarded_by(x))
#define ACQUIRED_BEFORE(...) MT_THREAD_ANNOTATION(acquired_before(__VA_ARGS__))
#define ACQUIRED_AFTER(...) MT_THREAD_ANNOTATION(acquired_after(__VA_ARGS__))
#define REQUIRES(...) MT_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define ACQUIRE(...) MT_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) MT_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define TRY_ACQUIRE(...) MT_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#define EXCLUDES(...) MT_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define ASSERT_CAPABILITY(x) MT_THREAD_ANNOTATION(assert_capability(x))
#define RETURN_CAPABILITY(x) MT_THREAD_ANNOTATION(lock_returned(x))
#define NO_THREAD_SAFETY_ANALYSIS MT_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace mt::common {

class CAPABILITY("mutex") Mutex {
  public:
    void lock() ACQUIRE() { mu_.lock(); }
    void unlock() RELEASE() { mu_.unlock(); }
    bool try_lock() TRY_ACQUIRE(true) { return mu_.try_lock(); }
    // For a thread that holds the mutex by other means (a condition
    // variable's wait hands it back): tells the analysis so.
    void assert_held() const ASSERT_CAPABILITY(this) {}

  private:
    friend class MutexLock;
    std::mutex mu_;
};

// Holds a Mutex for its scope (or until unlock()). native() is for
// std::condition_variable::wait, which releases and retakes it inside.
class SCOPED_CAPABILITY MutexLock {
  public:
    explicit MutexLock(Mutex& mu) ACQUIRE(mu) : lock_(mu.mu_) {}
    ~MutexLock() RELEASE() {}
    MutexLock(const MutexLock&) = delete;
    MutexLock& operator=(const MutexLock&) = delete;

    void unlock() RELEASE() { lock_.unlock(); }
    void lock() ACQUIRE() { lock_.lock(); }
    std::unique_lock<std::mutex>& native() { return lock_; }

  private:
    std::unique_lock<std::mutex> lock_;
};

}  // namespace mt::common
