#include "process.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

extern char** environ;

namespace atlas::test {
namespace {

using Clock = std::chrono::steady_clock;

std::string errno_text() { return std::strerror(errno); }

// Opens log_dir/<stem>.N.stdout and .stderr for the first N not taken yet.
std::pair<int, int> open_logs(const std::string& log_dir, const std::string& stem,
                              std::string& out_path, std::string& err_path) {
  for (int n = 1; n < 10000; ++n) {
    out_path = log_dir + "/" + stem + "." + std::to_string(n) + ".stdout";
    err_path = log_dir + "/" + stem + "." + std::to_string(n) + ".stderr";
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (out < 0) {
      if (errno == EEXIST) continue;
      throw std::runtime_error("ChildProcess: cannot create " + out_path + ": " + errno_text());
    }
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (err < 0) {
      ::close(out);
      throw std::runtime_error("ChildProcess: cannot create " + err_path + ": " + errno_text());
    }
    return {out, err};
  }
  throw std::runtime_error("ChildProcess: too many log files in " + log_dir);
}

}  // namespace

TempDir::TempDir(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/" +
                        prefix + ".XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("TempDir: mkdtemp " + pattern + " failed: " + errno_text());
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);  // best effort; never throws
}

bool wait_until(const std::function<bool()>& predicate, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (predicate()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);
  }
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

bool file_exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

std::string ExitStatus::describe() const {
  if (exited) return "exit code " + std::to_string(code);
  return "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
}

ChildProcess::ChildProcess(const std::string& binary, const std::vector<std::string>& args,
                           const std::map<std::string, std::string>& extra_env,
                           const std::string& log_dir) {
  // Everything the child needs is prepared before fork(): between fork and
  // exec only async-signal-safe calls are allowed (the test is threaded).
  std::vector<std::string> argv_storage;
  argv_storage.push_back(binary);
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry(*e);
    const auto eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [name, value] : extra_env) env[name] = value;
  std::vector<std::string> env_storage;
  for (const auto& [name, value] : env) env_storage.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);

  const std::string stem = std::filesystem::path(binary).filename().string();
  const auto [out_fd, err_fd] = open_logs(log_dir, stem, stdout_path_, stderr_path_);
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int exec_pipe[2] = {-1, -1};  // reports a failed exec (errno) to the parent
  if (null_fd < 0 || ::pipe2(exec_pipe, O_CLOEXEC) != 0) {
    const auto why = errno_text();
    ::close(out_fd);
    ::close(err_fd);
    if (null_fd >= 0) ::close(null_fd);
    throw std::runtime_error("ChildProcess: cannot prepare " + binary + ": " + why);
  }
  const pid_t parent = ::getpid();

  const pid_t pid = ::fork();
  if (pid == 0) {
    // Child: die with the thread that started us, default signal handling,
    // redirect, exec.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(126);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    ::sigaction(SIGTERM, &dfl, nullptr);
    ::sigaction(SIGINT, &dfl, nullptr);
    ::sigaction(SIGPIPE, &dfl, nullptr);
    ::dup2(null_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    ::execve(argv[0], argv.data(), envp.data());
    const int e = errno;
    [[maybe_unused]] const auto n = ::write(exec_pipe[1], &e, sizeof e);
    ::_exit(127);
  }
  const int fork_errno = errno;
  ::close(out_fd);
  ::close(err_fd);
  ::close(null_fd);
  ::close(exec_pipe[1]);
  if (pid < 0) {
    ::close(exec_pipe[0]);
    throw std::runtime_error("ChildProcess: fork failed: " + std::string(std::strerror(fork_errno)));
  }
  pid_ = pid;
  int exec_errno = 0;
  ssize_t n = 0;
  do {
    n = ::read(exec_pipe[0], &exec_errno, sizeof exec_errno);
  } while (n < 0 && errno == EINTR);
  ::close(exec_pipe[0]);
  if (n == static_cast<ssize_t>(sizeof exec_errno)) {
    int raw = 0;
    ::waitpid(pid_, &raw, 0);
    pid_ = -1;
    throw std::runtime_error("ChildProcess: cannot run " + binary + ": " +
                             std::strerror(exec_errno));
  }
}

ChildProcess::~ChildProcess() {
  if (pid_ <= 0 || status_) return;
  ::kill(pid_, SIGTERM);
  if (!wait_for_exit(std::chrono::seconds(5))) {
    ::kill(pid_, SIGKILL);
    int raw = 0;
    while (::waitpid(pid_, &raw, 0) < 0 && errno == EINTR) {
    }
  }
}

ExitStatus ChildProcess::terminate(std::chrono::milliseconds grace) {
  kill(SIGTERM);
  auto status = wait_for_exit(grace);
  if (!status) {
    kill(SIGKILL);
    status = wait_for_exit(std::chrono::seconds(5));
  }
  return status.value_or(ExitStatus{false, -1, SIGKILL});
}

bool ChildProcess::kill(int sig) {
  if (pid_ <= 0 || status_) return false;
  return ::kill(pid_, sig) == 0;
}

bool ChildProcess::try_reap() {
  if (status_) return true;
  if (pid_ <= 0) return false;
  int raw = 0;
  const pid_t r = ::waitpid(pid_, &raw, WNOHANG);
  if (r != pid_) return false;
  ExitStatus s;
  if (WIFEXITED(raw)) {
    s.exited = true;
    s.code = WEXITSTATUS(raw);
  } else if (WIFSIGNALED(raw)) {
    s.signal = WTERMSIG(raw);
  }
  status_ = s;
  return true;
}

std::optional<ExitStatus> ChildProcess::wait_for_exit(std::chrono::milliseconds timeout) {
  wait_until([this] { return try_reap(); }, timeout, std::chrono::milliseconds(5));
  return status_;
}

bool ChildProcess::running() { return pid_ > 0 && !try_reap(); }

}  // namespace atlas::test
