#include "pg_fixture.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace atlas::test {
namespace {

namespace fs = std::filesystem;

constexpr int kStartAttempts = 5;

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

// Exit status of a std::system call, or -1 when the child did not exit normally.
int exit_status(int raw) {
  if (raw == -1) return -1;
  return WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) throw std::runtime_error("PgFixture: cannot write " + path);
}

std::string find_bin_dir() {
  const std::string debian = "/usr/lib/postgresql/15/bin";
  if (fs::exists(debian + "/initdb")) return debian;
  FILE* pipe = popen("pg_config --bindir 2>/dev/null", "r");
  if (pipe != nullptr) {
    char buffer[4096];
    std::string out;
    while (fgets(buffer, sizeof buffer, pipe) != nullptr) out += buffer;
    pclose(pipe);
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    if (!out.empty() && fs::exists(out + "/initdb")) return out;
  }
  throw std::runtime_error(
      "PgFixture: no PostgreSQL server binaries (initdb) in /usr/lib/postgresql/15/bin or "
      "`pg_config --bindir`: install postgresql-15 (scripts/bootstrap.sh does)");
}

// A port the kernel considers free right now: bind port 0, read it, release
// it. Another process may grab it before the server binds; try_start() then
// fails and the caller picks another.
int pick_free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "PgFixture: socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const int err = errno;
    ::close(fd);
    throw std::system_error(err, std::generic_category(), "PgFixture: bind to a free port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool running_as_root() { return ::geteuid() == 0; }

}  // namespace

PgFixture::PgFixture(std::string database, const std::string& extra_settings)
    : bin_dir_(find_bin_dir()), database_(std::move(database)) {
  std::string pattern = (fs::temp_directory_path() / "atlas-pg-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(), "PgFixture: mkdtemp " + pattern);
  }
  root_dir_ = pattern;
  data_dir_ = root_dir_ + "/data";
  try {
    if (running_as_root()) {
      const passwd* pw = ::getpwnam("postgres");
      if (pw == nullptr) {
        throw std::runtime_error(
            "PgFixture: running as root but there is no `postgres` user to run the server as "
            "(PostgreSQL refuses to run as root): install postgresql-15, which creates it");
      }
      if (::chown(root_dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
        throw std::system_error(errno, std::generic_category(), "PgFixture: chown " + root_dir_);
      }
    }

    // Should this process die without the destructor (a crash, a ctest
    // time-out), a watchdog stops the server and removes the dir; it ends
    // by itself once the destructor has removed the dir.
    const std::string stop_cmd =
        (running_as_root() ? "runuser -u postgres -- " : "") + shell_quote(bin_dir_ + "/pg_ctl") +
        " stop -D " + shell_quote(data_dir_) + " -m immediate";
    const std::string watchdog = "while kill -0 " + std::to_string(::getpid()) + " 2>/dev/null && [ -d " +
                                 shell_quote(root_dir_) + " ]; do sleep 1; done; if [ -d " +
                                 shell_quote(root_dir_) + " ]; then cd / && " + stop_cmd +
                                 "; rm -rf " + shell_quote(root_dir_) + "; fi";
    (void)std::system(("nohup sh -c " + shell_quote(watchdog) +
                       " </dev/null >/dev/null 2>&1 &").c_str());

    const int rc = run_as_server_user(
        shell_quote(bin_dir_ + "/initdb") + " -D " + shell_quote(data_dir_) +
        " -A trust -U postgres --no-sync -E UTF8 --locale C --no-instructions > " +
        shell_quote(root_dir_ + "/initdb.log") + " 2>&1");
    if (rc != 0) {
      throw std::runtime_error("PgFixture: initdb failed (exit " + std::to_string(rc) +
                               "):\n" + read_file(root_dir_ + "/initdb.log"));
    }
    // Settings for a throw-away test server; the port is given at start.
    std::ofstream conf(data_dir_ + "/postgresql.conf", std::ios::app);
    conf << "\n# atlas PgFixture\n"
         << "listen_addresses = '127.0.0.1'\n"
         << "unix_socket_directories = '" << root_dir_ << "'\n"
         << "fsync = off\nfull_page_writes = off\nsynchronous_commit = off\n"
         << "wal_level = logical\nmax_connections = 100\nshared_buffers = 32MB\n";
    if (!extra_settings.empty()) conf << extra_settings << "\n";
    conf.close();
    if (!conf) throw std::runtime_error("PgFixture: cannot append to postgresql.conf");

    start_on_free_port();

    url_ = url_for(database_);
    const std::string createdb = shell_quote(bin_dir_ + "/createdb") + " -h 127.0.0.1 -p " +
                                 std::to_string(port_) + " -U postgres " + shell_quote(database_) +
                                 " > " + shell_quote(root_dir_ + "/createdb.log") + " 2>&1";
    if (exit_status(std::system(createdb.c_str())) != 0) {
      throw std::runtime_error("PgFixture: createdb " + database_ + " failed:\n" +
                               read_file(root_dir_ + "/createdb.log"));
    }
  } catch (...) {
    if (running_) stop();
    std::error_code ignored;
    fs::remove_all(root_dir_, ignored);
    throw;
  }
}

PgFixture::~PgFixture() {
  try {
    if (running_) stop();
  } catch (...) {
    // Nothing sensible to do in a destructor; the watchdog cleans up.
  }
  std::error_code ignored;
  fs::remove_all(root_dir_, ignored);
}

std::string PgFixture::url_for(const std::string& database) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

int PgFixture::run_as_server_user(const std::string& command) const {
  // cd into the temp dir: the postgres user may not be allowed into the cwd.
  std::string line = "cd " + shell_quote(root_dir_) + " && ";
  if (running_as_root()) {
    line += "runuser -u postgres -- sh -c " + shell_quote(command);
  } else {
    line += command;
  }
  return exit_status(std::system(line.c_str()));
}

bool PgFixture::try_start(int port) {
  const int rc = run_as_server_user(
      shell_quote(bin_dir_ + "/pg_ctl") + " start -w -t 60 -D " + shell_quote(data_dir_) +
      " -l " + shell_quote(root_dir_ + "/server.log") + " -o " +
      shell_quote("-p " + std::to_string(port)) + " > " + shell_quote(root_dir_ + "/pg_ctl.log") +
      " 2>&1");
  if (rc != 0) return false;
  port_ = port;
  running_ = true;
  return true;
}

void PgFixture::start_on_free_port() {
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    if (try_start(pick_free_port())) return;
    // Only a port taken in the meantime is worth another try.
    if (server_log_tail().find("could not bind") == std::string::npos &&
        server_log_tail().find("could not create") == std::string::npos) {
      break;
    }
  }
  throw std::runtime_error("PgFixture: pg_ctl start failed:\n" +
                           read_file(root_dir_ + "/pg_ctl.log") + "\nserver log:\n" +
                           server_log_tail());
}

