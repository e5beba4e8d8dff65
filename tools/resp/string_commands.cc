// The string and key commands of `statelab serve` (docs/resp.md#commands), each one engine
// transaction (or one read snapshot) of the selected database; inside EXEC, a part of EXEC's.
#include <algorithm>
#include <bit>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <random>
#include <span>
#include <unordered_set>
#include <utility>

#include "tools/resp/command_util.h"
#include "tools/resp/commands.h"
#include "tools/resp/resp_reply.h"

namespace statelab::resp {
namespace {

using P = AnyPartition;
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();
// Expiry times are microseconds; milliseconds beyond this are clamped to it (far beyond any
// clock, and still free of overflow when the engine adds or compares them).
constexpr TimestampUs kForeverUs = kInt64Max / 2;
// A transaction finds its own writes by a linear search, so a write's cost grows with the
// transaction: MSET and DEL take at most kMaxKeysPerWrite distinct keys, FLUSHDB deletes in
// chunks.
constexpr size_t kMaxKeysPerWrite = 10000;
constexpr size_t kFlushChunk = 1000;
constexpr std::string_view kTooManyKeys = "ERR too many keys in one command (limit 10000)";
constexpr std::string_view kTooBig =
    "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

// Whether the keys a[1], a[1 + step], ... are more than kMaxKeysPerWrite distinct ones (a
// repeated key is one write). Counts only when there are more arguments than the limit.
bool TooManyKeys(std::span<const std::string_view> a, size_t step) {
  if ((a.size() - 1) / step <= kMaxKeysPerWrite) return false;
  std::unordered_set<std::string_view> keys;
  for (size_t i = 1; i < a.size(); i += step) {
    keys.insert(a[i]);
    if (keys.size() > kMaxKeysPerWrite) return true;
  }
  return false;
}

TimestampUs UsOfMs(int64_t ms) {
  if (ms > kForeverUs / 1000) return kForeverUs;
  if (ms < -kForeverUs / 1000) return -kForeverUs;
  return ms * 1000;
}

std::string InvalidExpire(std::string_view command) {
  return "ERR invalid expire time in '" + Lower(command) + "' command";
}

// The GET reply of a stored value without an intermediate copy. False for values Redis strings
// cannot hold.
bool AppendValue(const Value& v, std::string* out) {
  if (const auto* s = std::get_if<std::string>(&v)) {
    AppendBulk(out, *s);
    return true;
  }
  std::string text;
  if (!StringOf(v, &text)) return false;
  AppendBulk(out, text);
  return true;
}

// Writes a string key with expiry `at` (0 = none; in the past: the key is deleted).
Status WriteKey(Txn<P>& t, std::string_view key, Value v, TimestampUs at) {
  KvOps<P> kv(t);
  if (at == 0) return kv.Put(key, std::move(v));
  if (at <= t.now()) return kv.Delete(key).status();
  return kv.PutWithTtl(key, std::move(v), std::chrono::microseconds(at - t.now()));
}

// SET's, SETEX's and GETEX's expiry argument (Redis's getExpireMillisecondsOrReply): `unit_ms`
// per unit, relative to now unless `absolute`. On success *at is the absolute expiry in us.
bool ParseExpiry(std::string_view command, std::string_view arg, int64_t unit_ms, bool absolute,
                 TimestampUs* at, std::string* error) {
  int64_t v = 0;
  if (!ParseInt64(arg, &v)) {
    *error = kNotInteger;
    return false;
  }
  if (v <= 0 || (unit_ms == 1000 && v > kInt64Max / 1000)) {
    *error = InvalidExpire(command);
    return false;
  }
  v *= unit_ms;
  if (!absolute) {
    const int64_t now_ms = NowMicros() / 1000;
    if (v > kInt64Max - now_ms) {
      *error = InvalidExpire(command);
      return false;
    }
    v += now_ms;
  }
  *at = UsOfMs(v);
  return true;
}

// An expiry option of SET or GETEX: EX, PX, EXAT or PXAT; the unit in ms and whether absolute.
bool ExpiryOption(std::string_view opt, int64_t* unit_ms, bool* absolute) {
  if (EqualsNoCase(opt, "EX") || EqualsNoCase(opt, "EXAT")) {
    *unit_ms = 1000;
  } else if (EqualsNoCase(opt, "PX") || EqualsNoCase(opt, "PXAT")) {
    *unit_ms = 1;
  } else {
    return false;
  }
  *absolute = opt.size() == 4;
  return true;
}

// Redis's range normalization of GETRANGE and BITCOUNT: negative indexes count from the end;
// false when the range is empty.
bool NormalizeRange(int64_t len, int64_t* start, int64_t* end) {
  if (*start < 0 && *end < 0 && *start > *end) return false;
  if (*start < 0) *start += len;
  if (*end < 0) *end += len;
  *start = std::max<int64_t>(*start, 0);
  *end = std::max<int64_t>(*end, 0);
  *end = std::min(*end, len - 1);
  return len > 0 && *start <= *end;
}

// An integer stored as int64 (INCR) or as its decimal text (SET).
bool IntegerOf(const Value& v, int64_t* out) {
  if (const auto* i = std::get_if<int64_t>(&v)) {
    *out = *i;
    return true;
  }
  const auto* s = std::get_if<std::string>(&v);
  return s != nullptr && ParseInt64(*s, out);
}

// Calls fn(user key) for every live key of the transaction's run.
template <class F>
Status ForEachKey(Txn<P>& t, F&& fn) {
  return t.Scan(Tag::kKv, "", [&](std::string_view k, const Value&, Version) {
    fn(k);
    return true;
  });
}

}  // namespace

Status Session::ReadString(Txn<P>& t, std::string_view key, std::string* value, bool* found,
                           TimestampUs* expire_at) {
  Value v;
  TimestampUs at = 0;
  Status s = KvOps<P>(t).Get(key, &v, nullptr, &at);
  *found = s.ok();
  if (expire_at != nullptr) *expire_at = s.ok() ? at : 0;
  if (s.IsNotFound()) return Status::OK();
  STATELAB_RETURN_IF_ERROR(s);
  if (!StringOf(v, value)) return Refuse(kWrongType);
  return Status::OK();
}

bool Session::ReadValue(std::string_view key, Value* v, bool* found, std::string* out,
                        TimestampUs* expire_at) {
  return Read(
      [&](Txn<P>& t) {
        Status s = KvOps<P>(t).Get(key, v, nullptr, expire_at);
        *found = s.ok();
        return s.IsNotFound() ? Status::OK() : s;
      },
      out);
}

void Session::Get(Args a, std::string* out) {
  Value v;
  bool found = false;
  if (!ReadValue(a[1], &v, &found, out)) return;
  if (!found) return Null(out);
  if (!AppendValue(v, out)) AppendError(out, kWrongType);
}

void Session::Set(Args a, std::string* out) {
  enum class Cond { kAlways, kIfAbsent, kIfPresent } cond = Cond::kAlways;
  TimestampUs at = 0;
  std::string_view expiry_option;  // the one given (repeating it is allowed, as in Redis)
  bool keep_ttl = false, get = false;
  std::string error;
  for (size_t i = 3; i < a.size(); ++i) {
    int64_t unit_ms = 0;
    bool absolute = false;
    if (EqualsNoCase(a[i], "NX") && cond != Cond::kIfPresent) {
      cond = Cond::kIfAbsent;
    } else if (EqualsNoCase(a[i], "XX") && cond != Cond::kIfAbsent) {
      cond = Cond::kIfPresent;
    } else if (EqualsNoCase(a[i], "GET")) {
      get = true;
    } else if (EqualsNoCase(a[i], "KEEPTTL") && expiry_option.empty()) {
      keep_ttl = true;
    } else if (ExpiryOption(a[i], &unit_ms, &absolute) && i + 1 < a.size() && !keep_ttl &&
               (expiry_option.empty() || EqualsNoCase(expiry_option, a[i]))) {
      expiry_option = a[i];
      if (!ParseExpiry("set", a[++i], unit_ms, absolute, &at, &error)) {
        return AppendError(out, error);
      }
    } else {
      return AppendError(out, kSyntax);
    }
  }
  bool written = false, old_found = false;
  std::string old;
  if (!Commit(
          [&](Txn<P>& t) -> Status {
            written = false;
            TimestampUs old_at = 0;
            if (get) {
              STATELAB_RETURN_IF_ERROR(ReadString(t, a[1], &old, &old_found, &old_at));
            } else if (cond != Cond::kAlways || keep_ttl) {
              Status s = KvOps<P>(t).Get(a[1], nullptr, nullptr, &old_at);
              if (!s.ok() && !s.IsNotFound()) return s;
              old_found = s.ok();
            }
            if (cond != Cond::kAlways && old_found != (cond == Cond::kIfPresent)) {
              return Status::OK();
            }
            written = true;
            return WriteKey(t, a[1], Value(std::string(a[2])), keep_ttl ? old_at : at);
          },
          out)) {
    return;
  }
  if (get) return old_found ? AppendBulk(out, old) : Null(out);
  written ? AppendOk(out) : Null(out);
}

void Session::SetExpiring(Args a, int64_t unit_ms, std::string* out) {
  TimestampUs at = 0;
  std::string error;
  if (!ParseExpiry(a[0], a[2], unit_ms, false, &at, &error)) return AppendError(out, error);
  if (!Commit([&](Txn<P>& t) { return WriteKey(t, a[1], Value(std::string(a[3])), at); }, out)) {
    return;
  }
  AppendOk(out);
}

void Session::SetEx(Args a, std::string* out) { SetExpiring(a, 1000, out); }

void Session::PSetEx(Args a, std::string* out) { SetExpiring(a, 1, out); }

void Session::SetNx(Args a, std::string* out) {
  bool written = false;
  if (!Commit(
          [&](Txn<P>& t) -> Status {
            STATELAB_ASSIGN_OR_RETURN(const bool exists, KvOps<P>(t).Exists(a[1]));
            written = !exists;
            return exists ? Status::OK() : KvOps<P>(t).Put(a[1], Value(std::string(a[2])));
          },
          out)) {
    return;
  }
  AppendInt(out, written ? 1 : 0);
}

void Session::GetSet(Args a, std::string* out) {
  std::string old;
  bool found = false;
  if (!Commit(
          [&](Txn<P>& t) -> Status {
            STATELAB_RETURN_IF_ERROR(ReadString(t, a[1], &old, &found));
            return KvOps<P>(t).Put(a[1], Value(std::string(a[2])));
          },
          out)) {
    return;
  }
  found ? AppendBulk(out, old) : Null(out);
}

void Session::GetDel(Args a, std::string* out) {
  std::string old;
  bool found = false;
  if (!Commit(
          [&](Txn<P>& t) -> Status {
            STATELAB_RETURN_IF_ERROR(ReadString(t, a[1], &old, &found));
            return found ? KvOps<P>(t).Delete(a[1]).status() : Status::OK();
          },
          out)) {
    return;
  }
  found ? AppendBulk(out, old) : Null(out);
}

void Session::GetEx(Args a, std::string* out) {
  TimestampUs at = 0;
  std::string_view expiry_option;
  bool persist = false;
  std::string error;
  for (size_t i = 2; i < a.size(); ++i) {
    int64_t unit_ms = 0;
    bool absolute = false;
    if (EqualsNoCase(a[i], "PERSIST") && expiry_option.empty()) {
      persist = true;
    } else if (ExpiryOption(a[i], &unit_ms, &absolute) && i + 1 < a.size() && !persist &&
               (expiry_option.empty() || EqualsNoCase(expiry_option, a[i]))) {
      expiry_option = a[i];
      if (!ParseExpiry("getex", a[++i], unit_ms, absolute, &at, &error)) {
        return AppendError(out, error);
      }
    } else {
      return AppendError(out, kSyntax);
    }
  }
  std::string value;
  bool found = false;
  const bool change = persist || !expiry_option.empty();
  auto body = [&](Txn<P>& t) -> Status {
    TimestampUs old_at = 0;
    STATELAB_RETURN_IF_ERROR(ReadString(t, a[1], &value, &found, &old_at));
    if (!found || !change || (persist && old_at == 0)) return Status::OK();
    return WriteKey(t, a[1], Value(value), persist ? 0 : at);
  };
  if (!(change ? Commit(body, out) : Read(body, out))) return;
  found ? AppendBulk(out, value) : Null(out);
}

void Session::Append(Args a, std::string* out) {
  size_t len = 0;
  if (!Commit(
          [&](Txn<P>& t) -> Status {
            std::string value;
            bool found = false;
            TimestampUs at = 0;
            STATELAB_RETURN_IF_ERROR(ReadString(t, a[1], &value, &found, &at));
            if (value.size() + a[2].size() > kMaxValueBytes) return Refuse(kTooBig);
            value.append(a[2]);
            len = value.size();
            return WriteKey(t, a[1], Value(std::move(value)), at);
          },
          out)) {
    return;
  }
  AppendInt(out, static_cast<int64_t>(len));
}

void Session::StrLen(Args a, std::string* out) {
  std::string value;
  bool found = false;
  if (!Read([&](Txn<P>& t) { return ReadString(t, a[1], &value, &found); }, out)) return;
  AppendInt(out, static_cast<int64_t>(value.size()));
}

void Session::GetRange(Args a, std::string* out) {
  int64_t start = 0, end = 0;
  if (!ParseInt64(a[2], &start) || !ParseInt64(a[3], &end)) {
    return AppendError(out, kNotInteger);
  }
  std::string value;
  bool found = false;
  if (!Read([&](Txn<P>& t) { return ReadString(t, a[1], &value, &found); }, out)) return;
  if (!NormalizeRange(static_cast<int64_t>(value.size()), &start, &end)) {
    return AppendBulk(out, "");
  }
  AppendBulk(out, std::string_view(value).substr(static_cast<size_t>(start),
                                                 static_cast<size_t>(end - start + 1)));
}

void Session::SetRange(Args a, std::string* out) {
  int64_t offset = 0;
  if (!ParseInt64(a[2], &offset)) return AppendError(out, kNotInteger);
  if (offset < 0) return AppendError(out, "ERR offset is out of range");
  size_t len = 0;
  if (!Commit(
          [&](Txn<P>& t) -> Status {
            std::string value;
            bool found = false;
            TimestampUs at = 0;
            STATELAB_RETURN_IF_ERROR(ReadString(t, a[1], &value, &found, &at));
            len = value.size();
            if (a[3].empty()) return Status::OK();  // nothing to write: not even a new key
            if (static_cast<uint64_t>(offset) + a[3].size() > kMaxValueBytes) {
              return Refuse(kTooBig);
            }
            const size_t off = static_cast<size_t>(offset);
            if (value.size() < off + a[3].size()) value.resize(off + a[3].size(), '\0');
            value.replace(off, a[3].size(), a[3]);
            len = value.size();
            return WriteKey(t, a[1], Value(std::move(value)), at);
          },
          out)) {
    return;
  }
  AppendInt(out, static_cast<int64_t>(len));
}

namespace {
// GETBIT's and SETBIT's offset; false when not an integer or beyond the value limit.
bool ParseBitOffset(std::string_view s, uint64_t* bit) {
  int64_t v = 0;
  if (!ParseInt64(s, &v) || v < 0 || static_cast<uint64_t>(v) / 8 >= kMaxValueBytes) return false;
  *bit = static_cast<uint64_t>(v);
  return true;
}
constexpr std::string_view kBadBitOffset = "ERR bit offset is not an integer or out of range";
}  // namespace

void Session::GetBit(Args a, std::string* out) {
  uint64_t bit = 0;
  if (!ParseBitOffset(a[2], &bit)) return AppendError(out, kBadBitOffset);
  std::string value;
  bool found = false;
  if (!Read([&](Txn<P>& t) { return ReadString(t, a[1], &value, &found); }, out)) return;
  const size_t byte = bit / 8;
  const int set =
      byte < value.size() ? (static_cast<unsigned char>(value[byte]) >> (7 - bit % 8)) & 1 : 0;
  AppendInt(out, set);
}

void Session::SetBit(Args a, std::string* out) {
  uint64_t bit = 0;
  if (!ParseBitOffset(a[2], &bit)) return AppendError(out, kBadBitOffset);
  int64_t on = 0;
  if (!ParseInt64(a[3], &on) || (on & ~int64_t{1}) != 0) {
    return AppendError(out, "ERR bit is not an integer or out of range");
  }
  int old = 0;
  if (!Commit(
          [&](Txn<P>& t) -> Status {
            std::string value;
            bool found = false;
            TimestampUs at = 0;
            STATELAB_RETURN_IF_ERROR(ReadString(t, a[1], &value, &found, &at));
            const size_t byte = bit / 8;
            if (value.size() <= byte) value.resize(byte + 1, '\0');
            const int shift = 7 - static_cast<int>(bit % 8);
            auto c = static_cast<unsigned char>(value[byte]);
            old = (c >> shift) & 1;
            c = static_cast<unsigned char>(on ? c | (1u << shift) : c & ~(1u << shift));
            value[byte] = static_cast<char>(c);
            return WriteKey(t, a[1], Value(std::move(value)), at);
          },
          out)) {
    return;
  }
  AppendInt(out, old);
}

void Session::BitCount(Args a, std::string* out) {
  int64_t start = 0, end = -1;
  bool bits = false;
  if (a.size() == 3 || a.size() > 5) return AppendError(out, kSyntax);
  if (a.size() >= 4) {
    if (!ParseInt64(a[2], &start) || !ParseInt64(a[3], &end)) {
      return AppendError(out, kNotInteger);
    }
    if (a.size() == 5) {
      if (EqualsNoCase(a[4], "BIT")) {
        bits = true;
      } else if (!EqualsNoCase(a[4], "BYTE")) {
        return AppendError(out, kSyntax);
      }
    }
  }
  std::string value;
  bool found = false;
  if (!Read([&](Txn<P>& t) { return ReadString(t, a[1], &value, &found); }, out)) return;
  const int64_t len = static_cast<int64_t>(value.size()) * (bits ? 8 : 1);
  if (!NormalizeRange(len, &start, &end)) return AppendInt(out, 0);
  int64_t count = 0;
  if (bits) {
    for (int64_t b = start; b <= end; ++b) {
      count += (static_cast<unsigned char>(value[static_cast<size_t>(b / 8)]) >> (7 - b % 8)) & 1;
    }
  } else {
    for (int64_t i = start; i <= end; ++i) {
      count += std::popcount(static_cast<unsigned char>(value[static_cast<size_t>(i)]));
    }
  }
  AppendInt(out, count);
}

void Session::Lcs(Args a, std::string* out) {
  bool want_len = false, want_idx = false, with_match_len = false;
  int64_t min_len = 0;
  for (size_t i = 3; i < a.size(); ++i) {
    if (EqualsNoCase(a[i], "LEN")) {
      want_len = true;
    } else if (EqualsNoCase(a[i], "IDX")) {
      want_idx = true;
    } else if (EqualsNoCase(a[i], "WITHMATCHLEN")) {
      with_match_len = true;
    } else if (EqualsNoCase(a[i], "MINMATCHLEN") && i + 1 < a.size()) {
      if (!ParseInt64(a[++i], &min_len)) return AppendError(out, kNotInteger);
      min_len = std::max<int64_t>(min_len, 0);
    } else {
      return AppendError(out, kSyntax);
    }
  }
  if (want_len && want_idx) {
    return AppendError(out, "ERR If you want both the length and indexes, please just use IDX.");
  }
  std::string x, y;
  bool found = false;
  if (!Read(
          [&](Txn<P>& t) -> Status {
            STATELAB_RETURN_IF_ERROR(ReadString(t, a[1], &x, &found));
            return ReadString(t, a[2], &y, &found);
          },
          out)) {
    return;
  }
  const size_t n = x.size(), m = y.size();
  if ((n + 1) * (m + 1) > (64u << 20)) {
    return AppendError(out, "ERR Insufficient memory, transient memory for LCS exceeds "
                            "proto-max-bulk-len");
  }
  // table[i][j]: the LCS length of x[0..i) and y[0..j).
  std::vector<uint32_t> table((n + 1) * (m + 1), 0);
  auto at = [&](size_t i, size_t j) -> uint32_t& { return table[i * (m + 1) + j]; };
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      at(i, j) = x[i - 1] == y[j - 1] ? at(i - 1, j - 1) + 1 : std::max(at(i - 1, j), at(i, j - 1));
    }
  }
  const uint32_t total = at(n, m);
  if (want_len) return AppendInt(out, total);
  // Walk back from the end, as Redis does, emitting the ranges of contiguous matches.
  std::string common(total, '\0');
  std::string matches;
  int64_t match_count = 0;
  size_t i = n, j = m, k = total;
  size_t a_start = n, a_end = 0, b_start = 0, b_end = 0;
  while (i > 0 && j > 0) {
    bool emit = false;
    if (x[i - 1] == y[j - 1]) {
      common[--k] = x[i - 1];
      if (a_start == n) {
        a_start = a_end = i - 1;
        b_start = b_end = j - 1;
      } else if (a_start == i && b_start == j) {
        --a_start;
        --b_start;
      } else {
        emit = true;
      }
      if (a_start == 0 || b_start == 0) emit = true;
      --i;
      --j;
    } else {
      if (at(i - 1, j) > at(i, j - 1)) {
        --i;
      } else {
        --j;
      }
      if (a_start != n) emit = true;
    }
    if (emit) {
      const int64_t len = static_cast<int64_t>(a_end - a_start + 1);
      if (min_len == 0 || len >= min_len) {
        AppendArrayHeader(&matches, with_match_len ? 3 : 2);
        AppendArrayHeader(&matches, 2);
        AppendInt(&matches, static_cast<int64_t>(a_start));
        AppendInt(&matches, static_cast<int64_t>(a_end));
        AppendArrayHeader(&matches, 2);
        AppendInt(&matches, static_cast<int64_t>(b_start));
        AppendInt(&matches, static_cast<int64_t>(b_end));
        if (with_match_len) AppendInt(&matches, len);
        ++match_count;
      }
      a_start = n;
    }
  }
  if (!want_idx) return AppendBulk(out, common);
  MapHeader(out, 2);
  AppendBulk(out, "matches");
  AppendArrayHeader(out, match_count);
  out->append(matches);
  AppendBulk(out, "len");
  AppendInt(out, total);
}

