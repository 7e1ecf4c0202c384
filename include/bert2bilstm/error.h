#pragma once
// bert2bilstm's one exception type. Its message is a single line that names the file (when
// there is one) and the problem.
#include <stdexcept>

namespace b2b {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace b2b
