#pragma once
// Small RAII wrappers over libnl-3 objects for the host side (internal to
// runtime/network/). libnl reports errors as negative NLE_* codes.

#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>

#include <memory>
#include <string_view>

#include "common/error.hpp"

namespace kata::runtime::network {

struct NlSocketFree {
  void operator()(nl_sock* socket) const { nl_socket_free(socket); }
};
struct NlCacheFree {
  void operator()(nl_cache* cache) const { nl_cache_free(cache); }
};
struct NlObjectPut {
  void operator()(void* object) const { nl_object_put(static_cast<nl_object*>(object)); }
};
using NlSocket = std::unique_ptr<nl_sock, NlSocketFree>;
using NlCache = std::unique_ptr<nl_cache, NlCacheFree>;
/// Any libnl object (rtnl_link, rtnl_qdisc, rtnl_cls, rtnl_act, nl_addr...).
template <typename T>
using NlObject = std::unique_ptr<T, NlObjectPut>;

struct NlAddrPut {
  void operator()(nl_addr* address) const { nl_addr_put(address); }
};
using NlAddr = std::unique_ptr<nl_addr, NlAddrPut>;

/// An error for libnl's negative return code `code`; the kind follows it
/// (NLE_EXIST already_exists, NLE_OBJ_NOTFOUND/NLE_NODEV not_found).
inline Error nl_failure(int code, std::string_view what) {
  ErrorKind kind = ErrorKind::system;
  if (code == -NLE_EXIST) kind = ErrorKind::already_exists;
  if (code == -NLE_OBJ_NOTFOUND || code == -NLE_NODEV) kind = ErrorKind::not_found;
  if (code == -NLE_PERM) kind = ErrorKind::system;
  return make_error(kind, "{}: {}", what, nl_geterror(code));
}

/// A NETLINK_ROUTE socket connected in the calling thread's network namespace.
inline Result<NlSocket> connect_route_socket() {
  NlSocket socket(nl_socket_alloc());
  if (!socket) return make_error(ErrorKind::system, "netlink: out of memory");
  if (int rc = nl_connect(socket.get(), NETLINK_ROUTE); rc < 0) return nl_failure(rc, "netlink: connect");
  return socket;
}

}  // namespace kata::runtime::network