void Session::Del(Args a, std::string* out) {
  if (TooManyKeys(a, 1)) return AppendError(out, kTooManyKeys);
  int64_t deleted = 0;
  if (!Commit(
          [&](Txn<P>& t) -> Status {
            deleted = 0;
            for (size_t i = 1; i < a.size(); ++i) {
              STATELAB_ASSIGN_OR_RETURN(const bool existed, KvOps<P>(t).Delete(a[i]));
              deleted += existed;
            }
            return Status::OK();
          },
          out)) {
    return;
  }
  AppendInt(out, deleted);
}

void Session::Exists(Args a, std::string* out) {
  int64_t n = 0;
  if (!Read(
          [&](Txn<P>& t) -> Status {
            n = 0;
            KvOps<P> kv(t);
            for (size_t i = 1; i < a.size(); ++i) {
              STATELAB_ASSIGN_OR_RETURN(const bool e, kv.Exists(a[i]));
              n += e;
            }
            return Status::OK();
          },
          out)) {
    return;
  }
  AppendInt(out, n);
}

void Session::MGet(Args a, std::string* out) {
  std::vector<std::optional<Versioned>> values;
  if (!Read([&](Txn<P>& t) { return KvOps<P>(t).GetMany(a.subspan(1), &values); }, out)) return;
  AppendArrayHeader(out, static_cast<int64_t>(values.size()));
  for (const auto& v : values) {
    // Values Redis strings cannot hold read as nil, as MGET does for other types.
    if (!v || !AppendValue(v->value, out)) Null(out);
  }
}

