#pragma once

namespace certbench::sys {

/// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
/// Callers must still handle losing a race for it.
int free_loopback_port();

}  // namespace certbench::sys
