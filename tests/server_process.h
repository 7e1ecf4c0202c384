#pragma once
// A server program (`bert2bilstm serve`, `bert2bilstm-serve`) as a child process on a port
// the system picks, for tests that talk to the real program over HTTP.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

namespace b2b::test {

// `bert2bilstm serve` (or another server program) as a child process, on a port the system
// picks.
class ServerProcess {
 public:
  explicit ServerProcess(const std::string& args,
                         const std::string& program = std::string(B2B_BINARY) + " serve") {
    int out[2];
    if (pipe(out) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      close(out[0]);
      const std::string command = program + " --port 0 " + args;
      execl("/bin/sh", "sh", "-c", ("exec " + command).c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    std::string line;
    char c;
    while (read(out[0], &c, 1) == 1 && c != '\n') line += c;
    close(out[0]);
    const size_t colon = line.rfind(':');
    if (line.rfind("listening on http://127.0.0.1:", 0) == 0 && colon != std::string::npos)
      port_ = std::stoi(line.substr(colon + 1));
  }
  ~ServerProcess() {
    if (pid_ > 0 && !stopped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  // SIGTERM, then the exit status (-1 if it did not end by itself).
  // The caller reaped the process itself (waitpid): nothing left to kill.
  void reaped() { stopped_ = true; }
  int terminate() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    stopped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  bool stopped_ = false;
};

}  // namespace b2b::test