void Session::MSet(Args a, std::string* out) {
  if (a.size() % 2 != 1) return AppendError(out, "ERR wrong number of arguments for 'mset' command");
  if (TooManyKeys(a, 2)) return AppendError(out, kTooManyKeys);
  if (!Commit(
          [&](Txn<P>& t) -> Status {
            for (size_t i = 1; i < a.size(); i += 2) {
              STATELAB_RETURN_IF_ERROR(KvOps<P>(t).Put(a[i], Value(std::string(a[i + 1]))));
            }
            return Status::OK();
          },
          out)) {
    return;
  }
  AppendOk(out);
}

void Session::MSetNx(Args a, std::string* out) {
  if (a.size() % 2 != 1) {
    return AppendError(out, "ERR wrong number of arguments for 'msetnx' command");
  }
  if (TooManyKeys(a, 2)) return AppendError(out, kTooManyKeys);
  bool written = false;
  if (!Commit(
          [&](Txn<P>& t) -> Status {
            written = false;
            for (size_t i = 1; i < a.size(); i += 2) {
              STATELAB_ASSIGN_OR_RETURN(const bool exists, KvOps<P>(t).Exists(a[i]));
              if (exists) return Status::OK();
            }
            for (size_t i = 1; i < a.size(); i += 2) {
              STATELAB_RETURN_IF_ERROR(KvOps<P>(t).Put(a[i], Value(std::string(a[i + 1]))));
            }
            written = true;
            return Status::OK();
          },
          out)) {
    return;
  }
  AppendInt(out, written ? 1 : 0);
}

