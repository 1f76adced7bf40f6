#include "cmd/verbs.hpp"

namespace kata::cmd {

Error not_implemented() { return make_error(ErrorKind::unsupported, "not implemented yet"); }

}  // namespace kata::cmd