void PgFixture::start() {
  if (running_) return;
  if (!try_start(port_)) {
    throw std::runtime_error("PgFixture: restart on port " + std::to_string(port_) +
                             " failed:\n" + server_log_tail());
  }
}

void PgFixture::stop() {
  if (!running_) return;
  const int rc = run_as_server_user(shell_quote(bin_dir_ + "/pg_ctl") + " stop -w -D " +
                                    shell_quote(data_dir_) + " -m immediate > " +
                                    shell_quote(root_dir_ + "/pg_ctl_stop.log") + " 2>&1");
  running_ = false;
  if (rc != 0) {
    throw std::runtime_error("PgFixture: pg_ctl stop failed:\n" +
                             read_file(root_dir_ + "/pg_ctl_stop.log"));
  }
}

std::string PgFixture::server_log_tail() const {
  std::string log = read_file(root_dir_ + "/server.log");
  constexpr std::size_t kTail = 4000;
  return log.size() > kTail ? log.substr(log.size() - kTail) : log;
}

std::string PgFixture::psql(const std::string& sql) const {
  const std::string base =
      root_dir_ + "/psql-" + std::to_string(psql_counter_.fetch_add(1)) + "-" + std::to_string(::getpid());
  write_file(base + ".sql", sql);
  const std::string command = shell_quote(bin_dir_ + "/psql") + " -X -q -A -t -v ON_ERROR_STOP=1 -d " +
                              shell_quote(url_) + " -f " + shell_quote(base + ".sql") + " > " +
                              shell_quote(base + ".out") + " 2> " + shell_quote(base + ".err");
  const int rc = exit_status(std::system(command.c_str()));
  std::string out = read_file(base + ".out");
  const std::string err = read_file(base + ".err");
  std::error_code ignored;
  fs::remove(base + ".sql", ignored);
  fs::remove(base + ".out", ignored);
  fs::remove(base + ".err", ignored);
  if (rc != 0) {
    throw std::runtime_error("psql failed (exit " + std::to_string(rc) + ") running:\n" + sql +
                             "\n" + err);
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace atlas::test