void Session::AddInteger(std::string_view key, int64_t delta, std::string* out) {
  int64_t result = 0;
  if (!Commit(
          [&](Txn<P>& t) -> Status {
            Value v;
            TimestampUs at = 0;
            Status s = KvOps<P>(t).Get(key, &v, nullptr, &at);
            int64_t current = 0;
            if (!s.ok() && !s.IsNotFound()) return s;
            if (s.ok() && !IntegerOf(v, &current)) {
              std::string text;
              return Refuse(StringOf(v, &text) ? kNotInteger : kWrongType);
            }
            if (__builtin_add_overflow(current, delta, &result)) {
              return Refuse("ERR increment or decrement would overflow");
            }
            return WriteKey(t, key, Value(result), at);  // INCR keeps the TTL
          },
          out)) {
    return;
  }
  AppendInt(out, result);
}

void Session::Incr(Args a, std::string* out) { AddInteger(a[1], 1, out); }
void Session::Decr(Args a, std::string* out) { AddInteger(a[1], -1, out); }
void Session::IncrBy(Args a, std::string* out) {
  int64_t delta = 0;
  if (!ParseInt64(a[2], &delta)) return AppendError(out, kNotInteger);
  AddInteger(a[1], delta, out);
}
void Session::DecrBy(Args a, std::string* out) {
  int64_t delta = 0;
  if (!ParseInt64(a[2], &delta)) return AppendError(out, kNotInteger);
  if (delta == kInt64Min) return AppendError(out, "ERR decrement would overflow");
  AddInteger(a[1], -delta, out);
}

