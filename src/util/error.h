#pragma once
// One exception type for every user-facing failure. The message is a single line that
// names the file (when there is one) and the problem; the CLI prints it and exits non-zero.
#include <string>

#include "bert2bilstm/error.h"

namespace b2b {

// Throws Error("<path>: <problem>").
[[noreturn]] void fail_file(const std::string& path, const std::string& problem);
// Throws Error("<path>:<line>: <problem>").
[[noreturn]] void fail_line(const std::string& path, size_t line, const std::string& problem);

// Prints "warning: <message>" on stderr.
void warn(const std::string& message);
// Prints "<message>" on stderr: what a long-running command did (a server's reload, say).
void note(const std::string& message);

}  // namespace b2b
