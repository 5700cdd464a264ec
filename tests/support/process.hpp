#pragma once
// Helpers for tests that drive other processes.
//
//   atlas::test::TempDir dir;                         // mkdtemp, removed at scope exit
//   atlas::test::ChildProcess child(atlas::test::binary("atlas-devbus"),
//                                   {"--bootstrap-file", dir.file("bootstrap")},
//                                   {{"LOG_LEVEL", "debug"}}, dir.path());
//   REQUIRE(atlas::test::wait_until([&] { return file_exists(dir.file("bootstrap")); },
//                                   std::chrono::seconds(10)));
//   child.kill(SIGTERM);
//   auto status = child.wait_for_exit(std::chrono::seconds(5));
//   CHECK(status && status->ok());
//
// The child's stdout and stderr go to files in the directory given (read
// them with stdout_text() / stderr_text(), or print them when a test fails).
// A child is killed if the thread that started it dies (PR_SET_PDEATHSIG),
// so a crashed test leaves no stray process: start children from the test's
// own thread.
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace atlas::test {

// A fresh directory (mkdtemp under $TMPDIR or /tmp), removed with everything
// in it on destruction. Throws std::runtime_error when it cannot be created.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "atlas-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] const std::string& path() const { return path_; }
  // path() + "/" + name
  [[nodiscard]] std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Calls `predicate` every `interval` until it returns true (then returns
// true) or `timeout` has passed (then returns false).
bool wait_until(const std::function<bool()>& predicate, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval = std::chrono::milliseconds(20));

// The whole file, or "" when it does not exist.
std::string read_text_file(const std::string& path);
bool file_exists(const std::string& path);

// How a child process ended.
struct ExitStatus {
  bool exited = false;  // exited normally (else killed by `signal`)
  int code = -1;        // exit code when exited
  int signal = 0;       // terminating signal when !exited

  [[nodiscard]] bool ok() const { return exited && code == 0; }
  [[nodiscard]] std::string describe() const;  // "exit code 0", "killed by signal 9"
};

class ChildProcess {
 public:
  // Starts `binary` (a path) with `args`, the current environment plus
  // `extra_env` (which overrides), stdout and stderr redirected to files in
  // `log_dir`. Throws std::runtime_error when the process cannot be started
  // (the binary missing or not executable is reported here, not as exit 127).
  ChildProcess(const std::string& binary, const std::vector<std::string>& args,
               const std::map<std::string, std::string>& extra_env, const std::string& log_dir);
  // If still running: SIGTERM, up to 5 s to exit, then SIGKILL; always reaped.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }
  // Sends `sig`; false when the process has already been reaped.
  bool kill(int sig);
  // Waits up to `timeout` for the process to end; nullopt if it is still
  // running. Once it has ended, returns the same status every time.
  std::optional<ExitStatus> wait_for_exit(std::chrono::milliseconds timeout);
  // True while the process has not ended (reaps it if it has).
  bool running();
  // Stops the process: SIGTERM, up to `grace` to exit, then SIGKILL and up to
  // 5 s more. The exit status ("killed by signal 9" if it could not be reaped).
  ExitStatus terminate(std::chrono::milliseconds grace);

  [[nodiscard]] const std::string& stdout_path() const { return stdout_path_; }
  [[nodiscard]] const std::string& stderr_path() const { return stderr_path_; }
  [[nodiscard]] std::string stdout_text() const { return read_text_file(stdout_path_); }
  [[nodiscard]] std::string stderr_text() const { return read_text_file(stderr_path_); }

 private:
  bool try_reap();

  pid_t pid_ = -1;
  std::optional<ExitStatus> status_;
  std::string stdout_path_;
  std::string stderr_path_;
};

}  // namespace atlas::test