void Session::IncrByFloat(Args a, std::string* out) {
  long double incr = 0;
  if (!ParseLongDouble(a[2], &incr)) return AppendError(out, kNotFloat);
  std::string result;
  if (!Commit(
          [&](Txn<P>& t) -> Status {
            std::string value;
            bool found = false;
            TimestampUs at = 0;
            STATELAB_RETURN_IF_ERROR(ReadString(t, a[1], &value, &found, &at));
            long double current = 0;
            if (found && !ParseLongDouble(value, &current)) return Refuse(kNotFloat);
            const long double sum = current + incr;
            if (std::isnan(sum) || std::isinf(sum)) {
              return Refuse("ERR increment would produce NaN or Infinity");
            }
            result = FormatLongDouble(sum);
            return WriteKey(t, a[1], Value(result), at);
          },
          out)) {
    return;
  }
  AppendBulk(out, result);
}

void Session::ExpireCommand(Args a, int64_t unit_ms, bool absolute, std::string* out) {
  bool nx = false, xx = false, gt = false, lt = false;
  for (size_t i = 3; i < a.size(); ++i) {
    if (EqualsNoCase(a[i], "NX")) {
      nx = true;
    } else if (EqualsNoCase(a[i], "XX")) {
      xx = true;
    } else if (EqualsNoCase(a[i], "GT")) {
      gt = true;
    } else if (EqualsNoCase(a[i], "LT")) {
      lt = true;
    } else {
      return AppendError(out, "ERR Unsupported option " + std::string(a[i].substr(0, 128)));
    }
  }
  if (nx && (xx || gt || lt)) {
    return AppendError(out, "ERR NX and XX, GT or LT options at the same time are not compatible");
  }
  if (gt && lt) {
    return AppendError(out, "ERR GT and LT options at the same time are not compatible");
  }
  int64_t when = 0;
  if (!ParseInt64(a[2], &when)) return AppendError(out, kNotInteger);
  if (unit_ms == 1000) {
    if (when > kInt64Max / 1000 || when < kInt64Min / 1000) {
      return AppendError(out, InvalidExpire(a[0]));
    }
    when *= 1000;
  }
  const int64_t base = absolute ? 0 : NowMicros() / 1000;
  if (when > kInt64Max - base) return AppendError(out, InvalidExpire(a[0]));
  const TimestampUs at = UsOfMs(when + base);
  bool changed = false;
  if (!Commit(
          [&](Txn<P>& t) -> Status {
            changed = false;
            Value v;
            TimestampUs old_at = 0;
            Status s = KvOps<P>(t).Get(a[1], &v, nullptr, &old_at);
            if (s.IsNotFound()) return Status::OK();
            STATELAB_RETURN_IF_ERROR(s);
            // No expiry counts as an infinite one for GT and LT, as in Redis.
            if ((nx && old_at != 0) || (xx && old_at == 0) || (gt && (old_at == 0 || at <= old_at)) ||
                (lt && old_at != 0 && at >= old_at)) {
              return Status::OK();
            }
            changed = true;
            // An expiry in the past deletes the key.
            return WriteKey(t, a[1], std::move(v), std::max<TimestampUs>(at, 1));
          },
          out)) {
    return;
  }
  AppendInt(out, changed ? 1 : 0);
}

