#include "engines/peers/peer_kv.h"

#include "engines/durability/codec.h"

namespace statelab::peers {

std::string_view PeerValueCodec::Encode(const Value& v) {
  buf_.clear();
  codec::EncodeValue(v, &buf_);
  return buf_;
}

Status PeerValueCodec::Decode(std::string_view bytes, std::string_view peer, Value* out) {
  codec::Reader r(bytes);
  if (!codec::DecodeValue(r, out) || r.remaining() != 0) {
    return Status::Corruption(std::string(peer) + ": stored value is not an encoded Value", 0);
  }
  return Status::OK();
}

}  // namespace statelab::peers