void Session::Expire(Args a, std::string* out) { ExpireCommand(a, 1000, false, out); }
void Session::PExpire(Args a, std::string* out) { ExpireCommand(a, 1, false, out); }
void Session::ExpireAt(Args a, std::string* out) { ExpireCommand(a, 1000, true, out); }
void Session::PExpireAt(Args a, std::string* out) { ExpireCommand(a, 1, true, out); }

void Session::Persist(Args a, std::string* out) {
  bool changed = false;
  if (!Commit(
          [&](Txn<P>& t) -> Status {
            Value v;
            TimestampUs at = 0;
            Status s = KvOps<P>(t).Get(a[1], &v, nullptr, &at);
            if (!s.ok() && !s.IsNotFound()) return s;
            changed = s.ok() && at != 0;
            return changed ? WriteKey(t, a[1], std::move(v), 0) : Status::OK();
          },
          out)) {
    return;
  }
  AppendInt(out, changed ? 1 : 0);
}

void Session::ReplyTtl(std::string_view key, int64_t unit_ms, bool absolute, std::string* out) {
  int64_t reply = -2;  // no such key
  if (!Read(
          [&](Txn<P>& t) -> Status {
            reply = -2;
            TimestampUs at = 0;
            Status s = KvOps<P>(t).Get(key, nullptr, nullptr, &at);
            if (s.IsNotFound()) return Status::OK();
            STATELAB_RETURN_IF_ERROR(s);
            if (at == 0) {
              reply = -1;
              return Status::OK();
            }
            // Whole milliseconds first (the remaining time rounded up, as Redis's millisecond
            // clock sees it), then Redis's rounding to seconds.
            const int64_t ms = absolute ? at / 1000 : std::max<int64_t>(0, (at - t.now() + 999) / 1000);
            reply = unit_ms == 1 ? ms : (ms + 500) / 1000;
            return Status::OK();
          },
          out)) {
    return;
  }
  AppendInt(out, reply);
}

void Session::Ttl(Args a, std::string* out) { ReplyTtl(a[1], 1000, false, out); }
void Session::PTtl(Args a, std::string* out) { ReplyTtl(a[1], 1, false, out); }
void Session::ExpireTime(Args a, std::string* out) { ReplyTtl(a[1], 1000, true, out); }
void Session::PExpireTime(Args a, std::string* out) { ReplyTtl(a[1], 1, true, out); }

void Session::Type(Args a, std::string* out) {
  Value v;
  bool found = false;
  if (!ReadValue(a[1], &v, &found, out)) return;
  std::string text;
  AppendSimple(out, found && StringOf(v, &text) ? "string" : "none");
}

void Session::Object(Args a, std::string* out) {
  const std::string sub = Lower(a[1]);
  if (a.size() != 3 || (sub != "encoding" && sub != "refcount" && sub != "idletime")) {
    return AppendError(out, "ERR unknown subcommand or wrong number of arguments for '" +
                                std::string(a[1].substr(0, 128)) + "'");
  }
  Value v;
  bool found = false;
  if (!ReadValue(a[2], &v, &found, out)) return;
  if (!found) return Null(out);
  if (sub == "refcount") return AppendInt(out, 1);
  if (sub == "idletime") return AppendInt(out, 0);
  // Redis's string encodings by the value's shape: an integer, up to 44 bytes, longer.
  std::string text;
  int64_t n = 0;
  if (!StringOf(v, &text)) return AppendBulk(out, "raw");
  AppendBulk(out, IntegerOf(v, &n) ? "int" : text.size() <= 44 ? "embstr" : "raw");
}

void Session::Keys(Args a, std::string* out) {
  std::vector<std::string> keys;
  if (!Read(
          [&](Txn<P>& t) {
            keys.clear();
            return ForEachKey(t, [&](std::string_view k) {
              if (GlobMatch(a[1], k)) keys.emplace_back(k);
            });
          },
          out)) {
    return;
  }
  AppendArrayHeader(out, static_cast<int64_t>(keys.size()));
  for (const std::string& k : keys) AppendBulk(out, k);
}

void Session::Scan(Args a, std::string* out) {
  uint64_t cursor = 0;
  const auto [end, ec] = std::from_chars(a[1].data(), a[1].data() + a[1].size(), cursor);
  if (ec != std::errc() || end != a[1].data() + a[1].size()) {
    return AppendError(out, "ERR invalid cursor");
  }
  std::string_view pattern = "*";
  bool strings = true;  // TYPE: only strings exist
  for (size_t i = 2; i < a.size(); i += 2) {
    if (i + 1 >= a.size()) return AppendError(out, kSyntax);
    if (EqualsNoCase(a[i], "MATCH")) {
      pattern = a[i + 1];
    } else if (EqualsNoCase(a[i], "COUNT")) {
      int64_t count = 0;
      if (!ParseInt64(a[i + 1], &count)) return AppendError(out, kNotInteger);
      if (count < 1) return AppendError(out, kSyntax);
    } else if (EqualsNoCase(a[i], "TYPE")) {
      strings = EqualsNoCase(a[i + 1], "string");
    } else {
      return AppendError(out, kSyntax);
    }
  }
  // One call returns every key and cursor 0: the iteration guarantees hold trivially (COUNT is
  // a hint, as in Redis); O(keys) per call.
  std::vector<std::string> keys;
  if (strings && !Read(
                     [&](Txn<P>& t) {
                       keys.clear();
                       return ForEachKey(t, [&](std::string_view k) {
                         if (GlobMatch(pattern, k)) keys.emplace_back(k);
                       });
                     },
                     out)) {
    return;
  }
  AppendArrayHeader(out, 2);
  AppendBulk(out, "0");
  AppendArrayHeader(out, static_cast<int64_t>(keys.size()));
  for (const std::string& k : keys) AppendBulk(out, k);
}

void Session::RandomKey(Args, std::string* out) {
  std::vector<std::string> keys;
  if (!Read(
          [&](Txn<P>& t) {
            keys.clear();
            return ForEachKey(t, [&](std::string_view k) { keys.emplace_back(k); });
          },
          out)) {
    return;
  }
  if (keys.empty()) return Null(out);
  thread_local std::minstd_rand rng{std::random_device{}()};
  AppendBulk(out, keys[rng() % keys.size()]);
}

void Session::RenameCommand(Args a, bool only_if_absent, std::string* out) {
  bool renamed = false;
  if (!Commit(
          [&](Txn<P>& t) -> Status {
            renamed = false;
            Value v;
            TimestampUs at = 0;
            Status s = KvOps<P>(t).Get(a[1], &v, nullptr, &at);
            if (s.IsNotFound()) return Refuse("ERR no such key");
            STATELAB_RETURN_IF_ERROR(s);
            if (a[1] == a[2]) return Status::OK();
            if (only_if_absent) {
              STATELAB_ASSIGN_OR_RETURN(const bool exists, KvOps<P>(t).Exists(a[2]));
              if (exists) return Status::OK();
            }
            renamed = true;
            STATELAB_RETURN_IF_ERROR(KvOps<P>(t).Delete(a[1]).status());
            return WriteKey(t, a[2], std::move(v), at);
          },
          out)) {
    return;
  }
  if (!only_if_absent) return AppendOk(out);
  AppendInt(out, renamed ? 1 : 0);
}

void Session::Rename(Args a, std::string* out) { RenameCommand(a, false, out); }
void Session::RenameNx(Args a, std::string* out) { RenameCommand(a, true, out); }

void Session::CopyKey(std::string_view key, int to_db, std::string_view to_key, bool replace,
                      bool move, std::string* out) {
  Result<RunId> to = ctx_.Run(to_db);
  if (!to.ok()) return AppendFailure(to.error(), out);
  bool copied = false;
  // The source is read in one snapshot and the target written in one transaction of its
  // database: two databases are two runs, and a transaction never spans runs.
  Value v;
  TimestampUs at = 0;
  bool found = false;
  if (!ReadValue(key, &v, &found, out, &at)) return;
  if (!found) return AppendInt(out, 0);
  Result<CommitTicket> r = CommitTransaction(
      ctx_.db().engine(), *to,
      [&](Txn<P>& t) -> Status {
        copied = false;
        if (!replace) {
          STATELAB_ASSIGN_OR_RETURN(const bool exists, KvOps<P>(t).Exists(to_key));
          if (exists) return Status::OK();
        }
        copied = true;
        return WriteKey(t, to_key, v, at);
      },
      TxnOptions{});
  if (!r.ok()) return AppendFailure(r.error(), out);
  if (r->durable_token != 0) pending_.push_back(*r);
  if (copied && move &&
      !Commit([&](Txn<P>& t) { return KvOps<P>(t).Delete(key).status(); }, out)) {
    return;
  }
  AppendInt(out, copied ? 1 : 0);
}

void Session::Copy(Args a, std::string* out) {
  int64_t to_db = db_;
  bool replace = false;
  for (size_t i = 3; i < a.size(); ++i) {
    if (EqualsNoCase(a[i], "REPLACE")) {
      replace = true;
    } else if (EqualsNoCase(a[i], "DB") && i + 1 < a.size()) {
      if (!ParseInt64(a[++i], &to_db)) return AppendError(out, kNotInteger);
    } else {
      return AppendError(out, kSyntax);
    }
  }
  if (to_db < 0 || to_db >= kDatabases) return AppendError(out, "ERR DB index is out of range");
  if (to_db == db_ && a[1] == a[2]) {
    return AppendError(out, "ERR source and destination objects are the same");
  }
  CopyKey(a[1], static_cast<int>(to_db), a[2], replace, false, out);
}

void Session::Move(Args a, std::string* out) {
  int64_t to_db = 0;
  if (!ParseInt64(a[2], &to_db)) return AppendError(out, kNotInteger);
  if (to_db < 0 || to_db >= kDatabases) return AppendError(out, "ERR DB index is out of range");
  if (to_db == db_) return AppendError(out, "ERR source and destination objects are the same");
  CopyKey(a[1], static_cast<int>(to_db), a[1], false, true, out);
}

void Session::DbSize(Args, std::string* out) {
  int64_t n = 0;
  if (!Read(
          [&](Txn<P>& t) {
            n = 0;
            return ForEachKey(t, [&](std::string_view) { ++n; });
          },
          out)) {
    return;
  }
  AppendInt(out, n);
}

bool Session::FlushRun(const RunId& run, std::string* out) {
  // Deletes up to `limit` keys; *n: how many it found.
  auto chunk = [&](Txn<P>& t, size_t limit, size_t* n) -> Status {
    std::vector<std::string> keys;
    STATELAB_RETURN_IF_ERROR(t.Scan(Tag::kKv, "", [&](std::string_view k, const Value&, Version) {
      keys.emplace_back(k);
      return keys.size() < limit;
    }));
    *n = keys.size();
    for (const std::string& k : keys) t.Delete(Tag::kKv, k);
    return Status::OK();
  };
  size_t n = 0;
  if (exec_ != nullptr && run == run_) {
    return Commit([&](Txn<P>& t) { return chunk(t, std::numeric_limits<size_t>::max(), &n); },
                  out);
  }
  // Chunks of kFlushChunk keys, each one transaction, until the database is empty: a concurrent
  // reader may see it partly flushed.
  for (n = kFlushChunk; n == kFlushChunk;) {
    Result<CommitTicket> r = CommitTransaction(
        ctx_.db().engine(), run, [&](Txn<P>& t) { return chunk(t, kFlushChunk, &n); },
        TxnOptions{});
    if (!r.ok()) {
      AppendFailure(r.error(), out);
      return false;
    }
    if (r->durable_token != 0) pending_.push_back(*r);
  }
  return true;
}

namespace {
bool FlushOptionOk(std::span<const std::string_view> a) {
  return a.size() == 1 ||
         (a.size() == 2 && (EqualsNoCase(a[1], "SYNC") || EqualsNoCase(a[1], "ASYNC")));
}
}  // namespace

void Session::FlushDb(Args a, std::string* out) {
  if (!FlushOptionOk(a)) return AppendError(out, kSyntax);
  if (FlushRun(run_, out)) AppendOk(out);
}

void Session::FlushAll(Args a, std::string* out) {
  if (!FlushOptionOk(a)) return AppendError(out, kSyntax);
  for (int i = 0; i < kDatabases; ++i) {
    Result<std::optional<RunId>> run = ctx_.ExistingRun(i);
    if (!run.ok()) return AppendFailure(run.error(), out);
    if (*run && !FlushRun(**run, out)) return;
  }
  AppendOk(out);
}

}  // namespace statelab::resp
